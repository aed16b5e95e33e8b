"""Per-expiry, on-demand chain analysis and its on-disk cache.

The snapshot: the bundled synthetic IWM (American, cash dividends) restricted to four expiries
(a short weekly, the December and January monthlies, a longer one), so every path of the American
pipeline runs while the tests stay small.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketdata.analysis import ChainAnalysis, analyze_chain, analyze_chain_cached
from marketdata.analysis_cache import AnalysisCache, snapshot_key
from marketdata.paths import resolve_cache_dir
from marketdata.snapshot import MarketSnapshot, OptionChain, RateCurve
from marketdata.sources.demo import DemoSource
from pricing.surface import VolSurface

ROOT = Path(__file__).resolve().parents[2]
DAYS = (date(2026, 11, 27), date(2026, 12, 18), date(2027, 1, 15), date(2027, 3, 19))


def _snapshot() -> MarketSnapshot:
    return DemoSource().load("IWM", expiries=list(DAYS))


@pytest.fixture(scope="module")
def snap() -> MarketSnapshot:
    return _snapshot()


@pytest.fixture(scope="module")
def eager(snap: MarketSnapshot) -> ChainAnalysis:
    """Every expiry analysed in one batch (the whole-chain view asked first)."""
    a = analyze_chain(snap)
    a.chain  # noqa: B018 - analyses every expiry at once
    assert a.stats["computed"] == list(DAYS) and a.stats["batches"] == 1
    return a


def test_asking_one_expiry_analyses_only_it(snap: MarketSnapshot, eager: ChainAnalysis) -> None:
    lazy = analyze_chain(snap)
    assert lazy.stats["computed"] == [] and lazy.analysed == ()
    frame = lazy.expiry_frame(DAYS[1])
    assert lazy.stats["computed"] == [DAYS[1]]
    assert lazy.analysed == (DAYS[1],)
    assert set(pd.to_datetime(frame["expiry"]).dt.date) == {DAYS[1]}
    # Asking again costs nothing more.
    lazy.expiry_frame(DAYS[1])
    assert lazy.stats["computed"] == [DAYS[1]] and lazy.stats["batches"] == 1


def test_surface_vol_analyses_the_bracketing_expiries_only(
    snap: MarketSnapshot, eager: ChainAnalysis
) -> None:
    lazy = analyze_chain(snap)
    surface = lazy.surface
    assert surface is not None and lazy.stats["computed"] == []
    t = surface.expiries_years
    mid = 0.5 * (t[1] + t[2])  # between the 2nd and 3rd expiries
    strikes = snap.spot * np.array([0.9, 1.0, 1.1])
    got = surface.vol(mid, strikes)
    assert sorted(lazy.stats["computed"]) == [DAYS[1], DAYS[2]]
    full = VolSurface(spot=snap.spot, smiles=tuple(eager.surface.smiles))  # type: ignore[union-attr]
    np.testing.assert_array_equal(got, full.vol(mid, strikes))
    np.testing.assert_array_equal(surface.forward(mid), full.forward(mid))
    # Over the whole range (every bracket), value by value equal to the surface of every smile.
    ts = np.linspace(0.2 * t[0], 1.5 * t[-1], 41)
    ks = snap.spot * np.exp(np.linspace(-0.4, 0.25, 41))
    np.testing.assert_array_equal(surface.vol(ts, ks), full.vol(ts, ks))
    np.testing.assert_array_equal(surface.shifted(0.01).vol(ts, ks), full.shifted(0.01).vol(ts, ks))


def test_forwards_need_no_full_analysis_and_equal_the_full_ones(
    snap: MarketSnapshot, eager: ChainAnalysis
) -> None:
    lazy = analyze_chain(snap)
    forwards = lazy.forwards
    assert lazy.stats["computed"] == []
    assert lazy.stats["forwards_computed"] == list(DAYS)
    pd.testing.assert_frame_equal(forwards, eager.forwards, check_exact=True)


def test_lazy_results_equal_the_eager_batch_value_by_value(
    snap: MarketSnapshot, eager: ChainAnalysis
) -> None:
    lazy = analyze_chain(snap)
    for day in reversed(DAYS):  # one at a time, last first
        frame = lazy.expiry_frame(day)
        pd.testing.assert_frame_equal(frame, eager.chain.loc[frame.index], check_exact=True)
    assert lazy.stats["batches"] == len(DAYS)
    pd.testing.assert_frame_equal(lazy.chain, eager.chain, check_exact=True)
    pd.testing.assert_frame_equal(lazy.fits, eager.fits, check_exact=True)
    pd.testing.assert_frame_equal(lazy.forwards, eager.forwards, check_exact=True)
    fits = eager.fits
    assert np.isinf(fits["calendar_min_diff"].iloc[0])  # the chain's first: nothing before it
    assert np.isfinite(fits["calendar_min_diff"].iloc[1:]).all()  # neighbours checked


def test_a_restricted_view_checks_the_calendar_only_when_asked(
    snap: MarketSnapshot, eager: ChainAnalysis
) -> None:
    base = analyze_chain(snap)
    plain = base.restrict(DAYS[2])
    fits = plain.fits
    assert base.stats["computed"] == [DAYS[2]]
    assert len(fits) == 1 and np.isnan(fits["calendar_min_diff"].iloc[0])  # not checked
    checked = base.restrict(DAYS[2], calendar=True).fits
    assert sorted(base.stats["computed"]) == [DAYS[1], DAYS[2]]  # the previous one, for the check
    row = eager.fits.loc[eager.fits["expiry"] == DAYS[2]]
    pd.testing.assert_frame_equal(checked, row.reset_index(drop=True), check_exact=True)


# --- the disk cache -------------------------------------------------------------------------


def test_cache_miss_then_hit_gives_identical_results(
    snap: MarketSnapshot, eager: ChainAnalysis, tmp_path: Path
) -> None:
    cache = AnalysisCache(tmp_path)
    first = analyze_chain(snap, cache=cache)
    first.expiry_frame(DAYS[0])
    first.forwards  # noqa: B018
    assert first.stats["computed"] == [DAYS[0]] and first.stats["loaded"] == []
    second = analyze_chain(snap, cache=cache)
    frame = second.expiry_frame(DAYS[0])
    assert second.stats["computed"] == [] and second.stats["loaded"] == [DAYS[0]]
    pd.testing.assert_frame_equal(frame, eager.expiry_frame(DAYS[0]), check_exact=True)
    pd.testing.assert_frame_equal(second.forwards, eager.forwards, check_exact=True)
    assert second.stats["forwards_computed"] == []  # from the cache too
    pd.testing.assert_frame_equal(second.fits, eager.fits, check_exact=True)
    third = analyze_chain(snap, cache=cache)
    pd.testing.assert_frame_equal(third.chain, eager.chain, check_exact=True)
    assert third.stats["computed"] == [] and sorted(third.stats["loaded"]) == list(DAYS)


def _bump_bid(s: MarketSnapshot) -> MarketSnapshot:
    frame = s.chain.frame.copy()
    frame.loc[frame.index[3], "bid"] = float(frame["bid"].iloc[3]) + 0.01
    return replace(s, chain=OptionChain(frame))


@pytest.mark.parametrize(
    "change",
    [
        _bump_bid,
        lambda s: replace(s, spot=s.spot + 0.01),
        lambda s: replace(s, as_of=s.as_of.replace(minute=s.as_of.minute + 1)),
        lambda s: replace(
            s,
            rate_curve=RateCurve(
                s.rate_curve.tenors_years, tuple(r + 1e-4 for r in s.rate_curve.zero_rates)
            ),
        ),
        lambda s: replace(
            s,
            dividends=replace(
                s.dividends, amounts=(s.dividends.amounts[0] + 0.01, *s.dividends.amounts[1:])
            ),
        ),
    ],
    ids=["bid", "spot", "as_of", "rates", "dividends"],
)
def test_cache_is_invalidated_by_any_content_change(
    snap: MarketSnapshot, tmp_path: Path, change: object
) -> None:
    cache = AnalysisCache(tmp_path)
    analyze_chain(snap, cache=cache).expiry_frame(DAYS[0])
    changed = change(snap)  # type: ignore[operator]
    assert snapshot_key(changed) != snapshot_key(snap)
    again = analyze_chain(changed, cache=cache)
    again.expiry_frame(DAYS[0])
    assert again.stats["computed"] == [DAYS[0]] and again.stats["loaded"] == []
    # An identical copy hits.
    same = analyze_chain(replace(snap, chain=OptionChain(snap.chain.frame.copy())), cache=cache)
    same.expiry_frame(DAYS[0])
    assert same.stats["loaded"] == [DAYS[0]]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other_key"])
def test_a_corrupt_cache_file_is_ignored_and_rebuilt(
    snap: MarketSnapshot, eager: ChainAnalysis, tmp_path: Path, damage: str
) -> None:
    cache = AnalysisCache(tmp_path)
    analyze_chain(snap, cache=cache).expiry_frame(DAYS[1])
    key = snapshot_key(snap)
    path = tmp_path / key / f"{DAYS[1].isoformat()}.npz"
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00not an npz file" * 50)
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a readable entry of another expiry, copied in place
        analyze_chain(snap, cache=cache).expiry_frame(DAYS[0])
        path.write_bytes((tmp_path / key / f"{DAYS[0].isoformat()}.npz").read_bytes())
    rebuilt = analyze_chain(snap, cache=cache)
    frame = rebuilt.expiry_frame(DAYS[1])
    assert rebuilt.stats["computed"] == [DAYS[1]] and rebuilt.stats["loaded"] == []
    pd.testing.assert_frame_equal(frame, eager.expiry_frame(DAYS[1]), check_exact=True)
    reread = analyze_chain(snap, cache=cache)
    reread.expiry_frame(DAYS[1])
    assert reread.stats["loaded"] == [DAYS[1]]  # the rebuilt entry was written back


def test_cache_files_hold_no_pickles(snap: MarketSnapshot, tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path)
    analyze_chain(snap, cache=cache).expiry_frame(DAYS[0])
    files = list(tmp_path.rglob("*.npz"))
    assert files
    for path in files:
        with np.load(path, allow_pickle=False) as data:  # raises on any object array
            assert all(data[k].dtype != object for k in data.files)


_WRITER = textwrap.dedent("""
    import sys
    from datetime import date
    sys.path.insert(0, {root!r})
    from marketdata.analysis import analyze_chain
    from marketdata.analysis_cache import AnalysisCache
    from marketdata.sources.demo import DemoSource
    days = [date.fromisoformat(d) for d in {days!r}]
    snap = DemoSource().load("IWM", expiries=days)
    analysis = analyze_chain(snap, cache=AnalysisCache({root_cache!r}))
    for d in {order!r}:
        analysis.expiry_frame(date.fromisoformat(d))
    analysis.forwards
    print("done", len(analysis.stats["computed"]))
""")


def test_two_processes_writing_the_cache_at_once(
    snap: MarketSnapshot, eager: ChainAnalysis, tmp_path: Path
) -> None:
    days = [d.isoformat() for d in DAYS]
    procs = []
    for order in (days, list(reversed(days))):
        code = _WRITER.format(root=str(ROOT), days=days, root_cache=str(tmp_path), order=order)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", code],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
        )
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert out.startswith("done")
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".npz"]
    assert leftovers == []  # no temporary file left behind
    reader = analyze_chain(snap, cache=AnalysisCache(tmp_path))
    pd.testing.assert_frame_equal(reader.chain, eager.chain, check_exact=True)
    pd.testing.assert_frame_equal(reader.forwards, eager.forwards, check_exact=True)
    assert reader.stats["computed"] == [] and sorted(reader.stats["loaded"]) == list(DAYS)


def test_analyze_chain_cached_memoises_and_uses_the_configured_cache(
    snap: MarketSnapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEDGE_CACHE", str(tmp_path))
    fresh = replace(snap, spot=snap.spot + 0.02)  # a key no other test used
    a = analyze_chain_cached(fresh)
    assert analyze_chain_cached(replace(fresh, chain=OptionChain(fresh.chain.frame.copy()))) is a
    a.expiry_frame(DAYS[0])
    assert (tmp_path / snapshot_key(fresh) / f"{DAYS[0].isoformat()}.npz").is_file()


def test_cache_location_follows_the_environment(tmp_path: Path) -> None:
    assert resolve_cache_dir(environ={"HEDGE_CACHE": str(tmp_path)}) == tmp_path
    assert resolve_cache_dir(environ={"HEDGE_CACHE": "off"}) is None
    store = tmp_path / "store" / "snapshots.sqlite3"
    assert (
        resolve_cache_dir(environ={"HEDGE_STORE": str(store)})
        == tmp_path / "store" / "analysis-cache"
    )
    default = resolve_cache_dir(environ={})
    assert default is not None and default.name == "analysis-cache"
    assert not str(default).startswith(str(ROOT))  # never inside the source tree


def test_cache_write_failure_is_not_an_error(snap: MarketSnapshot, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    a = analyze_chain(snap, cache=AnalysisCache(blocker))
    assert len(a.expiry_frame(DAYS[0])) > 0
    assert a.stats["computed"] == [DAYS[0]]


def test_missing_expiry_is_named(snap: MarketSnapshot) -> None:
    from marketdata.errors import NoDataError

    a = analyze_chain(snap)
    with pytest.raises(NoDataError, match="2027-02-19"):
        a.expiry(date(2027, 2, 19))
    with pytest.raises(NoDataError, match="2027-02-19"):
        a.restrict([DAYS[0], date(2027, 2, 19)])


def test_the_suite_keeps_the_cache_out_of_the_user_folder() -> None:
    # tests/conftest.py points HEDGE_CACHE to a temporary folder for the session.
    configured = resolve_cache_dir()
    assert configured is not None and configured == Path(os.environ["HEDGE_CACHE"])
    assert configured != resolve_cache_dir(environ={})


def test_old_snapshot_folders_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import marketdata.analysis_cache as cache_mod

    monkeypatch.setattr(cache_mod, "MAX_SNAPSHOTS", 2)
    cache = AnalysisCache(tmp_path)
    for i, key in enumerate(("k0", "k1", "k2", "k3")):
        assert cache.save(key, "e", {"x": np.arange(3.0)}, {"i": i})
        os.utime(tmp_path / key, (1_000_000 + i, 1_000_000 + i))  # k0 oldest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k2", "k3"]
    found = cache.load("k3", "e")
    assert found is not None and found[1]["i"] == 3
    np.testing.assert_array_equal(found[0]["x"], np.arange(3.0))
    assert cache.load("k0", "e") is None
