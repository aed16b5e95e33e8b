"""The pricing layer's error hierarchy.

Every message names the offending field and its value, so a script or a trader can fix the input
without reading a traceback.
"""

from __future__ import annotations

from typing import Any


class PricingError(Exception):
    """Base class of every error raised by the pricing layer."""


class InputError(PricingError, ValueError):
    """An input is outside its domain. ``field`` and ``value`` say which one."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


class ImpliedVolError(PricingError):
    """No implied volatility exists for a quote (below intrinsic, above the ceiling, ...)."""

    def __init__(self, reason: str, *, field: str = "price", value: Any = None) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}" if value is not None else reason)


class EngineError(PricingError):
    """A numerical engine (QuantLib, a tree) failed or was asked for something it cannot do."""
