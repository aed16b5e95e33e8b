"""The what-if helpers behind the app: bumps validated, numbers equal Strategy.risk on the bumped
market, the chart's curves equal the priced values, the heat map's spot row, weights."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from pricing.errors import InputError
from strategies.legs import Leg, iwm_option
from strategies.scenarios import HOUSE_VIEW
from strategies.strategy import Strategy
from strategies.whatif import (
    WhatIf,
    heat_map,
    last_expiry_days,
    payoff_chart_data,
    weighted_house_view,
    whatif_numbers,
)
from tests.strategies._core_market import EXPIRY, market


def put_spread() -> Strategy:
    """Long the 225 put, short the 210 put (American IWM), entered at 5.00 and 1.50."""
    return Strategy(
        "spread",
        (
            Leg(iwm_option("put", 225.0, EXPIRY), 1, 5.0),
            Leg(iwm_option("put", 210.0, EXPIRY), -1, 1.5),
        ),
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("days_forward", -1.0), ("vol_shift", 0.9), ("spot_move", math.nan), ("rate_shift_bp", 1e4)],
)
def test_bad_bumps_name_the_field(field: str, value: float) -> None:
    with pytest.raises(InputError, match=field):
        WhatIf(**{field: value})


def test_numbers_equal_risk_on_the_bumped_market() -> None:
    ctx, s = market(), put_spread()
    w = WhatIf(days_forward=10.0, vol_shift=0.02, spot_move=-0.03, rate_shift_bp=25.0)
    n = whatif_numbers(s, ctx, w)
    risk = s.risk(
        ctx.bumped(days_forward=10.0, vol_shift=0.02, spot_move=-0.03, rate_shift_bp=25.0)
    )
    assert n.value == pytest.approx(risk.value, rel=1e-12)
    assert n.pnl == pytest.approx(risk.value - 350.0, rel=1e-12)
    assert n.greeks.delta == pytest.approx(risk.position.delta, rel=1e-12)
    assert n.at == ctx.as_of + timedelta(days=10)
    spy = s.risk(
        ctx.bumped(days_forward=10.0, vol_shift=0.02, spot_move=-0.03, rate_shift_bp=25.0),
        benchmark="SPY",
    )
    assert n.beta_weighted["SPY"] == pytest.approx(spy.beta_weighted_delta, rel=1e-9)


def test_chart_curves_are_the_priced_pnl() -> None:
    ctx, s = market(), put_spread()
    w = WhatIf(days_forward=20.0, vol_shift=0.01)
    data = payoff_chart_data(s, ctx, w, breakevens=(221.5,), n_points=31)
    labels = [label.split()[0] for label, _, _ in data.curves]
    assert labels == ["expiry", "today", "date"]
    spot = ctx.spot("IWM")
    i = int(abs(data.spots - spot).argmin())
    at_spot = float(data.spots[i])
    _, _when, values = data.curves[2]
    moved = ctx.bumped(days_forward=20.0, vol_shift=0.01, spot_move=at_spot / spot - 1.0)
    assert values[i] == pytest.approx(s.value(moved) - 350.0, abs=0.05)
    expiry_values = data.curves[0][2]
    assert expiry_values[0] == pytest.approx(1500.0 - 350.0, abs=1e-6)  # deep below both strikes
    assert data.spots[0] < 221.5 < data.spots[-1]


def test_heat_map_has_a_spot_row_and_ends_at_the_last_expiry() -> None:
    ctx, s = market(), put_spread()
    heat = heat_map(s, ctx, WhatIf(), n_spots=5, n_dates=3)
    assert heat.spots[heat.spot_row] == pytest.approx(ctx.spot("IWM"))
    assert heat.dates[-1] == ctx.as_of + timedelta(days=last_expiry_days(s, ctx))
    assert heat.pnl[heat.spot_row, 0] == pytest.approx(s.value(ctx) - 350.0, abs=0.05)
    assert heat.pnl[0, -1] == pytest.approx(
        -350.0, abs=1e-6
    )  # +15 % at expiry: both puts worthless


def test_weights_replace_the_house_probabilities_and_are_checked() -> None:
    view = weighted_house_view({"bear": 0.2, "base": 0.5, "bull": 0.3})
    assert view.probabilities == (0.2, 0.5, 0.3)
    assert [s.spot_move for s in view] == [s.spot_move for s in HOUSE_VIEW]
    with pytest.raises(InputError, match="sum"):
        weighted_house_view({"bear": 0.5, "base": 0.5, "bull": 0.3})
    with pytest.raises(InputError, match="unknown"):
        weighted_house_view({"bear": 0.5, "base": 0.5, "crash": 0.0})
