"""European options: the validated, broadcasting functional API over the Black-Scholes kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pricing import validation as v
from pricing.black_scholes import FloatArray, Greeks, generalized_greeks, generalized_price
from pricing.dividends import escrowed_spot
from pricing.types import DividendSchedule

#: From this many options on, the Greeks go through the fused numba kernel
#: (:func:`pricing.european_kernels.price_greeks`, tested value by value against the numpy one).
FAST_KERNEL_MIN_SIZE = 20_000


def _greeks(*args: FloatArray, forward_rho: bool = False) -> Greeks:
    if args[0].size >= FAST_KERNEL_MIN_SIZE:
        from pricing.european_kernels import price_greeks

        rows = price_greeks(*args, forward_rho=forward_rho)
        return Greeks(*(np.asarray(row) for row in rows[1:]))
    _, greeks = generalized_greeks(*args, forward_rho=forward_rho)
    return greeks


def prepare_inputs(
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike,
    vol: ArrayLike,
    dividends: DividendSchedule | None,
) -> tuple[FloatArray, ...]:
    """Validate and broadcast; return ``(sign, spot_for_model, strike, t, rate, carry, vol)``.

    With cash ``dividends`` the spot becomes the escrowed spot (spot - PV of dividends to expiry).
    """
    sign = v.kind_sign(kind)
    s = v.positive("spot", spot)
    k = v.positive("strike", strike)
    t = v.non_negative("t_years", t_years)
    r = v.finite("rate", rate)
    q = v.finite("div_yield", div_yield)
    sigma = v.volatility("vol", vol)
    if dividends:
        dividends.validate_against_spot(s)
        s = escrowed_spot(s, dividends, t, r)
    carry = np.asarray(r - q, dtype=np.float64)
    return tuple(np.broadcast_arrays(sign, s, k, t, r, carry, sigma))


def european_price(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    vol: ArrayLike,
    dividends: DividendSchedule | None = None,
) -> FloatArray:
    """Black-Scholes-Merton price per share of European options.

    ``kind`` is "call"/"put" or an array of them; ``spot``/``strike`` in price units; ``t_years``
    in years (0 = at expiry: intrinsic value); ``rate`` and ``div_yield`` continuously compounded
    decimals per year; ``vol`` decimal. Optional cash ``dividends`` (times in years from now)
    use the escrowed model. Broadcasts over all array arguments.
    """
    sign, s, k, t, r, carry, sigma = prepare_inputs(
        kind, spot, strike, t_years, rate, div_yield, vol, dividends
    )
    return generalized_price(sign, s, k, t, r, carry, sigma)


def european_greeks(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    vol: ArrayLike,
    dividends: DividendSchedule | None = None,
) -> Greeks:
    """Greeks per share of European options (units in :mod:`pricing.black_scholes`): delta,
    gamma, vega (per vol point), theta (per calendar day), rho (per 1 % rate), vanna, volga, charm.
    Same arguments as :func:`european_price`. With cash dividends, delta and gamma are with respect
    to the quoted spot (the escrowed spot moves one for one with it)."""
    return _greeks(*prepare_inputs(kind, spot, strike, t_years, rate, div_yield, vol, dividends))


def black76_price(
    *,
    kind: Any,
    forward: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
) -> FloatArray:
    """Black-76 price of European options on a ``forward`` (index options such as RUT, whose
    forward comes from put-call parity), discounted at ``rate`` over ``t_years``."""
    sign = v.kind_sign(kind)
    f = v.positive("forward", forward)
    k = v.positive("strike", strike)
    t = v.non_negative("t_years", t_years)
    r = v.finite("rate", rate)
    sigma = v.volatility("vol", vol)
    sign, f, k, t, r, sigma = np.broadcast_arrays(sign, f, k, t, r, sigma)
    return generalized_price(sign, f, k, t, r, np.zeros_like(f), sigma)


def black76_greeks(
    *,
    kind: Any,
    forward: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
) -> Greeks:
    """Black-76 Greeks: delta and gamma per 1.00 of the forward, rho with the forward held fixed;
    other units as in :mod:`pricing.black_scholes`."""
    sign = v.kind_sign(kind)
    f = v.positive("forward", forward)
    k = v.positive("strike", strike)
    t = v.non_negative("t_years", t_years)
    r = v.finite("rate", rate)
    sigma = v.volatility("vol", vol)
    sign, f, k, t, r, sigma = np.broadcast_arrays(sign, f, k, t, r, sigma)
    return _greeks(sign, f, k, t, r, np.zeros_like(f), sigma, forward_rho=True)
