"""``hedge fetch``: download live chains from Yahoo Finance and keep them in the snapshot store.

    hedge fetch --symbols IWM RUT SPY [--store PATH] [--expiries N]

A progress bar runs on stderr; a summary table goes to stdout. The fetch-and-store loop is
:func:`marketdata.fetching.fetch_and_store` (shared with the app); this verb only draws it. Each symbol is fetched and
stored on its own: a failed symbol never blanks the others, and the exit code is 1 if any
failed (0 otherwise). Stored snapshots are used later by ``--source store`` / ``auto``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from marketdata.fetching import FetchOutcome

DEFAULT_SYMBOLS: tuple[str, ...] = ("IWM", "RUT", "SPY")

TICKER_FACTORY: Any = None
"""The yfinance ticker factory (None: the real one); tests replace it with a replaying fake."""

SLEEP: Callable[[float], None] | None = None
"""The back-off sleep (None: time.sleep); tests replace it."""


def _clock() -> datetime:
    """The wall clock in New York (the CLI layer is where the clock is read)."""
    from pricing.types import NEW_YORK

    return datetime.now(tz=NEW_YORK)


def split_symbols(values: Sequence[str] | None) -> list[str]:
    """Symbols from ``--symbols`` values and extra arguments: ``IWM RUT,SPY`` -> [IWM, RUT, SPY]
    (upper case, duplicates dropped, order kept); the defaults when no symbol option or argument
    is given at all. A value that holds no symbol (``--symbols ""``) is an error, never a quiet
    fetch of the defaults; so is a symbol that is not a ticker."""
    import re

    from tui.errors import HedgeError

    out: list[str] = []
    for value in values or ():
        parts = value.replace(",", " ").split()
        if not parts:
            raise HedgeError('--symbols: "" holds no symbol; give tickers such as IWM RUT SPY')
        for part in parts:
            name = part.strip().upper().lstrip("^")
            if not re.fullmatch(r"[A-Z][A-Z0-9.\-]{0,9}", name):
                raise HedgeError(f"--symbols: {part} is not a ticker (letters, digits, '.', '-')")
            if name not in out:
                out.append(name)
    return out or list(DEFAULT_SYMBOLS)


def run_fetch(
    symbols: Sequence[str],
    *,
    store_path: str | Path | None,
    max_expiries: int | None,
    clock: Callable[[], datetime],
    ticker_factory: Any = None,
    sleep: Callable[[float], None] | None = None,
    timeout_s: float | None = 20.0,
    err: Any = None,
    out: Any = None,
) -> list[FetchOutcome]:
    """Fetch and store each symbol (:func:`marketdata.fetching.fetch_and_store`) with a rich
    progress bar on ``err``, then print the summary (:func:`tui.render.render_fetch_summary`);
    returns one outcome a symbol. ``err``/``out`` are rich consoles (stderr/stdout by default)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from marketdata.fetching import FetchEvent, fetch_and_store
    from tui.render import render_fetch_summary

    err = err if err is not None else Console(stderr=True)
    out = out if out is not None else Console()
    columns = (
        TextColumn("{task.description:<6}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("expiries"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        tasks: dict[str, TaskID] = {}

        def show(event: FetchEvent) -> None:
            if event.kind == "start":
                tasks[event.symbol] = progress.add_task(event.symbol, total=None)
            elif event.kind == "progress":
                progress.update(tasks[event.symbol], completed=event.done, total=event.total)
            elif event.outcome is not None and not event.outcome.fetched:
                progress.update(tasks[event.symbol], description=f"{event.symbol} x")

        result = fetch_and_store(
            symbols,
            store_path=store_path,
            clock=clock,
            max_expiries=max_expiries,
            ticker_factory=ticker_factory,
            sleep=sleep,
            timeout_s=timeout_s,
            on_event=show,
        )
    render_fetch_summary(result, out, err)
    return list(result.outcomes)


def register(app: typer.Typer) -> None:
    """Add ``hedge fetch`` to ``app``."""

    @app.command("fetch")
    def fetch(
        symbols: Annotated[
            list[str] | None,
            typer.Option(
                "--symbols",
                "-s",
                help="Symbols to fetch (IWM RUT SPY by default); also as arguments.",
            ),
        ] = None,
        more: Annotated[
            list[str] | None,
            typer.Argument(
                metavar="SYMBOL", help="More symbols (so '--symbols IWM RUT SPY' works)."
            ),
        ] = None,
        store: Annotated[
            Path | None,
            typer.Option(
                "--store",
                help="Snapshot store file (default: $HEDGE_STORE, else the user data folder).",
            ),
        ] = None,
        expiries: Annotated[
            int | None,
            typer.Option(
                "--expiries", "-n", min=1, help="Only the nearest N expiries of each symbol."
            ),
        ] = None,
        timeout: Annotated[
            float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each Yahoo answer.")
        ] = 20.0,
    ) -> None:
        """Fetch live option chains from Yahoo Finance and store one snapshot per symbol."""
        names = split_symbols([*(symbols or []), *(more or [])])
        outcomes = run_fetch(
            names,
            store_path=store,
            max_expiries=expiries,
            clock=_clock,
            ticker_factory=TICKER_FACTORY,
            sleep=SLEEP,
            timeout_s=timeout,
        )
        if any(not o.ok for o in outcomes):
            raise typer.Exit(code=1)
