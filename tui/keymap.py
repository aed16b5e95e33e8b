"""The one key table of the app: it drives the bindings, the footer hints and the help screen.

Each :class:`KeySpec` is a key (Textual key name), the action it runs on the main screen, the
description shown in the footer and the help screen, the scope it belongs to (the help screen
groups by scope) and whether the footer shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One key: ``key`` (Textual key name), ``action``, ``description``, ``scope``, ``footer``
    (shown in the footer), ``display`` (how help shows the key), ``footer_key`` (how the footer
    shows it, e.g. ``c/C`` for a key and its shifted twin)."""

    key: str
    action: str
    description: str
    scope: str
    footer: bool = False
    display: str = ""
    footer_key: str = ""

    @property
    def label(self) -> str:
        """The key as the help screen shows it."""
        return self.display or self.key


#: Scopes in the order the help screen lists them.
SCOPES: tuple[str, ...] = (
    "Anywhere",
    "Chain tab",
    "Position (any tab)",
    "What-if (any tab)",
    "Files and data",
    "Sizing screen",
)
#: Scopes whose keys are bound on their own screen, not on the app.
SCREEN_SCOPES = frozenset({"Sizing screen"})

KEYS: tuple[KeySpec, ...] = (
    KeySpec("question_mark", "help", "Help: every key", "Anywhere", True, "?"),
    KeySpec("q", "quit", "Quit", "Anywhere", True),
    KeySpec(
        "ctrl+p", "command_palette", "Templates and commands (palette)", "Anywhere", True, "ctrl+p"
    ),
    KeySpec("1", "show_tab('chain')", "Chain tab", "Anywhere"),
    KeySpec("2", "show_tab('analysis')", "Analysis tab (legs, Greeks, risk)", "Anywhere"),
    KeySpec("3", "show_tab('payoff')", "Payoff chart tab", "Anywhere"),
    KeySpec("4", "show_tab('scenarios')", "Scenarios tab", "Anywhere"),
    KeySpec("5", "show_tab('heatmap')", "P&L heat map tab (spot x date)", "Anywhere"),
    KeySpec("6", "show_tab('smile')", "Smile and term structure tab", "Anywhere"),
    KeySpec("h", "open_sizing", "Hedge sizing screen: size a hedge for a book", "Anywhere"),
    KeySpec(
        "c",
        "trade('call', 1)",
        "Buy 1 call at the cursor strike",
        "Chain tab",
        True,
        footer_key="cC",
    ),
    KeySpec("C", "trade('call', -1)", "Sell 1 call at the cursor strike", "Chain tab"),
    KeySpec(
        "p",
        "trade('put', 1)",
        "Buy 1 put at the cursor strike",
        "Chain tab",
        True,
        footer_key="pP",
    ),
    KeySpec("P", "trade('put', -1)", "Sell 1 put at the cursor strike", "Chain tab"),
    KeySpec(
        "left_square_bracket", "next_expiry(-1)", "Previous expiry tab", "Chain tab", False, "["
    ),
    KeySpec("right_square_bracket", "next_expiry(1)", "Next expiry tab", "Chain tab", False, "]"),
    KeySpec("tab", "select_leg(1)", "Select the next leg", "Position (any tab)", False, "tab"),
    KeySpec(
        "shift+tab",
        "select_leg(-1)",
        "Select the previous leg",
        "Position (any tab)",
        False,
        "shift+tab",
    ),
    KeySpec("plus", "quantity(1)", "Selected leg: quantity +1", "Position (any tab)", False, "+"),
    KeySpec("minus", "quantity(-1)", "Selected leg: quantity -1", "Position (any tab)", False, "-"),
    KeySpec("x", "remove_leg", "Remove the selected leg", "Position (any tab)"),
    KeySpec(
        "greater_than_sign",
        "move_strike(1)",
        "Selected leg: next listed strike up",
        "Position (any tab)",
        True,
        ">",
        footer_key="<>",
    ),
    KeySpec(
        "less_than_sign",
        "move_strike(-1)",
        "Selected leg: next listed strike down",
        "Position (any tab)",
        False,
        "<",
    ),
    KeySpec("e", "roll_expiry(1)", "Selected leg: roll to the next expiry", "Position (any tab)"),
    KeySpec(
        "E", "roll_expiry(-1)", "Selected leg: roll to the previous expiry", "Position (any tab)"
    ),
    KeySpec("d", "slide_date(1)", "Date +1 day", "What-if (any tab)", True, footer_key="d/w"),
    KeySpec("D", "slide_date(-1)", "Date -1 day", "What-if (any tab)"),
    KeySpec("w", "slide_date(7)", "Date +1 week", "What-if (any tab)"),
    KeySpec("W", "slide_date(-7)", "Date -1 week", "What-if (any tab)"),
    KeySpec(
        "v",
        "shift_vol(1)",
        "Vol +1 point (all strikes)",
        "What-if (any tab)",
        True,
        footer_key="vV",
    ),
    KeySpec("V", "shift_vol(-1)", "Vol -1 point", "What-if (any tab)"),
    KeySpec("s", "shift_spot(1)", "Spot +1 %", "What-if (any tab)"),
    KeySpec("S", "shift_spot(-1)", "Spot -1 %", "What-if (any tab)"),
    KeySpec("i", "shift_rate(10)", "Rates +10 bp", "What-if (any tab)"),
    KeySpec("I", "shift_rate(-10)", "Rates -10 bp", "What-if (any tab)"),
    KeySpec("0", "reset_whatif", "Reset the what-if (today, no shifts)", "What-if (any tab)"),
    KeySpec("g", "edit_weights", "Edit the house-view scenario weights", "Files and data"),
    KeySpec("ctrl+s", "save", "Save the position (TOML)", "Files and data", False, "ctrl+s"),
    KeySpec("ctrl+o", "load", "Load a position file", "Files and data", False, "ctrl+o"),
    KeySpec(
        "ctrl+e", "export", "Export the analysis (JSON or CSV)", "Files and data", False, "ctrl+e"
    ),
    KeySpec(
        "ctrl+r", "refresh", "Reload market data from the source", "Files and data", False, "ctrl+r"
    ),
    KeySpec("f5", "size", "Size: run the search (enter in a field too)", "Sizing screen", True),
    KeySpec("enter", "choose", "Open the highlighted hedge in the builder", "Sizing screen", True),
    KeySpec(
        "n", "toggle_method", "Show / hide the method notes and reference sizes", "Sizing screen"
    ),
    KeySpec("escape", "back", "Back to the builder", "Sizing screen", True, "esc"),
)


def bindings(scope: str | None = None) -> list[Binding]:
    """Textual bindings for :data:`KEYS` (the footer shows those marked ``footer``): the app's
    (every scope but :data:`SCREEN_SCOPES`) when ``scope`` is None, else that scope's."""
    return [
        Binding(
            k.key,
            k.action,
            FOOTER_TEXT.get(k.action, k.description) if k.footer else k.description,
            show=k.footer,
            key_display=k.footer_key or k.display or None,
            priority=k.key in PRIORITY_KEYS,
        )
        for k in KEYS
        if k.action != "command_palette"
        and (k.scope == scope if scope is not None else k.scope not in SCREEN_SCOPES)
    ]


#: Keys that must reach the screen even when a table has focus (tables use tab and brackets).
PRIORITY_KEYS = frozenset({"tab", "shift+tab"})


def keys_by_scope() -> dict[str, list[KeySpec]]:
    """:data:`KEYS` grouped by scope, in :data:`SCOPES` order (the help screen's content)."""
    out: dict[str, list[KeySpec]] = {scope: [] for scope in SCOPES}
    for k in KEYS:
        out.setdefault(k.scope, []).append(k)
    return out


#: Footer descriptions, short enough for an 80-column terminal.
FOOTER_TEXT = {
    "help": "Help",
    "quit": "Quit",
    "trade('call', 1)": "Call",
    "trade('put', 1)": "Put",
    "move_strike(1)": "Strike",
    "slide_date(1)": "Date",
    "shift_vol(1)": "Vol",
    "size": "Size",
    "choose": "Open in builder",
    "back": "Builder",
}
