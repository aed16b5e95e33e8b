"""Nothing is written outside the configured folders: with HOME pointed at an empty folder and
the store set by HEDGE_STORE, yfinance's caches and matplotlib's font cache land beside the store
and HOME stays empty. Runs ``hedge`` in subprocesses (a fresh interpreter: matplotlib and
yfinance decide their cache folders at import), offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

YFINANCE_CHILD = """
from marketdata.sources.yahoo import default_ticker_factory
default_ticker_factory("IWM")  # builds a Ticker, no network
import yfinance.cache as c
c.get_tz_cache().store("IWM", "America/New_York")  # forces the cache database into existence
print(c.get_tz_cache().lookup("IWM"))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    from pricing._jit import CACHE_ENV, cache_root

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MPL"))}
    env.update(
        {
            "HOME": str(home),
            "HEDGE_STORE": str(tmp_path / "store" / "s.sqlite3"),
            # The compiled-kernel cache is a configured folder too (HEDGE_CACHE_DIR, else the
            # platform's user cache dir under HOME): name this run's, so the child reuses it.
            CACHE_ENV: str(cache_root()),
            "PYTHONPATH": str(ROOT),
        }
    )
    (tmp_path / "store").mkdir()
    return env


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_yfinance_cache_lives_beside_the_store(tmp_path: Path) -> None:
    env = _env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", YFINANCE_CHILD],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "America/New_York" in done.stdout
    assert _files(tmp_path / "home") == []
    assert any("yfinance" in f for f in _files(tmp_path / "store" / "cache"))


def test_payoff_png_writes_only_the_png_and_the_store_cache(tmp_path: Path) -> None:
    env = _env(tmp_path)
    hedge = Path(sys.executable).with_name("hedge")
    png = tmp_path / "p.png"
    done = subprocess.run(
        [str(hedge), "payoff", "--template", "put-spread", "--source", "demo", "--png", str(png)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert png.stat().st_size > 10_000
    assert _files(tmp_path / "home") == []
    assert any("matplotlib" in f for f in _files(tmp_path / "store" / "cache"))
