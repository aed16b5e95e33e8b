"""Typed messages the workers post to the app (one module, as the app's only inbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from strategies.sizing.search import Candidate, SizingMarket, SizingResult
    from strategies.whatif import HeatMap, PayoffChartData, WhatIfNumbers
    from tui.state import Market


class ChainLoaded(Message):
    """A snapshot is loaded: the raw chain can be shown (analysis follows)."""

    def __init__(self, market: Market) -> None:
        super().__init__()
        self.market = market


class MarketReady(Message):
    """The chain is analysed (IVs, deltas, forwards, surface) and the pricing context built."""

    def __init__(self, market: Market) -> None:
        super().__init__()
        self.market = market


class LoadFailed(Message):
    """Loading or analysing market data failed; the app keeps the data it had."""

    def __init__(self, error: str, *, first_load: bool) -> None:
        super().__init__()
        self.error = error
        self.first_load = first_load


class LoadProgress(Message):
    """Progress of a (re)load: ``step`` of ``total`` and what is being done."""

    def __init__(self, step: int, total: int, text: str) -> None:
        super().__init__()
        self.step = step
        self.total = total
        self.text = text


@dataclass
class Results:
    """What one analysis pass computed for position ``version`` (None where not computed)."""

    version: int
    numbers: WhatIfNumbers | None = None
    chart: PayoffChartData | None = None
    report: dict[str, Any] | None = None
    heat: HeatMap | None = None


class AnalysisReady(Message):
    """A part of the analysis of the position is ready (``part``: numbers, report, chart, heat)."""

    def __init__(self, part: str, results: Results) -> None:
        super().__init__()
        self.part = part
        self.results = results


class AnalysisFailed(Message):
    """The analysis of position ``version`` failed: shown as a notification."""

    def __init__(self, version: int, error: str) -> None:
        super().__init__()
        self.version = version
        self.error = error


class SizingProgress(Message):
    """Progress of a hedge-sizing search: ``done`` of ``total`` steps and what was done (the
    core's progress callback, :data:`strategies.sizing.search.ProgressFn`)."""

    def __init__(self, done: int, total: int, label: str) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.label = label


class SizingReady(Message):
    """A hedge-sizing search finished: its :class:`~strategies.sizing.search.SizingResult` and the
    :class:`~strategies.sizing.search.SizingMarket` it ran in (the builder prices a chosen
    candidate there when its legs are outside the app's market)."""

    def __init__(self, result: SizingResult, market: SizingMarket) -> None:
        super().__init__()
        self.result = result
        self.market = market


class SizingFailed(Message):
    """A hedge-sizing search failed: ``field`` names the input at fault (empty when the failure
    is not an input's, e.g. market data) and ``error`` says why."""

    def __init__(self, field: str, error: str) -> None:
        super().__init__()
        self.field = field
        self.error = error


class CandidateChosen(Message):
    """The user chose a sized hedge: the app opens ``candidate`` in the builder (pricing it in
    ``market`` when its legs are outside the app's market)."""

    def __init__(self, candidate: Candidate, market: SizingMarket) -> None:
        super().__init__()
        self.candidate = candidate
        self.market = market
