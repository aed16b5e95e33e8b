"""A :class:`~strategies.sizing.search.SizingResult` as a JSON-ready document (schema version 1,
described field by field by the pydantic models of ``tui.commands.size_schema``), as flat rows
for CSV, and the chosen candidate as a position file.

Document (dollars unless said; shares of the loss and drawdowns decimal)::

    schema_version      1
    synthetic, source   whether the data are SYNTHETIC, and where they came from
    as_of, horizon      ISO datetimes (the data's time, the horizon)
    spot                IWM spot (price units)
    book                {value, beta, benchmark, index_beta, beta_method, holdings: [...]}
    request             {band, band_step, cover, horizon_days, budget, structures, expiry_window,
                         max_hedge_ratio, loss_basis, vol_nodes}
    band                [{drawdown, book_loss}]
    scenarios           [{name, probability, spot_move, yield_shift_bp, vol_shift, horizon_days,
                          book_pnl}]
    candidates          ranked list of candidates (below)
    best_by_structure   {structure: candidate or null}
    mix                 candidate or null (the integer mix)
    frontier            [{protection, cost, candidate or null}]
    candidates_priced   count; seconds: search time; notes: method, rounding, data
    reference_sizes     [{rule, instrument, exact, contracts, rounding}]: beta-weighted notional
                        IWM/RUT/MRUT options; TZA and short IWM shares neutralising the cover
                        share of the beta-weighted dollar delta
    path_comparison     null, or the TZA hedge against a put spread of the same cost on simulated
                        paths: {paths, n_paths, trading_days, tza_dollars, tza_expected_cost,
                        spread_contracts, spread_premium, book / with_tza / with_spread: {label,
                        mean, std, p5, p25, p50, p75, p95, prob_loss_beyond, loss_threshold}}

Candidate: structure, name, units (integer contracts or shares), expiry, legs [{label,
instrument, quantity, fill_price}], premium, cost, carry_cost, carry_per_day, notional,
protection / covered / residual_loss (one per band point), min_covered, meets_target,
within_budget, scenario_pnl and hedged_scenario_pnl ({scenario: dollars}), weighted_pnl,
hedged_weighted_pnl, rounding.
"""

from __future__ import annotations

import math
from typing import Any

from pricing.types import OptionContract
from strategies.legs import LeveragedETF, Shares
from strategies.leveraged_paths import PathComparison
from strategies.positions import PositionFile, position_from_legs
from strategies.sizing.search import Candidate, SizingResult

SCHEMA_VERSION = 1


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def instrument_doc(instrument: Any) -> dict[str, Any]:
    """An instrument's terms (option, shares or leveraged ETF)."""
    if isinstance(instrument, OptionContract):
        return {
            "type": "option",
            "underlying": instrument.underlying.upper(),
            "kind": instrument.kind.value,
            "strike": instrument.strike,
            "expiry": instrument.expiry.isoformat(),
            "style": instrument.style.value,
            "settlement": instrument.settlement.value,
            "multiplier": instrument.multiplier,
        }
    if isinstance(instrument, Shares):
        return {"type": "shares", "symbol": instrument.symbol}
    assert isinstance(instrument, LeveragedETF)
    return {
        "type": "letf",
        "symbol": instrument.symbol,
        "index": instrument.index,
        "leverage": instrument.leverage,
        "expense_ratio": instrument.expense_ratio,
    }


def candidate_doc(c: Candidate) -> dict[str, Any]:
    """One candidate as a JSON-ready dict (fields in the module docstring)."""
    return {
        "structure": c.structure,
        "name": c.name,
        "units": c.units,
        "expiry": c.expiry.isoformat() if c.expiry else None,
        "legs": [
            {
                "label": leg.label,
                "instrument": instrument_doc(leg.instrument),
                "quantity": leg.quantity,
                "fill_price": leg.fill_price,
            }
            for leg in c.legs
        ],
        "premium": c.premium,
        "cost": c.cost,
        "carry_cost": c.carry_cost,
        "carry_per_day": c.carry_per_day,
        "notional": c.notional,
        "protection": list(c.protection),
        "covered": [_num(x) for x in c.covered],
        "residual_loss": list(c.residual_loss),
        "min_covered": c.min_covered,
        "meets_target": c.meets_target,
        "within_budget": c.within_budget,
        "scenario_pnl": dict(c.scenario_pnl),
        "hedged_scenario_pnl": dict(c.hedged_scenario_pnl),
        "weighted_pnl": c.weighted_pnl,
        "hedged_weighted_pnl": c.hedged_weighted_pnl,
        "rounding": c.rounding,
    }


def path_doc(comparison: PathComparison, origin: str) -> dict[str, Any]:
    """A TZA-versus-put-spread path comparison as a JSON-ready dict."""

    def dist(d: Any) -> dict[str, Any]:
        return {
            "label": d.label,
            "mean": d.mean,
            "std": d.std,
            "p5": d.percentiles[0],
            "p25": d.percentiles[1],
            "p50": d.percentiles[2],
            "p75": d.percentiles[3],
            "p95": d.percentiles[4],
            "prob_loss_beyond": d.prob_loss_beyond,
            "loss_threshold": d.loss_threshold,
        }

    return {
        "paths": origin,
        "n_paths": comparison.n_paths,
        "trading_days": comparison.days,
        "tza_dollars": comparison.tza_dollars,
        "tza_expected_cost": comparison.tza_expected_cost,
        "spread_contracts": comparison.spread_contracts,
        "spread_premium": comparison.spread_premium,
        "book": dist(comparison.book),
        "with_tza": dist(comparison.with_tza),
        "with_spread": dist(comparison.with_spread),
    }


def result_document(
    result: SizingResult, paths: tuple[PathComparison, str] | None = None
) -> dict[str, Any]:
    """The whole result as a JSON-ready dict (schema version 1, module docstring); ``paths``
    adds the TZA-versus-put-spread comparison (``path_comparison``, else null)."""
    req, book = result.request, result.book
    scenarios = [
        {
            "name": name,
            "probability": p,
            "book_pnl": result.book_scenario_pnl[name],
        }
        for name, p in zip(result.scenario_names, result.scenario_probabilities, strict=True)
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "synthetic": result.synthetic,
        "source": result.source,
        "as_of": result.as_of.isoformat(),
        "horizon": result.horizon.isoformat(),
        "spot": result.spot,
        "book": {
            "value": book.value,
            "beta": book.beta,
            "benchmark": book.benchmark,
            "index_beta": book.index_beta,
            "beta_method": book.beta_method,
            "holdings": [
                {
                    "ticker": h.ticker,
                    "value": h.value,
                    "beta": h.beta,
                    "beta_source": h.beta_source,
                    "shares": h.shares,
                }
                for h in book.holdings
            ],
        },
        "request": {
            "band": list(req.band),
            "band_step": req.band_step,
            "cover": req.cover,
            "horizon_days": req.horizon_days,
            "budget": req.budget,
            "structures": list(req.structures),
            "expiry_window": list(req.expiry_window),
            "max_hedge_ratio": req.max_hedge_ratio,
            "loss_basis": req.loss_basis,
            "vol_nodes": req.vol_nodes,
        },
        "band": [
            {"drawdown": d, "book_loss": loss}
            for d, loss in zip(result.drawdowns, result.book_loss, strict=True)
        ],
        "scenarios": scenarios,
        "candidates": [candidate_doc(c) for c in result.ranked],
        "best_by_structure": {
            k: (candidate_doc(v) if v else None) for k, v in result.best_by_structure.items()
        },
        "mix": candidate_doc(result.mix) if result.mix else None,
        "frontier": [
            {
                "protection": p.protection,
                "cost": _num(p.cost),
                "candidate": candidate_doc(p.candidate) if p.candidate else None,
            }
            for p in result.frontier
        ],
        "candidates_priced": result.candidates_priced,
        "seconds": result.seconds,
        "notes": list(result.notes),
        "reference_sizes": [
            {
                "rule": r.rule,
                "instrument": r.instrument,
                "exact": r.exact,
                "contracts": r.contracts,
                "rounding": r.rounding,
            }
            for r in result.reference_sizes
        ],
        "path_comparison": path_doc(*paths) if paths is not None else None,
    }


CSV_COLUMNS = (
    "rank",
    "structure",
    "name",
    "units",
    "expiry",
    "premium",
    "cost",
    "carry_cost",
    "carry_per_day",
    "notional",
    "min_covered",
    "meets_target",
    "within_budget",
    "weighted_pnl",
    "hedged_weighted_pnl",
)


def result_rows(result: SizingResult) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and one row per ranked candidate (then the mix, rank "mix"): the fields of
    :data:`CSV_COLUMNS`, ``protect_<d>``/``covered_<d>`` per band point (d in percent) and
    ``pnl_<scenario>`` per scenario (dollars)."""
    band_cols = [f"protect_{d * 100:g}" for d in result.drawdowns] + [
        f"covered_{d * 100:g}" for d in result.drawdowns
    ]
    scen_cols = [f"pnl_{s}" for s in result.scenario_names]
    columns = [*CSV_COLUMNS, *band_cols, *scen_cols]
    rows = []
    items: list[tuple[str, Candidate]] = [(str(i + 1), c) for i, c in enumerate(result.ranked)]
    if result.mix is not None:
        items.append(("mix", result.mix))
    for rank, c in items:
        row: dict[str, Any] = {
            "rank": rank,
            "structure": c.structure,
            "name": c.name,
            "units": c.units,
            "expiry": c.expiry.isoformat() if c.expiry else "",
            "premium": round(c.premium, 2),
            "cost": round(c.cost, 2),
            "carry_cost": round(c.carry_cost, 2),
            "carry_per_day": round(c.carry_per_day, 2),
            "notional": round(c.notional, 2),
            "min_covered": round(c.min_covered, 6),
            "meets_target": c.meets_target,
            "within_budget": c.within_budget,
            "weighted_pnl": round(c.weighted_pnl, 2),
            "hedged_weighted_pnl": round(c.hedged_weighted_pnl, 2),
        }
        for d, p, cov in zip(result.drawdowns, c.protection, c.covered, strict=True):
            row[f"protect_{d * 100:g}"] = round(p, 2)
            row[f"covered_{d * 100:g}"] = round(cov, 6) if math.isfinite(cov) else ""
        for s in result.scenario_names:
            row[f"pnl_{s}"] = round(c.scenario_pnl[s], 2)
        rows.append(row)
    return columns, rows


def position_for(candidate: Candidate, *, notes: str | None = None) -> PositionFile:
    """The candidate's legs (entered at their fill prices) as a position file."""
    strategy = candidate.strategy()
    underlying = next(
        (
            leg.instrument.underlying.upper()
            for leg in candidate.legs
            if isinstance(leg.instrument, OptionContract)
        ),
        "IWM",
    )
    name = candidate.name if len(candidate.name) <= 200 else candidate.name[:197] + "..."
    return position_from_legs(name, strategy.flat_legs(), underlying=underlying, notes=notes)
