"""Benchmark: the default American engine against QuantLib, per option and for P&L grids.

Measured in the same run:

1. IWM-like options with quarterly cash dividends (spot model): default engine time per option
   (whole batch, all cores) against QuantLib's ``FdBlackScholesVanillaEngine`` on its reference
   grid (``pricing.quantlib_engines.FD_GRID``) one option at a time; max gap to that FD, and
   max error against the converged QuantLib FD (grids 300/600/1200, Richardson with the observed
   order) on a subsample. Bar: error <= 2e-3 + the reference's own uncertainty.
2. Continuous yield: max error against QuantLib's QdFp engine with its high-precision scheme
   (the exact value to about 1e-9); times against QdFp "accurate" and FD. Bar: error <= 1e-3.
3. A strategy P&L grid: 201 spots x 30 dates x 4 legs = 24,000 American prices, as one call and
   as one call per date (each date with its own shifted dividend schedule). Bar: <= 50 ms.

Run: ``.venv/bin/python benchmarks/bench_american_price.py [--options 2000] [--sample 100]``.
Exit status 1 if a bar is missed.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable

import numpy as np

from pricing import quantlib_engines as qe
from pricing.american import american_price
from pricing.types import DividendSchedule

GRID_BAR_S = 0.050
DIV_ERROR_BAR = 2e-3
NODIV_ERROR_BAR = 1e-3


def best_of(func: Callable[[], object], repeat: int = 5) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def options(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    spot = rng.uniform(220.0, 280.0, n)
    strike = spot * rng.uniform(0.7, 1.3, n)
    t = np.exp(rng.uniform(np.log(2.0 / 365.0), np.log(2.0), n))
    m = np.log(strike / spot)
    return {
        "kind": np.where(rng.random(n) < 0.5, "call", "put"),
        "spot": spot,
        "strike": strike,
        "t_years": t,
        "rate": rng.uniform(0.035, 0.045, n),
        "vol": np.clip(0.19 - 0.35 * m + 0.6 * m * m, 0.08, 0.9),
    }


def converged_fd(
    sign: float,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    divs: DividendSchedule | None,
) -> tuple[float, float]:
    args = [np.array([x]) for x in (sign, s, k, t, r, q, v)]
    f = [
        qe.ql_american(*args, divs, engine="fd", fd_grid=(g, g, 0))["price"][0]
        for g in (300, 600, 1200)
    ]
    d1, d2 = f[1] - f[0], f[2] - f[1]
    order = math.log2(abs(d1 / d2)) if d1 != 0.0 and d2 != 0.0 and d1 * d2 > 0.0 else 1.0
    order = min(max(order, 1.0), 2.0)
    correction = d2 / (2.0**order - 1.0)
    return f[2] + correction, abs(correction)


def ql_args(opts: dict[str, np.ndarray], idx: np.ndarray, q: float) -> list[np.ndarray]:
    sign = np.where(opts["kind"][idx] == "call", 1.0, -1.0)
    return [
        np.ascontiguousarray(a)
        for a in (
            sign,
            opts["spot"][idx],
            opts["strike"][idx],
            opts["t_years"][idx],
            opts["rate"][idx],
            np.full(idx.size, q),
            opts["vol"][idx],
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--options", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--converged", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    divs = DividendSchedule(
        tuple(0.07 + 0.25 * i for i in range(9)), tuple(float(a) for a in rng.uniform(0.7, 0.9, 9))
    )
    opts = options(args.options, args.seed)
    american_price(**{k: v[:4] for k, v in opts.items()}, dividends=divs)  # numba warm-up
    american_price(**{k: v[:4] for k, v in opts.items()}, div_yield=0.012)
    passed = True

    # 1. cash dividends
    fast = american_price(**opts, dividends=divs)
    t_fast = best_of(lambda: american_price(**opts, dividends=divs), 3) / args.options
    sample = rng.choice(args.options, size=min(args.sample, args.options), replace=False)
    t0 = time.perf_counter()
    ql_fd = qe.ql_american(*ql_args(opts, sample, 0.0), divs, engine="fd")["price"]
    t_ql = (time.perf_counter() - t0) / sample.size
    conv = sample[: args.converged]
    errs, uncs = [], []
    for i in conv:
        ref, unc = converged_fd(
            1.0 if opts["kind"][i] == "call" else -1.0,
            opts["spot"][i],
            opts["strike"][i],
            opts["t_years"][i],
            opts["rate"][i],
            0.0,
            opts["vol"][i],
            divs,
        )
        errs.append(abs(fast[i] - ref))
        uncs.append(unc)
    err_div = max(errs)
    ok_div = all(e <= DIV_ERROR_BAR + u for e, u in zip(errs, uncs, strict=True))
    passed &= ok_div
    print(f"[cash dividends] {args.options} IWM-like options, 9 quarterly dividends")
    print(
        f"  default engine: {t_fast * 1e6:.1f} us/option; QuantLib FD {qe.FD_GRID[0]}x"
        f"{qe.FD_GRID[1]}: {t_ql * 1e3:.2f} ms/option; ratio {t_ql / t_fast:.0f}x"
    )
    print(
        f"  max |default - QuantLib FD {qe.FD_GRID[0]}x{qe.FD_GRID[1]}| over {sample.size}: "
        f"{np.abs(fast[sample] - ql_fd).max():.2e} (QuantLib FD's own grid error included)"
    )
    print(
        f"  max |default - converged QuantLib FD| over {conv.size}: {err_div:.2e} (reference "
        f"uncertainty up to {max(uncs):.1e})   [bar <= {DIV_ERROR_BAR:.0e} + uncertainty]"
    )

    # 2. continuous yield against the exact value
    q = 0.012
    fast_q = american_price(**opts, div_yield=q)
    t_fast_q = best_of(lambda: american_price(**opts, div_yield=q), 3) / args.options
    small = sample[: max(20, sample.size // 2)]
    t0 = time.perf_counter()
    exact = qe.ql_american(
        *ql_args(opts, small, q), None, engine="qdfp", qdfp_scheme="high_precision"
    )["price"]
    t_hp = (time.perf_counter() - t0) / small.size
    t0 = time.perf_counter()
    qe.ql_american(*ql_args(opts, small, q), None, engine="qdfp")
    t_acc = (time.perf_counter() - t0) / small.size
    t0 = time.perf_counter()
    qe.ql_american(*ql_args(opts, small, q), None, engine="fd")
    t_fdq = (time.perf_counter() - t0) / small.size
    err_q = float(np.abs(fast_q[small] - exact).max())
    passed &= err_q <= NODIV_ERROR_BAR
    print(
        f"[continuous yield {q}] default: {t_fast_q * 1e6:.1f} us/option; QuantLib QdFp "
        f"accurate {t_acc * 1e3:.2f} ms ({t_acc / t_fast_q:.0f}x), QdFp high precision "
        f"{t_hp * 1e3:.1f} ms, FD {t_fdq * 1e3:.2f} ms ({t_fdq / t_fast_q:.0f}x)"
    )
    print(
        f"  max |default - QdFp high precision| over {small.size}: {err_q:.2e}   "
        f"[bar <= {NODIV_ERROR_BAR:.0e}]"
    )

    # 3. P&L grid: 201 spots x 30 dates x 4 legs
    spots = np.linspace(180.0, 320.0, 201)
    horizons = np.linspace(0.0, 0.29, 30)  # dates from today to a week before expiry
    expiry = 0.31
    strikes = np.array([230.0, 240.0, 255.0, 265.0])
    kinds = np.array(["put", "put", "call", "call"])

    def one_call() -> np.ndarray:
        return american_price(
            kind=kinds[None, None, :],
            spot=spots[:, None, None],
            strike=strikes[None, None, :],
            t_years=(expiry - horizons)[None, :, None],
            rate=0.04,
            vol=0.22,
            dividends=divs,
        )

    shifted = []
    for h in horizons:
        pairs = [
            (ti - h, a)
            for ti, a in zip(divs.times_years, divs.amounts, strict=True)
            if ti - h > 0.0
        ]
        shifted.append(DividendSchedule(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))

    def per_date() -> list[np.ndarray]:
        return [
            american_price(
                kind=kinds[None, :],
                spot=spots[:, None],
                strike=strikes[None, :],
                t_years=expiry - h,
                rate=0.04,
                vol=0.22,
                dividends=d,
            )
            for h, d in zip(horizons, shifted, strict=True)
        ]

    def per_date_yield() -> list[np.ndarray]:
        return [
            american_price(
                kind=kinds[None, :],
                spot=spots[:, None],
                strike=strikes[None, :],
                t_years=expiry - h,
                rate=0.04,
                div_yield=0.012,
                vol=0.22,
            )
            for h in horizons
        ]

    grid = one_call()
    assert grid.shape == (201, 30, 4)
    t_one = best_of(one_call)
    t_dates = best_of(per_date)
    t_yield = best_of(per_date_yield)
    worst = max(t_one, t_dates, t_yield)
    passed &= worst <= GRID_BAR_S
    print(
        f"[P&L grid] 24,000 American prices: one call {t_one * 1e3:.1f} ms, one call per date "
        f"with shifted cash dividends {t_dates * 1e3:.1f} ms, per date with a continuous yield "
        f"{t_yield * 1e3:.1f} ms   [bar <= {GRID_BAR_S * 1e3:.0f} ms]; QuantLib FD would need "
        f"about {24_000 * t_ql:.0f} s"
    )
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
