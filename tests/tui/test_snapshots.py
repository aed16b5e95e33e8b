"""SVG snapshots of the app at 120x40 (pytest-textual-snapshot): the chain, the analysis of a
put spread and the help screen, on the demo data with a fixed clock. Regenerate with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.app import HedgeApp, wait_until_ready

SIZE = (120, 40)


def test_chain_snapshot(snap_compare: Any, app_factory: Callable[..., HedgeApp]) -> None:
    app = app_factory()

    async def ready(pilot: Any) -> None:
        await wait_until_ready(app, pilot)
        await pilot.press("up", "up")  # the cursor on 276: the detail line names its flags
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_analysis_snapshot(snap_compare: Any, app_factory: Callable[..., HedgeApp]) -> None:
    app = app_factory()

    async def build(pilot: Any) -> None:
        await wait_until_ready(app, pilot)
        await pilot.press("p", *["up"] * 10, "P")
        await wait_until_ready(app, pilot)
        await pilot.press("w")
        await wait_until_ready(app, pilot)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=build)


def test_help_snapshot(snap_compare: Any, app_factory: Callable[..., HedgeApp]) -> None:
    app = app_factory()

    async def open_help(pilot: Any) -> None:
        await wait_until_ready(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_help)
