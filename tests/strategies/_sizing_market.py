"""A small synthetic market for the sizing tests: IWM (and RUT) chains built from a flat vol."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

import pricing
from marketdata.snapshot import OptionChain, RateCurve
from strategies.pricing_context import FlatVol, PricingContext
from strategies.sizing.search import SizingMarket

NY = ZoneInfo("America/New_York")
AS_OF = datetime(2026, 1, 15, 16, 0, tzinfo=NY)


def chain_frame(
    symbol: str,
    spot: float,
    strikes: Sequence[float],
    expiries: Sequence[date],
    *,
    vol: float = 0.2,
    rate: float = 0.04,
    half_spread: float = 0.05,
    kinds: Sequence[str] = ("put", "call"),
) -> OptionChain:
    """A chain whose mids are the Black-Scholes prices (quotes mid +- ``half_spread``)."""
    rows = []
    for exp in expiries:
        t = (
            datetime.combine(exp, datetime.min.time(), tzinfo=NY) + timedelta(hours=16) - AS_OF
        ).total_seconds()
        t /= 365.0 * 86400.0
        for kind in kinds:
            for k in strikes:
                mid = float(
                    pricing.european_price(
                        kind=kind, spot=spot, strike=k, t_years=t, rate=rate, vol=vol
                    )
                )
                rows.append(
                    {
                        "expiry": pd.Timestamp(exp),
                        "kind": kind,
                        "strike": float(k),
                        "bid": max(mid - half_spread, 0.0),
                        "ask": mid + half_spread,
                        "last": mid,
                        "volume": 10,
                        "open_interest": 100,
                        "settlement": "am" if symbol == "RUT" else "pm",
                        "style": "european" if symbol in ("RUT", "MRUT") else "american",
                        "multiplier": 100.0,
                        "root": symbol,
                    }
                )
    return OptionChain(pd.DataFrame(rows))


def small_market(
    *,
    iwm_spot: float = 200.0,
    strikes: Sequence[float] = (170.0, 180.0, 190.0, 200.0),
    expiries: Sequence[date] = (date(2026, 2, 20),),
    vol: float = 0.2,
    half_spread: float = 0.05,
    rut: bool = False,
) -> SizingMarket:
    """IWM at ``iwm_spot`` (no cash dividends), flat vol, 4 % rates; RUT = 10.06 x IWM if asked."""
    spots = {"IWM": iwm_spot, "TZA": 10.0, "TNA": 40.0}
    chains = {
        "IWM": chain_frame("IWM", iwm_spot, strikes, expiries, vol=vol, half_spread=half_spread)
    }
    if rut:
        rut_spot = iwm_spot * 10.06
        spots["RUT"] = rut_spot
        chains["RUT"] = chain_frame(
            "RUT",
            rut_spot,
            [k * 10.06 for k in strikes],
            expiries,
            vol=vol,
            half_spread=half_spread * 10,
        )
    ctx = PricingContext(
        as_of=AS_OF,
        spots=spots,
        rate_curve=RateCurve((0.25, 1.0), (0.04, 0.04)),
        vol=FlatVol(vol),
    )
    return SizingMarket(ctx, chains, "test market", True)


def days_after(d: date) -> int:
    """Calendar days from AS_OF's date to ``d``."""
    return (d - AS_OF.date()).days


__all__ = ["AS_OF", "NY", "chain_frame", "days_after", "np", "small_market"]
