"""Daily-reset leveraged ETFs (TNA +3x, TZA -3x the Russell 2000): decay, costs, horizon value.

Model. Each trading day the fund returns ``L`` times the index's total return, plus interest on
its cash, minus fees::

    R_fund = L * R_index + L * q * dt + (1 - L) * r * dt - (expense + spread * |L|) * dt

(``q`` the index dividend yield, ``r`` the short rate, ``dt`` = 1/252 a trading day; a +3x fund
borrows 2 units at ``r``, a -3x fund earns ``r`` on 4 units of cash). In continuous time with
constant vol ``sigma`` this compounds to the closed form, path-independent given the index::

    E_T / E_0 = (S_T / S_0)^L * exp(-(L^2 - L) sigma^2 T / 2
                                    + ((1 - L) r + L q - expense - spread |L|) T)

where ``S`` is the price index. The ``-(L^2 - L) sigma^2 T / 2`` term is the volatility decay of
daily resetting: positive for any |L| > 1 or L < 0 (3x: 3 sigma^2 T; -3x: 6 sigma^2 T).

:func:`leveraged_ratio` evaluates it with the index move spread evenly over ``n`` daily resets
(``n`` = trading days in the horizon, at least 1), so an instantaneous move is one reset
(``1 + L m``, as a gap within a day) and long horizons approach the closed form.
:func:`expected_ratio` is the unconditional expectation under lognormal index paths.
:func:`simulate_daily` replays real index returns through the daily model, for validation against
the funds' own closes (see tests/strategies/test_leveraged.py for the measured tracking on
2016-2021 data).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pricing.black_scholes import FloatArray
from pricing.errors import InputError

TRADING_DAYS_PER_YEAR = 252.0


def carry_rate(
    *, leverage: float, rate: float, div_yield: float, expense_ratio: float, financing_spread: float
) -> float:
    """The fund's deterministic drift apart from the index (decimal per year):
    ``(1 - L) r + L q - expense - spread |L|``."""
    return (
        (1.0 - leverage) * rate
        + leverage * div_yield
        - expense_ratio
        - financing_spread * abs(leverage)
    )


def variance_drag(*, leverage: float, vol: ArrayLike) -> FloatArray:
    """The daily-reset decay rate ``(L^2 - L) sigma^2 / 2`` (decimal per year; vol decimal)."""
    v = np.asarray(vol, dtype=np.float64)
    return np.asarray(0.5 * (leverage * leverage - leverage) * v * v, dtype=np.float64)


def leveraged_ratio(
    index_ratio: ArrayLike,
    *,
    leverage: float,
    vol: ArrayLike,
    t_years: float,
    rate: float = 0.0,
    div_yield: float = 0.0,
    expense_ratio: float = 0.0,
    financing_spread: float = 0.0,
    reset_periods: int | None = None,
) -> FloatArray:
    """Fund value ratio ``E_T / E_0`` when the price index ends at ``index_ratio`` x today.

    ``vol`` is the index's decimal vol (the diffusion around the path), ``t_years`` the horizon,
    rates and fees decimal per year. The move is spread evenly over ``reset_periods`` daily
    resets (default ``max(1, round(t_years * 252))``). A path that would take the fund to zero or
    below returns 0. Broadcasts over ``index_ratio`` and ``vol``.
    """
    ratio = np.asarray(index_ratio, dtype=np.float64)
    if np.any(~np.isfinite(ratio)) or np.any(ratio <= 0.0):
        raise InputError("index_ratio", index_ratio, "must be finite and > 0")
    if not math.isfinite(t_years) or t_years < 0.0:
        raise InputError("t_years", t_years, "must be finite and >= 0")
    n = reset_periods if reset_periods is not None else max(1, round(t_years * TRADING_DAYS_PER_YEAR))
    if n < 1:
        raise InputError("reset_periods", reset_periods, "must be >= 1")
    per_period = ratio ** (1.0 / n) - 1.0
    step = 1.0 + leverage * per_period
    path = np.where(step > 0.0, np.abs(step) ** n, 0.0)
    carry = carry_rate(
        leverage=leverage, rate=rate, div_yield=div_yield,
        expense_ratio=expense_ratio, financing_spread=financing_spread,
    )
    drift = np.exp((carry - variance_drag(leverage=leverage, vol=vol)) * t_years)
    return np.asarray(path * drift, dtype=np.float64)


def expected_ratio(
    *,
    leverage: float,
    vol: float,
    t_years: float,
    index_drift: float,
    rate: float = 0.0,
    div_yield: float = 0.0,
    expense_ratio: float = 0.0,
    financing_spread: float = 0.0,
) -> float:
    """Unconditional ``E[E_T / E_0]`` when the price index is lognormal with drift
    ``index_drift`` (decimal per year, so ``E[S_T/S_0] = exp(index_drift T)``) and vol ``vol``:
    ``exp((L index_drift + carry) T)``: the decay cancels in expectation (it shows in the median,
    ``exp((L (index_drift - sigma^2/2) + carry - (L^2-L) sigma^2/2) T)``)."""
    carry = carry_rate(
        leverage=leverage, rate=rate, div_yield=div_yield,
        expense_ratio=expense_ratio, financing_spread=financing_spread,
    )
    return math.exp((leverage * index_drift + carry) * t_years)


def median_ratio(
    *,
    leverage: float,
    vol: float,
    t_years: float,
    index_drift: float,
    rate: float = 0.0,
    div_yield: float = 0.0,
    expense_ratio: float = 0.0,
    financing_spread: float = 0.0,
) -> float:
    """Median ``E_T / E_0`` under the same lognormal index (see :func:`expected_ratio`)."""
    carry = carry_rate(
        leverage=leverage, rate=rate, div_yield=div_yield,
        expense_ratio=expense_ratio, financing_spread=financing_spread,
    )
    drag = float(variance_drag(leverage=leverage, vol=vol))
    return math.exp((leverage * (index_drift - 0.5 * vol * vol) + carry - drag) * t_years)


def leveraged_greeks(
    price: float,
    *,
    index_spot: float,
    leverage: float,
    vol: float,
    rate: float,
    div_yield: float = 0.0,
    expense_ratio: float = 0.0,
    financing_spread: float = 0.0,
) -> dict[str, float]:
    """Greeks per fund share against the index: delta = ``L P / S`` (per 1.00 of index), gamma =
    ``L (L - 1) P / S^2`` (the continuous-rebalancing convexity, felt across resets), theta per
    calendar day = ``P (carry - decay) / 365`` at an unchanged index; vega and rho are 0 at the
    instant (they act through the horizon)."""
    if not math.isfinite(index_spot) or index_spot <= 0.0:
        raise InputError("index_spot", index_spot, "must be finite and > 0")
    carry = carry_rate(
        leverage=leverage, rate=rate, div_yield=div_yield,
        expense_ratio=expense_ratio, financing_spread=financing_spread,
    )
    drag = float(variance_drag(leverage=leverage, vol=vol))
    return {
        "delta": leverage * price / index_spot,
        "gamma": leverage * (leverage - 1.0) * price / (index_spot * index_spot),
        "vega": 0.0,
        "theta": price * (carry - drag) / 365.0,
        "rho": 0.0,
    }


def simulate_daily(
    index_total_returns: ArrayLike,
    *,
    leverage: float,
    short_rates: ArrayLike,
    expense_ratio: float = 0.0,
    financing_spread: float = 0.0,
    day_fractions: ArrayLike | None = None,
) -> FloatArray:
    """Replay daily index total returns (simple, decimal) through the daily-reset fund: returns
    the fund's cumulative value path starting at 1.0 (length ``len(returns) + 1``).

    ``short_rates``: annual decimal rate per day (scalar or array); ``day_fractions``: years of
    each period for the carry (default 1/252 each)."""
    r_idx = np.asarray(index_total_returns, dtype=np.float64)
    if r_idx.ndim != 1 or not np.all(np.isfinite(r_idx)):
        raise InputError("index_total_returns", index_total_returns, "must be a finite 1-D array")
    rates = np.broadcast_to(np.asarray(short_rates, dtype=np.float64), r_idx.shape)
    dt = (
        np.full(r_idx.shape, 1.0 / TRADING_DAYS_PER_YEAR)
        if day_fractions is None
        else np.broadcast_to(np.asarray(day_fractions, dtype=np.float64), r_idx.shape)
    )
    cost = expense_ratio + financing_spread * abs(leverage)
    daily = leverage * r_idx + ((1.0 - leverage) * rates - cost) * dt
    path = np.concatenate([[1.0], np.cumprod(np.maximum(1.0 + daily, 0.0))])
    return np.asarray(path, dtype=np.float64)


def fit_cost(
    index_total_returns: ArrayLike,
    fund_returns: ArrayLike,
    *,
    leverage: float,
    short_rates: ArrayLike,
    day_fractions: ArrayLike | None = None,
) -> dict[str, Any]:
    """Fit the fund's all-in annual cost (expense + financing spread, decimal per year) by least
    squares on daily returns, and measure the daily tracking error (std of residuals) and
    realised beta. Returns ``{"annual_cost", "tracking_error_daily", "beta"}``."""
    r_idx = np.asarray(index_total_returns, dtype=np.float64)
    r_fund = np.asarray(fund_returns, dtype=np.float64)
    if r_idx.shape != r_fund.shape or r_idx.ndim != 1:
        raise InputError("fund_returns", r_fund.shape, f"must match index returns {r_idx.shape}")
    rates = np.broadcast_to(np.asarray(short_rates, dtype=np.float64), r_idx.shape)
    dt = (
        np.full(r_idx.shape, 1.0 / TRADING_DAYS_PER_YEAR)
        if day_fractions is None
        else np.broadcast_to(np.asarray(day_fractions, dtype=np.float64), r_idx.shape)
    )
    excess = r_fund - leverage * r_idx - (1.0 - leverage) * rates * dt
    annual_cost = float(-np.sum(excess * dt) / np.sum(dt * dt))
    resid = excess + annual_cost * dt
    cov = np.cov(r_fund, r_idx)
    return {
        "annual_cost": annual_cost,
        "tracking_error_daily": float(np.std(resid, ddof=1)),
        "beta": float(cov[0, 1] / cov[1, 1]),
    }


def fit_cost_to_path(
    index_total_returns: ArrayLike,
    fund_values: ArrayLike,
    *,
    leverage: float,
    short_rates: ArrayLike,
    day_fractions: ArrayLike | None = None,
) -> float:
    """The all-in annual cost (decimal per year) that makes :func:`simulate_daily` end where the
    real fund ended (``fund_values``: its closes, first = start). Robust to the day-to-day noise
    of closing-price timing, which cancels along the path."""
    values = np.asarray(fund_values, dtype=np.float64)
    r_idx = np.asarray(index_total_returns, dtype=np.float64)
    if values.shape != (r_idx.size + 1,) or np.any(values <= 0.0):
        raise InputError("fund_values", values.shape, f"need {r_idx.size + 1} positive closes")
    target = math.log(values[-1] / values[0])

    def gap(cost: float) -> float:
        path = simulate_daily(
            r_idx, leverage=leverage, short_rates=short_rates, expense_ratio=cost,
            day_fractions=day_fractions,
        )
        return math.log(path[-1]) - target

    from scipy.optimize import brentq

    return float(brentq(gap, -0.5, 0.5, xtol=1e-10))
