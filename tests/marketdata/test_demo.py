"""The bundled SYNTHETIC demo snapshot: loading, byte-for-byte reproducibility, no static
arbitrage on the mids, the listed expiry set, and consistency with the documented parameters."""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
import subprocess
import sys
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import pricing
from marketdata import demo_model as dm
from marketdata.calendar import listed_expiries, monthly_expiry, t_years
from marketdata.dividends import schedule_exact
from marketdata.errors import NoDataError, SchemaError
from marketdata.rates import build_treasury_curve
from marketdata.snapshot import MarketSnapshot
from marketdata.sources.demo import DemoSource, available_symbols, load_demo
from pricing.types import NEW_YORK

ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = ("IWM", "MRUT", "RUT", "SPY")
AS_OF = datetime(2026, 11, 20, 16, 15, tzinfo=NEW_YORK)
LABEL = "SYNTHETIC DEMO DATA (as of 2026-11-20 16:15 ET)"
EPS = 1e-9


@pytest.fixture(scope="module", params=SYMBOLS)
def snap(request: pytest.FixtureRequest) -> MarketSnapshot:
    return load_demo(request.param)


def bundled(name: str) -> bytes:
    return resources.files("marketdata").joinpath("data", name).read_bytes()


def expiry_slices(s: MarketSnapshot) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    frame = s.chain.frame
    out = []
    for e in s.meta["expiries"]:
        part = frame.loc[frame["expiry"] == pd.Timestamp(e["expiry"])]
        out.append((e, part))
    return out


def side(part: pd.DataFrame, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = part.loc[part["kind"] == kind].sort_values("strike")
    k = rows["strike"].to_numpy()
    bid = rows["bid"].to_numpy()
    ask = rows["ask"].to_numpy()
    return k, (bid + ask) / 2.0, bid, ask


# ---------------------------------------------------------------------------------------------
# Loading and labelling
# ---------------------------------------------------------------------------------------------


def test_labelled_synthetic(snap: MarketSnapshot) -> None:
    assert snap.synthetic is True
    assert snap.source == "demo"
    assert snap.meta["label"] == LABEL
    assert snap.as_of == AS_OF and snap.as_of.utcoffset() is not None
    assert snap.underlying in SYMBOLS
    assert available_symbols() == sorted(SYMBOLS)


def test_round_trip_matches_the_csv(snap: MarketSnapshot) -> None:
    raw = bundled(f"demo_{snap.underlying.lower()}.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    frame = snap.chain.frame
    assert len(rows) == len(frame)
    for col in ("strike", "bid", "ask"):
        assert np.array_equal(frame[col].to_numpy(), np.array([float(r[col]) for r in rows]))
    assert list(frame["volume"]) == [int(r["volume"]) for r in rows]
    assert list(frame["open_interest"]) == [int(r["open_interest"]) for r in rows]
    last = np.array([float(r["last"]) if r["last"] else np.nan for r in rows])
    assert np.array_equal(frame["last"].to_numpy(), last, equal_nan=True)
    assert [d.isoformat() for d in frame["expiry"].dt.date] == [r["expiry"] for r in rows]
    # documented columns and dtypes
    assert frame["expiry"].dtype == np.dtype("datetime64[ns]")
    assert set(frame["kind"]) == {"call", "put"}
    assert frame["volume"].dtype == np.int64 and frame["open_interest"].dtype == np.int64
    assert set(frame["settlement"]) <= {"am", "pm"}
    assert set(frame["style"]) == {snap.meta["style"]}
    assert (frame["multiplier"] == 100.0).all()
    assert frame["last_trade"].isna().all() and frame["source_iv"].isna().all()
    occ = re.compile(r"^[A-Z]+\d{6}[CP]\d{8}$")
    assert frame["contract_symbol"].map(lambda x: bool(occ.match(x))).all()
    # last trades sit inside the quote
    traded = frame["last"].notna()
    assert (
        (frame.loc[traded, "last"] >= frame.loc[traded, "bid"] - EPS)
        & (frame.loc[traded, "last"] <= frame.loc[traded, "ask"] + EPS)
    ).all()
    assert (frame.loc[~traded, "volume"] == 0).all()


def test_chain_expiries_are_the_listed_ones(snap: MarketSnapshot) -> None:
    listed = listed_expiries(snap.underlying, AS_OF, dm.HORIZON_YEARS)
    assert snap.chain.expiries == [e.expiry for e in listed]
    assert [e["expiry"] for e in snap.meta["expiries"]] == [e.expiry.isoformat() for e in listed]
    frame = snap.chain.frame
    for e, part in expiry_slices(snap):
        assert set(part["root"]) == {e["root"]}
        assert set(part["settlement"]) == {e["settlement"]}
        assert e["t_years"] == pytest.approx(
            t_years(AS_OF, date.fromisoformat(e["expiry"]), e["settlement"]), rel=1e-11
        )
    assert len(frame) == sum(e["n_strikes"] * 2 for e in snap.meta["expiries"])


def test_every_iwm_expiry_class_present() -> None:
    s = load_demo("IWM")
    classes = {c for e in s.meta["expiries"] for c in e["classes"]}
    assert classes == {"daily", "weekly", "monthly", "quarterly", "leaps"}
    leaps = [e["expiry"] for e in s.meta["expiries"] if "leaps" in e["classes"]]
    assert leaps == ["2028-01-21", "2028-06-16"]
    rut = load_demo("RUT")
    assert {e["settlement"] for e in rut.meta["expiries"]} == {"am", "pm"}
    assert {e["root"] for e in rut.meta["expiries"]} == {"RUT", "RUTW"}
    assert all(
        e["settlement"] == "pm" and e["root"] == "MRUT" for e in load_demo("MRUT").meta["expiries"]
    )


def test_unknown_symbol_and_aliases() -> None:
    with pytest.raises(NoDataError, match="QQQ"):
        load_demo("QQQ")
    assert load_demo("^rut").underlying == "RUT"


def test_returned_frames_are_independent() -> None:
    a = load_demo("IWM")
    a.chain.frame.loc[:, "bid"] = -1.0
    b = load_demo("IWM")
    assert (b.chain.frame["bid"] >= 0).all()


def test_demo_source_protocol_and_filters() -> None:
    from marketdata.sources.base import Source

    src = DemoSource()
    assert isinstance(src, Source) and src.name == "demo"
    calls: list[tuple[int, int]] = []
    wanted = [date(2026, 12, 18), date(2027, 1, 15), date(2031, 1, 17)]
    s = src.load("iwm", expiries=wanted, progress=lambda d, t: calls.append((d, t)))
    assert s.chain.expiries == [date(2026, 12, 18), date(2027, 1, 15)]
    assert [e["expiry"] for e in s.meta["expiries"]] == ["2026-12-18", "2027-01-15"]
    assert calls == [(1, 1)]
    with pytest.raises(NoDataError, match="IWM"):
        src.load("IWM", expiries=[date(2031, 1, 17)])
    assert src.symbols() == sorted(SYMBOLS)


# ---------------------------------------------------------------------------------------------
# Reproducible bytes
# ---------------------------------------------------------------------------------------------


def test_generator_reproduces_the_bundled_bytes(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo_snapshot.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([dm.META_FILE, *(f"demo_{s.lower()}.csv" for s in SYMBOLS)])
    for name in names:
        fresh = (tmp_path / name).read_bytes()
        assert fresh == bundled(name), (
            f"{name} differs from the generator's output: run `make demo-data` "
            "(scripts/make_demo_snapshot.py) and commit marketdata/data/"
        )


def test_bundle_is_small() -> None:
    total = sum(
        len(bundled(n)) for n in [dm.META_FILE, *(f"demo_{s.lower()}.csv" for s in SYMBOLS)]
    )
    assert total < 3_000_000
    assert b"SYNTHETIC DEMO DATA" in bundled(dm.META_FILE)


# ---------------------------------------------------------------------------------------------
# Quotes: ticks, widths, no static arbitrage
# ---------------------------------------------------------------------------------------------


def on_tick(price: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    tick = np.where(price < meta["tick_break"], meta["tick_small"], meta["tick_large"])
    units = price / tick
    return np.asarray(np.abs(units - np.rint(units)) < 1e-6)


def test_quotes_on_ticks_never_crossed(snap: MarketSnapshot) -> None:
    f = snap.chain.frame
    bid, ask = f["bid"].to_numpy(), f["ask"].to_numpy()
    assert (bid >= 0).all() and (ask > bid).all()
    assert on_tick(bid, snap.meta).all() and on_tick(ask, snap.meta).all()
    assert (f["volume"] >= 0).all() and (f["open_interest"] >= 0).all()


def test_no_static_arbitrage_within_each_expiry(snap: MarketSnapshot) -> None:
    american = snap.meta["style"] == "american"
    unit = snap.meta["quote_unit"]
    s = snap.spot
    for e, part in expiry_slices(snap):
        df, fwd = e["discount"], e["forward"]
        for kind in ("call", "put"):
            k, mid, bid, ask = side(part, kind)
            gaps = np.diff(k)
            spread = -np.diff(mid) if kind == "call" else np.diff(mid)
            assert (spread >= -EPS).all(), f"{e['expiry']} {kind}: not monotone"
            # European: the discounted bound rounded up to the half-tick grid (demo_model docstring)
            limit = gaps if american else np.ceil(gaps * df / unit - 1e-7) * unit
            assert (spread <= limit + EPS).all(), f"{e['expiry']} {kind}: vertical above bound"
            # executable: selling the spread at its bid never beats the bound
            exe = (bid[:-1] - ask[1:]) if kind == "call" else (bid[1:] - ask[:-1])
            assert (exe <= gaps * (1.0 if american else df) + EPS).all()
            lhs = mid[1:-1] * (gaps[:-1] + gaps[1:])
            rhs = mid[:-2] * gaps[1:] + mid[2:] * gaps[:-1]
            assert (lhs <= rhs + EPS).all(), f"{e['expiry']} {kind}: not convex"
            sign = 1.0 if kind == "call" else -1.0
            if american:
                lower = np.maximum(sign * (s - k), 0.0)
            else:
                lower = np.maximum(sign * df * (fwd - k), 0.0)
            assert (mid >= lower - EPS).all(), f"{e['expiry']} {kind}: below the lower bound"
            assert (mid > 0).all()


def test_no_calendar_arbitrage_in_the_surface(snap: MarketSnapshot) -> None:
    ordered = sorted(snap.meta["expiries"], key=lambda e: e["t_years"])
    thetas = np.array([e["theta"] for e in ordered])
    assert (np.diff(thetas) > 0).all()
    ss = dm.SSVIParams(**snap.meta["ssvi"])
    grid = np.linspace(-1.5, 0.8, 401)
    w = np.array([ss.total_variance(grid, e["t_years"]) for e in ordered])
    assert (np.diff(w, axis=0) >= -1e-15).all()
    for e in ordered:
        assert ss.total_variance(0.0, e["t_years"]) == pytest.approx(e["theta"], rel=1e-9)
    assert ss.eta * (1 + abs(ss.rho)) <= 2.0 and 0 < ss.gamma <= 0.5


def test_no_calendar_arbitrage_in_the_prices(snap: MarketSnapshot) -> None:
    unit = snap.meta["quote_unit"]
    slices = sorted(expiry_slices(snap), key=lambda x: x[0]["t_years"])
    for (e1, p1), (e2, p2) in itertools.pairwise(slices):
        if snap.meta["style"] == "american":
            # an American option is worth at least as much with more time, strike for strike
            for kind in ("call", "put"):
                k1, m1, _, _ = side(p1, kind)
                k2, m2, _, _ = side(p2, kind)
                common, i1, i2 = np.intersect1d(k1, k2, return_indices=True)
                assert len(common) > 5
                assert (m2[i2] >= m1[i1] - EPS).all(), f"{e1['expiry']} -> {e2['expiry']} {kind}"
        else:
            # normalised undiscounted calls c(m) = C(mF) / (DF F) rise with maturity at fixed m.
            k1, m1c, _, _ = side(p1, "call")
            k2, m2c, _, _ = side(p2, "call")
            x1, c1 = k1 / e1["forward"], m1c / (e1["discount"] * e1["forward"])
            x2, c2 = k2 / e2["forward"], m2c / (e2["discount"] * e2["forward"])
            tol = unit / (e1["discount"] * e1["forward"]) + unit / (e2["discount"] * e2["forward"])
            slopes = np.diff(c1) / np.diff(x1)
            for x, c in zip(x2, c2, strict=True):
                j = int(np.searchsorted(x1, x, side="right")) - 1
                if j < 1 or j + 2 >= len(x1):
                    continue
                lin = c1[j] + (c1[j + 1] - c1[j]) * (x - x1[j]) / (x1[j + 1] - x1[j])
                # linear interpolation of a convex function overshoots by at most this much
                overshoot = (x1[j + 1] - x1[j]) / 4.0 * (slopes[j + 1] - slopes[j - 1])
                assert lin - overshoot <= c + tol, f"{e1['expiry']} -> {e2['expiry']} at m={x:.4f}"


# ---------------------------------------------------------------------------------------------
# The model behind the quotes
# ---------------------------------------------------------------------------------------------


def black76_iv(
    kind: np.ndarray, f: float, k: np.ndarray, t: float, r: float, price: np.ndarray
) -> np.ndarray:
    lo = np.full(len(k), 1e-4)
    hi = np.full(len(k), 4.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        value = pricing.black76_price(kind=kind, forward=f, strike=k, t_years=t, rate=r, vol=mid)
        high = value > price
        hi = np.where(high, mid, hi)
        lo = np.where(high, lo, mid)
    return np.asarray((lo + hi) / 2)


@pytest.mark.parametrize("symbol", ["RUT", "MRUT"])
def test_index_mids_recover_the_ssvi_vols(symbol: str) -> None:
    s = load_demo(symbol)
    ss = dm.SSVIParams(**s.meta["ssvi"])
    errors = []
    for e, part in expiry_slices(s):
        f, t, r = e["forward"], e["t_years"], e["rate"]
        k = part["strike"].to_numpy()
        kind = part["kind"].to_numpy()
        mid = ((part["bid"] + part["ask"]) / 2).to_numpy()
        otm = ((kind == "call") & (k >= f)) | ((kind == "put") & (k < f))
        true = ss.implied_vol(np.log(k[otm] / f), t)
        vega = pricing.black76_greeks(
            kind=kind[otm], forward=f, strike=k[otm], t_years=t, rate=r, vol=true
        ).vega
        solid = vega >= 0.01 * f / 280.0  # at least about a cent (IWM scale) per vol point
        iv = black76_iv(kind[otm][solid], f, k[otm][solid], t, r, mid[otm][solid])
        errors.append((iv - true[solid]) * 100.0)
    err = np.concatenate(errors)
    assert len(err) > 1000
    assert np.sqrt(np.mean(err**2)) < 0.1  # vol points
    assert np.max(np.abs(err)) < 0.6


@pytest.mark.parametrize("symbol", ["IWM", "SPY"])
def test_american_mids_are_the_model_prices(symbol: str) -> None:
    s = load_demo(symbol)
    ss = dm.SSVIParams(**s.meta["ssvi"])
    unit = s.meta["quote_unit"]
    for e, part in expiry_slices(s)[::6]:
        t, r, f = e["t_years"], e["rate"], e["forward"]
        sample = part.iloc[:: max(1, len(part) // 20)]
        k = sample["strike"].to_numpy()
        vols = ss.implied_vol(np.log(k / f), t)
        sched = schedule_exact(s.dividends, s.as_of).within(t)
        model = pricing.american_price(
            kind=sample["kind"].to_numpy(),
            spot=s.spot,
            strike=k,
            t_years=t,
            rate=r,
            vol=vols,
            dividends=sched or None,
        )
        mid = ((sample["bid"] + sample["ask"]) / 2).to_numpy()
        assert np.max(np.abs(mid - model)) <= 2.0 * unit + 1e-9, e["expiry"]
    assert s.meta["price_model"].startswith("american"), (
        "regenerate once pricing.american_price works"
    )


def test_skew_and_term_structure_targets() -> None:
    from scipy.optimize import brentq
    from scipy.stats import norm

    s = load_demo("IWM")
    ss = dm.SSVIParams(**s.meta["ssvi"])
    for e in s.meta["expiries"]:
        t = e["t_years"]
        if t > 0.6:
            continue

        def put_delta(k: float, t: float = t) -> float:
            v = float(ss.implied_vol(k, t))
            return float(norm.cdf((-k + 0.5 * v * v * t) / (v * math.sqrt(t))) - 1.0)

        k20 = brentq(lambda k: put_delta(k) + 0.20, -3.0, 0.0)
        skew = float(ss.implied_vol(k20, t) - ss.implied_vol(0.0, t)) * 100
        assert 8.0 <= skew <= 10.0, (e["expiry"], skew)
    atm = [e["atm_vol"] for e in s.meta["expiries"]]
    assert min(atm) >= 0.20 and max(atm) <= 0.24 and atm == sorted(atm)


def test_widths_look_like_real_markets() -> None:
    iwm = load_demo("IWM")
    for e, part in expiry_slices(iwm):
        near = part.loc[(part["strike"] - e["forward"]).abs() <= 1.5]
        width = (near["ask"] - near["bid"]).to_numpy()
        if e["t_years"] < 0.1:
            assert width.min() >= 0.01 - EPS and width.max() <= 0.04 + EPS, e["expiry"]
        if "leaps" in e["classes"]:
            assert width.min() >= 0.10, e["expiry"]
    rut = load_demo("RUT")
    for e, part in expiry_slices(rut):
        near = part.loc[(part["strike"] - e["forward"]).abs() <= 10.0]
        if e["t_years"] > 0.05:
            assert (near["ask"] - near["bid"]).min() >= 1.0, e["expiry"]


def test_open_interest_declines_away_from_the_money(snap: MarketSnapshot) -> None:
    for e, part in expiry_slices(snap):
        z = np.log(part["strike"].to_numpy() / e["forward"]) / (
            e["atm_vol"] * math.sqrt(e["t_years"])
        )
        oi = part["open_interest"].to_numpy()
        near, far = oi[np.abs(z) < 1.0], oi[np.abs(z) > 2.5]
        if len(near) >= 5 and len(far) >= 5:
            assert near.mean() > 2.0 * far.mean(), e["expiry"]
        assert oi.max() > 0


def test_index_parity_gives_the_true_forward() -> None:
    rut = load_demo("RUT")
    for e, part in expiry_slices(rut):
        kc, mc, _, _ = side(part, "call")
        kp, mp, _, _ = side(part, "put")
        assert np.array_equal(kc, kp)
        near = np.abs(kc / e["forward"] - 1.0) < 0.03
        implied = kc[near] + (mc[near] - mp[near]) / e["discount"]
        assert (
            np.max(np.abs(implied - e["forward"])) <= 3 * rut.meta["quote_unit"] / e["discount"]
        ), e["expiry"]


def test_mrut_is_a_tenth_of_rut() -> None:
    rut, mrut = load_demo("RUT"), load_demo("MRUT")
    assert mrut.spot == pytest.approx(rut.spot / 10.0)
    rf, mf = rut.chain.frame, mrut.chain.frame
    shared = sorted(set(rf.loc[rf["root"] == "RUTW", "expiry"]) & set(mf["expiry"]))
    assert len(shared) >= 10
    checked = 0
    for day in shared:
        r = rf.loc[rf["expiry"] == day].assign(key=lambda x: (x["strike"] / 10.0).round(4))
        m = mf.loc[mf["expiry"] == day].assign(key=lambda x: x["strike"].round(4))
        both = r.merge(m, on=["key", "kind"], suffixes=("_r", "_m"))
        mid_r = (both["bid_r"] + both["ask_r"]) / 2 / 10.0
        mid_m = (both["bid_m"] + both["ask_m"]) / 2
        assert (np.abs(mid_r - mid_m) <= 0.0125 + EPS).all()
        checked += len(both)
    assert checked > 500


# ---------------------------------------------------------------------------------------------
# Spot, rates and dividends against the documented parameters
# ---------------------------------------------------------------------------------------------


def test_spots_match_the_parameters() -> None:
    spots = {s: load_demo(s).spot for s in SYMBOLS}
    assert spots["RUT"] == 2793.30
    assert abs(spots["IWM"] - 2793.30 / 10.06) <= 0.005
    assert spots["MRUT"] == pytest.approx(279.33)
    assert spots["SPY"] == 660.00


def test_rates_match_the_treasury_parameters(snap: MarketSnapshot) -> None:
    curve = build_treasury_curve(dm.TREASURY)
    assert snap.rate_curve.tenors_years == pytest.approx(curve.tenors_years, rel=1e-11)
    assert snap.rate_curve.zero_rates == pytest.approx(curve.zero_rates, rel=1e-11)
    assert 0.039 < float(snap.rate_curve.rate(0.25)) < 0.041  # 3-month ~4.0 %
    assert 0.043 < float(snap.rate_curve.rate(10.0)) < 0.045  # 10-year ~4.4 %
    assert snap.meta["treasury_quotes"]["note_10y_pct"] == 4.40
    for e in snap.meta["expiries"]:
        assert e["rate"] == pytest.approx(float(snap.rate_curve.rate(e["t_years"])), abs=1e-11)
        assert e["discount"] == pytest.approx(math.exp(-e["rate"] * e["t_years"]), rel=1e-11)


def test_dividends_and_forwards_match_the_parameters(snap: MarketSnapshot) -> None:
    if snap.underlying in ("RUT", "MRUT"):
        assert snap.dividends.ex_dates == ()
        assert snap.meta["div_yield"] == 0.013
        for e in snap.meta["expiries"]:
            expected = snap.spot * math.exp((e["rate"] - 0.013) * e["t_years"])
            assert e["forward"] == pytest.approx(expected, rel=1e-10)
        return
    divs = snap.dividends
    assert {d.month for d in divs.ex_dates} == {3, 6, 9, 12}
    assert divs.ex_dates[0] > AS_OF.date() and divs.ex_dates[-1] >= date(2028, 6, 16)
    first_year = [
        a for d, a in zip(divs.ex_dates, divs.amounts, strict=True) if d <= date(2027, 11, 20)
    ]
    target = 0.012 if snap.underlying == "IWM" else 0.011
    assert len(first_year) == 4
    assert sum(first_year) / snap.spot == pytest.approx(target, abs=2e-5)
    if snap.underlying == "IWM":
        for d in divs.ex_dates:  # late March, June, September; mid-December
            assert (d.month == 12 and 10 <= d.day <= 17) or (d.month != 12 and d.day >= 19), d
        dec = [a for d, a in zip(divs.ex_dates, divs.amounts, strict=True) if d.month == 12]
        mar = [a for d, a in zip(divs.ex_dates, divs.amounts, strict=True) if d.month == 3]
        assert min(dec) > max(mar)  # seasonal: December pays more than March
    else:
        assert all(d == monthly_expiry(d.year, d.month) for d in divs.ex_dates)  # SPY: third Friday
    for e in snap.meta["expiries"]:
        sched = schedule_exact(divs, AS_OF).within(e["t_years"])
        pv = sum(
            a * math.exp(-e["rate"] * t)
            for t, a in zip(sched.times_years, sched.amounts, strict=True)
        )
        assert e["pv_dividends"] == pytest.approx(pv, rel=1e-9, abs=1e-12)
        assert e["forward"] == pytest.approx(
            (snap.spot - pv) * math.exp(e["rate"] * e["t_years"]), rel=1e-10
        )


def test_ssvi_parameters_are_arbitrage_free_and_documented() -> None:
    for params in (dm.RUSSELL_SSVI, dm.SPY_SSVI):
        assert params.eta * (1 + abs(params.rho)) <= 2.0
    with pytest.raises(pricing.InputError, match="eta"):
        dm.SSVIParams(rho=-0.8, eta=1.5, gamma=0.5, atm_short=0.2, atm_long=0.2, tau_years=0.5)
    doc = dm.__doc__ or ""
    for needle in ("SYNTHETIC", "2,793.30", "10.06", "1.2 %", "660", "4.40 %", "SSVI"):
        assert needle in doc


# ---------------------------------------------------------------------------------------------
# A damaged bundle fails with a SchemaError naming the file
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def damaged(monkeypatch: pytest.MonkeyPatch) -> Any:
    from marketdata.sources import demo

    real = demo._read_bytes
    replacements: dict[str, bytes | None] = {}

    def fake(name: str) -> bytes:
        if name in replacements:
            data = replacements[name]
            if data is None:
                raise SchemaError(f"demo bundle: cannot read data/{name}: missing")
            return data
        return real(name)

    demo._meta.cache_clear()
    demo._frame.cache_clear()
    monkeypatch.setattr(demo, "_read_bytes", fake)
    yield replacements
    demo._meta.cache_clear()
    demo._frame.cache_clear()


def test_corrupt_meta(damaged: dict[str, bytes | None]) -> None:
    damaged["demo_meta.json"] = b"{not json"
    with pytest.raises(SchemaError, match=r"demo_meta\.json"):
        load_demo("IWM")


def test_meta_missing_keys(damaged: dict[str, bytes | None]) -> None:
    damaged["demo_meta.json"] = b'{"label": "x"}'
    with pytest.raises(SchemaError, match="lacks"):
        load_demo("IWM")


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"expiry,kind,strike\n2026-11-23,call,250\n", "columns"),
        (
            b"expiry,kind,strike,bid,ask,last,volume,open_interest,root\n2026-11-23,call,250,1,2,,0,0,XYZ\n",
            "roots",
        ),
        (
            b"expiry,kind,strike,bid,ask,last,volume,open_interest,root\n23/11/2026,call,250,1,2,,0,0,IWM\n",
            "YYYY-MM-DD",
        ),
        (
            b"expiry,kind,strike,bid,ask,last,volume,open_interest,root\n2026-11-23,call,abc,1,2,,0,0,IWM\n",
            "parse",
        ),
        (None, "cannot read"),
    ],
)
def test_corrupt_chain_file(
    damaged: dict[str, bytes | None], payload: bytes | None, match: str
) -> None:
    damaged["demo_iwm.csv"] = payload
    with pytest.raises(SchemaError, match=match):
        load_demo("IWM")
    assert load_demo("RUT").underlying == "RUT"  # the other files still load


def test_loads_from_a_zip_archive(tmp_path: Path) -> None:
    """importlib.resources reads the bundle from inside an archive (as from a wheel or zipapp)."""
    import os
    import zipfile

    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for pkg in ("marketdata", "pricing"):
            for p in (ROOT / pkg).rglob("*"):
                if p.is_file() and "__pycache__" not in p.parts:
                    z.write(p, p.relative_to(ROOT))
    code = (
        "import marketdata.sources.demo as d\n"
        "assert '.zip' in d.__file__, d.__file__\n"
        "s = d.load_demo('IWM')\n"
        "print(s.underlying, len(s.chain), s.synthetic)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(archive), "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["IWM", str(len(load_demo("IWM").chain)), "True"]
