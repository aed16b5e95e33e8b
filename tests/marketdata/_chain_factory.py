"""Synthetic European (RUT-like) chains priced from known SVI smiles, for the robustness tests.

Prices are Black-76 on ``F = S exp((r - q) t)`` at the smile's vol; each quote's bid-ask spread
contains the true price (the quote is moved inside its spread by ``offset`` in [0, 1]: 0.5 puts
the true price at the mid), bids rounded down and asks up to the cent, so the true vol always
lies inside the quote's bid-ask IV range. Units: index points, decimal vols and rates, years.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from marketdata.calendar import t_years
from marketdata.snapshot import DividendForecast, MarketSnapshot, OptionChain, RateCurve
from pricing import black76_price
from pricing.surface import SVIParams
from pricing.types import NEW_YORK

AS_OF = datetime(2026, 3, 2, 11, 0, tzinfo=NEW_YORK)
SPOT, RATE, YIELD = 2050.0, 0.04, 0.013


@dataclass(frozen=True)
class Series:
    """One expiry to quote: its smile (a function of ``t_years``), strike step (points), how
    many standard deviations below/above the forward, settlement, and the spread rule
    ``spread(price) -> points``; ``offsets`` (one per strike, cycled) place each true price
    inside its spread; ``vol_noise`` (decimal vol, cycled per strike) moves the true vol."""

    expiry: date
    smile: Callable[[float], SVIParams]
    step: float = 10.0
    sd_below: float = 3.0
    sd_above: float = 2.0
    settlement: str = "am"
    spread: Callable[[float], float] = lambda p: max(0.10, 0.02 * p)
    offsets: Sequence[float] = (0.5,)
    vol_noise: Sequence[float] = (0.0,)
    min_ask: float = 0.10


def quote_rows(series: Series, *, spot: float = SPOT) -> list[dict[str, object]]:
    """The rows (calls and puts) of one series."""
    t = t_years(AS_OF, series.expiry, series.settlement)
    fwd = spot * math.exp((RATE - YIELD) * t)
    sd = 0.22 * math.sqrt(t)
    lo = math.floor(fwd * math.exp(-series.sd_below * sd) / series.step) * series.step
    strikes = np.arange(lo, fwd * math.exp(series.sd_above * sd), series.step)
    vol = np.sqrt(series.smile(t).total_variance(np.log(strikes / fwd)) / t)
    noise = np.resize(np.asarray(series.vol_noise, dtype=np.float64), strikes.size)
    vol = vol + noise
    offsets = np.resize(np.asarray(series.offsets, dtype=np.float64), strikes.size)
    rows: list[dict[str, object]] = []
    for kind in ("call", "put"):
        prices = black76_price(
            kind=kind, forward=fwd, strike=strikes, t_years=t, rate=RATE, vol=vol
        )
        for k, p, u in zip(strikes, prices, offsets, strict=True):
            width = series.spread(float(p))
            bid = math.floor((p - u * width) * 100.0) / 100.0
            ask = math.ceil((p + (1.0 - u) * width) * 100.0) / 100.0
            if ask <= series.min_ask:
                continue
            rows.append(row(series.expiry, kind, float(k), max(bid, 0.0), ask, series.settlement))
    return rows


def row(
    expiry: date, kind: str, strike: float, bid: float, ask: float, settlement: str = "am"
) -> dict[str, object]:
    """One RUT quote row."""
    return {
        "expiry": expiry,
        "kind": kind,
        "strike": strike,
        "bid": bid,
        "ask": ask,
        "last": math.nan,
        "volume": 1,
        "open_interest": 1,
        "settlement": settlement,
        "style": "european",
        "multiplier": 100.0,
        "root": "RUT" if settlement == "am" else "RUTW",
    }


def snapshot(rows: list[dict[str, object]]) -> MarketSnapshot:
    """A RUT snapshot of ``rows`` (flat rate, no dividend schedule: an index)."""
    return MarketSnapshot(
        AS_OF,
        "RUT",
        SPOT,
        RateCurve.flat(RATE),
        DividendForecast(),
        OptionChain.from_records(rows),
        source="test",
        synthetic=True,
    )


def true_forward(expiry: date, settlement: str = "am") -> float:
    """The forward the chain is priced on (index points)."""
    t = t_years(AS_OF, expiry, settlement)
    return SPOT * math.exp((RATE - YIELD) * t)
