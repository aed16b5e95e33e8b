"""Compiled (numba) European kernels: the fused price + eight Greeks loop (:func:`price_greeks`),
the fused, validating kernels behind :func:`pricing.european_price` and
:func:`pricing.european_greeks`, and scalar Black-Scholes helpers shared by the American engines.

Units as :mod:`pricing.black_scholes`: delta/gamma per 1.00 of spot, vega per vol point, theta
per calendar day, rho per 1 % rate, vanna per vol point, volga per vol point squared, charm per
calendar day. ``fastmath`` is off for the Greeks (see :mod:`pricing._jit`)."""

from __future__ import annotations

import ctypes
import math

import numpy as np
from numpy.typing import NDArray

from pricing._jit import jit
from pricing._parallel import run_in_chunks
from pricing._typing import FloatArray, Int8Array, IntArray
from pricing.normal_kernels import ONE_OVER_SQRT_TWO, erfcx_cody
from pricing.validation import MAX_VOL

_SQRT2 = math.sqrt(2.0)
UIntArray = NDArray[np.uintp]
UInt32Array = NDArray[np.uint32]

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
def _fill(
    i: int,
    w: float,
    s: float,
    k: float,
    t: float,
    r: float,
    b: float,
    sigma: float,
    forward_rho: bool,
    out: FloatArray,
) -> None:
    """Price (row 0) and, if ``out`` has 9 rows, the eight Greeks of option ``i`` into column
    ``i`` of ``out`` (validated inputs; ``b`` is the cost of carry)."""
    greeks = out.shape[0] > 1
    if not (t > 0.0):
        itm = w * (s - k)
        out[0, i] = max(itm, 0.0)
        if greeks:
            out[1, i] = w * (1.0 if itm > 0.0 else (0.5 if s == k else 0.0))
            for j in range(2, 9):
                out[j, i] = 0.0
        return
    sqrt_t = math.sqrt(t)
    sd = sigma * sqrt_t
    d1 = (math.log(s / k) + (b + 0.5 * sigma * sigma) * t) / sd
    d2 = d1 - sd
    df_carry = math.exp((b - r) * t)
    df_rate = math.exp(-r * t)
    gauss_d1 = math.exp(-0.5 * d1 * d1)
    cdf_d1 = _ncdf_given_gauss(w * d1, gauss_d1)
    cdf_d2 = _ncdf_given_gauss(w * d2, math.exp(-0.5 * d2 * d2))
    value = w * (s * df_carry * cdf_d1 - k * df_rate * cdf_d2)
    out[0, i] = value
    if not greeks:
        return
    n_d1 = _INV_SQRT_2PI * gauss_d1
    delta = w * df_carry * cdf_d1
    vega_unit = s * df_carry * n_d1 * sqrt_t
    dv_dt = (
        s * df_carry * n_d1 * sigma / (2.0 * sqrt_t)
        + w * (b - r) * s * df_carry * cdf_d1
        + w * r * k * df_rate * cdf_d2
    )
    rho_unit = -t * value if forward_rho else w * k * t * df_rate * cdf_d2
    dd1_dt = (2.0 * b * t - d2 * sd) / (2.0 * t * sd)
    out[1, i] = delta
    out[2, i] = df_carry * n_d1 / (s * sd)
    out[3, i] = vega_unit / 100.0
    out[4, i] = -dv_dt / _DAYS_PER_YEAR
    out[5, i] = rho_unit / 100.0
    out[6, i] = (-df_carry * n_d1 * d2 / sigma) / 100.0
    out[7, i] = (vega_unit * d1 * d2 / sigma) / 1.0e4
    out[8, i] = -((b - r) * delta + df_carry * n_d1 * dd1_dt) / _DAYS_PER_YEAR


@jit(fastmath=False)
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
    """Price and Greeks of the options in ``[start, stop)`` into the rows of ``out``."""
    for i in range(start, stop):
        _fill(
            i, sign[i], spot[i], strike[i], t_years[i], rate[i], carry[i], vol[i], forward_rho, out
        )


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
    greeks: bool = True,
) -> FloatArray:
    """Price and the eight Greeks of the generalised Black-Scholes model, fused and parallel.

    Same inputs and units as :func:`pricing.black_scholes.generalized_greeks` (validated inputs;
    broadcast together). Returns a ``(9, *shape)`` float array whose rows are price, delta,
    gamma, vega (per vol point), theta (per calendar day), rho (per 1 % rate), vanna (per vol
    point), volga (per vol point squared) and charm (per calendar day); with ``greeks=False``
    only the price row, ``(1, *shape)``. The internal kernel the public functions are
    benchmarked against (inputs already validated, broadcast and float64).
    """
    arrays = np.broadcast_arrays(sign, spot, strike, t_years, rate, carry, vol)
    shape = arrays[0].shape
    w, s, k, t, r, b, v = (
        _readonly(np.ascontiguousarray(a, dtype=np.float64).reshape(-1)) for a in arrays
    )
    rows = 9 if greeks else 1
    out = np.empty((rows, w.shape[0]), dtype=np.float64)
    fwd = bool(forward_rho)

    def work(start: int, stop: int) -> None:
        _price_greeks_range(start, stop, w, s, k, t, r, b, v, fwd, out)

    run_in_chunks(w.shape[0], work, chunk=GREEKS_CHUNK if greeks else PRICE_CHUNK)
    return out.reshape((rows, *shape))


def _readonly(a: FloatArray) -> FloatArray:
    """A read-only view of ``a``: the kernels see one array type whatever the caller passes (a
    pandas column is read-only, a fresh array writable), so they compile once."""
    view = a.view()
    view.flags.writeable = False
    return view


@jit(fastmath=False)
def _checked_range(
    start: int,
    stop: int,
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    vol: FloatArray,
    steps: IntArray,
    forward: bool,
    out: FloatArray,
) -> bool:
    """Validate and price the options in ``[start, stop)``; False at the first invalid input.

    Each input has the full length (step 1) or length 1 (step 0, a scalar broadcast). Checks:
    sign +1/-1, spot and strike finite and > 0, t_years finite and >= 0, rate and div_yield
    finite, vol in (0, MAX_VOL]. ``forward``: Black-76 (cost of carry 0, forward-held rho)."""
    ws, ss, ks, ts, rs, qs, vs = (
        steps[0],
        steps[1],
        steps[2],
        steps[3],
        steps[4],
        steps[5],
        steps[6],
    )
    for i in range(start, stop):
        w = sign[i * ws]
        s = spot[i * ss]
        k = strike[i * ks]
        t = t_years[i * ts]
        r = rate[i * rs]
        q = div_yield[i * qs]
        sigma = vol[i * vs]
        if not (
            (w == 1.0 or w == -1.0)
            and 0.0 < s < math.inf
            and 0.0 < k < math.inf
            and 0.0 <= t < math.inf
            and math.fabs(r) < math.inf
            and math.fabs(q) < math.inf
            and 0.0 < sigma <= MAX_VOL
        ):
            return False
        _fill(i, w, s, k, t, r, 0.0 if forward else r - q, sigma, forward, out)
    return True


def checked_price_greeks(
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    vol: FloatArray,
    n: int,
    *,
    greeks: bool,
    forward: bool = False,
) -> FloatArray | None:
    """Validate and price ``n`` options from 1-d float arrays of length ``n`` or 1 (scalars
    broadcast), in one fused pass shared between threads. Returns a ``(9, n)`` array (price and
    the eight Greeks) or ``(1, n)`` (price only), or None if any input is invalid (the caller
    then names the field and value with the numpy validators)."""
    w, s, k, t, r, q, v = (
        _readonly(a) for a in (sign, spot, strike, t_years, rate, div_yield, vol)
    )
    steps = np.array([1 if a.shape[0] > 1 else 0 for a in (w, s, k, t, r, q, v)], dtype=np.int64)
    steps.flags.writeable = False
    out = np.empty((9 if greeks else 1, n), dtype=np.float64)
    fwd = bool(forward)
    failed: list[bool] = []

    def work(start: int, stop: int) -> None:
        if not _checked_range(start, stop, w, s, k, t, r, q, v, steps, fwd, out):
            failed.append(True)

    run_in_chunks(n, work, chunk=GREEKS_CHUNK if greeks else PRICE_CHUNK)
    return None if failed else out


#: Options per work item of the price-only kernel.
PRICE_CHUNK = 65_536


# ----------------------------------------------------------------------------------------------
# Option kinds as signs: the fast paths of :func:`pricing.validation.kind_sign`.


@jit
def _pointer_codes(ptrs: UIntArray, table: UIntArray, first: IntArray, codes: Int8Array) -> int:
    """Give each object pointer the index of its distinct value in ``table`` (filled in order of
    first appearance, with the first position in ``first``); return the number of distinct
    pointers, or -1 if there are more than ``table`` holds."""
    cap = table.shape[0]
    n_d = 0
    last = 0
    for i in range(ptrs.shape[0]):
        p = ptrs[i]
        if n_d and table[last] == p:
            codes[i] = last
            continue
        j = 0
        while j < n_d and table[j] != p:
            j += 1
        if j == n_d:
            if n_d == cap:
                return -1
            table[n_d] = p
            first[n_d] = i
            n_d += 1
        codes[i] = j
        last = j
    return n_d


@jit
def _utf32_signs(chars: UInt32Array, width: int, out: FloatArray) -> None:
    """+1 where the ``width`` UTF-32 code points of element ``i`` (``chars[i * width:]``) spell
    "call", -1 "put", NaN otherwise (read in place: no per-element views)."""
    for i in range(out.shape[0]):
        b = i * width
        end = width
        while end > 0 and chars[b + end - 1] == 0:
            end -= 1
        if (
            end == 4
            and chars[b] == 99
            and chars[b + 1] == 97
            and chars[b + 2] == 108
            and chars[b + 3] == 108
        ):
            out[i] = 1.0
        elif end == 3 and chars[b] == 112 and chars[b + 1] == 117 and chars[b + 2] == 116:
            out[i] = -1.0
        else:
            out[i] = math.nan


def object_kind_codes(
    arr: NDArray[np.object_], capacity: int = 64
) -> tuple[Int8Array, IntArray] | None:
    """For a 1-d object array: per element the index of its distinct object (by identity) and the
    first position of each distinct object, or None if there are more than ``capacity``.

    An object array stores PyObject pointers; equal pointers are the same object, so each
    distinct object (typically the two strings of a DataFrame column, or the two enum members)
    needs parsing once. The pointers are read, never written, while ``arr`` is alive."""
    arr = np.ascontiguousarray(arr)
    n = arr.shape[0]
    ptrs = np.ctypeslib.as_array((ctypes.c_size_t * n).from_address(arr.ctypes.data))
    table = np.empty(capacity, dtype=ptrs.dtype)
    first = np.empty(capacity, dtype=np.int64)
    codes = np.empty(n, dtype=np.int8)
    count = _pointer_codes(ptrs, table, first, codes)
    del ptrs
    return None if count < 0 else (codes, first[:count])


def utf32_signs(arr: NDArray[np.str_]) -> FloatArray:
    """+1/-1/NaN per element of a 1-d numpy string array ("call", "put", anything else)."""
    arr = np.ascontiguousarray(arr)
    width = arr.dtype.itemsize // 4
    chars = arr.reshape(-1).view(np.uint32)
    out = np.empty(arr.shape[0])
    if width:
        _utf32_signs(chars, width, out)
    else:
        out[:] = np.nan
    return out


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
def eur_iv(
    sign: float, s: float, k: float, t: float, r: float, q: float, target: float, guess: float
) -> float:
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
