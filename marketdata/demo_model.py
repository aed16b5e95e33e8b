"""The model behind the bundled SYNTHETIC demo snapshot (IWM, RUT, MRUT, SPY as of 2026-11-20
16:15 New York). Pure code: :func:`build_bundle` returns the files' bytes; the script
``scripts/make_demo_snapshot.py`` writes them to ``marketdata/data/``.

SYNTHETIC DEMO DATA. Nothing here is a market quote. The levels are public-order-of-magnitude
figures chosen to look like a plausible late-2026 market, so the program can be explored offline:

- **RUT** (Russell 2000 index) 2,793.30; continuous dividend yield 1.3 %/yr (the index's
  trailing yield has been about 1.2-1.4 %).
- **IWM** = RUT / 10.06 (IWM has traded near one tenth of RUT, the gap from fees and cash drag),
  rounded to the cent: 277.67. Cash dividends of 1.2 %/yr of that price, paid quarterly; the
  seasonal split (March 20.6 %, June 22.2 %, September 29.7 %, December 27.4 %) is IWM's 2024
  pattern (0.522, 0.562, 0.752, 0.694 per share, ``/work/shared/data/iwm_dividends_known.csv``);
  ex-dates in late March, June and September and mid-December (days 24, 23, 22, 15 rolled back
  to a session), as IWM goes ex.
- **MRUT** = RUT / 10 (Cboe's Mini-Russell 2000 index), same vol surface, rates and yield as RUT.
- **SPY** 660.00 with a 1.1 %/yr cash yield paid quarterly on the third Friday of March, June,
  September and December (SPY's ex-date pattern), December slightly larger.
- **Treasury curve**: 13-week bill discount yield 3.95 % (an ^IRX-style quote, about 4.04 %
  continuous), 2-year 4.10 %, 5-year 4.20 %, 10-year 4.40 % (semi-annual par yields),
  bootstrapped by :mod:`marketdata.rates`.
- **Vols**: SSVI (Gatheral-Jacquier 2014) with the power-law
  ``phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma))``, ``gamma = 1/2`` and
  ``eta (1 + |rho|) <= 2``: free of butterfly arbitrage on every slice, and of calendar arbitrage
  because the ATM total variance ``theta(t) = sigma_atm(t)^2 t`` increases
  (``sigma_atm(t) = long - (long - short) exp(-t / tau)``, upward sloping). IWM and RUT share one
  surface: ATM 21 % short-dated rising to about 23.5 % at two years, ``rho = -0.72``,
  ``eta = 1.16``, which puts the 20-delta put 9-9.6 vol points over ATM out to six months
  (8 at one year, 7.5 at the June 2028 LEAPS). SPY: ATM 14.5 % rising to 17 %,
  ``rho = -0.75``, ``eta = 1.14`` (20-delta put 6.2-6.7 points over ATM). ``k = ln(K / F)`` with ``F`` the true forward.
- **Prices**: IWM and SPY are American with the discrete cash-dividend schedule
  (``pricing.american_price``; while that engine is not available, ``pricing.european_price``
  with the same schedule stands in and ``price_model`` in the metadata says so); RUT and MRUT
  are European, Black-76 on ``F = S exp((r - q) t)``. Each strike is priced at its SSVI vol;
  rates are the curve's zero rate at each expiry (flat per expiry).
- **Quotes**: mids are the model prices rounded to the half-tick grid (0.005 for IWM, SPY and
  MRUT, whose tick is 0.01; 0.05 for RUT, whose tick is 0.05 below 3.00 and 0.10 above); where
  plain rounding would break a no-arbitrage inequality on the mids (far wings and deep in the
  money, where prices are nearly linear in strike), an exact dynamic programme moves the fewest
  half-ticks needed (out-of-the-money mids weighted 4x) so that calls decrease and puts increase
  in strike, both are convex, vertical spreads stay within the strike gap (American) or the
  discounted gap rounded up to the half-tick (European: see :func:`vertical_limit_units`), and
  mids respect intrinsic/forward bounds; no mid moves more than about 1.2 half-ticks from its
  model price (``max_mid_move`` in the metadata). Bid and ask sit
  symmetrically around the mid on the tick grid, never crossed, bid >= 0, with a width growing
  with price and maturity (IWM ATM about 0.01-0.03 short-dated, tens of cents for LEAPS; RUT
  one to several points). Strikes follow exchange intervals (IWM 0.5 near ATM short-dated, 1,
  5, 10 far/long; RUT 5, 10, 25; MRUT 0.5, 1, 2.5; SPY 1, 5); a strike is listed when its
  out-of-the-money option is worth at least two half-ticks. Volume and open interest are
  deterministic (fixed seed), largest near the money and on monthlies, declining away from it.
- **Expiries** are the real listing set from :func:`marketdata.calendar.listed_expiries`.

The generator's true forward, discount factor, rate, ATM total variance and SSVI parameters per
expiry are stored in the bundle's metadata (``demo_meta.json``) so tests can check what cleaning,
parity forwards and surface fits recover. The bytes are reproducible: fixed as-of and seed,
explicit number formats, no timestamps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from marketdata.calendar import ExpiryClass, ListedExpiry, listed_expiries, monthly_expiry
from marketdata.dividends import forecast_from_yield, project_ex_dates, schedule_exact
from marketdata.rates import TreasuryQuotes, build_treasury_curve
from marketdata.snapshot import DividendForecast, RateCurve
from pricing.errors import InputError
from pricing.types import NEW_YORK, DividendSchedule, ExerciseStyle

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MODEL_VERSION = 1
AS_OF = datetime(2026, 11, 20, 16, 15, tzinfo=NEW_YORK)
LABEL = "SYNTHETIC DEMO DATA (as of 2026-11-20 16:15 ET)"
SEED = 20261120
HORIZON_YEARS = 2.0
SYMBOLS: tuple[str, ...] = ("IWM", "MRUT", "RUT", "SPY")
META_FILE = "demo_meta.json"

RUT_LEVEL = 2793.30
IWM_PER_RUT = 10.06
IWM_SPOT = round(RUT_LEVEL / IWM_PER_RUT, 2)
MRUT_LEVEL = round(RUT_LEVEL / 10.0, 2)
SPY_SPOT = 660.00
RUT_DIV_YIELD = 0.013
IWM_DIV_YIELD = 0.012
SPY_DIV_YIELD = 0.011
IWM_DIV_WEIGHTS = {3: 0.522, 6: 0.562, 9: 0.752, 12: 0.694}
"""IWM's 2024 dividends per share by ex-month (iwm_dividends_known.csv), used as seasonal weights."""
IWM_EX_DAYS = {3: 24, 6: 23, 9: 22, 12: 15}
SPY_DIV_WEIGHTS = {3: 0.240, 6: 0.245, 9: 0.250, 12: 0.265}

TREASURY = TreasuryQuotes(
    bill_3m_pct=3.95, note_2y_pct=4.10, note_5y_pct=4.20, note_10y_pct=4.40, bill_basis="discount"
)


# ---------------------------------------------------------------------------------------------
# Volatility: SSVI
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SSVIParams:
    """SSVI total variance ``w(k, t) = theta/2 (1 + rho phi k + sqrt((phi k + rho)^2 + 1 - rho^2))``
    with ``phi = eta / (theta^gamma (1 + theta)^(1 - gamma))`` and ATM total variance
    ``theta(t) = sigma_atm(t)^2 t``, ``sigma_atm(t) = atm_long - (atm_long - atm_short) e^{-t/tau}``.
    ``k = ln(K / F)``; vols decimal; ``t`` in years."""

    rho: float
    eta: float
    gamma: float
    atm_short: float
    atm_long: float
    tau_years: float

    def __post_init__(self) -> None:
        if not -1.0 < self.rho < 1.0:
            raise InputError("ssvi.rho", self.rho, "must be in (-1, 1)")
        if not 0.0 < self.gamma <= 0.5:
            raise InputError("ssvi.gamma", self.gamma, "must be in (0, 0.5] (Gatheral-Jacquier)")
        if not self.eta > 0.0 or self.eta * (1.0 + abs(self.rho)) > 2.0 + 1e-12:
            raise InputError(
                "ssvi.eta",
                self.eta,
                "must satisfy 0 < eta (1 + |rho|) <= 2 (no butterfly arbitrage)",
            )
        if not 0.0 < self.atm_short <= self.atm_long < 3.0:
            raise InputError(
                "ssvi.atm_short",
                self.atm_short,
                "needs 0 < atm_short <= atm_long (theta increasing)",
            )
        if not self.tau_years > 0.0:
            raise InputError("ssvi.tau_years", self.tau_years, "must be > 0")

    def atm_vol(self, t: float | FloatArray) -> FloatArray:
        """ATM (k = 0) implied vol at ``t`` years."""
        tt = np.asarray(t, dtype=np.float64)
        return np.asarray(
            self.atm_long - (self.atm_long - self.atm_short) * np.exp(-tt / self.tau_years)
        )

    def theta(self, t: float | FloatArray) -> FloatArray:
        """ATM total variance ``sigma_atm(t)^2 t`` (increasing in ``t``)."""
        tt = np.asarray(t, dtype=np.float64)
        return np.asarray(self.atm_vol(tt) ** 2 * tt)

    def phi(self, theta: float | FloatArray) -> FloatArray:
        """The power-law curvature function."""
        th = np.asarray(theta, dtype=np.float64)
        return np.asarray(self.eta / (th**self.gamma * (1.0 + th) ** (1.0 - self.gamma)))

    def total_variance(self, k: float | FloatArray, t: float) -> FloatArray:
        """``w(k, t)`` for log-moneyness ``k = ln(K/F)`` at ``t`` years."""
        th = float(self.theta(t))
        p = float(self.phi(th))
        kk = np.asarray(k, dtype=np.float64)
        return np.asarray(
            th
            / 2.0
            * (1.0 + self.rho * p * kk + np.sqrt((p * kk + self.rho) ** 2 + 1.0 - self.rho**2))
        )

    def implied_vol(self, k: float | FloatArray, t: float) -> FloatArray:
        """Implied vol ``sqrt(w(k, t) / t)`` (decimal)."""
        return np.asarray(np.sqrt(self.total_variance(k, t) / t))

    def as_dict(self) -> dict[str, float]:
        """The parameters as a plain dict (for the bundle metadata)."""
        return {
            "rho": self.rho,
            "eta": self.eta,
            "gamma": self.gamma,
            "atm_short": self.atm_short,
            "atm_long": self.atm_long,
            "tau_years": self.tau_years,
        }


RUSSELL_SSVI = SSVIParams(
    rho=-0.72, eta=1.16, gamma=0.5, atm_short=0.21, atm_long=0.235, tau_years=0.5
)
SPY_SSVI = SSVIParams(rho=-0.75, eta=1.14, gamma=0.5, atm_short=0.145, atm_long=0.17, tau_years=0.5)


# ---------------------------------------------------------------------------------------------
# Strikes, ticks, widths, activity
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StrikeZone:
    """Strikes within ``clip(sds * atm_vol * sqrt(t), pct_min, pct_max)`` of spot (in
    ``|ln(K / S)|``) use ``increment``."""

    sds: float
    pct_min: float
    pct_max: float
    increment: float


@dataclass(frozen=True, slots=True)
class StrikeRules:
    """Exchange-like strike intervals by maturity: ``short`` up to ``short_days`` days, ``normal``
    up to ``leaps_years``, then ``leaps``; ``outer_*`` beyond the last zone. Listed range:
    ``[F e^{z_lo s}, F e^{z_hi s}]`` with ``s = atm_vol sqrt(t)``, at least ``min_pct`` each side
    and within ``[floor_ratio F, cap_ratio F]``."""

    short: tuple[StrikeZone, ...]
    normal: tuple[StrikeZone, ...]
    leaps: tuple[StrikeZone, ...]
    outer_short: float
    outer_normal: float
    outer_leaps: float
    short_days: float = 21.0
    leaps_years: float = 1.05
    z_lo: float = -4.5
    z_hi: float = 3.0
    min_pct: float = 0.03
    floor_ratio: float = 0.45
    cap_ratio: float = 1.5


@dataclass(frozen=True, slots=True)
class QuoteRules:
    """Quote conventions: ``unit`` is the half-tick grid of mids; ``tick_small`` applies below
    ``tick_break`` and ``tick_large`` at or above it. Target width (price units)
    ``(width_base + width_per_price * mid) * (1 + width_per_year * t)``. A strike is listed when
    its out-of-the-money model price is at least ``min_otm_price``."""

    unit: float
    tick_small: float
    tick_large: float
    tick_break: float
    width_base: float
    width_per_price: float
    width_per_year: float
    min_otm_price: float

    def tick_units(self, price_units: IntArray) -> IntArray:
        """Tick size in half-tick units at each price (in units)."""
        small = round(self.tick_small / self.unit)
        large = round(self.tick_large / self.unit)
        brk = round(self.tick_break / self.unit)
        return np.where(price_units < brk, small, large).astype(np.int64)


@dataclass(frozen=True, slots=True)
class UnderlyingModel:
    """Everything the generator needs for one underlying (see the module docstring)."""

    symbol: str
    spot: float
    style: ExerciseStyle
    ssvi: SSVIParams
    strikes: StrikeRules
    quotes: QuoteRules
    oi_scale: float
    round_strike: float
    div_yield: float = 0.0
    dividends: DividendForecast = field(default_factory=DividendForecast)


def iwm_dividends(as_of: datetime = AS_OF) -> DividendForecast:
    """IWM's demo dividend forecast: 1.2 %/yr of the demo spot, IWM's seasonal split, ex-dates in
    late March/June/September and mid-December, for the next ~2 years (through the last LEAPS)."""
    today = as_of.astimezone(NEW_YORK).date()
    until = date(today.year + 2, 12, 31)
    ex_dates = project_ex_dates(today, until, IWM_EX_DAYS)
    return forecast_from_yield(
        as_of=as_of,
        spot=IWM_SPOT,
        annual_yield=IWM_DIV_YIELD,
        ex_dates=ex_dates,
        weights_by_month=IWM_DIV_WEIGHTS,
    )


def spy_dividends(as_of: datetime = AS_OF) -> DividendForecast:
    """SPY's demo dividend forecast: 1.1 %/yr, ex-dates on the March/June/September/December
    standard monthly expiry (third Friday, holiday-adjusted)."""
    today = as_of.astimezone(NEW_YORK).date()
    ex_dates = [
        monthly_expiry(y, m) for y in range(today.year, today.year + 3) for m in (3, 6, 9, 12)
    ]
    return forecast_from_yield(
        as_of=as_of,
        spot=SPY_SPOT,
        annual_yield=SPY_DIV_YIELD,
        ex_dates=[d for d in ex_dates if d <= date(today.year + 2, 12, 31)],
        weights_by_month=SPY_DIV_WEIGHTS,
    )


_IWM_STRIKES = StrikeRules(
    short=(StrikeZone(1.0, 0.02, 0.03, 0.5), StrikeZone(3.0, 0.06, 0.12, 1.0)),
    normal=(StrikeZone(2.0, 0.08, 0.20, 1.0),),
    leaps=(StrikeZone(0.0, 0.06, 0.06, 1.0), StrikeZone(0.0, 0.35, 0.35, 5.0)),
    outer_short=5.0,
    outer_normal=5.0,
    outer_leaps=10.0,
)
_SPY_STRIKES = StrikeRules(
    short=(StrikeZone(3.0, 0.04, 0.10, 1.0),),
    normal=(StrikeZone(1.5, 0.05, 0.10, 1.0),),
    leaps=(StrikeZone(0.0, 0.04, 0.04, 1.0), StrikeZone(0.0, 0.30, 0.30, 5.0)),
    outer_short=5.0,
    outer_normal=5.0,
    outer_leaps=10.0,
)
_RUT_STRIKES = StrikeRules(
    short=(StrikeZone(1.0, 0.02, 0.04, 5.0), StrikeZone(3.0, 0.06, 0.12, 10.0)),
    normal=(StrikeZone(1.0, 0.02, 0.05, 5.0), StrikeZone(2.0, 0.08, 0.15, 10.0)),
    leaps=(StrikeZone(0.0, 0.10, 0.10, 10.0),),
    outer_short=25.0,
    outer_normal=25.0,
    outer_leaps=25.0,
)
_MRUT_STRIKES = StrikeRules(
    short=(StrikeZone(1.0, 0.02, 0.04, 0.5), StrikeZone(3.0, 0.06, 0.12, 1.0)),
    normal=(StrikeZone(1.0, 0.02, 0.05, 0.5), StrikeZone(2.0, 0.08, 0.15, 1.0)),
    leaps=(StrikeZone(0.0, 0.10, 0.10, 1.0),),
    outer_short=2.5,
    outer_normal=2.5,
    outer_leaps=2.5,
)
_PENNY_QUOTES = QuoteRules(
    unit=0.005,
    tick_small=0.01,
    tick_large=0.01,
    tick_break=3.0,
    width_base=0.01,
    width_per_price=0.002,
    width_per_year=1.5,
    min_otm_price=0.01,
)
_RUT_QUOTES = QuoteRules(
    unit=0.05,
    tick_small=0.05,
    tick_large=0.10,
    tick_break=3.0,
    width_base=0.10,
    width_per_price=0.03,
    width_per_year=0.5,
    min_otm_price=0.10,
)
_MRUT_QUOTES = QuoteRules(
    unit=0.005,
    tick_small=0.01,
    tick_large=0.01,
    tick_break=3.0,
    width_base=0.02,
    width_per_price=0.01,
    width_per_year=0.5,
    min_otm_price=0.01,
)


def models(as_of: datetime = AS_OF) -> dict[str, UnderlyingModel]:
    """The four demo underlyings' models."""
    return {
        "IWM": UnderlyingModel(
            "IWM",
            IWM_SPOT,
            ExerciseStyle.AMERICAN,
            RUSSELL_SSVI,
            _IWM_STRIKES,
            _PENNY_QUOTES,
            oi_scale=40000.0,
            round_strike=5.0,
            dividends=iwm_dividends(as_of),
        ),
        "MRUT": UnderlyingModel(
            "MRUT",
            MRUT_LEVEL,
            ExerciseStyle.EUROPEAN,
            RUSSELL_SSVI,
            _MRUT_STRIKES,
            _MRUT_QUOTES,
            oi_scale=600.0,
            round_strike=5.0,
            div_yield=RUT_DIV_YIELD,
        ),
        "RUT": UnderlyingModel(
            "RUT",
            RUT_LEVEL,
            ExerciseStyle.EUROPEAN,
            RUSSELL_SSVI,
            _RUT_STRIKES,
            _RUT_QUOTES,
            oi_scale=2500.0,
            round_strike=50.0,
            div_yield=RUT_DIV_YIELD,
        ),
        "SPY": UnderlyingModel(
            "SPY",
            SPY_SPOT,
            ExerciseStyle.AMERICAN,
            SPY_SSVI,
            _SPY_STRIKES,
            _PENNY_QUOTES,
            oi_scale=60000.0,
            round_strike=5.0,
            dividends=spy_dividends(as_of),
        ),
    }


def rate_curve() -> RateCurve:
    """The demo zero curve (continuous decimals) from :data:`TREASURY`."""
    return build_treasury_curve(TREASURY)


def strike_grid(
    rules: StrikeRules, spot: float, forward: float, t: float, atm_vol: float
) -> FloatArray:
    """Listed strikes of one expiry before the price filter (sorted, exact multiples of their
    zone's increment)."""
    days = t * 365.0
    if days <= rules.short_days:
        zones, outer = rules.short, rules.outer_short
    elif t <= rules.leaps_years:
        zones, outer = rules.normal, rules.outer_normal
    else:
        zones, outer = rules.leaps, rules.outer_leaps
    s = atm_vol * math.sqrt(t)
    lo = forward * math.exp(min(rules.z_lo * s, -rules.min_pct))
    hi = forward * math.exp(max(rules.z_hi * s, rules.min_pct))
    lo = max(lo, rules.floor_ratio * forward)
    hi = min(hi, rules.cap_ratio * forward)
    bounds = [min(max(z.sds * s, z.pct_min), z.pct_max) for z in zones]
    incs = [z.increment for z in zones] + [outer]
    candidates: set[float] = set()
    finest = min(incs)
    n_lo = math.ceil(lo / finest - 1e-9)
    n_hi = math.floor(hi / finest + 1e-9)
    for n in range(n_lo, n_hi + 1):
        k = round(n * finest, 6)
        d = abs(math.log(k / spot))
        zone = next((i for i, b in enumerate(bounds) if d <= b), len(bounds))
        inc = incs[zone]
        if abs(k / inc - round(k / inc)) < 1e-9:
            candidates.add(k)
    return np.array(sorted(candidates), dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Rounding mids without creating arbitrage
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bounds:
    """No-arbitrage bounds for one kind on one expiry (prices in currency): ``lower``/``upper``
    per strike, and the largest vertical-spread value per unit of strike gap
    (``vertical_per_strike``: 1 for American, the discount factor for European)."""

    lower: FloatArray
    upper: FloatArray
    vertical_per_strike: float


def vertical_limit_units(gaps: FloatArray, vertical_per_strike: float, unit: float) -> IntArray:
    """The largest vertical spread, in half-tick units, allowed between adjacent mids: the bound
    ``vertical_per_strike x gap`` rounded *up* to the grid. For American options (bound = the
    gap, a multiple of the unit) this is exact; for European ones the discounted bound is not on
    the price grid, and rounding it down would force deep in-the-money mids (worth almost exactly
    ``DF (F - K)``) ever further from their model prices. The excess is below one half-tick and
    never executable (a spread's bid is at least two half-ticks under its mid)."""
    return np.ceil(np.asarray(gaps) * vertical_per_strike / unit - 1e-7).astype(np.int64)


def arbitrage_violations(
    n: IntArray, strikes: FloatArray, is_call: bool, vmax: IntArray
) -> list[str]:
    """Descriptions of the no-arbitrage inequalities that the integer mids ``n`` break (empty if
    none): monotone in strike, vertical spreads within ``vmax`` units, convex in strike."""
    out: list[str] = []
    d = np.diff(n)
    spread = -d if is_call else d
    for i in np.flatnonzero(spread < 0):
        out.append(f"not monotone at {strikes[i]}..{strikes[i + 1]}")
    for i in np.flatnonzero(spread > vmax):
        out.append(f"vertical above bound at {strikes[i]}..{strikes[i + 1]}")
    if len(n) >= 3:
        dk = np.diff(strikes)
        lhs = n[1:-1] * (dk[:-1] + dk[1:])
        rhs = n[:-2] * dk[1:] + n[2:] * dk[:-1]
        for i in np.flatnonzero(lhs > rhs + 1e-9):
            out.append(f"not convex at {strikes[i + 1]}")
    return out


def _dp_round(
    x: FloatArray,
    k: FloatArray,
    weights: FloatArray,
    lo: IntArray,
    hi: IntArray,
    vmax: IntArray,
    is_call: bool,
    half_window: int,
) -> IntArray | None:
    """Exact minimum of ``sum w_i |n_i - x_i|`` over integer ``n`` within ``half_window`` of the
    nearest rounding, subject to the constraints of :func:`round_mids`; None if infeasible there.

    Dynamic programme over the pair state ``(n_{i-1}, n_i)``: convexity bounds ``n_{i-2}`` from
    below given the pair, so each step is a suffix minimum over ``n_{i-2}``."""
    size = len(x)
    width = 2 * half_window + 1
    base = np.rint(x).astype(np.int64) - half_window
    cand = base[:, None] + np.arange(width)[None, :]
    valid = (cand >= lo[:, None]) & (cand <= hi[:, None])
    unary = np.where(valid, weights[:, None] * np.abs(cand - x[:, None]), np.inf)
    if size == 1:
        j = int(np.argmin(unary[0]))
        return None if not np.isfinite(unary[0, j]) else cand[0, j : j + 1].copy()

    def pair_ok(i: int) -> NDArray[np.bool_]:
        a = cand[i][:, None]
        b = cand[i + 1][None, :]
        spread = (a - b) if is_call else (b - a)
        return np.asarray((spread >= 0) & (spread <= vmax[i]))

    # cost[a, b]: best total for strikes 0..i with n_{i-1} = cand[i-1, a], n_i = cand[i, b]
    cost = np.where(pair_ok(0), unary[0][:, None] + unary[1][None, :], np.inf)
    back: list[NDArray[np.int64]] = []
    for i in range(1, size - 1):
        g1 = k[i] - k[i - 1]
        g2 = k[i + 1] - k[i]
        # suffix minimum over a (rows) of cost[:, b], with its argmin
        suffix = np.full((width + 1, width), np.inf)
        arg = np.zeros((width + 1, width), dtype=np.int64)
        for a in range(width - 1, -1, -1):
            better = cost[a] <= suffix[a + 1]
            suffix[a] = np.where(better, cost[a], suffix[a + 1])
            arg[a] = np.where(better, a, arg[a + 1])
        b_val = cand[i][:, None].astype(np.float64)
        c_val = cand[i + 1][None, :].astype(np.float64)
        a_min = (b_val * (g1 + g2) - c_val * g1) / g2  # convexity: n_{i-1} >= a_min
        a_idx = np.clip(np.ceil(a_min - 1e-9).astype(np.int64) - cand[i - 1, 0], 0, width)
        b_idx = np.broadcast_to(np.arange(width)[:, None], a_idx.shape)
        step = suffix[a_idx, b_idx]
        step = np.where(pair_ok(i), step + unary[i + 1][None, :], np.inf)
        back.append(arg[a_idx, b_idx])
        cost = step
    flat = int(np.argmin(cost))
    if not np.isfinite(cost.flat[flat]):
        return None
    a, b = divmod(flat, width)
    picks = [b, a]
    for i in range(size - 2, 0, -1):
        prev = int(back[i - 1][a, b])
        b, a = a, prev
        picks.append(a)
    picks.reverse()
    return np.array([cand[i, j] for i, j in enumerate(picks)], dtype=np.int64)


def round_mids(
    prices: FloatArray,
    strikes: FloatArray,
    is_call: bool,
    bounds: Bounds,
    unit: float,
    weights: FloatArray | None = None,
) -> IntArray:
    """Mids in half-tick ``unit``s closest to ``prices`` (weighted sum of absolute moves
    minimised) subject to: monotone in strike (calls down, puts up), convex in strike, vertical
    spreads within :func:`vertical_limit_units`, ``lower <= mid <= upper`` and mid >= one unit.

    Plain rounding is used when it already satisfies every constraint (then it is the optimum);
    otherwise an exact dynamic programme over a window around it. Raises :class:`InputError` if
    no grid within 512 units satisfies the constraints.
    """
    x = np.asarray(prices, dtype=np.float64) / unit
    k = np.asarray(strikes, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    lo = np.maximum(np.ceil(bounds.lower / unit - 1e-7), 1.0).astype(np.int64)
    hi = np.floor(bounds.upper / unit + 1e-7).astype(np.int64)
    if np.any(lo > hi):
        i = int(np.flatnonzero(lo > hi)[0])
        raise InputError(
            "mid_bounds",
            (float(k[i]), float(bounds.lower[i]), float(bounds.upper[i])),
            "empty range",
        )
    vmax = vertical_limit_units(np.diff(k), bounds.vertical_per_strike, unit)
    nearest = np.clip(np.rint(x).astype(np.int64), lo, hi)
    if not arbitrage_violations(nearest, k, is_call, vmax):
        return nearest
    for half_window in (4, 16, 64, 512):
        n = _dp_round(x, k, w, lo, hi, vmax, is_call, half_window)
        if n is not None:
            problems = arbitrage_violations(n, k, is_call, vmax)
            if problems:
                raise InputError(
                    "mids", f"strikes {k[0]}..{k[-1]}", f"rounding left {problems[:3]}"
                )
            return n
    raise InputError(
        "mids", f"{'call' if is_call else 'put'} strikes {k[0]}..{k[-1]}", "no arbitrage-free grid"
    )


def quote_around(
    mid_units: IntArray, target_width: FloatArray, rules: QuoteRules
) -> tuple[IntArray, IntArray]:
    """Bid and ask in half-tick units, symmetric around ``mid_units``, each on its tick grid,
    ``0 <= bid < ask``, half-width as close as possible to ``target_width / 2`` (ties: wider)."""
    small = round(rules.tick_small / rules.unit)
    large = round(rules.tick_large / rules.unit)
    brk = round(rules.tick_break / rules.unit)
    bids = np.empty_like(mid_units)
    asks = np.empty_like(mid_units)
    for i, (m, w) in enumerate(zip(mid_units.tolist(), target_width.tolist(), strict=True)):
        target = max(w / rules.unit / 2.0, 1.0)
        best_u = 0
        best_score = math.inf
        for u in range(1, int(2 * target) + 6):
            b, a = m - u, m + u
            if b < 0:
                break
            if b % (small if b < brk else large) or a % (small if a < brk else large):
                continue
            score = abs(u - target)
            if score <= best_score:
                best_u, best_score = u, score
        if best_u == 0:
            raise InputError("mid", m * rules.unit, "no tick-grid quote around this mid")
        bids[i], asks[i] = m - best_u, m + best_u
    return bids, asks


# ---------------------------------------------------------------------------------------------
# One expiry, one underlying, the bundle
# ---------------------------------------------------------------------------------------------

PriceFn = Callable[..., FloatArray]


def _price_american_or_standin() -> tuple[PriceFn, str, bool]:
    """``pricing.american_price`` if implemented, else ``pricing.european_price`` as a stand-in.
    Returns (function, model name, is_american)."""
    import pricing

    try:
        pricing.american_price(
            kind="put",
            spot=100.0,
            strike=100.0,
            t_years=0.5,
            rate=0.04,
            vol=0.2,
            dividends=DividendSchedule((0.25,), (1.0,)),
        )
    except NotImplementedError:
        return (
            pricing.european_price,
            "european-escrowed-standin (pricing.american_price not implemented)",
            False,
        )
    return (
        pricing.american_price,
        "american-discrete-dividends (pricing.american_price, default engine)",
        True,
    )


@dataclass(slots=True)
class ExpiryQuotes:
    """Generated quotes of one expiry (internal to the generator)."""

    listed: ListedExpiry
    t: float
    rate: float
    discount: float
    forward: float
    pv_dividends: float
    theta: float
    atm_vol: float
    strikes: FloatArray
    call_mid: IntArray
    put_mid: IntArray
    call_model: FloatArray
    put_model: FloatArray
    rows: list[str]


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _num(x: float) -> float:
    """A float rounded to 12 significant digits, so metadata bytes survive last-bit noise."""
    return float(f"{x:.12g}")


def _diag(x: float) -> float:
    """A diagnostic derived from engine prices, rounded to 4 significant digits (engine
    refinements at the 1e-10 level must not change the bundle's bytes)."""
    return float(f"{x:.4g}")


ITM_WEIGHT = 0.25
"""Weight of an in-the-money mid's move in the rounding objective (out-of-the-money mids carry
the smile, so they stay closest to the model)."""


def _oi_factor(listed: ListedExpiry) -> float:
    weights = {
        ExpiryClass.MONTHLY: 1.0,
        ExpiryClass.LEAPS: 0.6,
        ExpiryClass.QUARTERLY: 0.5,
        ExpiryClass.END_OF_MONTH: 0.3,
        ExpiryClass.WEEKLY: 0.4,
        ExpiryClass.DAILY: 0.15,
    }
    return max(weights[c] for c in listed.classes)


def _turnover(t: float) -> float:
    days = t * 365.0
    if days < 3:
        return 1.5
    if days < 10:
        return 0.6
    if days < 45:
        return 0.2
    if days < 180:
        return 0.06
    return 0.02


def build_expiry(
    model: UnderlyingModel,
    listed: ListedExpiry,
    curve: RateCurve,
    as_of: datetime,
    price_fn: PriceFn,
    american: bool,
    rng: np.random.Generator,
) -> ExpiryQuotes:
    """Strikes, model prices, arbitrage-free mids, bid/ask, volume and open interest of one
    expiry, with the CSV rows ``expiry,kind,strike,bid,ask,last,volume,open_interest,root``."""
    t = listed.t_years(as_of)
    r = float(curve.rate(t))
    df = math.exp(-r * t)
    s = model.spot
    sched = (
        schedule_exact(model.dividends, as_of).within(t)
        if model.dividends.ex_dates
        else DividendSchedule()
    )
    pv = float(
        sum(a * math.exp(-r * ti) for ti, a in zip(sched.times_years, sched.amounts, strict=True))
    )
    if model.style is ExerciseStyle.AMERICAN:
        forward = (s - pv) * math.exp(r * t)
    else:
        forward = s * math.exp((r - model.div_yield) * t)
    theta = float(model.ssvi.theta(t))
    atm = float(model.ssvi.atm_vol(t))
    strikes = strike_grid(model.strikes, s, forward, t, atm)
    vols = model.ssvi.implied_vol(np.log(strikes / forward), t)

    def price(kind: str, k: FloatArray, v: FloatArray) -> FloatArray:
        if model.style is ExerciseStyle.EUROPEAN:
            import pricing

            return np.asarray(
                pricing.black76_price(
                    kind=kind, forward=forward, strike=k, t_years=t, rate=r, vol=v
                )
            )
        return np.asarray(
            price_fn(kind=kind, spot=s, strike=k, t_years=t, rate=r, vol=v, dividends=sched or None)
        )

    calls = price("call", strikes, vols)
    puts = price("put", strikes, vols)
    otm = np.where(strikes >= forward, calls, puts)
    keep = otm >= model.quotes.min_otm_price
    # keep one contiguous block around the money
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        raise InputError("strikes", listed.label, "no strike has a quotable out-of-the-money price")
    block = slice(int(idx[0]), int(idx[-1]) + 1)
    strikes, vols, calls, puts = strikes[block], vols[block], calls[block], puts[block]

    esc = s - pv
    if model.style is ExerciseStyle.EUROPEAN:
        call_lb = np.maximum(df * (forward - strikes), 0.0)
        put_lb = np.maximum(df * (strikes - forward), 0.0)
        call_ub = np.full_like(strikes, df * forward)
        put_ub = df * strikes
        vertical = df
    elif american:
        call_lb = np.maximum.reduce([s - strikes, esc - df * strikes, np.zeros_like(strikes)])
        put_lb = np.maximum.reduce([strikes - s, df * strikes - esc, np.zeros_like(strikes)])
        call_ub = np.full_like(strikes, s)
        put_ub = strikes.copy()
        vertical = 1.0
    else:  # European stand-in with cash dividends (escrowed spot)
        call_lb = np.maximum(esc - df * strikes, 0.0)
        put_lb = np.maximum(df * strikes - esc, 0.0)
        call_ub = np.full_like(strikes, esc)
        put_ub = df * strikes
        vertical = df
    q = model.quotes
    call_w = np.where(strikes >= forward, 1.0, ITM_WEIGHT)
    put_w = np.where(strikes <= forward, 1.0, ITM_WEIGHT)
    call_mid = round_mids(calls, strikes, True, Bounds(call_lb, call_ub, vertical), q.unit, call_w)
    put_mid = round_mids(puts, strikes, False, Bounds(put_lb, put_ub, vertical), q.unit, put_w)

    rows: list[str] = []
    z = np.log(strikes / forward) / (atm * math.sqrt(t))
    base = model.oi_scale * _oi_factor(listed)
    roundness = np.where(
        np.abs(strikes / model.round_strike - np.rint(strikes / model.round_strike)) < 1e-9,
        1.4,
        1.0,
    )
    expiry_text = listed.expiry.isoformat()
    for kind, mids in (("call", call_mid), ("put", put_mid)):
        width = np.asarray(
            (q.width_base + q.width_per_price * mids * q.unit) * (1.0 + q.width_per_year * t),
            dtype=np.float64,
        )
        bids, asks = quote_around(mids, width, q)
        otm_side = (z < 0) if kind == "put" else (z > 0)
        side = np.where(otm_side, 1.3 if kind == "put" else 1.0, 0.35)
        jitter = rng.lognormal(0.0, 0.2, size=len(strikes))
        oi = np.rint(base * np.exp(-0.5 * (z / 1.6) ** 2) * side * roundness * jitter).astype(
            np.int64
        )
        vol_jitter = rng.lognormal(0.0, 0.3, size=len(strikes))
        volume = np.rint(oi * _turnover(t) * vol_jitter).astype(np.int64)
        up = rng.random(len(strikes)) < 0.5
        for i, k in enumerate(strikes.tolist()):
            m, b, a = int(mids[i]), int(bids[i]), int(asks[i])
            if volume[i] > 0:
                tick = int(q.tick_units(np.array([m]))[0])
                last_units = (m // tick + (1 if up[i] and m % tick else 0)) * tick
                last_units = min(max(last_units, b), a)
                last = _fmt(last_units * q.unit)
            else:
                last = ""
            rows.append(
                f"{expiry_text},{kind},{_fmt(k)},{_fmt(b * q.unit)},{_fmt(a * q.unit)},{last},"
                f"{int(volume[i])},{int(oi[i])},{listed.root}"
            )
    return ExpiryQuotes(
        listed, t, r, df, forward, pv, theta, atm, strikes, call_mid, put_mid, calls, puts, rows
    )


CSV_HEADER = "expiry,kind,strike,bid,ask,last,volume,open_interest,root"


def build_symbol(
    model: UnderlyingModel,
    curve: RateCurve,
    as_of: datetime = AS_OF,
    price_choice: tuple[PriceFn, str, bool] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The CSV text and the metadata dict of one underlying."""
    price_fn, price_model, american = price_choice or _price_american_or_standin()
    if model.style is ExerciseStyle.EUROPEAN:
        price_model = "black76 (European, forward S exp((r - q) t))"
    rng = np.random.default_rng([SEED, SYMBOLS.index(model.symbol)])
    expiries = listed_expiries(model.symbol, as_of, HORIZON_YEARS)
    lines = [CSV_HEADER]
    meta_expiries: list[dict[str, Any]] = []
    max_move = 0.0
    for listed in expiries:
        eq = build_expiry(model, listed, curve, as_of, price_fn, american, rng)
        lines.extend(eq.rows)
        u = model.quotes.unit
        move = float(
            max(
                np.max(np.abs(eq.call_mid * u - eq.call_model)),
                np.max(np.abs(eq.put_mid * u - eq.put_model)),
            )
        )
        max_move = max(max_move, move)
        meta_expiries.append(
            {
                "expiry": listed.expiry.isoformat(),
                "settlement": listed.settlement.value,
                "root": listed.root,
                "classes": [c.value for c in ExpiryClass if c in listed.classes],
                "last_trade_date": listed.last_trade_date.isoformat(),
                "t_years": _num(eq.t),
                "rate": _num(eq.rate),
                "discount": _num(eq.discount),
                "forward": _num(eq.forward),
                "pv_dividends": _num(eq.pv_dividends),
                "theta": _num(eq.theta),
                "atm_vol": _num(eq.atm_vol),
                "n_strikes": len(eq.strikes),
                "max_mid_move": _diag(move),
            }
        )
    meta: dict[str, Any] = {
        "symbol": model.symbol,
        "file": f"demo_{model.symbol.lower()}.csv",
        "spot": model.spot,
        "style": model.style.value,
        "delivery": listed_expiries(model.symbol, as_of, HORIZON_YEARS)[0].delivery.value,
        "multiplier": 100.0,
        "roots": {e.root: e.settlement.value for e in expiries},
        "div_yield": model.div_yield,
        "dividends": {
            "ex_dates": [d.isoformat() for d in model.dividends.ex_dates],
            "amounts": list(model.dividends.amounts),
        },
        "ssvi": model.ssvi.as_dict(),
        "price_model": price_model,
        "quote_unit": model.quotes.unit,
        "tick_small": model.quotes.tick_small,
        "tick_large": model.quotes.tick_large,
        "tick_break": model.quotes.tick_break,
        "max_mid_move": _diag(max_move),
        "expiries": meta_expiries,
    }
    return "\n".join(lines) + "\n", meta


def build_bundle(symbols: Sequence[str] = SYMBOLS, as_of: datetime = AS_OF) -> dict[str, bytes]:
    """Every bundled file: ``demo_<symbol>.csv`` per underlying and ``demo_meta.json``, as bytes."""
    curve = rate_curve()
    all_models = models(as_of)
    price_choice = _price_american_or_standin()
    files: dict[str, bytes] = {}
    symbol_meta: dict[str, Any] = {}
    for sym in symbols:
        text, meta = build_symbol(all_models[sym], curve, as_of, price_choice)
        files[meta["file"]] = text.encode("utf-8")
        symbol_meta[sym] = meta
    treasury = {
        "bill_3m_pct": TREASURY.bill_3m_pct,
        "bill_basis": TREASURY.bill_basis,
        "note_2y_pct": TREASURY.note_2y_pct,
        "note_5y_pct": TREASURY.note_5y_pct,
        "note_10y_pct": TREASURY.note_10y_pct,
    }
    meta_all = {
        "label": LABEL,
        "synthetic": True,
        "source": "demo",
        "model_version": MODEL_VERSION,
        "generator": "scripts/make_demo_snapshot.py (model: marketdata/demo_model.py)",
        "as_of": as_of.isoformat(),
        "seed": SEED,
        "parameters": {
            "rut_level": RUT_LEVEL,
            "iwm_per_rut": IWM_PER_RUT,
            "iwm_spot": IWM_SPOT,
            "mrut_level": MRUT_LEVEL,
            "spy_spot": SPY_SPOT,
            "rut_div_yield": RUT_DIV_YIELD,
            "iwm_div_yield": IWM_DIV_YIELD,
            "spy_div_yield": SPY_DIV_YIELD,
        },
        "treasury_quotes": treasury,
        "rate_curve": {
            "tenors_years": [_num(t) for t in curve.tenors_years],
            "zero_rates": [_num(r) for r in curve.zero_rates],
        },
        "symbols": symbol_meta,
    }
    files[META_FILE] = (
        json.dumps(meta_all, indent=1, sort_keys=True, ensure_ascii=True) + "\n"
    ).encode("utf-8")
    return files
