"""``hedge app``: open the terminal app, or render it headless to an SVG (``--screenshot``).

Usage::

    hedge app [--source demo|yahoo|auto|store|csv:FILE] [--symbol IWM] [--file pos.toml]
              [--store PATH] [--screenshot out.svg] [--size 120x40]

``hedge`` with no verb opens the app when stdin and stdout are terminals (the tour otherwise, and
with ``hedge tour``); ``hedge --screenshot out.svg`` renders the app on the demo data and exits.
Exit codes: 0 ok; 1 the screenshot could not be made (no market data); 2 bad arguments.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from tui.chain_options import (
    AsOfOpt,
    ChainSpotOpt,
    DividendsOpt,
    DivYieldOpt,
    OverrideOptionError,
    RateOpt,
    chain_overrides,
)


def parse_size(text: str) -> tuple[int, int]:
    """``"120x40"`` -> ``(120, 40)`` (columns, rows), or :class:`typer.BadParameter`."""
    cols, sep, rows = text.lower().partition("x")
    try:
        size = (int(cols), int(rows))
    except ValueError:
        size = (0, 0)
    if not sep or size[0] < 40 or size[1] < 12:
        raise typer.BadParameter(
            f"{text!r}: give COLUMNSxROWS, at least 40x12", param_hint="--size"
        )
    return size


def app_source(source: str, store: Path | None, overrides: Any = None) -> Any:
    """What :func:`tui.app.make_app` takes as its source: the name itself, or (with chain-file
    ``overrides``, :class:`marketdata.sources.overrides.ChainOverrides`) a loader that applies
    them, named after the source."""
    if overrides is None:
        return source
    from tui.workers import source_loader

    loader = source_loader(source, store, overrides=overrides)
    loader.__name__ = source  # type: ignore[attr-defined]  # make_app shows the source's name
    return loader


def screenshot(
    path: Path,
    *,
    source: Any,
    symbol: str,
    file: Path | None,
    store: Path | None,
    size: tuple[int, int],
    force: bool = False,
) -> bool:
    """Render the app headless at ``size`` once its data and analysis are in, and write the SVG
    to ``path`` through :func:`marketdata.files.atomic_write_text` (atomic; refuses devices,
    FIFOs, folders, symlinks and a file that is not one of our screenshots unless ``force``;
    raises :class:`marketdata.files.OutputFileError`); False when no market data could be
    loaded."""
    from marketdata.files import SVG_SCREENSHOT, SVG_SCREENSHOT_SIGNATURE, atomic_write_text
    from tui.app import make_app, wait_until_ready

    app = make_app(source=source, store=store, symbol=symbol, position_file=file)

    async def shoot() -> tuple[str, bool]:
        async with app.run_test(size=size) as pilot:
            await wait_until_ready(app, pilot)
            return app.export_screenshot(), app.market is not None

    svg, loaded = asyncio.run(shoot())
    atomic_write_text(path, f"{SVG_SCREENSHOT_SIGNATURE}\n{svg}", SVG_SCREENSHOT, force=force)
    return loaded


def run_app(*, source: Any, symbol: str, file: Path | None, store: Path | None) -> None:
    """Open the app on this terminal."""
    from tui.app import make_app

    make_app(source=source, store=store, symbol=symbol, position_file=file).run()


def register(app: typer.Typer) -> None:
    """Add ``app`` and ``tour`` to the ``hedge`` command."""

    @app.command("app")
    def app_cmd(
        source: Annotated[
            str, typer.Option("--source", help="demo, yahoo, auto, store or csv:FILE.")
        ] = "auto",
        symbol: Annotated[
            str,
            typer.Option(
                "--symbol", help="Underlying: any ticker (the demo has IWM, RUT, MRUT, SPY)."
            ),
        ] = "IWM",
        file: Annotated[
            Path | None, typer.Option("--file", help="Position file (TOML) to open.")
        ] = None,
        store: Annotated[
            Path | None, typer.Option("--store", help="Snapshot store (SQLite) path.")
        ] = None,
        shot: Annotated[
            Path | None, typer.Option("--screenshot", help="Render headless to this SVG and exit.")
        ] = None,
        size: Annotated[
            str, typer.Option("--size", help="Screenshot size COLUMNSxROWS.")
        ] = "120x40",
        force: Annotated[
            bool,
            typer.Option("--force", help="Let --screenshot replace a file that is not ours."),
        ] = False,
        spot: ChainSpotOpt = None,
        as_of: AsOfOpt = None,
        rate: RateOpt = None,
        dividends: DividendsOpt = None,
        div_yield: DivYieldOpt = None,
    ) -> None:
        """Open the terminal app: chain, strategy builder, payoff by date, Greeks, scenarios,
        heat map and smile (press ? inside for every key)."""
        from tui.errors import HedgeError

        try:
            overrides = chain_overrides(
                source, spot=spot, as_of=as_of, rate=rate, dividends=dividends, div_yield=div_yield
            )
        except OverrideOptionError as exc:
            raise HedgeError(exc.message) from None
        name = source
        source = app_source(source, store, overrides)
        if shot is not None:
            ok = screenshot(
                shot,
                source=source,
                symbol=symbol,
                file=file,
                store=store,
                size=parse_size(size),
                force=force,
            )
            if not ok:
                typer.echo(
                    f"hedge app: no {symbol} data from {name!r}; screenshot shows the error",
                    err=True,
                )
                raise typer.Exit(1)
            typer.echo(f"wrote {shot}")
            return
        run_app(source=source, symbol=symbol, file=file, store=store)

    @app.command("tour")
    def tour_cmd() -> None:
        """A short printed tour on the demo data (what `hedge` shows when not on a terminal)."""
        from tui.tour import run_tour

        run_tour()
