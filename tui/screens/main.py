"""The main screen: status line, the six tabs (chain, analysis, payoff, scenarios, heat map,
smile), the position / what-if strip and the footer."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from tui.widgets.chain_table import ChainTable
from tui.widgets.expiry_tabs import ExpiryTabs
from tui.widgets.heat_map import HeatMapView
from tui.widgets.legs_table import LegsTable
from tui.widgets.payoff_chart import PayoffChart
from tui.widgets.position_strip import PositionStrip
from tui.widgets.scenarios_table import ScenariosTable
from tui.widgets.smile_chart import SmileChart, TermChart
from tui.widgets.status_bar import StatusBar
from tui.widgets.summary_panel import SummaryPanel

EMPTY_HINT = "No position yet: on the Chain tab press c / p to buy a call / put (C / P to sell), or ctrl+p for a template."


class MainScreen(Screen[None]):
    """Everything the app shows (the app owns the state and the actions)."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with TabbedContent(initial="chain", id="tabs"):
            with TabPane("1 Chain", id="chain"):
                yield ExpiryTabs(id="expiries")
                yield Static("", id="chain-info")
                yield ChainTable(id="chain-table")
                yield Static("", id="chain-detail")
            with TabPane("2 Analysis", id="analysis"), VerticalScroll(id="analysis-scroll"):
                yield LegsTable(id="legs")
                yield SummaryPanel(id="summary")
            with TabPane("3 Payoff", id="payoff"):
                yield PayoffChart(id="payoff-chart")
                yield Static(EMPTY_HINT, id="payoff-note")
            with TabPane("4 Scenarios", id="scenarios"):
                yield ScenariosTable(id="scenarios-table")
                yield Static(EMPTY_HINT, id="scenarios-note")
            with TabPane("5 Heat map", id="heatmap"), VerticalScroll():
                yield HeatMapView(EMPTY_HINT, id="heat")
            with TabPane("6 Smile", id="smile"):
                with Horizontal(id="smile-row"):
                    yield SmileChart(id="smile-chart")
                    yield TermChart(id="term-chart")
                yield Static("", id="smile-note")
        yield PositionStrip(id="strip")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        """Let the app re-lay the chain for the new width."""
        relayout = getattr(self.app, "relayout", None)
        if relayout is not None:
            relayout()
