"""Properties of the European (Black-Scholes-Merton, Black-76) pricing functions and kernels.

No-arbitrage relations, analytic Greeks against central differences, the numba kernel against
the numpy kernel and vollib, unit conventions at vollib's and QuantLib's boundaries, and input
validation. Tolerances are absolute floors scaled by spot/strike plus a relative part; they are
far below anything economically visible and far above rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import pricing
from pricing import reference
from pricing.black_scholes import generalized_greeks, generalized_price
from pricing.errors import InputError
from pricing.fast_kernels import price_greeks

GREEKS = ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm")

kinds = st.sampled_from(["call", "put"])
spots = st.floats(5.0, 5000.0)
log_moneyness = st.floats(-1.0, 1.0)
times = st.floats(1.0 / 365.0, 5.0)
rates = st.floats(-0.01, 0.10)
yields = st.floats(0.0, 0.08)
vols = st.floats(0.03, 2.0)


@st.composite
def markets(draw: st.DrawFn) -> dict[str, Any]:
    """One European option's inputs: IWM/RUT-like ranges, strikes within e^±1 of spot."""
    spot = draw(spots)
    return {
        "kind": draw(kinds),
        "spot": spot,
        "strike": spot * math.exp(draw(log_moneyness)),
        "t_years": draw(times),
        "rate": draw(rates),
        "div_yield": draw(yields),
        "vol": draw(vols),
    }


def price(**kw: Any) -> float:
    return float(pricing.european_price(**kw))


def scale(kw: dict[str, Any]) -> float:
    return float(max(kw["spot"], kw["strike"]))


# ------------------------------------------------------------------------------------------
# No-arbitrage relations


@given(markets())
def test_put_call_parity(kw: dict[str, Any]) -> None:
    call = price(**{**kw, "kind": "call"})
    put = price(**{**kw, "kind": "put"})
    s, k, t, r, q = kw["spot"], kw["strike"], kw["t_years"], kw["rate"], kw["div_yield"]
    assert call - put == pytest.approx(
        s * math.exp(-q * t) - k * math.exp(-r * t), abs=1e-12 * scale(kw)
    )


@given(markets())
def test_no_arbitrage_bounds(kw: dict[str, Any]) -> None:
    s, k, t, r, q = kw["spot"], kw["strike"], kw["t_years"], kw["rate"], kw["div_yield"]
    fwd_s, pv_k = s * math.exp(-q * t), k * math.exp(-r * t)
    value = price(**kw)
    tol = 1e-12 * scale(kw)
    if kw["kind"] == "call":
        assert max(fwd_s - pv_k, 0.0) - tol <= value <= fwd_s + tol
    else:
        assert max(pv_k - fwd_s, 0.0) - tol <= value <= pv_k + tol


@given(markets(), st.floats(0.001, 0.5))
def test_monotone_in_strike(kw: dict[str, Any], step: float) -> None:
    low = price(**kw)
    high = price(**{**kw, "strike": kw["strike"] * (1.0 + step)})
    tol = 1e-12 * scale(kw) * (1.0 + step)
    if kw["kind"] == "call":
        assert high <= low + tol
    else:
        assert high >= low - tol


@given(markets(), st.floats(0.001, 1.0))
def test_monotone_in_vol(kw: dict[str, Any], step: float) -> None:
    up = {**kw, "vol": min(kw["vol"] + step, 5.0)}
    assert price(**up) >= price(**kw) - 1e-12 * scale(kw)


@given(markets(), st.floats(0.001, 2.0))
def test_monotone_in_time(kw: dict[str, Any], step: float) -> None:
    """Calls without dividends and puts at zero rate gain value with time (in general a European
    option need not: deep in-the-money puts lose from discounting)."""
    if kw["kind"] == "call":
        kw = {**kw, "div_yield": 0.0, "rate": abs(kw["rate"])}
    else:
        kw = {**kw, "rate": 0.0}
    later = {**kw, "t_years": kw["t_years"] + step}
    assert price(**later) >= price(**kw) - 1e-12 * scale(later)


@given(markets(), st.floats(0.001, 0.3))
def test_black76_undiscounted_is_monotone_in_time(kw: dict[str, Any], step: float) -> None:
    f, k, t, r, v = kw["spot"], kw["strike"], kw["t_years"], kw["rate"], kw["vol"]
    now = float(
        pricing.black76_price(kind=kw["kind"], forward=f, strike=k, t_years=t, rate=r, vol=v)
    )
    later = float(
        pricing.black76_price(kind=kw["kind"], forward=f, strike=k, t_years=t + step, rate=r, vol=v)
    )
    assert later * math.exp(r * (t + step)) >= now * math.exp(r * t) - 1e-12 * scale(kw)


@given(markets(), st.floats(0.005, 0.3))
def test_convex_in_strike(kw: dict[str, Any], step: float) -> None:
    k = kw["strike"]
    width = k * step
    left = price(**{**kw, "strike": k - width * 0.999})
    mid = price(**kw)
    right = price(**{**kw, "strike": k + width})
    # Uneven wings (0.999 w on the left) keep the check honest about the weights.
    w_left, w_right = width / (width + 0.999 * width), 0.999 * width / (width + 0.999 * width)
    assert w_left * left + w_right * right >= mid - 1e-11 * scale(kw)


@given(markets(), st.floats(0.001, 0.5))
def test_vertical_spread_between_zero_and_discounted_width(kw: dict[str, Any], step: float) -> None:
    k_low, k_high = kw["strike"], kw["strike"] * (1.0 + step)
    p_low, p_high = price(**kw), price(**{**kw, "strike": k_high})
    spread = p_low - p_high if kw["kind"] == "call" else p_high - p_low
    width = (k_high - k_low) * math.exp(-kw["rate"] * kw["t_years"])
    tol = 1e-12 * scale(kw) * (1.0 + step)
    assert -tol <= spread <= width + tol


@given(markets())
def test_black76_equals_bsm_with_yield_equal_to_rate(kw: dict[str, Any]) -> None:
    bsm = price(**{**kw, "div_yield": kw["rate"]})
    b76 = float(
        pricing.black76_price(
            kind=kw["kind"],
            forward=kw["spot"],
            strike=kw["strike"],
            t_years=kw["t_years"],
            rate=kw["rate"],
            vol=kw["vol"],
        )
    )
    assert b76 == pytest.approx(bsm, rel=1e-12, abs=1e-13 * scale(kw))
    g_bsm = pricing.european_greeks(**{**kw, "div_yield": kw["rate"]})
    g_b76 = pricing.black76_greeks(
        kind=kw["kind"],
        forward=kw["spot"],
        strike=kw["strike"],
        t_years=kw["t_years"],
        rate=kw["rate"],
        vol=kw["vol"],
    )
    for name in ("delta", "gamma", "vega", "vanna", "volga"):
        assert float(getattr(g_b76, name)) == pytest.approx(
            float(getattr(g_bsm, name)), rel=1e-9, abs=1e-13
        )


# ------------------------------------------------------------------------------------------
# Greeks against central differences (all eight)


@st.composite
def moderate_markets(draw: st.DrawFn) -> dict[str, Any]:
    """Inputs where finite differences are well conditioned (no sub-day expiries or 3 % vols)."""
    kw = draw(markets())
    kw["t_years"] = draw(st.floats(0.02, 3.0))
    kw["vol"] = draw(st.floats(0.08, 1.2))
    kw["strike"] = kw["spot"] * math.exp(draw(st.floats(-0.5, 0.5)))
    return kw


def _greeks(**kw: Any) -> dict[str, float]:
    return {k: float(v) for k, v in pricing.european_greeks(**kw).as_dict().items()}


def _central_differences(kw: dict[str, Any]) -> dict[str, float]:
    s, t, r, v = kw["spot"], kw["t_years"], kw["rate"], kw["vol"]
    hs, ht, hr, hv = 1e-3 * s * v * math.sqrt(t), 1e-4 * t, 1e-5, 1e-5

    def bump(field: str, h: float) -> tuple[dict[str, Any], dict[str, Any]]:
        return {**kw, field: kw[field] + h}, {**kw, field: kw[field] - h}

    up_s, dn_s = bump("spot", hs)
    up_t, dn_t = bump("t_years", ht)
    up_r, dn_r = bump("rate", hr)
    up_v, dn_v = bump("vol", hv)
    del s, t, r, v
    return {
        "delta": (price(**up_s) - price(**dn_s)) / (2 * hs),
        "gamma": (_greeks(**up_s)["delta"] - _greeks(**dn_s)["delta"]) / (2 * hs),
        "vega": (price(**up_v) - price(**dn_v)) / (2 * hv) * 0.01,
        "theta": -(price(**up_t) - price(**dn_t)) / (2 * ht) / 365.0,
        "rho": (price(**up_r) - price(**dn_r)) / (2 * hr) * 0.01,
        "vanna": (_greeks(**up_v)["delta"] - _greeks(**dn_v)["delta"]) / (2 * hv) * 0.01,
        "volga": (_greeks(**up_v)["vega"] - _greeks(**dn_v)["vega"]) / (2 * hv) * 0.01,
        "charm": -(_greeks(**up_t)["delta"] - _greeks(**dn_t)["delta"]) / (2 * ht) / 365.0,
    }


# Absolute floors per Greek, in units of spot (price-like), 1 (delta-like) or 1/spot (gamma).
_FD_FLOOR = {
    "delta": 1e-7,
    "gamma": 1e-7,
    "vega": 1e-8,
    "theta": 1e-8,
    "rho": 1e-8,
    "vanna": 1e-8,
    "volga": 1e-8,
    "charm": 1e-8,
}


@given(moderate_markets())
def test_analytic_greeks_match_central_differences(kw: dict[str, Any]) -> None:
    analytic = _greeks(**kw)
    numeric = _central_differences(kw)
    s = kw["spot"]
    units = {
        "delta": 1.0,
        "gamma": 1.0 / s,
        "vega": s,
        "theta": s,
        "rho": s,
        "vanna": 1.0,
        "volga": s,
        "charm": 1.0,
    }
    for name in GREEKS:
        tol = 1e-5 * abs(analytic[name]) + _FD_FLOOR[name] * units[name]
        assert abs(analytic[name] - numeric[name]) <= tol, (name, analytic[name], numeric[name])


# ------------------------------------------------------------------------------------------
# The numba kernel against the numpy kernel and vollib


@given(st.lists(markets(), min_size=1, max_size=40), st.booleans())
def test_fast_kernel_matches_numpy_kernel(batch: list[dict[str, Any]], forward_rho: bool) -> None:
    sign = np.array([1.0 if kw["kind"] == "call" else -1.0 for kw in batch])
    cols = {
        f: np.array([kw[f] for kw in batch])
        for f in ("spot", "strike", "t_years", "rate", "div_yield", "vol")
    }
    cols["t_years"][::7] = 0.0  # some expired options
    args = (
        sign,
        cols["spot"],
        cols["strike"],
        cols["t_years"],
        cols["rate"],
        cols["rate"] - cols["div_yield"],
        cols["vol"],
    )
    fast = price_greeks(*args, forward_rho=forward_rho)
    value, greeks = generalized_greeks(*args, forward_rho=forward_rho)
    big = np.maximum(cols["spot"], cols["strike"])
    np.testing.assert_allclose(fast[0], value, rtol=1e-12, atol=1e-13 * big.max())
    np.testing.assert_allclose(
        fast[0], generalized_price(*args), rtol=1e-12, atol=1e-13 * big.max()
    )
    for row, name in enumerate(GREEKS, start=1):
        expected = getattr(greeks, name)
        atol = 1e-13 * float(np.max(np.abs(expected))) + 1e-300
        np.testing.assert_allclose(fast[row], expected, rtol=1e-9, atol=atol, err_msg=name)


def test_fast_kernel_keeps_shape_and_expired_conventions() -> None:
    out = price_greeks(
        np.array([[1.0, -1.0, 1.0]]),
        np.array([100.0]),
        np.array([[90.0, 110.0, 100.0]]),
        np.array(0.0),
        np.array(0.05),
        np.array(0.05),
        np.array(0.2),
    )
    assert out.shape == (9, 1, 3)
    np.testing.assert_array_equal(out[0, 0], [10.0, 10.0, 0.0])
    np.testing.assert_array_equal(out[1, 0], [1.0, -1.0, 0.5])
    assert not out[2:].any()


@given(markets())
def test_fast_kernel_matches_vollib(kw: dict[str, Any]) -> None:
    sign = 1.0 if kw["kind"] == "call" else -1.0
    out = price_greeks(
        np.array([sign]),
        np.array([kw["spot"]]),
        np.array([kw["strike"]]),
        np.array([kw["t_years"]]),
        np.array([kw["rate"]]),
        np.array([kw["rate"] - kw["div_yield"]]),
        np.array([kw["vol"]]),
    )[:, 0]
    assert out[0] == pytest.approx(reference.reference_price(**kw), rel=1e-9, abs=1e-12 * scale(kw))
    ref = reference.reference_greeks(**kw)
    for row, name in enumerate(("delta", "gamma", "vega", "theta", "rho"), start=1):
        assert out[row] == pytest.approx(ref[name], rel=1e-9, abs=1e-12 * scale(kw)), name


@given(moderate_markets())
def test_reference_greeks_all_eight_match_project_greeks(kw: dict[str, Any]) -> None:
    """vollib-based reference (analytic for five, finite differences for vanna/volga/charm)."""
    ours = _greeks(**kw)
    ref = reference.reference_greeks(**kw)
    s = kw["spot"]
    for name in GREEKS:
        loose = name in ("vanna", "volga", "charm")
        tol = (1e-6 if loose else 1e-9) * abs(ours[name]) + (1e-8 if loose else 1e-12) * max(s, 1.0)
        assert abs(ours[name] - ref[name]) <= tol, (name, ours[name], ref[name])


# ------------------------------------------------------------------------------------------
# Units at the boundaries


@given(moderate_markets())
def test_vollib_units_are_per_point_and_per_day(kw: dict[str, Any]) -> None:
    """vollib's vega and rho are per point and theta per calendar day: they equal the analytic
    formulas (per 1.00 and per year) divided by 100 and 365."""
    s, k, t, r, q, v = (kw[f] for f in ("spot", "strike", "t_years", "rate", "div_yield", "vol"))
    d1 = (math.log(s / k) + (r - q + 0.5 * v * v) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi)
    vega_per_unit = s * math.exp(-q * t) * pdf * math.sqrt(t)
    w = 1.0 if kw["kind"] == "call" else -1.0
    ncdf = 0.5 * math.erfc(-w * d2 / math.sqrt(2.0))
    rho_per_unit = w * k * t * math.exp(-r * t) * ncdf
    theta_per_year = -(float(pricing.european_greeks(**kw).theta) * 365.0)
    ref = reference.reference_greeks(**kw)
    converted = reference.from_vollib_units(ref)
    assert converted == ref
    assert ref["vega"] == pytest.approx(vega_per_unit / 100.0, rel=1e-9, abs=1e-14 * s)
    assert ref["rho"] == pytest.approx(rho_per_unit / 100.0, rel=1e-9, abs=1e-14 * s)
    assert ref["theta"] * 365.0 == pytest.approx(-theta_per_year, rel=1e-9, abs=1e-12 * s)
    quantlib = {
        "vega": vega_per_unit,
        "rho": rho_per_unit,
        "theta": ref["theta"] * 365.0,
        "delta": ref["delta"],
        "gamma": ref["gamma"],
    }
    from_ql = reference.from_quantlib_units(quantlib)
    for name in ("delta", "gamma", "vega", "rho", "theta"):
        assert from_ql[name] == pytest.approx(converted[name], rel=1e-9, abs=1e-14 * s), name


def test_unit_conversions_scale_the_right_greeks() -> None:
    ql = {"delta": 0.5, "gamma": 0.02, "vega": 18.9358, "theta": -31.1924, "rho": 38.7325}
    got = reference.from_quantlib_units(ql)
    assert got == pytest.approx(
        {"delta": 0.5, "gamma": 0.02, "vega": 0.189358, "theta": -31.1924 / 365.0, "rho": 0.387325}
    )
    assert reference.from_vollib_units(ql) == ql


# ------------------------------------------------------------------------------------------
# Validation and expiry

BASE: dict[str, Any] = {
    "kind": "put",
    "spot": 100.0,
    "strike": 95.0,
    "t_years": 0.5,
    "rate": 0.04,
    "div_yield": 0.01,
    "vol": 0.25,
}

BAD_INPUTS = [
    ("spot", 0.0),
    ("spot", -1.0),
    ("spot", math.nan),
    ("spot", math.inf),
    ("strike", 0.0),
    ("strike", -5.0),
    ("strike", math.nan),
    ("strike", math.inf),
    ("vol", 0.0),
    ("vol", -0.2),
    ("vol", 5.01),
    ("vol", math.nan),
    ("vol", math.inf),
    ("t_years", -0.01),
    ("t_years", math.nan),
    ("t_years", math.inf),
    ("rate", math.nan),
    ("div_yield", math.inf),
]


@pytest.mark.parametrize(("field", "value"), BAD_INPUTS)
@pytest.mark.parametrize("fn", [pricing.european_price, pricing.european_greeks])
def test_bad_inputs_raise_naming_the_field(fn: Any, field: str, value: float) -> None:
    with pytest.raises(InputError) as err:
        fn(**{**BASE, field: value})
    assert err.value.field == field


@pytest.mark.parametrize(
    ("field", "value"), [f for f in BAD_INPUTS if f[0] in ("strike", "vol", "t_years", "rate")]
)
def test_black76_bad_inputs_raise_naming_the_field(field: str, value: float) -> None:
    kw = {
        "kind": "call",
        "forward": 100.0,
        "strike": 95.0,
        "t_years": 0.5,
        "rate": 0.04,
        "vol": 0.25,
    }
    with pytest.raises(InputError) as err:
        pricing.black76_price(**{**kw, field: value})
    assert err.value.field == field
    with pytest.raises(InputError) as err:
        pricing.black76_price(**{**kw, "forward": -1.0})
    assert err.value.field == "forward"


def test_bad_input_in_an_array_names_the_element() -> None:
    with pytest.raises(InputError) as err:
        pricing.european_price(**{**BASE, "strike": np.array([90.0, 95.0, -1.0])})
    assert err.value.field == "strike[2]"
    assert err.value.value == -1.0


@pytest.mark.parametrize("kind", ["straddle", "", None, 3, "C ALL"])
def test_unknown_kind_raises(kind: Any) -> None:
    with pytest.raises(InputError) as err:
        pricing.european_price(**{**BASE, "kind": kind})
    assert err.value.field.startswith("kind")


@pytest.mark.parametrize(
    ("field", "value"),
    [("spot", 0.0), ("strike", math.nan), ("vol", 6.0), ("t_years", -1.0), ("kind", "x")],
)
def test_reference_wrappers_validate_before_vollib(field: str, value: Any) -> None:
    """vollib itself divides by zero or raises KeyError; the wrappers raise InputError first."""
    with pytest.raises(InputError) as err:
        reference.reference_price(**{**BASE, field: value})
    assert err.value.field == field


@given(markets())
def test_expired_options_are_worth_intrinsic(kw: dict[str, Any]) -> None:
    kw = {**kw, "t_years": 0.0}
    w = 1.0 if kw["kind"] == "call" else -1.0
    intrinsic = max(w * (kw["spot"] - kw["strike"]), 0.0)
    assert price(**kw) == intrinsic
    assert reference.reference_price(**kw) == intrinsic
    g = _greeks(**kw)
    itm = w * (kw["spot"] - kw["strike"])
    assert g["delta"] == (w if itm > 0 else (0.5 * w if itm == 0 else 0.0))
    assert all(g[name] == 0.0 for name in GREEKS if name != "delta")
    assert reference.reference_greeks(**kw) == g


def test_reference_flag_is_lowercase() -> None:
    assert reference.vollib_flag("CALL") == "c"
    assert reference.vollib_flag("P") == "p"
    assert reference.reference_price(**{**BASE, "kind": "P"}) == pytest.approx(
        price(**BASE), rel=1e-12
    )


@given(markets())
def test_black76_reference_matches(kw: dict[str, Any]) -> None:
    assume(kw["t_years"] > 0)
    f, k, t, r, v = kw["spot"], kw["strike"], kw["t_years"], kw["rate"], kw["vol"]
    ours = float(
        pricing.black76_price(kind=kw["kind"], forward=f, strike=k, t_years=t, rate=r, vol=v)
    )
    ref = reference.reference_black76_price(
        kind=kw["kind"], forward=f, strike=k, t_years=t, rate=r, vol=v
    )
    assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12 * scale(kw))


def test_fast_kernel_over_many_chunks_matches_numpy() -> None:
    """More options than one work chunk, so helper threads take part; value by value."""
    from pricing.fast_kernels import GREEKS_CHUNK

    rng = np.random.default_rng(3)
    n = 2 * GREEKS_CHUNK + 123
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    spot = rng.uniform(50.0, 2500.0, n)
    args = (
        sign,
        spot,
        spot * np.exp(rng.uniform(-1.0, 1.0, n)),
        rng.uniform(0.0, 3.0, n),
        rng.uniform(-0.01, 0.08, n),
        rng.uniform(-0.05, 0.08, n),
        rng.uniform(0.03, 2.0, n),
    )
    fast = price_greeks(*args)
    value, greeks = generalized_greeks(*args)
    expected = np.vstack([value, *(getattr(greeks, name) for name in GREEKS)])
    scale = np.max(np.abs(expected), axis=1, keepdims=True)
    assert np.all(np.abs(fast - expected) <= 1e-9 * np.abs(expected) + 1e-13 * scale)
