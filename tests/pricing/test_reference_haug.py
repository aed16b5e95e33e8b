"""Published reference values: Haug (1998), "The Complete Guide to Option Pricing Formulas", as
tabulated in QuantLib's test-suite (europeanoption.cpp).

Constants copied from ``shared/reference/ql_european_haug1998.csv`` (43 price rows) and
``shared/reference/ql_european_greeks_haug1998.csv`` (Greek rows), so the suite runs from a
fresh clone. QuantLib's conventions: vega and rho per 1.00 (100 vol points / 100 % of rate),
theta per year; the tests convert to the project's units (vega per vol point, rho per 1 %,
theta per calendar day) and use ``t_years`` directly. Rows with q == r are Black-76 cases
(forward = spot).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import pricing
from pricing import reference
from pricing.fast_kernels import price_greeks
from pricing.implied_vol import implied_vol, implied_vol_black76

HAUG_PRICES = [
    # (kind, strike, spot, q, r, t_years, vol, expected, tol)
    ("call", 65.0, 60.0, 0.0, 0.08, 0.25, 0.3, 2.1334, 0.0001),
    ("put", 95.0, 100.0, 0.05, 0.1, 0.5, 0.2, 2.4648, 0.0001),
    ("put", 19.0, 19.0, 0.1, 0.1, 0.75, 0.28, 1.7011, 0.0001),
    ("call", 19.0, 19.0, 0.1, 0.1, 0.75, 0.28, 1.7011, 0.0001),
    ("call", 1.6, 1.56, 0.08, 0.06, 0.5, 0.12, 0.0291, 0.0001),
    ("put", 70.0, 75.0, 0.05, 0.1, 0.5, 0.35, 4.087, 0.0001),
    ("call", 100.0, 90.0, 0.1, 0.1, 0.1, 0.15, 0.0205, 0.0001),
    ("call", 100.0, 100.0, 0.1, 0.1, 0.1, 0.15, 1.8734, 0.0001),
    ("call", 100.0, 110.0, 0.1, 0.1, 0.1, 0.15, 9.9413, 0.0001),
    ("call", 100.0, 90.0, 0.1, 0.1, 0.1, 0.25, 0.315, 0.0001),
    ("call", 100.0, 100.0, 0.1, 0.1, 0.1, 0.25, 3.1217, 0.0001),
    ("call", 100.0, 110.0, 0.1, 0.1, 0.1, 0.25, 10.3556, 0.0001),
    ("call", 100.0, 90.0, 0.1, 0.1, 0.1, 0.35, 0.9474, 0.0001),
    ("call", 100.0, 100.0, 0.1, 0.1, 0.1, 0.35, 4.3693, 0.0001),
    ("call", 100.0, 110.0, 0.1, 0.1, 0.1, 0.35, 11.1381, 0.0001),
    ("call", 100.0, 90.0, 0.1, 0.1, 0.5, 0.15, 0.8069, 0.0001),
    ("call", 100.0, 100.0, 0.1, 0.1, 0.5, 0.15, 4.0232, 0.0001),
    ("call", 100.0, 110.0, 0.1, 0.1, 0.5, 0.15, 10.5769, 0.0001),
    ("call", 100.0, 90.0, 0.1, 0.1, 0.5, 0.25, 2.7026, 0.0001),
    ("call", 100.0, 100.0, 0.1, 0.1, 0.5, 0.25, 6.6997, 0.0001),
    ("call", 100.0, 110.0, 0.1, 0.1, 0.5, 0.25, 12.7857, 0.0001),
    ("call", 100.0, 90.0, 0.1, 0.1, 0.5, 0.35, 4.9329, 0.0001),
    ("call", 100.0, 100.0, 0.1, 0.1, 0.5, 0.35, 9.3679, 0.0001),
    ("call", 100.0, 110.0, 0.1, 0.1, 0.5, 0.35, 15.3086, 0.0001),
    ("put", 100.0, 90.0, 0.1, 0.1, 0.1, 0.15, 9.921, 0.0001),
    ("put", 100.0, 100.0, 0.1, 0.1, 0.1, 0.15, 1.8734, 0.0001),
    ("put", 100.0, 110.0, 0.1, 0.1, 0.1, 0.15, 0.0408, 0.0001),
    ("put", 100.0, 90.0, 0.1, 0.1, 0.1, 0.25, 10.2155, 0.0001),
    ("put", 100.0, 100.0, 0.1, 0.1, 0.1, 0.25, 3.1217, 0.0001),
    ("put", 100.0, 110.0, 0.1, 0.1, 0.1, 0.25, 0.4551, 0.0001),
    ("put", 100.0, 90.0, 0.1, 0.1, 0.1, 0.35, 10.8479, 0.0001),
    ("put", 100.0, 100.0, 0.1, 0.1, 0.1, 0.35, 4.3693, 0.0001),
    ("put", 100.0, 110.0, 0.1, 0.1, 0.1, 0.35, 1.2376, 0.0001),
    ("put", 100.0, 90.0, 0.1, 0.1, 0.5, 0.15, 10.3192, 0.0001),
    ("put", 100.0, 100.0, 0.1, 0.1, 0.5, 0.15, 4.0232, 0.0001),
    ("put", 100.0, 110.0, 0.1, 0.1, 0.5, 0.15, 1.0646, 0.0001),
    ("put", 100.0, 90.0, 0.1, 0.1, 0.5, 0.25, 12.2149, 0.0001),
    ("put", 100.0, 100.0, 0.1, 0.1, 0.5, 0.25, 6.6997, 0.0001),
    ("put", 100.0, 110.0, 0.1, 0.1, 0.5, 0.25, 3.2734, 0.0001),
    ("put", 100.0, 90.0, 0.1, 0.1, 0.5, 0.35, 14.4452, 0.0001),
    ("put", 100.0, 100.0, 0.1, 0.1, 0.5, 0.35, 9.3679, 0.0001),
    ("put", 100.0, 110.0, 0.1, 0.1, 0.5, 0.35, 5.7963, 0.0001),
    ("call", 40.0, 42.0, 0.08, 0.04, 0.75, 0.35, 5.0975, 0.0001),
]
HAUG_GREEKS = [
    # (greek, kind, strike, spot, q, r, t_years, vol, expected in QuantLib units, tol)
    ("delta", "call", 100.0, 105.0, 0.1, 0.1, 0.5, 0.36, 0.5946, 1e-4),
    ("delta", "put", 100.0, 105.0, 0.1, 0.1, 0.5, 0.36, -0.3566, 1e-4),
    ("elasticity", "put", 100.0, 105.0, 0.1, 0.1, 0.5, 0.36, -4.8775, 1e-4),
    ("gamma", "call", 60.0, 55.0, 0.0, 0.1, 0.75, 0.3, 0.0278, 1e-4),
    ("gamma", "put", 60.0, 55.0, 0.0, 0.1, 0.75, 0.3, 0.0278, 1e-4),
    ("vega", "call", 60.0, 55.0, 0.0, 0.1, 0.75, 0.3, 18.9358, 1e-4),
    ("vega", "put", 60.0, 55.0, 0.0, 0.1, 0.75, 0.3, 18.9358, 1e-4),
    ("theta", "put", 405.0, 430.0, 0.05, 0.07, 0.08333333333333333, 0.2, -31.1924, 1e-4),
    ("thetaPerDay", "put", 405.0, 430.0, 0.05, 0.07, 0.08333333333333333, 0.2, -0.0855, 1e-4),
    ("rho", "call", 75.0, 72.0, 0.0, 0.09, 1.0, 0.19, 38.7325, 1e-4),
    ("dividendRho", "put", 490.0, 500.0, 0.05, 0.08, 0.25, 0.15, 42.2254, 1e-4),
]


def _kw(
    kind: str, strike: float, spot: float, q: float, r: float, t: float, vol: float
) -> dict[str, Any]:
    return {
        "kind": kind,
        "spot": spot,
        "strike": strike,
        "t_years": t,
        "rate": r,
        "div_yield": q,
        "vol": vol,
    }


def test_tables_are_complete() -> None:
    assert len(HAUG_PRICES) == 43
    assert len(HAUG_GREEKS) == 11


@pytest.mark.parametrize("row", HAUG_PRICES)
def test_european_price_matches_haug(row: tuple[Any, ...]) -> None:
    kind, strike, spot, q, r, t, vol, expected, tol = row
    kw = _kw(kind, strike, spot, q, r, t, vol)
    assert abs(float(pricing.european_price(**kw)) - expected) <= tol
    assert abs(reference.reference_price(**kw) - expected) <= tol


def test_fast_kernel_matches_haug_prices() -> None:
    rows = np.array([row[1:] for row in HAUG_PRICES], dtype=np.float64)
    sign = np.array([1.0 if row[0] == "call" else -1.0 for row in HAUG_PRICES])
    strike, spot, q, r, t, vol, expected, tol = rows.T
    out = price_greeks(sign, spot, strike, t, r, r - q, vol)
    assert np.all(np.abs(out[0] - expected) <= tol)


@pytest.mark.parametrize("row", [row for row in HAUG_PRICES if row[3] == row[4]])
def test_black76_rows_match_haug(row: tuple[Any, ...]) -> None:
    kind, strike, spot, _q, r, t, vol, expected, tol = row
    # q == r: the carry is zero, so the spot is the forward.
    value = float(
        pricing.black76_price(kind=kind, forward=spot, strike=strike, t_years=t, rate=r, vol=vol)
    )
    assert abs(value - expected) <= tol
    ref = reference.reference_black76_price(
        kind=kind, forward=spot, strike=strike, t_years=t, rate=r, vol=vol
    )
    assert abs(ref - expected) <= tol


@pytest.mark.parametrize("row", HAUG_PRICES)
def test_implied_vol_recovers_haug_vols(row: tuple[Any, ...]) -> None:
    """Solving the exact model price of each Haug row gives its vol back (both engines)."""
    kind, strike, spot, q, r, t, vol, _expected, _tol = row
    kw = _kw(kind, strike, spot, q, r, t, vol)
    price = pricing.european_price(**kw)
    kw.pop("vol")
    for engine in ("default", "vollib"):
        res = implied_vol(**kw, price=price, engine=engine)
        assert str(res.status) == "ok"
        assert float(res.vol) == pytest.approx(vol, rel=1e-9)
    if q == r:
        res = implied_vol_black76(
            kind=kind, forward=spot, strike=strike, t_years=t, rate=r, price=price
        )
        assert str(res.status) == "ok" and float(res.vol) == pytest.approx(vol, rel=1e-9)


def _project_greek(greek: str, kw: dict[str, Any]) -> float:
    """The Haug row's Greek in QuantLib's units, computed from the project's Greeks."""
    g = pricing.european_greeks(**kw)
    price = float(pricing.european_price(**kw))
    per_quantlib = {  # project units -> QuantLib units
        "delta": float(g.delta),
        "gamma": float(g.gamma),
        "vega": float(g.vega) * 100.0,
        "theta": float(g.theta) * 365.0,
        "thetaPerDay": float(g.theta),
        "rho": float(g.rho) * 100.0,
        "elasticity": float(g.delta) * float(kw["spot"]) / price,
    }
    if greek == "dividendRho":
        h = 1e-6
        up = float(pricing.european_price(**{**kw, "div_yield": float(kw["div_yield"]) + h}))
        down = float(pricing.european_price(**{**kw, "div_yield": float(kw["div_yield"]) - h}))
        return (up - down) / (2.0 * h)
    return per_quantlib[greek]


@pytest.mark.parametrize("row", HAUG_GREEKS)
def test_greeks_match_haug(row: tuple[Any, ...]) -> None:
    greek, kind, strike, spot, q, r, t, vol, expected, tol = row
    kw = _kw(kind, strike, spot, q, r, t, vol)
    assert abs(_project_greek(greek, kw) - expected) <= tol


@pytest.mark.parametrize(
    "row", [row for row in HAUG_GREEKS if row[0] in ("delta", "gamma", "vega", "theta", "rho")]
)
def test_quantlib_units_convert_to_project_units(row: tuple[Any, ...]) -> None:
    """QuantLib's convention (vega/rho per 1.00, theta per year) converted by
    :func:`reference.from_quantlib_units` equals the project's Greeks and vollib's."""
    greek, kind, strike, spot, q, r, t, vol, expected, tol = row
    kw = _kw(kind, strike, spot, q, r, t, vol)
    converted = reference.from_quantlib_units({greek: expected})[greek]
    scale = {"vega": 0.01, "rho": 0.01, "theta": 1.0 / 365.0}.get(greek, 1.0)
    ours = float(getattr(pricing.european_greeks(**kw), greek))
    theirs = reference.reference_greeks(**kw)[greek]
    assert abs(ours - converted) <= tol * scale
    assert abs(theirs - converted) <= tol * scale
    assert not math.isclose(converted, expected) or scale == 1.0
