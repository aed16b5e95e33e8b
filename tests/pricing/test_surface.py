"""SVI fitting, arbitrage checks and the VolSurface interpolation/dynamics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing.errors import InputError
from pricing.surface import (
    SmileFit,
    SVIParams,
    VolSurface,
    durrleman_g,
    fit_surface,
    fit_svi,
    svi_total_variance,
)


def _true_params(t: float) -> SVIParams:
    """An equity-like, arbitrage-free SVI family (skewed, total variance increasing in t)."""
    return SVIParams(
        a=0.02 * t,
        b=0.12 * math.sqrt(t) + 0.02 * t,
        rho=-0.6,
        m=0.02,
        sigma=0.1 * math.sqrt(t) + 0.01,
    )


def _quotes(
    t: float, n: int = 40, noise: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    sd = 0.2 * math.sqrt(t)
    k = np.linspace(-3 * sd, 2 * sd, n)
    v = np.sqrt(_true_params(t).total_variance(k) / t)
    if noise:
        v = v + np.random.default_rng(seed).normal(0.0, noise, n)
    return k, v


def test_svi_params_validate() -> None:
    with pytest.raises(InputError, match=r"svi\.b"):
        SVIParams(0.01, -0.1, 0.0, 0.0, 0.1)
    with pytest.raises(InputError, match=r"svi\.rho"):
        SVIParams(0.01, 0.1, 1.0, 0.0, 0.1)
    with pytest.raises(InputError, match=r"svi\.sigma"):
        SVIParams(0.01, 0.1, 0.0, 0.0, 0.0)
    with pytest.raises(InputError, match=r"svi\.a"):
        SVIParams(math.nan, 0.1, 0.0, 0.0, 0.1)


def test_total_variance_formula_and_minimum() -> None:
    p = SVIParams(0.01, 0.2, -0.5, 0.05, 0.1)
    k = np.array([-0.3, 0.0, 0.05, 0.4])
    x = k - 0.05
    expected = 0.01 + 0.2 * (-0.5 * x + np.sqrt(x * x + 0.01))
    np.testing.assert_allclose(p.total_variance(k), expected, rtol=1e-14)
    grid = np.linspace(-2, 2, 40001)
    assert p.min_total_variance() == pytest.approx(float(p.total_variance(grid).min()), abs=1e-9)


def test_durrleman_g_matches_finite_differences() -> None:
    p = SVIParams(0.01, 0.2, -0.5, 0.05, 0.1).as_array()
    k = np.linspace(-0.5, 0.5, 11)
    h = 1e-4
    w = svi_total_variance(p, k)
    w1 = (svi_total_variance(p, k + h) - svi_total_variance(p, k - h)) / (2 * h)
    w2 = (svi_total_variance(p, k + h) - 2 * w + svi_total_variance(p, k - h)) / (h * h)
    g_fd = (1 - k * w1 / (2 * w)) ** 2 - w1**2 / 4 * (1 / w + 0.25) + w2 / 2
    np.testing.assert_allclose(durrleman_g(p, k), g_fd, atol=1e-5)


def test_durrleman_detects_a_known_butterfly_violation() -> None:
    # Very steep wings with a tiny level: the density goes negative.
    bad = SVIParams(a=-0.05, b=1.5, rho=-0.2, m=0.0, sigma=0.05).as_array()
    assert float(durrleman_g(bad, np.linspace(-1, 1, 201)).min()) < 0.0


@pytest.mark.parametrize("t", [0.02, 0.25, 1.0])
def test_fit_recovers_exact_svi(t: float) -> None:
    k, v = _quotes(t)
    fit = fit_svi(k, v, t_years=t, forward=100.0)
    assert fit.status == "ok"
    assert fit.rmse_vol_points < 0.01
    assert not fit.butterfly_arbitrage
    np.testing.assert_allclose(fit.vol(k), v, atol=2e-4)


def test_fit_with_noise_reports_rmse_in_vol_points() -> None:
    k, v = _quotes(0.25, noise=0.002, seed=3)  # 0.2 vol point noise
    fit = fit_svi(k, v, t_years=0.25, forward=100.0)
    assert 0.1 < fit.rmse_vol_points < 0.3
    assert fit.max_error_vol_points >= fit.rmse_vol_points
    assert fit.n_quotes == k.size


def test_fit_ignores_nan_and_weights_matter() -> None:
    k, v = _quotes(0.25)
    v_bad = v.copy()
    v_bad[5] = math.nan
    fit = fit_svi(k, v_bad, t_years=0.25, forward=100.0)
    assert fit.n_quotes == k.size - 1
    # An outlier with a tiny weight barely moves the fit; with a big weight it does.
    v_out = v.copy()
    v_out[20] += 0.05
    light = np.ones_like(k)
    light[20] = 1e-6
    heavy = np.ones_like(k)
    heavy[20] = 100.0
    err_light = abs(
        float(fit_svi(k, v_out, t_years=0.25, forward=100.0, weights=light).vol(k[20])) - v[20]
    )
    err_heavy = abs(
        float(fit_svi(k, v_out, t_years=0.25, forward=100.0, weights=heavy).vol(k[20])) - v[20]
    )
    assert err_light < 1e-3 < err_heavy


def test_too_few_quotes_gives_a_flat_smile() -> None:
    fit = fit_svi([0.0, 0.1], [0.2, 0.22], t_years=0.1, forward=100.0)
    assert fit.status == "too_few_quotes"
    np.testing.assert_allclose(fit.vol(np.array([-1.0, 0.0, 1.0])), 0.21, rtol=1e-12)


def test_fit_rejects_bad_inputs() -> None:
    with pytest.raises(InputError, match="t_years"):
        fit_svi([0.0], [0.2], t_years=0.0, forward=100.0)
    with pytest.raises(InputError, match="forward"):
        fit_svi([0.0], [0.2], t_years=0.1, forward=-1.0)
    with pytest.raises(InputError, match="vol"):
        fit_svi([0.0, 0.1], [0.2], t_years=0.1, forward=100.0)


def test_calendar_penalty_prevents_crossing() -> None:
    # The later expiry's data sit below the earlier smile near the money: unconstrained SVI
    # would cross it; the fit must stay on or above it and report no calendar arbitrage.
    t1, t2 = 0.25, 0.30
    k1, v1 = _quotes(t1)
    k2 = k1.copy()
    v2 = np.sqrt(_true_params(t1).total_variance(k2) / t2) * (
        1 - 0.08 * np.exp(-((k2 / 0.05) ** 2))
    )
    first = fit_svi(k1, v1, t_years=t1, forward=100.0)
    second = fit_svi(k2, v2, t_years=t2, forward=100.0, previous=first)
    assert second.calendar_min_diff > -1e-5
    free = fit_svi(k2, v2, t_years=t2, forward=100.0)
    grid = np.linspace(k1.min(), k1.max(), 81)
    assert float(np.min(free.params.total_variance(grid) - first.params.total_variance(grid))) < 0


def _surface(noise: float = 0.0) -> VolSurface:
    ts = [0.05, 0.25, 1.0]
    data = []
    for i, t in enumerate(ts):
        k, v = _quotes(t, noise=noise, seed=i)
        data.append((t, 100.0 * math.exp(0.03 * t), k, v, None))
    return fit_surface(100.0, data)


def test_surface_reproduces_smiles_at_expiries_and_no_arbitrage() -> None:
    surf = _surface()
    for smile in surf.smiles:
        assert not smile.butterfly_arbitrage and not smile.calendar_arbitrage
        strikes = smile.forward * np.exp(np.array([-0.1, 0.0, 0.05]))
        np.testing.assert_allclose(
            surf.vol(smile.t_years, strikes), smile.vol(np.log(strikes / smile.forward)), rtol=1e-10
        )


def test_surface_interpolates_linearly_in_total_variance() -> None:
    surf = _surface()
    s1, s2 = surf.smiles[1], surf.smiles[2]
    t = 0.6
    fwd = float(surf.forward(t))
    k = np.array([-0.2, 0.0, 0.1])
    w1, w2 = s1.params.total_variance(k), s2.params.total_variance(k)
    w = w1 + (t - s1.t_years) / (s2.t_years - s1.t_years) * (w2 - w1)
    np.testing.assert_allclose(surf.vol(t, fwd * np.exp(k)), np.sqrt(w / t), rtol=1e-10)


def test_surface_extrapolates_flat_in_vol() -> None:
    surf = _surface()
    last, first = surf.smiles[-1], surf.smiles[0]
    k = np.array([-0.1, 0.0, 0.1])
    np.testing.assert_allclose(
        surf.vol(3.0, surf.forward(3.0) * np.exp(k)), last.vol(k), rtol=1e-10
    )
    np.testing.assert_allclose(
        surf.vol(0.01, surf.forward(0.01) * np.exp(k)), first.vol(k), rtol=1e-10
    )


def test_forward_interpolation_hits_fitted_forwards() -> None:
    surf = _surface()
    for s in surf.smiles:
        assert float(surf.forward(s.t_years)) == pytest.approx(s.forward, rel=1e-12)
    assert float(surf.forward(0.5)) == pytest.approx(100.0 * math.exp(0.03 * 0.5), rel=1e-12)


def test_vol_broadcasts() -> None:
    surf = _surface()
    out = surf.vol(np.array([[0.1], [0.5]]), np.array([90.0, 100.0, 110.0]))
    assert out.shape == (2, 3)
    out2 = surf.vol(0.3, 100.0, spot_shift=np.array([-0.1, 0.0, 0.1]), dynamics="sticky_moneyness")
    assert out2.shape == (3,)


def test_sticky_strike_vs_sticky_moneyness() -> None:
    surf = _surface()
    t, strike = 0.25, np.array([90.0, 100.0, 105.0])
    base = surf.vol(t, strike)
    np.testing.assert_array_equal(surf.vol(t, strike, spot_shift=-0.1), base)
    moved = surf.vol(t, strike * 0.9, spot_shift=-0.1, dynamics="sticky_moneyness")
    np.testing.assert_allclose(moved, base, rtol=1e-12)  # the smile travels with the forward
    # After spot falls 10 %, a downside strike sits higher in moneyness: on the downward
    # skew its vol falls under sticky moneyness (and stays put under sticky strike).
    down = surf.vol(t, strike[:2], spot_shift=-0.1, dynamics="sticky_moneyness")
    assert np.all(down < base[:2] - 0.01)


def test_explicit_forward_changes_moneyness() -> None:
    surf = _surface()
    t = 0.25
    fwd = float(surf.forward(t))
    base = float(surf.vol(t, 100.0))
    # Sticky strike: a strike's vol does not depend on where the forward is.
    assert float(surf.vol(t, 100.0, forward=fwd * 1.05)) == base
    sm = "sticky_moneyness"
    assert float(surf.vol(t, 100.0, forward=fwd, dynamics=sm)) == pytest.approx(base)
    assert float(surf.vol(t, 105.0, forward=fwd * 1.05, dynamics=sm)) == pytest.approx(base)
    assert float(surf.vol(t, 100.0, forward=fwd * 1.05, dynamics=sm)) != pytest.approx(base)
    # forward and spot_shift compose under sticky moneyness
    assert float(surf.vol(t, 100.0, forward=fwd / 1.1, spot_shift=0.1, dynamics=sm)) == (
        pytest.approx(base)
    )


def test_shifted_is_parallel_and_additive() -> None:
    surf = _surface()
    t, k = np.array([0.1, 0.5]), np.array([95.0, 105.0])
    np.testing.assert_allclose(surf.shifted(0.05).vol(t, k) - surf.vol(t, k), 0.05, atol=1e-14)
    np.testing.assert_allclose(
        surf.shifted(0.02).shifted(0.03).vol(t, k), surf.shifted(0.05).vol(t, k), atol=1e-14
    )
    assert np.all(surf.shifted(-10.0 + 5.5).vol(t, k) >= 1e-4)
    assert surf.vol_shift == 0.0


def test_vol_rejects_bad_inputs() -> None:
    surf = _surface()
    with pytest.raises(InputError, match="t_years"):
        surf.vol(0.0, 100.0)
    with pytest.raises(InputError, match="strike"):
        surf.vol(0.1, -1.0)
    with pytest.raises(InputError, match="dynamics"):
        surf.vol(0.1, 100.0, dynamics="sticky_delta")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="spot_shift"):
        surf.vol(0.1, 100.0, spot_shift=-1.5, dynamics="sticky_moneyness")
    with pytest.raises(InputError, match="smiles"):
        VolSurface(100.0, ())
    with pytest.raises(InputError, match="shift"):
        surf.shifted(math.inf)


def test_surface_rejects_unordered_smiles() -> None:
    surf = _surface()
    with pytest.raises(InputError, match="increasing"):
        VolSurface(100.0, (surf.smiles[1], surf.smiles[0]))


def test_smile_fit_validates() -> None:
    p = SVIParams(0.01, 0.1, 0.0, 0.0, 0.1)
    with pytest.raises(InputError, match="forward"):
        SmileFit(0.1, 0.0, p, 0, 0.0, 0.0, 0.0, 0.0, 1.0, False)


@given(t=st.floats(0.01, 3.0), k=st.floats(-0.5, 0.5))
def test_total_variance_non_decreasing_in_t_on_fitted_surface(t: float, k: float) -> None:
    surf = _SURFACE
    fwd = float(surf.forward(t))
    w1 = surf.total_variance(t, k)
    w2 = surf.total_variance(t * 1.01 + 1e-4, k)
    assert float(w2) >= float(w1) - 1e-9
    assert math.isfinite(float(surf.vol(t, fwd * math.exp(k))))


_SURFACE = _surface()
