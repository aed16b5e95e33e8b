"""American implied vols for whole chains: round trips, statuses, never raising on a bad quote."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing.american import american_greeks, american_implied_vol, american_price
from pricing.errors import InputError
from pricing.iv_result import ImpliedVolResult
from pricing.types import DividendSchedule

kinds = st.sampled_from(["call", "put"])
IWM_DIVS = DividendSchedule(
    tuple(0.06 + 0.25 * i for i in range(9)), (0.72, 0.81, 0.76, 0.88, 0.70, 0.79, 0.85, 0.74, 0.90)
)


@st.composite
def quotes(draw: st.DrawFn) -> dict[str, float | str]:
    s = draw(st.floats(50.0, 400.0))
    return {
        "kind": draw(kinds),
        "spot": s,
        "strike": s * math.exp(draw(st.floats(-0.4, 0.4))),
        "t_years": draw(st.floats(2.0 / 365.0, 2.0)),
        "rate": draw(st.floats(0.0, 0.08)),
        "div_yield": draw(st.floats(0.0, 0.05)),
        "vol": draw(st.floats(0.06, 1.5)),
    }


def _round_trip(q: dict[str, float | str], dividends: DividendSchedule | None) -> None:
    price = american_price(**q, dividends=dividends)  # type: ignore[arg-type]
    vega = float(american_greeks(**q, dividends=dividends).vega)  # type: ignore[arg-type]
    args = {key: val for key, val in q.items() if key != "vol"}
    res = american_implied_vol(**args, price=price, dividends=dividends)  # type: ignore[arg-type]
    status = str(res.status)
    if vega >= 0.01:
        assert status == "ok", (q, float(price), status)
        assert abs(float(res.vol) - float(q["vol"])) < 2e-5
    else:
        # tiny vega: the price barely depends on the vol (or equals its floor)
        assert status in ("ok", "no_time_value")
        if status == "ok":
            assert float(
                american_price(**{**q, "vol": float(res.vol)}, dividends=dividends)
            ) == pytest.approx(float(price), abs=1e-7 * float(q["spot"]))  # type: ignore[arg-type]
        else:
            assert math.isnan(float(res.vol))


@given(quotes())
def test_round_trip_continuous_yield(q: dict[str, float | str]) -> None:
    _round_trip(q, None)


@given(quotes())
def test_round_trip_cash_dividends(q: dict[str, float | str]) -> None:
    moneyness = float(q["strike"]) / float(q["spot"])
    spot = 220.0 + float(q["spot"]) / 10.0  # IWM-like spots for IWM-like dividends
    _round_trip({**q, "spot": spot, "strike": spot * moneyness, "div_yield": 0.0}, IWM_DIVS)


def test_whole_chain_in_one_call() -> None:
    rng = np.random.default_rng(7)
    n = 400
    s = rng.uniform(220.0, 280.0, n)
    k = s * np.exp(rng.uniform(-0.3, 0.3, n))
    t = np.exp(rng.uniform(np.log(1 / 365), np.log(2.0), n))
    kind = np.where(rng.random(n) < 0.5, "call", "put")
    vol = np.clip(0.2 - 0.3 * np.log(k / s), 0.08, 0.8)
    price = american_price(
        kind=kind, spot=s, strike=k, t_years=t, rate=0.04, vol=vol, dividends=IWM_DIVS
    )
    res = american_implied_vol(
        kind=kind, spot=s, strike=k, t_years=t, rate=0.04, price=price, dividends=IWM_DIVS
    )
    assert isinstance(res, ImpliedVolResult)
    assert res.vol.shape == (n,) and res.status.shape == (n,)
    vega = american_greeks(
        kind=kind, spot=s, strike=k, t_years=t, rate=0.04, vol=vol, dividends=IWM_DIVS
    ).vega
    sure = vega >= 0.01
    assert np.all(res.status[sure] == "ok")
    assert np.abs(res.vol[sure] - vol[sure]).max() < 2e-5
    assert np.all(np.isnan(res.vol[res.status != "ok"]))
    assert not np.any(res.vol == 0.0)


def test_statuses_and_no_raise() -> None:
    base = american_price(kind="put", spot=100.0, strike=100.0, t_years=0.5, rate=0.04, vol=0.25)
    cases = [
        # (kind, spot, strike, t, price, expected status)
        ("put", 100.0, 100.0, 0.5, float(base), "ok"),
        ("put", 100.0, 100.0, 0.0, 1.0, "expired"),
        ("put", 100.0, 100.0, -0.1, 1.0, "expired"),
        ("put", 100.0, 120.0, 0.5, 19.0, "below_intrinsic"),
        ("put", 100.0, 150.0, 0.5, 50.0, "no_time_value"),
        ("call", 100.0, 100.0, 0.5, 100.0, "above_ceiling"),
        ("put", 100.0, 100.0, 0.5, 100.0, "above_ceiling"),
        ("put", 100.0, 100.0, 0.5, 99.0, "above_ceiling"),
        ("call", 100.0, 200.0, 0.5, 0.0, "no_time_value"),
        ("put", math.nan, 100.0, 0.5, 5.0, "bad_input:spot"),
        ("put", 100.0, -5.0, 0.5, 5.0, "bad_input:strike"),
        ("put", 100.0, 100.0, math.nan, 5.0, "bad_input:t_years"),
        ("put", 100.0, 100.0, 0.5, -1.0, "bad_input:price"),
        ("put", 100.0, 100.0, 0.5, math.inf, "bad_input:price"),
        ("straddle", 100.0, 100.0, 0.5, 5.0, "bad_input:kind"),
    ]
    kind, spot, strike, t, price, expected = (list(col) for col in zip(*cases, strict=True))
    res = american_implied_vol(
        kind=kind, spot=spot, strike=strike, t_years=t, rate=0.04, price=price
    )
    assert list(res.status) == expected
    assert float(res.vol[0]) == pytest.approx(0.25, abs=1e-6)
    assert np.all(np.isnan(res.vol[1:]))


def test_bad_rate_and_yield_are_per_quote() -> None:
    res = american_implied_vol(
        kind="put",
        spot=100.0,
        strike=100.0,
        t_years=0.5,
        rate=[0.04, math.nan, 0.04],
        div_yield=[0.0, 0.0, math.inf],
        price=5.0,
    )
    assert list(res.status) == ["ok", "bad_input:rate", "bad_input:div_yield"]


def test_dividends_at_or_above_spot_flag_the_quote() -> None:
    divs = DividendSchedule((0.1,), (60.0,))
    res = american_implied_vol(
        kind="put",
        spot=[50.0, 200.0],
        strike=100.0,
        t_years=0.5,
        rate=0.04,
        price=[50.0, 5.0],
        dividends=divs,
    )
    assert res.status[0] == "bad_input:dividends"
    assert res.status[1] in ("ok", "no_time_value", "below_intrinsic")


def test_shape_is_kept() -> None:
    k = np.array([[90.0, 100.0, 110.0], [95.0, 105.0, 115.0]])
    price = american_price(kind="call", spot=100.0, strike=k, t_years=0.4, rate=0.03, vol=0.3)
    res = american_implied_vol(
        kind="call", spot=100.0, strike=k, t_years=0.4, rate=0.03, price=price
    )
    assert res.vol.shape == (2, 3) and res.status.shape == (2, 3)
    assert np.allclose(res.vol, 0.3, atol=1e-6)


def test_vol_ceiling() -> None:
    """A price only reachable with a vol above 5.0 is above the ceiling, not a huge vol."""
    high = float(
        american_price(kind="call", spot=100.0, strike=100.0, t_years=1.0, rate=0.02, vol=5.0)
    )
    res = american_implied_vol(
        kind="call", spot=100.0, strike=100.0, t_years=1.0, rate=0.02, price=min(high + 0.5, 99.9)
    )
    assert res.status[()] == "above_ceiling"


def test_non_numeric_arrays_raise_with_field() -> None:
    with pytest.raises(InputError) as info:
        american_implied_vol(
            kind="put", spot="abc", strike=100.0, t_years=0.5, rate=0.04, price=5.0
        )
    assert info.value.field == "spot"


def test_engines_agree() -> None:
    """QuantLib-based inversions agree with the default within their own grid errors."""
    q = {
        "kind": ["put", "call"],
        "spot": 100.0,
        "strike": [105.0, 95.0],
        "t_years": 0.75,
        "rate": 0.05,
        "div_yield": 0.02,
    }
    price = american_price(**q, vol=0.3)
    fast = american_implied_vol(**q, price=price)
    qdfp = american_implied_vol(**q, price=price, engine="qdfp")
    fd = american_implied_vol(**q, price=price, engine="fd")
    assert np.all(fast.status == "ok") and np.all(qdfp.status == "ok") and np.all(fd.status == "ok")
    assert np.abs(fast.vol - 0.3).max() < 1e-6
    assert np.abs(qdfp.vol - 0.3).max() < 1e-4
    # QuantLib's impliedVolatility uses its FD engine on a fixed 100 x 100 grid
    assert np.abs(fd.vol - 0.3).max() < 5e-3


def test_quantlib_implied_vol_needs_the_dividends() -> None:
    """The trap: inverting a cash-dividend price without the dividends biases the vol."""
    from pricing import quantlib_engines as qe

    price = american_price(
        kind="put", spot=250.0, strike=250.0, t_years=1.0, rate=0.04, vol=0.25, dividends=IWM_DIVS
    )
    args = [np.array([x]) for x in (-1.0, 250.0, 250.0, 1.0, 0.04, 0.0)]
    with_divs = qe.ql_implied_vol(*args, np.atleast_1d(price), IWM_DIVS)[0]
    without = qe.ql_implied_vol(*args, np.atleast_1d(price), None)[0]
    assert abs(with_divs - 0.25) < 2e-3
    assert abs(without - 0.25) > 5e-3


def test_vols_land_on_the_default_engines_root() -> None:
    """Both methods' vols against the default engine's own root, found by bisection on
    ``american_price`` to 1e-12: the root search stops about 1e-6 away at most (2.6e-6
    measured on the demo IWM chain); the chain method adds its interpolation error (5e-5 by
    its check)."""
    rng = np.random.default_rng(3)
    n = 48
    spot = 240.0
    strike = spot * np.exp(rng.uniform(-0.25, 0.25, n))
    t = rng.choice([0.1, 0.35, 0.6, 1.1], n)
    kind = np.where(rng.random(n) < 0.5, "call", "put")
    true_vol = 0.16 + 0.1 * np.abs(np.log(strike / spot))
    common = {"kind": kind, "spot": spot, "strike": strike, "t_years": t, "rate": 0.04}
    price = american_price(**common, vol=true_vol, dividends=IWM_DIVS)
    lo, hi = np.full(n, 0.01), np.full(n, 1.0)
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        above = american_price(**common, vol=mid, dividends=IWM_DIVS) > price
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    root = 0.5 * (lo + hi)
    for method, tol in (("per_quote", 5e-6), ("chain", 1e-4)):
        res = american_implied_vol(**common, price=price, dividends=IWM_DIVS, method=method)
        assert (res.status == "ok").all(), method
        assert np.max(np.abs(res.vol - root)) < tol, method
