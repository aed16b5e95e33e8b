"""Cboe's delayed-quotes download (``quotedata.csv``) read exactly as it is saved.

Layout (Cboe's "Download CSV" of a delayed option chain)::

    "Russell 2000 Index",Last: 2345.67,Change: +12.34
    "Date: December 3, 2026 at 4:15 PM EST",Bid: 2344.5,Ask: 2346.8,Size: 1x1,"Volume: 0"
    Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest
    Fri Dec 04 2026,RUTW261204C02300000,51.2,1.1,45.1,47.3,3,0.2101,0.95,0.001,12,2300.00,RUTW261204P02300000,0.1,-0.05,0.05,0.15,9,0.31,-0.02,0.0003,180

Line 1: the underlying's name and its last price (the spot). Line 2: the quotes' time (``EST``,
``EDT`` or ``ET``: New York; ``CST``, ``CDT``, ``CT``: Chicago; none: New York). Then one row a
strike with the call's columns, the strike, and the put's columns; ``Last Sale``, ``Bid``...
appear twice (the first set is the call's). The option symbol (``Calls``/``Puts`` columns) is an
OCC symbol whose root gives the underlying (``RUTW`` -> RUT, ``SPXW`` -> SPX) and the
settlement (``RUT``/``SPX`` roots AM, ``RUTW``/``SPXW`` PM). ``IV`` is kept as ``source_iv``
(never trusted); ``Net``, ``Delta`` and ``Gamma`` are dropped.

The rows are reshaped into the chain CSV layout of :mod:`marketdata.sources.csv_import` and read
by it, so the same checks apply; every error names the downloaded file's own line and column.
Units: index points or dollars per share; IV a decimal.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from marketdata.errors import SchemaError
from marketdata.snapshot import MarketSnapshot
from marketdata.sources.csv_import import read_chain_lines
from marketdata.sources.overrides import ChainOverrides
from pricing.types import NEW_YORK

#: Per side, Cboe's column -> ours (the columns between a side's symbol and the next side).
SIDE_COLUMNS: dict[str, str] = {
    "last sale": "last",
    "bid": "bid",
    "ask": "ask",
    "volume": "volume",
    "iv": "source_iv",
    "open interest": "open_interest",
}
#: Time-zone abbreviations of the ``Date:`` line.
ZONES: dict[str, ZoneInfo] = {
    "EST": NEW_YORK,
    "EDT": NEW_YORK,
    "ET": NEW_YORK,
    "CST": ZoneInfo("America/Chicago"),
    "CDT": ZoneInfo("America/Chicago"),
    "CT": ZoneInfo("America/Chicago"),
}
_DATE_RE = re.compile(
    r"Date:\s*(?:(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2})"
    r"|(?P<eu_day>\d{1,2})\s+(?P<eu_month>[A-Za-z]+)\.?),?\s+(?P<year>\d{4})"
    r"(?:\s+at\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?)?"
    r"\s*(?P<zone>[A-Za-z]{2,4})?\s*$"
)
_HEADER_CELLS = ("calls", "puts")
#: Lines searched for the preamble and the header row.
PREAMBLE_LINES = 6


def _cells(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def _header_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines[:PREAMBLE_LINES]):
        cells = [c.strip().lower() for c in _cells(line)]
        if all(name in cells for name in _HEADER_CELLS):
            return i
    return None


def is_cboe_quotedata(lines: list[str]) -> bool:
    """True if ``lines`` look like a Cboe download: a header row with ``Calls`` and ``Puts``
    within the first lines (side by side; a file of ours has a ``kind`` column instead)."""
    return _header_index(lines) is not None


def _spot(lines: list[str], file: Path) -> tuple[str, float | None]:
    for i, line in enumerate(lines):
        cells = _cells(line)
        for cell in cells:
            if cell.strip().lower().startswith("last:"):
                text = cell.split(":", 1)[1].strip().replace(",", "")
                try:
                    return cells[0].strip(), float(text)
                except ValueError:
                    raise SchemaError(
                        f"{file}:{i + 1}: the underlying's last price {cell.strip()!r} is not a "
                        "number (pass --spot to give it)"
                    ) from None
    return "", None


def _time(lines: list[str], file: Path) -> datetime | None:
    for i, line in enumerate(lines):
        for cell in _cells(line):
            text = cell.strip()
            if not text.lower().startswith("date:"):
                continue
            match = _DATE_RE.match(text)
            if match is None:
                raise SchemaError(
                    f"{file}:{i + 1}: the quote time {text!r} is not like "
                    "'Date: December 3, 2026 at 4:15 PM EST' (pass --as-of to give it)"
                )
            zone_text = (match["zone"] or "ET").upper()
            zone = ZONES.get(zone_text)
            if zone is None:
                raise SchemaError(
                    f"{file}:{i + 1}: the quote time {text!r} has an unknown zone {zone_text!r} "
                    f"(known: {', '.join(ZONES)}; pass --as-of to give it)"
                )
            hour = int(match["hour"] or 16)
            ampm = (match["ampm"] or "").upper()
            if ampm == "PM" and hour < 12:
                hour += 12
            if ampm == "AM" and hour == 12:
                hour = 0
            try:
                return datetime.strptime(
                    f"{(match['month'] or match['eu_month'])[:3]} "
                    f"{match['day'] or match['eu_day']} {match['year']}",
                    "%b %d %Y",
                ).replace(
                    hour=hour,
                    minute=int(match["minute"] or 0),
                    second=int(match["second"] or 0),
                    tzinfo=zone,
                )
            except ValueError:
                raise SchemaError(
                    f"{file}:{i + 1}: the quote time {text!r} is not a valid date "
                    "(pass --as-of to give it)"
                ) from None
    return None


def _expiry(text: str) -> str:
    raw = text.strip()
    for fmt in ("%a %b %d %Y", "%b %d %Y", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=NEW_YORK).date().isoformat()
        except ValueError:
            continue
    return raw  # the chain reader names the line if it cannot read it either


def read_cboe_quotedata(
    lines: list[str],
    file: Path,
    *,
    symbol: str | None = None,
    overrides: ChainOverrides | None = None,
) -> MarketSnapshot:
    """Read Cboe's ``quotedata.csv`` (its text ``lines``; module docstring) into a snapshot with
    source ``csv:<file>``. The spot and the time come from the preamble unless ``overrides``
    give them (the replaced values are noted); the rate (and dividends) must come from
    ``overrides`` since the download has none. Raises :class:`SchemaError` naming the file's
    line and column."""
    header_at = _header_index(lines)
    if header_at is None:
        raise SchemaError(f"{file}: no header row with Calls, Strike and Puts in the first lines")
    name, spot = _spot(lines[:header_at], file)
    moment = _time(lines[:header_at], file)
    names = [c.strip() for c in _cells(lines[header_at])]
    keys = [n.lower() for n in names]
    if "strike" not in keys:
        raise SchemaError(
            f"{file}:{header_at + 1}: a Cboe download without a 'Strike' column (columns "
            f"{names}): an older Cboe layout; download the chain again from Cboe's delayed "
            "quotes page (columns 'Expiration Date,Calls,Last Sale,...,Strike,Puts,...')"
        )
    strike_at = keys.index("strike")
    sides: list[tuple[str, int, int]] = []
    for kind, label in (("call", "calls"), ("put", "puts")):
        start = keys.index(label)
        end = next(
            (j for j in range(start + 1, len(keys)) if keys[j] in ("calls", "puts", "strike")),
            len(keys),
        )
        sides.append((kind, start, end))
    expiry_at = next((j for j, k in enumerate(keys) if k.startswith("expiration")), None)
    for kind, start, end in sides:
        have = set(keys[start + 1 : end])
        for needed in ("bid", "ask"):
            if needed not in have:
                raise SchemaError(
                    f"{file}:{header_at + 1}: the {kind}s have no {needed.title()!r} column "
                    f"(columns {names})"
                )

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if spot is not None:
        out.write(f"# spot: {spot!r}\n")
    if moment is not None:
        out.write(f"# as_of: {moment.isoformat()}\n")
    columns = ["expiry", "kind", "strike", "contract_symbol", *SIDE_COLUMNS.values()]
    writer.writerow(columns)
    line_of: list[int] = []
    width = len(names)
    for number, row in enumerate(csv.reader(lines[header_at + 1 :]), start=header_at + 2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) > width:
            raise SchemaError(f"{file}:{number}: {len(row)} fields but the header has {width}")
        row = row + [""] * (width - len(row))
        for kind, start, end in sides:
            symbol_text = row[start].strip()
            fields = {keys[j]: row[j] for j in range(start + 1, end)}
            if not symbol_text and all(not fields.get(k, "").strip() for k in ("bid", "ask")):
                continue  # no quote on this side of the strike
            out_row = [
                _expiry(row[expiry_at]) if expiry_at is not None else "",
                kind,
                row[strike_at].strip(),
                symbol_text,
                *(fields.get(col, "") for col in SIDE_COLUMNS),
            ]
            writer.writerow(out_row)
            line_of.append(number)
    return read_chain_lines(
        out.getvalue().splitlines(keepends=True),
        file,
        symbol=symbol,
        overrides=overrides,
        line_numbers_of=line_of,
        meta={"format": "cboe quotedata", "cboe_name": name},
    )
