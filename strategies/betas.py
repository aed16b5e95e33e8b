"""Betas: the one home of every beta the program uses, and one type for a table of them.

- :class:`BetaTable`: (driver, benchmark) -> beta of daily returns, a read-only mapping; the same
  symbol and the Russell family (RUT, MRUT, IWM: one index) have beta 1 without an entry.
  :meth:`BetaTable.beta` reads it, :meth:`BetaTable.co_moves` moves a driver with an axis,
  :meth:`BetaTable.merged` lays overrides on it.
- The one set of betas is the underlyings table (:mod:`marketdata.underlyings`): each symbol's
  beta to IWM and to SPY with the window and data it was estimated over (IWM on SPY 1.1038, SPY on
  IWM 0.7049; OLS of daily simple returns, 1,257 days 2016-04-29 to 2021-04-27, adjusted closes
  of /work/shared/data/daily_2016_2021.csv; log returns give 1.111, correlation 0.885), and the
  families that move one for one (RUT, MRUT, IWM; SPX, XSP, SPY). A symbol with no beta in the
  table has none: :meth:`BetaTable.beta` says so rather than assume one.
- :data:`DEFAULT_BETAS`: the empty :class:`BetaTable`, which reads the underlyings table; position
  risk (beta-weighted delta) and templates use it. :func:`beta_of` and :func:`co_moves` read it
  with optional overrides.
- :class:`MarketBetas`: the sensitivities that map a scenario onto the underlyings (rate beta,
  SPY betas, spot-vol beta); :attr:`MarketBetas.table` is its :class:`BetaTable`.
  :data:`HOUSE_BETAS` (stress-regime rate beta, historical SPY betas) and
  :data:`HISTORICAL_BETAS` (as estimated); how they were estimated, and why the house view
  departs from history, is told in :mod:`strategies.calibration`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from marketdata.underlyings import underlyings
from pricing.black_scholes import FloatArray
from pricing.errors import InputError


def _table_beta(symbol: str, benchmark: str) -> float:
    beta = underlyings().beta(symbol, benchmark)
    if beta is None:  # pragma: no cover - the bundled table carries both
        raise InputError("betas", (symbol, benchmark), "missing from the bundled underlyings table")
    return beta.value


#: One index: RUT, MRUT (a tenth of RUT) and IWM (the ETF on it) move together, beta 1 (the
#: underlyings table's ``moves_with``).
RUSSELL_FAMILY = underlyings().family("IWM")

#: IWM on SPY and SPY on IWM, OLS beta of daily simple returns from the underlyings table (see
#: the module docstring): the one pair of SPY betas, used by position risk and scenarios alike.
IWM_BETA_TO_SPY = _table_beta("IWM", "SPY")
SPY_BETA_TO_IWM = _table_beta("SPY", "IWM")

BetaPairs = Mapping[tuple[str, str], float]


@dataclass(frozen=True, slots=True, init=False)
class BetaTable(Mapping[tuple[str, str], float]):
    """(driver, benchmark) -> beta of the driver's daily returns to the benchmark's, symbols
    upper case; a read-only mapping (so it goes wherever a ``betas`` mapping is accepted)."""

    pairs: Mapping[tuple[str, str], float]

    def __init__(self, pairs: BetaPairs | None = None) -> None:
        clean: dict[tuple[str, str], float] = {}
        for key, value in (pairs or {}).items():
            driver, bench = key
            beta = float(value)
            if not math.isfinite(beta):
                raise InputError("betas", {key: value}, "a beta must be finite")
            clean[(str(driver).upper(), str(bench).upper())] = beta
        object.__setattr__(self, "pairs", clean)

    def __getitem__(self, key: tuple[str, str]) -> float:
        return self.pairs[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def merged(self, overrides: BetaPairs | None) -> BetaTable:
        """This table with ``overrides`` laid over it (``self`` when there are none)."""
        if not overrides:
            return self
        return BetaTable({**self.pairs, **BetaTable(overrides).pairs})

    def beta(self, driver: str, benchmark: str) -> float:
        """Beta of ``driver``'s returns to ``benchmark``'s: this table's entry, else 1 for the
        same symbol or family (RUT, MRUT, IWM; SPX, XSP, SPY), else the underlyings table's
        estimate (to the benchmark's family head, IWM or SPY); else :class:`InputError` naming
        the missing pair (a beta is never assumed)."""
        d, b = driver.upper(), benchmark.upper()
        if (d, b) in self.pairs:
            return self.pairs[(d, b)]
        if same_family(d, b):
            return 1.0
        table = underlyings()
        estimate = table.beta(d, table.facts(b).family)
        if estimate is not None:
            return estimate.value
        raise InputError(
            "betas",
            f"{d} to {b}",
            f"no beta of {d} to {b} is known: give beta_to_iwm / beta_to_spy for {d} in an "
            f"underlyings file (--underlyings FILE), or pass betas={{({d!r}, {b!r}): ...}}",
        )

    def co_moves(self, driver: str, axis: str, moves: ArrayLike) -> FloatArray:
        """Decimal moves of ``driver`` when ``axis`` moves by ``moves`` (decimal): the same for
        the same symbol or family, ``beta x move`` otherwise (floored at -99 %)."""
        m = np.asarray(moves, dtype=np.float64)
        d, a = driver.upper(), axis.upper()
        if same_family(d, a):
            return m
        return np.asarray(np.maximum(self.beta(d, a) * m, -0.99), dtype=np.float64)


def same_family(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are the same symbol or move one for one (the underlyings
    table's families: RUT, MRUT, IWM; SPX, XSP, SPY)."""
    x, y = a.upper(), b.upper()
    if x == y:
        return True
    try:
        table = underlyings()
        return table.facts(x).family == table.facts(y).family
    except InputError:
        return False


#: (risk driver, benchmark) -> beta: no entries of its own, so every beta comes from the
#: underlyings table (same symbol and family 1, estimated betas with their windows).
DEFAULT_BETAS = BetaTable()


def beta_of(driver: str, benchmark: str, betas: BetaPairs | None = None) -> float:
    """Beta of ``driver``'s returns to ``benchmark``'s from :data:`DEFAULT_BETAS` with ``betas``
    laid over it (see :meth:`BetaTable.beta`)."""
    return DEFAULT_BETAS.merged(betas).beta(driver, benchmark)


def co_moves(
    driver: str, axis: str, moves: ArrayLike, *, betas: BetaPairs | None = None
) -> FloatArray:
    """Decimal moves of ``driver`` when ``axis`` moves by ``moves``, with :data:`DEFAULT_BETAS`
    and ``betas`` laid over it (see :meth:`BetaTable.co_moves`)."""
    return DEFAULT_BETAS.merged(betas).co_moves(driver, axis, moves)


# --- Constants estimated from /work/shared/data/daily_2016_2021.csv (see module docstring) -------
#: IWM % return per +100 bp of the 10-year yield, univariate daily OLS, 2016-04-28..2021-04-27.
HISTORICAL_RATE_BETA_PCT_PER_100BP = 13.885
#: Standard error of the estimate above (same units).
HISTORICAL_RATE_BETA_STDERR = 0.917
#: IWM return per unit SPY return, univariate daily OLS on all 1,257 daily returns (R² 0.78):
#: :data:`IWM_BETA_TO_SPY`, the underlyings table's (one set of betas).
HISTORICAL_SPY_BETA = IWM_BETA_TO_SPY
#: SPY return per unit IWM return (the mirror regression; used to move SPY in an IWM scenario):
#: :data:`SPY_BETA_TO_IWM`, the underlyings table's.
HISTORICAL_SPY_PER_IWM = SPY_BETA_TO_IWM
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
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
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

    @property
    def table(self) -> BetaTable:
        """The SPY betas as a :class:`BetaTable`: SPY per Russell member and back."""
        pairs: dict[tuple[str, str], float] = {}
        for member in ("IWM", "RUT", "MRUT"):
            pairs[("SPY", member)] = self.spy_per_iwm
            pairs[(member, "SPY")] = self.spy_beta
        return BetaTable(pairs)


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
