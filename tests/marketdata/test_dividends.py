"""IWM dividend history -> quarterly forecast, and the dividend-yield helpers.

Facts below are copied from /work/shared/data/iwm_dividends_known.csv (ex_date, amount per share),
so the suite runs without that folder.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pytest

from marketdata.calendar import is_session
from marketdata.dividends import (
    continuous_yield,
    forecast_from_history,
    forecast_from_yield,
    forward_yield,
    load_dividend_csv,
    project_ex_dates,
    schedule_exact,
    slot_month,
    trailing_yield,
)
from marketdata.errors import SchemaError
from marketdata.snapshot import DividendForecast, RateCurve
from pricing.errors import InputError
from pricing.types import NEW_YORK, SECONDS_PER_YEAR

# iwm_dividends_known.csv, 2016-2019 (QuantConnect-derived) and 2024-2025 (yfinance) rows
IWM_2016_2019 = [
    (date(2016, 3, 23), 0.33),
    (date(2016, 7, 6), 0.63),
    (date(2016, 9, 26), 0.35),
    (date(2016, 12, 22), 0.57),
    (date(2017, 3, 24), 0.39),
    (date(2017, 7, 6), 0.61),
    (date(2017, 9, 26), 0.35),
    (date(2017, 12, 21), 0.58),
    (date(2018, 3, 22), 0.37),
    (date(2018, 7, 3), 0.6),
    (date(2018, 9, 26), 0.46),
    (date(2018, 12, 17), 0.4693),
    (date(2019, 3, 20), 0.4121),
    (date(2019, 6, 17), 0.533),
    (date(2019, 9, 24), 0.5437),
    (date(2019, 12, 16), 0.5973),
]
IWM_2024_2025 = [
    (date(2024, 3, 21), 0.522),
    (date(2024, 6, 11), 0.562),
    (date(2024, 9, 25), 0.752),
    (date(2024, 12, 17), 0.694),
    (date(2025, 3, 18), 0.46),
    (date(2025, 6, 16), 0.576),
    (date(2025, 9, 16), 0.677),
]


def ny(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=NEW_YORK)


def test_slot_months() -> None:
    assert slot_month(date(2018, 7, 3)) == 6  # IWM's early-July ex-dates belong to June
    assert slot_month(date(2001, 10, 1)) == 9
    assert slot_month(date(2018, 12, 17)) == 12
    assert slot_month(date(2019, 3, 20)) == 3
    assert slot_month(date(2020, 1, 20)) == 12  # wraps around the year end


def test_forecast_2018_from_history_to_end_2017() -> None:
    forecast = forecast_from_history(IWM_2016_2019, as_of=ny(2018, 1, 5), horizon_years=1.0)
    actual_2018 = [x for x in IWM_2016_2019 if x[0].year == 2018]
    assert len(forecast.ex_dates) == 4
    for projected, (actual, _) in zip(forecast.ex_dates, actual_2018, strict=True):
        assert abs((projected - actual).days) <= 7, (projected, actual)
        assert is_session(projected)
    # seasonal, from 2017: 0.39, 0.61, 0.35, 0.58 (a flat mean would miss the pattern)
    assert forecast.amounts == pytest.approx((0.39, 0.61, 0.35, 0.58))
    actual_total = sum(a for _, a in actual_2018)  # 1.8993
    assert sum(forecast.amounts) == pytest.approx(actual_total, rel=0.10)


def test_forecast_ignores_history_after_as_of() -> None:
    full = forecast_from_history(IWM_2016_2019, as_of=ny(2018, 1, 5))
    cut = forecast_from_history(
        [x for x in IWM_2016_2019 if x[0] < date(2018, 1, 1)], as_of=ny(2018, 1, 5)
    )
    assert full == cut


def test_forecast_from_recent_iwm_history() -> None:
    forecast = forecast_from_history(IWM_2024_2025, as_of=ny(2025, 10, 1), until=date(2026, 12, 31))
    assert forecast.ex_dates[:4] == (
        date(2025, 12, 17),
        date(2026, 3, 18),
        date(2026, 6, 16),
        date(2026, 9, 16),
    )
    # December repeats December 2024; the others the 2025 payments
    assert forecast.amounts[:4] == pytest.approx((0.694, 0.46, 0.576, 0.677))
    assert {d.month for d in forecast.ex_dates} == {3, 6, 9, 12}
    assert all(is_session(d) for d in forecast.ex_dates)
    assert forecast.ex_dates[-1] <= date(2026, 12, 31)
    # growth compounds per year ahead
    grown = forecast_from_history(
        IWM_2024_2025, as_of=ny(2025, 10, 1), until=date(2026, 12, 31), annual_growth=0.10
    )
    assert grown.amounts[0] == pytest.approx(0.694)
    assert grown.amounts[-1] == pytest.approx(forecast.amounts[-1] * 1.10)


def test_forecast_empty_or_stale_history() -> None:
    assert forecast_from_history([], as_of=ny(2025, 10, 1)) == DividendForecast()
    assert forecast_from_history(IWM_2016_2019, as_of=ny(2023, 1, 5)) == DividendForecast()
    with pytest.raises(InputError, match="as_of"):
        forecast_from_history(IWM_2024_2025, as_of=datetime(2025, 10, 1))
    with pytest.raises(InputError, match=r"history\[0\].amount"):
        forecast_from_history([(date(2025, 1, 2), -1.0)], as_of=ny(2025, 10, 1))


def test_same_day_payments_are_summed() -> None:
    history = [(date(2025, 3, 18), 0.30), (date(2025, 3, 18), 0.16), *IWM_2024_2025[5:]]
    forecast = forecast_from_history(history, as_of=ny(2025, 10, 1), until=date(2026, 6, 30))
    march = [a for d, a in zip(forecast.ex_dates, forecast.amounts, strict=True) if d.month == 3]
    assert march == pytest.approx([0.46])


def test_project_ex_dates_roll_back_to_sessions() -> None:
    # 2026-12-25 is a holiday (-> 24th); 2027-03-27 is a Saturday (-> Friday 26th is Good Friday -> 25th)
    out = project_ex_dates(date(2026, 12, 1), date(2027, 3, 31), {12: 25, 3: 27})
    assert out == [date(2026, 12, 24), date(2027, 3, 25)]


def test_trailing_and_forward_yields() -> None:
    # 2024-12-17 .. 2025-09-16: 0.694 + 0.46 + 0.576 + 0.677 = 2.407 over 240
    assert trailing_yield(IWM_2024_2025, as_of=ny(2025, 10, 1), spot=240.0) == pytest.approx(
        2.407 / 240.0
    )
    forecast = forecast_from_yield(
        as_of=ny(2026, 11, 20, 16, 15),
        spot=277.67,
        annual_yield=0.012,
        ex_dates=[
            date(2026, 12, 15),
            date(2027, 3, 24),
            date(2027, 6, 23),
            date(2027, 9, 22),
            date(2027, 12, 15),
        ],
        weights_by_month={3: 0.522, 6: 0.562, 9: 0.752, 12: 0.694},
    )
    assert sum(forecast.amounts[:4]) == pytest.approx(0.012 * 277.67, abs=2e-4)
    assert forecast.amounts[0] == pytest.approx(0.012 * 277.67 * 0.694 / 2.53, abs=1e-4)
    fy = forward_yield(forecast, as_of=ny(2026, 11, 20, 16, 15), spot=277.67, years=1.0)
    assert fy == pytest.approx(sum(forecast.amounts[:4]) / 277.67)
    with pytest.raises(InputError, match="ex_dates"):
        forecast_from_yield(
            as_of=ny(2026, 11, 20),
            spot=100.0,
            annual_yield=0.01,
            ex_dates=[date(2027, 1, 5)],
            weights_by_month={3: 1.0},
        )


def test_continuous_yield_matches_the_forward() -> None:
    as_of = ny(2026, 11, 20, 16, 15)
    forecast = DividendForecast((date(2026, 12, 15), date(2027, 3, 24)), (0.9, 0.7))
    curve = RateCurve.flat(0.04)
    t = 0.5
    sched = schedule_exact(forecast, as_of)
    pv = sum(
        a * math.exp(-0.04 * ti) for ti, a in zip(sched.times_years, sched.amounts, strict=True)
    )
    q = continuous_yield(forecast, as_of=as_of, spot=277.67, t_years=t, curve=curve)
    assert q == pytest.approx(-math.log(1 - pv / 277.67) / t, rel=1e-12)
    # same forward: S e^{(r-q)T} = (S - PV) e^{rT}
    assert 277.67 * math.exp((0.04 - q) * t) == pytest.approx(
        (277.67 - pv) * math.exp(0.04 * t), rel=1e-12
    )


def test_schedule_exact_counts_the_daylight_saving_hour() -> None:
    as_of = ny(2026, 11, 20, 16, 15)  # EST; the March ex-date is in EDT
    forecast = DividendForecast((date(2027, 3, 24),), (0.7,))
    exact = schedule_exact(forecast, as_of).times_years[0]
    utc_seconds = datetime(2027, 3, 24, 9, 30, tzinfo=NEW_YORK).timestamp() - as_of.timestamp()
    assert exact == pytest.approx(utc_seconds / SECONDS_PER_YEAR, rel=1e-14)


def test_load_dividend_csv(tmp_path: Path) -> None:
    good = tmp_path / "divs.csv"
    good.write_text(
        "ex_date,dividend_per_share,source\n2025-06-16,0.576,x\n2025-03-18,0.46,x\n",
        encoding="utf-8",
    )
    assert load_dividend_csv(good) == [(date(2025, 3, 18), 0.46), (date(2025, 6, 16), 0.576)]
    bad = tmp_path / "bad.csv"
    bad.write_text("ex_date,dividend_per_share\n2025-13-01,0.4\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="line 2"):
        load_dividend_csv(bad)
    cols = tmp_path / "cols.csv"
    cols.write_text("day,amt\n2025-01-01,0.1\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="ex_date"):
        load_dividend_csv(cols)
    with pytest.raises(SchemaError, match="cannot read"):
        load_dividend_csv(tmp_path / "missing.csv")
