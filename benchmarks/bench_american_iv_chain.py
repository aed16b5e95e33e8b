"""Benchmark: American implied vols with cash dividends on the demo IWM chain (6,004 quotes), as
the chain analysis asks for them, against the engine of the day issue 7 was filed, in the same
run.

The inputs are the ones ``marketdata.analysis.analyze_chain`` passes to
``pricing.american_implied_vol`` (kind strings, the spot, strikes, exact times, rates, each
series' extra yield, mid prices and the snapshot's cash dividend schedule), captured from one
analysis of ``marketdata.sources.demo.load_demo("IWM")``. Timed, best of ``--repeats``:

* ``american_implied_vol`` as users call it (``method="chain"``, the default): full solves at
  anchor strikes, the rest from the anchors' American corrections to the escrowed European
  closed form;
* the engine of commit ``72cf16e`` ("today's engine" when issue 7 was filed), its
  ``american_implied_vol`` on the same inputs, from ``git archive`` of that commit, in a
  subprocess (its kernels compiled and cached first); the chain method is timed before and
  after it, so a burst of load from other processes hits both alike;
* ``method="per_quote"``: every quote solved in full by today's kernels (printed beside: the
  kernels got faster too, so this ratio is the chain method's share of the gain).

Accuracy: against the vol QuantLib's FD engine implies once its grid is converged (grids
300/600/1200, Richardson; as in ``bench_american_iv.py``) on a random sample where vega >= 0.01
per vol point plus the ``--worst`` quotes where the chain and per-quote vols differ most, for
both methods; and the largest gap between the methods over all quotes.
Bars: chain >= 5x faster than the issue-day engine (without git history, the per-quote method
stands in, and the run says so); chain within 2.6e-4 of the converged QuantLib vol; the same
statuses as per_quote. Exit status 1 if a bar is missed.

    .venv/bin/python benchmarks/bench_american_iv_chain.py [--repeats 5] [--sample 40]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_american_iv import converged_quantlib_price  # noqa: E402

import pricing.american as american  # noqa: E402
from pricing.european_kernels import bs_vega  # noqa: E402

SPEED_BAR = 5.0
#: The tree issue 7 measured ("today's engine" when it was filed, before any work on it): its
#: ``american_implied_vol`` is timed on the same inputs in a subprocess (``--issue-day``).
ISSUE_DAY_COMMIT = "72cf16e"
_ISSUE_DAY_SCRIPT = """
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from pricing.american import american_implied_vol
from pricing.types import DividendSchedule
d = np.load(sys.argv[2])
kw = {k: d[k] for k in ("spot", "strike", "t_years", "rate", "div_yield", "price")}
kw["kind"] = d["kind"]
kw["dividends"] = DividendSchedule(times_years=tuple(d["div_t"]), amounts=tuple(d["div_a"]))
res = american_implied_vol(**kw)
best = float("inf")
for _ in range(int(sys.argv[3])):
    t0 = time.perf_counter()
    res = american_implied_vol(**kw)
    best = min(best, time.perf_counter() - t0)
np.save(sys.argv[2] + ".vol.npy", np.asarray(res.vol))
print(json.dumps({"best_s": best}))
"""
VOL_BAR = 2.6e-4
VEGA_MIN = 0.01  # per vol point


def captured_inputs() -> dict[str, Any]:
    """The keywords of the chain analysis' American implied-vol call on the demo IWM chain."""
    from marketdata.analysis import analyze_chain
    from marketdata.sources.demo import load_demo

    calls: list[dict[str, Any]] = []
    original = american.american_implied_vol

    def spy(**kw: Any) -> Any:
        calls.append(kw)
        return original(**kw)

    american.american_implied_vol = spy  # type: ignore[assignment]
    try:
        _ = analyze_chain(
            load_demo("IWM")
        ).chain  # lazy: asking for the chain analyses every expiry
    finally:
        american.american_implied_vol = original  # type: ignore[assignment]
    calls = [kw for kw in calls if kw.get("dividends") is not None]
    if not calls:
        raise SystemExit("the analysis made no American implied-vol call with dividends")
    merged = {
        key: np.concatenate([np.broadcast_to(kw[key], np.shape(kw["price"])) for kw in calls])
        for key in ("kind", "spot", "strike", "t_years", "rate", "div_yield", "price")
    }
    merged["dividends"] = calls[0]["dividends"]
    return merged


def interleaved_best_times(repeats: int, quotes: dict[str, Any]) -> tuple[float, Any, float, Any]:
    """Best of ``repeats`` wall times of the chain and the per-quote method, timed in turn (so a
    burst of load from other processes hits both alike): ``(t_chain, chain, t_old, old)``."""
    t_chain = t_old = float("inf")
    chain = old = None
    for _ in range(repeats):
        start = time.perf_counter()
        chain = american.american_implied_vol(**quotes)
        t_chain = min(t_chain, time.perf_counter() - start)
        start = time.perf_counter()
        old = american.american_implied_vol(**quotes, method="per_quote")
        t_old = min(t_old, time.perf_counter() - start)
    return t_chain, chain, t_old, old


def issue_day_time(quotes: dict[str, Any], repeats: int) -> tuple[float, Any] | None:
    """Best wall time (s) and vols of the issue-day engine (:data:`ISSUE_DAY_COMMIT`) on
    ``quotes``, from ``git archive`` of that commit, in a subprocess (its kernels compile once
    into ``$HEDGE_CACHE_DIR`` or ``~/.cache/smallcap-hedge``); ``None`` without git history."""
    cache = (
        Path(os.environ.get("HEDGE_CACHE_DIR") or Path.home() / ".cache" / "smallcap-hedge")
        / f"bench-issue-day-{ISSUE_DAY_COMMIT}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ISSUE_DAY_COMMIT, "pricing"],
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            return None
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        inputs = Path(tmp) / "inputs.npz"
        dividends = quotes["dividends"]
        np.savez(
            inputs,
            **{
                k: np.asarray(quotes[k])
                for k in ("spot", "strike", "t_years", "rate", "div_yield", "price")
            },
            kind=np.asarray(quotes["kind"]).astype(str),
            div_t=np.asarray(dividends.times_years),
            div_a=np.asarray(dividends.amounts),
        )
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
        out = subprocess.run(
            [sys.executable, "-c", _ISSUE_DAY_SCRIPT, str(tree), str(inputs), str(repeats)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        vols = np.load(str(inputs) + ".vol.npy")
    return float(json.loads(out.stdout.strip().splitlines()[-1])["best_s"]), vols


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument(
        "--issue-day",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"time the engine of commit {ISSUE_DAY_COMMIT} (the issue's 'today') from git",
    )
    args = parser.parse_args()
    quotes = captured_inputs()
    n = quotes["price"].size
    american.american_implied_vol(**quotes)  # warm: kernels loaded from the cache
    load = os.getloadavg()[0]
    t_chain, chain, t_old, old = interleaved_best_times(args.repeats, quotes)
    issue_day = issue_day_time(quotes, max(args.repeats, 3)) if args.issue_day else None
    for _ in range(args.repeats):
        start = time.perf_counter()
        american.american_implied_vol(**quotes)
        t_chain = min(t_chain, time.perf_counter() - start)
    load_after = os.getloadavg()[0]
    per_quote_ratio = t_old / t_chain

    sign = np.where(quotes["kind"] == "call", 1.0, -1.0)
    ok = (chain.status == "ok") & (old.status == "ok")
    vega = np.zeros(n)
    for i in np.flatnonzero(ok):
        vega[i] = 0.01 * bs_vega(
            quotes["spot"][i],
            quotes["strike"][i],
            quotes["t_years"][i],
            quotes["rate"][i],
            quotes["div_yield"][i],
            old.vol[i],
        )
    sure = ok & (vega >= VEGA_MIN)
    method_gap = np.abs(chain.vol - old.vol)[sure]

    rng = np.random.default_rng(args.seed)
    sample = rng.choice(np.flatnonzero(sure), size=min(args.sample, int(sure.sum())), replace=False)
    # and the quotes where the methods differ most (where the chain method's error would be)
    worst = np.flatnonzero(sure)[np.argsort(-np.abs(chain.vol - old.vol)[sure])[: args.worst]]
    sample = np.unique(np.concatenate([sample, worst]))
    low = ok & ~sure
    low_gap = float(np.max(np.abs(chain.vol - old.vol)[low])) if low.any() else 0.0
    gaps: dict[str, list[float]] = {"chain": [], "per_quote": []}
    t0 = time.perf_counter()
    for i in sample:
        for name, res in (("chain", chain), ("per_quote", old)):
            ql_price, _ = converged_quantlib_price(
                sign[i],
                quotes["spot"][i],
                quotes["strike"][i],
                quotes["t_years"][i],
                quotes["rate"][i],
                res.vol[i],
                quotes["dividends"],
                div_yield=quotes["div_yield"][i],
            )
            ref = res.vol[i] - (ql_price - quotes["price"][i]) / (100.0 * vega[i])
            gaps[name].append(abs(res.vol[i] - ref))
    t_ref = time.perf_counter() - t0

    statuses = {str(s): int((chain.status == s).sum()) for s in np.unique(chain.status)}
    same_status = bool(np.all(chain.status == old.status))
    print(
        f"demo IWM chain: {n:,} quotes, {len(quotes['dividends'].amounts)} cash dividends; "
        f"statuses {statuses}; same statuses both methods: {same_status}"
    )
    print(f"load average at the start: {load:.2f} on {os.cpu_count()} cores (timings interleaved)")
    print(
        f"american_implied_vol, method='chain' (default): {t_chain:.3f} s "
        f"({t_chain / n * 1e6:.0f} us/quote)"
    )
    if issue_day is not None:
        t_day, day_vol = issue_day
        ratio = t_day / t_chain
        reference = f"the engine of {ISSUE_DAY_COMMIT}"
        both = np.isfinite(day_vol) & np.isfinite(chain.vol)
        print(
            f"engine of {ISSUE_DAY_COMMIT} (issue day, subprocess, best of "
            f"{max(args.repeats, 3)}): {t_day:.3f} s; |chain - issue day| max "
            f"{np.max(np.abs(chain.vol - day_vol)[both]):.2e}"
        )
    else:
        ratio = per_quote_ratio
        reference = "per_quote (the issue-day engine was not timed)"
        print(
            f"engine of {ISSUE_DAY_COMMIT}: not timed (--no-issue-day, or a clone without that "
            "commit: `git fetch --unshallow` brings it)"
        )
    print(
        f"method='per_quote' (every quote in full, today's kernels): {t_old:.3f} s "
        f"({t_old / n * 1e6:.0f} us/quote); chain is {per_quote_ratio:.1f}x faster"
    )
    print(
        f"speed ratio chain / {reference}: {ratio:.1f}x   [bar >= {SPEED_BAR:.0f}x]; "
        f"load average after: {load_after:.2f}"
    )
    print(
        f"|chain - per_quote| over {int(sure.sum())} quotes with vega >= {VEGA_MIN}/pt: max "
        f"{method_gap.max():.2e}, 99.9 % {np.quantile(method_gap, 0.999):.2e}"
    )
    print(
        f"|chain - per_quote| over the {int(low.sum())} quotes with vega < {VEGA_MIN}/pt: "
        f"max {low_gap:.2e}"
    )
    for name, g in gaps.items():
        print(
            f"{name:9s} vs converged QuantLib FD vol, {len(g)} quotes ({args.sample} random, "
            f"the {args.worst} largest method gaps): max {max(g):.2e}, "
            f"median {np.median(g):.2e}   [bar <= {VOL_BAR:.1e}]"
        )
    print(f"(reference built in {t_ref:.0f} s)")
    failed = []
    if ratio < SPEED_BAR:
        failed.append(f"chain only {ratio:.1f}x faster than {reference} (bar {SPEED_BAR:.0f}x)")
    if max(gaps["chain"]) > VOL_BAR:
        failed.append(f"chain {max(gaps['chain']):.2e} from QuantLib's converged vol")
    if not same_status:
        failed.append("statuses differ between the methods")
    if failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
