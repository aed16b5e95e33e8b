"""The chain pipeline: clean the quotes, infer forwards from parity, solve every implied vol,
fit one SVI smile per expiry, and report fit quality and arbitrage per expiry.

:func:`analyze_chain` is the entry point; it returns a :class:`ChainAnalysis`, which analyses
**per expiry, on demand**: an expiry is cleaned, its forward inferred, its vols solved and its
smile fitted the first time something asks for it (:meth:`ChainAnalysis.expiry`,
:meth:`ChainAnalysis.expiry_frame`, a vol of :attr:`ChainAnalysis.surface` at a time that needs
it); the whole-chain views (:attr:`~ChainAnalysis.chain`, :attr:`~ChainAnalysis.fits`) analyse
every selected expiry (the missing ones in one batch); :attr:`~ChainAnalysis.forwards` needs only
the forwards (the vols at the parity strikes), not the whole analysis. Each expiry's result
depends on that expiry's quotes and the snapshot's spot, ``as_of``, rates and dividends only, so
it is the same whichever expiries are analysed with it or before it. :func:`analyze_chain_cached`
adds an in-process memo and the on-disk cache of :mod:`marketdata.analysis_cache`.

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
out of the parity and surface fits but still get a vol where one exists. A quote that cannot be
solved or valued gets a status instead of a vol (``iv_status``: ``above_ceiling`` for a vol
above :data:`pricing.validation.MAX_VOL`, which the Black-76 solver would otherwise return as
"ok"; ``not_valued`` when the Greeks engine refuses it; the solvers' own statuses otherwise) and
is left out of the Greeks and the fits: one bad quote never sinks a chain. Whether a quote is
usable is decided in one place, :func:`marketdata.cleaning.apply_iv_status` (clean flags AND
``iv_status == "ok"``), so the flags and the statuses agree by construction. The lower bounds
used for the ``below_intrinsic`` flag are the ones valid for what is known: no dividend-dependent
call bound without a dividend schedule (:func:`_model_free_bound`).

Each (expiry, settlement) series gets its own SVI smile, fitted to usable, solved quotes, out of
the money where both sides exist (in the money only at strikes lacking the other side), weighted
by the inverse of their vol uncertainty (half spread / vega, floored at a twentieth of a vol
point, so that tight quotes near the money weigh more than wide ones), leaving out quotes
uncertain by more than :data:`MAX_FIT_VOL_UNCERTAINTY`. Smiles are fitted independently (no warm
start or penalty from another expiry, so one expiry never needs, nor moves, another), and each is
judged against its own quotes (:func:`pricing.surface.judge_fit`: RMSE and the share of its
usable quotes whose fitted vol lies inside their bid-ask IV range; status "ok", "thin",
"poor_fit", ...). Calendar arbitrage is checked against the previous *good* fitted series of the
selection when both are analysed (the whole-chain :attr:`~ChainAnalysis.fits`), and the surface
prices only from good smiles, bridging the others (:class:`pricing.surface.VolSurface`). Yahoo's
own IV column (``source_iv``) is never used.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from marketdata.cleaning import CleaningRules, apply_iv_status, clean_chain
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
from pricing.errors import InputError
from pricing.iv_result import STATUS_ABOVE_CEILING, STATUS_NO_CONVERGENCE, STATUS_OK
from pricing.surface import (
    CALENDAR_TOLERANCE,
    SmileFit,
    SVIParams,
    VolSurface,
    calendar_min_difference,
    fit_svi,
    judge_fit,
)
from pricing.types import DividendSchedule
from pricing.validation import MAX_VOL

if TYPE_CHECKING:
    from marketdata.analysis_cache import AnalysisCache

FloatArray = NDArray[np.float64]
TimeFn = Callable[[datetime, date, str], float]

#: Expiries closer than this (years, about two hours) are not fitted (their vols are noise).
MIN_FIT_T_YEARS = 2.0 / (24.0 * 365.0)
#: Quotes whose mid is uncertain by more than this vol (half spread / vega, decimal) stay out
#: of the fit.
MAX_FIT_VOL_UNCERTAINTY = 0.10
#: Floor and cap of the vol uncertainty used as inverse weights in the SVI fit (decimal vol).
_UNCERTAINTY_FLOOR = 0.0005
#: American series whose parity forward moves by more than this (relative to spot) after a round
#: get their vols solved again with the new carry (IWM: about 0.14 cents).
RESOLVE_TOLERANCE = 5e-6
#: Relative spot bump of the American delta.
DELTA_BUMP = 1e-3
IV_STATUS_NO_QUOTE = "no_quote"
IV_STATUS_EXPIRED = "expired"
#: A quote whose vol was solved but whose Greeks could not be computed (left out of the fit).
IV_STATUS_NOT_VALUED = "not_valued"

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
    "inside_spread_share",
    "n_usable",
)


@dataclass(frozen=True, slots=True, eq=False)
class ExpiryAnalysis:
    """One expiry date analysed (every settlement series listed on it).

    ``chain``: its quotes in the snapshot's order (index 0..n-1 within the expiry) with the
    columns described in :class:`ChainAnalysis`; ``estimates``: one forward per live series,
    increasing ``t_years``; ``fitted``: ``(estimate, smile)`` per fitted series (``t_years`` at
    least :data:`MIN_FIT_T_YEARS`), increasing ``t_years``; the smiles carry no calendar check
    (that needs the neighbour: :attr:`ChainAnalysis.fits`)."""

    expiry: date
    chain: pd.DataFrame
    estimates: tuple[ForwardEstimate, ...]
    fitted: tuple[tuple[ForwardEstimate, SmileFit], ...]


@dataclass(frozen=True, slots=True)
class _SeriesKey:
    """One (expiry, settlement) series of a chain and its time to expiry (years)."""

    t_years: float
    expiry: date
    settlement: str


@dataclass(slots=True, eq=False)
class _Memo:
    """Analysed expiries of one snapshot, shared by every view of it (thread safe)."""

    snapshot: MarketSnapshot
    rules: CleaningRules | None
    time_fn: TimeFn
    cache: AnalysisCache | None
    key: str | None
    #: Row positions of each expiry date in the snapshot's chain frame.
    positions: dict[date, NDArray[np.intp]]
    expiries: dict[date, ExpiryAnalysis] = field(default_factory=dict)
    forwards: dict[date, tuple[ForwardEstimate, ...]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: Expiries analysed here (in order), loaded from the disk cache, and forward-only solves:
    #: counters for tests and benchmarks.
    computed: list[date] = field(default_factory=list)
    loaded: list[date] = field(default_factory=list)
    forwards_computed: list[date] = field(default_factory=list)
    batches: int = 0

    def raw_rows(self, *expiries: date) -> pd.DataFrame:
        """The snapshot's quotes of the given expiry dates (each in the chain's order)."""
        rows = np.concatenate([self.positions[d] for d in expiries])
        return self.snapshot.chain.frame.iloc[rows]


class ChainAnalysis:
    """The analysis of one snapshot's chain (or of some of its expiries), computed per expiry on
    demand (see the module docstring).

    ``snapshot``: the input; ``expiries``: the selected expiry dates (sorted; all of the chain by
    default). Views, each analysing what it needs:

    - :attr:`chain`: the cleaned chain frame (every raw quote of the selected expiries kept, in
      the snapshot's order, index 0..n-1) with the cleaning columns plus ``t_years``, ``rate``,
      ``forward``, ``k`` (``ln(K/F)``), ``iv`` (decimal, NaN where none), ``iv_status``,
      ``delta`` (per 1.00 of spot), ``vega`` (per vol point, Black-76 at the iv), ``in_fit``
      (used by the smile fit) and ``fit_iv`` (the fitted smile's vol at the quote; NaN for series
      too close to expiry to fit);
    - :meth:`expiry_frame`: the same rows of one expiry (that expiry only is analysed);
    - :attr:`forwards`: one row per live (expiry, settlement), increasing ``t_years``:
      ``expiry``, ``settlement``, ``t_years``, ``forward``, ``dividend_yield``, ``extra_yield``,
      ``rate``, ``n_pairs``, ``residual``, ``method``, ``rounds`` (see :class:`ForwardEstimate`);
    - :attr:`surface`: a :class:`LazySurface` over every fitted series (None only when no series
      is far enough from expiry to be fitted); reading a vol analyses the bracketing expiries;
    - :attr:`fits`: one row per fitted series, the columns in :data:`FIT_COLUMNS` (``status``
      and ``inside_spread_share`` judge each fit against its own expiry's quotes:
      :func:`pricing.surface.judge_fit`), with the calendar check against the previous *good*
      fitted series of the selection (a thin or missed expiry is never the reference, so it
      cannot flag its neighbours; ``calendar_min_diff`` ``inf`` for the chain's first fitted
      series, NaN "not checked" when the previous good one is outside the selection or none is
      good).
    """

    __slots__ = (
        "_calendar_before",
        "_fitted_keys",
        "_memo",
        "_positions",
        "_series",
        "_surface",
        "_universe",
        "expiries",
        "snapshot",
    )

    def __init__(
        self,
        memo: _Memo,
        expiries: tuple[date, ...],
        universe: tuple[_SeriesKey, ...],
        *,
        calendar_before: bool = False,
    ) -> None:
        self.snapshot: MarketSnapshot = memo.snapshot
        self.expiries: tuple[date, ...] = expiries
        self._memo = memo
        self._universe = universe
        wanted = set(expiries)
        self._series = tuple(s for s in universe if s.expiry in wanted)
        self._fitted_keys = tuple(s for s in self._series if s.t_years >= MIN_FIT_T_YEARS)
        self._calendar_before = calendar_before
        # Positions of each selected expiry's rows in the selection (the index of `chain`).
        owner = np.zeros(len(memo.snapshot.chain.frame), dtype=np.intp) - 1
        for i, d in enumerate(expiries):
            owner[memo.positions[d]] = i
        sel_owner = owner[owner >= 0]
        self._positions = {d: np.flatnonzero(sel_owner == i) for i, d in enumerate(expiries)}
        self._surface: LazySurface | None = None

    # --- bookkeeping -------------------------------------------------------------------------
    @property
    def synthetic(self) -> bool:
        """True for generated (demo) data: every view must say SYNTHETIC."""
        return bool(self.snapshot.synthetic)

    @property
    def analysed(self) -> tuple[date, ...]:
        """The selected expiries analysed so far (in this process, computed or loaded)."""
        return tuple(d for d in self.expiries if d in self._memo.expiries)

    @property
    def stats(self) -> dict[str, Any]:
        """Counters of the work done for this snapshot: ``computed`` (expiries analysed here, in
        order), ``loaded`` (read from the disk cache), ``forwards_computed`` (forward-only
        solves), ``batches`` (pipeline runs)."""
        m = self._memo
        return {
            "computed": list(m.computed),
            "loaded": list(m.loaded),
            "forwards_computed": list(m.forwards_computed),
            "batches": m.batches,
        }

    def restrict(self, expiry: date | Iterable[date], *, calendar: bool = False) -> ChainAnalysis:
        """A view of some of the selected expiries, sharing this one's analysed expiries and cache
        (the same as ``analyze_chain(snapshot, expiry=...)`` but without re-analysing).
        ``calendar``: check the view's first fitted series against the chain's previous fitted
        series too (analysing that expiry when :attr:`fits` is read)."""
        wanted = _wanted_days(expiry)
        _check_days(wanted, self.expiries)
        return ChainAnalysis(
            self._memo, tuple(sorted(set(wanted))), self._universe, calendar_before=calendar
        )

    # --- per expiry --------------------------------------------------------------------------
    def expiry(self, expiry: date) -> ExpiryAnalysis:
        """The analysis of one selected expiry (analysed now if it was not yet)."""
        _check_days([expiry], self.expiries)
        return self.analyse([expiry])[0]

    def analyse(self, expiries: Iterable[date]) -> list[ExpiryAnalysis]:
        """The analyses of ``expiries`` (selected ones), in the order given: from the in-process
        memo, else the disk cache, else analysed now (the missing ones in one batch)."""
        days = list(expiries)
        memo = self._memo
        with memo.lock:
            missing = [d for d in dict.fromkeys(days) if d not in memo.expiries]
            if missing and memo.cache is not None and memo.key is not None:
                for d in list(missing):
                    hit = _load_expiry(memo, d, memo.raw_rows(d))
                    if hit is not None:
                        memo.expiries[d] = hit
                        memo.loaded.append(d)
                        missing.remove(d)
            if missing:
                frame = memo.raw_rows(*missing)
                results = _analyse(memo.snapshot, frame, rules=memo.rules, time_fn=memo.time_fn)
                memo.batches += 1
                for d in missing:
                    res = results[d]
                    memo.expiries[d] = res
                    memo.computed.append(d)
                    if memo.cache is not None and memo.key is not None:
                        _save_expiry(memo, res)
            return [memo.expiries[d] for d in days]

    def expiry_frame(self, expiry: date) -> pd.DataFrame:
        """The analysed quotes of one expiry (only that expiry is analysed), indexed by their
        position in :attr:`chain`."""
        if expiry not in self._positions:
            return self._empty_chain()
        frame = self.expiry(expiry).chain
        return frame.set_axis(pd.Index(self._positions[expiry]), axis=0)

    def _empty_chain(self) -> pd.DataFrame:
        if not self.expiries:
            return self.snapshot.chain.frame.iloc[:0].copy()
        return self.expiry(self.expiries[0]).chain.iloc[:0].copy()

    # --- whole-selection views -----------------------------------------------------------------
    @property
    def chain(self) -> pd.DataFrame:
        """Every selected quote analysed (see the class docstring); analyses every expiry."""
        if not self.expiries:
            return self._empty_chain()
        self.analyse(self.expiries)
        parts = [self.expiry_frame(d) for d in self.expiries]
        return pd.concat(parts).sort_index(kind="stable")

    @property
    def forwards(self) -> pd.DataFrame:
        """The forward of every live series (see the class docstring). Needs only each expiry's
        forward: expiries not analysed yet get a forward-only solve (the vols at the parity
        strikes, the same forward the full analysis gives)."""
        return forward_table(self.estimates())

    def estimates(self, expiries: Iterable[date] | None = None) -> list[ForwardEstimate]:
        """The forward estimates of the series of ``expiries`` (default: every selected one),
        increasing ``t_years``."""
        days = list(self.expiries if expiries is None else expiries)
        _check_days(days, self.expiries)
        memo = self._memo
        out: list[ForwardEstimate] = []
        with memo.lock:
            missing = [d for d in days if d not in memo.expiries and d not in memo.forwards]
            if missing and memo.cache is not None and memo.key is not None:
                for d in list(missing):
                    hit = _load_forwards(memo, d)
                    if hit is not None:
                        memo.forwards[d] = hit
                        missing.remove(d)
            if missing:
                frame = memo.raw_rows(*missing)
                found = _analyse_forwards(
                    memo.snapshot, frame, rules=memo.rules, time_fn=memo.time_fn
                )
                memo.batches += 1
                for d in missing:
                    memo.forwards[d] = found.get(d, ())
                    memo.forwards_computed.append(d)
                    if memo.cache is not None and memo.key is not None:
                        _save_forwards(memo, d, memo.forwards[d])
            for d in days:
                done = memo.expiries.get(d)
                out.extend(done.estimates if done is not None else memo.forwards[d])
        return sorted(out, key=lambda e: e.t_years)

    @property
    def surface(self) -> LazySurface | None:
        """The vol surface over every fitted series (lazy: see :class:`LazySurface`); None when
        no series can be fitted."""
        if not self._fitted_keys:
            return None
        if self._surface is None:
            self._surface = LazySurface(self)
        return self._surface

    def smiles(self, keys: Iterable[_SeriesKey] | None = None) -> list[SmileFit]:
        """The fitted smiles of the given fitted series (default all), increasing ``t_years``,
        with calendar checks where the previous series is among them (analyses their expiries)."""
        wanted = list(self._fitted_keys if keys is None else keys)
        done = {a.expiry: a for a in self.analyse(dict.fromkeys(k.expiry for k in wanted))}
        out: list[SmileFit] = []
        for k in wanted:
            for est, smile in done[k.expiry].fitted:
                if est.settlement == k.settlement:
                    out.append(smile)
        return sorted(out, key=lambda s: s.t_years)

    @property
    def fits(self) -> pd.DataFrame:
        """One row per fitted series of the selection (every expiry analysed), calendar checks
        between neighbours (see the class docstring)."""
        done = self.analyse(self.expiries)
        pairs = sorted((p for a in done for p in a.fitted), key=lambda p: p[0].t_years)
        rows: list[dict[str, Any]] = []
        anchor: SmileFit | None = None  # the last good smile of the selection so far
        for est, smile in pairs:
            if anchor is not None:
                checked = with_calendar(anchor, smile)
            else:
                before = self._fitted_before(est)
                if not before:  # the chain's first fitted series: nothing to check against
                    checked = smile
                else:
                    good = self._good_smile(before) if self._calendar_before else None
                    checked = (
                        with_calendar(good, smile)
                        if good is not None
                        # outside the selection, or no good smile before: not checked
                        else replace(smile, calendar_min_diff=math.nan, calendar_arbitrage=False)
                    )
            rows.append(_fit_row(checked, est))
            if smile.good:
                anchor = smile
        if not rows:
            return pd.DataFrame(columns=list(FIT_COLUMNS))
        return pd.DataFrame(rows, columns=list(FIT_COLUMNS))

    def _fitted_before(self, est: ForwardEstimate) -> list[_SeriesKey]:
        """The chain's fitted series before ``est``'s, nearest first."""
        return [
            k
            for k in reversed(self._universe)
            if k.t_years >= MIN_FIT_T_YEARS and k.t_years < est.t_years
        ]

    def _good_smile(self, keys: list[_SeriesKey]) -> SmileFit | None:
        """The first good smile among the series ``keys`` (analysing their expiries one by one,
        in that order, until one is found), or None."""
        for key in keys:
            found = self.smiles([key])
            if found and found[0].good:
                return found[0]
        return None

    @property
    def arbitrage_free(self) -> bool:
        """True when no fitted series is flagged for butterfly or calendar arbitrage."""
        fits = self.fits
        if fits.empty:
            return True
        return not bool(fits["butterfly_arbitrage"].any() or fits["calendar_arbitrage"].any())


def with_calendar(previous: SmileFit, smile: SmileFit) -> SmileFit:
    """``smile`` with its calendar check against the previous (shorter) expiry's smile: the
    smallest ``w_this - w_prev`` (total variance) over both smiles' quoted moneyness range, and
    the flag when it is below ``-CALENDAR_TOLERANCE``."""
    diff = calendar_min_difference(
        previous, smile.params, min(smile.k_min, previous.k_min), max(smile.k_max, previous.k_max)
    )
    return replace(
        smile, calendar_min_diff=diff, calendar_arbitrage=bool(diff < -CALENDAR_TOLERANCE)
    )


class LazySurface:
    """A vol surface over the fitted series of a :class:`ChainAnalysis` that analyses only the
    expiries a question needs: a vol (or forward) at time ``t`` needs the two fitted series that
    bracket ``t`` (one beyond the ends). The answers equal those of the
    :class:`pricing.surface.VolSurface` of every fitted smile, value by value, because that
    surface interpolates between the bracketing smiles only. Same methods and units as
    :class:`~pricing.surface.VolSurface` (``t_years`` in years, strikes and forwards in price
    units, vols decimal)."""

    __slots__ = ("_analysis", "_built", "_keys", "_t", "vol_shift")

    def __init__(self, analysis: ChainAnalysis, vol_shift: float = 0.0) -> None:
        self._analysis = analysis
        self._keys = analysis._fitted_keys
        self._t = np.array([k.t_years for k in self._keys], dtype=np.float64)
        self.vol_shift = float(vol_shift)
        self._built: dict[tuple[int, ...], VolSurface] = {}

    @property
    def spot(self) -> float:
        """The snapshot's spot (price units)."""
        return float(self._analysis.snapshot.spot)

    @property
    def expiries_years(self) -> FloatArray:
        """The fitted series' times to expiry (years); analyses nothing."""
        return self._t.copy()

    @property
    def smiles(self) -> tuple[SmileFit, ...]:
        """Every fitted smile (analyses every expiry)."""
        return tuple(self._analysis.smiles())

    def surface_for(self, t_years: ArrayLike) -> VolSurface:
        """A :class:`VolSurface` of the smiles that bracket ``t_years`` (analysing their
        expiries), which answers at those times exactly as the whole surface: a bracketing smile
        that is not good (:attr:`pricing.surface.SmileFit.good`) is bridged, so the nearest good
        smile on its side is analysed too (the surface's pricing fallback)."""
        t = np.asarray(t_years, dtype=np.float64).ravel()
        n = self._t.size
        t = t[np.isfinite(t)]
        hi = np.clip(np.searchsorted(self._t, t, side="left"), 0, n - 1)
        lo = np.clip(hi - 1, 0, n - 1)
        need = set(hi.tolist()) | set(lo.tolist()) or {0}
        found = dict(
            zip(
                sorted(need),
                self._analysis.smiles(self._keys[i] for i in sorted(need)),
                strict=True,
            )
        )
        for start, step in [(i, -1) for i in set(lo.tolist())] + [(i, 1) for i in set(hi.tolist())]:
            i = start
            while 0 <= i < n:
                if i not in found:
                    found[i] = self._analysis.smiles([self._keys[i]])[0]
                if found[i].good:
                    break
                i += step
        key = tuple(sorted(found))
        built = self._built.get(key)
        if built is None:
            smiles = tuple(found[i] for i in key)
            built = VolSurface(spot=self.spot, smiles=smiles, vol_shift=self.vol_shift)
            self._built[key] = built
        return built

    def forward(self, t_years: ArrayLike) -> FloatArray:
        """The forward (price units) to ``t_years`` (see :meth:`VolSurface.forward`)."""
        return self.surface_for(t_years).forward(t_years)

    def total_variance(self, t_years: ArrayLike, k: ArrayLike) -> FloatArray:
        """Total implied variance at ``t_years`` and log forward moneyness ``k``."""
        return self.surface_for(t_years).total_variance(t_years, k)

    def vol(
        self,
        t_years: ArrayLike,
        strike: ArrayLike,
        *,
        forward: ArrayLike | None = None,
        spot_shift: ArrayLike = 0.0,
        dynamics: str = "sticky_strike",
    ) -> FloatArray:
        """Implied vol (decimal) at ``t_years`` (years, > 0) and ``strike`` (price units); see
        :meth:`VolSurface.vol` for ``forward``, ``spot_shift`` and ``dynamics``."""
        return self.surface_for(t_years).vol(
            t_years, strike, forward=forward, spot_shift=spot_shift, dynamics=dynamics
        )

    def atm_vol(self, t_years: ArrayLike) -> FloatArray:
        """At-the-forward vol (decimal, shift included) at ``t_years``."""
        return self.surface_for(t_years).atm_vol(t_years)

    def shifted(self, vol_shift: float) -> LazySurface:
        """A copy with every vol moved by ``vol_shift`` (decimal), sharing the analysis."""
        shift = float(vol_shift)
        if not math.isfinite(shift):
            from pricing.errors import InputError

            raise InputError("vol_shift", vol_shift, "must be finite (decimal)")
        return LazySurface(self._analysis, self.vol_shift + shift)


def _default_time_fn() -> TimeFn:
    from marketdata.calendar import t_years

    def fn(as_of: datetime, expiry: date, settlement: str) -> float:
        return float(t_years(as_of, expiry, settlement))

    return fn


def _expiry_days(frame: pd.DataFrame) -> NDArray[np.datetime64]:
    """The expiry of each row as ``datetime64[D]``."""
    return np.asarray(pd.to_datetime(frame["expiry"]).to_numpy().astype("datetime64[D]"))


def _wanted_days(expiry: date | Iterable[date]) -> list[date]:
    if isinstance(expiry, datetime):
        return [expiry.date()]
    if isinstance(expiry, date):
        return [expiry]
    return [e.date() if isinstance(e, datetime) else e for e in expiry]


def _check_days(wanted: Iterable[date], have: Iterable[date]) -> None:
    """NoDataError naming the wanted expiries that are not among ``have``."""
    have_set = set(have)
    missing = sorted({str(d) for d in wanted if d not in have_set})
    if missing:
        listed = ", ".join(str(d) for d in sorted(have_set))
        raise NoDataError(f"expiry {', '.join(missing)} not in the chain (have: {listed})")


def analyze_chain(
    snapshot: MarketSnapshot,
    *,
    expiry: date | Iterable[date] | None = None,
    rules: CleaningRules | None = None,
    time_fn: TimeFn | None = None,
    cache: AnalysisCache | None = None,
    _key: str | None = None,
) -> ChainAnalysis:
    """The analysis of one snapshot's chain, computed per expiry when first asked for.

    ``expiry``: select this expiry (or these; default all); ``rules``: cleaning thresholds;
    ``time_fn(as_of, expiry, settlement) -> t_years``: the expiry clock (default
    :func:`marketdata.calendar.t_years`); ``cache``: an on-disk cache of analysed expiries
    (:class:`marketdata.analysis_cache.AnalysisCache`; used only with the default clock). Raises
    :class:`NoDataError` for an empty chain or a missing expiry. Nothing reads the wall clock:
    all times count from ``snapshot.as_of``.
    """
    raw = snapshot.chain.frame
    if raw.empty:
        raise NoDataError(f"{snapshot.underlying}: empty option chain ({snapshot.source})")
    have = tuple(sorted({pd.Timestamp(x).date() for x in np.unique(_expiry_days(raw))}))
    if expiry is None:
        selected = have
    else:
        wanted = _wanted_days(expiry)
        _check_days(wanted, have)
        selected = tuple(sorted(set(wanted)))
    key = _key
    if cache is not None and time_fn is None and key is None:
        from marketdata.analysis_cache import snapshot_key

        key = snapshot_key(snapshot, rules)
    days = _expiry_days(raw)
    positions = {pd.Timestamp(d).date(): np.flatnonzero(days == d) for d in np.unique(days)}
    memo = _Memo(snapshot, rules, time_fn or _default_time_fn(), cache, key, positions)
    return ChainAnalysis(memo, selected, _universe(memo, raw))


def _universe(memo: _Memo, raw: pd.DataFrame) -> tuple[_SeriesKey, ...]:
    """Every (expiry, settlement) series of the chain with its time to expiry, increasing."""
    keys = [
        _SeriesKey(memo.time_fn(memo.snapshot.as_of, exp, st), exp, st)
        for exp, st, _ in _series(raw)
    ]
    return tuple(sorted(keys, key=lambda k: (k.t_years, k.expiry, k.settlement)))


def _prepare(
    snapshot: MarketSnapshot, frame: pd.DataFrame, *, rules: CleaningRules | None, time_fn: TimeFn
) -> tuple[pd.DataFrame, DividendSchedule, FloatArray]:
    """The rows with ``t_years`` and ``rate``, cleaned with model-free bounds (pass 1)."""
    frame = frame.reset_index(drop=True).copy()
    frame["expiry"] = pd.to_datetime(frame["expiry"])
    as_of = snapshot.as_of
    t_col = np.empty(len(frame))
    for exp, st, rows in _series(frame):
        t_col[rows] = time_fn(as_of, exp, st)
    frame["t_years"] = t_col
    live_t = np.maximum(t_col, 0.0)
    frame["rate"] = np.asarray(snapshot.rate_curve.rate(np.maximum(live_t, 1e-8)), dtype=np.float64)
    schedule = schedule_exact(snapshot.dividends, as_of)
    bound = _model_free_bound(frame, snapshot.spot, schedule)
    cleaned = clean_chain(
        OptionChain(frame), as_of=as_of, spot=snapshot.spot, lower_bound=bound, rules=rules
    ).frame
    return cleaned, schedule, bound


def _analyse_forwards(
    snapshot: MarketSnapshot, frame: pd.DataFrame, *, rules: CleaningRules | None, time_fn: TimeFn
) -> dict[date, tuple[ForwardEstimate, ...]]:
    """The forward estimates of the expiries in ``frame`` (the vols at the parity strikes only)."""
    cleaned, schedule, _ = _prepare(snapshot, frame, rules=rules, time_fn=time_fn)
    solved = _solve(
        cleaned,
        spot=snapshot.spot,
        schedule=schedule,
        has_forecast=bool(snapshot.dividends.ex_dates),
        forwards_only=True,
    )
    out: dict[date, list[ForwardEstimate]] = {}
    for est in solved.estimates:
        out.setdefault(est.expiry, []).append(est)
    return {d: tuple(v) for d, v in out.items()}


def _analyse(
    snapshot: MarketSnapshot, frame: pd.DataFrame, *, rules: CleaningRules | None, time_fn: TimeFn
) -> dict[date, ExpiryAnalysis]:
    """Clean, solve and fit the expiries whose rows are ``frame`` (in one batch); one
    :class:`ExpiryAnalysis` per expiry date."""
    spot = snapshot.spot
    cleaned, schedule, bound = _prepare(snapshot, frame, rules=rules, time_fn=time_fn)
    # Forwards and implied vols (solved together for American series, whose parity needs the
    # early-exercise premium at each strike's vol).
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
        OptionChain(base), as_of=snapshot.as_of, spot=spot, lower_bound=bound2, rules=rules
    ).frame
    for col in ("mid", "spread", "spread_pct", "flags", "usable"):
        cleaned[col] = cleaned2[col].to_numpy()
    cleaned["k"] = np.log(
        cleaned["strike"].to_numpy(dtype=np.float64) / cleaned["forward"].to_numpy(dtype=np.float64)
    )
    delta, vega, not_valued = _greeks(
        cleaned, spot=spot, schedule=schedule, extra_yield=solved.extra
    )
    cleaned["delta"] = delta
    cleaned["vega"] = vega
    if not_valued.any():
        status = cleaned["iv_status"].to_numpy(dtype=object).copy()
        status[not_valued] = IV_STATUS_NOT_VALUED
        cleaned["iv_status"] = status.astype(str)
    # One place decides usability: clean flags AND a usable vol (marketdata.cleaning).
    reconciled = apply_iv_status(
        OptionChain(cleaned), cleaned["iv_status"].to_numpy(dtype=str), rules=rules
    ).frame
    cleaned["flags"] = reconciled["flags"].to_numpy()
    cleaned["usable"] = reconciled["usable"].to_numpy(dtype=bool)

    fitted, in_fit, fit_iv = _fit(cleaned, estimates=estimates)
    cleaned["in_fit"] = in_fit
    cleaned["fit_iv"] = fit_iv

    days = _expiry_days(cleaned)
    out: dict[date, ExpiryAnalysis] = {}
    for d in np.unique(days):
        day = pd.Timestamp(d).date()
        rows = cleaned.loc[days == d].reset_index(drop=True)
        out[day] = ExpiryAnalysis(
            expiry=day,
            chain=rows,
            estimates=tuple(e for e in estimates if e.expiry == day),
            fitted=tuple(p for p in fitted if p[0].expiry == day),
        )
    return out


def _series(frame: pd.DataFrame) -> list[tuple[date, str, NDArray[np.intp]]]:
    """``(expiry, settlement, row positions)`` of each series in the frame, by expiry."""
    if not len(frame):
        return []
    exp_codes, exp_values = pd.factorize(pd.to_datetime(frame["expiry"]).to_numpy())
    codes, names = pd.factorize(frame["settlement"], use_na_sentinel=False)
    # Settlement names lower-cased; codes into the sorted distinct lower-case names.
    settle_names, name_codes = np.unique([str(x).lower() for x in names], return_inverse=True)
    settle = np.asarray(name_codes, dtype=np.intp)[codes]
    # One combined code per row: expiry rank (increasing date) times names, plus settlement.
    exp_rank = np.argsort(np.argsort(np.asarray(exp_values)))[exp_codes]
    combined = exp_rank * len(settle_names) + settle
    order = np.argsort(combined, kind="stable")
    keys, starts = np.unique(combined[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    by_rank = np.sort(np.asarray(exp_values))
    out: list[tuple[date, str, NDArray[np.intp]]] = []
    for i, key in enumerate(keys.tolist()):
        rows = np.sort(order[bounds[i] : bounds[i + 1]])
        day = pd.Timestamp(by_rank[key // len(settle_names)]).date()
        out.append(
            (day, str(settle_names[key % len(settle_names)]), np.asarray(rows, dtype=np.intp))
        )
    return out


def _signs(frame: pd.DataFrame) -> FloatArray:
    kind = frame["kind"].astype(str).str.lower().to_numpy()
    return np.asarray(np.where(kind == "call", 1.0, -1.0), dtype=np.float64)


def _model_free_bound(frame: pd.DataFrame, spot: float, schedule: DividendSchedule) -> FloatArray:
    """No-arbitrage lower bounds valid for what is known, needing no model: puts
    ``max(K DF - S, 0)`` (dividends only raise a put); American calls
    ``max(S - PV(D) - K DF, 0)`` only when a dividend schedule is known; without one, no bound
    here (0: :func:`marketdata.cleaning.clean_chain` still applies the American intrinsic
    ``max(S - K, 0)``, valid whatever the dividends), since ``S - K DF`` assumes no dividend
    before expiry and flags good deep in-the-money calls of a dividend payer; 0 for European
    calls (an index yield is unknown here)."""
    from pricing.dividends import pv_dividends

    t = np.maximum(frame["t_years"].to_numpy(dtype=np.float64), 0.0)
    r = frame["rate"].to_numpy(dtype=np.float64)
    k = frame["strike"].to_numpy(dtype=np.float64)
    df = np.exp(-r * t)
    sign = _signs(frame)
    american = frame["style"].astype(str).str.lower().to_numpy() == "american"
    put_bound = np.maximum(k * df - spot, 0.0)
    if schedule:
        pv = np.asarray(pv_dividends(schedule, t, r), dtype=np.float64)
        call_bound = np.where(american, np.maximum(spot - pv - k * df, 0.0), 0.0)
    else:
        call_bound = np.zeros(len(frame))
    return np.asarray(np.where(sign > 0, call_bound, put_bound), dtype=np.float64)


def _forward_bound(frame: pd.DataFrame) -> FloatArray:
    """``DF max(±(F - K), 0)``: the European lower bound on the parity forward (NaN where the
    forward is unknown)."""
    t = np.maximum(frame["t_years"].to_numpy(dtype=np.float64), 0.0)
    df = np.exp(-frame["rate"].to_numpy(dtype=np.float64) * t)
    f = frame["forward"].to_numpy(dtype=np.float64)
    k = frame["strike"].to_numpy(dtype=np.float64)
    return np.asarray(df * np.maximum(_signs(frame) * (f - k), 0.0), dtype=np.float64)


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
    frame: pd.DataFrame,
    *,
    spot: float,
    schedule: DividendSchedule,
    has_forecast: bool,
    forwards_only: bool = False,
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

    ``forwards_only``: solve just what the forwards need (the American vols at the parity
    strikes; no Black-76 vols, no final re-solve): the same estimates, the vols mostly NaN.
    """
    n = len(frame)
    iv = np.full(n, np.nan)
    status = np.full(n, IV_STATUS_NO_QUOTE, dtype=object)
    fwd_col = np.full(n, np.nan)
    extra_col = np.zeros(n)
    t_all = frame["t_years"].to_numpy(dtype=np.float64)
    status[t_all <= 0.0] = IV_STATUS_EXPIRED
    series: list[_Series] = []
    rate_all = frame["rate"].to_numpy(dtype=np.float64)
    is_american = frame["style"].astype(str).str.lower().to_numpy() == "american"
    for exp, st, rows in _series(frame):
        t = float(t_all[rows].max())
        if not t > 0.0:
            continue
        # The series' style: the majority of its quotes' (American on a tie).
        majority = bool(is_american[rows].mean() >= 0.5)
        series.append(_Series(exp, st, rows, t, float(rate_all[rows[0]]), majority))

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
    if european and not forwards_only:
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
    if american and forwards_only:
        # Only the rows the first de-Americanisation round reads: the nearest pairs' strikes.
        for s in american:
            if s.pairs is not None and len(s.pairs):
                s.near = nearest_pairs(s.pairs, s.forward)
        jobs = [(s, _near_rows(frame, s)) for s in american if s.near is not None]
        if jobs:
            _american_vols(frame, jobs, spot, schedule, iv, status, whole=True)
    elif american:
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
    if stale and not forwards_only:
        _american_vols(frame, [(s, s.rows) for s in stale], spot, schedule, iv, status, whole=True)

    estimates: list[ForwardEstimate] = []
    for s in series:
        assert s.estimate is not None
        estimates.append(s.estimate)
        fwd_col[s.rows] = s.estimate.forward
        extra_col[s.rows] = s.chain_extra if s.american else 0.0
    estimates.sort(key=lambda e: e.t_years)
    _screen_vols(iv, status)
    return _Solved(estimates, fwd_col, extra_col, iv, np.asarray(status.astype(str)))


def _screen_vols(iv: FloatArray, status: NDArray[Any]) -> None:
    """Vols no engine may price with get a status instead (in place): "ok" vols above
    :data:`pricing.validation.MAX_VOL` (the Black-76 solver has no ceiling: a 0.00/0.05 wing the
    day before expiry solves to thousands of percent) become ``above_ceiling``, non-finite or
    non-positive "ok" vols ``no_convergence``; their vol becomes NaN."""
    ok = status == STATUS_OK
    finite = np.isfinite(iv)
    above = ok & finite & (iv > MAX_VOL)
    broken = ok & ~(finite & (iv > 0.0))
    status[above] = STATUS_ABOVE_CEILING
    status[broken] = STATUS_NO_CONVERGENCE
    iv[above | broken] = np.nan


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
    from pricing.american import american_implied_vol

    for s, _ in jobs:
        s.pair_extra = _extra_yield(s, spot)
        if whole:
            s.chain_extra = s.pair_extra
    # The chain method: a quote's vol depends on its own series only (bit for bit). With
    # ``whole``, each series is solved whole even if fewer rows are asked for (the strikes that
    # set a forward, in a forwards-only analysis): their vols are then exactly those of a full
    # analysis, and the chain method solves a whole series for less than those rows one by one.
    asked = [r for _, r in jobs]
    solve_rows = [s.rows if whole else r for s, r in jobs]
    rows = np.concatenate(solve_rows)
    extra = np.concatenate(
        [np.full(r.size, s.pair_extra) for (s, _), r in zip(jobs, solve_rows, strict=True)]
    )
    mid = frame["mid"].to_numpy(dtype=np.float64)[rows]
    priced = np.isfinite(mid) & (mid > 0.0)
    rows, extra, mid = rows[priced], extra[priced], mid[priced]
    if rows.size == 0:
        return
    res = american_implied_vol(
        kind=frame["kind"].astype(str).str.lower().to_numpy()[rows].astype(str),
        spot=spot,
        strike=frame["strike"].to_numpy(dtype=np.float64)[rows],
        t_years=frame["t_years"].to_numpy(dtype=np.float64)[rows],
        rate=frame["rate"].to_numpy(dtype=np.float64)[rows],
        div_yield=extra,
        price=mid,
        dividends=schedule if schedule else None,
        method="chain",
    )
    keep = np.isin(rows, np.concatenate(asked))
    rows = rows[keep]
    iv[rows] = res.vol[keep]
    status[rows] = res.status[keep].astype(object)


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
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Delta (per 1.00 of spot) and Black-76 vega (per vol point) of every quote whose vol
    status is "ok", and the mask of those that could not be valued.

    European: Black-76 delta on the forward times ``F / S`` (the forward moves with spot).
    American: central difference of the American engine's price in spot (one batched call; the
    engine shares one solve between options that differ only in spot), relative bump
    :data:`DELTA_BUMP`. Only quotes with valid inputs (a vol in (0, MAX_VOL], a finite forward,
    strike and rate, ``t_years > 0``) are valued; should an engine still refuse a batch, its
    quotes are valued one by one and those refused are returned as not valued (NaN Greeks),
    so one bad quote never sinks the chain."""
    n = len(frame)
    delta = np.full(n, np.nan)
    vega = np.full(n, np.nan)
    not_valued = np.zeros(n, dtype=bool)
    iv = frame["iv"].to_numpy(dtype=np.float64)
    t = frame["t_years"].to_numpy(dtype=np.float64)
    r = frame["rate"].to_numpy(dtype=np.float64)
    k = frame["strike"].to_numpy(dtype=np.float64)
    f = frame["forward"].to_numpy(dtype=np.float64)
    status = frame["iv_status"].to_numpy(dtype=str)
    solved = (status == STATUS_OK) & np.isfinite(iv)
    valid = (
        solved
        & (iv > 0.0)
        & (iv <= MAX_VOL)
        & np.isfinite(t)
        & (t > 0.0)
        & np.isfinite(r)
        & np.isfinite(f)
        & (f > 0.0)
        & np.isfinite(k)
        & (k > 0.0)
    )
    not_valued |= solved & ~valid
    if not valid.any():
        return delta, vega, not_valued
    kind = frame["kind"].astype(str).str.lower().to_numpy().astype(str)
    american = frame["style"].astype(str).str.lower().to_numpy() == "american"
    args = _GreekInputs(kind, t, r, k, f, iv, extra_yield, american, spot, schedule)
    rows = np.flatnonzero(valid)
    try:
        d, v = args.values(rows)
    except InputError:  # one quote refused: value one by one, keep the others
        d, v = np.full(rows.size, np.nan), np.full(rows.size, np.nan)
        for j, row in enumerate(rows):
            try:
                dj, vj = args.values(np.array([row]))
            except InputError:
                not_valued[row] = True
                continue
            d[j], v[j] = dj[0], vj[0]
    delta[rows], vega[rows] = d, v
    return delta, vega, not_valued


@dataclass(frozen=True, slots=True, eq=False)
class _GreekInputs:
    """The per-row inputs of :func:`_greeks` (arrays over the expiry's rows)."""

    kind: NDArray[np.str_]
    t: FloatArray
    r: FloatArray
    k: FloatArray
    f: FloatArray
    iv: FloatArray
    extra_yield: FloatArray
    american: NDArray[np.bool_]
    spot: float
    schedule: DividendSchedule

    def values(self, rows: NDArray[np.intp]) -> tuple[FloatArray, FloatArray]:
        """Delta (per 1.00 of spot) and Black-76 vega (per vol point) of ``rows``."""
        from pricing.european import black76_greeks

        f = self.f[rows]
        g = black76_greeks(
            kind=self.kind[rows],
            forward=f,
            strike=self.k[rows],
            t_years=self.t[rows],
            rate=self.r[rows],
            vol=self.iv[rows],
        )
        vega = np.asarray(g.vega, dtype=np.float64).copy()
        delta = np.asarray(g.delta * f / self.spot, dtype=np.float64).copy()
        am = self.american[rows]
        if am.any():
            from pricing.american import american_price

            sub = rows[am]
            spot = self.spot
            bumped = np.array([[spot * (1.0 - DELTA_BUMP)], [spot * (1.0 + DELTA_BUMP)]])
            prices = american_price(
                kind=self.kind[sub],
                spot=bumped,
                strike=self.k[sub],
                t_years=self.t[sub],
                rate=self.r[sub],
                div_yield=self.extra_yield[sub],
                vol=self.iv[sub],
                dividends=self.schedule if self.schedule else None,
            )
            delta[am] = (prices[1] - prices[0]) / (2.0 * DELTA_BUMP * spot)
        return delta, vega


def _fit(
    frame: pd.DataFrame, *, estimates: list[ForwardEstimate]
) -> tuple[list[tuple[ForwardEstimate, SmileFit]], NDArray[np.bool_], FloatArray]:
    """Choose the fit quotes per series (usable, solved, out of the money preferred, vol
    uncertainty below :data:`MAX_FIT_VOL_UNCERTAINTY`), weight them by inverse vol uncertainty
    (half spread / vega), and fit one SVI smile per series on its own. Returns the fitted
    ``(estimate, smile)`` pairs, the ``in_fit`` mask and each quote's fitted vol (NaN outside
    fitted series)."""
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
    quoted = np.isfinite(frame["mid"].to_numpy(dtype=np.float64))
    in_fit = np.zeros(len(frame), dtype=bool)
    fit_iv = np.full(len(frame), np.nan)
    expiry_col = frame["expiry"].to_numpy()
    settle_col = frame["settlement"].astype(str).str.lower().to_numpy()
    strike_col = frame["strike"].to_numpy(dtype=np.float64)
    fitted: list[tuple[ForwardEstimate, SmileFit]] = []
    judged: list[tuple[NDArray[np.bool_], NDArray[np.bool_]]] = []
    for est in estimates:
        if est.t_years < MIN_FIT_T_YEARS:
            continue
        series = (expiry_col == np.datetime64(pd.Timestamp(est.expiry))) & (
            settle_col == est.settlement
        )
        rows = series & ok
        # Out of the money where available; the in-the-money side only at strikes where the
        # other side is not quoted at all (an ITM vol carries the parity forward's error: where
        # the OTM quote exists but is unusable, e.g. too wide, its ITM twin is no better).
        itm_needed = rows & ~otm & ~np.isin(strike_col, strike_col[series & otm & quoted])
        chosen = rows & (otm | itm_needed)
        in_fit |= chosen
        weights = 1.0 / np.maximum(unc[chosen], _UNCERTAINTY_FLOOR)
        smile = fit_svi(
            k[chosen], iv[chosen], t_years=est.t_years, forward=est.forward, weights=weights
        )
        fit_iv[series] = smile.vol(np.log(strike_col[series] / smile.forward))
        fitted.append((est, smile))
        # The quotes the smile is judged on: every usable quote of the series with a vol on
        # the fit's side (out of the money; in the money only at strikes lacking that side),
        # whatever its vol uncertainty. An in-the-money quote repeats its strike's
        # out-of-the-money twin through parity, with the parity forward's error on top (a
        # forward off by a fraction of the spreads moves deep ITM vols by vol points).
        solved = series & usable & np.isfinite(iv)
        judged_rows = solved & (otm | ~np.isin(strike_col, strike_col[solved & otm]))
        judged.append((judged_rows, chosen))
    # Each fit judged against its own expiry's quotes only (pricing.surface.judge_fit).
    inside = inside_spread(frame, fit_iv)
    fitted = [
        (est, judge_fit(smile, inside=inside[rows], uncertainty=unc[chosen]))
        for (est, smile), (rows, chosen) in zip(fitted, judged, strict=True)
    ]
    return fitted, in_fit, fit_iv


def inside_spread(frame: pd.DataFrame, fit_iv: FloatArray) -> NDArray[np.bool_]:
    """Per quote, whether the fitted vol lies inside the quote's bid-ask IV range, tested in
    price: the Black-76 price on the expiry's forward at the fitted vol minus that at the quote's
    vol must lie within ``[bid - mid, ask - mid]`` (exact for European quotes, whose mid is the
    Black-76 price at their vol, since price increases with vol; for American quotes the
    early-exercise premium is taken as unchanged between the two vols). False where either vol
    is missing or the fitted vol is above :data:`pricing.validation.MAX_VOL`."""
    from pricing.european import black76_price

    n = len(frame)
    out = np.zeros(n, dtype=bool)
    iv = frame["iv"].to_numpy(dtype=np.float64)
    mid = frame["mid"].to_numpy(dtype=np.float64)
    t = frame["t_years"].to_numpy(dtype=np.float64)
    f = frame["forward"].to_numpy(dtype=np.float64)
    r = frame["rate"].to_numpy(dtype=np.float64)
    k = frame["strike"].to_numpy(dtype=np.float64)
    rows = np.flatnonzero(
        np.isfinite(iv)
        & (iv > 0.0)
        & (iv <= MAX_VOL)
        & np.isfinite(fit_iv)
        & (fit_iv > 0.0)
        & (fit_iv <= MAX_VOL)
        & np.isfinite(mid)
        & (t > 0.0)
        & np.isfinite(f)
        & (f > 0.0)
        & np.isfinite(r)
    )
    if rows.size == 0:
        return out
    bid = pd.to_numeric(frame["bid"], errors="coerce").to_numpy(dtype=np.float64)[rows]
    ask = pd.to_numeric(frame["ask"], errors="coerce").to_numpy(dtype=np.float64)[rows]
    kind = frame["kind"].astype(str).str.lower().to_numpy().astype(str)[rows]
    both = np.concatenate([fit_iv[rows], iv[rows]])
    prices = black76_price(
        kind=np.concatenate([kind, kind]),
        forward=np.tile(f[rows], 2),
        strike=np.tile(k[rows], 2),
        t_years=np.tile(t[rows], 2),
        rate=np.tile(r[rows], 2),
        vol=both,
    )
    move = prices[: rows.size] - prices[rows.size :]
    m = mid[rows]
    lo = np.where(np.isfinite(bid), bid, 0.0) - m
    hi = np.where(np.isfinite(ask), ask, m) - m
    tol = 1e-7 * (1.0 + np.abs(m))
    out[rows] = (move >= lo - tol) & (move <= hi + tol)
    return out


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
        "inside_spread_share": s.inside_spread_share,
        "n_usable": s.n_usable,
    }


# --- the disk cache: plain arrays and JSON, never pickles -----------------------------------------

_ESTIMATE_FIELDS = (
    "t_years",
    "forward",
    "dividend_yield",
    "extra_yield",
    "rate",
    "n_pairs",
    "residual",
    "method",
    "rounds",
    "settlement",
)
_SMILE_FIELDS = (
    "t_years",
    "forward",
    "n_quotes",
    "rmse_vol_points",
    "max_error_vol_points",
    "k_min",
    "k_max",
    "butterfly_min_g",
    "butterfly_arbitrage",
    "calendar_min_diff",
    "calendar_arbitrage",
    "status",
    "inside_spread_share",
    "n_usable",
)


def _estimate_dict(e: ForwardEstimate) -> dict[str, Any]:
    return {"expiry": e.expiry.isoformat(), **{f: getattr(e, f) for f in _ESTIMATE_FIELDS}}


def _estimate_from(d: dict[str, Any]) -> ForwardEstimate:
    return ForwardEstimate(
        expiry=date.fromisoformat(d["expiry"]),
        t_years=float(d["t_years"]),
        forward=float(d["forward"]),
        dividend_yield=float(d["dividend_yield"]),
        extra_yield=float(d["extra_yield"]),
        rate=float(d["rate"]),
        n_pairs=int(d["n_pairs"]),
        residual=float(d["residual"]),
        method=str(d["method"]),
        rounds=int(d["rounds"]),
        settlement=str(d["settlement"]),
    )


def _smile_dict(s: SmileFit) -> dict[str, Any]:
    return {"params": s.params.as_dict(), **{f: getattr(s, f) for f in _SMILE_FIELDS}}


def _smile_from(d: dict[str, Any]) -> SmileFit:
    p = d["params"]
    params = SVIParams(
        a=float(p["a"]),
        b=float(p["b"]),
        rho=float(p["rho"]),
        m=float(p["m"]),
        sigma=float(p["sigma"]),
    )
    return SmileFit(
        t_years=float(d["t_years"]),
        forward=float(d["forward"]),
        params=params,
        n_quotes=int(d["n_quotes"]),
        rmse_vol_points=float(d["rmse_vol_points"]),
        max_error_vol_points=float(d["max_error_vol_points"]),
        k_min=float(d["k_min"]),
        k_max=float(d["k_max"]),
        butterfly_min_g=float(d["butterfly_min_g"]),
        butterfly_arbitrage=bool(d["butterfly_arbitrage"]),
        calendar_min_diff=float(d["calendar_min_diff"]),
        calendar_arbitrage=bool(d["calendar_arbitrage"]),
        status=str(d["status"]),
        inside_spread_share=float(d["inside_spread_share"]),
        n_usable=int(d["n_usable"]),
    )


def _column_array(col: pd.Series) -> NDArray[Any]:
    """A plain (never object) array of an analysed column: numbers and booleans as they are,
    text as fixed-width unicode."""
    values = col.to_numpy()
    if values.dtype.kind in "biuf":
        return np.asarray(values)
    return np.asarray([str(v) for v in values], dtype=str)


def _save_expiry(memo: _Memo, res: ExpiryAnalysis) -> None:
    assert memo.cache is not None and memo.key is not None
    raw_cols = set(memo.snapshot.chain.frame.columns)
    computed = [c for c in res.chain.columns if c not in raw_cols]
    arrays = {f"col_{i}": _column_array(res.chain[c]) for i, c in enumerate(computed)}
    meta = {
        "expiry": res.expiry.isoformat(),
        "n_rows": len(res.chain),
        "columns": list(res.chain.columns),
        "computed": computed,
        "dtypes": [str(res.chain[c].dtype) for c in computed],
        "estimates": [_estimate_dict(e) for e in res.estimates],
        "fitted": [[_estimate_dict(e), _smile_dict(s)] for e, s in res.fitted],
    }
    memo.cache.save(memo.key, res.expiry.isoformat(), arrays, meta)


def _load_expiry(memo: _Memo, day: date, raw_rows: pd.DataFrame) -> ExpiryAnalysis | None:
    """The cached analysis of ``day``, or None when absent or unusable (wrong shape or content:
    ignored, it will be recomputed and rewritten)."""
    assert memo.cache is not None and memo.key is not None
    found = memo.cache.load(memo.key, day.isoformat())
    if found is None:
        return None
    arrays, meta = found
    try:
        if meta["expiry"] != day.isoformat() or int(meta["n_rows"]) != len(raw_rows):
            raise ValueError("cache entry does not match the expiry's rows")
        frame = raw_rows.reset_index(drop=True).copy()
        frame["expiry"] = pd.to_datetime(frame["expiry"])
        for i, (name, dtype) in enumerate(zip(meta["computed"], meta["dtypes"], strict=True)):
            values = arrays[f"col_{i}"]
            if values.shape != (len(frame),):
                raise ValueError(f"cached column {name} has shape {values.shape}")
            column = pd.Series(
                values.tolist() if values.dtype.kind == "U" else values, index=frame.index
            )
            frame[name] = column if str(column.dtype) == dtype else column.astype(dtype)
        if list(frame.columns) != list(meta["columns"]):
            raise ValueError("cached columns differ")
        return ExpiryAnalysis(
            expiry=day,
            chain=frame,
            estimates=tuple(_estimate_from(e) for e in meta["estimates"]),
            fitted=tuple((_estimate_from(e), _smile_from(s)) for e, s in meta["fitted"]),
        )
    except Exception:  # any inconsistent entry is ignored and rebuilt
        return None


def _save_forwards(memo: _Memo, day: date, estimates: tuple[ForwardEstimate, ...]) -> None:
    assert memo.cache is not None and memo.key is not None
    memo.cache.save(
        memo.key,
        f"{day.isoformat()}.forwards",
        {},
        {"expiry": day.isoformat(), "estimates": [_estimate_dict(e) for e in estimates]},
    )


def _load_forwards(memo: _Memo, day: date) -> tuple[ForwardEstimate, ...] | None:
    assert memo.cache is not None and memo.key is not None
    found = memo.cache.load(memo.key, f"{day.isoformat()}.forwards")
    if found is None:
        return None
    try:
        _, meta = found
        if meta["expiry"] != day.isoformat():
            raise ValueError("cache entry for another expiry")
        return tuple(_estimate_from(e) for e in meta["estimates"])
    except Exception:  # ignored and rebuilt
        return None


# --- the process-wide memo ----------------------------------------------------------------------

_CACHE_SIZE = 8
_cache: dict[str, ChainAnalysis] = {}
_cache_lock = threading.Lock()


def snapshot_fingerprint(snapshot: MarketSnapshot) -> str:
    """A key that changes whenever the snapshot's data or the analysis code change
    (:func:`marketdata.analysis_cache.snapshot_key`: symbol, time, source, spot, curve,
    dividends, every chain cell, the code)."""
    from marketdata.analysis_cache import snapshot_key

    return snapshot_key(snapshot)


def analyze_chain_cached(snapshot: MarketSnapshot) -> ChainAnalysis:
    """:func:`analyze_chain` of the whole chain with default rules, memoised per process by the
    snapshot's content (:func:`snapshot_fingerprint`) and backed by the on-disk cache of
    analysed expiries (:func:`marketdata.analysis_cache.default_cache`), so that the verbs and
    views sharing a snapshot, in this process or a later one, analyse each expiry once. Holds
    at most the last few snapshots in memory."""
    from marketdata.analysis_cache import default_cache

    key = snapshot_fingerprint(snapshot)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is None:
            hit = analyze_chain(snapshot, cache=default_cache(), _key=key)
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = hit
    return hit
