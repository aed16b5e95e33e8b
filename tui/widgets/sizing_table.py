"""The ranked hedges of a sizing search (:func:`strategies.sizing.search.size_hedge`): one row a
candidate (then the integer mix), every number as the core computed it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

from tui.fmt import money

if TYPE_CHECKING:
    from strategies.sizing.search import Candidate, SizingResult


def band_picks(drawdowns: tuple[float, ...]) -> tuple[int, ...]:
    """Indices of the band points shown as columns: the first, the middle and the last."""
    n = len(drawdowns)
    return tuple(dict.fromkeys((0, n // 2, n - 1)))


def legs_text(candidate: Candidate) -> str:
    """The legs as ``+40 IWM 2027-01-15 P270, -40 … P250`` (signed contracts or shares)."""
    return ", ".join(f"{leg.quantity:+,} {leg.label}" for leg in candidate.legs)


def columns(result: SizingResult) -> tuple[str, ...]:
    """Column titles: protection ($) at the shown band points, residual loss at the last one."""
    picks = band_picks(result.drawdowns)
    band = tuple(f"prot -{100 * result.drawdowns[i]:g}% $" for i in picks)
    last = f"resid -{100 * result.drawdowns[-1]:g}% $"
    return (
        "#",
        "structure",
        "contracts",
        "cost $",
        *band,
        last,
        "wtd P&L $",
        "theta/day $",
        "legs",
    )


class SizingTable(DataTable[Text]):
    """Ranked candidates (rank, structure, contracts, cost, protection at the band's first,
    middle and last drawdown, residual loss at the last, probability-weighted P&L under the
    house view, carry per calendar day, legs); row keys are ranks (``mix`` for the mix)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.candidates: dict[str, Candidate] = {}

    def show(self, result: SizingResult) -> None:
        """Fill from a result."""
        self.clear(columns=True)
        for name in columns(result):
            self.add_column(
                Text(name, justify="left" if name in ("structure", "legs") else "right")
            )
        self.candidates = {}
        rows: list[tuple[str, Candidate]] = [(str(i), c) for i, c in enumerate(result.ranked, 1)]
        if result.mix is not None:
            rows.append(("mix", result.mix))
        picks = band_picks(result.drawdowns)
        for rank, c in rows:
            self.candidates[rank] = c
            ok = c.meets_target and c.within_budget
            self.add_row(
                Text(rank, justify="right"),
                Text(c.structure, style="" if ok else "dim"),
                Text(f"{c.units:,}", justify="right"),
                Text(money(c.cost), justify="right"),
                *(Text(money(c.protection[i]), justify="right") for i in picks),
                Text(money(c.residual_loss[-1]), justify="right"),
                Text(money(c.weighted_pnl, signed=True), justify="right"),
                Text(money(c.carry_per_day, signed=True), justify="right"),
                Text(legs_text(c)),
                key=rank,
            )

    def candidate_at(self, row_key: str | None) -> Candidate | None:
        """The candidate of a row key (None when unknown)."""
        return None if row_key is None else self.candidates.get(row_key)
