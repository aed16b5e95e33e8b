"""Legs: one instrument held in a signed quantity.

Public API (stable; other modules build on it)
----------------------------------------------
Instruments (the ``Instrument`` union):

- :class:`pricing.OptionContract` — a listed option. :func:`option_for` builds one on any
  underlying with its conventions from the underlyings table (:mod:`marketdata.underlyings`:
  SPX/SPXW, RUT/RUTW, XSP, MRUT, NDX; any other symbol an American, physical, PM, x100
  equity/ETF option); :func:`iwm_option`, :func:`spy_option`, :func:`rut_option` and
  :func:`mrut_option` are shorthands.
- :class:`Shares` — shares (units) of any ticker (IWM, SPY, a single name); multiplier 1.
- :class:`LeveragedETF` — a daily-reset leveraged ETF on an index with its ``leverage``
  (:data:`TNA` = +3x and :data:`TZA` = -3x the Russell 2000), annual ``expense_ratio`` and
  ``financing_spread`` (decimal per year); multiplier 1. Its price is its own symbol's spot; its
  risk driver (what delta is measured against) is :attr:`LeveragedETF.index`.

:class:`Leg` ``(instrument, quantity, entry_price=None, leg_id="")``: frozen, slotted, validated.
``quantity`` is a signed int (+ long, - short; 0, bools and non-integers are rejected); contracts
for options, shares for shares and ETFs. ``entry_price`` is per share / per index unit as quoted
(an option premium of 3.20 means $320 per IWM contract), finite and >= 0, or ``None`` when
unknown. ``leg_id`` defaults to a readable label such as ``"IWM 2026-03-20 P200"``.

Functions on instruments: :func:`instrument_symbol` (the symbol whose spot prices it),
:func:`risk_driver` (the symbol delta is measured against), :func:`instrument_multiplier`,
:func:`describe`.

Units: prices per share or index unit; position values are price x quantity x multiplier in
dollars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from numbers import Integral
from typing import TypeAlias

from pricing.errors import InputError
from pricing.types import OptionContract, OptionKind, SettlementTime
from pricing.validation import finite_number

#: The Russell 2000 family: RUT (index), MRUT (RUT/10), IWM (ETF, about RUT/10.06).
RUSSELL_INDEX = "RUT"


def _symbol(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, value, "must be a non-empty symbol")
    return value.strip().upper()


@dataclass(frozen=True, slots=True)
class Shares:
    """Shares (or units) of ``symbol``: value = spot x quantity; delta 1 per share."""

    symbol: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", _symbol("symbol", self.symbol))


@dataclass(frozen=True, slots=True)
class LeveragedETF:
    """A daily-reset leveraged ETF on ``index``.

    ``leverage``: the daily multiple (+3 for TNA, -3 for TZA), finite and non-zero.
    ``expense_ratio``: annual fee, decimal (0.0108 = 1.08 %/yr), in [0, 0.2].
    ``financing_spread``: annual cost above the short rate on the swap notional, decimal, in
    [-0.2, 0.2] (measured against real paths in :mod:`strategies.leveraged`).
    """

    symbol: str
    index: str
    leverage: float
    expense_ratio: float = 0.0
    financing_spread: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", _symbol("symbol", self.symbol))
        object.__setattr__(self, "index", _symbol("index", self.index))
        lev = finite_number("leverage", self.leverage)
        if lev == 0.0 or abs(lev) > 10.0:
            raise InputError("leverage", self.leverage, "must be non-zero with |leverage| <= 10")
        object.__setattr__(self, "leverage", lev)
        fee = finite_number("expense_ratio", self.expense_ratio)
        if not 0.0 <= fee <= 0.2:
            raise InputError("expense_ratio", self.expense_ratio, "must be a decimal in [0, 0.2]")
        object.__setattr__(self, "expense_ratio", fee)
        spread = finite_number("financing_spread", self.financing_spread)
        if abs(spread) > 0.2:
            raise InputError("financing_spread", self.financing_spread, "must be in [-0.2, 0.2]")
        object.__setattr__(self, "financing_spread", spread)


# Direxion Daily Small Cap Bull/Bear 3X Shares (Russell 2000). Expense ratio about 1.08 %/yr
# (prospectus). The financing spread is the rest of the all-in cost fitted on the real closes in
# /work/shared/data/daily_2016_2021.csv (2016-04-28..2021-04-27, index = IWM adjusted close plus
# IWM's 0.19 % fee, short rate = 3-month bill): all-in 3.48 %/yr for TNA and 3.65 %/yr for TZA
# beyond the (1 - L) x short-rate carry, i.e. (all-in - 1.08 %) / 3 per unit of swap notional.
# See strategies.leveraged.fit_cost_to_path and tests/strategies/test_leveraged.py.
TNA = LeveragedETF("TNA", RUSSELL_INDEX, 3.0, expense_ratio=0.0108, financing_spread=0.0080)
TZA = LeveragedETF("TZA", RUSSELL_INDEX, -3.0, expense_ratio=0.0108, financing_spread=0.0086)

Instrument: TypeAlias = OptionContract | Shares | LeveragedETF

_INSTRUMENT_TYPES = (OptionContract, Shares, LeveragedETF)


def instrument_symbol(instrument: Instrument) -> str:
    """The symbol whose spot prices ``instrument`` (an option's underlying, the shares' or ETF's
    own symbol)."""
    if isinstance(instrument, OptionContract):
        return instrument.underlying.strip().upper()
    return instrument.symbol


def risk_driver(instrument: Instrument) -> str:
    """The symbol delta is measured against: an option's underlying, the shares' symbol, a
    leveraged ETF's index (so a TZA delta is in index units, dollar delta = leverage x value)."""
    if isinstance(instrument, LeveragedETF):
        return instrument.index
    return instrument_symbol(instrument)


def instrument_multiplier(instrument: Instrument) -> float:
    """Shares (or index dollars) per unit of quantity: the contract multiplier, 1 otherwise."""
    if isinstance(instrument, OptionContract):
        return instrument.multiplier
    return 1.0


def describe(instrument: Instrument) -> str:
    """A short readable label: ``"IWM 2026-03-20 P200"``, ``"IWM shares"``, ``"TZA (-3x RUT)"``."""
    if isinstance(instrument, OptionContract):
        letter = "C" if instrument.kind is OptionKind.CALL else "P"
        strike = f"{instrument.strike:g}"
        tag = " AM" if instrument.settlement is SettlementTime.AM else ""
        return (
            f"{instrument.underlying.upper()} {instrument.expiry.isoformat()} {letter}{strike}{tag}"
        )
    if isinstance(instrument, Shares):
        return f"{instrument.symbol} shares"
    return f"{instrument.symbol} ({instrument.leverage:+g}x {instrument.index})"


@dataclass(frozen=True, slots=True)
class Leg:
    """One instrument in a signed integer ``quantity`` with an optional ``entry_price`` per share.

    Validated: ``instrument`` must be an :data:`Instrument`; ``quantity`` a non-zero int (not a
    bool); ``entry_price`` finite and >= 0 (> 0 for shares and ETFs) or None; ``leg_id`` a string
    (empty means "derive from the instrument", see :func:`describe`).
    """

    instrument: Instrument
    quantity: int
    entry_price: float | None = None
    leg_id: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.instrument, _INSTRUMENT_TYPES):
            raise InputError(
                "instrument", self.instrument, "must be an OptionContract, Shares or LeveragedETF"
            )
        q: object = self.quantity
        if isinstance(q, bool) or not isinstance(q, Integral):
            if isinstance(q, float) and math.isfinite(q) and q.is_integer():
                q = int(q)
            else:
                raise InputError("quantity", self.quantity, "must be a signed integer")
        assert isinstance(q, Integral)
        if q == 0:
            raise InputError("quantity", self.quantity, "must be non-zero (+ long, - short)")
        object.__setattr__(self, "quantity", int(q))
        if self.entry_price is not None:
            price = finite_number("entry_price", self.entry_price)
            if price < 0.0 or (price == 0.0 and not isinstance(self.instrument, OptionContract)):
                raise InputError("entry_price", self.entry_price, "must be >= 0 (> 0 for shares)")
            object.__setattr__(self, "entry_price", price)
        if not isinstance(self.leg_id, str):
            raise InputError("leg_id", self.leg_id, "must be a string")
        leg_id = self.leg_id.strip() or describe(self.instrument)
        object.__setattr__(self, "leg_id", leg_id)

    # --- descriptive properties -------------------------------------------------------------
    @property
    def multiplier(self) -> float:
        """Shares per unit of quantity (100 for a standard option contract, 1 for shares)."""
        return instrument_multiplier(self.instrument)

    @property
    def symbol(self) -> str:
        """The symbol whose spot prices this leg (see :func:`instrument_symbol`)."""
        return instrument_symbol(self.instrument)

    @property
    def driver(self) -> str:
        """The symbol this leg's delta is measured against (see :func:`risk_driver`)."""
        return risk_driver(self.instrument)

    @property
    def contract(self) -> OptionContract | None:
        """The option contract, or None for shares and ETFs."""
        return self.instrument if isinstance(self.instrument, OptionContract) else None

    @property
    def is_option(self) -> bool:
        """True for an option leg."""
        return isinstance(self.instrument, OptionContract)

    @property
    def strike(self) -> float | None:
        """The strike of an option leg, else None."""
        return self.instrument.strike if isinstance(self.instrument, OptionContract) else None

    @property
    def expiry(self) -> date | None:
        """The expiry date of an option leg, else None."""
        return self.instrument.expiry if isinstance(self.instrument, OptionContract) else None

    @property
    def units(self) -> float:
        """quantity x multiplier: signed shares (or index dollars per point) controlled."""
        return self.quantity * self.multiplier

    @property
    def entry_cost(self) -> float | None:
        """Signed dollars paid at entry (+ debit, - credit): entry_price x quantity x multiplier."""
        if self.entry_price is None:
            return None
        return self.entry_price * self.units

    # --- copies -------------------------------------------------------------------------------
    def with_entry_price(self, entry_price: float | None) -> Leg:
        """A copy with another entry price (per share)."""
        return replace(self, entry_price=entry_price)

    def with_quantity(self, quantity: int) -> Leg:
        """A copy with another signed quantity."""
        return replace(self, quantity=quantity)

    def scaled(self, factor: int) -> Leg:
        """A copy with ``quantity * factor`` (factor a non-zero int)."""
        if isinstance(factor, bool) or not isinstance(factor, Integral) or factor == 0:
            raise InputError("factor", factor, "must be a non-zero integer")
        return replace(self, quantity=self.quantity * int(factor))


# --- contract helpers -------------------------------------------------------------------------
def option_for(
    underlying: str,
    kind: OptionKind | str,
    strike: float,
    expiry: date,
    settlement: SettlementTime | str | None = None,
) -> OptionContract:
    """The listed option on ``underlying`` with that product's conventions from the underlyings
    table (:mod:`marketdata.underlyings`): style, delivery and multiplier, and the settlement of
    the root that lists ``expiry`` (SPX and RUT third-Friday monthlies AM, their weeklies SPXW and
    RUTW PM; XSP and MRUT PM) unless ``settlement`` is given. Any symbol not in the table gets an
    American, physical, PM, x100 equity/ETF option."""
    from marketdata.underlyings import underlying as underlying_facts

    sym = _symbol("underlying", underlying)
    try:
        facts = underlying_facts(sym)
    except InputError:
        raise InputError(
            "underlying", underlying, "must be a ticker such as 'IWM' or 'SPX'"
        ) from None
    settle = (
        SettlementTime(settlement)
        if settlement is not None
        else facts.settlement_of(facts.root_for(expiry))
    )
    return OptionContract(
        facts.symbol,
        OptionKind.parse(kind),
        strike,
        expiry,
        facts.style,
        facts.multiplier,
        settle,
        facts.delivery,
    )


def iwm_option(kind: OptionKind | str, strike: float, expiry: date) -> OptionContract:
    """An IWM option (American, physical delivery, PM-settled, 100 shares: the table's facts)."""
    return option_for("IWM", kind, strike, expiry)


def spy_option(kind: OptionKind | str, strike: float, expiry: date) -> OptionContract:
    """A SPY option (American, physical delivery, PM-settled, 100 shares: the table's facts)."""
    return option_for("SPY", kind, strike, expiry)


def rut_option(
    kind: OptionKind | str,
    strike: float,
    expiry: date,
    settlement: SettlementTime | str = SettlementTime.AM,
) -> OptionContract:
    """A RUT index option (European, cash-settled, $100 a point: the table's facts);
    AM-settled (monthlies, the default) or PM-settled (weeklies, root RUTW)."""
    return option_for("RUT", kind, strike, expiry, settlement)


def mrut_option(
    kind: OptionKind | str,
    strike: float,
    expiry: date,
    settlement: SettlementTime | str = SettlementTime.PM,
) -> OptionContract:
    """An MRUT option on the Mini-Russell 2000 (RUT/10): European, cash-settled, $100 a point,
    PM-settled by default (the table's facts). Strikes are in MRUT points (RUT 2000 = MRUT 200)."""
    return option_for("MRUT", kind, strike, expiry, settlement)
