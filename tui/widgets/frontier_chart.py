"""The cost-versus-protection frontier of a sizing search: the least premium (dollars) that
covers each share of the book's loss at every band point, with the ranked candidates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual_plotext import PlotextPlot

if TYPE_CHECKING:
    from strategies.sizing.search import SizingResult


class FrontierChart(PlotextPlot):
    """Draws a :class:`strategies.sizing.search.SizingResult`'s frontier (line) and ranked
    candidates (points): x the share of the loss covered at the worst band point (%), y the cost
    (dollars)."""

    def show(self, result: SizingResult) -> None:
        """Redraw for ``result``."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        points = [p for p in result.frontier if p.candidate is not None]
        if points:
            plt.plot(
                [100.0 * p.protection for p in points],
                [p.cost for p in points],
                label="frontier (least cost)",
                color="cyan",
                marker="braille",
            )
        if result.ranked:
            plt.scatter(
                [100.0 * c.min_covered for c in result.ranked],
                [c.cost for c in result.ranked],
                label="ranked",
                color="orange",
                marker="●",
            )
        plt.title("cost vs protection")
        plt.xlabel("loss covered at every band point (%)")
        plt.ylabel("cost ($)")
        self.refresh()
