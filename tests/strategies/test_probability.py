"""Probability analytics: closed forms under the lognormal, Breeden-Litzenberger, discrete views."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import ndtr, ndtri

import pricing
from pricing.errors import InputError
from strategies import probability as pr
from strategies.legs import Leg, Shares, rut_option
from strategies.pricing_context import FlatVol
from strategies.scenarios import HOUSE_VIEW, run_scenarios
from strategies.strategy import Strategy
from tests.strategies._analytics_market import AS_OF, EXPIRY, RATE, RUT_YIELD, SPOTS, VOL, market


def _call_pnl(strike: float, premium: float):  # type: ignore[no-untyped-def]
    return lambda s: 100.0 * (np.maximum(s - strike, 0.0) - premium)


def _put_pnl(strike: float, premium: float):  # type: ignore[no-untyped-def]
    return lambda s: 100.0 * (np.maximum(strike - s, 0.0) - premium)


def test_lognormal_cells_reproduce_the_mean_exactly() -> None:
    dist = pr.lognormal_distribution(228.5, vol=0.25, t_years=0.5, drift=0.03)
    assert dist.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert dist.mean == pytest.approx(228.5 * math.exp(0.015), rel=1e-12)
    assert np.all(np.diff(dist.nodes) > 0.0)


@pytest.mark.parametrize("kind", ["call", "put"])
def test_pop_of_single_option_equals_closed_form(kind: str) -> None:
    s0, k, prem, vol, t, mu = 228.5, 225.0, 6.4, 0.24, 0.2, 0.05
    dist = pr.lognormal_distribution(s0, vol=vol, t_years=t, drift=mu)
    fn = _call_pnl(k, prem) if kind == "call" else _put_pnl(k, prem)
    stats = pr.distribution_stats(fn, dist)
    closed = pr.closed_form_pop_long_option(
        kind=kind, spot=s0, strike=k, premium=prem, vol=vol, t_years=t, drift=mu
    )
    # independent closed form: P(S_T > B) = N(d2(B)) with B the breakeven
    b = k + prem if kind == "call" else k - prem
    d2 = (math.log(s0 / b) + (mu - 0.5 * vol * vol) * t) / (vol * math.sqrt(t))
    assert closed == pytest.approx(float(ndtr(d2 if kind == "call" else -d2)), abs=1e-15)
    assert stats.pop == pytest.approx(closed, abs=1e-9)
    assert stats.breakevens == pytest.approx((b,), abs=1e-8)


@given(
    s0=st.floats(20.0, 3000.0),
    moneyness=st.floats(0.7, 1.3),
    prem_frac=st.floats(0.001, 0.15),
    vol=st.floats(0.05, 1.0),
    t=st.floats(0.01, 2.0),
    mu=st.floats(-0.3, 0.3),
    kind=st.sampled_from(["call", "put"]),
)
def test_pop_closed_form_property(
    s0: float, moneyness: float, prem_frac: float, vol: float, t: float, mu: float, kind: str
) -> None:
    k = s0 * moneyness
    prem = prem_frac * k
    if kind == "put" and prem >= k:
        return
    dist = pr.lognormal_distribution(s0, vol=vol, t_years=t, drift=mu)
    fn = _call_pnl(k, prem) if kind == "call" else _put_pnl(k, prem)
    stats = pr.distribution_stats(fn, dist)
    closed = pr.closed_form_pop_long_option(
        kind=kind, spot=s0, strike=k, premium=prem, vol=vol, t_years=t, drift=mu
    )
    assert stats.pop == pytest.approx(closed, abs=1e-6)


def test_expected_pnl_of_a_call_matches_closed_form_to_the_cent() -> None:
    s0, k, prem, vol, t, mu = 228.5, 235.0, 3.1, 0.22, 0.25, 0.07
    dist = pr.lognormal_distribution(s0, vol=vol, t_years=t, drift=mu)
    stats = pr.distribution_stats(_call_pnl(k, prem), dist)
    sd = vol * math.sqrt(t)
    d1 = (math.log(s0 / k) + (mu + 0.5 * vol * vol) * t) / sd
    expected = 100.0 * (s0 * math.exp(mu * t) * ndtr(d1) - k * ndtr(d1 - sd) - prem)
    assert stats.expected_pnl == pytest.approx(expected, abs=0.01)  # dollars per contract


def test_cvar_of_shares_matches_the_lognormal_tail() -> None:
    s0, vol, t, mu = 100.0, 0.3, 0.5, 0.02
    dist = pr.lognormal_distribution(s0, vol=vol, t_years=t, drift=mu)
    stats = pr.distribution_stats(lambda s: s - s0, dist, level=0.95)
    sd = vol * math.sqrt(t)
    z = float(ndtri(0.05))
    tail_mean = s0 * math.exp(mu * t) * ndtr(z - sd) / 0.05
    assert stats.cvar == pytest.approx(s0 - tail_mean, rel=2e-3)
    q05 = pr.lognormal_quantile(s0, vol=vol, t_years=t, drift=mu, p=0.05)
    assert stats.var == pytest.approx(s0 - q05, rel=5e-3)
    assert stats.pop == pytest.approx(
        float(ndtr((math.log(1.0) * -1 + (mu - 0.5 * vol**2) * t) / sd)), abs=1e-9
    )


def test_long_put_cvar_is_the_premium() -> None:
    dist = pr.lognormal_distribution(228.5, vol=0.22, t_years=0.2, drift=0.0)
    stats = pr.distribution_stats(_put_pnl(215.0, 2.0), dist, level=0.95)
    assert stats.cvar == pytest.approx(200.0) and stats.var == pytest.approx(200.0)


def test_discrete_stats_by_hand() -> None:
    stats = pr.discrete_stats([-100.0, 50.0, 200.0], [0.3, 0.45, 0.25], level=0.95)
    assert stats.pop == pytest.approx(0.70)
    assert stats.expected_pnl == pytest.approx(-30.0 + 22.5 + 50.0)
    assert stats.cvar == pytest.approx(100.0) and stats.var == pytest.approx(100.0)
    half = pr.discrete_stats([50.0, -100.0, 200.0], [0.45, 0.3, 0.25], level=0.5)
    assert half.cvar == pytest.approx(-(0.3 * -100.0 + 0.2 * 50.0) / 0.5)  # 40
    assert half.var == pytest.approx(-50.0)
    with pytest.raises(InputError):
        pr.discrete_stats([1.0, 2.0], [0.5, 0.6])
    with pytest.raises(InputError):
        pr.discrete_stats([1.0], [1.0], level=1.0)


def test_risk_neutral_flat_vol_equals_risk_neutral_lognormal() -> None:
    f, t, vol = 2300.0 * math.exp(0.02 * 0.3), 0.3, 0.22
    rn = pr.risk_neutral_distribution(
        lambda k: np.full_like(k, vol), spot=2300.0, forward=f, t_years=t
    )
    ln = pr.lognormal_distribution(2300.0, vol=vol, t_years=t, drift=math.log(f / 2300.0) / t)
    assert rn.mean == pytest.approx(f, rel=1e-5)
    assert rn.lost_mass < 1e-8
    fn = _put_pnl(2200.0, 40.0)
    a, b = pr.distribution_stats(fn, rn), pr.distribution_stats(fn, ln)
    assert a.pop == pytest.approx(b.pop, abs=1e-6)
    assert a.expected_pnl == pytest.approx(b.expected_pnl, abs=0.05)


def _skew(k: np.ndarray, f: float = 2300.0) -> np.ndarray:
    x = np.log(k / f)
    return np.asarray(0.2 - 0.12 * x + 0.1 * x * x)


def test_breeden_litzenberger_reprices_the_smile() -> None:
    f, t = 2300.0, 0.25
    dist = pr.risk_neutral_distribution(_skew, spot=2300.0, forward=f, t_years=t, n_nodes=4001)
    assert dist.mean == pytest.approx(f, rel=2e-5)  # the forward is a martingale
    assert dist.lost_mass < 1e-8
    for k in (1900.0, 2100.0, 2300.0, 2500.0):
        integrated = float(np.dot(dist.weights, np.maximum(k - dist.nodes, 0.0)))
        smile_put = float(
            pricing.black76_price(
                kind="put", forward=f, strike=k, t_years=t, rate=0.0, vol=_skew(np.asarray([k]))[0]
            )
        )
        assert integrated == pytest.approx(smile_put, abs=0.05 + 1e-4 * smile_put)
    density = pr.risk_neutral_density(_skew, forward=f, t_years=t, strikes=dist.nodes[1:-1])
    assert np.all(density > -1e-9)
    widths = np.diff(np.concatenate([[0.0], dist.edges]))[1:]
    assert float(np.sum(density[:-1] * widths[: density.size - 1])) == pytest.approx(1.0, abs=2e-3)
    # skew: more mass far below than far above the forward, compared with the flat vol
    flat = pr.risk_neutral_distribution(
        lambda k: np.full_like(k, 0.2), spot=2300.0, forward=f, t_years=t
    )
    assert dist.cdf is not None and flat.cdf is not None
    assert dist.cdf(np.asarray([1900.0]))[0] > flat.cdf(np.asarray([1900.0]))[0]


def test_arbitrage_in_the_smile_is_reported_as_lost_mass() -> None:
    def wavy(k: np.ndarray) -> np.ndarray:
        return np.asarray(0.2 + 0.08 * np.sin(40.0 * np.log(k / 2300.0)))

    dist = pr.risk_neutral_distribution(wavy, spot=2300.0, forward=2300.0, t_years=0.1)
    assert dist.lost_mass > 1e-4
    assert np.all(dist.weights >= 0.0) and dist.weights.sum() == pytest.approx(1.0)


def test_strategy_stats_on_a_context() -> None:
    put = rut_option("put", 2200, EXPIRY, settlement="pm")
    t = put.t_years(AS_OF)
    fair = float(
        pricing.european_price(
            kind="put",
            spot=SPOTS["RUT"],
            strike=2200,
            t_years=t,
            rate=RATE,
            div_yield=RUT_YIELD,
            vol=VOL,
        )
    )
    strategy = Strategy("RUT put", (Leg(put, 2, fair),))
    ctx = market()
    rn = pr.strategy_stats(strategy, ctx, method="risk_neutral")
    assert rn.horizon == put.expiry_datetime and rn.symbol == "RUT"
    # paid fair value: the risk-neutral expected P&L is the financing cost of the premium only
    assert rn.expected_pnl == pytest.approx(200 * fair * (math.exp(RATE * t) - 1.0), abs=0.5)
    closed = pr.closed_form_pop_long_option(
        kind="put",
        spot=SPOTS["RUT"],
        strike=2200,
        premium=fair,
        vol=VOL,
        t_years=t,
        drift=RATE - RUT_YIELD,
    )
    assert rn.pop == pytest.approx(closed, abs=1e-6)
    ln = pr.strategy_stats(strategy, ctx, method="lognormal", vol=VOL, drift=RATE - RUT_YIELD)
    assert ln.pop == pytest.approx(closed, abs=1e-9)
    bearish = pr.strategy_stats(strategy, ctx, method="lognormal", vol=VOL, drift=-0.3)
    assert bearish.pop > ln.pop and bearish.expected_pnl > ln.expected_pnl
    with pytest.raises(InputError):
        pr.strategy_stats(strategy, ctx, method="normal")  # type: ignore[arg-type]


def test_scenario_stats_agree_with_run_scenarios() -> None:
    strategy = Strategy("book", (Leg(Shares("IWM"), 100, SPOTS["IWM"]),))
    stats = pr.scenario_stats(strategy, market(), HOUSE_VIEW)
    report = run_scenarios(strategy, market(), HOUSE_VIEW)
    assert stats.expected_pnl == pytest.approx(report.weighted_pnl)
    assert stats.pop == pytest.approx(0.70)  # base and bull are up moves
    assert stats.cvar == pytest.approx(100 * SPOTS["IWM"] * 0.10)


def test_distribution_rejects_bad_inputs() -> None:
    with pytest.raises(InputError):
        pr.lognormal_distribution(100.0, vol=0.0, t_years=1.0)
    with pytest.raises(InputError):
        pr.lognormal_distribution(100.0, vol=0.2, t_years=-1.0)
    ctx = market().bumped(vol=FlatVol(0.2))
    with pytest.raises(InputError):
        pr.context_risk_neutral(ctx, "RUT", AS_OF)
