"""The chain pipeline on synthetic chains priced from a known SVI surface (Black-76, European)."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from marketdata.analysis import FIT_COLUMNS, ChainAnalysis, analyze_chain
from marketdata.calendar import t_years
from marketdata.errors import NoDataError
from marketdata.snapshot import DividendForecast, MarketSnapshot, OptionChain, RateCurve
from pricing import black76_price
from pricing.surface import SVIParams
from pricing.types import NEW_YORK

AS_OF = datetime(2026, 3, 2, 11, 0, tzinfo=NEW_YORK)
SPOT, RATE, YIELD = 2050.0, 0.04, 0.013
EXPIRIES = (date(2026, 3, 20), date(2026, 4, 17), date(2026, 6, 18), date(2026, 12, 18))


def _svi(t: float) -> SVIParams:
    return SVIParams(
        a=0.02 * t,
        b=0.12 * math.sqrt(t) + 0.02 * t,
        rho=-0.6,
        m=0.02,
        sigma=0.1 * math.sqrt(t) + 0.01,
    )


def _snapshot(
    extra_rows: list[dict[str, object]] | None = None, expiries: tuple[date, ...] = EXPIRIES
) -> tuple[MarketSnapshot, dict[date, float]]:
    rows: list[dict[str, object]] = []
    forwards: dict[date, float] = {}
    for exp in expiries:
        t = max(t_years(AS_OF, exp, "am"), 0.01)  # an expired series gets stale prices
        fwd = SPOT * math.exp((RATE - YIELD) * t)
        forwards[exp] = fwd
        sd = 0.22 * math.sqrt(t)
        strikes = np.arange(round(fwd * math.exp(-3 * sd) / 10) * 10, fwd * math.exp(2 * sd), 10.0)
        vol = np.sqrt(_svi(t).total_variance(np.log(strikes / fwd)) / t)
        for kind in ("call", "put"):
            prices = black76_price(
                kind=kind, forward=fwd, strike=strikes, t_years=t, rate=RATE, vol=vol
            )
            for k, p in zip(strikes, prices, strict=True):
                half = max(0.05, 0.02 * p) / 2
                bid, ask = max(round(p - half, 2), 0.0), round(p + half, 2)
                if ask <= 0.10:
                    continue
                rows.append(
                    {
                        "expiry": exp,
                        "kind": kind,
                        "strike": float(k),
                        "bid": bid,
                        "ask": ask,
                        "last": math.nan,
                        "volume": 1,
                        "open_interest": 1,
                        "settlement": "am",
                        "style": "european",
                        "multiplier": 100.0,
                        "root": "RUT",
                    }
                )
    rows.extend(extra_rows or [])
    snap = MarketSnapshot(
        AS_OF,
        "RUT",
        SPOT,
        RateCurve.flat(RATE),
        DividendForecast(),
        OptionChain.from_records(rows),
        source="test",
        synthetic=True,
    )
    return snap, forwards


@pytest.fixture(scope="module")
def analysed() -> tuple[ChainAnalysis, dict[date, float]]:
    snap, fwds = _snapshot()
    return analyze_chain(snap), fwds


def test_forwards_within_a_cent(analysed: tuple[ChainAnalysis, dict[date, float]]) -> None:
    a, fwds = analysed
    assert len(a.forwards) == len(EXPIRIES)
    for _, row in a.forwards.iterrows():
        assert abs(row["forward"] - fwds[row["expiry"]]) < 0.01
        assert row["dividend_yield"] == pytest.approx(YIELD, abs=2e-5)
        assert row["rate"] == RATE and row["method"] == "parity" and row["n_pairs"] >= 6


def test_every_quote_solved_and_close_to_truth(
    analysed: tuple[ChainAnalysis, dict[date, float]],
) -> None:
    a, fwds = analysed
    ch = a.chain
    assert (ch["iv_status"] == "ok").all()
    for exp in EXPIRIES:
        rows = ch.loc[ch["expiry"] == pd.Timestamp(exp)]
        t = float(rows["t_years"].iloc[0])
        true = np.sqrt(_svi(t).total_variance(np.log(rows["strike"] / fwds[exp])) / t)
        vega_ok = rows["vega"] > 0.5  # per vol point, index points: rounding is negligible
        err = np.abs(rows["iv"] - true)[vega_ok]
        assert float(err.max()) < 2e-3
    # Black-76 delta w.r.t. spot: calls in (0, 1), puts in (-1, 0), call - put = e^{-qT}
    calls = ch.loc[ch["kind"] == "call"].set_index(["expiry", "strike"])["delta"]
    puts = ch.loc[ch["kind"] == "put"].set_index(["expiry", "strike"])["delta"]
    both = calls.index.intersection(puts.index)
    diff = (calls[both] - puts[both]).to_numpy()
    t_of = ch.groupby("expiry")["t_years"].first()
    expected = np.exp(-YIELD * t_of.loc[both.get_level_values(0)].to_numpy())
    np.testing.assert_allclose(diff, expected, atol=3e-4)  # each side has its own iv
    assert ((calls > 0) & (calls < 1)).all() and ((puts < 0) & (puts > -1)).all()


def test_fit_quality_and_no_arbitrage(analysed: tuple[ChainAnalysis, dict[date, float]]) -> None:
    a, _ = analysed
    assert list(a.fits.columns) == list(FIT_COLUMNS)
    assert (a.fits["status"] == "ok").all()
    assert (a.fits["rmse_vol_points"] < 0.1).all()
    assert a.arbitrage_free
    assert a.surface is not None and len(a.surface.smiles) == len(EXPIRIES)
    fitted = a.chain.loc[a.chain["in_fit"]]
    assert (fitted["usable"]).all()
    # OTM preferred: fitted calls at or above the forward, puts below it
    assert ((fitted["kind"] == "call") == (fitted["k"] >= 0)).all()
    assert float(np.nanmax(np.abs(fitted["fit_iv"] - fitted["iv"]))) < 0.01


def test_bad_quotes_are_kept_flagged_and_left_out() -> None:
    exp = EXPIRIES[1]
    bad = [
        {"expiry": exp, "kind": "put", "strike": 2005.0, "bid": 60.0, "ask": 50.0},  # crossed
        {"expiry": exp, "kind": "call", "strike": 2505.0, "bid": 0.0, "ask": 0.15},  # zero bid
        {"expiry": exp, "kind": "call", "strike": 2015.0, "bid": 10.0, "ask": 90.0},  # too wide
        {"expiry": exp, "kind": "put", "strike": 1595.0, "bid": math.nan, "ask": math.nan},
        {"expiry": exp, "kind": "put", "strike": 2995.0, "bid": 1.0, "ask": 1.1},  # below bound
    ]
    for row in bad:
        row.update(
            {
                "last": math.nan,
                "volume": 0,
                "open_interest": 0,
                "settlement": "am",
                "style": "european",
                "multiplier": 100.0,
                "root": "RUT",
            }
        )
    snap, fwds = _snapshot(bad)
    a = analyze_chain(snap)
    assert len(a.chain) == len(snap.chain)
    tail = a.chain.iloc[-len(bad) :]
    assert [f.split(",")[0] for f in tail["flags"]] == [
        "crossed",
        "zero_bid",
        "too_wide",
        "no_quote",
        "below_intrinsic",
    ]
    assert not tail["usable"].any() and not tail["in_fit"].any()
    assert tail["iv_status"].iloc[3] == "no_quote"
    assert tail["iv_status"].iloc[4] == "below_intrinsic"
    row = a.forwards.loc[a.forwards["expiry"] == exp].iloc[0]
    assert abs(row["forward"] - fwds[exp]) < 0.01


def test_single_expiry_and_missing_expiry() -> None:
    snap, fwds = _snapshot()
    a = analyze_chain(snap, expiry=EXPIRIES[2])
    assert a.expiries == (EXPIRIES[2],)
    assert set(a.chain["expiry"]) == {pd.Timestamp(EXPIRIES[2])}
    assert len(a.fits) == 1
    assert abs(float(a.forwards["forward"].iloc[0]) - fwds[EXPIRIES[2]]) < 0.01
    with pytest.raises(NoDataError, match="2026-05-15"):
        analyze_chain(snap, expiry=date(2026, 5, 15))


def test_expired_series_reported_not_fitted() -> None:
    snap, _ = _snapshot(expiries=(date(2026, 2, 20), *EXPIRIES[:2]))
    a = analyze_chain(snap)
    old = a.chain.loc[a.chain["expiry"] == pd.Timestamp(date(2026, 2, 20))]
    assert (old["iv_status"] == "expired").all() and old["iv"].isna().all()
    assert date(2026, 2, 20) not in set(a.forwards["expiry"])
    assert len(a.fits) == 2


def test_empty_chain_raises() -> None:
    snap, _ = _snapshot()
    empty = snap.with_chain(OptionChain(snap.chain.frame.iloc[0:0]))
    with pytest.raises(NoDataError, match="empty"):
        analyze_chain(empty)
