"""``hedge strategy`` and ``hedge payoff``: a strategy from a position file or a template, valued
on a snapshot, reported as a table or JSON, and drawn as P&L curves.

Usage::

    hedge strategy (--file pos.toml | --template NAME) [--underlying SYMBOL]
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
nominal price, see :data:`strategies.loading.NOMINAL_ETF_SPOTS`). The current time is read here
(the CLI layer) and nowhere below it.

The verbs only parse options, call the core (:mod:`strategies.loading`,
:mod:`strategies.report`, :mod:`strategies.payoff_chart`), render (:mod:`tui.render`) and map
errors to exit codes.

Exit codes: 0 ok; 1 no market data (source empty, unreachable, rate-limited); 2 bad arguments or a
bad position file (the message names the file, the field and the line).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tui.chain_options import (
    AsOfOpt,
    DividendsOpt,
    DivYieldOpt,
    OverrideOptionError,
    RateOpt,
    chain_overrides,
    snapshot_loader,
    split_spot_items,
)

if TYPE_CHECKING:
    from strategies.loading import LoadedStrategy, LoadError

FORMATS = ("table", "json")
METHODS = ("risk_neutral", "lognormal")
EXIT_NO_DATA = 1
EXIT_BAD_INPUT = 2


# Options the strategy and payoff verbs share: one declaration each.
FileOpt = Annotated[Path | None, typer.Option("--file", help="Position file (TOML).")]
TemplateOpt = Annotated[
    str | None, typer.Option("--template", "-t", help="Template name, e.g. put-spread.")
]
UnderlyingOpt = Annotated[
    str | None,
    typer.Option(
        "--underlying",
        "-u",
        help="Any symbol: IWM, SPY, SPX, XSP, RUT, MRUT, NDX or a stock/ETF (facts: hedge --underlyings).",
    ),
]
DteOpt = Annotated[int | None, typer.Option("--dte", help="Days to expiry (nearest listed).")]
ExpiryOpt = Annotated[
    str | None,
    typer.Option(
        "--expiry",
        help="Expiry YYYY-MM-DD (exactly; nearest:YYYY-MM-DD for the nearest listed).",
    ),
]
SourceOpt = Annotated[str, typer.Option("--source", help="demo, yahoo, auto, store or a CSV file.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Snapshot store (SQLite) path.")]
SpotOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--spot",
        help="Extra spot SYMBOL=PRICE (e.g. TZA=10.5); a bare PRICE is the chain file's spot.",
    ),
]
OverrideOpt = Annotated[
    bool,
    typer.Option(
        "--override",
        help="Price --file legs that differ from the listed product (style, settlement, "
        "multiplier, expiry).",
    ),
]


class CliFailure(Exception):
    """A failure to report on stderr with an exit code (1 no data, 2 bad input; see
    :mod:`tui.errors`)."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


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


def _failure(exc: LoadError, strike_option: str = "--strikes") -> CliFailure:
    """A core :class:`~strategies.loading.LoadError` as the verb's message and exit code."""
    if exc.field is None:
        text = exc.detail
    else:
        option = (
            strike_option
            if exc.field == "strikes"
            else (exc.field if exc.field.startswith("template ") else f"--{exc.field}")
        )
        text = f"{option}: {exc.detail}"
    if exc.missing_spot is not None:
        text += f"; give its price with --spot {exc.missing_spot}=PRICE"
    return CliFailure(text, EXIT_NO_DATA if exc.no_data else EXIT_BAD_INPUT)


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
    override: bool = False,
    chain_options: dict[str, str | None] | None = None,
) -> LoadedStrategy:
    """Parse the options and load the strategy (from ``file`` or ``template``) with its market
    through :mod:`strategies.loading`. ``chain_options`` (``as_of``, ``rate``, ``dividends``,
    ``div_yield`` texts) and a bare ``--spot`` PRICE apply to a chain file
    (:mod:`tui.chain_options`)."""
    from pricing.errors import InputError
    from strategies.loading import (
        LoadError,
        TemplateRequest,
        check_dynamics,
        check_underlying,
        load_position,
        load_template,
        parse_spots,
    )
    from strategies.templates import AtDelta, AtStrike, PctOTM, StrikeSpec

    strike_option = "--strikes"
    try:
        if (file is None) == (template is None):
            raise CliFailure("give exactly one of --file or --template")
        check_dynamics(dynamics)
        if file is not None and underlying is not None:
            check_underlying(underlying)
        try:
            chain_spot, spots = split_spot_items(spots)
            overrides = chain_overrides(source, spot=chain_spot, **(chain_options or {}))
        except OverrideOptionError as exc:
            raise CliFailure(exc.message) from None
        loader = snapshot_loader(overrides)
        extra_spots = parse_spots(spots or ())
        if file is not None:
            if any(v is not None for v in (strikes, otm, delta, dte, expiry, quantity)):
                raise CliFailure(
                    "--file takes no template options (--strikes, --otm, --delta, --dte, --expiry, --quantity)"
                )
            return load_position(
                file,
                source=source,
                now=now,
                store=store,
                spots=extra_spots,
                dynamics=dynamics,
                override=override,
                loader=loader,
            )
        assert template is not None
        expiry_request = _expiry_request(expiry)
        expiry_day = expiry_request.day if expiry_request is not None else None
        given = [
            (parse_numbers(strikes, "--strikes"), "--strikes"),
            (parse_numbers(otm, "--otm"), "--otm"),
            (parse_numbers(delta, "--delta"), "--delta"),
        ]
        chosen = [(values, opt) for values, opt in given if values]
        if len(chosen) > 1:
            raise CliFailure("give only one of --strikes, --otm, --delta")
        specs: list[StrikeSpec] = []
        if chosen:
            values, strike_option = chosen[0]
            for value in values:
                try:
                    if strike_option == "--strikes":
                        specs.append(AtStrike(value))
                    elif strike_option == "--otm":
                        specs.append(PctOTM(value / 100.0))
                    else:
                        specs.append(AtDelta(abs(value)))
                except InputError:
                    raise CliFailure(
                        f"{strike_option}: {value:g} {STRIKE_RULES[strike_option]}"
                    ) from None
        if dte is not None and expiry_day is not None:
            raise CliFailure("give --dte or --expiry, not both")
        request = TemplateRequest(
            template,
            strikes=tuple(specs),
            expiry=expiry_day,
            dte=dte,
            quantity=quantity,
            underlying=underlying,
            expiry_nearest=expiry_request is not None and expiry_request.nearest,
        )
        request.params()  # option errors before any data is loaded
        return load_template(
            request,
            source=source,
            now=now,
            store=store,
            spots=extra_spots,
            dynamics=dynamics,
            loader=loader,
        )
    except LoadError as exc:
        raise _failure(exc, strike_option) from None


#: What each strike option accepts, for its error message.
STRIKE_RULES = {
    "--strikes": "must be a strike price > 0",
    "--otm": "must be a percent out of the money between -90 and 90",
    "--delta": "must be an absolute delta between 0 and 1 (0.30, not 30)",
}


def _expiry_request(text: str | None) -> Any:
    """The parsed ``--expiry`` (:class:`marketdata.expiry_choice.ExpiryRequest`: exact, or
    ``nearest:DATE``) or None."""
    from marketdata.expiry_choice import parse_expiry_request
    from pricing.errors import InputError

    if text is None:
        return None
    try:
        return parse_expiry_request(text)
    except InputError as exc:
        raise CliFailure(f"--expiry: {text}: {exc.reason}") from None


def _horizon(text: str | None, option: str) -> datetime | None:
    """The option's date at the close (:func:`marketdata.calendar.at_close`), or None."""
    from marketdata.calendar import at_close

    day = parse_date(text, option)
    return None if day is None else at_close(day, option)


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
    force: bool = False,
    store: Path | None = None,
    horizon: str | None = None,
    method: str = "risk_neutral",
    dynamics: str = "sticky_strike",
    spots: Sequence[str] | None = None,
    now: datetime | None = None,
    override: bool = False,
    chain_options: dict[str, str | None] | None = None,
) -> tuple[dict[str, Any], LoadedStrategy]:
    """Load, value and report a strategy; save it as a position file when ``save`` is given.
    Returns the report (see :mod:`strategies.report`) and what was loaded. ``chain_options``:
    see :func:`load_strategy`; the missing-dividends warning of a chain file
    (:func:`marketdata.sources.overrides.dividend_warning`) joins the report's warnings."""
    from pricing.errors import InputError
    from strategies.loading import source_info
    from strategies.positions import PositionFileError, position_from_legs, save_position_file
    from strategies.report import ReportOptions, build_report, settled_only_report
    from strategies.scenarios import reference_symbol

    if fmt not in FORMATS:
        raise CliFailure(f"--format: {fmt!r} must be one of {', '.join(FORMATS)}")
    if method not in METHODS:
        raise CliFailure(f"--method: {method!r} must be one of {', '.join(METHODS)}")
    when = _horizon(horizon, "--horizon")
    if save is not None:
        from marketdata.files import POSITION_FILE, check_output_target

        check_output_target(
            save, POSITION_FILE, force=force
        )  # refused targets fail before any work
    loaded = load_strategy(
        file=file,
        template=template,
        underlying=underlying,
        dte=dte,
        expiry=expiry,
        strikes=strikes,
        otm=otm,
        delta=delta,
        quantity=quantity,
        source=source,
        store=store,
        spots=spots,
        dynamics=dynamics,
        now=now or now_new_york(),
        override=override,
        chain_options=chain_options,
    )
    if when is not None and when <= loaded.ctx.as_of:
        raise CliFailure(
            f"--horizon: {horizon} is not after the data's time {loaded.ctx.as_of:%Y-%m-%d %H:%M}"
        )
    settlement = loaded.settlement
    try:
        if settlement is not None and settlement.live is None:
            report = settled_only_report(settlement, source=source_info(loaded))
        else:
            report = build_report(
                loaded.strategy,
                loaded.ctx,
                source=source_info(loaded),
                options=ReportOptions(horizon=when, method=method),
                settlement=settlement,
            )
    except InputError as exc:
        raise CliFailure(str(exc)) from None
    from marketdata.sources.overrides import dividend_warning

    for snap in loaded.snapshots.values():
        warning = dividend_warning(snap)
        if warning is not None and warning not in report["warnings"]:
            report["warnings"].append(warning)
    if save is not None:
        try:
            position = position_from_legs(
                loaded.strategy.name,
                loaded.strategy.flat_legs(),
                underlying=reference_symbol(loaded.strategy),
                notes=f"saved by hedge strategy from {source_info(loaded).description}",
                benchmark=loaded.strategy.benchmark,
                override=override,
            )
            save_position_file(save, position, force=force)
        except PositionFileError as exc:
            raise CliFailure(f"--save: {exc}") from None
    return report, loaded


def draw_payoff(
    loaded: LoadedStrategy, png: Path, *, when: datetime | None = None, force: bool = False
) -> dict[str, Any]:
    """Build the chart data (:func:`strategies.payoff_chart.payoff_chart`) and draw it to
    ``png`` (:func:`tui.render.draw_payoff_png`, written through :mod:`marketdata.files`;
    ``force`` replaces a file that is not one of our charts). Expired legs are settled and left
    out of the curves (the title says how many). Returns what was drawn (curves' labels,
    breakevens, scenario points)."""
    from pricing.errors import InputError
    from strategies.payoff_chart import payoff_chart
    from tui.render import draw_payoff_png

    ctx = loaded.ctx.base()
    settled = loaded.settlement.settled if loaded.settlement is not None else ()
    if loaded.settlement is not None and loaded.settlement.live is None:
        raise CliFailure(
            "every leg has expired (settled): there is no payoff left to draw; see hedge strategy"
        )
    try:
        chart = payoff_chart(loaded.strategy, ctx, when=when)
    except InputError as exc:
        if exc.field != "date":
            raise
        raise CliFailure(f"--date: {exc.value:%Y-%m-%d} {exc.reason}") from None
    note = (
        f"{len(settled)} expired leg{'s' if len(settled) > 1 else ''} settled, not shown"
        if settled
        else ""
    )
    draw_payoff_png(chart, png, synthetic=loaded.synthetic, force=force, note=note)
    return {
        "png": str(png),
        "curves": [c.label for c in chart.curves],
        "breakevens": list(chart.breakevens),
        "scenarios": [{"name": p.name, "spot": p.spot, "pnl": p.pnl} for p in chart.scenarios],
        "synthetic": loaded.synthetic,
    }


# --------------------------------------------------------------------------------------------
# Typer verbs
# --------------------------------------------------------------------------------------------


def _fail(exc: CliFailure) -> None:
    from tui.errors import fail

    fail(str(exc), exc.code)


def register(app: typer.Typer) -> None:
    """Add ``strategy`` and ``payoff`` to ``app``."""

    @app.command("strategy")
    def strategy_cmd(
        file: FileOpt = None,
        template: TemplateOpt = None,
        underlying: UnderlyingOpt = None,
        dte: DteOpt = None,
        expiry: ExpiryOpt = None,
        strikes: Annotated[str | None, typer.Option("--strikes", help="Strikes K1,K2,...")] = None,
        otm: Annotated[
            str | None, typer.Option("--otm", help="Percent out of the money: 5,10.")
        ] = None,
        delta: Annotated[
            str | None, typer.Option("--delta", help="Absolute deltas: 0.30,0.15.")
        ] = None,
        quantity: Annotated[int | None, typer.Option("--quantity", "-q", help="Contracts.")] = None,
        source: SourceOpt = "auto",
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        save: Annotated[
            Path | None, typer.Option("--save", help="Write the legs to this position file.")
        ] = None,
        force: Annotated[
            bool,
            typer.Option("--force", help="Let --save replace a file that is not a position file."),
        ] = False,
        override: OverrideOpt = False,
        store: StoreOpt = None,
        horizon: Annotated[
            str | None,
            typer.Option(
                "--horizon", help="Probability horizon YYYY-MM-DD (default: first expiry)."
            ),
        ] = None,
        method: Annotated[
            str, typer.Option("--method", help="risk_neutral or lognormal.")
        ] = "risk_neutral",
        dynamics: Annotated[
            str, typer.Option("--dynamics", help="sticky_strike or sticky_moneyness.")
        ] = "sticky_strike",
        spot: SpotOpt = None,
        as_of: AsOfOpt = None,
        rate: RateOpt = None,
        dividends: DividendsOpt = None,
        div_yield: DivYieldOpt = None,
    ) -> None:
        """Value a strategy (position file or template): legs, Greeks, max profit/loss, breakevens,
        PoP / expected P&L / CVaR, house-view scenarios, stop levels and assignment alerts."""
        try:
            report, _ = run_strategy(
                file=file,
                template=template,
                underlying=underlying,
                dte=dte,
                expiry=expiry,
                strikes=strikes,
                otm=otm,
                delta=delta,
                quantity=quantity,
                source=source,
                fmt=fmt,
                save=save,
                force=force,
                store=store,
                horizon=horizon,
                override=override,
                method=method,
                dynamics=dynamics,
                spots=spot,
                chain_options={
                    "as_of": as_of,
                    "rate": rate,
                    "dividends": dividends,
                    "div_yield": div_yield,
                },
            )
        except CliFailure as exc:
            _fail(exc)
            return
        from strategies.report import report_json
        from tui.render import render_report

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
        file: FileOpt = None,
        template: TemplateOpt = None,
        underlying: UnderlyingOpt = None,
        dte: DteOpt = None,
        expiry: ExpiryOpt = None,
        when: Annotated[
            str | None,
            typer.Option(
                "--date", help="Extra curve date YYYY-MM-DD (default: halfway to expiry)."
            ),
        ] = None,
        source: SourceOpt = "auto",
        store: StoreOpt = None,
        spot: SpotOpt = None,
        force: Annotated[
            bool,
            typer.Option("--force", help="Let --png replace a file that is not one of our charts."),
        ] = False,
        override: OverrideOpt = False,
        as_of: AsOfOpt = None,
        rate: RateOpt = None,
        dividends: DividendsOpt = None,
        div_yield: DivYieldOpt = None,
    ) -> None:
        """Draw the P&L at expiry, today and on --date against the underlying, with breakevens,
        spot and the scenario markers, to a PNG."""
        import os

        from marketdata.files import PNG_CHART, check_output_target
        from marketdata.paths import cache_dir

        check_output_target(png, PNG_CHART, force=force)  # refused targets fail before any work
        # matplotlib's font cache and config beside the store, not in $HOME (unless the user set it)
        os.environ.setdefault("MPLCONFIGDIR", str(cache_dir(store) / "matplotlib"))
        try:
            loaded = load_strategy(
                file=file,
                template=template,
                underlying=underlying,
                dte=dte,
                expiry=expiry,
                strikes=None,
                otm=None,
                delta=None,
                quantity=None,
                source=source,
                store=store,
                spots=spot,
                dynamics="sticky_strike",
                now=now_new_york(),
                override=override,
                chain_options={
                    "as_of": as_of,
                    "rate": rate,
                    "dividends": dividends,
                    "div_yield": div_yield,
                },
            )
            drawn = draw_payoff(loaded, png, when=_horizon(when, "--date"), force=force)
        except CliFailure as exc:
            _fail(exc)
            return
        label = " (SYNTHETIC data)" if drawn["synthetic"] else ""
        typer.echo(f"wrote {drawn['png']}{label}: {', '.join(drawn['curves'])}")
