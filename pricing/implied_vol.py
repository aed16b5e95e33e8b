"""Implied volatility (owned by the implied-vol work; signature fixed, body pending)."""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike

from pricing.types import DividendSchedule


def implied_vol(
    *, kind: Any, spot: ArrayLike, strike: ArrayLike, t_years: ArrayLike, rate: ArrayLike,
    div_yield: ArrayLike = 0.0, price: ArrayLike, style: str = "european",
    dividends: DividendSchedule | None = None,
) -> Any:
    raise NotImplementedError
