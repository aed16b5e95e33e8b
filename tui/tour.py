"""The short tour printed by ``hedge`` with no verb (what ``make run`` shows until the terminal
app exists): the bundled synthetic IWM snapshot, its fitted term structure, a put-spread hedge
report, and the verbs to try next. Every number comes from the same code as the verbs."""

from __future__ import annotations

NEXT_STEPS = (
    ("hedge chain --symbol IWM --source demo", "one expiry: mids, flags, IVs, deltas, SVI fit"),
    ("hedge chain --symbol RUT --source demo --format json", "the documented JSON of a chain"),
    (
        "hedge strategy --template call-overwrite --underlying IWM --source demo",
        "covered calls with early-assignment alerts",
    ),
    ("hedge strategy --template tza-hedge --source demo", "a tactical TZA hedge"),
    (
        "hedge strategy --template put-spread --underlying IWM --source demo --save pos.toml",
        "save the position file",
    ),
    ("hedge payoff --file pos.toml --png payoff.png --source demo", "payoff chart"),
    (
        "hedge pair --long IWM --short SPY --notional 100000 --source demo",
        "a beta-neutral pair of shares",
    ),
    ("hedge price --input rows.csv / hedge iv --input quotes.csv", "batch prices, Greeks, IVs"),
    ("hedge fetch --symbols IWM RUT SPY", "live Yahoo chains into the local store"),
)


def run_tour() -> None:
    """Print the tour on the bundled demo snapshot (offline, a few seconds)."""
    from datetime import UTC, datetime

    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from marketdata.analysis import analyze_chain_cached
    from marketdata.chain_view import term_structure
    from marketdata.sources.demo import load_demo
    from strategies.loading import TemplateRequest, load_template, source_info
    from strategies.report import build_report
    from tui.render import render_report, term_structure_table

    console = Console()
    snapshot = load_demo("IWM")
    label = str(snapshot.meta.get("label", "SYNTHETIC DEMO DATA"))
    console.print(
        Panel(
            f"[bold]hedge[/bold]: price and explore option hedges on small caps.\n"
            f"[bold red]{label}[/bold red]: generated, not market prices.\n"
            f"IWM spot {snapshot.spot:,.2f}, {len(snapshot.chain):,} quotes on "
            f"{len(snapshot.chain.expiries)} expiries.",
            title="tour",
            expand=False,
        )
    )
    with console.status(
        "Cleaning the chain, solving American IVs, fitting the surface... "
        "(the very first run also compiles the numerical kernels: up to a minute)"
    ):
        analysis = analyze_chain_cached(snapshot)
        analysis.analyse(analysis.expiries)  # lazy per expiry: the term structure needs them all
    console.print(term_structure_table(snapshot.underlying, term_structure(analysis, max_rows=10)))
    with console.status("Pricing an IWM put spread across the house view..."):
        loaded = load_template(
            TemplateRequest("put-spread", underlying="IWM"), source="demo", now=datetime.now(UTC)
        )
        report = build_report(loaded.strategy, loaded.ctx, source=source_info(loaded))
    render_report(report, console)
    steps = Table(title="Try next", show_header=False, box=None)
    steps.add_column(style="bold cyan")
    steps.add_column()
    for command, what in NEXT_STEPS:
        steps.add_row(command, what)
    console.print(steps)
    console.print(
        "[dim]Live data: add --source auto (Yahoo if reachable, else the newest stored "
        "snapshot, else the demo). Help: hedge --help.[/dim]"
    )
