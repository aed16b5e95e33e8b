"""American options (owned by the American-engine work; signatures fixed, bodies pending)."""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike

from pricing.black_scholes import FloatArray, Greeks
from pricing.types import DividendSchedule


def american_price(
    *, kind: Any, spot: ArrayLike, strike: ArrayLike, t_years: ArrayLike, rate: ArrayLike,
    div_yield: ArrayLike = 0.0, vol: ArrayLike, dividends: DividendSchedule | None = None,
    engine: str = "default",
) -> FloatArray:
    raise NotImplementedError


def american_greeks(
    *, kind: Any, spot: ArrayLike, strike: ArrayLike, t_years: ArrayLike, rate: ArrayLike,
    div_yield: ArrayLike = 0.0, vol: ArrayLike, dividends: DividendSchedule | None = None,
    engine: str = "default",
) -> Greeks:
    raise NotImplementedError
