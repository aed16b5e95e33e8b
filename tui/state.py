"""The app's state: the market it shows and the position being built (UI state only; every
price, Greek and risk number comes from the strategies layer)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketdata.analysis import ChainAnalysis
    from marketdata.snapshot import MarketSnapshot
    from pricing.types import OptionContract
    from strategies.legs import Leg
    from strategies.pricing_context import PricingContext
    from strategies.strategy import Strategy
    from strategies.whatif import WhatIf


@dataclass(frozen=True)
class Market:
    """One underlying's market: the ``snapshot``, the human ``description`` of its source, its
    ``analysis`` and pricing ``ctx`` (None until the analysis worker has run)."""

    symbol: str
    snapshot: MarketSnapshot
    description: str
    analysis: ChainAnalysis | None = None
    ctx: PricingContext | None = None

    @property
    def synthetic(self) -> bool:
        """True for generated (demo) data: the app shows a DEMO badge."""
        return bool(self.snapshot.synthetic)

    @property
    def expiries(self) -> list[date]:
        """Listed expiries on or after the data's date."""
        today = self.snapshot.as_of.date()
        return [e for e in self.snapshot.chain.expiries if e >= today]

    def strikes(self, expiry: date, kind: str) -> list[float]:
        """Listed strikes of ``kind`` (call/put) at ``expiry``, increasing."""
        import pandas as pd

        frame = self.snapshot.chain.frame
        mask = (frame["expiry"] == pd.Timestamp(expiry)) & (frame["kind"].str.lower() == kind)
        return sorted({float(k) for k in frame.loc[mask, "strike"]})


def _whatif() -> WhatIf:
    from strategies.whatif import WhatIf

    return WhatIf()


def default_weights() -> dict[str, float]:
    """The house view's own weights (bear 30 / base 45 / bull 25)."""
    from strategies.scenarios import HOUSE_VIEW

    return {s.name: s.probability for s in HOUSE_VIEW}


@dataclass
class Position:
    """The position being built: ``legs`` (with entry prices), the ``selected`` leg, the
    ``whatif`` bumps, the house-view ``weights`` and a ``version`` bumped on every change (so
    results of an older version are dropped)."""

    name: str = "position"
    legs: list[Leg] = field(default_factory=list)
    selected: int = 0
    whatif: WhatIf = field(default_factory=lambda: _whatif())
    weights: dict[str, float] = field(default_factory=default_weights)
    version: int = 0

    def touch(self) -> None:
        """Mark the position changed."""
        self.version += 1

    def strategy(self) -> Strategy | None:
        """The legs as a :class:`Strategy` (None without legs)."""
        from strategies.strategy import Strategy

        if not self.legs:
            return None
        return Strategy(self.name, tuple(self.legs))

    @property
    def selected_leg(self) -> Leg | None:
        """The selected leg, if any."""
        if not self.legs:
            return None
        self.selected = max(0, min(self.selected, len(self.legs) - 1))
        return self.legs[self.selected]

    def unique_id(self, base: str) -> str:
        """``base`` or ``base-2``, ``base-3``... not used by another leg."""
        used = {leg.leg_id for leg in self.legs}
        if base not in used:
            return base
        n = 2
        while f"{base}-{n}" in used:
            n += 1
        return f"{base}-{n}"


def filled_leg(contract: OptionContract, quantity: int, ctx: PricingContext, leg_id: str) -> Leg:
    """A leg entered at the fill price now (ask to buy, bid to sell; the model without a quote),
    as :meth:`Strategy.with_entry_prices` does."""
    from strategies.legs import Leg
    from strategies.strategy import Strategy

    leg = Leg(contract, quantity, leg_id=leg_id)
    priced = Strategy("fill", (leg,)).with_entry_prices(ctx, "fill")
    return priced.flat_legs()[0]


def contract_at(underlying: str, kind: str, strike: float, expiry: date) -> OptionContract:
    """The listed contract with the product's conventions (:func:`strategies.legs.option_for`)."""
    from strategies.legs import option_for

    return option_for(underlying, kind, strike, expiry)


def with_contract(leg: Leg, contract: OptionContract, ctx: PricingContext) -> Leg:
    """``leg`` moved to ``contract`` (same id and quantity), re-entered at the fill price now."""
    return filled_leg(contract, leg.quantity, ctx, leg.leg_id)


def rescaled(leg: Leg, step: int) -> Leg | None:
    """``leg`` with one contract more (``step`` > 0) or fewer, keeping its side; None at zero."""
    size = abs(leg.quantity) + step
    if size < 1:
        return None
    return replace(leg, quantity=size if leg.quantity > 0 else -size)
