"""Parity-implied forwards: European exact parity, robustness, and the de-Americanisation loop
(with an injected American pricer whose early-exercise premium is known exactly)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata.forward import (
    METHOD_MODEL,
    METHOD_PARITY,
    METHOD_PARITY_AMERICAN,
    ForwardEstimate,
    ParityPairs,
    american_premiums,
    estimate_forward,
    forward_table,
    huber_location,
    model_forward,
    nearest_pairs,
    parity_pairs,
    weighted_median,
)
from pricing import european_price
from pricing.dividends import pv_dividends
from pricing.errors import InputError
from pricing.types import DividendSchedule

EXPIRY = date(2026, 6, 19)


def _smile(strike: np.ndarray, fwd: float) -> np.ndarray:
    return 0.20 - 0.25 * np.log(strike / fwd) + 0.5 * np.log(strike / fwd) ** 2


def _frame(
    strike: np.ndarray, call: np.ndarray, put: np.ndarray, spread: float = 0.04
) -> pd.DataFrame:
    rows = []
    for kind, mids in (("call", call), ("put", put)):
        for k, m in zip(strike, mids, strict=True):
            rows.append(
                {
                    "strike": float(k),
                    "kind": kind,
                    "mid": float(m),
                    "spread": spread,
                    "usable": True,
                }
            )
    return pd.DataFrame(rows)


def _european_chain(
    spot: float, t: float, r: float, q: float, strikes: np.ndarray
) -> tuple[pd.DataFrame, float]:
    fwd = spot * math.exp((r - q) * t)
    vol = _smile(strikes, fwd)
    c = european_price(
        kind="call", spot=spot, strike=strikes, t_years=t, rate=r, div_yield=q, vol=vol
    )
    p = european_price(
        kind="put", spot=spot, strike=strikes, t_years=t, rate=r, div_yield=q, vol=vol
    )
    return _frame(strikes, c, p), fwd


def test_weighted_median_and_huber() -> None:
    assert weighted_median([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]) == 2.0
    assert weighted_median([1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1]) == 2.5
    assert weighted_median([1.0, 2.0, 3.0], [10.0, 1.0, 1.0]) == 1.0
    assert math.isnan(weighted_median([], []))
    x = np.array([10.0, 10.01, 9.99, 10.0, 50.0])
    assert huber_location(x, np.ones(5)) == pytest.approx(10.0, abs=0.01)
    assert np.mean(x) > 17  # the plain mean is dragged away


@pytest.mark.parametrize(
    ("t", "r", "q"), [(0.05, 0.04, 0.013), (0.5, 0.045, 0.0), (2.0, 0.03, 0.02)]
)
def test_european_parity_forward_is_exact(t: float, r: float, q: float) -> None:
    strikes = np.arange(1700.0, 2300.0, 10.0)
    frame, fwd = _european_chain(2000.0, t, r, q, strikes)
    est = estimate_forward(frame, expiry=EXPIRY, t_years=t, rate=r, spot=2000.0)
    assert est.method == METHOD_PARITY
    assert est.forward == pytest.approx(fwd, abs=1e-8)
    assert est.dividend_yield == pytest.approx(q, abs=1e-10)
    assert est.extra_yield == pytest.approx(q, abs=1e-10)
    assert est.rate == r and est.n_pairs >= 6
    assert est.residual < 1e-8


def test_european_forward_robust_to_outliers_and_ignores_unusable() -> None:
    t, r, q = 0.25, 0.04, 0.012
    strikes = np.arange(1800.0, 2200.0, 10.0)
    frame, fwd = _european_chain(2000.0, t, r, q, strikes)
    # Two crazy quotes near the money, and one unusable crazy one.
    frame.loc[(frame["kind"] == "call") & (frame["strike"] == 2000.0), "mid"] += 5.0
    frame.loc[(frame["kind"] == "put") & (frame["strike"] == 2010.0), "mid"] += 3.0
    frame.loc[(frame["kind"] == "put") & (frame["strike"] == 1990.0), "mid"] += 40.0
    frame.loc[(frame["kind"] == "put") & (frame["strike"] == 1990.0), "usable"] = False
    est = estimate_forward(frame, expiry=EXPIRY, t_years=t, rate=r, spot=2000.0)
    assert abs(est.forward - fwd) < 0.01
    assert est.residual > 0.1  # the outliers show in the residual


def test_rounded_quotes_within_a_cent() -> None:
    # Mids rounded to the cent: the robust fit over many pairs stays within a cent.
    t, r, q = 0.3, 0.042, 0.011
    strikes = np.arange(180.0, 260.0, 1.0)
    frame, fwd = _european_chain(220.0, t, r, q, strikes)
    frame["mid"] = np.round(frame["mid"] * 100.0) / 100.0
    est = estimate_forward(frame, expiry=EXPIRY, t_years=t, rate=r, spot=220.0)
    assert abs(est.forward - fwd) < 0.01


def test_no_pairs_falls_back_to_the_model_forward() -> None:
    frame = pd.DataFrame(
        {"strike": [100.0], "kind": ["call"], "mid": [2.0], "spread": [0.1], "usable": [True]}
    )
    divs = DividendSchedule((0.1,), (0.5,))
    est = estimate_forward(
        frame, expiry=EXPIRY, t_years=0.25, rate=0.04, spot=100.0, dividends=divs
    )
    assert est.method == METHOD_MODEL and est.n_pairs == 0 and math.isnan(est.residual)
    expected = (100.0 - 0.5 * math.exp(-0.04 * 0.1)) * math.exp(0.04 * 0.25)
    assert est.forward == pytest.approx(expected, rel=1e-12)
    assert est.extra_yield == pytest.approx(0.0, abs=1e-12)


def test_bad_inputs_raise_naming_the_field() -> None:
    frame, _ = _european_chain(100.0, 0.25, 0.04, 0.0, np.arange(90.0, 110.0, 1.0))
    with pytest.raises(InputError, match="t_years"):
        estimate_forward(frame, expiry=EXPIRY, t_years=0.0, rate=0.04, spot=100.0)
    with pytest.raises(InputError, match="spot"):
        estimate_forward(frame, expiry=EXPIRY, t_years=0.1, rate=0.04, spot=math.nan)
    with pytest.raises(InputError, match="dividends"):
        estimate_forward(
            frame,
            expiry=EXPIRY,
            t_years=0.25,
            rate=0.04,
            spot=100.0,
            dividends=DividendSchedule((0.1,), (150.0,)),
        )
    with pytest.raises(InputError, match="method"):
        ForwardEstimate(EXPIRY, 0.1, 100.0, 0.0, 0.0, 0.04, 1, 0.0, "guess")


# --- American: an injected pricer with a known, vol-dependent early-exercise premium ----------


def _premium(kind: Any, strike: Any, vol: Any) -> np.ndarray:
    k = np.asarray(strike, dtype=np.float64)
    v = np.asarray(vol, dtype=np.float64)
    scale = np.where(np.asarray(kind) == "put", 0.10, 0.005)
    return np.asarray(scale * v * np.maximum(k / 100.0, 0.0) ** 2)


def _fake_american(
    *,
    kind: Any,
    spot: Any,
    strike: Any,
    t_years: Any,
    rate: Any,
    div_yield: Any = 0.0,
    vol: Any,
    dividends: Any = None,
) -> np.ndarray:
    eu = european_price(
        kind=kind,
        spot=spot,
        strike=strike,
        t_years=t_years,
        rate=rate,
        div_yield=div_yield,
        vol=vol,
        dividends=dividends,
    )
    return np.asarray(eu + _premium(kind, strike, vol))


def test_american_deamericanisation_recovers_the_true_forward() -> None:
    spot, t, r = 220.0, 0.4, 0.043
    divs = DividendSchedule((0.05, 0.30), (0.55, 0.60))
    strikes = np.arange(170.0, 270.0, 1.0)
    pv = float(pv_dividends(divs, t, r))
    true_fwd = (spot - pv) * math.exp(r * t)
    vol = _smile(strikes, true_fwd)
    common = {
        "spot": spot,
        "strike": strikes,
        "t_years": t,
        "rate": r,
        "vol": vol,
        "dividends": divs,
    }
    call = _fake_american(kind="call", **common)
    put = _fake_american(kind="put", **common)
    frame = _frame(strikes, call, put)
    raw = estimate_forward(frame, expiry=EXPIRY, t_years=t, rate=r, spot=spot, dividends=divs)
    assert raw.method == METHOD_PARITY  # default style is European: biased by the premium
    assert abs(raw.forward - true_fwd) > 0.05
    est = estimate_forward(
        frame,
        expiry=EXPIRY,
        t_years=t,
        rate=r,
        spot=spot,
        dividends=divs,
        style="american",
        american_price=_fake_american,
    )
    assert est.method == METHOD_PARITY_AMERICAN
    assert 1 <= est.rounds <= 8
    assert est.forward == pytest.approx(true_fwd, abs=1e-4)
    assert est.extra_yield == pytest.approx(0.0, abs=1e-5)
    q_all = r - math.log(true_fwd / spot) / t
    assert est.dividend_yield == pytest.approx(q_all, abs=1e-5)


def test_forward_table_columns() -> None:
    e = ForwardEstimate(EXPIRY, 0.1, 100.0, 0.01, 0.0, 0.04, 5, 0.001, METHOD_PARITY)
    table = forward_table([e])
    assert list(table.columns) == [
        "expiry",
        "settlement",
        "t_years",
        "forward",
        "dividend_yield",
        "extra_yield",
        "rate",
        "n_pairs",
        "residual",
        "method",
        "rounds",
    ]
    assert table.loc[0, "forward"] == 100.0 and table.loc[0, "expiry"] == EXPIRY


@given(
    spot=st.floats(20.0, 5000.0),
    t=st.floats(0.01, 3.0),
    r=st.floats(-0.01, 0.08),
    q=st.floats(0.0, 0.05),
)
def test_parity_property(spot: float, t: float, r: float, q: float) -> None:
    strikes = spot * np.linspace(0.8, 1.2, 41)
    frame, fwd = _european_chain(spot, t, r, q, strikes)
    est = estimate_forward(frame, expiry=EXPIRY, t_years=t, rate=r, spot=spot)
    assert est.forward == pytest.approx(fwd, rel=1e-9)


# --- building blocks ------------------------------------------------------------------------


def test_parity_pairs_average_duplicates_and_skip_one_sided_strikes() -> None:
    frame = pd.DataFrame(
        {
            "strike": [100.0, 100.0, 100.0, 105.0, 110.0, 110.0],
            "kind": ["call", "call", "PUT", "call", "call", "put"],
            "mid": [5.0, 5.2, 3.0, 2.0, 1.0, 8.0],
            "spread": [0.1, 0.1, 0.1, 0.1, 0.1, 5.0],
            "usable": [True, True, True, True, True, True],
        }
    )
    pairs = parity_pairs(frame)
    np.testing.assert_array_equal(pairs.strike, [100.0, 110.0])
    np.testing.assert_allclose(pairs.call, [5.1, 1.0])
    np.testing.assert_allclose(pairs.put, [3.0, 8.0])
    frame.loc[2, "usable"] = False
    assert list(parity_pairs(frame).strike) == [110.0]


def test_parity_pair_weights_only_penalise_unusually_wide_pairs() -> None:
    strikes = [90.0, 95.0, 100.0, 105.0, 110.0]
    spreads = [0.10, 0.05, 0.04, 0.06, 1.00]  # combined with the put side below
    rows = []
    for k, sp in zip(strikes, spreads, strict=True):
        rows.append({"strike": k, "kind": "call", "mid": 5.0, "spread": sp, "usable": True})
        rows.append({"strike": k, "kind": "put", "mid": 5.0, "spread": sp, "usable": True})
    w = parity_pairs(pd.DataFrame(rows)).weight
    np.testing.assert_allclose(w[:4], w[0])  # all below twice the median: equal
    assert w[4] == pytest.approx(w[0] * (2 * 2 * 0.06) / 2.0)  # 1/spread beyond the cap


def test_nearest_pairs_keeps_the_closest_in_log_moneyness() -> None:
    k = np.arange(80.0, 121.0, 1.0)
    pairs = ParityPairs(k, np.ones_like(k), np.ones_like(k), np.ones_like(k))
    near = nearest_pairs(pairs, 100.2, n=5)
    np.testing.assert_array_equal(near.strike, [98.0, 99.0, 100.0, 101.0, 102.0])
    assert len(nearest_pairs(pairs, 100.0, n=100)) == k.size


def test_model_forward_with_cash_dividends() -> None:
    divs = DividendSchedule((0.1, 0.6), (1.0, 1.0))
    fwd, pv = model_forward(100.0, 0.5, 0.04, divs)  # only the first dividend is before expiry
    assert pv == pytest.approx(math.exp(-0.004))
    assert fwd == pytest.approx((100.0 - pv) * math.exp(0.02))
    assert model_forward(100.0, 0.5, 0.04, None) == (pytest.approx(100.0 * math.exp(0.02)), 0.0)


def test_american_premiums_batch_matches_one_by_one() -> None:
    divs = DividendSchedule((0.05,), (0.8,))
    a = ParityPairs(np.array([95.0, 100.0]), np.zeros(2), np.zeros(2), np.ones(2))
    b = ParityPairs(np.array([90.0, 100.0, 110.0]), np.zeros(3), np.zeros(3), np.ones(3))
    vols = [np.array([0.2, 0.21]), np.array([0.25, 0.22, 0.2])]
    both = american_premiums(
        [a, b],
        vols,
        spot=100.0,
        t_years=[0.1, 0.4],
        rates=[0.04, 0.045],
        extra_yields=[0.0, 0.01],
        dividends=divs,
        american_price=_fake_american,
    )
    for pairs, v, t, r, q, (pc, pp) in zip(
        [a, b], vols, [0.1, 0.4], [0.04, 0.045], [0.0, 0.01], both, strict=True
    ):
        ((pc1, pp1),) = american_premiums(
            [pairs],
            [v],
            spot=100.0,
            t_years=[t],
            rates=[r],
            extra_yields=[q],
            dividends=divs,
            american_price=_fake_american,
        )
        np.testing.assert_allclose(pc, pc1, rtol=1e-12)
        np.testing.assert_allclose(pp, pp1, rtol=1e-12)
        np.testing.assert_allclose(pp, _premium("put", pairs.strike, v), rtol=1e-9)
    assert (
        american_premiums([], [], spot=100.0, t_years=[], rates=[], extra_yields=[], dividends=None)
        == []
    )


def test_american_premiums_with_the_real_engine_are_positive_for_puts() -> None:
    pairs = ParityPairs(np.array([90.0, 100.0, 110.0]), np.zeros(3), np.zeros(3), np.ones(3))
    ((pc, pp),) = american_premiums(
        [pairs],
        [np.full(3, 0.25)],
        spot=100.0,
        t_years=[0.5],
        rates=[0.05],
        extra_yields=[0.0],
        dividends=None,
    )
    np.testing.assert_allclose(pc, 0.0, atol=1e-4)  # no dividend, no carry: calls are European
    assert np.all(pp > 0.0) and pp[2] > pp[0]  # deeper in the money, more premium


def test_parity_pairs_validate_shapes() -> None:
    with pytest.raises(InputError, match="pairs"):
        ParityPairs(np.ones(3), np.ones(2), np.ones(3), np.ones(3))
