"""Compiled (numba) scalar kernels of the standard normal distribution: Cody's erf family
(W. J. Cody, Math. Comp. 1969), the normal pdf and cdf as in Jäckel's Let's Be Rational, and
AS241's inverse normal cdf. Scalars in, scalars out; no units."""

from __future__ import annotations

import math
import sys

from pricing._jit import jit

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


@jit(fastmath=False)
def _d_int(x: float) -> float:
    return math.floor(x) if x > 0 else -math.floor(-x)


@jit(fastmath=False)
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


@jit(fastmath=False)
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


@jit(fastmath=False)
def erfc_cody(x: float) -> float:
    """Complementary error function (Cody)."""
    return _calerf(x, 1)


@jit(fastmath=False)
def erfcx_cody(x: float) -> float:
    """Scaled complementary error function exp(x²)·erfc(x) (Cody)."""
    return _calerf(x, 2)


@jit
def norm_pdf(x: float) -> float:
    """Standard normal density."""
    return ONE_OVER_SQRT_TWO_PI * math.exp(-0.5 * x * x)


_NORM_CDF_FIRST_THRESHOLD = -10.0
_NORM_CDF_SECOND_THRESHOLD = -1.0 / math.sqrt(DBL_EPSILON)


@jit
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


@jit
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
