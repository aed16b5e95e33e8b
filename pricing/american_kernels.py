"""Numba fast paths behind the "default" American engine (no QuantLib here): the zero-vol value
(the model's lower bound) and the dispatch of groups of options (options sharing every input but
the spot: one solve prices all their spots) to :mod:`pricing.american_fixed_point` (no cash
dividend before expiry) or :mod:`pricing.american_fd` (cash dividends).

Units: spots and strikes in price units, ``t`` in years, rates and yields continuously
compounded decimals, vols decimal; dividend times in years from valuation, amounts per share.
Inputs are assumed validated (see :mod:`pricing.american`). ``level`` selects accuracy:
0 = coarse (used inside the implied-vol iteration), 1 = default, 2 = fine (a slow
self-convergence reference for tests and benchmarks)."""

from __future__ import annotations

import math

from pricing._jit import jit
from pricing._parallel import run_in_chunks, worker_threads
from pricing._typing import FloatArray, IntArray
from pricing.american_bounds import zero_vol_value
from pricing.american_fd import _fd_group
from pricing.american_fixed_point import _spectral_group

# --------------------------------------------------------------------------------------------
# Dispatch and batch kernels
# --------------------------------------------------------------------------------------------


@jit
def _has_cash_dividend(t: float, div_t: FloatArray, div_a: FloatArray) -> bool:
    for j in range(div_t.shape[0]):  # noqa: SIM110 (generators are not supported by numba)
        if 0.0 < div_t[j] <= t and div_a[j] > 0.0:
            return True
    return False


@jit
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


@jit
def _price_groups_range(
    start: int,
    stop: int,
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
    for g in range(start, stop):
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
    n = sign.shape[0]

    def work(lo: int, hi: int) -> None:
        _price_groups_range(lo, hi, sign, k, t, r, q, v, starts, spots, div_t, div_a, level, out)

    chunk = n if n < PARALLEL_MIN_TASKS else max(1, n // (4 * worker_threads()))
    run_in_chunks(n, work, chunk=chunk)
