"""The market a strategy is valued in, plus scenario bumps.

Public API (stable)
-------------------
- :class:`VolSource`: a Protocol, ``vol(t_years, strike, *, forward=None,
  dynamics="sticky_strike") -> decimal vol`` (scalars or broadcasting arrays). The fitted
  ``pricing.surface.VolSurface`` satisfies it; :class:`FlatVol` is a constant.
- :class:`Quote` (bid, ask per share; ``mid``, ``half_spread``) and :class:`QuoteSource`
  (``quote(instrument) -> Quote | None``); :class:`StaticQuotes` (a dict keyed by instrument) and
  :class:`ChainQuotes` (looks contracts up in cleaned :class:`marketdata.snapshot.OptionChain` s).
- :class:`PricingContext` — keyword-only: ``as_of`` (tz-aware valuation datetime), ``spots``
  (symbol -> spot), ``rate_curve``, ``dividends`` (symbol -> :class:`DividendForecast` of cash
  dividends), ``div_yields`` (symbol -> continuous yield, e.g. RUT), ``vol`` (one
  :class:`VolSource` for all, or symbol -> source), ``quotes``, and the scenario bumps
  ``spot_move`` (decimal: -0.10 = a 10 % fall, applied to every underlying),
  ``spot_moves`` (symbol -> decimal move, overrides ``spot_move`` for that symbol and its linked
  family), ``vol_shift`` (decimal added to every vol: 0.05 = +5 vol points), ``rate_shift_bp``
  (parallel shift of the curve in basis points), ``days_forward`` (calendar days, may be
  fractional), ``vol_dynamics`` ("sticky_strike" or "sticky_moneyness") and
  ``american_engine`` (passed to :func:`pricing.american_price`, "default" = the fast tree).
  Also ``rut_per_iwm`` (10.06 default: IWM = RUT / 10.06) and :meth:`PricingContext.bumped` /
  :meth:`PricingContext.from_snapshot`.

Linked spots: RUT, MRUT (= RUT / 10) and IWM (= RUT / ``rut_per_iwm``) form one family. A spot given
for any member prices the others; a member given explicitly wins over the derived value. A
scenario move of the family moves every member by the same percentage.

Vols: a source registered for one family member serves the others by converting strikes and
forwards into that member's units (so one RUT surface prices MRUT and IWM options).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from marketdata.snapshot import DividendForecast, MarketSnapshot, OptionChain, RateCurve
from pricing.errors import InputError
from pricing.types import DividendSchedule, OptionContract
from strategies.legs import Instrument

#: RUT points per IWM share (IWM tracks about one tenth of the index after fees and dividends).
DEFAULT_RUT_PER_IWM = 10.06
#: RUT points per MRUT point (the Mini-Russell 2000 is RUT / 10).
RUT_PER_MRUT = 10.0

VOL_DYNAMICS = ("sticky_strike", "sticky_moneyness")


@runtime_checkable
class VolSource(Protocol):
    """Anything that answers implied vols (decimal) by time (years) and strike (price units)."""

    def vol(
        self,
        t_years: ArrayLike,
        strike: ArrayLike,
        *,
        forward: ArrayLike | None = None,
        dynamics: str = "sticky_strike",
    ) -> Any:
        """Decimal implied vol for each (t_years, strike); broadcasting."""
        ...


@dataclass(frozen=True, slots=True)
class FlatVol:
    """A constant vol (decimal) for every time and strike: the fallback before a surface exists."""

    sigma: float

    def __post_init__(self) -> None:
        s = float(self.sigma)
        if not math.isfinite(s) or not 0.0 < s <= 5.0:
            raise InputError("sigma", self.sigma, "must be a decimal vol in (0, 5]")
        object.__setattr__(self, "sigma", s)

    def vol(
        self,
        t_years: ArrayLike,
        strike: ArrayLike,
        *,
        forward: ArrayLike | None = None,
        dynamics: str = "sticky_strike",
    ) -> Any:
        """``sigma`` broadcast to the shape of ``t_years`` x ``strike``."""
        shape = np.broadcast(np.asarray(t_years), np.asarray(strike)).shape
        return np.full(shape, self.sigma) if shape else self.sigma


@dataclass(frozen=True, slots=True)
class Quote:
    """A two-sided quote per share (or index unit): ``bid`` <= ``ask``, both finite and >= 0."""

    bid: float
    ask: float

    def __post_init__(self) -> None:
        bid, ask = float(self.bid), float(self.ask)
        if not math.isfinite(bid) or bid < 0.0:
            raise InputError("bid", self.bid, "must be finite and >= 0")
        if not math.isfinite(ask) or ask < bid:
            raise InputError("ask", self.ask, f"must be finite and >= bid {bid}")
        object.__setattr__(self, "bid", bid)
        object.__setattr__(self, "ask", ask)

    @property
    def mid(self) -> float:
        """(bid + ask) / 2."""
        return 0.5 * (self.bid + self.ask)

    @property
    def half_spread(self) -> float:
        """(ask - bid) / 2: the cost per share of crossing from mid to the far side."""
        return 0.5 * (self.ask - self.bid)

    def fill(self, quantity: int) -> float:
        """The price a market order pays: the ask to buy (quantity > 0), the bid to sell."""
        return self.ask if quantity > 0 else self.bid


class QuoteSource(Protocol):
    """Market quotes by instrument; None when there is no usable two-sided quote."""

    def quote(self, instrument: Instrument) -> Quote | None:
        """The current quote of ``instrument`` or None."""
        ...


def instrument_key(instrument: Instrument) -> tuple[Any, ...]:
    """A hashable lookup key: (symbol, kind, strike rounded to 1e-6, expiry) for options."""
    if isinstance(instrument, OptionContract):
        return (
            instrument.underlying.upper(), instrument.kind.value,
            round(instrument.strike, 6), instrument.expiry, instrument.settlement.value,
        )
    return (instrument.symbol,)


@dataclass(frozen=True, slots=True)
class StaticQuotes:
    """Quotes from a mapping instrument -> :class:`Quote`."""

    quotes: Mapping[tuple[Any, ...], Quote]

    @classmethod
    def of(cls, pairs: Mapping[Instrument, Quote] | list[tuple[Instrument, Quote]]) -> StaticQuotes:
        """Build from instrument/quote pairs."""
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        return cls(MappingProxyType({instrument_key(i): q for i, q in items}))

    def quote(self, instrument: Instrument) -> Quote | None:
        """The stored quote or None."""
        return self.quotes.get(instrument_key(instrument))


@dataclass(frozen=True, slots=True, eq=False)
class ChainQuotes:
    """Quotes read from option chains (symbol -> :class:`OptionChain`); rows with a NaN, zero-ask
    or crossed quote give None. Matching is on kind, expiry and strike (to 1e-6), any settlement
    (a RUT expiry date has either an AM monthly or a PM weekly row; the AM row wins)."""

    chains: Mapping[str, OptionChain]
    _index: dict[tuple[Any, ...], Quote | None] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[tuple[Any, ...], Quote | None] = {}
        for sym, chain in self.chains.items():
            frame = chain.frame
            if frame.empty:
                continue
            expiries = [d.date() for d in frame["expiry"]]
            rows = zip(
                frame["kind"].astype(str), frame["strike"].astype(float), expiries,
                frame["bid"].astype(float), frame["ask"].astype(float),
                frame["settlement"].astype(str), strict=True,
            )
            for kind, strike, exp, bid, ask, settle in rows:
                key = (sym.upper(), str(kind).lower(), round(strike, 6), exp)
                ok = math.isfinite(bid) and math.isfinite(ask) and 0.0 <= bid <= ask and ask > 0.0
                quote = Quote(bid, ask) if ok else None
                if key not in index or (settle.lower() == "am" and quote is not None):
                    index[key] = quote
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_snapshot(cls, *snapshots: MarketSnapshot) -> ChainQuotes:
        """Quotes from the chains of one or more snapshots (keyed by their underlying)."""
        return cls(MappingProxyType({s.underlying.upper(): s.chain for s in snapshots}))

    def quote(self, instrument: Instrument) -> Quote | None:
        """The chain's quote for an option (None for shares, ETFs and missing rows)."""
        if not isinstance(instrument, OptionContract):
            return None
        key = (instrument.underlying.upper(), instrument.kind.value,
               round(instrument.strike, 6), instrument.expiry)
        return self._index.get(key)


def _freeze_floats(name: str, mapping: Mapping[str, float] | None) -> Mapping[str, float]:
    out: dict[str, float] = {}
    for key, value in (mapping or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(name, key, "keys must be non-empty symbols")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{name}[{key}]", value, "must be a number") from None
        if not math.isfinite(number):
            raise InputError(f"{name}[{key}]", value, "must be finite")
        out[key.strip().upper()] = number
    return MappingProxyType(out)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class PricingContext:
    """Market inputs and scenario bumps for valuing strategies (see the module docstring).

    All arguments are keyword-only. Units: spots in price units, rates continuous decimals,
    ``div_yields`` continuous decimals, ``spot_move`` decimal (-0.10 = -10 %), ``vol_shift``
    decimal (0.02 = +2 vol points), ``rate_shift_bp`` basis points, ``days_forward`` calendar days.
    """

    as_of: datetime
    spots: Mapping[str, float]
    rate_curve: RateCurve
    vol: VolSource | Mapping[str, VolSource]
    dividends: Mapping[str, DividendForecast] = field(default_factory=dict)
    div_yields: Mapping[str, float] = field(default_factory=dict)
    quotes: QuoteSource | None = None
    spot_move: float = 0.0
    spot_moves: Mapping[str, float] = field(default_factory=dict)
    vol_shift: float = 0.0
    rate_shift_bp: float = 0.0
    days_forward: float = 0.0
    vol_dynamics: str = "sticky_strike"
    american_engine: str = "default"
    rut_per_iwm: float = DEFAULT_RUT_PER_IWM

    def __post_init__(self) -> None:
        if (
            not isinstance(self.as_of, datetime)
            or self.as_of.tzinfo is None
            or self.as_of.utcoffset() is None
        ):
            raise InputError("as_of", self.as_of, "must be a timezone-aware datetime")
        spots = _freeze_floats("spots", self.spots)
        for sym, s in spots.items():
            if s <= 0.0:
                raise InputError(f"spots[{sym}]", s, "must be > 0")
        object.__setattr__(self, "spots", spots)
        if not isinstance(self.rate_curve, RateCurve):
            raise InputError("rate_curve", self.rate_curve, "must be a marketdata RateCurve")
        if isinstance(self.vol, Mapping):
            vols = {}
            for k, src in self.vol.items():
                if not hasattr(src, "vol"):
                    raise InputError(f"vol[{k}]", src, "must have a vol(t_years, strike) method")
                vols[str(k).upper()] = src
            object.__setattr__(self, "vol", MappingProxyType(vols))
        elif not hasattr(self.vol, "vol"):
            raise InputError("vol", self.vol, "must be a VolSource or a mapping of them")
        divs = {}
        for k, d in (self.dividends or {}).items():
            if not isinstance(d, DividendForecast):
                raise InputError(f"dividends[{k}]", d, "must be a DividendForecast")
            divs[str(k).upper()] = d
        object.__setattr__(self, "dividends", MappingProxyType(divs))
        object.__setattr__(self, "div_yields", _freeze_floats("div_yields", self.div_yields))
        moves = _freeze_floats("spot_moves", self.spot_moves)
        for sym, m in moves.items():
            if m <= -1.0:
                raise InputError(f"spot_moves[{sym}]", m, "must be > -1 (a decimal move)")
        object.__setattr__(self, "spot_moves", moves)
        for name in ("spot_move", "vol_shift", "rate_shift_bp", "days_forward", "rut_per_iwm"):
            value = getattr(self, name)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InputError(name, value, "must be a number") from None
            if not math.isfinite(number):
                raise InputError(name, value, "must be finite")
            object.__setattr__(self, name, number)
        if self.spot_move <= -1.0:
            raise InputError("spot_move", self.spot_move, "must be > -1 (a decimal move)")
        if self.days_forward < 0.0:
            raise InputError("days_forward", self.days_forward, "must be >= 0 calendar days")
        if self.rut_per_iwm <= 0.0:
            raise InputError("rut_per_iwm", self.rut_per_iwm, "must be > 0")
        if abs(self.vol_shift) > 2.0:
            raise InputError("vol_shift", self.vol_shift, "must be a decimal shift within +-2")
        if self.vol_dynamics not in VOL_DYNAMICS:
            raise InputError("vol_dynamics", self.vol_dynamics, f"must be one of {VOL_DYNAMICS}")
        if not isinstance(self.american_engine, str):
            raise InputError("american_engine", self.american_engine, "must be an engine name")

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def from_snapshot(
        cls,
        *snapshots: MarketSnapshot,
        vol: VolSource | Mapping[str, VolSource] | None = None,
        extra_spots: Mapping[str, float] | None = None,
        div_yields: Mapping[str, float] | None = None,
        **bumps: Any,
    ) -> PricingContext:
        """A context from one or more snapshots: their ``as_of`` (the first's), spots, rate curve
        (the first's), cash dividends and chain quotes. Unless ``vol`` is given, each chain is
        analysed (``marketdata.analysis.analyze_chain``): its fitted surface becomes the vol
        source and its parity-implied carry the continuous yield (the dividend yield for index
        options, the extra yield beyond the cash dividends for ETFs) unless ``div_yields`` says
        otherwise. ``extra_spots`` adds spots for ETFs like TZA; ``bumps`` are scenario fields."""
        if not snapshots:
            raise InputError("snapshots", snapshots, "need at least one snapshot")
        first = snapshots[0]
        spots = {s.underlying.upper(): s.spot for s in snapshots}
        spots.update({k.upper(): float(v) for k, v in (extra_spots or {}).items()})
        yields: dict[str, float] = {}
        if vol is None:
            sources: dict[str, VolSource] = {}
            for snap in snapshots:
                surface, implied_yield = analyse_snapshot(snap)
                sources[snap.underlying.upper()] = surface
                yields[snap.underlying.upper()] = implied_yield
            vol = sources
        yields.update({k.upper(): float(v) for k, v in (div_yields or {}).items()})
        return cls(
            as_of=first.as_of,
            spots=spots,
            rate_curve=first.rate_curve,
            vol=vol,
            dividends={s.underlying.upper(): s.dividends for s in snapshots},
            div_yields=yields,
            quotes=ChainQuotes.from_snapshot(*snapshots),
            **bumps,
        )

    def bumped(self, **changes: Any) -> PricingContext:
        """A copy with some fields replaced (scenario bumps or market inputs), re-validated."""
        return replace(self, **changes)

    def base(self) -> PricingContext:
        """The same market with every scenario bump removed."""
        return replace(
            self, spot_move=0.0, spot_moves={}, vol_shift=0.0, rate_shift_bp=0.0, days_forward=0.0
        )

    # --- time -------------------------------------------------------------------------------
    @property
    def valuation_datetime(self) -> datetime:
        """``as_of`` plus ``days_forward`` calendar days (the moment values are computed for)."""
        return self.as_of + timedelta(days=self.days_forward)

    def t_years(self, contract: OptionContract, at: datetime | None = None) -> float:
        """Years from the valuation datetime (or ``at``) to the contract's exact expiry; may be <0."""
        return contract.t_years(at or self.valuation_datetime)

    # --- spots ------------------------------------------------------------------------------
    def family_ratio(self, symbol: str) -> float | None:
        """Units of RUT per unit of ``symbol`` for the Russell family (RUT 1, MRUT 10, IWM
        ``rut_per_iwm``), None for any other symbol."""
        sym = symbol.upper()
        if sym == "RUT":
            return 1.0
        if sym == "MRUT":
            return RUT_PER_MRUT
        if sym == "IWM":
            return self.rut_per_iwm
        return None

    def base_spot(self, symbol: str) -> float:
        """Today's (unbumped) spot of ``symbol``, derived through the Russell family if needed."""
        sym = symbol.upper()
        if sym in self.spots:
            return self.spots[sym]
        ratio = self.family_ratio(sym)
        if ratio is not None:
            for member in ("RUT", "IWM", "MRUT"):
                if member in self.spots:
                    member_ratio = self.family_ratio(member)
                    assert member_ratio is not None
                    return self.spots[member] * member_ratio / ratio
        raise InputError("spots", sorted(self.spots), f"no spot for {sym!r}")

    def move_of(self, symbol: str) -> float:
        """The scenario's decimal move for ``symbol``: its own ``spot_moves`` entry, else a family
        member's, else ``spot_move``."""
        sym = symbol.upper()
        if sym in self.spot_moves:
            return self.spot_moves[sym]
        if self.family_ratio(sym) is not None:
            for member in ("RUT", "IWM", "MRUT"):
                if member in self.spot_moves:
                    return self.spot_moves[member]
        return self.spot_move

    def spot(self, symbol: str) -> float:
        """The scenario spot of ``symbol``: base spot x (1 + move). Use it for underlyings; a
        leveraged ETF's scenario price is :func:`strategies.valuation.instrument_price` (the
        daily-reset model of its index's move), not this."""
        return self.base_spot(symbol) * (1.0 + self.move_of(symbol))

    # --- rates and dividends ----------------------------------------------------------------
    def rate(self, t_years: float) -> float:
        """Zero rate (continuous decimal) to ``t_years`` including ``rate_shift_bp``."""
        t = max(float(t_years), 1e-8)
        return float(self.rate_curve.rate(t)) + self.rate_shift_bp * 1e-4

    def short_rate(self) -> float:
        """The shortest-tenor zero rate including the shift (the financing rate for ETFs)."""
        return float(self.rate_curve.zero_rates[0]) + self.rate_shift_bp * 1e-4

    def div_yield(self, symbol: str) -> float:
        """The continuous dividend yield of ``symbol`` (0 if none given). A Russell family
        member without its own entry and without cash dividends borrows a member's yield (so a
        RUT yield serves MRUT); a symbol with a cash-dividend forecast never does (no double
        counting)."""
        sym = symbol.upper()
        if sym in self.div_yields:
            return self.div_yields[sym]
        if sym in self.dividends and self.dividends[sym].ex_dates:
            return 0.0
        if self.family_ratio(sym) is not None:
            for member in ("RUT", "IWM", "MRUT"):
                if member in self.div_yields:
                    return self.div_yields[member]
        return 0.0

    def dividend_schedule(self, symbol: str, until: datetime, at: datetime | None = None) -> DividendSchedule:
        """Cash dividends of ``symbol`` with ex-date after the valuation datetime (or ``at``) and
        up to ``until``, as times in years from it."""
        forecast = self.dividends.get(symbol.upper())
        if forecast is None:
            return DividendSchedule()
        return forecast.schedule(at or self.valuation_datetime, until)

    # --- vols -------------------------------------------------------------------------------
    def vol_source(self, symbol: str) -> tuple[VolSource, float]:
        """The vol source for ``symbol`` and the factor that converts ``symbol`` prices into the
        source's units (1 unless borrowed from another Russell family member)."""
        if not isinstance(self.vol, Mapping):
            return self.vol, 1.0
        sym = symbol.upper()
        if sym in self.vol:
            return self.vol[sym], 1.0
        ratio = self.family_ratio(sym)
        if ratio is not None:
            for member in ("RUT", "IWM", "MRUT"):
                if member in self.vol:
                    member_ratio = self.family_ratio(member)
                    assert member_ratio is not None
                    return self.vol[member], ratio / member_ratio
        if "*" in self.vol:
            return self.vol["*"], 1.0
        raise InputError("vol", sorted(self.vol), f"no vol source for {sym!r}")

    def implied_vol(
        self, symbol: str, t_years: ArrayLike, strike: ArrayLike, forward: ArrayLike | None = None
    ) -> Any:
        """Decimal vol for ``symbol`` at (t_years, strike) from its source, plus ``vol_shift``,
        floored at 0.1 vol point. ``forward`` (price units of ``symbol``) is passed for
        sticky-moneyness dynamics."""
        source, factor = self.vol_source(symbol)
        t = np.maximum(np.asarray(t_years, dtype=np.float64), 1.0 / (365.0 * 24.0))
        k = np.asarray(strike, dtype=np.float64) * factor
        fwd = None if forward is None else np.asarray(forward, dtype=np.float64) * factor
        raw = source.vol(t, k, forward=fwd, dynamics=self.vol_dynamics)
        out = np.maximum(np.asarray(raw, dtype=np.float64) + self.vol_shift, 1e-3)
        return float(out) if out.ndim == 0 else out

    def quote(self, instrument: Instrument) -> Quote | None:
        """The market quote of ``instrument`` if a quote source is attached."""
        return None if self.quotes is None else self.quotes.quote(instrument)


def analyse_snapshot(snapshot: MarketSnapshot) -> tuple[VolSource, float]:
    """The fitted vol surface of ``snapshot`` and its continuous yield implied by put-call parity
    (median over expiries: ``extra_yield`` when the snapshot has cash dividends, else
    ``dividend_yield``), via ``marketdata.analysis.analyze_chain_cached`` (fitted once per
    snapshot and process)."""
    from marketdata.analysis import analyze_chain_cached

    result = analyze_chain_cached(snapshot)
    if result.surface is None:
        raise InputError("vol", snapshot.underlying, "no expiry of the chain could be fitted")
    forwards = result.forwards
    column = "extra_yield" if snapshot.dividends.ex_dates else "dividend_yield"
    implied = 0.0
    if len(forwards) and column in forwards.columns:
        values = np.asarray(forwards[column], dtype=np.float64)
        values = values[np.isfinite(values)]
        implied = float(np.median(values)) if values.size else 0.0
    surface: VolSource = result.surface
    return surface, implied


def surface_of(snapshot: MarketSnapshot) -> VolSource:
    """The fitted vol surface of ``snapshot`` (see :func:`analyse_snapshot`)."""
    return analyse_snapshot(snapshot)[0]


__all__ = [
    "DEFAULT_RUT_PER_IWM",
    "RUT_PER_MRUT",
    "ChainQuotes",
    "FlatVol",
    "PricingContext",
    "Quote",
    "QuoteSource",
    "StaticQuotes",
    "VolSource",
    "analyse_snapshot",
    "instrument_key",
    "surface_of",
]
