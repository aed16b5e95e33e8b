"""The position's legs: quantity, contract, entry and mark price, IV and position Greeks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

from tui.fmt import money, num, vol_pts

if TYPE_CHECKING:
    from strategies.legs import Leg
    from strategies.whatif import WhatIfNumbers

COLUMNS = (
    "qty",
    "leg",
    "entry",
    "mark",
    "model",
    "IV",
    "delta",
    "gamma",
    "vega $",
    "theta $",
)


class LegsTable(DataTable[Text]):
    """Legs of the position (the selected leg has the cursor). Greeks are position Greeks at
    the what-if (delta in shares, vega dollars per vol point, theta dollars per day)."""

    DEFAULT_CSS = """
    LegsTable { height: auto; max-height: 12; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.can_focus = False

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(Text(name, justify="right" if name != "leg" else "left"))

    def show(
        self,
        legs: list[Leg],
        marks: dict[str, float | None],
        numbers: WhatIfNumbers | None,
        selected: int,
    ) -> None:
        """Fill with ``legs``; ``marks`` are quote mids per share by leg id; ``numbers`` the
        what-if numbers (None while they are computed)."""
        self.clear()
        by_id = {n.leg_id: n for n in numbers.legs} if numbers is not None else {}
        for i, leg in enumerate(legs):
            n = by_id.get(leg.leg_id)
            g = n.greeks if n is not None else None
            cells = [
                Text(
                    f"{'▶' if i == selected else ' '}{leg.quantity:+d}",
                    justify="right",
                    style="green" if leg.quantity > 0 else "red",
                ),
                Text(short_label(leg)),
                Text(num(leg.entry_price), justify="right"),
                Text(num(marks.get(leg.leg_id)), justify="right"),
                Text(num(n.price) if n else "…", justify="right"),
                Text(vol_pts(n.iv) if n else "…", justify="right"),
                Text(num(g.delta, ".1f") if g else "…", justify="right"),
                Text(num(g.gamma, ".2f") if g else "…", justify="right"),
                Text(money(g.vega) if g else "…", justify="right"),
                Text(money(g.theta) if g else "…", justify="right"),
            ]
            self.add_row(*cells, key=f"leg-{i}")
        if legs:
            self.move_cursor(row=min(selected, len(legs) - 1), animate=False)


def _describe(instrument: object) -> str:
    from strategies.legs import describe

    return describe(instrument)  # type: ignore[arg-type]


def short_label(leg: Leg) -> str:
    """``P278 Dec18`` for an option (the full date is in the position strip), the instrument's description otherwise."""
    c = leg.contract
    if c is None:
        return _describe(leg.instrument)
    return f"{c.kind.value[0].upper()}{c.strike:g} {c.expiry:%b%d}"
