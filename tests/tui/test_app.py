"""Pilot tests of the terminal app on the demo snapshot with a fixed clock: numbers on screen
equal the strategies layer's for the same position, files round-trip, sizes, failing sources."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, TabbedContent

from marketdata.snapshot import MarketSnapshot
from strategies.legs import Leg, option_for
from strategies.pricing_context import PricingContext, analyse_snapshot
from strategies.report import ReportOptions, SourceInfo, build_report
from strategies.strategy import Strategy
from strategies.whatif import weighted_house_view
from tests.tui.conftest import IWM_EXPIRIES, demo_loader, fixed_clock, rendered_text
from tui.app import HedgeApp, wait_until_ready
from tui.fmt import money, num, pct
from tui.widgets.chain_table import ChainTable
from tui.widgets.position_strip import PositionStrip
from tui.widgets.scenarios_table import ScenariosTable
from tui.widgets.summary_panel import SummaryPanel

DEC = IWM_EXPIRIES[1]


def core_market() -> tuple[MarketSnapshot, PricingContext]:
    """The demo market built directly from the core, as the app's worker does."""
    snap, _ = demo_loader("IWM", fixed_clock())
    spy, _ = demo_loader("SPY", fixed_clock())
    vol, implied = analyse_snapshot(snap)
    ctx = PricingContext.from_snapshot(
        snap, vol={"IWM": vol}, div_yields={"IWM": implied}, extra_spots={"SPY": spy.spot}
    )
    return snap, ctx


def core_put_spread(ctx: PricingContext, long_k: float, short_k: float, name: str) -> Strategy:
    """The same position built from the core: long the ``long_k`` put, short the ``short_k`` put,
    entered at the fill price now."""
    legs = (
        Leg(option_for("IWM", "put", long_k, DEC), 1),
        Leg(option_for("IWM", "put", short_k, DEC), -1),
    )
    return Strategy(name, legs).with_entry_prices(ctx, "fill")


def screen_texts(app: HedgeApp) -> str:
    """What the summary panel and the position strip show."""
    return (
        rendered_text(app.query_one(SummaryPanel))
        + "\n"
        + rendered_text(app.query_one(PositionStrip))
    )


def scenario_cells(app: HedgeApp) -> dict[str, str]:
    """Scenario name -> the P&L cell of the scenarios table."""
    table = app.query_one(ScenariosTable)
    out = {}
    for i in range(table.row_count):
        row = table.get_row_at(i)
        out[str(row[0])] = str(row[1])
    return out


def assert_matches_core(
    app: HedgeApp, strategy: Strategy, ctx: PricingContext, days: float
) -> None:
    """Value, Greeks (at the what-if date), breakevens, PoP and scenario P&L on screen equal the
    strategies layer's numbers for ``strategy``."""
    text = screen_texts(app)
    risk = strategy.risk(ctx.bumped(days_forward=days), benchmark="IWM")
    premium = strategy.net_premium(ctx)
    g = risk.position
    for expected in (
        money(risk.value),
        money(risk.value - premium, signed=True),
        num(g.delta, ".1f"),
        num(g.gamma, ".2f"),
        money(g.vega),
        money(g.theta),
        money(g.rho),
    ):
        assert expected in text, f"{expected!r} not on screen:\n{text}"
    snap = app.market.snapshot if app.market else None
    assert snap is not None
    report = build_report(
        strategy,
        ctx,
        source=SourceInfo(snap.source, "demo", True, snap.as_of),
        options=ReportOptions(scenarios=weighted_house_view(app.position.weights)),
    )
    assert report["breakevens"], "a put spread has a breakeven"
    for b in report["breakevens"]:
        assert f"breakevens        {num(b)}" in text or f"BE {num(b)}" in text
    assert f"PoP {pct(report['pop'])}" in text
    assert money(report["cvar"]) in text
    cells = scenario_cells(app)
    assert len(cells) == len(report["scenarios"])
    for s in report["scenarios"]:
        assert cells[s["name"]] == money(s["pnl"], signed=True), s["name"]


async def build_put_spread(app: HedgeApp, pilot: Any) -> None:
    """From the chain (Dec expiry, cursor on the ATM 278 strike): buy the 278 put, ten strikes
    lower sell the 268 put."""
    await wait_until_ready(app, pilot)
    assert app.expiry == DEC
    table = app.query_one(ChainTable)
    assert table.current_strike() == 278.0
    await pilot.press("p", *["up"] * 10, "P")
    await wait_until_ready(app, pilot)


async def test_put_spread_built_with_keys_shows_the_core_numbers(
    app_factory: Callable[..., HedgeApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await build_put_spread(app, pilot)
        legs = app.position.legs
        assert [(leg.contract.strike, leg.quantity) for leg in legs if leg.contract] == [
            (278.0, 1),
            (268.0, -1),
        ]
        _, ctx = core_market()
        strategy = core_put_spread(ctx, 278.0, 268.0, app.position.name)
        assert [leg.entry_price for leg in legs] == [
            leg.entry_price for leg in strategy.flat_legs()
        ]
        for tab in ("2", "4"):
            await pilot.press(tab)
        await pilot.pause()
        assert_matches_core(app, strategy, ctx, 0.0)

        # Move the short strike one listed strike up, slide the date a week and a day.
        assert app.position.selected == 1
        await pilot.press("greater_than_sign", "w", "d")
        await wait_until_ready(app, pilot)
        assert [leg.contract.strike for leg in app.position.legs if leg.contract] == [278.0, 269.0]
        assert app.position.whatif.days_forward == 8.0
        moved = core_put_spread(ctx, 278.0, 269.0, app.position.name)
        assert_matches_core(app, moved, ctx, 8.0)
        assert "date +8 d of 28" in rendered_text(app.query_one(PositionStrip))


async def test_vol_shift_reprices_american_legs_like_the_core(
    app_factory: Callable[..., HedgeApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await build_put_spread(app, pilot)
        await pilot.press("v", "v", "s")
        await wait_until_ready(app, pilot)
        _, ctx = core_market()
        strategy = core_put_spread(ctx, 278.0, 268.0, app.position.name)
        risk = strategy.risk(ctx.bumped(vol_shift=0.02, spot_move=0.01))
        text = screen_texts(app)
        assert "vol +2 pts" in text and "spot +1 %" in text
        assert money(risk.value) in text and num(risk.position.delta, ".1f") in text
        base_value = strategy.risk(ctx).value
        assert money(base_value) not in text, "the what-if must move the value"


async def test_save_quit_reopen_load_gives_the_same_position(
    app_factory: Callable[..., HedgeApp], tmp_path: Path
) -> None:
    path = tmp_path / "spread.toml"
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await build_put_spread(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        app.screen.query_one(Input).value = "20 50 30"
        await pilot.press("enter")
        await wait_until_ready(app, pilot)
        assert app.position.weights == {"bear": 0.2, "base": 0.5, "bull": 0.3}
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(path)
        await pilot.press("enter")
        await pilot.pause()
        saved = list(app.position.legs)
        app.export_analysis(tmp_path / "analysis.json")
        app.export_analysis(tmp_path / "analysis.csv")
        report = app.report_cache[1] if app.report_cache else None
        assert report is not None
        await pilot.press("q")
    exported = json.loads((tmp_path / "analysis.json").read_text())
    assert exported["pop"] == report["pop"] and exported["weighted_pnl"] == report["weighted_pnl"]
    assert exported["whatif"]["days_forward"] == 0.0
    text = (tmp_path / "analysis.csv").read_text()
    assert text.startswith("# smallcap-hedge export\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["summary", report["strategy"]["name"], "pop", repr(report["pop"])] in rows
    assert path.exists()
    assert "[scenario_weights]" in path.read_text()

    again = app_factory()
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until_ready(again, pilot)
        assert again.position.legs == []
        await pilot.press("ctrl+o")
        await pilot.pause()
        again.screen.query_one(Input).value = str(path)
        await pilot.press("enter")
        await wait_until_ready(again, pilot)
        loaded = again.position.legs
        assert [(leg.instrument, leg.quantity, leg.entry_price) for leg in loaded] == [
            (leg.instrument, leg.quantity, leg.entry_price) for leg in saved
        ]
        assert again.position.weights == {"bear": 0.2, "base": 0.5, "bull": 0.3}
        assert "bear 20 % / base 50 % / bull 30 %" in str(
            again.query_one("#scenarios-note").content
        )


async def test_bad_position_file_is_a_notification_naming_file_field_and_line(
    app_factory: Callable[..., HedgeApp], tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'schema_version = 1\nname = "x"\n\n[[legs]]\nid = "a"\ninstrument = "option"\n'
        'underlying = "IWM"\nkind = "put"\nstrike = -5.0\nexpiry = 2026-12-18\n'
        "quantity = 1\nentry_price = 1.0\n"
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until_ready(app, pilot)
        app.load_position(path)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(str(path) in m and "legs[0].strike" in m and ":9:" in m for m in messages), (
            messages
        )
        assert app.position.legs == []


async def test_every_tab_renders_at_80x24_120x40_and_200x60(
    app_factory: Callable[..., HedgeApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await build_put_spread(app, pilot)
        for size in ((80, 24), (120, 40), (200, 60)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            for tab in ("1", "2", "3", "4", "5", "6"):
                await pilot.press(tab)
                await pilot.pause()
            assert app.query_one(TabbedContent).active == "smile"
            await pilot.press("question_mark")
            await pilot.pause()
            await pilot.press("escape", "1")
            await pilot.pause()
            assert app.query_one(ChainTable).compact == (size[0] < 100)


async def test_a_failing_refresh_is_a_notification_and_the_old_data_stay(
    app_factory: Callable[..., HedgeApp],
) -> None:
    calls = {"n": 0}

    def flaky(symbol: str, now: datetime) -> tuple[MarketSnapshot, str]:
        calls["n"] += 1
        if calls["n"] > 2:  # IWM and SPY load once, then the source fails
            raise ConnectionError("rate limited (HTTP 429)")
        return demo_loader(symbol, now)

    app = app_factory(source=flaky)
    async with app.run_test(size=(120, 40)) as pilot:
        await build_put_spread(app, pilot)
        market = app.market
        rows = app.query_one(ChainTable).row_count
        await pilot.press("ctrl+r")
        await wait_until_ready(app, pilot)
        assert app.market is market
        assert app.query_one(ChainTable).row_count == rows > 0
        assert any(
            "rate limited" in n.message and "keeping the data" in n.message
            for n in app._notifications
        )
        assert money(app.results.numbers.value if app.results.numbers else None) in screen_texts(
            app
        )


async def test_a_source_that_fails_at_start_is_a_notification(
    app_factory: Callable[..., HedgeApp],
) -> None:
    def broken(symbol: str, now: datetime) -> tuple[MarketSnapshot, str]:
        raise ConnectionError("no network")

    app = app_factory(source=broken)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(app, pilot)
        assert app.market is None
        assert any("no network" in n.message for n in app._notifications)
        await pilot.press("p")  # nothing to trade: no crash
        await pilot.pause()


async def test_template_from_the_palette_builds_a_position(
    app_factory: Callable[..., HedgeApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until_ready(app, pilot)
        app.open_template("put-spread")
        await pilot.pause()
        assert app.screen.query_one(Input).value == "strikes=5%,11% dte=60 quantity=1"
        app.screen.query_one(Input).value = "strikes=30d,10d dte=28 quantity=2"
        await pilot.press("enter")
        await wait_until_ready(app, pilot)
        legs = app.position.legs
        assert [leg.quantity for leg in legs] == [2, -2]
        assert all(leg.contract is not None and leg.contract.expiry == DEC for leg in legs)
        assert app.results.report is not None


async def test_chain_rows_mark_atm_and_show_the_flag_detail(
    app_factory: Callable[..., HedgeApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until_ready(app, pilot)
        table = app.query_one(ChainTable)
        row = table.get_row_at(table.cursor_row)
        assert "ATM" in str(row[6])
        assert "strike 278:" in str(app.query_one("#chain-detail").content)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.expiry == IWM_EXPIRIES[2]
        assert isinstance(table, DataTable)
