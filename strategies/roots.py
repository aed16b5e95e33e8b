"""The one root finder of the strategies layer: Brent's method (:func:`scipy.optimize.brentq`)
on a bracket, and the sign changes of a function sampled on a grid, each refined by it.

Breakevens (:mod:`strategies.payoff`), PoP boundaries (:mod:`strategies.probability`), the index
move that triggers a leveraged-ETF level (:mod:`strategies.scenarios`) and the implied cost of a
leveraged fund (:mod:`strategies.leveraged`) all go through here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

#: brentq's own default relative tolerance.
DEFAULT_RTOL = 4 * float(np.finfo(float).eps)


def bracketed_root(
    fn: Callable[[float], float],
    lo: float,
    hi: float,
    *,
    xtol: float,
    rtol: float = DEFAULT_RTOL,
    maxiter: int = 100,
) -> float:
    """The root of ``fn`` in ``[lo, hi]`` (``fn(lo)`` and ``fn(hi)`` of opposite signs), to
    ``xtol + rtol * |x|`` in ``x``'s units."""
    return float(brentq(fn, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter))


def grid_roots(
    fn: Callable[[float], float],
    grid: ArrayLike,
    values: ArrayLike,
    *,
    xtol: float,
    rtol: float = DEFAULT_RTOL,
    maxiter: int = 100,
) -> list[float]:
    """The zeros of ``fn`` found on ``grid`` (increasing; ``values = fn(grid)``): every grid
    point where the value is exactly 0, and between consecutive points of opposite signs the
    root refined by :func:`bracketed_root`; in increasing order."""
    x = np.asarray(grid, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    roots: list[float] = []
    for i in range(x.size - 1):
        a, b = float(v[i]), float(v[i + 1])
        if a == 0.0:
            roots.append(float(x[i]))
        elif a * b < 0.0:
            roots.append(
                bracketed_root(
                    fn, float(x[i]), float(x[i + 1]), xtol=xtol, rtol=rtol, maxiter=maxiter
                )
            )
    if x.size and float(v[-1]) == 0.0:
        roots.append(float(x[-1]))
    return roots
