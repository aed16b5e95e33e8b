"""The strip above the footer, on every tab: the legs (the selected one marked) and the
position's value, P&L and Greeks at the current what-if."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    PositionStrip { height: auto; max-height: 4; background: $boost; padding: 0 1; }
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
        """Redraw."""
        out = Text()
        if not legs:
            out.append(
                "No position: c / p buy a call / put at the cursor (C / P sell); ctrl+p templates; ? help",
                style="italic",
            )
            self.update(out)
            return
        out.append("Legs: ", style="bold")
        for i, leg in enumerate(legs):
            style = "reverse" if i == selected else ""
            out.append(f"{leg.quantity:+d} {_describe(leg.instrument)}", style=style)
            out.append("  ")
        out.append("\nWhat-if: ", style="bold")
        out.append(whatif_text(whatif, days_to_last))
        out.append("\n")
        if numbers is not None:
            g = numbers.greeks
            out.append(f"value ${money(numbers.value)}  ")
            out.append(
                f"P&L ${money(numbers.pnl, signed=True)}  ",
                style="green" if numbers.pnl >= 0 else "red",
            )
            out.append(
                f"delta {num(g.delta, '.1f')} sh  vega ${money(g.vega)}/pt  theta ${money(g.theta)}/d"
            )
        if report is not None:
            be = ", ".join(num(b) for b in report["breakevens"]) or "none"
            out.append(f"  | PoP {pct(report['pop'])}  BE {be}")
        if busy:
            out.append("  computing…", style="italic yellow")
        self.update(out)


def _describe(instrument: object) -> str:
    from strategies.legs import describe

    return describe(instrument)  # type: ignore[arg-type]
