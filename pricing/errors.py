"""The pricing layer's error hierarchy.

Every message names the offending field and its value, so a script or a trader can fix the input
without reading a traceback.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any


def shown(value: Any) -> str:
    """``value`` as a message shows it: dates and times as ISO 8601 (with the zone), never a
    Python repr such as ``datetime.datetime(...)``; strings quoted; other values as ``repr``."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return repr(value.item())
    return repr(value)


class PricingError(Exception):
    """Base class of every error raised by the pricing layer."""


class InputError(PricingError, ValueError):
    """An input is outside its domain. ``field`` and ``value`` say which one."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={shown(value)}: {reason}")


class ImpliedVolError(PricingError):
    """No implied volatility exists for a quote (below intrinsic, above the ceiling, ...)."""

    def __init__(self, reason: str, *, field: str = "price", value: Any = None) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={shown(value)}: {reason}" if value is not None else reason)


class EngineError(PricingError):
    """A numerical engine (QuantLib, a tree) failed or was asked for something it cannot do."""
