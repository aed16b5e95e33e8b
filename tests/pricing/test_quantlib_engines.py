"""The QuantLib reference layer: global evaluation date, exact time, traps, unit conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing import quantlib_engines as qe
from pricing.american import american_greeks, american_price
from pricing.errors import EngineError, InputError
from pricing.european import european_price
from pricing.types import DividendSchedule

ENGINES = ["fd", "qdfp", "baw", "bjs"]


def _a(*values: float) -> list[np.ndarray]:
    return [np.array([float(x)]) for x in values]


def test_evaluation_date_context_restores_even_on_error() -> None:
    before = qe.evaluation_date_serial()
    with pytest.raises(RuntimeError), qe.evaluation_date():
        assert qe.evaluation_date_serial() == qe.EPOCH.serialNumber()
        raise RuntimeError("boom")
    assert qe.evaluation_date_serial() == before


@given(
    st.sampled_from(ENGINES), st.sampled_from(["call", "put"]), st.floats(0.0, 2.0), st.booleans()
)
def test_evaluation_date_restored_after_any_call(
    engine: str, kind: str, t: float, with_divs: bool
) -> None:
    before = qe.evaluation_date_serial()
    divs = DividendSchedule((0.1, 0.6), (0.5, 0.5)) if with_divs else None
    try:
        american_price(
            kind=kind,
            spot=100.0,
            strike=100.0,
            t_years=t,
            rate=0.03,
            vol=0.2,
            dividends=divs,
            engine=engine,
        )
    except EngineError:
        assert with_divs and engine != "fd" and t >= 0.1  # refused inside the QuantLib block
    assert qe.evaluation_date_serial() == before


def test_day_scale() -> None:
    scale = qe.DayScale.for_time(0.1)
    assert scale.days in (36, 37)
    assert scale.factor == pytest.approx(0.1 / (scale.days / 365.0))
    with_divs = qe.DayScale.for_time(0.1, with_dividends=True)
    assert with_divs.days == qe.DIVIDEND_DAYS
    assert with_divs.date_of(0.05).serialNumber() - qe.EPOCH.serialNumber() == qe.DIVIDEND_DAYS // 2
    long = qe.DayScale.for_time(300.0)
    assert long.days == qe.MAX_DAYS
    with pytest.raises(InputError):
        qe.DayScale.for_time(0.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_t_is_exact_not_day_rounded(engine: str) -> None:
    """t = 0.1 prices the option of exactly 0.1 years, not of 36 or 37 days."""

    def price(t: float) -> float:
        return float(
            american_price(
                kind="put",
                spot=100.0,
                strike=105.0,
                t_years=t,
                rate=0.05,
                div_yield=0.01,
                vol=0.3,
                engine=engine,
            )
        )

    exact = price(0.1)
    default = float(
        american_price(
            kind="put", spot=100.0, strike=105.0, t_years=0.1, rate=0.05, div_yield=0.01, vol=0.3
        )
    )
    tol = {"fd": 3e-3, "qdfp": 1e-5, "baw": 2e-2, "bjs": 3e-2}[engine]
    assert abs(exact - default) < tol
    for days in (36, 37):
        assert abs(price(days / 365.0) - exact) > 0.01  # a day-rounded price would be this far off


def test_european_exact_time_matches_closed_form() -> None:
    for t in (0.1, 0.0137, 1.2345):
        ql = qe.ql_european(*_a(-1.0, 100.0, 95.0, t, 0.04, 0.01, 0.25))[0]
        ours = float(
            european_price(
                kind="put", spot=100.0, strike=95.0, t_years=t, rate=0.04, div_yield=0.01, vol=0.25
            )
        )
        assert ql == pytest.approx(ours, abs=1e-10)
    divs = DividendSchedule((0.05, 0.3), (0.8, 0.8))
    ql = qe.ql_european(*_a(1.0, 250.0, 250.0, 0.4, 0.04, 0.0, 0.2), divs)[0]
    ours = float(
        european_price(
            kind="call", spot=250.0, strike=250.0, t_years=0.4, rate=0.04, vol=0.2, dividends=divs
        )
    )
    assert ql == pytest.approx(ours, abs=2e-5)  # both escrowed; ex-dates placed to 1e-5 years


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["call", "put"])
def test_expiring_and_expired_are_intrinsic_never_zero(engine: str, kind: str) -> None:
    strike = 90.0 if kind == "call" else 110.0  # 10 in the money
    got = american_price(
        kind=kind,
        spot=100.0,
        strike=strike,
        t_years=[0.0, -0.01, 1e-7],
        rate=0.03,
        vol=0.2,
        engine=engine,
    )
    assert got[0] == 10.0 and got[1] == 10.0
    assert 10.0 <= got[2] < 10.01


def test_very_long_maturity_fits_quantlib_dates() -> None:
    """170 years from any evaluation date would overflow QuantLib's 2199 limit unscaled."""
    got = float(
        american_price(
            kind="call",
            spot=100.0,
            strike=100.0,
            t_years=170.0,
            rate=0.01,
            div_yield=0.002,
            vol=0.25,
            engine="qdfp",
        )
    )
    assert got == pytest.approx(80.390249967, abs=1e-4)  # QdFp high precision, QL test case
    fd = float(
        american_price(
            kind="put", spot=100.0, strike=100.0, t_years=60.0, rate=0.02, vol=0.2, engine="fd"
        )
    )
    default = float(
        american_price(kind="put", spot=100.0, strike=100.0, t_years=60.0, rate=0.02, vol=0.2)
    )
    assert fd == pytest.approx(default, abs=0.05)


def test_fd_theta_is_converted_to_real_time() -> None:
    """QuantLib's theta is per year of its (rescaled) time; ours is per calendar day."""
    args = {
        "kind": "put",
        "spot": 100.0,
        "strike": 100.0,
        "rate": 0.05,
        "div_yield": 0.01,
        "vol": 0.3,
        "engine": "fd",
    }
    t, h = 0.1, 2e-3
    greeks = american_greeks(t_years=t, **args)
    up, down = american_price(t_years=[t + h, t - h], **args)
    fd_theta_per_day = -(up - down) / (2 * h) / 365.0
    assert float(greeks.theta) == pytest.approx(fd_theta_per_day, rel=2e-2)


@pytest.mark.parametrize("engine", ENGINES)
def test_greek_units_against_bumps(engine: str) -> None:
    args = {
        "kind": "put",
        "spot": 100.0,
        "strike": 100.0,
        "t_years": 0.75,
        "rate": 0.04,
        "div_yield": 0.01,
        "vol": 0.25,
        "engine": engine,
    }
    g = american_greeks(**args)
    p_vu, p_vd = american_price(**{**args, "vol": [0.26, 0.24]})
    p_ru, p_rd = american_price(**{**args, "rate": [0.05, 0.03]})
    assert float(g.vega) == pytest.approx((p_vu - p_vd) / 2.0, rel=2e-2)  # per vol point
    assert float(g.rho) == pytest.approx((p_ru - p_rd) / 2.0, rel=3e-2)  # per 1 % of rate
    assert -1.0 < float(g.delta) < 0.0 and float(g.gamma) > 0.0


def test_default_greeks_close_to_fd_greeks() -> None:
    divs = DividendSchedule((0.1, 0.35), (0.8, 0.8))
    args = {
        "kind": ["put", "call"],
        "spot": 250.0,
        "strike": 245.0,
        "t_years": 0.5,
        "rate": 0.04,
        "vol": 0.22,
        "dividends": divs,
    }
    fast = american_greeks(**args)
    ref = american_greeks(**args, engine="fd")
    assert np.allclose(fast.delta, ref.delta, atol=2e-3)
    assert np.allclose(fast.gamma, ref.gamma, rtol=3e-2)
    assert np.allclose(fast.vega, ref.vega, rtol=1e-2)
    assert np.allclose(fast.theta, ref.theta, rtol=3e-2)
    assert np.allclose(fast.rho, ref.rho, rtol=2e-2)


def test_validation_happens_before_quantlib() -> None:
    """QuantLib would silently price a negative vol (BAW) or a NaN dividend: we refuse first."""
    with pytest.raises(InputError) as info:
        american_price(
            kind="put", spot=100.0, strike=100.0, t_years=0.5, rate=0.03, vol=-0.2, engine="baw"
        )
    assert info.value.field == "vol"
    with pytest.raises(InputError):
        DividendSchedule((0.1,), (math.nan,))


def test_unknown_engine() -> None:
    with pytest.raises(InputError):
        qe.ql_american(*_a(1.0, 100.0, 100.0, 1.0, 0.0, 0.0, 0.2), None, engine="tree")
    with pytest.raises(InputError):
        qe.ql_american(
            *_a(1.0, 100.0, 100.0, 1.0, 0.0, 0.0, 0.2), None, engine="qdfp", qdfp_scheme="best"
        )


def test_dividend_on_expiry_counts_and_late_ones_do_not() -> None:
    """Only ex-dates in (0, t] matter; one after expiry changes nothing."""
    base = american_price(
        kind="put", spot=100.0, strike=100.0, t_years=0.5, rate=0.03, vol=0.2, engine="fd"
    )
    later = american_price(
        kind="put",
        spot=100.0,
        strike=100.0,
        t_years=0.5,
        rate=0.03,
        vol=0.2,
        dividends=DividendSchedule((0.6,), (1.0,)),
        engine="fd",
    )
    assert float(later) == pytest.approx(float(base), abs=1e-12)
    inside = american_price(
        kind="put",
        spot=100.0,
        strike=100.0,
        t_years=0.5,
        rate=0.03,
        vol=0.2,
        dividends=DividendSchedule((0.25,), (1.0,)),
        engine="fd",
    )
    assert float(inside) > float(base) + 0.3
