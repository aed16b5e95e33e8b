"""``hedge size``: how many of which structure cover a small-cap book, and at what cost.

Usage::

    hedge size --book-value 2000000 --beta 1.25 [--benchmark IWM|RUT|MRUT|SPY]
               [--holdings book.csv [--history prices.csv] [--window 252]]
               --protect 5%..15% [--step 1%] --cover 80% --horizon 60d --budget 1.5%
               --structures put,put-spread,rut-put-spread,collar,tza
               [--min-dte N] [--max-dte N] [--max-hedge-ratio 1.5] [--excess] [--exact]
               [--source SRC] [--store PATH] [--spot TZA=PRICE] [--top N]
               [--format table|json|csv] [--save FILE] [--pick N] [--schema]
               [--paths N [--path-history prices.csv]]

Percentages take ``%`` or decimals (``80%`` = ``0.8``); ``--budget`` is a percent of the book
value (``1.5%``) or dollars (``30000``); ``--horizon`` is days (``60d`` or ``60``); ``--cover
none`` asks for the most protection within the budget. ``--holdings`` reads a CSV with
``ticker`` and ``shares`` or ``value`` (and optionally ``beta``); missing betas are estimated by
OLS of daily returns on the benchmark from ``--history`` (``date`` + one close column per
ticker) over the last ``--window`` returns, and the output states the method and dates.

The search, sizing and definitions are :func:`strategies.sizing.search.size_hedge` (see that
module); the JSON document is :func:`strategies.sizing.report.result_document`, validated by
:class:`tui.commands.size_schema.SizeDocument` (``--schema`` prints its JSON Schema). ``--save``
writes the candidate ranked ``--pick`` (default 1; ``mix`` for the integer mix) as a position
file that ``hedge strategy --file`` opens. ``--paths N`` adds the TZA hedge against the best put
spread of the same cost on N index paths (bootstrapped from ``--path-history`` when given, else
Gaussian at the surface's vol): the distribution of the hedged book's P&L at the horizon. Long
searches show a progress bar on stderr.

Exit codes: 0 ok; 1 no market data; 2 bad input (the message names the option or field and the
value).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tui.chain_options import AsOfOpt, DividendsOpt, DivYieldOpt, RateOpt
from tui.commands.strategy_cmds import CliFailure, now_new_york

EXIT_NO_DATA = 1
EXIT_BAD_INPUT = 2
FORMATS = ("table", "json", "csv")
_RANGE = re.compile(r"^\s*([^.]+?)\s*(?:\.\.|:|,)\s*(.+?)\s*$")


def parse_share(text: str, option: str) -> float:
    """``"80%"`` -> 0.8, ``"0.8"`` -> 0.8; CliFailure naming the option otherwise."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise CliFailure(
            f"{option}: {text!r} is not a percentage (80%) or a decimal (0.8)"
        ) from None
    if not math.isfinite(value):
        raise CliFailure(f"{option}: {text!r} must be finite")
    return value


def parse_band(text: str) -> tuple[float, float]:
    """``"5%..15%"`` -> (0.05, 0.15); a single value is a one-point band."""
    m = _RANGE.match(text)
    if m is None:
        value = parse_share(text, "--protect")
        return value, value
    lo, hi = parse_share(m.group(1), "--protect"), parse_share(m.group(2), "--protect")
    if not (0.0 < lo <= hi < 1.0):
        raise CliFailure(f"--protect: {text!r} must be two drawdowns 0 < low <= high < 100%")
    return lo, hi


def parse_days(text: str, option: str) -> float:
    """``"60d"`` or ``"60"`` -> 60.0 days."""
    raw = text.strip().lower().removesuffix("days").removesuffix("d").strip()
    try:
        value = float(raw)
    except ValueError:
        raise CliFailure(f"{option}: {text!r} is not a number of days (60d)") from None
    if not math.isfinite(value) or value <= 0.0:
        raise CliFailure(f"{option}: {text!r} must be > 0 days")
    return value


def parse_budget(text: str | None, book_value: float) -> float | None:
    """``"1.5%"`` of the book value, or dollars (``"30000"``); None when not given."""
    if text is None:
        return None
    raw = text.strip().replace(",", "").replace("$", "")
    if raw.endswith("%"):
        share = parse_share(raw, "--budget")
        value = share * book_value
    else:
        try:
            value = float(raw)
        except ValueError:
            raise CliFailure(
                f"--budget: {text!r} is not dollars (30000) or a percent of the book (1.5%)"
            ) from None
    if not math.isfinite(value) or value <= 0.0:
        raise CliFailure(f"--budget: {text!r} must be > 0")
    return value


def build_book(
    *,
    book_value: float | None,
    beta: float | None,
    benchmark: str,
    holdings: Path | None,
    history: Path | None,
    window: int,
) -> Any:
    """The :class:`strategies.sizing.book.Book` from the options (value and beta, or holdings)."""
    from pricing.errors import InputError
    from strategies.sizing.book import (
        Book,
        book_from_holdings,
        load_holdings_csv,
        load_price_history,
    )

    try:
        if holdings is not None:
            if book_value is not None or beta is not None:
                raise CliFailure("give --holdings or --book-value/--beta, not both")
            rows = load_holdings_csv(holdings)
            hist = load_price_history(history) if history is not None else None
            return book_from_holdings(rows, benchmark=benchmark, history=hist, window_days=window)
        if book_value is None or beta is None:
            raise CliFailure("give --book-value and --beta (or --holdings FILE)")
        return Book(book_value, beta, benchmark)
    except InputError as exc:
        raise CliFailure(f"book: {exc}") from None


def run_size(
    *,
    book_value: float | None = None,
    beta: float | None = None,
    benchmark: str = "IWM",
    holdings: Path | None = None,
    history: Path | None = None,
    window: int = 252,
    protect: str = "5%..15%",
    step: str = "1%",
    cover: str = "80%",
    horizon: str = "60d",
    budget: str | None = None,
    structures: str = "put,put-spread,rut-put-spread,collar,tza",
    min_dte: int | None = None,
    max_dte: int | None = None,
    max_hedge_ratio: float = 1.5,
    excess: bool = False,
    exact: bool = False,
    source: str = "auto",
    store: Path | None = None,
    spots: list[str] | None = None,
    top: int = 10,
    progress: Any = None,
    now: Any = None,
    chain_options: dict[str, str | None] | None = None,
) -> Any:
    """Parse the options, load the market, run :func:`strategies.sizing.search.size_hedge`;
    returns the :class:`SizingResult` (CliFailure with an exit code on failure).
    ``chain_options`` (``as_of``, ``rate``, ``dividends``, ``div_yield`` texts) and a bare
    ``--spot`` PRICE apply to a chain file (:mod:`tui.chain_options`)."""
    from tui.chain_options import (
        OverrideOptionError,
        chain_overrides,
        snapshot_loader,
        split_spot_items,
    )

    try:
        chain_spot, spots = split_spot_items(spots)
        overrides = chain_overrides(source, spot=chain_spot, **(chain_options or {}))
    except OverrideOptionError as exc:
        raise CliFailure(exc.message) from None
    from marketdata.errors import MarketDataError
    from pricing.errors import InputError
    from strategies.sizing.market import load_sizing_market
    from strategies.sizing.search import SizingRequest, size_hedge

    book = build_book(
        book_value=book_value,
        beta=beta,
        benchmark=benchmark,
        holdings=holdings,
        history=history,
        window=window,
    )
    band = parse_band(protect)
    cover_value = (
        None if cover.strip().lower() in ("none", "max", "") else parse_share(cover, "--cover")
    )
    names = tuple(s.strip() for s in structures.split(",") if s.strip())
    try:
        request = SizingRequest(
            band=band,
            band_step=parse_share(step, "--step"),
            cover=cover_value,
            horizon_days=parse_days(horizon, "--horizon"),
            budget=parse_budget(budget, book.value),
            structures=names,
            min_dte=min_dte,
            max_dte=max_dte,
            max_hedge_ratio=max_hedge_ratio,
            loss_basis="excess" if excess else "full",
            vol_nodes=None if exact else 4,
            top=top,
        )
    except InputError as exc:
        raise CliFailure(f"--{_option_of(exc.field)}: {exc}") from None
    try:
        market = load_sizing_market(
            request.structures,
            source=source,
            now=now or now_new_york(),
            store_path=store,
            etf_spots=_spots(spots),
            loader=snapshot_loader(overrides),
        )
    except MarketDataError as exc:
        raise CliFailure(f"no market data from {source!r}: {exc}", EXIT_NO_DATA) from None
    except InputError as exc:
        raise CliFailure(f"--source: {exc}") from None
    _MARKETS[:] = [market]
    try:
        return size_hedge(market, book, request, progress=progress)
    except InputError as exc:
        raise CliFailure(f"--{_option_of(exc.field)}: {exc}") from None


def _spots(items: list[str] | None) -> dict[str, float]:
    """``--spot SYMBOL=PRICE`` items (:func:`strategies.loading.parse_spots`)."""
    from strategies.loading import LoadError, parse_spots

    try:
        return parse_spots(items or ())
    except LoadError as exc:
        raise CliFailure(f"--spot: {exc.detail}") from None


_FIELD_TO_OPTION = {
    "band": "protect",
    "band low": "protect",
    "band high": "protect",
    "band step": "step",
    "cover": "cover",
    "horizon": "horizon",
    "budget": "budget",
    "structures": "structures",
    "min_dte": "min-dte",
    "max_dte": "max-dte",
    "expiry window": "max-dte",
    "max_hedge_ratio": "max-hedge-ratio",
    "top": "top",
}


def _option_of(field: str) -> str:
    return _FIELD_TO_OPTION.get(field, field)


def pick_candidate(result: Any, pick: str) -> Any:
    """The candidate ranked ``pick`` (1-based) or the mix (``"mix"``)."""
    if pick.strip().lower() == "mix":
        if result.mix is None:
            raise CliFailure("--pick: mix: no integer mix was found")
        return result.mix
    try:
        rank = int(pick)
    except ValueError:
        raise CliFailure(f"--pick: {pick!r} must be a rank (1, 2...) or 'mix'") from None
    if not 1 <= rank <= len(result.ranked):
        raise CliFailure(
            f"--pick: {rank} is not between 1 and {len(result.ranked)} (ranked candidates)"
        )
    return result.ranked[rank - 1]


def _money(x: float) -> str:
    return f"{x:,.0f}"


def render_table(result: Any, console: Any) -> None:
    """Rich tables: the book and band, the ranked candidates, the best per structure, the mix,
    the frontier and the notes."""
    from rich.table import Table

    req, book = result.request, result.book
    label = "[bold red]SYNTHETIC demo data[/]" if result.synthetic else "market data"
    console.print(
        f"[bold]Hedge sizing[/] ({label}; {result.source})\n"
        f"book ${book.value:,.0f}, beta {book.beta:.3g} to {book.benchmark} "
        f"(index beta {book.index_beta:.3g}; {book.beta_method}); IWM {result.spot:,.2f} "
        f"as of {result.as_of:%Y-%m-%d %H:%M}; horizon {result.horizon:%Y-%m-%d} "
        f"({req.horizon_days:g} days)\n"
        f"band {req.band[0]:.0%}..{req.band[1]:.0%}; cover "
        f"{'max for budget' if req.cover is None else f'{req.cover:.0%}'}; budget "
        f"{'none' if req.budget is None else '$' + _money(req.budget)}; "
        f"{result.candidates_priced:,} candidates priced in {result.seconds:.2f} s"
    )
    cols = [f"{d:.0%}" for d in result.drawdowns]
    t = Table(title="ranked (meeting the target within budget by cost, then by protection)")
    for h in (
        "#",
        "hedge",
        "cost $",
        "premium $",
        "carry/day $",
        "min cover",
        "target",
        *[f"cov {c}" for c in (cols[0], cols[len(cols) // 2], cols[-1])],
        "house wtd $",
        "bear hedged $",
    ):
        t.add_column(h, justify="right" if h not in ("hedge",) else "left")
    rows = list(enumerate(result.ranked, start=1))
    if result.mix is not None:
        rows.append(("mix", result.mix))  # type: ignore[arg-type]
    for rank, c in rows:
        picks = (c.covered[0], c.covered[len(cols) // 2], c.covered[-1])
        bear = c.hedged_scenario_pnl.get("bear", math.nan)
        t.add_row(
            str(rank),
            c.name,
            _money(c.cost),
            _money(c.premium),
            f"{c.carry_per_day:,.0f}",
            f"{c.min_covered:.0%}",
            "yes" if c.meets_target and c.within_budget else "no",
            *[f"{x:.0%}" for x in picks],
            _money(c.weighted_pnl),
            _money(bear),
        )
    console.print(t)
    f = Table(title="frontier: least cost reaching each share of the loss at every band point")
    for h in ("protection", "cost $", "hedge"):
        f.add_column(h, justify="left" if h == "hedge" else "right")
    for p in result.frontier:
        f.add_row(
            f"{p.protection:.0%}",
            "-" if p.candidate is None else _money(p.cost),
            "none within the notional cap" if p.candidate is None else p.candidate.name,
        )
    console.print(f)
    b = Table(title="book loss and best of each structure: protection at each drawdown ($)")
    b.add_column("")
    for c in cols:
        b.add_column(c, justify="right")
    b.add_row("book loss", *[_money(x) for x in result.book_loss])
    for name, c in result.best_by_structure.items():
        if c is not None:
            b.add_row(f"{name} ({c.units:,})", *[_money(x) for x in c.protection])
    console.print(b)
    r = Table(title="reference sizes by simple rules")
    for h in ("rule", "instrument", "exact", "integer"):
        r.add_column(h, justify="right" if h in ("exact", "integer") else "left")
    for ref in result.reference_sizes:
        r.add_row(
            ref.rule, ref.instrument, f"{ref.exact:,.2f}", f"{ref.contracts:,} ({ref.rounding})"
        )
    console.print(r)
    for note in result.notes:
        console.print(f"[dim]- {note}[/]")


def register(app: typer.Typer) -> None:
    """Add ``size`` to ``app``."""

    @app.command("size")
    def size_cmd(
        book_value: Annotated[
            float | None, typer.Option("--book-value", help="Book value, dollars.")
        ] = None,
        beta: Annotated[
            float | None, typer.Option("--beta", help="Book beta to --benchmark.")
        ] = None,
        benchmark: Annotated[
            str, typer.Option("--benchmark", help="IWM, RUT, MRUT or SPY.")
        ] = "IWM",
        holdings: Annotated[
            Path | None,
            typer.Option("--holdings", help="Holdings CSV: ticker, shares or value, [beta]."),
        ] = None,
        history: Annotated[
            Path | None,
            typer.Option("--history", help="Price history CSV (date + closes) for betas."),
        ] = None,
        window: Annotated[
            int, typer.Option("--window", help="Daily returns in the beta window.")
        ] = 252,
        protect: Annotated[
            str, typer.Option("--protect", help="Drawdown band, e.g. 5%..15%.")
        ] = "5%..15%",
        step: Annotated[str, typer.Option("--step", help="Band step, e.g. 1%.")] = "1%",
        cover: Annotated[
            str,
            typer.Option(
                "--cover", help="Share of the loss to cover, e.g. 80% (none: max for budget)."
            ),
        ] = "80%",
        horizon: Annotated[
            str, typer.Option("--horizon", help="Horizon in days, e.g. 60d.")
        ] = "60d",
        budget: Annotated[
            str | None, typer.Option("--budget", help="1.5% of the book or dollars.")
        ] = None,
        structures: Annotated[
            str,
            typer.Option(
                "--structures",
                help="Comma list: put, put-spread, rut-put-spread, mrut-put-spread, collar, put-spread-collar, tza, short-shares.",
            ),
        ] = "put,put-spread,rut-put-spread,collar,tza",
        min_dte: Annotated[
            int | None,
            typer.Option(
                "--min-dte", help="Shortest expiry searched, days (default: the horizon)."
            ),
        ] = None,
        max_dte: Annotated[
            int | None,
            typer.Option(
                "--max-dte", help="Longest expiry searched, days (default: horizon + 120)."
            ),
        ] = None,
        max_hedge_ratio: Annotated[
            float, typer.Option("--max-hedge-ratio", help="Notional cap, x the beta-weighted book.")
        ] = 1.5,
        excess: Annotated[
            bool,
            typer.Option("--excess", help="Cover only the loss beyond the band's first drawdown."),
        ] = False,
        exact: Annotated[
            bool,
            typer.Option(
                "--exact",
                help="Screen every band point at its own vol (slower; reported candidates are exact either way).",
            ),
        ] = False,
        source: Annotated[
            str, typer.Option("--source", help="demo, yahoo, auto, store or a CSV file.")
        ] = "auto",
        store: Annotated[
            Path | None, typer.Option("--store", help="Snapshot store (SQLite) path.")
        ] = None,
        spot: Annotated[
            list[str] | None,
            typer.Option(
                "--spot",
                help="Extra spot SYMBOL=PRICE (e.g. TZA=10.5); a bare PRICE is the chain file's spot.",
            ),
        ] = None,
        as_of: AsOfOpt = None,
        rate: RateOpt = None,
        dividends: DividendsOpt = None,
        div_yield: DivYieldOpt = None,
        top: Annotated[int, typer.Option("--top", help="Candidates reported.")] = 10,
        paths: Annotated[
            int,
            typer.Option(
                "--paths",
                help="Compare the TZA hedge with a put spread of equal cost on N paths (0: off).",
            ),
        ] = 0,
        path_history: Annotated[
            Path | None,
            typer.Option(
                "--path-history", help="Bootstrap the paths from this price CSV's IWM column."
            ),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
        save: Annotated[
            Path | None, typer.Option("--save", help="Write the chosen hedge as a position file.")
        ] = None,
        pick: Annotated[
            str, typer.Option("--pick", help="Which candidate --save writes: a rank or 'mix'.")
        ] = "1",
        force: Annotated[
            bool,
            typer.Option("--force", help="Let --save replace a file that is not a position file."),
        ] = False,
        schema: Annotated[
            bool, typer.Option("--schema", help="Print the JSON Schema of --format json and exit.")
        ] = False,
    ) -> None:
        """Size hedges of a book against a drawdown band: every listed strike pair and expiry,
        ranked by cost, with the cost-versus-protection frontier."""
        if schema:
            from tui.commands.size_schema import SizeDocument

            sys.stdout.write(json.dumps(SizeDocument.model_json_schema(), indent=2) + "\n")
            return
        try:
            if fmt not in FORMATS:
                raise CliFailure(f"--format: {fmt!r} must be one of {', '.join(FORMATS)}")
            if top < 1:
                raise CliFailure(f"--top: {top} must be >= 1")
            result = _run_with_progress(
                book_value=book_value,
                beta=beta,
                benchmark=benchmark,
                holdings=holdings,
                history=history,
                window=window,
                protect=protect,
                step=step,
                cover=cover,
                horizon=horizon,
                budget=budget,
                structures=structures,
                min_dte=min_dte,
                max_dte=max_dte,
                max_hedge_ratio=max_hedge_ratio,
                excess=excess,
                exact=exact,
                source=source,
                store=store,
                spots=spot,
                top=top,
                chain_options={
                    "as_of": as_of,
                    "rate": rate,
                    "dividends": dividends,
                    "div_yield": div_yield,
                },
            )
            chosen = pick_candidate(result, pick) if save is not None else None
            compared = compare_paths(result, paths, path_history) if paths > 0 else None
        except CliFailure as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.code) from None
        from strategies.sizing.report import result_document, result_rows

        if fmt == "json":
            sys.stdout.write(
                json.dumps(result_document(result, compared), indent=2, allow_nan=False) + "\n"
            )
        elif fmt == "csv":
            columns, rows = result_rows(result)
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            sys.stdout.write(buf.getvalue())
        else:
            from rich.console import Console

            console = Console(width=max(140, Console().width))
            render_table(result, console)
            if compared is not None:
                render_paths(compared[0], compared[1], console)
        if chosen is not None and save is not None:
            _save(chosen, save, result, force=force)


def compare_paths(result: Any, n_paths: int, history: Path | None) -> Any:
    """The TZA hedge (the best TZA candidate, else the beta-weighted value x cover / 3 dollars)
    against the best put spread scaled to the same cost, on ``n_paths`` paths
    (:func:`strategies.sizing.paths.tza_versus_spread`)."""
    from pricing.errors import InputError
    from strategies.sizing.book import load_price_history
    from strategies.sizing.paths import tza_versus_spread

    spread = next(
        (
            result.best_by_structure.get(s)
            for s in ("put-spread", "rut-put-spread", "mrut-put-spread")
            if result.best_by_structure.get(s) is not None
        ),
        None,
    )
    if spread is None:
        raise CliFailure(
            "--paths: needs a put-spread structure in --structures (put-spread, rut-put-spread...)"
        )
    tza = result.best_by_structure.get("tza")
    if tza is not None and tza.legs:
        dollars = abs(tza.legs[0].quantity * tza.legs[0].fill_price)
    else:
        dollars = abs(result.book.beta_weighted_value) * (result.request.cover or 0.5) / 3.0
    try:
        hist = load_price_history(history) if history is not None else None
        return tza_versus_spread(
            _MARKETS[-1],
            result.book,
            spread,
            tza_dollars=dollars,
            horizon_days=result.request.horizon_days,
            n_paths=n_paths,
            history=hist,
        )
    except InputError as exc:
        raise CliFailure(f"--paths: {exc}") from None


def render_paths(comparison: Any, origin: str, console: Any) -> None:
    """A table of hedged-book P&L distributions on the paths."""
    from rich.table import Table

    t = Table(title=f"book P&L at the horizon on {origin}")
    for h in ("", "mean $", "std $", "5 %", "25 %", "median", "75 %", "95 %", "P(loss > 10 %)"):
        t.add_column(h, justify="left" if not h else "right")
    for d in (comparison.book, comparison.with_tza, comparison.with_spread):
        t.add_row(
            d.label,
            _money(d.mean),
            _money(d.std),
            *[_money(x) for x in d.percentiles],
            f"{d.prob_loss_beyond:.1%}",
        )
    console.print(t)
    console.print(
        f"[dim]TZA ${comparison.tza_dollars:,.0f} (carry cost ${comparison.tza_expected_cost:,.0f} to the horizon, index flat); "
        f"put spread {comparison.spread_contracts:,.1f} units for the same premium "
        f"${comparison.spread_premium:,.0f}[/]"
    )


#: The market of the last search (the path comparison re-uses it).
_MARKETS: list[Any] = []


def _run_with_progress(**kwargs: Any) -> Any:
    """:func:`run_size` with a rich progress bar on stderr (hidden when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("sizing", total=None)

        def report(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        return run_size(progress=report, **kwargs)


def _save(candidate: Any, path: Path, result: Any, *, force: bool = False) -> None:
    """Write ``candidate`` as a position file through the safe output files (a refused or
    failed write raises :class:`marketdata.files.OutputFileError`: exit 3)."""
    from strategies.positions import PositionFileError, save_position_file
    from strategies.sizing.report import position_for

    note = f"saved by hedge size ({'SYNTHETIC ' if result.synthetic else ''}{result.source})"
    try:
        save_position_file(path, position_for(candidate, notes=note[:1000]), force=force)
    except PositionFileError as exc:
        typer.echo(f"error: --save: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(f"saved position file {path}: {candidate.name}", err=True)
