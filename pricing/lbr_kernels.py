"""A faithful numba port of Peter Jäckel's "Let's Be Rational" (2013-2014, www.jaeckel.org):
the normalised Black function b(x, s), x = ln(F/K), s = vol sqrt(T), its vega, and the
normalised implied volatility (the algorithm vollib runs in pure Python; the port follows
Jäckel's C++ with Cody's erf/erfcx and AS241's inverse normal CDF from
:mod:`pricing.normal_kernels`).

Copyright notice of the original Let's Be Rational, whose algorithm is ported below:
Copyright © 2013-2014 Peter Jäckel. Permission to use, copy, modify, and distribute this software
is freely granted, provided that this notice is preserved. The software is provided "as is"
without warranty of any kind.
"""

from __future__ import annotations

import math

from pricing._jit import jit
from pricing.normal_kernels import (
    ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD,
    DBL_EPSILON,
    DBL_MAX,
    DBL_MIN,
    DENORMALIZATION_CUTOFF,
    FOURTH_ROOT_DBL_EPSILON,
    MAX_RATIONAL_CUBIC_CONTROL,
    MIN_RATIONAL_CUBIC_CONTROL,
    ONE_OVER_SQRT_TWO,
    ONE_OVER_SQRT_TWO_PI,
    PI_OVER_SIX,
    SMALL_T_EXPANSION_OF_NORMALIZED_BLACK_THRESHOLD,
    SQRT_DBL_MAX,
    SQRT_DBL_MIN,
    SQRT_ONE_OVER_THREE,
    SQRT_PI_OVER_TWO,
    SQRT_THREE,
    SQRT_TWO_PI,
    TWO_PI,
    TWO_PI_OVER_SQRT_TWENTY_SEVEN,
    erfcx_cody,
    inverse_norm_cdf,
    norm_cdf,
    norm_pdf,
)

# ----------------------------------------------------------------------------------------------
# Delbourgo-Gregory rational cubic interpolation (as in Let's Be Rational).


@jit
def _is_zero(x: float) -> bool:
    return math.fabs(x) < DBL_MIN


@jit
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


@jit
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


@jit
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


@jit
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


@jit
def _householder_factor(newton: float, halley: float, hh3: float) -> float:
    return (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + hh3 * newton / 6.0))


@jit
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


@jit
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


@jit
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


@jit
def _normalised_black_call_using_erfcx(h: float, t: float) -> float:
    b = (
        0.5
        * math.exp(-0.5 * (h * h + t * t))
        * (erfcx_cody(-ONE_OVER_SQRT_TWO * (h + t)) - erfcx_cody(-ONE_OVER_SQRT_TWO * (h - t)))
    )
    return math.fabs(max(b, 0.0))


@jit
def _normalized_black_call_using_norm_cdf(x: float, s: float) -> float:
    h = x / s
    t = 0.5 * s
    b_max = math.exp(0.5 * x)
    b = norm_cdf(h + t) * b_max - norm_cdf(h - t) / b_max
    return math.fabs(max(b, 0.0))


@jit
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


@jit
def normalised_vega(x: float, s: float) -> float:
    """∂b/∂s of the normalised Black function."""
    ax = math.fabs(x)
    if ax <= 0.0:
        return ONE_OVER_SQRT_TWO_PI * math.exp(-0.125 * s * s)
    if s <= 0.0 or s <= ax * SQRT_DBL_MIN:
        return 0.0
    return ONE_OVER_SQRT_TWO_PI * math.exp(-0.5 * ((x / s) * (x / s) + (0.5 * s) * (0.5 * s)))


@jit
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


@jit
def _compute_f_upper_map_and_first_two_derivatives(
    x: float, s: float
) -> tuple[float, float, float]:
    f = norm_cdf(-0.5 * s)
    w = (x / s) * (x / s)
    fp = -0.5 * math.exp(0.5 * w)
    fpp = SQRT_PI_OVER_TWO * math.exp(w + 0.125 * s * s) * w / s
    return f, fp, fpp


@jit
def _inverse_f_lower_map(x: float, f: float) -> float:
    return math.fabs(
        x
        / (
            SQRT_THREE
            * inverse_norm_cdf((f / (TWO_PI_OVER_SQRT_TWENTY_SEVEN * math.fabs(x))) ** (1.0 / 3.0))
        )
    )


@jit
def _inverse_f_upper_map(f: float) -> float:
    return -2.0 * inverse_norm_cdf(f)


@jit
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
