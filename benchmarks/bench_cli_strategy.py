"""Benchmark: ``hedge strategy --template put-spread --underlying IWM --source demo`` in new
processes, against the bare import of the modules it needs, measured in the same run.

Steps (every run a new interpreter, wall time from start to exit, output discarded):

1. a warm-up run (it may compile the numerical kernels if the setup step has not: reported);
2. the modules the verb needs: recorded from a run (``sys.modules`` at exit) and imported, in the
   same order, by a fresh interpreter that does nothing else: the **bare import**;
3. **first** runs: the analysis cache cleared before each (``HEDGE_CACHE`` points to a temporary
   folder), so the chain is analysed (only what the strategy needs: the forwards of every expiry,
   the bracketing expiries of each leg);
4. **second** runs: the same cache, warm.

Bars (from issue 7): the second run within 1.0 s of the bare import; the first run within
2.0 s of the second. Prints medians and exits 1 when a bar is missed. The machine may be busy
(other work shares its cores): absolute times are noisy, the differences less so.

    .venv/bin/python benchmarks/bench_cli_strategy.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ("strategy", "--template", "put-spread", "--underlying", "IWM", "--source", "demo")
SECOND_OVER_IMPORT_BAR_S = 1.0
FIRST_OVER_SECOND_BAR_S = 2.0

_RECORD = """
import atexit, runpy, sys
def _dump():
    with open({out!r}, "w") as fh:
        fh.write("\\n".join(m for m in list(sys.modules) if m and not m.startswith("__")))
atexit.register(_dump)
sys.argv = ["hedge", *{args!r}]
runpy.run_module("tui", run_name="__main__")
"""

_IMPORT = """
import importlib, sys
names = open({path!r}).read().split()
for name in names:
    if name in sys.modules:
        continue
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, all threads) of one new process; raises if it
    fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}... failed:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (medians reported)")
    args = parser.parse_args()
    repeat = max(args.repeat, 1)
    verb = [sys.executable, "-m", "tui", *ARGS]
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        cache = Path(tmp) / "analysis-cache"
        env = {**os.environ, "HEDGE_CACHE": str(cache)}
        warm_up, _ = _run(verb, env)
        modules = Path(tmp) / "modules.txt"
        _run([sys.executable, "-c", _RECORD.format(out=str(modules), args=ARGS)], env)
        names = modules.read_text().split()
        bare_cmd = [sys.executable, "-c", _IMPORT.format(path=str(modules))]
        rounds: list[dict[str, tuple[float, float]]] = []
        for _ in range(repeat):  # interleaved, so that a change of load hits all three alike
            shutil.rmtree(cache, ignore_errors=True)
            first = _run(verb, env)
            second = _run(verb, env)
            bare = _run(bare_cmd, env)
            rounds.append({"bare": bare, "first": first, "second": second})
    heavy = sorted(
        n
        for n in {m.split(".")[0] for m in names}
        if n
        in {
            "pandas",
            "scipy",
            "numba",
            "QuantLib",
            "yfinance",
            "matplotlib",
            "textual",
            "rich",
            "pydantic",
            "exchange_calendars",
            "llvmlite",
        }
    )

    def col(kind: str, i: int) -> list[float]:
        return [r[kind][i] for r in rounds]

    def med(values: list[float]) -> float:
        return statistics.median(values)

    second_over = med([r["second"][0] - r["bare"][0] for r in rounds])
    first_over = med([r["first"][0] - r["second"][0] for r in rounds])
    cpu_second_over = med([r["second"][1] - r["bare"][1] for r in rounds])
    cpu_first_over = med([r["first"][1] - r["second"][1] for r in rounds])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"hedge {' '.join(ARGS)}  (load average {load:.1f} on {os.cpu_count()} cores: wall "
        "times grow with other work on the machine; differences are medians of per-round "
        "differences)"
    )
    print(f"warm-up run (may compile kernels if setup has not): {warm_up:.2f} s")
    print(
        f"bare import of the {len(names)} modules the verb needs (heavy: {', '.join(heavy)}): "
        f"median {med(col('bare', 0)):.2f} s wall, {med(col('bare', 1)):.2f} s CPU"
    )
    ok_second = second_over <= SECOND_OVER_IMPORT_BAR_S
    ok_first = first_over <= FIRST_OVER_SECOND_BAR_S
    print(
        f"second run (analysis cache warm): median {med(col('second', 0)):.2f} s = bare import "
        f"+ {second_over:.2f} s wall (+{cpu_second_over:.2f} s CPU) "
        f"[{'ok' if ok_second else 'OVER'} bar +{SECOND_OVER_IMPORT_BAR_S:.1f} s]"
    )
    print(
        f"first run (analysis cache cleared): median {med(col('first', 0)):.2f} s = second "
        f"+ {first_over:.2f} s wall (+{cpu_first_over:.2f} s CPU) "
        f"[{'ok' if ok_first else 'OVER'} bar +{FIRST_OVER_SECOND_BAR_S:.1f} s]"
    )
    print(
        f"wall per round: bare {_fmt(col('bare', 0))}; first {_fmt(col('first', 0))}; "
        f"second {_fmt(col('second', 0))}"
    )
    return 0 if ok_second and ok_first else 1


if __name__ == "__main__":
    sys.exit(main())
