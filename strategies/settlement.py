"""Expired legs are settled, not priced.

An option leg whose settlement moment (:attr:`pricing.OptionContract.expiry_datetime`: 16:00 New
York for PM-settled, 09:30 for AM-settled, on the expiry date) is at or before the valuation time
has no time value and no optionality left; it has become something else:

- a **cash-settled** leg (RUT, MRUT) is a fixed amount of cash, its intrinsic value at the
  settlement price times quantity times multiplier (dollars), whatever the spot does afterwards;
- a **physically settled** leg (IWM, SPY, equities) in the money at the settlement price becomes
  the share position it delivers (long call / short put: + quantity x multiplier shares; long put /
  short call: - quantity x multiplier shares) entered at the strike adjusted for the premium
  (calls: strike + premium, puts: strike - premium, so the P&L of the shares equals the P&L of
  the option leg through its expiry); out of the money it becomes nothing (its P&L is minus the
  premium paid, or the premium received).

The settlement price used is, in this order: the leg's own ``settlement_price`` (recorded in the
position file: the official settlement value, e.g. the RUT special opening quotation), else the
recorded spot of the underlying at the expiry (``recorded_spots``, e.g. from the store), else the
current spot, which the report labels as such (it is only right on the expiry day itself).

:func:`settle_expired` splits a strategy into what remains live (unexpired legs plus delivered
shares) and the :class:`SettledLeg` records; risk numbers (Greeks, max loss and profit,
breakevens, scenarios) are those of the live part, and the position's value is the live value
plus the settled cash (:attr:`Settlement.settled_cash`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from pricing.errors import InputError
from pricing.types import Delivery, OptionContract
from strategies.legs import Leg, Shares
from strategies.strategy import Strategy

#: Where a settlement price came from (shown in reports).
FROM_FILE = "settlement_price in the position file"
FROM_RECORD = "recorded spot at expiry"
FROM_CURRENT = "current spot (no settlement price recorded: add settlement_price to the leg)"


def is_settled(contract: OptionContract, as_of: datetime) -> bool:
    """True when ``as_of`` (tz-aware) is at or after the contract's settlement moment: 16:00 New
    York (PM) or 09:30 (AM) on the expiry date. Before it, on expiry day too, the leg is live."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InputError("as_of", as_of.isoformat(), "must be timezone-aware")
    return as_of >= contract.expiry_datetime


@dataclass(frozen=True, slots=True)
class SettledLeg:
    """One expired option leg and what it became.

    ``settlement_price``: the underlying's price used (price units); ``price_source`` says where
    it came from (:data:`FROM_FILE`, :data:`FROM_RECORD`, :data:`FROM_CURRENT`).
    ``intrinsic``: the option's settlement value per share (price units, >= 0).
    ``cash``: dollars the leg settled into (+ received, - paid): intrinsic x quantity x
    multiplier for cash-settled legs, 0 for physical legs (they deliver shares instead).
    ``delivered``: the :class:`strategies.legs.Leg` of shares a physical leg in the money
    delivered (it stays in the live strategy), else None.
    ``realised_pnl``: dollars, cash minus the entry cost, for cash-settled or worthless legs whose
    entry price is known; None when the P&L continues in delivered shares or the entry is unknown.
    """

    leg: Leg
    settlement_price: float
    price_source: str
    intrinsic: float
    cash: float
    delivered: Leg | None
    realised_pnl: float | None

    @property
    def outcome(self) -> str:
        """A short sentence: what the leg became."""
        if self.delivered is not None:
            q = self.delivered.quantity
            return f"delivered {q:+d} {self.delivered.symbol} shares at {self.leg.strike:g}"
        if self.cash != 0.0:
            return f"settled in cash: {self.cash:+,.2f} $"
        return "expired worthless"


@dataclass(frozen=True, slots=True)
class Settlement:
    """A strategy split at ``as_of``: ``live`` (None when nothing remains) and ``settled``."""

    as_of: datetime
    live: Strategy | None
    settled: tuple[SettledLeg, ...]

    @property
    def settled_cash(self) -> float:
        """Dollars of cash the settled legs turned into (sum of :attr:`SettledLeg.cash`)."""
        return math.fsum(s.cash for s in self.settled)

    @property
    def realised_pnl(self) -> float | None:
        """Sum of the settled legs' realised P&L in dollars (None if any is unknown)."""
        values = [s.realised_pnl for s in self.settled if s.delivered is None]
        if any(v is None for v in values):
            return None
        return math.fsum(v for v in values if v is not None)


def _settlement_price(
    leg: Leg,
    contract: OptionContract,
    settlement_prices: Mapping[str, float],
    recorded_spots: Mapping[tuple[str, date], float],
    spots: Mapping[str, float],
) -> tuple[float, str]:
    sym = contract.underlying.upper()
    for value, source in (
        (settlement_prices.get(leg.leg_id), FROM_FILE),
        (recorded_spots.get((sym, contract.expiry)), FROM_RECORD),
        (spots.get(sym), FROM_CURRENT),
    ):
        if value is None:
            continue
        number = float(value)
        if not math.isfinite(number) or number <= 0.0:
            raise InputError(f"{leg.leg_id}.settlement_price", value, "must be a finite price > 0")
        return number, source
    raise InputError(
        f"{leg.leg_id}.settlement_price",
        "missing",
        f"the leg expired on {contract.expiry.isoformat()} and no price of {sym} is known to settle it",
    )


def settle_leg(
    leg: Leg,
    contract: OptionContract,
    price: float,
    source: str,
) -> SettledLeg:
    """Settle one expired option leg at the underlying price ``price`` (see the module docstring)."""
    intrinsic = contract.intrinsic(price)
    units = leg.quantity * contract.multiplier
    if contract.delivery is Delivery.CASH or intrinsic <= 0.0:
        cash = intrinsic * units if contract.delivery is Delivery.CASH else 0.0
        entry = leg.entry_cost
        realised = None if entry is None else cash - entry
        return SettledLeg(leg, price, source, intrinsic, cash, None, realised)
    shares = units * contract.kind.sign
    if not float(shares).is_integer():
        raise InputError(
            f"{leg.leg_id}.multiplier",
            contract.multiplier,
            "must give a whole number of delivered shares for a physically settled leg",
        )
    basis: float | None = None
    if leg.entry_price is not None:
        basis = contract.strike + contract.kind.sign * leg.entry_price
        if basis <= 0.0:  # a put bought for its whole strike: the shares cost nothing net
            basis = None
    delivered = Leg(Shares(contract.underlying), int(shares), basis, f"{leg.leg_id} delivered")
    return SettledLeg(leg, price, source, intrinsic, 0.0, delivered, None)


def settle_expired(
    strategy: Strategy,
    as_of: datetime,
    *,
    spots: Mapping[str, float],
    settlement_prices: Mapping[str, float] | None = None,
    recorded_spots: Mapping[tuple[str, date], float] | None = None,
) -> Settlement:
    """Split ``strategy`` at ``as_of`` into live legs and settled ones (module docstring).

    ``spots``: current price by symbol (the last resort for a settlement price);
    ``settlement_prices``: by leg id (from the position file); ``recorded_spots``: by
    ``(symbol, expiry date)``. The live strategy keeps the unexpired legs in order, followed by
    the shares delivered by physical legs.
    """
    live: list[Leg] = []
    delivered: list[Leg] = []
    settled: list[SettledLeg] = []
    for leg in strategy.flat_legs():
        contract = leg.contract
        if contract is None or not is_settled(contract, as_of):
            live.append(leg)
            continue
        price, source = _settlement_price(
            leg, contract, settlement_prices or {}, recorded_spots or {}, spots
        )
        record = settle_leg(leg, contract, price, source)
        settled.append(record)
        if record.delivered is not None:
            delivered.append(record.delivered)
    if not settled:
        return Settlement(as_of, strategy, ())
    remaining = live + delivered
    live_strategy = (
        Strategy(strategy.name, tuple(remaining), strategy.benchmark) if remaining else None
    )
    return Settlement(as_of, live_strategy, tuple(settled))
