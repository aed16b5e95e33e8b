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
    """Indices of the band points shown as columns: the first and the last (the screen's detail
    line lists every point)."""
    return tuple(dict.fromkeys((0, len(drawdowns) - 1)))


def legs_text(candidate: Candidate) -> str:
    """The legs in short: ``IWM 19Feb27 +54P277 -54P235`` (underlying and expiry once when the
    option legs share them), ``+28,810 TZA`` for shares and funds."""
    from pricing.types import OptionContract, OptionKind

    options = [leg for leg in candidate.legs if isinstance(leg.instrument, OptionContract)]
    heads = {(leg.instrument.underlying.upper(), leg.instrument.expiry) for leg in options}
    parts: list[str] = []
    if len(heads) == 1:
        underlying, expiry = next(iter(heads))
        parts.append(f"{underlying} {expiry:%d%b%y}")
    for leg in candidate.legs:
        inst = leg.instrument
        if isinstance(inst, OptionContract):
            letter = "C" if inst.kind is OptionKind.CALL else "P"
            head = "" if len(heads) == 1 else f"{inst.underlying.upper()} {inst.expiry:%d%b%y} "
            parts.append(f"{leg.quantity:+,}{head and ' ' + head}{letter}{inst.strike:g}")
        else:
            parts.append(f"{leg.quantity:+,} {getattr(inst, 'symbol', leg.label)}")
    return " ".join(parts)


def columns(result: SizingResult) -> tuple[str, ...]:
    """Column titles (amounts in dollars): protection at the shown band points (drawdowns in
    percent), residual loss at the last one, weighted P&L, theta per calendar day."""
    picks = band_picks(result.drawdowns)
    band = tuple(f"prot {100 * result.drawdowns[i]:g}%" for i in picks)
    last = f"resid {100 * result.drawdowns[-1]:g}%"
    return ("#", "structure", "legs", "qty", "cost", *band, last, "wtd P&L", "theta/d")


class SizingTable(DataTable[Text]):
    """Ranked candidates (rank, structure, legs, contracts, cost, protection at the band's
    first and last drawdown, residual loss at the last, probability-weighted P&L under
    the house view, carry per calendar day); then the integer mix and the best of each
    structure not already ranked. Row keys are ranks, ``mix`` and ``best <structure>``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.candidates: dict[str, Candidate] = {}

    def show(self, result: SizingResult) -> None:
        """Fill from a result: the ranked candidates, the mix, the best of each structure
        missing from the ranking."""
        self.clear(columns=True)
        for name in columns(result):
            self.add_column(
                Text(name, justify="left" if name in ("structure", "legs") else "right")
            )
        self.candidates = {}
        rows: list[tuple[str, Candidate]] = [(str(i), c) for i, c in enumerate(result.ranked, 1)]
        if result.mix is not None:
            rows.append(("mix", result.mix))
        for structure, best in result.best_by_structure.items():
            if best is not None and best not in result.ranked:
                rows.append((f"best {structure}", best))
        picks = band_picks(result.drawdowns)
        for rank, c in rows:
            self.candidates[rank] = c
            ok = c.meets_target and c.within_budget
            self.add_row(
                Text("best" if rank.startswith("best") else rank, justify="right"),
                Text(c.structure, style="" if ok else "dim"),
                Text(legs_text(c)),
                Text(f"{c.units:,}", justify="right"),
                Text(money(c.cost), justify="right"),
                *(Text(money(c.protection[i]), justify="right") for i in picks),
                Text(money(c.residual_loss[-1]), justify="right"),
                Text(money(c.weighted_pnl, signed=True), justify="right"),
                Text(money(c.carry_per_day, signed=True), justify="right"),
                key=rank,
            )

    def candidate_at(self, row_key: str | None) -> Candidate | None:
        """The candidate of a row key (None when unknown)."""
        return None if row_key is None else self.candidates.get(row_key)
