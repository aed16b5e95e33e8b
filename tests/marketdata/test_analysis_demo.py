"""The chain pipeline on the bundled SYNTHETIC demo: the bars of the chain work.

The generator's truth (forward per expiry, SSVI parameters) is in the bundle's metadata
(``snapshot.meta``), so every check compares what cleaning, parity and the fit recover with what
the generator used. Bars: parity forward within one cent on every IWM and RUT expiry; SVI RMSE
<= 0.5 vol point on every IWM expiry between 7 and 365 days; no butterfly or calendar arbitrage
flagged.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from marketdata.analysis import ChainAnalysis, analyze_chain
from marketdata.demo_model import SSVIParams
from marketdata.sources.demo import load_demo

ONE_CENT = 0.01


@functools.cache
def _analysed(symbol: str) -> ChainAnalysis:
    return analyze_chain(load_demo(symbol))


@pytest.fixture(scope="module", params=["IWM", "RUT"])
def demo(request: pytest.FixtureRequest) -> ChainAnalysis:
    return _analysed(str(request.param))


def _truth(a: ChainAnalysis) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["expiry"], e["settlement"]): e for e in a.snapshot.meta["expiries"]}


def _true_vols(a: ChainAnalysis, frame: pd.DataFrame) -> np.ndarray:
    ssvi = SSVIParams(**a.snapshot.meta["ssvi"])
    truth = _truth(a)
    out = []
    for exp, st, strike in zip(frame["expiry"], frame["settlement"], frame["strike"], strict=True):
        e = truth[(pd.Timestamp(exp).date().isoformat(), str(st))]
        out.append(float(ssvi.implied_vol(math.log(strike / e["forward"]), e["t_years"])))
    return np.asarray(out)


def test_synthetic_and_every_quote_kept(demo: ChainAnalysis) -> None:
    assert demo.synthetic
    assert len(demo.chain) == len(demo.snapshot.chain)


def test_parity_forward_within_one_cent_on_every_expiry(demo: ChainAnalysis) -> None:
    truth = _truth(demo)
    assert len(demo.forwards) == len(truth)
    errors = []
    for _, row in demo.forwards.iterrows():
        e = truth[(row["expiry"].isoformat(), row["settlement"])]
        errors.append(abs(row["forward"] - e["forward"]))
        assert row["rate"] == pytest.approx(e["rate"], abs=1e-9)
        assert row["n_pairs"] >= 6
    assert max(errors) < ONE_CENT, f"worst forward error {max(errors):.5f}"


def test_iwm_forward_is_deamericanised() -> None:
    iwm = _analysed("IWM")
    assert set(iwm.forwards["method"]) == {"parity_deamericanised"}
    # the cash dividends explain the whole carry: no extra yield beyond rounding noise
    assert float(iwm.forwards["extra_yield"].abs().max()) < 1e-3


def test_rut_forward_is_plain_parity_with_the_index_yield() -> None:
    rut = _analysed("RUT")
    assert set(rut.forwards["method"]) == {"parity"}
    q = float(rut.snapshot.meta["div_yield"])  # the generator's continuous index yield
    np.testing.assert_allclose(rut.forwards["dividend_yield"], q, atol=5e-4)


def test_fit_rmse_and_no_arbitrage(demo: ChainAnalysis) -> None:
    fits = demo.fits
    assert (fits["status"] == "ok").all()
    assert not fits["butterfly_arbitrage"].any()
    assert not fits["calendar_arbitrage"].any()
    assert demo.arbitrage_free
    days = fits["t_years"] * 365.0
    window = fits.loc[(days >= 7) & (days <= 365)]
    assert len(window) >= 10
    assert float(window["rmse_vol_points"].max()) <= 0.5


def test_vols_recover_the_generator_surface(demo: ChainAnalysis) -> None:
    ch = demo.chain
    fitted = ch.loc[ch["in_fit"]]
    true = _true_vols(demo, fitted)
    assert float(np.max(np.abs(fitted["iv"].to_numpy() - true))) < 0.006  # quotes (rounded mids)
    assert float(np.max(np.abs(fitted["fit_iv"].to_numpy() - true))) < 0.003  # the smooth fit
    assert (ch["iv_status"] == "ok").mean() > 0.9


def test_surface_between_expiries_matches_truth(demo: ChainAnalysis) -> None:
    assert demo.surface is not None
    ssvi = SSVIParams(**demo.snapshot.meta["ssvi"])
    for t in (0.1, 0.3, 0.7):
        fwd = float(demo.surface.forward(t))
        k = np.array([-0.1, -0.05, 0.0, 0.05])
        got = demo.surface.vol(t, fwd * np.exp(k))
        want = np.array([float(ssvi.implied_vol(x, t)) for x in k])
        np.testing.assert_allclose(got, want, atol=0.003)


def test_deltas_are_sane(demo: ChainAnalysis) -> None:
    ch = demo.chain.loc[demo.chain["iv_status"] == "ok"]
    calls = ch.loc[ch["kind"] == "call", "delta"]
    puts = ch.loc[ch["kind"] == "put", "delta"]
    assert calls.between(0.0, 1.0 + 1e-9).all() and puts.between(-1.0 - 1e-9, 0.0).all()
    near = ch.loc[(ch["kind"] == "call") & (ch["k"].abs() < 0.005) & (ch["t_years"] < 0.1)]
    assert len(near) and near["delta"].between(0.4, 0.62).all()


def test_iwm_without_a_dividend_forecast_infers_the_yield_from_parity() -> None:
    # With no cash dividends known, the carry comes from (raw, then de-Americanised) parity alone.
    # The American premium is then priced with a continuous yield instead of the generator's
    # discrete dividends, so the forward is only near the truth (the bar is for the real model),
    # but the implied all-in yield must be the dividend yield the generator used.
    from dataclasses import replace

    from marketdata.snapshot import DividendForecast

    snap = load_demo("IWM")
    a = analyze_chain(replace(snap, dividends=DividendForecast()))
    truth = {e["expiry"]: e for e in snap.meta["expiries"]}
    assert (a.forwards["method"] == "parity_deamericanised").all()
    assert int(a.forwards["rounds"].max()) >= 2  # it had to iterate
    for _, row in a.forwards.iterrows():
        e = truth[row["expiry"].isoformat()]
        assert abs(row["forward"] - e["forward"]) < 0.6
        q_true = e["rate"] - math.log(e["forward"] / snap.spot) / e["t_years"]
        if e["t_years"] > 0.25:
            assert row["dividend_yield"] == pytest.approx(q_true, abs=2e-3)
        assert row["extra_yield"] == pytest.approx(row["dividend_yield"], abs=1e-12)
    assert a.arbitrage_free
