"""The terminal app: chain, position builder, analysis, payoff chart with what-if keys,
scenarios, heat map and smile (``hedge`` on a terminal, ``hedge app``).

:func:`make_app` builds it with an injectable market-data ``source`` (a source name or a loader
callable), snapshot ``store``, ``clock`` (the only clock the app reads), ``symbol`` and a
``position_file`` to open. Slow work runs in :mod:`tui.workers`; every number shown comes from
the strategies layer (:mod:`strategies.report`, :mod:`strategies.whatif`).
"""

from __future__ import annotations

import csv
import io
import math
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App
from textual.binding import BindingType
from textual.widgets import DataTable, Static, TabbedContent

from tui.keymap import bindings
from tui.messages import (
    AnalysisFailed,
    AnalysisReady,
    CandidateChosen,
    ChainLoaded,
    LoadFailed,
    LoadProgress,
    MarketReady,
    Results,
)
from tui.palette import FileCommands, TemplateCommands
from tui.screens.dialogs import PromptDialog
from tui.screens.help import HelpScreen
from tui.screens.main import EMPTY_HINT, MainScreen
from tui.screens.sizing import SizingScreen
from tui.state import (
    Market,
    Position,
    contract_at,
    default_weights,
    filled_leg,
    rescaled,
    with_contract,
)
from tui.widgets.chain_table import ChainTable, flags_of, forward_of
from tui.widgets.expiry_tabs import ExpiryTabs
from tui.widgets.heat_map import HeatMapView
from tui.widgets.legs_table import LegsTable
from tui.widgets.payoff_chart import PayoffChart
from tui.widgets.position_strip import PositionStrip
from tui.widgets.scenarios_table import ScenariosTable
from tui.widgets.smile_chart import SmileChart, TermChart, arbitrage_flags
from tui.widgets.status_bar import StatusBar
from tui.widgets.summary_panel import SummaryPanel
from tui.workers import Loader, WorkersMixin, source_loader

if TYPE_CHECKING:
    from pricing.types import OptionContract
    from strategies.legs import Leg

#: Width (cells) below which the chain shows fewer columns.
COMPACT_WIDTH = 100
#: Longest date slider without a position (calendar days).
MAX_DAYS_NO_POSITION = 365.0
#: Actions that work only on the main screen (not under a dialog or help).
MAIN_ONLY = frozenset(
    {
        "trade",
        "next_expiry",
        "select_leg",
        "quantity",
        "remove_leg",
        "move_strike",
        "roll_expiry",
        "slide_date",
        "shift_vol",
        "shift_spot",
        "shift_rate",
        "reset_whatif",
        "edit_weights",
        "save",
        "load",
        "export",
        "refresh",
        "show_tab",
    }
)


def new_york_now() -> datetime:
    """The wall clock in New York (the app's default clock; tests inject a fixed one)."""
    from pricing.types import NEW_YORK

    return datetime.now(tz=NEW_YORK)


def default_chain_expiry(expiries: list[date], today: date) -> date | None:
    """The first standard monthly at least 14 days out (a hedge's usual tenor), else the first."""
    from marketdata.calendar import monthly_expiry

    for e in expiries:
        if (e - today).days >= 14 and e == monthly_expiry(e.year, e.month):
            return e
    return expiries[0] if expiries else None


class HedgeApp(WorkersMixin, App[None]):
    """The smallcap-hedge terminal app (build it with :func:`make_app`)."""

    TITLE = "smallcap-hedge"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = bindings()  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {TemplateCommands, FileCommands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        *,
        loader: Loader,
        clock: Callable[[], datetime],
        symbol: str,
        position_file: Path | None = None,
        source_name: str = "",
    ) -> None:
        super().__init__()
        self.loader = loader
        self.clock = clock
        self.symbol = symbol.upper()
        self.source_name = source_name
        self.position_file = position_file
        self.market: Market | None = None
        self.position = Position(name=f"{self.symbol} position")
        self.expiry: date | None = None
        self.results = Results(-1)
        self.report_cache: tuple[Any, dict[str, Any]] | None = None
        self.heat_cache: tuple[Any, Any] | None = None
        self.heat_drawn: Any = None
        self.last_numbers: Any = None
        self.busy = False
        self.loading = False
        #: Version of the position whose what-if numbers are drawn (for the benchmark).
        self.chain_shown = threading.Event()
        self.numbers_shown = threading.Event()
        self.numbers_drawn = -1
        #: perf_counter() after the screen refresh that showed the latest what-if numbers.
        self.numbers_painted_at = 0.0
        #: perf_counter() when the chain was first drawn (None before).
        self.chain_drawn_at: float | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    def on_mount(self) -> None:
        self.loading = True
        self.call_after_refresh(self.load_market, True)

    @property
    def main(self) -> MainScreen:
        """The main screen (the bottom of the stack)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not mounted")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in MAIN_ONLY and not isinstance(self.screen, MainScreen))

    # --- market data ----------------------------------------------------------------------
    def on_load_progress(self, message: LoadProgress) -> None:
        if not self.screen_stack:
            return  # exiting
        text = (
            ""
            if message.step >= message.total
            else f"{message.text} ({message.step}/{message.total})"
        )
        self.main.query_one(StatusBar).set_busy(text)

    async def on_chain_loaded(self, message: ChainLoaded) -> None:
        if self.market is not None and self.market.analysis is not None:
            self.chain_shown.set()
            return  # a refresh: keep showing the analysed data until the new analysis is ready
        await self._set_market(message.market)
        self.call_after_refresh(self.chain_shown.set)

    async def on_market_ready(self, message: MarketReady) -> None:
        if not self.screen_stack:
            return  # exiting
        self.loading = False
        if len(message.market.description) > 60:  # longer than the status line shows
            self.notify(message.market.description, title="market data", timeout=8)
        await self._set_market(message.market)
        if self.position_file is not None:
            path, self.position_file = self.position_file, None
            self.load_position(path)
        self.recompute(report=True)

    def on_load_failed(self, message: LoadFailed) -> None:
        if not self.screen_stack:
            return  # exiting
        self.loading = False
        self.main.query_one(StatusBar).set_busy("")
        kept = " — keeping the data already shown" if self.market is not None else ""
        self.notify(
            f"market data: {message.error}{kept}", title="load failed", severity="error", timeout=10
        )

    async def _set_market(self, market: Market) -> None:
        self.market = market
        screen = self.main
        screen.query_one(StatusBar).set_market(market)
        expiries = market.expiries
        today = market.snapshot.as_of.date()
        if self.expiry not in expiries:
            self.expiry = default_chain_expiry(expiries, today)
        await screen.query_one(ExpiryTabs).set_expiries(expiries, today, self.expiry)
        first = screen.query_one(ChainTable).row_count == 0
        self.show_chain()
        self.show_smile()
        if first:
            screen.query_one(ChainTable).focus()

    def show_chain(self) -> None:
        """Redraw the chain for the selected expiry."""
        if self.market is None or self.expiry is None:
            return
        screen = self.main
        table = screen.query_one(ChainTable)
        table.show(self.market, self.expiry, compact=self.size.width < COMPACT_WIDTH)
        if self.chain_drawn_at is None and table.row_count:
            import time

            self.chain_drawn_at = time.perf_counter()
        fwd = forward_of(self.market, self.expiry)
        days = (self.expiry - self.market.snapshot.as_of.date()).days
        info = f"{self.market.symbol} {self.expiry:%Y-%m-%d} ({days} d)  spot {self.market.snapshot.spot:,.2f}"
        info += f"  forward {fwd:,.2f}" if fwd is not None else "  forward: analysing…"
        if table.atm_strike is not None:
            info += f"  ATM {table.atm_strike:g}"
        info += "  IV in vol pts"
        screen.query_one("#chain-info", Static).update(info)
        self.show_chain_detail()

    def show_chain_detail(self) -> None:
        """The detail line of the cursor row: each side's flags and IV status."""
        table = self.main.query_one(ChainTable)
        row = table.current_row()
        if row is None:
            return
        parts = [f"strike {row.strike:g}:"]
        for name, rec in (("call", row.call), ("put", row.put)):
            if rec is None:
                parts.append(f"{name} not listed")
                continue
            flags = flags_of(rec)
            status = rec.get("iv_status")
            text = ", ".join(flags) if flags else "clean"
            if status and status != "ok":
                text += f" (IV: {status})"
            parts.append(f"{name} {text};")
        parts.append("(dim = flagged)  c/p buy, C/P sell")
        self.main.query_one("#chain-detail", Static).update(" ".join(parts))

    @on(DataTable.RowHighlighted, "#chain-table")
    def _chain_cursor(self, event: DataTable.RowHighlighted) -> None:
        if self.screen_stack:
            self.show_chain_detail()

    def on_expiry_tabs_expiry_changed(self, event: ExpiryTabs.ExpiryChanged) -> None:
        chosen = event.expiry
        if chosen != self.expiry:
            self.expiry = chosen
            self.show_chain()
            self.show_smile()

    def relayout(self) -> None:
        """After a resize: switch the chain between its wide and compact columns."""
        if self.market is not None:
            table = self.main.query_one(ChainTable)
            if table.compact != (self.size.width < COMPACT_WIDTH):
                self.show_chain()

    def show_smile(self) -> None:
        """Redraw the smile and term structure (after the analysis)."""
        m = self.market
        screen = self.main
        if m is None or m.analysis is None or self.expiry is None:
            screen.query_one("#smile-note", Static).update("smile: analysing the chain…")
            return
        screen.query_one(SmileChart).show(m, self.expiry)
        screen.query_one(TermChart).show(m)
        screen.query_one("#smile-note", Static).update(
            f"{arbitrage_flags(m, self.expiry)} | bid/ask IV: mid IV -+ half the spread over vega "
            "(first order) | expiry: pick it on the Chain tab"
        )

    # --- the position ---------------------------------------------------------------------
    def _ctx_ready(self) -> bool:
        if self.market is None or self.market.ctx is None:
            self.notify(
                "the chain is still being analysed: try again in a moment", severity="warning"
            )
            return False
        return True

    def action_trade(self, kind: str, quantity: int) -> None:
        """Buy (``quantity`` > 0) or sell the ``kind`` option at the chain cursor."""
        if not isinstance(self.screen, MainScreen) or not self._ctx_ready():
            return
        assert self.market is not None and self.market.ctx is not None
        if self.query_one(TabbedContent).active != "chain":
            self.notify("trade from the Chain tab (press 1)", severity="warning")
            return
        row = self.main.query_one(ChainTable).current_row()
        if row is None or self.expiry is None:
            return
        if (row.call if kind == "call" else row.put) is None:
            self.notify(f"no {kind} listed at {row.strike:g}", severity="warning")
            return
        contract = contract_at(self.market.symbol, kind, row.strike, self.expiry)
        legs = self.position.legs
        for i, leg in enumerate(legs):
            if leg.instrument == contract:
                total = leg.quantity + quantity
                if total == 0:
                    del legs[i]
                else:
                    legs[i] = replace(leg, quantity=total)
                self.position.selected = min(i, max(0, len(legs) - 1))
                self.position_changed()
                return
        side = "long" if quantity > 0 else "short"
        leg_id = self.position.unique_id(f"{side}-{kind}-{row.strike:g}")
        legs.append(filled_leg(contract, quantity, self.market.ctx, leg_id))
        self.position.selected = len(legs) - 1
        self.position_changed()

    def action_select_leg(self, step: int) -> None:
        """Select the next / previous leg."""
        if self.position.legs:
            self.position.selected = (self.position.selected + step) % len(self.position.legs)
            self.redraw_position(busy=self.busy)

    def action_quantity(self, step: int) -> None:
        """One contract more or fewer on the selected leg (its side kept, at least one)."""
        leg = self.position.selected_leg
        if leg is None:
            return
        new = rescaled(leg, step)
        if new is None:
            self.notify("quantity is already 1: press x to remove the leg", severity="warning")
            return
        self.position.legs[self.position.selected] = new
        self.position_changed()

    def action_remove_leg(self) -> None:
        """Remove the selected leg."""
        if self.position.selected_leg is None:
            return
        del self.position.legs[self.position.selected]
        self.position.selected = max(0, self.position.selected - 1)
        self.position_changed()

    def _selected_option_on_chain(self) -> tuple[Leg, OptionContract] | None:
        """The selected leg and its contract when it is an option on the chain on screen (with
        the market ready); else ``None``, having said why where the user can act on it."""
        leg = self.position.selected_leg
        if leg is None or not self._ctx_ready():
            return None
        assert self.market is not None
        c = leg.contract
        if c is None:
            self.notify("the selected leg is not an option", severity="warning")
            return None
        if c.underlying.upper() != self.market.symbol.upper():
            self.notify(
                f"the chain on screen is {self.market.symbol}: {c.underlying} strikes and "
                "expiries are not loaded here",
                severity="warning",
            )
            return None
        return leg, c

    def action_move_strike(self, step: int) -> None:
        """Move the selected option leg to the next listed strike up (``step`` 1) or down."""
        picked = self._selected_option_on_chain()
        if picked is None:
            return
        leg, c = picked
        assert self.market is not None and self.market.ctx is not None
        strikes = self.market.strikes(c.expiry, c.kind.value)
        ahead = [k for k in strikes if (k > c.strike if step > 0 else k < c.strike)]
        if not ahead:
            self.notify(
                f"no listed strike {'above' if step > 0 else 'below'} {c.strike:g}",
                severity="warning",
            )
            return
        target = min(ahead) if step > 0 else max(ahead)
        self.position.legs[self.position.selected] = with_contract(
            leg, replace(c, strike=target), self.market.ctx
        )
        self.position_changed()

    def action_roll_expiry(self, step: int) -> None:
        """Roll the selected option leg to the next (``step`` 1) or previous listed expiry, at
        the nearest listed strike."""
        picked = self._selected_option_on_chain()
        if picked is None:
            return
        leg, c = picked
        assert self.market is not None and self.market.ctx is not None
        expiries = self.market.expiries
        ahead = [e for e in expiries if (e > c.expiry if step > 0 else e < c.expiry)]
        if not ahead:
            self.notify("no listed expiry that way", severity="warning")
            return
        target = min(ahead) if step > 0 else max(ahead)
        strikes = self.market.strikes(target, c.kind.value)
        if not strikes:
            return
        strike = min(strikes, key=lambda k: abs(k - c.strike))
        contract = contract_at(c.underlying, c.kind.value, strike, target)
        self.position.legs[self.position.selected] = with_contract(leg, contract, self.market.ctx)
        self.position_changed()

    # --- what-if --------------------------------------------------------------------------
    def days_to_last(self) -> float:
        """The date slider's range (calendar days to the last expiry)."""
        from strategies.whatif import last_expiry_days

        strategy = self.position.strategy()
        if strategy is None or self.market is None or self.market.ctx is None:
            return MAX_DAYS_NO_POSITION
        return last_expiry_days(strategy, self.market.ctx)

    def _set_whatif(self, **changes: float) -> None:
        from pricing.errors import InputError

        try:
            self.position.whatif = replace(self.position.whatif, **changes)
        except InputError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.position.touch()
        self.recompute(report=False)

    def action_slide_date(self, days: int) -> None:
        """Move the what-if date by ``days`` (within today .. the last expiry)."""
        w = self.position.whatif
        limit = math.floor(self.days_to_last())
        target = min(max(0.0, w.days_forward + days), float(limit))
        if target != w.days_forward:
            self._set_whatif(days_forward=target)

    def action_shift_vol(self, points: int) -> None:
        """Shift every implied vol by ``points`` vol points."""
        self._set_whatif(vol_shift=round(self.position.whatif.vol_shift + points / 100.0, 4))

    def action_shift_spot(self, percent: int) -> None:
        """Move the spot by ``percent`` %."""
        self._set_whatif(spot_move=round(self.position.whatif.spot_move + percent / 100.0, 4))

    def action_shift_rate(self, bp: int) -> None:
        """Shift rates by ``bp`` basis points."""
        self._set_whatif(rate_shift_bp=self.position.whatif.rate_shift_bp + bp)

    def action_reset_whatif(self) -> None:
        """Back to today with no shifts."""
        self._set_whatif(days_forward=0.0, vol_shift=0.0, spot_move=0.0, rate_shift_bp=0.0)

    # --- analysis -------------------------------------------------------------------------
    def position_changed(self) -> None:
        """The legs changed: clamp the date slider, recompute everything."""
        self.position.touch()
        limit = math.floor(self.days_to_last())
        if self.position.whatif.days_forward > limit:
            self.position.whatif = replace(self.position.whatif, days_forward=float(max(0, limit)))
        self.recompute(report=True)

    def _heat_key(self) -> Any:
        w = self.position.whatif
        return (tuple(self.position.legs), w.vol_shift, w.rate_shift_bp)

    def _report_key(self) -> Any:
        return (tuple(self.position.legs), tuple(sorted(self.position.weights.items())))

    def recompute(self, *, report: bool) -> None:
        """Start the analysis worker for the current position (reusing the report when the legs
        and weights have not changed)."""
        strategy = self.position.strategy()
        if strategy is None or self.market is None or self.market.ctx is None:
            self.results = Results(self.position.version)
            self.busy = False
            self.redraw_position(busy=False)
            return
        previous = None
        if self.report_cache is not None and self.report_cache[0] == self._report_key():
            previous = self.report_cache[1]
        self.busy = True
        self.analyse(
            self.position.version,
            strategy,
            self.market,
            self.position.whatif,
            dict(self.position.weights),
            previous,
            self.heat_cache[1]
            if self.heat_cache is not None and self.heat_cache[0] == self._heat_key()
            else None,
        )
        self.redraw_position(busy=True, part="busy")

    def on_analysis_ready(self, message: AnalysisReady) -> None:
        if not self.screen_stack:
            return  # exiting
        res = message.results
        if res.version != self.position.version:
            return
        self.results = res
        if message.part == "report" and res.report is not None:
            self.report_cache = (self._report_key(), res.report)
        if message.part == "heat" and res.heat is not None:
            self.heat_cache = (self._heat_key(), res.heat)
        if message.part == "heat":
            self.busy = False
        self.redraw_position(busy=self.busy, part=message.part)
        if message.part == "numbers":
            self.call_after_refresh(self._numbers_painted)

    def _numbers_painted(self) -> None:
        import time

        self.numbers_painted_at = time.perf_counter()
        self.numbers_shown.set()

    def on_analysis_failed(self, message: AnalysisFailed) -> None:
        if message.version != self.position.version:
            return
        self.busy = False
        self.notify(message.error, title="analysis failed", severity="error", timeout=10)
        self.redraw_position(busy=False)

    def redraw_position(self, *, busy: bool, part: str = "") -> None:
        """Redraw the views of the position from the latest results: ``part`` says what is new
        (busy / numbers: the strip, legs and summary only; report: also the scenarios; chart;
        heat; "" everything)."""
        screen = self.main
        res = self.results
        current = res.version == self.position.version
        numbers = res.numbers if current else None
        if numbers is not None:
            self.numbers_drawn = res.version
            self.last_numbers = numbers
        elif busy and self.last_numbers is not None and self.position.legs:
            # While the new numbers are computed keep the last ones (marked "computing…"):
            # the strip keeps its height, so the screen is not laid out twice per key press.
            numbers = self.last_numbers
        report = res.report if current or res.report is None else None
        if (
            report is None
            and self.report_cache is not None
            and self.report_cache[0] == self._report_key()
        ):
            report = self.report_cache[1]
        legs = self.position.legs
        marks: dict[str, float | None] = {}
        if report is not None:
            marks = {leg["id"]: leg["mark"] for leg in report["legs"]}
        elif self.market is not None and self.market.ctx is not None:
            for leg in legs:
                q = self.market.ctx.quote(leg.instrument)
                marks[leg.leg_id] = q.mid if q is not None else None
        selected = self.position.selected
        screen.query_one(PositionStrip).show(
            legs, selected, self.position.whatif, self.days_to_last(), numbers, report, busy
        )
        screen.query_one(LegsTable).show(legs, marks, numbers, selected)
        summary = screen.query_one(SummaryPanel)
        if not legs:
            summary.update(EMPTY_HINT)
        else:
            summary.show(numbers, report, busy)
        if part in ("busy", "numbers"):
            return
        scen_note = screen.query_one("#scenarios-note", Static)
        if report is not None and part in ("report", ""):
            screen.query_one(ScenariosTable).show(report)
            weights = " / ".join(f"{k} {100 * v:.0f} %" for k, v in self.position.weights.items())
            scen_note.update(
                f"probability-weighted P&L (house view {weights}): ${report['weighted_pnl']:+,.2f}  "
                "| g edits the weights (saved with the position); stress rows are not weighted"
            )
        elif not legs:
            screen.query_one(ScenariosTable).clear()
            scen_note.update(EMPTY_HINT)
        chart = res.chart if current else None
        note = screen.query_one("#payoff-note", Static)
        if chart is not None and part in ("chart", ""):
            screen.query_one(PayoffChart).show(
                chart, f"{self.position.name}: P&L ($) at expiry, today and the chosen date"
            )
            note.update(
                "cyan: first expiry  green: today  yellow: chosen date (d/D day, w/W week)  "
                "orange: scenarios  magenta: spot after the what-if move"
            )
        elif not legs:
            note.update(EMPTY_HINT)
        heat = res.heat if current else None
        if heat is not None and part in ("heat", "") and heat is not self.heat_drawn:
            self.heat_drawn = heat
            wi = self.position.whatif
            screen.query_one(HeatMapView).show(
                heat,
                f"P&L ($) by {heat.axis} price and date (vol {100 * wi.vol_shift:+.0f} pts, rates {wi.rate_shift_bp:+.0f} bp)",
            )
        elif not legs:
            screen.query_one(HeatMapView).update(EMPTY_HINT)

    # --- templates ------------------------------------------------------------------------
    def open_template(self, name: str) -> None:
        """Ask for the template's options: strikes by strike (200), % out of the money (5%) or
        delta (25d), expiry by days to expiry, quantity."""
        from strategies.templates import TEMPLATES

        template = TEMPLATES[name]
        defaults = template.defaults()
        fields: list[str] = []
        if template.strike_slots:
            fields.append(
                "strikes=" + ",".join(spec_text(defaults[slot]) for slot in template.strike_slots)
            )
        if template.dte_param is not None:
            fields.append(f"dte={defaults.get(template.dte_param)}")
        if template.sized:
            fields.append(f"quantity={defaults.get('quantity', 1)}")
        slots = ", ".join(template.strike_slots) or "none"
        prompt = (
            f"{template.summary}. Strikes ({slots}) as 200 (a strike), 5% (out of the money) "
            "or 25d (delta); dte = days to expiry (nearest listed); quantity in contracts."
        )

        def done(text: str | None) -> None:
            if text is not None:
                self.build_template(name, text)

        self.push_screen(PromptDialog(f"Template {name}", prompt, " ".join(fields)), done)

    def build_template(self, name: str, text: str) -> None:
        """Build template ``name`` from ``strikes=.. dte=.. quantity=..`` options
        (:func:`strategies.loading.build_template`) and make it the position."""
        from pricing.errors import InputError
        from strategies.loading import LoadError, TemplateRequest, build_template
        from strategies.loading import Market as CoreMarket
        from strategies.templates import parse_strike

        if not self._ctx_ready():
            return
        assert self.market is not None and self.market.ctx is not None
        options: dict[str, str] = {}
        for token in text.split():
            key, sep, value = token.partition("=")
            if not sep or key not in ("strikes", "dte", "quantity"):
                self.notify(
                    f"template option {token!r}: write strikes=.. dte=.. quantity=..",
                    severity="error",
                )
                return
            options[key] = value
        try:
            strikes = tuple(
                parse_strike(v.strip(), "strikes")
                for v in options.get("strikes", "").split(",")
                if v.strip()
            )
            dte = int(options["dte"]) if "dte" in options else None
            quantity = int(options["quantity"]) if "quantity" in options else None
            request = TemplateRequest(
                name,
                strikes=strikes,
                dte=dte,
                quantity=quantity,
                underlying=self.market.symbol,
            )
            market = CoreMarket(
                self.market.ctx,
                {self.market.symbol: self.market.snapshot},
                (self.market.description,),
                self.source_name or "app",
            )
            strategy = build_template(request, market)
        except (InputError, LoadError, ValueError) as exc:
            self.notify(f"template {name}: {exc}", severity="error", timeout=10)
            return
        self.position.legs = list(strategy.flat_legs())
        self.position.name = strategy.name
        self.position.selected = 0
        self.position_changed()
        self.notify(f"built {strategy.name}")

    # --- tabs, help -----------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab (the chain tab focuses the chain)."""
        screen = self.main
        # Drop the focus first: a focused widget hidden by the switch would pass the focus to a
        # neighbour in the old pane, and TabbedContent would switch back to it.
        self.set_focus(None)
        screen.query_one(TabbedContent).active = tab
        target = {
            "chain": "#chain-table",
            "scenarios": "#scenarios-table",
            "analysis": "#analysis-scroll",
        }.get(tab)
        if target is not None:
            screen.query_one(target).focus()

    def action_next_expiry(self, step: int) -> None:
        """Previous / next expiry tab."""
        tabs = self.main.query_one(ExpiryTabs)
        if step > 0:
            tabs.action_next_tab()
        else:
            tabs.action_previous_tab()

    def action_help(self) -> None:
        """Open the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # --- hedge sizing ---------------------------------------------------------------------
    def action_open_sizing(self) -> None:
        """Open the hedge-sizing screen (installed once: its form and results stay)."""
        if isinstance(self.screen, SizingScreen):
            return
        if not self.is_screen_installed("sizing"):
            self.install_screen(SizingScreen(), "sizing")
        self.push_screen("sizing")

    def on_candidate_chosen(self, message: CandidateChosen) -> None:
        """Open a sized hedge in the builder: its legs (entered at their fill prices) become the
        position. Legs outside the app's market (RUT, MRUT, TZA) are priced in the sizing
        market, which holds the app's snapshot too."""
        if self.market is None:
            self.notify("no market loaded yet", severity="warning")
            return
        strategy = message.candidate.strategy()
        own = self.market.symbol.upper()
        others = sorted(
            {
                str(
                    getattr(leg.instrument, "underlying", getattr(leg.instrument, "symbol", ""))
                ).upper()
                for leg in strategy.flat_legs()
            }
            - {own}
        )
        if others:
            self.market = replace(self.market, ctx=message.market.ctx)
            self.notify(
                f"{', '.join(others)} priced in the sizing market (until the next refresh)",
                timeout=6,
            )
        while not isinstance(self.screen, MainScreen):
            self.pop_screen()
        self.position.legs = list(strategy.flat_legs())
        self.position.name = strategy.name
        self.position.selected = 0
        self.position_changed()
        self.action_show_tab("analysis")
        self.notify(f"opened {strategy.name} in the builder")

    # --- files and data -------------------------------------------------------------------
    def action_edit_weights(self) -> None:
        """Edit the house-view weights (percent, in the set's order)."""
        names = list(default_weights())
        current = " ".join(f"{100 * self.position.weights[n]:g}" for n in names)

        def done(text: str | None) -> None:
            if text is not None:
                self.set_weights(names, text)

        self.push_screen(
            PromptDialog(
                "Scenario weights", f"{' / '.join(names)} in percent, summing to 100", current
            ),
            done,
        )

    def set_weights(self, names: list[str], text: str) -> None:
        """Parse ``text`` (percentages) and use them as the house-view weights."""
        from pricing.errors import InputError
        from strategies.whatif import weighted_house_view

        parts = text.replace(",", " ").split()
        try:
            values = [float(p) / 100.0 for p in parts]
        except ValueError:
            self.notify(f"weights {text!r}: give {len(names)} numbers", severity="error")
            return
        if len(values) != len(names):
            self.notify(
                f"weights {text!r}: give {len(names)} numbers ({', '.join(names)})",
                severity="error",
            )
            return
        weights = dict(zip(names, values, strict=True))
        try:
            weighted_house_view(weights)
        except InputError as exc:
            self.notify(f"weights: {exc}", severity="error", timeout=10)
            return
        self.position.weights = weights
        self.position.touch()
        self.recompute(report=True)

    def action_save(self) -> None:
        """Save the position to a TOML position file."""
        if not self.position.legs:
            self.notify("nothing to save: build a position first", severity="warning")
            return

        def done(text: str | None) -> None:
            if text:
                self.save_position(Path(text.strip()).expanduser())

        self.push_screen(PromptDialog("Save position", "file name (.toml)", "position.toml"), done)

    def save_position(self, path: Path) -> None:
        """Write the legs and the scenario weights to ``path``."""
        from marketdata.files import OutputFileError
        from strategies.positions import PositionFileError, position_from_legs, save_position_file

        try:
            position = position_from_legs(
                self.position.name,
                self.position.legs,
                underlying=self.symbol,
                notes="saved by the hedge app",
                scenario_weights=dict(self.position.weights),
            )
            save_position_file(path, position)
        except (PositionFileError, OutputFileError) as exc:
            self.notify(str(exc), title="save failed", severity="error", timeout=15)
            return
        self.notify(f"saved {path}")

    def action_load(self) -> None:
        """Load a TOML position file."""

        def done(text: str | None) -> None:
            if text:
                self.load_position(Path(text.strip()).expanduser())

        self.push_screen(PromptDialog("Load position", "file name (.toml)", "position.toml"), done)

    def load_position(self, path: Path) -> None:
        """Read ``path`` and make its legs (and saved weights) the position; errors name the
        file, the field and the line."""
        from pricing.errors import InputError
        from strategies.positions import PositionFileError, load_position_file, position_legs

        try:
            pos = load_position_file(path)
            legs = position_legs(pos)
        except (PositionFileError, InputError) as exc:
            self.notify(str(exc), title="load failed", severity="error", timeout=15)
            return
        self.position.legs = legs
        self.position.name = pos.name
        self.position.selected = 0
        if pos.scenario_weights:
            self.position.weights = dict(pos.scenario_weights)
        self.position_changed()
        self.notify(f"loaded {path}: {pos.name}")

    def action_export(self) -> None:
        """Export the analysis (JSON or CSV by the file's suffix)."""
        if self.results.report is None and self.report_cache is None:
            self.notify("nothing to export yet: build a position first", severity="warning")
            return

        def done(text: str | None) -> None:
            if text:
                self.export_analysis(Path(text.strip()).expanduser())

        self.push_screen(
            PromptDialog("Export analysis", "file name: .json or .csv", "analysis.json"), done
        )

    def export_analysis(self, path: Path) -> None:
        """Write the report (and the what-if numbers) as JSON, or its tables as CSV."""
        from marketdata.files import EXPORT, EXPORT_SIGNATURE, OutputFileError, atomic_write_text
        from strategies.report import report_json

        report = self.report_cache[1] if self.report_cache is not None else self.results.report
        assert report is not None
        # The signature first, so that a later export may replace this file (and only such files).
        doc: dict[str, Any] = {"generator": EXPORT_SIGNATURE, **report}
        numbers = self.results.numbers
        if numbers is not None:
            w = numbers.whatif
            doc["whatif"] = {
                "days_forward": w.days_forward,
                "vol_shift": w.vol_shift,
                "spot_move": w.spot_move,
                "rate_shift_bp": w.rate_shift_bp,
                "at": numbers.at.isoformat(),
                "value": numbers.value,
                "pnl": numbers.pnl,
                "greeks": numbers.greeks.as_dict(),
                "beta_weighted_delta": dict(numbers.beta_weighted),
            }
        try:
            if path.suffix.lower() == ".csv":
                atomic_write_text(path, f"# {EXPORT_SIGNATURE}\n" + analysis_csv(doc), EXPORT)
            elif path.suffix.lower() == ".json":
                atomic_write_text(path, report_json(doc) + "\n", EXPORT)
            else:
                self.notify(f"{path}: the name must end in .json or .csv", severity="error")
                return
        except OutputFileError as exc:
            self.notify(str(exc), title="export refused", severity="error", timeout=15)
            return
        self.notify(f"exported {path}")

    def action_refresh(self) -> None:
        """Reload market data in the background (the shown data stay until the new arrive)."""
        if self.loading:
            self.notify("already loading", severity="warning")
            return
        self.loading = True
        self.load_market(False)


def spec_text(spec: Any) -> str:
    """A strike spec as the template dialog writes it: ``200``, ``5%``, ``25d``, ``$1.5``."""
    from strategies.templates import AtDelta, AtPrice, AtStrike, PctOTM

    if isinstance(spec, AtStrike):
        return f"{spec.strike:g}"
    if isinstance(spec, PctOTM):
        return f"{100 * spec.pct:g}%"
    if isinstance(spec, AtDelta):
        return f"{100 * spec.delta:g}d"
    if isinstance(spec, AtPrice):
        return f"${spec.price:g}"
    return str(spec)


def analysis_csv(doc: dict[str, Any]) -> str:
    """The analysis as CSV: ``section, name, field, value`` rows (summary, greeks, legs,
    scenarios, what-if)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["section", "name", "field", "value"])
    for key in (
        "net_premium",
        "max_profit",
        "max_loss",
        "pop",
        "expected_pnl",
        "cvar",
        "weighted_pnl",
    ):
        out.writerow(["summary", doc["strategy"]["name"], key, doc.get(key)])
    for b in doc.get("breakevens", []):
        out.writerow(["summary", doc["strategy"]["name"], "breakeven", b])
    for key, value in doc["greeks"].items():
        if not isinstance(value, dict):
            out.writerow(["greeks", doc["strategy"]["name"], key, value])
    for leg in doc["legs"]:
        for key in ("quantity", "entry_price", "price", "mark", "value"):
            out.writerow(["leg", leg["id"], key, leg[key]])
        for key, value in leg["greeks"]["position"].items():
            out.writerow(["leg", leg["id"], key, value])
    for s in doc["scenarios"]:
        for key in (
            "set",
            "probability",
            "spot",
            "pnl",
            "spot_move",
            "yield_shift_bp",
            "vol_shift",
            "horizon_days",
        ):
            out.writerow(["scenario", s["name"], key, s[key]])
    for key, value in (doc.get("whatif") or {}).items():
        if not isinstance(value, dict):
            out.writerow(["whatif", "", key, value])
    return buf.getvalue()


def make_app(
    *,
    source: str | Loader = "demo",
    store: Path | None = None,
    clock: Callable[[], datetime] | None = None,
    symbol: str = "IWM",
    position_file: Path | None = None,
) -> HedgeApp:
    """The app over ``source`` (demo, yahoo, auto, store, csv:FILE, or a loader callable
    ``(symbol, now) -> (snapshot, description)``), reading time only from ``clock``."""
    loader = source_loader(source, store) if isinstance(source, str) else source
    name = source if isinstance(source, str) else getattr(source, "__name__", "custom")
    return HedgeApp(
        loader=loader,
        clock=clock or new_york_now,
        symbol=symbol,
        position_file=position_file,
        source_name=name,
    )


async def wait_until_ready(app: HedgeApp, pilot: Any, *, timeout_s: float = 300.0) -> None:
    """Wait (in a Pilot session) until the market is analysed or failed to load and every
    worker has finished, so what is on screen is final."""
    import time

    start = time.monotonic()
    while app.loading and app.is_running and time.monotonic() - start < timeout_s:
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
