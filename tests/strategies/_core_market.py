"""Shared market fixtures for the strategies-core tests (legs, strategy, grid, payoff, templates)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from marketdata.snapshot import DividendForecast, RateCurve
from strategies.legs import Leg, Shares, rut_option
from strategies.pricing_context import FlatVol, PricingContext

NY = ZoneInfo("America/New_York")
AS_OF = datetime(2026, 1, 15, 12, 0, tzinfo=NY)
EXPIRY = date(2026, 3, 20)  # third Friday, ~64 days out
NEAR = date(2026, 2, 20)
FAR = date(2026, 4, 17)

SPOTS = {"RUT": 2300.0, "IWM": 228.50, "SPY": 600.0, "TZA": 10.0, "TNA": 40.0}
IWM_DIVIDENDS = DividendForecast((date(2026, 3, 16), date(2026, 6, 8)), (0.70, 0.72))


def market(**bumps: object) -> PricingContext:
    """A flat-vol market: 4 % rates, RUT yield 1.2 %, IWM cash dividends, vol 22 %."""
    return PricingContext(
        as_of=AS_OF,
        spots=SPOTS,
        rate_curve=RateCurve((0.25, 1.0), (0.04, 0.038)),
        vol=FlatVol(0.22),
        dividends={"IWM": IWM_DIVIDENDS},
        div_yields={"RUT": 0.012},
        **bumps,  # type: ignore[arg-type]
    )


EXPIRIES = (NEAR, EXPIRY, FAR)


@st.composite
def rut_legs(draw: st.DrawFn, max_legs: int = 5) -> list[Leg]:
    """1..max_legs random RUT option legs (strikes 1900..2700, three expiries) and maybe units."""
    n = draw(st.integers(1, max_legs))
    legs = []
    for i in range(n):
        kind = draw(st.sampled_from(["call", "put"]))
        strike = draw(st.integers(380, 540)) * 5.0
        expiry = draw(st.sampled_from(EXPIRIES))
        qty = draw(st.integers(-5, 5).filter(lambda q: q != 0))
        legs.append(Leg(rut_option(kind, strike, expiry), qty, leg_id=f"leg{i}"))
    if draw(st.booleans()):
        legs.append(Leg(Shares("RUT"), draw(st.integers(-300, 300).filter(bool)), leg_id="units"))
    return legs


@st.composite
def iwm_legs(draw: st.DrawFn, max_legs: int = 4) -> list[Leg]:
    """1..max_legs random IWM (American, cash dividends) option legs and maybe shares."""
    from strategies.legs import iwm_option

    n = draw(st.integers(1, max_legs))
    legs = []
    for i in range(n):
        kind = draw(st.sampled_from(["call", "put"]))
        strike = float(draw(st.integers(190, 270)))
        expiry = draw(st.sampled_from(EXPIRIES))
        qty = draw(st.integers(-5, 5).filter(lambda q: q != 0))
        legs.append(Leg(iwm_option(kind, strike, expiry), qty, leg_id=f"leg{i}"))
    if draw(st.booleans()):
        legs.append(Leg(Shares("IWM"), draw(st.integers(-300, 300).filter(bool)), leg_id="stock"))
    return legs
