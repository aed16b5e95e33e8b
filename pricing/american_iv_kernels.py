"""American implied vols (numba): per quote, a root search on a coarse level of the fast engine
(de-Americanised first step), then a Newton step or a second search on the default level. Units
as :mod:`pricing.american_kernels`; status codes from :mod:`pricing.iv_result`."""

from __future__ import annotations

import math

import numpy as np

from pricing._jit import jit
from pricing._parallel import run_in_chunks
from pricing._typing import BoolArray, FloatArray, IntArray
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

#: The root search on the coarse grid, whose root only seeds the default grid's: relative
#: bracket width, accepted secant step.
COARSE_TOLERANCES = (1e-7, 1e-5)
#: The root search on the default grid: relative bracket width, accepted secant step (its
#: error is the step times the relative error of a secant slope of the default grid: below
#: 1e-6 of the vol; measured on the demo IWM chain, 1e-6 in vol at most from the root solved to
#: 1e-12).
DEFAULT_TOLERANCES = (1e-8, 1e-4)
#: A warm start whose first Newton step on the default grid is longer than this (relative) is
#: dropped for the full solve.
WARM_MAX_STEP = 0.05


@jit
def _price_at(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    div_t: FloatArray,
    div_a: FloatArray,
    level: int,
    sbuf: FloatArray,
    obuf: FloatArray,
) -> float:
    sbuf[0] = s
    price_group(sign, k, t, r, q, v, div_t, div_a, sbuf, obuf, level)
    return float(obuf[0])


@jit
def _root_vol(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    price: float,
    div_t: FloatArray,
    div_a: FloatArray,
    level: int,
    lo: float,
    f_lo: float,
    hi: float,
    f_hi: float,
    first: float,
    slope: float,
    x_tol: float,
    accept_step: float,
    sbuf: FloatArray,
    obuf: FloatArray,
) -> tuple[float, float, int]:
    """Root in vol of ``price(vol) - price`` at one engine level.

    ``(lo, f_lo)`` is a point below the root (``f_lo < 0``; ``lo = 0`` stands for the zero-vol
    value) and ``(hi, f_hi)`` one above it (``hi = inf`` if none is known yet); either, if it is
    a vol of this level, starts the secant. ``first`` is a proposal to try first (NaN for none)
    and ``slope`` a slope estimate (per 1.00 of vol) until the first secant of this level.

    Each step is the secant step through the last two evaluations (or the Newton step with
    ``slope``) while it stays inside what is known of the bracket and the last evaluation at
    least halved the residual. Otherwise, without an upper point, the search expands upwards
    with overshooting Newton steps, at least doubling the previous one (flat stretches, e.g. the
    exercise region, give no slope information); with a bracket it takes an Illinois step
    (regula falsi that halves a stale end), which converges on convex, nearly flat curves where
    secant steps stall. Once a secant step of this level is below ``accept_step`` (relative) it
    is taken without a further evaluation (its error is second order). Two evaluations closer
    than 1e-9 (relative) in vol, or 1e-11 of ``max(s, k)`` in price, give no secant (their slope
    is rounding noise). The search ends when the bracket is narrower than ``x_tol`` (relative).
    Returns ``(vol, slope, code)``, the slope being the secant of the last two evaluations."""
    scale = max(s, k)
    if lo > 0.0:
        x_prev = lo
        f_prev = f_lo
    elif math.isfinite(hi):
        x_prev = hi
        f_prev = f_hi
    else:
        x_prev = math.nan
        f_prev = math.nan
    fa = f_lo  # the ends' residuals as the Illinois steps weight them
    fb = f_hi
    last_side = 0
    x = first
    step = 0.0
    for _ in range(160):
        if math.isfinite(hi) and hi - lo <= x_tol * hi:
            break
        if not (math.isfinite(x) and lo < x < hi):
            if not math.isfinite(hi):
                newton = 1.1 * (-f_lo / slope) if slope > 0.0 else math.inf
                step = max(min(newton, lo + 0.05), 2.0 * step, 1e-3 * lo, 1e-6)
                x = lo + step
            else:
                x = hi - fb * (hi - lo) / (fb - fa)
                if not (lo < x < hi):
                    x = 0.5 * (lo + hi)
        if x > MAX_VOL:
            if lo >= MAX_VOL:
                return math.nan, slope, IV_ABOVE_CEILING
            x = MAX_VOL
        fx = _price_at(sign, s, k, t, r, q, x, div_t, div_a, level, sbuf, obuf) - price
        if not math.isfinite(fx):
            return math.nan, slope, IV_NO_CONVERGENCE
        shrank = not math.isfinite(f_prev) or abs(fx) <= 0.5 * abs(f_prev)
        secant = False
        if (
            math.isfinite(x_prev)
            and abs(x - x_prev) > 1e-9 * x
            and abs(fx - f_prev) > 1e-11 * scale
        ):
            sl = (fx - f_prev) / (x - x_prev)
            if sl > 0.0:
                slope = sl
                secant = True
        x_prev = x
        f_prev = fx
        if abs(fx) <= 1e-13 * scale:
            return x, slope, IV_OK
        if fx > 0.0:
            hi = x
            f_hi = fx
            fb = fx
            if last_side == 1:
                fa *= 0.5
            last_side = 1
        else:
            lo = x
            f_lo = fx
            fa = fx
            if last_side == -1:
                fb *= 0.5
            last_side = -1
        x = x - fx / slope if slope > 0.0 else math.nan
        if not (lo < x < hi and x <= MAX_VOL):
            x = math.nan
        elif secant and abs(fx / slope) < accept_step * x_prev:
            return x, slope, IV_OK
        elif not shrank:
            x = math.nan
    if not math.isfinite(hi):
        return math.nan, slope, IV_NO_CONVERGENCE
    root = hi - f_hi * (hi - lo) / (f_hi - f_lo) if f_hi != f_lo else 0.5 * (lo + hi)
    if not (lo <= root <= hi):
        root = 0.5 * (lo + hi)
    return root, slope, IV_OK


@jit
def _implied_vol_one(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    price: float,
    div_t: FloatArray,
    div_a: FloatArray,
    coarse_x_tol: float,
    coarse_accept: float,
) -> tuple[float, int, float]:
    """American implied vol of one quote (``t > 0``, validated inputs): ``(vol, code, slope)``,
    the slope being d(price)/d(vol) per 1.00 of vol near the root (NaN if unknown)."""
    sbuf = np.empty(1)
    obuf = np.empty(1)
    floor = _value_floor(sign, s, k, t, r, q, div_t, div_a)
    status = _screen_price(sign, s, k, price, floor)
    if status >= 0:
        return math.nan, status, math.nan
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
        return math.nan, IV_NO_CONVERGENCE, math.nan
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
    v, slope, code = _root_vol(
        sign,
        s,
        k,
        t,
        r,
        q,
        price,
        div_t,
        div_a,
        0,
        lo,
        f_lo,
        hi,
        f_hi,
        first,
        slope,
        coarse_x_tol,
        coarse_accept,
        sbuf,
        obuf,
    )
    if code == IV_ABOVE_CEILING:
        f_top = _price_at(sign, s, k, t, r, q, MAX_VOL, div_t, div_a, 1, sbuf, obuf) - price
        if f_top < 0.0:
            return math.nan, IV_ABOVE_CEILING, math.nan
        v = MAX_VOL
    elif code != IV_OK:
        return math.nan, code, math.nan
    if not (slope > 0.0):
        slope = bs_vega(s_esc, k, t, r, q, v)
    f1 = _price_at(sign, s, k, t, r, q, v, div_t, div_a, 1, sbuf, obuf) - price
    return _default_level(
        sign, s, k, t, r, q, price, div_t, div_a, floor, v, f1, slope, math.inf, sbuf, obuf
    )


@jit
def _default_level(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    price: float,
    div_t: FloatArray,
    div_a: FloatArray,
    floor: float,
    v: float,
    f1: float,
    slope: float,
    max_step: float,
    sbuf: FloatArray,
    obuf: FloatArray,
) -> tuple[float, int, float]:
    """The root on the default grid from a vol ``v`` near it, whose residual there ``f1`` is
    known, and a slope estimate (per 1.00 of vol): ``(vol, code, slope)``.

    The estimate comes from the coarse grid or an interpolation, which differ from the default
    grid by a small, smooth bias, so one Newton step with it leaves about |step| x (relative
    slope mismatch, typically 1e-4, at most about 1e-2 once the bias is small against the time
    value): a step below 0.3 % of the vol is accepted under that condition. Otherwise the root
    search runs on the default grid, trying that Newton step first (its secants then have the
    default grid's slope). With a finite ``max_step``, a Newton step longer than that (relative)
    returns code -1 (the estimate is too poor to start from); with ``max_step = inf`` the code is
    always one of :mod:`pricing.iv_result`'s."""
    if not math.isfinite(f1):
        return math.nan, IV_NO_CONVERGENCE, math.nan
    if abs(f1) <= 1e-12 * max(s, k):
        return v, IV_OK, slope
    newton = v - f1 / slope
    if abs(f1) <= 0.01 * (price - floor) and abs(newton - v) < 3e-3 * max(v, 0.01) and newton > 0.0:
        return newton, IV_OK, slope
    if math.isfinite(max_step) and not (abs(newton - v) <= max_step * v):
        return math.nan, -1, math.nan
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
    root, slope, code = _root_vol(
        sign,
        s,
        k,
        t,
        r,
        q,
        price,
        div_t,
        div_a,
        1,
        lo,
        f_lo,
        hi,
        f_hi,
        newton,
        slope,
        DEFAULT_TOLERANCES[0],
        DEFAULT_TOLERANCES[1],
        sbuf,
        obuf,
    )
    if code != IV_OK:
        return math.nan, code, math.nan
    return root, IV_OK, slope


@jit
def _warm_one(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    price: float,
    div_t: FloatArray,
    div_a: FloatArray,
    v0: float,
    slope0: float,
    coarse_x_tol: float,
    coarse_accept: float,
) -> tuple[float, int, float]:
    """As :func:`_implied_vol_one`, started from a vol ``v0`` near the root with slope
    ``slope0`` (per 1.00 of vol): one price on the default grid and a Newton step, accepted on
    the same conditions as the Newton step of :func:`_implied_vol_one` (a step below 0.3 % of
    the vol, a residual below 1 % of the time value: its error is the step times the relative
    slope error); otherwise, if that step is within :data:`WARM_MAX_STEP` of ``v0``, secant steps
    on the default grid from there (:func:`_default_level`); else, or should those fail, the
    full solve."""
    if math.isfinite(v0) and v0 > 0.0 and slope0 > 0.0:
        sbuf = np.empty(1)
        obuf = np.empty(1)
        floor = _value_floor(sign, s, k, t, r, q, div_t, div_a)
        f1 = _price_at(sign, s, k, t, r, q, v0, div_t, div_a, 1, sbuf, obuf) - price
        vol, code, slope = _default_level(
            sign,
            s,
            k,
            t,
            r,
            q,
            price,
            div_t,
            div_a,
            floor,
            v0,
            f1,
            slope0,
            WARM_MAX_STEP,
            sbuf,
            obuf,
        )
        if code == IV_OK:
            return vol, code, slope
    return _implied_vol_one(sign, s, k, t, r, q, price, div_t, div_a, coarse_x_tol, coarse_accept)


@jit
def _warm_range(
    start: int,
    stop: int,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    idx: IntArray,
    start_vol: FloatArray,
    vol_out: FloatArray,
    code_out: IntArray,
    slope_out: FloatArray,
    coarse_x_tol: float,
    coarse_accept: float,
) -> None:
    for j in range(start, stop):
        i = idx[j]
        vol, code, slope = _warm_one(
            sign[i],
            s[i],
            k[i],
            t[i],
            r[i],
            q[i],
            price[i],
            div_t,
            div_a,
            start_vol[i],
            slope_out[i],
            coarse_x_tol,
            coarse_accept,
        )
        vol_out[i] = vol
        code_out[i] = code
        slope_out[i] = slope


@jit
def _implied_vols_range(
    start: int,
    stop: int,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    idx: IntArray,
    vol_out: FloatArray,
    code_out: IntArray,
    slope_out: FloatArray,
    coarse_x_tol: float,
    coarse_accept: float,
) -> None:
    for j in range(start, stop):
        i = idx[j]
        vol, code, slope = _implied_vol_one(
            sign[i],
            s[i],
            k[i],
            t[i],
            r[i],
            q[i],
            price[i],
            div_t,
            div_a,
            coarse_x_tol,
            coarse_accept,
        )
        vol_out[i] = vol
        code_out[i] = code
        slope_out[i] = slope


#: Quotes per work item of :func:`implied_vols` (a few milliseconds of work).
IV_CHUNK = 16


def _solve_full(
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    idx: IntArray,
    vol_out: FloatArray,
    code_out: IntArray,
    slope_out: FloatArray,
    coarse: tuple[float, float] = COARSE_TOLERANCES,
) -> None:
    """Full per-quote solves of the quotes at ``idx``, chunks shared between threads.
    ``coarse``: the relative bracket width and accepted secant step of the root search on the
    coarse grid (its root only seeds a Newton step on the default grid)."""

    def work(lo: int, hi: int) -> None:
        _implied_vols_range(
            lo,
            hi,
            sign,
            s,
            k,
            t,
            r,
            q,
            price,
            div_t,
            div_a,
            idx,
            vol_out,
            code_out,
            slope_out,
            coarse[0],
            coarse[1],
        )

    run_in_chunks(idx.shape[0], work, chunk=IV_CHUNK)


@jit
def _value_floor(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    div_t: FloatArray,
    div_a: FloatArray,
) -> float:
    """The least an American option is worth (per share): its intrinsic value or its zero-vol
    value, the larger."""
    return max(max(sign * (s - k), 0.0), zero_vol_value(sign, s, k, t, r, q, div_t, div_a))


@jit
def _screen_price(sign: float, s: float, k: float, price: float, floor: float) -> int:
    """The status of a quote that has no vol (below its floor ``floor``, at it, or at or above
    the share for a call or the strike for a put), or -1."""
    scale = max(s, k)
    if price < floor - 1e-12 * scale:
        return IV_BELOW_INTRINSIC
    if price <= floor + 1e-9 * scale:
        return IV_NO_TIME_VALUE
    if price >= (s if sign > 0 else k):
        return IV_ABOVE_CEILING
    return -1


@jit
def _screen(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    price: float,
    div_t: FloatArray,
    div_a: FloatArray,
) -> int:
    """The status of a quote that has no vol (as :func:`_implied_vol_one` screens), or -1."""
    return _screen_price(sign, s, k, price, _value_floor(sign, s, k, t, r, q, div_t, div_a))


@jit
def _screen_all(
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    code_out: IntArray,
) -> None:
    """:func:`_screen` of every quote into ``code_out`` (-1: the quote has a vol to solve)."""
    for i in range(sign.shape[0]):
        code_out[i] = _screen(sign[i], s[i], k[i], t[i], r[i], q[i], price[i], div_t, div_a)


@jit
def _lagrange3(xs: FloatArray, j0: int, x: float, w: FloatArray) -> None:
    """Weights of quadratic Lagrange interpolation through ``xs[j0:j0 + 3]`` at ``x``."""
    for a in range(3):
        wa = 1.0
        for b in range(3):
            if b != a:
                wa *= (x - xs[j0 + b]) / (xs[j0 + a] - xs[j0 + b])
        w[a] = wa


@jit
def _lagrange4(xs: FloatArray, j0: int, x: float, w: FloatArray) -> None:
    """Weights of cubic Lagrange interpolation through ``xs[j0:j0 + 4]`` at ``x`` into ``w``."""
    for a in range(4):
        wa = 1.0
        for b in range(4):
            if b != a:
                wa *= (x - xs[j0 + b]) / (xs[j0 + a] - xs[j0 + b])
        w[a] = wa


@jit
def _select_anchors(
    order: IntArray,
    starts: IntArray,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    stride: int,
    max_gap_sd: float,
    is_anchor: BoolArray,
) -> None:
    """Mark the anchors of each group (sorted by strike): the first and last quotes, then the
    next quote once ``stride`` quotes have passed or its log-strike is ``max_gap_sd`` standard
    deviations (``vol sqrt(t)``, the vol from the escrowed European inversion of its price)
    beyond the last anchor: the corrections vary on the scale of a standard deviation. Quotes
    marked on entry stay anchors (the count restarts there)."""
    for g in range(starts.shape[0] - 1):
        a = starts[g]
        b = starts[g + 1]
        last_x = -math.inf
        since = 0
        for p in range(a, b):
            i = order[p]
            x = math.log(k[i])
            s_esc = s[i] - pv_dividends(t[i], r[i], div_t, div_a)
            v = (
                eur_iv(sign[i], s_esc, k[i], t[i], r[i], q[i], price[i], 0.3)
                if s_esc > 0.0
                else math.nan
            )
            gap = max_gap_sd * (v if math.isfinite(v) else 0.05) * math.sqrt(t[i])
            if is_anchor[i] or p == a or p == b - 1 or since >= stride or x - last_x >= gap:
                is_anchor[i] = True
                last_x = x
                since = 1
            else:
                since += 1


@jit
def _chain_interpolate(
    order: IntArray,
    starts: IntArray,
    is_anchor: BoolArray,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    vol: FloatArray,
    code: IntArray,
    slope: FloatArray,
    tol: float,
    need_full: BoolArray,
    start_vol: FloatArray,
) -> None:
    """Vols of the non-anchor quotes of each group (quotes sharing kind, spot, expiry, rate and
    yield, ``order[starts[g]:starts[g+1]]`` sorted by strike) from the solved anchors.

    For each anchor, the American correction to the escrowed European closed form at its vol,
    ``C = price - BS_esc(vol)``, its vol derivative ``D = slope - vega_esc(vol)`` (``slope``:
    the American vega near the root, from the anchor's solve) and the vol
    itself are smooth in ``x = ln K``; between anchors they are interpolated by cubic Lagrange
    over the four nearest anchors, and the quote's vol solves ``BS_esc(v) + C + D (v - V) =
    price`` (Newton on the closed form). The interpolation error is estimated per quote by the
    two quadratics through three of the cubic's four anchors (whose errors exceed the cubic's):
    where either differs from the cubic by more than ``tol`` in vol, the quote is left to the
    full solver (``need_full``), as are the quotes outside the anchors and those of groups with
    fewer than 4 anchors with a vol.
    Every quote whose corrected closed form has a root gets that root in ``start_vol`` and the
    slope of the corrected closed form in ``slope`` (a warm start for the full solver)."""
    w = np.empty(4)
    for g in range(starts.shape[0] - 1):
        a = starts[g]
        b = starts[g + 1]
        na = 0
        for p in range(a, b):
            i = order[p]
            if is_anchor[i] and code[i] == IV_OK and slope[i] > 0.0:
                na += 1
        pos = np.empty(na, dtype=np.int64)
        xa = np.empty(na)
        ca = np.empty(na)
        da = np.empty(na)
        va = np.empty(na)
        sa = np.empty(na)
        m = 0
        for p in range(a, b):
            i = order[p]
            if not (is_anchor[i] and code[i] == IV_OK and slope[i] > 0.0):
                continue
            x = math.log(k[i])
            if m and x <= xa[m - 1]:
                continue  # a second quote at one strike: one anchor per strike
            s_esc = s[i] - pv_dividends(t[i], r[i], div_t, div_a)
            pos[m] = p
            xa[m] = x
            ca[m] = price[i] - bs_price(sign[i], s_esc, k[i], t[i], r[i], q[i], vol[i])
            da[m] = slope[i] - bs_vega(s_esc, k[i], t[i], r[i], q[i], vol[i])
            va[m] = vol[i]
            sa[m] = slope[i]
            m += 1
        if m < 4:
            for p in range(a, b):
                if not is_anchor[order[p]]:
                    need_full[order[p]] = True
            continue
        ia = 0
        for p in range(a, b):
            i = order[p]
            if is_anchor[i]:
                continue
            x = math.log(k[i])
            while ia < m - 2 and x >= xa[ia + 1]:
                ia += 1
            if x < xa[0] or x > xa[m - 1]:
                need_full[i] = True
                continue
            status = _screen(sign[i], s[i], k[i], t[i], r[i], q[i], price[i], div_t, div_a)
            if status >= 0:
                code[i] = status
                vol[i] = math.nan
                continue
            j0 = max(0, min(ia - 1, m - 4))
            _lagrange4(xa, j0, x, w)
            c_i = 0.0
            d_i = 0.0
            v_i = 0.0
            for e in range(4):
                c_i += w[e] * ca[j0 + e]
                d_i += w[e] * da[j0 + e]
                v_i += w[e] * va[j0 + e]
            s_esc = s[i] - pv_dividends(t[i], r[i], div_t, div_a)
            root = _corrected_iv(sign[i], s_esc, k[i], t[i], r[i], q[i], price[i], c_i, d_i, v_i)
            if not math.isfinite(root):
                need_full[i] = True
                continue
            # error estimate: the cubic against both quadratics through three of its four
            # anchors (their errors exceed the cubic's, so this is conservative)
            gap = 0.0
            for j1 in (j0, j0 + 1):
                _lagrange3(xa, j1, x, w)
                c_q = 0.0
                d_q = 0.0
                v_q = 0.0
                for e in range(3):
                    c_q += w[e] * ca[j1 + e]
                    d_q += w[e] * da[j1 + e]
                    v_q += w[e] * va[j1 + e]
                gap = max(gap, abs(c_i + d_i * (root - v_i) - c_q - d_q * (root - v_q)))
            eu_vega = bs_vega(s_esc, k[i], t[i], r[i], q[i], root)
            am_vega = eu_vega + d_i
            # Deep in the money (a put before its exercise boundary reaches the spot) the
            # early-exercise correction takes most of the vega: the vol then amplifies any error
            # of the interpolated correction beyond what the check above sees (measured on the
            # demo IWM chain: up to 8e-4 in vol where the American vega fell below half the
            # European one, at most 7e-5 elsewhere). Those quotes are solved in full.
            # the error bound: tol in vol, or tol x VEGA_FLOOR in price where the vega is below
            # VEGA_FLOOR (a price error far below a tick; the vol barely moves the price there)
            if not (am_vega > MIN_VEGA_SHARE * eu_vega) or gap > tol * max(am_vega, VEGA_FLOOR):
                need_full[i] = True
                start_vol[i] = root  # a warm start for the full solve
                if am_vega > 0.0:
                    slope[i] = am_vega
                continue
            vol[i] = root
            code[i] = IV_OK
            start_vol[i] = root
            slope[i] = am_vega


@jit
def _corrected_iv(
    sign: float,
    s_esc: float,
    k: float,
    t: float,
    r: float,
    q: float,
    price: float,
    c: float,
    d: float,
    v0: float,
) -> float:
    """Root in ``v`` of ``BS_esc(v) + c + d (v - v0) - price`` (safeguarded Newton from ``v0``;
    the slope ``vega_esc + d`` approximates the American vega); NaN if none in (0, MAX_VOL].

    The linear term holds near ``v0`` only, so the root is bracketed there, on the side of
    ``v0`` where the sign says it lies: the other end moves out by factors of two from ``v0``
    until the sign changes (at most down to 1e-6 or up to ``MAX_VOL``). Far from ``v0`` the
    linearised correction means nothing: for an in-the-money put its slope ``vega_esc + d``
    turns negative at low vols, where a second, spurious root may lie."""
    v0 = min(max(v0, 1e-6), MAX_VOL)
    f0 = bs_price(sign, s_esc, k, t, r, q, v0) + c - price
    if f0 == 0.0:
        return v0
    if f0 < 0.0:
        lo = v0
        hi = v0
        f_hi = f0
        while f_hi <= 0.0 and hi < MAX_VOL:
            lo = hi
            hi = min(2.0 * hi, MAX_VOL)
            f_hi = bs_price(sign, s_esc, k, t, r, q, hi) + c + d * (hi - v0) - price
        if not (f_hi > 0.0):
            return math.nan
    else:
        lo = v0
        hi = v0
        f_lo = f0
        while f_lo >= 0.0 and lo > 1e-6:
            hi = lo
            lo = max(0.5 * lo, 1e-6)
            f_lo = bs_price(sign, s_esc, k, t, r, q, lo) + c + d * (lo - v0) - price
        if not (f_lo < 0.0):
            return math.nan
    v = min(max(v0, lo), hi)
    for _ in range(60):
        f = bs_price(sign, s_esc, k, t, r, q, v) + c + d * (v - v0) - price
        if f > 0.0:
            hi = v
        else:
            lo = v
        fp = bs_vega(s_esc, k, t, r, q, v) + d
        nv = v - f / fp if fp > 0.0 else 0.5 * (lo + hi)
        if not (lo < nv < hi):
            nv = 0.5 * (lo + hi)
        if abs(nv - v) <= 1e-12 * v:
            return nv
        v = nv
    return math.nan


#: At most this many quotes of one series from one anchor (a fully solved quote) to the next in
#: :func:`implied_vols` ...
ANCHOR_STRIDE = 6
#: ... and at most this many standard deviations (vol sqrt(t)) of log-strike.
ANCHOR_GAP_SD = 0.25
#: Anchors of a finer level are solved only where the interpolation from the coarser, solved
#: ones fails its check (else they are left to the final interpolation like any quote), so the
#: anchors thin out where the corrections are smooth.
ADAPTIVE_ANCHORS = True
#: A series (quotes sharing kind, spot, expiry, rate and yield) of fewer quotes is solved in full.
MIN_SERIES = 5 * ANCHOR_STRIDE
#: Levels of anchors: one in 2**ANCHOR_LEVELS is solved from scratch, the others warm-started.
ANCHOR_LEVELS = 2
#: Largest estimated interpolation error (decimal vol) at which a quote takes the
#: interpolated vol rather than a full solve.
INTERPOLATION_TOL = 5e-5
#: Vega (per 1.00 of vol; 0.01 per vol point) below which the interpolation error bound of
#: :data:`INTERPOLATION_TOL` applies to ``tol x VEGA_FLOOR`` in price (per share) instead of vol.
VEGA_FLOOR = 1.0
#: Smallest American vega, as a share of the escrowed European vega at the same vol, at which a
#: quote takes the interpolated vol (see :func:`_chain_interpolate`).
MIN_VEGA_SHARE = 0.5


def _warm_pass(
    order: IntArray,
    starts: IntArray,
    anchors: BoolArray,
    targets: BoolArray,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    vol: FloatArray,
    code: IntArray,
    slope: FloatArray,
    start_vol: FloatArray,
    *,
    interpolate: bool = False,
) -> IntArray:
    """Interpolate the ``targets`` from the solved ``anchors`` (:func:`_chain_interpolate`);
    those it cannot settle, and all of them unless ``interpolate``, get a warm full solve.
    Returns the positions of the quotes solved so."""
    need_full = np.zeros(sign.shape[0], dtype=bool)
    _chain_interpolate(
        order,
        starts,
        anchors,
        sign,
        s,
        k,
        t,
        r,
        q,
        price,
        div_t,
        div_a,
        vol,
        code,
        slope,
        INTERPOLATION_TOL,
        need_full,
        start_vol,
    )
    warm = need_full if interpolate else need_full | (targets & (code == IV_OK))
    rest = np.flatnonzero(warm).astype(np.int64)

    def work(lo: int, hi: int) -> None:
        _warm_range(
            lo,
            hi,
            sign,
            s,
            k,
            t,
            r,
            q,
            price,
            div_t,
            div_a,
            rest,
            start_vol,
            vol,
            code,
            slope,
            COARSE_TOLERANCES[0],
            COARSE_TOLERANCES[1],
        )

    run_in_chunks(rest.size, work, chunk=IV_CHUNK)
    return rest


def _implied_vols_of(
    idx: IntArray,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    method: str,
) -> tuple[FloatArray, IntArray]:
    """:func:`implied_vols` of the quotes at positions ``idx`` alone: ``(vols, codes)``."""
    vols = np.empty(idx.size)
    codes = np.empty(idx.size, dtype=np.int64)
    sub = [np.ascontiguousarray(a[idx]) for a in (sign, s, k, t, r, q, price)]
    implied_vols(
        sub[0],
        sub[1],
        sub[2],
        sub[3],
        sub[4],
        sub[5],
        sub[6],
        div_t,
        div_a,
        vols,
        codes,
        method=method,
    )
    return vols, codes


def implied_vols(
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    price: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    vol_out: FloatArray,
    code_out: IntArray,
    *,
    method: str = "chain",
) -> None:
    """American implied vols of validated, live quotes; ``code_out`` receives the ``IV_*``
    status codes of :mod:`pricing.iv_result`.

    ``method="per_quote"`` solves every quote in full (a root search on a coarse grid, then
    the default grid). ``method="chain"`` (the default) picks anchors in each series (quotes
    sharing kind, spot, expiry, rate and yield) at most :data:`ANCHOR_STRIDE` strikes or
    :data:`ANCHOR_GAP_SD` standard deviations apart, solves one in ``2**ANCHOR_LEVELS`` of them
    and the ends in full, then each finer level of anchors where the interpolation from the
    solved ones fails its check (:data:`ADAPTIVE_ANCHORS`), and gets every other quote from the
    solved anchors' American corrections to the escrowed European closed form (see
    :func:`_chain_interpolate`), falling back to a (warm-started) full solve wherever the error
    estimate exceeds :data:`INTERPOLATION_TOL` in vol. Every choice is made per series from its
    own quotes, so a quote's vol does not depend on the rest of the batch nor its order.
    Chunks run on the shared threads."""
    n = sign.shape[0]
    slope = np.full(n, np.nan)
    if method == "per_quote":
        _solve_full(
            sign,
            s,
            k,
            t,
            r,
            q,
            price,
            div_t,
            div_a,
            np.arange(n, dtype=np.int64),
            vol_out,
            code_out,
            slope,
        )
        return
    if method != "chain":
        raise ValueError(f"method={method!r}: must be 'chain' or 'per_quote'")
    # Quotes without a vol (below the floor, no time value, above the ceiling) get their status
    # first: a series' anchors, ends included, are chosen among the quotes that have a vol.
    screened = np.empty(n, dtype=np.int64)
    _screen_all(sign, s, k, t, r, q, price, div_t, div_a, screened)
    if (screened >= 0).any():
        live = np.flatnonzero(screened < 0)
        vol_out[:] = np.nan
        code_out[:] = screened
        if live.size:
            vol_out[live], code_out[live] = _implied_vols_of(
                live, sign, s, k, t, r, q, price, div_t, div_a, method
            )
        return
    # Every decision below is taken per series from that series' quotes alone (anchors, their
    # levels, which quotes are solved in full), in an order fixed by the quotes' values (not
    # their positions), and every solve is a function of its own quote and its series' anchors:
    # a quote's vol does not depend on which other series share the call, nor on the order of
    # the quotes. Exact duplicates are solved once.
    order = np.lexsort((price, k, q, r, t, s, sign)).astype(np.int64)
    keys = (sign, s, t, r, q)
    same = np.ones(max(n - 1, 0), dtype=bool)
    for a in (*keys, k, price):
        sa = a[order]
        same &= sa[1:] == sa[:-1]
    if same.any():
        # solve the distinct quotes only, then copy each result to its duplicates
        first = np.concatenate(([True], ~same))
        uniq = order[first]
        owner = np.empty(n, dtype=np.int64)
        owner[order] = np.cumsum(first) - 1
        u_vol, u_code = _implied_vols_of(uniq, sign, s, k, t, r, q, price, div_t, div_a, method)
        vol_out[:] = u_vol[owner]
        code_out[:] = u_code[owner]
        return
    change = np.zeros(n, dtype=bool)
    for a in keys:
        sa = a[order]
        change[1:] |= sa[1:] != sa[:-1]
    starts = np.concatenate(([0], np.flatnonzero(change), [n])).astype(np.int64)
    is_anchor = np.zeros(n, dtype=bool)
    _select_anchors(
        order,
        starts,
        sign,
        s,
        k,
        t,
        r,
        q,
        price,
        div_t,
        div_a,
        ANCHOR_STRIDE,
        ANCHOR_GAP_SD,
        is_anchor,
    )
    code_out[:] = -1
    vol_out[:] = np.nan
    # Primary anchors (every ANCHOR_LEVELS-th power of two of each series' anchors, and its
    # ends) are solved in full; each finer level of anchors takes a warm start from the
    # interpolation of the coarser ones (one price on the default grid and a Newton step where
    # that is accurate enough, the full solve where not); then every other quote is
    # interpolated from all the anchors (or warm-solved). A series too short to interpolate is
    # solved in full.
    cum = np.cumsum(is_anchor[order])
    before = np.concatenate(([0], cum))[starts[:-1]]
    group_of = np.repeat(np.arange(starts.size - 1), np.diff(starts))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = cum - 1 - before[group_of]
    ends = np.zeros(n, dtype=bool)
    ends[order[starts[1:] - 1]] = True
    ends[order[starts[:-1]]] = True
    short = np.zeros(n, dtype=bool)
    short[order] = np.repeat(np.diff(starts) < MIN_SERIES, np.diff(starts))
    is_anchor |= short
    solved = is_anchor & ((rank % (1 << ANCHOR_LEVELS) == 0) | ends | short)
    _solve_full(
        sign,
        s,
        k,
        t,
        r,
        q,
        price,
        div_t,
        div_a,
        np.flatnonzero(solved).astype(np.int64),
        vol_out,
        code_out,
        slope,
        COARSE_TOLERANCES,
    )
    start_vol = np.full(n, np.nan)
    for level in range(ANCHOR_LEVELS - 1, -1, -1):
        in_level = is_anchor & (rank % (1 << level) == 0)
        in_pass = (in_level | solved)[order]
        sub_order = order[in_pass]
        sub_starts = np.searchsorted(np.flatnonzero(in_pass), starts).astype(np.int64)
        rest = _warm_pass(
            sub_order,
            sub_starts,
            solved,
            in_level & ~solved,
            sign,
            s,
            k,
            t,
            r,
            q,
            price,
            div_t,
            div_a,
            vol_out,
            code_out,
            slope,
            start_vol,
            interpolate=ADAPTIVE_ANCHORS,
        )
        if ADAPTIVE_ANCHORS:
            solved[rest] = True
        else:
            solved = solved | in_level
    _warm_pass(
        order,
        starts,
        solved,
        ~solved,
        sign,
        s,
        k,
        t,
        r,
        q,
        price,
        div_t,
        div_a,
        vol_out,
        code_out,
        slope,
        start_vol,
        interpolate=True,
    )
