"""The hedge-sizing screen: a book (value, beta to a benchmark), the drawdown band to protect,
the share of the loss to cover, the horizon, a budget and the structures to try; the search
(:func:`strategies.sizing.search.size_hedge`) runs in a thread worker with its progress shown;
the ranked hedges and the cost-versus-protection frontier follow; choosing a row opens that
hedge in the builder (the main screen's position).

Fields: book value in dollars (``1,000,000``); beta (a number) to IWM, RUT, MRUT or SPY; the
band as two drawdowns (``5%..15%``); cover as a share of the loss (``80%``, blank: the most
protection within the budget); horizon in calendar days (``60`` or ``60d``); budget in dollars
(``30000``) or a percent of the book value (``1.5%``), blank for none. Every bad field is a
notification naming it and its value.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Label, ProgressBar, Select
from textual.worker import get_current_worker

from tui.keymap import bindings
from tui.messages import CandidateChosen, SizingFailed, SizingProgress, SizingReady
from tui.widgets.frontier_chart import FrontierChart
from tui.widgets.sizing_table import SizingTable

if TYPE_CHECKING:
    from strategies.sizing.book import Book
    from strategies.sizing.search import SizingMarket, SizingRequest, SizingResult
    from tui.app import HedgeApp

#: Structures the search knows (:data:`strategies.sizing.search.STRUCTURES`), in form order.
STRUCTURE_NAMES = (
    "put",
    "put-spread",
    "rut-put-spread",
    "mrut-put-spread",
    "collar",
    "put-spread-collar",
    "tza",
    "short-shares",
)
#: Structures checked when the screen opens (those of ``hedge size``'s default).
DEFAULT_STRUCTURES = frozenset({"put", "put-spread", "rut-put-spread", "collar", "tza"})
#: The form's label of each core field name (:class:`pricing.errors.InputError` ``field``).
FIELD_LABELS = {
    "book value": "book value",
    "beta": "beta",
    "benchmark": "benchmark",
    "band": "protect band",
    "band low": "protect band",
    "band high": "protect band",
    "band step": "protect band",
    "cover": "cover",
    "horizon": "horizon",
    "budget": "budget",
    "structures": "structures",
    "expiry window": "horizon",
}
#: The form field (input id) of each label, to quote what the user typed.
LABEL_INPUTS = {
    "book value": "book-value",
    "beta": "beta",
    "benchmark": "benchmark",
    "protect band": "protect",
    "cover": "cover",
    "horizon": "horizon",
    "budget": "budget",
}
_RANGE = re.compile(r"^\s*([^.]+?)\s*(?:\.\.|:|,|-)\s*(.+?)\s*$")


class FieldError(ValueError):
    """A form field that does not parse: ``field`` (its label), ``value`` (the text) and why."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field} {value!r}: {reason}")


def parse_number(text: str, field: str) -> float:
    """``"1,000,000"`` or ``"$1e6"`` -> 1000000.0 (FieldError naming ``field`` otherwise)."""
    raw = text.strip().replace(",", "").replace("_", "").removeprefix("$")
    try:
        value = float(raw)
    except ValueError:
        raise FieldError(field, text, "is not a number") from None
    if not math.isfinite(value):
        raise FieldError(field, text, "must be finite")
    return value


def parse_share(text: str, field: str) -> float:
    """``"80%"`` -> 0.8, ``"0.8"`` -> 0.8 (FieldError naming ``field`` otherwise)."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise FieldError(field, text, "is not a percentage (80%) or a decimal (0.8)") from None
    if not math.isfinite(value):
        raise FieldError(field, text, "must be finite")
    return value


def parse_band(text: str) -> tuple[float, float]:
    """``"5%..15%"`` -> (0.05, 0.15); one value is a one-point band."""
    m = _RANGE.match(text)
    if m is None:
        value = parse_share(text, "protect band")
        return value, value
    return parse_share(m.group(1), "protect band"), parse_share(m.group(2), "protect band")


def parse_days(text: str) -> float:
    """``"60d"`` or ``"60"`` -> 60.0 calendar days."""
    raw = text.strip().lower().removesuffix("days").removesuffix("d").strip()
    try:
        value = float(raw)
    except ValueError:
        raise FieldError("horizon", text, "is not a number of days (60)") from None
    return value


def parse_budget(text: str, book_value: float) -> float | None:
    """Dollars (``"30000"``) or a percent of ``book_value`` (``"1.5%"``); None when blank."""
    raw = text.strip().replace(",", "").removeprefix("$")
    if not raw:
        return None
    if raw.endswith("%"):
        return parse_share(raw, "budget") * book_value
    return parse_number(raw, "budget")


def build_inputs(values: dict[str, str], structures: tuple[str, ...]) -> tuple[Book, SizingRequest]:
    """The core's :class:`Book` and :class:`SizingRequest` from the form's texts (keys:
    ``book-value``, ``beta``, ``benchmark``, ``protect``, ``cover``, ``horizon``, ``budget``);
    :class:`FieldError` or the core's :class:`~pricing.errors.InputError` name the field."""
    from strategies.sizing.book import Book
    from strategies.sizing.search import SizingRequest

    book = Book(
        parse_number(values["book-value"], "book value"),
        parse_number(values["beta"], "beta"),
        values["benchmark"],
    )
    cover_text = values["cover"].strip()
    request = SizingRequest(
        band=parse_band(values["protect"]),
        cover=None
        if cover_text.lower() in ("", "none", "max")
        else parse_share(cover_text, "cover"),
        horizon_days=parse_days(values["horizon"]),
        budget=parse_budget(values["budget"], book.value),
        structures=structures,
    )
    return book, request


class _Cancelled(Exception):
    """Raised from the progress callback to stop a search a newer one replaced."""


class SizingScreen(Screen[None]):
    """The sizing form, the progress of the search, the ranked hedges and the frontier."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("Sizing screen")  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.result: SizingResult | None = None
        self.market: SizingMarket | None = None
        #: The last sizing market built, with its key (symbols; the app's data shown then).
        self._market: tuple[tuple[object, ...], SizingMarket] | None = None

    @property
    def hedge_app(self) -> HedgeApp:
        """The app (typed)."""
        return cast("HedgeApp", self.app)

    def compose(self) -> ComposeResult:
        from strategies.sizing.book import BENCHMARKS  # the screen opens on demand: load then

        with Vertical(id="sizing-form"):
            yield Label(
                "[b]Hedge sizing[/b] of a book against index drawdowns (esc: back to the builder)",
                id="sizing-title",
            )
            with Horizontal(classes="form-row"):
                yield Label("book $")
                yield Input("2,000,000", id="book-value", compact=True)
                yield Label("beta")
                yield Input("1.25", id="beta", compact=True)
                yield Label("to")
                yield Select(
                    [(b, b) for b in BENCHMARKS],
                    value="IWM",
                    allow_blank=False,
                    id="benchmark",
                    compact=True,
                )
                yield Label("budget $ or % of book")
                yield Input("", placeholder="none", id="budget", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("protect drawdowns")
                yield Input("5%..15%", id="protect", compact=True)
                yield Label("cover % of loss")
                yield Input("80%", placeholder="max for budget", id="cover", compact=True)
                yield Label("horizon days")
                yield Input("60", id="horizon", compact=True)
            with Grid(id="structures"):
                for name in STRUCTURE_NAMES:
                    yield Checkbox(name, name in DEFAULT_STRUCTURES, id=f"s-{name}", compact=True)
            with Horizontal(classes="form-row"):
                yield Button("Size (f5)", id="size", variant="primary", compact=True)
                yield ProgressBar(total=1, show_eta=False, id="sizing-progress")
            yield Label("fill the form, then f5 or enter", id="sizing-status")
        yield SizingTable(id="sizing-table")
        yield Label("", id="sizing-detail")
        yield FrontierChart(id="frontier-chart")
        yield Label(
            "the ranked hedges and the cost-vs-protection frontier appear here after f5",
            id="sizing-notes",
        )
        yield Label("", id="sizing-method")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#book-value", Input).focus()

    # --- the form -------------------------------------------------------------------------
    def form_values(self) -> dict[str, str]:
        """The form's texts by field id."""
        values = {
            name: self.query_one(f"#{name}", Input).value
            for name in ("book-value", "beta", "protect", "cover", "horizon", "budget")
        }
        values["benchmark"] = str(self.query_one("#benchmark", Select).value)
        return values

    def checked_structures(self) -> tuple[str, ...]:
        """The structures ticked, in form order."""
        return tuple(n for n in STRUCTURE_NAMES if self.query_one(f"#s-{n}", Checkbox).value)

    def action_size(self) -> None:
        """Read the form and start the search (a bad field is a notification naming it)."""
        from pricing.errors import InputError

        try:
            book, request = build_inputs(self.form_values(), self.checked_structures())
        except FieldError as exc:
            self.fail(exc.field, f"{exc.field} {exc.value!r}: {exc.reason}")
            return
        except InputError as exc:
            label = FIELD_LABELS.get(exc.field, exc.field)
            typed = self.form_values().get(LABEL_INPUTS.get(label, ""))
            shown = repr(typed) if typed is not None else repr(exc.value)
            self.fail(label, f"{label} {shown}: {exc.reason}")
            return
        self.query_one("#sizing-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#sizing-status", Label).update("sizing: preparing the market…")
        self.run_search(book, request)

    def fail(self, field: str, text: str) -> None:
        """Show a failure as a notification (and in the status line)."""
        self.query_one("#sizing-status", Label).update(f"failed: {text}")
        self.query_one("#sizing-progress", ProgressBar).update(total=1, progress=0)
        self.notify(
            text, title=f"sizing: {field}" if field else "sizing", severity="error", timeout=10
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.action_size()

    @on(Button.Pressed, "#size")
    def _size_pressed(self, event: Button.Pressed) -> None:
        self.action_size()

    def action_toggle_method(self) -> None:
        """Show or hide the search's method notes and the reference sizes."""
        method = self.query_one("#sizing-method", Label)
        method.toggle_class("shown")
        if method.has_class("shown"):
            self.call_after_refresh(method.scroll_visible)

    def action_back(self) -> None:
        """Back to the builder."""
        self.app.pop_screen()

    # --- the worker -----------------------------------------------------------------------
    @work(
        thread=True,
        exclusive=True,
        group="sizing",
        exit_on_error=False,
        description="size a hedge",
    )
    def run_search(self, book: Book, request: SizingRequest) -> None:
        """Build (or reuse) the sizing market and run the search, posting
        :class:`SizingProgress`, then :class:`SizingReady` or :class:`SizingFailed`."""
        from pricing.errors import InputError
        from strategies.sizing.market import symbols_for
        from tui.workers import run_sizing, sizing_market

        worker = get_current_worker()
        app = self.hedge_app
        shown = app.market
        try:
            key: tuple[object, ...] = (
                tuple(symbols_for(request.structures)),
                None if shown is None else (shown.snapshot.as_of, shown.description),
            )
            cached = self._market
            if cached is not None and cached[0] == key:
                market = cached[1]
            else:
                market = sizing_market(app.loader, app.clock(), request.structures, shown)
                self._market = (key, market)
            if worker.is_cancelled:
                return

            def progress(done: int, total: int, label: str) -> None:
                if worker.is_cancelled:
                    raise _Cancelled
                self.post_message(SizingProgress(done, total, label))

            result = run_sizing(market, book, request, progress)
        except _Cancelled:
            return
        except InputError as exc:
            label = FIELD_LABELS.get(exc.field, exc.field)
            self.post_message(SizingFailed(label, f"{label} {exc.value!r}: {exc.reason}"))
            return
        except Exception as exc:
            self.post_message(SizingFailed("", f"{type(exc).__name__}: {exc}"))
            return
        if not worker.is_cancelled:
            self.post_message(SizingReady(result, market))

    def on_sizing_progress(self, message: SizingProgress) -> None:
        self.query_one("#sizing-progress", ProgressBar).update(
            total=message.total, progress=message.done
        )
        self.query_one("#sizing-status", Label).update(
            f"{message.label} ({message.done}/{message.total})"
        )

    def on_sizing_failed(self, message: SizingFailed) -> None:
        self.fail(message.field, message.error)

    def on_sizing_ready(self, message: SizingReady) -> None:
        self.result, self.market = message.result, message.market
        r = message.result
        bar = self.query_one("#sizing-progress", ProgressBar)
        bar.update(total=1, progress=1)
        req = r.request
        lo, hi = req.band
        badge = "DEMO data; " if r.synthetic else ""
        self.query_one("#sizing-status", Label).update(
            f"{badge}as of {r.as_of:%Y-%m-%d %H:%M}; {r.candidates_priced:,} candidates "
            f"priced; IWM {r.spot:,.2f}; horizon {r.horizon:%Y-%m-%d}; book loss "
            f"${r.book_loss[0]:,.0f}..${r.book_loss[-1]:,.0f} at -{100 * lo:g}..-{100 * hi:g} %"
        )
        table = self.query_one(SizingTable)
        table.show(r)
        self.query_one(FrontierChart).show(r)
        cover = (
            "the most protection within the budget"
            if req.cover is None
            else f"{100 * req.cover:g} % of the loss"
        )
        budget = "no budget" if req.budget is None else f"budget ${req.budget:,.0f}"
        self.query_one("#sizing-notes", Label).update(
            f"target {cover} at every drawdown, {budget}; dim rows miss it; n: method | in $: cost = "
            "premium at the fill (options) or carry (TZA, shares); prot = protection, resid = "
            "residual loss at a drawdown; wtd P&L: house view; theta/d: carry a day"
        )
        refs = [
            f"- {ref.rule}: {ref.contracts:,} {ref.instrument} ({ref.exact:,.2f} exact; "
            f"{ref.rounding})"
            for ref in r.reference_sizes
        ]
        self.query_one("#sizing-method", Label).update(
            "\n".join([f"data: {r.source}", *(f"- {n}" for n in r.notes), *refs])
        )
        if table.row_count:
            table.focus()
        else:
            self.notify("no hedge found for these inputs", severity="warning")

    # --- choosing a hedge -----------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#sizing-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        c = self.query_one(SizingTable).candidate_at(event.row_key.value)
        if c is None:
            return
        drawdowns = self.result.drawdowns if self.result is not None else ()
        protection = " ".join(
            f"{100 * d:g}%:{p:,.0f}" for d, p in zip(drawdowns, c.protection, strict=False)
        )
        self.query_one("#sizing-detail", Label).update(
            f"[b]{c.name}[/b] (enter, or click again: open in builder): premium "
            f"${c.premium:,.0f}, carry cost ${c.carry_cost:,.0f}, notional ${c.notional:,.0f}, "
            f"least cover {100 * c.min_covered:.0f} % of the loss; protection $ by drawdown "
            f"{protection}"
        )

    @on(DataTable.RowSelected, "#sizing-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.choose(event.row_key.value)

    def action_choose(self) -> None:
        """Open the highlighted row's hedge in the builder."""
        table = self.query_one(SizingTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self.choose(key.value)

    def choose(self, row_key: str | None) -> None:
        """Post :class:`CandidateChosen` for the row (the app opens it in the builder)."""
        candidate = self.query_one(SizingTable).candidate_at(row_key)
        if candidate is None or self.market is None:
            return
        self.post_message(CandidateChosen(candidate, self.market))
