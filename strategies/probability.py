"""Probability of profit, expected P&L and CVaR of a strategy at a horizon.

Three views of where the underlying will be:

(a) **risk-neutral** (:func:`risk_neutral_distribution`): the distribution implied by the fitted
    vol surface at the horizon, by Breeden-Litzenberger. With undiscounted call prices
    ``c(K) = C(K) e^{rt}`` read off the surface (Black-76 on the forward with the surface vol at
    ``(t, K)``), the density of the spot at ``t`` is ``q(K) = d^2 c / dK^2`` and its CDF is
    ``P(S_t <= K) = 1 + dc/dK``. The CDF is taken by central differences in strike (relative step
    :data:`STRIKE_STEP`), made monotone (butterfly arbitrage in a fitted smile would give a
    negative density: its mass is reported as ``lost_mass``) and integrated over cells, so
    each cell's probability is the integral of the BL density over it;
:func:`risk_neutral_density` gives the density itself (second differences) for plots and checks.
(b) **lognormal** (:func:`lognormal_distribution`): ``ln S_t`` normal with a chosen vol and a
    chosen drift (``drift`` decimal per year of the expected price: ``E[S_t] = S_0 e^{drift t}``;
    ``r - q`` is risk-neutral);
(c) **scenarios** (:func:`scenario_stats`): the discrete outcomes of a
    :class:`~strategies.scenarios.ScenarioSet`, each repriced fully (spot, vol, rates, time).

For (a) and (b) the spot axis is cut into cells (:data:`DEFAULT_NODES` of them between
``+-DEFAULT_WIDTH_SD`` standard deviations; the end cells carry the tails), each with its exact
probability and a representative spot (the cell's conditional mean for the lognormal, so that
expectations of linear payoffs are exact; the log-midpoint for the risk-neutral view). The P&L
is evaluated once, vectorised, on those spots.

Statistics (:class:`PnLStats`), all in dollars:

- ``pop``: probability that P&L > 0. With a continuous CDF it is exact up to the breakevens:
  the P&L's sign changes are bracketed on the cell grid and refined with :func:`scipy.optimize.brentq`,
  and the profitable intervals are measured with the CDF (so a single option under the lognormal
  matches the closed form ``N(d2)`` at the breakeven to 1e-9);
- ``expected_pnl``: ``sum(p_i pnl_i)``;
- ``var`` and ``cvar`` at ``level`` (0.95): the loss (positive = a loss) at the ``1 - level``
  quantile of P&L, and the expected loss in that worst ``1 - level`` of outcomes (the boundary
  cell counted fractionally). A hedge that gains in its worst 5 % has a negative CVaR.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri

from marketdata.snapshot import years_between
from pricing.black_scholes import FloatArray
from pricing.dividends import pv_dividends
from pricing.errors import InputError
from strategies.calibration import HOUSE_BETAS, MarketBetas
from strategies.grid import as_grid_datetime
from strategies.payoff import first_expiry_datetime, pnl_curve
from strategies.pricing_context import PricingContext
from strategies.scenarios import Dynamics, ScenarioSet, reference_symbol, run_scenarios
from strategies.strategy import PremiumBasis, Strategy

DEFAULT_NODES = 2001
DEFAULT_WIDTH_SD = 8.0
DEFAULT_LEVEL = 0.95
#: Relative strike step for the strike derivatives of call prices (Breeden-Litzenberger).
STRIKE_STEP = 1e-4

PnLFunction = Callable[[FloatArray], FloatArray]
CdfFunction = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True, slots=True, eq=False)
class SpotDistribution:
    """A distribution of one symbol's price at a horizon, as cells.

    ``nodes`` (price units, increasing) are the cells' representative spots, ``weights`` their
    probabilities (sum 1), ``edges`` the ``len(nodes) - 1`` inner cell boundaries, ``cdf`` the
    continuous CDF ``P(S_t <= x)`` when known (None for discrete distributions), ``lost_mass``
    the mass of negative density found (and removed) in a risk-neutral smile: 0 when the smile
    is free of static arbitrage.
    """

    label: str
    symbol: str
    spot0: float
    t_years: float
    nodes: FloatArray
    weights: FloatArray
    edges: FloatArray
    cdf: CdfFunction | None = None
    lost_mass: float = 0.0
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        nodes = np.asarray(self.nodes, dtype=np.float64)
        weights = np.asarray(self.weights, dtype=np.float64)
        if nodes.ndim != 1 or nodes.shape != weights.shape or nodes.size == 0:
            raise InputError("nodes", nodes.shape, f"must be 1-D and match weights {weights.shape}")
        if np.any(~np.isfinite(nodes)) or np.any(nodes <= 0.0):
            raise InputError("nodes", nodes, "must be finite prices > 0")
        if np.any(~np.isfinite(weights)) or np.any(weights < 0.0):
            raise InputError("weights", weights, "must be finite and >= 0")
        total = float(weights.sum())
        if abs(total - 1.0) > 1e-9:
            raise InputError("weights", total, "must sum to 1")
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "edges", np.asarray(self.edges, dtype=np.float64))

    @property
    def mean(self) -> float:
        """Expected spot (price units)."""
        return float(np.dot(self.weights, self.nodes))

    def probability_above(self, x: float) -> float:
        """``P(S_t > x)`` (from the CDF when known, else from the cells)."""
        if self.cdf is not None:
            return float(1.0 - self.cdf(np.asarray([x]))[0])
        return float(self.weights[self.nodes > x].sum())


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------


def _check_positive(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise InputError(name, value, "must be finite and > 0")
    return number


def _normal_mass(a: FloatArray, b: FloatArray) -> FloatArray:
    """``N(b) - N(a)`` without cancellation in the upper tail (uses ``N(-a) - N(-b)`` there)."""
    upper = (a + b) > 0.0
    lower_form = ndtr(b) - ndtr(a)
    upper_form = ndtr(-a) - ndtr(-b)
    return np.asarray(np.where(upper, upper_form, lower_form), dtype=np.float64)


def lognormal_distribution(
    spot: float,
    *,
    vol: float,
    t_years: float,
    drift: float = 0.0,
    symbol: str = "",
    n_nodes: int = DEFAULT_NODES,
    width_sd: float = DEFAULT_WIDTH_SD,
) -> SpotDistribution:
    """Lognormal spot at ``t_years``: ``ln S_t ~ N(ln S_0 + (drift - vol^2/2) t, vol^2 t)``.

    ``spot`` price units; ``vol`` decimal per sqrt(year); ``drift`` decimal per year of the
    expected price. Cells are equal in log-spot; each node is the cell's conditional mean, so
    ``sum(p_i S_i) = S_0 e^{drift t}`` exactly."""
    s0 = _check_positive("spot", spot)
    sigma = _check_positive("vol", vol)
    t = _check_positive("t_years", t_years)
    mu = float(drift)
    if not math.isfinite(mu):
        raise InputError("drift", drift, "must be finite")
    if n_nodes < 3:
        raise InputError("n_nodes", n_nodes, "must be >= 3")
    sd = sigma * math.sqrt(t)
    m = math.log(s0) + (mu - 0.5 * sigma * sigma) * t
    z_edges = np.linspace(-width_sd, width_sd, n_nodes + 1)[1:-1]
    z_all = np.concatenate([[-np.inf], z_edges, [np.inf]])
    probs = _normal_mass(z_all[:-1], z_all[1:])
    # E[S; cell] = E[S] * (N(z_b - sd) - N(z_a - sd)): the conditional mean of each cell.
    partial = _normal_mass(z_all[:-1] - sd, z_all[1:] - sd)
    mean = s0 * math.exp(mu * t)
    mid_z = np.concatenate([[z_edges[0] - 0.5 * (z_edges[1] - z_edges[0])],
                            0.5 * (z_edges[1:] + z_edges[:-1]),
                            [z_edges[-1] + 0.5 * (z_edges[1] - z_edges[0])]])
    fallback = np.exp(m + sd * mid_z)
    safe = probs > 1e-300
    nodes = np.where(safe, mean * partial / np.where(safe, probs, 1.0), fallback)
    nodes = np.maximum.accumulate(np.maximum(nodes, 1e-12))
    weights = probs / probs.sum()

    def cdf(x: FloatArray) -> FloatArray:
        xv = np.asarray(x, dtype=np.float64)
        z = (np.log(np.maximum(xv, 1e-300)) - m) / sd
        return np.asarray(np.where(xv > 0.0, ndtr(z), 0.0), dtype=np.float64)

    return SpotDistribution(
        label=f"lognormal(vol={sigma:.4g}, drift={mu:.4g})",
        symbol=symbol,
        spot0=s0,
        t_years=t,
        nodes=nodes,
        weights=weights,
        edges=np.exp(m + sd * z_edges),
        cdf=cdf,
        params={"vol": sigma, "drift": mu},
    )


def _undiscounted_calls(
    vol_fn: Callable[[FloatArray], FloatArray], forward: float, t: float, strikes: FloatArray
) -> FloatArray:
    sigma = np.asarray(vol_fn(strikes), dtype=np.float64)
    sd = sigma * math.sqrt(t)
    d1 = (np.log(forward / strikes) + 0.5 * sd * sd) / sd
    return np.asarray(forward * ndtr(d1) - strikes * ndtr(d1 - sd), dtype=np.float64)


def _bl_cdf(
    vol_fn: Callable[[FloatArray], FloatArray],
    forward: float,
    t: float,
    x: FloatArray,
    *,
    clip: bool = True,
) -> FloatArray:
    """``1 + dc/dK`` by central differences (clipped to [0, 1] unless ``clip`` is False)."""
    k = np.asarray(x, dtype=np.float64)
    h = STRIKE_STEP * k
    up = _undiscounted_calls(vol_fn, forward, t, k + h)
    dn = _undiscounted_calls(vol_fn, forward, t, k - h)
    raw = 1.0 + (up - dn) / (2.0 * h)
    return np.asarray(np.clip(raw, 0.0, 1.0) if clip else raw, dtype=np.float64)


def risk_neutral_density(
    vol_fn: Callable[[FloatArray], FloatArray],
    *,
    forward: float,
    t_years: float,
    strikes: ArrayLike,
) -> FloatArray:
    """Breeden-Litzenberger density ``q(K) = d^2 c / dK^2`` (per unit of price) at ``strikes``,
    with ``c`` the undiscounted Black-76 call on ``forward`` at the vols ``vol_fn(strikes)``
    (decimal) and ``t_years``; second central differences with relative step
    :data:`STRIKE_STEP`. Negative values flag butterfly arbitrage in the smile."""
    f = _check_positive("forward", forward)
    t = _check_positive("t_years", t_years)
    k = np.asarray(strikes, dtype=np.float64)
    h = STRIKE_STEP * k
    up = _undiscounted_calls(vol_fn, f, t, k + h)
    mid = _undiscounted_calls(vol_fn, f, t, k)
    dn = _undiscounted_calls(vol_fn, f, t, k - h)
    return np.asarray((up - 2.0 * mid + dn) / (h * h), dtype=np.float64)


def risk_neutral_distribution(
    vol_fn: Callable[[FloatArray], FloatArray],
    *,
    spot: float,
    forward: float,
    t_years: float,
    symbol: str = "",
    n_nodes: int = DEFAULT_NODES,
    width_sd: float = DEFAULT_WIDTH_SD,
) -> SpotDistribution:
    """The risk-neutral distribution of the price at ``t_years`` implied by the smile
    ``vol_fn(strikes) -> decimal vols`` at that time, with the forward ``forward`` (price units).

    Cell edges are equal in log-strike over ``+-width_sd`` at-the-money standard deviations; the
    CDF at each edge comes from the call-price slope, is forced monotone and the cell
    probabilities are its increments (see the module docstring); each node is the cell's
    conditional mean from the same call prices, so ``sum(p_i S_i)`` is the forward."""
    s0 = _check_positive("spot", spot)
    f = _check_positive("forward", forward)
    t = _check_positive("t_years", t_years)
    if n_nodes < 3:
        raise InputError("n_nodes", n_nodes, "must be >= 3")
    atm = float(np.asarray(vol_fn(np.asarray([f])), dtype=np.float64).ravel()[0])
    if not math.isfinite(atm) or atm <= 0.0:
        raise InputError("vol", atm, "the smile gave no usable at-the-money vol")
    sd = atm * math.sqrt(t)
    log_edges = math.log(f) + sd * np.linspace(-width_sd, width_sd, n_nodes + 1)[1:-1]
    edges = np.exp(log_edges)
    unclipped = _bl_cdf(vol_fn, f, t, edges, clip=False)
    # Mass of negative density (butterfly arbitrage; a CDF outside [0, 1] is a call spread
    # arbitrage): the decreases of the raw CDF between 0 at zero and 1 at infinity.
    steps = np.diff(np.concatenate([[0.0], unclipped, [1.0]]))
    lost = max(0.0, float(-np.sum(np.minimum(steps, 0.0))))
    monotone = np.maximum.accumulate(np.clip(unclipped, 0.0, 1.0))
    cdf_all = np.concatenate([[0.0], monotone, [1.0]])
    probs = np.maximum(np.diff(cdf_all), 0.0)
    total = float(probs.sum())
    if total <= 0.0:
        raise InputError("vol", atm, "the smile implies no probability mass")
    # Conditional mean of each cell from the same call prices: E[S; S < K] = K P(S < K) - p(K),
    # with the undiscounted put p(K) = c(K) - (F - K) (parity); the last cell takes F minus the rest.
    calls = _undiscounted_calls(vol_fn, f, t, edges)
    below = edges * monotone - (calls - (f - edges))
    partial = np.diff(np.concatenate([[0.0], below, [f]]))
    step = log_edges[1] - log_edges[0]
    log_mid = np.concatenate([[log_edges[0] - 0.5 * step],
                              0.5 * (log_edges[1:] + log_edges[:-1]),
                              [log_edges[-1] + 0.5 * step]])
    lower = np.concatenate([[0.0], edges])
    upper = np.concatenate([edges, [np.inf]])
    safe = probs > 1e-12
    conditional = partial / np.where(safe, probs, 1.0)
    inside = safe & (conditional >= lower) & (conditional <= upper) & np.isfinite(conditional)
    nodes = np.where(inside, conditional, np.exp(log_mid))
    nodes = np.maximum.accumulate(np.maximum(nodes, 1e-12))

    def cdf(x: FloatArray) -> FloatArray:
        xv = np.asarray(x, dtype=np.float64)
        safe = np.where(xv > 0.0, xv, 1.0)
        return np.asarray(np.where(xv > 0.0, _bl_cdf(vol_fn, f, t, safe), 0.0), dtype=np.float64)

    return SpotDistribution(
        label="risk-neutral (Breeden-Litzenberger)",
        symbol=symbol,
        spot0=s0,
        t_years=t,
        nodes=nodes,
        weights=probs / total,
        edges=edges,
        cdf=cdf,
        lost_mass=lost,
        params={"forward": f, "atm_vol": atm},
    )


def context_forward(ctx: PricingContext, symbol: str, at: datetime) -> float:
    """The forward (price units) of ``symbol`` to ``at`` in ``ctx`` (unbumped spot): spot minus
    the PV of cash dividends before ``at``, grown at the curve's rate less the dividend yield."""
    base = ctx.base()
    t = max(years_between(base.as_of, at), 0.0)
    spot = base.base_spot(symbol)
    r = base.rate(t)
    q = base.div_yield(symbol)
    divs = base.dividend_schedule(symbol, at)
    pv = float(pv_dividends(divs, t, r)) if divs else 0.0
    return (spot - pv) * math.exp((r - q) * t)


def context_risk_neutral(
    ctx: PricingContext, symbol: str, at: datetime, **kwargs: int | float
) -> SpotDistribution:
    """:func:`risk_neutral_distribution` from the vols of ``ctx`` (its vol source and any vol
    shift) for ``symbol`` at the tz-aware datetime ``at``."""
    t = years_between(ctx.as_of, at)
    if t <= 0.0:
        raise InputError("at", at, f"must be after the valuation time {ctx.as_of}")
    forward = context_forward(ctx, symbol, at)

    def vol_fn(k: FloatArray) -> FloatArray:
        return np.asarray(ctx.implied_vol(symbol, t, k, forward=np.full_like(k, forward)), dtype=np.float64)

    return risk_neutral_distribution(
        vol_fn, spot=ctx.base_spot(symbol), forward=forward, t_years=t, symbol=symbol,
        n_nodes=int(kwargs.get("n_nodes", DEFAULT_NODES)),
        width_sd=float(kwargs.get("width_sd", DEFAULT_WIDTH_SD)),
    )


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PnLStats:
    """Probability statistics of a P&L (dollars; see the module docstring): ``pop`` in [0, 1],
    ``expected_pnl``, ``var`` and ``cvar`` (positive = loss) at ``level``; ``breakevens`` in price
    units of ``symbol`` (continuous views only); ``t_years`` the horizon."""

    method: str
    symbol: str
    t_years: float
    pop: float
    expected_pnl: float
    var: float
    cvar: float
    level: float
    breakevens: tuple[float, ...] = ()
    lost_mass: float = 0.0
    horizon: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly fields."""
        return {
            "method": self.method,
            "symbol": self.symbol,
            "t_years": self.t_years,
            "horizon": self.horizon.isoformat() if self.horizon else None,
            "pop": self.pop,
            "expected_pnl": self.expected_pnl,
            "var": self.var,
            "cvar": self.cvar,
            "level": self.level,
            "breakevens": list(self.breakevens),
            "lost_mass": self.lost_mass,
        }


def _check_level(level: float) -> float:
    lv = float(level)
    if not 0.0 < lv < 1.0:
        raise InputError("level", level, "must be in (0, 1), e.g. 0.95")
    return lv


def tail_stats(pnl: ArrayLike, weights: ArrayLike, *, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """``(var, cvar)`` of a discrete P&L (dollars, positive = loss) at ``level``: the loss at the
    ``1 - level`` quantile and the expected loss over the worst ``1 - level`` of probability
    (the atom at the boundary counted for the part of its weight inside the tail)."""
    lv = _check_level(level)
    x = np.asarray(pnl, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if x.shape != w.shape or x.size == 0:
        raise InputError("weights", w.shape, f"must match pnl {x.shape}")
    w = w / w.sum()
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    tail = 1.0 - lv
    cum = np.cumsum(ws)
    before = cum - ws
    take = np.clip(tail - before, 0.0, ws)
    idx = int(np.searchsorted(cum, tail - 1e-15))
    idx = min(idx, xs.size - 1)
    cvar = -float(np.dot(take, xs)) / tail
    return -float(xs[idx]), cvar


def discrete_stats(
    pnl: ArrayLike,
    probabilities: ArrayLike,
    *,
    level: float = DEFAULT_LEVEL,
    method: str = "discrete",
    symbol: str = "",
    t_years: float = 0.0,
) -> PnLStats:
    """Statistics of a discrete P&L distribution (outcomes ``pnl`` in dollars with
    ``probabilities`` summing to 1): PoP = P(pnl > 0), expected P&L, VaR, CVaR."""
    x = np.asarray(pnl, dtype=np.float64).ravel()
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if x.shape != p.shape or x.size == 0:
        raise InputError("probabilities", p.shape, f"must match pnl {x.shape}")
    if np.any(~np.isfinite(x)):
        raise InputError("pnl", x, "must be finite")
    if np.any(~np.isfinite(p)) or np.any(p < 0.0) or abs(float(p.sum()) - 1.0) > 1e-9:
        raise InputError("probabilities", p, "must be >= 0 and sum to 1")
    var, cvar = tail_stats(x, p, level=level)
    return PnLStats(
        method=method, symbol=symbol, t_years=t_years,
        pop=float(p[x > 0.0].sum()), expected_pnl=float(np.dot(p, x)),
        var=var, cvar=cvar, level=_check_level(level),
    )


def sign_roots(pnl_fn: PnLFunction, grid: FloatArray, values: FloatArray) -> list[float]:
    """Points where ``pnl_fn`` changes sign (> 0 versus <= 0) between consecutive ``grid``
    points (``values`` = ``pnl_fn(grid)``), refined with brentq to 1e-12."""
    def scalar(x: float) -> float:
        return float(np.asarray(pnl_fn(np.asarray([x], dtype=np.float64))).ravel()[0])

    roots: list[float] = []
    positive = values > 0.0
    for i in range(grid.size - 1):
        if positive[i] != positive[i + 1]:
            a, b = float(grid[i]), float(grid[i + 1])
            fa, fb = float(values[i]), float(values[i + 1])
            if fa == 0.0:
                roots.append(a)
            elif fb == 0.0:
                roots.append(b)
            else:
                roots.append(float(brentq(scalar, a, b, xtol=1e-12, rtol=1e-14, maxiter=200)))
    return roots


def distribution_stats(
    pnl_fn: PnLFunction,
    dist: SpotDistribution,
    *,
    level: float = DEFAULT_LEVEL,
    method: str | None = None,
    horizon: datetime | None = None,
) -> PnLStats:
    """PoP, expected P&L, VaR and CVaR of ``pnl_fn(spots) -> dollars`` (vectorised) under
    ``dist``. With a CDF, PoP is measured between the refined breakevens (see the module
    docstring); the P&L's sign is assumed constant beyond the outermost cells."""
    values = np.asarray(pnl_fn(dist.nodes), dtype=np.float64)
    if values.shape != dist.nodes.shape or np.any(~np.isfinite(values)):
        raise InputError("pnl", values.shape, "the P&L function must return finite values per spot")
    var, cvar = tail_stats(values, dist.weights, level=level)
    expected = float(np.dot(dist.weights, values))
    roots: list[float] = []
    if dist.cdf is not None:
        roots = sign_roots(pnl_fn, dist.nodes, values)
        bounds = np.concatenate([[0.0], np.asarray(roots, dtype=np.float64), [np.inf]])
        cdf_b = np.concatenate([[0.0], dist.cdf(np.asarray(roots, dtype=np.float64)), [1.0]])
        # sign on each interval between roots: the sign of the node values inside it
        pop = 0.0
        for j in range(bounds.size - 1):
            lo, hi = bounds[j], bounds[j + 1]
            inside = (dist.nodes > lo) & (dist.nodes < hi)
            if not inside.any():
                continue
            if values[inside][values[inside].size // 2] > 0.0:
                pop += float(cdf_b[j + 1] - cdf_b[j])
        pop = min(max(pop, 0.0), 1.0)
    else:
        pop = float(dist.weights[values > 0.0].sum())
    return PnLStats(
        method=method or dist.label, symbol=dist.symbol, t_years=dist.t_years, pop=pop,
        expected_pnl=expected, var=var, cvar=cvar, level=_check_level(level),
        breakevens=tuple(roots), lost_mass=dist.lost_mass, horizon=horizon,
    )


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------


def horizon_datetime(strategy: Strategy, ctx: PricingContext, at: date | datetime | None) -> datetime:
    """The analysis moment: ``at`` (a bare date means 16:00 New York), else the strategy's first
    expiry, else 30 days after ``ctx.as_of``."""
    if at is not None:
        when = as_grid_datetime(at, "at")
    else:
        first = first_expiry_datetime(strategy)
        when = first if first is not None else ctx.as_of + timedelta(days=30)
    if when <= ctx.as_of:
        raise InputError("at", when, f"must be after the valuation time {ctx.as_of}")
    return when


def betas_mapping(betas: MarketBetas) -> dict[tuple[str, str], float]:
    """``MarketBetas`` as the (driver, axis) -> beta table used by :mod:`strategies.grid`."""
    table: dict[tuple[str, str], float] = {}
    for member in ("IWM", "RUT", "MRUT"):
        table[("SPY", member)] = betas.spy_per_iwm
        table[(member, "SPY")] = betas.spy_beta
    return table


def strategy_pnl_function(
    strategy: Strategy,
    ctx: PricingContext,
    *,
    at: datetime,
    symbol: str | None = None,
    betas: MarketBetas = HOUSE_BETAS,
    premium: float | None = None,
    basis: PremiumBasis = "entry",
) -> PnLFunction:
    """``spots -> P&L`` (dollars) of ``strategy`` at ``at`` against the price of ``symbol``
    (default the reference symbol), vols sticky per the context, other drivers moved by
    ``betas``; the premium defaults to the entry cost."""
    base = ctx.base()
    axis = (symbol or reference_symbol(strategy)).upper()
    paid = float(premium) if premium is not None else strategy.net_premium(base, basis=basis)
    table = betas_mapping(betas)

    def fn(spots: FloatArray) -> FloatArray:
        return pnl_curve(strategy, base, spots, at=at, premium=paid, axis=axis, betas=table)

    return fn


Method = Literal["risk_neutral", "lognormal"]


def strategy_stats(
    strategy: Strategy,
    ctx: PricingContext,
    *,
    method: Method = "risk_neutral",
    at: date | datetime | None = None,
    vol: float | None = None,
    drift: float | None = None,
    level: float = DEFAULT_LEVEL,
    betas: MarketBetas = HOUSE_BETAS,
    basis: PremiumBasis = "entry",
    n_nodes: int = DEFAULT_NODES,
) -> PnLStats:
    """PoP, expected P&L and CVaR of ``strategy`` at ``at`` (default: its first expiry) under the
    risk-neutral distribution of ``ctx``'s vols (``method="risk_neutral"``) or a lognormal
    (``vol`` decimal, default the at-the-money vol at the horizon; ``drift`` decimal per year,
    default risk-neutral ``r - q``)."""
    when = horizon_datetime(strategy, ctx, at)
    symbol = reference_symbol(strategy)
    base = ctx.base()
    t = years_between(base.as_of, when)
    if method == "risk_neutral":
        dist = context_risk_neutral(ctx, symbol, when, n_nodes=n_nodes)
    elif method == "lognormal":
        forward = context_forward(base, symbol, when)
        spot = base.base_spot(symbol)
        sigma = vol
        if sigma is None:
            sigma = float(np.asarray(ctx.implied_vol(symbol, t, forward, forward=forward)))
        mu = drift if drift is not None else math.log(forward / spot) / t
        dist = lognormal_distribution(spot, vol=sigma, t_years=t, drift=mu, symbol=symbol, n_nodes=n_nodes)
    else:
        raise InputError("method", method, "must be 'risk_neutral' or 'lognormal'")
    fn = strategy_pnl_function(strategy, ctx, at=when, symbol=symbol, betas=betas, basis=basis)
    return distribution_stats(fn, dist, level=level, method=method, horizon=when)


def scenario_stats(
    strategy: Strategy,
    ctx: PricingContext,
    scenarios: ScenarioSet,
    *,
    level: float = DEFAULT_LEVEL,
    betas: MarketBetas = HOUSE_BETAS,
    dynamics: Dynamics | None = None,
    basis: PremiumBasis = "entry",
) -> PnLStats:
    """PoP, expected P&L and CVaR over the discrete scenarios (each repriced fully)."""
    report = run_scenarios(strategy, ctx, scenarios, betas=betas, dynamics=dynamics, basis=basis)
    pnl = [r.pnl for r in report.results]
    probs = list(scenarios.probabilities)
    horizon = max(s.horizon_days for s in scenarios.scenarios) / 365.0
    return discrete_stats(
        pnl, probs, level=level, method=f"scenarios:{scenarios.name}",
        symbol=reference_symbol(strategy), t_years=horizon,
    )


def closed_form_pop_long_option(
    *, kind: str, spot: float, strike: float, premium: float, vol: float, t_years: float, drift: float
) -> float:
    """PoP at expiry of one long option bought for ``premium`` (per share) under the lognormal:
    ``N(d2)`` at the breakeven ``K + premium`` for a call, ``N(-d2)`` at ``K - premium`` for a
    put, with ``d2 = (ln(S/B) + (drift - vol^2/2) t) / (vol sqrt t)``. Used to check
    :func:`distribution_stats`."""
    sign = 1.0 if kind.lower().startswith("c") else -1.0
    breakeven = strike + sign * premium
    if breakeven <= 0.0:
        return 1.0 if sign < 0 else 0.0
    sd = vol * math.sqrt(t_years)
    d2 = (math.log(spot / breakeven) + (drift - 0.5 * vol * vol) * t_years) / sd
    return float(ndtr(sign * d2))


def lognormal_quantile(spot: float, *, vol: float, t_years: float, drift: float, p: float) -> float:
    """The ``p`` quantile of the lognormal spot (price units)."""
    sd = vol * math.sqrt(t_years)
    return spot * math.exp((drift - 0.5 * vol * vol) * t_years + sd * float(ndtri(p)))


__all__: Sequence[str] = (
    "PnLStats",
    "SpotDistribution",
    "closed_form_pop_long_option",
    "context_forward",
    "context_risk_neutral",
    "discrete_stats",
    "distribution_stats",
    "lognormal_distribution",
    "risk_neutral_density",
    "risk_neutral_distribution",
    "scenario_stats",
    "sign_roots",
    "strategy_pnl_function",
    "strategy_stats",
    "tail_stats",
)
