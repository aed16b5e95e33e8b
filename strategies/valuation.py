"""Pricing one instrument in a :class:`~strategies.pricing_context.PricingContext`, vectorised.

Public API (stable)
-------------------
- :func:`instrument_price` ``(instrument, ctx, *, move=None, at=None, extra_vol_shift=0.0)`` ->
  price per share (numpy array broadcast over ``move`` x ``extra_vol_shift``).
- :func:`instrument_greeks` ``(instrument, ctx)`` -> ``(price, GreekSet)`` per share at the
  context's scenario.
- :class:`GreekSet`: delta, gamma, vega, theta, rho as floats.

Models: American options (IWM, SPY) through :func:`pricing.american_price` with
``ctx.american_engine`` (the fast default tree unless told otherwise) and the cash dividends of
the underlying as a :class:`pricing.DividendSchedule`; European options (RUT, MRUT) through
Black-Scholes-Merton with the underlying's continuous dividend yield (equivalently Black-76 on
the forward ``S e^{(r-q)t}``). At or after expiry an option is worth its intrinsic value at the
scenario spot (its settlement), whatever the style. Shares are worth the spot. A leveraged ETF is
worth its spot today times :func:`strategies.leveraged.leveraged_ratio` of its index's move over
the horizon from ``ctx.as_of``.

Greek units (per share): delta and gamma per 1.00 of the risk driver's spot (the index for a
leveraged ETF), vega per vol point, theta per calendar day, rho per 1 % of rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike

import pricing
from marketdata.snapshot import years_between
from pricing.black_scholes import FloatArray
from pricing.dividends import pv_dividends
from pricing.types import ExerciseStyle, OptionContract
from strategies.legs import Instrument, LeveragedETF, Shares
from strategies.leveraged import leveraged_greeks, leveraged_ratio
from strategies.pricing_context import PricingContext

#: Horizon (years) at which the index vol for a leveraged ETF is read when no horizon is given.
ETF_VOL_TENOR_YEARS = 30.0 / 365.0


@dataclass(frozen=True, slots=True)
class GreekSet:
    """Delta, gamma (per 1.00 of spot), vega (per vol point), theta (per calendar day), rho (per
    1 % rate): per share, or per position after :meth:`scaled`."""

    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0
    theta: float = 0.0
    rho: float = 0.0

    FIELDS = ("delta", "gamma", "vega", "theta", "rho")

    def scaled(self, factor: float) -> GreekSet:
        """Every Greek times ``factor`` (quantity x multiplier for a position)."""
        return GreekSet(*(getattr(self, f) * factor for f in self.FIELDS))

    def __add__(self, other: GreekSet) -> GreekSet:
        return GreekSet(*(getattr(self, f) + getattr(other, f) for f in self.FIELDS))

    def as_dict(self) -> dict[str, float]:
        """The Greeks keyed by name."""
        return {f: getattr(self, f) for f in self.FIELDS}


def _horizon_years(ctx: PricingContext, at: datetime) -> float:
    return max(years_between(ctx.as_of, at), 0.0)


def option_inputs(
    contract: OptionContract,
    ctx: PricingContext,
    *,
    spot: FloatArray,
    at: datetime,
) -> tuple[float, float, float, pricing.DividendSchedule, FloatArray]:
    """``(t_years, rate, div_yield, dividends, forward)`` for pricing ``contract`` at ``at`` with
    the scenario ``spot`` array: time to the exact expiry, the curve's zero rate to it (shifted),
    the continuous yield, the cash dividends before expiry, and the forward (price units)."""
    sym = contract.underlying.upper()
    t = contract.t_years(at)
    t_pos = max(t, 0.0)
    r = ctx.rate(t_pos)
    q = ctx.div_yield(sym)
    divs = ctx.dividend_schedule(sym, contract.expiry_datetime, at) if t > 0.0 else pricing.DividendSchedule()
    pv = pv_dividends(divs, t_pos, r) if divs else 0.0
    forward = np.asarray((spot - pv) * math.exp((r - q) * t_pos), dtype=np.float64)
    return t, r, q, divs, forward


def _option_price(
    contract: OptionContract,
    ctx: PricingContext,
    spot: FloatArray,
    at: datetime,
    extra_vol_shift: FloatArray,
) -> FloatArray:
    t, r, q, divs, forward = option_inputs(contract, ctx, spot=spot, at=at)
    sign = contract.kind.sign
    if t <= 0.0:
        intrinsic = np.maximum(sign * (spot - contract.strike), 0.0)
        return np.asarray(intrinsic + 0.0 * extra_vol_shift, dtype=np.float64)
    sym = contract.underlying.upper()
    base_vol = np.asarray(ctx.implied_vol(sym, t, contract.strike, forward=np.maximum(forward, 1e-12)))
    vol = np.clip(base_vol + extra_vol_shift, 1e-3, 5.0)
    spot_b, vol_b = np.broadcast_arrays(spot, vol)
    if contract.style is ExerciseStyle.AMERICAN:
        out = pricing.american_price(
            kind=contract.kind, spot=spot_b, strike=contract.strike, t_years=t, rate=r,
            div_yield=q, vol=vol_b, dividends=divs or None, engine=ctx.american_engine,
        )
    else:
        out = pricing.european_price(
            kind=contract.kind, spot=spot_b, strike=contract.strike, t_years=t, rate=r,
            div_yield=q, vol=vol_b, dividends=divs or None,
        )
    return np.asarray(out, dtype=np.float64)


def etf_index_vol(etf: LeveragedETF, ctx: PricingContext, horizon_years: float) -> float:
    """The index's at-the-money vol (decimal, with the context's vol shift) over the horizon (at
    least :data:`ETF_VOL_TENOR_YEARS`), used for the leveraged ETF's variance drag."""
    s_idx = ctx.base_spot(etf.index)
    tenor = max(horizon_years, ETF_VOL_TENOR_YEARS)
    return float(np.asarray(ctx.implied_vol(etf.index, tenor, s_idx, forward=s_idx)))


def instrument_price(
    instrument: Instrument,
    ctx: PricingContext,
    *,
    move: ArrayLike | None = None,
    at: datetime | None = None,
    extra_vol_shift: ArrayLike = 0.0,
) -> FloatArray:
    """Price per share (index unit) of ``instrument`` in ``ctx``.

    ``move``: decimal move of the instrument's risk driver (array allowed; default: the
    context's scenario move for it). ``at``: valuation datetime (default
    ``ctx.valuation_datetime``). ``extra_vol_shift``: decimal vol shift added on top of the
    context's (array allowed; broadcast against ``move``).
    """
    when = at or ctx.valuation_datetime
    shift = np.asarray(extra_vol_shift, dtype=np.float64)
    if isinstance(instrument, LeveragedETF):
        m = np.asarray(ctx.move_of(instrument.index) if move is None else move, dtype=np.float64)
        horizon = _horizon_years(ctx, when)
        vol = np.clip(etf_index_vol(instrument, ctx, horizon) + shift, 1e-3, 5.0)
        ratio = leveraged_ratio(
            1.0 + m, leverage=instrument.leverage, vol=vol, t_years=horizon,
            rate=ctx.short_rate(), div_yield=ctx.div_yield(instrument.index),
            expense_ratio=instrument.expense_ratio, financing_spread=instrument.financing_spread,
        )
        return np.asarray(ctx.base_spot(instrument.symbol) * ratio, dtype=np.float64)
    sym = instrument.symbol if isinstance(instrument, Shares) else instrument.underlying
    m = np.asarray(ctx.move_of(sym) if move is None else move, dtype=np.float64)
    spot = np.asarray(ctx.base_spot(sym) * (1.0 + m), dtype=np.float64)
    if isinstance(instrument, Shares):
        return np.asarray(spot + 0.0 * shift, dtype=np.float64)
    return _option_price(instrument, ctx, spot, when, shift)


def instrument_greeks(instrument: Instrument, ctx: PricingContext) -> tuple[float, GreekSet]:
    """``(price, Greeks)`` per share at the context's scenario (units in the module docstring)."""
    if isinstance(instrument, Shares):
        return ctx.spot(instrument.symbol), GreekSet(delta=1.0)
    if isinstance(instrument, LeveragedETF):
        price = float(instrument_price(instrument, ctx))
        horizon = _horizon_years(ctx, ctx.valuation_datetime)
        vol = etf_index_vol(instrument, ctx, horizon)
        g = leveraged_greeks(
            price, index_spot=ctx.spot(instrument.index), leverage=instrument.leverage, vol=vol,
            rate=ctx.short_rate(), div_yield=ctx.div_yield(instrument.index),
            expense_ratio=instrument.expense_ratio, financing_spread=instrument.financing_spread,
        )
        return price, GreekSet(**g)
    contract = instrument
    at = ctx.valuation_datetime
    sym = contract.underlying.upper()
    spot = np.asarray(ctx.spot(sym), dtype=np.float64)
    t, r, q, divs, forward = option_inputs(contract, ctx, spot=spot, at=at)
    if t <= 0.0:
        intrinsic = contract.intrinsic(float(spot))
        itm = contract.kind.sign * (float(spot) - contract.strike)
        delta = contract.kind.sign * (1.0 if itm > 0 else (0.5 if itm == 0 else 0.0))
        return intrinsic, GreekSet(delta=delta)
    vol = float(np.asarray(ctx.implied_vol(sym, t, contract.strike, forward=forward)))
    kwargs = {
        "kind": contract.kind, "spot": float(spot), "strike": contract.strike, "t_years": t,
        "rate": r, "div_yield": q, "vol": vol, "dividends": divs or None,
    }
    if contract.style is ExerciseStyle.AMERICAN:
        price = float(pricing.american_price(engine=ctx.american_engine, **kwargs))  # type: ignore[arg-type]
        greeks = pricing.american_greeks(engine=ctx.american_engine, **kwargs)  # type: ignore[arg-type]
    else:
        price = float(pricing.european_price(**kwargs))  # type: ignore[arg-type]
        greeks = pricing.european_greeks(**kwargs)  # type: ignore[arg-type]
    return price, GreekSet(
        delta=float(greeks.delta), gamma=float(greeks.gamma), vega=float(greeks.vega),
        theta=float(greeks.theta), rho=float(greeks.rho),
    )
