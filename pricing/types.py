"""Contracts and market inputs: frozen, slotted dataclasses that validate themselves.

Units: strikes and spots in the underlying's currency, times in years (Actual/365 Fixed on exact
datetimes), rates and yields as continuously compounded decimals (0.04 = 4 %), vols as decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import ArrayLike

from pricing.errors import InputError

NEW_YORK = ZoneInfo("America/New_York")
SECONDS_PER_YEAR = 365.0 * 24.0 * 3600.0
AM_SETTLEMENT_TIME = time(9, 30)
PM_SETTLEMENT_TIME = time(16, 0)


class OptionKind(StrEnum):
    """Call or put."""

    CALL = "call"
    PUT = "put"

    @classmethod
    def parse(cls, value: object, *, field: str = "kind") -> OptionKind:
        """Parse ``call``/``put`` (also ``c``/``p``, any case); raise :class:`InputError` otherwise."""
        if isinstance(value, OptionKind):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("call", "c"):
                return cls.CALL
            if text in ("put", "p"):
                return cls.PUT
        raise InputError(field, value, "must be 'call' or 'put'")

    @property
    def sign(self) -> int:
        """+1 for a call, -1 for a put (the sign of the payoff in spot)."""
        return 1 if self is OptionKind.CALL else -1


class ExerciseStyle(StrEnum):
    """European (exercise at expiry only) or American (any time up to expiry)."""

    EUROPEAN = "european"
    AMERICAN = "american"

    @classmethod
    def parse(cls, value: object, *, field: str = "style") -> ExerciseStyle:
        """Parse ``european``/``american`` (also ``e``/``a``, any case)."""
        if isinstance(value, ExerciseStyle):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("european", "e", "eu"):
                return cls.EUROPEAN
            if text in ("american", "a", "am"):
                return cls.AMERICAN
        raise InputError(field, value, "must be 'european' or 'american'")


class SettlementTime(StrEnum):
    """When the settlement value is fixed on expiry day: the open (AM) or the close (PM)."""

    AM = "am"
    PM = "pm"

    @property
    def clock(self) -> time:
        """Wall-clock time in New York at which the option stops having time value."""
        return AM_SETTLEMENT_TIME if self is SettlementTime.AM else PM_SETTLEMENT_TIME


class Delivery(StrEnum):
    """Physical delivery of shares (IWM, SPY) or cash settlement (RUT, MRUT)."""

    PHYSICAL = "physical"
    CASH = "cash"


def check_finite_positive(field_name: str, value: float) -> float:
    """Return ``float(value)`` or raise :class:`InputError` unless it is finite and > 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(field_name, value, "must be a number") from None
    if not math.isfinite(number) or number <= 0.0:
        raise InputError(field_name, value, "must be finite and > 0")
    return number


@dataclass(frozen=True, slots=True)
class OptionContract:
    """One listed option.

    ``strike`` in the underlying's price units; ``multiplier`` is shares (or index dollars) per
    contract: 100 for IWM, SPY, RUT and MRUT (MRUT's index is one tenth of RUT, so one MRUT
    contract is a tenth of one RUT contract).
    """

    underlying: str
    kind: OptionKind
    strike: float
    expiry: date
    style: ExerciseStyle
    multiplier: float = 100.0
    settlement: SettlementTime = SettlementTime.PM
    delivery: Delivery = Delivery.PHYSICAL

    def __post_init__(self) -> None:
        if not isinstance(self.underlying, str) or not self.underlying.strip():
            raise InputError("underlying", self.underlying, "must be a non-empty symbol")
        object.__setattr__(self, "kind", OptionKind.parse(self.kind))
        object.__setattr__(self, "style", ExerciseStyle.parse(self.style))
        object.__setattr__(self, "strike", check_finite_positive("strike", self.strike))
        object.__setattr__(self, "multiplier", check_finite_positive("multiplier", self.multiplier))
        if not isinstance(self.expiry, date) or isinstance(self.expiry, datetime):
            raise InputError("expiry", self.expiry, "must be a datetime.date")
        object.__setattr__(self, "settlement", SettlementTime(self.settlement))
        object.__setattr__(self, "delivery", Delivery(self.delivery))

    @property
    def expiry_datetime(self) -> datetime:
        """The exact moment time value ends: 09:30 (AM) or 16:00 (PM) New York on expiry day."""
        return datetime.combine(self.expiry, self.settlement.clock, tzinfo=NEW_YORK)

    def t_years(self, as_of: datetime) -> float:
        """Years (Actual/365 Fixed, exact seconds) from the tz-aware ``as_of`` to expiry; may be < 0."""
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise InputError("as_of", as_of, "must be timezone-aware")
        # Subtract in UTC: two datetimes sharing a tzinfo subtract as naive wall times, which is an
        # hour off across a daylight-saving change.
        expiry_utc = self.expiry_datetime.astimezone(UTC)
        return (expiry_utc - as_of.astimezone(UTC)).total_seconds() / SECONDS_PER_YEAR

    def intrinsic(self, spot: float) -> float:
        """Intrinsic value per share (or index unit) at ``spot``."""
        return max(self.kind.sign * (spot - self.strike), 0.0)


@dataclass(frozen=True, slots=True)
class DividendSchedule:
    """Discrete cash dividends: ex-dividend times in years from valuation and amounts per share.

    Times must be strictly increasing (two dividends on one date are one dividend: sum them before
    building the schedule); amounts finite and >= 0.
    """

    times_years: tuple[float, ...] = field(default_factory=tuple)
    amounts: tuple[float, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        times = tuple(float(t) for t in self.times_years)
        amounts = tuple(float(a) for a in self.amounts)
        if len(times) != len(amounts):
            raise InputError(
                "dividends",
                (self.times_years, self.amounts),
                f"{len(times)} times but {len(amounts)} amounts",
            )
        for i, (t, a) in enumerate(zip(times, amounts, strict=True)):
            if not math.isfinite(t):
                raise InputError(f"dividends[{i}].t_years", t, "must be finite")
            if not math.isfinite(a) or a < 0.0:
                raise InputError(f"dividends[{i}].amount", a, "must be finite and >= 0")
            if i and t <= times[i - 1]:
                raise InputError(
                    f"dividends[{i}].t_years",
                    t,
                    "duplicate or out-of-order ex-date (times must be strictly increasing)",
                )
        object.__setattr__(self, "times_years", times)
        object.__setattr__(self, "amounts", amounts)

    @classmethod
    def parse(cls, text: str) -> DividendSchedule:
        """Parse ``"t_years:amount;t_years:amount"`` (the batch CSV format); empty means none."""
        text = (text or "").strip()
        if not text:
            return cls()
        times: list[float] = []
        amounts: list[float] = []
        for i, part in enumerate(p for p in text.split(";") if p.strip()):
            if ":" not in part:
                raise InputError(f"dividends[{i}]", part, "expected 't_years:amount'")
            t_text, a_text = part.split(":", 1)
            try:
                times.append(float(t_text))
                amounts.append(float(a_text))
            except ValueError:
                raise InputError(
                    f"dividends[{i}]", part, "expected numbers 't_years:amount'"
                ) from None
        return cls(tuple(times), tuple(amounts))

    def within(self, t_years: float) -> DividendSchedule:
        """The dividends with ex-date in (0, t_years]: the ones that matter to an option expiring then."""
        pairs = [
            (t, a)
            for t, a in zip(self.times_years, self.amounts, strict=True)
            if 0.0 < t <= t_years
        ]
        return DividendSchedule(tuple(t for t, _ in pairs), tuple(a for _, a in pairs))

    def validate_against_spot(self, spot: float | ArrayLike) -> None:
        """Raise unless every amount is below ``spot`` (a spot or an array of spots: the lowest
        one governs); a dividend >= spot is nonsense."""
        lowest = float(np.min(spot))
        for i, a in enumerate(self.amounts):
            if a >= lowest:
                raise InputError(f"dividends[{i}].amount", a, f"must be below spot {lowest}")

    def __bool__(self) -> bool:
        return bool(self.times_years)
