"""Multi-leg strategies: value, Greeks, premiums and costs as sums over parts; strategies nest.

Public API (stable)
-------------------
:class:`Strategy` ``(name, legs)``: ``legs`` is a tuple (any iterable is accepted) of
:class:`~strategies.legs.Leg` and/or nested :class:`Strategy` parts. Validation: non-empty name,
at least one part, no two direct :class:`Leg` parts with the same ``leg_id``.

Structure: :meth:`Strategy.flat_legs`, :attr:`~Strategy.underlyings`, :attr:`~Strategy.expiries`,
:attr:`~Strategy.strikes`, :attr:`~Strategy.first_expiry`, :attr:`~Strategy.last_expiry`,
:meth:`~Strategy.scaled`, :meth:`~Strategy.with_entry_prices`, ``a + b`` (a combined strategy).

Valuation in a :class:`~strategies.pricing_context.PricingContext` (dollars, model prices from
the context's vol source):

- :meth:`~Strategy.value` (position value, + for assets), :meth:`~Strategy.leg_values`;
- :meth:`~Strategy.risk` -> :class:`StrategyRisk` with a :class:`LegRisk` per leg: price, value,
  Greeks per share and per position (x quantity x multiplier), dollar delta (delta x driver spot x
  multiplier x quantity) and beta-weighted delta in benchmark shares (dollar delta x beta /
  benchmark spot), for benchmark "IWM" (default) or "SPY";
- :meth:`~Strategy.greeks` -> the total position :class:`~strategies.valuation.GreekSet`;
- :meth:`~Strategy.net_premium` (``basis`` = "entry" | "mid" | "fill" | "model"; + = debit paid,
  - = credit received), :meth:`~Strategy.crossing_cost` (sum of |quantity| x multiplier x half
  the quoted spread: the cost of trading from mid to the far side),
  :meth:`~Strategy.mark_value` (mids where quoted, model elsewhere),
  :meth:`~Strategy.pnl` (value in the scenario minus the entry cost).

Entry cost of a leg (``basis="entry"``): its ``entry_price`` if set, else the price a market order
would get now (ask to buy, bid to sell) if quoted, else the model value in the unbumped context.
So a freshly built strategy has P&L today at zero move = minus the cost of crossing the spreads
(when the model matches the mids).

Betas: :data:`DEFAULT_BETAS` (driver, benchmark) -> beta of daily returns, measured on
/work/shared/data/daily_2016_2021.csv; RUT, MRUT and IWM are one index (beta 1 to each other).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from numpy.typing import ArrayLike

from pricing.black_scholes import FloatArray
from pricing.errors import InputError
from strategies.legs import Leg
from strategies.pricing_context import PricingContext
from strategies.valuation import GreekSet, instrument_greeks, instrument_price

# OLS beta of daily simple returns, 1,257 days 2016-04-29..2021-04-27, adjusted closes from
# /work/shared/data/daily_2016_2021.csv: IWM on SPY 1.104 (log returns 1.111, correlation 0.885);
# SPY on IWM 0.705.
IWM_BETA_TO_SPY = 1.104
SPY_BETA_TO_IWM = 0.705

RUSSELL_FAMILY = frozenset({"RUT", "MRUT", "IWM"})

#: (risk driver, benchmark) -> beta. Same-symbol and same-family pairs are 1 without an entry.
DEFAULT_BETAS: Mapping[tuple[str, str], float] = {
    ("IWM", "SPY"): IWM_BETA_TO_SPY,
    ("RUT", "SPY"): IWM_BETA_TO_SPY,
    ("MRUT", "SPY"): IWM_BETA_TO_SPY,
    ("SPY", "IWM"): SPY_BETA_TO_IWM,
    ("SPY", "RUT"): SPY_BETA_TO_IWM,
    ("SPY", "MRUT"): SPY_BETA_TO_IWM,
}

PremiumBasis = Literal["entry", "mid", "fill", "model"]
_BASES = ("entry", "mid", "fill", "model")


def beta_of(driver: str, benchmark: str, betas: Mapping[tuple[str, str], float] | None = None) -> float:
    """Beta of ``driver``'s returns to ``benchmark``'s: from ``betas`` (which override
    :data:`DEFAULT_BETAS`), 1 for the same symbol or the same Russell family; else raises."""
    d, b = driver.upper(), benchmark.upper()
    table = dict(DEFAULT_BETAS)
    table.update({(k[0].upper(), k[1].upper()): float(v) for k, v in (betas or {}).items()})
    if (d, b) in table:
        return table[(d, b)]
    if d == b or (d in RUSSELL_FAMILY and b in RUSSELL_FAMILY):
        return 1.0
    raise InputError("betas", sorted(table), f"no beta of {d} to {b}: pass betas={{({d!r}, {b!r}): ...}}")


@dataclass(frozen=True, slots=True)
class LegRisk:
    """One leg's valuation and risk. Dollars for ``value``/``dollar_delta``; ``per_share`` Greeks
    in :class:`GreekSet` units; ``position`` = per share x quantity x multiplier;
    ``beta_weighted_delta`` in benchmark shares."""

    leg: Leg
    driver: str
    driver_spot: float
    price: float
    value: float
    per_share: GreekSet
    position: GreekSet
    dollar_delta: float
    beta: float
    beta_weighted_delta: float
    beta_weighted_dollar_delta: float


@dataclass(frozen=True, slots=True)
class StrategyRisk:
    """Totals over legs. ``position`` sums the position Greeks (its delta adds shares of different
    drivers, so read ``delta_by_driver`` when there are several); dollar and beta-weighted deltas
    are comparable across drivers."""

    name: str
    benchmark: str
    benchmark_spot: float
    legs: tuple[LegRisk, ...]
    value: float
    position: GreekSet
    delta_by_driver: Mapping[str, float]
    dollar_delta: float
    beta_weighted_delta: float
    beta_weighted_dollar_delta: float


@dataclass(frozen=True, slots=True)
class Strategy:
    """A named set of legs and/or nested strategies (see the module docstring)."""

    name: str
    legs: Sequence[Leg | Strategy]  # any sequence in; stored as a tuple

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("name", self.name, "must be a non-empty string")
        try:
            parts = tuple(self.legs)
        except TypeError:
            raise InputError("legs", self.legs, "must be an iterable of Leg or Strategy") from None
        if not parts:
            raise InputError("legs", self.legs, "needs at least one leg")
        seen: set[str] = set()
        for i, part in enumerate(parts):
            if not isinstance(part, (Leg, Strategy)):
                raise InputError(f"legs[{i}]", part, "must be a Leg or a Strategy")
            if isinstance(part, Leg):
                if part.leg_id in seen:
                    raise InputError(f"legs[{i}].leg_id", part.leg_id, "duplicate leg id in one strategy")
                seen.add(part.leg_id)
        object.__setattr__(self, "legs", parts)

    # --- structure ----------------------------------------------------------------------------
    def iter_legs(self) -> Iterator[Leg]:
        """Every leg, depth first, nested strategies flattened."""
        for part in self.legs:
            if isinstance(part, Leg):
                yield part
            else:
                yield from part.iter_legs()

    def flat_legs(self) -> tuple[Leg, ...]:
        """Every leg as a tuple (nested strategies flattened)."""
        return tuple(self.iter_legs())

    @property
    def underlyings(self) -> tuple[str, ...]:
        """Distinct risk drivers (IWM, RUT, SPY...; a TZA leg counts as its index), in leg order."""
        return tuple(dict.fromkeys(leg.driver for leg in self.iter_legs()))

    @property
    def expiries(self) -> tuple[date, ...]:
        """Sorted distinct option expiries."""
        return tuple(sorted({leg.expiry for leg in self.iter_legs() if leg.expiry is not None}))

    @property
    def strikes(self) -> tuple[float, ...]:
        """Sorted distinct option strikes."""
        return tuple(sorted({leg.strike for leg in self.iter_legs() if leg.strike is not None}))

    @property
    def first_expiry(self) -> date | None:
        """The earliest option expiry (None without options)."""
        return self.expiries[0] if self.expiries else None

    @property
    def last_expiry(self) -> date | None:
        """The latest option expiry (None without options)."""
        return self.expiries[-1] if self.expiries else None

    def scaled(self, factor: int) -> Strategy:
        """Every quantity times the non-zero integer ``factor`` (-1 reverses the position)."""
        return Strategy(
            self.name,
            tuple(p.scaled(factor) for p in self.legs),
        )

    def with_entry_prices(self, ctx: PricingContext, basis: PremiumBasis = "fill") -> Strategy:
        """A copy whose legs have entry prices set from ``basis`` now ("fill": ask/bid, "mid",
        "model"; legs without quotes use the model price). Existing entry prices are replaced."""
        if basis == "entry":
            raise InputError("basis", basis, "must be 'fill', 'mid' or 'model' here")
        parts: list[Leg | Strategy] = []
        for part in self.legs:
            if isinstance(part, Leg):
                parts.append(part.with_entry_price(_basis_price(part, ctx, basis)))
            else:
                parts.append(part.with_entry_prices(ctx, basis))
        return replace(self, legs=tuple(parts))

    def __add__(self, other: Strategy) -> Strategy:
        if not isinstance(other, Strategy):
            return NotImplemented
        return Strategy(f"{self.name} + {other.name}", (self, other))

    # --- valuation ----------------------------------------------------------------------------
    def value(self, ctx: PricingContext) -> float:
        """Model value in dollars in the context's scenario: the sum over parts."""
        return sum(
            (_leg_value(p, ctx) if isinstance(p, Leg) else p.value(ctx)) for p in self.legs
        )

    def leg_values(self, ctx: PricingContext) -> dict[str, float]:
        """Model value (dollars) per flattened leg, keyed by ``leg_id``; legs of nested strategies
        are keyed ``"<nested name>/<leg_id>"``."""
        out: dict[str, float] = {}
        for key, leg in _keyed_legs(self):
            out[key] = _leg_value(leg, ctx)
        return out

    def mark_value(self, ctx: PricingContext) -> float:
        """Dollar value at quote mids where quoted (unbumped markets only make sense here), model
        value elsewhere."""
        total = 0.0
        for leg in self.iter_legs():
            quote = ctx.quote(leg.instrument)
            total += quote.mid * leg.units if quote is not None else _leg_value(leg, ctx)
        return total

    def risk(
        self,
        ctx: PricingContext,
        *,
        benchmark: str = "IWM",
        betas: Mapping[tuple[str, str], float] | None = None,
    ) -> StrategyRisk:
        """Per-leg and total value and Greeks in the context's scenario (see :class:`LegRisk`).
        ``benchmark``: the symbol for beta-weighting (its spot must be known to ``ctx``);
        ``betas`` override :data:`DEFAULT_BETAS`."""
        bench = benchmark.upper()
        bench_spot = ctx.spot(bench)
        rows: list[LegRisk] = []
        for leg in self.iter_legs():
            price, per_share = instrument_greeks(leg.instrument, ctx)
            units = leg.units
            position = per_share.scaled(units)
            driver = leg.driver
            driver_spot = ctx.spot(driver)
            dollar_delta = position.delta * driver_spot
            beta = beta_of(driver, bench, betas)
            bw_dollar = dollar_delta * beta
            rows.append(
                LegRisk(
                    leg=leg, driver=driver, driver_spot=driver_spot, price=price,
                    value=price * units, per_share=per_share, position=position,
                    dollar_delta=dollar_delta, beta=beta,
                    beta_weighted_delta=bw_dollar / bench_spot,
                    beta_weighted_dollar_delta=bw_dollar,
                )
            )
        total = GreekSet()
        by_driver: dict[str, float] = {}
        for row in rows:
            total = total + row.position
            by_driver[row.driver] = by_driver.get(row.driver, 0.0) + row.position.delta
        return StrategyRisk(
            name=self.name, benchmark=bench, benchmark_spot=bench_spot, legs=tuple(rows),
            value=sum(r.value for r in rows), position=total, delta_by_driver=by_driver,
            dollar_delta=sum(r.dollar_delta for r in rows),
            beta_weighted_delta=sum(r.beta_weighted_delta for r in rows),
            beta_weighted_dollar_delta=sum(r.beta_weighted_dollar_delta for r in rows),
        )

    def greeks(self, ctx: PricingContext) -> GreekSet:
        """Total position Greeks (per-share Greeks x quantity x multiplier, summed over parts)."""
        total = GreekSet()
        for part in self.legs:
            if isinstance(part, Leg):
                _, g = instrument_greeks(part.instrument, ctx)
                total = total + g.scaled(part.units)
            else:
                total = total + part.greeks(ctx)
        return total

    def net_premium(self, ctx: PricingContext | None = None, *, basis: PremiumBasis = "entry") -> float:
        """Dollars paid to open (+ debit) or received (- credit): sum of quantity x multiplier x
        the basis price ("entry": entry prices, falling back as in the module docstring; "mid";
        "fill": ask to buy, bid to sell; "model"). ``ctx`` is needed unless every leg has an
        entry price and ``basis`` is "entry"."""
        if basis not in _BASES:
            raise InputError("basis", basis, f"must be one of {_BASES}")
        total = 0.0
        for leg in self.iter_legs():
            if basis == "entry" and leg.entry_price is not None:
                total += leg.entry_price * leg.units
                continue
            if ctx is None:
                raise InputError("ctx", None, f"needed: leg {leg.leg_id!r} has no entry price")
            total += _basis_price(leg, ctx.base(), basis) * leg.units
        return total

    def crossing_cost(self, ctx: PricingContext) -> float:
        """Dollars lost crossing the quoted spreads from mid: sum of |quantity| x multiplier x
        (ask - bid) / 2 over quoted legs (0 for legs without a quote)."""
        total = 0.0
        for leg in self.iter_legs():
            quote = ctx.quote(leg.instrument)
            if quote is not None:
                total += abs(leg.units) * quote.half_spread
        return total

    def pnl(self, ctx: PricingContext, *, basis: PremiumBasis = "entry") -> float:
        """Dollar P&L in the context's scenario: :meth:`value` minus :meth:`net_premium`."""
        return self.value(ctx) - self.net_premium(ctx, basis=basis)

    def payoff(self, spots: ArrayLike) -> FloatArray:
        """Expiry payoff in dollars at the given underlying prices (see
        :func:`strategies.payoff.expiry_payoff`)."""
        from strategies.payoff import expiry_payoff  # local: payoff imports this module

        return expiry_payoff(self, spots)

    def describe(self) -> str:
        """A multi-line human description: one line per leg."""
        lines = [self.name]
        for leg in self.iter_legs():
            price = "" if leg.entry_price is None else f" @ {leg.entry_price:.2f}"
            lines.append(f"  {leg.quantity:+d} {leg.leg_id}{price}")
        return "\n".join(lines)


def _leg_value(leg: Leg, ctx: PricingContext) -> float:
    return float(instrument_price(leg.instrument, ctx)) * leg.units


def _basis_price(leg: Leg, ctx: PricingContext, basis: str) -> float:
    if basis == "entry" and leg.entry_price is not None:
        return leg.entry_price
    quote = ctx.quote(leg.instrument) if basis != "model" else None
    if quote is not None:
        if basis == "mid":
            return quote.mid
        return quote.fill(leg.quantity)
    return float(instrument_price(leg.instrument, ctx))


def _keyed_legs(strategy: Strategy, prefix: str = "") -> Iterable[tuple[str, Leg]]:
    for part in strategy.legs:
        if isinstance(part, Leg):
            yield f"{prefix}{part.leg_id}", part
        else:
            yield from _keyed_legs(part, f"{prefix}{part.name}/")
