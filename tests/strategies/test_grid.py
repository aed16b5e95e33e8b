"""P&L grids over spot x date x vol: agreement with scalar valuation, expiry payoff, settlement
after expiry, P&L today at zero move, co-moves of other underlyings, American legs."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pricing
from pricing.errors import InputError
from strategies.grid import co_moves, default_dates, pnl_grid
from strategies.legs import TZA, Leg, Shares, iwm_option, rut_option
from strategies.payoff import expiry_payoff
from strategies.pricing_context import Quote, StaticQuotes
from strategies.strategy import IWM_BETA_TO_SPY, SPY_BETA_TO_IWM, Strategy
from strategies.valuation import instrument_price
from tests.strategies._core_market import AS_OF, EXPIRY, FAR, NEAR, iwm_legs, market, rut_legs


def rut_put_spread() -> Strategy:
    return Strategy(
        "ps",
        (
            Leg(rut_option("put", 2200, EXPIRY, "pm"), 1, 40.0, "long"),
            Leg(rut_option("put", 2050, EXPIRY, "pm"), -1, 12.0, "short"),
        ),
    )


def test_axes_and_shapes() -> None:
    ctx = market()
    s = rut_put_spread()
    g = pnl_grid(s, ctx, vol_shifts=[-0.05, 0.0, 0.05])
    assert g.shape == (201, 30, 3) and g.values.shape == (201, 30, 3)
    assert g.axis == "RUT"
    np.testing.assert_allclose(g.spots, 2300.0 * (1.0 + np.linspace(-0.3, 0.3, 201)))
    assert g.dates[0] == AS_OF
    assert g.dates[-1] == s.flat_legs()[0].instrument.expiry_datetime  # type: ignore[union-attr]
    assert g.premium == pytest.approx(2800.0)
    np.testing.assert_allclose(g.pnl, g.values - 2800.0)
    assert g.curve(0).shape == (201,)
    assert g.date_index(EXPIRY) == 29
    assert g.spot_index(2300.0) == 100


def test_grid_agrees_with_scalar_valuation_at_every_sampled_point() -> None:
    ctx = market(rate_shift_bp=25.0)
    s = Strategy(
        "mix",
        (
            Leg(rut_option("put", 2200, EXPIRY), 2, leg_id="a"),
            Leg(rut_option("call", 2400, FAR), -1, leg_id="b"),
            Leg(Shares("SPY"), 50, leg_id="c"),
            Leg(TZA, 300, leg_id="d"),
        ),
    )
    g = pnl_grid(
        s, ctx, n_spots=21, n_dates=7, through=FAR, vol_shifts=[-0.04, 0.03], keep_legs=True
    )
    np.testing.assert_allclose(sum(g.leg_values.values()), g.values, rtol=1e-12)
    for i in (0, 7, 20):
        for j in (0, 3, 6):
            for k in (0, 1):
                days = (g.dates[j] - AS_OF).total_seconds() / 86400.0
                scen = ctx.bumped(
                    spot_moves={
                        "RUT": float(g.spot_moves[i]),
                        "SPY": float(co_moves("SPY", "RUT", g.spot_moves[i])),
                    },
                    days_forward=days,
                    vol_shift=float(g.vol_shifts[k]),
                )
                assert g.values[i, j, k] == pytest.approx(s.value(scen), rel=1e-9, abs=1e-6)


def test_at_expiry_the_grid_is_the_payoff_and_it_stays_at_settlement() -> None:
    ctx = market()
    s = rut_put_spread()
    expiry_moment = s.flat_legs()[0].instrument.expiry_datetime  # type: ignore[union-attr]
    dates = [AS_OF, expiry_moment, expiry_moment + timedelta(days=10)]
    g = pnl_grid(s, ctx, dates=dates)
    payoff = expiry_payoff(s, g.spots) - g.premium
    np.testing.assert_allclose(g.pnl[:, 1, 0], payoff, atol=1e-9)
    np.testing.assert_allclose(g.pnl[:, 2, 0], payoff, atol=1e-9)
    assert not np.allclose(g.pnl[:, 0, 0], payoff)  # time value before expiry
    value = g.values[:, 0, 0]
    assert np.all(value >= -1e-9) and np.all(value <= 150.0 * 100.0 + 1e-9)


def test_vol_shift_raises_a_long_option_and_days_decay_it() -> None:
    s = Strategy("put", (Leg(rut_option("put", 2300, EXPIRY), 1),))
    g = pnl_grid(s, market(), vol_shifts=[-0.1, 0.0, 0.1], n_dates=5)
    mid = g.spot_index(2300.0)
    assert g.values[mid, 0, 0] < g.values[mid, 0, 1] < g.values[mid, 0, 2]
    assert np.all(np.diff(g.values[mid, :4, 1]) < 0)


@settings(max_examples=50)
@given(rut_legs(4), st.data())
def test_pnl_today_at_zero_move_is_minus_the_cost_of_crossing(
    legs: list[Leg], data: st.DataObject
) -> None:
    base = market()
    pairs = {}
    for leg in legs:
        model = float(instrument_price(leg.instrument, base))
        half = data.draw(st.floats(0.0, 1.0)) * min(model, 5.0)
        pairs[leg.instrument] = Quote(model - half, model + half)
    ctx = market(quotes=StaticQuotes.of(pairs))
    s = Strategy("q", legs)
    g = pnl_grid(s, ctx, spot_moves=[-0.1, 0.0, 0.1], n_dates=3)
    assert g.pnl[1, 0, 0] == pytest.approx(-s.crossing_cost(ctx), rel=1e-9, abs=1e-6)


@settings(max_examples=25)
@given(iwm_legs(), st.data())
def test_american_grid_today_at_zero_move_is_minus_the_cost_of_crossing(
    legs: list[Leg], data: st.DataObject
) -> None:
    base = market()
    pairs = {}
    for leg in legs:
        model = float(instrument_price(leg.instrument, base))
        half = data.draw(st.floats(0.0, 1.0)) * min(model, 1.0)
        pairs[leg.instrument] = Quote(model - half, model + half)
    ctx = market(quotes=StaticQuotes.of(pairs))
    s = Strategy("q", legs)
    g = pnl_grid(s, ctx, spot_moves=np.linspace(-0.3, 0.3, 61), n_dates=4)
    # The batched grid and the one-option valuation use the same engine; its finite-difference
    # grid adapts to the range of spots solved together, so they agree to ~1e-5 per share.
    tol = 1e-4 * sum(abs(leg.units) for leg in legs)
    assert g.pnl[30, 0, 0] == pytest.approx(-s.crossing_cost(ctx), abs=tol)


def test_other_underlyings_co_move_by_beta() -> None:
    m = np.asarray([-0.1, 0.0, 0.2])
    np.testing.assert_allclose(co_moves("MRUT", "IWM", m), m)
    np.testing.assert_allclose(co_moves("SPY", "IWM", m), SPY_BETA_TO_IWM * m)  # 0.7049
    np.testing.assert_allclose(co_moves("IWM", "SPY", m), IWM_BETA_TO_SPY * m)
    pair = Strategy(
        "pair", (Leg(Shares("IWM"), 100, 228.5, "l"), Leg(Shares("SPY"), -40, 600.0, "s"))
    )
    g = pnl_grid(pair, market(), spot_moves=[-0.1], n_dates=1)
    expected = 100 * 228.5 * 0.9 - 40 * 600.0 * (1 - 0.1 * SPY_BETA_TO_IWM)
    assert g.values[0, 0, 0] == pytest.approx(expected)


def test_input_errors() -> None:
    s = rut_put_spread()
    ctx = market()
    with pytest.raises(InputError):
        pnl_grid(s, ctx, dates=[AS_OF - timedelta(days=1)])
    with pytest.raises(InputError):
        pnl_grid(s, ctx, spot_moves=[-1.0])
    with pytest.raises(InputError):
        pnl_grid(s, ctx, spots=[100.0], spot_moves=[0.0])
    with pytest.raises(InputError):
        default_dates(s, ctx, 0)
    with pytest.raises(InputError):
        pnl_grid(s, ctx, vol_shifts=[])


def test_american_legs_are_priced_american_before_expiry() -> None:
    ctx = market()
    put = iwm_option("put", 240, EXPIRY)
    s = Strategy("p", (Leg(put, 1),))
    g = pnl_grid(s, ctx, n_spots=41, n_dates=6, basis="model")
    for j in (0, 2, 4):
        at = g.dates[j]
        t = put.t_years(at)
        divs = ctx.dividend_schedule("IWM", put.expiry_datetime, at)
        amer = pricing.american_price(
            kind="put",
            spot=g.spots,
            strike=240.0,
            t_years=t,
            rate=ctx.rate(t),
            vol=0.22,
            dividends=divs or None,
        )
        euro = pricing.european_price(
            kind="put",
            spot=g.spots,
            strike=240.0,
            t_years=t,
            rate=ctx.rate(t),
            vol=0.22,
            dividends=divs or None,
        )
        np.testing.assert_allclose(g.values[:, j, 0] / 100.0, amer, atol=2e-3)
        assert np.all(g.values[:, j, 0] / 100.0 >= euro - 1e-6)
        assert np.all(g.values[:, j, 0] / 100.0 >= np.maximum(240.0 - g.spots, 0.0) - 1e-9)
    assert NEAR < EXPIRY < FAR


def test_expired_legs_settle_and_the_default_horizon_is_the_next_live_expiry() -> None:
    later = AS_OF + timedelta(days=41)  # after the February expiry
    ctx = market().bumped(as_of=later)
    s = Strategy(
        "roll",
        (
            Leg(rut_option("put", 2300, NEAR, "pm"), -1, 30.0, "expired"),
            Leg(rut_option("put", 2200, EXPIRY, "pm"), 1, 40.0, "live"),
        ),
    )
    g = pnl_grid(s, ctx, n_dates=5, keep_legs=True)
    assert g.dates[-1].date() == EXPIRY
    np.testing.assert_allclose(
        g.leg_values["expired"][:, 0, 0], -np.maximum(2300.0 - g.spots, 0.0) * 100.0, atol=1e-9
    )
