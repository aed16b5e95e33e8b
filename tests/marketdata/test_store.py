"""The SQLite snapshot store: exact round trips, newest-at-or-before lookups, pruning, and fault
injection (read-only folder, corrupt or foreign file, failure and crash mid-save): each gives a
StoreError naming the path, the process keeps running and nothing stored is lost."""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import marketdata.sources.store as store_mod
from marketdata.errors import NoDataError, StoreError
from marketdata.paths import STORE_ENV, resolve_store_path, user_data_dir
from marketdata.snapshot import DividendForecast, MarketSnapshot, OptionChain, RateCurve
from marketdata.sources.base import normalize_chain_frame
from marketdata.sources.store import SnapshotStore
from tests.marketdata.yahoo_replay import AS_OF, Replay

NY = ZoneInfo("America/New_York")
ROOT = Path(__file__).resolve().parents[2]


def make_snapshot(
    as_of: datetime = AS_OF, spot: float = 238.52, symbol: str = "IWM", **kwargs: object
) -> MarketSnapshot:
    raw = pd.DataFrame(
        {
            "expiry": ["2026-12-18", "2026-12-18", "2027-03-19"],
            "kind": ["call", "put", "put"],
            "strike": [240.0, 230.0, 220.0],
            "bid": [5.1, 0.0, math.nan],
            "ask": [5.3, 0.0, 3.2],
            "last": [5.2, 1.15, math.nan],
            "volume": [10, 0, 3],
            "open_interest": [100, 0, 7],
            "settlement": ["pm"] * 3,
            "style": ["american"] * 3,
            "multiplier": [100.0] * 3,
            "root": [symbol] * 3,
            "last_trade": ["2026-11-19T20:59:58+00:00", "", "2026-11-10T15:00:00+00:00"],
            "source_iv": [0.21, 1e-5, math.nan],
            "contract_symbol": [f"{symbol}261218C00240000", f"{symbol}261218P00230000", ""],
        }
    )
    options: dict[str, object] = {
        "as_of": as_of,
        "underlying": symbol,
        "spot": spot,
        "rate_curve": RateCurve((0.25, 5.0, 10.0), (0.0399, 0.0381, 0.0422)),
        "dividends": DividendForecast((date(2026, 12, 16), date(2027, 3, 17)), (0.702, 0.471)),
        "chain": OptionChain(normalize_chain_frame(raw, "test")),
        "source": "yahoo",
        "meta": {"note": "test"},
    }
    options.update(kwargs)
    return MarketSnapshot(**options)  # type: ignore[arg-type]


def assert_same(a: MarketSnapshot, b: MarketSnapshot) -> None:
    pd.testing.assert_frame_equal(a.chain.frame, b.chain.frame, check_exact=True)
    for col in a.chain.frame.columns:  # bit for bit, NaN payloads and -0.0 included
        if a.chain.frame[col].dtype.kind == "f":
            assert (
                a.chain.frame[col].to_numpy().tobytes() == b.chain.frame[col].to_numpy().tobytes()
            ), col
    assert (
        a.as_of == b.as_of
        and a.as_of.utcoffset() == b.as_of.utcoffset()
        and a.as_of.tzinfo == b.as_of.tzinfo
    )
    assert a.underlying == b.underlying and a.spot == b.spot and a.source == b.source
    assert a.synthetic is b.synthetic
    assert a.rate_curve == b.rate_curve and a.dividends == b.dividends
    assert _meta_equal(a.meta, b.meta)


def _meta_equal(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_meta_equal(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(_meta_equal(p, q) for p, q in zip(x, y, strict=True))
    if isinstance(x, datetime):
        return bool(x == y and x.tzinfo == y.tzinfo and x.fold == y.fold)
    return bool(x == y)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> SnapshotStore:
    return SnapshotStore(tmp_path_factory.mktemp("shared") / "snapshots.sqlite3")


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "data" / "snapshots.sqlite3")


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray that drops timezone")
def test_yahoo_snapshot_round_trips_exactly(store: SnapshotStore) -> None:
    from marketdata.sources.yahoo import YahooSource

    snap = YahooSource(clock=lambda: AS_OF, ticker_factory=Replay("vanishing_expiry")).load("RUT")
    snapshot_id = store.save(snap)
    assert_same(snap, store.load("RUT"))
    assert_same(snap, store.load_id(snapshot_id))


def test_awkward_values_round_trip_exactly(store: SnapshotStore) -> None:
    base = make_snapshot()
    frame = base.chain.frame.copy()
    frame["bid"] = [
        -0.0,
        math.inf,
        np.frombuffer(b"\x01\x00\x00\x00\x00\x00\xf8\x7f", dtype="<f8")[0],
    ]
    frame["flag"] = pd.Categorical(["stale", "ok", "stale"], categories=["ok", "stale", "crossed"])
    frame["maybe"] = pd.array([1, None, 3], dtype="Int64")
    frame["good"] = pd.array([True, None, False], dtype="boolean")
    frame["mixed"] = pd.Series(["x", None, date(2026, 1, 2)], dtype=object)
    frame["seen_ny"] = pd.DatetimeIndex(
        [pd.Timestamp("2026-11-19 09:30"), pd.NaT, pd.Timestamp("2026-11-18 16:00")]
    ).tz_localize(NY)
    frame["age"] = pd.to_timedelta([1, 2, 3], unit="h")
    frame["note"] = pd.Series(["a", math.nan, "c"], dtype="str")
    odd = make_snapshot(
        as_of=datetime(2026, 11, 19, 16, 10, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
        chain=OptionChain(frame),
        synthetic=True,
        source="demo",
        meta={
            "tuple": (1, 2.5, "x"),
            "list": [date(2026, 1, 2), None, math.nan, math.inf],
            "nested": {"when": datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY), 3: "int key"},
            "$odd": True,
            "skipped_expiries": [{"expiry": "2026-12-04", "reason": "vanished"}],
        },
    )
    store.save(odd)
    back = store.load("IWM")
    assert_same(odd, back)
    assert back.chain.frame["flag"].dtype == frame["flag"].dtype
    assert (
        back.chain.frame["bid"].to_numpy().view(np.uint64)[2]
        == frame["bid"].to_numpy().view(np.uint64)[2]
    )


@given(
    floats=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=3, max_size=3
    ),
    spot=st.floats(min_value=1e-6, max_value=1e7, allow_nan=False),
    seconds=st.integers(min_value=0, max_value=10**8),
    micro=st.integers(min_value=0, max_value=999_999),
    zone=st.sampled_from(["America/New_York", "UTC", "Europe/London", "Asia/Tokyo"]),
)
def test_floats_times_and_zones_round_trip(
    shared_store: SnapshotStore,
    floats: list[float],
    spot: float,
    seconds: int,
    micro: int,
    zone: str,
) -> None:
    as_of = (
        datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=micro)
    ).astimezone(ZoneInfo(zone))
    base = make_snapshot(as_of=as_of, spot=spot, meta={"x": floats[0], "xs": tuple(floats)})
    frame = base.chain.frame.copy()
    frame["last"] = floats
    snap = make_snapshot(as_of=as_of, spot=spot, chain=OptionChain(frame), meta=base.meta)
    assert_same(snap, shared_store.load_id(shared_store.save(snap)))


# ---------------------------------------------------------------------------------------------
# Lookups and pruning
# ---------------------------------------------------------------------------------------------


def test_load_newest_at_or_before_and_list(store: SnapshotStore) -> None:
    times = [AS_OF - timedelta(days=2), AS_OF - timedelta(days=1), AS_OF]
    for i, t in enumerate(times):
        store.save(make_snapshot(as_of=t, spot=200.0 + i))
    store.save(make_snapshot(as_of=AS_OF - timedelta(hours=1), spot=2400.0, symbol="RUT"))
    assert store.load("IWM").spot == 202.0
    assert store.load("iwm", at=AS_OF - timedelta(hours=1)).spot == 201.0
    assert store.load("IWM", at=times[0]).spot == 200.0
    with pytest.raises(NoDataError, match="no stored snapshot of IWM at or before"):
        store.load("IWM", at=times[0] - timedelta(seconds=1))
    with pytest.raises(NoDataError, match="SPY"):
        store.load("SPY")
    listed = store.list()
    assert [(i.underlying, i.spot) for i in listed] == [
        ("IWM", 200.0),
        ("IWM", 201.0),
        ("RUT", 2400.0),
        ("IWM", 202.0),
    ]
    assert [i.spot for i in store.list("IWM")] == [200.0, 201.0, 202.0]
    assert listed[0].expiries == (date(2026, 12, 18), date(2027, 3, 19)) and listed[0].n_quotes == 3
    assert listed[-1].as_of == AS_OF


def test_same_as_of_twice_loads_the_later_save(store: SnapshotStore) -> None:
    store.save(make_snapshot(spot=1.0))
    store.save(make_snapshot(spot=2.0))
    assert store.load("IWM").spot == 2.0


def test_prune_keep_last_and_older_than(store: SnapshotStore) -> None:
    for i in range(5):
        store.save(make_snapshot(as_of=AS_OF - timedelta(days=i), spot=100.0 + i))
    for i in range(2):
        store.save(make_snapshot(as_of=AS_OF - timedelta(days=i), spot=2000.0 + i, symbol="RUT"))
    assert store.prune(keep_last=3, symbol="IWM") == 2
    assert sorted(i.spot for i in store.list("IWM")) == [100.0, 101.0, 102.0]
    assert store.prune(older_than=AS_OF - timedelta(hours=12)) == 3  # IWM 101, 102 and RUT 2001
    assert [(i.underlying, i.spot) for i in store.list()] == [("IWM", 100.0), ("RUT", 2000.0)]
    assert store.prune(keep_last=0) == 2 and store.list() == []
    with pytest.raises(StoreError, match="keep_last"):
        store.prune()
    with sqlite3.connect(store.path) as conn:  # nothing orphaned
        assert conn.execute("SELECT COUNT(*) FROM chain_columns").fetchone()[0] == 0


def test_reading_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "nowhere" / "s.sqlite3")
    assert store.list() == []
    with pytest.raises(NoDataError, match="does not exist yet"):
        store.load("IWM")
    assert store.prune(keep_last=1) == 0
    assert not (tmp_path / "nowhere").exists()


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------


def _read_only_connect(path: Path, *, write: bool) -> sqlite3.Connection:
    """SQLite opened read-only, as it is in a read-only folder."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)


def test_read_only_store_gives_store_error_and_keeps_data(
    store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_snapshot(spot=111.0)
    store.save(first)
    before = file_hash(store.path)
    monkeypatch.setattr(store_mod, "_connect", _read_only_connect)
    with pytest.raises(StoreError, match=r"not writable") as info:
        store.save(make_snapshot(as_of=AS_OF + timedelta(hours=1), spot=222.0))
    assert str(store.path) in str(info.value)
    # The process keeps going: reading still works, nothing changed.
    assert_same(first, store.load("IWM"))
    assert file_hash(store.path) == before


def test_store_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = SnapshotStore(blocker / "sub" / "s.sqlite3")
    with pytest.raises(StoreError, match="cannot create its folder") as info:
        store.save(make_snapshot())
    assert str(blocker / "sub") in str(info.value)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions"
)
def test_read_only_folder_permissions(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    store = SnapshotStore(folder / "s.sqlite3")
    store.save(make_snapshot(spot=111.0))
    folder.chmod(0o555)
    (folder / "s.sqlite3").chmod(0o444)
    try:
        with pytest.raises(StoreError, match=str(folder)):
            store.save(make_snapshot(spot=222.0))
        assert store.load("IWM").spot == 111.0
    finally:
        folder.chmod(0o755)


def test_corrupt_file_is_reported_and_never_touched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not sqlite at all\x00" * 200)
    before = file_hash(path)
    store = SnapshotStore(path)
    for action in (
        lambda: store.save(make_snapshot()),
        store.list,
        lambda: store.load("IWM"),
        lambda: store.prune(keep_last=1),
    ):
        with pytest.raises(StoreError, match="corrupt") as info:
            action()
        assert str(path) in str(info.value) and "left untouched" in str(info.value)
    assert path.exists() and file_hash(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite3"]


def test_damaged_pages_are_reported_and_the_file_kept(store: SnapshotStore) -> None:
    store.save(make_snapshot())
    data = bytearray(store.path.read_bytes())
    page = 4096
    assert len(data) > 2 * page
    data[page:] = b"\xff" * (len(data) - page)  # keep the header page, trash the rest
    store.path.write_bytes(bytes(data))
    before = file_hash(store.path)
    with pytest.raises(StoreError, match=r"corrupt|malformed"):
        store.load("IWM")
    with pytest.raises(StoreError):
        store.save(make_snapshot(spot=5.0))
    assert file_hash(store.path) == before


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (x TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    before = file_hash(path)
    with pytest.raises(StoreError, match="not a smallcap-hedge snapshot store"):
        SnapshotStore(path).save(make_snapshot())
    assert file_hash(path) == before


def test_newer_schema_is_refused(store: SnapshotStore) -> None:
    store.save(make_snapshot())
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE store_info SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99, newer"):
        store.load("IWM")


def test_failure_mid_save_rolls_back_and_keeps_earlier_snapshots(
    store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_snapshot(spot=111.0)
    store.save(first)
    real = store_mod._insert_columns

    def half_then_boom(
        conn: sqlite3.Connection, snapshot_id: int, columns: list[store_mod._Column]
    ) -> None:
        real(conn, snapshot_id, columns[:4])
        raise RuntimeError("disk pulled out mid-save")

    monkeypatch.setattr(store_mod, "_insert_columns", half_then_boom)
    with pytest.raises(StoreError, match="disk pulled out"):
        store.save(make_snapshot(as_of=AS_OF + timedelta(hours=1), spot=222.0))
    monkeypatch.setattr(store_mod, "_insert_columns", real)
    assert [i.spot for i in store.list()] == [111.0]
    assert_same(first, store.load("IWM"))
    with sqlite3.connect(store.path) as conn:
        assert (
            conn.execute("SELECT COUNT(DISTINCT snapshot_id) FROM chain_columns").fetchone()[0] == 1
        )
    conn.close()
    store.save(make_snapshot(as_of=AS_OF + timedelta(hours=2), spot=333.0))  # still usable
    assert store.load("IWM").spot == 333.0


def test_crash_mid_transaction_is_rolled_back_at_next_open(store: SnapshotStore) -> None:
    first = make_snapshot(spot=111.0)
    store.save(first)
    code = f"""
import os, sys
sys.path.insert(0, {str(ROOT)!r})
import marketdata.sources.store as store_mod
from tests.marketdata.test_store import make_snapshot
from datetime import timedelta
from tests.marketdata.yahoo_replay import AS_OF
real = store_mod._insert_columns
def crash(conn, snapshot_id, columns):
    real(conn, snapshot_id, columns[:3])
    os._exit(17)  # the process dies inside the transaction
store_mod._insert_columns = crash
store_mod.SnapshotStore({str(store.path)!r}).save(make_snapshot(as_of=AS_OF + timedelta(hours=1), spot=222.0))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 17, result.stderr
    assert [i.spot for i in store.list()] == [111.0]
    assert_same(first, store.load("IWM"))


def test_unstorable_meta_writes_nothing(store: SnapshotStore) -> None:
    store.save(make_snapshot(spot=111.0))
    before = file_hash(store.path)
    with pytest.raises(StoreError, match=r"meta\.bad: a object"):
        store.save(make_snapshot(spot=222.0, meta={"bad": object()}))
    assert file_hash(store.path) == before


# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------


def test_store_path_precedence(tmp_path: Path) -> None:
    env = {STORE_ENV: str(tmp_path / "env.sqlite3")}
    assert resolve_store_path(tmp_path / "flag.sqlite3", environ=env) == tmp_path / "flag.sqlite3"
    assert resolve_store_path(None, environ=env) == tmp_path / "env.sqlite3"
    assert resolve_store_path(None, environ={}) == user_data_dir() / "snapshots.sqlite3"
    assert resolve_store_path(str(tmp_path), environ={}) == tmp_path / "snapshots.sqlite3"
    assert resolve_store_path("~/x.sqlite3", environ={}) == Path.home() / "x.sqlite3"
    import platformdirs

    assert user_data_dir() == Path(platformdirs.user_data_dir("smallcap-hedge"))
