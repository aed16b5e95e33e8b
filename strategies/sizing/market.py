"""The market a sizing search needs, loaded from a source: IWM always (its vols price TZA's
decay, its spot labels the band), RUT and MRUT when their structures are asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from marketdata.snapshot import MarketSnapshot
from pricing.errors import InputError
from strategies.pricing_context import PricingContext, VolSource, analyse_snapshot
from strategies.sizing.search import _OPTION_UNDERLYING, SizingMarket

#: Leveraged-ETF prices used with SYNTHETIC data only when the source has no snapshot of the
#: fund: a fund sized in dollars has the same dollar P&L whatever its price level.
NOMINAL_ETF_SPOTS: Mapping[str, float] = {"TZA": 10.0, "TNA": 40.0}


def symbols_for(structures: Iterable[str]) -> list[str]:
    """Option underlyings the structures need (IWM first, always)."""
    out = ["IWM"]
    for s in structures:
        sym = _OPTION_UNDERLYING.get(s)
        if sym is not None and sym not in out:
            out.append(sym)
    return out


def market_from_snapshots(
    snapshots: Mapping[str, MarketSnapshot],
    *,
    etf_spots: Mapping[str, float] | None = None,
    description: str = "",
) -> SizingMarket:
    """A :class:`SizingMarket` from snapshots by symbol: each chain's fitted surface and
    parity-implied yield (:func:`strategies.pricing_context.analyse_snapshot`), ETF spots from
    ``etf_spots`` (else nominal prices when every snapshot is SYNTHETIC)."""
    if "IWM" not in {k.upper() for k in snapshots}:
        raise InputError("market", sorted(snapshots), "needs an IWM snapshot")
    synthetic = any(s.synthetic for s in snapshots.values())
    spots = dict(etf_spots or {})
    for etf, price in NOMINAL_ETF_SPOTS.items():
        if etf not in spots:
            if not synthetic:
                raise InputError(
                    "spots", etf, f"give the {etf} price (live data have no nominal price)"
                )
            spots[etf] = price
    vols: dict[str, VolSource] = {}
    yields: dict[str, float] = {}
    for sym, snap in snapshots.items():
        vols[sym.upper()], yields[sym.upper()] = analyse_snapshot(snap)
    ordered = [snapshots[k] for k in sorted(snapshots, key=lambda k: (k.upper() != "IWM", k))]
    ctx = PricingContext.from_snapshot(*ordered, vol=vols, div_yields=yields, extra_spots=spots)
    return SizingMarket(
        ctx, {k.upper(): v.chain for k, v in snapshots.items()}, description, synthetic
    )


def load_sizing_market(
    structures: Iterable[str],
    *,
    source: str,
    now: datetime,
    store_path: str | Path | None = None,
    etf_spots: Mapping[str, float] | None = None,
    loader: Callable[..., Any] | None = None,
) -> SizingMarket:
    """Snapshots of every symbol the structures need from ``source`` (``demo``, ``yahoo``,
    ``store``, ``auto`` or a CSV path, via :func:`marketdata.sources.resolve.load_snapshot`, as
    seen at the tz-aware ``now``), turned into a :class:`SizingMarket`. ``loader`` replaces
    ``load_snapshot`` (same arguments; e.g. one that applies a chain file's overrides)."""
    from marketdata.sources.resolve import load_snapshot

    snaps: dict[str, MarketSnapshot] = {}
    lines: list[str] = []
    for sym in symbols_for(structures):
        resolved = (loader or load_snapshot)(sym, source, now=now, store_path=store_path)
        snaps[sym] = resolved.snapshot
        lines.append(f"{sym}: {resolved.description}")
    market = market_from_snapshots(snaps, etf_spots=etf_spots, description="; ".join(lines))
    return market
