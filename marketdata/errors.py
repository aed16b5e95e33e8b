"""Typed errors of the market-data layer. Messages name the source, the symbol and the field."""

from __future__ import annotations


class MarketDataError(Exception):
    """Base class of market-data errors."""


class NoDataError(MarketDataError):
    """The source answered but had nothing usable (empty chain, no expiries, empty history)."""


class RateLimitedError(MarketDataError):
    """The source is rate-limiting us; retry later (``retry_after_s`` if it said)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SourceUnavailableError(MarketDataError):
    """The source could not be reached (timeout, connection error, HTTP 5xx)."""


class SchemaError(MarketDataError):
    """A file or a frame does not have the columns or types we need; says which."""


class StoreError(MarketDataError):
    """The local snapshot store cannot be read or written (corrupt, read-only, locked)."""
