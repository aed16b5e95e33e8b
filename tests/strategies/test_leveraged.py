"""Leveraged ETFs: daily-reset decay, costs, the closed form against simulated paths, and the
tracking measured on the real TNA/TZA closes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.errors import InputError
from strategies.legs import TNA, TZA, Leg
from strategies.leveraged import (
    carry_rate,
    expected_ratio,
    fit_cost_to_path,
    leveraged_greeks,
    leveraged_ratio,
    median_ratio,
    simulate_daily,
    variance_drag,
)
from strategies.strategy import Strategy
from tests.strategies._core_market import market

DATA = Path("/work/shared/data/daily_2016_2021.csv")

# Measured on /work/shared/data/daily_2016_2021.csv (1,257 daily returns 2016-04-29..2021-04-27;
# index = IWM adjusted close + IWM's 0.19 %/yr fee, short rate = dgs3mo of the previous day,
# carried forward over missing days), with fit_cost_to_path:
TNA_ALL_IN_COST = 0.03481  # decimal per year beyond the (1 - L) r carry
TZA_ALL_IN_COST = 0.03646
# ...and then, replaying the real index path through simulate_daily with those costs:
TNA_MAX_PATH_LOG_ERROR = 0.0896  # worst |log(model / actual)| along the 5-year path
TZA_MAX_PATH_LOG_ERROR = 0.0922
# 21-trading-day horizons, closed form (realised vol of the window, mean short rate) vs actual:
TNA_21D_CLOSED_FORM_RMSE = 0.0104  # log return error; p95 of |error| 0.0044
TZA_21D_CLOSED_FORM_RMSE = 0.0111  # p95 of |error| 0.0078


def test_default_instruments_carry_the_measured_costs() -> None:
    for etf, measured in ((TNA, TNA_ALL_IN_COST), (TZA, TZA_ALL_IN_COST)):
        all_in = etf.expense_ratio + etf.financing_spread * abs(etf.leverage)
        assert all_in == pytest.approx(measured, abs=2e-4)


def test_decay_and_carry_signs() -> None:
    assert float(variance_drag(leverage=3.0, vol=0.2)) == pytest.approx(3 * 0.04)
    assert float(variance_drag(leverage=-3.0, vol=0.2)) == pytest.approx(6 * 0.04)
    assert float(variance_drag(leverage=1.0, vol=0.2)) == 0.0
    # +3x borrows 2 units, -3x earns interest on 4
    assert carry_rate(
        leverage=3.0, rate=0.04, div_yield=0.0, expense_ratio=0.0, financing_spread=0.0
    ) == pytest.approx(-0.08)
    assert carry_rate(
        leverage=-3.0, rate=0.04, div_yield=0.0, expense_ratio=0.0, financing_spread=0.0
    ) == pytest.approx(0.16)


def test_instant_move_is_one_daily_reset() -> None:
    r = leveraged_ratio(0.9, leverage=-3.0, vol=0.25, t_years=0.0)
    assert float(r) == pytest.approx(1.3)  # 1 + (-3)(-0.10)
    assert float(leveraged_ratio(0.6, leverage=3.0, vol=0.25, t_years=0.0)) == 0.0  # wiped out


def test_flat_index_loses_to_decay_and_long_horizons_reach_the_closed_form() -> None:
    for lev in (3.0, -3.0):
        flat = float(leveraged_ratio(1.0, leverage=lev, vol=0.3, t_years=1.0))
        assert flat == pytest.approx(math.exp(-0.5 * (lev * lev - lev) * 0.09), rel=1e-12)
        assert flat < 1.0
    ratio, t, vol = 0.8, 1.0, 0.25
    closed = ratio**-3 * math.exp(-0.5 * 12 * vol * vol * t)
    assert float(leveraged_ratio(ratio, leverage=-3.0, vol=vol, t_years=t)) == pytest.approx(
        closed, rel=0.01
    )


@settings(max_examples=30)
@given(st.sampled_from([3.0, -3.0, 2.0, -1.0]), st.floats(0.1, 0.5), st.integers(20, 252))
def test_closed_form_matches_daily_simulation_on_gbm_paths(
    lev: float, vol: float, days: int
) -> None:
    rng = np.random.default_rng(int(abs(lev) * 1000 + vol * 100 + days))
    dt = 1.0 / 252.0
    n_paths = 400
    z = rng.standard_normal((n_paths, days))
    log_ret = (-0.5 * vol * vol) * dt + vol * math.sqrt(dt) * z
    errors = []
    for path in log_ret:
        simple = np.expm1(path)
        sim = simulate_daily(simple, leverage=lev, short_rates=0.03, expense_ratio=0.01)[-1]
        model = float(
            leveraged_ratio(
                math.exp(path.sum()),
                leverage=lev,
                vol=vol,
                t_years=days * dt,
                rate=0.03,
                expense_ratio=0.01,
                reset_periods=10_000,
            )
        )
        errors.append(math.log(sim / model))
    # The closed form uses the model vol, the path its realised variance: the error is the
    # sampling noise of the realised variance, (L^2 - L)/2 x sigma^2 T x sqrt(2/n), plus O(dt).
    spread = 0.5 * (lev * lev - lev) * vol * vol * days * dt * math.sqrt(2.0 / days)
    assert (
        abs(np.mean(errors))
        < 3 * spread / math.sqrt(n_paths) + 0.5 * abs(lev) ** 3 * vol**3 * dt**0.5 * days * dt
    )
    assert np.std(errors) < 2 * spread + 1e-4


def test_expected_and_median() -> None:
    e = expected_ratio(leverage=-3.0, vol=0.25, t_years=0.5, index_drift=0.05, rate=0.04)
    assert e == pytest.approx(math.exp((-3 * 0.05 + 4 * 0.04) * 0.5))
    m = median_ratio(leverage=-3.0, vol=0.25, t_years=0.5, index_drift=0.05, rate=0.04)
    assert m < e  # decay shows in the median
    rng = np.random.default_rng(7)
    t, vol, mu = 0.5, 0.25, 0.05
    z = rng.standard_normal(200_000)
    s_t = np.exp((mu - 0.5 * vol * vol) * t + vol * math.sqrt(t) * z)
    values = leveraged_ratio(
        s_t, leverage=-3.0, vol=vol, t_years=t, rate=0.04, reset_periods=100_000
    )
    assert float(np.mean(values)) == pytest.approx(e, rel=0.01)
    assert float(np.median(values)) == pytest.approx(m, rel=0.01)


def test_greeks_of_a_fund_share() -> None:
    g = leveraged_greeks(10.0, index_spot=2300.0, leverage=-3.0, vol=0.25, rate=0.04)
    assert g["delta"] == pytest.approx(-3 * 10 / 2300)
    assert g["gamma"] == pytest.approx(12 * 10 / 2300**2)
    assert g["theta"] == pytest.approx(10 * (0.16 - 0.5 * 12 * 0.0625) / 365)
    with pytest.raises(InputError):
        leveraged_greeks(10.0, index_spot=0.0, leverage=3.0, vol=0.2, rate=0.0)


def test_tza_leg_in_a_scenario() -> None:
    tza = Strategy("tza", (Leg(TZA, 100, 10.0),))
    base = tza.value(market())
    assert base == pytest.approx(1000.0)
    drop = tza.value(market(spot_move=-0.10))  # an instant 10 % fall: one reset
    assert drop == pytest.approx(1300.0)
    later = tza.value(market(spot_move=-0.10, days_forward=30))
    assert 1300.0 < later < 1000.0 * 0.9**-3  # spread over resets, less decay and costs
    flat_month = tza.value(market(days_forward=30))
    assert flat_month < 1000.0  # decay and costs exceed the cash carry at 22 % vol


def test_validation() -> None:
    with pytest.raises(InputError):
        leveraged_ratio(0.0, leverage=3.0, vol=0.2, t_years=1.0)
    with pytest.raises(InputError):
        leveraged_ratio(1.0, leverage=3.0, vol=0.2, t_years=-1.0)
    with pytest.raises(InputError):
        simulate_daily([0.01, float("nan")], leverage=3.0, short_rates=0.0)
    with pytest.raises(InputError):
        fit_cost_to_path([0.01], [1.0, 1.0, 1.0], leverage=3.0, short_rates=0.0)


def _load() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    import pandas as pd

    frame = pd.read_csv(DATA)
    frame["dgs3mo"] = frame["dgs3mo"].ffill()
    index = frame["iwm_adj_close"].pct_change().iloc[1:].to_numpy() + 0.0019 / 252
    rates = (frame["dgs3mo"].shift(1).iloc[1:] / 100.0).to_numpy()
    funds = {"tna": frame["tna_adj_close"].to_numpy(), "tza": frame["tza_adj_close"].to_numpy()}
    return index, rates, funds


@pytest.mark.skipif(not DATA.exists(), reason="shared data not present (fresh clone)")
def test_measured_tracking_on_the_real_paths() -> None:
    index, rates, funds = _load()
    cases = {
        "tna": (3.0, TNA_ALL_IN_COST, TNA_MAX_PATH_LOG_ERROR, TNA_21D_CLOSED_FORM_RMSE),
        "tza": (-3.0, TZA_ALL_IN_COST, TZA_MAX_PATH_LOG_ERROR, TZA_21D_CLOSED_FORM_RMSE),
    }
    log_index = np.concatenate([[0.0], np.cumsum(np.log1p(index))])
    for name, (lev, cost, max_err, rmse) in cases.items():
        actual = funds[name]
        fitted = fit_cost_to_path(index, actual, leverage=lev, short_rates=rates)
        assert fitted == pytest.approx(cost, abs=1e-4)
        path = simulate_daily(index, leverage=lev, short_rates=rates, expense_ratio=fitted)
        err = np.log(path / (actual / actual[0]))
        assert np.max(np.abs(err)) == pytest.approx(max_err, abs=1e-3)
        n = 21
        ratio = np.exp(log_index[n:] - log_index[:-n])
        lr = np.log1p(index)
        vol = np.array(
            [math.sqrt(np.mean(lr[i : i + n] ** 2) * 252) for i in range(len(lr) - n + 1)]
        )
        mean_rate = np.array([rates[i : i + n].mean() for i in range(len(lr) - n + 1)])
        model = (
            np.log(leveraged_ratio(ratio, leverage=lev, vol=vol, t_years=n / 252))
            + ((1 - lev) * mean_rate - fitted) * n / 252
        )
        actual_log = np.log(actual[n:] / actual[:-n])
        assert math.sqrt(float(np.mean((model - actual_log) ** 2))) == pytest.approx(rmse, abs=5e-4)
