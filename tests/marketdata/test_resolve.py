"""Source resolution: demo | yahoo | auto | store | CSV path, and the human line saying which
source was used, how old the data are and, for ``auto``, why the others were passed over."""

from __future__ import annotations

import importlib
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import marketdata.sources.resolve as resolve_mod
from marketdata.errors import NoDataError, SourceUnavailableError, StoreError
from marketdata.paths import STORE_ENV
from marketdata.sources.csv_import import write_chain_csv
from marketdata.sources.resolve import ResolvedSnapshot, load_snapshot
from marketdata.sources.store import SnapshotStore
from pricing.errors import InputError
from tests.marketdata.test_store import make_snapshot
from tests.marketdata.yahoo_replay import AS_OF, Replay

pytestmark = pytest.mark.filterwarnings(
    "ignore:Series.values returning an ndarray that drops timezone"
)

YESTERDAY = AS_OF - timedelta(days=1)


def _demo_available() -> bool:
    try:
        module = importlib.import_module("marketdata.sources.demo")
    except ImportError:
        return False
    return callable(getattr(module, "load_demo", None))


needs_demo = pytest.mark.skipif(
    not _demo_available(), reason="marketdata.sources.demo.load_demo is not written yet"
)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "snapshots.sqlite3"
    SnapshotStore(path).save(make_snapshot(as_of=YESTERDAY, spot=230.0))
    return path


def test_live_yahoo() -> None:
    found = load_snapshot("IWM", "yahoo", now=AS_OF, yahoo_factory=Replay("ok"))
    assert isinstance(found, ResolvedSnapshot)
    assert found.kind == "live" and found.description == "live Yahoo Finance, 0 s old"
    assert found.snapshot.spot == 238.52 and not found.synthetic and found.reasons == ()


def test_live_yahoo_one_expiry_and_skips_are_said() -> None:
    found = load_snapshot(
        "IWM", "yahoo", now=AS_OF, expiry=date(2026, 12, 18), yahoo_factory=Replay("ok")
    )
    assert found.snapshot.chain.expiries == [date(2026, 12, 18)]
    later = load_snapshot("IWM", "yahoo", now=AS_OF, yahoo_factory=Replay("vanishing_expiry"))
    assert later.description == "live Yahoo Finance, 0 s old (1 expiry skipped)"


def test_explicit_yahoo_raises_typed_errors() -> None:
    with pytest.raises(SourceUnavailableError, match="cannot reach Yahoo Finance"):
        load_snapshot("IWM", "yahoo", now=AS_OF, yahoo_factory=Replay("connection_error"))


def test_store_says_when_and_how_old(store_path: Path) -> None:
    found = load_snapshot("IWM", "store", store_path=store_path, now=AS_OF)
    assert found.kind == "store"
    assert found.description == "stored snapshot from 2026-11-18 16:10 ET, 1 day old"
    assert found.snapshot.spot == 230.0


def test_store_never_returns_a_snapshot_from_after_now(store_path: Path) -> None:
    SnapshotStore(store_path).save(make_snapshot(as_of=AS_OF + timedelta(hours=2), spot=999.0))
    assert load_snapshot("IWM", "store", store_path=store_path, now=AS_OF).snapshot.spot == 230.0


def test_store_path_from_environment(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STORE_ENV, str(store_path))
    assert load_snapshot("IWM", "store", now=AS_OF).snapshot.spot == 230.0


def test_auto_prefers_live() -> None:
    found = load_snapshot("RUT", "auto", now=AS_OF, yahoo_factory=Replay("ok"))
    assert found.kind == "live" and found.snapshot.underlying == "RUT"


def test_auto_falls_back_to_the_store_and_says_why(store_path: Path) -> None:
    found = load_snapshot(
        "IWM", "auto", store_path=store_path, now=AS_OF, yahoo_factory=Replay("connection_error")
    )
    assert found.kind == "store" and found.snapshot.spot == 230.0
    assert found.description.startswith(
        "Yahoo unreachable: cannot reach Yahoo Finance (IWM expiries)"
    )
    assert found.description.endswith("; using stored snapshot from 2026-11-18 16:10 ET, 1 day old")
    assert len(found.reasons) == 1


def test_auto_rate_limited_falls_back_after_one_retry(store_path: Path) -> None:
    sleeps: list[float] = []
    found = load_snapshot(
        "IWM",
        "auto",
        store_path=store_path,
        now=AS_OF,
        yahoo_factory=Replay("rate_limit_persistent"),
        yahoo_options={"sleep": sleeps.append},
    )
    assert found.kind == "store" and found.description.startswith("Yahoo rate-limited:")
    assert sleeps == [2.0]


def test_auto_skips_a_store_without_the_expiry(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        resolve_mod, "_demo", lambda *a: (_ for _ in ()).throw(NoDataError("demo has none"))
    )
    with pytest.raises(NoDataError) as info:
        load_snapshot(
            "IWM",
            "auto",
            store_path=store_path,
            now=AS_OF,
            expiry=date(2030, 1, 18),
            yahoo_factory=Replay("connection_error"),
        )
    text = str(info.value)
    assert "no data for IWM from any source" in text
    assert (
        "Yahoo unreachable" in text
        and "has no quotes for expiry 2030-01-18" in text
        and "no demo data: demo has none" in text
    )


def test_auto_with_a_corrupt_store_keeps_going(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 100)
    demo = make_snapshot(synthetic=True, source="demo")
    monkeypatch.setattr(
        resolve_mod,
        "_demo",
        lambda symbol, now, expiries: ResolvedSnapshot(demo, "demo", "SYNTHETIC demo data as of x"),
    )
    found = load_snapshot(
        "IWM", "auto", store_path=bad, now=AS_OF, yahoo_factory=Replay("connection_error")
    )
    assert found.kind == "demo" and "corrupt" in found.description and found.synthetic
    assert bad.read_bytes() == b"garbage" * 100
    with pytest.raises(StoreError, match="corrupt"):
        load_snapshot("IWM", "store", store_path=bad, now=AS_OF)


@needs_demo
def test_demo_is_labelled_synthetic() -> None:
    found = load_snapshot("IWM", "demo", now=AS_OF)
    assert found.kind == "demo" and found.synthetic
    assert found.description.startswith(
        "SYNTHETIC demo data as of "
    ) and found.description.endswith(" ET")


@needs_demo
def test_auto_falls_back_to_the_demo(tmp_path: Path) -> None:
    found = load_snapshot(
        "IWM",
        "auto",
        store_path=tmp_path / "empty.sqlite3",
        now=AS_OF,
        yahoo_factory=Replay("connection_error"),
    )
    assert found.kind == "demo" and found.synthetic
    assert "Yahoo unreachable" in found.description and "no stored snapshot" in found.description
    assert "; using SYNTHETIC demo data as of " in found.description


def test_csv_source(tmp_path: Path) -> None:
    path = write_chain_csv(make_snapshot(as_of=YESTERDAY), tmp_path / "iwm.csv")
    found = load_snapshot("IWM", str(path), now=AS_OF)
    assert found.kind == "csv"
    assert found.description == "CSV file iwm.csv, quotes as of 2026-11-18 16:10 ET, 1 day old"
    fake = write_chain_csv(make_snapshot(as_of=YESTERDAY, synthetic=True), tmp_path / "fake.csv")
    assert load_snapshot("IWM", str(fake), now=AS_OF).description.startswith(
        "SYNTHETIC CSV file fake.csv"
    )
    with pytest.raises(InputError, match="holds IWM options"):
        load_snapshot("SPY", str(path), now=AS_OF)


def test_bad_source_and_naive_now() -> None:
    with pytest.raises(InputError, match="source"):
        load_snapshot("IWM", "bloomberg", now=AS_OF)
    with pytest.raises(InputError, match="now"):
        load_snapshot("IWM", "store", now=datetime(2026, 11, 19, 16, 10))
