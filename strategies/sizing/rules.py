"""Sizing rules: how many contracts, each rule with its formula; integer answers, never a
continuous answer rounded blindly.

Notation: a book of ``V`` dollars with beta ``beta`` to the index; index level ``S``; contract
multiplier ``m`` (100 for IWM, RUT and MRUT options); drawdowns ``d_j`` (decimal, 0.10 = the index
10 % lower) of a band; book loss ``L_j = V x beta x d_j``; a hedge unit (one put spread, one
collar, one TZA share...) with protection ``h_j`` at drawdown ``d_j`` (its value at the horizon
in the drawdown minus its value at the horizon with the index flat, dollars) and cost ``c``.

1. **Beta-weighted notional** (:func:`beta_weighted_contracts`)::

       contracts = V x beta / (S x m)

   rounded to the nearest integer (the Cboe textbook example: $500,000, beta 1, index 1,250,
   multiplier 100 -> 4 puts).

2. **Cover a share of the loss over a band** (:func:`cover_contracts`): the fewest integer
   contracts ``n`` with ``n x h_j >= cover x L_j`` at every drawdown of the band::

       n = max_j ceil(cover x L_j / h_j)        (every h_j > 0 where L_j > 0, else infeasible)

   This is exact (the constraint is monotone in ``n``): the smallest integer meeting every
   band point, not a rounded continuous ratio. Under a budget ``B`` it is feasible when
   ``n x c <= B``. With a budget and no target, :func:`budget_contracts` gives
   ``n = floor(B / c)``, at most the count covering the whole loss everywhere, and the
   protection reached is ``min_j n h_j / L_j``.

3. **Neutralise a share of the beta-weighted dollar delta** (:func:`delta_neutral_contracts`)::

       contracts = share x book beta-weighted dollar delta / |unit beta-weighted dollar delta|

   rounded to the nearest integer (the residual delta is reported).

4. **Mixes** (:func:`solve_mix`): several units together, integer contracts ``n_i >= 0``, by
   :func:`scipy.optimize.milp` (HiGHS branch and bound, exact)::

       minimise   sum_i n_i c_i
       subject to sum_i n_i h_ij >= cover x L_j   (every j)
                  sum_i n_i c_i  <= B             (when a budget is given)
                  sum_i n_i a_i  <= A             (notional cap: a_i unit notional)

   or, for the most protection within the budget, maximise ``t <= 1`` subject to
   ``sum_i n_i h_ij >= t L_j`` (never more than the whole loss: beyond it a hedge is a net
   short position). :func:`brute_force_mix` enumerates the same problem (tests).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from pricing.errors import InputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Relative slack when comparing protection with the target (floating-point noise only).
COVER_RTOL = 1e-9
#: Largest contract count a single unit may be sized to.
MAX_CONTRACTS = 10_000_000

ROUNDING_COVER = (
    "integer contracts: the fewest meeting the cover at every band point "
    "(n = max over the band of ceil(cover x loss / protection per unit)), exact, not a rounded ratio"
)
ROUNDING_BUDGET = "integer contracts: floor(budget / cost per unit), capped by the notional limit"
ROUNDING_NEAREST = "rounded to the nearest integer"
ROUNDING_MILP = (
    "integer program (scipy.optimize.milp, HiGHS branch and bound): exact integer optimum"
)


@dataclass(frozen=True, slots=True)
class NotionalSize:
    """A beta-weighted notional size: the exact ratio and the integer contracts."""

    exact: float
    contracts: int
    rounding: str = ROUNDING_NEAREST


def beta_weighted_contracts(
    *, book_value: float, beta: float, index_level: float, multiplier: float = 100.0
) -> NotionalSize:
    """Contracts whose notional matches the book's beta-weighted value:
    ``book_value (dollars) x beta / (index_level (price units) x multiplier)``, nearest integer."""
    for name, v in (
        ("book_value", book_value),
        ("index_level", index_level),
        ("multiplier", multiplier),
    ):
        if not math.isfinite(v) or v <= 0.0:
            raise InputError(name, v, "must be finite and > 0")
    if not math.isfinite(beta):
        raise InputError("beta", beta, "must be finite")
    exact = book_value * beta / (index_level * multiplier)
    return NotionalSize(exact, math.floor(abs(exact) + 0.5) * (1 if exact >= 0 else -1))


def delta_neutral_contracts(
    *, book_bw_dollar_delta: float, unit_bw_dollar_delta: float, share: float = 1.0
) -> NotionalSize:
    """Contracts of a unit with beta-weighted dollar delta ``unit_bw_dollar_delta`` (dollars per
    1.00 relative index move, sign included) that offset ``share`` of the book's
    ``book_bw_dollar_delta``: ``share x book / |unit|``, nearest integer; zero when the unit's
    delta has the book's sign (it would add to the risk)."""
    if not math.isfinite(share) or not 0.0 < share <= 2.0:
        raise InputError("share", share, "must be in (0, 2]")
    if not math.isfinite(unit_bw_dollar_delta) or unit_bw_dollar_delta == 0.0:
        raise InputError(
            "unit_bw_dollar_delta", unit_bw_dollar_delta, "must be finite and non-zero"
        )
    if unit_bw_dollar_delta * book_bw_dollar_delta > 0.0:
        return NotionalSize(0.0, 0)
    exact = share * abs(book_bw_dollar_delta) / abs(unit_bw_dollar_delta)
    return NotionalSize(exact, math.floor(exact + 0.5))


def cover_contracts(protection: ArrayLike, losses: ArrayLike, cover: float) -> IntArray:
    """Fewest integer contracts meeting ``cover`` of ``losses`` at every band point (formula 2 of
    the module docstring). ``protection``: dollars per unit, shape ``(..., n_band)``; ``losses``:
    dollars, shape ``(n_band,)``. Returns int64 of shape ``(...)``; -1 where no count suffices
    (some protection <= 0 where the loss is positive)."""
    h = np.asarray(protection, dtype=np.float64)
    loss = np.asarray(losses, dtype=np.float64)
    if not 0.0 < cover <= 10.0 or not math.isfinite(cover):
        raise InputError("cover", cover, "must be a decimal share in (0, 10]")
    need = cover * loss
    active = need > 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(active, need / np.where(h > 0.0, h, 1.0), 0.0)
    n = np.ceil(ratio * (1.0 - COVER_RTOL))
    bad = np.any(active & ~(h > 0.0), axis=-1)
    out = np.max(n, axis=-1) if n.ndim else n
    out = np.where(bad | (out > MAX_CONTRACTS), -1.0, np.maximum(out, 1.0))
    return np.asarray(out, dtype=np.int64)


def budget_contracts(cost: ArrayLike, budget: float, cap: ArrayLike) -> IntArray:
    """Integer contracts within ``budget`` dollars: ``floor(budget / cost)`` for ``cost > 0``,
    never above ``cap`` (the notional limit in contracts); ``cap`` where the unit is a credit."""
    c = np.asarray(cost, dtype=np.float64)
    limit = np.asarray(cap, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_budget = np.where(
            c > 0.0, np.floor(budget / np.where(c > 0.0, c, 1.0) * (1.0 + COVER_RTOL)), np.inf
        )
    out = np.minimum(by_budget, np.floor(limit))
    return np.asarray(np.clip(out, 0, MAX_CONTRACTS), dtype=np.int64)


def protection_share(contracts: ArrayLike, protection: ArrayLike, losses: ArrayLike) -> FloatArray:
    """The share of the loss covered at the worst band point: ``min_j n h_j / L_j`` over the
    points where ``L_j > 0`` (decimal; may be negative)."""
    n = np.asarray(contracts, dtype=np.float64)
    h = np.asarray(protection, dtype=np.float64)
    loss = np.asarray(losses, dtype=np.float64)
    active = loss > 0.0
    ratios = (n[..., None] * h[..., active]) / loss[active]
    return np.asarray(np.min(ratios, axis=-1), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class MixSolution:
    """Integer contracts per unit, total cost (dollars), the protection share reached at the
    worst band point, and whether the target (or budget problem) had a solution."""

    contracts: tuple[int, ...]
    cost: float
    protection: float
    feasible: bool
    method: str = ROUNDING_MILP


def _check_mix(
    protection: ArrayLike, costs: ArrayLike, losses: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    h = np.atleast_2d(np.asarray(protection, dtype=np.float64))
    c = np.asarray(costs, dtype=np.float64).ravel()
    loss = np.asarray(losses, dtype=np.float64).ravel()
    if h.shape != (c.size, loss.size):
        raise InputError(
            "protection", h.shape, f"must be (units={c.size}, band points={loss.size})"
        )
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(c)) and np.all(np.isfinite(loss))):
        raise InputError("protection", "non-finite", "protection, costs and losses must be finite")
    return h, c, loss


def solve_mix(
    protection: ArrayLike,
    costs: ArrayLike,
    losses: ArrayLike,
    *,
    cover: float | None,
    budget: float | None = None,
    notionals: ArrayLike | None = None,
    notional_cap: float | None = None,
    max_contracts: int = 100_000,
    upper: ArrayLike | None = None,
    limits: Sequence[tuple[ArrayLike, float]] = (),
) -> MixSolution:
    """The integer mix of units (module docstring, rule 4): least cost meeting ``cover`` of the
    loss at every band point (``cover`` given), or the most protection within ``budget``
    (``cover`` None). ``protection``: ``(n_units, n_band)`` dollars per unit; ``costs`` dollars
    per unit; ``losses`` dollars per band point; ``notionals`` dollars per unit with
    ``notional_cap`` their limit; ``upper`` the most contracts of each unit (default
    ``max_contracts``); ``limits`` more linear caps ``sum_i a_i n_i <= cap`` as ``(a, cap)``."""
    h, c, loss = _check_mix(protection, costs, losses)
    n_units = c.size
    unit_upper = upper
    ub = (
        np.full(n_units, float(max_contracts))
        if upper is None
        else np.minimum(np.asarray(upper, dtype=np.float64).ravel(), float(max_contracts))
    )
    rows: list[NDArray[np.float64]] = []
    lo: list[float] = []
    hi: list[float] = []
    if budget is not None:
        rows.append(c)
        lo.append(-np.inf)
        hi.append(float(budget))
    if notionals is not None and notional_cap is not None:
        rows.append(np.asarray(notionals, dtype=np.float64).ravel())
        lo.append(-np.inf)
        hi.append(float(notional_cap))
    for coeffs, limit in limits:
        rows.append(np.asarray(coeffs, dtype=np.float64).ravel())
        lo.append(-np.inf)
        hi.append(float(limit))
    active = loss > 0.0
    if cover is not None:
        a = np.vstack([h[:, active].T, *rows]) if rows else h[:, active].T
        lower = np.concatenate([cover * loss[active], lo])
        upper = np.concatenate([np.full(int(active.sum()), np.inf), hi])
        res = milp(
            c,
            constraints=LinearConstraint(a, lower, upper),
            integrality=np.ones(n_units),
            bounds=Bounds(0, ub),
            options={"presolve": True},
        )
        if res.x is None or res.status != 0:
            return MixSolution(tuple([0] * n_units), 0.0, 0.0, False)
        n = np.round(res.x).astype(np.int64)
    else:
        if budget is None and notional_cap is None:
            raise InputError("budget", budget, "give a cover target, a budget or a notional cap")
        # variables: n_1..n_k (integer), t (continuous): maximise t  <=>  minimise -t
        obj = np.concatenate([np.zeros(n_units), [-1.0]])
        cover_rows = np.hstack([h[:, active].T, -loss[active][:, None]])
        extra = [np.concatenate([r, [0.0]]) for r in rows]
        a = np.vstack([cover_rows, *extra]) if extra else cover_rows
        lower = np.concatenate([np.zeros(int(active.sum())), lo])
        upper = np.concatenate([np.full(int(active.sum()), np.inf), hi])
        res = milp(
            obj,
            constraints=LinearConstraint(a, lower, upper),
            integrality=np.concatenate([np.ones(n_units), [0.0]]),
            bounds=Bounds(
                np.concatenate([np.zeros(n_units), [-np.inf]]),
                np.concatenate([ub, [1.0]]),  # protection beyond the whole loss is not protection
            ),
        )
        if res.x is None or res.status != 0:
            return MixSolution(tuple([0] * n_units), 0.0, 0.0, False)
        n = np.round(res.x[:n_units]).astype(np.int64)
        best_t = float(np.min((n @ h)[active] / loss[active]))
        if best_t > 0.0:
            # Second stage: the least cost reaching that protection (ties broken by cost).
            cheaper = solve_mix(
                h,
                c,
                loss,
                cover=min(best_t, 1.0) * (1.0 - 1e-9),
                budget=budget,
                notionals=notionals,
                notional_cap=notional_cap,
                max_contracts=max_contracts,
                upper=unit_upper,
                limits=limits,
            )
            if cheaper.feasible and cheaper.cost <= float(n @ c):
                n = np.asarray(cheaper.contracts, dtype=np.int64)
    total = float(n @ c)
    prot = float(np.min((n @ h)[active] / loss[active]))
    return MixSolution(tuple(int(x) for x in n), total, prot, True)


def brute_force_mix(
    protection: ArrayLike,
    costs: ArrayLike,
    losses: ArrayLike,
    *,
    cover: float | None,
    budget: float | None,
    max_contracts: int,
) -> MixSolution:
    """:func:`solve_mix` by enumerating every integer vector with entries in
    ``0..max_contracts`` (small problems only: tests)."""
    h, c, loss = _check_mix(protection, costs, losses)
    active = loss > 0.0
    best: tuple[float, float, tuple[int, ...]] | None = None
    for combo in itertools.product(range(max_contracts + 1), repeat=c.size):
        n = np.asarray(combo, dtype=np.float64)
        cost = float(n @ c)
        if budget is not None and cost > budget + 1e-9:
            continue
        prot = float(np.min((n @ h)[active] / loss[active]))
        if cover is not None:
            if prot < cover * (1.0 - COVER_RTOL):
                continue
            key = (cost, -prot)
        else:
            key = (-round(min(prot, 1.0), 9), cost)
        if best is None or key < best[:2]:
            best = (key[0], key[1], combo)
    if best is None:
        return MixSolution(tuple([0] * c.size), 0.0, 0.0, False, "enumeration")
    n_best = np.asarray(best[2], dtype=np.float64)
    return MixSolution(
        best[2],
        float(n_best @ c),
        float(np.min((n_best @ h)[active] / loss[active])),
        True,
        "enumeration",
    )


def band_points(low: float, high: float, step: float) -> FloatArray:
    """Drawdowns (decimal) from ``low`` to ``high`` inclusive every ``step``: 0.05..0.15 by 0.01
    gives 11 points. ``low == high`` gives one point."""
    for name, v in (("band low", low), ("band high", high)):
        if not math.isfinite(v) or not 0.0 < v < 1.0:
            raise InputError(name, v, "must be a drawdown in (0, 1) (0.05 = the index 5 % lower)")
    if high < low:
        raise InputError("band", (low, high), "high drawdown must be >= low")
    if not math.isfinite(step) or step <= 0.0:
        raise InputError("band step", step, "must be > 0")
    n = math.floor((high - low) / step + 1e-9) + 1
    pts = low + step * np.arange(n)
    if pts[-1] < high - 1e-12:
        pts = np.append(pts, high)
    return np.asarray(np.round(pts, 12), dtype=np.float64)


def as_tuple(values: Sequence[float]) -> tuple[float, ...]:
    """Floats as a tuple (for frozen results)."""
    return tuple(float(v) for v in values)
