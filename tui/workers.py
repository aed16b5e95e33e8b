"""Thread workers: every slow call (loading a snapshot, analysing a chain, pricing a position)
runs here, never on the screen's thread, and reports by posting typed messages
(:mod:`tui.messages`).

Two worker groups, both ``exclusive`` (a new request cancels the older one of its group; a
cancelled worker posts nothing): ``load`` (market data) and ``quant`` (the position's analysis).
Each worker has a fixed ``description``: Textual would otherwise build one from the ``repr``
of its arguments, which prints whole chain frames (80 ms a key press). Pricing (numba kernels and QuantLib under :mod:`pricing`) is entered under one lock,
:data:`PRICING_LOCK`, so at most one thread prices at a time whatever the group.

The sizing screen's worker (group ``sizing``, :meth:`tui.screens.sizing.SizingScreen.run_search`)
builds its market with :func:`sizing_market` and searches with :func:`run_sizing`, both here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import get_current_worker

from tui.messages import (
    AnalysisFailed,
    AnalysisReady,
    ChainLoaded,
    LoadFailed,
    LoadProgress,
    MarketReady,
    Results,
)
from tui.state import Market

if TYPE_CHECKING:
    from marketdata.snapshot import MarketSnapshot
    from strategies.sizing.book import Book
    from strategies.sizing.search import SizingMarket, SizingRequest, SizingResult
    from strategies.strategy import Strategy
    from strategies.whatif import HeatMap, WhatIf

#: Serialises pricing across worker threads (QuantLib's settings are process-global).
PRICING_LOCK = threading.Lock()

#: A market-data loader: ``(symbol, now) -> (snapshot, human description)``.
Loader = Callable[[str, datetime], "tuple[MarketSnapshot, str]"]

#: Longest wait (seconds) for the chain to be drawn before the analysis starts.
CHAIN_FIRST_WAIT_S = 3.0

#: Longest wait (seconds) for the what-if numbers to be drawn before the slower parts run.
NUMBERS_FIRST_WAIT_S = 0.5

#: Benchmarks whose spots the app loads for beta-weighting (best effort).
BENCHMARKS = ("IWM", "SPY")


def source_loader(source: str, store: Any = None, overrides: Any = None) -> Loader:
    """A loader over :func:`marketdata.sources.resolve.load_snapshot` for a source name
    (demo, yahoo, auto, store or csv:FILE); ``overrides``
    (:class:`marketdata.sources.overrides.ChainOverrides`) apply to a chain file."""

    def load(symbol: str, now: datetime) -> tuple[MarketSnapshot, str]:
        from marketdata.sources.resolve import load_snapshot

        path = source[4:] if source.startswith("csv:") else source
        kwargs: dict[str, Any] = {"now": now}
        if store is not None:
            kwargs["store_path"] = store
        if overrides is not None:
            kwargs["overrides"] = overrides
        resolved = load_snapshot(symbol, path, **kwargs)
        return resolved.snapshot, str(resolved.description)

    return load


class WorkersMixin:
    """The app's workers (mixed into :class:`tui.app.HedgeApp`)."""

    loader: Loader
    clock: Callable[[], datetime]
    symbol: str
    #: Set by the app once the raw chain is on screen: the analysis waits for it (at most
    #: :data:`CHAIN_FIRST_WAIT_S`) so that the first paint never competes with it.
    chain_shown: threading.Event
    #: Set by the app once a pass's what-if numbers are on screen: the slower parts (report,
    #: chart, heat map; their kernels hold the interpreter) wait for it, at most
    #: :data:`NUMBERS_FIRST_WAIT_S`, so a key press repaints its numbers first.
    numbers_shown: threading.Event

    if TYPE_CHECKING:

        def post_message(self, message: Any) -> bool:
            """Provided by the App."""

    @work(thread=True, exclusive=True, group="load", exit_on_error=False, description="load market")
    def load_market(self, first_load: bool) -> None:
        """Load the snapshot (post :class:`ChainLoaded`), analyse it and build the pricing
        context (post :class:`MarketReady`); on failure post :class:`LoadFailed`."""
        worker = get_current_worker()
        try:
            self.post_message(LoadProgress(1, 3, f"loading {self.symbol}"))
            snapshot, description = self.loader(self.symbol, self.clock())
            if worker.is_cancelled:
                return
            market = Market(self.symbol, snapshot, description)
            self.chain_shown.clear()
            self.post_message(ChainLoaded(market))
            self.chain_shown.wait(CHAIN_FIRST_WAIT_S)
            self.post_message(LoadProgress(2, 3, "implied vols and surface"))
            extra: dict[str, float] = {}
            for bench in BENCHMARKS:
                if bench == snapshot.underlying.upper():
                    continue
                try:
                    extra[bench] = float(self.loader(bench, self.clock())[0].spot)
                except Exception:  # best effort: beta-weighting to it is then not shown
                    continue
            with PRICING_LOCK:
                from marketdata.analysis import analyze_chain_cached
                from strategies.pricing_context import PricingContext, analyse_snapshot

                analysis = analyze_chain_cached(snapshot)
                vol, implied_yield = analyse_snapshot(snapshot)
                ctx = PricingContext.from_snapshot(
                    snapshot,
                    vol={snapshot.underlying.upper(): vol},
                    div_yields={snapshot.underlying.upper(): implied_yield},
                    extra_spots=extra,
                )
            if worker.is_cancelled:
                return
            self.post_message(LoadProgress(3, 3, "ready"))
            self.post_message(
                MarketReady(Market(self.symbol, snapshot, description, analysis, ctx))
            )
        except Exception as exc:
            self.post_message(LoadFailed(f"{type(exc).__name__}: {exc}", first_load=first_load))

    @work(
        thread=True,
        exclusive=True,
        group="quant",
        exit_on_error=False,
        description="analyse position",
    )
    def analyse(
        self,
        version: int,
        strategy: Strategy,
        market: Market,
        whatif: WhatIf,
        weights: dict[str, float],
        previous_report: dict[str, Any] | None,
        previous_heat: HeatMap | None = None,
    ) -> None:
        """Price the position: what-if numbers first, then the report (unless
        ``previous_report``, still valid for these legs and weights, is given), the chart and
        the heat map (unless ``previous_heat``, still valid for these legs, vol and rate shifts,
        is given), each posted as soon as it is ready."""
        from strategies.report import ReportOptions, SourceInfo, build_report
        from strategies.whatif import (
            heat_map,
            payoff_chart_data,
            weighted_house_view,
            whatif_numbers,
        )

        worker = get_current_worker()
        ctx = market.ctx
        assert ctx is not None
        out = Results(version, report=previous_report)
        try:
            with PRICING_LOCK:
                if worker.is_cancelled:
                    return
                out.numbers = whatif_numbers(strategy, ctx, whatif)
            self.numbers_shown.clear()
            self.post_message(AnalysisReady("numbers", out))
            self.numbers_shown.wait(NUMBERS_FIRST_WAIT_S)
            if previous_report is None:
                with PRICING_LOCK:
                    if worker.is_cancelled:
                        return
                    snap = market.snapshot
                    source = SourceInfo(
                        snap.source, market.description, bool(snap.synthetic), snap.as_of
                    )
                    options = ReportOptions(scenarios=weighted_house_view(weights))
                    out.report = build_report(strategy, ctx, source=source, options=options)
                self.post_message(AnalysisReady("report", out))
            with PRICING_LOCK:
                if worker.is_cancelled:
                    return
                report = out.report or {}
                breakevens = [b for b in report.get("breakevens", []) if b is not None]
                points = [
                    (s["name"], s["spot"], s["pnl"])
                    for s in report.get("scenarios", [])
                    if s["spot"] is not None and s["pnl"] is not None
                ]
                levels = [
                    (lv["label"], lv["kind"], lv["spot"])
                    for lv in report.get("levels", [])
                    if lv["spot"] is not None
                ]
                out.chart = payoff_chart_data(
                    strategy, ctx, whatif, breakevens=breakevens, scenarios=points, levels=levels
                )
            self.post_message(AnalysisReady("chart", out))
            with PRICING_LOCK:
                if worker.is_cancelled:
                    return
                out.heat = previous_heat or heat_map(strategy, ctx, whatif)
            self.post_message(AnalysisReady("heat", out))
        except Exception as exc:
            self.post_message(AnalysisFailed(version, f"{type(exc).__name__}: {exc}"))


def sizing_market(
    loader: Loader,
    now: datetime,
    structures: tuple[str, ...],
    shown: Market | None,
) -> SizingMarket:
    """The market a hedge-sizing search needs (:func:`strategies.sizing.market.symbols_for`):
    the snapshot already on screen for its symbol (so the builder and the search see the same
    quotes), the others from ``loader``; leveraged-ETF spots (and SPY's, for the builder's
    beta-weighting) loaded best effort, the core's nominal ETF prices on SYNTHETIC data, and
    :class:`~pricing.errors.InputError` naming ``spots`` when live data lack one."""
    from strategies.sizing.market import NOMINAL_ETF_SPOTS, market_from_snapshots, symbols_for

    snaps: dict[str, MarketSnapshot] = {}
    lines: list[str] = []
    for sym in symbols_for(structures):
        if shown is not None and shown.symbol.upper() == sym:
            snaps[sym], description = shown.snapshot, shown.description
        else:
            snaps[sym], description = loader(sym, now)
        lines.append(f"{sym}: {description}")
    synthetic = any(s.synthetic for s in snaps.values())
    spots: dict[str, float] = {}
    wanted = [*BENCHMARKS, *([] if synthetic else NOMINAL_ETF_SPOTS)]
    for sym in wanted:
        if sym in snaps:
            continue
        try:
            spots[sym] = float(loader(sym, now)[0].spot)
        except Exception:  # best effort: the core names a missing ETF spot
            continue
    with PRICING_LOCK:
        return market_from_snapshots(snaps, etf_spots=spots, description="; ".join(lines))


def run_sizing(
    market: SizingMarket,
    book: Book,
    request: SizingRequest,
    progress: Callable[[int, int, str], None],
) -> SizingResult:
    """:func:`strategies.sizing.search.size_hedge` under the pricing lock."""
    from strategies.sizing.search import size_hedge

    with PRICING_LOCK:
        return size_hedge(market, book, request, progress=progress)
