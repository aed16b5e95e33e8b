"""The short tour printed by ``hedge`` with no verb (until the terminal app exists)."""

from __future__ import annotations


def run_tour() -> None:
    """Print what the batch verbs can do, on sample inputs."""
    from rich.console import Console

    Console().print("[bold]hedge[/bold]: run `hedge --help` for the verbs.")
