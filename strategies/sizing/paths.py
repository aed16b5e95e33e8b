"""The TZA hedge against a put spread of the same cost, path by path: the distribution of the
hedged book's P&L at the horizon (:func:`strategies.leveraged_paths.compare_tza_with_put_spread`
on paths built here).

Paths of the index: bootstrapped from a price history (``history``: a wide CSV loaded by
:func:`strategies.sizing.book.load_price_history`, its ``iwm_adj_close``, ``IWM`` or
``iwm_close`` column, as in /work/shared/data/daily_2016_2021.csv; blocks of 5 days) when given,
else Gaussian at the surface's at-the-money vol to the horizon with the risk-neutral drift
(the options are priced risk-neutral too). The put spread is valued at the horizon on a grid of index moves with
:func:`strategies.sizing.search.contract_values` (American legs re-priced before expiry, vols
moved by the house spot-vol beta) and interpolated at each path's terminal move; its contracts
are scaled so that its premium equals the TZA position's cost: its carry to the horizon with the
index flat (decay, fees and financing net of the interest on its cash), as the search counts it.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd

from pricing.errors import InputError
from pricing.types import OptionContract
from strategies.calibration import HOUSE_BETAS, MarketBetas
from strategies.legs import TZA, LeveragedETF
from strategies.leveraged import TRADING_DAYS_PER_YEAR
from strategies.leveraged_paths import (
    PathComparison,
    bootstrap_paths,
    compare_tza_with_put_spread,
    normal_paths,
)
from strategies.sizing.book import Book
from strategies.sizing.search import Candidate, SizingMarket, contract_values
from strategies.valuation import instrument_price

#: Columns (upper-cased) read as the IWM closes of a history, in order of preference: adjusted
#: closes first (they include the dividends, like the index's total return).
IWM_COLUMNS = ("IWM_ADJ_CLOSE", "IWM", "IWM_CLOSE")

#: Index moves (decimal) of the grid the put spread is valued on at the horizon.
MOVE_GRID = np.linspace(-0.6, 0.6, 241)


def index_paths(
    market: SizingMarket,
    *,
    horizon_days: float,
    n_paths: int,
    seed: int,
    history: pd.DataFrame | None = None,
) -> tuple[np.ndarray, str]:  # type: ignore[type-arg]
    """Daily IWM log returns ``(n_paths, trading days to the horizon)`` and a one-line origin."""
    days = max(1, round(horizon_days * TRADING_DAYS_PER_YEAR / 365.0))
    if history is not None:
        column = next((c for c in IWM_COLUMNS if c in history.columns), None)
        if column is None:
            raise InputError(
                "history",
                list(history.columns),
                f"needs one of the columns {IWM_COLUMNS} to bootstrap paths",
            )
        closes = pd.to_numeric(history[column], errors="coerce").dropna().to_numpy(dtype=np.float64)
        returns = np.diff(np.log(closes[closes > 0.0]))
        paths = bootstrap_paths(returns, days=days, n_paths=n_paths, seed=seed)
        return (
            paths,
            f"{n_paths:,} paths bootstrapped (5-day blocks) from {returns.size:,} IWM daily returns",
        )
    ctx = market.ctx
    t = horizon_days / 365.0
    spot = ctx.base_spot("IWM")
    vol = float(np.asarray(ctx.implied_vol("IWM", t, spot, forward=spot)))
    drift = ctx.rate(t) - ctx.div_yield("IWM")
    paths = normal_paths(vol=vol, days=days, n_paths=n_paths, seed=seed, drift=drift)
    return (
        paths,
        f"{n_paths:,} Gaussian paths at the surface's at-the-money vol {vol:.1%} to the horizon "
        f"(risk-neutral drift {drift:.2%}/yr)",
    )


def tza_versus_spread(
    market: SizingMarket,
    book: Book,
    spread: Candidate,
    *,
    tza_dollars: float,
    horizon_days: float,
    n_paths: int = 5000,
    seed: int = 1,
    history: pd.DataFrame | None = None,
    etf: LeveragedETF = TZA,
    betas: MarketBetas = HOUSE_BETAS,
) -> tuple[PathComparison, str]:
    """Book + ``tza_dollars`` of TZA against book + the put spread ``spread`` (a sized candidate;
    its legs per unit are its leg quantities divided by its units) scaled to the same cost, on
    the same paths. Returns the comparison and the paths' origin."""
    if not spread.legs or spread.units <= 0:
        raise InputError("spread", spread.name, "needs a sized option candidate")
    if not math.isfinite(tza_dollars) or tza_dollars <= 0.0:
        raise InputError("tza_dollars", tza_dollars, "must be > 0 dollars")
    contracts: list[OptionContract] = []
    qty: list[float] = []
    for leg in spread.legs:
        if not isinstance(leg.instrument, OptionContract):
            raise InputError("spread", spread.name, "must hold option legs only")
        contracts.append(leg.instrument)
        qty.append(leg.quantity / spread.units)
    ctx = market.ctx.base()
    at = ctx.as_of + timedelta(days=horizon_days)
    vols = np.maximum([betas.vol_shift_for_move(float(m)) for m in MOVE_GRID], -0.5)
    by_symbol: dict[str, list[int]] = {}
    for i, c in enumerate(contracts):
        by_symbol.setdefault(c.underlying.upper(), []).append(i)
    values = np.zeros(MOVE_GRID.size)
    for idx in by_symbol.values():
        v = contract_values(
            ctx, [contracts[i] for i in idx], at=at, moves=MOVE_GRID, vol_shifts=vols
        )
        values += np.asarray(qty)[idx] @ v
    premium_unit = spread.premium / spread.units
    # TZA's cost: its carry to the horizon with the index flat (decay, fees, financing net of the
    # interest on its cash), as the sizing search counts it.
    flat = float(np.asarray(instrument_price(etf, ctx, move=0.0, at=at))) / ctx.base_spot(
        etf.symbol
    )
    tza_cost = tza_dollars * (1.0 - flat)
    paths, origin = index_paths(
        market, horizon_days=horizon_days, n_paths=n_paths, seed=seed, history=history
    )
    comparison = compare_tza_with_put_spread(
        paths,
        book_beta_dollars=book.beta_weighted_value,
        tza_dollars=tza_dollars,
        spread_value_at=values,
        spread_moves=MOVE_GRID,
        spread_premium_per_unit=premium_unit,
        short_rate=ctx.short_rate(),
        etf=etf,
        div_yield=ctx.div_yield(etf.index),
        tza_cost=tza_cost,
    )
    return comparison, origin
