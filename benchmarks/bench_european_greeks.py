"""Benchmark: price and all eight Greeks of 1,000,000 European options.

Times the fused numba kernel (``pricing.fast_kernels.price_greeks``; chunks shared between the
calling thread and helper threads) and, in the same run, the readable numpy kernel
(``pricing.black_scholes.generalized_greeks``) on the same options and vollib's per-option loop
(price, delta, gamma, vega, theta, rho: vollib has no vanna, volga or charm) on a subsample.
Prints options per second, the ratios, and the largest differences against both references.
Bar: >= 10 million options/s for the fast kernel. Exits 1 if it is missed or a value disagrees.

    .venv/bin/python benchmarks/bench_european_greeks.py [--options 1000000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from pricing import reference
from pricing.black_scholes import generalized_greeks
from pricing.fast_kernels import price_greeks, worker_threads

SPEED_BAR = 10e6
SUBSAMPLE = 2_000
NAMES = ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm")


def random_options(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    """IWM/RUT-like options: spots 150-2,500, strikes within ±40 %, 1 day to 3 years."""
    rng = np.random.default_rng(seed)
    spot = np.where(rng.random(n) < 0.5, 220.0, 2050.0) * rng.uniform(0.8, 1.2, n)
    return {
        "sign": np.where(rng.random(n) < 0.5, 1.0, -1.0),
        "spot": spot,
        "strike": spot * rng.uniform(0.6, 1.4, n),
        "t_years": rng.uniform(1.0 / 365.0, 3.0, n),
        "rate": rng.uniform(0.0, 0.06, n),
        "div_yield": rng.uniform(0.0, 0.03, n),
        "vol": rng.uniform(0.08, 0.9, n),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    o = random_options(args.options)
    kernel_args = (
        o["sign"],
        o["spot"],
        o["strike"],
        o["t_years"],
        o["rate"],
        o["rate"] - o["div_yield"],
        o["vol"],
    )

    start = time.perf_counter()
    price_greeks(*(a[:100] for a in kernel_args))  # warm-up: compile or load the cache
    warmup = time.perf_counter() - start

    fast_times = []
    out = np.empty(0)
    for _ in range(args.repeats):
        start = time.perf_counter()
        out = price_greeks(*kernel_args)
        fast_times.append(time.perf_counter() - start)
    t_fast = min(fast_times)

    start = time.perf_counter()
    value, greeks = generalized_greeks(*kernel_args)
    t_numpy = time.perf_counter() - start
    numpy_rows = [value, *(getattr(greeks, name) for name in NAMES[1:])]

    m = min(SUBSAMPLE, args.options)
    flags = ["c" if w > 0 else "p" for w in o["sign"][:m]]
    cols = [o[k][:m].tolist() for k in ("spot", "strike", "t_years", "rate", "div_yield", "vol")]
    ref_times = []
    ref: list[tuple[float, ...]] = []
    for _ in range(3):
        start = time.perf_counter()
        ref = reference.vollib_price_greeks_loop(flags, *cols)
        ref_times.append(time.perf_counter() - start)
    t_ref_per_option = min(ref_times) / m
    ref_arr = np.asarray(ref).T  # price, delta, gamma, vega, theta, rho

    n = args.options
    rate_fast = n / t_fast
    worst_numpy = max(
        float(np.max(np.abs(out[i] - numpy_rows[i]) / (1.0 + np.abs(numpy_rows[i]))))
        for i in range(9)
    )
    worst_vollib = max(
        float(np.max(np.abs(out[i, :m] - ref_arr[i]) / (1.0 + np.abs(ref_arr[i]))))
        for i in range(6)
    )
    print(f"options: {n:,}; threads: {worker_threads()}; numba warm-up {warmup:.2f} s")
    print(
        f"fast kernel (best of {args.repeats}, median {statistics.median(fast_times) * 1e3:.1f} ms): "
        f"{t_fast * 1e3:8.1f} ms = {rate_fast / 1e6:6.1f} M options/s (bar >= {SPEED_BAR / 1e6:.0f} M/s)"
    )
    print(
        f"numpy kernel (readable reference):            {t_numpy * 1e3:8.1f} ms = "
        f"{n / t_numpy / 1e6:6.2f} M options/s; fast/numpy = {t_numpy / t_fast:.1f}x"
    )
    print(
        f"vollib loop, price + 5 Greeks on {m:,} options: {t_ref_per_option * 1e6:.2f} us/option "
        f"= {1.0 / t_ref_per_option / 1e3:.1f} k options/s; fast/vollib = "
        f"{t_ref_per_option * rate_fast:,.0f}x (vollib computes 3 Greeks fewer)"
    )
    print(f"max |fast - numpy| / (1 + |numpy|) over price and 8 Greeks: {worst_numpy:.1e}")
    print(f"max |fast - vollib| / (1 + |vollib|) over price and 5 Greeks: {worst_vollib:.1e}")
    failed = []
    if rate_fast < SPEED_BAR:
        failed.append(f"{rate_fast / 1e6:.1f} M options/s < {SPEED_BAR / 1e6:.0f} M/s")
    if worst_numpy > 1e-9 or worst_vollib > 1e-9:
        failed.append("fast kernel disagrees with a reference")
    if failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
