"""The ``hedge`` command: thin verbs over the pricing, market-data and strategy layers.

Each area's verbs live in :mod:`tui.commands`; heavy libraries are imported inside the verbs so
that ``hedge --help`` starts fast.
"""

from __future__ import annotations

import typer

from tui.commands import fetch_cmds, marketdata_cmds, pricing_cmds, size_cmds, strategy_cmds

app = typer.Typer(
    name="hedge",
    help="Price and explore option hedges on small caps (IWM, RUT, MRUT, TNA/TZA).",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context) -> None:
    """With no verb, show the tour (the terminal app replaces it once it exists)."""
    if ctx.invoked_subcommand is None:
        from tui.tour import run_tour

        run_tour()


for _module in (pricing_cmds, marketdata_cmds, fetch_cmds, strategy_cmds, size_cmds):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
