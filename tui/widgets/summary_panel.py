"""The risk summary of the position: premium, max profit and loss, breakevens, PoP, expected
P&L, CVaR, Greeks in dollars (beta-weighted to IWM and SPY) and early-assignment alerts, every
number from :func:`strategies.report.build_report` and :func:`strategies.whatif.whatif_numbers`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.fmt import money, num, pct

if TYPE_CHECKING:
    from strategies.whatif import WhatIfNumbers


def whatif_label(numbers: WhatIfNumbers) -> str:
    """``at 2026-12-01 (+10 d), vol +2 pts, spot -1 %, rates +10 bp``."""
    w = numbers.whatif
    parts = [f"at {numbers.at:%Y-%m-%d} ({w.days_forward:+.0f} d)"]
    if w.vol_shift:
        parts.append(f"vol {100 * w.vol_shift:+.0f} pts")
    if w.spot_move:
        parts.append(f"spot {100 * w.spot_move:+.0f} %")
    if w.rate_shift_bp:
        parts.append(f"rates {w.rate_shift_bp:+.0f} bp")
    return ", ".join(parts)


def whatif_table(numbers: WhatIfNumbers) -> Table:
    """Value, P&L and Greeks at the what-if."""
    t = Table(
        title=f"What-if {whatif_label(numbers)}",
        title_justify="left",
        show_header=True,
        expand=False,
        padding=(0, 1),
    )
    for name in ("value $", "P&L $", "delta sh", "gamma", "vega $/pt", "theta $/d", "rho $/%"):
        t.add_column(name, justify="right")
    g = numbers.greeks
    t.add_row(
        money(numbers.value),
        money(numbers.pnl, signed=True),
        num(g.delta, ".1f"),
        num(g.gamma, ".2f"),
        money(g.vega),
        money(g.theta),
        money(g.rho),
    )
    bw = "  ".join(f"{b} {num(v, '+.1f')} sh" for b, v in numbers.beta_weighted.items())
    t.caption = f"beta-weighted delta: {bw}; $ delta per 1 %: {money(numbers.dollar_delta / 100.0, signed=True)}"
    t.caption_justify = "left"
    return t


def risk_table(report: dict[str, Any]) -> Table:
    """Premium, max profit / loss, breakevens, PoP, expected P&L and CVaR (today's entry)."""
    t = Table(
        show_header=False,
        box=None,
        padding=(0, 1),
        title="Risk to the first expiry",
        title_justify="left",
    )
    t.add_column(style="bold")
    t.add_column(justify="right")
    t.add_column(style="bold")
    t.add_column(justify="right")
    premium = report["net_premium"]
    side = "debit" if premium is not None and premium >= 0 else "credit"
    unb = report["unbounded"]
    max_p = "unbounded" if unb["max_profit"] else money(report["max_profit"])
    max_l = "unbounded" if unb["max_loss"] else money(report["max_loss"])
    be = ", ".join(num(b) for b in report["breakevens"]) or "none"
    prob = report["probability"]
    method = str(prob["method"]).replace("_", "-")
    level = prob["level"]
    t.add_row(
        f"net {side} $", money(abs(premium) if premium is not None else None), "breakevens", be
    )
    t.add_row("max profit $", max_p, "max loss $", max_l)
    t.add_row(
        f"PoP ({method})",
        pct(report["pop"]),
        "expected P&L $",
        money(report["expected_pnl"], signed=True),
    )
    t.add_row(
        f"CVaR {pct(level, 0)} $",
        money(report["cvar"]),
        "weighted scen. $",
        money(report["weighted_pnl"], signed=True),
    )
    horizon = (prob.get("horizon") or "")[:10]
    t.caption = f"PoP, expected P&L and CVaR: {method} measure at {horizon}; CVaR = mean loss in the worst {pct(1 - level, 0)}"
    t.caption_justify = "left"
    return t


def alerts_text(report: dict[str, Any]) -> Text:
    """Early-assignment alerts (or a line saying there are none)."""
    alerts = report.get("alerts") or []
    if not alerts:
        return Text("early assignment: no alerts", style="dim")
    out = Text()
    for a in alerts:
        out.append(f"⚠ assignment {a['leg']}: {a['reason']}\n", style="bold yellow")
    return out


class SummaryPanel(Static):
    """The what-if numbers and the risk report of the position."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "Build a position: on the Chain tab press c / p to buy a call / put "
            "(C / P to sell), or ctrl+p for a template.",
            **kwargs,
        )
        self.numbers: WhatIfNumbers | None = None
        self.report: dict[str, Any] | None = None

    def show(
        self, numbers: WhatIfNumbers | None, report: dict[str, Any] | None, busy: bool
    ) -> None:
        """Redraw with the latest numbers (``busy``: newer numbers are being computed)."""
        self.numbers, self.report = numbers, report
        parts: list[RenderableType] = []
        if numbers is not None:
            parts.append(whatif_table(numbers))
        if report is not None:
            parts.append(risk_table(report))
            parts.append(alerts_text(report))
        if busy:
            parts.append(Text("computing…", style="italic yellow"))
        if parts:
            self.update(Group(*parts))
