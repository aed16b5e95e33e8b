"""Expiry calendars on real exchange sessions, and exact, time-zone-proof times to expiry."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata.calendar import (
    LISTING_RULES,
    ExpiryClass,
    expiry_datetime,
    is_session,
    last_session_of_month,
    listed_expiries,
    monthly_expiry,
    previous_session,
    session_on_or_before,
    sessions_between,
    t_years,
    third_friday,
)
from pricing.errors import InputError
from pricing.types import NEW_YORK, SECONDS_PER_YEAR, Delivery, ExerciseStyle, SettlementTime

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 11, 20, 16, 15, tzinfo=NEW_YORK)  # the demo snapshot's as-of (a Friday)


# ---------------------------------------------------------------------------------------------
# Sessions and holiday moves
# ---------------------------------------------------------------------------------------------


def test_third_friday_and_holiday_moves() -> None:
    assert third_friday(2026, 12) == date(2026, 12, 18)
    assert monthly_expiry(2026, 12) == date(2026, 12, 18)
    # Juneteenth (Friday 2026-06-19) is the June 2026 third Friday: expiry moves to Thursday
    assert third_friday(2026, 6) == date(2026, 6, 19)
    assert not is_session(date(2026, 6, 19))
    assert monthly_expiry(2026, 6) == date(2026, 6, 18)
    # 2027: Juneteenth is a Saturday, observed Friday 2027-06-18 = the third Friday
    assert monthly_expiry(2027, 6) == date(2027, 6, 17)
    # Good Friday 2027-03-26 is not a session; a Friday expiry that day moves to Thursday
    assert not is_session(date(2027, 3, 26))
    assert session_on_or_before(date(2027, 3, 26)) == date(2027, 3, 25)
    assert monthly_expiry(2027, 3) == date(2027, 3, 19)  # the third Friday itself is open


def test_sessions_and_month_ends() -> None:
    assert not is_session(date(2026, 11, 26))  # Thanksgiving
    assert is_session(date(2026, 11, 27))  # the half day after it is a session
    assert previous_session(date(2026, 11, 27)) == date(2026, 11, 25)
    assert last_session_of_month(2027, 4) == date(2027, 4, 30)
    assert last_session_of_month(2026, 10) == date(2026, 10, 30)  # 31st is a Saturday
    assert sessions_between(date(2026, 12, 24), date(2026, 12, 28)) == [
        date(2026, 12, 24),
        date(2026, 12, 28),
    ]
    assert sessions_between(date(2026, 12, 28), date(2026, 12, 24)) == []
    # a date far beyond exchange_calendars' default one-year end still works (LEAPS)
    assert is_session(date(2041, 6, 3))
    with pytest.raises(InputError, match="date"):
        is_session(date(1999, 1, 4))


# ---------------------------------------------------------------------------------------------
# Listed expiries
# ---------------------------------------------------------------------------------------------


def test_iwm_listing_as_of_demo_date() -> None:
    listed = listed_expiries("IWM", AS_OF)
    dates = [e.expiry for e in listed]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert all(e.settlement is SettlementTime.PM and e.root == "IWM" for e in listed)
    assert all(
        e.style is ExerciseStyle.AMERICAN and e.delivery is Delivery.PHYSICAL for e in listed
    )
    assert all(e.multiplier == 100.0 and e.last_trade_date == e.expiry for e in listed)
    assert date(2026, 11, 20) not in dates  # expired at 16:00, as-of is 16:15
    assert dates[0] == date(2026, 11, 23)
    assert date(2026, 11, 26) not in dates  # Thanksgiving
    by_date = {e.expiry: e.classes for e in listed}
    dailies = [d for d, c in by_date.items() if ExpiryClass.DAILY in c]
    assert dailies == sessions_between(date(2026, 11, 21), date(2026, 12, 4))
    # Christmas Friday -> Thursday weekly; New Year's Day Friday -> Thursday 12-31, also quarterly
    assert ExpiryClass.WEEKLY in by_date[date(2026, 12, 24)]
    assert by_date[date(2026, 12, 31)] >= {ExpiryClass.WEEKLY, ExpiryClass.QUARTERLY}
    monthlies = sorted(d for d, c in by_date.items() if ExpiryClass.MONTHLY in c)
    assert (
        len(monthlies) == 12
        and monthlies[0] == date(2026, 12, 18)
        and monthlies[-1] == date(2027, 11, 19)
    )
    assert date(2027, 6, 17) in monthlies  # Juneteenth observed on the third Friday
    quarterlies = sorted(d for d, c in by_date.items() if ExpiryClass.QUARTERLY in c)
    assert quarterlies == [
        date(2026, 12, 31),
        date(2027, 3, 31),
        date(2027, 6, 30),
        date(2027, 9, 30),
    ]
    leaps = sorted(d for d, c in by_date.items() if ExpiryClass.LEAPS in c)
    assert leaps == [date(2028, 1, 21), date(2028, 6, 16)]
    assert max(dates) <= date(2028, 11, 20)


def test_same_day_pm_expiry_listed_before_the_close() -> None:
    morning = datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK)
    assert listed_expiries("IWM", morning)[0].expiry == date(2026, 11, 20)
    assert listed_expiries("IWM", AS_OF)[0].expiry == date(2026, 11, 23)


def test_good_friday_weekly_moves_to_thursday() -> None:
    listed = listed_expiries("IWM", datetime(2027, 3, 1, 12, 0, tzinfo=NEW_YORK))
    dates = {e.expiry for e in listed}
    assert date(2027, 3, 25) in dates and date(2027, 3, 26) not in dates


def test_juneteenth_monthly_moves_to_thursday() -> None:
    listed = listed_expiries("IWM", datetime(2026, 5, 1, 12, 0, tzinfo=NEW_YORK))
    june = [
        e
        for e in listed
        if e.expiry.month == 6 and e.expiry.year == 2026 and ExpiryClass.MONTHLY in e.classes
    ]
    assert [e.expiry for e in june] == [date(2026, 6, 18)]


def test_rut_am_monthlies_and_pm_weeklies() -> None:
    listed = listed_expiries("RUT", AS_OF)
    am = [e for e in listed if e.settlement is SettlementTime.AM]
    pm = [e for e in listed if e.settlement is SettlementTime.PM]
    assert am and pm
    assert all(e.root == "RUT" for e in am) and all(e.root == "RUTW" for e in pm)
    assert all(e.style is ExerciseStyle.EUROPEAN and e.delivery is Delivery.CASH for e in listed)
    for e in am:  # monthlies settle at the open; last trade the session before
        assert e.classes & {ExpiryClass.MONTHLY, ExpiryClass.LEAPS}
        assert e.last_trade_date == previous_session(e.expiry)
        assert e.expiry_datetime.hour == 9 and e.expiry_datetime.minute == 30
    assert date(2026, 12, 18) in {e.expiry for e in am}
    assert date(2027, 12, 17) in {e.expiry for e in am if ExpiryClass.LEAPS in e.classes}
    # one series per date: no PM RUTW on an AM monthly's date
    assert len({e.expiry for e in listed}) == len(listed)
    assert any(ExpiryClass.END_OF_MONTH in e.classes for e in pm)
    assert any(ExpiryClass.DAILY in e.classes for e in pm)


def test_rut_am_expiry_leaves_the_listing_at_the_open() -> None:
    before = datetime(2026, 12, 18, 9, 29, tzinfo=NEW_YORK)
    after = datetime(2026, 12, 18, 9, 31, tzinfo=NEW_YORK)
    assert date(2026, 12, 18) in {e.expiry for e in listed_expiries("RUT", before)}
    assert date(2026, 12, 18) not in {e.expiry for e in listed_expiries("RUT", after)}


def test_mrut_and_spy_terms() -> None:
    mrut = listed_expiries("MRUT", AS_OF)
    assert all(e.settlement is SettlementTime.PM and e.root == "MRUT" for e in mrut)
    assert all(e.multiplier == 100.0 and e.style is ExerciseStyle.EUROPEAN for e in mrut)
    assert date(2026, 12, 18) in {e.expiry for e in mrut}  # PM-settled third Friday
    spy = listed_expiries("SPY", AS_OF)
    leaps = {e.expiry for e in spy if ExpiryClass.LEAPS in e.classes}
    assert leaps == {date(2027, 12, 17), date(2028, 1, 21), date(2028, 3, 17), date(2028, 6, 16)}
    assert all(e.style is ExerciseStyle.AMERICAN for e in spy)
    assert listed_expiries("^rut", AS_OF) == listed_expiries("RUT", AS_OF)


def test_listing_errors_name_the_field() -> None:
    with pytest.raises(InputError, match="symbol"):
        listed_expiries("QQQ", AS_OF)
    with pytest.raises(InputError, match="as_of"):
        listed_expiries("IWM", datetime(2026, 11, 20, 16, 15))
    with pytest.raises(InputError, match="horizon_years"):
        listed_expiries("IWM", AS_OF, horizon_years=0.0)


def test_listed_expiry_unpacks() -> None:
    first = listed_expiries("RUT", AS_OF)[0]
    day, settlement, root = first
    assert (day, settlement, root) == (date(2026, 11, 23), SettlementTime.PM, "RUTW")


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2034, 12, 31),
        timezones=st.just(NEW_YORK),
    ),
    st.sampled_from(sorted(LISTING_RULES)),
)
def test_listing_invariants(as_of: datetime, symbol: str) -> None:
    listed = listed_expiries(symbol, as_of)
    assert listed, "something is always listed"
    moments = [e.expiry_datetime for e in listed]
    assert moments == sorted(moments)
    assert len({e.expiry for e in listed}) == len(listed)
    for e in listed:
        assert is_session(e.expiry)
        assert e.expiry_datetime > as_of
        assert e.expiry <= as_of.date() + timedelta(days=731)
        if ExpiryClass.MONTHLY in e.classes or ExpiryClass.LEAPS in e.classes:
            tf = third_friday(e.expiry.year, e.expiry.month)
            assert e.expiry == tf or (not is_session(tf) and e.expiry == session_on_or_before(tf))
        if ExpiryClass.QUARTERLY in e.classes:
            assert e.expiry.month in (3, 6, 9, 12)
            assert e.expiry == last_session_of_month(e.expiry.year, e.expiry.month)


# ---------------------------------------------------------------------------------------------
# Exact times
# ---------------------------------------------------------------------------------------------


def test_expiry_datetime_is_new_york_wall_clock() -> None:
    pm = expiry_datetime(date(2026, 12, 18), "pm")
    am = expiry_datetime(date(2027, 6, 17), SettlementTime.AM)
    assert pm.tzinfo is not None and am.tzinfo is not None
    assert pm.astimezone(UTC) == datetime(2026, 12, 18, 21, 0, tzinfo=UTC)  # EST, UTC-5
    assert am.astimezone(UTC) == datetime(2027, 6, 17, 13, 30, tzinfo=UTC)  # EDT, UTC-4
    with pytest.raises(InputError, match="settlement"):
        expiry_datetime(date(2026, 12, 18), "noon")


def test_t_years_on_expiry_day_around_the_close() -> None:
    expiry = date(2026, 12, 18)
    at_1559 = datetime(2026, 12, 18, 15, 59, tzinfo=NEW_YORK)
    at_1601 = datetime(2026, 12, 18, 16, 1, tzinfo=NEW_YORK)
    assert t_years(at_1559, expiry, "pm") == pytest.approx(60.0 / SECONDS_PER_YEAR, rel=1e-12)
    assert t_years(at_1601, expiry, "pm") == pytest.approx(-60.0 / SECONDS_PER_YEAR, rel=1e-12)
    assert t_years(at_1601, expiry, "pm") <= 0.0


def test_t_years_am_settlement() -> None:
    as_of = datetime(2026, 12, 17, 16, 0, tzinfo=NEW_YORK)  # last trading day's close
    t_am = t_years(as_of, date(2026, 12, 18), "am")
    t_pm = t_years(as_of, date(2026, 12, 18), "pm")
    assert t_am == pytest.approx(17.5 * 3600 / SECONDS_PER_YEAR, rel=1e-12)
    assert t_pm - t_am == pytest.approx(6.5 * 3600 / SECONDS_PER_YEAR, rel=1e-12)
    at_open = datetime(2026, 12, 18, 9, 31, tzinfo=NEW_YORK)
    assert t_years(at_open, date(2026, 12, 18), "am") < 0.0


def test_t_years_across_daylight_saving_end() -> None:
    # Clocks go back at 02:00 on 2026-11-01: Saturday 16:00 to Monday 16:00 is 49 real hours.
    as_of = datetime(2026, 10, 31, 16, 0, tzinfo=NEW_YORK)
    t = t_years(as_of, date(2026, 11, 2), "pm")
    assert t == pytest.approx(49 * 3600 / SECONDS_PER_YEAR, rel=1e-12)
    # a Sunday-night as-of after the change
    night = datetime(2026, 11, 1, 22, 0, tzinfo=NEW_YORK)
    assert t_years(night, date(2026, 11, 2), "pm") == pytest.approx(
        18 * 3600 / SECONDS_PER_YEAR, rel=1e-12
    )
    # and the spring change: 2027-03-14 loses an hour
    spring = datetime(2027, 3, 13, 16, 0, tzinfo=NEW_YORK)
    assert t_years(spring, date(2027, 3, 15), "pm") == pytest.approx(
        47 * 3600 / SECONDS_PER_YEAR, rel=1e-12
    )


def test_t_years_same_instant_in_any_zone() -> None:
    ny = datetime(2026, 11, 20, 16, 15, tzinfo=NEW_YORK)
    utc = ny.astimezone(UTC)
    tokyo = ny.astimezone(timezone(timedelta(hours=9)))
    values = {t_years(x, date(2027, 6, 17), "pm") for x in (ny, utc, tokyo)}
    assert len(values) == 1


def test_t_years_rejects_naive_as_of() -> None:
    with pytest.raises(InputError, match="as_of"):
        t_years(datetime(2026, 11, 20, 16, 15), date(2026, 12, 18), "pm")


_TZ_SCRIPT = """
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo
time.tzset()
from marketdata.calendar import t_years
ny = datetime(2026, 11, 20, 16, 15, tzinfo=ZoneInfo("America/New_York"))
local = datetime.fromtimestamp(ny.timestamp()).astimezone()  # the machine's own zone
print(repr(t_years(ny, date(2027, 6, 17), "pm")), repr(t_years(local, date(2027, 6, 17), "pm")),
      repr(t_years(local, date(2026, 11, 23), "am")))
"""


def test_t_years_independent_of_machine_time_zone() -> None:
    outputs = []
    for tz in ("Asia/Tokyo", "America/New_York", "UTC"):
        env = {**os.environ, "TZ": tz, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", _TZ_SCRIPT],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.strip())
    assert outputs[0] == outputs[1] == outputs[2]
    first, local, _ = outputs[0].split()
    assert first == local
