"""``hedge fetch`` against the replayed Yahoo fixtures: stores one snapshot per symbol, a failed
symbol never blanks the others, non-zero exit if any failed, clear network messages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import marketdata.sources.store as store_mod
from marketdata.paths import STORE_ENV
from marketdata.sources.store import SnapshotStore
from tests.marketdata.test_store import _read_only_connect, make_snapshot
from tests.marketdata.yahoo_replay import AS_OF, Replay
from tui.commands import fetch_cmds

pytestmark = pytest.mark.filterwarnings(
    "ignore:Series.values returning an ndarray that drops timezone"
)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def _root() -> None:
        """Test app."""

    fetch_cmds.register(application)
    monkeypatch.setattr(fetch_cmds, "_clock", lambda: AS_OF)
    monkeypatch.setattr(fetch_cmds, "SLEEP", lambda seconds: None)
    return application


def run(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, scenario: str, *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(fetch_cmds, "TICKER_FACTORY", Replay(scenario))
    result = CliRunner().invoke(app, ["fetch", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_fetch_stores_every_symbol(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite3"
    code, out = run(app, monkeypatch, "ok", "--symbols", "IWM", "RUT", "SPY", "--store", str(path))
    assert code == 0, out
    stored = SnapshotStore(path).list()
    assert [i.underlying for i in stored] == ["IWM", "RUT", "SPY"]
    assert all(i.as_of == AS_OF and i.source == "yahoo" for i in stored)
    assert out.count("stored") >= 3 and "FAILED" not in out


def test_one_failed_symbol_never_blanks_the_others(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite3"
    code, out = run(app, monkeypatch, "spy_down", "-s", "IWM,RUT", "SPY", "--store", str(path))
    assert code == 1
    assert {i.underlying for i in SnapshotStore(path).list()} == {"IWM", "RUT"}
    assert "SPY failed: SourceUnavailableError: cannot reach Yahoo Finance (SPY expiries)" in out


def test_all_unreachable_says_so_and_stores_nothing(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite3"
    code, out = run(app, monkeypatch, "connection_error", "--store", str(path))
    assert code == 1
    assert "Yahoo Finance could not be used for any symbol" in out
    assert "--source store" in out
    assert not path.exists()


def test_expiries_limit_and_environment_store(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "env.sqlite3"
    monkeypatch.setenv(STORE_ENV, str(path))
    code, out = run(app, monkeypatch, "ok", "--symbols", "IWM", "--expiries", "1")
    assert code == 0, out
    (info,) = SnapshotStore(path).list()
    assert info.expiries == (date(2026, 11, 20),)


def test_rate_limit_then_success_is_retried(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(fetch_cmds, "SLEEP", waits.append)
    code, _ = run(
        app,
        monkeypatch,
        "rate_limit_then_success",
        "--symbols",
        "IWM",
        "--store",
        str(tmp_path / "s.sqlite3"),
    )
    assert code == 0 and waits == [2.0]


def test_read_only_store_keeps_old_snapshots(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite3"
    SnapshotStore(path).save(make_snapshot(spot=111.0))
    monkeypatch.setattr(store_mod, "_connect", _read_only_connect)
    code, out = run(app, monkeypatch, "ok", "--symbols", "IWM", "--store", str(path))
    assert code == 1
    assert "fetched but NOT stored" in out and "not writable" in out
    monkeypatch.undo()
    assert [i.spot for i in SnapshotStore(path).list()] == [111.0]


def test_split_symbols() -> None:
    assert fetch_cmds.split_symbols(["iwm,rut", "^RUT", " spy "]) == ["IWM", "RUT", "SPY"]
    assert fetch_cmds.split_symbols([]) == ["IWM", "RUT", "SPY"]
