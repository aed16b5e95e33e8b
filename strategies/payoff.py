"""Expiry payoffs, breakevens and maximum profit / loss.

Public API (stable)
-------------------
- :func:`payoff_profile` ``(strategy, *, axis=None, rut_per_iwm=10.06)`` ->
  :class:`PayoffProfile`: the exact expiry value as a piecewise-linear function of the axis
  underlying's price, with kinks only at strikes (option and share legs; every option expiring on
  the same date).
- :func:`expiry_payoff` ``(strategy, spots, ...)`` -> dollars at expiry (value, not P&L).
- :func:`breakevens_at_expiry` ``(strategy, premium=None, ...)`` -> exact roots of the P&L,
  solving each linear piece.
- :func:`max_profit_loss` ``(strategy, premium=None, ...)`` -> :class:`ProfitLoss` with the
  unbounded sides flagged.
- :func:`pnl_curve` ``(strategy, ctx, spots, *, at=None, premium=None)`` -> priced P&L at any
  date (legs not yet expired priced by the model; expired legs at settlement).
- :func:`breakevens` and :func:`analyze` dispatch: exact at a common expiry; for calendars and
  diagonals (mixed expiries) or leveraged ETFs, the curve at ``at`` (default: the first expiry,
  later legs priced) with breakevens found by :func:`scipy.optimize.brentq` on the priced curve.

Units: spots in the axis underlying's price units (default: the strategy's first driver; RUT,
MRUT and IWM legs convert through RUT = 10 MRUT = ``rut_per_iwm`` IWM); values in dollars;
``premium`` is the net premium paid (+ debit, - credit), default the strategy's entry prices.
Spot domain [0, inf): the left tail ends at 0, so only the right tail can be unbounded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from pricing.black_scholes import FloatArray
from pricing.errors import InputError
from pricing.types import NEW_YORK, OptionContract
from strategies.legs import Leg, LeveragedETF, Shares
from strategies.pricing_context import DEFAULT_RUT_PER_IWM, RUT_PER_MRUT, PricingContext
from strategies.strategy import Strategy
from strategies.valuation import instrument_price

_TOL = 1e-9


def family_ratio(symbol: str, rut_per_iwm: float = DEFAULT_RUT_PER_IWM) -> float | None:
    """RUT points per unit of ``symbol`` for the Russell family (None for other symbols)."""
    return {"RUT": 1.0, "MRUT": RUT_PER_MRUT, "IWM": rut_per_iwm}.get(symbol.upper())


def axis_factor(driver: str, axis: str, rut_per_iwm: float = DEFAULT_RUT_PER_IWM) -> float:
    """The factor ``f`` with ``driver price = f x axis price`` (1 for the same symbol; Russell
    family ratios otherwise); raises for unrelated symbols."""
    d, a = driver.upper(), axis.upper()
    if d == a:
        return 1.0
    rd, ra = family_ratio(d, rut_per_iwm), family_ratio(a, rut_per_iwm)
    if rd is None or ra is None:
        raise InputError("axis", axis, f"leg on {d} cannot be drawn against {a}: unrelated underlyings")
    return ra / rd


def _default_axis(strategy: Strategy) -> str:
    return strategy.underlyings[0]


@dataclass(frozen=True, slots=True)
class PayoffProfile:
    """A continuous piecewise-linear function on [0, inf): ``values`` at sorted ``knots`` (axis
    prices; the first knot is 0), and ``right_slope`` (dollars per 1.00 of axis price) beyond
    the last knot."""

    axis: str
    knots: tuple[float, ...]
    values: tuple[float, ...]
    right_slope: float

    def __call__(self, spots: ArrayLike) -> FloatArray:
        """Value (dollars) at ``spots`` (axis price units, >= 0)."""
        s = np.asarray(spots, dtype=np.float64)
        inner = np.interp(s, self.knots, self.values)
        beyond = self.values[-1] + self.right_slope * (s - self.knots[-1])
        return np.asarray(np.where(s > self.knots[-1], beyond, inner), dtype=np.float64)

    @property
    def slopes(self) -> tuple[float, ...]:
        """Slope of each piece: between consecutive knots, then the right tail."""
        k, v = self.knots, self.values
        inner = tuple((v[i + 1] - v[i]) / (k[i + 1] - k[i]) for i in range(len(k) - 1))
        return (*inner, self.right_slope)

    def shifted(self, amount: float) -> PayoffProfile:
        """The profile plus a constant (e.g. minus the premium, for P&L)."""
        return PayoffProfile(self.axis, self.knots, tuple(x + amount for x in self.values), self.right_slope)

    def roots(self) -> tuple[float, ...]:
        """Exact zeros (axis prices), solving each linear piece; a piece identically zero
        contributes its end points."""
        k, v = self.knots, self.values
        out: list[float] = []
        for i in range(len(k) - 1):
            a, b = v[i], v[i + 1]
            if abs(a) <= _TOL:
                out.append(k[i])
            if (a < -_TOL < _TOL < b) or (b < -_TOL < _TOL < a):
                out.append(k[i] + (k[i + 1] - k[i]) * (-a) / (b - a))
        last = v[-1]
        if abs(last) <= _TOL:
            out.append(k[-1])
        elif self.right_slope != 0.0 and (last > 0) != (self.right_slope > 0):
            out.append(k[-1] - last / self.right_slope)
        cleaned: list[float] = []
        for r in sorted(out):
            if not cleaned or abs(r - cleaned[-1]) > 1e-9 * max(1.0, abs(r)):
                cleaned.append(r)
        return tuple(cleaned)


@dataclass(frozen=True, slots=True)
class ProfitLoss:
    """Maximum profit and maximum loss (dollars; the loss as a positive number), the axis prices
    where they occur (None when unbounded), and flags for an unbounded side."""

    max_profit: float
    max_loss: float
    profit_unbounded: bool
    loss_unbounded: bool
    max_profit_at: float | None
    max_loss_at: float | None


@dataclass(frozen=True, slots=True)
class PayoffAnalysis:
    """Everything the ``hedge payoff`` view needs: the evaluation moment, premium, breakevens and
    max profit/loss, and whether they are exact (piecewise-linear) or from the priced curve."""

    at: datetime | None
    premium: float
    breakevens: tuple[float, ...]
    profit_loss: ProfitLoss
    exact: bool


def _linear_legs(strategy: Strategy) -> list[Leg]:
    legs = strategy.flat_legs()
    for leg in legs:
        if isinstance(leg.instrument, LeveragedETF):
            raise InputError(
                "legs", leg.leg_id, "a leveraged ETF has no linear expiry payoff: price it with pnl_curve"
            )
    return list(legs)


def payoff_profile(
    strategy: Strategy, *, axis: str | None = None, rut_per_iwm: float = DEFAULT_RUT_PER_IWM
) -> PayoffProfile:
    """The exact expiry value of the option and share legs as a :class:`PayoffProfile`.

    Every option leg is taken at its own expiry (call it with mixed expiries only if you want the
    sum of terminal payoffs; :func:`analyze` handles calendars properly)."""
    legs = _linear_legs(strategy)
    ax = (axis or _default_axis(strategy)).upper()
    kinks: set[float] = set()
    for leg in legs:
        if isinstance(leg.instrument, OptionContract):
            f = axis_factor(leg.symbol, ax, rut_per_iwm)
            kinks.add(leg.instrument.strike / f)
    knots = (0.0, *sorted(k for k in kinks if k > 0.0))

    def value_at(s: float) -> float:
        total = 0.0
        for leg in legs:
            f = axis_factor(leg.symbol, ax, rut_per_iwm)
            price = s * f
            if isinstance(leg.instrument, OptionContract):
                total += leg.instrument.intrinsic(price) * leg.units
            else:
                total += price * leg.units
        return total

    values = tuple(value_at(k) for k in knots)
    slope = 0.0
    for leg in legs:
        f = axis_factor(leg.symbol, ax, rut_per_iwm)
        inst = leg.instrument
        if isinstance(inst, OptionContract):
            if inst.kind.sign > 0:
                slope += f * leg.units
        elif isinstance(inst, Shares):
            slope += f * leg.units
    return PayoffProfile(ax, knots, values, slope)


def _premium(strategy: Strategy, premium: float | None, ctx: PricingContext | None) -> float:
    if premium is not None:
        p = float(premium)
        if not math.isfinite(p):
            raise InputError("premium", premium, "must be finite")
        return p
    return strategy.net_premium(ctx)


def expiry_payoff(
    strategy: Strategy,
    spots: ArrayLike,
    *,
    axis: str | None = None,
    rut_per_iwm: float = DEFAULT_RUT_PER_IWM,
) -> FloatArray:
    """Dollar value at expiry of the option and share legs at axis prices ``spots``."""
    return payoff_profile(strategy, axis=axis, rut_per_iwm=rut_per_iwm)(spots)


def breakevens_at_expiry(
    strategy: Strategy,
    premium: float | None = None,
    *,
    ctx: PricingContext | None = None,
    axis: str | None = None,
    rut_per_iwm: float = DEFAULT_RUT_PER_IWM,
) -> tuple[float, ...]:
    """Axis prices where the expiry P&L (payoff - premium) is zero: exact roots of each piece."""
    p = _premium(strategy, premium, ctx)
    return payoff_profile(strategy, axis=axis, rut_per_iwm=rut_per_iwm).shifted(-p).roots()


def _profile_extremes(profile: PayoffProfile) -> ProfitLoss:
    values = np.asarray(profile.values)
    i_max, i_min = int(np.argmax(values)), int(np.argmin(values))
    up = profile.right_slope > _TOL
    down = profile.right_slope < -_TOL
    return ProfitLoss(
        max_profit=math.inf if up else float(values[i_max]),
        max_loss=math.inf if down else float(-values[i_min]),
        profit_unbounded=up,
        loss_unbounded=down,
        max_profit_at=None if up else profile.knots[i_max],
        max_loss_at=None if down else profile.knots[i_min],
    )


def max_profit_loss(
    strategy: Strategy,
    premium: float | None = None,
    *,
    ctx: PricingContext | None = None,
    axis: str | None = None,
    rut_per_iwm: float = DEFAULT_RUT_PER_IWM,
) -> ProfitLoss:
    """Maximum expiry profit and loss of the P&L (payoff - premium), exact: the extremes of a
    piecewise-linear function on [0, inf) are at the knots or in the right tail (flagged
    unbounded when its slope is non-zero)."""
    p = _premium(strategy, premium, ctx)
    return _profile_extremes(payoff_profile(strategy, axis=axis, rut_per_iwm=rut_per_iwm).shifted(-p))


def _as_datetime(at: date | datetime | None, default: datetime) -> datetime:
    if at is None:
        return default
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise InputError("at", at, "must be timezone-aware")
        return at
    return datetime.combine(at, datetime.min.time().replace(hour=16), tzinfo=NEW_YORK)


def first_expiry_datetime(strategy: Strategy, *, after: datetime | None = None) -> datetime | None:
    """The earliest exact expiry moment among option legs (strictly after ``after`` if given;
    None when there is none)."""
    moments = [
        leg.instrument.expiry_datetime
        for leg in strategy.iter_legs()
        if isinstance(leg.instrument, OptionContract)
        and (after is None or leg.instrument.expiry_datetime > after)
    ]
    return min(moments) if moments else None


def pnl_curve(
    strategy: Strategy,
    ctx: PricingContext,
    spots: ArrayLike,
    *,
    at: date | datetime | None = None,
    premium: float | None = None,
    axis: str | None = None,
    betas: Any = None,
) -> FloatArray:
    """Priced P&L (dollars) at axis prices ``spots`` on ``at`` (default the first expiry; a bare
    date means 16:00 New York): unexpired legs by the model with vols from ``ctx``, expired legs
    at settlement, other drivers moved by their beta to the axis (see
    :func:`strategies.grid.co_moves`). ``premium`` defaults to the entry basis."""
    from strategies.grid import co_moves  # local: grid imports this module

    ax = (axis or _default_axis(strategy)).upper()
    first = first_expiry_datetime(strategy, after=ctx.as_of)
    when = _as_datetime(at, first or ctx.as_of)
    if when < ctx.as_of:
        raise InputError("at", when, f"is before the valuation time {ctx.as_of}")
    s = np.asarray(spots, dtype=np.float64)
    base_axis = ctx.base_spot(ax)
    moves = s / base_axis - 1.0
    total = np.zeros_like(s)
    for leg in strategy.iter_legs():
        leg_moves = co_moves(leg.driver, ax, moves, betas=betas)
        total = total + instrument_price(leg.instrument, ctx, move=leg_moves, at=when) * leg.units
    return np.asarray(total - _premium(strategy, premium, ctx), dtype=np.float64)


def _priced_roots(
    fn: Any, grid: FloatArray, values: FloatArray
) -> tuple[float, ...]:
    roots: list[float] = []
    for i in range(len(grid) - 1):
        a, b = values[i], values[i + 1]
        if a == 0.0:
            roots.append(float(grid[i]))
        elif a * b < 0.0:
            roots.append(float(brentq(fn, grid[i], grid[i + 1], xtol=1e-10, rtol=1e-12)))
    if values[-1] == 0.0:
        roots.append(float(grid[-1]))
    return tuple(roots)


def _is_linear(strategy: Strategy) -> bool:
    legs = strategy.flat_legs()
    if any(isinstance(leg.instrument, LeveragedETF) for leg in legs):
        return False
    return len(strategy.expiries) <= 1


def _asymptotic_slope(strategy: Strategy, ax: str, ctx: PricingContext) -> float:
    slope = 0.0
    for leg in strategy.iter_legs():
        inst = leg.instrument
        if isinstance(inst, OptionContract):
            if inst.kind.sign > 0:
                slope += axis_factor(leg.symbol, ax, ctx.rut_per_iwm) * leg.units
        elif isinstance(inst, Shares):
            slope += axis_factor(leg.symbol, ax, ctx.rut_per_iwm) * leg.units
        elif inst.leverage > 0.0:
            slope += leg.units  # a long-leverage fund grows without bound with the index
    return slope


def analyze(
    strategy: Strategy,
    ctx: PricingContext | None = None,
    *,
    at: date | datetime | None = None,
    premium: float | None = None,
    axis: str | None = None,
    spot_range: tuple[float, float] = (0.2, 3.0),
    n_points: int = 801,
) -> PayoffAnalysis:
    """Breakevens and max profit / loss.

    Exact (piecewise linear) when every option expires on one date, there is no leveraged ETF and
    ``at`` is None. Otherwise the P&L is priced at ``at`` (default the first expiry) over axis
    prices ``spot_range`` x today's axis spot on ``n_points`` points; breakevens are refined with
    brentq; the right tail is flagged unbounded by the legs' asymptotic slope, and the maxima are
    the grid's (bounded sides)."""
    ax = (axis or _default_axis(strategy)).upper()
    rut_per_iwm = ctx.rut_per_iwm if ctx is not None else DEFAULT_RUT_PER_IWM
    p = _premium(strategy, premium, ctx)
    if at is None and _is_linear(strategy):
        profile = payoff_profile(strategy, axis=ax, rut_per_iwm=rut_per_iwm).shifted(-p)
        return PayoffAnalysis(None, p, profile.roots(), _profile_extremes(profile), True)
    if ctx is None:
        raise InputError("ctx", None, "a pricing context is needed for priced (non-linear) payoffs")
    first = first_expiry_datetime(strategy, after=ctx.as_of)
    when = _as_datetime(at, first or ctx.as_of)
    lo, hi = spot_range
    if not 0.0 < lo < 1.0 < hi:
        raise InputError("spot_range", spot_range, "must satisfy 0 < low < 1 < high (x spot)")
    base = ctx.base_spot(ax)
    grid = np.linspace(lo * base, hi * base, int(n_points))
    values = pnl_curve(strategy, ctx, grid, at=when, premium=p, axis=ax)

    def fn(x: float) -> float:
        return float(pnl_curve(strategy, ctx, np.asarray([x]), at=when, premium=p, axis=ax)[0])

    roots = _priced_roots(fn, grid, values)
    slope = _asymptotic_slope(strategy, ax, ctx)
    up, down = slope > _TOL, slope < -_TOL
    return PayoffAnalysis(when, p, roots, sampled_profit_loss(grid, values, up=up, down=down), False)


def sampled_profit_loss(
    grid: FloatArray, values: FloatArray, *, up: bool, down: bool
) -> ProfitLoss:
    """Max profit and max loss (dollars) of a P&L curve sampled at spots ``grid``; ``up``/``down``
    say whether the profit/loss is unbounded beyond the grid (then the maximum is ``inf``)."""
    i_max, i_min = int(np.argmax(values)), int(np.argmin(values))
    return ProfitLoss(
        max_profit=math.inf if up else float(values[i_max]),
        max_loss=math.inf if down else float(-values[i_min]),
        profit_unbounded=up,
        loss_unbounded=down,
        max_profit_at=None if up else float(grid[i_max]),
        max_loss_at=None if down else float(grid[i_min]),
    )


def breakevens(
    strategy: Strategy,
    ctx: PricingContext | None = None,
    *,
    at: date | datetime | None = None,
    premium: float | None = None,
    axis: str | None = None,
) -> tuple[float, ...]:
    """Breakevens (axis prices): exact at a common expiry, priced (brentq) otherwise; see
    :func:`analyze`."""
    return analyze(strategy, ctx, at=at, premium=premium, axis=axis).breakevens


def kink_points(strategy: Strategy, *, axis: str | None = None, rut_per_iwm: float = DEFAULT_RUT_PER_IWM) -> Sequence[float]:
    """The axis prices where the expiry payoff may bend: the strikes (converted to the axis)."""
    ax = (axis or _default_axis(strategy)).upper()
    return sorted(
        {
            leg.instrument.strike / axis_factor(leg.symbol, ax, rut_per_iwm)
            for leg in strategy.iter_legs()
            if isinstance(leg.instrument, OptionContract)
        }
    )
