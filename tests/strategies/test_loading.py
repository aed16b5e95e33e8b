"""The core both faces load strategies through (:mod:`strategies.loading`), the templates'
declared parameters and the payoff-chart data (:mod:`strategies.payoff_chart`), on the bundled
SYNTHETIC demo with a fixed clock."""

from __future__ import annotations

import inspect
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from pricing.errors import InputError
from pricing.types import NEW_YORK
from strategies.legs import Leg
from strategies.loading import (
    NOMINAL_ETF_SPOTS,
    LoadError,
    TemplateRequest,
    build_template,
    load_market,
    load_position,
    load_template,
    source_info,
)
from strategies.payoff import expiry_payoff
from strategies.payoff_chart import default_chart_date, payoff_chart
from strategies.positions import position_from_legs, save_position_file
from strategies.templates import TEMPLATES, AtDelta, AtStrike, PctOTM

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_declared_strike_slots_are_the_builders_strike_parameters(name: str) -> None:
    template = TEMPLATES[name]
    signature = inspect.signature(template.build).parameters
    by_annotation = [p for p, spec in signature.items() if "StrikeSpec" in str(spec.annotation)]
    assert list(template.strike_slots) == by_annotation
    for param in (template.expiry_param, template.dte_param, template.underlying_param):
        assert param is None or param in signature


def test_params_for_fills_slots_in_order_and_names_bad_fields() -> None:
    condor = TEMPLATES["iron-condor"]
    params = condor.params_for(
        strikes=(PctOTM(0.04), PctOTM(0.08)), dte=30, quantity=3, underlying="rut"
    )
    assert params == {
        "short_put": PctOTM(0.04),
        "long_put": PctOTM(0.08),
        "dte": 30,
        "quantity": 3,
        "underlying": "RUT",
    }
    assert TEMPLATES["calendar"].params_for(dte=20) == {"near_dte": 20}
    with pytest.raises(InputError) as err:
        TEMPLATES["long-put"].params_for(strikes=(AtStrike(260.0), AtStrike(250.0)))
    assert err.value.field == "strikes" and "at most 1 (strike)" in err.value.reason
    with pytest.raises(InputError) as err:
        TEMPLATES["pair"].params_for(expiry=date(2026, 12, 18))
    assert err.value.field == "expiry"


def test_request_errors_name_the_field() -> None:
    with pytest.raises(LoadError) as err:
        TemplateRequest("nope")
    assert (
        err.value.field == "template" and "put-spread" in err.value.detail and not err.value.no_data
    )
    assert TemplateRequest("put-spread", underlying="qqq").underlying == "QQQ"  # any ticker
    with pytest.raises(LoadError) as err:
        TemplateRequest("put-spread", underlying="not a ticker")
    assert err.value.field == "underlying" and "not a ticker" in err.value.detail
    with pytest.raises(LoadError) as err:
        TemplateRequest("put-spread", dte=0)
    assert err.value.field == "dte"


def test_template_loads_with_its_market_and_fill_prices() -> None:
    loaded = load_template(
        TemplateRequest("put-spread", strikes=(AtDelta(0.3), AtDelta(0.15)), dte=45),
        source="demo",
        now=NOW,
    )
    legs = loaded.strategy.flat_legs()
    assert [leg.quantity for leg in legs] == [1, -1]
    assert all(leg.entry_price is not None and leg.entry_price > 0 for leg in legs)
    assert legs[0].instrument.strike > legs[1].instrument.strike  # type: ignore[union-attr]
    assert loaded.synthetic and set(loaded.snapshots) == {"IWM"}
    info = source_info(loaded)
    assert info.synthetic and info.description.startswith("IWM: SYNTHETIC")


def test_etf_spot_is_nominal_on_synthetic_data_and_given_spots_win() -> None:
    market = load_market(["IWM"], ["TZA"], source="demo", now=NOW)
    assert market.ctx.spot("TZA") == NOMINAL_ETF_SPOTS["TZA"]
    assert any("nominal" in line for line in market.descriptions)
    given = load_market(["IWM"], ["TZA"], source="demo", now=NOW, spots={"tza": 12.5})
    assert given.ctx.spot("TZA") == 12.5


def test_bad_source_is_a_request_error_naming_source() -> None:
    with pytest.raises(LoadError) as err:
        load_market(["IWM"], source="nowhere", now=NOW)
    assert err.value.field == "source" and not err.value.no_data


def test_position_file_round_trip(tmp_path: Path) -> None:
    market = load_market(["IWM"], source="demo", now=NOW)
    built = build_template(TemplateRequest("collar"), market)
    path = tmp_path / "pos.toml"
    save_position_file(path, position_from_legs(built.name, built.flat_legs(), underlying="IWM"))
    again = load_position(path, source="demo", now=NOW)

    def terms(legs: tuple[Leg, ...]) -> list[tuple[object, int, float | None]]:
        return [(leg.instrument, leg.quantity, leg.entry_price) for leg in legs]

    assert terms(again.strategy.flat_legs()) == terms(built.flat_legs())
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 3\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_position(bad, source="demo", now=NOW)
    assert "bad position file" in err.value.detail and "bad.toml" in err.value.detail


def test_payoff_chart_expiry_curve_is_the_payoff_at_the_kinks() -> None:
    loaded = load_template(TemplateRequest("put-spread"), source="demo", now=NOW)
    ctx = loaded.ctx.base()
    chart = payoff_chart(loaded.strategy, ctx)
    assert [c.role for c in chart.curves] == ["expiry", "today", "date"]
    assert chart.date == default_chart_date(loaded.strategy, ctx)
    assert chart.low < min(chart.kinks) and max(chart.kinks) < chart.high
    assert set(chart.kinks) <= set(chart.spots.tolist())
    expiry = chart.curves[0].pnl
    exact = (
        np.asarray(expiry_payoff(loaded.strategy, chart.spots, axis=chart.axis), dtype=float)
        - chart.premium
    )
    assert np.allclose(expiry, exact, atol=1e-6)
    assert {p.name for p in chart.scenarios} >= {"bear", "base", "bull"}
    with pytest.raises(InputError) as err:
        payoff_chart(loaded.strategy, ctx, when=datetime(2020, 1, 1, tzinfo=NEW_YORK))
    assert err.value.field == "date"


def test_template_defaults_are_the_builders() -> None:
    defaults = TEMPLATES["put-spread"].defaults()
    assert defaults["dte"] == 60 and defaults["underlying"] == "IWM"
    assert defaults["long_strike"] == PctOTM(0.05) and defaults["short_strike"] == PctOTM(0.11)
    assert "ctx" not in defaults and "chain" not in defaults


def test_an_injected_source_that_fails_is_a_no_data_error() -> None:
    from marketdata.errors import RateLimitedError

    calls: list[str] = []

    def limited(symbol: str, source: str, **kwargs: object) -> object:
        calls.append(symbol)
        raise RateLimitedError("429 Too Many Requests")

    with pytest.raises(LoadError) as err:
        load_template(TemplateRequest("put-spread"), source="yahoo", now=NOW, loader=limited)
    assert (
        err.value.no_data
        and "no IWM data from 'yahoo'" in err.value.detail
        and "429" in err.value.detail
    )
    assert calls == ["IWM"]
