"""Compile and cache every numba kernel the tool uses, once, at setup:
``python -m pricing.compile`` (run by the Makefile's setup step right after ``pip install``).

Each public entry point is called on a few small inputs of the forms the tool passes (arrays and
scalars, kinds as strings, string arrays, enums and signs; American options with and without cash
dividends; both implied-vol methods), which compiles the kernels they reach and writes them to
the cache (see :mod:`pricing._jit` for where it lives). A later process loads them from there
instead of compiling in the middle of a command. Kernels only the tests use (the European
finite-difference pricer) stay lazy. Prints ``compiling numba kernels ... done in N s``.
"""

from __future__ import annotations

import sys
import time
from typing import Any


def compile_all() -> None:
    """Call every public pricing path once on small inputs (compiling and caching its kernels)."""
    import numpy as np

    import pricing
    from pricing.european_kernels import price_greeks

    strikes = np.array([180.0, 200.0, 220.0, 240.0, 260.0])
    kinds = np.array(["call", "put", "call", "put", "call"])
    forms: list[object] = [
        kinds,
        kinds.astype(object).tolist(),
        "put",
        pricing.OptionKind.CALL,
        np.array([1.0, -1.0, 1.0, -1.0, 1.0]),
    ]
    common: dict[str, Any] = dict(
        spot=220.0, strike=strikes, t_years=0.25, rate=0.04, div_yield=0.01, vol=0.22
    )
    for kind in forms:
        pricing.european_price(kind=kind, **common)
        pricing.european_greeks(kind=kind, **common)
    pricing.black76_price(
        kind=kinds, forward=220.0, strike=strikes, t_years=0.25, rate=0.04, vol=0.2
    )
    pricing.black76_greeks(
        kind=kinds, forward=220.0, strike=strikes, t_years=0.25, rate=0.04, vol=0.2
    )
    sign = np.where(kinds == "call", 1.0, -1.0)
    price_greeks(
        sign,
        np.full(5, 220.0),
        strikes,
        np.full(5, 0.25),
        np.full(5, 0.04),
        np.full(5, 0.03),
        np.full(5, 0.22),
    )
    price_greeks(
        sign,
        np.full(5, 220.0),
        strikes,
        np.full(5, 0.25),
        np.full(5, 0.04),
        np.full(5, 0.03),
        np.full(5, 0.22),
        greeks=False,
    )
    prices = pricing.european_price(kind=kinds, **common)
    for engine in ("default", "lbr"):
        pricing.implied_vol(
            kind=kinds,
            spot=220.0,
            strike=strikes,
            t_years=0.25,
            rate=0.04,
            div_yield=0.01,
            price=prices,
            engine=engine,
        )
    pricing.implied_vol_black76(
        kind=kinds, forward=220.0, strike=strikes, t_years=0.25, rate=0.04, price=prices
    )
    dividends = pricing.DividendSchedule((0.05, 0.3), (0.7, 0.72))
    for divs in (None, dividends):
        am: dict[str, Any] = dict(
            kind=kinds, spot=220.0, strike=strikes, t_years=0.4, rate=0.04, vol=0.22, dividends=divs
        )
        pricing.american_price(**am)
        pricing.american_greeks(**am)
        grid = {**am, "kind": "put", "strike": 220.0, "spot": np.linspace(150.0, 300.0, 40)}
        pricing.american_price(**grid)
        # a chain long enough for the chain method (series of strikes), and one quote per quote
        k = np.tile(np.linspace(150.0, 300.0, 40), 2)
        kind = np.repeat(["call", "put"], 40)
        p = pricing.american_price(
            kind=kind, spot=220.0, strike=k, t_years=0.4, rate=0.04, vol=0.22, dividends=divs
        )
        for method in ("chain", "per_quote"):
            pricing.american_implied_vol(
                kind=kind,
                spot=220.0,
                strike=k,
                t_years=0.4,
                rate=0.04,
                div_yield=0.0,
                price=p,
                dividends=divs,
                method=method,
            )


def main() -> int:
    """Compile everything; print the time taken and where the cache lives."""
    start = time.perf_counter()
    print("compiling numba kernels ...", end=" ", flush=True)
    compile_all()
    from pricing._jit import CACHE_DIR, prune_stale_caches

    prune_stale_caches()

    print(f"done in {time.perf_counter() - start:.1f} s (cache: {CACHE_DIR})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
