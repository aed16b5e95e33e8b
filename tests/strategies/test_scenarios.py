"""Scenarios: validation, the house view, yield shocks, repricing against hand computations."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import timedelta

import pytest

import pricing
from pricing.errors import InputError
from strategies.calibration import HISTORICAL_BETAS, HOUSE_BETAS, MarketBetas
from strategies.legs import TNA, Leg, Shares, rut_option
from strategies.scenarios import (
    DEFAULT_LEVELS,
    HOUSE_VIEW,
    Level,
    Scenario,
    ScenarioSet,
    compare_strategies,
    index_move_for,
    level_pnls,
    run_scenarios,
    scenario_context,
    stress_scenarios,
    weighted_pnl,
    yield_shock,
)
from strategies.strategy import Strategy
from tests.strategies._analytics_market import AS_OF, EXPIRY, RATE, RUT_YIELD, SPOTS, VOL, market


def test_scenario_is_frozen_and_validated() -> None:
    s = Scenario("x", 0.5, -0.1, 50, 0.08, 30)
    with pytest.raises(FrozenInstanceError):
        s.spot_move = 0.0  # type: ignore[misc]
    for kwargs, field in [
        ({"probability": 1.2}, "x.probability"),
        ({"spot_move": -1.0}, "x.spot_move"),
        ({"vol_shift": float("nan")}, "x.vol_shift"),
        ({"horizon_days": -1}, "x.horizon_days"),
        ({"yield_shift_bp": True}, "x.yield_shift_bp"),
    ]:
        args = {
            "name": "x",
            "probability": 0.5,
            "spot_move": -0.1,
            "yield_shift_bp": 50.0,
            "vol_shift": 0.08,
            "horizon_days": 30.0,
        } | kwargs
        with pytest.raises(InputError) as info:
            Scenario(**args)  # type: ignore[arg-type]
        assert info.value.field == field


def test_scenario_set_probabilities_must_sum_to_one() -> None:
    a = Scenario("a", 0.5, 0.0, 0, 0, 1)
    b = Scenario("b", 0.5 - 2e-9, 0.0, 0, 0, 1)
    with pytest.raises(InputError, match="'mine'") as info:
        ScenarioSet("mine", (a, b))
    assert "sum to" in str(info.value)
    ScenarioSet("ok", (a, Scenario("b", 0.5 - 5e-10, 0.0, 0, 0, 1)))  # within 1e-9
    with pytest.raises(InputError, match="unique"):
        ScenarioSet("dupes", (a, a))


def test_house_view_matches_its_documentation() -> None:
    assert [s.name for s in HOUSE_VIEW.scenarios] == ["bear", "base", "bull"]
    assert HOUSE_VIEW.probabilities == (0.30, 0.45, 0.25)
    bear, base, bull = HOUSE_VIEW.scenarios
    assert (bear.spot_move, bear.yield_shift_bp, bear.vol_shift, bear.horizon_days) == (
        -0.10,
        50.0,
        0.08,
        30.0,
    )
    assert 0.0 <= base.yield_shift_bp <= 10.0 and base.vol_shift == 0.0
    assert (bull.spot_move, bull.yield_shift_bp, bull.vol_shift) == (0.05, -25.0, -0.03)
    assert HOUSE_VIEW.expected_move == pytest.approx(0.30 * -0.10 + 0.45 * 0.01 + 0.25 * 0.05)


def test_yield_shock_maps_through_the_rate_beta() -> None:
    shock = yield_shock(50.0)
    assert shock.spot_move == pytest.approx(-0.05)  # -10 % per +100 bp (house stress beta)
    assert shock.vol_shift == pytest.approx(0.04)  # -0.8 vol pts per +1 % spot
    assert shock.yield_shift_bp == 50.0
    hist = yield_shock(25.0, betas=HISTORICAL_BETAS)
    assert hist.spot_move == pytest.approx(0.13885 * 0.25, rel=1e-4)  # the 2016-2021 sign
    names = [s.name for s in stress_scenarios()]
    assert names == ["risk-off", "yield+25bp", "yield+50bp", "correction"]
    risk_off = stress_scenarios()[0]
    assert -0.05 <= risk_off.spot_move <= -0.03 and risk_off.vol_shift > 0.0
    custom = MarketBetas(-20.0, 1.1, 0.7, -1.0, "steep")
    assert yield_shock(10.0, betas=custom).spot_move == pytest.approx(-0.02)
    assert yield_shock(10.0, betas=custom).vol_shift == pytest.approx(0.02)


def _rut_put_strategy(quantity: int = 3, entry: float = 60.0) -> Strategy:
    put = rut_option("put", 2200, EXPIRY, settlement="pm")
    return Strategy("RUT put", (Leg(put, quantity, entry),))


def _hand_put_value(scenario: Scenario) -> float:
    """Black-Scholes-Merton by hand: every input moved as the scenario says."""
    put = rut_option("put", 2200, EXPIRY, settlement="pm")
    when = AS_OF + timedelta(days=scenario.horizon_days)
    t = put.t_years(when)
    return float(
        pricing.european_price(
            kind="put",
            spot=SPOTS["RUT"] * (1.0 + scenario.spot_move),
            strike=2200.0,
            t_years=t,
            rate=RATE + scenario.yield_shift_bp * 1e-4,
            div_yield=RUT_YIELD,
            vol=VOL + scenario.vol_shift,
        )
    )


def test_scenario_pnl_and_weighted_ev_equal_the_hand_computation() -> None:
    strategy = _rut_put_strategy()
    report = run_scenarios(strategy, market(), HOUSE_VIEW)
    entry = 3 * 100 * 60.0
    assert report.entry_cost == pytest.approx(entry)
    hand = [3 * 100 * _hand_put_value(s) - entry for s in HOUSE_VIEW.scenarios]
    for result, expected in zip(report.results, hand, strict=True):
        assert result.pnl == pytest.approx(expected, abs=1e-8)
        assert result.spot == pytest.approx(SPOTS["RUT"] * (1 + result.scenario.spot_move))
    hand_ev = 0.30 * hand[0] + 0.45 * hand[1] + 0.25 * hand[2]
    assert report.weighted_pnl == pytest.approx(hand_ev, abs=1e-8)
    assert weighted_pnl([r.pnl for r in report.results], HOUSE_VIEW) == pytest.approx(
        hand_ev, abs=1e-8
    )
    bear, _, bull = report.results
    assert bear.pnl > 0.0 > bull.pnl  # a put pays in the bear case


def test_spy_and_letf_legs_move_by_their_betas() -> None:
    scenario = Scenario("drop", 1.0, -0.10, 0, 0, 0)
    ctx = scenario_context(market(), scenario)
    assert ctx.spot("IWM") == pytest.approx(SPOTS["IWM"] * 0.90)
    assert ctx.spot("SPY") == pytest.approx(SPOTS["SPY"] * (1 - 0.10 * HOUSE_BETAS.spy_per_iwm))
    strategy = Strategy("mix", (Leg(Shares("SPY"), -10, 600.0), Leg(TNA, 100, 40.0)))
    result = run_scenarios(strategy, market(), [scenario]).results[0]
    spy_pnl = -10 * (SPOTS["SPY"] * (1 - 0.10 * HOUSE_BETAS.spy_per_iwm) - 600.0)
    tna_pnl = 100 * 40.0 * (1 + 3 * -0.10) - 100 * 40.0  # an instantaneous move: one daily reset
    assert result.pnl == pytest.approx(spy_pnl + tna_pnl, rel=1e-9)
    assert result.reference == "RUT"  # TNA's driver is the index


def test_sticky_moneyness_differs_from_sticky_strike_on_a_smile() -> None:
    class Skew:
        def vol(self, t_years, strike, *, forward=None, dynamics="sticky_strike"):  # type: ignore[no-untyped-def]
            import numpy as np

            ref = np.asarray(
                forward if dynamics == "sticky_moneyness" and forward is not None else 2300.0
            )
            return 0.22 - 0.3 * np.log(np.asarray(strike) / ref)

    ctx = market().bumped(vol=Skew())
    scenario = Scenario("drop", 1.0, -0.10, 0, 0, 5)
    strategy = _rut_put_strategy()
    strike = run_scenarios(strategy, ctx, [scenario], dynamics="sticky_strike").results[0].pnl
    money = run_scenarios(strategy, ctx, [scenario], dynamics="sticky_moneyness").results[0].pnl
    # After a fall the 2200 put is nearer the money: sticky-moneyness reads a lower vol there.
    assert money < strike


def test_compare_strategies_side_by_side() -> None:
    a = _rut_put_strategy()
    b = Strategy("RUT call", (Leg(rut_option("call", 2400, EXPIRY, "pm"), 1, 40.0),))
    cmp = compare_strategies([a, b], market(), HOUSE_VIEW)
    assert cmp.scenario_names == ("bear", "base", "bull")
    for s in (a, b):
        single = run_scenarios(s, market(), HOUSE_VIEW)
        assert cmp.weighted[s.name] == pytest.approx(single.weighted_pnl)
        assert list(cmp.pnl[s.name].values()) == pytest.approx([r.pnl for r in single.results])
    with pytest.raises(InputError, match="unique"):
        compare_strategies([a, a], market(), HOUSE_VIEW)


def test_levels_are_spot_levels_with_pnl() -> None:
    ctx = market()
    assert index_move_for(Level("stop", "TNA", -0.12), ctx) == pytest.approx(-0.04, abs=1e-10)
    assert index_move_for(Level("stop", "SPY", -0.07), ctx) == pytest.approx(
        -0.07 / HOUSE_BETAS.spy_per_iwm
    )
    shares = Strategy("book", (Leg(Shares("IWM"), 1000, SPOTS["IWM"]),))
    results = level_pnls(shares, ctx)
    assert [r.level for r in results] == list(DEFAULT_LEVELS)
    iwm_stop, tna_stop, target = results
    assert iwm_stop.spot == pytest.approx(SPOTS["IWM"] * 0.94)
    assert iwm_stop.pnl == pytest.approx(1000 * SPOTS["IWM"] * -0.06)
    assert tna_stop.pnl == pytest.approx(1000 * SPOTS["IWM"] * -0.04)
    assert target.pnl == pytest.approx(1000 * SPOTS["IWM"] * 0.05)
    later = level_pnls(shares, ctx, [Level("stop", "TNA", -0.12)], horizon_days=20)[0]
    assert later.index_move != pytest.approx(-0.04, abs=1e-4)  # decay and carry over 20 days
    with pytest.raises(InputError):
        Level("exit", "IWM", -0.1)  # type: ignore[arg-type]


def test_spy_strategy_is_labelled_by_spy_and_moved_by_beta() -> None:
    strategy = Strategy("spy shares", (Leg(Shares("SPY"), 10, 600.0),))
    scenario = Scenario("up", 1.0, 0.05, 0, 0, 1)
    result = run_scenarios(strategy, market(), [scenario]).results[0]
    assert result.reference == "SPY"
    assert result.spot / SPOTS["SPY"] - 1 == pytest.approx(0.05 * HOUSE_BETAS.spy_per_iwm)
    assert result.pnl == pytest.approx(10 * 600.0 * 0.05 * HOUSE_BETAS.spy_per_iwm)
