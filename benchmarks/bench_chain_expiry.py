"""Benchmark: one expiry of a 20,000-quote chain, analysed on demand.

The chain: the bundled synthetic IWM snapshot (American, cash dividends) with ``--between``
extra strikes between each pair of listed neighbours on every expiry and side, their bid, ask and
last interpolated linearly in strike (a convex combination of arbitrage-free quotes stays
arbitrage-free), so every expiry keeps its shape with about four times the strikes.

Times, in one run (the machine may be busy: wall times are noisy, the ratios less so):

- ``analyze_chain(snapshot).expiry_frame(day)``: what ``hedge chain --expiry DAY`` or a strategy
  on that expiry costs on the big chain (a fresh analysis each repeat, no cache; median);
- the same expiry from the on-disk cache (a fresh analysis object over a warm cache);
- the reference: the whole big chain analysed (``analyze_chain(snapshot).chain``, once), and
  the expiry's share of it.

- ``hedge chain --symbol IWM --source FILE`` on the big chain written as a CSV (new processes):
  the table of one expiry with the analysis cache cleared, then again (cache warm), against
  ``--format json`` of every expiry (the whole chain, what every ``hedge chain`` cost before).

Bar: one expiry at most 0.3 s warm (``BAR_SECONDS``). Exits 1 when missed.

    .venv/bin/python benchmarks/bench_chain_expiry.py [--expiry 2026-12-18] [--repeat 5] [--no-cli]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from bench_chain_pipeline import engine_timer  # noqa: E402

from marketdata.analysis import analyze_chain  # noqa: E402
from marketdata.analysis_cache import AnalysisCache  # noqa: E402
from marketdata.snapshot import MarketSnapshot, OptionChain  # noqa: E402
from marketdata.sources.demo import load_demo  # noqa: E402

BAR_SECONDS = 0.3
TARGET_QUOTES = 20_000


def dense_chain(snapshot: MarketSnapshot, between: int) -> MarketSnapshot:
    """``snapshot`` with ``between`` strikes inserted between listed neighbours of every (expiry,
    kind, settlement), quotes interpolated linearly in strike (bid, ask, last; volume and open
    interest from the lower neighbour)."""
    frame = snapshot.chain.frame
    parts: list[pd.DataFrame] = []
    for _, group in frame.groupby(["expiry", "kind", "settlement"], sort=False):
        g = group.sort_values("strike").reset_index(drop=True)
        n = len(g)
        if n < 2:
            parts.append(g)
            continue
        steps = np.arange(between + 1) / (between + 1)
        lower = np.repeat(np.arange(n - 1), between + 1)
        frac = np.tile(steps, n - 1)
        lower = np.append(lower, n - 1)
        frac = np.append(frac, 0.0)
        upper = np.minimum(lower + 1, n - 1)
        out = g.iloc[lower].reset_index(drop=True)
        for col in ("strike", "bid", "ask", "last"):
            lo = g[col].to_numpy(dtype=np.float64)[lower]
            hi = g[col].to_numpy(dtype=np.float64)[upper]
            out[col] = np.round(lo + frac * (hi - lo), 4)
        if "source_iv" in out.columns:
            out["source_iv"] = np.nan
        if "contract_symbol" in out.columns:
            out["contract_symbol"] = [
                f"{s}-{i}" for i, s in enumerate(out["contract_symbol"].astype(str))
            ]
        parts.append(out)
    return replace(snapshot, chain=OptionChain(pd.concat(parts, ignore_index=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expiry", default="2026-12-18", help="the expiry analysed (YYYY-MM-DD)")
    parser.add_argument("--between", type=int, default=3, help="strikes inserted per gap")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs (median reported)")
    parser.add_argument("--no-cli", action="store_true", help="skip the hedge chain processes")
    args = parser.parse_args()
    day = date.fromisoformat(args.expiry)
    small = load_demo("IWM")
    big = dense_chain(small, args.between)
    n_big = len(big.chain)
    n_day = int((pd.to_datetime(big.chain.frame["expiry"]) == pd.Timestamp(day)).sum())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"chain: demo IWM densified x{args.between + 1}: {n_big:,} quotes on "
        f"{len(big.chain.expiries)} expiries; expiry {day}: {n_day} quotes (load average "
        f"{load:.1f} on {os.cpu_count()} cores: wall times grow with other work)"
    )
    if n_big < TARGET_QUOTES:
        print(f"chain smaller than {TARGET_QUOTES:,} quotes: raise --between")
        return 1

    analyze_chain(small).expiry_frame(day)  # compile / first-touch costs out of the way
    times, cpus = [], []
    for _ in range(max(args.repeat, 1)):
        c0, t0 = time.process_time(), time.perf_counter()
        analysis = analyze_chain(big)
        frame = analysis.expiry_frame(day)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        assert analysis.stats["computed"] == [day], analysis.stats
    one = statistics.median(times)
    with engine_timer() as engines:
        c0, t0 = time.process_time(), time.perf_counter()
        analyze_chain(big).expiry_frame(day)
        split_wall, split_cpu = time.perf_counter() - t0, time.process_time() - c0
    ok_iv = int((frame["iv_status"] == "ok").sum())

    with tempfile.TemporaryDirectory() as tmp:
        cache = AnalysisCache(tmp)
        analyze_chain(big, cache=cache).expiry_frame(day)
        hits = []
        for _ in range(max(args.repeat, 1)):
            t0 = time.perf_counter()
            cached = analyze_chain(big, cache=cache)
            cached.expiry_frame(day)
            hits.append(time.perf_counter() - t0)
            assert cached.stats["loaded"] == [day], cached.stats
        hit = statistics.median(hits)

    t0 = time.perf_counter()
    whole = analyze_chain(big)
    whole.chain  # noqa: B018 - the whole chain analysed (the reference)
    t_whole = time.perf_counter() - t0
    same = whole.expiry_frame(day)
    pd.testing.assert_frame_equal(same, frame, check_exact=True)

    verdict = "ok" if one <= BAR_SECONDS else "OVER"
    print(
        f"one expiry on demand: {one:.3f} s wall, {statistics.median(cpus):.3f} s CPU (all "
        f"threads; median of {len(times)}; {ok_iv}/{n_day} vols solved) "
        f"[{verdict} bar {BAR_SECONDS:.1f} s]"
    )
    print(
        f"split of one run: {split_wall:.3f} s wall ({split_cpu:.3f} s CPU), of which pricing "
        f"engines (IVs, American deltas, SVI fit) {engines[0]:.3f} s, marketdata (cleaning, "
        f"parity, frames, series setup) {split_wall - engines[0]:.3f} s"
    )
    print(f"the same expiry from the disk cache: {hit:.3f} s ({one / hit:.0f}x faster)")
    print(
        f"reference, the whole {n_big:,}-quote chain: {t_whole:.3f} s; one expiry on demand = "
        f"{one / t_whole:.1%} of it ({n_day / n_big:.1%} of the quotes); results identical "
        "value by value"
    )
    if not args.no_cli:
        cli(big, day)
    return 0 if one <= BAR_SECONDS else 1


def cli(big: MarketSnapshot, day: date) -> None:
    """Time ``hedge chain`` on the big chain in new processes (see the module docstring)."""
    from marketdata.sources.csv_import import write_chain_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = write_chain_csv(big, Path(tmp) / "big_chain.csv")
        cache = Path(tmp) / "cache"
        env = {**os.environ, "HEDGE_CACHE": str(cache)}
        base = [sys.executable, "-m", "tui", "chain", "--symbol", "IWM", "--source", str(path)]

        def run(extra: list[str]) -> float:
            t0 = time.perf_counter()
            proc = subprocess.run(base + extra, cwd=ROOT, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            return time.perf_counter() - t0

        one = ["--expiry", day.isoformat()]
        first = run(one)
        second = run(one)
        shutil.rmtree(cache, ignore_errors=True)
        every = run(["--format", "json"])
    print(
        f"hedge chain --expiry {day} on the {len(big.chain):,}-quote CSV: first {first:.2f} s "
        f"(cache cleared), second {second:.2f} s; every expiry as JSON (the old cost of any "
        f"hedge chain): {every:.2f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
