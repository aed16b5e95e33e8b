"""The top line: underlying and spot, data source and as-of time, a DEMO badge on synthetic
data, and the progress of a (re)load."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from marketdata.sources.overrides import dividend_warning
from tui.state import Market


class StatusBar(Static):
    """Always visible: what data the numbers come from."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("loading market data…", **kwargs)  # type: ignore[arg-type]
        self.market: Market | None = None
        self.busy_text = ""

    def set_market(self, market: Market) -> None:
        """Show ``market``'s source and time."""
        self.market = market
        self._draw()

    def on_resize(self) -> None:
        """Shorten or lengthen the source text to the new width."""
        self._draw()

    def set_busy(self, text: str) -> None:
        """Show a progress text (empty when idle)."""
        self.busy_text = text
        self._draw()

    def _draw(self) -> None:
        out = Text()
        m = self.market
        if m is not None:
            if m.synthetic:
                out.append(" DEMO ", style="bold white on red")
                out.append(" ")
            snap = m.snapshot
            if dividend_warning(snap) is not None:  # the full text is in the description
                out.append(" NO DIVIDEND SCHEDULE ", style="bold black on yellow")
                out.append(" ")
            out.append(f"{snap.underlying} {snap.spot:,.2f}", style="bold")
            out.append(f"  as of {snap.as_of:%Y-%m-%d %H:%M} ET  ")
            room = (self.size.width or 200) - len(out.plain) - 10
            text = m.description if len(m.description) <= room else snap.source
            out.append(f"source: {text}", style="italic")
            if m.analysis is None:
                out.append("  [analysing chain…]", style="yellow")
        if self.busy_text:
            out.append(f"  ⟳ {self.busy_text}", style="bold yellow")
        self.update(out)
