"""Pilot tests of the hedge-sizing screen on the demo data with a fixed clock: the ranked row on
screen equals :func:`strategies.sizing.search.size_hedge` for the same inputs, choosing it puts
its legs into the builder, a bad field is a notification naming it (f5 or the Size button),
80x24 and 200x60 render; and one SVG snapshot of the results at 120x40."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Label

from marketdata.snapshot import MarketSnapshot
from marketdata.sources.resolve import load_snapshot
from strategies.sizing.book import Book
from strategies.sizing.market import market_from_snapshots
from strategies.sizing.search import SizingRequest, SizingResult, size_hedge
from tests.tui.conftest import fixed_clock
from tui.app import HedgeApp, make_app, wait_until_ready
from tui.fmt import money
from tui.screens.main import MainScreen
from tui.screens.sizing import SizingScreen
from tui.widgets.sizing_table import SizingTable, legs_text

#: Demo expiries the sizing tests load for IWM and RUT: the chain's default (Dec) and the two
#: monthlies inside the 60-day horizon's expiry window (60..180 days).
SIZING_EXPIRIES = (date(2026, 12, 18), date(2027, 2, 19), date(2027, 3, 19))
#: Structures the tests tick (IWM and RUT chains, TZA at the demo's nominal price).
STRUCTURES = ("put", "put-spread", "rut-put-spread", "tza")
#: The form as a user types it: $1,000,000 book, beta 1 to IWM, 5..15 % drawdowns, 80 % cover,
#: 60 days, no budget.
FORM = {
    "book-value": "1,000,000",
    "beta": "1.0",
    "protect": "5%..15%",
    "cover": "80%",
    "horizon": "60",
    "budget": "",
}


def sizing_loader(symbol: str, now: datetime) -> tuple[MarketSnapshot, str]:
    """The demo snapshot (IWM and RUT restricted to :data:`SIZING_EXPIRIES`)."""
    expiries = list(SIZING_EXPIRIES) if symbol.upper() in ("IWM", "RUT") else None
    resolved = load_snapshot(symbol, "demo", now=now, expiry=expiries)
    return resolved.snapshot, str(resolved.description)


def core_result() -> SizingResult:
    """The core's answer for :data:`FORM` on the same snapshots."""
    snaps = {s: sizing_loader(s, fixed_clock())[0] for s in ("IWM", "RUT")}
    market = market_from_snapshots(snaps)
    request = SizingRequest(band=(0.05, 0.15), cover=0.8, horizon_days=60.0, structures=STRUCTURES)
    return size_hedge(market, Book(1_000_000.0, 1.0, "IWM"), request)


def sizing_app() -> HedgeApp:
    """The app over :func:`sizing_loader` and the fixed clock."""
    return make_app(source=sizing_loader, clock=fixed_clock)


async def open_and_fill(app: HedgeApp, pilot: Any, **changes: str) -> SizingScreen:
    """Open the sizing screen with its key and fill the form (``changes`` override fields)."""
    await wait_until_ready(app, pilot)
    await pilot.press("h")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, SizingScreen)
    for name, value in {**FORM, **changes}.items():
        screen.query_one(f"#{name}", Input).value = value
    for box in screen.query(Checkbox):
        box.value = str(box.label) in STRUCTURES
    return screen


async def run_search(app: HedgeApp, pilot: Any, *, click: bool = False) -> None:
    """Press f5 (or click the Size button) and wait for the worker."""
    if click:
        await pilot.click("#size")
    else:
        await pilot.press("f5")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


@pytest.fixture(scope="module")
def expected() -> SizingResult:
    """The core's result (computed once)."""
    return core_result()


async def test_top_row_equals_the_core_and_opens_in_the_builder(expected: SizingResult) -> None:
    assert expected.ranked, "the demo has hedges for this book"
    top = expected.ranked[0]
    app = sizing_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_and_fill(app, pilot)
        await run_search(app, pilot)
        assert screen.result is not None
        table = screen.query_one(SizingTable)
        best = [c for c in expected.best_by_structure.values() if c and c not in expected.ranked]
        assert table.row_count == len(expected.ranked) + (expected.mix is not None) + len(best)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[:5] == ["1", top.structure, legs_text(top), f"{top.units:,}", money(top.cost)]
        assert row[5:10] == [
            money(top.protection[0]),
            money(top.protection[-1]),
            money(top.residual_loss[-1]),
            money(top.weighted_pnl, signed=True),
            money(top.carry_per_day, signed=True),
        ]
        # n shows the core's method notes (rounding, settlement) and reference sizes.
        method = screen.query_one("#sizing-method", Label)
        assert not method.display
        await pilot.press("n")
        await pilot.pause()
        assert method.display
        shown = str(method.content)
        for line in (*expected.notes, *(r.rule for r in expected.reference_sizes)):
            assert line in shown
        await pilot.press("n")
        await pilot.pause()
        # Enter on the highlighted (top) row: its legs become the builder's position.
        assert app.focused is table
        await pilot.press("enter")
        await pilot.pause()
        await wait_until_ready(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.position.legs == list(top.strategy().flat_legs())
        assert app.position.name == top.name
        # The screen keeps its results: the key shows them again; the second row (an IWM
        # structure when the top is not one) opens too; no analysis failed on the way.
        await pilot.press("h")
        await pilot.pause()
        assert app.screen is screen and screen.query_one(SizingTable).row_count == table.row_count
        await pilot.press("down", "enter")
        await pilot.pause()
        await wait_until_ready(app, pilot)
        assert app.position.legs == list(expected.ranked[1].strategy().flat_legs())
        failures = [n.message for n in app._notifications if n.severity == "error"]
        assert not failures, failures
        assert app.results.numbers is not None and app.results.report is not None
        # The best RUT spread (listed after the ranking) opens too, priced in the sizing
        # market; the builder will not move its strike along the IWM chain on screen.
        rut = expected.best_by_structure["rut-put-spread"]
        assert rut is not None
        await pilot.press("h")
        await pilot.pause()
        table.move_cursor(row=table.get_row_index("best rut-put-spread"))
        await pilot.press("enter")
        await pilot.pause()
        await wait_until_ready(app, pilot)
        assert app.position.legs == list(rut.strategy().flat_legs())
        assert app.results.numbers is not None and app.results.report is not None
        failures = [n.message for n in app._notifications if n.severity == "error"]
        assert not failures, failures
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert app.position.legs == list(rut.strategy().flat_legs())
        assert any("RUT strikes" in n.message for n in app._notifications)
        await pilot.press("h")
        await pilot.pause()
        for size in ((80, 24), (200, 60)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


@pytest.mark.parametrize(
    ("field", "text", "named"),
    [
        ("cover", "250%", "cover"),
        ("book-value", "a lot", "book value"),
        ("protect", "15%..5%", "protect band"),
    ],
)
async def test_a_bad_field_is_a_notification_naming_it(field: str, text: str, named: str) -> None:
    app = sizing_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_and_fill(app, pilot, **{field: text})
        await run_search(app, pilot, click=field == "book-value")
        messages = [f"{n.title}: {n.message}" for n in app._notifications]
        assert any(named in m and text in m for m in messages), messages
        assert screen.result is None


def test_sizing_results_snapshot(snap_compare: Any, app_factory: Callable[..., HedgeApp]) -> None:
    app = sizing_app()

    async def sized(pilot: Any) -> None:
        await open_and_fill(app, pilot)
        await run_search(app, pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=sized)


def test_the_key_table_drives_the_sizing_keys_and_help() -> None:
    from rich.console import Console

    from tui.keymap import bindings
    from tui.screens.help import help_table

    screen_keys = {b.key for b in bindings("Sizing screen")}
    assert screen_keys == {"f5", "enter", "escape", "n"}
    assert {b.key for b in SizingScreen.BINDINGS if hasattr(b, "key")} == screen_keys
    app_keys = {b.key for b in bindings()}
    assert "h" in app_keys and not screen_keys & app_keys - {"escape"}
    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(help_table())
    text = console.export_text()
    console.file.close()
    for line in ("Hedge sizing screen", "Sizing screen", "Size: run the search"):
        assert line in text


def test_the_form_texts_become_the_core_inputs() -> None:
    from tui.screens.sizing import FieldError, build_inputs

    form = {**FORM, "benchmark": "SPY", "budget": "1.5%", "cover": "", "horizon": "45d"}
    book, request = build_inputs(form, ("put-spread",))
    assert (book.value, book.beta, book.benchmark) == (1_000_000.0, 1.0, "SPY")
    assert request.band == (0.05, 0.15)
    assert request.cover is None  # blank: the most protection within the budget
    assert request.budget == 15_000.0  # 1.5 % of the book, in dollars
    assert request.horizon_days == 45.0
    _, request = build_inputs({**form, "budget": "$30,000", "cover": "0.8"}, ("tza",))
    assert (request.budget, request.cover, request.structures) == (30_000.0, 0.8, ("tza",))
    with pytest.raises(FieldError) as err:
        build_inputs({**form, "horizon": "two months"}, ("put",))
    assert err.value.field == "horizon" and err.value.value == "two months"
