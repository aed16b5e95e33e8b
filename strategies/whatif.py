"""What-if analysis of a strategy: the numbers a builder screen shows while the user slides the
date, shifts vol, spot or rates.

Everything here is the strategies layer's own numbers, gathered for one view:

- :class:`WhatIf`: the user's bumps: ``days_forward`` (calendar days after the data's time),
  ``vol_shift`` (decimal, 0.01 = +1 vol point, parallel on every implied vol), ``spot_move``
  (decimal move of the underlying family, -0.05 = -5 %), ``rate_shift_bp`` (parallel shift of the
  discount curve in basis points). :meth:`WhatIf.context` turns them into a bumped
  :class:`~strategies.pricing_context.PricingContext`.
- :func:`whatif_numbers`: value, P&L and position Greeks at the what-if
  (:meth:`strategies.strategy.Strategy.risk` on the bumped context; American legs priced by the
  American engine, never by the expiry formula), beta-weighted to IWM and to SPY.
- :func:`payoff_chart_data`: P&L curves (dollars) against the reference spot at the first
  expiry, today and the chosen date (one :func:`strategies.grid.pnl_grid` call, which batches
  the American legs), with the spot, the breakevens, the scenario points and the stop / target
  levels to mark.
- :func:`heat_map`: P&L (dollars) over spot (rows) x date (columns) at the what-if vol and rate.
- :func:`weighted_house_view`: the house view with user weights (validated to sum to 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from pricing.errors import InputError
from strategies.betas import beta_of
from strategies.grid import expiry_moments, pnl_grid
from strategies.pricing_context import PricingContext
from strategies.scenarios import HOUSE_VIEW, Scenario, ScenarioSet, reference_symbol
from strategies.strategy import Strategy
from strategies.valuation import GreekSet

FloatArray = NDArray[np.float64]

#: Largest vol shift a what-if accepts (decimal: 0.5 = 50 vol points).
MAX_VOL_SHIFT = 0.5
#: Largest spot move a what-if accepts (decimal, either way).
MAX_SPOT_MOVE = 0.5
#: Largest rate shift a what-if accepts (basis points, either way).
MAX_RATE_SHIFT_BP = 500.0


@dataclass(frozen=True, slots=True)
class WhatIf:
    """User bumps: ``days_forward`` calendar days (>= 0), ``vol_shift`` decimal (0.01 = +1 vol
    point), ``spot_move`` decimal (-0.05 = -5 %), ``rate_shift_bp`` basis points."""

    days_forward: float = 0.0
    vol_shift: float = 0.0
    spot_move: float = 0.0
    rate_shift_bp: float = 0.0

    def __post_init__(self) -> None:
        for name in ("days_forward", "vol_shift", "spot_move", "rate_shift_bp"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise InputError(name, value, "must be a finite number")
            object.__setattr__(self, name, float(value))
        if self.days_forward < 0.0:
            raise InputError("days_forward", self.days_forward, "must be >= 0 calendar days")
        if abs(self.vol_shift) > MAX_VOL_SHIFT:
            raise InputError(
                "vol_shift", self.vol_shift, f"must be within +-{MAX_VOL_SHIFT} (decimal)"
            )
        if abs(self.spot_move) > MAX_SPOT_MOVE:
            raise InputError(
                "spot_move", self.spot_move, f"must be within +-{MAX_SPOT_MOVE} (decimal)"
            )
        if abs(self.rate_shift_bp) > MAX_RATE_SHIFT_BP:
            raise InputError(
                "rate_shift_bp", self.rate_shift_bp, f"must be within +-{MAX_RATE_SHIFT_BP:g} bp"
            )

    @property
    def is_base(self) -> bool:
        """True when no bump is applied."""
        return self == WhatIf()

    def context(self, ctx: PricingContext) -> PricingContext:
        """``ctx`` without its own bumps, then with these."""
        return ctx.base().bumped(
            days_forward=self.days_forward,
            vol_shift=self.vol_shift,
            spot_move=self.spot_move,
            rate_shift_bp=self.rate_shift_bp,
        )

    def at(self, ctx: PricingContext) -> datetime:
        """The what-if valuation time: the data's time plus ``days_forward``."""
        return ctx.as_of + timedelta(days=self.days_forward)


def last_expiry_days(strategy: Strategy, ctx: PricingContext) -> float:
    """Calendar days from the data's time to the strategy's last expiry moment (0 without
    options or when every leg has expired): the date slider's range."""
    moments = expiry_moments(strategy)
    if not moments:
        return 0.0
    span = (max(moments) - ctx.as_of).total_seconds() / 86400.0
    return max(0.0, span)


@dataclass(frozen=True, slots=True)
class LegNumbers:
    """One leg at the what-if: ``price`` per share, ``value`` dollars, ``greeks`` position
    Greeks (per share x quantity x multiplier; units of :class:`pricing.greeks.GreekSet`),
    ``per_share`` Greeks, ``iv`` (decimal vol used, None for non-options)."""

    leg_id: str
    price: float
    value: float
    per_share: GreekSet
    greeks: GreekSet
    iv: float | None


@dataclass(frozen=True, slots=True)
class WhatIfNumbers:
    """The position at the what-if: ``at`` (valuation time), ``value`` (dollars), ``pnl``
    (dollars: value minus the entry cost), ``greeks`` (position totals: delta in shares, gamma
    per 1.00 of spot, vega dollars per vol point, theta dollars per calendar day, rho dollars per
    1 % rate), ``dollar_delta`` (dollars per 100 % move of each driver), ``beta_weighted``
    (benchmark -> beta-weighted delta in benchmark shares, for IWM and SPY when their spots are
    known), ``legs``."""

    whatif: WhatIf
    at: datetime
    value: float
    pnl: float
    premium: float
    greeks: GreekSet
    dollar_delta: float
    beta_weighted: Mapping[str, float]
    legs: tuple[LegNumbers, ...] = field(default=())


def _known(ctx: PricingContext, symbol: str) -> bool:
    try:
        ctx.spot(symbol)
    except InputError:
        return False
    return True


def whatif_numbers(
    strategy: Strategy,
    ctx: PricingContext,
    whatif: WhatIf,
    *,
    benchmarks: Sequence[str] = ("IWM", "SPY"),
) -> WhatIfNumbers:
    """Value, P&L and Greeks of ``strategy`` at ``whatif`` (see :class:`WhatIfNumbers`): one
    :meth:`Strategy.risk` on the bumped context; the legs' dollar deltas weighted by
    :func:`strategies.betas.beta_of` to each benchmark whose spot ``ctx`` knows."""
    bumped = whatif.context(ctx)
    premium = strategy.net_premium(ctx.base())
    known = [b.upper() for b in benchmarks if _known(bumped, b)]
    if not known:
        known = [reference_symbol(strategy)]
    first = strategy.risk(bumped, benchmark=known[0])
    beta_weighted = {known[0]: first.beta_weighted_delta}
    for bench in known[1:]:  # the same legs weighted to another benchmark (no repricing)
        dollars = math.fsum(r.dollar_delta * beta_of(r.driver, bench) for r in first.legs)
        beta_weighted[bench] = dollars / bumped.spot(bench)
    legs = []
    for row in first.legs:
        contract = row.leg.contract
        iv = None
        if contract is not None and contract.t_years(bumped.valuation_datetime) > 0.0:
            t_years = contract.t_years(bumped.valuation_datetime)
            iv = float(bumped.implied_vol(contract.underlying, t_years, contract.strike))
        legs.append(
            LegNumbers(row.leg.leg_id, row.price, row.value, row.per_share, row.position, iv)
        )
    return WhatIfNumbers(
        whatif=whatif,
        at=bumped.valuation_datetime,
        value=first.value,
        pnl=first.value - premium,
        premium=premium,
        greeks=first.position,
        dollar_delta=first.dollar_delta,
        beta_weighted=beta_weighted,
        legs=tuple(legs),
    )


@dataclass(frozen=True, slots=True)
class PayoffChartData:
    """What a payoff chart draws. ``axis``: the reference symbol; ``spots``: its prices (x);
    ``curves``: ``(label, time, P&L dollars per x)`` for the first expiry, today and the chosen
    date (today and the chosen date at the what-if vol and rate); ``spot``: today's spot;
    ``whatif_spot``: the spot after the what-if move; ``breakevens`` at the first expiry;
    ``scenarios``: ``(name, spot, P&L)`` points; ``levels``: ``(label, kind, spot)``."""

    axis: str
    spots: FloatArray
    curves: tuple[tuple[str, datetime, FloatArray], ...]
    spot: float
    whatif_spot: float
    breakevens: tuple[float, ...]
    scenarios: tuple[tuple[str, float, float], ...]
    levels: tuple[tuple[str, str, float], ...]


def payoff_chart_data(
    strategy: Strategy,
    ctx: PricingContext,
    whatif: WhatIf,
    *,
    breakevens: Sequence[float] = (),
    scenarios: Sequence[tuple[str, float, float]] = (),
    levels: Sequence[tuple[str, str, float]] = (),
    span: float = 0.25,
    n_points: int = 121,
) -> PayoffChartData:
    """P&L curves of ``strategy`` (see :class:`PayoffChartData`) over the reference spot
    +-``span`` (decimal, widened to hold the breakevens and scenario spots), ``n_points`` prices.
    Priced with :func:`strategies.grid.pnl_grid` (American legs by the American engine) at the
    what-if vol shift and rate shift; the spot move is a marker, not a curve."""
    if not 0.0 < span < 1.0:
        raise InputError("span", span, "must be a decimal in (0, 1)")
    if n_points < 3:
        raise InputError("n_points", n_points, "must be >= 3")
    base = ctx.base()
    ref = reference_symbol(strategy)
    spot = base.spot(ref)
    marks = [*breakevens, *(s for _, s, _ in scenarios)]
    lo = min([spot * (1.0 - span), *(m * 0.98 for m in marks if m > 0.0)])
    hi = max([spot * (1.0 + span), *(m * 1.02 for m in marks if m > 0.0)])
    grid = np.linspace(max(lo, 1e-6), hi, n_points)
    market = base.bumped(rate_shift_bp=whatif.rate_shift_bp)
    chosen = whatif.at(base)
    moments = [m for m in expiry_moments(strategy) if m > base.as_of]
    first = min(moments) if moments else None
    rows: list[tuple[str, datetime]] = []
    if first is not None:
        rows.append((f"expiry {first:%Y-%m-%d}", first))
    rows.append((f"today {base.as_of:%Y-%m-%d}", base.as_of))
    if whatif.days_forward > 0.0 and (first is None or chosen < first):
        rows.append((f"date {chosen:%Y-%m-%d}", chosen))
    premium = strategy.net_premium(base)
    result = pnl_grid(
        strategy,
        market,
        spots=grid,
        dates=[when for _, when in rows],
        vol_shifts=(whatif.vol_shift,),
        premium=premium,
        axis=ref,
    )
    pnl = result.pnl[:, :, 0]
    curves = tuple(
        (label, when, np.asarray(pnl[:, j], dtype=np.float64))
        for j, (label, when) in enumerate(rows)
    )
    return PayoffChartData(
        axis=ref,
        spots=grid,
        curves=curves,
        spot=spot,
        whatif_spot=spot * (1.0 + whatif.spot_move),
        breakevens=tuple(breakevens),
        scenarios=tuple(scenarios),
        levels=tuple(levels),
    )


@dataclass(frozen=True, slots=True)
class HeatMap:
    """P&L (dollars) over ``spots`` (rows, reference price units) x ``dates`` (columns);
    ``spot_row``: the row nearest today's spot."""

    axis: str
    spots: FloatArray
    dates: tuple[datetime, ...]
    pnl: FloatArray
    spot_row: int


def heat_map(
    strategy: Strategy,
    ctx: PricingContext,
    whatif: WhatIf,
    *,
    n_spots: int = 13,
    n_dates: int = 7,
    span: float = 0.15,
) -> HeatMap:
    """P&L over ``n_spots`` reference prices within +-``span`` (decimal) of today's spot, one row
    exactly at spot, and ``n_dates`` dates from today to the last expiry, at the what-if vol and
    rate shifts (:func:`strategies.grid.pnl_grid`)."""
    if n_spots < 3 or n_spots % 2 == 0:
        raise InputError("n_spots", n_spots, "must be an odd number >= 3 (one row at spot)")
    if n_dates < 2:
        raise InputError("n_dates", n_dates, "must be >= 2")
    base = ctx.base()
    ref = reference_symbol(strategy)
    spot = base.spot(ref)
    moves = np.linspace(span, -span, n_spots)
    moves[n_spots // 2] = 0.0
    days = last_expiry_days(strategy, base)
    dates = [base.as_of + timedelta(days=days * i / (n_dates - 1)) for i in range(n_dates)]
    result = pnl_grid(
        strategy,
        base.bumped(rate_shift_bp=whatif.rate_shift_bp),
        spot_moves=moves,
        dates=dates,
        vol_shifts=(whatif.vol_shift,),
        axis=ref,
        premium=strategy.net_premium(base),
    )
    return HeatMap(
        ref, np.asarray(spot * (1.0 + moves)), tuple(dates), result.pnl[:, :, 0], n_spots // 2
    )


def weighted_house_view(
    weights: Mapping[str, float], base: ScenarioSet = HOUSE_VIEW
) -> ScenarioSet:
    """``base`` with the probabilities replaced by ``weights`` (scenario name -> probability in
    [0, 1]; every scenario named, summing to 1). Raises :class:`InputError` naming the field."""
    names = [s.name for s in base]
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise InputError("scenario_weights", unknown, f"unknown scenarios; the set has {names}")
    missing = [n for n in names if n not in weights]
    if missing:
        raise InputError("scenario_weights", missing, "give a weight for every scenario")
    scenarios: list[Scenario] = []
    for s in base:
        w = weights[s.name]
        if (
            isinstance(w, bool)
            or not isinstance(w, (int, float))
            or not math.isfinite(w)
            or not 0.0 <= w <= 1.0
        ):
            raise InputError(f"scenario_weights.{s.name}", w, "must be a probability in [0, 1]")
        scenarios.append(s.with_probability(float(w)))
    return ScenarioSet(base.name, tuple(scenarios), base.description)
