"""Scalar reference paths over vollib (Let's Be Rational, pure Python): price, Greeks, implied vol.

These are the slow, trusted values the fast paths are tested and benchmarked against, one option
at a time. Every function validates first (vollib divides by zero at ``t = 0`` or ``K = 0``, and
raises ``KeyError`` for a flag other than lowercase ``'c'``/``'p'``) and returns floats in the
project's units (:mod:`pricing.black_scholes`).

Units at vollib's boundary: vollib's analytical vega and rho are already per point (0.01) and its
theta per calendar day (``/365``), which are the project's units; QuantLib reports vega and rho per
1.00 and theta per year. :func:`from_vollib_units` and :func:`from_quantlib_units` convert either
convention into the project's, and the tests check both against the analytic formulas.

Implied-vol traps handled here: below intrinsic, lets_be_rational raises its own
``BelowIntrinsicException``, which ``vollib.helpers.exceptions.PriceIsBelowIntrinsic`` does *not*
catch, so the base class ``VolatilityValueException`` is caught; Let's Be Rational returns 0.0
when the price equals its intrinsic value, which is reported as no time value, never as a vol of 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import vollib.black
import vollib.black.implied_volatility
import vollib.black_scholes_merton
import vollib.black_scholes_merton.greeks.analytical as bsm_greeks
import vollib.black_scholes_merton.implied_volatility
from lets_be_rational.exceptions import (
    AboveMaximumException,
    BelowIntrinsicException,
    VolatilityValueException,
)
from numpy.typing import ArrayLike
from vollib.helpers.exceptions import PriceIsAboveMaximum, PriceIsBelowIntrinsic

from pricing.errors import ImpliedVolError, InputError
from pricing.iv_result import (
    BAD_INPUT_PREFIX,
    STATUS_ABOVE_CEILING,
    STATUS_BELOW_INTRINSIC,
    STATUS_EXPIRED,
    STATUS_NO_CONVERGENCE,
    STATUS_NO_TIME_VALUE,
    STATUS_OK,
    ImpliedVolResult,
)
from pricing.types import OptionKind
from pricing.validation import MAX_VOL

DAYS_PER_YEAR = 365.0
GREEK_NAMES = ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm")

#: Relative bump of vol and time for the finite-difference reference of vanna, volga and charm
#: (vollib has no analytic formula for them).
_FD_REL_STEP = 1.0e-4


def vollib_flag(kind: Any) -> str:
    """vollib's flag, ``'c'`` or ``'p'`` (lowercase: ``'C'`` raises ``KeyError`` inside vollib)."""
    return "c" if OptionKind.parse(kind) is OptionKind.CALL else "p"


def _number(field: str, value: Any, *, positive: bool = False, non_negative: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "must be a number") from None
    if not math.isfinite(x):
        raise InputError(field, value, "must be finite")
    if positive and x <= 0.0:
        raise InputError(field, value, "must be finite and > 0")
    if non_negative and x < 0.0:
        raise InputError(field, value, "must be finite and >= 0")
    return x


def _vol(value: Any) -> float:
    x = _number("vol", value)
    if not 0.0 < x <= MAX_VOL:
        raise InputError("vol", value, f"must be a decimal vol in (0, {MAX_VOL}]")
    return x


def _intrinsic(flag: str, underlying: float, strike: float) -> float:
    return max(underlying - strike, 0.0) if flag == "c" else max(strike - underlying, 0.0)


# ----------------------------------------------------------------------------------------------
# Prices


def reference_price(
    *,
    kind: Any,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    div_yield: float = 0.0,
    vol: float,
) -> float:
    """vollib's Black-Scholes-Merton price per share of one European option.

    ``spot``/``strike`` in price units, ``t_years`` in years (0: intrinsic value, which vollib
    cannot price), ``rate``/``div_yield`` continuously compounded decimals, ``vol`` decimal.
    """
    flag = vollib_flag(kind)
    s = _number("spot", spot, positive=True)
    k = _number("strike", strike, positive=True)
    t = _number("t_years", t_years, non_negative=True)
    r = _number("rate", rate)
    q = _number("div_yield", div_yield)
    sigma = _vol(vol)
    if t == 0.0:
        return _intrinsic(flag, s, k)
    return float(vollib.black_scholes_merton.black_scholes_merton(flag, s, k, t, r, sigma, q))


def reference_black76_price(
    *, kind: Any, forward: float, strike: float, t_years: float, rate: float, vol: float
) -> float:
    """vollib's Black-76 price (discounted at ``rate`` over ``t_years``) of one option on a
    ``forward``; intrinsic value ``max(±(F-K), 0)`` at ``t_years == 0``."""
    flag = vollib_flag(kind)
    f = _number("forward", forward, positive=True)
    k = _number("strike", strike, positive=True)
    t = _number("t_years", t_years, non_negative=True)
    r = _number("rate", rate)
    sigma = _vol(vol)
    if t == 0.0:
        return _intrinsic(flag, f, k)
    return float(vollib.black.black(flag, f, k, t, r, sigma))


# ----------------------------------------------------------------------------------------------
# Greeks and unit conversion


def from_vollib_units(greeks: Mapping[str, float]) -> dict[str, float]:
    """vollib's analytical Greeks (vega and rho per point, theta per calendar day) in the
    project's units: the same numbers (the conventions coincide), copied."""
    return {name: float(value) for name, value in greeks.items()}


def from_quantlib_units(greeks: Mapping[str, float]) -> dict[str, float]:
    """QuantLib's Greeks (vega and rho per 1.00, theta per year; delta and gamma per 1.00 of
    spot) in the project's units: vega/100 (per vol point), rho/100 (per 1 % of rate),
    theta/365 (per calendar day). Other keys are copied unchanged."""
    scale = {"vega": 0.01, "rho": 0.01, "dividend_rho": 0.01, "theta": 1.0 / DAYS_PER_YEAR}
    return {name: float(value) * scale.get(name, 1.0) for name, value in greeks.items()}


def _vollib_analytical(
    flag: str, s: float, k: float, t: float, r: float, sigma: float, q: float
) -> dict[str, float]:
    return {
        "delta": float(bsm_greeks.delta(flag, s, k, t, r, sigma, q)),
        "gamma": float(bsm_greeks.gamma(flag, s, k, t, r, sigma, q)),
        "vega": float(bsm_greeks.vega(flag, s, k, t, r, sigma, q)),
        "theta": float(bsm_greeks.theta(flag, s, k, t, r, sigma, q)),
        "rho": float(bsm_greeks.rho(flag, s, k, t, r, sigma, q)),
    }


def reference_greeks(
    *,
    kind: Any,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    div_yield: float = 0.0,
    vol: float,
) -> dict[str, float]:
    """The eight Greeks per share of one European option, in the project's units.

    delta, gamma, vega (per vol point), theta (per calendar day), rho (per 1 % of rate) come from
    vollib's analytical formulas; vanna (delta change per vol point), volga (vega change per vol
    point) and charm (delta change per calendar day) are central differences of vollib's analytic
    delta and vega (relative step 1e-4; about 8 significant digits). At ``t_years == 0`` delta is
    the exercise indicator (0.5 at the money) and the rest are 0, as in the project's kernels.
    """
    flag = vollib_flag(kind)
    s = _number("spot", spot, positive=True)
    k = _number("strike", strike, positive=True)
    t = _number("t_years", t_years, non_negative=True)
    r = _number("rate", rate)
    q = _number("div_yield", div_yield)
    sigma = _vol(vol)
    if t == 0.0:
        sign = 1.0 if flag == "c" else -1.0
        itm = sign * (s - k)
        delta = sign * (1.0 if itm > 0.0 else (0.5 if s == k else 0.0))
        return {name: (delta if name == "delta" else 0.0) for name in GREEK_NAMES}
    out = from_vollib_units(_vollib_analytical(flag, s, k, t, r, sigma, q))
    dv = _FD_REL_STEP * sigma
    up = _vollib_analytical(flag, s, k, t, r, sigma + dv, q)
    down = _vollib_analytical(flag, s, k, t, r, sigma - dv, q)
    out["vanna"] = (up["delta"] - down["delta"]) / (2.0 * dv) * 0.01
    out["volga"] = (up["vega"] - down["vega"]) / (2.0 * dv) * 0.01
    dt = _FD_REL_STEP * t
    later = _vollib_analytical(flag, s, k, t + dt, r, sigma, q)
    sooner = _vollib_analytical(flag, s, k, t - dt, r, sigma, q)
    out["charm"] = -(later["delta"] - sooner["delta"]) / (2.0 * dt) / DAYS_PER_YEAR
    return {name: out[name] for name in GREEK_NAMES}


# ----------------------------------------------------------------------------------------------
# Implied vol


def _checked_vol(sigma: Any, price: float) -> float:
    vol = float(sigma)
    if vol == 0.0:
        # Let's Be Rational returns 0 when the price equals its intrinsic value.
        raise ImpliedVolError(STATUS_NO_TIME_VALUE, value=price)
    if not math.isfinite(vol) or vol < 0.0:
        raise ImpliedVolError(STATUS_NO_CONVERGENCE, value=price)
    return vol


def reference_implied_vol(
    *,
    kind: Any,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    div_yield: float = 0.0,
    price: float,
) -> float:
    """vollib's Black-Scholes-Merton implied vol (decimal) of one European option ``price``.

    Raises :class:`InputError` for invalid inputs and :class:`ImpliedVolError` whose ``reason``
    is a status string of :mod:`pricing.iv_result` (below_intrinsic, above_ceiling,
    no_time_value, expired, no_convergence) when no vol exists.
    """
    flag = vollib_flag(kind)
    s = _number("spot", spot, positive=True)
    k = _number("strike", strike, positive=True)
    t = _number("t_years", t_years, non_negative=True)
    r = _number("rate", rate)
    q = _number("div_yield", div_yield)
    p = _number("price", price, positive=True)
    if t == 0.0:
        raise ImpliedVolError(STATUS_EXPIRED, field="t_years", value=t)
    try:
        with np.errstate(all="ignore"):  # vollib divides numpy scalars by zero in edge cases
            sigma = vollib.black_scholes_merton.implied_volatility.implied_volatility(
                p, s, k, t, r, q, flag
            )
    except (BelowIntrinsicException, PriceIsBelowIntrinsic):
        raise ImpliedVolError(STATUS_BELOW_INTRINSIC, value=p) from None
    except (AboveMaximumException, PriceIsAboveMaximum):
        raise ImpliedVolError(STATUS_ABOVE_CEILING, value=p) from None
    except VolatilityValueException:
        raise ImpliedVolError(STATUS_NO_CONVERGENCE, value=p) from None
    return _checked_vol(sigma, p)


def reference_implied_vol_black76(
    *, kind: Any, forward: float, strike: float, t_years: float, rate: float, price: float
) -> float:
    """vollib's Black-76 implied vol (decimal) of one discounted option ``price`` on a
    ``forward``; errors as in :func:`reference_implied_vol`."""
    flag = vollib_flag(kind)
    f = _number("forward", forward, positive=True)
    k = _number("strike", strike, positive=True)
    t = _number("t_years", t_years, non_negative=True)
    r = _number("rate", rate)
    p = _number("price", price, positive=True)
    if t == 0.0:
        raise ImpliedVolError(STATUS_EXPIRED, field="t_years", value=t)
    try:
        # Note vollib's argument order here: (price, F, K, r, t, flag).
        with np.errstate(all="ignore"):
            sigma = vollib.black.implied_volatility.implied_volatility(p, f, k, r, t, flag)
    except (BelowIntrinsicException, PriceIsBelowIntrinsic):
        raise ImpliedVolError(STATUS_BELOW_INTRINSIC, value=p) from None
    except (AboveMaximumException, PriceIsAboveMaximum):
        raise ImpliedVolError(STATUS_ABOVE_CEILING, value=p) from None
    except VolatilityValueException:
        raise ImpliedVolError(STATUS_NO_CONVERGENCE, value=p) from None
    return _checked_vol(sigma, p)


def reference_implied_vol_chain(
    *,
    kind: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    price: ArrayLike,
) -> ImpliedVolResult:
    """A Python loop of :func:`reference_implied_vol` over broadcast arrays (the slow reference
    for whole chains): per-quote vol (NaN on failure) and status, ``bad_input:<field>`` for an
    invalid input. Cash dividends are not handled here (pass the escrowed spot)."""
    arrays = np.broadcast_arrays(
        np.asarray(kind),
        np.asarray(spot),
        np.asarray(strike),
        np.asarray(t_years),
        np.asarray(rate),
        np.asarray(div_yield),
        np.asarray(price),
    )
    shape = arrays[0].shape
    columns = [a.reshape(-1).tolist() for a in arrays]
    vols = np.full(len(columns[0]), np.nan)
    status: list[str] = []
    for i, (w, s, k, t, r, q, p) in enumerate(zip(*columns, strict=True)):
        try:
            vols[i] = reference_implied_vol(
                kind=w, spot=s, strike=k, t_years=t, rate=r, div_yield=q, price=p
            )
            status.append(STATUS_OK)
        except ImpliedVolError as err:
            status.append(err.reason)
        except InputError as err:
            status.append(BAD_INPUT_PREFIX + err.field)
    return ImpliedVolResult(
        vol=vols.reshape(shape), status=np.asarray(status, dtype=np.str_).reshape(shape)
    )


# ----------------------------------------------------------------------------------------------
# Bare loops for benchmarks (no validation: the cost measured is vollib's own)


def vollib_implied_vol_loop(
    flags: list[str],
    spot: list[float],
    strike: list[float],
    t_years: list[float],
    rate: list[float],
    div_yield: list[float],
    price: list[float],
) -> list[float]:
    """A plain Python loop over vollib's BSM implied vol (flags ``'c'``/``'p'``; NaN where vollib
    raises or returns 0). Inputs must already be valid: this is the benchmark's reference path."""
    solve = vollib.black_scholes_merton.implied_volatility.implied_volatility
    out: list[float] = []
    with np.errstate(all="ignore"):
        for p, s, k, t, r, q, flag in zip(
            price, spot, strike, t_years, rate, div_yield, flags, strict=True
        ):
            try:
                vol = float(solve(p, s, k, t, r, q, flag))
            except (VolatilityValueException, PriceIsAboveMaximum, PriceIsBelowIntrinsic):
                vol = math.nan
            out.append(vol if vol > 0.0 else math.nan)
    return out


def vollib_price_greeks_loop(
    flags: list[str],
    spot: list[float],
    strike: list[float],
    t_years: list[float],
    rate: list[float],
    div_yield: list[float],
    vol: list[float],
) -> list[tuple[float, float, float, float, float, float]]:
    """A plain Python loop over vollib: (price, delta, gamma, vega, theta, rho) per option in the
    project's units (vollib's analytical Greeks; it has no vanna, volga or charm). Valid inputs
    with ``t_years > 0`` only: the benchmark's reference path."""
    bsm = vollib.black_scholes_merton.black_scholes_merton
    out: list[tuple[float, float, float, float, float, float]] = []
    for flag, s, k, t, r, q, sigma in zip(
        flags, spot, strike, t_years, rate, div_yield, vol, strict=True
    ):
        out.append(
            (
                float(bsm(flag, s, k, t, r, sigma, q)),
                float(bsm_greeks.delta(flag, s, k, t, r, sigma, q)),
                float(bsm_greeks.gamma(flag, s, k, t, r, sigma, q)),
                float(bsm_greeks.vega(flag, s, k, t, r, sigma, q)),
                float(bsm_greeks.theta(flag, s, k, t, r, sigma, q)),
                float(bsm_greeks.rho(flag, s, k, t, r, sigma, q)),
            )
        )
    return out
