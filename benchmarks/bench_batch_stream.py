"""Benchmark: ``hedge price`` streams its input: 1,000,000 CSV rows in at most 300 MB peak memory.

Writes a CSV of option rows (a user's input: kind, style, spot, strike, t_years, rate,
div_yield, vol; European and American, calls and puts), then runs the public command
``hedge price --input rows.csv --output out.csv`` in a child process and reads the child's
peak resident memory from ``os.wait4`` (its own rusage, not the parent's). For the comparison,
the in-memory path that ``hedge price`` used before streaming (read every row, price them in one
call, build the whole output text, write it) runs in another child process on a slice of the
same rows (the whole million took 2.6 GB and 91 s, too much for a shared machine); both rates are
printed in rows per second, with the ratio. Checks that the streamed output has one row per
input row, all ``ok``. Exits 1 if the peak memory bar is missed.

    .venv/bin/python benchmarks/bench_batch_stream.py [--rows 1000000] [--memory-rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

PEAK_BAR_MB = 300.0
ROOT = Path(__file__).resolve().parents[1]

IN_MEMORY_CHILD = textwrap.dedent(
    """
    import csv, io, sys
    from pricing.batch import PRICE_OUTPUT_COLUMNS, price_rows
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames)
        rows = [dict(r) for r in reader]
    results = price_rows(rows)
    columns = header + [c for c in PRICE_OUTPUT_COLUMNS if c not in header]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\\n")
    writer.writeheader()
    for row in results:
        writer.writerow({c: repr(v) if isinstance(v, float) else v for c, v in row.items()})
    with open(dst, "w", encoding="utf-8") as out:
        out.write(buffer.getvalue())
    """
)


def write_rows(path: Path, n: int, seed: int = 20261203) -> None:
    """``n`` realistic rows: IWM-like spots, 1 day to 2 years, strikes within 30 % of spot, 20 %
    American (the default engine), the rest European."""
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["kind", "style", "spot", "strike", "t_years", "rate", "div_yield", "vol"])
        block = 100_000
        for start in range(0, n, block):
            m = min(block, n - start)
            spot = rng.uniform(200.0, 240.0, m)
            strike = np.round(spot * rng.uniform(0.7, 1.3, m))
            t = np.exp(rng.uniform(np.log(1 / 365), np.log(2.0), m))
            kind = np.where(rng.random(m) < 0.5, "call", "put")
            style = np.where(rng.random(m) < 0.2, "american", "european")
            rate = rng.uniform(0.0, 0.05, m)
            q = rng.uniform(0.0, 0.02, m)
            vol = rng.uniform(0.12, 0.45, m)
            for row in zip(
                kind,
                style,
                spot.round(2),
                strike,
                t.round(6),
                rate.round(4),
                q.round(4),
                vol.round(4),
                strict=True,
            ):
                writer.writerow(row)


def run_child(args: list[str]) -> tuple[float, float, int]:
    """``(seconds, peak RSS in MB, exit code)`` of one child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode not in (0, 1):
            print(err, file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024.0, proc.returncode  # ru_maxrss is in KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=100_000)
    args = parser.parse_args()
    hedge = Path(sys.executable).with_name("hedge")
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        folder = Path(tmp)
        big, small = folder / "rows.csv", folder / "rows_small.csv"
        write_rows(big, args.rows)
        write_rows(small, args.memory_rows)
        # warm the numba cache so that neither timing pays the first compilation
        run_child(
            [str(hedge), "price", "--input", str(small), "--output", str(folder / "warm.csv")]
        )

        t_mem, rss_mem, code_mem = run_child(
            [sys.executable, "-c", IN_MEMORY_CHILD, str(small), str(folder / "mem.csv")]
        )
        out = folder / "out.csv"
        t_str, rss_str, code_str = run_child(
            [str(hedge), "price", "--input", str(big), "--output", str(out)]
        )
        with out.open(encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            n_out = 0
            n_ok = 0
            for row in reader:
                n_out += 1
                n_ok += row["status"] == "ok"
    rate_mem = args.memory_rows / t_mem
    rate_str = args.rows / t_str
    print(
        f"streamed  hedge price: {args.rows:,} rows in {t_str:.1f} s = {rate_str:,.0f} rows/s, peak RSS {rss_str:,.0f} MB (exit {code_str})"
    )
    print(
        f"in-memory path:        {args.memory_rows:,} rows in {t_mem:.1f} s = {rate_mem:,.0f} rows/s, peak RSS {rss_mem:,.0f} MB (exit {code_mem})"
    )
    print(f"rows/s streamed / in-memory: {rate_str / rate_mem:.2f}x")
    print(f"output rows {n_out:,} of {args.rows:,}, ok {n_ok:,}")
    failed = []
    if rss_str > PEAK_BAR_MB:
        failed.append(f"peak RSS {rss_str:.0f} MB > {PEAK_BAR_MB:.0f} MB")
    if n_out != args.rows or n_ok != args.rows:
        failed.append("output rows missing or not ok")
    print("bar met: peak RSS <= 300 MB" if not failed else "BAR MISSED: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
