"""Fixtures for the app tests: the demo snapshot (IWM restricted to three expiries to keep the
suite fast), a fixed clock, and helpers to read what is on screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from rich.console import Console

from marketdata.snapshot import MarketSnapshot
from marketdata.sources.resolve import load_snapshot
from pricing.types import NEW_YORK
from tui.app import HedgeApp, make_app

#: The demo bundle's time is 2026-11-20 16:15 New York; the app's clock reads a bit later.
FIXED_NOW = datetime(2026, 11, 20, 17, 0, tzinfo=NEW_YORK)
#: IWM expiries the tests load (a weekly and two monthlies of the demo bundle).
IWM_EXPIRIES = (date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 15))


def fixed_clock() -> datetime:
    """The tests' clock."""
    return FIXED_NOW


def demo_loader(symbol: str, now: datetime) -> tuple[MarketSnapshot, str]:
    """The demo snapshot of ``symbol`` (IWM restricted to :data:`IWM_EXPIRIES`)."""
    expiries = list(IWM_EXPIRIES) if symbol.upper() == "IWM" else None
    resolved = load_snapshot(symbol, "demo", now=now, expiry=expiries)
    return resolved.snapshot, str(resolved.description)


@pytest.fixture
def app_factory() -> Callable[..., HedgeApp]:
    """``make_app`` over the demo loader and the fixed clock (keyword overrides allowed)."""

    def build(**kwargs: Any) -> HedgeApp:
        kwargs.setdefault("source", demo_loader)
        kwargs.setdefault("clock", fixed_clock)
        return make_app(**kwargs)

    return build


def rendered_text(widget: Any, width: int = 200) -> str:
    """The plain text a Static-like widget shows (its rich renderable printed)."""
    renderable = widget.content
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    text = console.export_text()
    console.file.close()
    return text


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests of this folder in a fresh event loop (no asyncio plugin needed)."""
    import asyncio
    import inspect

    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True
