"""Benchmark: the P&L grid of a 4-leg American strategy (IWM iron condor, cash dividends) over
201 spots x 30 dates, against pricing every grid point one by one through QuantLib.

Prints the cold (first, compilation included) and warm (median) grid times, the reference time
per point (``pricing.american_price(..., engine=REF)`` one point at a time on a random
subsample, scaled to the whole grid), the speed ratio, and the largest price difference per share
between the grid and the reference on the subsample. Exits 1 if the warm grid takes more than
50 ms or is less than 20x faster than the reference, both measured in this run.

    .venv/bin/python benchmarks/bench_strategy_grid.py [--repeat 7] [--sample 120] [--ref fd]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pricing  # noqa: E402
from marketdata.snapshot import DividendForecast, RateCurve  # noqa: E402
from strategies.grid import pnl_grid  # noqa: E402
from strategies.legs import Leg, iwm_option  # noqa: E402
from strategies.pricing_context import FlatVol, PricingContext  # noqa: E402
from strategies.strategy import Strategy  # noqa: E402

BAR_MS = 50.0
BAR_RATIO = 20.0
NY = ZoneInfo("America/New_York")


def setup() -> tuple[Strategy, PricingContext]:
    """An IWM iron condor ~64 days out with one cash dividend before expiry."""
    ctx = PricingContext(
        as_of=datetime(2026, 1, 15, 12, 0, tzinfo=NY),
        spots={"IWM": 228.50},
        rate_curve=RateCurve((0.25, 1.0), (0.04, 0.038)),
        vol=FlatVol(0.22),
        dividends={"IWM": DividendForecast((date(2026, 3, 16),), (0.70,))},
    )
    exp = date(2026, 3, 20)
    strategy = Strategy(
        "IWM iron condor",
        (
            Leg(iwm_option("put", 205, exp), 1, leg_id="lp"),
            Leg(iwm_option("put", 217, exp), -1, leg_id="sp"),
            Leg(iwm_option("call", 240, exp), -1, leg_id="sc"),
            Leg(iwm_option("call", 252, exp), 1, leg_id="lc"),
        ),
    )
    return strategy, ctx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="warm runs (median reported)")
    parser.add_argument("--sample", type=int, default=120, help="reference points priced")
    parser.add_argument("--ref", default="fd", help="reference engine of pricing.american_price")
    args = parser.parse_args()

    strategy, ctx = setup()
    t0 = time.perf_counter()
    grid = pnl_grid(strategy, ctx, n_spots=201, n_dates=30, keep_legs=True, basis="model")
    cold = time.perf_counter() - t0
    warm_runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        pnl_grid(strategy, ctx, n_spots=201, n_dates=30, basis="model")
        warm_runs.append(time.perf_counter() - t0)
    warm = statistics.median(warm_runs)

    legs = strategy.flat_legs()
    rng = np.random.default_rng(0)
    n_points = grid.shape[0] * (grid.shape[1] - 1) * len(legs)  # the last date is expiry: no model
    picks = [
        (
            int(rng.integers(len(legs))),
            int(rng.integers(grid.shape[0])),
            int(rng.integers(grid.shape[1] - 1)),
        )
        for _ in range(args.sample)
    ]
    ref_times, errors = [], []
    for leg_i, s_i, d_i in picks:
        leg = legs[leg_i]
        contract = leg.contract
        assert contract is not None
        at = grid.dates[d_i]
        t = contract.t_years(at)
        divs = ctx.dividend_schedule("IWM", contract.expiry_datetime, at)
        t0 = time.perf_counter()
        ref = float(
            pricing.american_price(
                kind=contract.kind,
                spot=float(grid.spots[s_i]),
                strike=contract.strike,
                t_years=t,
                rate=ctx.rate(t),
                vol=0.22,
                dividends=divs or None,
                engine=args.ref,
            )
        )
        ref_times.append(time.perf_counter() - t0)
        ours = grid.leg_values[leg.leg_id][s_i, d_i, 0] / leg.units
        errors.append(abs(ours - ref))
    per_point = statistics.mean(ref_times)
    reference = per_point * n_points
    ratio = reference / warm
    print(f"grid {grid.shape[0]} spots x {grid.shape[1]} dates x {len(legs)} American legs")
    print(
        f"  cold {cold * 1e3:8.1f} ms   warm {warm * 1e3:7.2f} ms (median of {args.repeat}),"
        f" best {min(warm_runs) * 1e3:7.2f} ms; load average {os.getloadavg()[0]:.2f}"
        f" on {os.cpu_count()} cores (the engine runs threads: a busy machine inflates this)"
    )
    print(
        f"  reference: QuantLib engine={args.ref!r} {per_point * 1e6:8.1f} us/point x {n_points} points"
        f" = {reference:7.2f} s (from {args.sample} sampled points)"
    )
    print(
        f"  speed-up {ratio:8.1f}x   max |grid - reference| {max(errors):.5f} per share"
        f" (mean {statistics.mean(errors):.5f})"
    )
    ok = warm * 1e3 <= BAR_MS and ratio >= BAR_RATIO
    print(f"  bars: warm <= {BAR_MS:.0f} ms and >= {BAR_RATIO:.0f}x: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
