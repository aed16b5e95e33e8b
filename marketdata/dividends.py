"""Cash-dividend histories to forecasts of the next quarterly ex-dates and amounts, and
dividend-yield helpers.

The projection (:func:`forecast_from_history`), made for IWM-like quarterly payers:

1. Each past ex-date is assigned to the nearest *slot* month in ``ex_months`` (IWM: March, June,
   September, December; an early-July ex-date, as IWM had in 2008-2018, counts as June).
2. The *reference year* is the last four slots paid (the dividends with ex-date within about a
   year of the latest one). Its amount per slot (summed if two fell in one slot) is next year's
   forecast for that slot: IWM's dividends are seasonal (September and December larger), so the
   trailing year is projected slot by slot, not as a flat mean. A slot the reference year lacks
   gets the mean of the others. ``annual_growth`` (default 0) compounds per year ahead.
3. The ex-date of each slot repeats the day of month of that slot's latest ex-date (IWM goes ex
   in late March, June, September and mid-December), rolled back to an exchange session. A slot
   with no history uses ``default_days``.

Units: amounts in currency per share; yields as decimals per year (0.012 = 1.2 %); dates are
New York calendar dates; ``as_of`` is tz-aware.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from marketdata.calendar import require_aware, session_on_or_before
from marketdata.errors import SchemaError
from marketdata.snapshot import EX_DIVIDEND_CLOCK, DividendForecast, RateCurve, years_between
from pricing.dividends import equivalent_yield
from pricing.errors import InputError
from pricing.types import NEW_YORK, DividendSchedule

QUARTERLY_MONTHS: tuple[int, ...] = (3, 6, 9, 12)
IWM_DEFAULT_EX_DAYS: Mapping[int, int] = {3: 24, 6: 23, 9: 22, 12: 15}
"""Day of month used for a slot with no history (late March/June/September, mid-December)."""


def _check_history(history: Iterable[tuple[date, float]]) -> list[tuple[date, float]]:
    """Sorted (ex_date, amount) pairs, same-day payments summed; raises on bad rows."""
    merged: dict[date, float] = {}
    for i, row in enumerate(history):
        try:
            day, amount = row
        except (TypeError, ValueError):
            raise InputError(f"history[{i}]", row, "must be an (ex_date, amount) pair") from None
        if isinstance(day, datetime) or not isinstance(day, date):
            raise InputError(f"history[{i}].ex_date", day, "must be a datetime.date")
        value = float(amount)
        if not math.isfinite(value) or value < 0.0:
            raise InputError(f"history[{i}].amount", amount, "must be finite and >= 0")
        merged[day] = merged.get(day, 0.0) + value
    return sorted(merged.items())


def _as_of_date(as_of: datetime) -> date:
    return require_aware("as_of", as_of).astimezone(NEW_YORK).date()


def slot_month(day: date, ex_months: Sequence[int] = QUARTERLY_MONTHS) -> int:
    """The month of ``ex_months`` whose middle is nearest to ``day`` on the circular year (ties
    go to the earlier month): an early-July ex-date belongs to June, a January one to December."""
    position = day.month + (day.day - 1) / 31.0
    best = ex_months[0]
    best_dist = 99.0
    for m in ex_months:
        dist = abs(position - (m + 0.5))
        dist = min(dist, 12.0 - dist)
        if dist < best_dist - 1e-12:
            best, best_dist = m, dist
    return best


def load_dividend_csv(path: str | Path) -> list[tuple[date, float]]:
    """Read a dividend history CSV with columns ``ex_date`` (YYYY-MM-DD) and
    ``dividend_per_share`` (or ``amount``); returns sorted (ex_date, amount) pairs."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            amount_col = "dividend_per_share" if "dividend_per_share" in fields else "amount"
            if "ex_date" not in fields or amount_col not in fields:
                raise SchemaError(
                    f"{p}: needs columns 'ex_date' and 'dividend_per_share' (has {fields})"
                )
            rows: list[tuple[date, float]] = []
            for n, row in enumerate(reader, start=2):
                try:
                    rows.append(
                        (date.fromisoformat(row["ex_date"].strip()), float(row[amount_col]))
                    )
                except (ValueError, AttributeError):
                    raise SchemaError(f"{p}: line {n}: bad ex_date/amount {row!r}") from None
    except OSError as exc:
        raise SchemaError(f"{p}: cannot read dividend history: {exc}") from exc
    return _check_history(rows)


def project_ex_dates(
    start: date,
    until: date,
    days_by_month: Mapping[int, int],
) -> list[date]:
    """Ex-dates on the given (month -> day of month) pattern with ``start < d <= until``, each
    rolled back to an exchange session (a weekend or holiday goes to the session before)."""
    out: list[date] = []
    for year in range(start.year, until.year + 1):
        for month in sorted(days_by_month):
            day = min(
                days_by_month[month], 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31
            )
            ex = session_on_or_before(date(year, month, day))
            if start < ex <= until and (not out or ex > out[-1]):
                out.append(ex)
    return out


def forecast_from_history(
    history: Iterable[tuple[date, float]],
    *,
    as_of: datetime,
    until: date | None = None,
    horizon_years: float = 2.0,
    ex_months: Sequence[int] = QUARTERLY_MONTHS,
    default_days: Mapping[int, int] | None = None,
    annual_growth: float = 0.0,
    max_staleness_days: int = 500,
) -> DividendForecast:
    """Forecast the ex-dates and amounts after ``as_of`` (up to ``until``, default
    ``horizon_years`` ahead) from a history of ``(ex_date, amount)`` pairs, seasonally by slot
    (see the module docstring). Only history on or before ``as_of``'s New York date is used.

    An empty history, or one whose latest dividend is older than ``max_staleness_days``, gives an
    empty forecast (no dividend assumed rather than a stale one).
    """
    today = _as_of_date(as_of)
    if (
        not isinstance(horizon_years, (int, float))
        or not math.isfinite(horizon_years)
        or horizon_years <= 0
    ):
        raise InputError("horizon_years", horizon_years, "must be finite and > 0")
    if (
        not isinstance(annual_growth, (int, float))
        or not math.isfinite(annual_growth)
        or annual_growth <= -1
    ):
        raise InputError("annual_growth", annual_growth, "must be a finite decimal > -1")
    months = tuple(sorted(set(ex_months)))
    if not months or any(not 1 <= m <= 12 for m in months):
        raise InputError("ex_months", ex_months, "must be months 1..12")
    end = until if until is not None else today + timedelta(days=round(horizon_years * 365.0))
    past = [(d, a) for d, a in _check_history(history) if d <= today and a > 0.0]
    if not past or (today - past[-1][0]).days > max_staleness_days:
        return DividendForecast()

    latest = past[-1][0]
    window_start = latest - timedelta(days=365 - 45)  # the last ~four quarterly payments
    by_slot: dict[int, float] = {}
    for d, a in past:
        if d > window_start:
            slot = slot_month(d, months)
            by_slot[slot] = by_slot.get(slot, 0.0) + a
    mean_amount = sum(by_slot.values()) / len(by_slot)
    amounts = {m: by_slot.get(m, mean_amount) for m in months}

    defaults = dict(default_days or IWM_DEFAULT_EX_DAYS)
    latest_by_slot: dict[int, date] = {}
    for d, _ in past:  # the latest ex-date of each slot sets its month and day
        latest_by_slot[slot_month(d, months)] = d
    pattern: dict[int, int] = {}
    for m in months:
        seen = latest_by_slot.get(m)
        # A slot's ex-date can sit in a neighbouring month (early July for June): keep that month.
        if seen is not None and seen.month not in pattern:
            pattern[seen.month] = seen.day
        else:
            pattern[m] = defaults.get(m, 20)
    ex_dates = project_ex_dates(today, end, pattern)
    out_dates: list[date] = []
    out_amounts: list[float] = []
    for ex in ex_dates:
        years_ahead = max(0.0, (ex - latest).days / 365.0 - 1.0)
        amount = amounts[slot_month(ex, months)] * (1.0 + annual_growth) ** math.ceil(years_ahead)
        out_dates.append(ex)
        out_amounts.append(round(amount, 6))
    return DividendForecast(tuple(out_dates), tuple(out_amounts))


def forecast_from_yield(
    *,
    as_of: datetime,
    spot: float,
    annual_yield: float,
    ex_dates: Sequence[date],
    weights_by_month: Mapping[int, float],
    decimals: int = 4,
) -> DividendForecast:
    """A forecast paying ``annual_yield`` (decimal) of ``spot`` per year, split over the year's
    ex-dates by ``weights_by_month`` (month -> share of the annual total; normalised to sum to
    1), amounts rounded to ``decimals``. Ex-dates on or before ``as_of`` are dropped."""
    today = _as_of_date(as_of)
    if not isinstance(spot, (int, float)) or not math.isfinite(spot) or spot <= 0:
        raise InputError("spot", spot, "must be finite and > 0")
    if (
        not isinstance(annual_yield, (int, float))
        or not math.isfinite(annual_yield)
        or not 0 <= annual_yield < 1
    ):
        raise InputError("annual_yield", annual_yield, "must be a decimal in [0, 1)")
    total = sum(weights_by_month.values())
    if not total > 0 or any(not (w >= 0) for w in weights_by_month.values()):
        raise InputError(
            "weights_by_month", dict(weights_by_month), "must be >= 0 with a positive sum"
        )
    dates: list[date] = []
    amounts: list[float] = []
    for ex in sorted(set(ex_dates)):
        if ex <= today:
            continue
        weight = weights_by_month.get(ex.month)
        if weight is None:
            raise InputError("ex_dates", ex, f"month {ex.month} has no weight in weights_by_month")
        dates.append(ex)
        amounts.append(round(annual_yield * spot * weight / total, decimals))
    return DividendForecast(tuple(dates), tuple(amounts))


def trailing_yield(history: Iterable[tuple[date, float]], *, as_of: datetime, spot: float) -> float:
    """Trailing twelve-month dividend yield (decimal): dividends with ex-date in the 365 days up to
    ``as_of``'s New York date, divided by ``spot``."""
    today = _as_of_date(as_of)
    if not isinstance(spot, (int, float)) or not math.isfinite(spot) or spot <= 0:
        raise InputError("spot", spot, "must be finite and > 0")
    start = today - timedelta(days=365)
    return sum(a for d, a in _check_history(history) if start < d <= today) / float(spot)


def forward_yield(
    forecast: DividendForecast, *, as_of: datetime, spot: float, years: float = 1.0
) -> float:
    """Forward dividend yield (decimal per year): the forecast dividends going ex within ``years``
    after ``as_of``, divided by ``spot`` and by ``years``."""
    require_aware("as_of", as_of)
    if not isinstance(spot, (int, float)) or not math.isfinite(spot) or spot <= 0:
        raise InputError("spot", spot, "must be finite and > 0")
    if not isinstance(years, (int, float)) or not math.isfinite(years) or years <= 0:
        raise InputError("years", years, "must be finite and > 0")
    sched = schedule_exact(forecast, as_of)
    total = sum(a for t, a in zip(sched.times_years, sched.amounts, strict=True) if t <= years)
    return total / float(spot) / float(years)


def schedule_exact(forecast: DividendForecast, as_of: datetime) -> DividendSchedule:
    """The forecast as a :class:`DividendSchedule` in exact Actual/365 years from ``as_of``
    (each ex-date at 09:30 New York; elapsed seconds taken in UTC, so a daylight-saving change is
    counted); only ex-dates after ``as_of``."""
    require_aware("as_of", as_of)
    times: list[float] = []
    amounts: list[float] = []
    for d, a in zip(forecast.ex_dates, forecast.amounts, strict=True):
        t = years_between(as_of, datetime.combine(d, EX_DIVIDEND_CLOCK, tzinfo=NEW_YORK))
        if t > 0.0:
            times.append(t)
            amounts.append(a)
    return DividendSchedule(tuple(times), tuple(amounts))


def continuous_yield(
    forecast: DividendForecast,
    *,
    as_of: datetime,
    spot: float,
    t_years: float,
    curve: RateCurve,
) -> float:
    """The continuous dividend yield (decimal per year) giving the same forward to ``t_years`` as
    the cash dividends: ``-ln(1 - PV(D) / S) / T``, PV at the curve's zero rate to ``t_years``."""
    if not isinstance(t_years, (int, float)) or not math.isfinite(t_years) or t_years <= 0:
        raise InputError("t_years", t_years, "must be finite and > 0")
    sched = schedule_exact(forecast, as_of).within(t_years)
    rate = float(curve.rate(t_years))
    return float(equivalent_yield(spot, sched, t_years, rate))
