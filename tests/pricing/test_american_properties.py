"""Properties of American prices from the default engine, and the default engine against
QuantLib's FD reference (with and without cash dividends)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pricing import american_tree
from pricing.american import american_greeks, american_price
from pricing.dividends import pv_dividends
from pricing.errors import InputError
from pricing.european import european_price
from pricing.types import DividendSchedule

# Numerical slack of the default engine (relative to the spot) used in no-arbitrage checks.
SLACK = 2e-6

spots = st.floats(50.0, 400.0)
log_moneyness = st.floats(-0.5, 0.5)
times = st.floats(1.0 / 365.0, 3.0)
rates = st.floats(0.0, 0.10)
yields = st.floats(0.0, 0.08)
vols = st.floats(0.05, 1.0)
kinds = st.sampled_from(["call", "put"])


@st.composite
def cash_dividends(draw: st.DrawFn) -> DividendSchedule:
    """A quarterly-ish IWM-like schedule: 1 to 8 dividends of 0.2 % to 0.6 % of 100."""
    n = draw(st.integers(1, 8))
    first = draw(st.floats(0.01, 0.25))
    gaps = [draw(st.floats(0.2, 0.3)) for _ in range(n - 1)]
    times_ = [first]
    for gap in gaps:
        times_.append(times_[-1] + gap)
    amounts = [draw(st.floats(0.2, 0.6)) for _ in range(n)]
    return DividendSchedule(tuple(times_), tuple(amounts))


def _price(**kw: object) -> float:
    return float(american_price(**kw))  # type: ignore[arg-type]


@given(kinds, spots, log_moneyness, times, rates, yields, vols)
def test_american_at_least_european_and_intrinsic(kind, s, m, t, r, q, v) -> None:
    k = s * math.exp(m)
    am = _price(kind=kind, spot=s, strike=k, t_years=t, rate=r, div_yield=q, vol=v)
    eu = float(european_price(kind=kind, spot=s, strike=k, t_years=t, rate=r, div_yield=q, vol=v))
    intrinsic = max((s - k) if kind == "call" else (k - s), 0.0)
    assert am >= eu - SLACK * s
    assert am >= intrinsic


@given(kinds, st.floats(200.0, 300.0), log_moneyness, times, rates, vols, cash_dividends())
def test_american_at_least_european_with_cash_dividends(kind, s, m, t, r, v, divs) -> None:
    """Same SPOT dividend model on both sides: the European is the engine's own FD solve
    without early exercise."""
    k = s * math.exp(m)
    am = _price(kind=kind, spot=s, strike=k, t_years=t, rate=r, vol=v, dividends=divs)
    eu = np.empty(1)
    american_tree.european_fd_groups(
        np.array([1.0 if kind == "call" else -1.0]),
        np.array([k]),
        np.array([t]),
        np.array([r]),
        np.array([0.0]),
        np.array([v]),
        np.array([0, 1]),
        np.array([s]),
        np.array(divs.times_years),
        np.array(divs.amounts),
        1,
        eu,
    )
    # two different solvers may meet here (spectral without dividends in the option's life)
    assert am >= eu[0] * (1.0 - 1e-4) - SLACK * s
    assert am >= max((s - k) if kind == "call" else (k - s), 0.0)


@given(kinds, spots, log_moneyness, st.floats(0.01, 0.3), times, rates, yields, vols)
def test_monotone_in_strike(kind, s, m, dm, t, r, q, v) -> None:
    k1, k2 = s * math.exp(m), s * math.exp(m + dm)
    p1, p2 = american_price(
        kind=kind, spot=s, strike=[k1, k2], t_years=t, rate=r, div_yield=q, vol=v
    )
    if kind == "call":
        assert p1 >= p2 - SLACK * s
        assert p1 - p2 <= (k2 - k1) + SLACK * s
    else:
        assert p2 >= p1 - SLACK * s
        assert p2 - p1 <= (k2 - k1) + SLACK * s


@given(kinds, spots, log_moneyness, times, rates, yields, vols, st.floats(0.005, 0.3))
def test_monotone_in_vol(kind, s, m, t, r, q, v, dv) -> None:
    assume(v + dv <= 5.0)
    p1, p2 = american_price(
        kind=kind, spot=s, strike=s * math.exp(m), t_years=t, rate=r, div_yield=q, vol=[v, v + dv]
    )
    assert p2 >= p1 - SLACK * s


@given(kinds, spots, log_moneyness, times, st.floats(1.0 / 365.0, 1.0), rates, yields, vols)
def test_monotone_in_time(kind, s, m, t, dt, r, q, v) -> None:
    p1, p2 = american_price(
        kind=kind, spot=s, strike=s * math.exp(m), t_years=[t, t + dt], rate=r, div_yield=q, vol=v
    )
    assert p2 >= p1 - SLACK * s


@given(
    kinds,
    st.floats(200.0, 300.0),
    log_moneyness,
    times,
    st.floats(1.0 / 365.0, 1.0),
    rates,
    vols,
    cash_dividends(),
)
def test_monotone_in_time_with_cash_dividends(kind, s, m, t, dt, r, v, divs) -> None:
    p1, p2 = american_price(
        kind=kind,
        spot=s,
        strike=s * math.exp(m),
        t_years=[t, t + dt],
        rate=r,
        vol=v,
        dividends=divs,
    )
    assert p2 >= p1 - 1e-5 * s


@given(spots, log_moneyness, times, rates, yields, vols, st.one_of(st.none(), cash_dividends()))
def test_put_call_bounds(s, m, t, r, q, v, divs) -> None:
    """S e^{-qT} - PV(D) - K <= C - P <= S - K e^{-rT} for American options."""
    assume(divs is None or s > 100.0)
    k = s * math.exp(m)
    call, put = american_price(
        kind=["call", "put"],
        spot=s,
        strike=k,
        t_years=t,
        rate=r,
        div_yield=q,
        vol=v,
        dividends=divs,
    )
    pv = float(pv_dividends(divs, t, r)) if divs else 0.0
    lower = s * math.exp(-q * t) - pv - k
    upper = s - k * math.exp(-r * t)
    assert lower - 1e-5 * s <= call - put <= upper + 1e-5 * s


@given(kinds, spots, log_moneyness, rates, yields, vols)
def test_at_and_past_expiry_is_intrinsic(kind, s, m, r, q, v) -> None:
    k = s * math.exp(m)
    intrinsic = max((s - k) if kind == "call" else (k - s), 0.0)
    got = american_price(
        kind=kind, spot=s, strike=k, t_years=[0.0, -0.5], rate=r, div_yield=q, vol=v
    )
    assert np.all(got == intrinsic)
    tiny = _price(kind=kind, spot=s, strike=k, t_years=1e-9, rate=r, div_yield=q, vol=v)
    assert intrinsic <= tiny <= intrinsic + 1e-4 * s
    greeks = american_greeks(kind=kind, spot=s, strike=k, t_years=0.0, rate=r, div_yield=q, vol=v)
    assert float(greeks.gamma) == 0.0 and float(greeks.vega) == 0.0


def _quantlib_fd(
    kind: str,
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    divs: DividendSchedule | None,
) -> tuple[float, float]:
    """QuantLib's FD reference on a 600 x 600 grid and a bound on its own error.

    QuantLib's FD engine converges at about first order in the grid for options with early
    exercise near the money (400 -> 800 -> 1600 halves the error), sometimes slower, and
    faster for others, so no fixed-order extrapolation is safe; for any order >= 0.6 the error
    of FD(600) is at most 2 |FD(600) - FD(300)|, which is what the tests add to their
    tolerance."""
    from pricing import quantlib_engines as qe

    args = [np.array([x]) for x in (1.0 if kind == "call" else -1.0, s, k, t, r, q, v)]
    coarse = qe.ql_american(*args, divs, engine="fd", fd_grid=(300, 300, 0))["price"][0]
    fine = qe.ql_american(*args, divs, engine="fd", fd_grid=(600, 600, 0))["price"][0]
    return float(fine), float(2.0 * abs(fine - coarse))


@given(
    kinds,
    st.floats(150.0, 350.0),
    st.floats(-0.25, 0.25),
    st.floats(0.02, 2.0),
    st.floats(0.0, 0.08),
    st.floats(0.0, 0.04),
    st.floats(0.1, 0.6),
)
def test_default_matches_quantlib_fd_continuous_yield(kind, s, m, t, r, q, v) -> None:
    """Within QuantLib's own error bound + 5e-4 + 2e-4 x price (the default engine's error is
    about 1e-5 here; QuantLib FD 600 x 600 is off by up to 4e-3 at these spots)."""
    k = s * math.exp(m)
    fast = _price(kind=kind, spot=s, strike=k, t_years=t, rate=r, div_yield=q, vol=v)
    ref, ref_err = _quantlib_fd(kind, s, k, t, r, q, v, None)
    assert abs(fast - ref) <= ref_err + 5e-4 + 2e-4 * ref


@given(
    kinds,
    st.floats(200.0, 300.0),
    st.floats(-0.25, 0.25),
    st.floats(0.02, 2.0),
    st.floats(0.0, 0.08),
    st.floats(0.1, 0.5),
    cash_dividends(),
)
def test_default_matches_quantlib_fd_cash_dividends(kind, s, m, t, r, v, divs) -> None:
    """Same model (spot cash dividends) on both sides, same tolerance as above (the default
    engine's own error here is up to about 1.5e-4 relative)."""
    k = s * math.exp(m)
    fast = _price(kind=kind, spot=s, strike=k, t_years=t, rate=r, vol=v, dividends=divs)
    ref, ref_err = _quantlib_fd(kind, s, k, t, r, 0.0, v, divs)
    assert abs(fast - ref) <= ref_err + 5e-4 + 2e-4 * ref


def test_grid_of_spots_matches_single_prices() -> None:
    """A P&L-grid call (many spots share one solve) equals pricing the spots one by one."""
    divs = DividendSchedule((0.1, 0.35), (0.8, 0.8))
    spots_ = np.linspace(180.0, 320.0, 15)
    for d in (None, divs):
        grid = american_price(
            kind="put",
            spot=spots_,
            strike=250.0,
            t_years=0.5,
            rate=0.04,
            div_yield=0.01,
            vol=0.25,
            dividends=d,
        )
        single = np.array(
            [
                _price(
                    kind="put",
                    spot=x,
                    strike=250.0,
                    t_years=0.5,
                    rate=0.04,
                    div_yield=0.01,
                    vol=0.25,
                    dividends=d,
                )
                for x in spots_
            ]
        )
        assert np.abs(grid - single).max() < 2e-4


def test_broadcasting_shapes() -> None:
    got = american_price(
        kind="call",
        spot=np.linspace(90, 110, 5)[:, None, None],
        strike=np.array([95.0, 105.0])[None, None, :],
        t_years=np.array([0.1, 0.5, 1.0])[None, :, None],
        rate=0.03,
        vol=0.2,
    )
    assert got.shape == (5, 3, 2)
    assert np.all(np.diff(got, axis=0) > 0)


bad_numbers = st.sampled_from([math.nan, math.inf, -math.inf])


@given(bad_numbers)
def test_bad_inputs_name_the_field(bad: float) -> None:
    base = {"kind": "put", "spot": 100.0, "strike": 100.0, "t_years": 0.5, "rate": 0.03, "vol": 0.2}
    for field in ("spot", "strike", "t_years", "rate", "div_yield", "vol"):
        with pytest.raises(InputError) as info:
            american_price(**{**base, field: bad})
        assert info.value.field.startswith(field)


@given(st.sampled_from([0.0, -0.2, 5.01, 10.0]))
def test_vol_domain(vol: float) -> None:
    with pytest.raises(InputError) as info:
        american_price(kind="put", spot=100.0, strike=100.0, t_years=0.5, rate=0.03, vol=vol)
    assert info.value.field == "vol"


@given(st.sampled_from([0.0, -1.0]))
def test_spot_and_strike_must_be_positive(bad: float) -> None:
    for field in ("spot", "strike"):
        args = {
            "kind": "put",
            "spot": 100.0,
            "strike": 100.0,
            "t_years": 0.5,
            "rate": 0.03,
            "vol": 0.2,
            field: bad,
        }
        with pytest.raises(InputError) as info:
            american_price(**args)
        assert info.value.field == field


@given(st.sampled_from([math.nan, -0.5, math.inf]))
def test_bad_dividend_amounts_rejected(amount: float) -> None:
    with pytest.raises(InputError) as info:
        DividendSchedule((0.1, 0.2), (0.5, amount))
    assert info.value.field == "dividends[1].amount"


def test_duplicate_dividend_dates_rejected() -> None:
    with pytest.raises(InputError) as info:
        DividendSchedule((0.1, 0.1), (0.5, 0.5))
    assert info.value.field == "dividends[1].t_years"


@pytest.mark.parametrize("engine", ["default", "fd"])
def test_dividend_at_or_above_spot_rejected(engine: str) -> None:
    with pytest.raises(InputError) as info:
        american_price(
            kind="put",
            spot=100.0,
            strike=100.0,
            t_years=0.5,
            rate=0.03,
            vol=0.2,
            dividends=DividendSchedule((0.1,), (100.0,)),
            engine=engine,
        )
    assert info.value.field == "dividends[0].amount"
    with pytest.raises(InputError) as info:
        american_price(
            kind="put",
            spot=100.0,
            strike=100.0,
            t_years=0.5,
            rate=0.03,
            vol=0.2,
            dividends=DividendSchedule((0.1, 0.2, 0.3), (40.0, 40.0, 40.0)),
        )
    assert info.value.field == "dividends"


def test_engine_kind_and_dividend_type_named() -> None:
    base = {"spot": 100.0, "strike": 100.0, "t_years": 0.5, "rate": 0.03, "vol": 0.2}
    with pytest.raises(InputError) as info:
        american_price(kind="put", engine="tree", **base)
    assert info.value.field == "engine"
    with pytest.raises(InputError) as info:
        american_price(kind="straddle", **base)
    assert info.value.field == "kind"
    with pytest.raises(InputError) as info:
        american_price(kind="put", dividends=[(0.1, 0.5)], **base)  # type: ignore[arg-type]
    assert info.value.field == "dividends"


@pytest.mark.parametrize("engine", ["qdfp", "baw", "bjs"])
def test_continuous_yield_engines_refuse_cash_dividends(engine: str) -> None:
    from pricing.errors import EngineError

    with pytest.raises(EngineError):
        american_price(
            kind="put",
            spot=100.0,
            strike=100.0,
            t_years=0.5,
            rate=0.03,
            vol=0.2,
            dividends=DividendSchedule((0.1,), (0.5,)),
            engine=engine,
        )
