"""The fetch-and-store loop of :mod:`marketdata.fetching` (shared by ``hedge fetch`` and the app):
progress events in order, one outcome per symbol, no clock read (the clock is a parameter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketdata.fetching import FetchEvent, fetch_and_store
from marketdata.sources.store import SnapshotStore
from tests.marketdata.yahoo_replay import AS_OF, Replay

pytestmark = pytest.mark.filterwarnings(
    "ignore:Series.values returning an ndarray that drops timezone"
)


def test_events_report_each_symbol_and_a_failure_keeps_the_others(tmp_path: Path) -> None:
    events: list[FetchEvent] = []
    result = fetch_and_store(
        ["IWM", "SPY"],
        store_path=tmp_path / "s.sqlite3",
        clock=lambda: AS_OF,
        max_expiries=2,
        ticker_factory=Replay("spy_down"),
        sleep=lambda s: None,
        on_event=events.append,
    )
    assert [o.symbol for o in result.outcomes] == ["IWM", "SPY"]
    iwm, spy = result.outcomes
    assert iwm.ok and iwm.fetched and iwm.expiries == 2 and iwm.snapshot_id is not None
    assert not spy.ok and not spy.fetched and "SourceUnavailableError" in spy.message
    assert result.failed == (spy,) and not result.source_unreachable
    kinds = [(e.symbol, e.kind) for e in events]
    assert kinds[0] == ("IWM", "start") and kinds[-1] == ("SPY", "done")
    progress = [e for e in events if e.symbol == "IWM" and e.kind == "progress"]
    assert progress and progress[-1].done == progress[-1].total == 2
    assert [e.outcome for e in events if e.kind == "done"] == list(result.outcomes)
    assert [i.underlying for i in SnapshotStore(result.store_path).list()] == ["IWM"]
