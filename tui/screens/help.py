"""The help screen: every key by scope, from the one key table (:mod:`tui.keymap`)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keymap import keys_by_scope

INTRO = (
    "Build a position from the chain (c / p buy, C / P sell), or pick a template with ctrl+p. "
    "Every number comes from the strategies layer: American legs are priced by the American "
    "engine at every date. Money in dollars for the whole position; Greeks: delta in shares, "
    "vega $ per vol point, theta $ per calendar day, rho $ per 1 % rate. Mouse: click tabs, "
    "expiries and rows."
)


def help_table() -> Table:
    """Every key, grouped by scope."""
    table = Table(show_header=True, padding=(0, 1), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("what it does")
    for scope, keys in keys_by_scope().items():
        if not keys:
            continue
        table.add_row(f"[bold]{scope}[/bold]", "", end_section=False)
        for k in keys:
            table.add_row(f"  {k.label}", k.description)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key; escape, ? or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: thick $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("[b]smallcap-hedge: keys[/b]  (escape closes)\n" + INTRO + "\n")
            yield Static(help_table())
