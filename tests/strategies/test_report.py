"""The strategy report: every documented field, exact payoff numbers, strict JSON, rendering."""

from __future__ import annotations

import io
import json
import math

import pytest
from rich.console import Console

import pricing
from strategies.legs import Leg, rut_option
from strategies.report import (
    REPORT_FIELDS,
    REPORT_SCHEMA_VERSION,
    ReportOptions,
    SourceInfo,
    build_report,
    report_json,
)
from strategies.scenarios import HOUSE_VIEW
from strategies.strategy import Strategy
from tests.strategies._analytics_market import AS_OF, EXPIRY, RATE, RUT_YIELD, SPOTS, VOL, market
from tui.render import render_report

SOURCE = SourceInfo("demo", "SYNTHETIC demo data as of test", True, AS_OF)


def _fair(kind: str, strike: float) -> float:
    c = rut_option(kind, strike, EXPIRY, settlement="pm")
    return float(
        pricing.european_price(
            kind=kind,
            spot=SPOTS["RUT"],
            strike=strike,
            t_years=c.t_years(AS_OF),
            rate=RATE,
            div_yield=RUT_YIELD,
            vol=VOL,
        )
    )


def _put_spread() -> Strategy:
    hi, lo = rut_option("put", 2200, EXPIRY, "pm"), rut_option("put", 2000, EXPIRY, "pm")
    return Strategy(
        "RUT 2200/2000 put spread", (Leg(hi, 2, 45.0, "long put"), Leg(lo, -2, 15.0, "short put"))
    )


@pytest.fixture(scope="module")
def report() -> dict:  # type: ignore[type-arg]
    return build_report(_put_spread(), market(), source=SOURCE)


def test_every_documented_field_is_present(report: dict) -> None:  # type: ignore[type-arg]
    assert list(report) == list(REPORT_FIELDS)
    assert report["schema_version"] == REPORT_SCHEMA_VERSION == 1
    for leg in report["legs"]:
        assert {
            "id",
            "instrument",
            "quantity",
            "price",
            "greeks",
            "entry_price",
            "value",
            "mark",
        } <= set(leg)
        assert set(leg["greeks"]["per_share"]) == {"delta", "gamma", "vega", "theta", "rho"}
        assert {"dollar_delta", "beta_weighted_delta"} <= set(leg["greeks"])
    assert {"delta", "gamma", "vega", "theta", "rho", "dollar_delta", "beta_weighted_delta"} <= set(
        report["greeks"]
    )
    assert report["source"] == {
        "name": "demo",
        "description": SOURCE.description,
        "synthetic": True,
        "as_of": AS_OF.isoformat(),
    }
    for s in report["scenarios"]:
        assert {"name", "probability", "spot", "pnl"} <= set(s)
    assert any(w.startswith("SYNTHETIC") for w in report["warnings"])


def test_payoff_numbers_are_exact(report: dict) -> None:  # type: ignore[type-arg]
    premium = 2 * 100 * (45.0 - 15.0)
    assert report["net_premium"] == pytest.approx(premium)
    assert report["max_loss"] == pytest.approx(premium)
    assert report["max_profit"] == pytest.approx(2 * 100 * 200 - premium)
    assert report["unbounded"] == {"max_profit": False, "max_loss": False}
    assert report["breakevens"] == pytest.approx([2200 - 30.0])
    assert report["payoff"]["exact"] is True


def test_greeks_sum_the_legs(report: dict) -> None:  # type: ignore[type-arg]
    legs = report["legs"]
    for name in ("delta", "gamma", "vega", "theta", "rho"):
        assert report["greeks"][name] == pytest.approx(
            sum(leg["greeks"]["position"][name] for leg in legs)
        )
    hi = legs[0]
    c = rut_option("put", 2200, EXPIRY, "pm")
    g = pricing.european_greeks(
        kind="put",
        spot=SPOTS["RUT"],
        strike=2200,
        t_years=c.t_years(AS_OF),
        rate=RATE,
        div_yield=RUT_YIELD,
        vol=VOL,
    )
    assert hi["price"] == pytest.approx(_fair("put", 2200))
    assert hi["greeks"]["position"]["delta"] == pytest.approx(float(g.delta) * 200)
    assert hi["greeks"]["dollar_delta"] == pytest.approx(float(g.delta) * 200 * SPOTS["RUT"])


def test_probabilities_and_scenarios(report: dict) -> None:  # type: ignore[type-arg]
    assert 0.0 <= report["pop"] <= 1.0
    assert report["cvar"] == pytest.approx(6000.0, rel=1e-6)  # the worst 5 % lose the premium
    by = report["probability"]["by_method"]
    assert set(by) == {"risk_neutral", "lognormal", "scenarios"}
    assert by["risk_neutral"]["pop"] == report["pop"]
    house = [s for s in report["scenarios"] if s["set"] == "house"]
    assert [s["name"] for s in house] == ["bear", "base", "bull"]
    assert report["weighted_pnl"] == pytest.approx(sum(s["probability"] * s["pnl"] for s in house))
    assert by["scenarios"]["expected_pnl"] == pytest.approx(report["weighted_pnl"])
    assert {s["name"] for s in report["scenarios"] if s["set"] == "stress"} >= {
        "yield+50bp",
        "risk-off",
    }
    assert [lv["label"] for lv in report["levels"]] == [
        "stop IWM -6%",
        "stop TNA -12%",
        "target IWM +5%",
    ]


def test_unbounded_loss_is_null_with_flag() -> None:
    call = rut_option("call", 2400, EXPIRY, "pm")
    naked = Strategy("naked call", (Leg(call, -1, _fair("call", 2400), "short call"),))
    rep = build_report(naked, market(), source=SOURCE, options=ReportOptions(scenarios=HOUSE_VIEW))
    assert rep["max_loss"] is None and rep["unbounded"]["max_loss"] is True
    assert rep["max_profit"] == pytest.approx(100 * _fair("call", 2400))
    text = report_json(rep)
    json.loads(
        text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))
    )  # no NaN/Infinity
    assert '"max_loss": null' in text


def test_json_round_trip_and_rendering(report: dict) -> None:  # type: ignore[type-arg]
    back = json.loads(report_json(report))
    assert back["legs"][0]["instrument"]["strike"] == 2200.0
    assert math.isfinite(back["expected_pnl"])
    buffer = io.StringIO()
    render_report(report, Console(file=buffer, width=140, color_system=None))
    out = buffer.getvalue()
    assert "SYNTHETIC" in out and "RUT 2200/2000 put spread" in out
    for word in ("Legs", "Summary", "Scenarios", "bear", "yield+50bp", "stop IWM -6%"):
        assert word in out


def test_options_and_source_are_validated() -> None:
    from pricing.errors import InputError

    with pytest.raises(InputError, match="method"):
        ReportOptions(method="normal")
    with pytest.raises(InputError, match="level"):
        ReportOptions(level=1.5)
    with pytest.raises(InputError, match="synthetic"):
        SourceInfo("demo", "x", "yes")  # type: ignore[arg-type]
