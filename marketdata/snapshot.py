"""The market-data core types: rate curves, dividend forecasts, option chains and snapshots.

Units: rates are continuously compounded decimals per year; times in years (Actual/365 Fixed,
exact seconds); prices in the underlying's currency per share (index points for RUT).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pricing.errors import InputError
from pricing.types import NEW_YORK, SECONDS_PER_YEAR, DividendSchedule

EX_DIVIDEND_CLOCK = time(9, 30)


def require_aware(name: str, value: datetime) -> datetime:
    """Return ``value`` unless it is a naive datetime; then raise :class:`InputError`."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InputError(name, value, "must be a timezone-aware datetime")
    return value


def years_between(start: datetime, end: datetime) -> float:
    """Exact Actual/365 Fixed years from ``start`` to ``end`` (both tz-aware); negative if before."""
    # In UTC: aware datetimes sharing a tzinfo subtract as wall times (an hour off across DST).
    end_utc = require_aware("end", end).astimezone(UTC)
    return (
        end_utc - require_aware("start", start).astimezone(UTC)
    ).total_seconds() / SECONDS_PER_YEAR


@dataclass(frozen=True, slots=True)
class RateCurve:
    """Zero rates (continuously compounded decimals) at tenors in years; linear in the zero rate
    between pillars and flat beyond them."""

    tenors_years: tuple[float, ...]
    zero_rates: tuple[float, ...]

    def __post_init__(self) -> None:
        tenors = tuple(float(t) for t in self.tenors_years)
        rates = tuple(float(r) for r in self.zero_rates)
        if not tenors or len(tenors) != len(rates):
            raise InputError("rate_curve", (tenors, rates), "needs as many rates as tenors, >= 1")
        for i, (t, r) in enumerate(zip(tenors, rates, strict=True)):
            if not math.isfinite(t) or t <= 0.0 or (i and t <= tenors[i - 1]):
                raise InputError(f"rate_curve.tenors_years[{i}]", t, "must be > 0 and increasing")
            if not math.isfinite(r) or abs(r) > 1.0:
                raise InputError(
                    f"rate_curve.zero_rates[{i}]",
                    r,
                    "must be a decimal rate between -1 and 1 (0.05 means 5 %)",
                )
        object.__setattr__(self, "tenors_years", tenors)
        object.__setattr__(self, "zero_rates", rates)

    @classmethod
    def flat(cls, rate: float) -> RateCurve:
        """A flat curve at ``rate`` (decimal, continuous)."""
        return cls((1.0,), (rate,))

    def rate(self, t_years: float | np.ndarray[Any, Any]) -> Any:
        """Zero rate to ``t_years`` (scalar or array)."""
        return np.interp(t_years, self.tenors_years, self.zero_rates)

    def discount(self, t_years: float | np.ndarray[Any, Any]) -> Any:
        """Discount factor ``exp(-r(t) t)`` to ``t_years``."""
        t = np.asarray(t_years, dtype=np.float64)
        return np.exp(-self.rate(t) * t)

    def shifted(self, shift_bp: float) -> RateCurve:
        """The curve moved in parallel by ``shift_bp`` basis points (1 bp = 0.0001)."""
        return RateCurve(self.tenors_years, tuple(r + shift_bp * 1e-4 for r in self.zero_rates))


@dataclass(frozen=True, slots=True)
class DividendForecast:
    """Expected cash dividends per share: ex-dates (New York calendar dates) and amounts."""

    ex_dates: tuple[date, ...] = ()
    amounts: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.ex_dates) != len(self.amounts):
            raise InputError(
                "dividends", (self.ex_dates, self.amounts), "dates and amounts differ in length"
            )
        for i, (d, a) in enumerate(zip(self.ex_dates, self.amounts, strict=True)):
            if i and d <= self.ex_dates[i - 1]:
                raise InputError(f"dividends.ex_dates[{i}]", d, "duplicate or out-of-order ex-date")
            if not math.isfinite(a) or a < 0:
                raise InputError(f"dividends.amounts[{i}]", a, "must be finite and >= 0")
        object.__setattr__(self, "amounts", tuple(float(a) for a in self.amounts))

    def schedule(self, as_of: datetime, until: datetime | None = None) -> DividendSchedule:
        """The forecast as a :class:`DividendSchedule` in years from ``as_of``: each ex-date counts
        from 09:30 New York that day, and only ex-dates after ``as_of`` (and up to ``until``)."""
        times: list[float] = []
        amounts: list[float] = []
        for d, a in zip(self.ex_dates, self.amounts, strict=True):
            moment = datetime.combine(d, EX_DIVIDEND_CLOCK, tzinfo=NEW_YORK)
            t = years_between(as_of, moment)
            if t <= 0.0 or (until is not None and moment > until):
                continue
            times.append(t)
            amounts.append(a)
        return DividendSchedule(tuple(times), tuple(amounts))

    def next_after(self, as_of: datetime) -> tuple[date, float] | None:
        """The first ex-date strictly after ``as_of`` and its amount, if any."""
        idx = bisect_right(self.ex_dates, as_of.astimezone(NEW_YORK).date())
        if idx >= len(self.ex_dates):
            return None
        return self.ex_dates[idx], self.amounts[idx]


@dataclass(frozen=True, slots=True, eq=False)
class OptionChain:
    """An option chain as a pandas frame with the columns in :attr:`COLUMNS` (one row per quote).

    Required columns: ``expiry`` (datetime64, the expiry date), ``kind`` ("call"/"put"),
    ``strike`` (float), ``bid``/``ask``/``last`` (float, NaN when missing), ``volume`` and
    ``open_interest`` (int), ``settlement`` ("am"/"pm"), ``style`` ("european"/"american"),
    ``multiplier`` (float), ``root`` (the option root, e.g. IWM, RUT, RUTW).
    Optional: ``last_trade`` (tz-aware datetime64, NaT if unknown), ``source_iv`` (the source's own
    IV, never trusted), ``contract_symbol`` (str).
    """

    frame: pd.DataFrame

    REQUIRED: ClassVar[tuple[str, ...]] = (
        "expiry",
        "kind",
        "strike",
        "bid",
        "ask",
        "last",
        "volume",
        "open_interest",
        "settlement",
        "style",
        "multiplier",
        "root",
    )
    OPTIONAL: ClassVar[tuple[str, ...]] = ("last_trade", "source_iv", "contract_symbol")

    def __post_init__(self) -> None:
        missing = [c for c in self.REQUIRED if c not in self.frame.columns]
        if missing:
            raise InputError("chain.columns", list(self.frame.columns), f"missing {missing}")

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def expiries(self) -> list[date]:
        """Sorted distinct expiry dates."""
        return sorted({pd.Timestamp(x).date() for x in self.frame["expiry"].unique()})

    def for_expiry(self, expiry: date) -> OptionChain:
        """The quotes of one expiry."""
        mask = self.frame["expiry"] == pd.Timestamp(expiry)
        return OptionChain(self.frame.loc[mask].reset_index(drop=True))

    @classmethod
    def from_records(cls, records: Iterable[dict[str, Any]]) -> OptionChain:
        """Build a chain from dicts with the required columns (expiry as ``date`` or ISO text)."""
        frame = pd.DataFrame(list(records))
        if "expiry" in frame.columns:
            frame["expiry"] = pd.to_datetime(frame["expiry"])
        return cls(frame)


@dataclass(frozen=True, slots=True, eq=False)
class MarketSnapshot:
    """Everything needed to price one underlying's options at one moment.

    ``as_of`` is tz-aware; ``spot`` in price units; ``source`` says where the data came from
    ("demo", "yahoo", "store", "csv:<path>"); ``synthetic`` is True for generated data, which every
    view must label as such.
    """

    as_of: datetime
    underlying: str
    spot: float
    rate_curve: RateCurve
    dividends: DividendForecast
    chain: OptionChain
    source: str = "unknown"
    synthetic: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware("as_of", self.as_of)
        if (
            not isinstance(self.spot, (int, float))
            or not math.isfinite(self.spot)
            or self.spot <= 0
        ):
            raise InputError("spot", self.spot, "must be finite and > 0")
        object.__setattr__(self, "spot", float(self.spot))

    def age_seconds(self, now: datetime) -> float:
        """Seconds from ``as_of`` to ``now`` (tz-aware), for 'data is N minutes old' labels."""
        return years_between(self.as_of, now) * SECONDS_PER_YEAR

    def with_chain(self, chain: OptionChain) -> MarketSnapshot:
        """A copy with another chain (after cleaning, say)."""
        return replace(self, chain=chain)
