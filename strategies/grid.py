"""Vectorised P&L of a strategy over spot x date x vol shift.

Public API (stable)
-------------------
:func:`pnl_grid` ``(strategy, ctx, *, spot_moves=None, spots=None, spot_range=(-0.3, 0.3),
n_spots=201, dates=None, n_dates=30, through=None, vol_shifts=(0.0,), premium=None,
basis="entry", axis=None, betas=None, keep_legs=False)`` -> :class:`PnLGrid` with

- ``spots`` (axis prices, shape ``(n_spots,)``) and ``spot_moves`` (decimal moves of the axis);
- ``dates`` (tz-aware datetimes, ``n_dates``; default evenly spaced from ``ctx.as_of`` to the
  first expiry's exact moment ``through``, both included; bare dates mean 16:00 New York);
- ``vol_shifts`` (decimal, added to the context's vols and its own ``vol_shift``);
- ``values`` (dollars, shape ``(n_spots, n_dates, n_vols)``), ``premium`` (dollars paid, + debit)
  and ``pnl = values - premium``; optionally ``leg_values`` per leg id.

The axis is the strategy's first driver unless ``axis`` is given. Legs on the Russell family
(RUT, MRUT, IWM) move with the axis by the same percentage; other drivers move by their beta to
the axis (:func:`co_moves`, betas from :data:`strategies.strategy.DEFAULT_BETAS` or ``betas``).
The context's market (spots, curve shifted by ``rate_shift_bp``, vols shifted by ``vol_shift``,
dividends) is used; its ``spot_move`` and ``days_forward`` are replaced by the grid's axes.

Models per leg and date: before expiry, American legs through :func:`pricing.american_price`
with ``ctx.american_engine`` (the fast default engine) and European legs through
Black-Scholes-Merton on the forward; at expiry the payoff; after expiry the settlement value
(intrinsic at the axis spot, no further change). European legs, shares and ETFs are one
vectorised call per (leg, date) over all spots x vol shifts; American slices are batched into as
few engine calls as the cash dividends allow (see ``_AmericanBatch``), and the engine solves once
per group of options that differ only in spot. Batched values agree with the one-option valuation
of :mod:`strategies.valuation` to the engine's accuracy (its finite-difference grid adapts to the
range of spots solved together: about 1e-5 per share).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

import pricing
from pricing.black_scholes import FloatArray
from pricing.errors import InputError
from pricing.types import NEW_YORK, ExerciseStyle, OptionContract
from strategies.pricing_context import PricingContext
from strategies.strategy import RUSSELL_FAMILY, PremiumBasis, Strategy, beta_of
from strategies.valuation import instrument_price

GRID_DATE_CLOCK = time(16, 0)


def co_moves(
    driver: str, axis: str, moves: ArrayLike, *, betas: Mapping[tuple[str, str], float] | None = None
) -> FloatArray:
    """Decimal moves of ``driver`` when the axis moves by ``moves``: the same for the Russell
    family and the same symbol, ``beta x move`` otherwise (floored at -99 %)."""
    m = np.asarray(moves, dtype=np.float64)
    d, a = driver.upper(), axis.upper()
    if d == a or (d in RUSSELL_FAMILY and a in RUSSELL_FAMILY):
        return m
    return np.asarray(np.maximum(beta_of(d, a, betas) * m, -0.99), dtype=np.float64)


def as_grid_datetime(value: date | datetime, field_name: str = "dates") -> datetime:
    """A tz-aware datetime from a datetime (must be aware) or a date (16:00 New York)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError(field_name, value, "must be timezone-aware")
        return value
    if isinstance(value, date):
        return datetime.combine(value, GRID_DATE_CLOCK, tzinfo=NEW_YORK)
    raise InputError(field_name, value, "must be a date or a datetime")


def expiry_moments(strategy: Strategy) -> tuple[datetime, ...]:
    """Sorted distinct exact expiry moments of the option legs."""
    return tuple(
        sorted(
            {
                leg.instrument.expiry_datetime
                for leg in strategy.iter_legs()
                if isinstance(leg.instrument, OptionContract)
            }
        )
    )


def default_dates(
    strategy: Strategy, ctx: PricingContext, n_dates: int = 30, through: date | datetime | None = None
) -> tuple[datetime, ...]:
    """``n_dates`` moments evenly spaced from ``ctx.as_of`` to ``through`` (default the first
    exact expiry moment after ``ctx.as_of``, or 30 days ahead without live options), both ends
    included."""
    if isinstance(n_dates, bool) or not isinstance(n_dates, int) or n_dates < 1:
        raise InputError("n_dates", n_dates, "must be an integer >= 1")
    start = ctx.as_of
    if through is None:
        moments = [m for m in expiry_moments(strategy) if m > start]
        end = moments[0] if moments else start + timedelta(days=30)
    else:
        end = as_grid_datetime(through, "through")
    if end <= start:
        raise InputError("through", end, f"must be after the valuation time {start}")
    if n_dates == 1:
        return (start,)
    span = end - start
    return tuple(start + span * (i / (n_dates - 1)) for i in range(n_dates))


@dataclass(frozen=True, slots=True, eq=False)
class PnLGrid:
    """P&L over spot x date x vol shift (see the module docstring for shapes and units)."""

    strategy: str
    axis: str
    spots: FloatArray
    spot_moves: FloatArray
    dates: tuple[datetime, ...]
    vol_shifts: FloatArray
    values: FloatArray
    premium: float
    leg_values: Mapping[str, FloatArray] = field(default_factory=dict)

    @property
    def pnl(self) -> FloatArray:
        """Dollars: ``values - premium``, shape ``(n_spots, n_dates, n_vols)``."""
        return np.asarray(self.values - self.premium, dtype=np.float64)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_spots, n_dates, n_vols)``."""
        return (len(self.spots), len(self.dates), len(self.vol_shifts))

    def date_index(self, when: date | datetime) -> int:
        """Index of the grid date nearest ``when``."""
        target = as_grid_datetime(when, "when")
        gaps = [abs((d - target).total_seconds()) for d in self.dates]
        return int(np.argmin(gaps))

    def spot_index(self, spot: float) -> int:
        """Index of the grid spot nearest ``spot`` (axis price units)."""
        return int(np.argmin(np.abs(self.spots - spot)))

    def curve(self, date_index: int = 0, vol_index: int | None = None) -> FloatArray:
        """P&L over spots for one date and vol shift (default: the shift nearest zero)."""
        if vol_index is None:
            vol_index = int(np.argmin(np.abs(self.vol_shifts)))
        return np.asarray(self.pnl[:, date_index, vol_index], dtype=np.float64)


class _AmericanBatch:
    """Collects the live American (leg, date) slices of a grid and prices them with as few
    :func:`pricing.american_price` calls as the dividends allow: one call per grid date whose
    cash dividends fall before some leg's expiry (the schedule is counted from that date), and one
    call for every slice with no cash dividend before its expiry, each call holding every leg,
    spot and vol shift it can. The engine solves once per group of options that differ only in
    spot."""

    def __init__(self, ctx: PricingContext, n_s: int, n_v: int) -> None:
        self.ctx = ctx
        self.n_s, self.n_v = n_s, n_v
        self.jobs: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        self._schedules: dict[tuple[str, datetime], pricing.DividendSchedule] = {}

    def _schedule(self, sym: str, at: datetime) -> pricing.DividendSchedule:
        key = (sym, at)
        if key not in self._schedules:
            self._schedules[key] = self.ctx.dividend_schedule(sym, _FAR_FUTURE, at)
        return self._schedules[key]

    def add(
        self,
        contract: OptionContract,
        moves: FloatArray,
        shift_row: FloatArray,
        at: datetime,
        target: FloatArray,
        j: int,
    ) -> None:
        """Queue ``contract`` at ``at`` over ``moves`` (column) x ``shift_row`` into
        ``target[:, j, :]`` (same inputs as :func:`strategies.valuation.option_inputs`)."""
        ctx = self.ctx
        sym = contract.underlying.upper()
        spot = np.asarray(ctx.base_spot(sym) * (1.0 + moves), dtype=np.float64)  # (n_s, 1)
        t = contract.t_years(at)
        r = ctx.rate(t)
        q = ctx.div_yield(sym)
        schedule = self._schedule(sym, at)
        pv = 0.0
        relevant = False
        for ti, amount in zip(schedule.times_years, schedule.amounts, strict=True):
            if 0.0 < ti <= t:
                pv += amount * math.exp(-r * ti)
                relevant = True
        forward = (spot - pv) * math.exp((r - q) * t)
        base_vol = np.asarray(ctx.implied_vol(sym, t, contract.strike, forward=np.maximum(forward, 1e-12)))
        vol = np.clip(base_vol + shift_row, 1e-3, 5.0)
        spot_b, vol_b = np.broadcast_arrays(spot, vol)
        key: tuple[Any, ...] = (sym, schedule.times_years, schedule.amounts) if relevant else (sym,)
        self.jobs.setdefault(key, []).append(
            (schedule if relevant else None, float(contract.kind.sign), spot_b, contract.strike,
             t, r, q, vol_b, target, j)
        )

    def run(self) -> None:
        """Price every queued slice and write it into its target."""
        size = self.n_s * self.n_v
        for jobs in self.jobs.values():
            scalars = np.asarray([job[1:2] + job[3:7] for job in jobs], dtype=np.float64)
            sign, strike, t, r, q = (np.repeat(scalars[:, c], size) for c in range(5))
            spot = np.concatenate([np.ravel(job[2]) for job in jobs])
            vol = np.concatenate([np.ravel(job[7]) for job in jobs])
            prices = pricing.american_price(
                kind=sign, spot=spot, strike=strike, t_years=t, rate=r, div_yield=q, vol=vol,
                dividends=jobs[0][0], engine=self.ctx.american_engine,
            )
            for n, job in enumerate(jobs):
                target, j = job[8], job[9]
                target[:, j, :] = prices[n * size:(n + 1) * size].reshape(self.n_s, self.n_v)


#: Far enough to include every cash dividend in a forecast (the engine uses those before expiry).
_FAR_FUTURE = datetime(2200, 1, 1, tzinfo=NEW_YORK)


def _spot_axis(
    ctx: PricingContext,
    axis: str,
    spots: ArrayLike | None,
    spot_moves: ArrayLike | None,
    spot_range: tuple[float, float],
    n_spots: int,
) -> tuple[FloatArray, FloatArray]:
    base = ctx.base_spot(axis)
    if spots is not None and spot_moves is not None:
        raise InputError("spots", "both", "give spots or spot_moves, not both")
    if spots is not None:
        s = np.asarray(spots, dtype=np.float64).ravel()
        if s.size == 0 or np.any(~np.isfinite(s)) or np.any(s <= 0.0):
            raise InputError("spots", spots, "must be a non-empty array of finite prices > 0")
        return s, np.asarray(s / base - 1.0, dtype=np.float64)
    if spot_moves is not None:
        m = np.asarray(spot_moves, dtype=np.float64).ravel()
    else:
        lo, hi = spot_range
        if not (-1.0 < lo < hi) or isinstance(n_spots, bool) or not isinstance(n_spots, int) or n_spots < 1:
            raise InputError("spot_range", (spot_range, n_spots), "need -1 < low < high and n_spots >= 1")
        m = np.linspace(lo, hi, n_spots)
    if m.size == 0 or np.any(~np.isfinite(m)) or np.any(m <= -1.0):
        raise InputError("spot_moves", spot_moves, "must be finite decimal moves > -1")
    return np.asarray(base * (1.0 + m), dtype=np.float64), m


def pnl_grid(
    strategy: Strategy,
    ctx: PricingContext,
    *,
    spot_moves: ArrayLike | None = None,
    spots: ArrayLike | None = None,
    spot_range: tuple[float, float] = (-0.3, 0.3),
    n_spots: int = 201,
    dates: Sequence[date | datetime] | None = None,
    n_dates: int = 30,
    through: date | datetime | None = None,
    vol_shifts: ArrayLike = (0.0,),
    premium: float | None = None,
    basis: PremiumBasis = "entry",
    axis: str | None = None,
    betas: Mapping[tuple[str, str], float] | None = None,
    keep_legs: bool = False,
) -> PnLGrid:
    """Value and P&L of ``strategy`` over spot x date x vol shift (see the module docstring)."""
    if not isinstance(strategy, Strategy):
        raise InputError("strategy", strategy, "must be a Strategy")
    ax = (axis or strategy.underlyings[0]).upper()
    market = ctx.bumped(spot_move=0.0, spot_moves={}, days_forward=0.0)
    grid_spots, moves = _spot_axis(market, ax, spots, spot_moves, spot_range, n_spots)
    if dates is None:
        when = default_dates(strategy, market, n_dates, through)
    else:
        when = tuple(as_grid_datetime(d) for d in dates)
        if not when:
            raise InputError("dates", dates, "must not be empty")
        for d in when:
            if d < market.as_of:
                raise InputError("dates", d, f"is before the valuation time {market.as_of}")
    shifts = np.asarray(vol_shifts, dtype=np.float64).ravel()
    if shifts.size == 0 or np.any(~np.isfinite(shifts)):
        raise InputError("vol_shifts", vol_shifts, "must be a non-empty array of finite decimals")
    n_s, n_d, n_v = len(grid_spots), len(when), len(shifts)
    values = np.zeros((n_s, n_d, n_v))
    per_leg: dict[str, FloatArray] = {}
    m_col = moves[:, None]
    v_row = shifts[None, :]
    legs = strategy.flat_legs()
    batch = _AmericanBatch(market, n_s, n_v)
    leg_grids: list[FloatArray] = []
    for leg in legs:
        leg_moves = co_moves(leg.driver, ax, m_col, betas=betas)
        leg_grid = np.zeros((n_s, n_d, n_v))
        contract = leg.contract
        for j, at in enumerate(when):
            if (
                contract is not None
                and contract.style is ExerciseStyle.AMERICAN
                and contract.t_years(at) > 0.0
            ):
                batch.add(contract, leg_moves, v_row, at, leg_grid, j)
                continue
            prices = instrument_price(
                leg.instrument, market, move=leg_moves, at=at, extra_vol_shift=v_row
            )
            leg_grid[:, j, :] = np.broadcast_to(prices, (n_s, n_v))
        leg_grids.append(leg_grid)
    batch.run()
    for index, (leg, leg_grid) in enumerate(zip(legs, leg_grids, strict=True)):
        leg_grid *= leg.units
        values += leg_grid
        if keep_legs:
            key = leg.leg_id if leg.leg_id not in per_leg else f"{leg.leg_id}#{index}"
            per_leg[key] = leg_grid
    paid = float(premium) if premium is not None else strategy.net_premium(market, basis=basis)
    return PnLGrid(
        strategy=strategy.name, axis=ax, spots=grid_spots, spot_moves=moves, dates=when,
        vol_shifts=shifts, values=values, premium=paid, leg_values=per_leg,
    )
