"""Crank-Nicolson finite differences for American (and European) options with discrete cash
dividends in the SPOT model (the share drops by the cash amount on the ex-date; the model of
QuantLib's ``FdBlackScholesVanillaEngine`` with ``CashDividendModel.Spot``).

Solved in ``x = ln S`` with the strike on a grid node, Rannacher start (and restart after each
dividend), Brennan-Schwartz for the early-exercise constraint, exponential fitting when
convection dominates, dividends applied by cubic interpolation ``V(S) <- max(payoff(S), V(S -
D))``, and Richardson extrapolation over two nested grids (``h`` and ``h/2``). Typical error:
1e-4 relative. One solve prices every spot of a group. Units as :mod:`pricing.american_kernels`;
``level``: 0 coarse, 1 default, 2 fine."""

from __future__ import annotations

import math

import numpy as np

from pricing._jit import jit
from pricing._typing import FloatArray, IntArray

# Finite-difference settings per level: nodes across the reference width, time steps, Richardson.
_FD_M = (61, 101, 401)
_FD_NT = (16, 40, 320)
_FD_RICH = (False, True, True)
_FD_NSD = 5.0
_FD_MAX_NODES = 4001


# --------------------------------------------------------------------------------------------
# Crank-Nicolson finite differences (cash dividends, spot model)
# --------------------------------------------------------------------------------------------


@jit
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


@jit
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


@jit
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


@jit
def _interp_value(
    vals: FloatArray,
    s: float,
    x0: float,
    dx: float,
    m: int,
    sign: float,
    k: float,
    american: bool,
) -> float:
    """Today's value at spot ``s`` from the node values (nodes at ``x0 + j dx``, ``x = ln S``):
    cubic Lagrange interpolation, except where all four nodes of the stencil hold exactly their
    exercise value ``sign (S_j - K)`` (an American option deep in its exercise region): there
    the value is exactly ``sign (s - K)``. (Interpolating the payoff, which is not a cubic in
    ``x``, leaves an error of order ``h^4 S`` above or below it, which a difference over spot
    turns into a delta outside [-1, 1].)"""
    u = (math.log(s) - x0) / dx
    if american:
        kk = min(max(math.floor(u), 1), m - 3)
        exercised = True
        for j in range(kk - 1, kk + 3):
            payoff = sign * (math.exp(x0 + j * dx) - k)
            if not (payoff > 0.0 and vals[j] == payoff):
                exercised = False
                break
        if exercised:
            return sign * (s - k)
    return _interp4(vals, u, m)


@jit
def _fd_setup(
    sign: float,
    k: float,
    r: float,
    q: float,
    v: float,
    x0: float,
    dx: float,
    m: int,
    vals: FloatArray,
) -> tuple[FloatArray, FloatArray, float, float, float]:
    """One grid's start: ``vals`` receives the payoff at expiry (the node on the strike carries
    the cell average of the kinked payoff); returns the node spots, the exercise values and the
    operator's coefficients ``(al, ga, be)`` (lower, upper neighbour and diagonal, per year)."""
    s_node = np.empty(m)
    ex = np.empty(m)
    h = abs(dx)
    for j in range(m):
        s_node[j] = math.exp(x0 + j * dx)
        ex[j] = max(sign * (s_node[j] - k), 0.0)
        vals[j] = ex[j]
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
    return s_node, ex, al, ga, be


@jit
def _lu(
    al: float, ga: float, be: float, dt: float, th: float, m: int, w: FloatArray, inv: FloatArray
) -> None:
    """The elimination factors of ``1 - th dt L`` (``L``: the tridiagonal operator) into ``w``
    and ``inv``, eliminating from the top node down."""
    aa = -th * dt * al
    cc = -th * dt * ga
    bb = 1.0 - th * dt * be
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


@jit
def _cn_step(
    al: float,
    ga: float,
    be: float,
    dt: float,
    th: float,
    w: FloatArray,
    inv: FloatArray,
    floor: FloatArray,
    v_lo: float,
    v_hi: float,
    m: int,
    vals: FloatArray,
    rhs: FloatArray,
) -> None:
    """One theta-scheme step of one grid in place (``th`` 1 implicit, 0.5 Crank-Nicolson) with
    the boundary values ``v_lo``/``v_hi``; ``floor``: the exercise values (``-inf`` for none)."""
    aa = -th * dt * al
    cc = -th * dt * ga
    e = (1.0 - th) * dt
    ea = e * al
    eb = 1.0 + e * be
    eg = e * ga
    # right-hand side and downward elimination in one sweep (old values only)
    acc = (ea * vals[m - 3] + eb * vals[m - 2] + eg * vals[m - 1]) - cc * v_hi
    rhs[m - 2] = acc * inv[m - 2]
    for j in range(m - 3, 0, -1):
        acc = (ea * vals[j - 1] + eb * vals[j] + eg * vals[j + 1]) - w[j] * acc
        rhs[j] = acc * inv[j]
    vals[0] = v_lo
    prev = v_lo
    for j in range(1, m - 1):
        val = rhs[j] - aa * inv[j] * prev
        if floor[j] > val:
            val = floor[j]
        vals[j] = val
        prev = val
    vals[m - 1] = v_hi


@jit
def _cn_step_pair(
    al: float,
    ga: float,
    be: float,
    al2: float,
    ga2: float,
    be2: float,
    dt: float,
    th: float,
    w: FloatArray,
    inv: FloatArray,
    w2: FloatArray,
    inv2: FloatArray,
    floor: FloatArray,
    floor2: FloatArray,
    v_lo: float,
    v_hi: float,
    m: int,
    vals: FloatArray,
    vals2: FloatArray,
    rhs: FloatArray,
    rhs2: FloatArray,
) -> None:
    """:func:`_cn_step` of a grid of ``m`` nodes and of the grid of ``2 m - 1`` nodes that halves
    its spacing (suffix 2), in one pair of sweeps: each grid's recurrence is a chain of dependent
    operations, so sweeping both at once lets the processor overlap them. Each grid gets exactly
    the operations of :func:`_cn_step`, in the same order."""
    n2 = 2 * m - 1
    aa = -th * dt * al
    cc = -th * dt * ga
    e = (1.0 - th) * dt
    ea = e * al
    eb = 1.0 + e * be
    eg = e * ga
    aa2 = -th * dt * al2
    cc2 = -th * dt * ga2
    ea2 = e * al2
    eb2 = 1.0 + e * be2
    eg2 = e * ga2
    acc = (ea * vals[m - 3] + eb * vals[m - 2] + eg * vals[m - 1]) - cc * v_hi
    rhs[m - 2] = acc * inv[m - 2]
    acc2 = (ea2 * vals2[n2 - 3] + eb2 * vals2[n2 - 2] + eg2 * vals2[n2 - 1]) - cc2 * v_hi
    rhs2[n2 - 2] = acc2 * inv2[n2 - 2]
    f = n2 - 3
    acc2 = (ea2 * vals2[f - 1] + eb2 * vals2[f] + eg2 * vals2[f + 1]) - w2[f] * acc2
    rhs2[f] = acc2 * inv2[f]
    for j in range(m - 3, 0, -1):
        acc = (ea * vals[j - 1] + eb * vals[j] + eg * vals[j + 1]) - w[j] * acc
        rhs[j] = acc * inv[j]
        f = 2 * j + 1
        acc2 = (ea2 * vals2[f - 1] + eb2 * vals2[f] + eg2 * vals2[f + 1]) - w2[f] * acc2
        rhs2[f] = acc2 * inv2[f]
        f = 2 * j
        acc2 = (ea2 * vals2[f - 1] + eb2 * vals2[f] + eg2 * vals2[f + 1]) - w2[f] * acc2
        rhs2[f] = acc2 * inv2[f]
    acc2 = (ea2 * vals2[0] + eb2 * vals2[1] + eg2 * vals2[2]) - w2[1] * acc2
    rhs2[1] = acc2 * inv2[1]
    vals[0] = v_lo
    vals2[0] = v_lo
    prev = v_lo
    prev2 = v_lo
    for j in range(1, m - 1):
        val = rhs[j] - aa * inv[j] * prev
        if floor[j] > val:
            val = floor[j]
        vals[j] = val
        prev = val
        f = 2 * j - 1
        val2 = rhs2[f] - aa2 * inv2[f] * prev2
        if floor2[f] > val2:
            val2 = floor2[f]
        vals2[f] = val2
        prev2 = val2
        f = 2 * j
        val2 = rhs2[f] - aa2 * inv2[f] * prev2
        if floor2[f] > val2:
            val2 = floor2[f]
        vals2[f] = val2
        prev2 = val2
    f = n2 - 2
    val2 = rhs2[f] - aa2 * inv2[f] * prev2
    if floor2[f] > val2:
        val2 = floor2[f]
    vals2[f] = val2
    vals[m - 1] = v_hi
    vals2[n2 - 1] = v_hi


@jit
def _expiry_dividend(
    sign: float,
    k: float,
    amount: float,
    x0: float,
    dx: float,
    m: int,
    s_node: FloatArray,
    vals: FloatArray,
) -> None:
    """An ex-date at expiry: a call is exercised just before it (no effect); a put's final value
    becomes ``(K + D - S)+``, set with the kink's cell average like the strike's."""
    if sign > 0:
        return
    h = abs(dx)
    k_eff = k + amount
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


@jit
def _apply_dividend(
    sign: float,
    k: float,
    t: float,
    r: float,
    q: float,
    div_t: FloatArray,
    div_a: FloatArray,
    jd: int,
    tau_now: float,
    american: bool,
    x0: float,
    dx: float,
    m: int,
    s_node: FloatArray,
    ex: FloatArray,
    vals: FloatArray,
    work: FloatArray,
) -> None:
    """The share drops by dividend ``jd`` at time to expiry ``tau_now``: ``V(S) <- V(S - D)``
    (cubic interpolation; the limits beyond the grid), then the exercise floor."""
    amount = div_a[jd]
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
            work[j] = _deep_limit(sign, s_after, k, tau_now, t, r, q, div_t, div_a, american)
        else:
            work[j] = _interp4(vals, u, m)
    for j in range(m):
        vals[j] = max(work[j], ex[j]) if american else work[j]


@jit
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
    vals2: FloatArray,
) -> None:
    """Backward Crank-Nicolson solve on nodes ``x_j = x0 + j dx`` (``x = ln S``), oriented so the
    exercise region lies at low ``j`` (``dx < 0`` for calls). ``vals`` receives today's values.
    With ``vals2`` of ``2 m - 1`` nodes (else an empty array), the grid of half the spacing
    (Richardson's second grid) is solved alongside, into ``vals2``, each step of both grids in
    one pair of sweeps (:func:`_cn_step_pair`): the same values as two separate solves."""
    pair = vals2.shape[0] == 2 * m - 1
    m2 = vals2.shape[0]
    s_node, ex, al, ga, be = _fd_setup(sign, k, r, q, v, x0, dx, m, vals)
    floor = ex if american else np.full(m, -np.inf)
    s_node2 = s_node
    ex2 = ex
    floor2 = floor
    al2 = al
    ga2 = ga
    be2 = be
    if pair:
        s_node2, ex2, al2, ga2, be2 = _fd_setup(sign, k, r, q, v, x0, 0.5 * dx, m2, vals2)
        floor2 = ex2 if american else np.full(m2, -np.inf)
    grid, flag = _tau_grid(t, nt, div_t, div_a)
    otm_side_itm = sign * (s_node[m - 1] - k) > 0.0
    rhs = np.empty(m)
    work = np.empty(m)
    rhs2 = np.empty(m2)
    work2 = np.empty(m2)
    ncache = 12
    cache_w = np.empty((ncache, m))
    cache_inv = np.empty((ncache, m))
    cache_w2 = np.empty((ncache, m2))
    cache_inv2 = np.empty((ncache, m2))
    cache_dt = np.full(ncache, -1.0)
    cache_th = np.full(ncache, -1.0)
    next_slot = 0
    slot = 0
    last_dt = -1.0
    last_th = -1.0
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
                        if found >= 0:
                            slot = found
                            dt = cache_dt[slot]
                        else:
                            slot = next_slot
                            next_slot = (next_slot + 1) % ncache
                            _lu(al, ga, be, dt, th, m, cache_w[slot], cache_inv[slot])
                            if pair:
                                _lu(al2, ga2, be2, dt, th, m2, cache_w2[slot], cache_inv2[slot])
                            cache_dt[slot] = dt
                            cache_th[slot] = th
                        last_dt = dt
                        last_th = th
                    dt = last_dt
                    tnew = grid[n - 1] + dt * (sub + 1)
                    v_lo = _deep_limit(sign, s_node[0], k, tnew, t, r, q, div_t, div_a, american)
                    v_hi = 0.0
                    if otm_side_itm:
                        v_hi = _deep_limit(
                            sign, s_node[m - 1], k, tnew, t, r, q, div_t, div_a, american
                        )
                    if pair:
                        _cn_step_pair(
                            al,
                            ga,
                            be,
                            al2,
                            ga2,
                            be2,
                            dt,
                            th,
                            cache_w[slot],
                            cache_inv[slot],
                            cache_w2[slot],
                            cache_inv2[slot],
                            floor,
                            floor2,
                            v_lo,
                            v_hi,
                            m,
                            vals,
                            vals2,
                            rhs,
                            rhs2,
                        )
                    else:
                        _cn_step(
                            al,
                            ga,
                            be,
                            dt,
                            th,
                            cache_w[slot],
                            cache_inv[slot],
                            floor,
                            v_lo,
                            v_hi,
                            m,
                            vals,
                            rhs,
                        )
        jd = flag[n]
        if jd >= 0 and n == 0:
            if american:
                _expiry_dividend(sign, k, div_a[jd], x0, dx, m, s_node, vals)
                if pair:
                    _expiry_dividend(sign, k, div_a[jd], x0, 0.5 * dx, m2, s_node2, vals2)
            jd = -1
        if jd >= 0:
            _apply_dividend(
                sign,
                k,
                t,
                r,
                q,
                div_t,
                div_a,
                jd,
                grid[n],
                american,
                x0,
                dx,
                m,
                s_node,
                ex,
                vals,
                work,
            )
            if pair:
                _apply_dividend(
                    sign,
                    k,
                    t,
                    r,
                    q,
                    div_t,
                    div_a,
                    jd,
                    grid[n],
                    american,
                    x0,
                    0.5 * dx,
                    m2,
                    s_node2,
                    ex2,
                    vals2,
                    work2,
                )
            steps_since_start = 0


@jit
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
    if _FD_RICH[level]:
        m2 = 2 * m - 1
        fine = np.empty(m2)
        _fd_solve(sign, k, t, r, q, v, div_t, div_a, x0, dx, m, nt, american, coarse, fine)
        for i in range(spots.shape[0]):
            vf = _interp_value(fine, spots[i], x0, 0.5 * dx, m2, sign, k, american)
            vc = _interp_value(coarse, spots[i], x0, dx, m, sign, k, american)
            corr = (vf - vc) / 3.0
            # Near the exercise boundary the error is not a smooth expansion in h and Richardson
            # would amplify it; there the time value is comparable to the correction, so fade
            # the correction out continuously (a switch would make the price jump with the vol).
            tv = vf - max(sign * (spots[i] - k), 0.0) if american else vf
            tv = max(tv, 0.0)
            weight = tv / (tv + 10.0 * abs(corr)) if corr != 0.0 else 1.0
            out[i] = vf + weight * corr
    else:
        _fd_solve(sign, k, t, r, q, v, div_t, div_a, x0, dx, m, nt, american, coarse, np.empty(0))
        for i in range(spots.shape[0]):
            out[i] = _interp_value(coarse, spots[i], x0, dx, m, sign, k, american)
    for i in range(spots.shape[0]):
        floor = max(sign * (spots[i] - k), 0.0) if american else 0.0
        if out[i] < floor:
            out[i] = floor


@jit
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
    for g in range(sign.shape[0]):
        a = starts[g]
        b = starts[g + 1]
        _fd_group(
            sign[g], k[g], t[g], r[g], q[g], v[g], div_t, div_a, spots[a:b], out[a:b], level, False
        )
