"""Fetch live chains and keep them in the snapshot store, reporting progress through a callback:
the loop behind ``hedge fetch`` and the app's refresh (issue 8, "one core").

:func:`fetch_and_store` fetches each symbol from Yahoo Finance and saves it in the store, one at a
time: a failed symbol never blanks the others. It calls ``on_event`` with a :class:`FetchEvent`
when a symbol starts (``"start"``), after each expiry (``"progress"``: ``done`` of ``total``
expiries) and when it ends (``"done"``, with its :class:`FetchOutcome`). The clock is a
parameter (no clock read here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from marketdata.errors import MarketDataError, StoreError
from marketdata.paths import resolve_store_path
from marketdata.sources.store import SnapshotStore
from marketdata.sources.yahoo import YahooSource
from pricing.errors import InputError


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What happened to one symbol: ``ok`` (fetched and stored), a ``message`` (the error, or
    ``"ok"`` / ``"N expiries skipped"``), the stored ``snapshot_id``, the number of ``quotes``
    and ``expiries``, the ``skipped`` expiries, the ``spot`` (price units) and whether the
    chain was ``fetched`` (True also when only storing it failed)."""

    symbol: str
    ok: bool
    message: str
    snapshot_id: int | None = None
    quotes: int = 0
    expiries: int = 0
    skipped: int = 0
    spot: float | None = None
    fetched: bool = False


@dataclass(frozen=True, slots=True)
class FetchEvent:
    """A progress report: ``kind`` is ``"start"``, ``"progress"`` (``done`` of ``total``
    expiries fetched) or ``"done"`` (``outcome`` set)."""

    symbol: str
    kind: Literal["start", "progress", "done"]
    done: int = 0
    total: int = 0
    outcome: FetchOutcome | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The store file written and one outcome per symbol, in order."""

    store_path: Path
    outcomes: tuple[FetchOutcome, ...]

    @property
    def failed(self) -> tuple[FetchOutcome, ...]:
        """The outcomes that failed."""
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def source_unreachable(self) -> bool:
        """True when every symbol failed because Yahoo was unreachable or rate-limiting."""
        failed = self.failed
        return (
            bool(failed)
            and len(failed) == len(self.outcomes)
            and all(
                "SourceUnavailableError" in o.message or "RateLimitedError" in o.message
                for o in failed
            )
        )


def fetch_and_store(
    symbols: Sequence[str],
    *,
    store_path: str | Path | None,
    clock: Callable[[], datetime],
    max_expiries: int | None = None,
    ticker_factory: Any = None,
    sleep: Callable[[float], None] | None = None,
    timeout_s: float | None = 20.0,
    on_event: Callable[[FetchEvent], None] | None = None,
) -> FetchResult:
    """Fetch each of ``symbols`` live (the nearest ``max_expiries`` expiries, ``timeout_s``
    seconds per answer) and save it in the store at ``store_path`` (default: ``HEDGE_STORE``,
    else the user data folder). ``clock`` gives the time (tz-aware); ``ticker_factory`` and
    ``sleep`` replace yfinance's ticker and the back-off sleep (tests). Never raises for a
    symbol's failure: it becomes an outcome with its message."""
    emit = on_event or (lambda event: None)
    path = resolve_store_path(store_path)
    from marketdata.paths import cache_dir
    from marketdata.sources.yahoo import use_cache_folder

    use_cache_folder(cache_dir(store_path))  # yfinance's caches beside the store, not in $HOME
    store = SnapshotStore(path)
    source = YahooSource(
        clock=clock,
        ticker_factory=ticker_factory,
        max_expiries=max_expiries,
        sleep=sleep,
        timeout_s=timeout_s,
    )
    outcomes: list[FetchOutcome] = []

    def finish(outcome: FetchOutcome) -> None:
        outcomes.append(outcome)
        emit(FetchEvent(outcome.symbol, "done", outcome=outcome))

    for symbol in symbols:
        emit(FetchEvent(symbol, "start"))

        def report(done: int, total: int, symbol: str = symbol) -> None:
            emit(FetchEvent(symbol, "progress", done, total))

        try:
            snapshot = source.load(symbol, progress=report)
        except (MarketDataError, InputError) as exc:
            finish(FetchOutcome(symbol, False, f"{type(exc).__name__}: {exc}"))
            continue
        skipped = len(snapshot.meta.get("skipped_expiries") or [])
        try:
            snapshot_id = store.save(snapshot)
        except StoreError as exc:
            finish(
                FetchOutcome(
                    symbol,
                    False,
                    f"fetched but NOT stored: {exc}",
                    quotes=len(snapshot.chain),
                    spot=snapshot.spot,
                    fetched=True,
                )
            )
            continue
        note = f"{skipped} expiries skipped" if skipped else "ok"
        finish(
            FetchOutcome(
                symbol,
                True,
                note,
                snapshot_id,
                len(snapshot.chain),
                len(snapshot.chain.expiries),
                skipped,
                snapshot.spot,
                fetched=True,
            )
        )
    return FetchResult(path, tuple(outcomes))
