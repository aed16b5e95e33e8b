"""The chain pipeline: clean the quotes, infer forwards from parity, solve every implied vol,
fit the vol surface, and report fit quality and arbitrage per expiry.

:func:`analyze_chain` is the one entry point; it returns a frozen :class:`ChainAnalysis`.

Units: prices in price units per share (index points for RUT); ``t_years`` Actual/365 Fixed
from the snapshot's ``as_of`` to each option's exact settlement moment; rates and yields
continuously compounded decimals; vols decimals; delta per 1.00 of spot (per share).

Model choices, per exercise style:

- European (RUT, MRUT): Black-76 on the parity forward of each expiry, discounted at the curve's
  rate to that expiry; delta with respect to spot (``delta_F * F / S``, the forward moving in
  proportion to spot).
- American (IWM, SPY): ``pricing.implied_vol(style="american")`` (the fast American engine) with
  the snapshot's cash dividend schedule (:func:`marketdata.dividends.schedule_exact`) plus the
  expiry's ``extra_yield`` (carry the schedule does not explain), so that the model forward is
  the de-Americanised parity forward; the forward and the vols are solved together (see
  ``_solve``); delta is the American engine's central difference in spot at the implied vol.

Quotes are never dropped: cleaning flags them (``flags``, ``usable``) and unusable quotes stay
out of the parity and surface fits but still get a vol where one exists. The surface is fitted
to usable, solved quotes, out of the money where both sides exist (in the money only at strikes
lacking the other side), weighted by the inverse of their vol uncertainty (half spread / vega,
floored at a quarter of a vol point), leaving out quotes uncertain by more than
:data:`MAX_FIT_VOL_UNCERTAINTY`. Yahoo's own IV column (``source_iv``) is never used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from marketdata.cleaning import CleaningRules, clean_chain
from marketdata.dividends import schedule_exact
from marketdata.errors import NoDataError
from marketdata.forward import (
    MAX_ROUNDS,
    METHOD_MODEL,
    METHOD_PARITY_AMERICAN,
    ForwardEstimate,
    ParityPairs,
    american_premiums,
    estimate_forward,
    fill_vols,
    forward_table,
    make_estimate,
    model_forward,
    nearest_pairs,
    parity_forward,
    parity_pairs,
)
from marketdata.snapshot import MarketSnapshot, OptionChain
from pricing.surface import SmileFit, VolSurface, fit_surface
from pricing.types import DividendSchedule

FloatArray = NDArray[np.float64]
TimeFn = Callable[[datetime, date, str], float]

#: Expiries closer than this (years, about two hours) are not fitted (their vols are noise).
MIN_FIT_T_YEARS = 2.0 / (24.0 * 365.0)
#: Quotes whose mid is uncertain by more than this vol (half spread / vega, decimal) stay out
#: of the fit.
MAX_FIT_VOL_UNCERTAINTY = 0.10
#: Floor and cap of the vol uncertainty used as inverse weights in the SVI fit (decimal vol).
_UNCERTAINTY_FLOOR = 0.0025
#: American series whose parity forward moves by more than this (relative to spot) after a round
#: get their vols solved again with the new carry (IWM: about 0.14 cents).
RESOLVE_TOLERANCE = 5e-6
#: Relative spot bump of the American delta.
DELTA_BUMP = 1e-3
IV_STATUS_NO_QUOTE = "no_quote"
IV_STATUS_EXPIRED = "expired"

#: Columns of :attr:`ChainAnalysis.fits`.
FIT_COLUMNS: tuple[str, ...] = (
    "expiry",
    "settlement",
    "t_years",
    "forward",
    "status",
    "n_quotes",
    "rmse_vol_points",
    "max_error_vol_points",
    "svi_a",
    "svi_b",
    "svi_rho",
    "svi_m",
    "svi_sigma",
    "butterfly_min_g",
    "butterfly_arbitrage",
    "calendar_min_diff",
    "calendar_arbitrage",
)


@dataclass(frozen=True, slots=True, eq=False)
class ChainAnalysis:
    """The result of :func:`analyze_chain`.

    ``snapshot``: the input; ``chain``: the cleaned chain frame (every raw quote kept, in the
    snapshot's order restricted to the analysed expiries) with the cleaning columns plus
    ``t_years``, ``rate``, ``forward``, ``k`` (``ln(K/F)``), ``iv`` (decimal, NaN where none),
    ``iv_status``, ``delta`` (per 1.00 of spot), ``vega`` (per vol point, Black-76 at the iv),
    ``in_fit`` (used by the surface fit) and ``fit_iv`` (the surface's vol at the quote);
    ``forwards``: one row per live (expiry, settlement), increasing ``t_years``: ``expiry``,
    ``settlement``, ``t_years``, ``forward``, ``dividend_yield``, ``extra_yield``, ``rate``,
    ``n_pairs``, ``residual``, ``method``, ``rounds`` (see :class:`ForwardEstimate`);
    ``surface``: the fitted :class:`VolSurface` (None only when no expiry could be fitted);
    ``fits``: one row per fitted (expiry, settlement), the columns in :data:`FIT_COLUMNS`.
    """

    snapshot: MarketSnapshot
    chain: pd.DataFrame
    forwards: pd.DataFrame
    surface: VolSurface | None
    fits: pd.DataFrame
    expiries: tuple[date, ...] = field(default=())

    @property
    def synthetic(self) -> bool:
        """True for generated (demo) data: every view must say SYNTHETIC."""
        return bool(self.snapshot.synthetic)

    @property
    def arbitrage_free(self) -> bool:
        """True when no fitted expiry is flagged for butterfly or calendar arbitrage."""
        if self.fits.empty:
            return True
        return not bool(
            self.fits["butterfly_arbitrage"].any() or self.fits["calendar_arbitrage"].any()
        )

    def expiry_frame(self, expiry: date) -> pd.DataFrame:
        """The analysed quotes of one expiry."""
        return self.chain.loc[self.chain["expiry"] == pd.Timestamp(expiry)]


def _default_time_fn() -> TimeFn:
    from marketdata.calendar import t_years

    def fn(as_of: datetime, expiry: date, settlement: str) -> float:
        return float(t_years(as_of, expiry, settlement))

    return fn


def _select_expiries(frame: pd.DataFrame, expiry: date | Iterable[date] | None) -> pd.DataFrame:
    """The rows of the requested expiries (all when None); NoDataError names a missing one."""
    if expiry is None:
        return frame
    wanted = [expiry] if isinstance(expiry, date) else list(expiry)
    stamps = {pd.Timestamp(e) for e in wanted}
    have = set(pd.to_datetime(frame["expiry"]).unique())
    missing = sorted(str(pd.Timestamp(s).date()) for s in stamps - have)
    if missing:
        listed = sorted(str(pd.Timestamp(x).date()) for x in have)
        raise NoDataError(
            f"expiry {', '.join(missing)} not in the chain (have: {', '.join(listed)})"
        )
    return frame.loc[pd.to_datetime(frame["expiry"]).isin(stamps)]


def analyze_chain(
    snapshot: MarketSnapshot,
    *,
    expiry: date | Iterable[date] | None = None,
    rules: CleaningRules | None = None,
    time_fn: TimeFn | None = None,
) -> ChainAnalysis:
    """Clean, solve and fit one snapshot's chain.

    ``expiry``: analyse only this expiry (or these expiries; default all); ``rules``: cleaning
    thresholds; ``time_fn(as_of, expiry, settlement) -> t_years``: the expiry clock (default
    :func:`marketdata.calendar.t_years`). Raises :class:`NoDataError` for an empty chain or a
    missing expiry. Nothing reads the wall clock: all times count from ``snapshot.as_of``.
    """
    raw = snapshot.chain.frame
    if raw.empty:
        raise NoDataError(f"{snapshot.underlying}: empty option chain ({snapshot.source})")
    time_fn = time_fn or _default_time_fn()
    frame = _select_expiries(raw, expiry).reset_index(drop=True).copy()
    frame["expiry"] = pd.to_datetime(frame["expiry"])
    spot = snapshot.spot
    as_of = snapshot.as_of

    # Time and rate per row, computed once per (expiry, settlement).
    t_col = np.empty(len(frame))
    for exp, st, rows in _series(frame):
        t_col[rows] = time_fn(as_of, exp, st)
    frame["t_years"] = t_col
    live_t = np.maximum(t_col, 0.0)
    frame["rate"] = np.asarray(snapshot.rate_curve.rate(np.maximum(live_t, 1e-8)), dtype=np.float64)
    schedule = schedule_exact(snapshot.dividends, as_of)

    # Pass 1: clean with model-free bounds; forwards and implied vols (solved together for
    # American series, whose parity needs the early-exercise premium at each strike's vol).
    bound = _model_free_bound(frame, spot, schedule)
    cleaned = clean_chain(
        OptionChain(frame), as_of=as_of, spot=spot, lower_bound=bound, rules=rules
    ).frame
    solved = _solve(
        cleaned, spot=spot, schedule=schedule, has_forecast=bool(snapshot.dividends.ex_dates)
    )
    estimates = solved.estimates
    cleaned["forward"] = solved.forward
    cleaned["iv"] = solved.iv
    cleaned["iv_status"] = solved.status

    # Pass 2: the forward-based lower bound, so below_intrinsic agrees with the IV solver.
    bound2 = np.fmax(bound, _forward_bound(cleaned))
    base = cleaned.drop(columns=["mid", "spread", "spread_pct", "flags", "usable"])
    cleaned2 = clean_chain(
        OptionChain(base), as_of=as_of, spot=spot, lower_bound=bound2, rules=rules
    ).frame
    for col in ("mid", "spread", "spread_pct", "flags", "usable"):
        cleaned[col] = cleaned2[col].to_numpy()
    cleaned["k"] = np.log(
        cleaned["strike"].to_numpy(dtype=np.float64) / cleaned["forward"].to_numpy(dtype=np.float64)
    )
    delta, vega = _greeks(cleaned, spot=spot, schedule=schedule, extra_yield=solved.extra)
    cleaned["delta"] = delta
    cleaned["vega"] = vega

    surface, fits, in_fit = _fit(cleaned, spot=spot, estimates=estimates)
    cleaned["in_fit"] = in_fit
    if surface is not None:
        t_ok = cleaned["t_years"].to_numpy(dtype=np.float64) > 0
        fit_iv = np.full(len(cleaned), np.nan)
        if t_ok.any():
            fit_iv[t_ok] = surface.vol(
                cleaned.loc[t_ok, "t_years"].to_numpy(dtype=np.float64),
                cleaned.loc[t_ok, "strike"].to_numpy(dtype=np.float64),
            )
        cleaned["fit_iv"] = fit_iv
    else:
        cleaned["fit_iv"] = np.nan
    expiries = tuple(sorted({pd.Timestamp(x).date() for x in cleaned["expiry"].unique()}))
    return ChainAnalysis(
        snapshot=snapshot,
        chain=cleaned,
        forwards=forward_table(estimates),
        surface=surface,
        fits=fits,
        expiries=expiries,
    )


def _series(frame: pd.DataFrame) -> list[tuple[date, str, NDArray[np.intp]]]:
    """``(expiry, settlement, row positions)`` of each series in the frame, by expiry."""
    exp = pd.to_datetime(frame["expiry"]).to_numpy()
    settle = frame["settlement"].astype(str).str.lower().to_numpy()
    out: list[tuple[date, str, NDArray[np.intp]]] = []
    for e in np.unique(exp):
        on_day = exp == e
        for st in sorted(set(settle[on_day].tolist())):
            rows = np.flatnonzero(on_day & (settle == st))
            out.append((pd.Timestamp(e).date(), str(st), rows))
    return out


def _signs(frame: pd.DataFrame) -> FloatArray:
    kind = frame["kind"].astype(str).str.lower().to_numpy()
    return np.asarray(np.where(kind == "call", 1.0, -1.0), dtype=np.float64)


def _model_free_bound(frame: pd.DataFrame, spot: float, schedule: DividendSchedule) -> FloatArray:
    """No-arbitrage lower bounds that need no model: puts ``max(K DF - S, 0)``; calls
    ``max(S - PV(D) - K DF, 0)`` only when the dividends are known (American roots, whose
    forecast is the whole story); 0 for European calls (an index yield is unknown here)."""
    from pricing.dividends import pv_dividends

    t = np.maximum(frame["t_years"].to_numpy(dtype=np.float64), 0.0)
    r = frame["rate"].to_numpy(dtype=np.float64)
    k = frame["strike"].to_numpy(dtype=np.float64)
    df = np.exp(-r * t)
    sign = _signs(frame)
    american = frame["style"].astype(str).str.lower().to_numpy() == "american"
    pv = np.asarray(pv_dividends(schedule, t, r), dtype=np.float64) if schedule else 0.0
    put_bound = np.maximum(k * df - spot, 0.0)
    call_bound = np.where(american, np.maximum(spot - pv - k * df, 0.0), 0.0)
    return np.asarray(np.where(sign > 0, call_bound, put_bound), dtype=np.float64)


def _forward_bound(frame: pd.DataFrame) -> FloatArray:
    """``DF max(±(F - K), 0)``: the European lower bound on the parity forward (NaN where the
    forward is unknown)."""
    t = np.maximum(frame["t_years"].to_numpy(dtype=np.float64), 0.0)
    df = np.exp(-frame["rate"].to_numpy(dtype=np.float64) * t)
    f = frame["forward"].to_numpy(dtype=np.float64)
    k = frame["strike"].to_numpy(dtype=np.float64)
    return np.asarray(df * np.maximum(_signs(frame) * (f - k), 0.0), dtype=np.float64)


def _style_of(group: pd.DataFrame) -> str:
    styles = group["style"].astype(str).str.lower()
    return "american" if (styles == "american").mean() >= 0.5 else "european"


@dataclass(frozen=True, slots=True, eq=False)
class _Solved:
    """Per-row forward, extra yield, vol and status, and the per-series forward estimates."""

    estimates: list[ForwardEstimate]
    forward: FloatArray
    extra: FloatArray
    iv: FloatArray
    status: NDArray[np.str_]


@dataclass(slots=True, eq=False)
class _Series:
    """One (expiry, settlement) series being solved (mutable working state)."""

    expiry: date
    settlement: str
    rows: NDArray[np.intp]
    t: float
    rate: float
    american: bool
    pv_div: float = 0.0
    forward: float = math.nan
    pairs: ParityPairs | None = None
    estimate: ForwardEstimate | None = None
    chain_extra: float = math.nan  # the extra yield all the series' vols were solved with
    pair_extra: float = math.nan  # the extra yield the vols at the parity strikes were solved with
    near: ParityPairs | None = None
    rounds: int = 0

    def forward_at(self, extra: float, spot: float) -> float:
        """The forward that an extra yield implies: ``(S - PV(D)) exp((r - extra) t)``."""
        return (spot - self.pv_div) * math.exp((self.rate - extra) * self.t)


def _solve(
    frame: pd.DataFrame, *, spot: float, schedule: DividendSchedule, has_forecast: bool
) -> _Solved:
    """Forwards and implied vols of every series.

    European series: the parity forward (exact, every usable pair), then Black-76 vols. American
    series, all at once: start from the model forward (spot, rate and the dividend forecast) or,
    with no forecast, raw parity; solve the American vols of the chain with the carry that
    forward implies; price the early-exercise premium of the :data:`marketdata.forward.MAX_AMERICAN_PAIRS` pairs
    nearest the money at the out-of-the-money side's vol; solve de-Americanised parity. While a
    series' forward moves by more than :data:`RESOLVE_TOLERANCE` of spot from the one its vols
    assumed, solve the vols at its parity strikes again with the new carry and repeat; finally
    solve the whole series again if its forward ended away from the one its vols assumed.
    """
    n = len(frame)
    iv = np.full(n, np.nan)
    status = np.full(n, IV_STATUS_NO_QUOTE, dtype=object)
    fwd_col = np.full(n, np.nan)
    extra_col = np.zeros(n)
    t_all = frame["t_years"].to_numpy(dtype=np.float64)
    status[t_all <= 0.0] = IV_STATUS_EXPIRED
    series: list[_Series] = []
    for exp, st, rows in _series(frame):
        t = float(t_all[rows].max())
        if not t > 0.0:
            continue
        group = frame.iloc[rows]
        series.append(
            _Series(exp, st, rows, t, float(group["rate"].iloc[0]), _style_of(group) == "american")
        )

    european = [s for s in series if not s.american]
    for s in european:
        s.estimate = estimate_forward(
            frame.iloc[s.rows],
            expiry=s.expiry,
            t_years=s.t,
            rate=s.rate,
            spot=spot,
            settlement=s.settlement,
        )
        s.forward = s.estimate.forward
    if european:
        rows = np.concatenate([s.rows for s in european])
        fwd = np.concatenate([np.full(s.rows.size, s.forward) for s in european])
        _black76_vols(frame, rows, fwd, iv, status)

    american = [s for s in series if s.american]
    for s in american:
        model_fwd, s.pv_div = model_forward(spot, s.t, s.rate, schedule)
        s.pairs = parity_pairs(frame.iloc[s.rows])
        s.forward = model_fwd
        if not has_forecast and len(s.pairs):
            df = math.exp(-s.rate * s.t)
            s.forward, _ = parity_forward(
                s.pairs.strike, s.pairs.call, s.pairs.put, df, s.pairs.weight
            )
    if american:
        _american_vols(
            frame, [(s, s.rows) for s in american], spot, schedule, iv, status, whole=True
        )
    for s in american:
        if s.pairs is None or not len(s.pairs):
            s.estimate = make_estimate(
                expiry=s.expiry,
                settlement=s.settlement,
                t_years=s.t,
                rate=s.rate,
                spot=spot,
                pv_div=s.pv_div,
                forward=s.forward,
                n_pairs=0,
                residual=math.nan,
                method=METHOD_MODEL,
            )
    todo = [s for s in american if s.pairs is not None and len(s.pairs)]
    for _ in range(MAX_ROUNDS):
        moved = _deamericanised_forwards(frame, todo, spot, schedule, iv)
        if not moved:
            break
        # Vols at the parity strikes again, with the carry of the new forward; the rest of the
        # series once, after the loop.
        _american_vols(
            frame,
            [(s, _near_rows(frame, s)) for s in moved],
            spot,
            schedule,
            iv,
            status,
            whole=False,
        )
        todo = moved
    stale = [
        s
        for s in american
        if abs(s.forward - s.forward_at(s.chain_extra, spot)) > RESOLVE_TOLERANCE * spot
    ]
    if stale:
        _american_vols(frame, [(s, s.rows) for s in stale], spot, schedule, iv, status, whole=True)

    estimates: list[ForwardEstimate] = []
    for s in series:
        assert s.estimate is not None
        estimates.append(s.estimate)
        fwd_col[s.rows] = s.estimate.forward
        extra_col[s.rows] = s.chain_extra if s.american else 0.0
    estimates.sort(key=lambda e: e.t_years)
    return _Solved(estimates, fwd_col, extra_col, iv, np.asarray(status.astype(str)))


def _extra_yield(s: _Series, spot: float) -> float:
    """The carry beyond the cash dividends implied by the series' current forward."""
    return s.rate - math.log(s.forward / (spot - s.pv_div)) / s.t


def _near_rows(frame: pd.DataFrame, s: _Series) -> NDArray[np.intp]:
    """Row positions of the series' quotes at its current parity strikes."""
    assert s.near is not None
    strike = frame["strike"].to_numpy(dtype=np.float64)[s.rows]
    return np.asarray(s.rows[np.isin(strike, s.near.strike)], dtype=np.intp)


def _american_vols(
    frame: pd.DataFrame,
    jobs: list[tuple[_Series, NDArray[np.intp]]],
    spot: float,
    schedule: DividendSchedule,
    iv: FloatArray,
    status: NDArray[Any],
    *,
    whole: bool,
) -> None:
    """Solve the American vols of the priced quotes at ``rows`` of each series in one call, with
    each series' current extra yield (written to ``iv``/``status`` in place). ``whole`` says the
    rows are the whole series (so its chain carry is updated too)."""
    from pricing.implied_vol import implied_vol

    for s, _ in jobs:
        s.pair_extra = _extra_yield(s, spot)
        if whole:
            s.chain_extra = s.pair_extra
    rows = np.concatenate([r for _, r in jobs])
    extra = np.concatenate([np.full(r.size, s.pair_extra) for s, r in jobs])
    mid = frame["mid"].to_numpy(dtype=np.float64)[rows]
    priced = np.isfinite(mid) & (mid > 0.0)
    rows, extra, mid = rows[priced], extra[priced], mid[priced]
    if rows.size == 0:
        return
    res = implied_vol(
        kind=frame["kind"].astype(str).str.lower().to_numpy()[rows].astype(str),
        spot=spot,
        strike=frame["strike"].to_numpy(dtype=np.float64)[rows],
        t_years=frame["t_years"].to_numpy(dtype=np.float64)[rows],
        rate=frame["rate"].to_numpy(dtype=np.float64)[rows],
        div_yield=extra,
        price=mid,
        style="american",
        dividends=schedule if schedule else None,
    )
    iv[rows] = res.vol
    status[rows] = res.status.astype(object)


def _black76_vols(
    frame: pd.DataFrame,
    rows: NDArray[np.intp],
    forward: FloatArray,
    iv: FloatArray,
    status: NDArray[Any],
) -> None:
    """Black-76 vols of the priced quotes among ``rows`` on their series' parity forwards."""
    from pricing.implied_vol import implied_vol_black76

    mid = frame["mid"].to_numpy(dtype=np.float64)[rows]
    priced = np.isfinite(mid) & (mid > 0.0)
    rows, forward, mid = rows[priced], forward[priced], mid[priced]
    if rows.size == 0:
        return
    res = implied_vol_black76(
        kind=frame["kind"].astype(str).str.lower().to_numpy()[rows].astype(str),
        forward=forward,
        strike=frame["strike"].to_numpy(dtype=np.float64)[rows],
        t_years=frame["t_years"].to_numpy(dtype=np.float64)[rows],
        rate=frame["rate"].to_numpy(dtype=np.float64)[rows],
        price=mid,
    )
    iv[rows] = res.vol
    status[rows] = res.status.astype(object)


def _deamericanised_forwards(
    frame: pd.DataFrame,
    series: list[_Series],
    spot: float,
    schedule: DividendSchedule,
    iv: FloatArray,
) -> list[_Series]:
    """One round of de-Americanised parity for ``series`` (premiums priced in one batch at each
    strike's out-of-the-money vol); updates forwards and estimates, returns the series whose
    forward moved by more than :data:`RESOLVE_TOLERANCE` of spot (their vols are stale)."""
    if not series:
        return []
    nears: list[ParityPairs] = []
    vols: list[FloatArray] = []
    for s in series:
        assert s.pairs is not None
        if s.near is None:
            s.near = nearest_pairs(s.pairs, s.forward)
        nears.append(s.near)
        vols.append(_pair_vols(frame, s, s.near, iv))
    premiums = american_premiums(
        nears,
        vols,
        spot=spot,
        t_years=[s.t for s in series],
        rates=[s.rate for s in series],
        extra_yields=[s.pair_extra for s in series],
        dividends=schedule,
    )
    moved: list[_Series] = []
    for s, near, (prem_c, prem_p) in zip(series, nears, premiums, strict=True):
        df = math.exp(-s.rate * s.t)
        new_fwd, resid = parity_forward(
            near.strike, near.call - prem_c, near.put - prem_p, df, near.weight
        )
        s.rounds += 1
        if abs(new_fwd - s.forward_at(s.pair_extra, spot)) > RESOLVE_TOLERANCE * spot:
            moved.append(s)
        s.forward = new_fwd
        s.estimate = make_estimate(
            expiry=s.expiry,
            settlement=s.settlement,
            t_years=s.t,
            rate=s.rate,
            spot=spot,
            pv_div=s.pv_div,
            forward=new_fwd,
            n_pairs=len(near),
            residual=resid,
            method=METHOD_PARITY_AMERICAN,
            rounds=s.rounds,
        )
    return moved


def _pair_vols(frame: pd.DataFrame, s: _Series, near: ParityPairs, iv: FloatArray) -> FloatArray:
    """The solved vol of each pair's out-of-the-money side (the other side where that has none;
    the median where neither has)."""
    is_call = frame["kind"].astype(str).str.lower().to_numpy()[s.rows] == "call"
    strike = frame["strike"].to_numpy(dtype=np.float64)[s.rows]
    v = iv[s.rows]

    def side(mask: NDArray[np.bool_]) -> FloatArray:
        out = np.full(len(near), np.nan)
        ks, vs = strike[mask], v[mask]
        order = np.argsort(ks, kind="stable")
        ks, vs = ks[order], vs[order]
        pos = np.clip(np.searchsorted(ks, near.strike), 0, max(ks.size - 1, 0))
        if ks.size:
            hit = ks[pos] == near.strike
            out[hit] = vs[pos[hit]]
        return out

    c, p = side(is_call), side(~is_call)
    otm_call = near.strike >= s.forward
    first = np.where(otm_call, c, p)
    second = np.where(otm_call, p, c)
    return fill_vols(np.asarray(np.where(np.isfinite(first), first, second), dtype=np.float64))


def _greeks(
    frame: pd.DataFrame, *, spot: float, schedule: DividendSchedule, extra_yield: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Delta (per 1.00 of spot) and Black-76 vega (per vol point) of every quote with a vol.

    European: Black-76 delta on the forward times ``F / S`` (the forward moves with spot).
    American: central difference of the American engine's price in spot (one batched call; the
    engine shares one solve between options that differ only in spot), relative bump
    :data:`DELTA_BUMP`."""
    from pricing.european import black76_greeks

    n = len(frame)
    delta = np.full(n, np.nan)
    vega = np.full(n, np.nan)
    iv = frame["iv"].to_numpy(dtype=np.float64)
    ok = np.isfinite(iv) & (iv > 0.0)
    if not ok.any():
        return delta, vega
    kind = frame["kind"].astype(str).str.lower().to_numpy().astype(str)
    t = frame["t_years"].to_numpy(dtype=np.float64)
    r = frame["rate"].to_numpy(dtype=np.float64)
    k = frame["strike"].to_numpy(dtype=np.float64)
    f = frame["forward"].to_numpy(dtype=np.float64)
    g = black76_greeks(
        kind=kind[ok], forward=f[ok], strike=k[ok], t_years=t[ok], rate=r[ok], vol=iv[ok]
    )
    vega[ok] = g.vega
    delta[ok] = g.delta * f[ok] / spot
    american = ok & (frame["style"].astype(str).str.lower().to_numpy() == "american")
    if american.any():
        from pricing.american import american_price

        bumped = np.array([[spot * (1.0 - DELTA_BUMP)], [spot * (1.0 + DELTA_BUMP)]])
        prices = american_price(
            kind=kind[american],
            spot=bumped,
            strike=k[american],
            t_years=t[american],
            rate=r[american],
            div_yield=extra_yield[american],
            vol=iv[american],
            dividends=schedule if schedule else None,
        )
        delta[american] = (prices[1] - prices[0]) / (2.0 * DELTA_BUMP * spot)
    return delta, vega


def _fit(
    frame: pd.DataFrame, *, spot: float, estimates: list[ForwardEstimate]
) -> tuple[VolSurface | None, pd.DataFrame, NDArray[np.bool_]]:
    """Choose the fit quotes per expiry (usable, solved, out of the money preferred, vol
    uncertainty below :data:`MAX_FIT_VOL_UNCERTAINTY`), weight them by inverse vol uncertainty
    (half spread / vega), and fit the surface."""
    k = frame["k"].to_numpy(dtype=np.float64)
    iv = frame["iv"].to_numpy(dtype=np.float64)
    sign = _signs(frame)
    usable = frame["usable"].to_numpy(dtype=bool)
    ok = usable & (frame["iv_status"].to_numpy(dtype=str) == "ok") & np.isfinite(iv)
    vega_unit = frame["vega"].to_numpy(dtype=np.float64) * 100.0
    half_spread = 0.5 * frame["spread"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        unc = np.where(vega_unit > 0, half_spread / vega_unit, np.inf)
    ok &= unc <= MAX_FIT_VOL_UNCERTAINTY
    otm = (sign > 0) == (k >= 0.0)
    in_fit = np.zeros(len(frame), dtype=bool)
    expiry_col = frame["expiry"].to_numpy()
    settle_col = frame["settlement"].astype(str).str.lower().to_numpy()
    strike_col = frame["strike"].to_numpy(dtype=np.float64)
    data: list[tuple[float, float, FloatArray, FloatArray, FloatArray | None]] = []
    fitted: list[ForwardEstimate] = []
    for est in estimates:
        if est.t_years < MIN_FIT_T_YEARS:
            continue
        rows = (
            (expiry_col == np.datetime64(pd.Timestamp(est.expiry)))
            & (settle_col == est.settlement)
            & ok
        )
        # Out of the money where available; the in-the-money side only at strikes lacking it.
        itm_needed = rows & ~otm & ~np.isin(strike_col, strike_col[rows & otm])
        chosen = rows & (otm | itm_needed)
        in_fit |= chosen
        weights = 1.0 / np.maximum(unc[chosen], _UNCERTAINTY_FLOOR)
        data.append((est.t_years, est.forward, k[chosen], iv[chosen], weights))
        fitted.append(est)
    if not data:
        return None, pd.DataFrame(columns=list(FIT_COLUMNS)), in_fit
    surface = fit_surface(spot, data)
    rows_out = [_fit_row(s, e) for s, e in zip(surface.smiles, fitted, strict=True)]
    return surface, pd.DataFrame(rows_out, columns=list(FIT_COLUMNS)), in_fit


def _fit_row(s: SmileFit, est: ForwardEstimate) -> dict[str, Any]:
    p = s.params
    return {
        "expiry": est.expiry,
        "settlement": est.settlement,
        "t_years": s.t_years,
        "forward": s.forward,
        "status": s.status,
        "n_quotes": s.n_quotes,
        "rmse_vol_points": s.rmse_vol_points,
        "max_error_vol_points": s.max_error_vol_points,
        "svi_a": p.a,
        "svi_b": p.b,
        "svi_rho": p.rho,
        "svi_m": p.m,
        "svi_sigma": p.sigma,
        "butterfly_min_g": s.butterfly_min_g,
        "butterfly_arbitrage": s.butterfly_arbitrage,
        "calendar_min_diff": s.calendar_min_diff,
        "calendar_arbitrage": s.calendar_arbitrage,
    }


_CACHE_SIZE = 8
_cache: dict[tuple[Any, ...], ChainAnalysis] = {}


def snapshot_fingerprint(snapshot: MarketSnapshot) -> tuple[Any, ...]:
    """A key that changes whenever the snapshot's data change (symbol, time, source, spot, curve,
    dividends and a hash of every chain cell)."""
    frame = snapshot.chain.frame
    cells = int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0
    return (
        snapshot.underlying,
        snapshot.as_of.isoformat(),
        snapshot.source,
        snapshot.spot,
        snapshot.rate_curve.tenors_years,
        snapshot.rate_curve.zero_rates,
        snapshot.dividends.ex_dates,
        snapshot.dividends.amounts,
        len(frame),
        cells,
    )


def analyze_chain_cached(snapshot: MarketSnapshot) -> ChainAnalysis:
    """:func:`analyze_chain` of the whole chain with default rules, memoised per process by the
    snapshot's data (:func:`snapshot_fingerprint`), so the verbs and views that share a snapshot
    fit it once. Holds at most the last few snapshots."""
    key = snapshot_fingerprint(snapshot)
    hit = _cache.get(key)
    if hit is None:
        hit = analyze_chain(snapshot)
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = hit
    return hit
