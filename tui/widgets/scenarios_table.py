"""The scenarios: the house view (weighted) and the stress shocks (yield +25 / +50 bp,
risk-off, correction), with spot, yield and vol moves and the P&L of each."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from tui.fmt import money, num, pct

COLUMNS = ("scenario", "P&L $", "weight", "move", "spot", "10y", "vol", "days", "set")


class ScenariosTable(DataTable[Text]):
    """One row a scenario of the report (``strategies.report`` ``scenarios``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(Text(name, justify="left" if name in ("scenario", "set") else "right"))

    def show(self, report: dict[str, Any]) -> None:
        """Fill from a report."""
        self.clear()
        for s in report["scenarios"]:
            pnl = s["pnl"]
            style = "green" if pnl is not None and pnl >= 0 else "red"
            self.add_row(
                Text(s["name"]),
                Text(money(pnl, signed=True), style=style, justify="right"),
                Text(pct(s["probability"], 0) if s["set"] == "house" else "-", justify="right"),
                Text(f"{100 * s['spot_move']:+.1f} %", justify="right"),
                Text(num(s["spot"]), justify="right"),
                Text(f"{s['yield_shift_bp']:+.0f} bp", justify="right"),
                Text(f"{100 * s['vol_shift']:+.1f} pts", justify="right"),
                Text(f"{s['horizon_days']:g}", justify="right"),
                Text(s["set"]),
            )
