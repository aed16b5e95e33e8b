"""The P&L heat map: spot (rows) x date (columns), coloured cells, the spot row marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from strategies.whatif import HeatMap


def cell_style(value: float, scale: float) -> str:
    """Green for profit, red for loss, brighter with size relative to ``scale`` (dollars)."""
    if not np.isfinite(value) or scale <= 0.0:
        return ""
    level = min(1.0, abs(value) / scale)
    shade = int(40 + 150 * level)
    return f"on rgb(0,{shade},0)" if value >= 0 else f"on rgb({shade},0,0)"


class HeatMapView(Static):
    """A rich table of a :class:`strategies.whatif.HeatMap`."""

    def show(self, heat: HeatMap, title: str) -> None:
        """Redraw with ``heat``."""
        table = Table(title=title, title_justify="left", padding=(0, 1), show_edge=False)
        table.add_column(f"{heat.axis} $", justify="right", style="bold")
        for d in heat.dates:
            table.add_column(f"{d:%b%d}", justify="right")
        finite = heat.pnl[np.isfinite(heat.pnl)]
        scale = float(np.max(np.abs(finite))) if finite.size else 0.0
        for i, s in enumerate(heat.spots):
            mark = "▶" if i == heat.spot_row else " "
            row = [Text(f"{mark}{s:,.2f}", style="reverse" if i == heat.spot_row else "")]
            for j in range(len(heat.dates)):
                v = float(heat.pnl[i, j])
                text = f"{v:+,.0f}" if np.isfinite(v) else "-"
                row.append(Text(text, style=cell_style(v, scale)))
            table.add_row(*row)
        table.caption = "P&L in dollars against the entry cost; ▶ today's spot; columns: dates to the last expiry"
        table.caption_justify = "left"
        self.update(table)
