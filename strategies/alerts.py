"""Early-assignment alerts for short American options (IWM, SPY and any US equity or ETF: the
style comes from the underlyings table, :mod:`marketdata.underlyings`; SPX, XSP, RUT, MRUT and NDX
are European and cannot be assigned early).

Two rules, each with its numbers (per share, price units; dates in New York):

- **dividend** (short calls, typically a call overwrite): a call in the money is worth exercising
  on the day before the ex-date when the dividend the holder would capture exceeds the time value
  (extrinsic) the holder gives up. Alert when ``as_of < ex-date <= expiry``, ``spot > strike``
  and ``extrinsic < dividend``; ``extrinsic = option price - intrinsic`` with the option price the
  quote's mid when quoted, else the model value.
- **deep_itm_put** (short puts): a put holder who exercises receives the strike now and earns
  interest on it until expiry; when the time value left is below that carry, early exercise is
  rational. Alert when ``spot < strike`` and ``extrinsic < threshold``, with the threshold the
  carry on the strike ``K (1 - e^{-r t})`` (``r`` the curve's rate to expiry, ``t`` years to
  expiry) or an explicit ``put_threshold`` per share.

Each :class:`AssignmentAlert` names the leg, the rule, a readable reason and the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pricing.errors import InputError
from pricing.types import NEW_YORK, ExerciseStyle, OptionContract, OptionKind
from strategies.pricing_context import PricingContext
from strategies.strategy import Strategy
from strategies.valuation import instrument_price

AlertRule = Literal["dividend", "deep_itm_put"]


@dataclass(frozen=True, slots=True)
class AssignmentAlert:
    """One early-assignment risk: ``leg_id``, ``rule``, ``reason`` (a sentence) and ``numbers``
    (spot, strike, intrinsic, extrinsic, threshold: per share in price units; ``dividend`` per
    share and ``ex_date`` ISO for the dividend rule; ``contracts`` short; ``shares_at_risk``
    = contracts x multiplier)."""

    leg_id: str
    rule: AlertRule
    reason: str
    numbers: dict[str, float | str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly fields."""
        return {
            "leg": self.leg_id,
            "rule": self.rule,
            "reason": self.reason,
            "numbers": dict(self.numbers),
        }


def option_mark(contract: OptionContract, ctx: PricingContext) -> tuple[float, str]:
    """``(price per share, basis)``: the quote's mid when quoted (basis "mid"), else the model
    value in the unbumped context (basis "model")."""
    quote = ctx.quote(contract)
    if quote is not None and quote.ask > 0.0:
        return quote.mid, "mid"
    return float(instrument_price(contract, ctx.base())), "model"


def assignment_alerts(
    strategy: Strategy,
    ctx: PricingContext,
    *,
    put_threshold: float | None = None,
) -> tuple[AssignmentAlert, ...]:
    """Early-assignment alerts for the short American legs of ``strategy`` (see the module
    docstring). ``put_threshold``: per-share extrinsic below which a short in-the-money put is
    flagged (default: the carry on its strike to expiry)."""
    if put_threshold is not None and (not math.isfinite(put_threshold) or put_threshold < 0.0):
        raise InputError("put_threshold", put_threshold, "must be finite and >= 0 (per share)")
    base = ctx.base()
    as_of = base.as_of
    today = as_of.astimezone(NEW_YORK).date()
    alerts: list[AssignmentAlert] = []
    for leg in strategy.iter_legs():
        contract = leg.contract
        if contract is None or leg.quantity >= 0 or contract.style is not ExerciseStyle.AMERICAN:
            continue
        t = contract.t_years(as_of)
        if t <= 0.0:
            continue
        sym = contract.underlying.upper()
        spot = base.spot(sym)
        intrinsic = contract.intrinsic(spot)
        if intrinsic <= 0.0:
            continue
        price, basis = option_mark(contract, base)
        extrinsic = max(price - intrinsic, 0.0)
        common: dict[str, float | str] = {
            "spot": spot,
            "strike": contract.strike,
            "intrinsic": intrinsic,
            "extrinsic": extrinsic,
            "price_basis": basis,
            "contracts": float(-leg.quantity),
            "shares_at_risk": float(-leg.units),
            "days_to_expiry": (contract.expiry - today).days,
        }
        if contract.kind is OptionKind.CALL:
            alert = _dividend_alert(leg.leg_id, contract, base, extrinsic, common)
            if alert is not None:
                alerts.append(alert)
        else:
            rate = base.rate(t)
            carry = contract.strike * (1.0 - math.exp(-rate * t))
            threshold = put_threshold if put_threshold is not None else carry
            if extrinsic < threshold:
                numbers = {**common, "threshold": threshold, "carry_on_strike": carry, "rate": rate}
                alerts.append(
                    AssignmentAlert(
                        leg.leg_id,
                        "deep_itm_put",
                        (
                            f"short {contract.kind.value} {contract.strike:g} is {intrinsic:.2f} in the money "
                            f"with {extrinsic:.3f} of time value, below "
                            f"{'the carry on the strike' if put_threshold is None else 'the threshold'} "
                            f"{threshold:.3f}: early assignment likely"
                        ),
                        numbers,
                    )
                )
    return tuple(alerts)


def _dividend_alert(
    leg_id: str,
    contract: OptionContract,
    ctx: PricingContext,
    extrinsic: float,
    common: dict[str, float | str],
) -> AssignmentAlert | None:
    forecast = ctx.dividends.get(contract.underlying.upper())
    if forecast is None:
        return None
    upcoming = forecast.next_after(ctx.as_of)
    if upcoming is None:
        return None
    ex_date, amount = upcoming
    if not isinstance(ex_date, date) or ex_date > contract.expiry or amount <= 0.0:
        return None
    if extrinsic >= amount:
        return None
    today = ctx.as_of.astimezone(NEW_YORK).date()
    numbers = {
        **common,
        "dividend": amount,
        "ex_date": ex_date.isoformat(),
        "days_to_ex_date": (ex_date - today).days,
        "threshold": amount,
    }
    return AssignmentAlert(
        leg_id,
        "dividend",
        (
            f"short call {contract.strike:g} is {common['intrinsic']:.2f} in the money with "
            f"{extrinsic:.3f} of time value, below the {amount:.3f} dividend going ex on "
            f"{ex_date.isoformat()}: expect assignment the day before"
        ),
        numbers,
    )
