"""Market betas for scenario building, estimated from daily price history by ordinary least squares.

Three sensitivities turn a house view ("the 10-year rises 50 bp") into moves of the hedged
underlyings:

- **rate beta**: IWM percent return per +100 bp change of the 10-year Treasury yield
  (``pct_per_100bp``; -10.0 means IWM falls 10 % when the 10-year rises one percentage point);
- **SPY beta**: IWM return per unit SPY return (dimensionless), and its mirror, SPY return per unit
  IWM return, used to move SPY legs in an IWM-defined scenario;
- **spot-vol beta**: implied-vol points per +1 % spot move (vol points: 1.0 = 0.01 of vol).

:func:`estimate_betas` works on any frame holding two price columns and one yield column (yields in
percent, as FRED publishes them). The constants below were computed with it from
``/work/shared/data/daily_2016_2021.csv`` (1,258 trading days, 2016-04-28 to 2021-04-27; 1,161
daily observations where both the 10-year yield and the prices are known; IWM and SPY adjusted
closes, FRED DGS10; the yields in the file end on 2021-01-04) so that the program and its tests
work without that file::

    from strategies.calibration import estimate_betas, load_daily_history
    estimate_betas(load_daily_history("/work/shared/data/daily_2016_2021.csv"))

What the history says, and why the house view does not simply use it: over 2016-2021 the daily
IWM return rose with the 10-year yield (+13.9 % per +100 bp, standard error 0.9, R² 0.17; positive
in every calendar year) because yields rose on risk-on, reflation days. Controlling for SPY, the
small-cap-specific rate sensitivity is close to zero (+1.8 % per 100 bp). The desk's worry is a
different regime, a rise in yields driven by term premium and refinancing stress, in which small
caps fall with rising yields (in 2022 the 10-year rose about 2.4 points while IWM lost about a
fifth: roughly -9 % per 100 bp, from public year-end levels, not from the bundled file). The
stress scenarios therefore use :data:`STRESS_RATE_BETA_PCT_PER_100BP`, a documented assumption,
and :data:`HISTORICAL_BETAS` is kept beside it so that a report can show both readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pricing.errors import InputError

FloatArray = NDArray[np.float64]

# --- Constants estimated from /work/shared/data/daily_2016_2021.csv (see module docstring) -------
#: IWM % return per +100 bp of the 10-year yield, univariate daily OLS, 2016-04-28..2021-04-27.
HISTORICAL_RATE_BETA_PCT_PER_100BP = 13.885
#: Standard error of the estimate above (same units).
HISTORICAL_RATE_BETA_STDERR = 0.917
#: IWM return per unit SPY return, univariate daily OLS on all 1,257 daily returns (R² 0.78);
#: the same figure as ``strategies.strategy.IWM_BETA_TO_SPY``.
HISTORICAL_SPY_BETA = 1.1038
#: SPY return per unit IWM return (the mirror regression; used to move SPY in an IWM scenario).
HISTORICAL_SPY_PER_IWM = 0.7049
#: IWM % per +100 bp in the joint regression on SPY returns and yield changes.
HISTORICAL_JOINT_RATE_BETA_PCT_PER_100BP = 1.840
#: SPY beta in the joint regression.
HISTORICAL_JOINT_SPY_BETA = 1.0712
#: Number of daily observations behind the rate betas (the SPY betas use 1,257).
HISTORICAL_N_OBS = 1161

# --- House assumptions (not estimated; documented) -----------------------------------------------
#: IWM % per +100 bp in the refinancing-stress regime the scenarios are built for (see docstring).
STRESS_RATE_BETA_PCT_PER_100BP = -10.0
#: Implied-vol points per +1 % spot move (vol rises 0.8 points for each 1 % fall): consistent with
#: the house bear case (-10 %, +8 points) and with the usual index skew dynamics of small caps.
DEFAULT_SPOT_VOL_BETA_PTS_PER_PCT = -0.8


@dataclass(frozen=True, slots=True)
class MarketBetas:
    """Sensitivities that map a scenario onto the underlyings.

    ``rate_beta_pct_per_100bp``: IWM % return per +100 bp of the 10-year yield;
    ``spy_beta``: IWM return per unit SPY return; ``spy_per_iwm``: SPY return per unit IWM return;
    ``spot_vol_beta_pts_per_pct``: implied-vol points per +1 % spot move; ``label`` says where the
    numbers come from.
    """

    rate_beta_pct_per_100bp: float
    spy_beta: float
    spy_per_iwm: float
    spot_vol_beta_pts_per_pct: float
    label: str

    def __post_init__(self) -> None:
        for name in (
            "rate_beta_pct_per_100bp",
            "spy_beta",
            "spy_per_iwm",
            "spot_vol_beta_pts_per_pct",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(name, value, "must be a finite number")
            object.__setattr__(self, name, float(value))
        if self.spy_beta <= 0.0:
            raise InputError("spy_beta", self.spy_beta, "must be > 0")
        if self.spy_per_iwm <= 0.0:
            raise InputError("spy_per_iwm", self.spy_per_iwm, "must be > 0")

    def iwm_move_for_yield_shift(self, yield_shift_bp: float) -> float:
        """IWM decimal return implied by a parallel 10-year move of ``yield_shift_bp`` basis points."""
        return self.rate_beta_pct_per_100bp * yield_shift_bp / 100.0 / 100.0

    def vol_shift_for_move(self, spot_move: float) -> float:
        """Implied-vol change (decimal, 0.01 = one point) for a decimal spot move."""
        return self.spot_vol_beta_pts_per_pct * (spot_move * 100.0) / 100.0


#: The betas the house view uses: the stress-regime rate beta with the historical SPY betas.
HOUSE_BETAS = MarketBetas(
    rate_beta_pct_per_100bp=STRESS_RATE_BETA_PCT_PER_100BP,
    spy_beta=HISTORICAL_SPY_BETA,
    spy_per_iwm=HISTORICAL_SPY_PER_IWM,
    spot_vol_beta_pts_per_pct=DEFAULT_SPOT_VOL_BETA_PTS_PER_PCT,
    label="house (stress-regime rate beta, historical SPY beta)",
)

#: The betas as estimated from daily_2016_2021.csv (positive rate beta: see the module docstring).
HISTORICAL_BETAS = MarketBetas(
    rate_beta_pct_per_100bp=HISTORICAL_RATE_BETA_PCT_PER_100BP,
    spy_beta=HISTORICAL_SPY_BETA,
    spy_per_iwm=HISTORICAL_SPY_PER_IWM,
    spot_vol_beta_pts_per_pct=DEFAULT_SPOT_VOL_BETA_PTS_PER_PCT,
    label="historical 2016-2021 daily OLS",
)


@dataclass(frozen=True, slots=True)
class OlsFit:
    """One least-squares fit ``y = alpha + sum(beta_i x_i)``: coefficients with standard errors."""

    alpha: float
    betas: tuple[float, ...]
    stderrs: tuple[float, ...]
    r_squared: float
    n_obs: int


@dataclass(frozen=True, slots=True)
class BetaEstimate:
    """Betas estimated by :func:`estimate_betas` (units as in :class:`MarketBetas`).

    ``rate_beta_pct_per_100bp`` and its standard error from the univariate regression of the asset's
    daily return on the daily yield change; ``spy_beta`` from the regression on the market return
    (every day with both prices, ``n_obs_market``); ``spy_per_iwm`` from the mirror regression;
    the ``joint_*`` pair from the two-factor regression. ``n_obs``, ``start`` and ``end``
    describe the rate sample (days with a known yield change).
    """

    rate_beta_pct_per_100bp: float
    rate_beta_stderr: float
    rate_r_squared: float
    spy_beta: float
    spy_beta_stderr: float
    spy_r_squared: float
    spy_per_iwm: float
    joint_rate_beta_pct_per_100bp: float
    joint_spy_beta: float
    n_obs: int
    n_obs_market: int
    start: date
    end: date

    def to_market_betas(
        self, spot_vol_beta_pts_per_pct: float = DEFAULT_SPOT_VOL_BETA_PTS_PER_PCT
    ) -> MarketBetas:
        """These estimates as :class:`MarketBetas` (the spot-vol beta is not estimated here)."""
        return MarketBetas(
            rate_beta_pct_per_100bp=self.rate_beta_pct_per_100bp,
            spy_beta=self.spy_beta,
            spy_per_iwm=self.spy_per_iwm,
            spot_vol_beta_pts_per_pct=spot_vol_beta_pts_per_pct,
            label=f"estimated {self.start.isoformat()}..{self.end.isoformat()} ({self.n_obs} days)",
        )


def ols(y: FloatArray, *xs: FloatArray) -> OlsFit:
    """Least squares of ``y`` on a constant and the regressors ``xs`` (1-D arrays of equal length),
    with classical (homoskedastic) standard errors."""
    yv = np.asarray(y, dtype=np.float64)
    n = yv.shape[0]
    k = len(xs) + 1
    if n <= k:
        raise InputError("n_obs", n, f"need more than {k} observations")
    design = np.column_stack([np.ones(n), *[np.asarray(x, dtype=np.float64) for x in xs]])
    coef, *_ = np.linalg.lstsq(design, yv, rcond=None)
    resid = yv - design @ coef
    dof = n - k
    s2 = float(resid @ resid) / dof
    xtx = design.T @ design
    if np.linalg.matrix_rank(xtx) < k:
        raise InputError("regressors", len(xs), "are collinear or constant")
    cov = s2 * np.linalg.inv(xtx)
    centred = yv - yv.mean()
    tss = float(centred @ centred)
    r2 = 1.0 - float(resid @ resid) / tss if tss > 0.0 else 0.0
    stderr = np.sqrt(np.diag(cov))
    return OlsFit(
        alpha=float(coef[0]),
        betas=tuple(float(b) for b in coef[1:]),
        stderrs=tuple(float(s) for s in stderr[1:]),
        r_squared=r2,
        n_obs=n,
    )


def load_daily_history(path: str | Path) -> pd.DataFrame:
    """Read a daily CSV with a ``date`` column (ISO dates) into a frame sorted by date."""
    frame = pd.read_csv(path)
    if "date" not in frame.columns:
        raise InputError("columns", list(frame.columns), f"{path}: needs a 'date' column")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values("date").reset_index(drop=True)


def estimate_betas(
    frame: pd.DataFrame,
    *,
    asset: str = "iwm_adj_close",
    market: str = "spy_adj_close",
    yield_col: str = "dgs10",
    date_col: str = "date",
) -> BetaEstimate:
    """Estimate rate and market betas from daily history.

    ``asset`` and ``market`` are price columns (adjusted closes, so that returns include dividends);
    ``yield_col`` holds the yield in percent. Daily simple returns are regressed on daily yield
    changes in basis points (days where the yield or a price is missing on either end are dropped,
    so a return is never paired with a two-day yield change) and on market returns.
    """
    for col in (asset, market, yield_col, date_col):
        if col not in frame.columns:
            raise InputError("columns", list(frame.columns), f"missing column {col!r}")
    data = frame.sort_values(date_col)
    asset_ret = data[asset].astype("float64").pct_change(fill_method=None)
    market_ret = data[market].astype("float64").pct_change(fill_method=None)
    dy_bp = data[yield_col].astype("float64").diff() * 100.0
    # Market betas: every day with both prices; rate betas: days where the yield change is known.
    prices = pd.concat({"d": data[date_col], "a": asset_ret, "m": market_ret}, axis=1).dropna()
    joined = pd.concat(
        {"d": data[date_col], "a": asset_ret, "m": market_ret, "y": dy_bp}, axis=1
    ).dropna()
    finite_rows = np.isfinite(joined[["a", "m", "y"]].to_numpy(dtype=np.float64)).all(axis=1)
    joined = joined.loc[finite_rows]
    if len(joined) < 30:
        raise InputError("n_obs", len(joined), "need at least 30 complete daily observations")
    a = joined["a"].to_numpy(dtype=np.float64)
    m = joined["m"].to_numpy(dtype=np.float64)
    y = joined["y"].to_numpy(dtype=np.float64)
    pa = prices["a"].to_numpy(dtype=np.float64)
    pm = prices["m"].to_numpy(dtype=np.float64)
    rate_fit = ols(a, y)
    spy_fit = ols(pa, pm)
    mirror = ols(pm, pa)
    joint = ols(a, m, y)
    # per bp -> per 100 bp, decimal -> percent: x 1e4
    return BetaEstimate(
        rate_beta_pct_per_100bp=rate_fit.betas[0] * 1e4,
        rate_beta_stderr=rate_fit.stderrs[0] * 1e4,
        rate_r_squared=rate_fit.r_squared,
        spy_beta=spy_fit.betas[0],
        spy_beta_stderr=spy_fit.stderrs[0],
        spy_r_squared=spy_fit.r_squared,
        spy_per_iwm=mirror.betas[0],
        joint_rate_beta_pct_per_100bp=joint.betas[1] * 1e4,
        joint_spy_beta=joint.betas[0],
        n_obs=rate_fit.n_obs,
        n_obs_market=spy_fit.n_obs,
        start=pd.Timestamp(joined["d"].iloc[0]).date(),
        end=pd.Timestamp(joined["d"].iloc[-1]).date(),
    )
