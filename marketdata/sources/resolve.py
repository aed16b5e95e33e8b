"""Pick a snapshot from a source string and say, in one human line, where it came from and how
old it is.

Source strings: ``demo`` (the bundled synthetic snapshot), ``yahoo`` (live, errors raised),
``store`` (the newest stored snapshot at or before ``now``), ``auto`` (live if reachable, else
the newest stored snapshot, else the demo, always saying which and why) or a CSV file path.

Examples of the line: ``live Yahoo Finance, 0 s old``; ``stored snapshot from 2026-11-19 16:10
ET, 1 day old``; ``SYNTHETIC demo data as of 2026-11-20 16:15 ET``; ``Yahoo unreachable: ...;
using stored snapshot from 2026-11-19 16:10 ET, 1 day old``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from marketdata.errors import MarketDataError, NoDataError, RateLimitedError, SourceUnavailableError
from marketdata.paths import resolve_store_path
from marketdata.snapshot import MarketSnapshot, require_aware
from marketdata.sources.base import canonical_symbol, describe_age, format_et
from marketdata.sources.overrides import ChainOverrides, OverrideError, source_notes
from pricing.errors import InputError

KEYWORDS = ("auto", "yahoo", "store", "demo")


@dataclass(frozen=True, slots=True)
class ResolvedSnapshot:
    """A snapshot and where it came from.

    ``kind`` is ``live``, ``store``, ``demo`` or ``csv``; ``description`` is the line to show
    the user (it includes the fallback reasons); ``reasons`` lists why earlier choices of
    ``auto`` were passed over; ``synthetic`` repeats the snapshot's flag for labels.
    """

    snapshot: MarketSnapshot
    kind: str
    description: str
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("live", "store", "demo", "csv"):
            raise InputError("kind", self.kind, "must be live, store, demo or csv")
        if not self.description:
            raise InputError("description", self.description, "must say where the data came from")

    @property
    def synthetic(self) -> bool:
        """True if the data are generated (every view must label them)."""
        return self.snapshot.synthetic


def _expiry_list(expiry: date | Sequence[date] | None) -> list[date] | None:
    if expiry is None:
        return None
    if isinstance(expiry, date):
        return [expiry]
    return list(expiry)


def _restrict(snapshot: MarketSnapshot, expiries: list[date] | None, what: str) -> MarketSnapshot:
    """Keep only ``expiries`` of the chain; :class:`NoDataError` if the chain has none of them."""
    if expiries is None:
        return snapshot
    frame = snapshot.chain.frame
    wanted = {d for d in expiries}
    mask = frame["expiry"].map(lambda x: x.date() in wanted)
    if not bool(mask.any()):
        have = ", ".join(d.isoformat() for d in snapshot.chain.expiries) or "none"
        raise NoDataError(
            f"{what} has no quotes for expiry {', '.join(sorted(d.isoformat() for d in wanted))} (has {have})"
        )
    from marketdata.snapshot import OptionChain

    return snapshot.with_chain(OptionChain(frame.loc[mask].reset_index(drop=True)))


def _labelled(snapshot: MarketSnapshot, text: str) -> str:
    return f"SYNTHETIC {text}" if snapshot.synthetic and not text.startswith("SYNTHETIC") else text


def _live(
    symbol: str,
    now: datetime,
    expiries: list[date] | None,
    factory: Any,
    options: Mapping[str, Any] | None,
    *,
    auto: bool,
) -> ResolvedSnapshot:
    from marketdata.sources.yahoo import YahooSource

    settings: dict[str, Any] = {
        "max_retries": 1 if auto else 3,
        "timeout_s": 15.0 if auto else 20.0,
    }
    settings.update(options or {})
    source = YahooSource(clock=lambda: now, ticker_factory=factory, **settings)
    snap = source.load(symbol, expiries=expiries)
    text = f"live Yahoo Finance, {describe_age(snap.age_seconds(now))}"
    skipped = snap.meta.get("skipped_expiries") or []
    if skipped:
        text += f" ({len(skipped)} expir{'y' if len(skipped) == 1 else 'ies'} skipped)"
    return ResolvedSnapshot(snap, "live", text)


def _stored(
    symbol: str, now: datetime, expiries: list[date] | None, store_path: Any
) -> ResolvedSnapshot:
    from marketdata.sources.store import SnapshotStore

    store = SnapshotStore(resolve_store_path(store_path))
    snap = _restrict(
        store.load(symbol, at=now), expiries, f"the stored {canonical_symbol(symbol)} snapshot"
    )
    text = _labelled(
        snap, f"stored snapshot from {format_et(snap.as_of)}, {describe_age(snap.age_seconds(now))}"
    )
    return ResolvedSnapshot(snap, "store", text)


def _demo(symbol: str, now: datetime, expiries: list[date] | None) -> ResolvedSnapshot:
    try:
        module = importlib.import_module("marketdata.sources.demo")
    except ImportError as exc:
        raise NoDataError(f"the bundled demo data is not available ({exc})") from exc
    load_demo = getattr(module, "load_demo", None)
    if not callable(load_demo):
        raise NoDataError(
            "the bundled demo data is not available (marketdata.sources.demo.load_demo missing)"
        )
    snap = load_demo(canonical_symbol(symbol))
    if not isinstance(snap, MarketSnapshot):
        raise NoDataError(f"the demo source returned {type(snap).__name__}, not a snapshot")
    snap = _restrict(snap, expiries, f"the demo {canonical_symbol(symbol)} snapshot")
    kind = "SYNTHETIC demo data" if snap.synthetic else "demo data"
    return ResolvedSnapshot(snap, "demo", f"{kind} as of {format_et(snap.as_of)}")


def _csv(
    paths: list[Path],
    symbol: str,
    now: datetime,
    expiries: list[date] | None,
    overrides: ChainOverrides | None,
) -> ResolvedSnapshot:
    from marketdata.errors import SchemaError
    from marketdata.sources.chain_file import read_chain_file

    try:
        snap = read_chain_file(paths, overrides=overrides)
    except SchemaError as exc:
        if "underlying is unknown" not in str(exc):
            raise
        snap = read_chain_file(paths, symbol=symbol, overrides=overrides)
    shown = ",".join(str(p) for p in paths)
    if snap.underlying != symbol:
        raise InputError("symbol", symbol, f"the CSV file {shown} holds {snap.underlying} options")
    snap = _restrict(snap, expiries, f"CSV file {shown}")
    what = "Cboe download" if snap.meta.get("format") == "cboe quotedata" else "CSV file"
    text = _labelled(
        snap,
        f"{what} {' + '.join(p.name for p in paths)}, quotes as of {format_et(snap.as_of)}, "
        f"{describe_age(snap.age_seconds(now))}",
    )
    return ResolvedSnapshot(snap, "csv", with_source_notes(text, snap))


def with_source_notes(description: str, snapshot: MarketSnapshot) -> str:
    """``description`` followed by what the command line replaced in a chain file and the
    missing-dividends warning (:func:`marketdata.sources.overrides.source_notes`)."""
    notes = source_notes(snapshot)
    return "; ".join([description, *notes]) if notes else description


#: Longest upstream message kept in a one-line description (the full text stays in ``reasons``).
SHORT_REASON_CHARS = 200


def short_reason(text: str, limit: int = SHORT_REASON_CHARS) -> str:
    """The first sentence of the first line of an upstream message (a curl error can run to 400
    characters), cut to ``limit`` characters with an ellipsis."""
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    end = first.find(". ")
    if 0 < end < limit:  # the first sentence: drops "See https://..." tails
        first = first[: end + 1]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _why_not_live(exc: Exception) -> str:
    if isinstance(exc, RateLimitedError):
        return f"Yahoo rate-limited: {exc}"
    if isinstance(exc, SourceUnavailableError):
        return f"Yahoo unreachable: {exc}"
    return f"Yahoo gave nothing usable: {exc}"


def _summary(reasons: Sequence[str]) -> str:
    return "; ".join(short_reason(r) for r in reasons)


def load_snapshot(
    symbol: str,
    source: str = "auto",
    *,
    store_path: str | os.PathLike[str] | None = None,
    now: datetime,
    expiry: date | Sequence[date] | None = None,
    yahoo_factory: Any = None,
    yahoo_options: Mapping[str, Any] | None = None,
    overrides: ChainOverrides | None = None,
) -> ResolvedSnapshot:
    """Load ``symbol``'s snapshot from ``source`` (``auto``, ``yahoo``, ``store``, ``demo`` or a
    CSV path) as seen at ``now`` (tz-aware; ages are measured to it, and a stored snapshot is
    the newest taken at or before it). ``expiry`` (a date or several) restricts the chain;
    ``store_path`` overrides ``HEDGE_STORE`` and the default store; ``yahoo_factory`` is the
    yfinance ticker factory (tests pass a replaying fake) and ``yahoo_options`` extra
    :class:`~marketdata.sources.yahoo.YahooSource` settings (``timeout_s``, ``max_retries``,
    ``backoff_s``, ``sleep``; ``auto`` defaults to one retry and a 15 s timeout).

    ``overrides`` (the command line's ``--spot``, ``--as-of``, ``--rate``, ``--dividends``,
    ``--div-yield``) apply to a chain file only: with another source they raise
    :class:`~marketdata.sources.overrides.OverrideError` naming the flag. A file may also be
    a calls/puts pair ``calls.csv,puts.csv``; its format is detected from its content
    (:mod:`marketdata.sources.chain_file`).

    ``auto`` tries live Yahoo, then the store, then the demo, and says which one it used and
    why the others were passed over. The other sources raise their typed errors
    (:class:`RateLimitedError`, :class:`SourceUnavailableError`, :class:`NoDataError`,
    :class:`~marketdata.errors.SchemaError`, :class:`~marketdata.errors.StoreError`).
    """
    require_aware("now", now)
    name = canonical_symbol(symbol)
    expiries = _expiry_list(expiry)
    choice = (source or "auto").strip()
    key = choice.lower()
    if overrides and key in (*KEYWORDS, "live"):
        flag = overrides.given[0]
        raise OverrideError(
            flag,
            overrides.text(flag),
            f"applies to a chain file (--source FILE), not to the {key} source",
        )
    if key in ("yahoo", "live", "auto"):
        from marketdata.paths import cache_dir
        from marketdata.sources.yahoo import use_cache_folder

        use_cache_folder(cache_dir(store_path))  # yfinance's caches beside the store, not in $HOME
    if key in ("yahoo", "live"):
        return _live(name, now, expiries, yahoo_factory, yahoo_options, auto=False)
    if key == "store":
        return _stored(name, now, expiries, store_path)
    if key == "demo":
        return _demo(name, now, expiries)
    if key == "auto":
        reasons: list[str] = []
        try:
            return _live(name, now, expiries, yahoo_factory, yahoo_options, auto=True)
        except MarketDataError as exc:
            reasons.append(_why_not_live(exc))
        try:
            found = _stored(name, now, expiries, store_path)
            return ResolvedSnapshot(
                found.snapshot,
                found.kind,
                f"{_summary(reasons)}; using {found.description}",
                tuple(reasons),
            )
        except MarketDataError as exc:
            reasons.append(f"no stored snapshot: {exc}")
        try:
            found = _demo(name, now, expiries)
            return ResolvedSnapshot(
                found.snapshot,
                found.kind,
                f"{_summary(reasons)}; using {found.description}",
                tuple(reasons),
            )
        except (MarketDataError, InputError, KeyError) as exc:
            reasons.append(f"no demo data: {exc}")
        raise NoDataError(f"no data for {name} from any source: " + "; ".join(reasons))
    from marketdata.sources.chain_file import split_paths

    paths = split_paths(choice)
    if paths is not None:
        return _csv(paths, name, now, expiries, overrides)
    raise InputError(
        "source", source, f"must be one of {', '.join(KEYWORDS)} or an existing CSV file"
    )


#: How far from a settlement moment a stored snapshot may be taken to count as the spot at expiry.
SETTLEMENT_SNAPSHOT_WINDOW_S = 30 * 60.0


def recorded_spot_at(
    symbol: str, moment: datetime, *, store_path: str | os.PathLike[str] | None = None
) -> float | None:
    """The spot (price units) of ``symbol`` in the stored snapshot taken nearest before
    ``moment`` + :data:`SETTLEMENT_SNAPSHOT_WINDOW_S`, if it was taken within that window of
    ``moment`` (tz-aware); None when the store does not exist, has no such snapshot or cannot be
    read. Never creates the store."""
    from datetime import timedelta

    from marketdata.sources.store import SnapshotStore

    require_aware("moment", moment)
    path = resolve_store_path(store_path)
    if not path.is_file():
        return None
    window = timedelta(seconds=SETTLEMENT_SNAPSHOT_WINDOW_S)
    try:
        snap = SnapshotStore(path).load(symbol, at=moment + window)
    except (MarketDataError, InputError):
        return None
    return snap.spot if abs(snap.as_of - moment) <= window else None
