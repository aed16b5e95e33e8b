"""``hedge chain``: one underlying's option chain, cleaned, with parity forwards, implied vols,
deltas and the fitted SVI smile, as a table, CSV or JSON.

Usage::

    hedge chain --symbol IWM --source demo|yahoo|auto|store|FILE [--expiry YYYY-MM-DD]
                [--format table|csv|json] [--store PATH] [--schema]
                [--spot PRICE] [--as-of TIME] [--rate RATE] [--dividends D | --div-yield Q]

The chain-file options (:mod:`tui.chain_options`) give or replace a file's spot, time,
rate and dividends.

The snapshot comes from :func:`marketdata.sources.resolve.load_snapshot`; the current time is read
here (the CLI layer) and nowhere below it. ``--format table`` shows one expiry (``--expiry``, or by
default the nearest standard monthly still alive) with calls and puts side by side; ``csv`` and
``json`` cover every expiry unless ``--expiry`` is given. Demo data are labelled SYNTHETIC in
every format: the table caption, a ``# SYNTHETIC ...`` first line and a ``synthetic`` column in
CSV, ``"synthetic": true`` in JSON. Exit codes: 0 ok, 1 no data (source empty, unreachable,
rate-limited, missing expiry), 2 bad arguments.

The CSV columns and the JSON document (schema version 1) are documented in
:mod:`marketdata.chain_view`, which builds them; ``hedge chain --schema`` prints the JSON Schema
of :mod:`marketdata.chain_schema`. The verb only parses options, calls the core and renders
(:func:`tui.render.chain_table`).
"""

from __future__ import annotations

import json
import sys
from datetime import date
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
from tui.errors import HedgeError, source_failure

FORMATS = ("table", "csv", "json")


def _parse_expiry(text: str | None) -> Any:
    from marketdata.expiry_choice import parse_expiry_request
    from pricing.errors import InputError

    if text is None:
        return None
    try:
        return parse_expiry_request(text)
    except InputError as exc:
        raise HedgeError(f"--expiry: {text}: {exc.reason}") from None


def run_chain(
    symbol: str,
    source: str,
    expiry_text: str | None,
    fmt: str,
    store: Path | None,
    overrides: Any = None,
) -> str | Any:
    """Load, analyse and render; returns the text (csv/json) or a rich renderable (table).
    ``overrides`` (:class:`marketdata.sources.overrides.ChainOverrides`) apply to a chain file."""
    from datetime import UTC, datetime

    from marketdata.analysis import analyze_chain_cached
    from marketdata.chain_view import chain_csv, chain_document, chain_view, default_expiry
    from marketdata.errors import MarketDataError, NoDataError
    from marketdata.sources.resolve import load_snapshot
    from pricing.errors import InputError
    from tui.render import chain_table

    if fmt not in FORMATS:
        raise HedgeError(f"--format: {fmt} is not a format; choose {', '.join(FORMATS)}")
    request = _parse_expiry(expiry_text)
    expiry: date | None = None
    now = datetime.now(UTC)  # the only clock read: the CLI layer
    kwargs: dict[str, Any] = {"now": now}
    if store is not None:
        kwargs["store_path"] = store
    if overrides is not None:
        kwargs["overrides"] = overrides
    try:
        resolved = load_snapshot(symbol, source, **kwargs)
    except (InputError, MarketDataError) as exc:
        raise source_failure(exc, symbol=symbol, source=source) from None
    snapshot = resolved.snapshot
    description = str(resolved.description)
    if request is not None:
        from marketdata.expiry_choice import pick_expiry

        try:
            expiry = pick_expiry(
                snapshot.chain.expiries, request, what=f"{snapshot.underlying} chain"
            )
        except InputError as exc:
            raise HedgeError(f"--expiry: {request.day.isoformat()} {exc.reason}") from None
    if fmt == "table" and expiry is None:
        try:
            expiry = default_expiry(snapshot.chain.expiries, snapshot.as_of.date())
        except NoDataError as exc:
            raise typer.BadParameter(str(exc), param_hint="--expiry") from None
    try:
        # Analysed per expiry on demand and cached per snapshot: one expiry shown, that expiry
        # analysed (and the previous one, for its calendar check); every expiry otherwise.
        analysis = analyze_chain_cached(snapshot)
        if expiry is not None:
            analysis = analysis.restrict(expiry, calendar=True)
        analysis.fits  # noqa: B018 - runs the (lazy) analysis here, where its errors are mapped
    except (InputError, MarketDataError) as exc:
        raise source_failure(exc, symbol=symbol, source=source) from None
    if fmt == "json":
        document = chain_document(analysis, description, expiry)
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return chain_csv(analysis, description, expiry)
    assert expiry is not None
    return chain_table(chain_view(analysis, expiry, description))


def register(app: typer.Typer) -> None:
    """Add ``chain`` to ``app``."""

    @app.command("chain")
    def chain(
        symbol: Annotated[
            str,
            typer.Option(
                "--symbol", "-s", help="Underlying: any ticker (the demo has IWM, RUT, MRUT, SPY)."
            ),
        ] = "IWM",
        source: Annotated[
            str, typer.Option("--source", help="demo, yahoo, auto, store, or a snapshot FILE.")
        ] = "auto",
        expiry: Annotated[
            str | None,
            typer.Option(
                "--expiry",
                "-e",
                help="YYYY-MM-DD exactly, or nearest:YYYY-MM-DD; table default: the nearest monthly.",
            ),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
        store: Annotated[
            Path | None, typer.Option("--store", help="Snapshot store (SQLite) path.")
        ] = None,
        schema: Annotated[
            bool, typer.Option("--schema", help="Print the JSON Schema of --format json and exit.")
        ] = False,
        spot: ChainSpotOpt = None,
        as_of: AsOfOpt = None,
        rate: RateOpt = None,
        dividends: DividendsOpt = None,
        div_yield: DivYieldOpt = None,
    ) -> None:
        """Show an option chain with clean mids, flags, parity forward, implied vols (never the
        source's), deltas and the fitted SVI smile. Demo data are marked SYNTHETIC."""
        if schema:
            from marketdata.chain_schema import ChainDocument

            sys.stdout.write(json.dumps(ChainDocument.model_json_schema(), indent=2) + "\n")
            return
        try:
            overrides = chain_overrides(
                source, spot=spot, as_of=as_of, rate=rate, dividends=dividends, div_yield=div_yield
            )
        except OverrideOptionError as exc:
            raise HedgeError(exc.message) from None
        out = run_chain(symbol, source, expiry, fmt, store, overrides)
        if isinstance(out, str):
            sys.stdout.write(out)
        else:
            from rich.console import Console

            Console(width=max(160, Console().width)).print(out)
