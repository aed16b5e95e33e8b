"""Core contract types: validation naming the field, exact time to expiry across DST and zones."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
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


@pytest.mark.parametrize("form", ["series", "str_array", "list", "enums", "signs", "object_copies"])
def test_public_functions_agree_with_the_numpy_kernel_whatever_the_form_of_kind(form: str) -> None:
    """The fused, validating kernel behind the public functions gives the numpy kernel's values
    for every form a user holds kinds in, with scalars broadcast against the columns."""
    import numpy as np
    import pandas as pd

    from pricing import european
    from pricing.black_scholes import generalized_greeks, generalized_price
    from pricing.types import OptionKind

    rng = np.random.default_rng(7)
    n = 70_001  # several chunks of the threaded kernel
    spot = rng.uniform(50, 300, n)
    strike = spot * rng.uniform(0.6, 1.4, n)
    t = rng.uniform(0.0, 2.0, n)
    t[:5] = 0.0  # at expiry: intrinsic value
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    words = np.where(sign > 0, "call", "put")
    kind = {
        "series": pd.Series(words),
        "str_array": words,
        "list": words.tolist(),
        "enums": np.array([OptionKind(w) for w in words], dtype=object),
        "signs": sign,
        # every element its own string object: more distinct objects than the identity table
        "object_copies": np.array(["".join(w) for w in words], dtype=object),
    }[form]
    vol = rng.uniform(0.05, 1.0, n)
    args = dict(spot=spot, strike=strike, t_years=t, rate=0.04, div_yield=0.012, vol=vol)
    fast = european.european_greeks(kind=kind, **args)
    price = european.european_price(kind=kind, **args)
    rate, carry = np.full(n, 0.04), np.full(n, 0.04 - 0.012)
    value, slow = generalized_greeks(sign, spot, strike, t, rate, carry, vol)
    np.testing.assert_allclose(
        price, generalized_price(sign, spot, strike, t, rate, carry, vol), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(price, value, rtol=1e-12, atol=1e-12)
    for name in slow.FIELDS:
        np.testing.assert_allclose(
            getattr(fast, name), getattr(slow, name), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_public_functions_broadcast_like_numpy() -> None:
    import numpy as np

    from pricing import european
    from pricing.black_scholes import generalized_price

    strike = np.array([[90.0], [100.0], [110.0]])  # (3, 1) against (4,): a (3, 4) grid
    t = np.array([0.0, 0.1, 0.5, 1.0])
    price = european.european_price(
        kind=["put", "call", "put", "call"],
        spot=100.0,
        strike=strike,
        t_years=t,
        rate=0.03,
        vol=0.25,
    )
    sign = np.array([-1.0, 1.0, -1.0, 1.0])
    assert price.shape == (3, 4)
    np.testing.assert_allclose(
        price, generalized_price(sign, 100.0, strike, t, 0.03, 0.03, 0.25), rtol=1e-12
    )
    with pytest.raises(InputError, match="shape"):
        european.european_price(
            kind="put", spot=[1.0, 2.0], strike=[1.0, 2.0, 3.0], t_years=0.1, rate=0.0, vol=0.2
        )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"kind": ["call", "put", "cal"]}, r"kind\[2\]='cal'"),
        ({"kind": np.array(["call", "straddle"])}, r"kind\[1\]='straddle'"),
        ({"kind": [1.0, -1.0, 0.0]}, r"kind=.*0.*numeric kinds"),
        ({"spot": [100.0, np.nan, 100.0]}, r"spot\[1\]=nan"),
        ({"strike": [100.0, 100.0, -5.0]}, r"strike\[2\]=-5.0"),
        ({"t_years": [0.1, -0.1, 0.1]}, r"t_years\[1\]=-0.1"),
        ({"rate": [0.0, np.inf, 0.0]}, r"rate\[1\]=inf"),
        ({"div_yield": [0.0, 0.0, np.nan]}, r"div_yield\[2\]=nan"),
        ({"vol": [0.2, 0.0, 0.2]}, r"vol\[1\]=0.0"),
        ({"spot": [100.0, -1.0, 100.0], "vol": [0.2, 9.0, 0.2]}, r"spot\[1\]"),  # field order
    ],
)
def test_public_functions_name_the_first_bad_field_and_value(
    bad: dict[str, object], message: str
) -> None:
    from pricing import european

    args: dict[str, object] = dict(
        kind="call", spot=100.0, strike=100.0, t_years=0.5, rate=0.04, div_yield=0.0, vol=0.2
    )
    args.update(bad)
    for func in (european.european_price, european.european_greeks):
        with pytest.raises(InputError, match=message):
            func(**args)
