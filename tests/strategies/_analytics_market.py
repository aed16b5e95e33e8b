"""Market fixtures for the strategy-analytics tests (scenarios, probability, alerts, report)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from marketdata.snapshot import DividendForecast, RateCurve
from strategies.pricing_context import FlatVol, PricingContext, QuoteSource

NY = ZoneInfo("America/New_York")
AS_OF = datetime(2026, 1, 15, 16, 0, tzinfo=NY)
EXPIRY = date(2026, 3, 20)
RATE = 0.04
RUT_YIELD = 0.012
VOL = 0.22
SPOTS = {"RUT": 2300.0, "IWM": 228.50, "SPY": 600.0, "TZA": 10.0, "TNA": 40.0}
IWM_DIVIDENDS = DividendForecast((date(2026, 3, 16), date(2026, 6, 8)), (0.70, 0.72))


def market(*, quotes: QuoteSource | None = None, **bumps: object) -> PricingContext:
    """Flat 4 % curve, flat 22 % vol, RUT yield 1.2 %, IWM quarterly cash dividends."""
    return PricingContext(
        as_of=AS_OF,
        spots=SPOTS,
        rate_curve=RateCurve.flat(RATE),
        vol=FlatVol(VOL),
        dividends={"IWM": IWM_DIVIDENDS},
        div_yields={"RUT": RUT_YIELD},
        quotes=quotes,
        **bumps,  # type: ignore[arg-type]
    )
