"""Early-assignment alerts: dividend risk on short ITM calls, deep ITM short puts."""

from __future__ import annotations

import math
from datetime import date

import pytest

from pricing.errors import InputError
from strategies.alerts import assignment_alerts
from strategies.legs import Leg, Shares, iwm_option, rut_option
from strategies.pricing_context import Quote, StaticQuotes
from strategies.strategy import Strategy
from tests.strategies._analytics_market import AS_OF, EXPIRY, RATE, SPOTS, market

SPOT = SPOTS["IWM"]
DIVIDEND = 0.70  # ex 2026-03-16, before the 2026-03-20 expiry (see _analytics_market)


def _quoted(contract, extrinsic: float) -> StaticQuotes:  # type: ignore[no-untyped-def]
    mid = contract.intrinsic(SPOT) + extrinsic
    return StaticQuotes.of([(contract, Quote(mid - 0.02, mid + 0.02))])


def _overwrite(contract) -> Strategy:  # type: ignore[no-untyped-def]
    return Strategy(
        "overwrite", (Leg(Shares("IWM"), 200, SPOT), Leg(contract, -2, 30.0, "short call"))
    )


def test_short_itm_call_with_time_value_below_the_dividend_alerts() -> None:
    call = iwm_option("call", 200, EXPIRY)
    alerts = assignment_alerts(_overwrite(call), market(quotes=_quoted(call, 0.30)))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.leg_id == "short call" and alert.rule == "dividend"
    n = alert.numbers
    assert n["intrinsic"] == pytest.approx(SPOT - 200)
    assert n["extrinsic"] == pytest.approx(0.30)
    assert n["dividend"] == DIVIDEND and n["ex_date"] == "2026-03-16"
    assert n["price_basis"] == "mid" and n["contracts"] == 2 and n["shares_at_risk"] == 200
    assert n["days_to_ex_date"] == (date(2026, 3, 16) - AS_OF.date()).days
    assert "0.700 dividend" in alert.reason and "2026-03-16" in alert.reason
    assert alert.as_dict()["leg"] == "short call"


@pytest.mark.parametrize(
    ("contract", "quantity", "extrinsic"),
    [
        (iwm_option("call", 200, EXPIRY), -2, 0.90),  # time value above the dividend
        (iwm_option("call", 240, EXPIRY), -2, 0.10),  # out of the money
        (iwm_option("call", 200, EXPIRY), 2, 0.10),  # long, not short
        (iwm_option("call", 200, date(2026, 2, 20)), -2, 0.10),  # expires before the ex-date
        (rut_option("call", 2000, EXPIRY), -2, 0.10),  # European: no early exercise
    ],
)
def test_no_dividend_alert(contract, quantity: int, extrinsic: float) -> None:  # type: ignore[no-untyped-def]
    strategy = Strategy("s", (Leg(contract, quantity, 30.0, "call"),))
    spot = SPOTS["RUT"] if contract.underlying == "RUT" else SPOT
    mid = contract.intrinsic(spot) + extrinsic
    quotes = StaticQuotes.of([(contract, Quote(mid, mid + 0.04))])
    assert assignment_alerts(strategy, market(quotes=quotes)) == ()


def test_deep_itm_short_put_below_carry_alerts() -> None:
    put = iwm_option("put", 260, EXPIRY)
    strategy = Strategy("short put", (Leg(put, -3, 20.0, "short put"),))
    alerts = assignment_alerts(strategy, market(quotes=_quoted(put, 0.05)))
    assert [a.rule for a in alerts] == ["deep_itm_put"]
    n = alerts[0].numbers
    t = put.t_years(AS_OF)
    assert n["carry_on_strike"] == pytest.approx(260 * (1 - math.exp(-RATE * t)))
    assert n["threshold"] == n["carry_on_strike"] and n["extrinsic"] == pytest.approx(0.05)
    assert n["intrinsic"] == pytest.approx(260 - SPOT)
    # an explicit threshold below the time value silences it; time value above carry too
    assert assignment_alerts(strategy, market(quotes=_quoted(put, 0.05)), put_threshold=0.01) == ()
    assert assignment_alerts(strategy, market(quotes=_quoted(put, 3.0))) == ()
    with pytest.raises(InputError):
        assignment_alerts(strategy, market(), put_threshold=-1.0)
