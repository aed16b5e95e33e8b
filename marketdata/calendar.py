"""Option expiry calendars on real exchange sessions, and exact times to expiry.

Sessions come from ``exchange_calendars``' XNYS calendar (NYSE). The options exchanges that list
IWM, SPY, RUT and MRUT (Cboe and the other US options markets) follow the NYSE holiday schedule,
so an XNYS session is an options session. The calendar is built once per process, from 2000 to at
least 2040 (``exchange_calendars``' default ends about a year ahead, too short for LEAPS); a later
date builds a longer one.

Expiry rules (``listed_expiries``):

- standard monthly: the third Friday, moved to the previous session when that Friday is a
  holiday (Good Friday 2027-03-26 is not a third Friday but a weekly; Juneteenth 2026-06-19 is
  the June 2026 monthly, which expires on Thursday 2026-06-18);
- weeklies: every Friday (holiday -> previous session); dailies: every session;
- quarterlies and end-of-month: the last session of the month (March, June, September and
  December for quarterlies);
- LEAPS: the standard monthly of the LEAPS months (January, and for some roots June, March or
  December) beyond the monthly horizon, up to ``horizon_years``.

Per underlying (``LISTING_HORIZONS``, with the contract facts of :mod:`marketdata.underlyings`;
the horizons model what the exchanges list, not every series):

- IWM and SPY: American, physical delivery, PM-settled, multiplier 100, root = symbol; dailies
  for 2 weeks, Friday weeklies for 6 weeks, monthlies for 12 months, quarterlies for 12 months,
  LEAPS to 2 years (IWM: January and June; SPY: January, March, June and December).
- RUT: European, cash-settled, multiplier 100. The traditional monthlies (root ``RUT``) are
  AM-settled: the settlement value is fixed at Friday's open (09:30 New York), and the last
  trading day is the session before. Weeklies, dailies, end-of-month and quarterly series (root
  ``RUTW``) are PM-settled (16:00). December LEAPS are AM-settled ``RUT`` series. The PM series
  that would expire on the same date as an AM monthly is not listed here, so that an expiry date
  identifies one series in a chain.
- MRUT (Mini-Russell 2000): European, cash-settled, every series PM-settled, root ``MRUT``.
  Choice of units: the MRUT *index* is one tenth of RUT and the *multiplier is 100* (Cboe's
  contract specification), so strikes and premiums are in MRUT index points (RUT / 10) and one
  contract is worth 100 x MRUT = 10 x RUT dollars. The same notional could be written as RUT
  points with multiplier 10; this project always uses the index at one tenth and multiplier 100.

Times (``expiry_datetime``, ``t_years``): AM settlement at 09:30 and PM settlement at 16:00
New York wall-clock time on expiry day, tz-aware. ``t_years`` is Actual/365 Fixed on exact
elapsed seconds (both ends converted to UTC first, so a daylight-saving change in between counts
its real hour), never rounded to whole days. Early closes (13:00 on some half days) are not
modelled: PM settlement is 16:00 on every expiry day, as in :class:`pricing.types.OptionContract`.
"""

from __future__ import annotations

import calendar as _pycal
import math
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from marketdata.snapshot import years_between
from pricing.errors import InputError
from pricing.types import (
    NEW_YORK,
    Delivery,
    ExerciseStyle,
    SettlementTime,
)

CALENDAR_NAME = "XNYS"
CALENDAR_FIRST_DAY = date(2000, 1, 3)
"""First session the cached calendar covers."""
_MIN_LAST_YEAR = 2040


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _session_days(last_year: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Sorted session dates as day numbers (``date.toordinal()``), 2000-01-03 .. ``last_year``."""
    import exchange_calendars as xcals  # imported lazily: ~0.2 s, only when a calendar is needed

    with warnings.catch_warnings():
        # exchange_calendars 4.13 calls pandas APIs that pandas 3.1 deprecates (Pandas4Warning);
        # harmless here, and not ours to fix: silence them for this one call only.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        cal = xcals.get_calendar(
            CALENDAR_NAME, start=CALENDAR_FIRST_DAY.isoformat(), end=f"{last_year}-12-31"
        )
        sessions = pd.DatetimeIndex(cal.sessions)
    days = sessions.to_numpy(dtype="datetime64[D]").astype(np.int64)
    # datetime64 day 0 is 1970-01-01 = ordinal 719163
    return np.asarray(days + date(1970, 1, 1).toordinal(), dtype=np.int64)


def _sessions_covering(day: date) -> np.ndarray[Any, np.dtype[np.int64]]:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InputError("date", day, "must be a datetime.date")
    if day < CALENDAR_FIRST_DAY:
        raise InputError(
            "date", day, f"is before the calendar's first session {CALENDAR_FIRST_DAY}"
        )
    last_year = max(_MIN_LAST_YEAR, 10 * math.ceil((day.year + 2) / 10))
    return _session_days(last_year)


def is_session(day: date) -> bool:
    """True if ``day`` is a trading session of the US options markets (NYSE calendar)."""
    days = _sessions_covering(day)
    n = day.toordinal()
    i = int(np.searchsorted(days, n))
    return i < len(days) and int(days[i]) == n


def session_on_or_before(day: date) -> date:
    """``day`` if it is a session, else the last session before it (a holiday Friday -> Thursday)."""
    days = _sessions_covering(day)
    i = int(np.searchsorted(days, day.toordinal(), side="right")) - 1
    if i < 0:
        raise InputError("date", day, "has no session on or before it in the calendar")
    return date.fromordinal(int(days[i]))


def previous_session(day: date) -> date:
    """The last session strictly before ``day`` (the last trading day of an AM-settled expiry)."""
    return session_on_or_before(day - timedelta(days=1))


def sessions_between(start: date, end: date) -> list[date]:
    """Sessions ``d`` with ``start <= d <= end`` (inclusive), in order."""
    if end < start:
        return []
    days = _sessions_covering(max(start, end))
    lo = int(np.searchsorted(days, start.toordinal(), side="left"))
    hi = int(np.searchsorted(days, end.toordinal(), side="right"))
    return [date.fromordinal(int(d)) for d in days[lo:hi]]


def third_friday(year: int, month: int) -> date:
    """The third Friday of ``year``-``month`` (a calendar date, holiday or not)."""
    first = date(year, month, 1)
    offset = (4 - first.weekday()) % 7  # Friday is weekday 4
    return first + timedelta(days=offset + 14)


def monthly_expiry(year: int, month: int) -> date:
    """The standard monthly expiry: the third Friday, or the session before it if a holiday."""
    return session_on_or_before(third_friday(year, month))


def last_session_of_month(year: int, month: int) -> date:
    """The last session of ``year``-``month`` (quarterly and end-of-month expiries)."""
    last_day = date(year, month, _pycal.monthrange(year, month)[1])
    return session_on_or_before(last_day)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, the day clipped to the month's length."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = _pycal.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


# ---------------------------------------------------------------------------------------------
# Exact times
# ---------------------------------------------------------------------------------------------


def _settlement(value: SettlementTime | str, field: str = "settlement") -> SettlementTime:
    try:
        return SettlementTime(value.lower() if isinstance(value, str) else value)
    except ValueError:
        raise InputError(field, value, "must be 'am' or 'pm'") from None


def require_aware(field: str, value: datetime) -> datetime:
    """Return ``value`` if it is a tz-aware datetime, else raise :class:`InputError` naming ``field``."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            field, value, "must be a timezone-aware datetime (naive times are ambiguous)"
        )
    return value


def expiry_datetime(expiry: date, settlement: SettlementTime | str) -> datetime:
    """The moment an option stops having time value, tz-aware in America/New_York: 09:30 on
    ``expiry`` for AM settlement (the opening print), 16:00 for PM settlement (the close)."""
    if not isinstance(expiry, date) or isinstance(expiry, datetime):
        raise InputError("expiry", expiry, "must be a datetime.date")
    return datetime.combine(expiry, _settlement(settlement).clock, tzinfo=NEW_YORK)


def at_close(value: date | datetime, field_name: str = "date") -> datetime:
    """The one date-to-moment rule: a tz-aware datetime as it is, a bare date at 16:00 New York
    (the close, the PM-settlement moment); :class:`InputError` naming ``field_name`` for a naive
    datetime or anything else."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError(field_name, value, "must be timezone-aware")
        return value
    if isinstance(value, date):
        return datetime.combine(value, SettlementTime.PM.clock, tzinfo=NEW_YORK)
    raise InputError(field_name, value, "must be a date or a datetime")


def t_years(as_of: datetime, expiry: date, settlement: SettlementTime | str) -> float:
    """Years (Actual/365 Fixed, exact seconds) from the tz-aware ``as_of`` to the expiry moment
    (09:30 New York for AM, 16:00 for PM). Zero or negative once the option has expired.

    Independent of the machine's time zone; a daylight-saving change in between counts its real
    hour. Raises :class:`InputError` (field ``as_of``) on a naive ``as_of``.
    """
    require_aware("as_of", as_of)
    return years_between(as_of, expiry_datetime(expiry, settlement))


# ---------------------------------------------------------------------------------------------
# Listing rules and listed expiries
# ---------------------------------------------------------------------------------------------


class ExpiryClass(StrEnum):
    """Why a date is listed: one expiry can belong to several classes."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    END_OF_MONTH = "end_of_month"
    LEAPS = "leaps"


@dataclass(frozen=True, slots=True)
class ListingRules:
    """How far out each class of expiry is listed for one underlying.

    Horizons in calendar days (dailies, weeklies) or months (monthlies, quarterlies,
    end-of-month) from the as-of date; LEAPS months are the months whose standard monthly is
    listed beyond the monthly horizon, up to the caller's ``horizon_years``.
    ``am_root`` set means the standard monthlies (and LEAPS) are AM-settled under that root and
    every other series is PM-settled under ``pm_root``.
    """

    symbol: str
    style: ExerciseStyle
    delivery: Delivery
    pm_root: str
    am_root: str | None = None
    multiplier: float = 100.0
    daily_days: int = 14
    weekly_days: int = 42
    monthly_months: int = 12
    quarterly_months: int = 12
    end_of_month_months: int = 0
    leaps_months: tuple[int, ...] = (1,)

    def __post_init__(self) -> None:
        if not self.symbol or not self.pm_root:
            raise InputError("symbol", self.symbol, "listing rules need a symbol and a PM root")
        for name in (
            "daily_days",
            "weekly_days",
            "monthly_months",
            "quarterly_months",
            "end_of_month_months",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise InputError(name, value, "must be a whole number >= 0")
        for m in self.leaps_months:
            if not 1 <= m <= 12:
                raise InputError("leaps_months", self.leaps_months, "months must be 1..12")
        if not (self.multiplier > 0):
            raise InputError("multiplier", self.multiplier, "must be > 0")


#: How far out each class of expiry is listed, per underlying (keyword arguments of
#: :class:`ListingRules`); the contract facts (style, delivery, multiplier, AM and PM roots) come
#: from the underlyings table (:mod:`marketdata.underlyings`), never restated here.
LISTING_HORIZONS: dict[str, dict[str, Any]] = {
    "IWM": {"leaps_months": (1, 6)},
    "SPY": {"leaps_months": (1, 3, 6, 12)},
    "RUT": {"end_of_month_months": 3, "leaps_months": (12,)},
    "MRUT": {"leaps_months": ()},
}


def _rules_from_table(symbol: str) -> ListingRules:
    from marketdata.underlyings import underlying

    facts = underlying(symbol)
    return ListingRules(
        facts.symbol,
        facts.style,
        facts.delivery,
        pm_root=facts.pm_root,
        am_root=facts.am_root,
        multiplier=facts.multiplier,
        **LISTING_HORIZONS[facts.symbol],
    )


def __getattr__(name: str) -> Any:
    # ``LISTING_RULES`` (symbol -> ListingRules) is composed when first asked for, from
    # LISTING_HORIZONS and the underlyings table in force.
    if name == "LISTING_RULES":
        return {sym: _rules_from_table(sym) for sym in LISTING_HORIZONS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class ListedExpiry:
    """One listed expiry of one root: date, AM/PM settlement and option root, plus the contract
    terms and why it is listed. Unpacks as ``expiry, settlement, root = listed``."""

    expiry: date
    settlement: SettlementTime
    root: str
    classes: frozenset[ExpiryClass]
    style: ExerciseStyle
    delivery: Delivery
    multiplier: float
    last_trade_date: date

    def __post_init__(self) -> None:
        if not isinstance(self.expiry, date) or isinstance(self.expiry, datetime):
            raise InputError("expiry", self.expiry, "must be a datetime.date")
        object.__setattr__(self, "settlement", _settlement(self.settlement))
        if not self.root:
            raise InputError("root", self.root, "must be a non-empty option root")
        if not self.classes:
            raise InputError("classes", self.classes, "an expiry belongs to at least one class")
        if self.last_trade_date > self.expiry:
            raise InputError(
                "last_trade_date", self.last_trade_date, f"is after the expiry {self.expiry}"
            )

    def __iter__(self) -> Any:
        return iter((self.expiry, self.settlement, self.root))

    @property
    def expiry_datetime(self) -> datetime:
        """09:30 (AM) or 16:00 (PM) New York on the expiry date."""
        return expiry_datetime(self.expiry, self.settlement)

    def t_years(self, as_of: datetime) -> float:
        """Exact Actual/365 years from the tz-aware ``as_of`` to this expiry's settlement moment."""
        return t_years(as_of, self.expiry, self.settlement)

    @property
    def label(self) -> str:
        """A short label such as ``2026-12-18 PM IWM monthly+...``."""
        classes = "+".join(c.value for c in ExpiryClass if c in self.classes)
        return f"{self.expiry.isoformat()} {self.settlement.value.upper()} {self.root} {classes}"


def listing_rules(symbol: str) -> ListingRules:
    """The listing rules of ``symbol`` (IWM, SPY, RUT, MRUT; ``^RUT`` and lower case accepted):
    the horizons of :data:`LISTING_HORIZONS` with the contract facts of the underlyings table."""
    if not isinstance(symbol, str):
        raise InputError("symbol", symbol, "must be a ticker such as 'IWM'")
    key = symbol.strip().upper().lstrip("^")
    if key not in LISTING_HORIZONS:
        raise InputError(
            "symbol", symbol, f"no expiry calendar; known: {', '.join(sorted(LISTING_HORIZONS))}"
        )
    return _rules_from_table(key)


def listed_expiries(
    symbol: str, as_of: datetime, horizon_years: float = 2.0, *, rules: ListingRules | None = None
) -> list[ListedExpiry]:
    """The expiries listed for ``symbol`` as of the tz-aware ``as_of``, up to ``horizon_years``.

    Only series not yet expired at ``as_of`` are returned (a PM expiry is listed until 16:00 New
    York on its day, an AM expiry until 09:30). Sorted by expiry moment. ``rules`` overrides the
    built-in rules (:func:`listing_rules`) for ``symbol``.
    """
    require_aware("as_of", as_of)
    if (
        not isinstance(horizon_years, (int, float))
        or not math.isfinite(horizon_years)
        or horizon_years <= 0
    ):
        raise InputError("horizon_years", horizon_years, "must be finite and > 0")
    spec = rules if rules is not None else listing_rules(symbol)
    today = as_of.astimezone(NEW_YORK).date()
    end = today + timedelta(days=round(horizon_years * 365.0))
    found: dict[tuple[date, str], tuple[SettlementTime, set[ExpiryClass]]] = {}

    def add(day: date, cls: ExpiryClass, monthly: bool) -> None:
        if day > end:
            return
        if monthly and spec.am_root is not None:
            root, settle = spec.am_root, SettlementTime.AM
        else:
            root, settle = spec.pm_root, SettlementTime.PM
        entry = found.setdefault((day, root), (settle, set()))
        entry[1].add(cls)

    # AM monthlies first: the set of dates whose PM series are not listed alongside them.
    monthly_end = add_months(today, spec.monthly_months)
    monthly_dates: list[date] = []
    for i in range(spec.monthly_months + 1):
        anchor = add_months(date(today.year, today.month, 1), i)
        day = monthly_expiry(anchor.year, anchor.month)
        if today <= day <= monthly_end:
            monthly_dates.append(day)
            add(day, ExpiryClass.MONTHLY, monthly=True)
    am_dates = set(monthly_dates) if spec.am_root is not None else set()

    # LEAPS: the LEAPS months' standard monthlies after the monthly horizon, up to the horizon.
    if spec.leaps_months:
        for year in range(today.year, end.year + 1):
            for month in spec.leaps_months:
                day = monthly_expiry(year, month)
                if day > monthly_end and day <= end:
                    add(day, ExpiryClass.LEAPS, monthly=True)
                    if spec.am_root is not None:
                        am_dates.add(day)

    def add_pm(day: date, cls: ExpiryClass) -> None:
        if day in am_dates:
            return  # the AM monthly owns this date (see the module docstring)
        add(day, cls, monthly=False)

    for day in sessions_between(today, min(end, today + timedelta(days=spec.daily_days))):
        add_pm(day, ExpiryClass.DAILY)
    if spec.weekly_days:
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        while friday <= min(end, today + timedelta(days=spec.weekly_days)):
            day = session_on_or_before(friday)
            if day >= today:
                add_pm(day, ExpiryClass.WEEKLY)
            friday += timedelta(days=7)
    for months, cls, quarter_only in (
        (spec.quarterly_months, ExpiryClass.QUARTERLY, True),
        (spec.end_of_month_months, ExpiryClass.END_OF_MONTH, False),
    ):
        if not months:
            continue
        limit = add_months(today, months)
        for i in range(months + 1):
            anchor = add_months(date(today.year, today.month, 1), i)
            if quarter_only and anchor.month % 3:
                continue
            day = last_session_of_month(anchor.year, anchor.month)
            if today <= day <= limit:
                add_pm(day, cls)

    out: list[ListedExpiry] = []
    for (day, root), (settle, classes) in found.items():
        if expiry_datetime(day, settle) <= as_of:
            continue  # already expired at as_of
        last_trade = previous_session(day) if settle is SettlementTime.AM else day
        out.append(
            ListedExpiry(
                expiry=day,
                settlement=settle,
                root=root,
                classes=frozenset(classes),
                style=spec.style,
                delivery=spec.delivery,
                multiplier=spec.multiplier,
                last_trade_date=last_trade,
            )
        )
    out.sort(key=lambda e: (e.expiry_datetime, e.root))
    return out
