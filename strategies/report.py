"""The strategy report: one documented, stable JSON document per strategy (drawn by :mod:`tui.render`).

:func:`build_report` values a strategy in a :class:`~strategies.pricing_context.PricingContext` and
returns a plain dict (JSON-ready: no NaN or infinity; unbounded quantities are ``null`` with a flag).
:func:`report_json` serialises it; :func:`tui.render.render_report` draws it with rich.

Fields (schema_version 1). Money is US dollars for the whole position (quantity x multiplier
included) unless a field says "per share"; spots and strikes are in the underlying's price units
(index points for RUT/MRUT); times are ISO 8601 with offset; probabilities in [0, 1].

- ``schema_version`` (int): 1.
- ``strategy``: ``name``; ``underlyings`` (risk drivers); ``reference`` (the symbol whose spot
  labels scenarios, breakevens and levels); ``spot`` (its spot now); ``expiries`` (ISO dates);
  ``as_of`` (valuation time).
- ``legs`` (list), each: ``id``; ``instrument`` (``type`` = option | shares | letf and its
  terms: ``underlying``, ``kind``, ``strike``, ``expiry``, ``style``, ``settlement``,
  ``multiplier`` for options; ``symbol`` for shares; ``symbol``, ``index``, ``leverage``,
  ``expense_ratio`` for leveraged ETFs); ``description``; ``quantity`` (signed contracts or
  shares); ``multiplier``; ``entry_price`` (per share, null if unknown); ``price`` (model value
  per share now); ``mark`` (quote mid per share, null when not quoted); ``value`` (model value of
  the position, dollars); ``greeks``: ``per_share`` and ``position`` (each ``delta``, ``gamma``
  per 1.00 of the driver's spot, ``vega`` per vol point, ``theta`` per calendar day, ``rho`` per
  1 % of rate; position = per share x quantity x multiplier), ``dollar_delta`` (position delta x
  the driver's spot: dollars gained per 100 % move of the driver, so a 1 % move gains 1/100 of
  it), ``beta_weighted_delta`` (shares of the benchmark with the same beta-adjusted exposure).
- ``expired`` (list): option legs past their settlement moment, settled rather than priced
  (:mod:`strategies.settlement`), each: ``id``, ``description``, ``quantity``, ``multiplier``,
  ``entry_price``, ``settlement_price`` (the underlying's price used), ``price_source`` (where
  it came from: the position file, the recorded spot at expiry, or the current spot, said so),
  ``intrinsic`` (per share), ``cash`` (dollars the leg settled into, + received), ``outcome``
  (a sentence), ``delivered_shares`` (signed shares a physical leg delivered, else 0; those
  shares are a live leg of ``legs``), ``realised_pnl`` (dollars, null when it continues in the
  delivered shares or the entry price is unknown). Every other number of the report (Greeks, max
  profit and loss, breakevens, probabilities, scenarios, levels) is that of the live legs.
- ``value``: ``live`` (model value of the live legs, dollars), ``settled_cash`` (cash from the
  settled legs), ``total`` (their sum), ``realised_pnl`` (sum over settled legs, null if unknown).
- ``source``: ``name`` (demo, yahoo, store, csv:...), ``description`` (the human line),
  ``synthetic`` (bool: true for generated data, which every view labels SYNTHETIC), ``as_of``.
- ``net_premium``: dollars paid to open (+ debit, - credit) from the legs' entry prices.
- ``max_profit``, ``max_loss`` (dollars, the loss as a positive number; null when unbounded),
  ``unbounded``: ``{"max_profit": bool, "max_loss": bool}``; ``payoff``: ``axis`` (symbol),
  ``at`` (ISO time of the priced curve, null for the exact expiry payoff), ``exact`` (bool).
- ``breakevens``: axis prices where the P&L at expiry (or ``payoff.at``) is zero.
- ``greeks``: position totals ``delta`` (shares of the one driver; null when the legs have
  several drivers, whose shares are never added: read ``delta_by_driver``), ``gamma`` (likewise,
  ``gamma_by_driver``), ``vega`` (dollars per vol point), ``theta`` (dollars per calendar day),
  ``rho`` (dollars per 1 % rate), ``dollar_delta`` (dollars per 1.00 = 100 % move of each
  driver), ``beta_weighted_delta`` (shares of ``benchmark``: the caller's, else the strategy's own
  such as a pair's hedge side, else IWM), ``beta_weighted_dollar_delta``, ``benchmark``,
  ``delta_by_driver`` and ``gamma_by_driver`` (by driver symbol).
- ``pop``, ``expected_pnl`` (dollars), ``cvar`` (dollars, positive = loss: expected loss in the
  worst ``1 - probability.level`` of outcomes) at ``probability.horizon`` under
  ``probability.method`` (risk-neutral by default); ``probability`` also holds ``var``,
  ``level``, ``lost_mass`` and ``by_method`` (the same numbers under each view:
  ``risk_neutral``, ``lognormal``, ``scenarios``). Null (with a warning) when they cannot be
  computed.
- ``scenarios`` (list), each: ``name``, ``set`` (house | stress), ``probability`` (0 for stress
  scenarios), ``spot`` (reference spot in the scenario), ``pnl`` (dollars), ``spot_move``
  (decimal), ``yield_shift_bp``, ``vol_shift`` (decimal), ``horizon_days``.
- ``weighted_pnl``: the probability-weighted P&L over the house scenarios (dollars).
- ``alerts`` (list): early-assignment alerts: ``leg``, ``rule``, ``reason``, ``numbers``.
- ``levels`` (list): stop-loss / profit-target levels: ``label``, ``kind`` (stop | target),
  ``symbol``, ``move`` (decimal move of the symbol), ``index_move`` (decimal move of the index
  that triggers it), ``spot`` (reference spot there), ``pnl`` (dollars).
- ``betas``: the market betas used (``label``, ``rate_beta_pct_per_100bp``, ``spy_per_iwm``,
  ``spot_vol_beta_pts_per_pct``).
- ``dynamics``: the smile dynamics of the repricing (sticky_strike | sticky_moneyness).
- ``warnings`` (list of strings).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from pricing.errors import InputError, PricingError
from pricing.types import OptionContract
from strategies.alerts import assignment_alerts
from strategies.betas import HOUSE_BETAS, MarketBetas, beta_of
from strategies.legs import LeveragedETF, Shares, describe
from strategies.payoff import PayoffAnalysis, analyze, sampled_profit_loss
from strategies.pricing_context import PricingContext
from strategies.probability import (
    DEFAULT_LEVEL,
    PnLStats,
    horizon_datetime,
    scenario_stats,
    sign_roots,
    strategy_pnl_function,
    strategy_stats,
)
from strategies.scenarios import (
    DEFAULT_LEVELS,
    HOUSE_VIEW,
    RUSSELL,
    Dynamics,
    Level,
    Scenario,
    ScenarioSet,
    index_beta,
    level_pnls,
    reference_symbol,
    run_scenarios,
    stress_scenarios,
)
from strategies.settlement import FROM_CURRENT, Settlement
from strategies.strategy import Strategy

REPORT_SCHEMA_VERSION = 1

#: Top-level keys of a report, in order (the tests check every one is present).
REPORT_FIELDS: tuple[str, ...] = (
    "schema_version",
    "strategy",
    "legs",
    "expired",
    "value",
    "source",
    "net_premium",
    "max_profit",
    "max_loss",
    "unbounded",
    "payoff",
    "breakevens",
    "greeks",
    "pop",
    "expected_pnl",
    "cvar",
    "probability",
    "scenarios",
    "weighted_pnl",
    "alerts",
    "levels",
    "betas",
    "dynamics",
    "warnings",
)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where the market data came from: ``name`` (demo, yahoo, store, csv:...), the human
    ``description`` line, ``synthetic`` (generated data) and the data's ``as_of``."""

    name: str
    description: str
    synthetic: bool
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("source.name", self.name, "must be a non-empty string")
        if not isinstance(self.description, str):
            raise InputError("source.description", self.description, "must be a string")
        if not isinstance(self.synthetic, bool):
            raise InputError("source.synthetic", self.synthetic, "must be True or False")
        if self.as_of is not None and (self.as_of.tzinfo is None or self.as_of.utcoffset() is None):
            raise InputError("source.as_of", self.as_of, "must be timezone-aware")


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What to compute: probability ``horizon`` (default the first expiry), ``method``
    (risk_neutral | lognormal) for the headline ``pop``/``expected_pnl``/``cvar``, CVaR ``level``,
    the house ``scenarios`` and ``stress`` scenarios, ``levels`` (None: :func:`default_levels` of the
    strategy's reference symbol), ``betas``, the ``benchmark`` for
    beta-weighting (default IWM when its spot is known) and the smile ``dynamics``."""

    horizon: date | datetime | None = None
    method: str = "risk_neutral"
    level: float = DEFAULT_LEVEL
    scenarios: ScenarioSet = HOUSE_VIEW
    stress: tuple[Scenario, ...] = field(default_factory=stress_scenarios)
    levels: tuple[Level, ...] | None = None
    betas: MarketBetas = HOUSE_BETAS
    benchmark: str | None = None
    dynamics: Dynamics | None = None

    def __post_init__(self) -> None:
        if self.method not in ("risk_neutral", "lognormal"):
            raise InputError("method", self.method, "must be 'risk_neutral' or 'lognormal'")
        if not (isinstance(self.level, float) and 0.0 < self.level < 1.0):
            raise InputError("level", self.level, "must be a float in (0, 1), e.g. 0.95")
        if self.dynamics is not None and self.dynamics not in ("sticky_strike", "sticky_moneyness"):
            raise InputError(
                "dynamics", self.dynamics, "must be 'sticky_strike' or 'sticky_moneyness'"
            )
        if not isinstance(self.scenarios, ScenarioSet):
            raise InputError("scenarios", self.scenarios, "must be a ScenarioSet")


#: Stop and target moves of the reference symbol when it is not in the Russell family.
STOP_MOVE = -0.06
TARGET_MOVE = 0.05


def default_levels(reference: str) -> tuple[Level, ...]:
    """The stop / target levels of a strategy whose scenarios are labelled by ``reference``: the
    small-cap levels (:data:`strategies.scenarios.DEFAULT_LEVELS`: IWM -6 %, TNA -12 %, IWM +5 %)
    for the Russell family, else a stop at ``reference`` -6 % and a target at +5 % (decimal
    moves of that symbol's own price)."""
    ref = reference.upper()
    if ref in RUSSELL:
        return DEFAULT_LEVELS
    return (Level("stop", ref, STOP_MOVE), Level("target", ref, TARGET_MOVE))


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def instrument_dict(leg_instrument: Any) -> dict[str, Any]:
    """The instrument's terms as a JSON-ready dict (see the module docstring)."""
    if isinstance(leg_instrument, OptionContract):
        return {
            "type": "option",
            "underlying": leg_instrument.underlying.upper(),
            "kind": leg_instrument.kind.value,
            "strike": leg_instrument.strike,
            "expiry": leg_instrument.expiry.isoformat(),
            "style": leg_instrument.style.value,
            "settlement": leg_instrument.settlement.value,
            "multiplier": leg_instrument.multiplier,
        }
    if isinstance(leg_instrument, Shares):
        return {"type": "shares", "symbol": leg_instrument.symbol}
    if isinstance(leg_instrument, LeveragedETF):
        return {
            "type": "letf",
            "symbol": leg_instrument.symbol,
            "index": leg_instrument.index,
            "leverage": leg_instrument.leverage,
            "expense_ratio": leg_instrument.expense_ratio,
        }
    raise InputError("instrument", leg_instrument, "unknown instrument type")


def _stats_dict(stats: PnLStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    out = stats.as_dict()
    return {k: (_finite(v) if isinstance(v, float) else v) for k, v in out.items()}


def _benchmark(ctx: PricingContext, strategy: Strategy, wanted: str | None) -> str:
    for candidate in ([wanted] if wanted else []) + ["IWM", reference_symbol(strategy)]:
        try:
            ctx.spot(candidate)
        except InputError:
            continue
        return candidate.upper()
    return reference_symbol(strategy)


def unknown_betas(strategy: Strategy, benchmark: str) -> tuple[str, ...]:
    """The risk drivers of ``strategy`` whose beta to ``benchmark`` is unknown (neither the same
    family nor estimated in the underlyings table), in leg order."""
    out: list[str] = []
    for leg in strategy.flat_legs():
        driver = leg.driver
        if driver in out:
            continue
        try:
            beta_of(driver, benchmark)
        except InputError:
            out.append(driver)
    return tuple(out)


def build_report(
    strategy: Strategy,
    ctx: PricingContext,
    *,
    source: SourceInfo,
    options: ReportOptions | None = None,
    settlement: Settlement | None = None,
) -> dict[str, Any]:
    """The JSON-ready report of ``strategy`` valued in ``ctx`` (see the module docstring).

    ``strategy`` is the live part; ``settlement`` (from
    :func:`strategies.settlement.settle_expired`) lists the legs that expired before ``ctx``'s
    time, shown under ``expired`` and added to ``value`` but to no risk number."""
    opts = options or ReportOptions()
    base = ctx.base()
    if opts.dynamics is not None:
        base = base.bumped(vol_dynamics=opts.dynamics)
    warnings: list[str] = []
    if source.synthetic:
        warnings.append("SYNTHETIC data: generated for demonstration, not market prices")
    ref = reference_symbol(strategy)
    bench = _benchmark(base, strategy, opts.benchmark or strategy.benchmark)
    unknown = unknown_betas(strategy, bench)
    if unknown:
        warnings.append(
            f"no beta of {', '.join(unknown)} to {bench} is known (underlyings table): "
            "beta-weighted delta is n/a; give beta_to_iwm / beta_to_spy in an underlyings file "
            "(hedge --underlyings FILE)"
        )
    # unknown betas are placeholders here only so the other Greeks can be summed; every
    # beta-weighted number they touch is reported as null, never as a value
    risk = strategy.risk(
        base, benchmark=bench, betas=dict.fromkeys(((d, bench) for d in unknown), 0.0)
    )

    legs: list[dict[str, Any]] = []
    for row in risk.legs:
        leg = row.leg
        quote = base.quote(leg.instrument)
        if leg.entry_price is None:
            warnings.append(f"leg {leg.leg_id!r} has no entry price: the fill price now is used")
        legs.append(
            {
                "id": leg.leg_id,
                "instrument": instrument_dict(leg.instrument),
                "description": describe(leg.instrument),
                "quantity": leg.quantity,
                "multiplier": leg.multiplier,
                "entry_price": leg.entry_price,
                "price": _finite(row.price),
                "mark": _finite(quote.mid) if quote is not None else None,
                "value": _finite(row.value),
                "greeks": {
                    "per_share": {k: _finite(v) for k, v in row.per_share.as_dict().items()},
                    "position": {k: _finite(v) for k, v in row.position.as_dict().items()},
                    "dollar_delta": _finite(row.dollar_delta),
                    "beta_weighted_delta": (
                        None if leg.driver in unknown else _finite(row.beta_weighted_delta)
                    ),
                },
            }
        )

    net_premium = strategy.net_premium(base)
    try:
        payoff = analyze(strategy, base, premium=net_premium, axis=ref)
    except InputError:  # legs on unrelated underlyings (IWM and SPY): price against the betas
        payoff = priced_payoff(
            strategy, base, premium=net_premium, betas=opts.betas, at=opts.horizon
        )
    pl = payoff.profit_loss

    by_method: dict[str, Any] = {}
    headline: PnLStats | None = None
    for method in ("risk_neutral", "lognormal"):
        try:
            stats = strategy_stats(
                strategy,
                base,
                method=method,
                at=opts.horizon,
                level=opts.level,
                betas=opts.betas,  # type: ignore[arg-type]
            )
        except (PricingError, ValueError, ArithmeticError) as exc:
            warnings.append(f"{method} probabilities unavailable: {exc}")
            stats = None
        by_method[method] = _stats_dict(stats)
        if method == opts.method:
            headline = stats
    house_stats = scenario_stats(
        strategy, base, opts.scenarios, level=opts.level, betas=opts.betas, dynamics=opts.dynamics
    )
    by_method["scenarios"] = _stats_dict(house_stats)
    if headline is not None and headline.lost_mass > 1e-4:
        warnings.append(
            f"the vol surface implies {headline.lost_mass:.2%} of negative density (arbitrage): "
            "risk-neutral probabilities are approximate"
        )

    house = run_scenarios(strategy, base, opts.scenarios, betas=opts.betas, dynamics=opts.dynamics)
    stress = run_scenarios(
        strategy, base, list(opts.stress), betas=opts.betas, dynamics=opts.dynamics
    )
    scenarios: list[dict[str, Any]] = []
    for set_name, results in (("house", house.results), ("stress", stress.results)):
        for r in results:
            scenarios.append(
                {
                    "name": r.scenario.name,
                    "set": set_name,
                    "probability": r.scenario.probability,
                    "spot": _finite(r.spot),
                    "pnl": _finite(r.pnl),
                    "spot_move": r.scenario.spot_move,
                    "yield_shift_bp": r.scenario.yield_shift_bp,
                    "vol_shift": r.scenario.vol_shift,
                    "horizon_days": r.scenario.horizon_days,
                    "description": r.scenario.description,
                }
            )

    levels = [
        {
            "label": lv.level.label,
            "kind": lv.level.kind,
            "symbol": lv.level.symbol,
            "move": lv.level.move,
            "index_move": _finite(lv.index_move),
            "spot": _finite(lv.spot),
            "pnl": _finite(lv.pnl),
        }
        for lv in level_pnls(
            strategy,
            base,
            opts.levels if opts.levels is not None else default_levels(ref),
            betas=opts.betas,
        )
    ]
    if index_beta(ref, opts.betas) is None:
        warnings.append(
            f"no beta of {ref} to IWM is known (underlyings table): the scenarios and levels move "
            f"{ref} one for one with the small-cap index, an assumption, not an estimate; give "
            f"[{ref}.beta_to_iwm] in an underlyings file (hedge --underlyings FILE)"
        )
    alerts = [a.as_dict() for a in assignment_alerts(strategy, base)]
    total = risk.position
    expired, value = expired_section(settlement, risk.value, warnings)
    single_driver = len(risk.delta_by_driver) <= 1
    report: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "strategy": {
            "name": strategy.name,
            "underlyings": list(strategy.underlyings),
            "reference": ref,
            "spot": _finite(base.spot(ref)),
            "expiries": [d.isoformat() for d in strategy.expiries],
            "as_of": base.as_of.isoformat(),
        },
        "legs": legs,
        "expired": expired,
        "value": value,
        "source": {
            "name": source.name,
            "description": source.description,
            "synthetic": bool(source.synthetic),
            "as_of": source.as_of.isoformat() if source.as_of else None,
        },
        "net_premium": _finite(net_premium),
        "max_profit": None if pl.profit_unbounded else _finite(pl.max_profit),
        "max_loss": None if pl.loss_unbounded else _finite(pl.max_loss),
        "unbounded": {"max_profit": bool(pl.profit_unbounded), "max_loss": bool(pl.loss_unbounded)},
        "payoff": {
            "axis": ref,
            "at": payoff.at.isoformat() if payoff.at else None,
            "exact": payoff.exact,
            "max_profit_at": _finite(pl.max_profit_at),
            "max_loss_at": _finite(pl.max_loss_at),
        },
        "breakevens": [_finite(b) for b in payoff.breakevens],
        "greeks": {
            # shares of different underlyings are never added: per driver below when several
            "delta": _finite(total.delta) if single_driver else None,
            "gamma": _finite(total.gamma) if single_driver else None,
            "vega": _finite(total.vega),
            "theta": _finite(total.theta),
            "rho": _finite(total.rho),
            "dollar_delta": _finite(risk.dollar_delta),
            "beta_weighted_delta": None if unknown else _finite(risk.beta_weighted_delta),
            "beta_weighted_dollar_delta": (
                None if unknown else _finite(risk.beta_weighted_dollar_delta)
            ),
            "benchmark": risk.benchmark,
            "delta_by_driver": {k: _finite(v) for k, v in risk.delta_by_driver.items()},
            "gamma_by_driver": gamma_by_driver(risk),
        },
        "pop": _finite(headline.pop) if headline else None,
        "expected_pnl": _finite(headline.expected_pnl) if headline else None,
        "cvar": _finite(headline.cvar) if headline else None,
        "probability": {
            "method": opts.method,
            "horizon": headline.horizon.isoformat() if headline and headline.horizon else None,
            "level": opts.level,
            "var": _finite(headline.var) if headline else None,
            "lost_mass": _finite(headline.lost_mass) if headline else None,
            "by_method": by_method,
        },
        "scenarios": scenarios,
        "weighted_pnl": _finite(house.weighted_pnl),
        "alerts": alerts,
        "levels": levels,
        "betas": {
            "label": opts.betas.label,
            "rate_beta_pct_per_100bp": opts.betas.rate_beta_pct_per_100bp,
            "spy_per_iwm": opts.betas.spy_per_iwm,
            "spot_vol_beta_pts_per_pct": opts.betas.spot_vol_beta_pts_per_pct,
        },
        "dynamics": base.vol_dynamics,
        "warnings": warnings,
    }
    return report


def gamma_by_driver(risk: Any) -> dict[str, float | None]:
    """Position gamma per risk driver (per 1.00 of that driver's spot), in driver order."""
    out: dict[str, float] = {}
    for row in risk.legs:
        out[row.driver] = out.get(row.driver, 0.0) + row.position.gamma
    return {k: _finite(v) for k, v in out.items()}


def expired_section(
    settlement: Settlement | None, live_value: float, warnings: list[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The report's ``expired`` list and ``value`` block (module docstring); adds a warning per
    leg settled at the current spot for lack of a recorded settlement price."""
    settled = settlement.settled if settlement is not None else ()
    rows: list[dict[str, Any]] = []
    for item in settled:
        leg = item.leg
        rows.append(
            {
                "id": leg.leg_id,
                "description": describe(leg.instrument),
                "quantity": leg.quantity,
                "multiplier": leg.multiplier,
                "entry_price": leg.entry_price,
                "settlement_price": _finite(item.settlement_price),
                "price_source": item.price_source,
                "intrinsic": _finite(item.intrinsic),
                "cash": _finite(item.cash),
                "outcome": item.outcome,
                "delivered_shares": item.delivered.quantity if item.delivered is not None else 0,
                "realised_pnl": _finite(item.realised_pnl),
            }
        )
        if item.price_source == FROM_CURRENT:
            warnings.append(
                f"leg {leg.leg_id} expired on {leg.expiry.isoformat() if leg.expiry else '?'}: "
                f"settled at the current spot {item.settlement_price:g} because no settlement "
                "price is recorded (add settlement_price to the leg)"
            )
    cash = settlement.settled_cash if settlement is not None else 0.0
    realised = settlement.realised_pnl if settlement is not None else 0.0
    value = {
        "live": _finite(live_value),
        "settled_cash": _finite(cash),
        "total": _finite(live_value + cash),
        "realised_pnl": _finite(realised),
    }
    return rows, value


def settled_only_report(settlement: Settlement, *, source: SourceInfo) -> dict[str, Any]:
    """The report of a position whose every leg has expired: ``expired`` and ``value`` filled,
    every risk field null or empty (nothing is left at risk)."""
    warnings: list[str] = []
    if source.synthetic:
        warnings.append("SYNTHETIC data: generated for demonstration, not market prices")
    expired, value = expired_section(settlement, 0.0, warnings)
    warnings.append("every leg has expired: nothing remains at risk")
    report: dict[str, Any] = dict.fromkeys(REPORT_FIELDS)
    report.update(
        {
            "schema_version": REPORT_SCHEMA_VERSION,
            "strategy": {
                "name": settlement.settled[0].leg.leg_id if settlement.settled else "",
                "underlyings": sorted({s.leg.symbol for s in settlement.settled}),
                "reference": None,
                "spot": None,
                "expiries": sorted(
                    {s.leg.expiry.isoformat() for s in settlement.settled if s.leg.expiry}
                ),
                "as_of": settlement.as_of.isoformat(),
            },
            "legs": [],
            "expired": expired,
            "value": value,
            "source": {
                "name": source.name,
                "description": source.description,
                "synthetic": bool(source.synthetic),
                "as_of": source.as_of.isoformat() if source.as_of else None,
            },
            "unbounded": {"max_profit": False, "max_loss": False},
            "breakevens": [],
            "scenarios": [],
            "alerts": [],
            "levels": [],
            "warnings": warnings,
        }
    )
    return report


def priced_payoff(
    strategy: Strategy,
    ctx: PricingContext,
    *,
    premium: float,
    betas: MarketBetas = HOUSE_BETAS,
    at: date | datetime | None = None,
    spot_range: tuple[float, float] = (0.2, 3.0),
    n_points: int = 801,
) -> PayoffAnalysis:
    """Breakevens and max profit / loss from the priced P&L at ``at`` (default: the first expiry,
    or 30 days ahead without options) against the reference symbol, other drivers moved by
    ``betas``: for strategies :func:`strategies.payoff.analyze` cannot put on one axis (IWM
    shares against SPY shares). A side is flagged unbounded when the curve still slopes at the
    grid's right end (more than 1e-6 dollars per dollar of notional)."""
    ref = reference_symbol(strategy)
    when = horizon_datetime(strategy, ctx, at)
    fn = strategy_pnl_function(strategy, ctx, at=when, symbol=ref, betas=betas, premium=premium)
    base_spot = ctx.base_spot(ref)
    grid = np.linspace(spot_range[0] * base_spot, spot_range[1] * base_spot, n_points)
    values = np.asarray(fn(grid), dtype=np.float64)
    roots = tuple(sign_roots(fn, grid, values))
    slope = float((values[-1] - values[-2]) / (grid[-1] - grid[-2]))
    scale = max(1.0, float(np.max(np.abs(values)))) / base_spot
    up, down = slope > 1e-6 * scale, slope < -1e-6 * scale
    pl = sampled_profit_loss(grid, values, up=up, down=down)
    return PayoffAnalysis(when, premium, roots, pl, False)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def report_json(report: Mapping[str, Any], *, indent: int | None = 2) -> str:
    """The report as strict JSON (NaN and infinities become null)."""
    return json.dumps(_clean(report), indent=indent, allow_nan=False)
