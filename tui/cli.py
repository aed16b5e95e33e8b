"""The ``hedge`` command: thin verbs over the pricing, market-data and strategy layers.

Each area's verbs live in :mod:`tui.commands`; heavy libraries are imported inside the verbs so
that ``hedge --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tui import app_cmd
from tui.commands import (
    fetch_cmds,
    marketdata_cmds,
    pair_cmds,
    pricing_cmds,
    size_cmds,
    strategy_cmds,
)
from tui.errors import HedgeGroup, set_verbose

app = typer.Typer(
    name="hedge",
    help="Price and explore option hedges on small caps (IWM, RUT, MRUT, TNA/TZA).",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=HedgeGroup,
)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the details of errors."),
    screenshot: Annotated[
        Path | None,
        typer.Option("--screenshot", help="Render the app on the demo data to this SVG and exit."),
    ] = None,
    underlyings: Annotated[
        Path | None,
        typer.Option(
            "--underlyings",
            help="Per-underlying facts (TOML) merged over the bundled table; "
            "default $HEDGE_UNDERLYINGS or underlyings.toml in the config folder.",
        ),
    ] = None,
) -> None:
    """With no verb: the terminal app on a terminal, the printed tour otherwise.

    Exit codes of every verb: 0 ok, 1 some rows or data failed, 2 bad input or usage, 3 a file
    could not be written (see :mod:`tui.errors`)."""
    set_verbose(verbose)
    _use_underlyings(underlyings)
    if ctx.invoked_subcommand is not None:
        return
    if screenshot is not None:
        app_cmd.screenshot(
            screenshot, source="demo", symbol="IWM", file=None, store=None, size=(120, 40)
        )
        typer.echo(f"wrote {screenshot}")
    elif sys.stdin.isatty() and sys.stdout.isatty():
        app_cmd.run_app(source="auto", symbol="IWM", file=None, store=None)
    else:
        from tui.tour import run_tour

        run_tour()


def _use_underlyings(path: Path | None) -> None:
    """Put the user's underlyings file in force (``--underlyings``, else ``$HEDGE_UNDERLYINGS``
    or the config folder's) and check it now: a bad file is one error line naming the file, the
    field and the value, exit 2, before any verb runs."""
    from marketdata.underlyings import UnderlyingsFileError, set_user_file, user_file_path
    from marketdata.underlyings import underlyings as table_in_force
    from tui.errors import EXIT_USAGE, fail

    if path is not None:
        set_user_file(path)
    if user_file_path() is None:
        return
    try:
        table_in_force()
    except UnderlyingsFileError as exc:
        option = "--underlyings" if path is not None else "underlyings file"
        fail(f"{option}: {exc}", EXIT_USAGE)


for _module in (
    pricing_cmds,
    marketdata_cmds,
    fetch_cmds,
    strategy_cmds,
    size_cmds,
    pair_cmds,
    app_cmd,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
