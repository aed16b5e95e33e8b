"""The chain method of the American implied vols: a quote's vol is a function of its own series
(quotes sharing kind, spot, expiry, rate and yield) only, bit for bit, and it agrees with the
quote-by-quote engine."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.american import american_greeks, american_implied_vol, american_price
from pricing.types import DividendSchedule

IWM_DIVS = DividendSchedule(
    tuple(0.06 + 0.25 * i for i in range(5)), (0.72, 0.81, 0.76, 0.88, 0.70)
)
SPOT = 250.0
EXPIRIES = (0.04, 0.3, 1.1)  # years


def _chain() -> dict[str, np.ndarray]:
    """Three expiries of calls and puts, 1-point strikes from 200 to 300 plus a 5-point wing, a
    skewed smile, priced by the default engine with IWM-like cash dividends and rounded to
    half a cent (as quotes are), with one quote repeated (a duplicate row)."""
    strikes = np.concatenate([np.arange(170.0, 200.0, 5.0), np.arange(200.0, 301.0, 1.0)])
    rows = [(kind, k, t) for t in EXPIRIES for kind in ("call", "put") for k in strikes]
    kind = np.array([r[0] for r in rows])
    k = np.array([r[1] for r in rows])
    t = np.array([r[2] for r in rows])
    x = np.log(k / SPOT) / np.sqrt(t)
    vol = 0.2 - 0.12 * x + 0.1 * x * x
    price = american_price(
        kind=kind, spot=SPOT, strike=k, t_years=t, rate=0.04, vol=vol, dividends=IWM_DIVS
    )
    price = np.round(price * 200.0) / 200.0
    keep = price > 0.0
    chain = {"kind": kind[keep], "strike": k[keep], "t_years": t[keep], "price": price[keep]}
    chain = {name: np.append(a, a[40]) for name, a in chain.items()}  # a duplicate quote
    chain["vol"] = np.append(vol[keep], vol[keep][40])
    return chain


@pytest.fixture(scope="module")
def chain() -> dict[str, np.ndarray]:
    return _chain()


def _solve(chain: dict[str, np.ndarray], rows: np.ndarray, method: str = "chain") -> tuple:
    res = american_implied_vol(
        kind=chain["kind"][rows],
        spot=SPOT,
        strike=chain["strike"][rows],
        t_years=chain["t_years"][rows],
        rate=0.04,
        price=chain["price"][rows],
        dividends=IWM_DIVS,
        method=method,
    )
    return res.vol, res.status


def test_one_expiry_alone_equals_the_whole_chain_bit_for_bit(chain: dict[str, np.ndarray]) -> None:
    every = np.arange(chain["price"].size)
    vol, status = _solve(chain, every)
    assert (status == "ok").sum() > 0.8 * every.size
    for t in EXPIRIES:
        rows = np.flatnonzero(chain["t_years"] == t)
        alone_vol, alone_status = _solve(chain, rows)
        assert np.array_equal(alone_vol, vol[rows], equal_nan=True), t
        assert np.array_equal(alone_status, status[rows]), t
    # one series (the puts of one expiry) alone, too
    puts = np.flatnonzero((chain["t_years"] == EXPIRIES[1]) & (chain["kind"] == "put"))
    assert np.array_equal(_solve(chain, puts)[0], vol[puts], equal_nan=True)


def test_a_shuffled_batch_gives_the_same_vols(chain: dict[str, np.ndarray]) -> None:
    every = np.arange(chain["price"].size)
    vol, status = _solve(chain, every)
    perm = np.random.default_rng(3).permutation(every.size)
    shuffled_vol, shuffled_status = _solve(chain, perm)
    assert np.array_equal(shuffled_vol, vol[perm], equal_nan=True)
    assert np.array_equal(shuffled_status, status[perm])
    # the duplicate row gets exactly the vol of the row it repeats
    assert vol[-1] == vol[40]


def test_chain_method_agrees_with_the_quote_by_quote_engine(chain: dict[str, np.ndarray]) -> None:
    every = np.arange(chain["price"].size)
    vol, status = _solve(chain, every)
    ref, ref_status = _solve(chain, every, method="per_quote")
    assert np.array_equal(status, ref_status)
    ok = status == "ok"
    vega = american_greeks(
        kind=chain["kind"][ok],
        spot=SPOT,
        strike=chain["strike"][ok],
        t_years=chain["t_years"][ok],
        rate=0.04,
        vol=ref[ok],
        dividends=IWM_DIVS,
    ).vega
    sure = vega >= 0.01  # per vol point: the vol is well determined by the price
    assert sure.sum() > 0.6 * ok.sum()
    assert np.max(np.abs(vol[ok] - ref[ok])[sure]) < 1e-4
