"""Strategy templates: build common hedges from a pricing context (and optionally a listed chain).

Public API (stable)
-------------------
Strike specifications (:data:`StrikeSpec`), parsed from text by :func:`parse_strike`:

- :class:`AtStrike` ``(strike)`` — an explicit strike ("200");
- :class:`PctOTM` ``(pct)`` — decimal out of the money ("5%": 5 % below spot for a put, above
  for a call; negative = in the money);
- :class:`AtDelta` ``(delta)`` — the strike whose |delta| is nearest ("25d" = 0.25);
- :class:`AtPrice` ``(price)`` — the strike whose premium per share is nearest ("$1.50").

Expiries: ``expiry=date`` (exactly that listed expiry, or an error naming the nearest listed ones)
or ``dte=days`` (the nearest listed expiry to today + days); with a ``chain`` (and then the
nearest listed strike that has a two-sided quote), otherwise the nearest standard monthly expiry
(third Friday, holiday-adjusted) and strikes rounded to the product's usual increment (IWM/SPY 1, RUT 5, MRUT 1).

Templates (each ``f(ctx, *, chain=None, underlying=..., quantity=1, ...) -> Strategy``, all
arguments keyword-only except the context; ``quantity`` counts option contracts, and share legs are
sized at ``multiplier x quantity`` shares). The registry :data:`TEMPLATES` maps CLI names to
:class:`Template` objects (``TEMPLATES["put-spread"](ctx, dte=60)``):

long-put, put-spread, put-ratio, put-spread-collar, collar, call-spread, call-overwrite,
protective-put, risk-reversal, iron-condor, calendar, diagonal, pair, tza-hedge.

Defaults are sized for a modest drawdown, not a crash: e.g. the IWM put spread is ~60 DTE, long
~5 % OTM, short ~11 % OTM; call spreads ~60 DTE (45-90).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, TypeAlias

import numpy as np

import pricing
from marketdata import calendar
from marketdata.snapshot import OptionChain
from marketdata.underlyings import underlying as underlying_facts
from pricing.errors import InputError
from pricing.types import Delivery, ExerciseStyle, OptionContract, OptionKind, SettlementTime
from strategies.betas import beta_of
from strategies.legs import TZA, Leg, LeveragedETF, Shares, option_for
from strategies.pricing_context import PricingContext
from strategies.strategy import Strategy
from strategies.valuation import instrument_price, option_inputs

# --- strike specifications ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AtStrike:
    """An explicit strike (price units; snapped to the nearest listed strike with a chain)."""

    strike: float

    def __post_init__(self) -> None:
        s = float(self.strike)
        if not math.isfinite(s) or s <= 0.0:
            raise InputError("strike", self.strike, "must be finite and > 0")
        object.__setattr__(self, "strike", s)


@dataclass(frozen=True, slots=True)
class PctOTM:
    """Decimal distance out of the money: 0.05 = 5 % below spot (put) / above spot (call)."""

    pct: float

    def __post_init__(self) -> None:
        p = float(self.pct)
        if not math.isfinite(p) or not -0.9 < p < 0.9:
            raise InputError("pct_otm", self.pct, "must be a decimal in (-0.9, 0.9)")
        object.__setattr__(self, "pct", p)


@dataclass(frozen=True, slots=True)
class AtDelta:
    """Target |delta| per share in (0, 1): 0.25 picks the strike nearest a 25-delta option."""

    delta: float

    def __post_init__(self) -> None:
        d = float(self.delta)
        if not math.isfinite(d) or not 0.0 < d < 1.0:
            raise InputError("delta", self.delta, "must be an absolute delta in (0, 1)")
        object.__setattr__(self, "delta", d)


@dataclass(frozen=True, slots=True)
class AtPrice:
    """Target premium per share (price units): the strike whose model price is nearest."""

    price: float

    def __post_init__(self) -> None:
        p = float(self.price)
        if not math.isfinite(p) or p <= 0.0:
            raise InputError("price", self.price, "must be finite and > 0")
        object.__setattr__(self, "price", p)


StrikeSpec: TypeAlias = AtStrike | PctOTM | AtDelta | AtPrice
_SPEC_TYPES = (AtStrike, PctOTM, AtDelta, AtPrice)

_PCT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*(?:otm)?\s*$", re.IGNORECASE)
_DELTA = re.compile(r"^\s*(?:d\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*d(?:elta)?)\s*$", re.IGNORECASE)
_PRICE = re.compile(r"^\s*(?:\$|p(?:rice)?[:=]?)\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)


def parse_strike(value: StrikeSpec | float | str, field_name: str = "strike") -> StrikeSpec:
    """A :data:`StrikeSpec` from a spec, a number (explicit strike) or text: "200", "5%"
    (5 % OTM), "25d"/"d25" (25 delta), "$1.50"/"p1.50" (premium target)."""
    if isinstance(value, _SPEC_TYPES):
        return value
    if isinstance(value, bool):
        raise InputError(field_name, value, "must be a strike, '5%', '25d' or '$1.50'")
    if isinstance(value, (int, float)):
        return AtStrike(float(value))
    if isinstance(value, str):
        if m := _PCT.match(value):
            return PctOTM(float(m.group(1)) / 100.0)
        if m := _DELTA.match(value):
            number = float(m.group(1) or m.group(2))
            return AtDelta(number / 100.0 if number >= 1.0 else number)
        if m := _PRICE.match(value):
            return AtPrice(float(m.group(1)))
        try:
            return AtStrike(float(value))
        except ValueError:
            pass
    raise InputError(field_name, value, "must be a strike, '5%', '25d' or '$1.50'")


# --- listings ------------------------------------------------------------------------------------

#: Strike increments of the generated listings (used only without a chain); other symbols get
#: about 0.5 % of spot.
STRIKE_STEP: Mapping[str, float] = {
    "IWM": 1.0,
    "SPY": 1.0,
    "RUT": 5.0,
    "MRUT": 1.0,
    "SPX": 5.0,
    "XSP": 1.0,
    "NDX": 10.0,
}


def third_friday(year: int, month: int) -> date:
    """The third Friday of a month (a calendar date, holiday or not)."""
    return calendar.third_friday(year, month)


def monthly_expiries(start: date, months: int = 30) -> tuple[date, ...]:
    """Standard monthly expiries (the third Friday, or the session before it when that is an
    exchange holiday; :func:`marketdata.calendar.monthly_expiry`) strictly after ``start`` for
    ``months`` months."""
    out = []
    y, m = start.year, start.month
    for _ in range(months + 1):
        d = calendar.monthly_expiry(y, m)
        if d > start:
            out.append(d)
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class Listings:
    """Listed expiries and, per (expiry, kind), strikes with a usable two-sided quote; plus each
    expiry's settlement ("am"/"pm"). Empty strike tables mean "generate by increment"."""

    underlying: str
    expiries: tuple[date, ...]
    strikes: Mapping[tuple[date, str], tuple[float, ...]] = field(default_factory=dict)
    settlement: Mapping[date, str] = field(default_factory=dict)

    @classmethod
    def from_chain(cls, underlying: str, chain: OptionChain) -> Listings:
        """Listings from a (cleaned) chain: rows with finite bid <= ask and ask > 0."""
        frame = chain.frame
        if frame.empty:
            raise InputError("chain", underlying, "the chain is empty")
        strikes: dict[tuple[date, str], set[float]] = {}
        settle: dict[date, str] = {}
        for exp, kind, strike, bid, ask, stl in zip(
            frame["expiry"],
            frame["kind"].astype(str),
            frame["strike"].astype(float),
            frame["bid"].astype(float),
            frame["ask"].astype(float),
            frame["settlement"].astype(str),
            strict=True,
        ):
            d = exp.date()
            if not (math.isfinite(bid) and math.isfinite(ask) and 0.0 <= bid <= ask and ask > 0.0):
                continue
            strikes.setdefault((d, kind.lower()), set()).add(float(strike))
            if settle.get(d) != "am":
                settle[d] = stl.lower()
        if not strikes:
            raise InputError("chain", underlying, "no row has a usable two-sided quote")
        expiries = tuple(sorted({d for d, _ in strikes}))
        return cls(
            underlying.upper(),
            expiries,
            {k: tuple(sorted(v)) for k, v in strikes.items()},
            settle,
        )

    @classmethod
    def generated(cls, underlying: str, start: date) -> Listings:
        """Monthly third-Friday expiries for 30 months after ``start``; strikes by increment."""
        return cls(underlying.upper(), monthly_expiries(start))

    def choose_expiry(
        self, as_of: date, *, expiry: date | None = None, dte: int | None = None
    ) -> date:
        """``expiry`` itself when it is listed after ``as_of`` (else :class:`InputError` naming
        the nearest listed expiries: a date is never silently moved), or the listed expiry
        nearest to ``as_of + dte`` (ties go to the later one); only expiries after ``as_of``."""
        future = [d for d in self.expiries if d > as_of]
        if not future:
            raise InputError("expiry", as_of, f"no listed {self.underlying} expiry after it")
        if expiry is not None:
            if expiry in future:
                return expiry
            before = [d for d in future if d < expiry][-2:]
            after = [d for d in future if d > expiry][:2]
            nearest = ", ".join(d.isoformat() for d in before + after)
            why = "is not after the data's date" if expiry <= as_of else "is not a listed expiry"
            raise InputError(
                "expiry",
                expiry,
                f"{why} of {self.underlying}; the nearest listed are {nearest} "
                "(ask for the nearest with dte or nearest:DATE)",
            )
        elif dte is not None:
            if isinstance(dte, bool) or not isinstance(dte, int) or dte < 1:
                raise InputError("dte", dte, "must be a whole number of days >= 1")
            target = as_of + timedelta(days=dte)
        else:
            raise InputError("expiry", None, "give expiry or dte")
        return min(future, key=lambda d: (abs((d - target).days), -d.toordinal()))

    def candidate_strikes(
        self, expiry: date, kind: OptionKind, spot: float
    ) -> np.ndarray[Any, Any]:
        """Listed strikes of (expiry, kind), or an increment grid from 40 % to 160 % of spot."""
        listed = self.strikes.get((expiry, kind.value))
        if listed:
            return np.asarray(listed, dtype=np.float64)
        step = STRIKE_STEP.get(self.underlying, max(round(spot * 0.005, 0), 0.5))
        lo = max(step, math.floor(0.4 * spot / step) * step)
        hi = math.ceil(1.6 * spot / step) * step
        return np.arange(lo, hi + step / 2, step)

    def settlement_of(self, expiry: date) -> SettlementTime | None:
        """The expiry's listed settlement, or None (product default)."""
        s = self.settlement.get(expiry)
        return SettlementTime(s) if s else None


def listings_for(ctx: PricingContext, underlying: str, chain: OptionChain | None) -> Listings:
    """Listings from ``chain`` if given, else generated monthly expiries after ``ctx.as_of``."""
    if chain is not None:
        return Listings.from_chain(underlying, chain)
    return Listings.generated(underlying, ctx.as_of.date())


def _metrics(
    ctx: PricingContext,
    underlying: str,
    kind: OptionKind,
    expiry: date,
    strikes: np.ndarray[Any, Any],
    settlement: SettlementTime | None,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Model prices and deltas per share of candidate strikes (vectorised)."""
    contract = option_for(underlying, kind, float(strikes[0]), expiry, settlement)
    spot = np.asarray(ctx.spot(underlying), dtype=np.float64)
    t, r, q, divs, forward = option_inputs(contract, ctx, spot=spot, at=ctx.valuation_datetime)
    if t <= 0.0:
        raise InputError("expiry", expiry, "has already expired at the valuation time")
    vol = np.asarray(ctx.implied_vol(underlying, t, strikes, forward=forward), dtype=np.float64)
    kwargs: dict[str, Any] = {
        "kind": kind,
        "spot": float(spot),
        "strike": strikes,
        "t_years": t,
        "rate": r,
        "div_yield": q,
        "vol": vol,
        "dividends": divs or None,
    }
    if contract.style is ExerciseStyle.AMERICAN:
        prices = pricing.american_price(engine=ctx.american_engine, **kwargs)
        deltas = pricing.american_greeks(engine=ctx.american_engine, **kwargs).delta
    else:
        prices = pricing.european_price(**kwargs)
        deltas = pricing.european_greeks(**kwargs).delta
    return np.asarray(prices, dtype=np.float64), np.asarray(deltas, dtype=np.float64)


def choose_strike(
    spec: StrikeSpec | float | str,
    *,
    ctx: PricingContext,
    listings: Listings,
    kind: OptionKind | str,
    expiry: date,
) -> float:
    """The strike for ``spec`` among the candidates of (expiry, kind) (see the module docstring)."""
    spec = parse_strike(spec)
    k = OptionKind.parse(kind)
    spot = ctx.spot(listings.underlying)
    cands = listings.candidate_strikes(expiry, k, spot)
    if isinstance(spec, AtStrike):
        target = spec.strike
    elif isinstance(spec, PctOTM):
        target = spot * (1.0 - spec.pct) if k is OptionKind.PUT else spot * (1.0 + spec.pct)
    else:
        prices, deltas = _metrics(
            ctx, listings.underlying, k, expiry, cands, listings.settlement_of(expiry)
        )
        score = (
            np.abs(np.abs(deltas) - spec.delta)
            if isinstance(spec, AtDelta)
            else np.abs(prices - spec.price)
        )
        return float(cands[int(np.argmin(score))])
    return float(cands[int(np.argmin(np.abs(cands - target)))])


# --- building blocks ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Builder:
    """Shared state for one template call: context, listings, chosen expiry."""

    ctx: PricingContext
    listings: Listings
    underlying: str

    def expiry(self, expiry: date | None, dte: int | None) -> date:
        return self.listings.choose_expiry(self.ctx.as_of.date(), expiry=expiry, dte=dte)

    def option(self, kind: str, spec: StrikeSpec | float | str, expiry: date) -> OptionContract:
        strike = choose_strike(spec, ctx=self.ctx, listings=self.listings, kind=kind, expiry=expiry)
        return option_for(
            self.underlying, kind, strike, expiry, self.listings.settlement_of(expiry)
        )

    def shares_per_contract(self, contract: OptionContract) -> int:
        if contract.delivery is Delivery.CASH:
            family = underlying_facts(contract.underlying).moves_with
            hint = f" (hold {family} shares, or use {family} options)" if family else ""
            raise InputError(
                "underlying",
                contract.underlying,
                f"is a cash-settled index: there are no shares to hold against its options{hint}",
            )
        return round(contract.multiplier)


def _check_quantity(quantity: int, name: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InputError(name, quantity, "must be a positive integer (contracts)")
    return quantity


def _builder(ctx: PricingContext, underlying: str, chain: OptionChain | None) -> _Builder:
    if not isinstance(underlying, str) or not underlying.strip():
        raise InputError("underlying", underlying, "must be a symbol")
    sym = underlying.strip().upper()
    return _Builder(ctx, listings_for(ctx, sym, chain), sym)


def _distinct(a: OptionContract, b: OptionContract, what: str) -> None:
    if a.strike == b.strike and a.expiry == b.expiry:
        raise InputError(what, a.strike, "both legs landed on the same strike: widen the spec")


def long_put(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 60,
    strike: StrikeSpec | float | str = "5%",
) -> Strategy:
    """Buy ``quantity`` puts, default ~60 DTE ~5 % OTM."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    put = b.option("put", strike, b.expiry(expiry, dte))
    return Strategy(f"{b.underlying} long put", (Leg(put, q, leg_id="long put"),))


def put_spread(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 60,
    long_strike: StrikeSpec | float | str = "5%",
    short_strike: StrikeSpec | float | str = "11%",
) -> Strategy:
    """Buy a put ~5 % OTM, sell a put ~11 % OTM, ~60 DTE: pays between the strikes, sized for a
    modest drawdown."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    exp = b.expiry(expiry, dte)
    hi, lo = b.option("put", long_strike, exp), b.option("put", short_strike, exp)
    _distinct(hi, lo, "short_strike")
    return Strategy(
        f"{b.underlying} {hi.strike:g}/{lo.strike:g} put spread",
        (Leg(hi, q, leg_id="long put"), Leg(lo, -q, leg_id="short put")),
    )


def put_ratio(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    ratio: int = 2,
    expiry: date | None = None,
    dte: int = 60,
    long_strike: StrikeSpec | float | str = "3%",
    short_strike: StrikeSpec | float | str = "8%",
) -> Strategy:
    """Buy ``quantity`` puts ~3 % OTM, sell ``ratio x quantity`` puts ~8 % OTM (a 1x2 by
    default): cheap or a credit, but losses grow again below the lower strike."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    n = _check_quantity(ratio, "ratio")
    exp = b.expiry(expiry, dte)
    hi, lo = b.option("put", long_strike, exp), b.option("put", short_strike, exp)
    _distinct(hi, lo, "short_strike")
    return Strategy(
        f"{b.underlying} {hi.strike:g}/{lo.strike:g} 1x{n} put ratio",
        (Leg(hi, q, leg_id="long put"), Leg(lo, -n * q, leg_id="short puts")),
    )


def collar(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 60,
    put_strike: StrikeSpec | float | str = "5%",
    call_strike: StrikeSpec | float | str = "5%",
    with_shares: bool = True,
) -> Strategy:
    """Long shares (multiplier x quantity), long a put ~5 % OTM, short a call ~5 % OTM."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    exp = b.expiry(expiry, dte)
    put, call = b.option("put", put_strike, exp), b.option("call", call_strike, exp)
    legs: list[Leg] = []
    if with_shares:
        legs.append(Leg(Shares(b.underlying), b.shares_per_contract(put) * q, leg_id="shares"))
    legs += [Leg(put, q, leg_id="long put"), Leg(call, -q, leg_id="short call")]
    return Strategy(f"{b.underlying} {put.strike:g}/{call.strike:g} collar", tuple(legs))


def put_spread_collar(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 60,
    long_strike: StrikeSpec | float | str = "5%",
    short_strike: StrikeSpec | float | str = "12%",
    call_strike: StrikeSpec | float | str = "5%",
    with_shares: bool = True,
) -> Strategy:
    """Shares + put spread (long ~5 %, short ~12 % OTM) financed by a short call ~5 % OTM."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    exp = b.expiry(expiry, dte)
    hi, lo = b.option("put", long_strike, exp), b.option("put", short_strike, exp)
    _distinct(hi, lo, "short_strike")
    call = b.option("call", call_strike, exp)
    legs: list[Leg] = []
    if with_shares:
        legs.append(Leg(Shares(b.underlying), b.shares_per_contract(hi) * q, leg_id="shares"))
    legs += [
        Leg(hi, q, leg_id="long put"),
        Leg(lo, -q, leg_id="short put"),
        Leg(call, -q, leg_id="short call"),
    ]
    return Strategy(
        f"{b.underlying} {hi.strike:g}/{lo.strike:g}/{call.strike:g} put-spread collar", tuple(legs)
    )


def call_spread(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 60,
    long_strike: StrikeSpec | float | str = "2%",
    short_strike: StrikeSpec | float | str = "8%",
) -> Strategy:
    """Buy a call ~2 % OTM, sell a call ~8 % OTM, ~60 DTE (45-90 is the usual range)."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    exp = b.expiry(expiry, dte)
    lo, hi = b.option("call", long_strike, exp), b.option("call", short_strike, exp)
    _distinct(lo, hi, "short_strike")
    return Strategy(
        f"{b.underlying} {lo.strike:g}/{hi.strike:g} call spread",
        (Leg(lo, q, leg_id="long call"), Leg(hi, -q, leg_id="short call")),
    )


def call_overwrite(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 30,
    strike: StrikeSpec | float | str = "5%",
) -> Strategy:
    """Covered call: multiplier (100) shares per short call, call ~5 % OTM, ~30 DTE."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    call = b.option("call", strike, b.expiry(expiry, dte))
    return Strategy(
        f"{b.underlying} {call.strike:g} call overwrite",
        (
            Leg(Shares(b.underlying), b.shares_per_contract(call) * q, leg_id="shares"),
            Leg(call, -q, leg_id="short call"),
        ),
    )


def protective_put(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 60,
    strike: StrikeSpec | float | str = "5%",
) -> Strategy:
    """Shares (multiplier x quantity) plus a long put ~5 % OTM, ~60 DTE."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    put = b.option("put", strike, b.expiry(expiry, dte))
    return Strategy(
        f"{b.underlying} {put.strike:g} protective put",
        (
            Leg(Shares(b.underlying), b.shares_per_contract(put) * q, leg_id="shares"),
            Leg(put, q, leg_id="long put"),
        ),
    )


def risk_reversal(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 60,
    put_strike: StrikeSpec | float | str = "5%",
    call_strike: StrikeSpec | float | str = "5%",
    direction: Literal["bearish", "bullish"] = "bearish",
) -> Strategy:
    """Bearish (the hedge): long a put ~5 % OTM, short a call ~5 % OTM; bullish: the reverse."""
    if direction not in ("bearish", "bullish"):
        raise InputError("direction", direction, "must be 'bearish' or 'bullish'")
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    exp = b.expiry(expiry, dte)
    put, call = b.option("put", put_strike, exp), b.option("call", call_strike, exp)
    sign = 1 if direction == "bearish" else -1
    return Strategy(
        f"{b.underlying} {put.strike:g}/{call.strike:g} {direction} risk reversal",
        (Leg(put, sign * q, leg_id="put"), Leg(call, -sign * q, leg_id="call")),
    )


def iron_condor(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    expiry: date | None = None,
    dte: int = 45,
    short_put: StrikeSpec | float | str = "5%",
    long_put: StrikeSpec | float | str = "10%",
    short_call: StrikeSpec | float | str = "5%",
    long_call: StrikeSpec | float | str = "10%",
) -> Strategy:
    """Short a put spread and a call spread (shorts ~5 %, wings ~10 % OTM), ~45 DTE."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    exp = b.expiry(expiry, dte)
    sp, lp = b.option("put", short_put, exp), b.option("put", long_put, exp)
    sc, lc = b.option("call", short_call, exp), b.option("call", long_call, exp)
    _distinct(sp, lp, "long_put")
    _distinct(sc, lc, "long_call")
    return Strategy(
        f"{b.underlying} {lp.strike:g}/{sp.strike:g}/{sc.strike:g}/{lc.strike:g} iron condor",
        (
            Leg(lp, q, leg_id="long put"),
            Leg(sp, -q, leg_id="short put"),
            Leg(sc, -q, leg_id="short call"),
            Leg(lc, q, leg_id="long call"),
        ),
    )


def calendar_spread(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    kind: str = "put",
    near_dte: int = 30,
    far_dte: int = 90,
    near_expiry: date | None = None,
    far_expiry: date | None = None,
    strike: StrikeSpec | float | str = "0%",
) -> Strategy:
    """Sell the near expiry (~30 DTE), buy the far (~90 DTE), same strike (at the money)."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    near, far = b.expiry(near_expiry, near_dte), b.expiry(far_expiry, far_dte)
    if far <= near:
        raise InputError("far_dte", far, f"far expiry must be after the near one {near}")
    short = b.option(kind, strike, near)
    long = b.option(kind, AtStrike(short.strike), far)
    return Strategy(
        f"{b.underlying} {short.strike:g} {kind} calendar {near.isoformat()}/{far.isoformat()}",
        (Leg(short, -q, leg_id="short near"), Leg(long, q, leg_id="long far")),
    )


def diagonal_spread(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    underlying: str = "IWM",
    quantity: int = 1,
    kind: str = "put",
    near_dte: int = 30,
    far_dte: int = 90,
    near_expiry: date | None = None,
    far_expiry: date | None = None,
    long_strike: StrikeSpec | float | str = "3%",
    short_strike: StrikeSpec | float | str = "7%",
) -> Strategy:
    """Buy the far expiry (~90 DTE, ~3 % OTM), sell the near (~30 DTE, ~7 % OTM)."""
    b = _builder(ctx, underlying, chain)
    q = _check_quantity(quantity)
    near, far = b.expiry(near_expiry, near_dte), b.expiry(far_expiry, far_dte)
    if far <= near:
        raise InputError("far_dte", far, f"far expiry must be after the near one {near}")
    long = b.option(kind, long_strike, far)
    short = b.option(kind, short_strike, near)
    return Strategy(
        f"{b.underlying} {long.strike:g}/{short.strike:g} {kind} diagonal",
        (Leg(long, q, leg_id="long far"), Leg(short, -q, leg_id="short near")),
    )


def pair_trade(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    long_symbol: str = "IWM",
    short_symbol: str = "SPY",
    notional: float = 100_000.0,
    neutral: Literal["dollar", "beta"] = "beta",
    betas: Mapping[tuple[str, str], float] | None = None,
) -> Strategy:
    """Long ``notional`` dollars of ``long_symbol`` shares, short ``short_symbol`` shares sized
    dollar-neutral or beta-neutral (short dollars = long dollars x beta(long -> short)).

    The strategy's :attr:`~strategies.strategy.Strategy.benchmark` is ``short_symbol``: its
    beta-weighted delta to it uses the same :func:`~strategies.strategy.beta_of` as the sizing,
    so a beta-neutral pair reports zero (up to the rounding to whole shares). Regression betas
    are not reciprocal (beta(IWM -> SPY) x beta(SPY -> IWM) = correlation squared), so weighted to
    the long side the pair is not neutral, and the report says which benchmark it uses."""
    del chain  # shares only
    n = float(notional)
    if not math.isfinite(n) or n <= 0.0:
        raise InputError("notional", notional, "must be finite dollars > 0")
    if neutral not in ("dollar", "beta"):
        raise InputError("neutral", neutral, "must be 'dollar' or 'beta'")
    ls, ss = long_symbol.upper(), short_symbol.upper()
    s_long, s_short = ctx.spot(ls), ctx.spot(ss)
    n_long = round(n / s_long)
    beta = beta_of(ls, ss, betas) if neutral == "beta" else 1.0
    n_short = round(n_long * s_long * beta / s_short)
    if n_long < 1 or n_short < 1:
        raise InputError("notional", notional, "too small for one share of each side")
    return Strategy(
        f"long {ls} / short {ss} ({neutral}-neutral)",
        (
            Leg(Shares(ls), n_long, leg_id=f"long {ls}"),
            Leg(Shares(ss), -n_short, leg_id=f"short {ss}"),
        ),
        benchmark=ss,  # beta-weighted to the hedge side with the same beta: zero by construction
    )


def tza_hedge(
    ctx: PricingContext,
    *,
    chain: OptionChain | None = None,
    book: Strategy | None = None,
    book_dollar_delta: float | None = None,
    hedge_ratio: float = 1.0,
    etf: LeveragedETF = TZA,
    benchmark: str = "IWM",
    betas: Mapping[tuple[str, str], float] | None = None,
) -> Strategy:
    """Size a leveraged ETF position (TZA by default) to offset ``hedge_ratio`` of a book's
    beta-weighted dollar delta to ``benchmark``: the book's (``book``) or the given
    ``book_dollar_delta`` (default $100,000). Shares = ratio x book delta / (-leverage x price x
    beta(index -> benchmark)); the book's legs are included when ``book`` is given."""
    del chain
    ratio = float(hedge_ratio)
    if not math.isfinite(ratio) or not 0.0 < ratio <= 2.0:
        raise InputError("hedge_ratio", hedge_ratio, "must be in (0, 2]")
    if book is not None and book_dollar_delta is not None:
        raise InputError(
            "book_dollar_delta", book_dollar_delta, "give book or book_dollar_delta, not both"
        )
    if book is not None:
        exposure = book.risk(ctx, benchmark=benchmark, betas=betas).beta_weighted_dollar_delta
    else:
        exposure = 100_000.0 if book_dollar_delta is None else float(book_dollar_delta)
    if not math.isfinite(exposure) or exposure == 0.0:
        raise InputError(
            "book_dollar_delta", exposure, "the book has no beta-weighted delta to hedge"
        )
    price = float(instrument_price(etf, ctx))  # the fund's price in the context's scenario
    per_share = etf.leverage * price * beta_of(etf.index, benchmark, betas)
    shares = round(-ratio * exposure / per_share)
    if shares == 0:
        raise InputError("book_dollar_delta", exposure, f"too small for one share of {etf.symbol}")
    hedge = Leg(etf, shares, leg_id=f"{etf.symbol} hedge")
    if book is None:
        return Strategy(f"{etf.symbol} hedge of ${exposure:,.0f} delta", (hedge,))
    return Strategy(
        f"{book.name} + {etf.symbol} hedge", (book, Strategy(f"{etf.symbol} hedge", (hedge,)))
    )


# --- registry ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    """A named template: ``summary`` for help text, ``build(ctx, **params) -> Strategy``,
    ``underlyings`` it suits ("*" = any optionable one), and its declared parameters, which
    both faces (the ``hedge`` verbs and the app) fill through :meth:`params_for`:

    - ``strike_slots``: the strike parameters in the order a list of strikes fills them (e.g.
      put-spread: long, short; iron-condor: short put, long put, short call, long call); each
      takes a :data:`StrikeSpec`;
    - ``expiry_param`` / ``dte_param``: the parameters that take the (first) expiry as a date
      or as days to expiry (None: the template has no expiry);
    - ``underlying_param``: the parameter naming the main underlying (None: none);
    - ``symbol_params``: ``(parameter, default)`` of every symbol whose snapshot the template
      needs, and ``etfs`` the leveraged ETFs whose spot it needs;
    - ``sized``: True if ``quantity`` (option contracts) sizes it.
    """

    name: str
    summary: str
    build: Callable[..., Strategy]
    underlyings: tuple[str, ...] = ("*",)
    strike_slots: tuple[str, ...] = ()
    expiry_param: str | None = "expiry"
    dte_param: str | None = "dte"
    underlying_param: str | None = "underlying"
    symbol_params: tuple[tuple[str, str], ...] = (("underlying", "IWM"),)
    etfs: tuple[str, ...] = ()
    sized: bool = True

    def __post_init__(self) -> None:
        import inspect

        accepted = set(inspect.signature(self.build).parameters)
        declared = [*self.strike_slots, self.expiry_param, self.dte_param, self.underlying_param]
        declared += [p for p, _ in self.symbol_params] + (["quantity"] if self.sized else [])
        missing = sorted(p for p in declared if p is not None and p not in accepted)
        if missing:
            raise InputError(
                "template", self.name, f"declares parameters its builder lacks: {missing}"
            )

    def __call__(self, ctx: PricingContext, **params: Any) -> Strategy:
        """Build the strategy; unknown parameters raise :class:`InputError` naming them."""
        import inspect

        accepted = set(inspect.signature(self.build).parameters) - {"ctx"}
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise InputError(
                "params", unknown, f"not accepted by template {self.name!r}: {sorted(accepted)}"
            )
        return self.build(ctx, **params)

    def params_for(
        self,
        *,
        strikes: Sequence[StrikeSpec] = (),
        expiry: date | None = None,
        dte: int | None = None,
        quantity: int | None = None,
        underlying: str | None = None,
    ) -> dict[str, Any]:
        """Keyword arguments for :meth:`__call__`: ``strikes`` fill :attr:`strike_slots` in
        order (fewer keep the defaults), ``expiry`` (a date) or ``dte`` (days) the first
        expiry, ``quantity`` the size in contracts, ``underlying`` the main symbol.
        :class:`InputError` (field ``strikes``, ``expiry``, ``dte``, ``quantity``) when the
        template has no such parameter or too many strikes are given."""
        params: dict[str, Any] = {}
        if strikes:
            if not self.strike_slots:
                raise InputError("strikes", list(strikes), f"template {self.name!r} has no strikes")
            if len(strikes) > len(self.strike_slots):
                raise InputError(
                    "strikes",
                    list(strikes),
                    f"template {self.name!r} takes at most {len(self.strike_slots)} ({', '.join(self.strike_slots)})",
                )
            for slot, spec in zip(self.strike_slots, strikes, strict=False):
                params[slot] = parse_strike(spec, slot)
        if dte is not None and expiry is not None:
            raise InputError("dte", dte, "give dte or expiry, not both")
        if dte is not None:
            if self.dte_param is None:
                raise InputError("dte", dte, f"template {self.name!r} has no expiry")
            params[self.dte_param] = dte
        if expiry is not None:
            if self.expiry_param is None:
                raise InputError("expiry", expiry, f"template {self.name!r} has no expiry")
            params[self.expiry_param] = expiry
        if quantity is not None:
            if not self.sized:
                raise InputError(
                    "quantity", quantity, f"template {self.name!r} is not sized in contracts"
                )
            params["quantity"] = quantity
        if underlying is not None and self.underlying_param is not None:
            params[self.underlying_param] = underlying.upper()
        return params

    def defaults(self) -> dict[str, Any]:
        """The builder's default parameter values (e.g. put-spread: ``underlying="IWM"``,
        ``dte=60``, ``long_strike="5%"``...), without the context and the chain; strike
        defaults are parsed to :data:`StrikeSpec`."""
        import inspect

        out: dict[str, Any] = {}
        for name, param in inspect.signature(self.build).parameters.items():
            if name in ("ctx", "chain") or param.default is inspect.Parameter.empty:
                continue
            out[name] = (
                parse_strike(param.default, name) if name in self.strike_slots else param.default
            )
        return out

    def symbols(self, params: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """``(symbols whose snapshots the template needs, leveraged ETFs whose spot it needs)``
        for ``params`` (defaults where a parameter is not given)."""
        symbols = [str(params.get(name, default)) for name, default in self.symbol_params]
        etf = params.get("etf")
        etfs = [etf.symbol] if isinstance(etf, LeveragedETF) else list(self.etfs)
        return symbols, etfs


_ONE = ("strike",)
_TWO = ("long_strike", "short_strike")

TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("long-put", "buy a put (~60 DTE, ~5 % OTM)", long_put, strike_slots=_ONE),
        Template(
            "put-spread",
            "buy a ~5 % OTM put, sell a ~11 % OTM put (~60 DTE)",
            put_spread,
            strike_slots=_TWO,
        ),
        Template(
            "put-ratio",
            "buy 1 put ~3 % OTM, sell 2 ~8 % OTM (~60 DTE)",
            put_ratio,
            strike_slots=_TWO,
        ),
        Template(
            "put-spread-collar",
            "shares + put spread financed by a short call",
            put_spread_collar,
            strike_slots=("long_strike", "short_strike", "call_strike"),
        ),
        Template(
            "collar",
            "shares + long put + short call (~5 % OTM each)",
            collar,
            strike_slots=("put_strike", "call_strike"),
        ),
        Template(
            "call-spread",
            "buy a ~2 % OTM call, sell a ~8 % OTM call (~60 DTE)",
            call_spread,
            strike_slots=_TWO,
        ),
        Template(
            "call-overwrite",
            "100 shares per short call (~5 % OTM, ~30 DTE)",
            call_overwrite,
            strike_slots=_ONE,
        ),
        Template(
            "protective-put", "shares + a long put (~5 % OTM)", protective_put, strike_slots=_ONE
        ),
        Template(
            "risk-reversal",
            "long put, short call (bearish) or the reverse",
            risk_reversal,
            strike_slots=("put_strike", "call_strike"),
        ),
        Template(
            "iron-condor",
            "short put spread + short call spread (~45 DTE)",
            iron_condor,
            strike_slots=("short_put", "long_put", "short_call", "long_call"),
        ),
        Template(
            "calendar",
            "sell near, buy far at one strike",
            calendar_spread,
            strike_slots=_ONE,
            expiry_param="near_expiry",
            dte_param="near_dte",
        ),
        Template(
            "diagonal",
            "buy far, sell near at different strikes",
            diagonal_spread,
            strike_slots=_TWO,
            expiry_param="near_expiry",
            dte_param="near_dte",
        ),
        Template(
            "pair",
            "long IWM / short SPY shares, dollar- or beta-neutral",
            pair_trade,
            ("IWM", "SPY"),
            expiry_param=None,
            dte_param=None,
            sized=False,
            underlying_param="long_symbol",
            symbol_params=(("long_symbol", "IWM"), ("short_symbol", "SPY")),
        ),
        Template(
            "tza-hedge",
            "TZA sized to offset a beta-weighted delta",
            tza_hedge,
            ("TZA",),
            expiry_param=None,
            dte_param=None,
            sized=False,
            underlying_param="benchmark",
            symbol_params=(("benchmark", "IWM"),),
            etfs=("TZA",),
        ),
    )
}
