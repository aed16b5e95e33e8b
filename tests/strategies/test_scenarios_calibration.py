"""Rate and SPY betas: the OLS estimator on synthetic data, and the documented constants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing.errors import InputError
from strategies import calibration as cal

DATA = Path("/work/shared/data/daily_2016_2021.csv")


def _synthetic(n: int = 4000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spy_ret = rng.normal(0.0004, 0.01, n)
    dy_bp = rng.normal(0.0, 5.0, n)
    # IWM = 1.2 x SPY - 8 % per +100 bp + noise
    iwm_ret = 1.2 * spy_ret - 0.08 / 100.0 * dy_bp + rng.normal(0.0, 0.004, n)
    yields = 2.0 + np.concatenate([[0.0], np.cumsum(dy_bp[1:])]) / 100.0
    frame = pd.DataFrame(
        {
            "date": pd.bdate_range("2010-01-01", periods=n),
            "iwm_adj_close": 100.0 * np.cumprod(1.0 + np.concatenate([[0.0], iwm_ret[1:]])),
            "spy_adj_close": 200.0 * np.cumprod(1.0 + np.concatenate([[0.0], spy_ret[1:]])),
            "dgs10": yields,
        }
    )
    return frame


def test_estimator_recovers_known_betas() -> None:
    est = cal.estimate_betas(_synthetic())
    assert est.joint_spy_beta == pytest.approx(1.2, abs=0.02)
    assert est.joint_rate_beta_pct_per_100bp == pytest.approx(-8.0, abs=0.3)
    # univariate: regressors independent, so the rate beta is the same in expectation
    assert est.rate_beta_pct_per_100bp == pytest.approx(-8.0, abs=1.0)
    assert est.spy_beta == pytest.approx(1.2, abs=0.03)
    assert est.n_obs == est.n_obs_market == 3999
    betas = est.to_market_betas()
    assert betas.iwm_move_for_yield_shift(100.0) == pytest.approx(
        est.rate_beta_pct_per_100bp / 100.0
    )


def test_missing_yields_drop_only_their_days() -> None:
    frame = _synthetic()
    frame.loc[[10, 11, 500], "dgs10"] = np.nan
    est = cal.estimate_betas(frame)
    assert est.n_obs_market == 3999
    assert est.n_obs == 3999 - 5  # each missing level kills the change into and out of it
    with pytest.raises(InputError, match="missing column"):
        cal.estimate_betas(frame.drop(columns=["dgs10"]))
    with pytest.raises(InputError, match="30"):
        cal.estimate_betas(frame.head(20))


def test_ols_standard_errors_match_the_textbook() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([2.1, 3.9, 6.2, 7.8, 10.1])
    fit = cal.ols(y, x)
    slope = np.polyfit(x, y, 1)[0]
    assert fit.betas[0] == pytest.approx(slope)
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    se = np.sqrt(resid @ resid / 3 / np.sum((x - x.mean()) ** 2))
    assert fit.stderrs[0] == pytest.approx(se)


def test_house_and_historical_betas() -> None:
    # Constants written from /work/shared/data/daily_2016_2021.csv (see strategies.calibration).
    assert cal.HISTORICAL_RATE_BETA_PCT_PER_100BP > 0.0  # yields rose on risk-on days in 2016-2021
    assert cal.HOUSE_BETAS.rate_beta_pct_per_100bp == cal.STRESS_RATE_BETA_PCT_PER_100BP < 0.0
    assert cal.HOUSE_BETAS.vol_shift_for_move(-0.10) == pytest.approx(0.08)
    with pytest.raises(InputError):
        cal.MarketBetas(float("nan"), 1.1, 0.7, -0.8, "bad")
    with pytest.raises(InputError):
        cal.MarketBetas(-10.0, 0.0, 0.7, -0.8, "bad")


@pytest.mark.skipif(not DATA.exists(), reason="needs /work/shared/data (not in a fresh clone)")
def test_constants_equal_the_estimate_from_the_file() -> None:
    est = cal.estimate_betas(cal.load_daily_history(DATA))
    assert est.rate_beta_pct_per_100bp == pytest.approx(
        cal.HISTORICAL_RATE_BETA_PCT_PER_100BP, abs=5e-4
    )
    assert est.rate_beta_stderr == pytest.approx(cal.HISTORICAL_RATE_BETA_STDERR, abs=5e-4)
    assert est.spy_beta == pytest.approx(cal.HISTORICAL_SPY_BETA, abs=5e-5)
    assert est.spy_per_iwm == pytest.approx(cal.HISTORICAL_SPY_PER_IWM, abs=5e-5)
    assert est.joint_rate_beta_pct_per_100bp == pytest.approx(
        cal.HISTORICAL_JOINT_RATE_BETA_PCT_PER_100BP, abs=5e-4
    )
    assert est.joint_spy_beta == pytest.approx(cal.HISTORICAL_JOINT_SPY_BETA, abs=5e-5)
    assert est.n_obs == cal.HISTORICAL_N_OBS
