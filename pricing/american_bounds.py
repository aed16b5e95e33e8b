"""The zero-volatility American value (deterministic share path): the model's lower bound, used
by both American engines and the implied-vol screens. Units as :mod:`pricing.american_kernels`."""

from __future__ import annotations

import math

from pricing._jit import jit
from pricing._typing import FloatArray

# --------------------------------------------------------------------------------------------
# Zero-volatility American value (deterministic share path): the model's lower bound
# --------------------------------------------------------------------------------------------


@jit
def _zv_candidate(sign: float, c: float, k: float, r: float, q: float, t: float) -> float:
    st = c * math.exp((r - q) * t)
    if st < 0.0:
        st = 0.0
    return math.exp(-r * t) * max(sign * (st - k), 0.0)


@jit
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
