"""Legs: instruments, validation (errors name the field and the value), labels, helpers."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from pricing.errors import InputError
from pricing.types import Delivery, ExerciseStyle, OptionKind, SettlementTime
from strategies.legs import (
    TNA,
    TZA,
    Leg,
    LeveragedETF,
    Shares,
    describe,
    instrument_multiplier,
    iwm_option,
    mrut_option,
    option_for,
    risk_driver,
    rut_option,
    spy_option,
)

EXP = date(2026, 3, 20)


def test_product_conventions() -> None:
    iwm = iwm_option("put", 200, EXP)
    assert (iwm.style, iwm.delivery, iwm.settlement, iwm.multiplier) == (
        ExerciseStyle.AMERICAN,
        Delivery.PHYSICAL,
        SettlementTime.PM,
        100.0,
    )
    spy = spy_option("c", 600, EXP)
    assert spy.kind is OptionKind.CALL and spy.style is ExerciseStyle.AMERICAN
    rut = rut_option("put", 2200, EXP)
    assert (rut.style, rut.delivery, rut.settlement) == (
        ExerciseStyle.EUROPEAN,
        Delivery.CASH,
        SettlementTime.AM,
    )
    assert rut_option("put", 2200, EXP, "pm").settlement is SettlementTime.PM
    mrut = mrut_option("call", 230, EXP)
    assert (mrut.underlying, mrut.style, mrut.delivery, mrut.multiplier) == (
        "MRUT",
        ExerciseStyle.EUROPEAN,
        Delivery.CASH,
        100.0,
    )
    assert option_for("rut", "put", 2200, EXP).settlement is SettlementTime.AM
    assert option_for("qqq", "put", 500, EXP).style is ExerciseStyle.AMERICAN


def test_leveraged_etfs() -> None:
    assert TNA.leverage == 3.0 and TZA.leverage == -3.0
    assert TNA.index == TZA.index == "RUT"
    assert 0.005 < TZA.expense_ratio < 0.015
    assert risk_driver(TZA) == "RUT"
    assert instrument_multiplier(TZA) == 1.0
    assert describe(TZA) == "TZA (-3x RUT)"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"leverage": 0.0}, "leverage"),
        ({"leverage": float("nan")}, "leverage"),
        ({"expense_ratio": -0.01}, "expense_ratio"),
        ({"financing_spread": 0.5}, "financing_spread"),
        ({"symbol": ""}, "symbol"),
    ],
)
def test_leveraged_validation(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"symbol": "TZA", "index": "RUT", "leverage": -3.0}
    base.update(kwargs)
    with pytest.raises(InputError) as err:
        LeveragedETF(**base)  # type: ignore[arg-type]
    assert err.value.field == field


def test_leg_defaults_and_label() -> None:
    leg = Leg(iwm_option("put", 200, EXP), -2, 3.15)
    assert leg.leg_id == "IWM 2026-03-20 P200"
    assert leg.units == -200.0
    assert leg.entry_cost == pytest.approx(-630.0)
    assert leg.strike == 200.0 and leg.expiry == EXP and leg.is_option
    assert Leg(rut_option("call", 2412.5, EXP), 1).leg_id == "RUT 2026-03-20 C2412.5 AM"
    shares = Leg(Shares("iwm"), 100, 228.5)
    assert shares.symbol == "IWM" and shares.multiplier == 1.0 and shares.leg_id == "IWM shares"
    assert shares.contract is None and shares.strike is None
    assert Leg(TZA, 10).driver == "RUT"


@pytest.mark.parametrize(
    ("quantity", "entry", "field", "value"),
    [
        (0, None, "quantity", 0),
        (True, None, "quantity", True),
        (1.5, None, "quantity", 1.5),
        ("1", None, "quantity", "1"),
        (1, -0.01, "entry_price", -0.01),
        (1, float("nan"), "entry_price", None),
        (1, "abc", "entry_price", "abc"),
    ],
)
def test_leg_validation_names_field_and_value(
    quantity: object, entry: object, field: str, value: object
) -> None:
    with pytest.raises(InputError) as err:
        Leg(iwm_option("put", 200, EXP), quantity, entry)  # type: ignore[arg-type]
    assert err.value.field == field
    assert field in str(err.value)
    if value is not None:
        assert err.value.value == value


def test_leg_rejects_non_instruments_and_zero_share_price() -> None:
    with pytest.raises(InputError) as err:
        Leg("IWM", 1)  # type: ignore[arg-type]
    assert err.value.field == "instrument"
    with pytest.raises(InputError) as err:
        Leg(Shares("IWM"), 100, 0.0)
    assert err.value.field == "entry_price"
    assert Leg(iwm_option("put", 100, EXP), 1, 0.0).entry_price == 0.0  # a worthless option


def test_integral_float_quantity_is_accepted_and_stored_as_int() -> None:
    leg = Leg(Shares("IWM"), 100.0)  # type: ignore[arg-type]
    assert leg.quantity == 100 and isinstance(leg.quantity, int)


def test_leg_is_frozen_and_copies() -> None:
    leg = Leg(iwm_option("put", 200, EXP), 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        leg.quantity = 2  # type: ignore[misc]
    assert leg.with_entry_price(2.5).entry_price == 2.5
    assert leg.scaled(-3).quantity == -3
    assert leg.with_quantity(5).quantity == 5
    with pytest.raises(InputError):
        leg.scaled(0)
