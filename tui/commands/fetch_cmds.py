"""``hedge fetch``: download live chains from Yahoo Finance and keep them in the snapshot store.

    hedge fetch --symbols IWM RUT SPY [--store PATH] [--expiries N]

A progress bar runs on stderr; a summary table goes to stdout. Each symbol is fetched and
stored on its own: a failed symbol never blanks the others, and the exit code is 1 if any
failed (0 otherwise). Stored snapshots are used later by ``--source store`` / ``auto``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_SYMBOLS: tuple[str, ...] = ("IWM", "RUT", "SPY")

TICKER_FACTORY: Any = None
"""The yfinance ticker factory (None: the real one); tests replace it with a replaying fake."""

SLEEP: Callable[[float], None] | None = None
"""The back-off sleep (None: time.sleep); tests replace it."""


def _clock() -> datetime:
    """The wall clock in New York (the CLI layer is where the clock is read)."""
    from pricing.types import NEW_YORK

    return datetime.now(tz=NEW_YORK)


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What happened to one symbol."""

    symbol: str
    ok: bool
    message: str
    snapshot_id: int | None = None
    quotes: int = 0
    expiries: int = 0
    skipped: int = 0
    spot: float | None = None


def split_symbols(values: Sequence[str] | None) -> list[str]:
    """Symbols from ``--symbols`` values and extra arguments: ``IWM RUT,SPY`` -> [IWM, RUT, SPY]
    (upper case, duplicates dropped, order kept); the defaults if none."""
    out: list[str] = []
    for value in values or ():
        for part in value.replace(",", " ").split():
            name = part.strip().upper().lstrip("^")
            if name and name not in out:
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
    """Fetch each symbol live, store it, and print the summary; returns one outcome a symbol.

    ``err``/``out`` are rich consoles (stderr/stdout by default). Never raises for a symbol's
    failure: each failure becomes an outcome with its message.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from marketdata.errors import MarketDataError, StoreError
    from marketdata.paths import resolve_store_path
    from marketdata.sources.store import SnapshotStore
    from marketdata.sources.yahoo import YahooSource
    from pricing.errors import InputError

    err = err if err is not None else Console(stderr=True)
    out = out if out is not None else Console()
    path = resolve_store_path(store_path)
    store = SnapshotStore(path)
    source = YahooSource(
        clock=clock, ticker_factory=ticker_factory, max_expiries=max_expiries, sleep=sleep, timeout_s=timeout_s
    )
    outcomes: list[FetchOutcome] = []
    columns = (TextColumn("{task.description:<6}"), BarColumn(), MofNCompleteColumn(), TextColumn("expiries"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        for symbol in symbols:
            task = progress.add_task(symbol, total=None)

            def report(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            try:
                snapshot = source.load(symbol, progress=report)
            except (MarketDataError, InputError) as exc:
                outcomes.append(FetchOutcome(symbol, False, f"{type(exc).__name__}: {exc}"))
                progress.update(task, description=f"{symbol} x")
                continue
            skipped = len(snapshot.meta.get("skipped_expiries") or [])
            try:
                snapshot_id = store.save(snapshot)
            except StoreError as exc:
                outcomes.append(FetchOutcome(symbol, False, f"fetched but NOT stored: {exc}", quotes=len(snapshot.chain), spot=snapshot.spot))
                continue
            note = f"{skipped} expiries skipped" if skipped else "ok"
            outcomes.append(
                FetchOutcome(symbol, True, note, snapshot_id, len(snapshot.chain), len(snapshot.chain.expiries), skipped, snapshot.spot)
            )

    table = Table(title=f"hedge fetch -> {path}", title_justify="left")
    for name, justify in (("symbol", "left"), ("status", "left"), ("spot", "right"), ("expiries", "right"), ("quotes", "right"), ("stored id", "right"), ("detail", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for o in outcomes:
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
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        out.print(f"[red]{escape(o.symbol)} failed:[/] {escape(o.message)}", soft_wrap=True, highlight=False)
    if failed and len(failed) == len(outcomes) and all(
        "SourceUnavailableError" in o.message or "RateLimitedError" in o.message for o in failed
    ):
        err.print(
            "Yahoo Finance could not be used for any symbol. Check the network (or wait out the "
            "rate limit); meanwhile --source store uses stored snapshots and --source demo the "
            "bundled SYNTHETIC data."
        )
    return outcomes


def register(app: typer.Typer) -> None:
    """Add ``hedge fetch`` to ``app``."""

    @app.command("fetch")
    def fetch(
        symbols: Annotated[
            list[str] | None,
            typer.Option("--symbols", "-s", help="Symbols to fetch (IWM RUT SPY by default); also as arguments."),
        ] = None,
        more: Annotated[
            list[str] | None, typer.Argument(metavar="SYMBOL", help="More symbols (so '--symbols IWM RUT SPY' works).")
        ] = None,
        store: Annotated[
            Path | None,
            typer.Option("--store", help="Snapshot store file (default: $HEDGE_STORE, else the user data folder)."),
        ] = None,
        expiries: Annotated[
            int | None, typer.Option("--expiries", "-n", min=1, help="Only the nearest N expiries of each symbol.")
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
