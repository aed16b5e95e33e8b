"""What a user says about a recorded chain file on the command line (or in the app): its spot,
its quote time, its rate, its dividends. One parser per value, one place that applies them and
one place that decides the missing-dividends warning, so every face (the ``hedge`` verbs, the
app) says the same thing.

Values and units:

================  ==========================================================================
``--spot``        the underlying's price (price units, index points for RUT), e.g. ``238.52``
``--as-of``       the quotes' time, ISO 8601: ``2026-12-03T16:15:00-05:00``; a time without an
                  offset is New York time; a bare date is that day's close (16:00 New York)
``--rate``        a flat continuously compounded rate per year, written as a decimal
                  (``0.039``) or with a percent sign (``3.9%``); a bare number of 1 or more is
                  refused (3.9 could mean 3.9 % or 390 %); or a curve ``t_years:rate,...``
                  (``0.25:3.9%,1:3.7%``); or a file holding that text or ``t_years,rate`` rows
``--dividends``   cash dividends per share ``YYYY-MM-DD:amount,...`` (``2026-12-15:0.72``), or
                  ``none`` (the name pays none before the last expiry), or a file of
                  ``ex_date,amount`` rows
``--div-yield``   a dividend yield per year, decimal (``0.012``) or percent (``1.2%``); turned
                  into four equal quarterly cash dividends a year (15th of March, June,
                  September and December, rolled back to a session) of ``yield * spot / 4``
================  ==========================================================================

Values given here replace the file's; every replaced value that differs is stated (see
:func:`override_notes`). A bad value raises :class:`OverrideError` naming the flag and the value.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from marketdata.calendar import session_on_or_before
from marketdata.snapshot import DividendForecast, MarketSnapshot, RateCurve
from pricing.errors import InputError
from pricing.types import NEW_YORK

#: Meta key the file readers set: True when the dividends came from the file or the user
#: (``none`` included), False when nobody said anything about them.
DIVIDENDS_GIVEN = "dividends_given"
#: Meta key: what the file itself said (``spot``, ``as_of``, ``rate``, ``dividends``; None when
#: absent), so that overrides can state what they replaced.
FILE_VALUES = "file_values"
#: Meta key: the notes of :func:`override_notes` (one sentence each).
OVERRIDE_NOTES = "override_notes"

#: Largest decimal rate accepted without a percent sign (a rate of 100 % or more is a typo).
MAX_DECIMAL_RATE = 1.0
#: Days of month of the quarterly ex-dates :func:`dividends_from_yield` projects.
YIELD_EX_DAYS = {3: 15, 6: 15, 9: 15, 12: 15}


class OverrideError(InputError):
    """A command-line value for a chain file is not valid; ``field`` is the flag (``--spot``)."""


@dataclass(frozen=True, slots=True)
class ChainOverrides:
    """Values that replace a chain file's own (None: keep the file's).

    ``spot`` in price units; ``as_of`` tz-aware; ``rate_curve`` continuously compounded
    decimals; ``dividends`` cash per share (an empty forecast means "none", said explicitly);
    ``div_yield`` a decimal per year; ``texts`` the flags' values as typed, for notes.
    """

    spot: float | None = None
    as_of: datetime | None = None
    rate_curve: RateCurve | None = None
    dividends: DividendForecast | None = None
    div_yield: float | None = None
    texts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.dividends is not None and self.div_yield is not None:
            raise OverrideError(
                "--div-yield", self.div_yield, "give --dividends or --div-yield, not both"
            )

    @property
    def given(self) -> tuple[str, ...]:
        """The flags that were given, e.g. ``("--spot", "--rate")``."""
        return tuple(flag for flag, _ in self.texts)

    def text(self, flag: str) -> str:
        """The value of ``flag`` as typed ("" when not given)."""
        return dict(self.texts).get(flag, "")

    def __bool__(self) -> bool:
        return bool(self.texts)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(text: str, flag: str, what: str) -> float:
    raw = text.strip()
    if not _NUMBER.match(raw):
        raise OverrideError(flag, text, f"is not {what}")
    value = float(raw)
    if not math.isfinite(value):
        raise OverrideError(flag, text, f"is not {what}")
    return value


def parse_spot(text: str, flag: str = "--spot") -> float:
    """A spot price (price units, > 0) from ``text``; :class:`OverrideError` naming ``flag``."""
    value = _number(text, flag, "a price such as 238.52")
    if value <= 0:
        raise OverrideError(flag, text, "must be a price > 0")
    return value


def parse_as_of(text: str, flag: str = "--as-of") -> datetime:
    """The quotes' time: ISO 8601 with an offset, or without one (New York time), or a bare
    date (its 16:00 New York close)."""
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return datetime.combine(date.fromisoformat(raw), time(16, 0), tzinfo=NEW_YORK)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise OverrideError(
            flag, text, "is not an ISO time such as 2026-12-03T16:15 (New York) or 2026-12-03"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=NEW_YORK)


def parse_rate_value(text: str, flag: str = "--rate") -> float:
    """One rate per year as a decimal: ``0.039`` or ``3.9%`` (-> 0.039). A bare number of
    :data:`MAX_DECIMAL_RATE` or more is refused (percent or decimal?)."""
    raw = text.strip()
    if raw.endswith("%"):
        value = _number(raw[:-1], flag, "a rate such as 0.039 or 3.9%") / 100.0
        if abs(value) >= MAX_DECIMAL_RATE:
            raise OverrideError(flag, text, "is 100 % or more; a rate such as 3.9% was meant?")
        return value
    value = _number(raw, flag, "a rate such as 0.039 (decimal) or 3.9% (percent)")
    if abs(value) >= MAX_DECIMAL_RATE:
        raise OverrideError(
            flag,
            text,
            f"is ambiguous: write a decimal (0.039) or a percent with its sign "
            f"({value:g}% means {value / 100:g})",
        )
    return value


def parse_rate(text: str, flag: str = "--rate") -> RateCurve:
    """A :class:`RateCurve` from a flat rate (:func:`parse_rate_value`), a curve
    ``t_years:rate,t_years:rate`` or a file holding one of those or ``t_years,rate`` rows."""
    raw = text.strip()
    path = Path(raw).expanduser()
    if raw and not _NUMBER.match(raw.rstrip("%")) and path.is_file():
        return _rate_file(path, flag)
    if ":" not in raw:
        return RateCurve.flat(parse_rate_value(raw, flag))
    tenors: list[float] = []
    rates: list[float] = []
    for part in [p for p in re.split(r"[,;\s]+", raw) if p]:
        if ":" not in part:
            raise OverrideError(flag, text, f"curve point {part!r} is not t_years:rate")
        t_text, r_text = part.split(":", 1)
        t_value = _number(t_text, flag, "a curve t_years:rate,... (0.25:3.9%,1:3.7%)")
        if t_value <= 0:
            raise OverrideError(flag, text, f"curve tenor {t_text!r} must be > 0 years")
        tenors.append(t_value)
        rates.append(parse_rate_value(r_text, flag))
    try:
        return RateCurve(tuple(tenors), tuple(rates))
    except InputError as exc:
        raise OverrideError(flag, text, exc.reason) from None


def _rate_file(path: Path, flag: str) -> RateCurve:
    try:
        body = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OverrideError(flag, str(path), f"cannot be read ({exc})") from None
    rows = [r for r in csv.reader(body.splitlines()) if r and not r[0].lstrip().startswith("#")]
    if rows and len(rows[0]) >= 2 and not _NUMBER.match(rows[0][0].strip()):
        rows = rows[1:]  # a header row such as t_years,rate
    if len(rows) == 1 and len(rows[0]) == 1:
        return parse_rate(rows[0][0], flag)
    text = ",".join(f"{r[0].strip()}:{r[1].strip()}" for r in rows if len(r) >= 2)
    if not text:
        raise OverrideError(flag, str(path), "holds no t_years,rate rows")
    return parse_rate(text, flag)


def parse_dividends(text: str, flag: str = "--dividends") -> DividendForecast:
    """Cash dividends (per share) ``YYYY-MM-DD:amount,...``, ``none`` (an empty forecast: the
    name pays none), or a file of ``ex_date,amount`` rows (a header row is skipped)."""
    raw = text.strip()
    if raw.lower() in ("none", "0", "no"):
        return DividendForecast()
    path = Path(raw).expanduser()
    if path.is_file():
        try:
            body = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise OverrideError(flag, raw, f"cannot be read ({exc})") from None
        rows = [r for r in csv.reader(body.splitlines()) if r and not r[0].lstrip().startswith("#")]
        if rows and not re.match(r"^\d{4}-\d{2}-\d{2}", rows[0][0].strip()):
            rows = rows[1:]  # header, e.g. ex_date,amount
        raw = ",".join(":".join(c.strip() for c in r[:2]) for r in rows)
        if not raw:
            raise OverrideError(flag, text, "the file holds no ex_date,amount rows")
    merged: dict[date, float] = {}
    for part in [p for p in re.split(r"[,;\s]+", raw) if p]:
        if ":" not in part:
            raise OverrideError(
                flag, text, f"{part!r} is not YYYY-MM-DD:amount (e.g. 2026-12-15:0.72)"
            )
        d_text, a_text = part.rsplit(":", 1)
        try:
            day = date.fromisoformat(d_text.strip())
        except ValueError:
            raise OverrideError(flag, text, f"{d_text!r} is not a date YYYY-MM-DD") from None
        amount = _number(a_text, flag, "a cash amount per share")
        if amount < 0:
            raise OverrideError(flag, text, f"amount {a_text!r} must be >= 0")
        if day in merged:
            raise OverrideError(flag, text, f"ex-date {day.isoformat()} appears twice")
        merged[day] = amount
    days = sorted(merged)
    return DividendForecast(tuple(days), tuple(merged[d] for d in days))


def parse_div_yield(text: str, flag: str = "--div-yield") -> float:
    """A dividend yield per year as a decimal: ``0.012`` or ``1.2%``; in [0, 1)."""
    raw = text.strip()
    if raw.endswith("%"):
        value = _number(raw[:-1], flag, "a yield such as 0.012 or 1.2%") / 100.0
    else:
        value = _number(raw, flag, "a yield such as 0.012 (decimal) or 1.2% (percent)")
    if not 0 <= value < 1:
        raise OverrideError(
            flag, text, "must be a yield in [0, 1) as a decimal, or a percent such as 1.2%"
        )
    return value


def parse_overrides(
    *,
    spot: str | None = None,
    as_of: str | None = None,
    rate: str | None = None,
    dividends: str | None = None,
    div_yield: str | None = None,
) -> ChainOverrides:
    """The :class:`ChainOverrides` of the flags' texts (None: not given). Raises
    :class:`OverrideError` naming the first bad flag and its value."""
    texts: list[tuple[str, str]] = []
    for flag, value in (
        ("--spot", spot),
        ("--as-of", as_of),
        ("--rate", rate),
        ("--dividends", dividends),
        ("--div-yield", div_yield),
    ):
        if value is not None:
            texts.append((flag, value))
    if dividends is not None and div_yield is not None:
        raise OverrideError("--div-yield", div_yield, "give --dividends or --div-yield, not both")
    return ChainOverrides(
        spot=None if spot is None else parse_spot(spot),
        as_of=None if as_of is None else parse_as_of(as_of),
        rate_curve=None if rate is None else parse_rate(rate),
        dividends=None if dividends is None else parse_dividends(dividends),
        div_yield=None if div_yield is None else parse_div_yield(div_yield),
        texts=tuple(texts),
    )


def dividends_from_yield(
    annual_yield: float, *, spot: float, as_of: datetime, until: date
) -> DividendForecast:
    """Quarterly cash dividends (per share) paying ``annual_yield`` (decimal per year) of
    ``spot`` (price units): ``annual_yield * spot / 4`` on the 15th of March, June, September
    and December (rolled back to a session) after ``as_of`` and up to ``until``."""
    start = as_of.astimezone(NEW_YORK).date()
    dates: list[date] = []
    for year in range(start.year, until.year + 1):
        for month, day in sorted(YIELD_EX_DAYS.items()):
            ex = session_on_or_before(date(year, month, day))
            if start < ex <= until and (not dates or ex > dates[-1]):
                dates.append(ex)
    amount = annual_yield * spot / 4.0
    return DividendForecast(tuple(dates), tuple(amount for _ in dates))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def _percent(rate: float) -> str:
    return f"{rate * 100:.4f}".rstrip("0").rstrip(".") + "%"


def _curve_text(curve: RateCurve) -> str:
    if len(curve.tenors_years) == 1:
        return f"{_percent(curve.zero_rates[0])} flat"
    return ",".join(
        f"{t:g}:{_percent(r)}" for t, r in zip(curve.tenors_years, curve.zero_rates, strict=True)
    )


def _divs_text(divs: DividendForecast) -> str:
    if not divs.ex_dates:
        return "none"
    return ",".join(
        f"{d.isoformat()}:{a:g}" for d, a in zip(divs.ex_dates, divs.amounts, strict=True)
    )


def override_notes(file_values: dict[str, Any], overrides: ChainOverrides) -> list[str]:
    """One sentence per flag that replaced a different value the file held, e.g. ``--spot
    240 replaces the file's spot 238.52``; flags that supplied a missing value are not noted."""
    notes: list[str] = []
    checks: tuple[tuple[str, str, Any, Any, Any], ...] = (
        ("--spot", "spot", overrides.spot, file_values.get("spot"), lambda v: f"{v:g}"),
        ("--as-of", "time", overrides.as_of, file_values.get("as_of"), lambda v: v.isoformat()),
        ("--rate", "rate", overrides.rate_curve, file_values.get("rate"), _curve_text),
        ("--dividends", "dividends", overrides.dividends, file_values.get("dividends"), _divs_text),
    )
    for flag, what, given, held, show in checks:
        if given is None or held is None:
            continue
        if isinstance(given, RateCurve) and isinstance(held, RateCurve):
            same = given.tenors_years == held.tenors_years and all(
                _same(a, b) for a, b in zip(given.zero_rates, held.zero_rates, strict=True)
            )
        elif isinstance(given, DividendForecast) and isinstance(held, DividendForecast):
            same = given.ex_dates == held.ex_dates and all(
                _same(a, b) for a, b in zip(given.amounts, held.amounts, strict=True)
            )
        else:
            same = _same(given, held)
        if not same:
            notes.append(f"{flag} {overrides.text(flag)} replaces the file's {what} {show(held)}")
    if overrides.div_yield is not None and file_values.get("dividends") is not None:
        notes.append(
            f"--div-yield {overrides.text('--div-yield')} replaces the file's dividends "
            f"{_divs_text(file_values['dividends'])}"
        )
    return notes


def finish_file_snapshot(
    snapshot: MarketSnapshot, overrides: ChainOverrides | None
) -> MarketSnapshot:
    """The last step of every chain-file reader: applies ``--div-yield`` (needs the spot, the
    time and the last expiry) and records the override notes in ``meta``. The reader has
    already used the other overrides (they may supply values the file lacks)."""
    from dataclasses import replace

    meta = dict(snapshot.meta)
    file_values = dict(meta.get(FILE_VALUES) or {})
    notes: list[str] = []
    if overrides:
        notes = override_notes(file_values, overrides)
        if overrides.div_yield is not None:
            expiries = snapshot.chain.expiries
            until = max(expiries) if expiries else snapshot.as_of.date() + timedelta(days=365)
            divs = dividends_from_yield(
                overrides.div_yield, spot=snapshot.spot, as_of=snapshot.as_of, until=until
            )
            meta[DIVIDENDS_GIVEN] = True
            meta["div_yield"] = overrides.div_yield
            snapshot = replace(snapshot, dividends=divs)
    meta[OVERRIDE_NOTES] = notes
    return replace(snapshot, meta=meta)


def dividend_warning(snapshot: MarketSnapshot) -> str | None:
    """The warning every output shows when ``snapshot`` holds American options and nobody said
    what dividends they pay (the file had none and neither ``--dividends`` nor ``--div-yield``
    was given); None otherwise (dividends given, ``--dividends none``, a European chain, or a
    source that brings its own dividends)."""
    if snapshot.meta.get(DIVIDENDS_GIVEN) is not False or snapshot.dividends.ex_dates:
        return None
    frame = snapshot.chain.frame
    if "style" not in frame.columns or not bool((frame["style"] == "american").any()):
        return None
    return (
        f"no dividend schedule for the American {snapshot.underlying} options: priced as if "
        "it paid none (early exercise, forwards and the fit change if it does); pass "
        "--dividends YYYY-MM-DD:AMOUNT,... or --div-yield, or --dividends none if it pays none"
    )


def source_notes(snapshot: MarketSnapshot) -> list[str]:
    """The override notes and the dividend warning (``WARNING: ...``) to add to the source
    line of every output, in that order."""
    out = [str(n) for n in snapshot.meta.get(OVERRIDE_NOTES) or ()]
    warning = dividend_warning(snapshot)
    if warning is not None:
        out.append(f"WARNING: {warning}")
    return out
