"""The payoff chart: P&L (dollars) against the underlying at the first expiry, today and the
chosen date, with the spot, breakevens, scenario spots and stop / target levels marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual_plotext import PlotextPlot

if TYPE_CHECKING:
    from strategies.whatif import PayoffChartData


#: Line colours by curve order (expiry, today, chosen date).
COLOURS = ("cyan", "green", "yellow")


class PayoffChart(PlotextPlot):
    """Draws a :class:`strategies.whatif.PayoffChartData`."""

    def show(self, data: PayoffChartData, title: str) -> None:
        """Redraw with ``data``."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        xs = [float(x) for x in data.spots]
        for (label, _, values), colour in zip(data.curves, COLOURS, strict=False):
            plt.plot(xs, [float(v) for v in values], label=label, color=colour, marker="braille")
        plt.hline(0.0, "white")
        plt.vline(data.spot, "blue")
        if data.whatif_spot != data.spot:
            plt.vline(data.whatif_spot, "magenta")
        for b in data.breakevens:
            plt.vline(b, "red")
        if data.scenarios:
            plt.scatter(
                [s for _, s, _ in data.scenarios],
                [p for _, _, p in data.scenarios],
                label="scenarios",
                color="orange",
                marker="●",
            )
        for _label, kind, spot in data.levels:
            if xs[0] <= spot <= xs[-1]:
                plt.vline(spot, "gray" if kind == "stop" else "green")
        plt.title(title)
        plt.xlabel(f"{data.axis} price ($)  | blue: spot, red: breakevens, gray/green: stop/target")
        plt.ylabel("P&L ($)")
        self.refresh()
