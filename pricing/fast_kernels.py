"""Compiled (numba) kernels: implied vol of whole chains and a fused price + eight Greeks loop.

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

Price and Greeks (:func:`price_greeks`): the fused, multi-threaded counterpart of
:func:`pricing.black_scholes.generalized_greeks` (same inputs, same units: delta/gamma per 1.00
of spot, vega per vol point, theta per calendar day, rho per 1 % rate, vanna per vol point,
volga per vol point squared, charm per calendar day), ``fastmath`` off.

Copyright notice of the original Let's Be Rational, whose algorithm is ported below:
Copyright © 2013-2014 Peter Jäckel. Permission to use, copy, modify, and distribute this software
is freely granted, provided that this notice is preserved. The software is provided "as is"
without warranty of any kind.

Kernels compile on first call (several seconds) and are cached on disk (``cache=True``).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int8]

_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(**options: Any) -> Callable[[_F], _F]:
    """``numba.njit`` typed as an identity decorator (keeps mypy's view of the signature).

    ``error_model="numpy"``: a division by zero gives inf/NaN (as in C) instead of a checked
    Python ``ZeroDivisionError``, which removes a branch from every division. ``fastmath``
    defaults to ``{"contract"}`` only: ``a*b + c`` may become one fused multiply-add (exact
    product, one rounding: never less accurate), no other fast-math licence (no reassociation,
    no finite-math assumptions). The Greeks kernel and Cody's erf family, which it shares, are
    compiled with ``fastmath=False``.
    """
    options.setdefault("error_model", "numpy")
    options.setdefault("fastmath", {"contract"})
    return cast(Callable[[_F], _F], numba.njit(**options))


# ----------------------------------------------------------------------------------------------
# Status codes returned by the implied-vol kernel (mapped to strings in pricing.implied_vol).
IV_OK = 0
IV_BELOW_INTRINSIC = 1
IV_ABOVE_CEILING = 2
IV_NO_TIME_VALUE = 3
IV_NO_CONVERGENCE = 4
# Screening codes (set by :func:`screen_quotes` before solving); -1 means "to be solved".
IV_UNSET = -1
IV_EXPIRED = 5
IV_BAD_KIND = 6
IV_BAD_UNDERLYING = 7
IV_BAD_STRIKE = 8
IV_BAD_T_YEARS = 9
IV_BAD_RATE = 10
IV_BAD_DIV_YIELD = 11
IV_BAD_PRICE = 12
IV_BAD_DIVIDENDS = 13

#: A quote whose time value (price minus the discounted-forward intrinsic value) is within
#: ``NO_TIME_VALUE_RTOL * max(forward, strike)`` (undiscounted) of zero carries no information
#: about vol: the time value is then below the rounding of the numbers it was computed from.
NO_TIME_VALUE_RTOL = 1.0e-12

# ----------------------------------------------------------------------------------------------
# Constants (as in Jäckel's code and vollib's port).
DBL_EPSILON = sys.float_info.epsilon
DBL_MIN = sys.float_info.min
DBL_MAX = sys.float_info.max
SQRT_DBL_EPSILON = math.sqrt(DBL_EPSILON)
FOURTH_ROOT_DBL_EPSILON = math.sqrt(SQRT_DBL_EPSILON)
EIGHTH_ROOT_DBL_EPSILON = math.sqrt(FOURTH_ROOT_DBL_EPSILON)
SIXTEENTH_ROOT_DBL_EPSILON = math.sqrt(EIGHTH_ROOT_DBL_EPSILON)
SQRT_DBL_MIN = math.sqrt(DBL_MIN)
SQRT_DBL_MAX = math.sqrt(DBL_MAX)
DENORMALIZATION_CUTOFF = 0.0

ONE_OVER_SQRT_TWO = 0.7071067811865475244008443621048490392848359376887
ONE_OVER_SQRT_TWO_PI = 0.3989422804014326779399460599343818684758586311649
SQRT_TWO_PI = 2.506628274631000502415765284811045253006986740610
TWO_PI = 6.283185307179586476925286766559005768394338798750
SQRT_PI_OVER_TWO = 1.253314137315500251207882642405522626503493370305
SQRT_THREE = 1.732050807568877293527446341505872366942805253810
SQRT_ONE_OVER_THREE = 0.577350269189625764509148780501957455647601751270
TWO_PI_OVER_SQRT_TWENTY_SEVEN = 1.209199576156145233729385505094770488189377498728
PI_OVER_SIX = 0.523598775598298873077107230546583814032861566563

IMPLIED_VOLATILITY_MAXIMUM_ITERATIONS = 2
ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD = -10.0
SMALL_T_EXPANSION_OF_NORMALIZED_BLACK_THRESHOLD = 2.0 * SIXTEENTH_ROOT_DBL_EPSILON

MIN_RATIONAL_CUBIC_CONTROL = -(1.0 - math.sqrt(DBL_EPSILON))
MAX_RATIONAL_CUBIC_CONTROL = 2.0 / (DBL_EPSILON * DBL_EPSILON)

# ----------------------------------------------------------------------------------------------
# Cody's erf / erfc / erfcx (W. J. Cody, Math. Comp. 1969), unrolled in the original order.
_A0, _A1, _A2, _A3, _A4 = (
    3.1611237438705656,
    113.864154151050156,
    377.485237685302021,
    3209.37758913846947,
    0.185777706184603153,
)
_B0, _B1, _B2, _B3 = (
    23.6012909523441209,
    244.024637934444173,
    1282.61652607737228,
    2844.23683343917062,
)
_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8 = (
    0.564188496988670089,
    8.88314979438837594,
    66.1191906371416295,
    298.635138197400131,
    881.95222124176909,
    1712.04761263407058,
    2051.07837782607147,
    1230.33935479799725,
    2.15311535474403846e-8,
)
_D0, _D1, _D2, _D3, _D4, _D5, _D6, _D7 = (
    15.7449261107098347,
    117.693950891312499,
    537.181101862009858,
    1621.38957456669019,
    3290.79923573345963,
    4362.61909014324716,
    3439.36767414372164,
    1230.33935480374942,
)
_P0, _P1, _P2, _P3, _P4, _P5 = (
    0.305326634961232344,
    0.360344899949804439,
    0.125781726111229246,
    0.0160837851487422766,
    6.58749161529837803e-4,
    0.0163153871373020978,
)
_Q0, _Q1, _Q2, _Q3, _Q4 = (
    2.56852019228982242,
    1.87295284992346047,
    0.527905102951428412,
    0.0605183413124413191,
    0.00233520497626869185,
)
_SQRPI = 0.56418958354775628695
_THRESH = 0.46875
_XINF = 1.79e308
_XNEG = -26.628
_XSMALL = 1.11e-16
_XBIG = 26.543
_XHUGE = 6.71e7
_XMAX = 2.53e307


@_jit(cache=True, nogil=True, fastmath=False)
def _d_int(x: float) -> float:
    return math.floor(x) if x > 0 else -math.floor(-x)


@_jit(cache=True, nogil=True, fastmath=False)
def _fix_up_for_negative_argument(jint: int, result: float, x: float) -> float:
    if jint == 0:
        result = (0.5 - result) + 0.5
        if x < 0.0:
            result = -result
    elif jint == 1:
        if x < 0.0:
            result = 2.0 - result
    elif x < 0.0:
        if x < _XNEG:
            result = _XINF
        else:
            ysq = _d_int(x * 16.0) / 16.0
            delta = (x - ysq) * (x + ysq)
            y = math.exp(ysq * ysq) * math.exp(delta)
            result = y + y - result
    return result


@_jit(cache=True, nogil=True, fastmath=False)
def _calerf(x: float, jint: int) -> float:
    """erf(x) (jint 0), erfc(x) (1) or erfcx(x) = exp(x²)·erfc(x) (2)."""
    y = math.fabs(x)
    if y <= _THRESH:
        ysq = 0.0
        if y > _XSMALL:
            ysq = y * y
        xnum = _A4 * ysq
        xden = ysq
        xnum = (xnum + _A0) * ysq
        xden = (xden + _B0) * ysq
        xnum = (xnum + _A1) * ysq
        xden = (xden + _B1) * ysq
        xnum = (xnum + _A2) * ysq
        xden = (xden + _B2) * ysq
        result = x * (xnum + _A3) / (xden + _B3)
        if jint != 0:
            result = 1.0 - result
        if jint == 2:
            result *= math.exp(ysq)
        return result
    if y <= 4.0:
        xnum = _C8 * y
        xden = y
        xnum = (xnum + _C0) * y
        xden = (xden + _D0) * y
        xnum = (xnum + _C1) * y
        xden = (xden + _D1) * y
        xnum = (xnum + _C2) * y
        xden = (xden + _D2) * y
        xnum = (xnum + _C3) * y
        xden = (xden + _D3) * y
        xnum = (xnum + _C4) * y
        xden = (xden + _D4) * y
        xnum = (xnum + _C5) * y
        xden = (xden + _D5) * y
        xnum = (xnum + _C6) * y
        xden = (xden + _D6) * y
        result = (xnum + _C7) / (xden + _D7)
        if jint != 2:
            ysq = _d_int(y * 16.0) / 16.0
            delta = (y - ysq) * (y + ysq)
            result *= math.exp(-ysq * ysq) * math.exp(-delta)
        return _fix_up_for_negative_argument(jint, result, x)
    result = 0.0
    if y >= _XBIG:
        if jint != 2 or y >= _XMAX:
            return _fix_up_for_negative_argument(jint, result, x)
        if y >= _XHUGE:
            result = _SQRPI / y
            return _fix_up_for_negative_argument(jint, result, x)
    ysq = 1.0 / (y * y)
    xnum = _P5 * ysq
    xden = ysq
    xnum = (xnum + _P0) * ysq
    xden = (xden + _Q0) * ysq
    xnum = (xnum + _P1) * ysq
    xden = (xden + _Q1) * ysq
    xnum = (xnum + _P2) * ysq
    xden = (xden + _Q2) * ysq
    xnum = (xnum + _P3) * ysq
    xden = (xden + _Q3) * ysq
    result = ysq * (xnum + _P4) / (xden + _Q4)
    result = (_SQRPI - result) / y
    if jint != 2:
        ysq = _d_int(y * 16.0) / 16.0
        delta = (y - ysq) * (y + ysq)
        result *= math.exp(-ysq * ysq) * math.exp(-delta)
    return _fix_up_for_negative_argument(jint, result, x)


@_jit(cache=True, nogil=True, fastmath=False)
def erfc_cody(x: float) -> float:
    """Complementary error function (Cody)."""
    return _calerf(x, 1)


@_jit(cache=True, nogil=True, fastmath=False)
def erfcx_cody(x: float) -> float:
    """Scaled complementary error function exp(x²)·erfc(x) (Cody)."""
    return _calerf(x, 2)


@_jit(cache=True, nogil=True)
def norm_pdf(x: float) -> float:
    """Standard normal density."""
    return ONE_OVER_SQRT_TWO_PI * math.exp(-0.5 * x * x)


_NORM_CDF_FIRST_THRESHOLD = -10.0
_NORM_CDF_SECOND_THRESHOLD = -1.0 / math.sqrt(DBL_EPSILON)


@_jit(cache=True, nogil=True)
def norm_cdf(z: float) -> float:
    """Standard normal CDF (Cody's erfc, asymptotic series below -10 as in Let's Be Rational)."""
    if z <= _NORM_CDF_FIRST_THRESHOLD:
        total = 1.0
        if z >= _NORM_CDF_SECOND_THRESHOLD:
            zsqr = z * z
            i = 1
            g = 1.0
            lasta = DBL_MAX
            x = (4 * i - 3) / zsqr
            y = x * ((4 * i - 1) / zsqr)
            a = g * (x - y)
            total -= a
            g *= y
            i += 1
            a = math.fabs(a)
            while lasta > a >= math.fabs(total * DBL_EPSILON):
                lasta = a
                x = (4 * i - 3) / zsqr
                y = x * ((4 * i - 1) / zsqr)
                a = g * (x - y)
                total -= a
                g *= y
                i += 1
                a = math.fabs(a)
        return -norm_pdf(z) * total / z
    return 0.5 * erfc_cody(-z * ONE_OVER_SQRT_TWO)


@_jit(cache=True, nogil=True)
def inverse_norm_cdf(u: float) -> float:
    """Inverse standard normal CDF, algorithm AS241 (Wichura 1988), ~1e-16 relative."""
    if u <= 0.0:
        return -math.inf
    if u >= 1.0:
        return math.inf
    q = u - 0.5
    if math.fabs(q) <= 0.425:
        r = 0.180625 - q * q
        return (
            q
            * (
                (
                    (
                        (
                            (
                                (
                                    (2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r
                                    + 6.7265770927008700853e4
                                )
                                * r
                                + 4.5921953931549871457e4
                            )
                            * r
                            + 1.3731693765509461125e4
                        )
                        * r
                        + 1.9715909503065514427e3
                    )
                    * r
                    + 1.3314166789178437745e2
                )
                * r
                + 3.3871328727963666080e0
            )
            / (
                (
                    (
                        (
                            (
                                (
                                    (5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r
                                    + 3.9307895800092710610e4
                                )
                                * r
                                + 2.1213794301586595867e4
                            )
                            * r
                            + 5.3941960214247511077e3
                        )
                        * r
                        + 6.8718700749205790830e2
                    )
                    * r
                    + 4.2313330701600911252e1
                )
                * r
                + 1.0
            )
        )
    r = u if q < 0.0 else 1.0 - u
    r = math.sqrt(-math.log(r))
    if r < 5.0:
        r -= 1.6
        ret = (
            (
                (
                    (
                        (
                            (
                                (7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                                + 2.41780725177450611770e-1
                            )
                            * r
                            + 1.27045825245236838258e0
                        )
                        * r
                        + 3.64784832476320460504e0
                    )
                    * r
                    + 5.76949722146069140550e0
                )
                * r
                + 4.63033784615654529590e0
            )
            * r
            + 1.42343711074968357734e0
        ) / (
            (
                (
                    (
                        (
                            (
                                (1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                                + 1.51986665636164571966e-2
                            )
                            * r
                            + 1.48103976427480074590e-1
                        )
                        * r
                        + 6.89767334985100004550e-1
                    )
                    * r
                    + 1.67638483018380384940e0
                )
                * r
                + 2.05319162663775882187e0
            )
            * r
            + 1.0
        )
    else:
        r -= 5.0
        ret = (
            (
                (
                    (
                        (
                            (
                                (2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                                + 1.24266094738807843860e-3
                            )
                            * r
                            + 2.65321895265761230930e-2
                        )
                        * r
                        + 2.96560571828504891230e-1
                    )
                    * r
                    + 1.78482653991729133580e0
                )
                * r
                + 5.46378491116411436990e0
            )
            * r
            + 6.65790464350110377720e0
        ) / (
            (
                (
                    (
                        (
                            (
                                (2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                                + 1.84631831751005468180e-5
                            )
                            * r
                            + 7.86869131145613259100e-4
                        )
                        * r
                        + 1.48753612908506148525e-2
                    )
                    * r
                    + 1.36929880922735805310e-1
                )
                * r
                + 5.99832206555887937690e-1
            )
            * r
            + 1.0
        )
    return -ret if q < 0.0 else ret


# ----------------------------------------------------------------------------------------------
# Delbourgo-Gregory rational cubic interpolation (as in Let's Be Rational).


@_jit(cache=True, nogil=True)
def _is_zero(x: float) -> bool:
    return math.fabs(x) < DBL_MIN


@_jit(cache=True, nogil=True)
def _rational_cubic_interpolation(
    x: float, x_l: float, x_r: float, y_l: float, y_r: float, d_l: float, d_r: float, r: float
) -> float:
    h = x_r - x_l
    if math.fabs(h) <= 0.0:
        return 0.5 * (y_l + y_r)
    t = (x - x_l) / h
    if not (r >= MAX_RATIONAL_CUBIC_CONTROL):
        omt = 1.0 - t
        t2 = t * t
        omt2 = omt * omt
        return (
            y_r * t2 * t
            + (r * y_r - h * d_r) * t2 * omt
            + (r * y_l + h * d_l) * t * omt2
            + y_l * omt2 * omt
        ) / (1.0 + (r - 3.0) * t * omt)
    return y_r * t + y_l * (1.0 - t)


@_jit(cache=True, nogil=True)
def _minimum_rational_cubic_control_parameter(
    d_l: float, d_r: float, s: float, prefer_shape_preservation: bool
) -> float:
    monotonic = d_l * s >= 0.0 and d_r * s >= 0.0
    convex = d_l <= s <= d_r
    concave = d_l >= s >= d_r
    if not monotonic and not convex and not concave:
        return MIN_RATIONAL_CUBIC_CONTROL
    d_r_m_d_l = d_r - d_l
    d_r_m_s = d_r - s
    s_m_d_l = s - d_l
    r1 = -DBL_MAX
    r2 = r1
    if monotonic:
        if not _is_zero(s):
            r1 = (d_r + d_l) / s
        elif prefer_shape_preservation:
            r1 = MAX_RATIONAL_CUBIC_CONTROL
    if convex or concave:
        if not (_is_zero(s_m_d_l) or _is_zero(d_r_m_s)):
            r2 = max(math.fabs(d_r_m_d_l / d_r_m_s), math.fabs(d_r_m_d_l / s_m_d_l))
        elif prefer_shape_preservation:
            r2 = MAX_RATIONAL_CUBIC_CONTROL
    elif monotonic and prefer_shape_preservation:
        r2 = MAX_RATIONAL_CUBIC_CONTROL
    return max(MIN_RATIONAL_CUBIC_CONTROL, max(r1, r2))


@_jit(cache=True, nogil=True)
def _convex_control_left(
    x_l: float,
    x_r: float,
    y_l: float,
    y_r: float,
    d_l: float,
    d_r: float,
    second_derivative_l: float,
    prefer_shape_preservation: bool,
) -> float:
    h = x_r - x_l
    numerator = 0.5 * h * second_derivative_l + (d_r - d_l)
    if _is_zero(numerator):
        r = 0.0
    else:
        denominator = (y_r - y_l) / h - d_l
        if _is_zero(denominator):
            r = MAX_RATIONAL_CUBIC_CONTROL if numerator > 0.0 else MIN_RATIONAL_CUBIC_CONTROL
        else:
            r = numerator / denominator
    r_min = _minimum_rational_cubic_control_parameter(
        d_l, d_r, (y_r - y_l) / (x_r - x_l), prefer_shape_preservation
    )
    return max(r, r_min)


@_jit(cache=True, nogil=True)
def _convex_control_right(
    x_l: float,
    x_r: float,
    y_l: float,
    y_r: float,
    d_l: float,
    d_r: float,
    second_derivative_r: float,
    prefer_shape_preservation: bool,
) -> float:
    h = x_r - x_l
    numerator = 0.5 * h * second_derivative_r + (d_r - d_l)
    if _is_zero(numerator):
        r = 0.0
    else:
        denominator = d_r - (y_r - y_l) / h
        if _is_zero(denominator):
            r = MAX_RATIONAL_CUBIC_CONTROL if numerator > 0.0 else MIN_RATIONAL_CUBIC_CONTROL
        else:
            r = numerator / denominator
    r_min = _minimum_rational_cubic_control_parameter(
        d_l, d_r, (y_r - y_l) / (x_r - x_l), prefer_shape_preservation
    )
    return max(r, r_min)


# ----------------------------------------------------------------------------------------------
# The normalised Black function b(x, s) = Φ(x/s + s/2)·e^{x/2} - Φ(x/s - s/2)·e^{-x/2}.


@_jit(cache=True, nogil=True)
def _householder_factor(newton: float, halley: float, hh3: float) -> float:
    return (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + hh3 * newton / 6.0))


@_jit(cache=True, nogil=True)
def _normalised_intrinsic(x: float, q: float) -> float:
    if q * x <= 0.0:
        return 0.0
    x2 = x * x
    sign = -1.0 if q < 0.0 else 1.0
    if x2 < 98.0 * FOURTH_ROOT_DBL_EPSILON:
        return math.fabs(
            max(
                sign
                * x
                * (
                    1.0
                    + x2
                    * (
                        (1.0 / 24.0)
                        + x2 * ((1.0 / 1920.0) + x2 * ((1.0 / 322560.0) + (1.0 / 92897280.0) * x2))
                    )
                ),
                0.0,
            )
        )
    b_max = math.exp(0.5 * x)
    return math.fabs(max(sign * (b_max - 1.0 / b_max), 0.0))


@_jit(cache=True, nogil=True)
def _asymptotic_expansion_of_normalized_black_call(h: float, t: float) -> float:
    e = (t / h) * (t / h)
    r = (h + t) * (h - t)
    q = (h / r) * (h / r)
    # 17th order asymptotic expansion of A(h,t) in q (Jäckel), valid for h <= -10.
    s = 2.0 + q * (
        -6.0e0
        - 2.0 * e
        + 3.0
        * q
        * (
            1.0e1
            + e * (2.0e1 + 2.0 * e)
            + 5.0
            * q
            * (
                -1.4e1
                + e * (-7.0e1 + e * (-4.2e1 - 2.0 * e))
                + 7.0
                * q
                * (
                    1.8e1
                    + e * (1.68e2 + e * (2.52e2 + e * (7.2e1 + 2.0 * e)))
                    + 9.0
                    * q
                    * (
                        -2.2e1
                        + e * (-3.3e2 + e * (-9.24e2 + e * (-6.6e2 + e * (-1.1e2 - 2.0 * e))))
                        + 1.1e1
                        * q
                        * (
                            2.6e1
                            + e
                            * (
                                5.72e2
                                + e
                                * (2.574e3 + e * (3.432e3 + e * (1.43e3 + e * (1.56e2 + 2.0 * e))))
                            )
                            + 1.3e1
                            * q
                            * (
                                -3.0e1
                                + e
                                * (
                                    -9.1e2
                                    + e
                                    * (
                                        -6.006e3
                                        + e
                                        * (
                                            -1.287e4
                                            + e
                                            * (-1.001e4 + e * (-2.73e3 + e * (-2.1e2 - 2.0 * e)))
                                        )
                                    )
                                )
                                + 1.5e1
                                * q
                                * (
                                    3.4e1
                                    + e
                                    * (
                                        1.36e3
                                        + e
                                        * (
                                            1.2376e4
                                            + e
                                            * (
                                                3.8896e4
                                                + e
                                                * (
                                                    4.862e4
                                                    + e
                                                    * (
                                                        2.4752e4
                                                        + e * (4.76e3 + e * (2.72e2 + 2.0 * e))
                                                    )
                                                )
                                            )
                                        )
                                    )
                                    + 1.7e1
                                    * q
                                    * (
                                        -3.8e1
                                        + e
                                        * (
                                            -1.938e3
                                            + e
                                            * (
                                                -2.3256e4
                                                + e
                                                * (
                                                    -1.00776e5
                                                    + e
                                                    * (
                                                        -1.84756e5
                                                        + e
                                                        * (
                                                            -1.51164e5
                                                            + e
                                                            * (
                                                                -5.4264e4
                                                                + e
                                                                * (
                                                                    -7.752e3
                                                                    + e * (-3.42e2 - 2.0 * e)
                                                                )
                                                            )
                                                        )
                                                    )
                                                )
                                            )
                                        )
                                        + 1.9e1
                                        * q
                                        * (
                                            4.2e1
                                            + e
                                            * (
                                                2.66e3
                                                + e
                                                * (
                                                    4.0698e4
                                                    + e
                                                    * (
                                                        2.3256e5
                                                        + e
                                                        * (
                                                            5.8786e5
                                                            + e
                                                            * (
                                                                7.05432e5
                                                                + e
                                                                * (
                                                                    4.0698e5
                                                                    + e
                                                                    * (
                                                                        1.08528e5
                                                                        + e
                                                                        * (
                                                                            1.197e4
                                                                            + e * (4.2e2 + 2.0 * e)
                                                                        )
                                                                    )
                                                                )
                                                            )
                                                        )
                                                    )
                                                )
                                            )
                                            + 2.1e1
                                            * q
                                            * (
                                                -4.6e1
                                                + e
                                                * (
                                                    -3.542e3
                                                    + e
                                                    * (
                                                        -6.7298e4
                                                        + e
                                                        * (
                                                            -4.90314e5
                                                            + e
                                                            * (
                                                                -1.63438e6
                                                                + e
                                                                * (
                                                                    -2.704156e6
                                                                    + e
                                                                    * (
                                                                        -2.288132e6
                                                                        + e
                                                                        * (
                                                                            -9.80628e5
                                                                            + e
                                                                            * (
                                                                                -2.01894e5
                                                                                + e
                                                                                * (
                                                                                    -1.771e4
                                                                                    + e
                                                                                    * (
                                                                                        -5.06e2
                                                                                        - 2.0 * e
                                                                                    )
                                                                                )
                                                                            )
                                                                        )
                                                                    )
                                                                )
                                                            )
                                                        )
                                                    )
                                                )
                                                + 2.3e1
                                                * q
                                                * (
                                                    5.0e1
                                                    + e
                                                    * (
                                                        4.6e3
                                                        + e
                                                        * (
                                                            1.0626e5
                                                            + e
                                                            * (
                                                                9.614e5
                                                                + e
                                                                * (
                                                                    4.08595e6
                                                                    + e
                                                                    * (
                                                                        8.9148e6
                                                                        + e
                                                                        * (
                                                                            1.04006e7
                                                                            + e
                                                                            * (
                                                                                6.53752e6
                                                                                + e
                                                                                * (
                                                                                    2.16315e6
                                                                                    + e
                                                                                    * (
                                                                                        3.542e5
                                                                                        + e
                                                                                        * (
                                                                                            2.53e4
                                                                                            + e
                                                                                            * (
                                                                                                6.0e2
                                                                                                + 2.0
                                                                                                * e
                                                                                            )
                                                                                        )
                                                                                    )
                                                                                )
                                                                            )
                                                                        )
                                                                    )
                                                                )
                                                            )
                                                        )
                                                    )
                                                    + 2.5e1
                                                    * q
                                                    * (
                                                        -5.4e1
                                                        + e
                                                        * (
                                                            -5.85e3
                                                            + e
                                                            * (
                                                                -1.6146e5
                                                                + e
                                                                * (
                                                                    -1.77606e6
                                                                    + e
                                                                    * (
                                                                        -9.37365e6
                                                                        + e
                                                                        * (
                                                                            -2.607579e7
                                                                            + e
                                                                            * (
                                                                                -4.01166e7
                                                                                + e
                                                                                * (
                                                                                    -3.476772e7
                                                                                    + e
                                                                                    * (
                                                                                        -1.687257e7
                                                                                        + e
                                                                                        * (
                                                                                            -4.44015e6
                                                                                            + e
                                                                                            * (
                                                                                                -5.9202e5
                                                                                                + e
                                                                                                * (
                                                                                                    -3.51e4
                                                                                                    + e
                                                                                                    * (
                                                                                                        -7.02e2
                                                                                                        - 2.0
                                                                                                        * e
                                                                                                    )
                                                                                                )
                                                                                            )
                                                                                        )
                                                                                    )
                                                                                )
                                                                            )
                                                                        )
                                                                    )
                                                                )
                                                            )
                                                        )
                                                        + 2.7e1
                                                        * q
                                                        * (
                                                            5.8e1
                                                            + e
                                                            * (
                                                                7.308e3
                                                                + e
                                                                * (
                                                                    2.3751e5
                                                                    + e
                                                                    * (
                                                                        3.12156e6
                                                                        + e
                                                                        * (
                                                                            2.003001e7
                                                                            + e
                                                                            * (
                                                                                6.919458e7
                                                                                + e
                                                                                * (
                                                                                    1.3572783e8
                                                                                    + e
                                                                                    * (
                                                                                        1.5511752e8
                                                                                        + e
                                                                                        * (
                                                                                            1.0379187e8
                                                                                            + e
                                                                                            * (
                                                                                                4.006002e7
                                                                                                + e
                                                                                                * (
                                                                                                    8.58429e6
                                                                                                    + e
                                                                                                    * (
                                                                                                        9.5004e5
                                                                                                        + e
                                                                                                        * (
                                                                                                            4.7502e4
                                                                                                            + e
                                                                                                            * (
                                                                                                                8.12e2
                                                                                                                + 2.0
                                                                                                                * e
                                                                                                            )
                                                                                                        )
                                                                                                    )
                                                                                                )
                                                                                            )
                                                                                        )
                                                                                    )
                                                                                )
                                                                            )
                                                                        )
                                                                    )
                                                                )
                                                            )
                                                            + 2.9e1
                                                            * q
                                                            * (
                                                                -6.2e1
                                                                + e
                                                                * (
                                                                    -8.99e3
                                                                    + e
                                                                    * (
                                                                        -3.39822e5
                                                                        + e
                                                                        * (
                                                                            -5.25915e6
                                                                            + e
                                                                            * (
                                                                                -4.032015e7
                                                                                + e
                                                                                * (
                                                                                    -1.6934463e8
                                                                                    + e
                                                                                    * (
                                                                                        -4.1250615e8
                                                                                        + e
                                                                                        * (
                                                                                            -6.0108039e8
                                                                                            + e
                                                                                            * (
                                                                                                -5.3036505e8
                                                                                                + e
                                                                                                * (
                                                                                                    -2.8224105e8
                                                                                                    + e
                                                                                                    * (
                                                                                                        -8.870433e7
                                                                                                        + e
                                                                                                        * (
                                                                                                            -1.577745e7
                                                                                                            + e
                                                                                                            * (
                                                                                                                -1.472562e6
                                                                                                                + e
                                                                                                                * (
                                                                                                                    -6.293e4
                                                                                                                    + e
                                                                                                                    * (
                                                                                                                        -9.3e2
                                                                                                                        - 2.0
                                                                                                                        * e
                                                                                                                    )
                                                                                                                )
                                                                                                            )
                                                                                                        )
                                                                                                    )
                                                                                                )
                                                                                            )
                                                                                        )
                                                                                    )
                                                                                )
                                                                            )
                                                                        )
                                                                    )
                                                                )
                                                                + 3.1e1
                                                                * q
                                                                * (
                                                                    6.6e1
                                                                    + e
                                                                    * (
                                                                        1.0912e4
                                                                        + e
                                                                        * (
                                                                            4.74672e5
                                                                            + e
                                                                            * (
                                                                                8.544096e6
                                                                                + e
                                                                                * (
                                                                                    7.71342e7
                                                                                    + e
                                                                                    * (
                                                                                        3.8707344e8
                                                                                        + e
                                                                                        * (
                                                                                            1.14633288e9
                                                                                            + e
                                                                                            * (
                                                                                                2.07431664e9
                                                                                                + e
                                                                                                * (
                                                                                                    2.33360622e9
                                                                                                    + e
                                                                                                    * (
                                                                                                        1.6376184e9
                                                                                                        + e
                                                                                                        * (
                                                                                                            7.0963464e8
                                                                                                            + e
                                                                                                            * (
                                                                                                                1.8512208e8
                                                                                                                + e
                                                                                                                * (
                                                                                                                    2.7768312e7
                                                                                                                    + e
                                                                                                                    * (
                                                                                                                        2.215136e6
                                                                                                                        + e
                                                                                                                        * (
                                                                                                                            8.184e4
                                                                                                                            + e
                                                                                                                            * (
                                                                                                                                1.056e3
                                                                                                                                + 2.0
                                                                                                                                * e
                                                                                                                            )
                                                                                                                        )
                                                                                                                    )
                                                                                                                )
                                                                                                            )
                                                                                                        )
                                                                                                    )
                                                                                                )
                                                                                            )
                                                                                        )
                                                                                    )
                                                                                )
                                                                            )
                                                                        )
                                                                    )
                                                                    + 3.3e1
                                                                    * (
                                                                        -7.0e1
                                                                        + e
                                                                        * (
                                                                            -1.309e4
                                                                            + e
                                                                            * (
                                                                                -6.49264e5
                                                                                + e
                                                                                * (
                                                                                    -1.344904e7
                                                                                    + e
                                                                                    * (
                                                                                        -1.4121492e8
                                                                                        + e
                                                                                        * (
                                                                                            -8.344518e8
                                                                                            + e
                                                                                            * (
                                                                                                -2.9526756e9
                                                                                                + e
                                                                                                * (
                                                                                                    -6.49588632e9
                                                                                                    + e
                                                                                                    * (
                                                                                                        -9.0751353e9
                                                                                                        + e
                                                                                                        * (
                                                                                                            -8.1198579e9
                                                                                                            + e
                                                                                                            * (
                                                                                                                -4.6399188e9
                                                                                                                + e
                                                                                                                * (
                                                                                                                    -1.6689036e9
                                                                                                                    + e
                                                                                                                    * (
                                                                                                                        -3.67158792e8
                                                                                                                        + e
                                                                                                                        * (
                                                                                                                            -4.707164e7
                                                                                                                            + e
                                                                                                                            * (
                                                                                                                                -3.24632e6
                                                                                                                                + e
                                                                                                                                * (
                                                                                                                                    -1.0472e5
                                                                                                                                    + e
                                                                                                                                    * (
                                                                                                                                        -1.19e3
                                                                                                                                        - 2.0
                                                                                                                                        * e
                                                                                                                                    )
                                                                                                                                )
                                                                                                                            )
                                                                                                                        )
                                                                                                                    )
                                                                                                                )
                                                                                                            )
                                                                                                        )
                                                                                                    )
                                                                                                )
                                                                                            )
                                                                                        )
                                                                                    )
                                                                                )
                                                                            )
                                                                        )
                                                                    )
                                                                    * q
                                                                )
                                                            )
                                                        )
                                                    )
                                                )
                                            )
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
        )
    )
    b = ONE_OVER_SQRT_TWO_PI * math.exp(-0.5 * (h * h + t * t)) * (t / r) * s
    return math.fabs(max(b, 0.0))


@_jit(cache=True, nogil=True)
def _small_t_expansion_of_normalized_black_call(h: float, t: float) -> float:
    a = 1.0 + h * (0.5 * SQRT_TWO_PI) * erfcx_cody(-ONE_OVER_SQRT_TWO * h)
    w = t * t
    h2 = h * h
    expansion = (
        2
        * t
        * (
            a
            + w
            * (
                (-1 + 3 * a + a * h2) / 6
                + w
                * (
                    (-7 + 15 * a + h2 * (-1 + 10 * a + a * h2)) / 120
                    + w
                    * (
                        (-57 + 105 * a + h2 * (-18 + 105 * a + h2 * (-1 + 21 * a + a * h2))) / 5040
                        + w
                        * (
                            (
                                -561
                                + 945 * a
                                + h2
                                * (
                                    -285
                                    + 1260 * a
                                    + h2 * (-33 + 378 * a + h2 * (-1 + 36 * a + a * h2))
                                )
                            )
                            / 362880
                            + w
                            * (
                                (
                                    -6555
                                    + 10395 * a
                                    + h2
                                    * (
                                        -4680
                                        + 17325 * a
                                        + h2
                                        * (
                                            -840
                                            + 6930 * a
                                            + h2 * (-52 + 990 * a + h2 * (-1 + 55 * a + a * h2))
                                        )
                                    )
                                )
                                / 39916800
                                + (
                                    (
                                        -89055
                                        + 135135 * a
                                        + h2
                                        * (
                                            -82845
                                            + 270270 * a
                                            + h2
                                            * (
                                                -20370
                                                + 135135 * a
                                                + h2
                                                * (
                                                    -1926
                                                    + 25740 * a
                                                    + h2
                                                    * (-75 + 2145 * a + h2 * (-1 + 78 * a + a * h2))
                                                )
                                            )
                                        )
                                    )
                                    * w
                                )
                                / 6227020800.0
                            )
                        )
                    )
                )
            )
        )
    )
    b = ONE_OVER_SQRT_TWO_PI * math.exp(-0.5 * (h * h + t * t)) * expansion
    return math.fabs(max(b, 0.0))


@_jit(cache=True, nogil=True)
def _normalised_black_call_using_erfcx(h: float, t: float) -> float:
    b = (
        0.5
        * math.exp(-0.5 * (h * h + t * t))
        * (erfcx_cody(-ONE_OVER_SQRT_TWO * (h + t)) - erfcx_cody(-ONE_OVER_SQRT_TWO * (h - t)))
    )
    return math.fabs(max(b, 0.0))


@_jit(cache=True, nogil=True)
def _normalized_black_call_using_norm_cdf(x: float, s: float) -> float:
    h = x / s
    t = 0.5 * s
    b_max = math.exp(0.5 * x)
    b = norm_cdf(h + t) * b_max - norm_cdf(h - t) / b_max
    return math.fabs(max(b, 0.0))


@_jit(cache=True, nogil=True)
def normalised_black_call(x: float, s: float) -> float:
    """Normalised Black call b(x, s) with x = ln(F/K), s = σ√T (Jäckel's four regions)."""
    intrinsic = 0.0
    if x > 0.0:
        intrinsic = _normalised_intrinsic(x, 1.0)
        x = -x
    if s <= math.fabs(x) * DENORMALIZATION_CUTOFF:
        return intrinsic + _normalised_intrinsic(x, 1.0)
    if x < s * ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD and 0.5 * s * s + x < s * (
        SMALL_T_EXPANSION_OF_NORMALIZED_BLACK_THRESHOLD + ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD
    ):
        return intrinsic + _asymptotic_expansion_of_normalized_black_call(x / s, 0.5 * s)
    if 0.5 * s < SMALL_T_EXPANSION_OF_NORMALIZED_BLACK_THRESHOLD:
        return intrinsic + _small_t_expansion_of_normalized_black_call(x / s, 0.5 * s)
    if x + 0.5 * s * s > s * 0.85:
        return intrinsic + _normalized_black_call_using_norm_cdf(x, s)
    return intrinsic + _normalised_black_call_using_erfcx(x / s, 0.5 * s)


@_jit(cache=True, nogil=True)
def normalised_vega(x: float, s: float) -> float:
    """∂b/∂s of the normalised Black function."""
    ax = math.fabs(x)
    if ax <= 0.0:
        return ONE_OVER_SQRT_TWO_PI * math.exp(-0.125 * s * s)
    if s <= 0.0 or s <= ax * SQRT_DBL_MIN:
        return 0.0
    return ONE_OVER_SQRT_TWO_PI * math.exp(-0.5 * ((x / s) * (x / s) + (0.5 * s) * (0.5 * s)))


@_jit(cache=True, nogil=True)
def _compute_f_lower_map_and_first_two_derivatives(
    x: float, s: float
) -> tuple[float, float, float]:
    ax = math.fabs(x)
    z = SQRT_ONE_OVER_THREE * ax / s
    y = z * z
    s2 = s * s
    big_phi = norm_cdf(-z)
    phi = norm_pdf(z)
    fpp = (
        PI_OVER_SIX
        * y
        / (s2 * s)
        * big_phi
        * (8.0 * SQRT_THREE * s * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * big_phi / phi)
        * math.exp(2.0 * y + 0.25 * s2)
    )
    phi2 = big_phi * big_phi
    fp = TWO_PI * y * phi2 * math.exp(y + 0.125 * s * s)
    f = TWO_PI_OVER_SQRT_TWENTY_SEVEN * ax * (phi2 * big_phi)
    return f, fp, fpp


@_jit(cache=True, nogil=True)
def _compute_f_upper_map_and_first_two_derivatives(
    x: float, s: float
) -> tuple[float, float, float]:
    f = norm_cdf(-0.5 * s)
    w = (x / s) * (x / s)
    fp = -0.5 * math.exp(0.5 * w)
    fpp = SQRT_PI_OVER_TWO * math.exp(w + 0.125 * s * s) * w / s
    return f, fp, fpp


@_jit(cache=True, nogil=True)
def _inverse_f_lower_map(x: float, f: float) -> float:
    return math.fabs(
        x
        / (
            SQRT_THREE
            * inverse_norm_cdf((f / (TWO_PI_OVER_SQRT_TWENTY_SEVEN * math.fabs(x))) ** (1.0 / 3.0))
        )
    )


@_jit(cache=True, nogil=True)
def _inverse_f_upper_map(f: float) -> float:
    return -2.0 * inverse_norm_cdf(f)


@_jit(cache=True, nogil=True)
def _unchecked_normalised_implied_volatility(beta: float, x: float, q: float, n_max: int) -> float:
    """Normalised implied vol s = σ√T of an out-of-the-money normalised price ``beta``.

    Returns 0 for beta <= 0 and ``DBL_MAX`` for beta >= b_max (the caller screens both).
    Householder(3) iterations on Jäckel's transformed objective in each of four segments.
    """
    if q * x > 0.0:
        beta = math.fabs(max(beta - _normalised_intrinsic(x, q), 0.0))
        q = -q
    if q < 0.0:
        x = -x
        q = -q
    if beta <= 0.0:
        return 0.0
    b_max = math.exp(0.5 * x)
    if beta >= b_max:
        return DBL_MAX
    iterations = 0
    direction_reversal_count = 0
    f = -DBL_MAX
    s = -DBL_MAX
    ds = s
    ds_previous = 0.0
    s_left = DBL_MIN
    s_right = DBL_MAX
    s_c = math.sqrt(math.fabs(2.0 * x))
    b_c = normalised_black_call(x, s_c)
    v_c = normalised_vega(x, s_c)
    if beta < b_c:
        s_l = s_c - b_c / v_c
        b_l = normalised_black_call(x, s_l)
        if beta < b_l:
            f_lower_map_l, d_f_lower_map_l_d_beta, d2_f_lower_map_l_d_beta2 = (
                _compute_f_lower_map_and_first_two_derivatives(x, s_l)
            )
            r_ll = _convex_control_right(
                0.0,
                b_l,
                0.0,
                f_lower_map_l,
                1.0,
                d_f_lower_map_l_d_beta,
                d2_f_lower_map_l_d_beta2,
                True,
            )
            f = _rational_cubic_interpolation(
                beta, 0.0, b_l, 0.0, f_lower_map_l, 1.0, d_f_lower_map_l_d_beta, r_ll
            )
            if not (f > 0.0):
                t = beta / b_l
                f = (f_lower_map_l * t + b_l * (1.0 - t)) * t
            s = _inverse_f_lower_map(x, f)
            s_right = s_l
            # Lowest segment: g(s) = 1/ln(b(s)) - 1/ln(beta).
            while iterations < n_max and math.fabs(ds) > DBL_EPSILON * s:
                if ds * ds_previous < 0.0:
                    direction_reversal_count += 1
                if iterations > 0 and (
                    direction_reversal_count == 3 or not (s > s_left and s < s_right)
                ):
                    s = 0.5 * (s_left + s_right)
                    if s_right - s_left <= DBL_EPSILON * s:
                        break
                    direction_reversal_count = 0
                    ds = 0.0
                ds_previous = ds
                b = normalised_black_call(x, s)
                bp = normalised_vega(x, s)
                if b > beta and s < s_right:
                    s_right = s
                elif b < beta and s > s_left:
                    s_left = s
                if b <= 0.0 or bp <= 0.0:
                    ds = 0.5 * (s_left + s_right) - s
                else:
                    ln_b = math.log(b)
                    ln_beta = math.log(beta)
                    bpob = bp / b
                    h = x / s
                    b_halley = h * h / s - s / 4.0
                    newton = (ln_beta - ln_b) * ln_b / ln_beta / bpob
                    halley = b_halley - bpob * (1.0 + 2.0 / ln_b)
                    b_hh3 = b_halley * b_halley - 3.0 * (h / s) * (h / s) - 0.25
                    hh3 = (
                        b_hh3
                        + 2.0 * bpob * bpob * (1.0 + 3.0 / ln_b * (1.0 + 1.0 / ln_b))
                        - 3.0 * b_halley * bpob * (1.0 + 2.0 / ln_b)
                    )
                    ds = newton * _householder_factor(newton, halley, hh3)
                ds = max(-0.5 * s, ds)
                s += ds
                iterations += 1
            return s
        v_l = normalised_vega(x, s_l)
        r_lm = _convex_control_right(b_l, b_c, s_l, s_c, 1.0 / v_l, 1.0 / v_c, 0.0, False)
        s = _rational_cubic_interpolation(beta, b_l, b_c, s_l, s_c, 1.0 / v_l, 1.0 / v_c, r_lm)
        s_left = s_l
        s_right = s_c
    else:
        s_h = s_c + (b_max - b_c) / v_c if v_c > DBL_MIN else s_c
        b_h = normalised_black_call(x, s_h)
        if beta <= b_h:
            v_h = normalised_vega(x, s_h)
            r_hm = _convex_control_left(b_c, b_h, s_c, s_h, 1.0 / v_c, 1.0 / v_h, 0.0, False)
            s = _rational_cubic_interpolation(beta, b_c, b_h, s_c, s_h, 1.0 / v_c, 1.0 / v_h, r_hm)
            s_left = s_c
            s_right = s_h
        else:
            f_upper_map_h, d_f_upper_map_h_d_beta, d2_f_upper_map_h_d_beta2 = (
                _compute_f_upper_map_and_first_two_derivatives(x, s_h)
            )
            if d2_f_upper_map_h_d_beta2 > -SQRT_DBL_MAX and d2_f_upper_map_h_d_beta2 < SQRT_DBL_MAX:
                r_hh = _convex_control_left(
                    b_h,
                    b_max,
                    f_upper_map_h,
                    0.0,
                    d_f_upper_map_h_d_beta,
                    -0.5,
                    d2_f_upper_map_h_d_beta2,
                    True,
                )
                f = _rational_cubic_interpolation(
                    beta, b_h, b_max, f_upper_map_h, 0.0, d_f_upper_map_h_d_beta, -0.5, r_hh
                )
            if f <= 0.0:
                h = b_max - b_h
                t = (beta - b_h) / h
                f = (f_upper_map_h * (1.0 - t) + 0.5 * h * t) * (1.0 - t)
            s = _inverse_f_upper_map(f)
            s_left = s_h
            if beta > 0.5 * b_max:
                # Upper segment: g(s) = ln((b_max - beta) / (b_max - b(s))).
                while iterations < n_max and math.fabs(ds) > DBL_EPSILON * s:
                    if ds * ds_previous < 0.0:
                        direction_reversal_count += 1
                    if iterations > 0 and (
                        direction_reversal_count == 3 or not (s > s_left and s < s_right)
                    ):
                        s = 0.5 * (s_left + s_right)
                        if s_right - s_left <= DBL_EPSILON * s:
                            break
                        direction_reversal_count = 0
                        ds = 0.0
                    ds_previous = ds
                    b = normalised_black_call(x, s)
                    bp = normalised_vega(x, s)
                    if b > beta and s < s_right:
                        s_right = s
                    elif b < beta and s > s_left:
                        s_left = s
                    if b >= b_max or bp <= DBL_MIN:
                        ds = 0.5 * (s_left + s_right) - s
                    else:
                        b_max_minus_b = b_max - b
                        g = math.log((b_max - beta) / b_max_minus_b)
                        gp = bp / b_max_minus_b
                        b_halley = (x / s) * (x / s) / s - s / 4.0
                        b_hh3 = b_halley * b_halley - 3.0 * (x / (s * s)) * (x / (s * s)) - 0.25
                        newton = -g / gp
                        halley = b_halley + gp
                        hh3 = b_hh3 + gp * (2.0 * gp + 3.0 * b_halley)
                        ds = newton * _householder_factor(newton, halley, hh3)
                    ds = max(-0.5 * s, ds)
                    s += ds
                    iterations += 1
                return s
    # Middle segments: g(s) = b(s) - beta.
    while iterations < n_max and math.fabs(ds) > DBL_EPSILON * s:
        if ds * ds_previous < 0.0:
            direction_reversal_count += 1
        if iterations > 0 and (direction_reversal_count == 3 or not (s > s_left and s < s_right)):
            s = 0.5 * (s_left + s_right)
            if s_right - s_left <= DBL_EPSILON * s:
                break
            direction_reversal_count = 0
            ds = 0.0
        ds_previous = ds
        b = normalised_black_call(x, s)
        bp = normalised_vega(x, s)
        if b > beta and s < s_right:
            s_right = s
        elif b < beta and s > s_left:
            s_left = s
        newton = (beta - b) / bp
        halley = (x / s) * (x / s) / s - s / 4.0
        hh3 = halley * halley - 3.0 * (x / (s * s)) * (x / (s * s)) - 0.25
        ds = max(-0.5 * s, newton * _householder_factor(newton, halley, hh3))
        s += ds
        iterations += 1
    return s


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


@_jit(cache=True, nogil=True)
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


@_jit(cache=True, nogil=True)
def _polya_guess(beta: float, x: float) -> float:
    """Explicit normalised vol s for a normalised out-of-the-money call price ``beta`` (x <= 0).

    The exact inverse of :func:`_polya_black_call`: with Φ replaced by Pólya's approximation
    Φ(z) ≈ (1 + sgn(z)·sqrt(1 - exp(-2z²/π)))/2 the normalised Black equation becomes a quadratic
    in u = sqrt(1 - M·E), M = exp(2x/π), E = exp(-2(x²/s² + s²/4)/π), then a quadratic in s²
    (the idea of Stefanica and Radoičić's explicit formula, 2017). Relative error against the
    true root: under 6 % for x/s >= -4, 16 % down to -4.5. NaN where it has no solution.
    """
    return _polya_guess_a(beta, x, math.exp(0.5 * x))


@_jit(cache=True, nogil=True)
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


@_jit(cache=True, nogil=True)
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


@_jit(cache=True, nogil=True)
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


@_jit(cache=True, nogil=True)
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


@_jit(cache=True, nogil=True)
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


@_jit(cache=True, nogil=True)
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


@_jit(cache=True, nogil=True)
def screen_quotes(
    spot: FloatArray,
    spot_model: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    price: FloatArray,
    code: IntArray,
) -> None:
    """Give each quote still :data:`IV_UNSET` in ``code`` the code of its first invalid input
    (spot, strike, t_years, rate, div_yield, price, then ``spot_model`` <= 0: dividends worth
    the spot) or :data:`IV_EXPIRED` at ``t_years == 0``; valid live quotes stay unset."""
    for i in range(code.shape[0]):
        if code[i] == IV_UNSET:
            code[i] = _screen_one(
                spot[i], spot_model[i], strike[i], t_years[i], rate[i], div_yield[i], price[i]
            )


@_jit(cache=True, nogil=True)
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
    code: IntArray,
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


#: Quotes per work item of :func:`run_in_chunks`.
CHUNK = 2048
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def worker_threads() -> int:
    """Threads the chunked kernels use: the CPUs this process may run on (at most 8)."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(
                max_workers=max(worker_threads() - 1, 1), thread_name_prefix="pricing-kernel"
            )
        return _POOL


def _forget_pool_after_fork() -> None:
    """A forked child has none of the parent's threads: start a fresh pool there if needed."""
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run_in_chunks(n: int, work: Callable[[int, int], None], *, chunk: int = CHUNK) -> None:
    """Call ``work(start, stop)`` over ``[0, n)`` in chunks, shared by the calling thread and
    helper threads that take the next chunk as they free up.

    The kernels release the GIL, so on an idle machine the chunks run in parallel; on a busy one
    (the cores shared with other processes) the calling thread simply does more of the chunks
    itself, so a descheduled helper never holds up more than the one chunk it took. numba's own
    ``parallel=True`` splits the work up front and waits for every part, which on a contended
    two-core machine was measured three times slower than one thread.
    """
    n_chunks = -(-n // chunk)
    threads = min(worker_threads(), n_chunks)
    if threads <= 1:
        work(0, n)
        return
    counter = itertools.count()  # next() is atomic under the GIL

    def drain() -> None:
        while (index := next(counter)) < n_chunks:
            start = index * chunk
            work(start, min(start + chunk, n))

    helpers = [_pool().submit(drain) for _ in range(threads - 1)]
    drain()
    for helper in helpers:
        # A helper still queued (the pool busy with another caller's chunks) is no longer
        # needed: every chunk has been taken. One that started is waited for (and re-raises).
        if not helper.cancel():
            helper.result()


def iv_chain(
    sign: FloatArray,
    quoted_spot: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    price: FloatArray,
    code: IntArray,
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


# ----------------------------------------------------------------------------------------------
# Fused price and Greeks.

_INV_SQRT_2PI = 0.3989422804014327
_DAYS_PER_YEAR = 365.0
#: Options per work item of :func:`price_greeks` (about 2 ms of work).
GREEKS_CHUNK = 32_768


@_jit(cache=True, nogil=True)
def _ncdf_given_gauss(z: float, gauss: float) -> float:
    """Φ(z) given ``gauss = exp(-z²/2)``: ``Φ(-|z|) = erfcx(|z|/√2)·gauss/2`` (Cody's erfcx
    needs no exponential for a positive argument, so this costs less than ``erfc``)."""
    tail = 0.5 * erfcx_cody(math.fabs(z) * ONE_OVER_SQRT_TWO) * gauss
    return tail if z < 0.0 else 1.0 - tail


@_jit(cache=True, nogil=True, fastmath=False)
def _price_greeks_range(
    start: int,
    stop: int,
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    carry: FloatArray,
    vol: FloatArray,
    forward_rho: bool,
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
