"""The data of a payoff chart: what ``hedge payoff --png`` draws and what the app plots (issue 8,
"one core").

:func:`payoff_chart` returns a :class:`PayoffChart`: the P&L in dollars of the whole position
against the reference symbol's price (:func:`strategies.scenarios.reference_symbol`) on a spot
grid that spans 70 %-130 % of spot, the scenario spots and the breakevens (with 3 % margin), with
the strikes (kinks) inserted so that the expiry curve is exact at its corners; curves at the
first expiry (when the strategy has one), today (the context's valuation time) and a chosen date
(default :func:`default_chart_date`, halfway to the first expiry); the house-view and stress
scenario points (spot, P&L); today's spot and the breakevens. Other legs move with the
reference by the house betas (:data:`strategies.betas.HOUSE_BETAS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from pricing.black_scholes import FloatArray
from pricing.errors import InputError
from strategies.betas import HOUSE_BETAS
from strategies.payoff import analyze, first_expiry_datetime, kink_points, pnl_curve
from strategies.pricing_context import PricingContext
from strategies.scenarios import HOUSE_VIEW, reference_symbol, run_scenarios, stress_scenarios
from strategies.strategy import Strategy


@dataclass(frozen=True, slots=True)
class PayoffCurve:
    """One P&L curve: ``label`` (``"expiry 2026-12-18"``, ``"today 2026-11-20"`` or the date),
    ``role`` (``"expiry"``, ``"today"`` or ``"date"``), the time ``at`` it is priced and its
    ``pnl`` in dollars on :attr:`PayoffChart.spots`."""

    label: str
    role: str
    at: datetime
    pnl: FloatArray


@dataclass(frozen=True, slots=True)
class ScenarioPoint:
    """A scenario's reference spot (price units) and the position's P&L there (dollars)."""

    name: str
    spot: float
    pnl: float


@dataclass(frozen=True, slots=True)
class PayoffChart:
    """Everything a payoff chart shows (see the module docstring). ``axis`` is the reference
    symbol; ``spots`` the x grid (its price units); ``low``/``high`` the range; ``kinks`` the
    strikes inside it; ``spot`` today's price; ``date`` the chosen date; ``breakevens`` the
    axis prices where the P&L at expiry (or the analysed date) is zero; ``premium`` the entry
    cost in dollars (+ debit)."""

    strategy_name: str
    axis: str
    spot: float
    premium: float
    low: float
    high: float
    spots: FloatArray
    kinks: tuple[float, ...]
    date: datetime
    curves: tuple[PayoffCurve, ...]
    breakevens: tuple[float, ...]
    scenarios: tuple[ScenarioPoint, ...]


def default_chart_date(strategy: Strategy, ctx: PricingContext) -> datetime:
    """Halfway from the valuation time to the first expiry (30 days out without an expiry)."""
    first = first_expiry_datetime(strategy)
    end = first or ctx.as_of + timedelta(days=30)
    return ctx.as_of + (end - ctx.as_of) / 2


def kinks_on_axis(strategy: Strategy, axis: str) -> list[float]:
    """The strikes in ``axis`` price units (empty when a leg cannot be put on that axis)."""
    try:
        return list(kink_points(strategy, axis=axis))
    except InputError:
        return []


def payoff_chart(
    strategy: Strategy, ctx: PricingContext, *, when: datetime | None = None, n_points: int = 241
) -> PayoffChart:
    """The chart data of ``strategy`` in ``ctx`` (the unbumped context: pass ``ctx.base()``),
    with the third curve at ``when`` (default :func:`default_chart_date`) on ``n_points`` spots
    plus the kinks. :class:`InputError` (field ``date``) when ``when`` is before the valuation
    time."""
    ref = reference_symbol(strategy)
    spot = ctx.spot(ref)
    premium = strategy.net_premium(ctx)
    first = first_expiry_datetime(strategy)
    chosen = when or default_chart_date(strategy, ctx)
    if chosen < ctx.as_of:
        raise InputError("date", chosen, f"is before the data's time {ctx.as_of:%Y-%m-%d}")
    analysis = analyze(strategy, ctx, premium=premium, axis=ref)
    house = run_scenarios(strategy, ctx, HOUSE_VIEW)
    stress = run_scenarios(strategy, ctx, list(stress_scenarios()))
    points = tuple(
        ScenarioPoint(r.scenario.name, r.spot, r.pnl) for r in (*house.results, *stress.results)
    )
    lo = min([spot * 0.7, *[p.spot for p in points], *[b * 0.97 for b in analysis.breakevens]])
    hi = max([spot * 1.3, *[p.spot for p in points], *[b * 1.03 for b in analysis.breakevens]])
    kinks = tuple(k for k in kinks_on_axis(strategy, ref) if lo < k < hi)
    grid = np.union1d(np.linspace(max(lo, 1e-6), hi, n_points), np.asarray(kinks, dtype=float))
    table = HOUSE_BETAS.table
    wanted: list[tuple[str, str, datetime]] = []
    if first is not None:
        wanted.append((f"expiry {first:%Y-%m-%d}", "expiry", first))
    wanted.append((f"today {ctx.as_of:%Y-%m-%d}", "today", ctx.as_of))
    wanted.append((f"{chosen:%Y-%m-%d}", "date", chosen))
    curves = tuple(
        PayoffCurve(
            label,
            role,
            at,
            np.asarray(
                pnl_curve(strategy, ctx, grid, at=at, premium=premium, axis=ref, betas=table),
                dtype=np.float64,
            ),
        )
        for label, role, at in wanted
    )
    return PayoffChart(
        strategy.name,
        ref,
        spot,
        premium,
        lo,
        hi,
        grid,
        kinks,
        chosen,
        curves,
        tuple(analysis.breakevens),
        points,
    )
