"""Templates: registry, defaults, strike and expiry selection (explicit, % OTM, delta, price
target; nearest listed in a chain), share sizing, pair and TZA hedges."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import pricing
from marketdata.snapshot import OptionChain
from pricing.errors import InputError
from pricing.types import OptionKind, SettlementTime
from strategies.legs import TZA, Leg, LeveragedETF, Shares
from strategies.strategy import IWM_BETA_TO_SPY, Strategy
from strategies.templates import (
    TEMPLATES,
    AtDelta,
    AtPrice,
    AtStrike,
    Listings,
    PctOTM,
    choose_strike,
    parse_strike,
    third_friday,
)
from tests.strategies._core_market import AS_OF, market

NAMES = [
    "long-put",
    "put-spread",
    "put-ratio",
    "put-spread-collar",
    "collar",
    "call-spread",
    "call-overwrite",
    "protective-put",
    "risk-reversal",
    "iron-condor",
    "calendar",
    "diagonal",
    "pair",
    "tza-hedge",
]


def test_registry_has_every_cli_name() -> None:
    assert list(TEMPLATES) == NAMES
    for name, template in TEMPLATES.items():
        assert template.name == name and template.summary


def test_parse_strike() -> None:
    assert parse_strike("5%") == PctOTM(0.05)
    assert parse_strike("-2.5%") == PctOTM(-0.025)
    assert parse_strike("25d") == AtDelta(0.25)
    assert parse_strike("d10") == AtDelta(0.10)
    assert parse_strike("0.3d") == AtDelta(0.3)
    assert parse_strike("$1.50") == AtPrice(1.5)
    assert parse_strike("p2") == AtPrice(2.0)
    assert parse_strike("200") == AtStrike(200.0)
    assert parse_strike(212.5) == AtStrike(212.5)
    for bad in ("abc", "150d", "-5", True, "0%x"):
        with pytest.raises(InputError):
            parse_strike(bad)  # type: ignore[arg-type]


def test_third_friday() -> None:
    assert third_friday(2026, 3) == date(2026, 3, 20)
    assert third_friday(2026, 5) == date(2026, 5, 15)


def test_put_spread_defaults_are_a_modest_drawdown_hedge() -> None:
    s = TEMPLATES["put-spread"](market())
    long, short = s.flat_legs()
    assert long.quantity == 1 and short.quantity == -1
    assert long.expiry == short.expiry == date(2026, 3, 20)  # ~60 DTE -> nearest monthly
    assert long.strike == 217.0  # 228.50 x 0.95 = 217.08
    assert short.strike == 203.0  # 228.50 x 0.89 = 203.37
    assert long.instrument.style.value == "american"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("pair", "tza-hedge")])
def test_every_option_template_builds_with_defaults(name: str) -> None:
    s = TEMPLATES[name](market(), quantity=2)
    legs = s.flat_legs()
    assert legs and all(leg.symbol == "IWM" for leg in legs)
    options = [leg for leg in legs if leg.is_option]
    assert options and all(abs(leg.quantity) in (2, 4) for leg in options)
    for leg in legs:
        if isinstance(leg.instrument, Shares):
            assert leg.quantity == 200  # 100 shares per contract x 2
    for leg in options:
        assert leg.expiry is not None and leg.expiry > AS_OF.date()


def test_strike_sides_and_structures() -> None:
    ctx = market()
    spot = 228.50
    ic = TEMPLATES["iron-condor"](ctx)
    lp, sp, sc, lc = (leg.strike for leg in ic.flat_legs())
    assert lp < sp < spot < sc < lc  # type: ignore[operator]
    cs = TEMPLATES["call-spread"](ctx)
    lo, hi = cs.flat_legs()
    assert spot < lo.strike < hi.strike and lo.quantity == 1 and hi.quantity == -1  # type: ignore[operator]
    assert 45 <= (lo.expiry - AS_OF.date()).days <= 90  # type: ignore[operator]
    cal = TEMPLATES["calendar"](ctx)
    near, far = cal.flat_legs()
    assert near.strike == far.strike and near.expiry < far.expiry and near.quantity == -1  # type: ignore[operator]
    diag = TEMPLATES["diagonal"](ctx)
    long, short = diag.flat_legs()
    assert long.expiry > short.expiry and long.strike > short.strike  # type: ignore[operator]
    rr = TEMPLATES["risk-reversal"](ctx, direction="bullish")
    put, call = rr.flat_legs()
    assert put.quantity == -1 and call.quantity == 1
    ratio = TEMPLATES["put-ratio"](ctx, ratio=3)
    assert [leg.quantity for leg in ratio.flat_legs()] == [1, -3]
    cc = TEMPLATES["call-overwrite"](ctx, quantity=3)
    assert [leg.quantity for leg in cc.flat_legs()] == [300, -3]


def test_explicit_strikes_and_expiry() -> None:
    s = TEMPLATES["put-spread"](
        market(), expiry=date(2026, 4, 17), long_strike=220, short_strike="200"
    )
    long, short = s.flat_legs()
    assert (long.strike, short.strike) == (220.0, 200.0)
    assert long.expiry == date(2026, 4, 17)
    # an unlisted date is never moved silently: the error names the nearest listed expiries
    with pytest.raises(InputError, match="2026-04-17"):
        TEMPLATES["put-spread"](market(), expiry=date(2026, 4, 20))
    near = TEMPLATES["put-spread"](market(), dte=(date(2026, 4, 20) - market().as_of.date()).days)
    assert near.flat_legs()[0].expiry == date(2026, 4, 17)  # nearest only when asked (dte)


def iwm_chain() -> OptionChain:
    rows = []
    for expiry in (date(2026, 2, 20), date(2026, 3, 20), date(2026, 3, 31), date(2026, 6, 18)):
        for kind in ("call", "put"):
            for strike in range(150, 305, 5):
                bid, ask = (1.0, 1.1) if strike != 215 else (np.nan, np.nan)  # 215 has no quote
                rows.append(
                    {
                        "expiry": expiry,
                        "kind": kind,
                        "strike": float(strike),
                        "bid": bid,
                        "ask": ask,
                        "last": np.nan,
                        "volume": 0,
                        "open_interest": 0,
                        "settlement": "pm",
                        "style": "american",
                        "multiplier": 100.0,
                        "root": "IWM",
                    }
                )
    return OptionChain.from_records(rows)


def test_chain_listed_expiries_and_quoted_strikes_are_used() -> None:
    chain = iwm_chain()
    s = TEMPLATES["put-spread"](market(), chain=chain, dte=75)
    long, short = s.flat_legs()
    assert long.expiry == date(2026, 3, 31)  # Jan 15 + 75 = Mar 31: the listed quarterly
    assert long.strike == 220.0  # 217.08 -> nearest quoted (215 has no two-sided quote)
    assert short.strike == 205.0
    listing = Listings.from_chain("IWM", chain)
    assert listing.expiries[0] == date(2026, 2, 20)
    with pytest.raises(InputError):
        listing.choose_expiry(date(2026, 7, 1), dte=10)
    with pytest.raises(InputError):
        Listings.from_chain("IWM", OptionChain(pd.DataFrame(columns=OptionChain.REQUIRED)))


def test_delta_and_price_targets_pick_the_nearest_strike() -> None:
    ctx = market()
    listing = Listings.generated("RUT", AS_OF.date())
    expiry = listing.choose_expiry(AS_OF.date(), dte=60)
    strike = choose_strike(AtDelta(0.25), ctx=ctx, listings=listing, kind="put", expiry=expiry)
    t = (
        pd.Timestamp(expiry).tz_localize("America/New_York")
        + pd.Timedelta(hours=9.5)
        - pd.Timestamp(AS_OF)
    ).total_seconds() / (365 * 86400)

    def delta(k: float) -> float:
        return float(
            pricing.european_greeks(
                kind="put",
                spot=2300.0,
                strike=k,
                t_years=t,
                rate=ctx.rate(t),
                div_yield=0.012,
                vol=0.22,
            ).delta
        )

    assert abs(abs(delta(strike)) - 0.25) <= abs(abs(delta(strike + 5)) - 0.25)
    assert abs(abs(delta(strike)) - 0.25) <= abs(abs(delta(strike - 5)) - 0.25)
    assert abs(abs(delta(strike)) - 0.25) < 0.01
    k_price = choose_strike("$10", ctx=ctx, listings=listing, kind=OptionKind.PUT, expiry=expiry)
    price = float(
        pricing.european_price(
            kind="put",
            spot=2300.0,
            strike=k_price,
            t_years=t,
            rate=ctx.rate(t),
            div_yield=0.012,
            vol=0.22,
        )
    )
    assert abs(price - 10.0) < 1.0
    s = TEMPLATES["put-spread"](ctx, underlying="RUT", long_strike="25d", short_strike="10d")
    assert s.flat_legs()[0].strike == strike
    assert s.flat_legs()[0].instrument.settlement is SettlementTime.AM  # type: ignore[union-attr]


def test_pair_is_dollar_or_beta_neutral() -> None:
    ctx = market()
    dollar = TEMPLATES["pair"](ctx, neutral="dollar", notional=100_000)
    long, short = dollar.flat_legs()
    assert long.quantity == round(100_000 / 228.5)
    assert abs(long.quantity * 228.5 + short.quantity * 600.0) <= 600.0 / 2
    beta = TEMPLATES["pair"](ctx, neutral="beta")
    long, short = beta.flat_legs()
    ratio = -short.quantity * 600.0 / (long.quantity * 228.5)
    assert ratio == pytest.approx(IWM_BETA_TO_SPY, abs=600.0 / (long.quantity * 228.5))
    assert abs(beta.risk(ctx, benchmark="SPY").beta_weighted_dollar_delta) <= 600.0


def test_tza_hedge_offsets_the_books_beta_weighted_delta() -> None:
    ctx = market()
    book = Strategy("stock", (Leg(Shares("IWM"), 1000, 228.5, "stock"),))
    hedged = TEMPLATES["tza-hedge"](ctx, book=book)
    exposure = hedged.risk(ctx).beta_weighted_dollar_delta
    assert abs(exposure) <= 3 * 10.0  # within one TZA share's exposure
    assert hedged.flat_legs()[-1].quantity == round(1000 * 228.5 / 30.0)
    half = TEMPLATES["tza-hedge"](ctx, book_dollar_delta=50_000, hedge_ratio=0.5)
    assert half.flat_legs()[0].quantity == round(25_000 / 30.0)
    tna = LeveragedETF("TNA", "RUT", 3.0)
    short_tna = TEMPLATES["tza-hedge"](ctx, book_dollar_delta=40_000, etf=tna)
    assert short_tna.flat_legs()[0].quantity == -round(40_000 / 120.0)
    assert short_tna.flat_legs()[0].instrument == tna
    assert TZA.symbol == "TZA"


def test_template_errors_name_the_field() -> None:
    ctx = market()
    with pytest.raises(InputError) as err:
        TEMPLATES["put-spread"](ctx, long_strike="5%", short_strike="5%")
    assert err.value.field == "short_strike"
    with pytest.raises(InputError) as err:
        TEMPLATES["put-spread"](ctx, dte=0)
    assert err.value.field == "dte"
    with pytest.raises(InputError) as err:
        TEMPLATES["put-spread"](ctx, quantity=0)
    assert err.value.field == "quantity"
    with pytest.raises(InputError) as err:
        TEMPLATES["collar"](ctx, wings=3)
    assert err.value.field == "params"
    with pytest.raises(InputError) as err:
        TEMPLATES["calendar"](ctx, near_dte=90, far_dte=30)
    assert err.value.field == "far_dte"


def test_monthly_expiries_skip_exchange_holidays() -> None:
    from strategies.templates import monthly_expiries

    expiries = monthly_expiries(date(2026, 5, 20), 2)
    assert date(2026, 6, 18) in expiries  # June 19, 2026 (Juneteenth) is a holiday


def test_demo_snapshot_end_to_end() -> None:
    """The bundled SYNTHETIC demo chain: context from the snapshot (fitted surface, parity
    yield, chain quotes), a template on listed strikes, P&L at zero move close to minus the cost
    of crossing (the surface reprices the mids to within a few cents)."""
    from marketdata.sources.demo import load_demo
    from strategies.pricing_context import PricingContext

    snap = load_demo("IWM")
    ctx = PricingContext.from_snapshot(snap)
    s = TEMPLATES["put-spread"](ctx, chain=snap.chain)
    long, short = s.flat_legs()
    listed = Listings.from_chain("IWM", snap.chain)
    assert long.expiry in listed.expiries
    assert long.strike in listed.strikes[(long.expiry, "put")]  # type: ignore[index]
    assert 0.93 * snap.spot < long.strike < 0.97 * snap.spot  # type: ignore[operator]
    assert 0.87 * snap.spot < short.strike < 0.91 * snap.spot  # type: ignore[operator]
    crossing = s.crossing_cost(ctx)
    assert crossing > 0.0
    assert s.pnl(ctx) == pytest.approx(-crossing, abs=0.05 * 100 * 2)  # within 5 cents a leg
    value = s.value(ctx)
    assert 0.0 < value < (long.strike - short.strike) * 100  # type: ignore[operator]
    assert s.risk(ctx).beta_weighted_delta < 0.0
