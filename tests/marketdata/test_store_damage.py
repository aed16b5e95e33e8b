"""A store row with bad JSON is a StoreError naming the snapshot (no traceback), and ``--source
auto`` falls back past it; long upstream messages are cut to one short line in descriptions."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

import marketdata.sources.resolve as resolve_mod
from marketdata.errors import StoreError
from marketdata.sources.resolve import ResolvedSnapshot, load_snapshot, short_reason
from marketdata.sources.store import SnapshotStore
from tests.marketdata.test_store import make_snapshot
from tests.marketdata.yahoo_replay import AS_OF, Replay

pytestmark = pytest.mark.filterwarnings(
    "ignore:Series.values returning an ndarray that drops timezone"
)


@pytest.mark.parametrize("column", ["rate_curve", "dividends", "meta", "as_of_tz"])
def test_bad_json_row_is_a_store_error_and_auto_falls_back(
    column: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite3"
    SnapshotStore(path).save(make_snapshot(as_of=AS_OF - timedelta(days=1)))
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE snapshots SET {column} = ?", ("{not json",))
    with pytest.raises(StoreError, match="snapshot 1"):
        load_snapshot("IWM", "store", store_path=path, now=AS_OF)
    demo = make_snapshot(synthetic=True, source="demo")
    monkeypatch.setattr(
        resolve_mod,
        "_demo",
        lambda symbol, now, expiries: ResolvedSnapshot(demo, "demo", "SYNTHETIC demo"),
    )
    found = load_snapshot(
        "IWM", "auto", store_path=path, now=AS_OF, yahoo_factory=Replay("connection_error")
    )
    assert found.kind == "demo" and any("snapshot 1" in r for r in found.reasons)


def test_long_upstream_errors_are_one_short_line() -> None:
    curl = (
        "curl: (6) Could not resolve host: query2.finance.yahoo.com " + "x" * 400 + "\nsecond line"
    )
    short = short_reason(curl)
    assert (
        len(short) <= resolve_mod.SHORT_REASON_CHARS and "\n" not in short and short.endswith("…")
    )
    assert short_reason("short\nmore") == "short"
    curl_real = (
        "cannot reach Yahoo Finance (IWM expiries): curl: (6) Could not resolve host: "
        "query2.finance.yahoo.com (Domain name not found). See https://curl.se/libcurl/c/libcurl-errors.html"
    )
    assert short_reason(curl_real).endswith("(Domain name not found).")
