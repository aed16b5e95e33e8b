"""Search the listed chain for the hedges of a book: every strike pair and expiry in a window,
each structure sized in integer contracts to cover a share of the book's loss over a band of
index drawdowns at a horizon, ranked by cost, with the cost-versus-protection frontier.

The one entry point for the faces (the ``hedge size`` verb and the app's sizing screen) is
:func:`size_hedge` ``(market, book, request, progress=None) -> SizingResult``.

Definitions (dollars unless said; ``d`` a drawdown of the Russell 2000 family, 0.10 = 10 % lower;
IWM, RUT and MRUT move alike):

- **horizon**: ``request.horizon_days`` calendar days after the data's time. Legs are re-priced
  there by :func:`contract_values`, the model of :func:`strategies.valuation.instrument_price`
  and :func:`strategies.grid.pnl_grid` in one engine call for every listed contract and state
  (American IWM legs by :func:`pricing.american_price` before their expiry, with the cash
  dividends; European RUT/MRUT legs by Black-Scholes on the forward; a leg that expired before
  the horizon at its settlement value), implied vols moved by the house spot-vol beta
  (:data:`strategies.calibration.HOUSE_BETAS`: +0.8 vol points per 1 % fall), smile
  sticky-strike. The screening prices the band at four vol shifts and interpolates in vol
  (``request.vol_nodes``); every reported candidate is then re-priced exactly, each band point
  at its own vol, and re-sized;
- **protection** of a unit at ``d``: its value at the horizon in the drawdown minus its value at
  the horizon with the index flat (what the move itself earns; an expiring 200/180 put spread
  with IWM at 200 protects 20 x 100 = $2,000 a contract at -10 %);
- **book loss** at ``d``: ``V x beta_index x d`` (:class:`~strategies.sizing.book.Book`), or,
  with ``request.loss_basis = "excess"``, only the loss beyond the band's first drawdown
  (``V x beta_index x (d - d_low)``: a deductible);
- **premium**: dollars paid now at the fill (ask to buy, bid to sell; credit negative);
- **carry cost**: premium minus the unit's model value at the horizon with the index flat
  (theta and spread crossing for options; decay, fees and financing net of cash interest for
  TZA; cash dividends owed for short shares);
- **cost** (what the budget caps and "least cost" ranks): the premium for option structures,
  the carry cost for TZA and short shares (they have no premium);
- **scenario P&L**: value in each scenario minus the entry at the fill (the house view, weighted
  by its probabilities, and the yield shocks of :func:`strategies.scenarios.yield_shock`);
- **carry per day**: model value one calendar day later minus now, index flat (theta per day);
- contracts: integers by :mod:`strategies.sizing.rules` (cover target: the fewest contracts
  meeting it at every band point; no target or none affordable: the most within the budget),
  never more than ``request.max_hedge_ratio`` times the book's beta-weighted value in notional
  (contracts x index level x multiplier; TZA |leverage| x dollars; shares their dollars).

Structures (:data:`STRUCTURES`): ``put`` (IWM long puts, every listed strike), ``put-spread``
(IWM, every listed pair long K1 > short K2 of one expiry), ``rut-put-spread`` and
``mrut-put-spread`` (the same on RUT, $100 a point, and on MRUT = RUT/10, $100 a point: one RUT
contract is ten MRUT or about ten IWM contracts of notional; both European and cash-settled;
RUT monthlies are AM-settled at the opening print of expiry day, so a RUT hedge can settle away
from the previous close: the AM-settlement gap), ``collar`` (IWM long put at or below spot, short
call at or above, every pair), ``put-spread-collar`` (long put 0-10 % out of the money, short put
5-30 % OTM, short call 2-10 % OTM), ``tza`` (TZA shares, sized by dollars, valued through the
daily-reset model of :mod:`strategies.leveraged` over the horizon's resets) and
``short-shares`` (short IWM shares: the linear baseline). With ``request.mix`` the best few
units of each named structure are combined by the integer program of
:func:`strategies.sizing.rules.solve_mix`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import pricing
from marketdata.snapshot import OptionChain
from pricing.errors import InputError
from pricing.types import NEW_YORK, ExerciseStyle, OptionContract, SettlementTime
from strategies.calibration import HOUSE_BETAS, MarketBetas
from strategies.legs import TZA, Leg, LeveragedETF, Shares, describe, option_for
from strategies.pricing_context import PricingContext
from strategies.scenarios import HOUSE_VIEW, Scenario, ScenarioSet, run_scenarios, yield_shock
from strategies.sizing.book import Book
from strategies.sizing.rules import (
    ROUNDING_BUDGET,
    ROUNDING_COVER,
    ROUNDING_MILP,
    band_points,
    beta_weighted_contracts,
    budget_contracts,
    cover_contracts,
    delta_neutral_contracts,
    solve_mix,
)
from strategies.strategy import Strategy
from strategies.valuation import instrument_price

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: ``progress(done, total, label)``: called as the search advances (steps, not seconds).
ProgressFn = Callable[[int, int, str], None]

STRUCTURES: Mapping[str, str] = {
    "put": "IWM long put",
    "put-spread": "IWM put spread",
    "rut-put-spread": "RUT put spread (European, cash, AM-settled monthlies)",
    "mrut-put-spread": "MRUT put spread (European, cash, RUT/10)",
    "collar": "IWM collar (long put, short call; the book is the stock)",
    "put-spread-collar": "IWM put-spread collar (long put, short put, short call)",
    "tza": "TZA shares (-3x Russell 2000, daily reset)",
    "short-shares": "short IWM shares (linear baseline)",
}
#: Short labels used in candidate names.
SHORT_NAMES: Mapping[str, str] = {
    "put": "IWM put",
    "put-spread": "IWM put spread",
    "rut-put-spread": "RUT put spread",
    "mrut-put-spread": "MRUT put spread",
    "collar": "IWM collar",
    "put-spread-collar": "IWM put-spread collar",
    "tza": "TZA shares",
    "short-shares": "short IWM shares",
}
_OPTION_UNDERLYING = {
    "put": "IWM",
    "put-spread": "IWM",
    "rut-put-spread": "RUT",
    "mrut-put-spread": "MRUT",
    "collar": "IWM",
    "put-spread-collar": "IWM",
}
#: Put-spread collar strike ranges (decimal out of the money): long put, short put, short call.
PSC_LONG_OTM = (0.0, 0.10)
PSC_SHORT_OTM = (0.05, 0.30)
PSC_CALL_OTM = (0.02, 0.10)
#: Yield shocks (basis points on the 10-year) reported beside the house view.
DEFAULT_YIELD_SHOCKS_BP = (25.0, 50.0)
LossBasis = Literal["full", "excess"]

RUT_AM_NOTE = (
    "RUT monthlies are AM-settled: the settlement value is the special opening quotation on "
    "expiry morning, not the previous close; an overnight gap moves the payoff (the AM-settlement "
    "gap). MRUT and RUT weeklies are PM-settled."
)


@dataclass(frozen=True, slots=True, eq=False)
class SizingMarket:
    """The market a search runs in: a :class:`PricingContext` holding IWM (and RUT/MRUT when their
    structures are wanted) with vols, the chains by symbol, a one-line description of where the
    data came from, and whether any of it is SYNTHETIC."""

    ctx: PricingContext
    chains: Mapping[str, OptionChain]
    description: str = ""
    synthetic: bool = False


@dataclass(frozen=True, slots=True)
class SizingRequest:
    """What to size (units in the module docstring; every field validated, errors name it).

    ``band``: (low, high) drawdowns, decimal (0.05, 0.15); ``band_step`` decimal (0.01);
    ``cover``: share of the loss to cover at every band point (0.8), or None to maximise the
    protection within ``budget``; ``horizon_days`` calendar days; ``budget`` dollars or None;
    ``structures``: names from :data:`STRUCTURES`; ``min_dte``/``max_dte``: the expiry window in
    calendar days (default from the horizon to the horizon + 120); ``max_hedge_ratio``: the
    notional cap as a multiple of the book's beta-weighted value; ``mix``: also solve the
    integer mix of the best ``mix_per_structure`` units of each structure; ``top``: candidates
    reported; ``vol_nodes``: the screening prices the band at that many vol shifts (>= 3,
    default 4) and interpolates in vol (tested within $2 a contract), None prices every band
    point at its own vol shift; either way the reported candidates are then re-priced exactly
    (each band point at its own vol) and their contracts re-derived; ``yield_shocks_bp``: the yield shocks reported; ``loss_basis``: "full" or
    "excess" (module docstring)."""

    band: tuple[float, float] = (0.05, 0.15)
    band_step: float = 0.01
    cover: float | None = 0.8
    horizon_days: float = 60.0
    budget: float | None = None
    structures: tuple[str, ...] = ("put", "put-spread", "rut-put-spread", "collar", "tza")
    min_dte: int | None = None
    max_dte: int | None = None
    max_hedge_ratio: float = 1.5
    mix: bool = True
    mix_per_structure: int = 3
    top: int = 10
    vol_nodes: int | None = 4
    yield_shocks_bp: tuple[float, ...] = DEFAULT_YIELD_SHOCKS_BP
    loss_basis: LossBasis = "full"
    scenarios: ScenarioSet = HOUSE_VIEW
    betas: MarketBetas = HOUSE_BETAS

    def __post_init__(self) -> None:
        try:
            lo, hi = (float(x) for x in self.band)
        except (TypeError, ValueError):
            raise InputError("band", self.band, "must be two drawdowns (low, high)") from None
        band_points(lo, hi, float(self.band_step))
        object.__setattr__(self, "band", (lo, hi))
        if self.cover is not None and (
            not math.isfinite(self.cover) or not 0.0 < self.cover <= 2.0
        ):
            raise InputError("cover", self.cover, "must be a share in (0, 2] (0.8 = 80 %)")
        if not math.isfinite(self.horizon_days) or not 1.0 <= self.horizon_days <= 1000.0:
            raise InputError("horizon", self.horizon_days, "must be between 1 and 1000 days")
        if self.budget is not None and (not math.isfinite(self.budget) or self.budget <= 0.0):
            raise InputError("budget", self.budget, "must be > 0 dollars")
        if self.cover is None and self.budget is None:
            raise InputError("cover", None, "give a cover target, a budget or both")
        names = tuple(s.strip().lower() for s in self.structures)
        if not names:
            raise InputError(
                "structures", self.structures, f"name at least one of {', '.join(STRUCTURES)}"
            )
        for s in names:
            if s not in STRUCTURES:
                raise InputError("structures", s, f"unknown; choose from {', '.join(STRUCTURES)}")
        object.__setattr__(self, "structures", tuple(dict.fromkeys(names)))
        for name in ("min_dte", "max_dte"):
            v = getattr(self, name)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 3660
            ):
                raise InputError(name, v, "must be a whole number of days in [0, 3660]")
        if self.expiry_window[0] > self.expiry_window[1]:
            raise InputError("max_dte", self.max_dte, f"must be >= min_dte {self.expiry_window[0]}")
        if not math.isfinite(self.max_hedge_ratio) or not 0.0 < self.max_hedge_ratio <= 10.0:
            raise InputError("max_hedge_ratio", self.max_hedge_ratio, "must be in (0, 10]")
        if isinstance(self.top, bool) or not isinstance(self.top, int) or self.top < 1:
            raise InputError("top", self.top, "must be an integer >= 1")
        if self.vol_nodes is not None and (isinstance(self.vol_nodes, bool) or self.vol_nodes < 3):
            raise InputError("vol_nodes", self.vol_nodes, "must be None or an integer >= 3")
        if self.loss_basis not in ("full", "excess"):
            raise InputError("loss_basis", self.loss_basis, "must be 'full' or 'excess'")
        if self.loss_basis == "excess" and lo == hi:
            raise InputError(
                "loss_basis", self.loss_basis, "'excess' needs a band wider than one point"
            )

    @property
    def drawdowns(self) -> FloatArray:
        """The band's drawdowns (decimal, > 0 = a fall)."""
        return band_points(self.band[0], self.band[1], self.band_step)

    @property
    def expiry_window(self) -> tuple[int, int]:
        """(min, max) calendar days to expiry searched."""
        lo = math.ceil(self.horizon_days) if self.min_dte is None else self.min_dte
        hi = math.ceil(self.horizon_days) + 120 if self.max_dte is None else self.max_dte
        return lo, hi


@dataclass(frozen=True, slots=True)
class LegOut:
    """One leg of a sized candidate: its label, signed quantity (contracts or shares) and fill
    price per share (index point)."""

    label: str
    instrument: Any
    quantity: int
    fill_price: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """A structure sized in integer contracts (units and definitions in the module docstring).

    Per band point (``drawdowns``): ``book_loss``, ``protection`` (dollars), ``covered``
    (protection / loss) and ``residual_loss`` (loss - protection). ``scenario_pnl`` (hedge) and
    ``hedged_scenario_pnl`` (book + hedge) by scenario name; ``weighted_pnl`` and
    ``hedged_weighted_pnl`` are probability-weighted over the house view."""

    structure: str
    name: str
    legs: tuple[LegOut, ...]
    units: int
    expiry: date | None
    premium: float
    cost: float
    carry_cost: float
    carry_per_day: float
    notional: float
    protection: tuple[float, ...]
    covered: tuple[float, ...]
    residual_loss: tuple[float, ...]
    min_covered: float
    meets_target: bool
    within_budget: bool
    scenario_pnl: Mapping[str, float]
    hedged_scenario_pnl: Mapping[str, float]
    weighted_pnl: float
    hedged_weighted_pnl: float
    rounding: str

    def strategy(self) -> Strategy:
        """The hedge as a :class:`Strategy` (legs entered at their fill prices), for the builder
        and for position files; a contract repeated by a mix gets a numbered leg id."""
        seen: dict[str, int] = {}
        legs = []
        for leg in self.legs:
            seen[leg.label] = seen.get(leg.label, 0) + 1
            label = leg.label if seen[leg.label] == 1 else f"{leg.label} #{seen[leg.label]}"
            legs.append(Leg(leg.instrument, leg.quantity, leg.fill_price, label))
        return Strategy(self.name, tuple(legs))


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    """The least cost (dollars) reaching ``protection`` (share of the loss covered at every band
    point), and the candidate that does it."""

    protection: float
    cost: float
    candidate: Candidate | None


@dataclass(frozen=True, slots=True)
class ReferenceSize:
    """A size by a simple rule, for comparison with the searched ones: ``rule``
    ("beta-weighted notional" or "delta share"), the ``instrument`` it counts, the ``exact``
    ratio and the integer ``contracts`` (or shares) with how it was rounded."""

    rule: str
    instrument: str
    exact: float
    contracts: int
    rounding: str


@dataclass(frozen=True, slots=True)
class SizingResult:
    """The outcome of :func:`size_hedge`: the book, the request, the band and its losses, the
    ranked candidates (``ranked``: meeting the target within the budget by cost, then the rest by
    protection within the budget), the best per structure, the integer mix, the frontier, the
    count of candidates priced and the seconds taken, plus notes (method, rounding, data)."""

    book: Book
    request: SizingRequest
    as_of: datetime
    horizon: datetime
    spot: float
    drawdowns: tuple[float, ...]
    book_loss: tuple[float, ...]
    ranked: tuple[Candidate, ...]
    best_by_structure: Mapping[str, Candidate | None]
    mix: Candidate | None
    frontier: tuple[FrontierPoint, ...]
    candidates_priced: int
    seconds: float
    notes: tuple[str, ...]
    scenario_names: tuple[str, ...]
    scenario_probabilities: tuple[float, ...]
    book_scenario_pnl: Mapping[str, float]
    reference_sizes: tuple[ReferenceSize, ...] = ()
    source: str = ""
    synthetic: bool = False


# --------------------------------------------------------------------------------------------
# Pricing every listed contract at the band, the scenarios, now and tomorrow
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _States:
    """Where units are valued: the band (moves, vol shifts) at the horizon, the scenarios."""

    horizon: datetime
    moves: FloatArray  # band index moves, decimal (negative)
    vols: FloatArray  # band vol shifts, decimal
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True, slots=True)
class _Priced:
    """Model dollars per contract for a list of contracts (rows) in each state."""

    now: FloatArray
    tomorrow: FloatArray
    flat: FloatArray
    band: FloatArray  # (n, n_band)
    scen: FloatArray  # (n, n_scen)


def _lagrange_weights(nodes: FloatArray, x: FloatArray) -> FloatArray:
    """Weights ``w[i, k]`` with ``f(x_i) ~ sum_k w[i, k] f(nodes_k)`` (polynomial through the
    nodes)."""
    w = np.ones((x.size, nodes.size))
    for k in range(nodes.size):
        for m in range(nodes.size):
            if m != k:
                w[:, k] *= (x - nodes[m]) / (nodes[k] - nodes[m])
    return w


#: Far enough to hold every forecast cash dividend (as :mod:`strategies.grid` does).
_FAR_FUTURE = datetime(2200, 1, 1, tzinfo=NEW_YORK)


def contract_values(
    ctx: PricingContext,
    contracts: Sequence[OptionContract],
    *,
    at: datetime,
    moves: FloatArray,
    vol_shifts: FloatArray,
) -> FloatArray:
    """Dollars per contract (price per share x multiplier) of options on one underlying at ``at``
    for each state ``(moves[j], vol_shifts[j])`` (decimal index move, extra decimal vol shift):
    shape ``(n_contracts, n_states)``. The same model as
    :func:`strategies.valuation.instrument_price` and :func:`strategies.grid.pnl_grid` (the
    context's vols, rates and cash dividends; American legs by :func:`pricing.american_price`
    before expiry, European legs by :func:`pricing.european_price`, settled legs at intrinsic),
    but one engine call for every contract and state together instead of one per leg."""
    if not contracts:
        return np.empty((0, moves.size))
    sym = contracts[0].underlying.upper()
    if any(c.underlying.upper() != sym for c in contracts):
        raise InputError("contracts", sym, "must share one underlying")
    strike = np.asarray([c.strike for c in contracts], dtype=np.float64)
    sign = np.asarray([c.kind.sign for c in contracts], dtype=np.float64)
    mult = np.asarray([c.multiplier for c in contracts], dtype=np.float64)
    years: dict[tuple[date, str], float] = {}
    for c in contracts:
        key = (c.expiry, c.settlement.value)
        if key not in years:
            years[key] = c.t_years(at)
    t = np.asarray([years[(c.expiry, c.settlement.value)] for c in contracts], dtype=np.float64)
    american = np.asarray([c.style is ExerciseStyle.AMERICAN for c in contracts])
    spot = ctx.base_spot(sym) * (1.0 + np.asarray(moves, dtype=np.float64))  # (m,)
    out = np.maximum(sign[:, None] * (spot[None, :] - strike[:, None]), 0.0)  # intrinsic
    live = t > 0.0
    if live.any():
        tl = t[live]
        rates = {float(x): ctx.rate(float(x)) for x in np.unique(tl)}
        r = np.asarray([rates[float(x)] for x in tl])
        q = ctx.div_yield(sym)
        schedule = ctx.dividend_schedule(sym, _FAR_FUTURE, at)
        pv = np.zeros(tl.size)
        for ti, amount in zip(schedule.times_years, schedule.amounts, strict=True):
            if ti > 0.0:
                pv += np.where(ti <= tl, amount * np.exp(-r * ti), 0.0)
        s_live = np.broadcast_to(spot[None, :], (tl.size, spot.size))
        forward = (s_live - pv[:, None]) * np.exp((r - q) * tl)[:, None]
        base = np.asarray(
            ctx.implied_vol(
                sym, tl[:, None], strike[live][:, None], forward=np.maximum(forward, 1e-12)
            ),
            dtype=np.float64,
        )
        vol = np.clip(base + np.asarray(vol_shifts, dtype=np.float64)[None, :], 1e-3, 5.0)
        args: dict[str, Any] = {
            "spot": s_live,
            "strike": strike[live][:, None],
            "t_years": tl[:, None],
            "rate": r[:, None],
            "div_yield": q,
            "vol": vol,
        }
        prices = np.empty_like(vol)
        am = american[live]
        if am.any():
            prices[am] = pricing.american_price(
                kind=sign[live][am][:, None],
                **{k: (v[am] if np.ndim(v) == 2 else v) for k, v in args.items()},
                dividends=schedule or None,
                engine=ctx.american_engine,
            )
        if (~am).any():
            eu = ~am
            for ti in np.unique(
                tl[eu]
            ):  # cash dividends of a European option: those before its expiry
                rows = eu & (tl == ti)
                divs = ctx.dividend_schedule(
                    sym, contracts[int(np.flatnonzero(live)[rows][0])].expiry_datetime, at
                )
                prices[rows] = pricing.european_price(
                    kind=sign[live][rows][:, None],
                    **{k: (v[rows] if np.ndim(v) == 2 else v) for k, v in args.items()},
                    dividends=divs or None,
                )
        out[live] = prices
    return np.asarray(out * mult[:, None], dtype=np.float64)


def price_contracts(
    ctx: PricingContext,
    contracts: Sequence[OptionContract],
    states: _States,
    *,
    vol_nodes: int | None = None,
    with_theta: bool = True,
    progress: Callable[[str], None] | None = None,
) -> _Priced:
    """Dollars per contract of every contract now and one day later (``with_theta``, else NaN),
    at the horizon flat, at each band point and in each scenario (:func:`contract_values`: one
    engine call per state group; the band at its own vol shifts, or at ``vol_nodes`` shifts
    interpolated)."""
    say = progress or (lambda _label: None)
    zero = np.zeros(1)
    if with_theta:
        now = contract_values(ctx, contracts, at=ctx.as_of, moves=zero, vol_shifts=zero)[:, 0]
        tomorrow = contract_values(
            ctx, contracts, at=ctx.as_of + timedelta(days=1), moves=zero, vol_shifts=zero
        )[:, 0]
    else:
        now = tomorrow = np.full(len(contracts), np.nan)
    if vol_nodes is None:
        both = contract_values(
            ctx,
            contracts,
            at=states.horizon,
            moves=np.concatenate([zero, states.moves]),
            vol_shifts=np.concatenate([zero, states.vols]),
        )
        flat, band = both[:, 0], both[:, 1:]
    else:
        # Nodes from the smallest to the largest shift, 0 among them (the flat point, exact).
        lo, hi = float(min(0.0, states.vols.min())), float(max(0.0, states.vols.max()))
        nodes = np.unique(np.concatenate([np.linspace(lo, hi, vol_nodes), zero]))
        moves = np.concatenate([zero, states.moves])
        m, k = np.meshgrid(moves, nodes, indexing="ij")
        grid = contract_values(
            ctx, contracts, at=states.horizon, moves=m.ravel(), vol_shifts=k.ravel()
        )
        grid = grid.reshape(len(contracts), moves.size, nodes.size)
        flat = grid[:, 0, int(np.searchsorted(nodes, 0.0))]
        band = np.einsum("nbk,bk->nb", grid[:, 1:, :], _lagrange_weights(nodes, states.vols))
    say("band at the horizon")
    scen = np.empty((len(contracts), len(states.scenarios)))
    for j, s in enumerate(states.scenarios):
        sctx = ctx.bumped(rate_shift_bp=s.yield_shift_bp)
        scen[:, j] = contract_values(
            sctx,
            contracts,
            at=ctx.as_of + timedelta(days=s.horizon_days),
            moves=np.asarray([s.spot_move]),
            vol_shifts=np.asarray([s.vol_shift]),
        )[:, 0]
        say(f"scenario {s.name}")
    return _Priced(now, tomorrow, flat, band, scen)


# --------------------------------------------------------------------------------------------
# Units: vectorised candidates of one structure
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Units:
    """Unit candidates of one structure (rows): leg indices into a contract list and signed
    quantities per unit, plus the unit's metrics (dollars)."""

    structure: str
    underlying: str
    idx: IntArray  # (n, k) contract indices (-1: a non-option unit)
    qty: IntArray  # (k,) signed contracts per unit
    premium: FloatArray
    carry_cost: FloatArray
    cost: FloatArray
    protection: FloatArray  # (n, n_band)
    scen_pnl: FloatArray  # (n, n_scen)
    theta: FloatArray
    notional: FloatArray
    special: tuple[Leg, ...] = ()  # the unit leg for tza / short-shares

    @property
    def size(self) -> int:
        """Number of unit candidates."""
        return int(self.premium.size)


@dataclass(frozen=True, slots=True)
class _Listed:
    """One underlying's listed contracts in the window, with quotes and values."""

    symbol: str
    contracts: tuple[OptionContract, ...]
    bid: FloatArray
    ask: FloatArray
    by_expiry: Mapping[tuple[date, str], IntArray]  # (expiry, kind) -> indices sorted by strike
    priced: _Priced | None = None


def _listed(
    ctx: PricingContext,
    symbol: str,
    chain: OptionChain,
    window: tuple[int, int],
    kinds: Sequence[str],
) -> _Listed:
    """Contracts of ``symbol`` with a usable two-sided quote, expiring within ``window`` days."""
    full = chain.frame
    start = ctx.as_of.date()
    lo, hi = start + timedelta(days=window[0]), start + timedelta(days=window[1])
    days = (full["expiry"] - pd.Timestamp(start)).dt.days
    bid_all = full["bid"].astype(float)
    ask_all = full["ask"].astype(float)
    keep = (
        full["kind"].astype(str).str.lower().isin(list(kinds))
        & (days >= max(window[0], 1))
        & (days <= window[1])
        & np.isfinite(bid_all)
        & np.isfinite(ask_all)
        & (bid_all >= 0.0)
        & (bid_all <= ask_all)
        & (ask_all > 0.0)
    )
    frame = full.loc[keep]
    rows: dict[tuple[date, str, float], tuple[float, float, str]] = {}
    for exp, kind, strike, bid, ask, stl in zip(
        frame["expiry"],
        frame["kind"].astype(str),
        frame["strike"].astype(float),
        frame["bid"].astype(float),
        frame["ask"].astype(float),
        frame["settlement"].astype(str),
        strict=True,
    ):
        d = exp.date()
        k = kind.lower()
        if k not in kinds or not lo <= d <= hi or d <= start:
            continue
        if not (math.isfinite(bid) and math.isfinite(ask) and 0.0 <= bid <= ask and ask > 0.0):
            continue
        key = (d, k, float(strike))
        if key not in rows or stl.lower() == "am":  # a RUT date with AM and PM rows: the AM monthly
            rows[key] = (bid, ask, stl.lower())
    contracts: list[OptionContract] = []
    bids: list[float] = []
    asks: list[float] = []
    groups: dict[tuple[date, str], list[int]] = {}
    for (d, k, strike), (bid, ask, stl) in sorted(rows.items()):
        groups.setdefault((d, k), []).append(len(contracts))
        contracts.append(option_for(symbol, k, strike, d, SettlementTime(stl)))
        bids.append(bid)
        asks.append(ask)
    return _Listed(
        symbol,
        tuple(contracts),
        np.asarray(bids),
        np.asarray(asks),
        {key: np.asarray(v, dtype=np.int64) for key, v in groups.items()},
    )


def _option_units(
    structure: str, listed: _Listed, idx: IntArray, qty: IntArray, spot: float
) -> _Units:
    """Metrics of option units from per-contract values (leg sums weighted by quantity)."""
    p = listed.priced
    assert p is not None
    mult = (
        np.asarray([listed.contracts[i].multiplier for i in idx[:, 0]]) if idx.size else np.empty(0)
    )
    fill = np.where(qty[None, :] > 0, listed.ask[idx], listed.bid[idx]) * mult[:, None]
    premium = (fill * qty[None, :]).sum(axis=1)

    def combo(values: FloatArray) -> FloatArray:
        if values.ndim == 1:
            return np.asarray((values[idx] * qty[None, :]).sum(axis=1), dtype=np.float64)
        return np.asarray(np.einsum("nkb,k->nb", values[idx], qty), dtype=np.float64)

    flat = combo(p.flat)
    protection = combo(p.band) - flat[:, None]
    carry = premium - flat
    return _Units(
        structure=structure,
        underlying=listed.symbol,
        idx=idx,
        qty=qty,
        premium=premium,
        carry_cost=carry,
        cost=premium,
        protection=protection,
        scen_pnl=combo(p.scen) - premium[:, None],
        theta=combo(p.tomorrow) - combo(p.now),
        notional=spot * mult,
    )


def _pairs(high: IntArray, low: IntArray, strikes: FloatArray) -> IntArray:
    """Every (i, j) with i from ``high``, j from ``low`` and strike_i > strike_j."""
    if high.size == 0 or low.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    hi, lo = np.meshgrid(high, low, indexing="ij")
    keep = strikes[hi] > strikes[lo]
    return np.stack([hi[keep], lo[keep]], axis=1).astype(np.int64)


def _structure_indices(structure: str, listed: _Listed, spot: float) -> tuple[IntArray, IntArray]:
    """Leg indices (n, k) and signed quantities (k,) of every unit of an option structure."""
    strikes = np.asarray([c.strike for c in listed.contracts])
    blocks: list[IntArray] = []
    expiries = sorted({d for d, _ in listed.by_expiry})
    for d in expiries:
        puts = listed.by_expiry.get((d, "put"), np.empty(0, dtype=np.int64))
        calls = listed.by_expiry.get((d, "call"), np.empty(0, dtype=np.int64))
        if structure == "put":
            blocks.append(puts[:, None])
        elif structure.endswith("put-spread"):
            blocks.append(_pairs(puts, puts, strikes))
        elif structure == "collar":
            p_ok = puts[strikes[puts] <= spot]
            c_ok = calls[strikes[calls] >= spot]
            a, b = np.meshgrid(p_ok, c_ok, indexing="ij")
            blocks.append(np.stack([a.ravel(), b.ravel()], axis=1).astype(np.int64))
        elif structure == "put-spread-collar":
            otm_p = 1.0 - strikes[puts] / spot
            longs = puts[(otm_p >= PSC_LONG_OTM[0]) & (otm_p <= PSC_LONG_OTM[1])]
            shorts = puts[(otm_p >= PSC_SHORT_OTM[0]) & (otm_p <= PSC_SHORT_OTM[1])]
            otm_c = strikes[calls] / spot - 1.0
            c_ok = calls[(otm_c >= PSC_CALL_OTM[0]) & (otm_c <= PSC_CALL_OTM[1])]
            pairs = _pairs(longs, shorts, strikes)
            if pairs.size and c_ok.size:
                rep = np.repeat(pairs, c_ok.size, axis=0)
                tile = np.tile(c_ok, pairs.shape[0])[:, None]
                blocks.append(np.hstack([rep, tile]))
    k = {"put": 1, "collar": 2, "put-spread-collar": 3}.get(structure, 2)
    qty = {
        "put": np.asarray([1]),
        "collar": np.asarray([1, -1]),
        "put-spread-collar": np.asarray([1, -1, -1]),
    }.get(structure, np.asarray([1, -1]))
    idx = np.vstack(blocks) if blocks else np.empty((0, k), dtype=np.int64)
    return idx.astype(np.int64), qty.astype(np.int64)


def _linear_unit(
    structure: str,
    ctx: PricingContext,
    states: _States,
    request: SizingRequest,
    etf: LeveragedETF = TZA,
) -> _Units:
    """One unit of TZA (one share, long) or short IWM shares (one share): protection from
    :func:`strategies.valuation.instrument_price` at the band (the ETF's daily resets over the
    horizon), scenarios by :func:`strategies.scenarios.run_scenarios`."""
    if structure == "tza":
        instrument: Any = etf
        quantity = 1
        symbol = etf.symbol
    else:
        instrument = Shares("IWM")
        quantity = -1
        symbol = "IWM"
    price = ctx.base_spot(symbol)
    leg = Leg(instrument, quantity, price, f"{symbol} {'hedge' if structure == 'tza' else 'short'}")
    horizon = states.horizon
    band = (
        np.asarray(
            instrument_price(
                instrument, ctx, move=states.moves, at=horizon, extra_vol_shift=states.vols
            ),
            dtype=np.float64,
        )
        * quantity
    )
    flat = float(np.asarray(instrument_price(instrument, ctx, move=0.0, at=horizon))) * quantity
    now = float(np.asarray(instrument_price(instrument, ctx, move=0.0, at=ctx.as_of))) * quantity
    tomorrow = (
        float(
            np.asarray(
                instrument_price(instrument, ctx, move=0.0, at=ctx.as_of + timedelta(days=1))
            )
        )
        * quantity
    )
    entry = price * quantity
    carry = entry - flat
    if structure == "short-shares":
        schedule = ctx.dividend_schedule("IWM", horizon, ctx.as_of)
        carry += float(sum(schedule.amounts))  # a short owes the dividends paid before the horizon
    report = run_scenarios(
        Strategy(structure, (leg,)), ctx, list(states.scenarios), betas=request.betas
    )
    scen = np.asarray([[r.pnl for r in report.results]], dtype=np.float64)
    notional = abs(etf.leverage) * price if structure == "tza" else price
    return _Units(
        structure=structure,
        underlying=symbol,
        idx=np.full((1, 1), -1, dtype=np.int64),
        qty=np.asarray([quantity], dtype=np.int64),
        premium=np.asarray([0.0]),
        carry_cost=np.asarray([carry]),
        cost=np.asarray([carry]),
        protection=np.asarray([band - flat]),
        scen_pnl=scen,
        theta=np.asarray([tomorrow - now]),
        notional=np.asarray([notional]),
        special=(leg,),
    )


# --------------------------------------------------------------------------------------------
# Sizing, ranking, frontier
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sized:
    units: _Units
    n: IntArray  # contracts (units) per candidate, 0 = none
    meets: NDArray[np.bool_]
    covered: FloatArray  # min covered share at n


#: Structures that sell calls: their calls must be covered by the book.
_SHORT_CALLS = frozenset({"collar", "put-spread-collar"})


def _unit_caps(units: _Units, cap_value: float, covered_value: float) -> FloatArray:
    """Most units allowed: the notional cap; for structures with short calls also no more calls
    than the book's beta-weighted value covers (no naked calls)."""
    limit = min(cap_value, covered_value) if units.structure in _SHORT_CALLS else cap_value
    return np.asarray(np.floor(limit / np.maximum(units.notional, 1e-9)), dtype=np.float64)


def _size(
    units: _Units,
    losses: FloatArray,
    request: SizingRequest,
    cap_value: float,
    covered_value: float,
) -> _Sized:
    """Integer units per candidate: the cover rule (when a target is set and reachable within the
    budget and the cap), else the most units within the budget and the cap."""
    cap = _unit_caps(units, cap_value, covered_value)
    active = losses > 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = np.min(units.protection[:, active] / losses[active], axis=1)
    # Within the budget, never beyond covering the whole loss at every band point (more would be
    # a net short position, not protection).
    n_full = cover_contracts(units.protection, losses, 1.0)
    cap = np.where(n_full > 0, np.minimum(cap, n_full), cap)
    n_budget = budget_contracts(
        units.cost, request.budget if request.budget is not None else np.inf, cap
    )
    if request.cover is not None:
        n_cover = cover_contracts(units.protection, losses, request.cover)
        ok = (n_cover > 0) & (n_cover <= cap)
        if request.budget is not None:
            ok &= n_cover * units.cost <= request.budget * (1.0 + 1e-12)
        n = np.where(ok, n_cover, np.where(per_unit > 0.0, n_budget, 0))
    else:
        ok = np.zeros(units.size, dtype=bool)
        n = np.where(per_unit > 0.0, n_budget, 0)
    return _Sized(units, n.astype(np.int64), ok, n * per_unit)


class _Exact:
    """Exact values of the contracts of reported candidates (the confirm step): the band at each
    point's own vol shift, the horizon flat, now and one day later, priced on demand and cached."""

    def __init__(self, ctx: PricingContext, states: _States) -> None:
        self.ctx = ctx
        self.states = states
        self.cache: dict[tuple[str, int], tuple[FloatArray, float, float, float]] = {}

    def values(
        self, listed: _Listed, idx: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(band (k, n_band), flat (k,), now (k,), tomorrow (k,))`` dollars per contract."""
        missing = sorted({int(i) for i in idx if (listed.symbol, int(i)) not in self.cache})
        if missing:
            contracts = [listed.contracts[i] for i in missing]
            st, ctx, zero = self.states, self.ctx, np.zeros(1)
            both = contract_values(
                ctx,
                contracts,
                at=st.horizon,
                moves=np.concatenate([zero, st.moves]),
                vol_shifts=np.concatenate([zero, st.vols]),
            )
            now = contract_values(ctx, contracts, at=ctx.as_of, moves=zero, vol_shifts=zero)[:, 0]
            later = contract_values(
                ctx, contracts, at=ctx.as_of + timedelta(days=1), moves=zero, vol_shifts=zero
            )[:, 0]
            for j, i in enumerate(missing):
                self.cache[(listed.symbol, i)] = (
                    both[j, 1:],
                    float(both[j, 0]),
                    float(now[j]),
                    float(later[j]),
                )
        rows = [self.cache[(listed.symbol, int(i))] for i in idx]
        return (
            np.vstack([r[0] for r in rows]),
            np.asarray([r[1] for r in rows]),
            np.asarray([r[2] for r in rows]),
            np.asarray([r[3] for r in rows]),
        )


def _candidate(
    sized: _Sized,
    row: int,
    listed: _Listed | None,
    states: _States,
    losses: FloatArray,
    book: Book,
    request: SizingRequest,
    n_override: int | None = None,
    *,
    exact: _Exact | None = None,
    level: float | None = None,
) -> Candidate:
    """A reported :class:`Candidate` from one row of a sized structure, its option legs re-priced
    exactly (``exact``: the band at each point's own vol, theta from one day later) and its
    contracts re-derived from those values: ``n_override`` fixed (the mix), ``level`` the cover
    of a frontier point, else the request's rule."""
    u = sized.units
    prot_unit = u.protection[row]
    theta_unit = float(u.theta[row])
    carry_unit = float(u.carry_cost[row])
    if exact is not None and not u.special and listed is not None:
        band, flat, now, later = exact.values(listed, u.idx[row])
        q = u.qty.astype(np.float64)
        flat_unit = float(flat @ q)
        prot_unit = band.T @ q - flat_unit
        theta_unit = float((later - now) @ q)
        carry_unit = float(u.premium[row]) - flat_unit
    rounding = ROUNDING_COVER
    if n_override is not None:
        n = int(n_override)
        rounding = ROUNDING_MILP
    elif level is not None:
        n = max(int(cover_contracts(prot_unit, losses, level)), 0)
    else:
        cap = float(
            _unit_caps(
                u,
                request.max_hedge_ratio * abs(book.beta_weighted_value),
                abs(book.beta_weighted_value),
            )[row]
        )
        n = -1
        if request.cover is not None:
            n = int(cover_contracts(prot_unit, losses, request.cover))
            budget_ok = request.budget is None or n * u.cost[row] <= request.budget * (1.0 + 1e-12)
            if not (0 < n <= cap and budget_ok):
                n = -1
        if n < 0:
            rounding = ROUNDING_BUDGET
            active = losses > 0.0
            worst = float(np.min(prot_unit[active] / losses[active])) if active.any() else 0.0
            budget = request.budget if request.budget is not None else math.inf
            full = int(cover_contracts(prot_unit, losses, 1.0))
            cap = min(cap, full) if full > 0 else cap
            n = int(budget_contracts(u.cost[row], budget, cap)) if worst > 0.0 else 0
    legs: list[LegOut] = []
    expiry: date | None = None
    if u.special:
        leg = u.special[0]
        legs.append(
            LegOut(
                leg.leg_id, leg.instrument, leg.quantity * max(n, 1), float(leg.entry_price or 0.0)
            )
        )
        name = f"{n:,} {SHORT_NAMES[u.structure]}"
    else:
        assert listed is not None
        parts = []
        for k, q in zip(u.idx[row], u.qty, strict=True):
            c = listed.contracts[int(k)]
            fill = float(listed.ask[k] if q > 0 else listed.bid[k])
            legs.append(LegOut(describe(c), c, int(q) * max(n, 1), fill))
            parts.append(f"{'+' if q > 0 else '-'}{c.kind.value[0].upper()}{c.strike:g}")
            expiry = c.expiry
        name = f"{n:,} x {SHORT_NAMES[u.structure]} {expiry.isoformat() if expiry else ''} {'/'.join(parts)}"
    prot = n * prot_unit
    with np.errstate(divide="ignore", invalid="ignore"):
        covered = np.where(losses > 0.0, prot / np.where(losses > 0.0, losses, 1.0), np.nan)
    active = losses > 0.0
    min_cov = float(np.min(covered[active])) if active.any() else 0.0
    scen_names = [s.name for s in states.scenarios]
    hedge_pnl = {s: float(n * u.scen_pnl[row, j]) for j, s in enumerate(scen_names)}
    book_pnl = {s.name: book.pnl_at_move(s.spot_move) for s in states.scenarios}
    hedged = {s: book_pnl[s] + hedge_pnl[s] for s in scen_names}
    probs = {s.name: s.probability for s in request.scenarios}
    weighted = math.fsum(probs[s] * hedge_pnl[s] for s in probs)
    hedged_w = math.fsum(probs[s] * hedged[s] for s in probs)
    cost = float(n * u.cost[row])
    meets = request.cover is not None and min_cov >= request.cover * (1.0 - 1e-9)
    within = request.budget is None or cost <= request.budget * (1.0 + 1e-12)
    return Candidate(
        structure=u.structure,
        name=name,
        legs=tuple(legs),
        units=n,
        expiry=expiry,
        premium=float(n * u.premium[row]),
        cost=cost,
        carry_cost=n * carry_unit,
        carry_per_day=n * theta_unit,
        notional=float(n * u.notional[row]),
        protection=tuple(float(x) for x in prot),
        covered=tuple(float(x) for x in covered),
        residual_loss=tuple(float(x) for x in (losses - prot)),
        min_covered=min_cov,
        meets_target=bool(meets),
        within_budget=bool(within),
        scenario_pnl=hedge_pnl,
        hedged_scenario_pnl=hedged,
        weighted_pnl=weighted,
        hedged_weighted_pnl=hedged_w,
        rounding=rounding,
    )


def _order(sized: _Sized, request: SizingRequest) -> IntArray:
    """Rows ranked: meeting the target (within budget) by cost, then by protection reached."""
    cost = sized.n * sized.units.cost
    feasible = sized.meets & (sized.n > 0)
    primary = np.where(feasible, 0, 1)
    key2 = np.where(feasible, cost, -sized.covered)
    return np.asarray(np.lexsort((key2, primary)), dtype=np.int64)


def _frontier(
    pool: Sequence[tuple[_Sized, _Listed | None]],
    losses: FloatArray,
    cap_value: float,
    request: SizingRequest,
    states: _States,
    book: Book,
    exact: _Exact,
) -> tuple[FrontierPoint, ...]:
    """Least cost reaching each protection level (10 %, 20 %, ... 100 %, and the target), over
    every candidate of every structure (within the notional cap, budget ignored)."""
    levels = sorted(
        {round(x, 4) for x in np.arange(0.1, 1.0001, 0.1)}
        | ({round(request.cover, 4)} if request.cover is not None else set())
    )
    points: list[FrontierPoint] = []
    active = losses > 0.0
    # Units needed per unit of cover: n(level) = ceil(level x max_j L_j / h_j) (rules.cover_contracts).
    need: list[FloatArray] = []
    for sized, _ in pool:
        h = sized.units.protection[:, active]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(h > 0.0, losses[active] / np.where(h > 0.0, h, 1.0), np.inf)
        need.append(np.max(ratio, axis=1) if ratio.size else np.full(sized.units.size, np.inf))
    for level in levels:
        best: tuple[float, _Sized, int, int, _Listed | None] | None = None
        for (sized, listed), per_level in zip(pool, need, strict=True):
            u = sized.units
            if u.size == 0:
                continue
            with np.errstate(invalid="ignore", over="ignore"):
                n_f = np.ceil(level * per_level * (1.0 - 1e-9))
            n = np.where(np.isfinite(n_f), np.maximum(n_f, 1.0), -1.0).astype(np.int64)
            cap = _unit_caps(u, cap_value, abs(book.beta_weighted_value))
            ok = (n > 0) & (n <= cap)
            if not ok.any():
                continue
            cost = np.where(ok, n * u.cost, np.inf)
            i = int(np.argmin(cost))
            if best is None or cost[i] < best[0]:
                best = (float(cost[i]), sized, i, int(n[i]), listed)
        if best is None:
            points.append(FrontierPoint(float(level), math.nan, None))
            continue
        cand = _candidate(
            best[1], best[2], best[4], states, losses, book, request, exact=exact, level=level
        )
        if cand.units <= 0:  # the exact re-pricing found no count reaching the level
            points.append(FrontierPoint(float(level), math.nan, None))
            continue
        points.append(FrontierPoint(float(level), cand.cost, cand))
    # Least cost to reach AT LEAST each level: a candidate reaching a higher level also reaches
    # the lower ones (credit structures cost less with more contracts).
    out = list(points)
    for i in range(len(out) - 2, -1, -1):
        nxt = out[i + 1]
        if nxt.candidate is not None and (out[i].candidate is None or nxt.cost < out[i].cost):
            out[i] = FrontierPoint(out[i].protection, nxt.cost, nxt.candidate)
    return tuple(out)


def _mix(
    pool: Sequence[tuple[_Sized, _Listed | None]],
    losses: FloatArray,
    cap_value: float,
    request: SizingRequest,
    states: _States,
    book: Book,
    exact: _Exact,
) -> Candidate | None:
    """The integer mix (rules.solve_mix) of the ``mix_per_structure`` best units of each
    structure (best = most protection at the worst band point per dollar of cost)."""
    members: list[tuple[_Sized, int, _Listed | None]] = []
    active = losses > 0.0
    for sized, listed in pool:
        u = sized.units
        if u.size == 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            per_unit = np.min(u.protection[:, active] / losses[active], axis=1)
            eff = np.where((per_unit > 0.0) & (u.cost > 0.0), per_unit / u.cost, -np.inf)
        for i in np.argsort(-eff)[: request.mix_per_structure]:
            if np.isfinite(eff[i]):
                members.append((sized, int(i), listed))
    if len(members) < 2:
        return None
    h = np.vstack([m[0].units.protection[m[1]] for m in members])
    c = np.asarray([m[0].units.cost[m[1]] for m in members])
    a = np.asarray([m[0].units.notional[m[1]] for m in members])
    upper = np.asarray(
        [_unit_caps(m[0].units, cap_value, abs(book.beta_weighted_value))[m[1]] for m in members]
    )
    # The short calls of collars together stay within the book (no naked calls).
    calls = np.asarray(
        [a[k] if m[0].units.structure in _SHORT_CALLS else 0.0 for k, m in enumerate(members)]
    )
    limits = [(calls, abs(book.beta_weighted_value))] if calls.any() else []
    sol = solve_mix(
        h,
        c,
        losses,
        cover=request.cover,
        budget=request.budget,
        notionals=a,
        notional_cap=cap_value,
        upper=upper,
        limits=limits,
    )
    if not sol.feasible and request.cover is not None and request.budget is not None:
        sol = solve_mix(
            h,
            c,
            losses,
            cover=None,
            budget=request.budget,
            notionals=a,
            notional_cap=cap_value,
            upper=upper,
            limits=limits,
        )
    if not sol.feasible or not any(sol.contracts):
        return None
    parts = [
        _candidate(m[0], m[1], m[2], states, losses, book, request, n_override=n, exact=exact)
        for m, n in zip(members, sol.contracts, strict=True)
        if n > 0
    ]
    n_band = losses.size
    prot = np.sum([np.asarray(p.protection) for p in parts], axis=0) if parts else np.zeros(n_band)
    with np.errstate(divide="ignore", invalid="ignore"):
        covered = np.where(active, prot / np.where(active, losses, 1.0), np.nan)
    min_cov = float(np.min(covered[active]))
    names = list(parts[0].scenario_pnl)
    hedge = {s: math.fsum(p.scenario_pnl[s] for p in parts) for s in names}
    hedged = {
        s: math.fsum(p.scenario_pnl[s] for p in parts)
        + book.pnl_at_move(states.scenarios[j].spot_move)
        for j, s in enumerate(names)
    }
    cost = math.fsum(p.cost for p in parts)
    return Candidate(
        structure="mix",
        name=" + ".join(p.name for p in parts),
        legs=tuple(leg for p in parts for leg in p.legs),
        units=sum(p.units for p in parts),
        expiry=None,
        premium=math.fsum(p.premium for p in parts),
        cost=cost,
        carry_cost=math.fsum(p.carry_cost for p in parts),
        carry_per_day=math.fsum(p.carry_per_day for p in parts),
        notional=math.fsum(p.notional for p in parts),
        protection=tuple(float(x) for x in prot),
        covered=tuple(float(x) for x in covered),
        residual_loss=tuple(float(x) for x in losses - prot),
        min_covered=min_cov,
        meets_target=request.cover is not None and min_cov >= request.cover * (1.0 - 1e-9),
        within_budget=request.budget is None or cost <= request.budget * (1.0 + 1e-12),
        scenario_pnl=hedge,
        hedged_scenario_pnl=hedged,
        weighted_pnl=math.fsum(p.weighted_pnl for p in parts),
        hedged_weighted_pnl=math.fsum(p.hedged_weighted_pnl for p in parts)
        - (len(parts) - 1)
        * math.fsum(s.probability * book.pnl_at_move(s.spot_move) for s in request.scenarios),
        rounding=ROUNDING_MILP,
    )


def _reference_sizes(
    ctx: PricingContext, book: Book, request: SizingRequest
) -> tuple[ReferenceSize, ...]:
    """Beta-weighted notional contracts of IWM, RUT and MRUT options (``V x beta / (S x 100)``)
    and the TZA shares and short IWM shares that neutralise the cover share (or all) of the
    book's beta-weighted dollar delta (:func:`strategies.sizing.rules.delta_neutral_contracts`)."""
    out: list[ReferenceSize] = []
    for sym in ("IWM", "RUT", "MRUT"):
        size = beta_weighted_contracts(
            book_value=book.value,
            beta=book.index_beta,
            index_level=ctx.base_spot(sym),
            multiplier=100.0,
        )
        out.append(
            ReferenceSize(
                "beta-weighted notional",
                f"{sym} options (x100)",
                size.exact,
                size.contracts,
                size.rounding,
            )
        )
    share = request.cover if request.cover is not None else 1.0
    bw = book.beta_weighted_value  # dollars per 1.00 relative index move
    tza_price = ctx.base_spot(TZA.symbol)
    for label, unit in (
        (f"{TZA.symbol} shares", TZA.leverage * tza_price),
        ("short IWM shares", -ctx.base_spot("IWM")),
    ):
        size = delta_neutral_contracts(
            book_bw_dollar_delta=bw, unit_bw_dollar_delta=unit, share=min(share, 2.0)
        )
        out.append(
            ReferenceSize(
                f"delta share {share:.0%}", label, size.exact, size.contracts, size.rounding
            )
        )
    return tuple(out)


def _prefixed(tick: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    def say(label: str) -> None:
        tick(f"{prefix} {label}")

    return say


def _states(ctx: PricingContext, request: SizingRequest) -> _States:
    d = request.drawdowns
    moves = -d
    vols = np.asarray([request.betas.vol_shift_for_move(float(m)) for m in moves])
    scen = (
        *request.scenarios.scenarios,
        *(yield_shock(bp, betas=request.betas) for bp in request.yield_shocks_bp),
    )
    return _States(ctx.as_of + timedelta(days=request.horizon_days), moves, vols, tuple(scen))


def size_hedge(
    market: SizingMarket,
    book: Book,
    request: SizingRequest,
    progress: ProgressFn | None = None,
) -> SizingResult:
    """Search, size and rank hedges of ``book`` (see the module docstring): the core that the
    ``hedge size`` verb and the app's sizing screen call. ``progress(done, total, label)`` is
    called after each pricing step and each structure."""
    started = time.perf_counter()
    ctx = market.ctx.base()
    states = _states(ctx, request)
    losses = book.loss_at(request.drawdowns)
    if request.loss_basis == "excess":
        losses = book.loss_at(request.drawdowns - request.band[0])
    cap_value = request.max_hedge_ratio * abs(book.beta_weighted_value)
    covered = abs(book.beta_weighted_value)
    option_structs = [s for s in request.structures if s in _OPTION_UNDERLYING]
    symbols = list(dict.fromkeys(_OPTION_UNDERLYING[s] for s in option_structs))
    total = 1 + len(states.scenarios)
    total = total * len(symbols) + len(request.structures) + 2
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(done, total), total, label)

    listed_by: dict[str, _Listed] = {}
    exact = _Exact(ctx, states)
    window = request.expiry_window
    for sym in symbols:
        chain = market.chains.get(sym)
        if chain is None:
            raise InputError(
                "structures",
                [s for s in option_structs if _OPTION_UNDERLYING[s] == sym],
                f"need a {sym} option chain; the market has {sorted(market.chains)}",
            )
        kinds = (
            ["put", "call"]
            if sym == "IWM" and {"collar", "put-spread-collar"} & set(option_structs)
            else ["put"]
        )
        listed = _listed(ctx, sym, chain, window, kinds)
        if not listed.contracts:
            raise InputError(
                "expiry window",
                window,
                f"no listed {sym} option expires {window[0]}..{window[1]} days ahead",
            )
        priced = price_contracts(
            ctx,
            listed.contracts,
            states,
            vol_nodes=request.vol_nodes,
            with_theta=False,
            progress=_prefixed(tick, sym),
        )
        listed_by[sym] = _Listed(
            listed.symbol, listed.contracts, listed.bid, listed.ask, listed.by_expiry, priced
        )
    pool: list[tuple[_Sized, _Listed | None]] = []
    count = 0
    for structure in request.structures:
        if structure in _OPTION_UNDERLYING:
            listed = listed_by[_OPTION_UNDERLYING[structure]]
            spot = ctx.base_spot(listed.symbol)
            idx, qty = _structure_indices(structure, listed, spot)
            units = _option_units(structure, listed, idx, qty, spot)
            pool.append((_size(units, losses, request, cap_value, covered), listed))
        else:
            units = _linear_unit(structure, ctx, states, request)
            pool.append((_size(units, losses, request, cap_value, covered), None))
        count += units.size
        tick(f"sized {structure}: {units.size:,} candidates")
    # Rank across structures.
    flat_rows: list[tuple[int, float, float, int, int]] = []
    best_by: dict[str, Candidate | None] = {}
    for p, (sized, owner) in enumerate(pool):
        order = _order(sized, request)
        for rank, i in enumerate(order[: request.top]):
            feasible = bool(sized.meets[i] and sized.n[i] > 0)
            cost = float(sized.n[i] * sized.units.cost[i])
            flat_rows.append(
                (
                    0 if feasible else 1,
                    cost if feasible else -float(sized.covered[i]),
                    0.0,
                    p,
                    int(i),
                )
            )
            if rank == 0:
                best_by[sized.units.structure] = (
                    _candidate(sized, int(i), owner, states, losses, book, request, exact=exact)
                    if sized.n[i] > 0
                    else None
                )
        if sized.units.size == 0:
            best_by[sized.units.structure] = None
    flat_rows.sort()
    confirmed = [
        _candidate(pool[p][0], i, pool[p][1], states, losses, book, request, exact=exact)
        for _, _, _, p, i in flat_rows[: request.top]
        if pool[p][0].n[i] > 0
    ]
    # Re-rank on the exact values: meeting the target within the budget by cost, then the rest
    # by the share of the loss covered at the worst band point.
    ranked = tuple(
        sorted(
            (c for c in confirmed if c.units > 0),
            key=lambda c: (
                (0, c.cost) if c.meets_target and c.within_budget else (1, -c.min_covered)
            ),
        )
    )
    frontier = _frontier(pool, losses, cap_value, request, states, book, exact)
    tick("frontier")
    mix = _mix(pool, losses, cap_value, request, states, book, exact) if request.mix else None
    tick("mix")
    notes = [
        f"band {request.band[0]:.0%}..{request.band[1]:.0%} every {request.band_step:.0%} at "
        f"{request.horizon_days:g} days; legs re-priced there (American IWM legs by the American "
        "engine before expiry), vols moved by the spot-vol beta "
        f"({request.betas.spot_vol_beta_pts_per_pct:+g} pts per +1 %), sticky strike",
        "protection = hedge value at the horizon in the drawdown - its value there with the index flat",
        "cost = premium at the fill for options (ask to buy, bid to sell); carry cost for TZA and short shares",
        f"book beta to the Russell 2000 family {book.index_beta:.4g} ({book.beta_method}; "
        f"{book.beta:g} to {book.benchmark})",
        f"notional cap {request.max_hedge_ratio:g} x the book's beta-weighted value",
        f"rounding: {ROUNDING_COVER}; without a reachable target: {ROUNDING_BUDGET}; mix: {ROUNDING_MILP}",
        f"expiry window {window[0]}..{window[1]} days; an expiry before the horizon is valued at its settlement",
    ]
    if request.vol_nodes is not None:
        notes.append(
            f"screening: band vols interpolated between {request.vol_nodes} vol shifts; every "
            "reported candidate re-priced exactly (each band point at its own vol) and re-sized"
        )
    if {"rut-put-spread"} & set(request.structures):
        notes.append(RUT_AM_NOTE)
    if request.loss_basis == "excess":
        notes.append(f"loss measured beyond the first drawdown of the band ({request.band[0]:.0%})")
    book_scen = {s.name: book.pnl_at_move(s.spot_move) for s in states.scenarios}
    references = _reference_sizes(ctx, book, request)
    return SizingResult(
        book=book,
        request=request,
        as_of=ctx.as_of,
        horizon=states.horizon,
        spot=ctx.base_spot("IWM"),
        drawdowns=tuple(float(x) for x in request.drawdowns),
        book_loss=tuple(float(x) for x in losses),
        ranked=ranked,
        best_by_structure=best_by,
        mix=mix,
        frontier=frontier,
        candidates_priced=count,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
        scenario_names=tuple(s.name for s in states.scenarios),
        scenario_probabilities=tuple(s.probability for s in states.scenarios),
        book_scenario_pnl=book_scen,
        reference_sizes=references,
        source=market.description,
        synthetic=market.synthetic,
    )


__all__ = [
    "STRUCTURES",
    "Candidate",
    "FrontierPoint",
    "LegOut",
    "SizingMarket",
    "SizingRequest",
    "SizingResult",
    "price_contracts",
    "size_hedge",
]
