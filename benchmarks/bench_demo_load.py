"""Benchmark: loading the bundled synthetic demo snapshot.

For each symbol, times a cold ``load_demo`` (caches cleared: read the bytes through
``importlib.resources``, parse, build the documented chain columns and the snapshot) and a warm one
(a copy of the cached frame), against a reference path measured in the same run: a bare
``pandas.read_csv`` of the same file. Prints the times and the cold/reference ratio. Bars: a cold
load under 100 ms and within 6x the bare CSV read. Exits 1 if a bar is missed.

    .venv/bin/python benchmarks/bench_demo_load.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from importlib import resources

import pandas as pd

from marketdata.sources import demo

COLD_BAR_S = 0.100
RATIO_BAR = 6.0


def _median_time(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    demo.load_demo("IWM")  # imports and first-touch costs out of the way
    ok = True
    for symbol in demo.available_symbols():
        name = f"demo_{symbol.lower()}.csv"

        def cold(symbol: str = symbol) -> None:
            demo._meta.cache_clear()
            demo._frame.cache_clear()
            demo.load_demo(symbol)

        def reference(name: str = name) -> None:
            raw = resources.files("marketdata").joinpath("data", name).read_bytes()
            pd.read_csv(io.BytesIO(raw))

        t_cold = _median_time(cold, args.repeats)
        t_warm = _median_time(lambda symbol=symbol: demo.load_demo(symbol), args.repeats)
        t_ref = _median_time(reference, args.repeats)
        ratio = t_cold / t_ref
        rows = len(demo.load_demo(symbol).chain)
        passed = t_cold < COLD_BAR_S and ratio <= RATIO_BAR
        ok &= passed
        print(
            f"{symbol:5s} {rows:6d} rows  cold {t_cold * 1e3:6.1f} ms  warm {t_warm * 1e3:5.1f} ms  "
            f"bare read_csv {t_ref * 1e3:5.1f} ms  cold/read_csv {ratio:4.1f}x  "
            f"{'ok' if passed else 'MISSED'} (bars: < {COLD_BAR_S * 1e3:.0f} ms, <= {RATIO_BAR:.0f}x)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
