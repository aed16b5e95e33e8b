"""Discrete cash dividends: the escrowed model and an equivalent continuous yield.

Escrowed model (used for European options): the spot is split into the present value of the cash
dividends paid before expiry and a risky part that diffuses lognormally. A European option on a
dividend-paying share is then Black-Scholes on ``spot - PV(dividends)`` with no yield.

Equivalent continuous yield: the yield ``q`` that gives the same forward,
``S e^{(r-q)T} = (S - PV(D)) e^{rT}``, i.e. ``q = -ln(1 - PV(D)/S) / T``. It matches the forward
(so European prices at the same vol agree to first order) but spreads the drop over time, so
American early-exercise values differ near ex-dates; use the schedule itself for those.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from pricing._typing import FloatArray
from pricing.errors import InputError
from pricing.types import DividendSchedule


def pv_dividends(schedule: DividendSchedule, t_years: ArrayLike, rate: ArrayLike) -> FloatArray:
    """Present value (per share, at the flat continuously compounded ``rate``) of the dividends with
    ex-date in (0, t_years], for each element of ``t_years``."""
    t = np.asarray(t_years, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    total = np.zeros(np.broadcast(t, r).shape)
    for ti, amount in zip(schedule.times_years, schedule.amounts, strict=True):
        if ti <= 0.0:
            continue
        total = total + np.where(ti <= t, amount * np.exp(-r * ti), 0.0)
    return np.asarray(total, dtype=np.float64)


def escrowed_spot(
    spot: ArrayLike, schedule: DividendSchedule, t_years: ArrayLike, rate: ArrayLike
) -> FloatArray:
    """``spot - PV(dividends before expiry)``; raises if that leaves nothing to diffuse."""
    s = np.asarray(spot, dtype=np.float64)
    adjusted = np.asarray(s - pv_dividends(schedule, t_years, rate), dtype=np.float64)
    bad = adjusted <= 0.0
    if bad.any():
        raise InputError("dividends", schedule.amounts, "present value of dividends >= spot")
    return adjusted


def equivalent_yield(
    spot: ArrayLike, schedule: DividendSchedule, t_years: ArrayLike, rate: ArrayLike
) -> FloatArray:
    """The continuous dividend yield (decimal per year) with the same forward to ``t_years`` as the
    cash schedule: ``-ln(1 - PV(D)/S) / T`` (0 where ``t_years`` is 0)."""
    s = np.asarray(spot, dtype=np.float64)
    t = np.asarray(t_years, dtype=np.float64)
    ratio = pv_dividends(schedule, t, rate) / s
    if np.any(ratio >= 1.0):
        raise InputError("dividends", schedule.amounts, "present value of dividends >= spot")
    safe_t = np.where(t > 0.0, t, 1.0)
    return np.asarray(np.where(t > 0.0, -np.log1p(-ratio) / safe_t, 0.0), dtype=np.float64)
