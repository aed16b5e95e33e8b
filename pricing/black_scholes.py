"""Vectorised Black-Scholes-Merton (spot, continuous yield) and Black-76 (forward) kernels.

All functions broadcast over numpy arrays of any shape and assume validated inputs (the public API
in :mod:`pricing.api` validates). Units of the returned Greeks, per share (or index unit):

- delta, gamma: per 1.00 of spot (of the forward for Black-76);
- vega: per vol point (0.01); volga: change of that vega per vol point;
- vanna: change of delta per vol point;
- theta: per calendar day (value change as one day of 365 passes);
- charm: change of delta per calendar day;
- rho: per percentage point (0.01) of the rate, dividend yield held fixed (for Black-76 the
  forward is held fixed, so rho = -t * value).

At ``t_years == 0`` the value is intrinsic, delta is the exercise indicator (0.5 at the money)
and the other Greeks are 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

FloatArray = NDArray[np.float64]

DAYS_PER_YEAR = 365.0
_INV_SQRT_2PI = 0.3989422804014327


@dataclass(frozen=True, slots=True)
class Greeks:
    """Greeks as a structure of arrays, per share, in the units of :mod:`pricing.black_scholes`."""

    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray
    vanna: FloatArray
    volga: FloatArray
    charm: FloatArray

    FIELDS = ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm")

    def as_dict(self) -> dict[str, FloatArray]:
        """The Greeks keyed by name."""
        return {name: getattr(self, name) for name in self.FIELDS}

    def scaled(self, factor: float | FloatArray) -> Greeks:
        """Every Greek times ``factor`` (a quantity times a multiplier, say)."""
        return Greeks(
            **{k: np.asarray(v * factor, dtype=np.float64) for k, v in self.as_dict().items()}
        )

    def __add__(self, other: Greeks) -> Greeks:
        return Greeks(**{k: np.asarray(v + getattr(other, k)) for k, v in self.as_dict().items()})


def _npdf(x: FloatArray) -> FloatArray:
    return np.asarray(_INV_SQRT_2PI * np.exp(-0.5 * x * x))


def _intrinsic(sign: FloatArray, underlying: FloatArray, strike: FloatArray) -> FloatArray:
    return np.asarray(np.maximum(sign * (underlying - strike), 0.0))


def generalized_price(
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    carry: FloatArray,
    vol: FloatArray,
) -> FloatArray:
    """Generalised Black-Scholes price with cost of carry ``carry`` (= rate - div_yield for BSM,
    0 for Black-76 on a forward). ``sign`` is +1 for calls, -1 for puts."""
    sign, spot, strike, t_years, rate, carry, vol = np.broadcast_arrays(
        sign, spot, strike, t_years, rate, carry, vol
    )
    live = t_years > 0.0
    t = np.where(live, t_years, 1.0)
    sqrt_t = np.sqrt(t)
    sd = vol * sqrt_t
    d1 = (np.log(spot / strike) + (carry + 0.5 * vol * vol) * t) / sd
    d2 = d1 - sd
    df_carry = np.exp((carry - rate) * t)
    df_rate = np.exp(-rate * t)
    value = sign * (spot * df_carry * ndtr(sign * d1) - strike * df_rate * ndtr(sign * d2))
    return np.asarray(np.where(live, value, _intrinsic(sign, spot, strike)), dtype=np.float64)


def generalized_greeks(
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    carry: FloatArray,
    vol: FloatArray,
    *,
    forward_rho: bool = False,
) -> tuple[FloatArray, Greeks]:
    """Price and all Greeks of the generalised Black-Scholes model (see module docstring for units).

    ``forward_rho`` selects the Black-76 rho (forward held fixed) instead of the BSM rho (spot and
    dividend yield held fixed).
    """
    sign, spot, strike, t_years, rate, carry, vol = np.broadcast_arrays(
        sign, spot, strike, t_years, rate, carry, vol
    )
    live = t_years > 0.0
    t = np.where(live, t_years, 1.0)
    sqrt_t = np.sqrt(t)
    sd = vol * sqrt_t
    d1 = (np.log(spot / strike) + (carry + 0.5 * vol * vol) * t) / sd
    d2 = d1 - sd
    df_carry = np.exp((carry - rate) * t)
    df_rate = np.exp(-rate * t)
    n_d1 = _npdf(d1)
    cdf_d1 = ndtr(sign * d1)
    cdf_d2 = ndtr(sign * d2)
    value = sign * (spot * df_carry * cdf_d1 - strike * df_rate * cdf_d2)

    delta = sign * df_carry * cdf_d1
    gamma = df_carry * n_d1 / (spot * sd)
    vega_unit = spot * df_carry * n_d1 * sqrt_t
    # dV/dT (per year of maturity); theta is the negative, as calendar time passes.
    dv_dt = (
        spot * df_carry * n_d1 * vol / (2.0 * sqrt_t)
        + sign * (carry - rate) * spot * df_carry * cdf_d1
        + sign * rate * strike * df_rate * cdf_d2
    )
    rho_unit = -t * value if forward_rho else sign * strike * t * df_rate * cdf_d2
    vanna_unit = -df_carry * n_d1 * d2 / vol
    volga_unit = vega_unit * d1 * d2 / vol
    dd1_dt = (2.0 * carry * t - d2 * sd) / (2.0 * t * sd)
    ddelta_dt = (carry - rate) * delta + df_carry * n_d1 * dd1_dt

    at_money = 0.5 * (spot == strike)
    expired_delta = sign * np.where(sign * (spot - strike) > 0.0, 1.0, at_money)
    zero = np.zeros_like(value)

    def live_or(x: FloatArray, dead: FloatArray) -> FloatArray:
        return np.asarray(np.where(live, x, dead), dtype=np.float64)

    price = live_or(value, _intrinsic(sign, spot, strike))
    greeks = Greeks(
        delta=live_or(delta, expired_delta),
        gamma=live_or(gamma, zero),
        vega=live_or(vega_unit / 100.0, zero),
        theta=live_or(-dv_dt / DAYS_PER_YEAR, zero),
        rho=live_or(rho_unit / 100.0, zero),
        vanna=live_or(vanna_unit / 100.0, zero),
        volga=live_or(volga_unit / 1.0e4, zero),
        charm=live_or(-ddelta_dt / DAYS_PER_YEAR, zero),
    )
    return price, greeks
