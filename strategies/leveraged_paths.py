"""Path model of the daily-reset leveraged ETFs (TNA +3x, TZA -3x) and a path-by-path
comparison of a TZA hedge with a put spread of the same cost.

Builds on :mod:`strategies.leveraged` (one-path replay :func:`~strategies.leveraged.simulate_daily`,
the carry :func:`~strategies.leveraged.carry_rate` and the decay
:func:`~strategies.leveraged.variance_drag`). Here many paths at once:

- index paths: :func:`normal_paths` (Gaussian log returns at a vol, e.g. the surface's at-the-money
  vol) or :func:`bootstrap_paths` (daily returns resampled from a history, e.g. the IWM column of
  a CSV);
- the fund on each path (:func:`fund_ratios`): every day ``1 + L x R_index + ((1 - L) r + L q -
  expense - spread |L|) dt``, compounded (``R_index`` the index's simple return that day, ``r`` the
  short rate, ``dt`` 1/252);
- the closed form (:func:`closed_form_log_ratio`), exact for continuous resetting::

      log(E_T / E_0) = L x log(S_T / S_0) - (L^2 - L) / 2 x integrated variance
                       + ((1 - L) r + L q - expense - spread |L|) x T

  where the integrated variance of a path is the sum of its squared daily log returns. On
  simulated normal paths at 35 % vol over 63 days the two agree within 0.5 % a path on average
  (tests/strategies/test_leveraged_paths.py measures it);
- decay against horizon and vol (:func:`decay_table`): the median fund return at a flat index
  drift, simulated and closed form (``-(L^2 - L) sigma^2 T / 2``);
- :func:`compare_tza_with_put_spread`: on the same index paths, the book plus a TZA hedge and
  the book plus a put spread whose premium equals the TZA position's expected cost over the
  horizon: the distribution (mean, standard deviation, percentiles) of the hedged book's P&L.

Measured on the real 2016-2021 path (``/work/shared/data/daily_2016_2021.csv``, the 3-month
bill as the short rate): the plain daily model (IWM adjusted close as the index, 1.08 %
expense ratio) gives TNA +250.5 % and TZA -97.69 % over the five years against +219.9 % and
-98.03 % real (|log gap| 0.091 and 0.157). The gap is a cost the expense ratio does not show:
the swaps' financing spread over the bill, the daily rebalancing trades (largest in March 2020)
and cash held below the bill rate, about 1 %/yr beyond the expense ratio in 2016-2018 and 4 %/yr
in 2018-2021, plus day-to-day noise from the funds' closing-price timing (which cancels along
the path). Using the index's total return (IWM plus its 0.19 % fee) and that extra cost fitted
on the first half only (to 2018-10-24, all-in 2.08 % for TNA, 2.11 % for TZA beyond the bill
carry), the model gives TNA +243.1 % and TZA -97.87 % over the five years (|log gap| 0.070 and
0.077): closer than the plain model for both without looking at the second half
(tests/strategies/test_leveraged_paths.py pins these figures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing.errors import InputError
from strategies.legs import TZA, LeveragedETF
from strategies.leveraged import TRADING_DAYS_PER_YEAR, carry_rate

FloatArray = NDArray[np.float64]


def _check_paths(log_returns: ArrayLike) -> FloatArray:
    lr = np.atleast_2d(np.asarray(log_returns, dtype=np.float64))
    if lr.ndim != 2 or lr.shape[1] < 1 or not np.all(np.isfinite(lr)):
        raise InputError("log_returns", lr.shape, "must be a finite (paths, days) array")
    return lr


def normal_paths(
    *, vol: float, days: int, n_paths: int, seed: int, drift: float = 0.0
) -> FloatArray:
    """Daily index log returns ``(n_paths, days)``: ``(drift - vol^2/2) dt + vol sqrt(dt) Z``
    (``vol`` and ``drift`` decimal per year, ``dt`` = 1/252)."""
    if not math.isfinite(vol) or not 0.0 < vol <= 3.0:
        raise InputError("vol", vol, "must be a decimal vol in (0, 3]")
    if days < 1 or n_paths < 1:
        raise InputError("days", (days, n_paths), "need at least one day and one path")
    dt = 1.0 / TRADING_DAYS_PER_YEAR
    z = np.random.default_rng(seed).standard_normal((n_paths, days))
    return np.asarray((drift - 0.5 * vol * vol) * dt + vol * math.sqrt(dt) * z, dtype=np.float64)


def bootstrap_paths(
    daily_log_returns: ArrayLike, *, days: int, n_paths: int, seed: int, block: int = 5
) -> FloatArray:
    """Daily index log returns ``(n_paths, days)`` resampled from history in blocks of ``block``
    consecutive days (keeps some of the volatility clustering)."""
    hist = np.asarray(daily_log_returns, dtype=np.float64).ravel()
    hist = hist[np.isfinite(hist)]
    if hist.size < max(block, 2):
        raise InputError(
            "daily_log_returns", hist.size, f"need at least {max(block, 2)} finite returns"
        )
    if days < 1 or n_paths < 1 or block < 1:
        raise InputError("days", (days, n_paths, block), "need days, paths and block >= 1")
    rng = np.random.default_rng(seed)
    n_blocks = -(-days // block)
    starts = rng.integers(0, hist.size - block + 1, size=(n_paths, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_paths, -1)[:, :days]
    return np.asarray(hist[idx], dtype=np.float64)


def fund_ratios(
    log_returns: ArrayLike, etf: LeveragedETF = TZA, *, short_rate: float, div_yield: float = 0.0
) -> FloatArray:
    """The fund's value ratio ``E_T / E_0`` on each path of daily index (price) log returns, daily
    reset (module docstring); a day that would take the fund below zero leaves it at zero."""
    lr = _check_paths(log_returns)
    dt = 1.0 / TRADING_DAYS_PER_YEAR
    carry = carry_rate(
        leverage=etf.leverage,
        rate=short_rate,
        div_yield=div_yield,
        expense_ratio=etf.expense_ratio,
        financing_spread=etf.financing_spread,
    )
    daily = 1.0 + etf.leverage * np.expm1(lr) + carry * dt
    return np.asarray(np.prod(np.maximum(daily, 0.0), axis=1), dtype=np.float64)


def closed_form_log_ratio(
    log_returns: ArrayLike, etf: LeveragedETF = TZA, *, short_rate: float, div_yield: float = 0.0
) -> FloatArray:
    """``L log(S_T/S_0) - (L^2 - L)/2 x integrated variance + carry x T`` on each path (the
    integrated variance = the sum of squared daily log returns, ``T`` = days / 252)."""
    lr = _check_paths(log_returns)
    lev = etf.leverage
    t = lr.shape[1] / TRADING_DAYS_PER_YEAR
    carry = carry_rate(
        leverage=lev,
        rate=short_rate,
        div_yield=div_yield,
        expense_ratio=etf.expense_ratio,
        financing_spread=etf.financing_spread,
    )
    iv = np.sum(lr * lr, axis=1)
    return np.asarray(
        lev * lr.sum(axis=1) - 0.5 * (lev * lev - lev) * iv + carry * t, dtype=np.float64
    )


@dataclass(frozen=True, slots=True)
class DecayRow:
    """Decay of a fund at one (vol, horizon): the closed-form ``-(L^2 - L) sigma^2 T / 2`` and the
    simulated median log ratio with a driftless index and no carry (both decimal log returns)."""

    vol: float
    days: int
    closed_form: float
    simulated_median: float


def decay_table(
    etf: LeveragedETF = TZA,
    *,
    vols: tuple[float, ...] = (0.15, 0.25, 0.35, 0.5),
    horizons_days: tuple[int, ...] = (21, 63, 126, 252),
    n_paths: int = 4000,
    seed: int = 7,
) -> tuple[DecayRow, ...]:
    """The volatility decay of a daily-reset fund against vol and horizon: closed form and the
    median of simulated paths (index with zero drift in log terms, no fees, no carry)."""
    bare = LeveragedETF(etf.symbol, etf.index, etf.leverage)
    rows = []
    for vol in vols:
        for days in horizons_days:
            lr = normal_paths(vol=vol, days=days, n_paths=n_paths, seed=seed, drift=0.5 * vol * vol)
            sim = np.log(np.maximum(fund_ratios(lr, bare, short_rate=0.0), 1e-300))
            t = days / TRADING_DAYS_PER_YEAR
            closed = -0.5 * (bare.leverage**2 - bare.leverage) * vol * vol * t
            rows.append(DecayRow(vol, days, closed, float(np.median(sim))))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class PnLDistribution:
    """Hedged book P&L at the horizon across paths (dollars): mean, standard deviation and the
    5th, 25th, 50th, 75th and 95th percentiles, and the probability of losing more than
    ``loss_threshold``."""

    label: str
    mean: float
    std: float
    percentiles: tuple[float, float, float, float, float]
    prob_loss_beyond: float
    loss_threshold: float


def _distribution(label: str, pnl: FloatArray, threshold: float) -> PnLDistribution:
    pct = np.percentile(pnl, [5, 25, 50, 75, 95])
    return PnLDistribution(
        label,
        float(pnl.mean()),
        float(pnl.std(ddof=1)),
        tuple(float(x) for x in pct),  # type: ignore[arg-type]
        float(np.mean(pnl < -threshold)),
        threshold,
    )


@dataclass(frozen=True, slots=True)
class PathComparison:
    """Book alone, book + TZA and book + put spread on the same paths (see
    :func:`compare_tza_with_put_spread`)."""

    n_paths: int
    days: int
    tza_dollars: float
    tza_expected_cost: float
    spread_contracts: float
    spread_premium: float
    book: PnLDistribution
    with_tza: PnLDistribution
    with_spread: PnLDistribution


def compare_tza_with_put_spread(
    log_returns: ArrayLike,
    *,
    book_beta_dollars: float,
    tza_dollars: float,
    spread_value_at: ArrayLike,
    spread_moves: ArrayLike,
    spread_premium_per_unit: float,
    short_rate: float,
    etf: LeveragedETF = TZA,
    div_yield: float = 0.0,
    loss_threshold: float | None = None,
    tza_cost: float | None = None,
) -> PathComparison:
    """Book P&L on each index path (``book_beta_dollars x (S_T/S_0 - 1)``) hedged by
    ``tza_dollars`` of the fund (path by path, daily reset) or by a put spread sized so that its
    premium equals the TZA position's cost over the horizon: ``tza_cost`` (dollars, e.g. its
    carry cost with the index flat) or, when None, the mean of ``tza_dollars x (1 - E_T/E_0)``
    over the paths; at least one unit of the spread.

    The spread's value at the horizon is given on a grid: ``spread_value_at`` (dollars per unit)
    at index moves ``spread_moves`` (decimal, increasing), interpolated linearly at each path's
    terminal move (the faces price that grid with :func:`strategies.sizing.search.contract_values`
    so American legs are re-priced, not taken at intrinsic)."""
    lr = _check_paths(log_returns)
    moves = np.asarray(spread_moves, dtype=np.float64).ravel()
    values = np.asarray(spread_value_at, dtype=np.float64).ravel()
    if moves.size != values.size or moves.size < 2 or np.any(np.diff(moves) <= 0.0):
        raise InputError("spread_moves", moves.size, "need increasing moves, one value each")
    if not spread_premium_per_unit > 0.0:
        raise InputError("spread_premium_per_unit", spread_premium_per_unit, "must be > 0 dollars")
    terminal = np.expm1(lr.sum(axis=1))
    book = book_beta_dollars * terminal
    ratio = fund_ratios(lr, etf, short_rate=short_rate, div_yield=div_yield)
    tza_pnl = tza_dollars * (ratio - 1.0)
    expected_cost = float(-np.mean(tza_pnl)) if tza_cost is None else float(tza_cost)
    n_spread = max(expected_cost, spread_premium_per_unit) / spread_premium_per_unit
    spread_pnl = n_spread * (np.interp(terminal, moves, values) - spread_premium_per_unit)
    threshold = loss_threshold if loss_threshold is not None else 0.10 * abs(book_beta_dollars)
    return PathComparison(
        n_paths=lr.shape[0],
        days=lr.shape[1],
        tza_dollars=tza_dollars,
        tza_expected_cost=expected_cost,
        spread_contracts=n_spread,
        spread_premium=n_spread * spread_premium_per_unit,
        book=_distribution("book", book, threshold),
        with_tza=_distribution("book + TZA", book + tza_pnl, threshold),
        with_spread=_distribution("book + put spread", book + spread_pnl, threshold),
    )
