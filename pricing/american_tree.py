"""Numba fast paths behind the "default" American engine (no QuantLib here).

Two numerical methods, both compiled with numba and run in parallel over groups of options that
share every input but the spot (one solve prices all the spots of a group, which is what makes
P&L grids over spots cheap):

* **Spectral fixed point** (Andersen, Lake and Offengenden, "High-performance American option
  pricing", 2016), used when no cash dividend falls before expiry. The put exercise boundary is
  solved on ``N_CHEB`` Chebyshev nodes in ``sqrt(tau)`` by the FP-B fixed-point iteration started
  from the QD+ approximation; the price is the European value plus the early-exercise premium
  integral. Calls use the McDonald-Schroder symmetry ``C(S, K, r, q) = P(K, S, q, r)``. Typical
  error against QuantLib's high-precision QdFp engine: below 1e-4 per 100 of spot.
* **Crank-Nicolson finite differences** in ``x = ln S`` for discrete cash dividends in the SPOT
  model (the share drops by the cash amount on the ex-date; the same model as QuantLib's
  ``FdBlackScholesVanillaEngine`` with ``CashDividendModel.Spot``): strike on a grid node,
  Rannacher start (and restart after each dividend), Brennan-Schwartz for the early-exercise
  constraint, exponential fitting when convection dominates, dividends applied by cubic
  interpolation ``V(S) <- max(payoff(S), V(S - D))``, and Richardson extrapolation over two nested
  grids (``h`` and ``h/2``). Typical error: 1e-4 relative.

Units: spots and strikes in price units, ``t`` in years, rates and yields continuously
compounded decimals, vols decimal; dividend times in years from valuation, amounts per share.
Inputs are assumed validated (see :mod:`pricing.american`). ``level`` selects accuracy:
0 = coarse (used inside the implied-vol iteration), 1 = default, 2 = fine (a slow
self-convergence reference for tests and benchmarks).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba as nb
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(func: _F) -> _F:
    """numba ``njit`` with the module's settings (disk cache, numpy error model: a division by
    zero gives inf/NaN instead of raising, FMA contraction allowed), keeping the signature."""
    return cast(
        _F, nb.njit(cache=True, error_model="numpy", nogil=True, fastmath={"contract"})(func)
    )


def _pjit(func: _F) -> _F:
    """As :func:`_jit`, with ``parallel=True`` (``prange`` loops run on all cores)."""
    return cast(
        _F,
        nb.njit(cache=True, error_model="numpy", nogil=True, fastmath={"contract"}, parallel=True)(
            func
        ),
    )


_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

#: Status codes of :func:`implied_vols` (mapped to strings by :mod:`pricing.american`).
IV_OK = 0
IV_BELOW_INTRINSIC = 1
IV_ABOVE_CEILING = 2
IV_NO_TIME_VALUE = 3
IV_NO_CONVERGENCE = 4

#: Largest vol the solvers search (matches pricing.validation.MAX_VOL).
VOL_CEILING = 5.0

# Spectral engine settings per level: Chebyshev nodes, fixed-point quadrature points, fixed-point
# iterations, premium quadrature points.
_SPEC_N = (5, 8, 14)
_SPEC_L = (8, 12, 24)
_SPEC_M = (3, 5, 8)
_SPEC_P = (14, 28, 56)
_GL_X8, _GL_W8 = np.polynomial.legendre.leggauss(8)
_GL_X12, _GL_W12 = np.polynomial.legendre.leggauss(12)
_GL_X14, _GL_W14 = np.polynomial.legendre.leggauss(14)
_GL_X28, _GL_W28 = np.polynomial.legendre.leggauss(28)
_GL_X24, _GL_W24 = np.polynomial.legendre.leggauss(24)
_GL_X56, _GL_W56 = np.polynomial.legendre.leggauss(56)

# Finite-difference settings per level: nodes across the reference width, time steps, Richardson.
_FD_M = (61, 101, 401)
_FD_NT = (16, 40, 320)
_FD_RICH = (False, True, True)
_FD_NSD = 5.0
_FD_MAX_NODES = 4001


# --------------------------------------------------------------------------------------------
# Normal distribution and Black-Scholes helpers
# --------------------------------------------------------------------------------------------


@_jit
def _ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT2)


@_jit
def _npdf(x: float) -> float:
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


@_jit
def _bs_price(sign: float, s: float, k: float, t: float, r: float, q: float, v: float) -> float:
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
    return sign * (
        s * math.exp(-q * t) * _ncdf(sign * d1) - k * math.exp(-r * t) * _ncdf(sign * d2)
    )


@_jit
def _bs_vega(s: float, k: float, t: float, r: float, q: float, v: float) -> float:
    """Black-Scholes vega per 1.00 of vol."""
    if t <= 0.0 or s <= 0.0:
        return 0.0
    sd = v * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    return s * math.exp(-q * t) * _npdf(d1) * math.sqrt(t)


@_jit
def _pv_dividends(t: float, r: float, div_t: FloatArray, div_a: FloatArray) -> float:
    """Present value of the cash dividends with ex-date in (0, t]."""
    pv = 0.0
    for j in range(div_t.shape[0]):
        if 0.0 < div_t[j] <= t:
            pv += div_a[j] * math.exp(-r * div_t[j])
    return pv


@_jit
def _eur_iv(
    sign: float, s: float, k: float, t: float, r: float, q: float, target: float, guess: float
) -> float:
    """Black-Scholes implied vol of ``target`` (safeguarded Newton in vol); NaN if none exists."""
    lower = max(sign * (s * math.exp(-q * t) - k * math.exp(-r * t)), 0.0)
    upper = s * math.exp(-q * t) if sign > 0 else k * math.exp(-r * t)
    if not (lower < target < upper):
        return math.nan
    lo = 1e-6
    hi = VOL_CEILING * 4.0
    v = min(max(guess, 0.01), 2.0)
    for _ in range(100):
        f = _bs_price(sign, s, k, t, r, q, v) - target
        if abs(f) <= 1e-13 * max(target, 1e-300):
            return v
        if f > 0.0:
            hi = v
        else:
            lo = v
        vega = _bs_vega(s, k, t, r, q, v)
        nv = v - f / vega if vega > 0.0 else 0.5 * (lo + hi)
        if not (lo < nv < hi):
            nv = 0.5 * (lo + hi)
        if abs(nv - v) <= 1e-14 * v:
            return nv
        v = nv
    return v


# --------------------------------------------------------------------------------------------
# Zero-volatility American value (deterministic share path): the model's lower bound
# --------------------------------------------------------------------------------------------


@_jit
def _zv_candidate(sign: float, c: float, k: float, r: float, q: float, t: float) -> float:
    st = c * math.exp((r - q) * t)
    if st < 0.0:
        st = 0.0
    return math.exp(-r * t) * max(sign * (st - k), 0.0)


@_jit
def zero_vol_value(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    div_t: FloatArray,
    div_a: FloatArray,
) -> float:
    """American value when the vol is 0: the best deterministic exercise time (candidates: now,
    expiry, either side of each ex-date, and the interior optimum ``e^{(r-q)t} = rK/(qc)``)."""
    best = max(sign * (s - k), 0.0)
    c = s  # share value is c * exp((r - q) t) between ex-dates
    a = 0.0
    n = div_t.shape[0]
    j = 0
    while True:
        while j < n and not (a < div_t[j] <= t and div_a[j] > 0.0):
            if div_t[j] > t:
                j = n
                break
            j += 1
        b = div_t[j] if j < n else t
        for tt in (a, b):
            val = _zv_candidate(sign, c, k, r, q, tt)
            if val > best:
                best = val
        if r != q and q * c > 0.0 and r * k > 0.0:
            ts = math.log(r * k / (q * c)) / (r - q)
            if a < ts < b:
                val = _zv_candidate(sign, c, k, r, q, ts)
                if val > best:
                    best = val
        if j >= n:
            break
        c -= div_a[j] * math.exp(-(r - q) * div_t[j])
        a = div_t[j]
        j += 1
    return best


# --------------------------------------------------------------------------------------------
# Spectral fixed-point engine (continuous yield)
# --------------------------------------------------------------------------------------------


@_jit
def _qdplus_boundary(k: float, tau: float, r: float, q: float, v: float, x_max: float) -> float:
    """QD+ approximation (Li 2005) of the put exercise boundary at time to expiry ``tau``,
    solved by safeguarded Newton; the starting point of the fixed-point iteration."""
    s2 = v * v
    vt = v * math.sqrt(tau)
    dr = math.exp(-r * tau)
    dq = math.exp(-q * tau)
    if abs(r * tau) > 1e-5:
        ddr = r / (1.0 - dr)
    else:
        ddr = 1.0 / (tau * (1.0 - 0.5 * r * tau * (1.0 - r * tau / 3.0)))
    om = 2.0 * (r - q) / s2
    disc = math.sqrt((om - 1.0) ** 2 + 8.0 * ddr / s2)
    lam = 0.5 * (-(om - 1.0) - disc)
    lamp = 2.0 * ddr * ddr / (s2 * disc)
    al = 2.0 * dr / (s2 * (2.0 * lam + om - 1.0))
    be = al * (ddr + lamp / (2.0 * lam + om - 1.0)) - lam
    x = x_max
    x_min = 1e-8 * x_max
    for _ in range(40):
        dp = math.log(x * dq / (k * dr)) / vt + 0.5 * vt
        dm = dp - vt
        pp = _ncdf(-dp)
        pm = _ncdf(-dm)
        fp = _npdf(dp)
        npv = dr * k * pm - x * dq * pp
        theta = r * k * dr * pm - q * x * dq * pp - s2 * x / (2.0 * vt) * dq * fp
        charm = -dq * (fp * ((r - q) / vt - dm / (2.0 * tau)) + q * pp)
        f = (1.0 - dq * pp) * x - be * (k - x - npv) + al * theta / dr
        df = 1.0 - dq * pp + dq / vt * fp + be * (1.0 - dq * pp) + al / dr * charm
        xn = x - f / df if df != 0.0 and math.isfinite(df) else 0.5 * x
        if not math.isfinite(xn):
            xn = 0.5 * x
        if xn <= x_min:
            xn = 0.5 * (x + x_min)
        if xn > x_max:
            xn = x_max
        if abs(xn - x) < 1e-8 * x:
            return xn
        x = xn
    return x


@_jit
def _cheb_coeffs(h: FloatArray, n: int, cosm: FloatArray, a: FloatArray) -> None:
    for kk in range(n + 1):
        s = 0.5 * (h[0] + h[n] * cosm[(n * kk) % (2 * n)])
        for i in range(1, n):
            s += h[i] * cosm[(i * kk) % (2 * n)]
        a[kk] = 2.0 * s / n
    a[n] *= 0.5


@_jit
def _cheb_eval(a: FloatArray, n: int, z: float) -> float:
    b1 = 0.0
    b2 = 0.0
    for kk in range(n, 0, -1):
        b0 = a[kk] + 2.0 * z * b1 - b2
        b2 = b1
        b1 = b0
    return float(0.5 * a[0] + z * b1 - b2)


@_jit
def _spectral_boundary(
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    n: int,
    gx: FloatArray,
    gw: FloatArray,
    m: int,
    a: FloatArray,
) -> float:
    """Solve the put exercise boundary; fill Chebyshev coefficients ``a`` of
    ``H(z) = ln(B/X)^2`` with ``z = 2 sqrt(tau/T) - 1``; return ``X = B(0+)`` (NaN on failure)."""
    x_max = k * min(1.0, r / q) if q > 0.0 else k
    nq = gx.shape[0]
    cosm = np.empty(2 * n)
    for j in range(2 * n):
        cosm[j] = math.cos(j * math.pi / n)
    taus = np.empty(n + 1)
    bnd = np.empty(n + 1)
    hh = np.empty(n + 1)
    for i in range(n + 1):
        xi = 0.5 * math.sqrt(t) * (1.0 + cosm[i])
        taus[i] = xi * xi
    for i in range(n):
        bnd[i] = _qdplus_boundary(k, taus[i], r, q, v, x_max)
    bnd[n] = x_max
    for i in range(n + 1):
        lr = math.log(bnd[i] / x_max)
        hh[i] = lr * lr
    _cheb_coeffs(hh, n, cosm, a)
    sq_t = math.sqrt(t)
    mu = r - q - 0.5 * v * v
    zu = np.empty((n, nq))
    eru = np.empty((n, nq))
    equ = np.empty((n, nq))
    isd = np.empty((n, nq))
    drm = np.empty((n, nq))
    sdu = np.empty((n, nq))
    ker = np.empty((n, nq))
    jac = np.empty((n, nq))
    for i in range(n):
        tau = taus[i]
        sqt = math.sqrt(tau)
        for kk in range(nq):
            th = 0.25 * math.pi * (gx[kk] + 1.0)
            wk = 0.25 * math.pi * gw[kk]
            s_ = math.sin(th)
            c_ = math.cos(th)
            u = tau * s_ * s_
            dtu = tau * c_ * c_
            zu[i, kk] = 2.0 * sqt * s_ / sq_t - 1.0
            eru[i, kk] = math.exp(r * u)
            equ[i, kk] = math.exp(q * u)
            sd = v * math.sqrt(dtu)
            sdu[i, kk] = sd
            isd[i, kk] = 1.0 / sd
            drm[i, kk] = mu * dtu / sd
            ker[i, kk] = 2.0 * sqt * s_ * wk / v
            jac[i, kk] = 2.0 * tau * s_ * c_ * wk
    # QuantLib's choice: the Phi-only equation unless r and q nearly coincide
    phi_form = abs(r - q) < 1e-3
    for it in range(m):
        for i in range(n):
            tau = taus[i]
            bt = bnd[i]
            sd = v * math.sqrt(tau)
            dm = (math.log(bt / k) + mu * tau) / sd
            dp = dm + sd
            sq_ht = math.sqrt(hh[i])
            s_n = 0.0
            s_d = 0.0
            if phi_form:
                num = _npdf(dm) / sd
                den = _npdf(dp) / sd + _ncdf(dp)
                for kk in range(nq):
                    hu = _cheb_eval(a, n, zu[i, kk])
                    lnr = (math.sqrt(hu) if hu > 0.0 else 0.0) - sq_ht
                    dmu = lnr * isd[i, kk] + drm[i, kk]
                    dpu = dmu + sdu[i, kk]
                    s_n += eru[i, kk] * _npdf(dmu) * ker[i, kk]
                    s_d += equ[i, kk] * (_npdf(dpu) * ker[i, kk] + _ncdf(dpu) * jac[i, kk])
            else:
                num = _ncdf(dm)
                den = _ncdf(dp)
                for kk in range(nq):
                    hu = _cheb_eval(a, n, zu[i, kk])
                    lnr = (math.sqrt(hu) if hu > 0.0 else 0.0) - sq_ht
                    dmu = lnr * isd[i, kk] + drm[i, kk]
                    dpu = dmu + sdu[i, kk]
                    s_n += eru[i, kk] * _ncdf(dmu) * jac[i, kk]
                    s_d += equ[i, kk] * _ncdf(dpu) * jac[i, kk]
            num += r * s_n
            den += q * s_d
            fac = k * math.exp(-(r - q) * tau)
            bn = fac * num / den
            if it == 0 and not phi_form:
                # Jacobi-Newton first step (derivative of the non-integral terms only)
                nd = _npdf(dm) / (bt * sd)
                dd = _npdf(dp) / (bt * sd)
                fd = fac * (nd / den - dd * num / (den * den))
                if fd != 1.0 and math.isfinite(fd):
                    bn = bt - (bn - bt) / (fd - 1.0)
            if not (bn > 0.0) or not math.isfinite(bn):
                return math.nan
            bnd[i] = min(bn, x_max)
        for i in range(n + 1):
            lr = math.log(bnd[i] / x_max)
            hh[i] = lr * lr
        _cheb_coeffs(hh, n, cosm, a)
    return x_max


@_jit
def _premium_nodes(
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    a: FloatArray,
    n: int,
    px: FloatArray,
    pw: FloatArray,
    coef_r: FloatArray,
    coef_q: FloatArray,
    shift: FloatArray,
    inv_sd: FloatArray,
    sd_node: FloatArray,
) -> None:
    """Spot-independent parts of the early-exercise premium integral (``u = T sin^2``)."""
    mu = r - q + 0.5 * v * v
    for kk in range(px.shape[0]):
        th = 0.25 * math.pi * (px[kk] + 1.0)
        wk = 0.25 * math.pi * pw[kk]
        s_ = math.sin(th)
        c_ = math.cos(th)
        dtu = t * c_ * c_
        jac = 2.0 * t * s_ * c_ * wk
        hu = _cheb_eval(a, n, 2.0 * s_ - 1.0)
        sd = v * math.sqrt(dtu)
        coef_r[kk] = r * k * math.exp(-r * dtu) * jac
        coef_q[kk] = q * math.exp(-q * dtu) * jac
        shift[kk] = math.sqrt(max(hu, 0.0)) + mu * dtu
        inv_sd[kk] = 1.0 / sd
        sd_node[kk] = sd


@_jit
def _spectral_put_value(
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    x_max: float,
    b_now: float,
    coef_r: FloatArray,
    coef_q: FloatArray,
    shift: FloatArray,
    inv_sd: FloatArray,
    sd_node: FloatArray,
) -> float:
    """European put plus the early-exercise premium integral over the solved boundary."""
    if s <= b_now:
        return k - s
    eu = _bs_price(-1.0, s, k, t, r, q, v)
    acc = 0.0
    ln_sx = math.log(s / x_max)
    for kk in range(coef_r.shape[0]):
        dpu = (ln_sx + shift[kk]) * inv_sd[kk]
        acc += coef_r[kk] * _ncdf(sd_node[kk] - dpu) - s * coef_q[kk] * _ncdf(-dpu)
    return max(eu + max(acc, 0.0), k - s)


@_jit
def _spectral_group(
    sign: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    spots: FloatArray,
    out: FloatArray,
    level: int,
) -> bool:
    """Price American options without cash dividends at several spots; return False when the
    parameters fall outside the spectral method's safe domain (the caller then uses FD)."""
    # put form: P(S, K, r, q) for puts, P(K, S, q, r) for calls
    rp = r if sign < 0 else q
    qp = q if sign < 0 else r
    if (rp <= 0.0 and qp >= rp) or (rp > 0.0 and rp * t < 1e-10 and qp >= 0.0):
        # early exercise is never optimal (or worth at most K r T < 1e-10 K): European value
        for i in range(spots.shape[0]):
            out[i] = max(_bs_price(sign, spots[i], k, t, r, q, v), sign * (spots[i] - k), 0.0)
        return True
    if v * math.sqrt(t) < 1e-6:
        empty = np.empty(0)
        for i in range(spots.shape[0]):
            out[i] = zero_vol_value(sign, spots[i], k, t, r, q, empty, empty)
        return True
    if rp <= 0.0 or qp < 0.0 or rp > 1.0 or qp > 1.0 or t > 250.0:
        return False
    n = _SPEC_N[level]
    m = _SPEC_M[level]
    if level == 0:
        gx, gw, px, pw = _GL_X8, _GL_W8, _GL_X14, _GL_W14
    elif level == 1:
        gx, gw, px, pw = _GL_X12, _GL_W12, _GL_X28, _GL_W28
    else:
        gx, gw, px, pw = _GL_X24, _GL_W24, _GL_X56, _GL_W56
    a = np.empty(n + 1)
    if sign < 0:
        x_max = _spectral_boundary(k, t, rp, qp, v, n, gx, gw, m, a)
    else:
        # the boundary of the symmetric put depends on the call's spot only through scale:
        # P(K, S, q, r) has strike S; solve it for a unit strike and rescale per spot.
        x_max = _spectral_boundary(1.0, t, rp, qp, v, n, gx, gw, m, a)
    if not math.isfinite(x_max):
        return False
    kp = k if sign < 0 else 1.0
    npts = px.shape[0]
    coef_r = np.empty(npts)
    coef_q = np.empty(npts)
    shift = np.empty(npts)
    inv_sd = np.empty(npts)
    sd_node = np.empty(npts)
    _premium_nodes(kp, t, rp, qp, v, a, n, px, pw, coef_r, coef_q, shift, inv_sd, sd_node)
    b_now = x_max * math.exp(-math.sqrt(max(_cheb_eval(a, n, 1.0), 0.0)))
    for i in range(spots.shape[0]):
        s = spots[i]
        if sign < 0:
            val = _spectral_put_value(
                s, k, t, rp, qp, v, x_max, b_now, coef_r, coef_q, shift, inv_sd, sd_node
            )
        else:
            # C(S, K, r, q) = P(K, S, q, r) = S * P(K/S, 1, q, r)
            val = s * _spectral_put_value(
                k / s, 1.0, t, rp, qp, v, x_max, b_now, coef_r, coef_q, shift, inv_sd, sd_node
            )
        eu = _bs_price(sign, s, k, t, r, q, v)
        if not math.isfinite(val) or val < eu - 1e-9 * (s + k):
            return False
        out[i] = max(val, sign * (s - k), 0.0)
    return True


# --------------------------------------------------------------------------------------------
# Crank-Nicolson finite differences (cash dividends, spot model)
# --------------------------------------------------------------------------------------------


@_jit
def _deep_limit(
    sign: float,
    s: float,
    k: float,
    tau: float,
    t: float,
    r: float,
    q: float,
    div_t: FloatArray,
    div_a: FloatArray,
    american: bool,
) -> float:
    """Value far in the money (linear in S): the best of exercising now, just before
    (calls) or just after (puts) each remaining ex-date, or at expiry; 0 far out of the money."""
    now = t - tau
    best = sign * (s - k) if american else 0.0
    pv = 0.0
    for j in range(div_t.shape[0]):
        td = div_t[j]
        if td <= now or td > t or div_a[j] <= 0.0:
            continue
        dt = td - now
        if american and sign > 0:
            val = s * math.exp(-q * dt) - pv - k * math.exp(-r * dt)
            if val > best:
                best = val
        pv += div_a[j] * math.exp(-r * dt)
        if american and sign < 0:
            val = k * math.exp(-r * dt) - s * math.exp(-q * dt) + pv
            if val > best:
                best = val
    val = sign * (s * math.exp(-q * tau) - pv - k * math.exp(-r * tau))
    if val > best:
        best = val
    return best if best > 0.0 else 0.0


@_jit
def _tau_grid(
    t: float, nt: int, div_t: FloatArray, div_a: FloatArray
) -> tuple[FloatArray, IntArray]:
    """Time-to-expiry grid. Expiry and every ex-date start a segment (the value has a kink
    there); each segment of length ``L`` gets ``max(6, nt sqrt(L/T))`` steps, refined towards
    its start as a piecewise-uniform approximation of ``tau = L s^2`` (breaks at L/64, L/16,
    L/4). ``flag[i]`` is the index of the dividend applied after reaching ``grid[i]`` (or -1)."""
    nd = 0
    for j in range(div_t.shape[0]):
        if 0.0 < div_t[j] <= t and div_a[j] > 0.0:
            nd += 1
    bounds = np.empty(nd + 2)
    bidx = np.full(nd + 2, -1, dtype=np.int64)
    bounds[0] = 0.0
    nb_ = 1
    for j in range(div_t.shape[0] - 1, -1, -1):
        if 0.0 < div_t[j] <= t and div_a[j] > 0.0:
            bounds[nb_] = t - div_t[j]
            bidx[nb_] = j
            nb_ += 1
    bounds[nb_] = t
    total = 1
    for seg in range(nb_):
        length = bounds[seg + 1] - bounds[seg]
        if length > 1e-12 * t:
            total += max(6, math.floor(nt * math.sqrt(length / t) + 0.5)) + 8
    grid = np.empty(total)
    flag = np.full(total, -1, dtype=np.int64)
    grid[0] = 0.0
    o = 1
    for seg in range(nb_):
        a = bounds[seg]
        b = bounds[seg + 1]
        length = b - a
        if length <= 1e-12 * t:
            flag[o - 1] = bidx[seg + 1]
            continue
        n = max(6, math.floor(nt * math.sqrt(length / t) + 0.5))
        c1 = max(1, n // 8)
        c2 = max(1, n // 8)
        c3 = max(2, n // 4)
        c4 = max(2, n - c1 - c2 - c3)
        counts = (c1, c2, c3, c4)
        edges = (0.0, length / 64.0, length / 16.0, length / 4.0, length)
        for part in range(4):
            lo = edges[part]
            step = (edges[part + 1] - lo) / counts[part]
            for i in range(1, counts[part] + 1):
                grid[o] = a + lo + step * i
                o += 1
        grid[o - 1] = b
        flag[o - 1] = bidx[seg + 1]
    return grid[:o], flag[:o]


@_jit
def _interp4(vals: FloatArray, u: float, m: int) -> float:
    """Cubic Lagrange interpolation of ``vals`` at fractional node index ``u``."""
    kk = math.floor(u)
    if kk < 1:
        kk = 1
    if kk > m - 3:
        kk = m - 3
    f = u - kk
    p0 = -f * (f - 1.0) * (f - 2.0) / 6.0
    p1 = (f + 1.0) * (f - 1.0) * (f - 2.0) / 2.0
    p2 = -(f + 1.0) * f * (f - 2.0) / 2.0
    p3 = (f + 1.0) * f * (f - 1.0) / 6.0
    return float(p0 * vals[kk - 1] + p1 * vals[kk] + p2 * vals[kk + 1] + p3 * vals[kk + 2])


@_jit
def _fd_solve(
    sign: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    div_t: FloatArray,
    div_a: FloatArray,
    x0: float,
    dx: float,
    m: int,
    nt: int,
    american: bool,
    vals: FloatArray,
) -> None:
    """Backward Crank-Nicolson solve on nodes ``x_j = x0 + j dx`` (``x = ln S``), oriented so the
    exercise region lies at low ``j`` (``dx < 0`` for calls). ``vals`` receives today's values."""
    s_node = np.empty(m)
    ex = np.empty(m)
    h = abs(dx)
    for j in range(m):
        s_node[j] = math.exp(x0 + j * dx)
        ex[j] = max(sign * (s_node[j] - k), 0.0)
        vals[j] = ex[j]
    # the node on the strike carries the cell average of the kinked payoff
    jk = math.floor((math.log(k) - x0) / dx + 0.5)
    if 0 <= jk < m:
        half = 0.5 * h
        if sign > 0:
            vals[jk] = k * (math.exp(half) - 1.0 - half) / h
        else:
            vals[jk] = k * (math.exp(-half) - 1.0 + half) / h
    mu = r - q - 0.5 * v * v
    diff = 0.5 * v * v
    pe = mu * h / (2.0 * diff)
    if abs(pe) > 1e-4:
        diff_e = diff * pe / math.tanh(pe) if abs(pe) < 300.0 else abs(mu) * h * 0.5
    else:
        diff_e = diff * (1.0 + pe * pe / 3.0)
    c_lo = diff_e / (h * h) - mu / (2.0 * h)
    c_hi = diff_e / (h * h) + mu / (2.0 * h)
    if dx > 0.0:
        al = c_lo
        ga = c_hi
    else:
        al = c_hi
        ga = c_lo
    be = -2.0 * diff_e / (h * h) - r
    grid, flag = _tau_grid(t, nt, div_t, div_a)
    otm_side_itm = sign * (s_node[m - 1] - k) > 0.0
    rhs = np.empty(m)
    work = np.empty(m)
    ncache = 12
    cache_w = np.empty((ncache, m))
    cache_inv = np.empty((ncache, m))
    cache_dt = np.full(ncache, -1.0)
    cache_th = np.full(ncache, -1.0)
    next_slot = 0
    slot = 0
    last_dt = -1.0
    last_th = -1.0
    aa = 0.0
    cc = 0.0
    steps_since_start = 0
    for n in range(grid.shape[0]):
        if n > 0:
            dtau = grid[n] - grid[n - 1]
            if dtau > 0.0:
                implicit = steps_since_start < 2
                nsub = 2 if implicit else 1
                th = 1.0 if implicit else 0.5
                steps_since_start += 1
                for sub in range(nsub):
                    dt = dtau / nsub
                    if abs(dt - last_dt) > 1e-9 * dt or th != last_th:
                        found = -1
                        for c in range(ncache):
                            if cache_th[c] == th and abs(dt - cache_dt[c]) <= 1e-9 * dt:
                                found = c
                                break
                        aa = -th * dt * al
                        cc = -th * dt * ga
                        if found >= 0:
                            slot = found
                            dt = cache_dt[slot]
                        else:
                            slot = next_slot
                            next_slot = (next_slot + 1) % ncache
                            bb = 1.0 - th * dt * be
                            w = cache_w[slot]
                            inv = cache_inv[slot]
                            inv[m - 2] = 1.0 / bb
                            j = m - 3
                            while j > 0:
                                w[j] = cc * inv[j + 1]
                                inv[j] = 1.0 / (bb - w[j] * aa)
                                if abs(inv[j] - inv[j + 1]) <= 1e-15 * inv[j]:
                                    # constant-coefficient recurrence has reached its fixed point
                                    wj = w[j]
                                    ij = inv[j]
                                    for jj in range(j - 1, 0, -1):
                                        w[jj] = wj
                                        inv[jj] = ij
                                    break
                                j -= 1
                            cache_dt[slot] = dt
                            cache_th[slot] = th
                        aa = -th * dt * al
                        cc = -th * dt * ga
                        last_dt = dt
                        last_th = th
                    w = cache_w[slot]
                    inv = cache_inv[slot]
                    dt = last_dt
                    tnew = grid[n - 1] + dt * (sub + 1)
                    e = (1.0 - th) * dt
                    v_lo = _deep_limit(sign, s_node[0], k, tnew, t, r, q, div_t, div_a, american)
                    v_hi = 0.0
                    if otm_side_itm:
                        v_hi = _deep_limit(
                            sign, s_node[m - 1], k, tnew, t, r, q, div_t, div_a, american
                        )
                    # right-hand side and downward elimination in one sweep (old values only)
                    ea = e * al
                    eb = 1.0 + e * be
                    eg = e * ga
                    acc = (ea * vals[m - 3] + eb * vals[m - 2] + eg * vals[m - 1]) - cc * v_hi
                    rhs[m - 2] = acc * inv[m - 2]
                    for j in range(m - 3, 0, -1):
                        acc = (ea * vals[j - 1] + eb * vals[j] + eg * vals[j + 1]) - w[j] * acc
                        rhs[j] = acc * inv[j]
                    vals[0] = v_lo
                    prev = v_lo
                    if american:
                        for j in range(1, m - 1):
                            val = rhs[j] - aa * inv[j] * prev
                            if ex[j] > val:
                                val = ex[j]
                            vals[j] = val
                            prev = val
                    else:
                        for j in range(1, m - 1):
                            val = rhs[j] - aa * inv[j] * prev
                            vals[j] = val
                            prev = val
                    vals[m - 1] = v_hi
        jd = flag[n]
        if jd >= 0 and n == 0:
            # ex-date at expiry: a call is exercised just before it (no effect); a put's final
            # value becomes (K + D - S)+, set with the kink's cell average like the strike's
            if sign < 0 and american:
                k_eff = k + div_a[jd]
                xke = math.log(k_eff)
                for j in range(m):
                    xj = x0 + j * dx
                    lo_x = xj - 0.5 * h
                    hi_x = xj + 0.5 * h
                    if hi_x <= xke:
                        vals[j] = k_eff - s_node[j]
                    elif lo_x >= xke:
                        vals[j] = 0.0
                    else:
                        vals[j] = (k_eff * (xke - lo_x) - (k_eff - math.exp(lo_x))) / h
            jd = -1
        if jd >= 0:
            amount = div_a[jd]
            tau_now = grid[n]
            for j in range(m):
                s_after = s_node[j] - amount
                if s_after <= 0.0:
                    # the share is worthless after the drop
                    work[j] = k * math.exp(-r * tau_now) if sign < 0 else 0.0
                    if american and sign < 0:
                        work[j] = k
                    continue
                u = (math.log(s_after) - x0) / dx
                if u <= 0.0 or u >= m - 1:
                    work[j] = _deep_limit(
                        sign, s_after, k, tau_now, t, r, q, div_t, div_a, american
                    )
                else:
                    work[j] = _interp4(vals, u, m)
            for j in range(m):
                vals[j] = max(work[j], ex[j]) if american else work[j]
            steps_since_start = 0


@_jit
def _fd_group(
    sign: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    div_t: FloatArray,
    div_a: FloatArray,
    spots: FloatArray,
    out: FloatArray,
    level: int,
    american: bool,
) -> None:
    """Price options that differ only in spot with one (or two, Richardson) FD solves."""
    sd = v * math.sqrt(t)
    drift = (r - q - 0.5 * v * v) * t
    s_min = spots[0]
    s_max = spots[0]
    for i in range(spots.shape[0]):
        s_min = min(s_min, spots[i])
        s_max = max(s_max, spots[i])
    d_tot = 0.0
    for j in range(div_t.shape[0]):
        if 0.0 < div_t[j] <= t and div_a[j] > 0.0:
            d_tot += div_a[j]
    dshift = -math.log(1.0 - d_tot / s_min) if d_tot < 0.9 * s_min else math.log(10.0)
    lo = min(math.log(s_min), math.log(s_min) + drift) - dshift - _FD_NSD * sd
    hi = max(math.log(s_max), math.log(s_max) + drift) + _FD_NSD * sd
    # resolution set by the vol alone (a carry-dominated domain gets more nodes, not coarser
    # ones), and fine enough to resolve the gap between the strike and the perpetual exercise
    # boundary, about vol^2 / (2 r) in log-spot (r: the put's rate, the call's yield)
    h = 2.0 * _FD_NSD * sd / (_FD_M[level] - 1)
    rate_ex = r if sign < 0 else q
    if american and rate_ex > 0.0:
        h = min(h, 0.15 * v * v / (2.0 * rate_ex))
    if (hi - lo) / h > _FD_MAX_NODES - 1:
        h = (hi - lo) / (_FD_MAX_NODES - 1)
    xk = math.log(k)
    j_lo = math.floor((lo - xk) / h) - 1
    j_hi = math.ceil((hi - xk) / h) + 1
    m = j_hi - j_lo + 1
    if sign > 0:
        x0 = xk + j_hi * h
        dx = -h
    else:
        x0 = xk + j_lo * h
        dx = h
    nt = _FD_NT[level]
    coarse = np.empty(m)
    _fd_solve(sign, k, t, r, q, v, div_t, div_a, x0, dx, m, nt, american, coarse)
    if _FD_RICH[level]:
        m2 = 2 * m - 1
        fine = np.empty(m2)
        _fd_solve(sign, k, t, r, q, v, div_t, div_a, x0, 0.5 * dx, m2, nt, american, fine)
        for i in range(spots.shape[0]):
            xs = math.log(spots[i])
            vf = _interp4(fine, (xs - x0) / (0.5 * dx), m2)
            vc = _interp4(coarse, (xs - x0) / dx, m)
            corr = (vf - vc) / 3.0
            # Near the exercise boundary the error is not a smooth expansion in h and Richardson
            # would amplify it; there the time value is comparable to the correction, so fade
            # the correction out continuously (a switch would make the price jump with the vol).
            tv = vf - max(sign * (spots[i] - k), 0.0) if american else vf
            tv = max(tv, 0.0)
            weight = tv / (tv + 10.0 * abs(corr)) if corr != 0.0 else 1.0
            out[i] = vf + weight * corr
    else:
        for i in range(spots.shape[0]):
            out[i] = _interp4(coarse, (math.log(spots[i]) - x0) / dx, m)
    for i in range(spots.shape[0]):
        floor = max(sign * (spots[i] - k), 0.0) if american else 0.0
        if out[i] < floor:
            out[i] = floor


# --------------------------------------------------------------------------------------------
# Dispatch and batch kernels
# --------------------------------------------------------------------------------------------


@_jit
def _has_cash_dividend(t: float, div_t: FloatArray, div_a: FloatArray) -> bool:
    for j in range(div_t.shape[0]):  # noqa: SIM110 (generators are not supported by numba)
        if 0.0 < div_t[j] <= t and div_a[j] > 0.0:
            return True
    return False


@_jit
def price_group(
    sign: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    div_t: FloatArray,
    div_a: FloatArray,
    spots: FloatArray,
    out: FloatArray,
    level: int,
) -> None:
    """American prices at ``spots`` of one option (``t > 0``): spectral method without cash
    dividends before expiry, finite differences with them (or outside the spectral domain).
    A nearly deterministic option (``vol sqrt(t) < 1e-3`` with rates, yield and dividends moving
    the share by more than 20 standard deviations) goes to finite differences (the spectral
    quadrature cannot resolve it), or, beyond 1000 standard deviations, takes its zero-vol value
    (the vol then changes the price by about ``vol^2 t / carry`` of the spot, below 1e-6)."""
    sd = v * math.sqrt(t)
    small_vol = False
    if sd < 1e-3:
        carry = abs(r - q) * t
        for j in range(div_t.shape[0]):
            if 0.0 < div_t[j] <= t:
                carry += div_a[j] / spots[0]
        if carry > 1000.0 * sd:
            for i in range(spots.shape[0]):
                out[i] = zero_vol_value(sign, spots[i], k, t, r, q, div_t, div_a)
            return
        small_vol = carry > 20.0 * sd
    done = False
    if not small_vol and not _has_cash_dividend(t, div_t, div_a):
        done = _spectral_group(sign, k, t, r, q, v, spots, out, level)
    if not done:
        _fd_group(sign, k, t, r, q, v, div_t, div_a, spots, out, level, True)
    # no-arbitrage floor: any fixed exercise time is worth at least its zero-vol value (Jensen)
    for i in range(spots.shape[0]):
        floor = zero_vol_value(sign, spots[i], k, t, r, q, div_t, div_a)
        if out[i] < floor:
            out[i] = floor


@_pjit
def _price_groups_parallel(
    sign: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    v: FloatArray,
    starts: IntArray,
    spots: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    level: int,
    out: FloatArray,
) -> None:
    for g in nb.prange(sign.shape[0]):
        a = starts[g]
        b = starts[g + 1]
        price_group(
            sign[g], k[g], t[g], r[g], q[g], v[g], div_t, div_a, spots[a:b], out[a:b], level
        )


@_jit
def _price_groups_serial(
    sign: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    v: FloatArray,
    starts: IntArray,
    spots: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    level: int,
    out: FloatArray,
) -> None:
    for g in range(sign.shape[0]):
        a = starts[g]
        b = starts[g + 1]
        price_group(
            sign[g], k[g], t[g], r[g], q[g], v[g], div_t, div_a, spots[a:b], out[a:b], level
        )


#: Fewer independent solves than this run on one thread: starting and joining worker threads
#: costs more than it saves on small batches (and much more on a busy machine).
PARALLEL_MIN_TASKS = 16


def price_groups(
    sign: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    v: FloatArray,
    starts: IntArray,
    spots: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    level: int,
    out: FloatArray,
) -> None:
    """Price every group ``g`` (options sharing all inputs but the spot) at
    ``spots[starts[g]:starts[g+1]]`` into the same slice of ``out``; parallel over groups when
    there are at least :data:`PARALLEL_MIN_TASKS` of them."""
    kernel = _price_groups_parallel if sign.shape[0] >= PARALLEL_MIN_TASKS else _price_groups_serial
    kernel(sign, k, t, r, q, v, starts, spots, div_t, div_a, level, out)


@_pjit
def european_fd_groups(
    sign: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    v: FloatArray,
    starts: IntArray,
    spots: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    level: int,
    out: FloatArray,
) -> None:
    """European prices in the spot dividend model by the same FD solver (no early exercise)."""
    for g in nb.prange(sign.shape[0]):
        a = starts[g]
        b = starts[g + 1]
        _fd_group(
            sign[g], k[g], t[g], r[g], q[g], v[g], div_t, div_a, spots[a:b], out[a:b], level, False
        )


# --------------------------------------------------------------------------------------------
# Implied volatility
# --------------------------------------------------------------------------------------------


@_jit
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


@_jit
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
        if x > VOL_CEILING:
            if lo >= VOL_CEILING:
                return math.nan, slope, IV_ABOVE_CEILING
            x = VOL_CEILING
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


@_jit
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
) -> tuple[float, int]:
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
    s_esc = s - _pv_dividends(t, r, div_t, div_a)
    if s_esc <= 0.0:
        s_esc = 1e-12 * s
    e_floor = max(sign * (s_esc * math.exp(-q * t) - k * math.exp(-r * t)), 0.0)
    e_cap = s_esc * math.exp(-q * t) if sign > 0 else k * math.exp(-r * t)
    target = e_floor + (price - floor)
    if target >= e_cap:
        target = 0.5 * (e_floor + e_cap)
    v = _eur_iv(sign, s_esc, k, t, r, q, target, 0.3)
    if not math.isfinite(v):
        v = 0.3
    v = min(max(v, 1e-3), VOL_CEILING)
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
    first = _eur_iv(sign, s_esc, k, t, r, q, _bs_price(sign, s_esc, k, t, r, q, v) - f, v)
    slope = _bs_vega(s_esc, k, t, r, q, v)
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
        1e-8,
        1e-6,
        sbuf,
        obuf,
    )
    if code == IV_ABOVE_CEILING:
        f_top = _price_at(sign, s, k, t, r, q, VOL_CEILING, div_t, div_a, 1, sbuf, obuf) - price
        if f_top < 0.0:
            return math.nan, IV_ABOVE_CEILING
        v = VOL_CEILING
    elif code != IV_OK:
        return math.nan, code
    if not (slope > 0.0):
        slope = _bs_vega(s_esc, k, t, r, q, v)
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
    if abs(f1) <= 0.01 * (price - floor) and abs(newton - v) < 3e-3 * max(v, 0.01) and newton > 0.0:
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
    root, _, code = _root_vol(
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
        1e-8,
        1e-6,
        sbuf,
        obuf,
    )
    if code != IV_OK:
        return math.nan, code
    return root, IV_OK


@_pjit
def _implied_vols_parallel(
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
) -> None:
    for i in nb.prange(sign.shape[0]):
        vol, code = _implied_vol_one(sign[i], s[i], k[i], t[i], r[i], q[i], price[i], div_t, div_a)
        vol_out[i] = vol
        code_out[i] = code


@_jit
def _implied_vols_serial(
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
) -> None:
    for i in range(sign.shape[0]):
        vol, code = _implied_vol_one(sign[i], s[i], k[i], t[i], r[i], q[i], price[i], div_t, div_a)
        vol_out[i] = vol
        code_out[i] = code


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
) -> None:
    """American implied vols of validated, live quotes (parallel over quotes when there are at
    least :data:`PARALLEL_MIN_TASKS`); ``code_out`` receives the ``IV_*`` status codes."""
    kernel = _implied_vols_parallel if sign.shape[0] >= PARALLEL_MIN_TASKS else _implied_vols_serial
    kernel(sign, s, k, t, r, q, price, div_t, div_a, vol_out, code_out)
