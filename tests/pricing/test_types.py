"""Core contract types: validation naming the field, exact time to expiry across DST and zones."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketdata.snapshot import years_between
from pricing.errors import InputError
from pricing.types import NEW_YORK, DividendSchedule, OptionContract, SettlementTime

HOURS_PER_YEAR = 365.0 * 24.0


def test_time_to_expiry_counts_the_extra_hour_when_daylight_saving_ends() -> None:
    # US clocks went back on 2026-11-01: Saturday 16:00 to Monday 16:00 is 49 real hours.
    as_of = datetime(2026, 10, 31, 16, 0, tzinfo=NEW_YORK)
    contract = OptionContract("IWM", "put", 200.0, date(2026, 11, 2), "american")
    assert contract.t_years(as_of) * HOURS_PER_YEAR == pytest.approx(49.0, abs=1e-9)
    assert years_between(as_of, contract.expiry_datetime) * HOURS_PER_YEAR == pytest.approx(
        49.0, abs=1e-9
    )


def test_time_to_expiry_is_the_same_from_any_zone() -> None:
    ny = datetime(2026, 11, 20, 16, 15, tzinfo=NEW_YORK)
    tokyo = ny.astimezone(ZoneInfo("Asia/Tokyo"))
    contract = OptionContract(
        "RUT",
        "call",
        2800.0,
        date(2026, 12, 18),
        "european",
        settlement=SettlementTime.AM,
        delivery="cash",
    )
    assert contract.t_years(tokyo) == contract.t_years(ny)
    assert contract.expiry_datetime.hour == 9 and contract.expiry_datetime.minute == 30


def test_pm_expiry_one_minute_before_and_after_the_close() -> None:
    contract = OptionContract("IWM", "call", 250.0, date(2026, 11, 20), "american")
    close = datetime(2026, 11, 20, 16, 0, tzinfo=NEW_YORK)
    assert contract.t_years(close - timedelta(minutes=1)) * HOURS_PER_YEAR * 60 == pytest.approx(
        1.0
    )
    assert contract.t_years(close + timedelta(minutes=1)) < 0.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strike": -1.0}, "strike"),
        ({"strike": float("nan")}, "strike"),
        ({"kind": "straddle"}, "kind"),
        ({"style": "bermudan"}, "style"),
        ({"multiplier": 0.0}, "multiplier"),
        ({"underlying": " "}, "underlying"),
    ],
)
def test_contract_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "underlying": "IWM",
        "kind": "put",
        "strike": 200.0,
        "expiry": date(2026, 12, 18),
        "style": "american",
    }
    with pytest.raises(InputError) as err:
        OptionContract(**{**base, **kwargs})  # type: ignore[arg-type]
    assert err.value.field == field


def test_naive_as_of_is_rejected() -> None:
    contract = OptionContract("IWM", "put", 200.0, date(2026, 12, 18), "american")
    with pytest.raises(InputError, match="as_of"):
        contract.t_years(datetime(2026, 11, 20, 16, 0))


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("0.1:nan", "dividends[0].amount"),
        ("0.1:-0.5", "dividends[0].amount"),
        ("0.1:0.5;0.1:0.4", "dividends[1].t_years"),
        ("0.2:0.5;0.1:0.4", "dividends[1].t_years"),
        ("abc", "dividends[0]"),
        ("inf:0.5", "dividends[0].t_years"),
    ],
)
def test_dividend_schedule_rejects_bad_entries(text: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        DividendSchedule.parse(text)
    assert err.value.field == field


def test_dividend_at_or_above_spot_is_rejected() -> None:
    with pytest.raises(InputError, match=r"dividends\[0\]\.amount"):
        DividendSchedule((0.1,), (300.0,)).validate_against_spot(277.67)


def test_large_inputs_take_the_fused_kernel_and_agree_with_the_numpy_one() -> None:
    import numpy as np

    from pricing import european
    from pricing.black_scholes import generalized_greeks

    rng = np.random.default_rng(7)
    n = european.FAST_KERNEL_MIN_SIZE + 5
    spot = rng.uniform(50, 300, n)
    strike = spot * rng.uniform(0.6, 1.4, n)
    t = rng.uniform(0.0, 2.0, n)
    kind = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    vol = rng.uniform(0.05, 1.0, n)
    fast = european.european_greeks(
        kind=kind, spot=spot, strike=strike, t_years=t, rate=0.04, div_yield=0.012, vol=vol
    )
    _, slow = generalized_greeks(
        kind, spot, strike, t, np.full(n, 0.04), np.full(n, 0.04 - 0.012), vol
    )
    for name in slow.FIELDS:
        np.testing.assert_allclose(
            getattr(fast, name), getattr(slow, name), rtol=1e-9, atol=1e-12, err_msg=name
        )
