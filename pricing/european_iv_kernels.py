"""Compiled (numba) implied vol of whole European chains (Black-Scholes-Merton and Black-76).

The readable references these are tested against, value by value, live elsewhere (vollib in
:mod:`pricing.reference`, the numpy kernel in :mod:`pricing.black_scholes`).

Implied vol (:func:`iv_chain`). Each quote is reduced to Jäckel's normalised Black function
b(x, s), x = ln(F/K), s = σ√T, on its out-of-the-money side, then:

1. an explicit guess: Pólya's approximation of Φ makes the normalised Black equation solvable in
   closed form (:func:`_polya_guess`, the idea of Stefanica and Radoičić, 2017; a few percent);
2. a correction from a precomputed table of (true root / guess) over (x/s, ln s), interpolated
   bilinearly (:func:`make_guess_table`; within 3e-5);
3. one Householder(3) step on b(x, s) - beta; the method has order four, so a step below 1e-4
   of s leaves an error of order 1e-16;
4. any quote not settled so (deep wings with x/s < -4.5, s outside the table, no convergence)
   goes through more Householder steps and, failing those, a faithful port of Peter Jäckel's
   "Let's Be Rational" (2013-2014, www.jaeckel.org: the algorithm vollib runs in pure Python;
   the port follows Jäckel's C++ with Cody's erf/erfcx and AS241's inverse normal CDF, which
   vollib also uses; its exceptions become status codes).

Every path converges to the same root to rounding, so the kernel agrees with vollib to ~1e-15 in
vol wherever the vol is well conditioned. Chunks of the chain are shared between the calling
thread and helper threads (:func:`run_in_chunks`).
"""

from __future__ import annotations

import math

import numpy as np

from pricing._jit import jit
from pricing._parallel import run_in_chunks
from pricing._typing import FloatArray, Int8Array
from pricing.iv_result import (
    IV_ABOVE_CEILING,
    IV_BAD_DIV_YIELD,
    IV_BAD_DIVIDENDS,
    IV_BAD_PRICE,
    IV_BAD_RATE,
    IV_BAD_STRIKE,
    IV_BAD_T_YEARS,
    IV_BAD_UNDERLYING,
    IV_BELOW_INTRINSIC,
    IV_EXPIRED,
    IV_NO_CONVERGENCE,
    IV_NO_TIME_VALUE,
    IV_OK,
    IV_UNSET,
)
from pricing.lbr_kernels import (
    _householder_factor,
    _unchecked_normalised_implied_volatility,
    normalised_black_call,
    normalised_vega,
)
from pricing.normal_kernels import (
    DBL_MAX,
    IMPLIED_VOLATILITY_MAXIMUM_ITERATIONS,
    SQRT_DBL_MAX,
)

#: A quote whose time value (price minus the discounted-forward intrinsic value) is within
#: ``NO_TIME_VALUE_RTOL * max(forward, strike)`` (undiscounted) of zero carries no information
#: about vol: the time value is then below the rounding of the numbers it was computed from.
NO_TIME_VALUE_RTOL = 1.0e-12

# ----------------------------------------------------------------------------------------------
# The fast solver: an explicit initial guess refined by a correction table, Householder(3) steps
# on the normalised Black function, Let's Be Rational as the fallback.

_PI = math.pi
_TWO_OVER_PI = 2.0 / math.pi
#: Quotes deeper out of the money than x/s < -4.5 (normalised units) go to Let's Be Rational,
#: whose transformed objective handles the exponentially small wings.
_FAST_MIN_H = -4.5
#: Stop when a Householder(3) step is below this fraction of s: the method converges with order
#: four, so the error left after such a step is of order (1e-4)^4 = 1e-16 times a modest
#: constant (measured: within 2e-15 of Let's Be Rational), i.e. rounding.
_FAST_STEP_RTOL = 1.0e-4
_FAST_MAX_ITERATIONS = 4
#: A Let's Be Rational root must reprice the normalised quote to this relative accuracy (it does
#: to ~1e-15 except where it breaks down).
_REPRICE_RTOL = 1.0e-8

#: The correction table: c = s / s_polya on a uniform grid in h = x/s_polya (from -4.5 to 0) and
#: ln s_polya (from ln 1e-3 to ln 8), interpolated bilinearly. Its guesses are within 3e-5 of the
#: root (relative), so a single Householder(3) step reaches rounding.
TABLE_H0 = _FAST_MIN_H
TABLE_DH = 0.05
TABLE_NH = 91
TABLE_W0 = math.log(1.0e-3)
TABLE_DW = 0.05
TABLE_NW = math.ceil((math.log(8.0) - TABLE_W0) / TABLE_DW) + 1


@jit
def _polya_black_call(x: float, s: float) -> float:
    """The normalised Black call b(x, s) with Φ replaced by Pólya's approximation (x <= 0)."""
    a = math.exp(0.5 * x)
    d1 = x / s + 0.5 * s
    d2 = x / s - 0.5 * s
    t1 = math.sqrt(max(1.0 - math.exp(-2.0 * d1 * d1 / _PI), 0.0))
    t2 = math.sqrt(max(1.0 - math.exp(-2.0 * d2 * d2 / _PI), 0.0))
    return 0.5 * (a - 1.0 / a) + 0.5 * (
        a * (t1 if d1 >= 0.0 else -t1) + (t2 if d2 < 0.0 else -t2) / a
    )


@jit
def _polya_guess(beta: float, x: float) -> float:
    """Explicit normalised vol s for a normalised out-of-the-money call price ``beta`` (x <= 0).

    The exact inverse of :func:`_polya_black_call`: with Φ replaced by Pólya's approximation
    Φ(z) ≈ (1 + sgn(z)·sqrt(1 - exp(-2z²/π)))/2 the normalised Black equation becomes a quadratic
    in u = sqrt(1 - M·E), M = exp(2x/π), E = exp(-2(x²/s² + s²/4)/π), then a quadratic in s²
    (the idea of Stefanica and Radoičić's explicit formula, 2017). Relative error against the
    true root: under 6 % for x/s >= -4, 16 % down to -4.5. NaN where it has no solution.
    """
    return _polya_guess_a(beta, x, math.exp(0.5 * x))


@jit
def _polya_guess_a(beta: float, x: float, a: float) -> float:
    """:func:`_polya_guess` given ``a = exp(x/2)``."""
    ia = 1.0 / a
    big_l = 2.0 * beta - a + ia  # > 0: beta > 0 and 1/a >= a for x <= 0
    m = math.exp(x * _TWO_OVER_PI)
    im = 1.0 / m
    a_sq = a * a
    p_over_m = im * im
    a2 = ia * ia - a_sq * p_over_m
    b = big_l * ia
    c0 = big_l * big_l - a_sq + a_sq * p_over_m
    disc = b * b - a2 * c0
    u = c0 / (b + math.sqrt(disc if disc > 0.0 else 0.0))
    e = (1.0 - u * u) * im
    if not (e > 0.0 and e <= 1.0):
        return math.nan
    big_a = -0.5 * _PI * math.log(e)
    d = big_a * big_a - x * x
    root = math.sqrt(d) if d > 0.0 else 0.0
    if big_l * big_l >= ia * ia * (1.0 - m * m):  # d1 >= 0: the larger root in s²
        s2 = 2.0 * (big_a + root)
    else:
        s2 = 2.0 * x * x / (big_a + root)  # the smaller root, 2(A - root), without cancellation
    return math.sqrt(s2)


@jit
def _fill_guess_table(table: FloatArray) -> None:
    """Tabulate c = s_true / s_polya at the grid nodes (NaN where Pólya's inverse is not exact)."""
    for i in range(TABLE_NH):
        h = TABLE_H0 + i * TABLE_DH
        for j in range(TABLE_NW):
            s_p = math.exp(TABLE_W0 + j * TABLE_DW)
            x = h * s_p
            beta = _polya_black_call(x, s_p)
            table[i, j] = math.nan
            if not (beta > 0.0 and beta < math.exp(0.5 * x)):
                continue
            if math.fabs(_polya_guess(beta, x) / s_p - 1.0) > 1.0e-10:
                continue
            s = _unchecked_normalised_implied_volatility(
                beta, x, 1.0, IMPLIED_VOLATILITY_MAXIMUM_ITERATIONS
            )
            table[i, j] = s / s_p


def make_guess_table() -> FloatArray:
    """The correction table used by :func:`iv_chain` (about 11,000 Let's Be Rational solves, a
    few milliseconds once compiled)."""
    table = np.empty((TABLE_NH, TABLE_NW), dtype=np.float64)
    _fill_guess_table(table)
    return table


@jit
def _table_correction(table: FloatArray, h: float, w: float) -> float:
    """Bilinear interpolation of the correction table at (h, w = ln s); NaN outside it."""
    u = (h - TABLE_H0) * (1.0 / TABLE_DH)
    v = (w - TABLE_W0) * (1.0 / TABLE_DW)
    if not (u >= 0.0 and u < TABLE_NH - 1 and v >= 0.0 and v < TABLE_NW - 1):
        return math.nan
    i = int(u)
    j = int(v)
    fu = u - i
    fv = v - j
    low: float = table[i, j] + fv * (table[i, j + 1] - table[i, j])
    high: float = table[i + 1, j] + fv * (table[i + 1, j + 1] - table[i + 1, j])
    return low + fu * (high - low)


@jit
def _fast_normalised_iv(beta: float, x: float, table: FloatArray) -> float:
    """Normalised vol of an out-of-the-money normalised call price (x <= 0, 0 < beta < e^{x/2}):
    Pólya guess, corrected from ``table`` where it covers the quote, then Householder(3) steps on
    b(x, s) - beta until a step is below ``_FAST_STEP_RTOL`` of s. Returns -1 where the quote is
    left to Let's Be Rational (deep wings, no guess, or no convergence in four steps)."""
    s = _polya_guess(beta, x)
    if not (s > 0.0 and s < SQRT_DBL_MAX) or x < _FAST_MIN_H * s:
        return -1.0
    correction = _table_correction(table, x / s, math.log(s))
    if correction > 0.0:
        s *= correction
    for _ in range(_FAST_MAX_ITERATIONS):
        b = normalised_black_call(x, s)
        bp = normalised_vega(x, s)
        if not (bp > 0.0):
            return -1.0
        newton = (beta - b) / bp
        inv_s = 1.0 / s
        h = x * inv_s
        halley = h * h * inv_s - 0.25 * s
        h_over_s = h * inv_s
        hh3 = halley * halley - 3.0 * h_over_s * h_over_s - 0.25
        ds = max(-0.5 * s, newton * _householder_factor(newton, halley, hh3))
        s += ds
        if math.fabs(ds) <= _FAST_STEP_RTOL * s:
            return s if math.isfinite(s) else -1.0
    return -1.0


@jit
def black_implied_vol(
    price: float,
    forward: float,
    strike: float,
    t: float,
    q: float,
    table: FloatArray,
    lbr_only: bool,
) -> tuple[float, int]:
    """Black implied vol of an undiscounted price on a forward (q = +1 call, -1 put).

    Returns ``(vol, code)``: code :data:`IV_OK` with the vol, else NaN and the reason code.
    Screens as vollib does (below intrinsic, at or above the ceiling F or K), plus a time-value
    guard: a price within ``NO_TIME_VALUE_RTOL * max(F, K)`` of the intrinsic has no vol.
    Solves with :func:`_fast_normalised_iv` (``table`` from :func:`make_guess_table`) where it
    applies and Let's Be Rational elsewhere (everywhere with ``lbr_only``); both converge to the
    same root to rounding.
    """
    intrinsic = math.fabs(max(strike - forward if q < 0.0 else forward - strike, 0.0))
    tolerance = NO_TIME_VALUE_RTOL * max(forward, strike) if intrinsic > 0.0 else 0.0
    if price < intrinsic - tolerance:
        return math.nan, IV_BELOW_INTRINSIC
    max_price = strike if q < 0.0 else forward
    if price >= max_price:
        return math.nan, IV_ABOVE_CEILING
    if price - intrinsic <= tolerance:
        return math.nan, IV_NO_TIME_VALUE
    x = math.log(forward / strike)
    if q * x > 0.0:
        price = math.fabs(max(price - intrinsic, 0.0))
        q = -q
    beta = price / (math.sqrt(forward) * math.sqrt(strike))
    x_call = x if q > 0.0 else -x
    s = -1.0
    if not lbr_only:
        s = _fast_normalised_iv(beta, x_call, table)
    if s < 0.0:
        s = _unchecked_normalised_implied_volatility(
            beta, x, q, IMPLIED_VOLATILITY_MAXIMUM_ITERATIONS
        )
        if s == DBL_MAX:
            return math.nan, IV_ABOVE_CEILING
        # Let's Be Rational returns a wrong root for absurdly small at-the-money prices (below
        # ~1e-160 of the forward; vollib does the same): check that the root reprices the quote.
        if s > 0.0 and math.fabs(normalised_black_call(x_call, s) - beta) > _REPRICE_RTOL * beta:
            return math.nan, IV_NO_CONVERGENCE
    if not math.isfinite(s) or s < 0.0:
        return math.nan, IV_NO_CONVERGENCE
    vol = s / math.sqrt(t)
    if not (vol > 0.0):  # a price so small (subnormal) that the vol underflows to 0
        return math.nan, IV_NO_TIME_VALUE
    return vol, IV_OK


@jit
def _screen_one(
    spot: float,
    spot_model: float,
    strike: float,
    t: float,
    rate: float,
    div_yield: float,
    price: float,
) -> int:
    """The code of a quote's first invalid input, :data:`IV_EXPIRED`, or :data:`IV_UNSET`."""
    if not (math.isfinite(spot) and spot > 0.0):
        return IV_BAD_UNDERLYING
    if not (math.isfinite(strike) and strike > 0.0):
        return IV_BAD_STRIKE
    if not (math.isfinite(t) and t >= 0.0):
        return IV_BAD_T_YEARS
    if not math.isfinite(rate):
        return IV_BAD_RATE
    if not math.isfinite(div_yield):
        return IV_BAD_DIV_YIELD
    if not (math.isfinite(price) and price > 0.0):
        return IV_BAD_PRICE
    if not (spot_model > 0.0):
        return IV_BAD_DIVIDENDS
    if t == 0.0:
        return IV_EXPIRED
    return IV_UNSET


@jit
def screen_quotes(
    spot: FloatArray,
    spot_model: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    price: FloatArray,
    code: Int8Array,
) -> None:
    """Give each quote still :data:`IV_UNSET` in ``code`` the code of its first invalid input
    (spot, strike, t_years, rate, div_yield, price, then ``spot_model`` <= 0: dividends worth
    the spot) or :data:`IV_EXPIRED` at ``t_years == 0``; valid live quotes stay unset."""
    for i in range(code.shape[0]):
        if code[i] == IV_UNSET:
            code[i] = _screen_one(
                spot[i], spot_model[i], strike[i], t_years[i], rate[i], div_yield[i], price[i]
            )


@jit
def _iv_range(
    start: int,
    stop: int,
    sign: FloatArray,
    quoted_spot: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    price: FloatArray,
    code: Int8Array,
    vol_out: FloatArray,
    table: FloatArray,
    lbr_only: bool,
    beta: FloatArray,
    x_call: FloatArray,
    guess: FloatArray,
) -> None:
    """Screen and solve the unset quotes in ``[start, stop)`` in six passes over the range:
    screen and normalise; Pólya guess; table correction; b(x, s) at the guess; one Householder(3)
    step; the full per-quote solver for whatever the step did not settle.

    Each pass is a chain of dependent exp/log/sqrt calls; kept short, the processor overlaps
    consecutive quotes (the same work in one fused loop measured 1.4 times slower). ``beta``,
    ``x_call`` and ``guess`` are scratch arrays of the chain's length (``vol_out`` holds b(x, s)
    between the fourth and fifth passes)."""
    pending = -2  # to the full per-quote solver
    stepping = -3  # a guess awaits its Householder step
    guessing = -4  # normalised, awaits its guess
    for i in range(start, stop):
        if code[i] != IV_UNSET:
            continue
        status = _screen_one(
            quoted_spot[i], spot[i], strike[i], t_years[i], rate[i], div_yield[i], price[i]
        )
        if status != IV_UNSET:
            code[i] = status
            continue
        if lbr_only:
            code[i] = pending
            continue
        t = t_years[i]
        forward = spot[i] * math.exp((rate[i] - div_yield[i]) * t)
        undiscounted = price[i] / math.exp(-rate[i] * t)
        k = strike[i]
        q = sign[i]
        intrinsic = math.fabs(max(k - forward if q < 0.0 else forward - k, 0.0))
        tolerance = NO_TIME_VALUE_RTOL * max(forward, k) if intrinsic > 0.0 else 0.0
        if undiscounted < intrinsic - tolerance:
            code[i] = IV_BELOW_INTRINSIC
            continue
        if undiscounted >= (k if q < 0.0 else forward):
            code[i] = IV_ABOVE_CEILING
            continue
        if undiscounted - intrinsic <= tolerance:
            code[i] = IV_NO_TIME_VALUE
            continue
        x = math.log(forward / k)
        if q * x > 0.0:
            undiscounted = math.fabs(max(undiscounted - intrinsic, 0.0))
            q = -q
        root_f = math.sqrt(forward)
        root_k = math.sqrt(k)
        beta[i] = undiscounted / (root_f * root_k)
        x_call[i] = x if q > 0.0 else -x
        guess[i] = root_f / root_k if q > 0.0 else root_k / root_f  # exp(x_call / 2), for now
        code[i] = guessing
    for i in range(start, stop):
        if code[i] != guessing:
            continue
        s = _polya_guess_a(beta[i], x_call[i], guess[i])
        guess[i] = s
        if not (s > 0.0 and s < SQRT_DBL_MAX) or x_call[i] < _FAST_MIN_H * s:
            code[i] = pending
    for i in range(start, stop):
        if code[i] != guessing:
            continue
        s = guess[i]
        correction = _table_correction(table, x_call[i] / s, math.log(s))
        if correction > 0.0:
            guess[i] = s * correction
            code[i] = stepping
        else:
            code[i] = pending
    for i in range(start, stop):
        if code[i] == stepping:
            vol_out[i] = normalised_black_call(x_call[i], guess[i])  # b(x, s), for the next pass
    for i in range(start, stop):
        if code[i] != stepping:
            continue
        x = x_call[i]
        s = guess[i]
        bp = normalised_vega(x, s)
        newton = (beta[i] - vol_out[i]) / bp
        inv_s = 1.0 / s
        h = x * inv_s
        halley = h * h * inv_s - 0.25 * s
        h_over_s = h * inv_s
        hh3 = halley * halley - 3.0 * h_over_s * h_over_s - 0.25
        ds = max(-0.5 * s, newton * _householder_factor(newton, halley, hh3))
        s += ds
        vol = s / math.sqrt(t_years[i])
        if bp > 0.0 and math.fabs(ds) <= _FAST_STEP_RTOL * s and vol > 0.0 and math.isfinite(vol):
            vol_out[i] = vol
            code[i] = IV_OK
        else:
            code[i] = pending
    for i in range(start, stop):
        if code[i] != pending:
            continue
        t = t_years[i]
        forward = spot[i] * math.exp((rate[i] - div_yield[i]) * t)
        undiscounted = price[i] / math.exp(-rate[i] * t)
        vol, status = black_implied_vol(
            undiscounted, forward, strike[i], t, sign[i], table, lbr_only
        )
        vol_out[i] = vol
        code[i] = status


def iv_chain(
    sign: FloatArray,
    quoted_spot: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    price: FloatArray,
    code: Int8Array,
    vol_out: FloatArray,
    table: FloatArray,
    lbr_only: bool = False,
) -> None:
    """Implied vols of a chain (1-d float64 arrays of one length), written into
    ``vol_out``/``code``.

    Screens (as :func:`screen_quotes`: ``quoted_spot`` is the spot as quoted, ``spot`` the one
    the model uses, less the present value of cash dividends) and solves the quotes whose ``code``
    is :data:`IV_UNSET`; others are left untouched. Follows vollib's BSM
    path: forward ``F = spot·exp((rate - div_yield)·t)``, undiscounted price
    ``price / exp(-rate·t)``, then the normalised problem (see :func:`black_implied_vol`). For
    Black-76 pass the forward as ``spot`` and ``div_yield = rate``. ``table`` comes from
    :func:`make_guess_table`; ``lbr_only`` runs Let's Be Rational on every quote.
    """
    n = code.shape[0]
    beta = np.empty(n)
    x_call = np.empty(n)
    guess = np.empty(n)

    def work(start: int, stop: int) -> None:
        _iv_range(
            start,
            stop,
            sign,
            quoted_spot,
            spot,
            strike,
            t_years,
            rate,
            div_yield,
            price,
            code,
            vol_out,
            table,
            bool(lbr_only),
            beta,
            x_call,
            guess,
        )

    run_in_chunks(n, work)
