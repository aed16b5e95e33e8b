"""Rich (and matplotlib) rendering for the ``hedge`` verbs: the strategy report, the chain
table, the fetch summary and the payoff PNG. Everything drawn here is data built by the core
(:mod:`strategies.report`, :mod:`marketdata.chain_view`, :mod:`marketdata.fetching`,
:mod:`strategies.payoff_chart`); nothing here computes a number."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from marketdata.chain_view import ChainView, QuoteCell, TermPoint
    from marketdata.fetching import FetchResult
    from strategies.payoff_chart import PayoffChart


def _money(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def render_report(report: Mapping[str, Any], console: Console) -> None:
    """Draw the report on a rich ``Console``: header (SYNTHETIC in red when generated data),
    legs, summary, scenarios, levels, alerts and warnings."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    src = report["source"]
    strat = report["strategy"]
    title = Text(strat["name"], style="bold")
    if src["synthetic"]:
        title.append("  SYNTHETIC DATA", style="bold red")
    spot_text = "" if strat["spot"] is None else f"spot {strat['spot']:,.2f}"
    header = Text(
        f"{src['description']}\nvalued {strat['as_of']}  reference {strat['reference'] or '-'} "
        f"{spot_text}"
    )
    console.print(Panel(header, title=title, expand=False))

    if report["expired"]:
        ex = Table(title="Expired legs (settled, not priced; no longer in the risk numbers)")
        for col in (
            "id",
            "instrument",
            "qty",
            "settled at",
            "price source",
            "outcome",
            "realised P&L $",
        ):
            ex.add_column(
                col, justify="right" if col in ("qty", "settled at", "realised P&L $") else "left"
            )
        for row in report["expired"]:
            ex.add_row(
                row["id"],
                f"{row['description']} expired",
                f"{row['quantity']:+d}",
                f"{row['settlement_price']:,.2f}",
                row["price_source"],
                row["outcome"],
                _money(row["realised_pnl"]),
            )
        console.print(ex)
        val = report["value"]
        console.print(
            Text(
                f"value $: live {_money(val['live'])} + settled cash {_money(val['settled_cash'])} "
                f"= {_money(val['total'])}"
            )
        )
    if not report["legs"]:
        for warning in report["warnings"]:
            style = "bold red" if warning.startswith("SYNTHETIC") else "yellow"
            console.print(Text(f"warning: {warning}", style=style))
        return

    legs = Table(title="Legs", show_lines=False)
    for col in ("id", "instrument", "qty", "entry", "price", "mark", "value $", "delta", "$ delta"):
        legs.add_column(col, justify="right" if col not in ("id", "instrument") else "left")
    for leg in report["legs"]:
        g = leg["greeks"]
        legs.add_row(
            leg["id"],
            leg["description"],
            f"{leg['quantity']:+d}",
            "n/a" if leg["entry_price"] is None else f"{leg['entry_price']:.2f}",
            "n/a" if leg["price"] is None else f"{leg['price']:.2f}",
            "-" if leg["mark"] is None else f"{leg['mark']:.2f}",
            _money(leg["value"]),
            "n/a" if g["position"]["delta"] is None else f"{g['position']['delta']:,.1f}",
            _money(g["dollar_delta"]),
        )
    console.print(legs)

    g = report["greeks"]
    unb = report["unbounded"]
    summary = Table(title="Summary", show_header=False)
    summary.add_column("field")
    summary.add_column("value", justify="right")
    prob = report["probability"]
    rows: Sequence[tuple[str, str]] = (
        ("net premium $ (+ debit)", _money(report["net_premium"])),
        ("max profit $", "unbounded" if unb["max_profit"] else _money(report["max_profit"])),
        ("max loss $", "unbounded" if unb["max_loss"] else _money(report["max_loss"])),
        (
            "breakevens",
            ", ".join(f"{b:,.2f}" for b in report["breakevens"] if b is not None) or "none",
        ),
        *(
            [
                (
                    "delta / $ delta",
                    f"{_money(g['delta'])} {next(iter(g['delta_by_driver']), '')} sh / {_money(g['dollar_delta'])}",
                )
            ]
            if g["delta"] is not None
            else [(f"delta {sym} sh", _money(v)) for sym, v in g["delta_by_driver"].items()]
            + [("$ delta (all drivers)", _money(g["dollar_delta"]))]
        ),
        (f"beta-weighted delta ({g['benchmark']} sh)", _money(g["beta_weighted_delta"])),
        (
            "gamma / vega $ per pt",
            f"{g['gamma']:.3f} / {_money(g['vega'])}"
            if g["gamma"] is not None
            else f"per driver / {_money(g['vega'])}",
        ),
        ("theta $ per day / rho $ per 1%", f"{_money(g['theta'])} / {_money(g['rho'])}"),
        (f"PoP ({prob['method']}, {prob['horizon'] or 'n/a'})", _pct(report["pop"])),
        ("expected P&L $", _money(report["expected_pnl"])),
        (f"CVaR {prob['level']:.0%} $ (loss)", _money(report["cvar"])),
        ("house-view weighted P&L $", _money(report["weighted_pnl"])),
    )
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)

    sc = Table(title="Scenarios")
    for col in ("scenario", "set", "prob", "move", "10y bp", "vol pts", "days", "spot", "P&L $"):
        sc.add_column(col, justify="left" if col in ("scenario", "set") else "right")
    for s in report["scenarios"]:
        sc.add_row(
            s["name"],
            s["set"],
            f"{s['probability']:.0%}" if s["set"] == "house" else "-",
            f"{s['spot_move']:+.1%}",
            f"{s['yield_shift_bp']:+g}",
            f"{100 * s['vol_shift']:+.1f}",
            f"{s['horizon_days']:g}",
            f"{s['spot']:,.2f}",
            _money(s["pnl"]),
        )
    console.print(sc)

    lv = Table(title="Stop / target levels")
    for col in ("level", "index move", "spot", "P&L $"):
        lv.add_column(col, justify="left" if col == "level" else "right")
    for row in report["levels"]:
        lv.add_row(
            row["label"], f"{row['index_move']:+.2%}", f"{row['spot']:,.2f}", _money(row["pnl"])
        )
    console.print(lv)

    for alert in report["alerts"]:
        console.print(Text(f"ALERT [{alert['leg']}] {alert['reason']}", style="bold yellow"))
    for warning in report["warnings"]:
        style = "bold red" if warning.startswith("SYNTHETIC") else "yellow"
        console.print(Text(f"warning: {warning}", style=style))


# --------------------------------------------------------------------------------------------
# Chain
# --------------------------------------------------------------------------------------------

_SIDE = ("bid", "ask", "mid", "iv %", "delta", "flags")


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _quote_cells(cell: QuoteCell | None) -> list[str]:
    if cell is None:
        return [""] * len(_SIDE)
    return [
        _fmt(cell.bid, ".2f"),
        _fmt(cell.ask, ".2f"),
        _fmt(cell.mid, ".3f"),
        "" if cell.iv is None else f"{100 * cell.iv:.2f}",
        _fmt(cell.delta, ".3f"),
        ",".join(cell.flags) or ("" if cell.iv is not None else cell.iv_status),
    ]


def chain_table(view: ChainView) -> Table:
    """A rich table of one expiry: calls (bid, ask, mid, iv %, delta, flags) | strike | puts,
    titled with spot, forward, yields, time and the SVI fit; SYNTHETIC data say so in red."""
    from rich.table import Table

    from marketdata.chain_view import SYNTHETIC_LABEL

    parts = [f"{view.symbol} {view.expiry.isoformat()}", f"spot {view.spot:,.2f}"]
    if view.forward is not None:
        assert (
            view.dividend_yield is not None and view.rate is not None and view.t_years is not None
        )
        parts += [
            f"forward {view.forward:,.4f}",
            f"div yield {100 * view.dividend_yield:.2f} %",
            f"rate {100 * view.rate:.2f} %",
            f"t {view.t_years:.4f} y",
        ]
    if view.fit_rmse_vol_points is not None:
        arb = [f"{name.upper()} ARBITRAGE" for name in view.arbitrage]
        status = view.fit_status or "ok"
        label = "" if status == "ok" else f"fit {status.upper()}, "
        inside = (
            ""
            if view.fit_inside_share is None
            else f"{100 * view.fit_inside_share:.0f} % in bid-ask, "
        )
        rmse = view.fit_rmse_vol_points
        quality = "no quotes to fit" if math.isnan(rmse) else f"rmse {rmse:.2f} vol pt"
        parts.append(f"SVI {label}{quality}, {inside}" + (", ".join(arb) or "no arbitrage"))
    title = " | ".join(parts)
    caption = f"{view.source_description}; as of {view.as_of_iso}"
    if view.synthetic:
        caption = f"[bold red]{SYNTHETIC_LABEL.upper()}[/bold red] - {caption}"
        title = f"SYNTHETIC {title}"
    table = Table(title=title, caption=caption, show_lines=False)
    for name in _SIDE:
        table.add_column(f"C {name}", justify="right" if name != "flags" else "left")
    table.add_column("strike", justify="center", style="bold")
    for name in _SIDE:
        table.add_column(f"P {name}", justify="right" if name != "flags" else "left")
    for row in view.rows:
        table.add_row(*_quote_cells(row.call), f"{row.strike:g}", *_quote_cells(row.put))
    return table


def term_structure_table(symbol: str, points: Sequence[TermPoint]) -> Table:
    """The fitted term structure: expiry, days, forward, ATM vol %, fit RMSE, arbitrage flags."""
    from rich.table import Table

    table = Table(title=f"{symbol} term structure (fitted SVI per expiry)")
    for name in ("expiry", "days", "forward", "ATM vol %", "fit rmse (vol pt)", "arbitrage"):
        table.add_column(name, justify="right")
    for p in points:
        table.add_row(
            p.expiry,
            f"{p.days:.1f}",
            f"{p.forward:,.2f}",
            f"{100.0 * p.atm_vol:.2f}",
            f"{p.rmse_vol_points:.3f}",
            ", ".join(p.arbitrage) or "none",
        )
    return table


# --------------------------------------------------------------------------------------------
# Fetch
# --------------------------------------------------------------------------------------------


def render_fetch_summary(result: FetchResult, out: Console, err: Console) -> None:
    """The summary table of a fetch on ``out``, each failure's message below it, and on ``err``
    what to do when Yahoo could not be used at all."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"hedge fetch -> {result.store_path}", title_justify="left")
    columns = (
        ("symbol", "left"),
        ("status", "left"),
        ("spot", "right"),
        ("expiries", "right"),
        ("quotes", "right"),
        ("stored id", "right"),
        ("detail", "left"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for o in result.outcomes:
        table.add_row(
            o.symbol,
            "[green]stored[/]" if o.ok else "[red]FAILED[/]",
            f"{o.spot:,.2f}" if o.spot is not None else "-",
            str(o.expiries) if o.ok else "-",
            str(o.quotes) if o.quotes else "-",
            str(o.snapshot_id) if o.snapshot_id is not None else "-",
            o.message if o.ok else "see below",
            style=None if o.ok else "red",
        )
    out.print(table)
    for o in result.failed:
        out.print(
            f"[red]{escape(o.symbol)} failed:[/] {escape(o.message)}",
            soft_wrap=True,
            highlight=False,
        )
    if result.source_unreachable:
        err.print(
            "Yahoo Finance could not be used for any symbol. Check the network (or wait out the "
            "rate limit); meanwhile --source store uses stored snapshots and --source demo the "
            "bundled SYNTHETIC data."
        )


# --------------------------------------------------------------------------------------------
# Payoff PNG
# --------------------------------------------------------------------------------------------

_STYLE = {"expiry": "-", "today": "--", "date": ":"}


def draw_payoff_png(
    chart: PayoffChart, png: Path, *, synthetic: bool, force: bool = False, note: str = ""
) -> None:
    """Draw ``chart`` to ``png`` with matplotlib (Agg backend, imported here): the curves, the
    zero line, today's spot, the breakevens (labelled) and the scenario points (named), titled
    with the strategy (SYNTHETIC DATA in red for generated data; ``note`` appended, e.g. expired
    legs), axes in price and dollars. The file is written atomically through
    :func:`marketdata.files.atomic_write_bytes` (``force`` replaces a file that is not one of our
    charts; raises :class:`marketdata.files.OutputFileError`)."""
    import io

    import matplotlib

    from marketdata.files import PNG_CHART, PNG_SOFTWARE, atomic_write_bytes

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 6), dpi=100)
    try:
        for curve in chart.curves:
            style = _STYLE[curve.role]
            ax.plot(
                chart.spots,
                curve.pnl,
                style,
                linewidth=2.0 if style == "-" else 1.4,
                label=curve.label,
            )
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.axvline(
            chart.spot,
            color="tab:gray",
            linestyle="-.",
            linewidth=1.0,
            label=f"spot {chart.spot:,.2f}",
        )
        for i, b in enumerate(chart.breakevens):
            ax.axvline(
                b,
                color="tab:red",
                linestyle=":",
                linewidth=1.0,
                label="breakeven" + ("s" if len(chart.breakevens) > 1 else "") if i == 0 else None,
            )
            ax.annotate(
                f"{b:,.2f}",
                (b, 0.0),
                textcoords="offset points",
                xytext=(3, 6),
                fontsize=8,
                color="tab:red",
            )
        xs = [p.spot for p in chart.scenarios]
        ys = [p.pnl for p in chart.scenarios]
        ax.scatter(xs, ys, marker="o", color="tab:purple", zorder=5, label="scenarios")
        placed: list[tuple[float, float]] = []
        span_x, span_y = chart.high - chart.low, max(1.0, max(ys) - min(ys))
        for p in chart.scenarios:
            near = sum(
                1
                for px, py in placed
                if abs(px - p.spot) < 0.01 * span_x and abs(py - p.pnl) < 0.03 * span_y
            )
            ax.annotate(
                p.name,
                (p.spot, p.pnl),
                textcoords="offset points",
                xytext=(4, 4 - 11 * near),
                fontsize=8,
            )
            placed.append((p.spot, p.pnl))
        title = f"{chart.strategy_name}: P&L ($) vs {chart.axis}"
        if note:
            title += f"  ({note})"
        if synthetic:
            title += "  [SYNTHETIC DATA]"
        ax.set_title(title, color="red" if synthetic else "black")
        ax.set_xlabel(f"{chart.axis} price")
        ax.set_ylabel("P&L ($)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": PNG_SOFTWARE})
    finally:
        plt.close(fig)
    atomic_write_bytes(png, buffer.getvalue(), PNG_CHART, force=force)
