"""Expiry tabs with days to expiry (click or ``[`` / ``]``)."""

from __future__ import annotations

from datetime import date

from textual.message import Message
from textual.widgets import Tab, Tabs


def tab_id(expiry: date) -> str:
    """The tab id of an expiry."""
    return f"exp-{expiry.isoformat()}"


def expiry_of(tab_id_text: str) -> date:
    """The expiry of a tab id."""
    return date.fromisoformat(tab_id_text.removeprefix("exp-"))


class ExpiryTabs(Tabs):
    """One tab per listed expiry: ``Dec18 28d``."""

    DEFAULT_CSS = """
    ExpiryTabs { height: 2; }
    """

    class ExpiryChanged(Message):
        """The user picked another expiry."""

        def __init__(self, expiry: date) -> None:
            super().__init__()
            self.expiry = expiry

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """Turn the tab event into :class:`ExpiryChanged` (a bare ``TabActivated`` would reach
        the enclosing ``TabbedContent`` and switch its pane)."""
        event.stop()
        if event.tab is not None and event.tab.id is not None:
            self.post_message(self.ExpiryChanged(expiry_of(event.tab.id)))

    async def set_expiries(self, expiries: list[date], today: date, active: date | None) -> None:
        """Replace the tabs (``active`` selected); kept as they are when the expiries match."""
        wanted = [tab_id(e) for e in expiries]
        if not self.query("#tabs-list"):  # not composed yet: the app calls again when analysed
            return
        if [t.id for t in self.query(Tab)] != wanted:
            with self.prevent(Tabs.TabActivated, Tabs.Cleared):
                await self.clear()
                for e in expiries:
                    await self.add_tab(Tab(f"{e:%b%d} {(e - today).days}d", id=tab_id(e)))
        if active is not None:
            self.active = tab_id(active)
