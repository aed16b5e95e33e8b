"""``hedge strategy`` and ``hedge payoff``: a strategy from a position file or a template, valued
on a snapshot, reported as a table or JSON, and drawn as P&L curves.

Usage::

    hedge strategy (--file pos.toml | --template NAME) [--underlying IWM|RUT|MRUT|SPY]
                   [--dte N | --expiry DATE] [--strikes K1,K2 | --otm 5,10 | --delta 0.30,0.15]
                   [--quantity N] [--source SRC] [--format table|json] [--save FILE]
                   [--store PATH] [--horizon DATE] [--method risk_neutral|lognormal]
                   [--dynamics sticky_strike|sticky_moneyness] [--spot SYM=PRICE ...]
    hedge payoff (--file pos.toml | --template NAME ...) --png out.png [--date DATE]
                 [--source SRC] [--store PATH] [--spot SYM=PRICE ...]

Templates (``--template``): every name of :data:`strategies.templates.TEMPLATES`; each works with
its defaults (``hedge strategy --template put-spread --underlying IWM --source demo``). The
strike lists fill the template's strike parameters in order (e.g. put-spread: long, short;
iron-condor: short put, long put, short call, long call); ``--otm`` is in percent out of the
money, ``--delta`` an absolute delta. A template's legs are entered at the fill price now (ask to
buy, bid to sell; the model where there is no quote); ``--save FILE`` writes them as a position
file (:mod:`strategies.positions`) that ``--file`` reads back.

The JSON document is :func:`strategies.report.build_report` (documented field by field in
:mod:`strategies.report`). Demo data are labelled SYNTHETIC in every output: the table header,
``"source": {"synthetic": true}`` and a warning in JSON, the PNG title.

Market data: one snapshot per option underlying (and per share symbol) from
:func:`marketdata.sources.resolve.load_snapshot`; leveraged-ETF spots (TNA, TZA) from their own
snapshot when the source has one, else ``--spot TZA=PRICE`` (with SYNTHETIC demo data only, a
nominal price, see :data:`NOMINAL_ETF_SPOTS`). The current time is read here (the CLI layer) and
nowhere below it.

Exit codes: 0 ok; 1 no market data (source empty, unreachable, rate-limited); 2 bad arguments or a
bad position file (the message names the file, the field and the line).
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from marketdata.snapshot import MarketSnapshot
    from strategies.pricing_context import PricingContext
    from strategies.strategy import Strategy

FORMATS = ("table", "json")
METHODS = ("risk_neutral", "lognormal")
DYNAMICS = ("sticky_strike", "sticky_moneyness")
UNDERLYINGS = ("IWM", "RUT", "MRUT", "SPY")
ETF_SYMBOLS = ("TNA", "TZA")
EXIT_NO_DATA = 1
EXIT_BAD_INPUT = 2
#: Nominal leveraged-ETF prices used with SYNTHETIC data only, when the demo bundle has no
#: snapshot of the fund: a fund sized in dollars has the same dollar P&L whatever its price level,
#: so this sets the share count shown, never the P&L. Live data need ``--spot TZA=PRICE``.
NOMINAL_ETF_SPOTS = {"TZA": 10.0, "TNA": 40.0}


class CliFailure(Exception):
    """A failure to report on stderr with an exit code (1 no data, 2 bad input)."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Loaded:
    """The strategy and its market: context, snapshots by symbol, the source line(s)."""

    strategy: Strategy
    ctx: PricingContext
    snapshots: dict[str, MarketSnapshot]
    descriptions: tuple[str, ...]
    source: str

    @property
    def synthetic(self) -> bool:
        """True if any snapshot holds generated data."""
        return any(s.synthetic for s in self.snapshots.values())


def now_new_york() -> datetime:
    """The current time in New York: the only clock read of the strategy verbs."""
    from pricing.types import NEW_YORK

    return datetime.now(tz=NEW_YORK)


def parse_date(text: str | None, option: str) -> date | None:
    """An ISO date from an option value, or :class:`CliFailure` naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliFailure(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def parse_numbers(text: str | None, option: str) -> list[float]:
    """Comma-separated finite numbers (``"5,10"``), or :class:`CliFailure`."""
    if text is None:
        return []
    out: list[float] = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise CliFailure(f"{option}: {part.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise CliFailure(f"{option}: {part.strip()!r} must be finite")
        out.append(value)
    if not out:
        raise CliFailure(f"{option}: give at least one number")
    return out


def parse_spots(items: Sequence[str] | None) -> dict[str, float]:
    """``["TZA=10.5", ...]`` -> ``{"TZA": 10.5}``."""
    out: dict[str, float] = {}
    for item in items or ():
        sym, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not sym.strip() or not math.isfinite(number) or number <= 0.0:
            raise CliFailure(f"--spot: {item!r} must be SYMBOL=PRICE with a price > 0")
        out[sym.strip().upper()] = number
    return out


# --------------------------------------------------------------------------------------------
# Templates: mapping the CLI options onto a template's parameters
# --------------------------------------------------------------------------------------------


def strike_parameters(build: Any) -> list[str]:
    """The names of a template's strike parameters, in signature order."""
    names = []
    for name, param in inspect.signature(build).parameters.items():
        annotation = str(param.annotation)
        if "StrikeSpec" in annotation:
            names.append(name)
    return names


def template_params(
    name: str,
    *,
    underlying: str | None,
    dte: int | None,
    expiry: date | None,
    strikes: list[float],
    otm: list[float],
    deltas: list[float],
    quantity: int | None,
) -> dict[str, Any]:
    """Keyword arguments for ``TEMPLATES[name]`` from the CLI options (see the module docstring)."""
    from strategies.templates import TEMPLATES, AtDelta, AtStrike, PctOTM

    template = TEMPLATES.get(name)
    if template is None:
        raise CliFailure(f"--template: unknown {name!r}; choose from {', '.join(sorted(TEMPLATES))}")
    accepted = set(inspect.signature(template.build).parameters)
    params: dict[str, Any] = {}
    given = [(strikes, "--strikes"), (otm, "--otm"), (deltas, "--delta")]
    chosen = [(values, opt) for values, opt in given if values]
    if len(chosen) > 1:
        raise CliFailure("give only one of --strikes, --otm, --delta")
    if chosen:
        values, opt = chosen[0]
        slots = strike_parameters(template.build)
        if not slots:
            raise CliFailure(f"{opt}: template {name!r} has no strikes")
        if len(values) > len(slots):
            raise CliFailure(f"{opt}: template {name!r} takes at most {len(slots)} ({', '.join(slots)})")
        for slot, value in zip(slots, values, strict=False):
            if opt == "--strikes":
                params[slot] = AtStrike(value)
            elif opt == "--otm":
                params[slot] = PctOTM(value / 100.0)
            else:
                params[slot] = AtDelta(abs(value))
    if dte is not None and expiry is not None:
        raise CliFailure("give --dte or --expiry, not both")
    timing: list[tuple[object, tuple[str, str], str]] = [
        (dte, ("dte", "near_dte"), "--dte"),
        (expiry, ("expiry", "near_expiry"), "--expiry"),
    ]
    for when, keys, opt in timing:
        if when is None:
            continue
        key = next((k for k in keys if k in accepted), None)
        if key is None:
            raise CliFailure(f"{opt}: template {name!r} has no expiry")
        params[key] = when
    if quantity is not None:
        if "quantity" not in accepted:
            raise CliFailure(f"--quantity: template {name!r} is not sized in contracts")
        params["quantity"] = quantity
    if underlying is not None:
        sym = underlying.upper()
        if "underlying" in accepted:
            params["underlying"] = sym
        elif "long_symbol" in accepted:
            params["long_symbol"] = sym
        elif "benchmark" in accepted:
            params["benchmark"] = sym
    return params


def template_symbols(name: str, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``(snapshot symbols, ETF spots)`` a template needs."""
    if name == "pair":
        return [params.get("long_symbol", "IWM"), params.get("short_symbol", "SPY")], []
    if name == "tza-hedge":
        return [params.get("benchmark", "IWM")], ["TZA"]
    return [params.get("underlying", "IWM")], []


# --------------------------------------------------------------------------------------------
# Loading the strategy and its market
# --------------------------------------------------------------------------------------------


def _load_snapshot(symbol: str, source: str, now: datetime, store: Path | None) -> tuple[MarketSnapshot, str]:
    from marketdata.errors import MarketDataError
    from marketdata.sources.resolve import load_snapshot
    from pricing.errors import InputError

    try:
        resolved = load_snapshot(symbol, source, now=now, store_path=store)
    except MarketDataError as exc:
        raise CliFailure(f"no {symbol} data from {source!r}: {exc}", EXIT_NO_DATA) from None
    except InputError as exc:
        raise CliFailure(f"--source: {exc}") from None
    return resolved.snapshot, resolved.description


def _market(
    symbols: Iterable[str],
    etfs: Iterable[str],
    *,
    source: str,
    store: Path | None,
    now: datetime,
    spots: dict[str, float],
    dynamics: str,
) -> tuple[PricingContext, dict[str, MarketSnapshot], list[str]]:
    from strategies.pricing_context import PricingContext

    snapshots: dict[str, MarketSnapshot] = {}
    lines: list[str] = []
    for sym in dict.fromkeys(s.upper() for s in symbols):
        if sym in spots:
            continue
        snap, line = _load_snapshot(sym, source, now, store)
        snapshots[sym] = snap
        lines.append(f"{sym}: {line}")
    if not snapshots:
        raise CliFailure("the strategy needs at least one underlying with option data (IWM, RUT, SPY...)")
    extra = dict(spots)
    for etf in dict.fromkeys(e.upper() for e in etfs):
        if etf in extra:
            continue
        try:
            snap, line = _load_snapshot(etf, source, now, store)
        except CliFailure as exc:
            synthetic = all(s.synthetic for s in snapshots.values())
            if synthetic and etf in NOMINAL_ETF_SPOTS:
                extra[etf] = NOMINAL_ETF_SPOTS[etf]
                lines.append(
                    f"{etf}: SYNTHETIC nominal price {NOMINAL_ETF_SPOTS[etf]:g} (not in the demo "
                    "bundle; dollar P&L does not depend on it)"
                )
                continue
            raise CliFailure(f"{exc}; give its price with --spot {etf}=PRICE", exc.code) from None
        extra[etf] = snap.spot
        lines.append(f"{etf}: {line}")
    try:
        vols: dict[str, Any] = {}
        yields: dict[str, float] = {}
        for sym, snap in snapshots.items():
            vols[sym], yields[sym] = analysed(snap)
        ctx = PricingContext.from_snapshot(
            *snapshots.values(), vol=vols, div_yields=yields, extra_spots=extra, vol_dynamics=dynamics
        )
    except Exception as exc:  # the surface fit can fail on a thin chain: say so
        raise CliFailure(f"cannot build the market from the snapshots: {exc}", EXIT_NO_DATA) from None
    return ctx, snapshots, lines


def analysed(snapshot: MarketSnapshot) -> tuple[Any, float]:
    """``(vol surface, parity-implied yield)`` of a snapshot
    (:func:`strategies.pricing_context.analyse_snapshot`; the chain analysis behind it is
    memoised per process by :func:`marketdata.analysis.analyze_chain_cached`)."""
    from strategies.pricing_context import analyse_snapshot

    return analyse_snapshot(snapshot)


def file_symbols(position: Any) -> tuple[list[str], list[str]]:
    """``(snapshot symbols, ETF spot symbols)`` for a position file's legs."""
    from strategies.positions import LeveragedEtfLegSpec, OptionLegSpec, SharesLegSpec

    symbols: list[str] = []
    etfs: list[str] = []
    for spec in position.legs:
        if isinstance(spec, OptionLegSpec):
            symbols.append(spec.underlying)
        elif isinstance(spec, SharesLegSpec):
            symbols.append(spec.symbol)
        elif isinstance(spec, LeveragedEtfLegSpec):
            etfs.append(spec.symbol)
    if not symbols and etfs:
        symbols.append(position.underlying or "IWM")  # the index's vol drives the ETF's decay
    return symbols, etfs


def load_strategy(
    *,
    file: Path | None,
    template: str | None,
    underlying: str | None,
    dte: int | None,
    expiry: str | None,
    strikes: str | None,
    otm: str | None,
    delta: str | None,
    quantity: int | None,
    source: str,
    store: Path | None,
    spots: Sequence[str] | None,
    dynamics: str,
    now: datetime,
) -> Loaded:
    """The strategy (from ``file`` or ``template``) and its market (see the module docstring)."""
    from pricing.errors import InputError
    from strategies.positions import PositionFileError, load_position_file, position_legs
    from strategies.strategy import Strategy
    from strategies.templates import TEMPLATES

    if (file is None) == (template is None):
        raise CliFailure("give exactly one of --file or --template")
    if dynamics not in DYNAMICS:
        raise CliFailure(f"--dynamics: {dynamics!r} must be one of {', '.join(DYNAMICS)}")
    if underlying is not None and underlying.upper() not in UNDERLYINGS:
        raise CliFailure(f"--underlying: {underlying!r} must be one of {', '.join(UNDERLYINGS)}")
    if quantity is not None and quantity < 1:
        raise CliFailure(f"--quantity: {quantity} must be a positive number of contracts")
    if dte is not None and dte < 1:
        raise CliFailure(f"--dte: {dte} must be >= 1 day")
    extra_spots = parse_spots(spots)
    if file is not None:
        if template is not None or any(v is not None for v in (strikes, otm, delta, dte, expiry, quantity)):
            raise CliFailure("--file takes no template options (--strikes, --otm, --delta, --dte, --expiry, --quantity)")
        try:
            position = load_position_file(file)
        except PositionFileError as exc:
            raise CliFailure(f"bad position file:\n{exc}") from None
        symbols, etfs = file_symbols(position)
        ctx, snaps, lines = _market(
            symbols, etfs, source=source, store=store, now=now, spots=extra_spots, dynamics=dynamics
        )
        try:
            strategy = Strategy(position.name, tuple(position_legs(position)))
        except InputError as exc:
            raise CliFailure(f"{file}: {exc}") from None
        return Loaded(strategy, ctx, snaps, tuple(lines), source)
    assert template is not None
    name = template.strip().lower()
    if name not in TEMPLATES:
        raise CliFailure(f"--template: unknown {template!r}; choose from {', '.join(sorted(TEMPLATES))}")
    params = template_params(
        name, underlying=underlying, dte=dte, expiry=parse_date(expiry, "--expiry"),
        strikes=parse_numbers(strikes, "--strikes"), otm=parse_numbers(otm, "--otm"),
        deltas=parse_numbers(delta, "--delta"), quantity=quantity,
    )
    symbols, etfs = template_symbols(name, params)
    ctx, snaps, lines = _market(
        symbols, etfs, source=source, store=store, now=now, spots=extra_spots, dynamics=dynamics
    )
    main = snaps.get(symbols[0].upper())
    if main is not None and "chain" in inspect.signature(TEMPLATES[name].build).parameters:
        params["chain"] = main.chain
    try:
        built = TEMPLATES[name](ctx, **params)
        strategy = built.with_entry_prices(ctx, "fill")
    except InputError as exc:
        raise CliFailure(f"--template {name}: {exc}") from None
    return Loaded(strategy, ctx, snaps, tuple(lines), source)


def source_info(loaded: Loaded) -> Any:
    """The report's :class:`strategies.report.SourceInfo` for the loaded snapshots."""
    from strategies.report import SourceInfo

    first = next(iter(loaded.snapshots.values()))
    names = sorted({s.source for s in loaded.snapshots.values()})
    description = "; ".join(loaded.descriptions)
    if loaded.synthetic and "SYNTHETIC" not in description:
        description = f"SYNTHETIC {description}"
    return SourceInfo(",".join(names), description, loaded.synthetic, first.as_of)


def _horizon(text: str | None, option: str) -> datetime | None:
    from pricing.types import NEW_YORK

    day = parse_date(text, option)
    return None if day is None else datetime.combine(day, time(16, 0), tzinfo=NEW_YORK)


def run_strategy(
    *,
    file: Path | None = None,
    template: str | None = None,
    underlying: str | None = None,
    dte: int | None = None,
    expiry: str | None = None,
    strikes: str | None = None,
    otm: str | None = None,
    delta: str | None = None,
    quantity: int | None = None,
    source: str = "auto",
    fmt: str = "table",
    save: Path | None = None,
    store: Path | None = None,
    horizon: str | None = None,
    method: str = "risk_neutral",
    dynamics: str = "sticky_strike",
    spots: Sequence[str] | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], Loaded]:
    """Load, value and report a strategy; save it as a position file when ``save`` is given.
    Returns the report (see :mod:`strategies.report`) and what was loaded."""
    from pricing.errors import InputError
    from strategies.positions import PositionFileError, position_from_legs, save_position_file
    from strategies.report import ReportOptions, build_report
    from strategies.scenarios import reference_symbol

    if fmt not in FORMATS:
        raise CliFailure(f"--format: {fmt!r} must be one of {', '.join(FORMATS)}")
    if method not in METHODS:
        raise CliFailure(f"--method: {method!r} must be one of {', '.join(METHODS)}")
    when = _horizon(horizon, "--horizon")
    loaded = load_strategy(
        file=file, template=template, underlying=underlying, dte=dte, expiry=expiry,
        strikes=strikes, otm=otm, delta=delta, quantity=quantity, source=source, store=store,
        spots=spots, dynamics=dynamics, now=now or now_new_york(),
    )
    if when is not None and when <= loaded.ctx.as_of:
        raise CliFailure(f"--horizon: {horizon} is not after the data's time {loaded.ctx.as_of:%Y-%m-%d %H:%M}")
    try:
        report = build_report(
            loaded.strategy, loaded.ctx, source=source_info(loaded),
            options=ReportOptions(horizon=when, method=method),
        )
    except InputError as exc:
        raise CliFailure(str(exc)) from None
    if save is not None:
        try:
            position = position_from_legs(
                loaded.strategy.name, loaded.strategy.flat_legs(),
                underlying=reference_symbol(loaded.strategy),
                notes=f"saved by hedge strategy from {source_info(loaded).description}",
            )
            save_position_file(save, position)
        except PositionFileError as exc:
            raise CliFailure(f"--save: {exc}") from None
    return report, loaded


# --------------------------------------------------------------------------------------------
# Payoff chart
# --------------------------------------------------------------------------------------------


def draw_payoff(
    loaded: Loaded,
    png: Path,
    *,
    when: datetime | None = None,
    n_points: int = 241,
) -> dict[str, Any]:
    """Draw the P&L (dollars) against the reference spot: at expiry (the first expiry), today and
    on ``when`` (default halfway to the first expiry), with breakevens, today's spot and the
    scenario markers; write a PNG with matplotlib (Agg backend, imported here). Returns what was
    drawn (curves' dates, breakevens, scenario points)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from strategies.calibration import HOUSE_BETAS
    from strategies.payoff import analyze, first_expiry_datetime, pnl_curve
    from strategies.probability import betas_mapping
    from strategies.scenarios import HOUSE_VIEW, reference_symbol, run_scenarios, stress_scenarios

    strategy, ctx = loaded.strategy, loaded.ctx.base()
    ref = reference_symbol(strategy)
    spot = ctx.spot(ref)
    premium = strategy.net_premium(ctx)
    first = first_expiry_datetime(strategy)
    end = first or ctx.as_of + timedelta(days=30)
    chosen = when or ctx.as_of + (end - ctx.as_of) / 2
    if chosen < ctx.as_of:
        raise CliFailure(f"--date: {chosen:%Y-%m-%d} is before the data's time {ctx.as_of:%Y-%m-%d}")
    analysis = analyze(strategy, ctx, premium=premium, axis=ref)
    house = run_scenarios(strategy, ctx, HOUSE_VIEW)
    stress = run_scenarios(strategy, ctx, list(stress_scenarios()))
    points = [(r.scenario.name, r.spot, r.pnl) for r in (*house.results, *stress.results)]
    lo = min([spot * 0.7, *[p[1] for p in points], *[b * 0.97 for b in analysis.breakevens]])
    hi = max([spot * 1.3, *[p[1] for p in points], *[b * 1.03 for b in analysis.breakevens]])
    kinks = [k for k in kink_points_safe(strategy, ref) if lo < k < hi]
    grid = np.union1d(np.linspace(max(lo, 1e-6), hi, n_points), np.asarray(kinks, dtype=float))
    table = betas_mapping(HOUSE_BETAS)

    curves: list[tuple[str, datetime, str]] = []
    if first is not None:
        curves.append((f"expiry {first:%Y-%m-%d}", first, "-"))
    curves.append((f"today {ctx.as_of:%Y-%m-%d}", ctx.as_of, "--"))
    curves.append((f"{chosen:%Y-%m-%d}", chosen, ":"))
    fig, ax = plt.subplots(figsize=(10, 6), dpi=100)
    try:
        for label, at, style in curves:
            values = pnl_curve(strategy, ctx, grid, at=at, premium=premium, axis=ref, betas=table)
            ax.plot(grid, values, style, linewidth=2.0 if style == "-" else 1.4, label=label)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.axvline(spot, color="tab:gray", linestyle="-.", linewidth=1.0, label=f"spot {spot:,.2f}")
        for i, b in enumerate(analysis.breakevens):
            ax.axvline(b, color="tab:red", linestyle=":", linewidth=1.0,
                       label="breakeven" + ("s" if len(analysis.breakevens) > 1 else "") if i == 0 else None)
            ax.annotate(f"{b:,.2f}", (b, 0.0), textcoords="offset points", xytext=(3, 6), fontsize=8, color="tab:red")
        xs = [p[1] for p in points]
        ys = [p[2] for p in points]
        ax.scatter(xs, ys, marker="o", color="tab:purple", zorder=5, label="scenarios")
        placed: list[tuple[float, float]] = []
        span_x, span_y = hi - lo, max(1.0, max(ys) - min(ys))
        for name, x, y in points:
            near = sum(1 for px, py in placed if abs(px - x) < 0.01 * span_x and abs(py - y) < 0.03 * span_y)
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4 - 11 * near), fontsize=8)
            placed.append((x, y))
        title = f"{strategy.name}: P&L ($) vs {ref}"
        if loaded.synthetic:
            title += "  [SYNTHETIC DATA]"
        ax.set_title(title, color="red" if loaded.synthetic else "black")
        ax.set_xlabel(f"{ref} price")
        ax.set_ylabel("P&L ($)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        png.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(png, format="png")
    finally:
        plt.close(fig)
    return {
        "png": str(png),
        "curves": [label for label, _, _ in curves],
        "breakevens": list(analysis.breakevens),
        "scenarios": [{"name": n, "spot": x, "pnl": y} for n, x, y in points],
        "synthetic": loaded.synthetic,
    }


def kink_points_safe(strategy: Strategy, axis: str) -> list[float]:
    """The strikes in ``axis`` price units (empty when a leg cannot be put on that axis)."""
    from pricing.errors import InputError
    from strategies.payoff import kink_points

    try:
        return list(kink_points(strategy, axis=axis))
    except InputError:
        return []


# --------------------------------------------------------------------------------------------
# Typer verbs
# --------------------------------------------------------------------------------------------


def _fail(exc: CliFailure) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(exc.code)


def register(app: typer.Typer) -> None:
    """Add ``strategy`` and ``payoff`` to ``app``."""

    @app.command("strategy")
    def strategy_cmd(
        file: Annotated[Path | None, typer.Option("--file", help="Position file (TOML).")] = None,
        template: Annotated[str | None, typer.Option("--template", "-t", help="Template name, e.g. put-spread.")] = None,
        underlying: Annotated[str | None, typer.Option("--underlying", "-u", help="IWM, RUT, MRUT or SPY.")] = None,
        dte: Annotated[int | None, typer.Option("--dte", help="Days to expiry (nearest listed).")] = None,
        expiry: Annotated[str | None, typer.Option("--expiry", help="Expiry YYYY-MM-DD (nearest listed).")] = None,
        strikes: Annotated[str | None, typer.Option("--strikes", help="Strikes K1,K2,...")] = None,
        otm: Annotated[str | None, typer.Option("--otm", help="Percent out of the money: 5,10.")] = None,
        delta: Annotated[str | None, typer.Option("--delta", help="Absolute deltas: 0.30,0.15.")] = None,
        quantity: Annotated[int | None, typer.Option("--quantity", "-q", help="Contracts.")] = None,
        source: Annotated[str, typer.Option("--source", help="demo, yahoo, auto, store or a CSV file.")] = "auto",
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        save: Annotated[Path | None, typer.Option("--save", help="Write the legs to this position file.")] = None,
        store: Annotated[Path | None, typer.Option("--store", help="Snapshot store (SQLite) path.")] = None,
        horizon: Annotated[str | None, typer.Option("--horizon", help="Probability horizon YYYY-MM-DD (default: first expiry).")] = None,
        method: Annotated[str, typer.Option("--method", help="risk_neutral or lognormal.")] = "risk_neutral",
        dynamics: Annotated[str, typer.Option("--dynamics", help="sticky_strike or sticky_moneyness.")] = "sticky_strike",
        spot: Annotated[list[str] | None, typer.Option("--spot", help="Extra spot SYMBOL=PRICE (e.g. TZA=10.5).")] = None,
    ) -> None:
        """Value a strategy (position file or template): legs, Greeks, max profit/loss, breakevens,
        PoP / expected P&L / CVaR, house-view scenarios, stop levels and assignment alerts."""
        try:
            report, _ = run_strategy(
                file=file, template=template, underlying=underlying, dte=dte, expiry=expiry,
                strikes=strikes, otm=otm, delta=delta, quantity=quantity, source=source, fmt=fmt,
                save=save, store=store, horizon=horizon, method=method, dynamics=dynamics, spots=spot,
            )
        except CliFailure as exc:
            _fail(exc)
            return
        from strategies.report import render_report, report_json

        if fmt == "json":
            sys.stdout.write(report_json(report) + "\n")
        else:
            from rich.console import Console

            render_report(report, Console(width=max(120, Console().width)))
        if save is not None:
            typer.echo(f"saved position file {save}", err=True)

    @app.command("payoff")
    def payoff_cmd(
        png: Annotated[Path, typer.Option("--png", help="Output PNG file.")],
        file: Annotated[Path | None, typer.Option("--file", help="Position file (TOML).")] = None,
        template: Annotated[str | None, typer.Option("--template", "-t", help="Template name.")] = None,
        underlying: Annotated[str | None, typer.Option("--underlying", "-u", help="IWM, RUT, MRUT or SPY.")] = None,
        when: Annotated[str | None, typer.Option("--date", help="Extra curve date YYYY-MM-DD (default: halfway to expiry).")] = None,
        source: Annotated[str, typer.Option("--source", help="demo, yahoo, auto, store or a CSV file.")] = "auto",
        store: Annotated[Path | None, typer.Option("--store", help="Snapshot store (SQLite) path.")] = None,
        spot: Annotated[list[str] | None, typer.Option("--spot", help="Extra spot SYMBOL=PRICE.")] = None,
    ) -> None:
        """Draw the P&L at expiry, today and on --date against the underlying, with breakevens,
        spot and the scenario markers, to a PNG."""
        try:
            loaded = load_strategy(
                file=file, template=template, underlying=underlying, dte=None, expiry=None,
                strikes=None, otm=None, delta=None, quantity=None, source=source, store=store,
                spots=spot, dynamics="sticky_strike", now=now_new_york(),
            )
            drawn = draw_payoff(loaded, png, when=_horizon(when, "--date"))
        except CliFailure as exc:
            _fail(exc)
            return
        label = " (SYNTHETIC data)" if drawn["synthetic"] else ""
        typer.echo(f"wrote {drawn['png']}{label}: {', '.join(drawn['curves'])}")
