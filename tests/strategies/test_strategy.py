"""Strategies: nesting, sums over legs, position Greeks, dollar and beta-weighted deltas,
premiums, crossing costs, linked Russell spots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pricing
from pricing.errors import InputError
from strategies.legs import TZA, Leg, Shares, iwm_option, mrut_option, rut_option
from strategies.pricing_context import FlatVol, Quote, StaticQuotes
from strategies.strategy import (
    IWM_BETA_TO_SPY,
    SPY_BETA_TO_IWM,
    Strategy,
    beta_of,
)
from strategies.valuation import instrument_price
from tests.strategies._core_market import AS_OF, EXPIRY, FAR, NEAR, iwm_legs, market, rut_legs

DATA = Path("/work/shared/data/daily_2016_2021.csv")


@given(rut_legs(), st.floats(-0.3, 0.3), st.floats(0.0, 40.0), st.floats(-0.1, 0.2))
def test_value_and_greeks_are_sums_over_legs(
    legs: list[Leg], move: float, days: float, vol_shift: float
) -> None:
    ctx = market(spot_move=move, days_forward=days, vol_shift=vol_shift)
    strategy = Strategy("random", legs)
    risk = strategy.risk(ctx)
    total = strategy.value(ctx)
    assert total == pytest.approx(sum(r.value for r in risk.legs), rel=1e-12, abs=1e-9)
    assert total == pytest.approx(sum(strategy.leg_values(ctx).values()), rel=1e-12, abs=1e-9)
    greeks = strategy.greeks(ctx)
    for name in ("delta", "gamma", "vega", "theta", "rho"):
        by_leg = sum(
            getattr(r.per_share, name) * r.leg.quantity * r.leg.multiplier for r in risk.legs
        )
        assert getattr(greeks, name) == pytest.approx(by_leg, rel=1e-10, abs=1e-9)
        assert getattr(risk.position, name) == pytest.approx(by_leg, rel=1e-10, abs=1e-9)
    # nesting: a strategy of halves values and risks as the sum of its parts
    half = len(legs) // 2
    if 0 < half < len(legs):
        nested = Strategy("nested", (Strategy("a", legs[:half]), Strategy("b", legs[half:])))
        assert nested.value(ctx) == pytest.approx(total, rel=1e-12, abs=1e-9)
        assert nested.greeks(ctx).vega == pytest.approx(greeks.vega, rel=1e-12, abs=1e-9)
        assert len(nested.flat_legs()) == len(legs)
    for r in risk.legs:
        assert r.dollar_delta == pytest.approx(
            r.per_share.delta * r.driver_spot * r.leg.multiplier * r.leg.quantity,
            rel=1e-12,
            abs=1e-9,
        )


@settings(max_examples=25)
@given(iwm_legs(), st.floats(-0.2, 0.2), st.floats(0.0, 40.0))
# found by HYPOTHESIS_PROFILE=dev: the deep in-the-money put had delta -1.0000000019839794
@example(
    [
        Leg(iwm_option("put", 250.0, FAR), 1, leg_id="leg0"),
        Leg(iwm_option("call", 190.0, NEAR), 1, leg_id="leg1"),
    ],
    -0.125,
    0.0,
)
def test_american_value_and_greeks_are_sums_over_legs(
    legs: list[Leg], move: float, days: float
) -> None:
    ctx = market(spot_move=move, days_forward=days)
    strategy = Strategy("random", legs)
    risk = strategy.risk(ctx)
    assert strategy.value(ctx) == pytest.approx(sum(r.value for r in risk.legs), rel=1e-9, abs=1e-6)
    greeks = strategy.greeks(ctx)
    for name in ("delta", "gamma", "vega", "theta", "rho"):
        by_leg = sum(getattr(r.position, name) for r in risk.legs)
        assert getattr(greeks, name) == pytest.approx(by_leg, rel=1e-9, abs=1e-9)
    for r in risk.legs:
        if r.leg.is_option:
            assert r.price >= r.leg.instrument.intrinsic(r.driver_spot) - 1e-9  # type: ignore[union-attr]
            assert abs(r.per_share.delta) <= 1.0 + 1e-9


def test_greeks_match_the_pricing_layer_and_scale_with_position() -> None:
    ctx = market()
    contract = rut_option("put", 2200, EXPIRY)
    strategy = Strategy("one", (Leg(contract, -3),))
    row = strategy.risk(ctx).legs[0]
    t = contract.t_years(AS_OF)
    r = ctx.rate(t)
    direct = pricing.european_greeks(
        kind="put", spot=2300.0, strike=2200.0, t_years=t, rate=r, div_yield=0.012, vol=0.22
    )
    price = pricing.european_price(
        kind="put", spot=2300.0, strike=2200.0, t_years=t, rate=r, div_yield=0.012, vol=0.22
    )
    assert row.price == pytest.approx(float(price), rel=1e-12)
    assert row.per_share.delta == pytest.approx(float(direct.delta), rel=1e-12)
    assert row.per_share.vega == pytest.approx(float(direct.vega), rel=1e-12)
    assert row.position.theta == pytest.approx(float(direct.theta) * -300.0, rel=1e-12)
    assert row.value == pytest.approx(float(price) * -300.0, rel=1e-12)
    assert row.dollar_delta == pytest.approx(float(direct.delta) * 2300.0 * -300.0, rel=1e-12)


def test_beta_weighted_delta_to_iwm_and_spy() -> None:
    ctx = market()
    book = Strategy("stock", (Leg(Shares("IWM"), 1000), Leg(Shares("SPY"), -200)))
    to_spy = book.risk(ctx, benchmark="SPY")
    iwm_dollars, spy_dollars = 1000 * 228.50, -200 * 600.0
    assert to_spy.dollar_delta == pytest.approx(iwm_dollars + spy_dollars)
    assert to_spy.beta_weighted_dollar_delta == pytest.approx(
        IWM_BETA_TO_SPY * iwm_dollars + spy_dollars
    )
    assert to_spy.beta_weighted_delta == pytest.approx(
        (IWM_BETA_TO_SPY * iwm_dollars + spy_dollars) / 600.0
    )
    to_iwm = book.risk(ctx)
    assert to_iwm.beta_weighted_delta == pytest.approx(
        (iwm_dollars + SPY_BETA_TO_IWM * spy_dollars) / 228.50
    )
    assert to_iwm.delta_by_driver == {"IWM": 1000.0, "SPY": -200.0}
    custom = book.risk(ctx, benchmark="SPY", betas={("IWM", "SPY"): 1.5})
    assert custom.legs[0].beta == 1.5
    with pytest.raises(InputError):
        beta_of("QQQ", "IWM")


def test_tza_delta_is_leverage_times_value_in_index_terms() -> None:
    ctx = market()
    risk = Strategy("tza", (Leg(TZA, 1000),)).risk(ctx)
    row = risk.legs[0]
    assert row.driver == "RUT"
    assert row.value == pytest.approx(10.0 * 1000)
    assert row.dollar_delta == pytest.approx(-3.0 * 10_000.0)
    assert row.beta_weighted_delta == pytest.approx(-30_000.0 / 228.50)


@pytest.mark.skipif(not DATA.exists(), reason="shared data not present (fresh clone)")
def test_beta_constants_match_the_data_file() -> None:
    import pandas as pd

    frame = pd.read_csv(DATA)
    returns = frame[["iwm_adj_close", "spy_adj_close"]].pct_change().dropna()
    cov = np.cov(returns["iwm_adj_close"], returns["spy_adj_close"])
    assert cov[0, 1] / cov[1, 1] == pytest.approx(IWM_BETA_TO_SPY, abs=5e-4)
    assert cov[0, 1] / cov[0, 0] == pytest.approx(SPY_BETA_TO_IWM, abs=5e-4)


def test_linked_russell_spots_and_mrut_is_a_tenth_of_rut() -> None:
    ctx = market().bumped(spots={"RUT": 2300.0, "SPY": 600.0})
    assert ctx.base_spot("IWM") == pytest.approx(2300.0 / 10.06)
    assert ctx.base_spot("MRUT") == pytest.approx(230.0)
    assert market().base_spot("IWM") == 228.50  # an explicit spot wins
    moved = ctx.bumped(spot_move=-0.1)
    assert moved.spot("MRUT") == pytest.approx(207.0)
    rut = Strategy("rut", (Leg(rut_option("put", 2200, EXPIRY, "pm"), 1),))
    mrut = Strategy("mrut", (Leg(mrut_option("put", 220, EXPIRY, "pm"), 10),))
    for c in (ctx, moved, ctx.bumped(days_forward=20, vol_shift=0.05)):
        assert mrut.value(c) == pytest.approx(rut.value(c), rel=1e-10)
        assert mrut.risk(c).dollar_delta == pytest.approx(rut.risk(c).dollar_delta, rel=1e-10)


def test_premiums_crossing_cost_and_pnl() -> None:
    put_hi, put_lo = rut_option("put", 2200, EXPIRY), rut_option("put", 2050, EXPIRY)
    quotes = StaticQuotes.of({put_hi: Quote(38.0, 40.0), put_lo: Quote(11.5, 12.5)})
    ctx = market(quotes=quotes)
    spread = Strategy("ps", (Leg(put_hi, 2), Leg(put_lo, -2)))
    assert spread.net_premium(ctx, basis="mid") == pytest.approx((39.0 - 12.0) * 200)
    assert spread.net_premium(ctx, basis="fill") == pytest.approx((40.0 - 11.5) * 200)
    assert spread.net_premium(ctx) == spread.net_premium(ctx, basis="fill")  # no entry prices
    assert spread.crossing_cost(ctx) == pytest.approx((1.0 + 0.5) * 200)
    assert spread.mark_value(ctx) == pytest.approx((39.0 - 12.0) * 200)
    entered = spread.with_entry_prices(ctx, "mid")
    assert entered.net_premium() == pytest.approx((39.0 - 12.0) * 200)
    with pytest.raises(InputError):
        spread.net_premium()  # no entry prices and no context
    assert spread.pnl(ctx, basis="model") == pytest.approx(0.0, abs=1e-9)
    # credit strategies have a negative premium
    assert spread.scaled(-1).net_premium(ctx, basis="mid") == pytest.approx(-(39.0 - 12.0) * 200)


@st.composite
def quoted_strategy(draw: st.DrawFn) -> tuple[Strategy, StaticQuotes]:
    legs = draw(rut_legs(4))
    ctx = market()
    pairs = {}
    for leg in legs:
        model = float(instrument_price(leg.instrument, ctx))
        half = draw(st.floats(0.0, 1.0)) * min(model, 5.0)
        pairs[leg.instrument] = Quote(model - half, model + half)
    return Strategy("quoted", legs), StaticQuotes.of(pairs)


@given(quoted_strategy())
def test_pnl_today_at_zero_move_is_minus_the_cost_of_crossing(
    case: tuple[Strategy, StaticQuotes],
) -> None:
    strategy, quotes = case
    ctx = market(quotes=quotes)
    expected = -strategy.crossing_cost(ctx)
    assert strategy.pnl(ctx) == pytest.approx(expected, rel=1e-9, abs=1e-6)
    filled = strategy.with_entry_prices(ctx, "fill")
    assert filled.pnl(ctx) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@given(
    st.integers(360, 540),
    st.integers(1, 60),
    st.floats(0.05, 1.0),
    st.floats(0.0, 60.0),
    st.floats(-0.4, 0.4),
    st.floats(-300, 300),
)
def test_put_spread_value_is_between_zero_and_width(
    k_hi: int, width_steps: int, vol: float, days: float, move: float, rate_bp: float
) -> None:
    hi = 5.0 * k_hi
    lo = hi - 5.0 * width_steps
    spread = Strategy(
        "ps", (Leg(rut_option("put", hi, EXPIRY), 1), Leg(rut_option("put", lo, EXPIRY), -1))
    )
    ctx = market(spot_move=move, days_forward=days, rate_shift_bp=rate_bp).bumped(vol=FlatVol(vol))
    value = spread.value(ctx)
    assert -1e-9 <= value <= (hi - lo) * 100.0 + 1e-9


@settings(max_examples=40)
@given(
    st.integers(200, 260),
    st.integers(1, 40),
    st.floats(0.08, 0.9),
    st.floats(0.0, 60.0),
    st.floats(-0.3, 0.3),
)
def test_american_put_spread_value_is_between_zero_and_width(
    k_hi: int, width: int, vol: float, days: float, move: float
) -> None:
    hi, lo = float(k_hi), float(k_hi - width)
    spread = Strategy(
        "ps", (Leg(iwm_option("put", hi, EXPIRY), 1), Leg(iwm_option("put", lo, EXPIRY), -1))
    )
    ctx = market(spot_move=move, days_forward=days).bumped(vol=FlatVol(vol))
    value = spread.value(ctx)
    # American spreads can be worth up to the undiscounted width (early exercise); the engine's
    # error is ~1e-4 per share
    assert -1e-2 <= value <= (hi - lo) * 100.0 + 1e-2


def test_validation_of_strategies() -> None:
    leg = Leg(rut_option("put", 2200, EXPIRY), 1)
    with pytest.raises(InputError) as err:
        Strategy("", (leg,))
    assert err.value.field == "name"
    with pytest.raises(InputError) as err:
        Strategy("empty", ())
    assert err.value.field == "legs"
    with pytest.raises(InputError) as err:
        Strategy("dup", (leg, leg))
    assert err.value.field == "legs[1].leg_id"
    with pytest.raises(InputError) as err:
        Strategy("bad", (leg, "x"))  # type: ignore[arg-type]
    assert err.value.field == "legs[1]"


def test_structure_helpers() -> None:
    a = Leg(rut_option("put", 2200, EXPIRY), 1, leg_id="a")
    b = Leg(rut_option("put", 2000, NEAR), -1, leg_id="b")
    c = Leg(Shares("SPY"), 10, leg_id="c")
    s = Strategy("x", (a, Strategy("inner", (b, c))))
    assert s.expiries == (NEAR, EXPIRY)
    assert s.first_expiry == NEAR and s.last_expiry == EXPIRY
    assert s.strikes == (2000.0, 2200.0)
    assert s.underlyings == ("RUT", "SPY")
    assert set(s.leg_values(market())) == {"a", "inner/b", "inner/c"}
    assert (s + s).value(market()) == pytest.approx(2 * s.value(market()))
    assert "inner" not in s.describe() and "+1 a" in s.describe()
    assert s.scaled(-2).flat_legs()[1].quantity == 2


def test_american_legs_use_the_american_engine() -> None:
    ctx = market()
    put = iwm_option("put", 240, EXPIRY)
    value = Strategy("p", (Leg(put, 1),)).value(ctx) / 100.0
    t = put.t_years(AS_OF)
    divs = ctx.dividend_schedule("IWM", put.expiry_datetime)
    assert divs.amounts == (0.70,)
    euro = float(
        pricing.european_price(
            kind="put",
            spot=228.5,
            strike=240.0,
            t_years=t,
            rate=ctx.rate(t),
            vol=0.22,
            dividends=divs,
        )
    )
    amer = float(
        pricing.american_price(
            kind="put",
            spot=228.5,
            strike=240.0,
            t_years=t,
            rate=ctx.rate(t),
            vol=0.22,
            dividends=divs,
        )
    )
    assert value == pytest.approx(amer, rel=1e-12)
    assert value >= euro - 1e-9
    assert value >= 240.0 - 228.5


def test_expired_option_is_worth_intrinsic() -> None:
    ctx = market(days_forward=80.0, spot_move=-0.05)
    put = Strategy("p", (Leg(iwm_option("put", 230, EXPIRY), 1),))
    assert put.value(ctx) == pytest.approx(max(230.0 - 228.5 * 0.95, 0.0) * 100.0)
    assert put.greeks(ctx).delta == pytest.approx(-100.0)
    assert math.isfinite(put.risk(ctx).dollar_delta)
