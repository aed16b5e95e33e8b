"""Benchmark: compilation belongs to setup. Measures, each in new processes with a fresh cache
directory (``HEDGE_CACHE_DIR`` pointed at a temporary directory, so nothing of the user's cache
is touched):

1. the setup step, ``python -m pricing.compile`` (compiles and caches every kernel): its time;
2. import + first pricing calls (European Greeks on a DataFrame-like chain, American implied vols
   with cash dividends) in a new process after the setup step (warm), and, for comparison, in a
   new process with an empty cache (cold: compiling in the middle of the call);
3. ``hedge strategy --template put-spread --underlying IWM --source demo`` run twice after the
   setup step: both times, and whether the first wrote any new kernel to the cache (it must not).

Bars: the first ``hedge strategy`` after setup writes nothing to the numba cache and is within
2 s of the second; the warm import + first call at least 5x faster than the cold one.
Exit status 1 if a bar is missed.

    .venv/bin/python benchmarks/bench_compile.py [--skip-cold]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FIRST_CALL = """
import time
t0 = time.perf_counter()
import numpy as np
import pricing
kinds = np.array(["call", "put"] * 50)
strikes = np.linspace(150.0, 300.0, 100)
pricing.european_greeks(kind=kinds, spot=220.0, strike=strikes, t_years=0.3, rate=0.04, vol=0.2)
d = pricing.DividendSchedule((0.05, 0.3), (0.7, 0.72))
p = pricing.american_price(kind=kinds, spot=220.0, strike=strikes, t_years=0.4, rate=0.04,
                           vol=0.22, dividends=d)
pricing.american_implied_vol(kind=kinds, spot=220.0, strike=strikes, t_years=0.4, rate=0.04,
                             price=p, dividends=d)
print(time.perf_counter() - t0)
"""
STRATEGY = ["strategy", "--template", "put-spread", "--underlying", "IWM", "--source", "demo"]
STRATEGY_BAR_S = 2.0
FIRST_CALL_RATIO_BAR = 5.0


def run(cmd: list[str], cache: Path) -> tuple[float, str]:
    env = {**os.environ, "HEDGE_CACHE_DIR": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, out.stdout


def cache_files(cache: Path) -> set[Path]:
    return {p for p in cache.rglob("*") if p.suffix in (".nbi", ".nbc")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold first call")
    args = parser.parse_args()
    failed = []
    with tempfile.TemporaryDirectory(prefix="hedge-cache-") as tmp:
        cache = Path(tmp) / "setup"
        t_setup, out = run([sys.executable, "-m", "pricing.compile"], cache)
        print(
            f"setup step (python -m pricing.compile, fresh cache): {t_setup:.1f} s wall; "
            f"it printed: {out.strip()}"
        )
        n_files = len(cache_files(cache))
        warm = min(float(run([sys.executable, "-c", FIRST_CALL], cache)[1]) for _ in range(2))
        print(
            f"import + first pricing calls in a new process after setup: {warm:.2f} s "
            f"({n_files} cached kernel files)"
        )
        if not args.skip_cold:
            cold = float(run([sys.executable, "-c", FIRST_CALL], Path(tmp) / "cold")[1])
            print(
                f"the same with an empty cache (compiling during the call): {cold:.1f} s; "
                f"cold / warm = {cold / warm:.0f}x   [bar >= {FIRST_CALL_RATIO_BAR:.0f}x]"
            )
            if cold / warm < FIRST_CALL_RATIO_BAR:
                failed.append(f"cold / warm first call only {cold / warm:.1f}x")
        hedge = str(BIN / "hedge")
        before = cache_files(cache)
        first, _ = run([hedge, *STRATEGY], cache)
        written = cache_files(cache) - before
        second, _ = run([hedge, *STRATEGY], cache)
        print(
            f"hedge {' '.join(STRATEGY)} after setup: first {first:.2f} s, second {second:.2f} s, "
            f"first - second = {first - second:.2f} s   [bar <= {STRATEGY_BAR_S:.0f} s]; "
            f"kernels the first run wrote to the cache: {len(written)}   [bar: 0]"
        )
        for path in sorted(written)[:5]:
            print(f"  written: {path.relative_to(cache)}")
        if first - second > STRATEGY_BAR_S:
            failed.append(f"first hedge strategy {first - second:.1f} s slower than the second")
        if written:
            failed.append(f"the first hedge strategy compiled {len(written)} kernel files")
    if failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
