"""Implied vol of whole chains: round trips, the fast path against vollib, per-quote statuses.

"Meaningful vega" (see :mod:`pricing.implied_vol`): BSM vega per 1.00 of vol >= 1e-4 x spot.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pricing
import pricing.american
from pricing import reference
from pricing.errors import ImpliedVolError, InputError
from pricing.implied_vol import MEANINGFUL_VEGA_REL, implied_vol, implied_vol_black76
from pricing.iv_result import ImpliedVolResult
from pricing.types import DividendSchedule

STATUSES = {"ok", "below_intrinsic", "above_ceiling", "no_time_value", "expired", "no_convergence"}


@st.composite
def markets(draw: st.DrawFn, *, max_abs_log_moneyness: float = 1.0) -> dict[str, Any]:
    spot = draw(st.floats(5.0, 5000.0))
    return {
        "kind": draw(st.sampled_from(["call", "put"])),
        "spot": spot,
        "strike": spot * math.exp(draw(st.floats(-max_abs_log_moneyness, max_abs_log_moneyness))),
        "t_years": draw(st.floats(1.0 / 365.0, 5.0)),
        "rate": draw(st.floats(-0.01, 0.10)),
        "div_yield": draw(st.floats(0.0, 0.08)),
        "vol": draw(st.floats(0.03, 2.0)),
    }


def vega_per_unit(kw: dict[str, Any]) -> float:
    return float(pricing.european_greeks(**kw).vega) * 100.0


def without_vol(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if k != "vol"}


def check_result_invariants(res: ImpliedVolResult) -> None:
    """NaN exactly where the status is not ok; never a vol of 0 or below; known statuses."""
    ok = res.status == "ok"
    assert np.all(np.isfinite(res.vol[ok])) and np.all(res.vol[ok] > 0.0)
    assert np.all(np.isnan(res.vol[~ok]))
    for status in np.asarray(res.status).reshape(-1):
        assert status in STATUSES or status.startswith("bad_input:")


# ------------------------------------------------------------------------------------------
# Round trips and agreement with vollib


@given(markets())
def test_round_trip_recovers_the_vol(kw: dict[str, Any]) -> None:
    """price(vol) -> implied vol gives vol back to 1e-10 relative wherever vega is meaningful.

    The price of a deep in-the-money option is only known to a few ulps of spot/strike, so the
    allowance also includes that rounding divided by the vega (it is below 1e-10 x vol as soon
    as vega per 1.00 >= 1e-3 x spot).
    """
    price = pricing.european_price(**kw)
    res = implied_vol(**without_vol(kw), price=price)
    check_result_invariants(res)
    vega = vega_per_unit(kw)
    if vega < MEANINGFUL_VEGA_REL * kw["spot"]:
        assert str(res.status) in (
            "ok",
            "no_time_value",
            "bad_input:price",
        )  # price may underflow to 0
        return
    assert str(res.status) == "ok"
    rounding = 8.0 * np.finfo(float).eps * max(kw["spot"], kw["strike"]) / vega
    assert abs(float(res.vol) - kw["vol"]) <= 1e-10 * kw["vol"] + rounding
    if vega >= 1e-3 * kw["spot"]:
        assert float(res.vol) == pytest.approx(kw["vol"], rel=1e-10)


@given(st.lists(markets(), min_size=1, max_size=30))
def test_fast_path_matches_vollib(batch: list[dict[str, Any]]) -> None:
    """Same quotes through the numba path and a loop over vollib: equal to 1e-10 in vol wherever
    vega is meaningful; the fast path never finds a vol where vollib finds none."""
    cols = {
        f: np.array([kw[f] for kw in batch])
        for f in ("spot", "strike", "t_years", "rate", "div_yield")
    }
    kinds = np.array([kw["kind"] for kw in batch])
    prices = np.array([reference.reference_price(**kw) for kw in batch])
    fast = implied_vol(kind=kinds, **cols, price=prices)
    slow = implied_vol(kind=kinds, **cols, price=prices, engine="vollib")
    loop = reference.reference_implied_vol_chain(kind=kinds, **cols, price=prices)
    check_result_invariants(fast)
    check_result_invariants(slow)
    np.testing.assert_array_equal(slow.status, loop.status)
    np.testing.assert_array_equal(slow.vol, loop.vol)
    assert not np.any(fast.ok & ~slow.ok)
    vega = np.array([vega_per_unit(kw) for kw in batch])
    meaningful = vega >= MEANINGFUL_VEGA_REL * cols["spot"]
    assert np.all(fast.ok[meaningful])
    assert np.all(np.abs(fast.vol - slow.vol)[meaningful] <= 1e-10)
    # Everywhere both find a vol they agree to rounding: the only differences come from a few
    # ulps in the forward and the discount factor (numpy's exp against libm's), amplified by 1/vega.
    both = fast.ok & slow.ok
    rounding = (
        64.0
        * np.finfo(float).eps
        * np.maximum(cols["spot"], cols["strike"])
        / np.maximum(vega, 1e-300)
    )
    assert np.all(np.abs(fast.vol - slow.vol)[both] <= (1e-13 + rounding)[both])


@given(markets(), st.floats(0.0, 3.0))
def test_any_positive_price_gets_a_vol_or_a_reason(kw: dict[str, Any], factor: float) -> None:
    """Arbitrary prices (below intrinsic, above the ceiling, in between): a vol > 0 or a status,
    never 0; below/above the no-arbitrage bounds exactly when they should be."""
    s, k, t, r, q = kw["spot"], kw["strike"], kw["t_years"], kw["rate"], kw["div_yield"]
    upper = s * math.exp(-q * t) if kw["kind"] == "call" else k * math.exp(-r * t)
    price = upper * factor / 2.0
    if price <= 0:
        return
    res = implied_vol(**without_vol(kw), price=price)
    check_result_invariants(res)
    w = 1.0 if kw["kind"] == "call" else -1.0
    lower = max(w * (s * math.exp(-q * t) - k * math.exp(-r * t)), 0.0)
    status = str(res.status)
    # Within 1e-12 x max(F, K) of the intrinsic value a price carries no time value (see
    # pricing.implied_vol); allow for that band (and a little rounding) around the bounds.
    band = 2e-12 * max(s, k) * math.exp(abs(r - q) * t + abs(r) * t)
    if price >= upper * (1 + 1e-12):
        assert status == "above_ceiling"
    elif price < lower - band:
        assert status == "below_intrinsic"
    elif price <= lower + band:
        assert status in ("below_intrinsic", "no_time_value", "ok", "no_convergence")
    elif status == "ok":
        repriced = pricing.european_price(**{**kw, "vol": min(float(res.vol), 5.0)})
        if float(res.vol) <= 5.0:
            assert float(repriced) == pytest.approx(price, rel=1e-9, abs=1e-12 * max(s, k))


@given(markets())
def test_black76_matches_bsm_with_yield_equal_to_rate(kw: dict[str, Any]) -> None:
    kw = {**kw, "div_yield": kw["rate"]}
    price = pricing.european_price(**kw)
    bsm = implied_vol(**without_vol(kw), price=price)
    b76 = implied_vol_black76(
        kind=kw["kind"],
        forward=kw["spot"],
        strike=kw["strike"],
        t_years=kw["t_years"],
        rate=kw["rate"],
        price=price,
    )
    assert str(bsm.status) == str(b76.status)
    if bsm.ok:
        assert float(b76.vol) == pytest.approx(float(bsm.vol), rel=1e-13)
    b76_ref = implied_vol_black76(
        kind=kw["kind"],
        forward=kw["spot"],
        strike=kw["strike"],
        t_years=kw["t_years"],
        rate=kw["rate"],
        price=price,
        engine="vollib",
    )
    if b76.ok and vega_per_unit(kw) >= MEANINGFUL_VEGA_REL * kw["spot"]:
        assert abs(float(b76.vol) - float(b76_ref.vol)) <= 1e-10


def test_black76_round_trip_on_a_rut_chain() -> None:
    forward, t, r = 2050.0, 31.0 / 365.0, 0.043
    strikes = np.arange(1700.0, 2400.0, 25.0)
    vols = 0.22 + 0.15 * (np.log(strikes / forward)) ** 2 - 0.1 * np.log(strikes / forward)
    kinds = np.where(strikes < forward, "put", "call")
    prices = pricing.black76_price(
        kind=kinds, forward=forward, strike=strikes, t_years=t, rate=r, vol=vols
    )
    res = implied_vol_black76(
        kind=kinds, forward=forward, strike=strikes, t_years=t, rate=r, price=prices
    )
    assert res.ok.all()
    np.testing.assert_allclose(res.vol, vols, rtol=1e-12)


# ------------------------------------------------------------------------------------------
# Statuses, one per quote

BASE: dict[str, Any] = {
    "kind": "call",
    "spot": 100.0,
    "strike": 50.0,
    "t_years": 0.5,
    "rate": 0.04,
    "div_yield": 0.0,
}


def test_each_reason_on_one_chain_without_raising() -> None:
    ok_price = float(pricing.european_price(**{**BASE, "strike": 100.0, "vol": 0.3}))
    deep_itm = float(pricing.european_price(**{**BASE, "strike": 20.0, "vol": 0.15}))
    res = implied_vol(
        kind=["call", "call", "call", "call", "call", "straddle", "put", "call", "call"],
        spot=[100.0, 100.0, 100.0, 100.0, 100.0, 100.0, -3.0, 100.0, 100.0],
        strike=[100.0, 50.0, 50.0, 20.0, 100.0, 100.0, 100.0, np.nan, 100.0],
        t_years=[0.5, 0.5, 0.5, 0.5, 0.0, 0.5, 0.5, 0.5, -0.1],
        rate=0.04,
        price=[ok_price, 10.0, 150.0, deep_itm, 1.0, ok_price, 5.0, 5.0, 5.0],
    )
    assert res.status.tolist() == [
        "ok",
        "below_intrinsic",
        "above_ceiling",
        "no_time_value",
        "expired",
        "bad_input:kind",
        "bad_input:spot",
        "bad_input:strike",
        "bad_input:t_years",
    ]
    assert float(res.vol[0]) == pytest.approx(0.3, rel=1e-12)
    check_result_invariants(res)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spot", 0.0),
        ("spot", math.nan),
        ("spot", math.inf),
        ("strike", -1.0),
        ("strike", math.inf),
        ("t_years", -1e-9),
        ("t_years", math.nan),
        ("rate", math.nan),
        ("rate", -math.inf),
        ("div_yield", math.nan),
        ("price", 0.0),
        ("price", -1.0),
        ("price", math.nan),
        ("price", math.inf),
    ],
)
def test_bad_input_is_a_status_naming_the_field(field: str, value: float) -> None:
    good = float(pricing.european_price(**{**BASE, "strike": 100.0, "vol": 0.3}))
    quotes = {**BASE, "strike": 100.0, "price": good}
    column = np.array([quotes[field], value, quotes[field]], dtype=float)
    res = implied_vol(**{**quotes, field: column})
    assert res.status.tolist() == ["ok", f"bad_input:{field}", "ok"]
    assert np.isnan(res.vol[1])
    assert res.vol[0] == pytest.approx(0.3, rel=1e-12) and res.vol[2] == res.vol[0]


def test_unknown_kinds_in_any_form() -> None:
    res = implied_vol(
        **{
            **BASE,
            "kind": np.array(["C", "P", "bogus", "Call"], dtype=object),
            "strike": 100.0,
            "price": 5.0,
        }
    )
    assert res.status.tolist()[2] == "bad_input:kind"
    assert res.ok.tolist() == [True, True, False, True]
    signs = implied_vol(**{**BASE, "kind": np.array([1, -1, 0]), "strike": 100.0, "price": 5.0})
    assert signs.status.tolist() == ["ok", "ok", "bad_input:kind"]
    assert (
        implied_vol(**{**BASE, "kind": "bogus", "strike": 100.0, "price": 5.0}).status
        == "bad_input:kind"
    )


def test_deep_in_the_money_with_no_time_value_is_not_zero() -> None:
    """The classic trap: a solver without a time-value guard returns 0.0 here."""
    kw = {**BASE, "kind": "put", "spot": 50.0, "strike": 100.0, "rate": 0.0, "t_years": 0.05}
    price = float(pricing.european_price(**kw, vol=0.1))
    assert price == 50.0  # the time value is below one ulp
    for engine in ("default", "vollib"):
        res = implied_vol(**kw, price=price, engine=engine)
        assert res.status == "no_time_value" and np.isnan(res.vol)
    with pytest.raises(ImpliedVolError) as err:
        reference.reference_implied_vol(**kw, price=price)
    assert err.value.reason == "no_time_value"


def test_shapes_broadcast_and_scalars_give_zero_d_results() -> None:
    strikes = np.array([[90.0], [100.0], [110.0]])
    times = np.array([0.1, 0.5, 1.0, 2.0])
    prices = pricing.european_price(
        kind="put", spot=100.0, strike=strikes, t_years=times, rate=0.03, vol=0.25
    )
    res = implied_vol(
        kind="put", spot=100.0, strike=strikes, t_years=times, rate=0.03, price=prices
    )
    assert res.vol.shape == res.status.shape == (3, 4)
    np.testing.assert_allclose(res.vol, 0.25, rtol=1e-12)
    scalar = implied_vol(kind="put", spot=100.0, strike=100.0, t_years=0.5, rate=0.03, price=7.0)
    assert scalar.vol.shape == () and scalar.status.shape == ()
    with pytest.raises(InputError) as err:
        implied_vol(
            kind="put", spot=[1.0, 2.0], strike=[1.0, 2.0, 3.0], t_years=0.5, rate=0.0, price=1.0
        )
    assert err.value.field == "shape"


def test_empty_chain() -> None:
    res = implied_vol(
        kind="call", spot=100.0, strike=np.array([]), t_years=0.5, rate=0.0, price=np.array([])
    )
    assert res.vol.shape == (0,) and res.status.shape == (0,)


def test_unknown_engine_and_style_raise() -> None:
    with pytest.raises(InputError) as err:
        implied_vol(**BASE, price=55.0, engine="warp")
    assert err.value.field == "engine"
    with pytest.raises(InputError) as err:
        implied_vol(**BASE, price=55.0, style="bermudan")
    assert err.value.field == "style"


def test_non_numeric_input_raises_naming_the_field() -> None:
    with pytest.raises(InputError) as err:
        implied_vol(**{**BASE, "spot": "abc"}, price=55.0)
    assert err.value.field == "spot"


# ------------------------------------------------------------------------------------------
# Cash dividends (escrowed model) and the American dispatch


@given(markets(max_abs_log_moneyness=0.5), st.floats(0.0, 0.02), st.floats(0.01, 0.24))
def test_cash_dividends_round_trip(kw: dict[str, Any], amount_frac: float, first: float) -> None:
    divs = DividendSchedule((first, first + 0.25, first + 0.5), (amount_frac * kw["spot"],) * 3)
    kw = {**kw, "div_yield": 0.0}
    price = pricing.european_price(**kw, dividends=divs)
    res = implied_vol(**without_vol(kw), price=price, dividends=divs)
    check_result_invariants(res)
    escrowed = kw["spot"] - float(pricing.dividends.pv_dividends(divs, kw["t_years"], kw["rate"]))
    vega = vega_per_unit({**kw, "spot": escrowed})
    if vega >= 1e-3 * kw["spot"]:
        assert float(res.vol) == pytest.approx(kw["vol"], rel=1e-10)


def test_dividends_worth_more_than_the_spot_are_a_status() -> None:
    divs = DividendSchedule((0.1,), (60.0,))
    res = implied_vol(
        kind="call",
        spot=[100.0, 50.0],
        strike=50.0,
        t_years=0.5,
        rate=0.0,
        price=5.0,
        dividends=divs,
    )
    assert res.status.tolist()[1] == "bad_input:dividends"
    # A dividend after expiry does not count.
    after = implied_vol(
        kind="call", spot=50.0, strike=50.0, t_years=0.05, rate=0.0, price=2.0, dividends=divs
    )
    assert after.status == "ok"


def test_american_style_dispatches_with_the_same_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    sentinel = ImpliedVolResult(vol=np.array([0.2]), status=np.array(["ok"]))

    def fake(**kwargs: Any) -> ImpliedVolResult:
        seen.update(kwargs)
        return sentinel

    monkeypatch.setattr(pricing.american, "american_implied_vol", fake, raising=False)
    divs = DividendSchedule((0.1,), (0.5,))
    got = implied_vol(
        kind="put",
        spot=220.0,
        strike=230.0,
        t_years=0.5,
        rate=0.04,
        div_yield=0.0,
        price=15.0,
        style="american",
        dividends=divs,
        engine="fd",
    )
    assert got is sentinel
    assert seen == {
        "kind": "put",
        "spot": 220.0,
        "strike": 230.0,
        "t_years": 0.5,
        "rate": 0.04,
        "div_yield": 0.0,
        "price": 15.0,
        "dividends": divs,
        "engine": "fd",
    }


# ------------------------------------------------------------------------------------------
# The vollib reference wrappers and their traps


def test_reference_below_intrinsic_is_caught_as_a_reason() -> None:
    """lets_be_rational's BelowIntrinsicException escapes vollib's own PriceIsBelowIntrinsic."""
    with pytest.raises(ImpliedVolError) as err:
        reference.reference_implied_vol(**BASE, price=10.0)
    assert err.value.reason == "below_intrinsic"
    with pytest.raises(ImpliedVolError) as err:
        reference.reference_implied_vol(**BASE, price=150.0)
    assert err.value.reason == "above_ceiling"
    with pytest.raises(ImpliedVolError) as err:
        reference.reference_implied_vol_black76(
            kind="put", forward=100.0, strike=50.0, t_years=0.5, rate=0.0, price=60.0
        )
    assert err.value.reason == "above_ceiling"


def test_reference_expired_and_zero_strike_do_not_divide_by_zero() -> None:
    with pytest.raises(ImpliedVolError) as err:
        reference.reference_implied_vol(**{**BASE, "t_years": 0.0}, price=50.0)
    assert err.value.reason == "expired"
    with pytest.raises(InputError) as ierr:
        reference.reference_implied_vol(**{**BASE, "strike": 0.0}, price=50.0)
    assert ierr.value.field == "strike"
    with pytest.raises(InputError) as ierr:
        reference.reference_black76_price(
            kind="c", forward=100.0, strike=0.0, t_years=1.0, rate=0.0, vol=0.2
        )
    assert ierr.value.field == "strike"


def test_reference_round_trip_and_argument_orders() -> None:
    kw = {
        "kind": "put",
        "spot": 100.0,
        "strike": 95.0,
        "t_years": 0.4,
        "rate": 0.04,
        "div_yield": 0.01,
    }
    price = reference.reference_price(**kw, vol=0.31)
    assert reference.reference_implied_vol(**kw, price=price) == pytest.approx(0.31, abs=1e-12)
    fwd = 100.0 * math.exp((0.04 - 0.01) * 0.4)
    b76 = reference.reference_black76_price(
        kind="put", forward=fwd, strike=95.0, t_years=0.4, rate=0.04, vol=0.31
    )
    assert b76 == pytest.approx(price, rel=1e-12)
    iv = reference.reference_implied_vol_black76(
        kind="put", forward=fwd, strike=95.0, t_years=0.4, rate=0.04, price=b76
    )
    assert iv == pytest.approx(0.31, abs=1e-12)


# ------------------------------------------------------------------------------------------
# The compiled solver's parts: engines, guess, table, chunks


@given(st.lists(markets(), min_size=1, max_size=30))
def test_lbr_port_matches_vollib(batch: list[dict[str, Any]]) -> None:
    """The numba port of Let's Be Rational alone (engine "lbr") against vollib."""
    cols = {
        f: np.array([kw[f] for kw in batch])
        for f in ("spot", "strike", "t_years", "rate", "div_yield")
    }
    kinds = np.array([kw["kind"] for kw in batch])
    prices = np.array([reference.reference_price(**kw) for kw in batch])
    port = implied_vol(kind=kinds, **cols, price=prices, engine="lbr")
    slow = implied_vol(kind=kinds, **cols, price=prices, engine="vollib")
    fast = implied_vol(kind=kinds, **cols, price=prices)
    np.testing.assert_array_equal(port.status, fast.status)
    vega = np.array([vega_per_unit(kw) for kw in batch])
    meaningful = vega >= MEANINGFUL_VEGA_REL * cols["spot"]
    assert np.all(np.abs(port.vol - slow.vol)[meaningful] <= 1e-10)
    assert np.all(np.abs(port.vol - fast.vol)[meaningful] <= 1e-12)


def test_a_large_chain_runs_in_chunks_and_agrees_across_engines() -> None:
    """More quotes than one chunk (so helper threads take part): every engine, same vols."""
    from pricing.fast_kernels import CHUNK

    rng = np.random.default_rng(11)
    n = 3 * CHUNK + 17
    spot = 220.0
    t = np.exp(rng.uniform(np.log(2 / 365), np.log(2.0), n))
    vol = rng.uniform(0.1, 0.8, n)
    strike = spot * np.exp(rng.uniform(-2.5, 2.5, n) * vol * np.sqrt(t))
    kind = np.where(rng.random(n) < 0.5, "call", "put")
    rate, q = 0.045, 0.012
    price = pricing.european_price(
        kind=kind, spot=spot, strike=strike, t_years=t, rate=rate, div_yield=q, vol=vol
    )
    fast = implied_vol(
        kind=kind, spot=spot, strike=strike, t_years=t, rate=rate, div_yield=q, price=price
    )
    port = implied_vol(
        kind=kind,
        spot=spot,
        strike=strike,
        t_years=t,
        rate=rate,
        div_yield=q,
        price=price,
        engine="lbr",
    )
    assert fast.ok.all() and port.ok.all()
    np.testing.assert_allclose(fast.vol, vol, rtol=1e-10)
    np.testing.assert_allclose(fast.vol, port.vol, rtol=1e-13)
    sample = slice(0, n, 97)
    slow = implied_vol(
        kind=kind[sample],
        spot=spot,
        strike=strike[sample],
        t_years=t[sample],
        rate=rate,
        div_yield=q,
        price=price[sample],
        engine="vollib",
    )
    np.testing.assert_allclose(fast.vol[sample], slow.vol, rtol=1e-13)


def test_polya_guess_inverts_polya_black_exactly() -> None:
    from pricing import fast_kernels as fk

    # (Above s ~ 3 the closed form loses digits to cancellation, and the table build drops
    # such nodes: see _fill_guess_table.)
    rng = np.random.default_rng(5)
    for _ in range(2000):
        s = float(np.exp(rng.uniform(np.log(1e-3), np.log(3.0))))
        x = -s * float(rng.uniform(0.0, 3.0))
        beta = fk._polya_black_call(x, s)
        if not 0.0 < beta < math.exp(0.5 * x):
            continue
        assert fk._polya_guess(beta, x) == pytest.approx(s, rel=1e-8)


def test_table_corrected_guess_is_within_its_stated_accuracy() -> None:
    """The guess the single Householder step starts from is within 3e-5 of the root wherever the
    table covers the quote; without the table, Pólya's guess alone is within 20 %."""
    from pricing import fast_kernels as fk

    table = fk.make_guess_table()
    rng = np.random.default_rng(8)
    worst_table = worst_polya = 0.0
    covered = 0
    for _ in range(5000):
        s = float(np.exp(rng.uniform(np.log(2e-3), np.log(4.0))))
        x = -s * float(rng.uniform(0.0, 4.4))
        beta = fk.normalised_black_call(x, s)
        if not beta > 0.0:
            continue
        guess = fk._polya_guess(beta, x)
        worst_polya = max(worst_polya, abs(guess / s - 1.0))
        correction = fk._table_correction(table, x / guess, math.log(guess))
        if correction > 0.0:
            covered += 1
            worst_table = max(worst_table, abs(guess * correction / s - 1.0))
    assert covered > 4000
    assert worst_table < 3e-5
    assert worst_polya < 0.2


def test_run_in_chunks_covers_every_index_once() -> None:
    from pricing.fast_kernels import run_in_chunks

    seen = np.zeros(10_001, dtype=np.int64)

    def work(start: int, stop: int) -> None:
        seen[start:stop] += 1

    run_in_chunks(seen.size, work, chunk=64)
    assert np.all(seen == 1)
    run_in_chunks(0, work)
    assert np.all(seen == 1)


def test_errors_in_a_helper_thread_propagate() -> None:
    from pricing.fast_kernels import run_in_chunks

    def work(start: int, stop: int) -> None:
        if start >= 64:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_in_chunks(1000, work, chunk=64)


def test_concurrent_calls_from_several_threads() -> None:
    """Textual workers may solve chains while the main thread does too: the shared helper pool
    must neither mix results nor deadlock."""
    from concurrent.futures import ThreadPoolExecutor

    from pricing import fast_kernels as fk

    strike = 100.0 * np.exp(np.random.default_rng(21).uniform(-0.3, 0.3, 3 * fk.CHUNK))

    def chain(vol: float) -> ImpliedVolResult:
        price = pricing.european_price(
            kind="put", spot=100.0, strike=strike, t_years=0.3, rate=0.03, vol=vol
        )
        return implied_vol(
            kind="put", spot=100.0, strike=strike, t_years=0.3, rate=0.03, price=price
        )

    vols = [0.1 + 0.05 * i for i in range(8)]
    sequential = [chain(v) for v in vols]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(chain, vols))
    for one, other, vol in zip(sequential, concurrent, vols, strict=True):
        np.testing.assert_array_equal(one.vol, other.vol)
        np.testing.assert_array_equal(one.status, other.status)
        assert np.nanmedian(np.abs(one.vol - vol)) < 1e-14


def test_time_value_tolerance_is_one_constant() -> None:
    from pricing import fast_kernels as fk
    from pricing.implied_vol import NO_TIME_VALUE_RTOL

    assert NO_TIME_VALUE_RTOL == fk.NO_TIME_VALUE_RTOL
