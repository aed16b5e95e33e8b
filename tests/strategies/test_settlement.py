"""Expired legs are settled, not priced (:mod:`strategies.settlement`): cash legs at their
settlement value, physical legs as the shares they deliver or nothing; the report's value is the
sum of settled and live legs and its risk numbers are those of the live part."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.errors import InputError
from strategies.legs import Leg, Shares, iwm_option, rut_option
from strategies.report import SourceInfo, build_report, settled_only_report
from strategies.settlement import FROM_CURRENT, FROM_FILE, is_settled, settle_expired
from strategies.strategy import Strategy
from tests.strategies._core_market import AS_OF, EXPIRY, NY, SPOTS, market

SOURCE = SourceInfo("test", "flat test market", False, AS_OF)
PAST = date(2025, 12, 19)  # a monthly, four weeks before AS_OF (2026-01-15 12:00 New York)
TODAY = AS_OF.date()


def test_issue_case_put_spread_with_expired_long_leg_is_a_naked_short_put() -> None:
    """The issue's case: the long 230 put expired worthless (settled at 235); what remains is a
    naked short put, whose max loss is its strike less the premium, not the spread's $249."""
    long_put = Leg(iwm_option("put", 230.0, PAST), 1, 3.00, "long")
    short_put = Leg(iwm_option("put", 210.0, EXPIRY), -1, 2.51, "short")
    strategy = Strategy("spread", (long_put, short_put))
    settlement = settle_expired(strategy, AS_OF, spots=SPOTS, settlement_prices={"long": 235.0})
    assert settlement.live is not None
    assert [leg.leg_id for leg in settlement.live.flat_legs()] == ["short"]
    (record,) = settlement.settled
    assert record.outcome == "expired worthless" and record.price_source == FROM_FILE
    assert record.realised_pnl == pytest.approx(-300.0)
    report = build_report(settlement.live, market(), source=SOURCE, settlement=settlement)
    assert report["max_loss"] == pytest.approx(210.0 * 100 - 251.0)
    assert report["expired"][0]["outcome"] == "expired worthless"
    assert report["value"]["settled_cash"] == 0.0
    spread = build_report(strategy, market(), source=SOURCE)  # the old, wrong view
    assert spread["max_loss"] < 2_000.0


def test_cash_settled_leg_is_fixed_cash_and_physical_itm_delivers_shares() -> None:
    rut_call = Leg(rut_option("call", 2200.0, PAST), 2, 30.0, "rut")  # AM monthly, cash
    iwm_put = Leg(iwm_option("put", 240.0, PAST), -3, 4.0, "iwm")  # short put assigned
    strategy = Strategy("s", (rut_call, iwm_put))
    settlement = settle_expired(
        strategy, AS_OF, spots=SPOTS, settlement_prices={"rut": 2250.0, "iwm": 231.0}
    )
    rut, iwm = settlement.settled
    assert rut.cash == pytest.approx(50.0 * 2 * 100)
    assert rut.realised_pnl == pytest.approx(10_000.0 - 30.0 * 200)
    assert iwm.cash == 0.0 and iwm.delivered is not None
    assert iwm.delivered.quantity == 300 and isinstance(iwm.delivered.instrument, Shares)
    assert iwm.delivered.entry_price == pytest.approx(240.0 - 4.0)
    # P&L of the delivered shares = P&L of the short put carried to today's spot
    ctx = market()
    assert settlement.live is not None
    pnl = settlement.live.pnl(ctx)
    assert float(pnl) == pytest.approx((SPOTS["IWM"] - 240.0) * 300 + 4.0 * 300)


def test_current_spot_is_used_and_said_so_when_nothing_recorded() -> None:
    leg = Leg(rut_option("put", 2400.0, PAST), 1, 10.0, "p")
    settlement = settle_expired(Strategy("s", (leg,)), AS_OF, spots=SPOTS)
    assert settlement.settled[0].price_source == FROM_CURRENT
    assert settlement.live is None
    report = settled_only_report(settlement, source=SOURCE)
    assert report["value"]["total"] == pytest.approx((2400.0 - SPOTS["RUT"]) * 100)
    assert any("current spot" in w for w in report["warnings"])


def test_leg_expiring_today_before_and_after_its_settlement_time() -> None:
    pm = iwm_option("call", 220.0, TODAY)
    am = rut_option("call", 2200.0, date(2026, 1, 16))  # AM monthly: settles 09:30 on the 16th
    before = datetime(2026, 1, 15, 15, 59, tzinfo=NY)
    after = datetime(2026, 1, 15, 16, 0, tzinfo=NY)
    assert not is_settled(pm, before) and is_settled(pm, after)
    assert not is_settled(am, datetime(2026, 1, 16, 9, 29, tzinfo=NY))
    assert is_settled(am, datetime(2026, 1, 16, 9, 30, tzinfo=NY))
    strategy = Strategy("s", (Leg(pm, 1, 9.0, "c"),))
    assert settle_expired(strategy, before, spots=SPOTS).settled == ()
    assert len(settle_expired(strategy, after, spots=SPOTS).settled) == 1


def test_bad_settlement_price_names_the_leg() -> None:
    leg = Leg(rut_option("put", 2400.0, PAST), 1, 10.0, "p")
    with pytest.raises(InputError, match=r"p\.settlement_price"):
        settle_expired(
            Strategy("s", (leg,)), AS_OF, spots=SPOTS, settlement_prices={"p": float("nan")}
        )


EXPIRED_DATES = (PAST, date(2026, 1, 14), TODAY)  # TODAY: AM-settled legs, settled at 09:30
LIVE_DATE = EXPIRY
TODAY_AM = datetime(2026, 1, 15, 9, 30, tzinfo=NY)  # exactly at the AM legs' settlement moment


@st.composite
def mixed_positions(draw: st.DrawFn) -> tuple[list[Leg], dict[str, float]]:
    legs: list[Leg] = []
    prices: dict[str, float] = {}
    for i in range(draw(st.integers(1, 5))):
        expired = draw(st.booleans()) if i else True
        day = draw(st.sampled_from(EXPIRED_DATES)) if expired else LIVE_DATE
        kind = draw(st.sampled_from(["call", "put"]))
        qty = draw(st.integers(-3, 3).filter(bool))
        entry = draw(st.floats(0.5, 20.0))
        if day != TODAY and draw(st.booleans()):
            contract = iwm_option(kind, float(draw(st.integers(200, 260))), day)
            settle = float(draw(st.integers(200, 260))) + 0.5
        else:  # RUT: PM-settled before today, AM-settled (09:30) today
            contract = rut_option(
                kind, draw(st.integers(420, 500)) * 5.0, day, "am" if day == TODAY else "pm"
            )
            settle = draw(st.integers(420, 500)) * 5.0 + 2.5
        legs.append(Leg(contract, qty, entry, f"leg{i}"))
        if draw(st.booleans()):
            prices[f"leg{i}"] = settle
    legs.append(Leg(iwm_option("put", 220.0, LIVE_DATE), 1, 5.0, "anchor"))  # something stays live
    return legs, prices


def _expiry_pnl_floor_and_cap(strategy: Strategy, ctx_premium: float) -> tuple[float, float]:
    """Brute force: min and max of the live part's P&L at the common expiry over a spot grid in
    IWM units (RUT = 10.06 x IWM, the payoff axis's family ratio) that includes every strike."""
    kinks = [
        leg.contract.strike / (1.0 if leg.symbol == "IWM" else 10.06)
        for leg in strategy.flat_legs()
        if leg.contract is not None
    ]
    spots = np.union1d(np.linspace(0.0, 600.0, 60001), np.asarray(kinks))  # extremes sit at kinks
    total = np.zeros_like(spots)
    for leg in strategy.flat_legs():
        factor = 1.0 if leg.symbol == "IWM" else 10.06
        s = spots * factor
        contract = leg.contract
        if contract is None:
            total += s * leg.units
        else:
            total += np.maximum(contract.kind.sign * (s - contract.strike), 0.0) * leg.units
    pnl = total - ctx_premium
    return float(pnl.min()), float(pnl.max())


@settings(max_examples=10, deadline=None)
@given(mixed_positions(), st.sampled_from([AS_OF, TODAY_AM]))
def test_report_value_is_settled_plus_live_and_risk_is_the_live_part(
    case: tuple[list[Leg], dict[str, float]], when: datetime
) -> None:
    """Random position files with legs before, at (valued exactly at their 09:30 settlement) and
    after expiry: written as TOML, read back, settled."""
    from strategies.positions import (
        PositionFile,
        parse_position_text,
        position_from_legs,
        position_legs,
        position_settlement_prices,
    )

    legs, prices = case
    data = position_from_legs("random", legs, override=True).model_dump(
        mode="python", exclude_none=True
    )
    for leg_data in data["legs"]:
        if leg_data["id"] in prices:
            leg_data["settlement_price"] = prices[leg_data["id"]]
    # override: the AM-settled RUT legs expiring on a Thursday are not a listed product
    text = PositionFile.model_validate(data, context={"override": True}).to_toml()
    position = parse_position_text(text, path="random.toml", override=True)
    assert position_settlement_prices(position) == prices
    legs = position_legs(position)
    ctx = market()
    strategy = Strategy(position.name, tuple(legs))
    settlement = settle_expired(
        strategy, when, spots=SPOTS, settlement_prices=position_settlement_prices(position)
    )
    live = settlement.live
    assert live is not None
    # every expired leg is settled, every other leg stays
    expired_ids = {leg.leg_id for leg in legs if leg.expiry in EXPIRED_DATES}
    assert {s.leg.leg_id for s in settlement.settled} == expired_ids
    # hand-computed settled cash
    cash = 0.0
    for leg in legs:
        if leg.leg_id in expired_ids and leg.symbol == "RUT":
            contract = leg.contract
            assert contract is not None
            price = prices.get(leg.leg_id, SPOTS["RUT"])
            cash += contract.intrinsic(price) * leg.units
    report = build_report(live, ctx, source=SOURCE, settlement=settlement)
    assert report["value"]["settled_cash"] == pytest.approx(cash, abs=1e-6)
    live_sum = sum(row["value"] for row in report["legs"])
    assert report["value"]["total"] == pytest.approx(live_sum + cash, rel=1e-9, abs=1e-6)
    assert report["value"]["live"] == pytest.approx(live.value(ctx), rel=1e-9, abs=1e-6)
    # risk numbers are those of the live part (brute force over the live legs' expiry payoff)
    premium = live.net_premium(ctx)
    floor, cap = _expiry_pnl_floor_and_cap(live, premium)
    if not report["unbounded"]["max_loss"]:
        assert report["max_loss"] == pytest.approx(-floor, rel=1e-6, abs=0.5)
    if not report["unbounded"]["max_profit"]:
        assert report["max_profit"] == pytest.approx(cap, rel=1e-6, abs=0.5)
    assert {row["id"] for row in report["expired"]} == expired_ids


def test_recorded_spot_at_expiry_comes_from_the_store(tmp_path: object) -> None:
    """Without a settlement_price in the file, a stored snapshot taken within 30 minutes of the
    settlement moment gives the settlement price (labelled as recorded); one taken hours earlier
    does not, and demo/CSV sources never look."""
    from pathlib import Path

    from marketdata.sources.resolve import recorded_spot_at
    from marketdata.sources.store import SnapshotStore
    from strategies.loading import recorded_spots
    from strategies.settlement import FROM_RECORD
    from tests.marketdata.test_store import make_snapshot

    path = Path(str(tmp_path)) / "s.sqlite3"
    moment = datetime(2025, 12, 19, 16, 0, tzinfo=NY)  # PM settlement of the PAST expiry
    store = SnapshotStore(path)
    store.save(make_snapshot(as_of=moment - timedelta(hours=3), spot=240.0))
    assert recorded_spot_at("IWM", moment, store_path=path) is None  # too early to count
    store.save(make_snapshot(as_of=moment + timedelta(minutes=10), spot=231.5))
    assert recorded_spot_at("IWM", moment, store_path=path) == 231.5
    assert recorded_spot_at("IWM", moment, store_path=Path(str(tmp_path)) / "none.sqlite3") is None
    strategy = Strategy("s", (Leg(iwm_option("put", 235.0, PAST), 1, 2.0, "p"),))
    assert recorded_spots(strategy, AS_OF, source="demo", store=path) == {}
    recorded = recorded_spots(strategy, AS_OF, source="store", store=path)
    assert recorded == {("IWM", PAST): 231.5}
    settled = settle_expired(strategy, AS_OF, spots=SPOTS, recorded_spots=recorded).settled[0]
    assert settled.price_source == FROM_RECORD and settled.settlement_price == 231.5
    assert settled.delivered is not None and settled.delivered.quantity == -100
