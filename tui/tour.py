"""The short tour printed by ``hedge`` with no verb (what ``make run`` shows until the terminal
app exists): the bundled synthetic IWM snapshot, its fitted term structure, a put-spread hedge
report, and the verbs to try next. Every number comes from the same code as the verbs."""

from __future__ import annotations

from typing import Any

NEXT_STEPS = (
    ("hedge chain --symbol IWM --source demo", "one expiry: mids, flags, IVs, deltas, SVI fit"),
    ("hedge chain --symbol RUT --source demo --format json", "the documented JSON of a chain"),
    ("hedge strategy --template call-overwrite --underlying IWM --source demo",
     "covered calls with early-assignment alerts"),
    ("hedge strategy --template tza-hedge --source demo", "a tactical TZA hedge"),
    ("hedge strategy --template put-spread --underlying IWM --source demo --save pos.toml",
     "save the position file"),
    ("hedge payoff --file pos.toml --png payoff.png --source demo", "payoff chart"),
    ("hedge price --input rows.csv / hedge iv --input quotes.csv", "batch prices, Greeks, IVs"),
    ("hedge fetch --symbols IWM RUT SPY", "live Yahoo chains into the local store"),
)


def _term_structure(analysis: Any, max_rows: int = 10) -> Any:
    from rich.table import Table

    snap = analysis.snapshot
    table = Table(title=f"{snap.underlying} term structure (fitted SVI per expiry)")
    for name in ("expiry", "days", "forward", "ATM vol %", "fit rmse (vol pt)", "arbitrage"):
        table.add_column(name, justify="right")
    fits = analysis.fits
    for _, row in fits.loc[fits["t_years"] * 365.0 >= 6.5].head(max_rows).iterrows():
        t = float(row["t_years"])
        atm = float(analysis.surface.vol(t, float(row["forward"]), forward=float(row["forward"])))
        arb = [n for n, c in (("butterfly", "butterfly_arbitrage"), ("calendar", "calendar_arbitrage"))
               if bool(row[c])]
        table.add_row(str(row["expiry"]), f"{t * 365.0:.1f}", f"{float(row['forward']):,.2f}",
                      f"{100.0 * atm:.2f}", f"{float(row['rmse_vol_points']):.3f}", ", ".join(arb) or "none")
    return table


def run_tour() -> None:
    """Print the tour on the bundled demo snapshot (offline, a few seconds)."""
    from datetime import UTC, datetime

    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from marketdata.analysis import analyze_chain_cached
    from marketdata.sources.demo import load_demo
    from strategies.report import render_report
    from tui.commands.strategy_cmds import run_strategy

    console = Console()
    snapshot = load_demo("IWM")
    label = str(snapshot.meta.get("label", "SYNTHETIC DEMO DATA"))
    console.print(Panel(
        f"[bold]hedge[/bold]: price and explore option hedges on small caps.\n"
        f"[bold red]{label}[/bold red]: generated, not market prices.\n"
        f"IWM spot {snapshot.spot:,.2f}, {len(snapshot.chain):,} quotes on "
        f"{len(snapshot.chain.expiries)} expiries.",
        title="tour", expand=False,
    ))
    with console.status("Cleaning the chain, solving American IVs, fitting the surface... "
                        "(the very first run also compiles the numerical kernels: up to a minute)"):
        analysis = analyze_chain_cached(snapshot)
    console.print(_term_structure(analysis))
    with console.status("Pricing an IWM put spread across the house view..."):
        report, _ = run_strategy(template="put-spread", underlying="IWM", source="demo",
                                 now=datetime.now(UTC))
    render_report(report, console)
    steps = Table(title="Try next", show_header=False, box=None)
    steps.add_column(style="bold cyan")
    steps.add_column()
    for command, what in NEXT_STEPS:
        steps.add_row(command, what)
    console.print(steps)
    console.print("[dim]Live data: add --source auto (Yahoo if reachable, else the newest stored "
                  "snapshot, else the demo). Help: hedge --help.[/dim]")
