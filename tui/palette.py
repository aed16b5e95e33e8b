"""Command-palette providers: every strategy template, and the app's file commands."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import HedgeApp


class TemplateCommands(Provider):
    """``Template: put-spread`` and the rest: each opens a dialog with the template's options."""

    def _entries(self) -> list[tuple[str, str, str]]:
        from strategies.templates import TEMPLATES

        return [(f"Template: {name}", t.summary, name) for name, t in TEMPLATES.items()]

    async def discover(self) -> Hits:
        app: HedgeApp = self.app  # type: ignore[assignment]
        for text, summary, name in self._entries():
            yield DiscoveryHit(text, partial(app.open_template, name), help=summary)

    async def search(self, query: str) -> Hits:
        app: HedgeApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for text, summary, name in self._entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(text), partial(app.open_template, name), help=summary
                )


class FileCommands(Provider):
    """Save, load, export, refresh and weights from the palette (the same actions as the keys)."""

    COMMANDS = (
        ("Save position (ctrl+s)", "save", "write the legs and weights to a TOML position file"),
        ("Load position (ctrl+o)", "load", "read a TOML position file"),
        ("Export analysis (ctrl+e)", "export", "write the analysis as JSON or CSV"),
        ("Refresh market data (ctrl+r)", "refresh", "reload from the source in the background"),
        ("Edit scenario weights (g)", "edit_weights", "house-view bear / base / bull weights"),
        ("Help (?)", "help", "every key by screen"),
    )

    async def discover(self) -> Hits:
        for text, action, help_text in self.COMMANDS:
            yield DiscoveryHit(text, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, action, help_text in self.COMMANDS:
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(self.app.run_action, action),
                    help=help_text,
                )
