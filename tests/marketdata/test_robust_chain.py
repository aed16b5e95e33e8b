"""Issue 10, points 4 and 5: one bad quote never sinks a chain, flags and IV statuses agree, each
expiry's fit is judged against its own quotes, and a thin or erratic expiry never distorts its
neighbours (fits, calendar checks, surface pricing)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketdata.analysis import analyze_chain, inside_spread
from marketdata.chain_schema import ChainDocument
from marketdata.chain_view import chain_document, chain_view
from marketdata.cleaning import FLAG_BELOW_INTRINSIC, FLAG_NO_VOL, apply_iv_status, clean_chain
from marketdata.snapshot import DividendForecast, MarketSnapshot, OptionChain, RateCurve
from marketdata.sources.csv_import import read_chain_csv
from pricing.errors import InputError
from pricing.surface import SVIParams, durrleman_g, fit_surface, fit_svi
from pricing.types import NEW_YORK
from tests.marketdata._chain_factory import AS_OF, Series, quote_rows, row, snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chains"
RUT_DAY_BEFORE = FIXTURES / "rut_sub_nickel_day_before.csv"


def _smile(t: float) -> SVIParams:
    return SVIParams(
        a=0.02 * t,
        b=0.12 * math.sqrt(t) + 0.02 * t,
        rho=-0.6,
        m=0.02,
        sigma=0.1 * math.sqrt(t) + 0.01,
    )


def _consistent(chain: pd.DataFrame) -> None:
    """Flags and statuses agree: usable quotes have a vol with status ok; a solver's
    below-intrinsic verdict is a below_intrinsic flag; every other failed status is no_vol."""
    usable = chain["usable"].to_numpy(dtype=bool)
    status = chain["iv_status"].to_numpy(dtype=str)
    flags = [str(f).split(",") for f in chain["flags"]]
    assert (status[usable] == "ok").all()
    assert np.isfinite(chain["iv"].to_numpy(dtype=np.float64)[usable]).all()
    for s, f in zip(status, flags, strict=True):
        if s == "below_intrinsic":
            assert FLAG_BELOW_INTRINSIC in f
        elif s != "ok":
            assert FLAG_NO_VOL in f
    assert not chain.loc[~chain["usable"], "in_fit"].any()


# --- point 4: robust analysis ------------------------------------------------------------------


def test_european_sub_nickel_wing_the_day_before_expiry_does_not_sink_the_chain() -> None:
    """RUT, spot 1850, one day to the AM settlement, strikes 1800/1850/1900 and a 200 put bid 0,
    ask 0.05: that put solved to a vol above 500 % with status ok and the Greeks step raised."""
    snap = read_chain_csv(RUT_DAY_BEFORE)
    a = analyze_chain(snap)
    ch = a.chain
    wing = ch.loc[(ch["strike"] == 200.0) & (ch["kind"] == "put")].iloc[0]
    assert wing["iv_status"] == "above_ceiling"
    assert math.isnan(wing["iv"]) and math.isnan(wing["delta"])
    assert not wing["usable"] and not wing["in_fit"]
    assert FLAG_NO_VOL in str(wing["flags"]).split(",")
    others = ch.loc[ch["strike"] != 200.0]
    assert (others["iv_status"] == "ok").all() and others["usable"].all()
    assert np.isfinite(others["delta"]).all()
    _consistent(ch)
    # Every face of it renders: the JSON validates, the view has the fit's status.
    doc = ChainDocument.model_validate(chain_document(a, "fixture"))
    fit = doc.expiries[0].fit
    assert fit is not None and fit.status == "too_few_quotes"  # three OTM quotes only
    assert fit.n_usable == 3 and fit.inside_spread_share is not None  # one a strike
    view = chain_view(a, date(2026, 11, 20), "fixture")
    assert view.fit_status == "too_few_quotes"


def test_quotes_the_greeks_engine_refuses_are_not_valued_and_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pricing.european as european

    real = european.black76_greeks

    def refuse_1900(**kw: object) -> object:
        if np.any(np.asarray(kw["strike"]) == 1900.0):
            raise InputError("vol", 0.0, "refused by the test")
        return real(**kw)  # type: ignore[arg-type]

    monkeypatch.setattr(european, "black76_greeks", refuse_1900)
    ch = analyze_chain(read_chain_csv(RUT_DAY_BEFORE)).chain
    at_1900 = ch["strike"] == 1900.0
    assert (ch.loc[at_1900, "iv_status"] == "not_valued").all()
    assert not ch.loc[at_1900, "usable"].any()
    rest = ~at_1900 & (ch["strike"] != 200.0)
    assert (ch.loc[rest, "iv_status"] == "ok").all() and np.isfinite(ch.loc[rest, "delta"]).all()
    _consistent(ch)


def test_apply_iv_status_is_the_one_place_that_decides_usable() -> None:
    raw = OptionChain.from_records(
        [row(date(2026, 3, 20), "call", float(k), 5.0, 5.2) for k in (2000, 2010, 2020, 2030)]
    )
    cleaned = clean_chain(raw, as_of=AS_OF, spot=2050.0)
    assert cleaned.frame["usable"].all()
    status = ["ok", "below_intrinsic", "above_ceiling", "no_convergence"]
    out = apply_iv_status(cleaned, status).frame
    assert out["usable"].tolist() == [True, False, False, False]
    assert out["flags"].tolist() == ["", "below_intrinsic", "no_vol", "no_vol"]
    with pytest.raises(InputError, match="iv_status"):
        apply_iv_status(cleaned, status[:2])


def test_deep_itm_american_calls_without_dividends_are_not_below_intrinsic() -> None:
    """A dividend payer's chain given without its dividends: deep in-the-money calls trade near
    ``S - K``, below ``S - K e^{-rt}`` (a bound that assumes no dividend before expiry). They
    must keep a clean flag set and a vol."""
    from pricing.american import american_price

    spot, rate, q, vol = 100.0, 0.04, 0.03, 0.25
    expiry = date(2026, 9, 18)
    from marketdata.calendar import t_years

    t = t_years(AS_OF, expiry, "pm")
    strikes = np.arange(50.0, 131.0, 5.0)
    rows = []
    for kind in ("call", "put"):
        prices = american_price(
            kind=kind, spot=spot, strike=strikes, t_years=t, rate=rate, div_yield=q, vol=vol
        )
        for k, p in zip(strikes, prices, strict=True):
            if p < 0.2:
                continue
            half = max(0.02, 0.004 * p)
            r = row(expiry, kind, float(k), round(p - half, 2), round(p + half, 2), "pm")
            r.update(style="american", root="XYZ")
            rows.append(r)
    snap = MarketSnapshot(
        AS_OF,
        "XYZ",
        spot,
        RateCurve.flat(rate),
        DividendForecast(),
        OptionChain.from_records(rows),
        source="test",
        synthetic=True,
    )
    ch = analyze_chain(snap).chain
    calls = ch.loc[ch["kind"] == "call"]
    deep = calls.loc[(calls["strike"] >= 65.0) & (calls["strike"] <= 75.0)]
    df = math.exp(-rate * t)
    # The old bound would have flagged them: their mids sit below S - K DF.
    assert len(deep) == 3 and (deep["mid"] < spot - deep["strike"] * df - 0.005).all()
    assert (deep["flags"] == "").all()
    assert deep["usable"].all() and (deep["iv_status"] == "ok").all()
    # Deeper still, they trade at S - K (exercise now): no time value, so no vol, never
    # "below intrinsic".
    deepest = calls.loc[calls["strike"] <= 60.0]
    assert (deepest["iv_status"] == "no_time_value").all()
    assert (deepest["flags"] == "no_vol").all() and not deepest["usable"].any()
    _consistent(ch)


# --- point 5: robust surface -------------------------------------------------------------------

M1, WEEKLY, M2, M3 = date(2026, 3, 20), date(2026, 4, 2), date(2026, 4, 17), date(2026, 5, 15)


def _monthlies() -> list[dict[str, object]]:
    return [r for d in (M1, M2, M3) for r in quote_rows(Series(d, _smile))]


THIN_WEEKLIES = {
    # a handful of quotes with wide (but not too wide) spreads: too little to trust
    "thin": Series(
        WEEKLY,
        _smile,
        step=75.0,
        sd_below=1.6,
        sd_above=1.3,
        settlement="pm",
        spread=lambda p: max(0.3, 0.12 * p),
        offsets=(0.2, 0.8),
    ),
    # more quotes but erratic: +-10 vol points of noise, 14 % spreads
    "erratic": Series(
        WEEKLY,
        _smile,
        step=40.0,
        sd_below=2.0,
        sd_above=1.6,
        settlement="pm",
        spread=lambda p: max(0.4, 0.14 * p),
        offsets=(0.1, 0.9, 0.5),
        vol_noise=(0.06, -0.04, 0.08, -0.05, 0.10),
    ),
}


@pytest.mark.parametrize("name", sorted(THIN_WEEKLIES))
def test_a_thin_weekly_between_monthlies_is_flagged_and_moves_nothing(name: str) -> None:
    weekly = quote_rows(THIN_WEEKLIES[name])
    full = analyze_chain(snapshot(_monthlies() + weekly))
    alone = analyze_chain(snapshot(_monthlies()))
    fits = full.fits.set_index("expiry")
    base = alone.fits.set_index("expiry")
    assert fits.loc[WEEKLY, "status"] == {"thin": "thin", "erratic": "poor_fit"}[name]
    for d in (M1, M2, M3):
        assert fits.loc[d, "status"] == "ok" and fits.loc[d, "inside_spread_share"] >= 0.9
        assert not fits.loc[d, "calendar_arbitrage"]
        # the monthly's fitted vols at its quotes, with and without the weekly: within 1 vol pt
        a = full.expiry_frame(d)
        b = alone.expiry_frame(d)
        diff = (a["fit_iv"].to_numpy() - b["fit_iv"].to_numpy()) * 100.0
        assert float(np.sqrt(np.mean(diff * diff))) < 1.0
        assert fits.loc[d, "rmse_vol_points"] == pytest.approx(
            base.loc[d, "rmse_vol_points"], abs=0.1
        )
    # Pricing at the weekly's time bridges it: total variance between the good monthlies.
    t_w = float(fits.loc[WEEKLY, "t_years"])
    strikes = np.array([1900.0, 2000.0, 2050.0, 2100.0, 2150.0])
    assert full.surface is not None and alone.surface is not None
    got = full.surface.vol(t_w, strikes)
    want = alone.surface.vol(t_w, strikes)
    np.testing.assert_allclose(got, want, atol=2e-3)
    # The table header and the JSON say the weekly's fit is not ok.
    view = chain_view(full, WEEKLY, "test")
    assert view.fit_status == fits.loc[WEEKLY, "status"]
    from tui.render import chain_table

    title = str(chain_table(view).title)
    assert f"fit {str(view.fit_status).upper()}" in title and "in bid-ask" in title
    doc = ChainDocument.model_validate(chain_document(full, "test", WEEKLY))
    assert doc.expiries[0].fit is not None and doc.expiries[0].fit.status != "ok"


def test_lazy_surface_bridges_a_bad_expiry_as_the_whole_surface_does() -> None:
    weekly = quote_rows(THIN_WEEKLIES["erratic"])
    lazy = analyze_chain(snapshot(_monthlies() + weekly))
    whole = analyze_chain(snapshot(_monthlies() + weekly))
    assert lazy.surface is not None and whole.surface is not None
    t_w = float(whole.fits.set_index("expiry").loc[WEEKLY, "t_years"])
    strikes = np.array([1950.0, 2050.0, 2150.0])
    from pricing.surface import VolSurface

    every = VolSurface(spot=2050.0, smiles=tuple(whole.surface.smiles))
    for t in (t_w, t_w * 0.9, t_w * 1.1):
        np.testing.assert_allclose(lazy.surface.vol(t, strikes), every.vol(t, strikes), rtol=1e-12)


def test_fit_surface_is_not_pulled_by_a_bad_expiry() -> None:
    """pricing.fit_surface penalises calendar arbitrage against the previous smile: a bad expiry
    (too high, thin, erratic) between two good ones must not drag the later fit."""
    fwd = 100.0
    k = np.linspace(-0.25, 0.2, 25)
    ts = (0.08, 0.12, 0.16)
    vols = [np.sqrt(_smile(t).total_variance(k) / t) for t in ts]
    bad_k = np.array([-0.1, -0.05, 0.0, 0.05, 0.1, 0.15])
    bad_v = np.array([0.45, 0.55, 0.35, 0.66, 0.4, 0.7])  # a weekly far above the market
    data = [
        (ts[0], fwd, k, vols[0], None),
        (0.10, fwd, bad_k, bad_v, None),
        (ts[1], fwd, k, vols[1], None),
        (ts[2], fwd, k, vols[2], None),
    ]
    surface = fit_surface(fwd, data)
    assert surface.smiles[1].status == "poor_fit"  # judged on its RMSE (no spreads given)
    assert [s.status for s in surface.smiles[::2]] == ["ok", "ok"]
    np.testing.assert_allclose(surface.expiries_years, ts)  # priced from the good ones only
    for t, v, smile in zip(ts[1:], vols[1:], surface.smiles[2:], strict=True):
        alone = fit_svi(k, v, t_years=t, forward=fwd)
        err = (smile.vol(k) - alone.vol(k)) * 100.0
        assert float(np.sqrt(np.mean(err * err))) < 1.0
        assert smile.rmse_vol_points < 1.0


# --- Hypothesis: arbitrage-free surfaces, noise inside the spread, junk quotes ------------------


@st.composite
def _surfaces(draw: st.DrawFn) -> tuple[SVIParams, float, float, list[float], list[float]]:
    """A raw SVI family ``w(k, t) = a t + b sqrt(t) (rho (k - m) + sqrt((k - m)^2 + s^2))``: total
    variance increases with ``t`` (a, b >= 0 and the bracket is >= 0), butterfly-free on the
    quoted range (checked); plus mid offsets inside the spread and vol noise (none)."""
    level = draw(st.floats(0.01, 0.06))
    wing = draw(st.floats(0.05, 0.25))
    rho = draw(st.floats(-0.8, 0.2))
    m = draw(st.floats(-0.05, 0.05))
    s = draw(st.floats(0.05, 0.3))
    offsets = draw(st.lists(st.floats(0.05, 0.95), min_size=3, max_size=7))
    spread_pct = draw(st.floats(0.01, 0.06))
    junk_at = draw(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
    return SVIParams(level, wing, rho, m, s), spread_pct, 0.0, offsets, junk_at


def _family(p: SVIParams) -> object:
    def smile(t: float) -> SVIParams:
        return SVIParams(
            a=p.a * t, b=p.b * math.sqrt(t), rho=p.rho, m=p.m, sigma=p.sigma * math.sqrt(t)
        )

    return smile


@settings(max_examples=6)
@given(_surfaces())
def test_fits_match_their_quotes_and_junk_is_flagged(
    drawn: tuple[SVIParams, float, float, list[float], list[float]],
) -> None:
    params, spread_pct, _, offsets, junk_at = drawn
    smile = _family(params)
    expiries = (M1, M2, M3)
    for d in expiries:
        t = (d - AS_OF.date()).days / 365.0
        sm = smile(t)  # type: ignore[operator]
        g = durrleman_g(sm.as_array(), np.linspace(-1.0, 0.6, 161))
        if not (g >= 0.0).all():
            return  # not butterfly-free on the quoted range: not a valid market
    rows: list[dict[str, object]] = []
    for d in expiries:
        rows += quote_rows(
            Series(
                d,
                smile,  # type: ignore[arg-type]
                spread=lambda p, pct=spread_pct: max(0.10, pct * p),
                offsets=tuple(offsets),
            )
        )
    # Junk: a 0.00/0.05 far wing, a crossed quote, a call below the forward's intrinsic, a
    # put priced above the strike: one of each per draw, at strikes of their own.
    junk = [
        row(M2, "put", 200.0 + 100.0 * junk_at[0], 0.0, 0.05),
        row(M2, "call", 2055.0, 60.0, 40.0),
        row(M3, "call", 1505.0 + 100 * junk_at[1], 1.0, 1.2),
        row(M3, "put", 2105.0 + 10 * junk_at[2], 2500.0, 2510.0),
    ]
    a = analyze_chain(snapshot(rows + junk))
    ch = a.chain
    n = len(rows)
    assert not ch.iloc[n:]["usable"].any()
    assert (ch.iloc[n:]["flags"] != "").all()
    _consistent(ch)
    fits = a.fits
    assert len(fits) == len(expiries)
    assert (fits["inside_spread_share"] >= 0.9).all(), fits[["expiry", "inside_spread_share"]]
    assert (fits["status"] == "ok").all()
    # The bar as the issue words it: over EVERY usable quote of each expiry (in-the-money twins
    # too, not only the one-a-strike set the fit status is judged on), >= 90 % inside.
    inside = inside_spread(ch, ch["fit_iv"].to_numpy(dtype=np.float64))
    solved = ch["usable"].to_numpy(dtype=bool) & np.isfinite(ch["iv"].to_numpy(dtype=np.float64))
    for d in expiries:
        series = solved & (ch["expiry"].dt.date == d).to_numpy()
        assert series.sum() >= 20 and inside[series].mean() >= 0.9, (d, inside[series].mean())


def test_old_documents_without_the_new_fit_fields_still_validate() -> None:
    doc = ChainDocument.model_validate(
        chain_document(analyze_chain(read_chain_csv(RUT_DAY_BEFORE)), "x")
    )
    data = doc.model_dump()
    for e in data["expiries"]:
        if e["fit"] is not None:
            e["fit"].pop("inside_spread_share")
            e["fit"].pop("n_usable")
    ChainDocument.model_validate(data)
    assert NEW_YORK is not None
