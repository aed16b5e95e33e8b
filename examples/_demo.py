"""Shared setup of the examples: a pricing context on the bundled (SYNTHETIC) demo snapshot."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from marketdata.snapshot import MarketSnapshot
from strategies.loading import NOMINAL_ETF_SPOTS  # nominal TZA/TNA prices (SYNTHETIC data only)
from strategies.pricing_context import PricingContext, analyse_snapshot


def load_demo_snapshot(symbol: str) -> MarketSnapshot:
    """The bundled demo snapshot of ``symbol`` (SYNTHETIC data)."""
    from marketdata.sources.demo import load_demo

    snapshot: MarketSnapshot = load_demo(symbol)
    return snapshot


def etf_spots() -> tuple[dict[str, float], list[str]]:
    """Spots of TZA/TNA from the demo bundle where it has them, else the nominal prices."""
    spots: dict[str, float] = {}
    notes: list[str] = []
    for symbol, nominal in NOMINAL_ETF_SPOTS.items():
        try:
            spots[symbol] = load_demo_snapshot(symbol).spot
        except Exception:
            spots[symbol] = nominal
            notes.append(f"nominal {symbol} {nominal:g}")
    return spots, notes


@lru_cache(maxsize=8)
def _analysed(symbol: str) -> tuple[Any, float]:
    """The demo bundle never changes within a process: fit each symbol's surface once."""
    return analyse_snapshot(load_demo_snapshot(symbol))


def demo_context(symbol: str = "IWM", **bumps: Any) -> tuple[PricingContext, MarketSnapshot, str]:
    """``(context, snapshot, note)`` for the demo snapshot of ``symbol`` with ETF spots added:
    the fitted surface as the vol source, the parity-implied yield as the dividend yield."""
    snapshot = load_demo_snapshot(symbol)
    spots, notes = etf_spots()
    surface, implied_yield = _analysed(symbol)
    ctx = PricingContext.from_snapshot(
        snapshot,
        vol={snapshot.underlying: surface},
        div_yields={snapshot.underlying: implied_yield},
        extra_spots=spots,
        **bumps,
    )
    note = f"data as of {snapshot.as_of.isoformat(timespec='minutes')}"
    if notes:
        note += "; " + ", ".join(notes)
    return ctx, snapshot, note
