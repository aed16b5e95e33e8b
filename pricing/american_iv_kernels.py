"""American implied vols (numba): per quote, a root search on a coarse level of the fast engine
(de-Americanised first step), then a Newton step or a second search on the default level. Units
as :mod:`pricing.american_kernels`; status codes from :mod:`pricing.iv_result`."""

from __future__ import annotations

import math

import numpy as np

from pricing._jit import jit
from pricing._parallel import run_in_chunks
from pricing._typing import FloatArray, IntArray
from pricing.american_bounds import zero_vol_value
from pricing.american_kernels import price_group
from pricing.european_kernels import bs_price, bs_vega, eur_iv, pv_dividends
from pricing.iv_result import (
    IV_ABOVE_CEILING,
    IV_BELOW_INTRINSIC,
    IV_NO_CONVERGENCE,
    IV_NO_TIME_VALUE,
    IV_OK,
)
from pricing.validation import MAX_VOL

# --------------------------------------------------------------------------------------------
# Implied volatility
# --------------------------------------------------------------------------------------------


@jit
def _price_at(sign: float, s: float, k: float, t: float, r: float, q: float, v: float,
              div_t: FloatArray, div_a: FloatArray, level: int, sbuf: FloatArray,
              obuf: FloatArray) -> float:
    sbuf[0] = s
    price_group(sign, k, t, r, q, v, div_t, div_a, sbuf, obuf, level)
    return float(obuf[0])


@jit
def _root_vol(sign: float, s: float, k: float, t: float, r: float, q: float, price: float,
              div_t: FloatArray, div_a: FloatArray, level: int, lo: float, f_lo: float,
              hi: float, f_hi: float, first: float, slope: float, x_tol: float,
              accept_step: float, sbuf: FloatArray, obuf: FloatArray
              ) -> tuple[float, float, int]:
    """Root in vol of ``price(vol) - price`` at one engine level.

    ``(lo, f_lo)`` is a point below the root (``f_lo < 0``; ``lo = 0`` stands for the zero-vol
    value) and ``(hi, f_hi)`` one above it (``hi = inf`` if none is known yet); ``first`` is a
    proposal to try first (NaN for none) and ``slope`` a local slope estimate. Once the secant
    step predicted from the last two evaluations is below ``accept_step`` (relative) it is
    taken without a further evaluation (its error is second order). Without an upper
    point the search expands upwards with overshooting Newton steps; with a bracket it runs the
    Illinois method (regula falsi that halves a stale end), which converges on convex, nearly
    flat curves where secant steps stall. Returns ``(vol, slope, code)``, the slope being the
    secant of the last two evaluations."""
    scale = max(s, k)
    x_prev = math.nan
    f_prev = math.nan
    x = first
    step = 0.0
    for _ in range(60):
        if math.isfinite(hi):
            break
        if not (math.isfinite(x) and x > lo):
            # Newton from below with 10 % overshoot, but at least double the previous step
            # (flat stretches, e.g. the exercise region, give no slope information)
            newton = 1.1 * (-f_lo / slope) if slope > 0.0 else math.inf
            step = max(min(newton, lo + 0.05), 2.0 * step, 1e-3 * lo, 1e-6)
            x = lo + step
        else:
            step = x - lo
        if x > MAX_VOL:
            if lo >= MAX_VOL:
                return math.nan, slope, IV_ABOVE_CEILING
            x = MAX_VOL
        fx = _price_at(sign, s, k, t, r, q, x, div_t, div_a, level, sbuf, obuf) - price
        if not math.isfinite(fx):
            return math.nan, slope, IV_NO_CONVERGENCE
        if math.isfinite(x_prev) and x != x_prev and fx != f_prev:
            sl = (fx - f_prev) / (x - x_prev)
            if sl > 0.0:
                slope = sl
        elif x != lo and fx != f_lo and lo > 0.0:
            sl = (fx - f_lo) / (x - lo)
            if sl > 0.0:
                slope = sl
        x_prev = x
        f_prev = fx
        if abs(fx) <= 1e-13 * scale:
            return x, slope, IV_OK
        if fx > 0.0:
            hi = x
            f_hi = fx
        else:
            lo = x
            f_lo = fx
        x = math.nan
    if not math.isfinite(hi):
        return math.nan, slope, IV_NO_CONVERGENCE
    a, fa, b, fb = lo, f_lo, hi, f_hi
    last_side = 0
    for _ in range(100):
        if b - a <= x_tol * b:
            break
        if math.isfinite(x) and a < x < b:
            c = x
            x = math.nan
        else:
            c = b - fb * (b - a) / (fb - fa)
            if not (a < c < b):
                c = 0.5 * (a + b)
        fc = _price_at(sign, s, k, t, r, q, c, div_t, div_a, level, sbuf, obuf) - price
        if not math.isfinite(fc):
            return math.nan, slope, IV_NO_CONVERGENCE
        if math.isfinite(x_prev) and c != x_prev and fc != f_prev:
            sl = (fc - f_prev) / (c - x_prev)
            if sl > 0.0:
                slope = sl
        x_prev = c
        f_prev = fc
        if abs(fc) <= 1e-13 * scale:
            return c, slope, IV_OK
        if slope > 0.0 and abs(fc / slope) < accept_step * c and a < c - fc / slope < b:
            return c - fc / slope, slope, IV_OK
        if fc > 0.0:
            b = c
            fb = fc
            if last_side == 1:
                fa *= 0.5
            last_side = 1
        else:
            a = c
            fa = fc
            if last_side == -1:
                fb *= 0.5
            last_side = -1
    root = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
    if not (a <= root <= b):
        root = 0.5 * (a + b)
    return root, slope, IV_OK


@jit
def _implied_vol_one(sign: float, s: float, k: float, t: float, r: float, q: float,
                     price: float, div_t: FloatArray, div_a: FloatArray) -> tuple[float, int]:
    """American implied vol of one quote (``t > 0``, validated inputs)."""
    sbuf = np.empty(1)
    obuf = np.empty(1)
    scale = max(s, k)
    intrinsic = max(sign * (s - k), 0.0)
    floor = max(intrinsic, zero_vol_value(sign, s, k, t, r, q, div_t, div_a))
    if price < floor - 1e-12 * scale:
        return math.nan, IV_BELOW_INTRINSIC
    if price <= floor + 1e-9 * scale:
        return math.nan, IV_NO_TIME_VALUE
    if price >= (s if sign > 0 else k):
        return math.nan, IV_ABOVE_CEILING
    # European proxy: escrowed spot with continuous yield (closed form, a preconditioner only)
    s_esc = s - pv_dividends(t, r, div_t, div_a)
    if s_esc <= 0.0:
        s_esc = 1e-12 * s
    e_floor = max(sign * (s_esc * math.exp(-q * t) - k * math.exp(-r * t)), 0.0)
    e_cap = s_esc * math.exp(-q * t) if sign > 0 else k * math.exp(-r * t)
    target = e_floor + (price - floor)
    if target >= e_cap:
        target = 0.5 * (e_floor + e_cap)
    v = eur_iv(sign, s_esc, k, t, r, q, target, 0.3)
    if not math.isfinite(v):
        v = 0.3
    v = min(max(v, 1e-3), MAX_VOL)
    f = _price_at(sign, s, k, t, r, q, v, div_t, div_a, 0, sbuf, obuf) - price
    if not math.isfinite(f):
        return math.nan, IV_NO_CONVERGENCE
    lo = 0.0
    f_lo = floor - price
    hi = math.inf
    f_hi = math.inf
    if f > 0.0:
        hi = v
        f_hi = f
    else:
        lo = v
        f_lo = f
    # de-Americanisation: European inversion of (price - early-exercise premium at v)
    first = eur_iv(sign, s_esc, k, t, r, q, bs_price(sign, s_esc, k, t, r, q, v) - f, v)
    slope = bs_vega(s_esc, k, t, r, q, v)
    v, slope, code = _root_vol(sign, s, k, t, r, q, price, div_t, div_a, 0, lo, f_lo, hi, f_hi,
                               first, slope, 1e-8, 1e-6, sbuf, obuf)
    if code == IV_ABOVE_CEILING:
        f_top = _price_at(sign, s, k, t, r, q, MAX_VOL, div_t, div_a, 1, sbuf, obuf) - price
        if f_top < 0.0:
            return math.nan, IV_ABOVE_CEILING
        v = MAX_VOL
    elif code != IV_OK:
        return math.nan, code
    if not (slope > 0.0):
        slope = bs_vega(s_esc, k, t, r, q, v)
    # Default level. The levels differ by a small, smooth discretisation bias, so one Newton
    # step with the coarse slope leaves about |step| x (relative slope mismatch, typically 1e-4,
    # at most about 1e-2 once the bias is small against the time value): accept a step below
    # 0.3 % of the vol under that condition; otherwise solve again on the default level,
    # trying that Newton step first.
    f1 = _price_at(sign, s, k, t, r, q, v, div_t, div_a, 1, sbuf, obuf) - price
    if not math.isfinite(f1):
        return math.nan, IV_NO_CONVERGENCE
    if abs(f1) <= 1e-12 * scale:
        return v, IV_OK
    newton = v - f1 / slope
    if abs(f1) <= 0.01 * (price - floor) and abs(newton - v) < 3e-3 * max(v, 0.01) \
            and newton > 0.0:
        return newton, IV_OK
    lo = 0.0
    f_lo = floor - price
    hi = math.inf
    f_hi = math.inf
    if f1 > 0.0:
        hi = v
        f_hi = f1
    else:
        lo = v
        f_lo = f1
    root, _, code = _root_vol(sign, s, k, t, r, q, price, div_t, div_a, 1, lo, f_lo, hi, f_hi,
                              newton, slope, 1e-8, 1e-6, sbuf, obuf)
    if code != IV_OK:
        return math.nan, code
    return root, IV_OK


@jit
def _implied_vols_range(start: int, stop: int, sign: FloatArray, s: FloatArray, k: FloatArray,
                        t: FloatArray, r: FloatArray, q: FloatArray, price: FloatArray,
                        div_t: FloatArray, div_a: FloatArray, vol_out: FloatArray,
                        code_out: IntArray) -> None:
    for i in range(start, stop):
        vol, code = _implied_vol_one(sign[i], s[i], k[i], t[i], r[i], q[i], price[i], div_t,
                                     div_a)
        vol_out[i] = vol
        code_out[i] = code


#: Quotes per work item of :func:`implied_vols` (a few milliseconds of work).
IV_CHUNK = 16


def implied_vols(sign: FloatArray, s: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray,
                 q: FloatArray, price: FloatArray, div_t: FloatArray, div_a: FloatArray,
                 vol_out: FloatArray, code_out: IntArray) -> None:
    """American implied vols of validated, live quotes (chunks shared between threads by
    :func:`pricing._parallel.run_in_chunks`); ``code_out`` receives the ``IV_*`` status codes of
    :mod:`pricing.iv_result`."""

    def work(lo: int, hi: int) -> None:
        _implied_vols_range(lo, hi, sign, s, k, t, r, q, price, div_t, div_a, vol_out, code_out)

    run_in_chunks(sign.shape[0], work, chunk=IV_CHUNK)
