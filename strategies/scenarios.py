"""Scenarios, yield shocks and the house view; repricing strategies in them.

A :class:`Scenario` is one state of the world at a horizon, defined on the small-cap index:

- ``spot_move``: decimal return of the Russell 2000 family (IWM, RUT, MRUT move alike; -0.10 = a
  10 % fall). SPY moves by ``betas.spy_per_iwm`` times it; TNA/TZA follow their index through the
  daily-reset model of :mod:`strategies.leveraged`; any other symbol moves like the index;
- ``yield_shift_bp``: change of the 10-year Treasury yield in basis points, applied to the
  discount curve as a parallel shift (option values feel it through rho; the equity effect of
  rates is already inside ``spot_move``);
- ``vol_shift``: additive change of every implied vol, decimal (0.08 = +8 vol points);
- ``horizon_days``: calendar days from the valuation time to the scenario (fractional allowed);
- ``probability``: in [0, 1]; a :class:`ScenarioSet` requires the probabilities to sum to 1.

The house view (:data:`HOUSE_VIEW`) is the desk's one-month outlook for small caps, drawn from the
usual small-cap strategy notes of a rising-yield year (refinancing walls, floating-rate debt, higher
share of unprofitable companies than large caps):

========  ===========  ============  =========  ==========  =======================================
name      probability  IWM move      10-year    vol         story
========  ===========  ============  =========  ==========  =======================================
bear      30 %         -10 %         +50 bp     +8 pts      term-premium driven sell-off, a 10 %
                                                            correction within a month
base      45 %         +1 %          +5 bp      flat        small drift; yields drift 0-10 bp
bull      25 %         +5 %          -25 bp     -3 pts      yields fall, small caps rally
========  ===========  ============  =========  ==========  =======================================

All three use a 30-day horizon. The probability-weighted IWM move is -1.3 %.

Stress scenarios (:func:`stress_scenarios`, not probability weighted): a 4 % risk-off shock over
one day (the 3-5 % range of a bad day for small caps) with the spot-vol response; yield shocks of
+25 and +50 bp over five trading days (one calendar week), turned into an IWM move by the rate
beta and into a vol change by the spot-vol beta (see :mod:`strategies.calibration`: the house
stress-regime rate beta is -10 % per +100 bp, so +50 bp means IWM -5 % and vol +4 points); and a
10 % correction over 20 days.

Repricing (:func:`run_scenarios`) moves the :class:`~strategies.pricing_context.PricingContext`:
spots, vol shift, rate shift and days forward, with the smile either sticky-strike (each strike
keeps its vol) or sticky-moneyness (the smile moves with the forward), as chosen by
``dynamics``. Values and P&L are in dollars; P&L is value in the scenario minus the strategy's
entry cost (:meth:`strategies.strategy.Strategy.net_premium`).

Stop-loss / profit-target levels (:func:`level_pnls`) are spot levels of a symbol (IWM -6 %,
TNA -12 %): each is turned into the index move that produces it (through the leveraged-ETF model
for TNA/TZA), with the strategy's P&L there.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pricing.errors import InputError
from strategies.betas import HOUSE_BETAS, MarketBetas
from strategies.legs import TNA, TZA, LeveragedETF
from strategies.leveraged import leveraged_ratio
from strategies.pricing_context import PricingContext
from strategies.roots import bracketed_root
from strategies.strategy import PremiumBasis, Strategy
from strategies.valuation import etf_index_vol

#: Probability sums must be within this of 1.
PROBABILITY_TOLERANCE = 1e-9
RUSSELL = frozenset({"IWM", "RUT", "MRUT"})
Dynamics = Literal["sticky_strike", "sticky_moneyness"]


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(name, value, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(name, value, "must be finite")
    return number


def index_beta(symbol: str, betas: MarketBetas = HOUSE_BETAS) -> float | None:
    """``symbol``'s move per unit move of the small-cap index: 1 for the Russell family,
    ``betas.spy_per_iwm`` for SPY and its family (SPX, XSP), the underlyings table's estimated
    beta to IWM for other symbols, None when none is known (the scenarios then move the symbol
    one for one with the index, an assumption the report states)."""
    from marketdata.underlyings import underlyings

    sym = symbol.upper()
    if sym in RUSSELL:
        return 1.0
    table = underlyings()
    try:
        family = table.facts(sym).family
    except InputError:
        return None
    if family == "SPY":
        return betas.spy_per_iwm
    estimate = table.beta(sym, "IWM")
    return None if estimate is None else estimate.value


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario (units in the module docstring): ``spot_move`` decimal index return (> -1),
    ``yield_shift_bp`` basis points, ``vol_shift`` decimal vol change (within +-2),
    ``horizon_days`` calendar days (>= 0), ``probability`` in [0, 1]."""

    name: str
    probability: float
    spot_move: float
    yield_shift_bp: float
    vol_shift: float
    horizon_days: float
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("name", self.name, "must be a non-empty string")
        p = _number(f"{self.name}.probability", self.probability)
        if not 0.0 <= p <= 1.0:
            raise InputError(f"{self.name}.probability", self.probability, "must be in [0, 1]")
        move = _number(f"{self.name}.spot_move", self.spot_move)
        if move <= -1.0 or move > 10.0:
            raise InputError(
                f"{self.name}.spot_move", self.spot_move, "must be a decimal move in (-1, 10]"
            )
        bp = _number(f"{self.name}.yield_shift_bp", self.yield_shift_bp)
        if abs(bp) > 2000.0:
            raise InputError(
                f"{self.name}.yield_shift_bp", self.yield_shift_bp, "must be within +-2000 bp"
            )
        vol = _number(f"{self.name}.vol_shift", self.vol_shift)
        if abs(vol) > 2.0:
            raise InputError(
                f"{self.name}.vol_shift",
                self.vol_shift,
                "must be a decimal shift within +-2 (0.08 = +8 pts)",
            )
        days = _number(f"{self.name}.horizon_days", self.horizon_days)
        if days < 0.0 or days > 3660.0:
            raise InputError(
                f"{self.name}.horizon_days", self.horizon_days, "must be in [0, 3660] days"
            )
        if not isinstance(self.description, str):
            raise InputError(f"{self.name}.description", self.description, "must be a string")
        object.__setattr__(self, "name", self.name.strip())
        object.__setattr__(self, "probability", p)
        object.__setattr__(self, "spot_move", move)
        object.__setattr__(self, "yield_shift_bp", bp)
        object.__setattr__(self, "vol_shift", vol)
        object.__setattr__(self, "horizon_days", days)

    def with_probability(self, probability: float) -> Scenario:
        """A copy with another probability."""
        return Scenario(
            self.name,
            probability,
            self.spot_move,
            self.yield_shift_bp,
            self.vol_shift,
            self.horizon_days,
            self.description,
        )

    def symbol_move(self, symbol: str, betas: MarketBetas = HOUSE_BETAS) -> float:
        """Decimal move of ``symbol``'s price in this scenario: the index move for the Russell
        family (and symbols with no known beta), ``spy_per_iwm`` times it for SPY and its family
        (SPX, XSP), the underlyings table's beta to IWM times it for other symbols that have one.
        Leveraged ETFs are moved by :func:`scenario_context` through their model, not here."""
        beta = index_beta(symbol, betas)
        if beta is None or beta == 1.0:
            return self.spot_move
        return max(beta * self.spot_move, -0.99)


@dataclass(frozen=True, slots=True)
class ScenarioSet:
    """Named, probability-weighted scenarios: names unique, probabilities summing to 1 (within
    :data:`PROBABILITY_TOLERANCE`)."""

    name: str
    scenarios: tuple[Scenario, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("scenario_set.name", self.name, "must be a non-empty string")
        items = tuple(self.scenarios)
        if not items:
            raise InputError(f"scenario set {self.name!r}", items, "needs at least one scenario")
        for i, s in enumerate(items):
            if not isinstance(s, Scenario):
                raise InputError(
                    f"scenario set {self.name!r}.scenarios[{i}]", s, "must be a Scenario"
                )
        names = [s.name for s in items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError(f"scenario set {self.name!r}", dupes, "scenario names must be unique")
        total = math.fsum(s.probability for s in items)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            raise InputError(
                f"scenario set {self.name!r}.probabilities",
                {s.name: s.probability for s in items},
                f"sum to {total!r}, must sum to 1 (within {PROBABILITY_TOLERANCE:g})",
            )
        object.__setattr__(self, "scenarios", items)

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    def __len__(self) -> int:
        return len(self.scenarios)

    @property
    def probabilities(self) -> tuple[float, ...]:
        """The probabilities in order."""
        return tuple(s.probability for s in self.scenarios)

    @property
    def expected_move(self) -> float:
        """Probability-weighted index move (decimal)."""
        return math.fsum(s.probability * s.spot_move for s in self.scenarios)

    def by_name(self, name: str) -> Scenario:
        """The scenario called ``name``."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise InputError(
            "scenario", name, f"not in set {self.name!r}: {[s.name for s in self.scenarios]}"
        )


# --------------------------------------------------------------------------------------------
# The house view and stress scenarios
# --------------------------------------------------------------------------------------------

HOUSE_HORIZON_DAYS = 30.0

HOUSE_VIEW = ScenarioSet(
    "house",
    (
        Scenario(
            "bear",
            0.30,
            -0.10,
            50.0,
            0.08,
            HOUSE_HORIZON_DAYS,
            "term-premium sell-off: 10-year +50 bp, a 10 % small-cap correction, vol +8 pts",
        ),
        Scenario(
            "base",
            0.45,
            0.01,
            5.0,
            0.0,
            HOUSE_HORIZON_DAYS,
            "small drift: IWM +1 %, 10-year +0 to +10 bp, vol flat",
        ),
        Scenario(
            "bull",
            0.25,
            0.05,
            -25.0,
            -0.03,
            HOUSE_HORIZON_DAYS,
            "yields fall 25 bp, small caps rally 5 %, vol -3 pts",
        ),
    ),
    "one-month house view for small caps (see strategies.scenarios docstring)",
)

RISK_OFF_MOVE = -0.04
RISK_OFF_DAYS = 1.0
YIELD_SHOCK_DAYS = 7.0
CORRECTION_MOVE = -0.10
CORRECTION_DAYS = 20.0


def spot_shock(
    name: str,
    spot_move: float,
    *,
    horizon_days: float,
    betas: MarketBetas = HOUSE_BETAS,
    yield_shift_bp: float = 0.0,
    probability: float = 0.0,
    description: str = "",
) -> Scenario:
    """A scenario from an index move alone: the vol change follows the spot-vol beta."""
    return Scenario(
        name,
        probability,
        spot_move,
        yield_shift_bp,
        betas.vol_shift_for_move(spot_move),
        horizon_days,
        description or f"index {spot_move:+.1%}, vol by spot-vol beta",
    )


def yield_shock(
    shift_bp: float,
    *,
    betas: MarketBetas = HOUSE_BETAS,
    horizon_days: float = YIELD_SHOCK_DAYS,
    probability: float = 0.0,
    name: str | None = None,
) -> Scenario:
    """A 10-year shock of ``shift_bp`` basis points: IWM moves by the rate beta
    (``rate_beta_pct_per_100bp x shift_bp / 100`` percent) and vol by the spot-vol beta."""
    move = betas.iwm_move_for_yield_shift(shift_bp)
    return Scenario(
        name or f"yield{shift_bp:+g}bp",
        probability,
        move,
        shift_bp,
        betas.vol_shift_for_move(move),
        horizon_days,
        f"10-year {shift_bp:+g} bp -> IWM {move:+.2%} ({betas.label})",
    )


def stress_scenarios(betas: MarketBetas = HOUSE_BETAS) -> tuple[Scenario, ...]:
    """The named stress scenarios (probability 0: shown beside the house view, not weighted)."""
    return (
        spot_shock(
            "risk-off",
            RISK_OFF_MOVE,
            horizon_days=RISK_OFF_DAYS,
            betas=betas,
            description="one-day risk-off shock: IWM -4 %, vol by spot-vol beta",
        ),
        yield_shock(25.0, betas=betas),
        yield_shock(50.0, betas=betas),
        spot_shock(
            "correction",
            CORRECTION_MOVE,
            horizon_days=CORRECTION_DAYS,
            betas=betas,
            description="10 % correction over 20 days, vol by spot-vol beta",
        ),
    )


# --------------------------------------------------------------------------------------------
# Repricing
# --------------------------------------------------------------------------------------------


def scenario_context(
    ctx: PricingContext,
    scenario: Scenario,
    *,
    betas: MarketBetas = HOUSE_BETAS,
    dynamics: Dynamics | None = None,
) -> PricingContext:
    """``ctx`` (bumps removed) moved into ``scenario``: the index family by ``spot_move``, SPY by
    ``spy_per_iwm`` times it, vols by ``vol_shift``, the curve by ``yield_shift_bp``, time by
    ``horizon_days``; smile dynamics ``dynamics`` (default: the context's)."""
    base = ctx.base()
    moves: dict[str, float] = {"SPY": scenario.symbol_move("SPY", betas)}
    for sym in base.spots:
        beta = index_beta(sym, betas)
        if beta is not None and beta != 1.0:
            moves[sym] = scenario.symbol_move(sym, betas)
    return base.bumped(
        spot_move=scenario.spot_move,
        spot_moves=moves,
        vol_shift=scenario.vol_shift,
        rate_shift_bp=scenario.yield_shift_bp,
        days_forward=scenario.horizon_days,
        vol_dynamics=dynamics or ctx.vol_dynamics,
    )


def reference_symbol(strategy: Strategy) -> str:
    """The symbol whose spot labels a scenario: the strategy's first Russell-family driver (IWM,
    RUT, MRUT), else its first driver."""
    drivers = strategy.underlyings
    for d in drivers:
        if d in RUSSELL:
            return d
    return drivers[0]


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """One strategy in one scenario: ``spot`` of the reference symbol (price units), ``value``
    and ``pnl`` in dollars."""

    scenario: Scenario
    reference: str
    spot: float
    value: float
    pnl: float


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    """A strategy across scenarios: per-scenario results and the probability-weighted P&L
    (dollars; None when the scenarios are not a probability set)."""

    strategy: str
    results: tuple[ScenarioResult, ...]
    weighted_pnl: float | None
    entry_cost: float
    dynamics: str


def run_scenarios(
    strategy: Strategy,
    ctx: PricingContext,
    scenarios: ScenarioSet | Sequence[Scenario],
    *,
    betas: MarketBetas = HOUSE_BETAS,
    dynamics: Dynamics | None = None,
    basis: PremiumBasis = "entry",
) -> ScenarioReport:
    """Reprice ``strategy`` in each scenario. P&L = scenario value - entry cost (dollars, the
    entry cost from ``basis``, see :meth:`Strategy.net_premium`). The weighted P&L is
    ``sum(probability x pnl)`` when ``scenarios`` is a :class:`ScenarioSet`."""
    items = scenarios.scenarios if isinstance(scenarios, ScenarioSet) else tuple(scenarios)
    ref = reference_symbol(strategy)
    entry = strategy.net_premium(ctx.base(), basis=basis)
    results = []
    for scenario in items:
        sctx = scenario_context(ctx, scenario, betas=betas, dynamics=dynamics)
        value = strategy.value(sctx)
        results.append(ScenarioResult(scenario, ref, sctx.spot(ref), value, value - entry))
    weighted = (
        math.fsum(r.scenario.probability * r.pnl for r in results)
        if isinstance(scenarios, ScenarioSet)
        else None
    )
    return ScenarioReport(
        strategy.name, tuple(results), weighted, entry, dynamics or ctx.vol_dynamics
    )


def weighted_pnl(pnls: Sequence[float], scenarios: ScenarioSet) -> float:
    """``sum(probability_i x pnl_i)`` in the order of ``scenarios``."""
    if len(pnls) != len(scenarios):
        raise InputError("pnls", len(pnls), f"need one per scenario ({len(scenarios)})")
    return math.fsum(p * s.probability for p, s in zip(pnls, scenarios.scenarios, strict=True))


@dataclass(frozen=True, slots=True)
class Comparison:
    """Strategies side by side: ``pnl[strategy][scenario]`` and ``weighted[strategy]`` (dollars),
    ``entry_cost[strategy]`` (dollars, + = debit)."""

    scenario_names: tuple[str, ...]
    probabilities: tuple[float, ...]
    pnl: Mapping[str, Mapping[str, float]]
    weighted: Mapping[str, float | None]
    entry_cost: Mapping[str, float]


def compare_strategies(
    strategies: Sequence[Strategy],
    ctx: PricingContext,
    scenarios: ScenarioSet | Sequence[Scenario],
    *,
    betas: MarketBetas = HOUSE_BETAS,
    dynamics: Dynamics | None = None,
    basis: PremiumBasis = "entry",
) -> Comparison:
    """Run the same scenarios on several strategies (names must differ)."""
    names = [s.name for s in strategies]
    if len(set(names)) != len(names):
        raise InputError("strategies", names, "names must be unique")
    items = scenarios.scenarios if isinstance(scenarios, ScenarioSet) else tuple(scenarios)
    pnl: dict[str, dict[str, float]] = {}
    weighted: dict[str, float | None] = {}
    entry: dict[str, float] = {}
    for strategy in strategies:
        report = run_scenarios(
            strategy, ctx, scenarios, betas=betas, dynamics=dynamics, basis=basis
        )
        pnl[strategy.name] = {r.scenario.name: r.pnl for r in report.results}
        weighted[strategy.name] = report.weighted_pnl
        entry[strategy.name] = report.entry_cost
    return Comparison(
        tuple(s.name for s in items), tuple(s.probability for s in items), pnl, weighted, entry
    )


# --------------------------------------------------------------------------------------------
# Stop-loss and profit-target levels
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Level:
    """A stop-loss or profit-target trigger: ``symbol``'s price moves by ``move`` (decimal)."""

    kind: Literal["stop", "target"]
    symbol: str
    move: float

    def __post_init__(self) -> None:
        if self.kind not in ("stop", "target"):
            raise InputError("level.kind", self.kind, "must be 'stop' or 'target'")
        if not isinstance(self.symbol, str) or not self.symbol.strip():
            raise InputError("level.symbol", self.symbol, "must be a symbol")
        object.__setattr__(self, "symbol", self.symbol.strip().upper())
        move = _number("level.move", self.move)
        if move <= -1.0:
            raise InputError("level.move", self.move, "must be > -1")
        object.__setattr__(self, "move", move)

    @property
    def label(self) -> str:
        """``"stop IWM -6%"``."""
        return f"{self.kind} {self.symbol} {self.move:+.0%}"


#: Default levels: stop-losses at IWM -6 % and TNA -12 % (about IWM -4 %), target at IWM +5 %.
DEFAULT_LEVELS: tuple[Level, ...] = (
    Level("stop", "IWM", -0.06),
    Level("stop", "TNA", -0.12),
    Level("target", "IWM", 0.05),
)

_ETFS: dict[str, LeveragedETF] = {"TNA": TNA, "TZA": TZA}


@dataclass(frozen=True, slots=True)
class LevelResult:
    """A level turned into an index move (decimal), the reference symbol's spot there (price
    units) and the strategy's P&L there (dollars)."""

    level: Level
    index_move: float
    reference: str
    spot: float
    pnl: float


def index_move_for(
    level: Level,
    ctx: PricingContext,
    *,
    betas: MarketBetas = HOUSE_BETAS,
    horizon_days: float = 0.0,
    etfs: Mapping[str, LeveragedETF] | None = None,
) -> float:
    """The index move (decimal) at which ``level`` triggers: the move itself for the Russell
    family (and symbols with no known beta), ``move / beta`` for a symbol with a beta to the
    index (:func:`index_beta`: SPY, SPX, XSP by ``spy_per_iwm``), and for a leveraged ETF the index move that gives
    the ETF that move over ``horizon_days`` (one daily reset when 0, i.e. ``move / leverage``)."""
    etf_map = {**_ETFS, **{k.upper(): v for k, v in (etfs or {}).items()}}
    sym = level.symbol
    if sym in etf_map:
        etf = etf_map[sym]
        t = horizon_days / 365.0
        vol = etf_index_vol(etf, ctx.base(), t) if t > 0.0 else 0.0
        target = 1.0 + level.move

        def gap(index_ratio: float) -> float:
            ratio = leveraged_ratio(
                index_ratio,
                leverage=etf.leverage,
                vol=vol,
                t_years=t,
                rate=ctx.short_rate(),
                div_yield=ctx.div_yield(etf.index),
                expense_ratio=etf.expense_ratio,
                financing_spread=etf.financing_spread,
            )
            return float(ratio) - target

        lo, hi = 1e-3, 10.0
        if gap(lo) * gap(hi) > 0.0:
            raise InputError(
                "level.move", level.move, f"{sym} cannot reach this move through its index"
            )
        return bracketed_root(gap, lo, hi, xtol=1e-12) - 1.0
    beta = index_beta(sym, betas)
    if beta is not None and beta != 0.0:
        return level.move / beta
    return level.move


def level_pnls(
    strategy: Strategy,
    ctx: PricingContext,
    levels: Sequence[Level] = DEFAULT_LEVELS,
    *,
    betas: MarketBetas = HOUSE_BETAS,
    horizon_days: float = 0.0,
    basis: PremiumBasis = "entry",
) -> tuple[LevelResult, ...]:
    """The strategy's P&L (dollars) at each level, valued ``horizon_days`` ahead (0 = now), vols
    moved by the spot-vol beta, the smile per the context's dynamics."""
    ref = reference_symbol(strategy)
    entry = strategy.net_premium(ctx.base(), basis=basis)
    out = []
    for level in levels:
        move = index_move_for(level, ctx, betas=betas, horizon_days=horizon_days)
        scenario = spot_shock(level.label, move, horizon_days=horizon_days, betas=betas)
        sctx = scenario_context(ctx, scenario, betas=betas)
        out.append(LevelResult(level, move, ref, sctx.spot(ref), strategy.value(sctx) - entry))
    return tuple(out)
