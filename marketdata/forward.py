"""Implied forwards and dividend yields from put-call parity, one per expiry.

For European options (RUT, MRUT) parity is exact: ``C - P = DF (F - K)`` with ``DF = exp(-r t)``,
so each strike with a clean call and put mid gives ``F_K = K + (C - P) / DF``. The forward is a
robust location of the ``F_K`` over every usable pair (a weighted median refined by Huber's
M-estimator, :func:`parity_forward`); pairs weigh the same unless their combined spread is over
twice the median, when they weigh its inverse (:func:`parity_pairs`).

American options (IWM, SPY) carry an early-exercise premium that biases raw parity, so parity
is solved on de-Americanised prices over the :data:`MAX_AMERICAN_PAIRS` pairs nearest the money:
``(C - e_C) - (P - e_P) = DF (F - K)`` where ``e = american_price - european_price`` at the
strike's vol under the same inputs (cash dividends from the schedule; any carry the schedule
does not explain as an extra continuous yield; :func:`american_premiums` prices every pair of
every expiry in one batched call). The early-exercise premium depends on the vol and the vol on
the forward, so the two are iterated: :func:`estimate_forward` does it for one expiry with
Black-76 vols of the de-Americanised out-of-the-money mids; :func:`marketdata.analysis.analyze_chain`
does it for the whole chain with the American implied vols it solves anyway. At the fixed
point the premium is exact whatever dividend model the American engine uses (the quote minus
``american_price`` at its own vol is the European price at that vol), so the forward is the
escrowed one, ``(S - PV(D)) exp(r t)`` when the dividends explain the whole carry.

Units: prices and forwards in price units per share (index points); rates and yields
continuously compounded decimals per year; ``t_years`` Actual/365 Fixed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from pricing.dividends import pv_dividends
from pricing.errors import InputError
from pricing.types import DividendSchedule

FloatArray = NDArray[np.float64]

#: Relative forward change (of spot) under which the de-Americanisation loop stops.
FORWARD_TOLERANCE = 1e-7
#: Most de-Americanisation rounds.
MAX_ROUNDS = 8
#: Smallest spread (price units) used when weighting pairs by inverse spread.
MIN_SPREAD = 0.01
#: Huber tuning constant of the parity location estimate (in robust standard deviations).
HUBER_C = 2.0
#: Pairs nearest the money used for American (de-Americanised) forwards.
MAX_AMERICAN_PAIRS = 24

METHOD_PARITY = "parity"
METHOD_PARITY_AMERICAN = "parity_deamericanised"
METHOD_MODEL = "model"

PriceFn = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class ForwardEstimate:
    """One expiry's parity-implied forward.

    ``forward`` (price units); ``dividend_yield``: the all-in continuous yield with
    ``F = S exp((r - q) t)`` (cash dividends included); ``extra_yield``: the carry the cash
    dividend schedule does not explain, ``F = (S - PV(D)) exp((r - extra) t)`` (borrow, or a
    dividend the forecast misses); ``rate``: the discount rate used; ``n_pairs``: call/put pairs
    used; ``residual``: the weighted RMS parity residual after the fit (price units per share);
    ``method``: "parity", "parity_deamericanised", or "model" when no pair was usable (then
    the forward comes from spot, rate and the dividend schedule alone); ``rounds``: the
    de-Americanisation rounds taken (0 for European); ``settlement``: "am" or "pm" (an expiry
    date can list both, e.g. RUT monthlies and RUTW weeklies: each gets its own forward).
    """

    expiry: date
    t_years: float
    forward: float
    dividend_yield: float
    extra_yield: float
    rate: float
    n_pairs: int
    residual: float
    method: str
    rounds: int = 0
    settlement: str = "pm"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.t_years) and self.t_years > 0):
            raise InputError("t_years", self.t_years, "must be finite and > 0")
        if not (math.isfinite(self.forward) and self.forward > 0):
            raise InputError("forward", self.forward, "must be finite and > 0")
        if self.method not in (METHOD_PARITY, METHOD_PARITY_AMERICAN, METHOD_MODEL):
            raise InputError("method", self.method, "unknown forward method")


def weighted_median(values: ArrayLike, weights: ArrayLike) -> float:
    """The weighted median of ``values`` (ties averaged); NaN if there are no positive weights."""
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(w) & (w > 0)
    x, w = x[keep], w[keep]
    if x.size == 0:
        return math.nan
    order = np.argsort(x)
    x, w = x[order], w[order]
    cum = np.cumsum(w)
    half = 0.5 * cum[-1]
    i = int(np.searchsorted(cum, half, side="left"))
    if math.isclose(float(cum[i]), float(half), rel_tol=1e-12) and i + 1 < x.size:
        return 0.5 * float(x[i] + x[i + 1])
    return float(x[i])


def huber_location(
    values: ArrayLike, weights: ArrayLike, *, c: float = 1.345, min_scale: float = 1e-6
) -> float:
    """Huber M-estimate of location of ``values`` with prior ``weights``, started at the weighted
    median, scale from the weighted median absolute deviation (floored at ``min_scale``)."""
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(w) & (w > 0)
    x, w = x[keep], w[keep]
    if x.size == 0:
        return math.nan
    loc = weighted_median(x, w)
    scale = max(1.4826 * weighted_median(np.abs(x - loc), w), min_scale)
    for _ in range(50):
        r = np.abs(x - loc)
        hw = np.where(r <= c * scale, 1.0, c * scale / np.maximum(r, 1e-300))
        new = float(np.sum(w * hw * x) / np.sum(w * hw))
        if abs(new - loc) <= 1e-12 * max(1.0, abs(loc)):
            return new
        loc = new
    return loc


def parity_forward(
    strike: FloatArray,
    call: FloatArray,
    put: FloatArray,
    discount: float,
    weights: FloatArray,
) -> tuple[float, float]:
    """Robust forward from parity pairs: ``F_K = K + (C - P) / DF`` located by Huber's estimator
    (``c =`` :data:`HUBER_C`). Returns ``(forward, weighted RMS parity residual in price units)``."""
    f_k = strike + (call - put) / discount
    fwd = huber_location(f_k, weights, c=HUBER_C, min_scale=1e-7 * float(np.nanmedian(strike)))
    resid = discount * (f_k - fwd)
    rms = float(np.sqrt(np.sum(weights * resid * resid) / np.sum(weights)))
    return fwd, rms


@dataclass(frozen=True, slots=True, eq=False)
class ParityPairs:
    """The call/put pairs of one expiry used for its forward: ``strike``, clean mids ``call`` and
    ``put`` (price units per share), ``weight`` (relative), in increasing strike."""

    strike: FloatArray
    call: FloatArray
    put: FloatArray
    weight: FloatArray

    def __post_init__(self) -> None:
        sizes = {
            np.shape(self.strike),
            np.shape(self.call),
            np.shape(self.put),
            np.shape(self.weight),
        }
        if len(sizes) != 1 or np.ndim(self.strike) != 1:
            raise InputError(
                "pairs",
                sorted(sizes),
                "strike, call, put and weight must be 1-D arrays of one length",
            )

    def __len__(self) -> int:
        return int(self.strike.size)

    def subset(self, mask: NDArray[np.bool_]) -> ParityPairs:
        """The pairs where ``mask`` is True."""
        return ParityPairs(self.strike[mask], self.call[mask], self.put[mask], self.weight[mask])


def parity_pairs(frame: pd.DataFrame) -> ParityPairs:
    """Strikes of one expiry with a usable call and a usable put (columns ``strike``, ``kind``,
    ``mid``, ``spread``, ``usable``; duplicate quotes at a strike are averaged). Weights: the
    inverse combined spread, capped at twice the median (so only unusually wide pairs count
    less: mids of narrow quotes are about equally good, their error being the price rounding)."""
    empty = np.empty(0)
    mid = frame["mid"].to_numpy(dtype=np.float64)
    use = frame["usable"].to_numpy(dtype=bool) & np.isfinite(mid)
    if not use.any():
        return ParityPairs(empty, empty, empty, empty)
    strike = frame["strike"].to_numpy(dtype=np.float64)[use]
    spread_all = frame["spread"].to_numpy(dtype=np.float64)[use]
    is_call = frame["kind"].astype(str).str.lower().to_numpy()[use] == "call"
    mid = mid[use]
    strikes = np.unique(strike)
    idx = np.searchsorted(strikes, strike)

    def side_means(mask: NDArray[np.bool_], values: FloatArray) -> FloatArray:
        total = np.bincount(idx[mask], weights=values[mask], minlength=strikes.size)
        count = np.bincount(idx[mask], minlength=strikes.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan))

    call_mid, put_mid = side_means(is_call, mid), side_means(~is_call, mid)
    call_spread = side_means(is_call, spread_all)
    put_spread = side_means(~is_call, spread_all)
    both = np.isfinite(call_mid) & np.isfinite(put_mid)
    if not both.any():
        return ParityPairs(empty, empty, empty, empty)
    spread = call_spread[both] + put_spread[both]
    spread = np.where(np.isfinite(spread), np.maximum(spread, 2 * MIN_SPREAD), np.nan)
    floor = 2.0 * float(np.nanmedian(spread)) if np.isfinite(spread).any() else 1.0
    weight = 1.0 / np.maximum(np.where(np.isfinite(spread), spread, 10 * floor), floor)
    return ParityPairs(
        strikes[both], call_mid[both], put_mid[both], np.asarray(weight, dtype=np.float64)
    )


def nearest_pairs(pairs: ParityPairs, forward: float, n: int = MAX_AMERICAN_PAIRS) -> ParityPairs:
    """The ``n`` pairs nearest ``forward`` in log-moneyness (all if fewer), in strike order."""
    if len(pairs) <= n:
        return pairs
    order = np.argsort(np.abs(np.log(pairs.strike / forward)), kind="stable")[:n]
    mask = np.zeros(len(pairs), dtype=bool)
    mask[order] = True
    return pairs.subset(mask)


def model_forward(
    spot: float, t_years: float, rate: float, dividends: DividendSchedule | None
) -> tuple[float, float]:
    """``((S - PV(D)) exp(r t), PV(D))``: the forward implied by spot, the rate and the cash
    dividends with ex-date in ``(0, t]`` alone (no other carry)."""
    sched = dividends.within(t_years) if dividends else DividendSchedule()
    pv_div = float(pv_dividends(sched, t_years, rate)) if sched else 0.0
    if pv_div >= spot:
        raise InputError("dividends", sched.amounts, f"present value {pv_div} >= spot {spot}")
    return (spot - pv_div) * math.exp(rate * t_years), pv_div


def _check_inputs(t_years: float, rate: float, spot: float) -> float:
    t = float(t_years)
    if not (math.isfinite(t) and t > 0):
        raise InputError("t_years", t_years, "must be finite and > 0")
    if not (math.isfinite(spot) and spot > 0):
        raise InputError("spot", spot, "must be finite and > 0")
    if not math.isfinite(rate):
        raise InputError("rate", rate, "must be finite")
    return t


def make_estimate(
    *,
    expiry: date,
    settlement: str,
    t_years: float,
    rate: float,
    spot: float,
    pv_div: float,
    forward: float,
    n_pairs: int,
    residual: float,
    method: str,
    rounds: int = 0,
) -> ForwardEstimate:
    """A :class:`ForwardEstimate` with the yields derived from ``forward``: all-in
    ``q = r - ln(F/S)/t`` and ``extra = r - ln(F/(S - PV(D)))/t``."""
    q_all = rate - math.log(forward / spot) / t_years
    extra = rate - math.log(forward / (spot - pv_div)) / t_years
    return ForwardEstimate(
        expiry, t_years, forward, q_all, extra, rate, n_pairs, residual, method, rounds, settlement
    )


def american_premiums(
    pairs: Sequence[ParityPairs],
    vols: Sequence[FloatArray],
    *,
    spot: float,
    t_years: Sequence[float],
    rates: Sequence[float],
    extra_yields: Sequence[float],
    dividends: DividendSchedule | None,
    american_price: PriceFn | None = None,
    european_price: PriceFn | None = None,
) -> list[tuple[FloatArray, FloatArray]]:
    """Early-exercise premiums ``(call, put)`` per pair of several expiries in one batched call
    of each engine: ``american_price - european_price`` at each strike's vol (decimal), with the
    cash ``dividends`` (years from valuation; each option sees those up to its expiry) and the
    expiry's ``extra_yields``. Negative differences (engine noise) are floored at 0."""
    if american_price is None:
        from pricing.american import american_price as american_price_default

        american_price = american_price_default
    if european_price is None:
        from pricing.european import european_price as european_price_default

        european_price = european_price_default
    sizes = [len(p) for p in pairs]
    if sum(sizes) == 0:
        return [(np.empty(0), np.empty(0)) for _ in pairs]
    strike = np.concatenate([p.strike for p in pairs])
    vol = np.concatenate([np.asarray(v, dtype=np.float64) for v in vols])
    t = np.repeat(np.asarray(t_years, dtype=np.float64), sizes)
    r = np.repeat(np.asarray(rates, dtype=np.float64), sizes)
    q = np.repeat(np.asarray(extra_yields, dtype=np.float64), sizes)
    n = strike.size
    kind = np.array(["call"] * n + ["put"] * n)
    common: dict[str, Any] = {
        "kind": kind,
        "spot": spot,
        "strike": np.tile(strike, 2),
        "t_years": np.tile(t, 2),
        "rate": np.tile(r, 2),
        "div_yield": np.tile(q, 2),
        "vol": np.tile(vol, 2),
        "dividends": dividends if dividends else None,
    }
    am = np.asarray(american_price(**common), dtype=np.float64)
    eu = np.asarray(european_price(**common), dtype=np.float64)
    prem = np.maximum(am - eu, 0.0)
    out: list[tuple[FloatArray, FloatArray]] = []
    start = 0
    for size in sizes:
        out.append((prem[start : start + size], prem[n + start : n + start + size]))
        start += size
    return out


def estimate_forward(
    frame: pd.DataFrame,
    *,
    expiry: date,
    t_years: float,
    rate: float,
    spot: float,
    style: str = "european",
    settlement: str = "pm",
    dividends: DividendSchedule | None = None,
    american_price: PriceFn | None = None,
    european_price: PriceFn | None = None,
    black76_iv: PriceFn | None = None,
) -> ForwardEstimate:
    """The parity-implied forward of one expiry.

    ``frame``: the expiry's cleaned quotes (columns ``strike``, ``kind``, ``mid``, ``spread``,
    ``usable``); ``t_years`` (years), ``rate`` (decimal, continuous) to this expiry; ``spot``
    (price units); ``style``: "european" (exact parity over every usable pair) or "american"
    (de-Americanised over the :data:`MAX_AMERICAN_PAIRS` pairs nearest the money; needs the cash
    ``dividends`` schedule in years from valuation). In this standalone form the American vol of
    each strike is the Black-76 vol of its out-of-the-money side's de-Americanised mid, iterated
    with the premiums (:func:`marketdata.analysis.analyze_chain` uses the American implied vols it
    solves anyway). The pricing functions default to :func:`pricing.american.american_price`,
    :func:`pricing.european.european_price` and :func:`pricing.implied_vol.implied_vol_black76`.
    """
    t = _check_inputs(t_years, rate, spot)
    model_fwd, pv_div = model_forward(spot, t, rate, dividends)
    df = math.exp(-rate * t)
    pairs = parity_pairs(frame)

    def make(fwd: float, n: int, resid: float, method: str, rounds: int = 0) -> ForwardEstimate:
        return make_estimate(
            expiry=expiry,
            settlement=settlement,
            t_years=t,
            rate=rate,
            spot=spot,
            pv_div=pv_div,
            forward=fwd,
            n_pairs=n,
            residual=resid,
            method=method,
            rounds=rounds,
        )

    if len(pairs) == 0:
        return make(model_fwd, 0, math.nan, METHOD_MODEL)
    fwd, resid = parity_forward(pairs.strike, pairs.call, pairs.put, df, pairs.weight)
    if str(style).lower() != "american":
        return make(fwd, len(pairs), resid, METHOD_PARITY)

    if black76_iv is None:
        from pricing.implied_vol import implied_vol_black76

        black76_iv = implied_vol_black76
    fwd = model_fwd if dividends else fwd
    near = nearest_pairs(pairs, fwd)
    prem_c = np.zeros(len(near))
    prem_p = np.zeros(len(near))
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 - rounds is reported
        vols = _strike_vols(
            near.strike, near.call - prem_c, near.put - prem_p, fwd, t, rate, black76_iv
        )
        extra = rate - math.log(fwd / (spot - pv_div)) / t
        ((prem_c, prem_p),) = american_premiums(
            [near],
            [vols],
            spot=spot,
            t_years=[t],
            rates=[rate],
            extra_yields=[extra],
            dividends=dividends,
            american_price=american_price,
            european_price=european_price,
        )
        new_fwd, resid = parity_forward(
            near.strike, near.call - prem_c, near.put - prem_p, df, near.weight
        )
        moved = abs(new_fwd - fwd)
        fwd = new_fwd
        if moved < FORWARD_TOLERANCE * spot:
            break
    return make(fwd, len(near), resid, METHOD_PARITY_AMERICAN, rounds)


def _strike_vols(
    strike: FloatArray,
    call_eu: FloatArray,
    put_eu: FloatArray,
    fwd: float,
    t: float,
    rate: float,
    black76_iv: PriceFn,
    fallback: float = 0.25,
) -> FloatArray:
    """One Black-76 vol per strike from the out-of-the-money side's (de-Americanised) price,
    the other side where that fails, and the median of the found vols (or ``fallback``) where
    both fail."""
    otm_call = strike >= fwd
    price_otm = np.where(otm_call, call_eu, put_eu)
    price_itm = np.where(otm_call, put_eu, call_eu)
    kind_otm = np.where(otm_call, "call", "put")
    kind_itm = np.where(otm_call, "put", "call")
    vols = np.full(strike.size, np.nan)
    for kinds, prices in ((kind_otm, price_otm), (kind_itm, price_itm)):
        todo = ~np.isfinite(vols) & np.isfinite(prices) & (prices > 0)
        if not todo.any():
            continue
        res = black76_iv(
            kind=kinds[todo],
            forward=fwd,
            strike=strike[todo],
            t_years=t,
            rate=rate,
            price=prices[todo],
        )
        got = np.asarray(res.vol, dtype=np.float64)
        vols[todo] = np.where(np.isfinite(got) & (got > 0), got, np.nan)
    return fill_vols(vols, fallback)


def fill_vols(vols: FloatArray, fallback: float = 0.25) -> FloatArray:
    """``vols`` with NaNs replaced by the median of the finite ones (``fallback`` if none)."""
    found = vols[np.isfinite(vols)]
    fill = float(np.median(found)) if found.size else fallback
    return np.asarray(np.where(np.isfinite(vols), vols, fill), dtype=np.float64)


def forward_table(estimates: list[ForwardEstimate]) -> pd.DataFrame:
    """The estimates as a frame, one row per (expiry, settlement) in increasing ``t_years``:
    expiry, settlement, t_years, forward, dividend_yield, extra_yield, rate, n_pairs, residual,
    method, rounds."""
    columns = [
        "expiry",
        "settlement",
        "t_years",
        "forward",
        "dividend_yield",
        "extra_yield",
        "rate",
        "n_pairs",
        "residual",
        "method",
        "rounds",
    ]
    rows = [{c: getattr(e, c) for c in columns} for e in sorted(estimates, key=lambda e: e.t_years)]
    return pd.DataFrame(rows, columns=columns)
