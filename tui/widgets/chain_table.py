"""The option chain of one expiry: calls | strike | puts, with bid, ask, mid, IV, delta and
open interest on each side; the ATM strike marked, flagged quotes dimmed."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from tui.fmt import num, vol_pts
from tui.state import Market

#: Columns per side, wide layout (label, quote column, format).
WIDE = (
    ("bid", "bid", ".2f"),
    ("ask", "ask", ".2f"),
    ("mid", "mid", ".2f"),
    ("IV", "iv", "vol"),
    ("delta", "delta", ".2f"),
    ("OI", "open_interest", ",.0f"),
)
#: Columns per side below :data:`COMPACT_BELOW` cells of width.
COMPACT = (
    ("bid", "bid", ".2f"),
    ("ask", "ask", ".2f"),
    ("IV", "iv", "vol"),
    ("delta", "delta", ".2f"),
)
COMPACT_BELOW = 100
#: Column widths (cells) by label.
WIDTHS = {"bid": 6, "ask": 6, "mid": 6, "IV": 5, "delta": 7, "OI": 7, "strike": 9}


@dataclass(frozen=True)
class ChainRow:
    """One strike: the call and put quote rows (a mapping of column -> value, None if absent)."""

    strike: float
    call: dict[str, Any] | None
    put: dict[str, Any] | None


def chain_rows(market: Market, expiry: date) -> list[ChainRow]:
    """The rows of ``expiry``: the core's chain view (:func:`marketdata.chain_view.chain_view`:
    IV, delta, flags) once the analysis is ready, else the raw snapshot quotes (bid, ask, mid,
    OI)."""
    if market.analysis is not None:
        from marketdata.chain_view import chain_view

        view = chain_view(market.analysis, expiry, market.description)
        return [
            ChainRow(
                r.strike,
                asdict(r.call) if r.call is not None else None,
                asdict(r.put) if r.put is not None else None,
            )
            for r in view.rows
        ]
    import pandas as pd

    raw = market.snapshot.chain.frame
    frame = raw.loc[raw["expiry"] == pd.Timestamp(expiry)]
    calls: dict[float, dict[str, Any]] = {}
    puts: dict[float, dict[str, Any]] = {}
    for raw_rec in frame.to_dict("records"):
        rec = {str(k): v for k, v in raw_rec.items()}
        target = calls if str(rec["kind"]).lower() == "call" else puts
        target[float(rec["strike"])] = rec
    return [ChainRow(k, calls.get(k), puts.get(k)) for k in sorted(set(calls) | set(puts))]


def forward_of(market: Market, expiry: date) -> float | None:
    """The parity forward of ``expiry`` (price units), None before the analysis."""
    if market.analysis is None:
        return None
    from marketdata.chain_view import chain_view

    return chain_view(market.analysis, expiry, market.description).forward


def flags_of(rec: dict[str, Any] | None) -> list[str]:
    """The cleaning flags of a quote (empty when clean or not analysed)."""
    if rec is None:
        return []
    flags = rec.get("flags") or ()
    if isinstance(flags, str):
        return [f for f in flags.split(",") if f]
    return [str(f) for f in flags]


def _cell(rec: dict[str, Any] | None, column: str, spec: str) -> Text:
    if rec is None:
        return Text("")
    value = rec.get(column)
    if column == "mid" and value is None:
        bid, ask = rec.get("bid"), rec.get("ask")
        value = (bid + ask) / 2.0 if bid is not None and ask is not None else None
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Text(
            "…" if column in ("iv", "delta") and "iv_status" not in rec else "-", justify="right"
        )
    text = vol_pts(float(value)) if spec == "vol" else num(float(value), spec)
    style = "dim" if flags_of(rec) else ""
    return Text(text, style=style, justify="right")


class ChainTable(DataTable[Text]):
    """Calls | strike | puts for one expiry (row cursor; the selected strike is highlighted)."""

    DEFAULT_CSS = """
    ChainTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_data: list[ChainRow] = []
        self.atm_strike: float | None = None
        self.compact = False

    def show(self, market: Market, expiry: date, *, compact: bool) -> None:
        """Fill the table with ``expiry``'s rows, keeping the cursor strike when it still exists."""
        keep = self.current_strike()
        spec = COMPACT if compact else WIDE
        self.compact = compact
        self.clear(columns=True)
        # Fixed widths: the layout never depends on which rows were measured first.
        for label, _, _ in spec:
            self.add_column(Text(f"C {label}", justify="right"), width=WIDTHS[label])
        self.add_column(Text("strike", justify="center"), width=WIDTHS["strike"])
        for label, _, _ in reversed(spec):
            self.add_column(Text(f"P {label}", justify="right"), width=WIDTHS[label])
        self.rows_data = chain_rows(market, expiry)
        forward = forward_of(market, expiry)
        centre = forward if forward is not None else float(market.snapshot.spot)
        self.atm_strike = None
        if self.rows_data:
            self.atm_strike = min((r.strike for r in self.rows_data), key=lambda k: abs(k - centre))
        for row in self.rows_data:
            mark = " ATM" if row.strike == self.atm_strike else ""
            strike = Text(
                f"{row.strike:g}{mark}", style="bold reverse" if mark else "bold", justify="center"
            )
            calls = [_cell(row.call, col, fmt) for _, col, fmt in spec]
            puts = [_cell(row.put, col, fmt) for _, col, fmt in reversed(spec)]
            self.add_row(*calls, strike, *puts, key=f"{row.strike:g}")
        target = keep if keep is not None else self.atm_strike
        if target is not None:
            index = next((i for i, r in enumerate(self.rows_data) if r.strike == target), None)
            if index is None:
                index = min(
                    range(len(self.rows_data)), key=lambda i: abs(self.rows_data[i].strike - target)
                )
            self.move_cursor(row=index, animate=False, scroll=True)
            self.call_after_refresh(self.center_row, index)

    def center_row(self, index: int) -> None:
        """Scroll so that row ``index`` sits mid-table (after every fill: the ATM strike at
        first, the kept strike after a reload or an expiry change)."""
        self.scroll_to(y=max(0, index - (self.size.height - 1) // 2), animate=False)

    def current_strike(self) -> float | None:
        """The strike under the cursor."""
        if not self.rows_data or self.cursor_row < 0 or self.cursor_row >= len(self.rows_data):
            return None
        return self.rows_data[self.cursor_row].strike

    def current_row(self) -> ChainRow | None:
        """The chain row under the cursor."""
        if not self.rows_data or not 0 <= self.cursor_row < len(self.rows_data):
            return None
        return self.rows_data[self.cursor_row]
