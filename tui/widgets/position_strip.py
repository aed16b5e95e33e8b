"""The strip above the footer, on every tab: the legs (the selected one marked) and the
position's value, P&L and Greeks at the current what-if."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from tui.fmt import money, num, pct

if TYPE_CHECKING:
    from strategies.legs import Leg
    from strategies.whatif import WhatIf, WhatIfNumbers


def whatif_text(w: WhatIf, days_to_last: float) -> str:
    """``+10 d of 56 | vol +2 pts | spot -1 % | rates +10 bp``."""
    return (
        f"date +{w.days_forward:.0f} d of {days_to_last:.0f} | vol {100 * w.vol_shift:+.0f} pts | "
        f"spot {100 * w.spot_move:+.0f} % | rates {w.rate_shift_bp:+.0f} bp"
    )


class PositionStrip(Static):
    """Legs, what-if and headline numbers (value, P&L, delta, vega, theta, PoP, breakevens)."""

    DEFAULT_CSS = """
    PositionStrip { height: 4; background: $boost; padding: 0 1; }
    """

    def show(
        self,
        legs: list[Leg],
        selected: int,
        whatif: WhatIf,
        days_to_last: float,
        numbers: WhatIfNumbers | None,
        report: dict[str, Any] | None,
        busy: bool,
    ) -> None:
        """Redraw: four lines (legs, what-if, numbers, risk), each cut with an ellipsis rather
        than wrapped, so the strip's height never changes and a key press lays nothing out."""
        if not legs:
            self.update(
                Text(
                    "No position: c / p buy a call / put at the cursor (C / P sell); "
                    "ctrl+p templates; ? help",
                    style="italic",
                )
            )
            return
        lines = [Text(no_wrap=True, overflow="ellipsis") for _ in range(4)]
        lines[0].append("Legs: ", style="bold")
        for i, leg in enumerate(legs):
            lines[0].append(
                f"{leg.quantity:+d} {_label(leg)}", style="reverse" if i == selected else ""
            )
            lines[0].append("  ")
        lines[1].append("What-if: ", style="bold")
        lines[1].append(whatif_text(whatif, days_to_last))
        if numbers is not None:
            g = numbers.greeks
            lines[2].append(f"value ${money(numbers.value)}  ")
            lines[2].append(
                f"P&L ${money(numbers.pnl, signed=True)}  ",
                style="green" if numbers.pnl >= 0 else "red",
            )
            lines[2].append(
                f"delta {num(g.delta, '.1f')} sh  vega ${money(g.vega)}/pt  theta ${money(g.theta)}/d"
            )
        if report is not None:
            be = ", ".join(num(b) for b in report["breakevens"]) or "none"
            lines[3].append(f"PoP {pct(report['pop'])}  BE {be}  ")
        if busy:
            lines[3].append("computing…", style="italic yellow")
        self.update(Group(*lines))


def _label(leg: Leg) -> str:
    from tui.widgets.legs_table import short_label

    return short_label(leg)
