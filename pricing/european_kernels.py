"""Compiled (numba) European kernels: the fused price + eight Greeks loop (:func:`price_greeks`),
the fused, validating kernels behind :func:`pricing.european_price` and
:func:`pricing.european_greeks`, and scalar Black-Scholes helpers shared by the American engines.

Units as :mod:`pricing.black_scholes`: delta/gamma per 1.00 of spot, vega per vol point, theta
per calendar day, rho per 1 % rate, vanna per vol point, volga per vol point squared, charm per
calendar day. ``fastmath`` is off for the Greeks (see :mod:`pricing._jit`)."""

from __future__ import annotations

import math

import numpy as np

from pricing._jit import jit
from pricing._parallel import run_in_chunks
from pricing._typing import FloatArray
from pricing.normal_kernels import ONE_OVER_SQRT_TWO, erfcx_cody
from pricing.validation import MAX_VOL

_SQRT2 = math.sqrt(2.0)

_INV_SQRT_2PI = 0.3989422804014327
_DAYS_PER_YEAR = 365.0
#: Options per work item of :func:`price_greeks` (about 2 ms of work).
GREEKS_CHUNK = 32_768


@jit
def _ncdf_given_gauss(z: float, gauss: float) -> float:
    """Φ(z) given ``gauss = exp(-z²/2)``: ``Φ(-|z|) = erfcx(|z|/√2)·gauss/2`` (Cody's erfcx
    needs no exponential for a positive argument, so this costs less than ``erfc``)."""
    tail = 0.5 * erfcx_cody(math.fabs(z) * ONE_OVER_SQRT_TWO) * gauss
    return tail if z < 0.0 else 1.0 - tail


@jit(fastmath=False)
def _price_greeks_range(
    start: int, stop: int, sign: FloatArray, spot: FloatArray, strike: FloatArray,
    t_years: FloatArray, rate: FloatArray, carry: FloatArray, vol: FloatArray, forward_rho: bool,
    out: FloatArray,
) -> None:
    """Price and Greeks of the options in ``[start, stop)`` into the 9 rows of ``out``."""
    for i in range(start, stop):
        w = sign[i]
        s = spot[i]
        k = strike[i]
        t = t_years[i]
        if not (t > 0.0):
            itm = w * (s - k)
            out[0, i] = max(itm, 0.0)
            out[1, i] = w * (1.0 if itm > 0.0 else (0.5 if s == k else 0.0))
            for j in range(2, 9):
                out[j, i] = 0.0
            continue
        r = rate[i]
        b = carry[i]
        sigma = vol[i]
        sqrt_t = math.sqrt(t)
        sd = sigma * sqrt_t
        d1 = (math.log(s / k) + (b + 0.5 * sigma * sigma) * t) / sd
        d2 = d1 - sd
        df_carry = math.exp((b - r) * t)
        df_rate = math.exp(-r * t)
        gauss_d1 = math.exp(-0.5 * d1 * d1)
        n_d1 = _INV_SQRT_2PI * gauss_d1
        cdf_d1 = _ncdf_given_gauss(w * d1, gauss_d1)
        cdf_d2 = _ncdf_given_gauss(w * d2, math.exp(-0.5 * d2 * d2))
        value = w * (s * df_carry * cdf_d1 - k * df_rate * cdf_d2)
        delta = w * df_carry * cdf_d1
        vega_unit = s * df_carry * n_d1 * sqrt_t
        dv_dt = (
            s * df_carry * n_d1 * sigma / (2.0 * sqrt_t)
            + w * (b - r) * s * df_carry * cdf_d1
            + w * r * k * df_rate * cdf_d2
        )
        rho_unit = -t * value if forward_rho else w * k * t * df_rate * cdf_d2
        dd1_dt = (2.0 * b * t - d2 * sd) / (2.0 * t * sd)
        out[0, i] = value
        out[1, i] = delta
        out[2, i] = df_carry * n_d1 / (s * sd)
        out[3, i] = vega_unit / 100.0
        out[4, i] = -dv_dt / _DAYS_PER_YEAR
        out[5, i] = rho_unit / 100.0
        out[6, i] = (-df_carry * n_d1 * d2 / sigma) / 100.0
        out[7, i] = (vega_unit * d1 * d2 / sigma) / 1.0e4
        out[8, i] = -((b - r) * delta + df_carry * n_d1 * dd1_dt) / _DAYS_PER_YEAR


def price_greeks(
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    carry: FloatArray,
    vol: FloatArray,
    *,
    forward_rho: bool = False,
) -> FloatArray:
    """Price and the eight Greeks of the generalised Black-Scholes model, fused and parallel.

    Same inputs and units as :func:`pricing.black_scholes.generalized_greeks` (validated inputs;
    broadcast together). Returns a ``(9, *shape)`` float array whose rows are price, delta,
    gamma, vega (per vol point), theta (per calendar day), rho (per 1 % rate), vanna (per vol
    point), volga (per vol point squared) and charm (per calendar day).
    """
    arrays = np.broadcast_arrays(sign, spot, strike, t_years, rate, carry, vol)
    shape = arrays[0].shape
    w, s, k, t, r, b, v = (np.ascontiguousarray(a, dtype=np.float64).reshape(-1) for a in arrays)
    out = np.empty((9, w.shape[0]), dtype=np.float64)
    fwd = bool(forward_rho)

    def work(start: int, stop: int) -> None:
        _price_greeks_range(start, stop, w, s, k, t, r, b, v, fwd, out)

    run_in_chunks(w.shape[0], work, chunk=GREEKS_CHUNK)
    return out.reshape((9, *shape))




@jit
def ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT2)


@jit
def npdf(x: float) -> float:
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


@jit
def bs_price(sign: float, s: float, k: float, t: float, r: float, q: float, v: float) -> float:
    """Black-Scholes-Merton price (continuous yield ``q``); intrinsic at ``t <= 0``."""
    if t <= 0.0:
        return max(sign * (s - k), 0.0)
    if s <= 0.0:
        return max(sign * (-k * math.exp(-r * t)), 0.0)
    sd = v * math.sqrt(t)
    if sd < 1e-300:
        return max(sign * (s * math.exp(-q * t) - k * math.exp(-r * t)), 0.0)
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    return sign * (s * math.exp(-q * t) * ncdf(sign * d1) - k * math.exp(-r * t) * ncdf(sign * d2))


@jit
def bs_vega(s: float, k: float, t: float, r: float, q: float, v: float) -> float:
    """Black-Scholes vega per 1.00 of vol."""
    if t <= 0.0 or s <= 0.0:
        return 0.0
    sd = v * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    return s * math.exp(-q * t) * npdf(d1) * math.sqrt(t)


@jit
def pv_dividends(t: float, r: float, div_t: FloatArray, div_a: FloatArray) -> float:
    """Present value of the cash dividends with ex-date in (0, t]."""
    pv = 0.0
    for j in range(div_t.shape[0]):
        if 0.0 < div_t[j] <= t:
            pv += div_a[j] * math.exp(-r * div_t[j])
    return pv


@jit
def eur_iv(sign: float, s: float, k: float, t: float, r: float, q: float, target: float,
            guess: float) -> float:
    """Black-Scholes implied vol of ``target`` (safeguarded Newton in vol); NaN if none exists."""
    lower = max(sign * (s * math.exp(-q * t) - k * math.exp(-r * t)), 0.0)
    upper = s * math.exp(-q * t) if sign > 0 else k * math.exp(-r * t)
    if not (lower < target < upper):
        return math.nan
    lo = 1e-6
    hi = MAX_VOL * 4.0
    v = min(max(guess, 0.01), 2.0)
    for _ in range(100):
        f = bs_price(sign, s, k, t, r, q, v) - target
        if abs(f) <= 1e-13 * max(target, 1e-300):
            return v
        if f > 0.0:
            hi = v
        else:
            lo = v
        vega = bs_vega(s, k, t, r, q, v)
        nv = v - f / vega if vega > 0.0 else 0.5 * (lo + hi)
        if not (lo < nv < hi):
            nv = 0.5 * (lo + hi)
        if abs(nv - v) <= 1e-14 * v:
            return nv
        v = nv
    return v

