"""Expiry payoffs (piecewise linear, kinks only at strikes), breakevens and max profit / loss:
hand-computed cases to the cent, properties over random strategies, priced curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing.errors import InputError
from strategies.legs import TNA, Leg, Shares, iwm_option, mrut_option, rut_option
from strategies.payoff import (
    analyze,
    breakevens,
    breakevens_at_expiry,
    expiry_payoff,
    kink_points,
    max_profit_loss,
    payoff_profile,
    pnl_curve,
)
from strategies.strategy import Strategy
from tests.strategies._core_market import EXPIRY, FAR, NEAR, market


def iwm(kind: str, strike: float, qty: int, price: float, leg_id: str) -> Leg:
    return Leg(iwm_option(kind, strike, EXPIRY), qty, price, leg_id)


# --- hand-computed cases (dollars, to the cent) ---------------------------------------------


def test_put_spread_by_hand() -> None:
    # long 200 put @ 4.10, short 185 put @ 1.60: debit 2.50 x 100 = $250.
    s = Strategy("ps", (iwm("put", 200, 1, 4.10, "l"), iwm("put", 185, -1, 1.60, "s")))
    assert s.net_premium() == pytest.approx(250.00, abs=0.005)
    assert breakevens_at_expiry(s) == pytest.approx((197.50,), abs=0.005)
    pl = max_profit_loss(s)
    assert pl.max_profit == pytest.approx(1250.00, abs=0.005)  # (15 - 2.50) x 100 below 185
    assert pl.max_loss == pytest.approx(250.00, abs=0.005)  # above 200
    assert not pl.profit_unbounded and not pl.loss_unbounded
    assert pl.max_profit_at is not None and pl.max_profit_at <= 185.0
    assert pl.max_loss_at == pytest.approx(200.0)


def test_call_spread_by_hand() -> None:
    # long 210 call @ 3.20, short 220 call @ 1.05: debit 2.15 -> $215.
    s = Strategy("cs", (iwm("call", 210, 1, 3.20, "l"), iwm("call", 220, -1, 1.05, "s")))
    assert breakevens_at_expiry(s) == pytest.approx((212.15,), abs=0.005)
    pl = max_profit_loss(s)
    assert pl.max_profit == pytest.approx(785.00, abs=0.005)
    assert pl.max_loss == pytest.approx(215.00, abs=0.005)
    assert pl.max_profit_at == pytest.approx(220.0) and pl.max_loss_at == 0.0


def test_call_overwrite_by_hand() -> None:
    # 100 IWM @ 205.30, short 215 call @ 2.45: cost basis 202.85.
    s = Strategy("cc", (Leg(Shares("IWM"), 100, 205.30, "stock"), iwm("call", 215, -1, 2.45, "c")))
    assert s.net_premium() == pytest.approx(20285.00, abs=0.005)
    assert breakevens_at_expiry(s) == pytest.approx((202.85,), abs=0.005)
    pl = max_profit_loss(s)
    assert pl.max_profit == pytest.approx(1215.00, abs=0.005)  # (215 - 202.85) x 100
    assert pl.max_loss == pytest.approx(20285.00, abs=0.005)  # IWM to zero
    assert pl.max_loss_at == 0.0 and not pl.loss_unbounded


def test_collar_by_hand() -> None:
    # 100 IWM @ 205.30, long 195 put @ 2.80, short 215 call @ 2.45: basis 205.65.
    s = Strategy(
        "collar",
        (
            Leg(Shares("IWM"), 100, 205.30, "stock"),
            iwm("put", 195, 1, 2.80, "p"),
            iwm("call", 215, -1, 2.45, "c"),
        ),
    )
    assert breakevens_at_expiry(s) == pytest.approx((205.65,), abs=0.005)
    pl = max_profit_loss(s)
    assert pl.max_profit == pytest.approx(935.00, abs=0.005)
    assert pl.max_loss == pytest.approx(1065.00, abs=0.005)


def test_iron_condor_by_hand() -> None:
    # long 180P @ 0.90, short 190P @ 2.10, short 220C @ 1.95, long 230C @ 0.70: credit 2.45.
    s = Strategy(
        "ic",
        (
            iwm("put", 180, 1, 0.90, "lp"),
            iwm("put", 190, -1, 2.10, "sp"),
            iwm("call", 220, -1, 1.95, "sc"),
            iwm("call", 230, 1, 0.70, "lc"),
        ),
    )
    assert s.net_premium() == pytest.approx(-245.00, abs=0.005)
    assert breakevens_at_expiry(s) == pytest.approx((187.55, 222.45), abs=0.005)
    pl = max_profit_loss(s)
    assert pl.max_profit == pytest.approx(245.00, abs=0.005)
    assert pl.max_loss == pytest.approx(755.00, abs=0.005)  # (10 - 2.45) x 100


def test_unbounded_sides_are_flagged() -> None:
    long_call = Strategy("lc", (iwm("call", 230, 1, 2.00, "c"),))
    pl = max_profit_loss(long_call)
    assert pl.profit_unbounded and math.isinf(pl.max_profit) and pl.max_profit_at is None
    assert pl.max_loss == pytest.approx(200.0)
    short_call = long_call.scaled(-1)
    pl = max_profit_loss(short_call)
    assert pl.loss_unbounded and math.isinf(pl.max_loss) and pl.max_profit == pytest.approx(200.0)
    ratio = Strategy("ratio", (iwm("put", 220, 1, 5.0, "l"), iwm("put", 200, -2, 1.5, "s")))
    pl = max_profit_loss(ratio)  # bounded: the left tail ends at 0
    assert not pl.loss_unbounded and pl.max_loss_at == 0.0
    assert pl.max_loss == pytest.approx(-(220 - 2 * 200) * 100 + 200.0)  # -(payoff at 0) + premium
    assert breakevens_at_expiry(ratio) == pytest.approx((182.0, 218.0))  # S - 180 = 2 below 200


def test_family_axis_conversion() -> None:
    s = Strategy(
        "mixed",
        (
            Leg(rut_option("put", 2200, EXPIRY, "pm"), 1, 20.0, "rut"),
            Leg(mrut_option("put", 200, EXPIRY), -10, 2.0, "mrut"),
        ),
    )
    assert kink_points(s) == [2000.0, 2200.0]
    assert kink_points(s, axis="MRUT") == [200.0, 220.0]
    assert expiry_payoff(s, [1900.0]) == pytest.approx([(300 - 100) * 100.0])
    # zero premium: the P&L is 0 from 2200 up, so the breakeven is where it starts being 0
    assert breakevens_at_expiry(s) == pytest.approx((2200.0,))
    with pytest.raises(InputError):
        payoff_profile(Strategy("x", (Leg(Shares("SPY"), 1), Leg(Shares("IWM"), 1))), axis="SPY")


# --- properties ------------------------------------------------------------------------------


@st.composite
def iwm_strategies(draw: st.DrawFn) -> Strategy:
    n = draw(st.integers(1, 6))
    legs = []
    for i in range(n):
        kind = draw(st.sampled_from(["call", "put"]))
        strike = float(draw(st.integers(150, 300)))
        qty = draw(st.integers(-4, 4).filter(bool))
        price = draw(st.floats(0.0, 30.0)).__round__(2)
        legs.append(Leg(iwm_option(kind, strike, EXPIRY), qty, price, f"o{i}"))
    if draw(st.booleans()):
        legs.append(Leg(Shares("IWM"), draw(st.integers(-500, 500).filter(bool)), 228.5, "stock"))
    return Strategy("random", legs)


def brute_force(strategy: Strategy, spots: np.ndarray) -> np.ndarray:
    total = np.zeros_like(spots)
    for leg in strategy.iter_legs():
        inst = leg.instrument
        if isinstance(inst, Shares):
            total += spots * leg.units
        else:
            total += np.maximum(inst.kind.sign * (spots - inst.strike), 0.0) * leg.units  # type: ignore[union-attr]
    return total


@given(iwm_strategies())
def test_expiry_payoff_is_piecewise_linear_with_kinks_only_at_strikes(strategy: Strategy) -> None:
    spots = np.linspace(0.0, 450.0, 4501)  # step 0.1: strikes are on the grid
    values = expiry_payoff(strategy, spots)
    np.testing.assert_allclose(values, brute_force(strategy, spots), rtol=1e-12, atol=1e-7)
    second = values[2:] - 2 * values[1:-1] + values[:-2]
    kinked = np.abs(second) > 1e-6
    strikes = np.asarray(strategy.strikes)
    for s in spots[1:-1][kinked]:
        assert np.min(np.abs(strikes - s)) < 1e-6, f"kink at {s} is not a strike"


@given(iwm_strategies())
def test_breakevens_are_roots_and_extremes_bound_the_pnl(strategy: Strategy) -> None:
    premium = strategy.net_premium()
    roots = breakevens_at_expiry(strategy)
    scale = max(1.0, float(np.max(np.abs(brute_force(strategy, np.asarray([0.0, 500.0]))))))
    for r in roots:
        assert abs(brute_force(strategy, np.asarray([r]))[0] - premium) <= 1e-7 * scale
    spots = np.linspace(0.0, 1000.0, 20001)
    pnl = brute_force(strategy, spots) - premium
    pl = max_profit_loss(strategy)
    if not pl.profit_unbounded:
        assert pnl.max() <= pl.max_profit + 1e-6 * scale
        assert pl.max_profit_at is not None
    if not pl.loss_unbounded:
        assert -pnl.min() <= pl.max_loss + 1e-6 * scale
    # every sign change on a fine grid brackets a reported root
    tol = 1e-6 * scale
    for i in np.flatnonzero(
        (pnl[:-1] * pnl[1:] < 0) & (np.abs(pnl[:-1]) > tol) & (np.abs(pnl[1:]) > tol)
    ):
        assert any(spots[i] - 1e-9 <= r <= spots[i + 1] + 1e-9 for r in roots)


# --- priced curves ---------------------------------------------------------------------------


def test_calendar_breakevens_at_the_first_expiry_are_roots_of_the_priced_curve() -> None:
    ctx = market()
    cal = Strategy(
        "cal",
        (
            Leg(rut_option("put", 2300, NEAR), -1, leg_id="near"),
            Leg(rut_option("put", 2300, FAR), 1, leg_id="far"),
        ),
    )
    result = analyze(cal, ctx)
    assert not result.exact
    assert result.at is not None and result.at.date() == NEAR
    assert len(result.breakevens) == 2
    lo, hi = result.breakevens
    assert lo < 2300.0 < hi
    for be in result.breakevens:
        assert abs(pnl_curve(cal, ctx, [be])[0]) < 1e-6
    # far above the strike both puts die: the debit is lost; deep below, the European far put is
    # worth less than the near put's intrinsic, so the loss can exceed the debit
    assert result.profit_loss.max_loss >= 0.99 * result.premium
    assert pnl_curve(cal, ctx, [3000.0])[0] == pytest.approx(-result.premium, rel=0.01)
    assert 2200.0 < result.profit_loss.max_profit_at < 2400.0  # type: ignore[operator]
    assert not result.profit_loss.profit_unbounded and not result.profit_loss.loss_unbounded


def test_priced_curve_at_expiry_matches_the_exact_payoff() -> None:
    ctx = market()
    s = Strategy(
        "ps",
        (
            Leg(rut_option("put", 2200, EXPIRY), 1, 40.0, "l"),
            Leg(rut_option("put", 2050, EXPIRY), -1, 12.0, "s"),
        ),
    )
    spots = np.linspace(1800.0, 2600.0, 81)
    exact = expiry_payoff(s, spots) - s.net_premium()
    priced = pnl_curve(s, ctx, spots)  # default: the first expiry (09:30 AM settlement)
    np.testing.assert_allclose(priced, exact, atol=1e-9)
    assert breakevens(s, ctx, at=EXPIRY) == pytest.approx(breakevens_at_expiry(s), abs=1e-6)


def test_leveraged_etf_needs_a_priced_curve() -> None:
    s = Strategy("tna", (Leg(TNA, 100, 40.0),))
    with pytest.raises(InputError):
        payoff_profile(s)
    result = analyze(s, market(), at=NEAR)
    assert result.profit_loss.profit_unbounded and not result.profit_loss.loss_unbounded
    assert len(result.breakevens) == 1
