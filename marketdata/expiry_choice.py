"""Choosing an expiry from what a user typed: an exact listed date, or the nearest when asked.

``--expiry 2027-01-15`` means exactly that date: when it is not listed, the answer is an error that
names the nearest listed expiries, never a silent move to another date. The nearest listed expiry
is chosen only when asked for: ``--expiry nearest:2027-01-16`` (or ``--dte N``, which means the
nearest listed expiry to today + N days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pricing.errors import InputError

NEAREST_PREFIX = "nearest:"


@dataclass(frozen=True, slots=True)
class ExpiryRequest:
    """An expiry asked for: ``day`` and whether the nearest listed one is acceptable."""

    day: date
    nearest: bool = False


def parse_expiry_request(text: str, *, field: str = "--expiry") -> ExpiryRequest:
    """``"YYYY-MM-DD"`` (exact) or ``"nearest:YYYY-MM-DD"``; raises :class:`InputError` naming
    ``field`` otherwise."""
    raw = text.strip()
    nearest = raw.lower().startswith(NEAREST_PREFIX)
    body = raw[len(NEAREST_PREFIX) :].strip() if nearest else raw
    try:
        day = date.fromisoformat(body)
    except ValueError:
        raise InputError(
            field,
            text,
            "is not a date: give YYYY-MM-DD, or nearest:YYYY-MM-DD for the nearest listed",
        ) from None
    return ExpiryRequest(day, nearest)


def nearest_listed(listed: Iterable[date], wanted: date, count: int = 2) -> list[date]:
    """Up to ``count`` listed dates on each side of ``wanted``, in order."""
    days = sorted(set(listed))
    return [d for d in days if d < wanted][-count:] + [d for d in days if d > wanted][:count]


def pick_expiry(
    listed: Iterable[date], request: ExpiryRequest, *, what: str, field: str = "--expiry"
) -> date:
    """The requested expiry among ``listed`` (the dates still alive): the exact date, or with
    ``request.nearest`` the closest one (ties to the later). Raises :class:`InputError` naming
    ``field``, the date and the nearest listed ones (``what`` names the chain, e.g. "IWM")."""
    days = sorted(set(listed))
    if not days:
        raise InputError(field, request.day, f"{what} has no listed expiry")
    if request.day in days:
        return request.day
    if request.nearest:
        return min(days, key=lambda d: (abs((d - request.day).days), -d.toordinal()))
    near = ", ".join(d.isoformat() for d in nearest_listed(days, request.day))
    raise InputError(
        field,
        request.day,
        f"is not a listed {what} expiry; the nearest listed are {near} "
        f"(use {field} nearest:{request.day.isoformat()} to take the nearest)",
    )
