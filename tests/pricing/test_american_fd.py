"""The finite-difference engine's paired sweep: Richardson's two grids advanced together
(:func:`pricing.american_fd._cn_step_pair`) give exactly the values of two separate solves."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pricing.american_fd import _fd_solve


@given(
    st.sampled_from([1.0, -1.0]),
    st.floats(-0.3, 0.3),
    st.floats(0.01, 2.0),
    st.floats(0.0, 0.08),
    st.floats(0.0, 0.04),
    st.floats(0.08, 0.9),
    st.integers(0, 6),
    st.booleans(),
    st.integers(12, 80),
)
def test_paired_grids_equal_separate_solves_bit_for_bit(
    sign: float,
    log_moneyness: float,
    t: float,
    r: float,
    q: float,
    v: float,
    n_div: int,
    american: bool,
    half_nodes: int,
) -> None:
    spot = 250.0
    k = spot * math.exp(log_moneyness)
    # quarterly dividends, the last one possibly on the expiry itself
    div_t = np.array([min(0.05 + 0.25 * i, t) for i in range(n_div)])
    div_a = np.array([0.6 + 0.05 * i for i in range(n_div)])
    h = 10.0 * v * math.sqrt(t) / (2 * half_nodes)
    m = 2 * half_nodes + 1
    dx = h if sign < 0 else -h
    x0 = math.log(k) - half_nodes * dx
    coarse, fine = np.empty(m), np.empty(2 * m - 1)
    _fd_solve(sign, k, t, r, q, v, div_t, div_a, x0, dx, m, 40, american, coarse, fine)
    alone, alone_fine = np.empty(m), np.empty(2 * m - 1)
    _fd_solve(sign, k, t, r, q, v, div_t, div_a, x0, dx, m, 40, american, alone, np.empty(0))
    _fd_solve(
        sign,
        k,
        t,
        r,
        q,
        v,
        div_t,
        div_a,
        x0,
        0.5 * dx,
        2 * m - 1,
        40,
        american,
        alone_fine,
        np.empty(0),
    )
    assert np.array_equal(coarse, alone)
    assert np.array_equal(fine, alone_fine)
    assert np.isfinite(fine).all()
