"""Import an option chain from a CSV file (and write one back).

File layout: optional ``# key: value`` header lines, then a header row, then one quote a row.

Header keys (case-insensitive; arguments to :func:`read_chain_csv` and the command line's
overrides, :mod:`marketdata.sources.overrides`, replace them, and the replacements are stated):

==================  ===========================================================================
``symbol``          the underlying (``IWM``, ``RUT``, ...); else taken from the OCC symbols
``spot``            the underlying's price (required, here or as an argument)
``as_of``           ISO time of the quotes, e.g. ``2026-11-19T16:10:00-05:00``; a time without
                    an offset is New York time (required)
``rate``            a flat continuously compounded decimal rate, e.g. ``0.039``; or
``rate_curve``      ``t_years:rate;t_years:rate`` (one of the two is required)
``dividends``       ``YYYY-MM-DD:amount;YYYY-MM-DD:amount`` (cash per share), or ``none`` / empty;
                    absent: none assumed, and an American chain then carries the
                    missing-dividends warning (:func:`~marketdata.sources.overrides.dividend_warning`)
``source``          a label kept in ``meta``; ``synthetic``: ``true`` marks generated data
==================  ===========================================================================

Columns (case-insensitive; spaces and underscores ignored) - ours, with yfinance's names
accepted as aliases:

==================  ======================================  ====================================
ours                also accepted                           if absent
``expiry``          expiration, expiration_date, expiry_date from the OCC contract symbol
``kind``            type, option_type, right, cp, put_call  from the OCC contract symbol
``strike``                                                  from the OCC contract symbol
``bid``, ``ask``                                            required
``last``            lastPrice                               NaN
``volume``                                                  0
``open_interest``   openInterest                            0
``settlement``                                              by underlying and root (RUT = AM)
``style``                                                   by underlying (RUT european, ETFs
                                                            american)
``multiplier``                                              100
``root``                                                    from the OCC symbol, else symbol
``last_trade``      lastTradeDate                           NaT (text without offset is UTC, as
                                                            Yahoo gives it; epoch seconds too)
``source_iv``       impliedVolatility                       NaN (kept, never trusted)
``contract_symbol`` contractSymbol                          ""
``spot``            underlyingPrice, underlying_last,       the ``# spot`` line (one value per
                    spot_price                              file; differing values are an error)
``quote_time``      time, as_of, quotedatetime, fetched_at  the ``# as_of`` line (the latest)
``rate``            risk_free_rate                          the ``# rate`` line (one value)
==================  ======================================  ====================================

The ``spot``, ``quote_time`` and ``rate`` columns are the snapshot's values, not quote columns.

yfinance's ``change``, ``percentChange``, ``inTheMoney`` (or ``inMoney``), ``contractSize`` and ``currency`` are
read and dropped, as is an unnamed index column; any other column is kept as an extra column.
Every error names the file, the line and the column.

Units: prices per share (index points for RUT), rates and IVs as decimals.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketdata.errors import NoDataError, SchemaError
from marketdata.files import CHAIN_CSV, atomic_output
from marketdata.snapshot import DividendForecast, MarketSnapshot, OptionChain, RateCurve
from marketdata.sources.base import (
    CHAIN_COLUMNS,
    canonical_symbol,
    contract_terms,
    normalize_chain_frame,
    parse_occ_symbol,
)
from marketdata.sources.overrides import (
    DIVIDENDS_GIVEN,
    FILE_VALUES,
    ChainOverrides,
    finish_file_snapshot,
)
from marketdata.underlyings import underlyings
from pricing.errors import InputError
from pricing.types import NEW_YORK

ALIASES: dict[str, str] = {
    "contractsymbol": "contract_symbol",
    "lasttradedate": "last_trade",
    "lastprice": "last",
    "openinterest": "open_interest",
    "impliedvolatility": "source_iv",
    "expiration": "expiry",
    "expirationdate": "expiry",
    "expirydate": "expiry",
    "type": "kind",
    "optiontype": "kind",
    "right": "kind",
    "cp": "kind",
    "putcall": "kind",
    "underlyingprice": "spot",
    "underlyinglast": "spot",
    "spotprice": "spot",
    "quotetime": "quote_time",
    "quotedatetime": "quote_time",
    "asof": "quote_time",
    "time": "quote_time",
    "fetchedat": "quote_time",
    "rate": "rate",
    "riskfreerate": "rate",
}
"""Accepted column names (lower case, no spaces/underscores) mapped to ours."""

#: Columns that carry the snapshot's own values (one value for the whole file), not quotes.
SNAPSHOT_COLUMNS: tuple[str, ...] = ("spot", "quote_time", "rate")

DROPPED: frozenset[str] = frozenset(
    {
        "change",
        "percentchange",
        "inthemoney",
        "inmoney",
        "contractsize",
        "currency",
        "",
        "unnamed0",
        "index",
    }
)
"""yfinance's cosmetic columns and unnamed index columns, read and dropped."""


def _key(name: str) -> str:
    return re.sub(r"[\s_\-:.]", "", name.strip().lower())


def _column_name(raw: str) -> str:
    key = _key(raw)
    if key in ALIASES:
        return ALIASES[key]
    for ours in CHAIN_COLUMNS:
        if _key(ours) == key:
            return ours
    return raw.strip()


_BLANK = frozenset({"", "nan", "none", "null", "-"})


def _is_blank(text: str) -> bool:
    return text.strip().lower() in _BLANK


_DOT_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d{1,3}(,\d{3})+\.\d*)([eE][+-]?\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?(\d+,\d*|,\d+|\d{1,3}(\.\d{3})+,\d*)$")
_COMMA_GROUPED = re.compile(
    r"^[+-]?\d{1,3}(,\d{3})+$"
)  # 1,250: thousands, or 1.25 in a comma file?
_NUMERIC_COLUMNS = frozenset({"strike", "bid", "ask", "last", "multiplier", "source_iv"})


def detect_decimal(cells: list[str], *, where: str) -> str:
    """The decimal separator of a file's number cells: ``"."`` or ``","``.

    A cell such as ``278,0`` or ``4,25`` is a decimal comma; ``278.0`` or ``1,250.5`` a decimal
    point. A file with both kinds is refused, and so is one whose only commas could be either
    (``1,250``: one thousand two hundred and fifty, or 1.25 with a decimal comma?), so a number is
    never silently rescaled. Raises :class:`SchemaError` naming ``where`` and an example cell.
    """
    dot = next((c for c in cells if _DOT_DECIMAL.match(c.strip())), None)
    comma = next(
        (
            c
            for c in cells
            if _COMMA_DECIMAL.match(c.strip()) and not _COMMA_GROUPED.match(c.strip())
        ),
        None,
    )
    grouped = next((c for c in cells if _COMMA_GROUPED.match(c.strip())), None)
    if dot is not None and comma is not None:
        raise SchemaError(
            f"{where}: numbers mix a decimal point ({dot.strip()!r}) and a decimal comma "
            f"({comma.strip()!r}); write every number the same way"
        )
    if comma is not None:
        return ","
    if grouped is not None and dot is None:
        raise SchemaError(
            f"{where}: cannot tell the decimal separator: {grouped.strip()!r} could be a thousands "
            "group or a decimal comma; write decimals with a point (1250.0) or a comma (1,25) "
            "somewhere in the file"
        )
    return "."


def _parse_float(text: str, decimal: str = ".") -> float:
    cleaned = text.strip()
    if cleaned.lower() in ("", "nan", "none", "null", "-"):
        return math.nan
    if decimal == ",":
        if "." in cleaned and not re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?", cleaned):
            raise ValueError("has a decimal point in a file that writes decimals with a comma")
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif "," in cleaned:
        if not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
            raise ValueError(
                "has a comma that is not a thousands separator (the file writes decimals with a point)"
            )
        cleaned = cleaned.replace(",", "")
    return float(cleaned)


def _parse_count(text: str) -> float:
    value = _parse_float(text)
    if math.isnan(value):
        return 0.0
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a count >= 0")
    return float(round(value))


def _parse_expiry(text: str) -> date:
    raw = text.strip()
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        stamp = pd.Timestamp(raw)
        if pd.isna(stamp):
            raise ValueError("empty date") from None
        return stamp.date()


def _parse_time(text: str) -> pd.Timestamp:
    raw = text.strip()
    if not raw or raw.lower() in ("nan", "nat", "none", "null"):
        return pd.Timestamp("NaT")
    if re.fullmatch(r"\d{9,11}(\.\d*)?", raw):
        return pd.Timestamp(float(raw), unit="s", tz="UTC")
    stamp = pd.Timestamp(raw)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _parse_kind(text: str) -> str:
    value = text.strip().lower()
    mapped = {
        "c": "call",
        "call": "call",
        "calls": "call",
        "p": "put",
        "put": "put",
        "puts": "put",
    }.get(value)
    if mapped is None:
        raise ValueError("must be call or put (c/p)")
    return mapped


def _parse_as_of(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ET", ""))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=NEW_YORK)
    return moment


def _parse_curve(text: str) -> RateCurve:
    pairs = [p for p in text.replace(",", ";").split(";") if p.strip()]
    tenors: list[float] = []
    rates: list[float] = []
    for part in pairs:
        t_text, r_text = part.split(":", 1)
        tenors.append(float(t_text))
        rates.append(float(r_text))
    return RateCurve(tuple(tenors), tuple(rates))


def _parse_dividends(text: str) -> DividendForecast:
    if text.strip().lower() == "none":
        return DividendForecast()
    dates: list[date] = []
    amounts: list[float] = []
    for part in [p for p in text.replace(",", ";").split(";") if p.strip()]:
        d_text, a_text = part.rsplit(":", 1)
        dates.append(date.fromisoformat(d_text.strip()))
        amounts.append(float(a_text))
    return DividendForecast(tuple(dates), tuple(amounts))


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("0", "false", "no", "n", ""):
        return False
    raise ValueError("must be true or false")


_PARSERS: dict[str, Callable[[str], Any]] = {
    "expiry": _parse_expiry,
    "kind": _parse_kind,
    "strike": _parse_float,
    "bid": _parse_float,
    "ask": _parse_float,
    "last": _parse_float,
    "volume": _parse_count,
    "open_interest": _parse_count,
    "multiplier": _parse_float,
    "last_trade": _parse_time,
    "source_iv": _parse_float,
}


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    except FileNotFoundError:
        raise NoDataError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise NoDataError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_chain_csv(
    path: str | os.PathLike[str],
    *,
    symbol: str | None = None,
    spot: float | None = None,
    as_of: datetime | None = None,
    rate: float | None = None,
    rate_curve: RateCurve | None = None,
    dividends: DividendForecast | None = None,
    overrides: ChainOverrides | None = None,
) -> MarketSnapshot:
    """Read a chain CSV (module docstring) into a :class:`MarketSnapshot` with source
    ``csv:<path>``. Arguments override the file's ``#`` header and its ``spot``, ``quote_time``
    and ``rate`` columns; ``overrides`` (the command line's, :mod:`marketdata.sources.overrides`)
    override both, and what they replaced is noted in ``meta["override_notes"]``. ``spot``,
    ``as_of`` and a rate are required from one or the other. Raises :class:`SchemaError` naming
    file, line and column, or :class:`NoDataError` for a missing file or one without quotes.
    """
    file = Path(path)
    return read_chain_lines(
        _read_lines(file),
        file,
        symbol=symbol,
        spot=spot,
        as_of=as_of,
        rate=rate,
        rate_curve=rate_curve,
        dividends=dividends,
        overrides=overrides,
    )


def read_chain_lines(
    lines: list[str],
    file: Path,
    *,
    symbol: str | None = None,
    spot: float | None = None,
    as_of: datetime | None = None,
    rate: float | None = None,
    rate_curve: RateCurve | None = None,
    dividends: DividendForecast | None = None,
    overrides: ChainOverrides | None = None,
    line_numbers_of: list[int] | None = None,
    source: str | None = None,
    meta: dict[str, Any] | None = None,
) -> MarketSnapshot:
    """:func:`read_chain_csv` on the text ``lines`` of ``file`` (other readers, e.g.
    :mod:`marketdata.sources.cboe`, reshape a download into these lines). ``line_numbers_of``
    maps the i-th quote row to its line in the original file (for error messages); ``source``
    replaces ``csv:<file>``; ``meta`` is merged into the snapshot's."""
    if overrides:
        spot = overrides.spot if overrides.spot is not None else spot
        as_of = overrides.as_of if overrides.as_of is not None else as_of
        if overrides.rate_curve is not None:
            rate_curve, rate = overrides.rate_curve, None
        if overrides.dividends is not None:
            dividends = overrides.dividends
    header: dict[str, tuple[int, str]] = {}
    first = 0
    while first < len(lines) and (
        lines[first].lstrip().startswith("#") or not lines[first].strip()
    ):
        text = lines[first].strip().lstrip("#").strip()
        if text:
            sep = (
                ":"
                if ":" in text and ("=" not in text or text.index(":") < text.index("="))
                else "="
            )
            if sep not in text:
                raise SchemaError(
                    f"{file}:{first + 1}: header line {lines[first].strip()!r} is not '# key: value'"
                )
            key, value = text.split(sep, 1)
            header[_key(key)] = (first + 1, value.strip())
        first += 1
    body = lines[first:]
    if not body:
        raise NoDataError(f"{file}: no header row and no quotes")
    sample = body[0]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(body, delimiter=delimiter)
    try:
        names_raw = next(reader)
    except StopIteration:
        raise NoDataError(f"{file}: no header row") from None
    header_line = first + 1
    names = [_column_name(n) for n in names_raw]
    seen: dict[str, int] = {}
    for pos, name in enumerate(names):
        if name in seen and _key(name) not in DROPPED:
            raise SchemaError(
                f"{file}:{header_line}: column {name!r} appears twice (columns {seen[name] + 1} and {pos + 1})"
            )
        seen[name] = pos
    keep = [
        (pos, name)
        for pos, name in enumerate(names)
        if _key(name) not in DROPPED or name in CHAIN_COLUMNS
    ]
    if not any(name == "strike" for _, name in keep) and "contract_symbol" not in seen:
        raise SchemaError(
            f"{file}:{header_line}: column 'strike' is missing (and no contract symbol to read it from)"
        )
    for needed in ("bid", "ask"):
        if needed not in seen:
            raise SchemaError(
                f"{file}:{header_line}: column {needed!r} is missing (columns {names_raw})"
            )

    raw_rows: list[tuple[int, list[str]]] = []
    for row in reader:
        raw_rows.append((first + reader.line_num, row))
    if line_numbers_of is not None:
        quote_rows = [i for i, (_, row) in enumerate(raw_rows) if any(c.strip() for c in row)]
        for i, original in zip(quote_rows, line_numbers_of, strict=False):
            raw_rows[i] = (original, raw_rows[i][1])
    numeric = [pos for pos, name in keep if name in _NUMERIC_COLUMNS]
    decimal = detect_decimal(
        [row[pos] for _, row in raw_rows for pos in numeric if pos < len(row)], where=str(file)
    )
    if decimal == "," and delimiter == ",":
        raise SchemaError(
            f"{file}: numbers use a decimal comma but the columns are separated by commas too; "
            "separate the columns with semicolons"
        )

    def number(text: str) -> float:
        return _parse_float(text, decimal)

    def count(text: str) -> float:
        value = number(text)
        if math.isnan(value):
            return 0.0
        if not math.isfinite(value) or value < 0:
            raise ValueError("must be a count >= 0")
        return float(round(value))

    parsers: dict[str, Callable[[str], Any]] = dict(_PARSERS)
    for name_ in _NUMERIC_COLUMNS:
        parsers[name_] = number
    parsers["volume"] = parsers["open_interest"] = count

    def meta_value(key: str, parse: Callable[[str], Any], what: str) -> Any:
        if key not in header:
            return None
        line, text = header[key]
        try:
            return parse(text)
        except (ValueError, InputError) as exc:
            raise SchemaError(
                f"{file}:{line}: header {key!r}: value {text!r} is not {what} ({exc})"
            ) from None

    sym_text = (
        symbol or meta_value("symbol", str, "a symbol") or meta_value("underlying", str, "a symbol")
    )
    columns = {name: pos for pos, name in keep if name in SNAPSHOT_COLUMNS}
    file_spot = meta_value("spot", number, "a price")
    if file_spot is None and "spot" in columns:
        file_spot = _column_value(
            raw_rows, columns["spot"], names_raw, file, number, "a price", given=spot is not None
        )
    file_as_of = meta_value("asof", _parse_as_of, "an ISO time")
    if file_as_of is None and "quote_time" in columns:
        file_as_of = _column_value(
            raw_rows,
            columns["quote_time"],
            names_raw,
            file,
            _parse_as_of,
            "an ISO time",
            latest=True,
        )
    file_curve = meta_value("ratecurve", _parse_curve, "'t_years:rate;...'")
    if file_curve is None:
        flat = meta_value("rate", number, "a decimal rate")
        if flat is None and "rate" in columns:
            flat = _column_value(
                raw_rows,
                columns["rate"],
                names_raw,
                file,
                number,
                "a decimal rate",
                given=rate is not None or rate_curve is not None,
            )
        file_curve = RateCurve.flat(flat) if flat is not None else None
    file_divs = meta_value("dividends", _parse_dividends, "'YYYY-MM-DD:amount;...'")
    spot_value = spot if spot is not None else file_spot
    as_of_value = as_of if as_of is not None else file_as_of
    curve = rate_curve
    if curve is None and rate is not None:
        curve = RateCurve.flat(rate)
    if curve is None:
        curve = file_curve
    divs = dividends if dividends is not None else file_divs
    keep = [(pos, name) for pos, name in keep if name not in SNAPSHOT_COLUMNS]
    synthetic = bool(meta_value("synthetic", _parse_bool, "true/false") or False)

    records: list[dict[str, Any]] = []
    line_numbers: list[int] = []
    width = len(names)
    for line, row in raw_rows:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) > width:
            raise SchemaError(f"{file}:{line}: {len(row)} fields but the header has {width}")
        row = row + [""] * (width - len(row))
        record: dict[str, Any] = {}
        for pos, name in keep:
            cell = row[pos]
            parser = parsers.get(name)
            if parser is None:
                record[name] = cell.strip()
                continue
            if name in ("expiry", "kind", "strike", "multiplier") and _is_blank(cell):
                continue  # derived below
            try:
                record[name] = parser(cell)
            except (ValueError, TypeError, OverflowError) as exc:
                raise SchemaError(
                    f"{file}:{line}: column {names_raw[pos]!r}: value {cell!r} is not valid ({exc})"
                ) from None
        records.append(record)
        line_numbers.append(line)
    if not records:
        raise NoDataError(f"{file}: no quotes after the header (line {header_line})")

    if sym_text is None:
        for rec in records:
            occ = parse_occ_symbol(rec.get("contract_symbol", ""))
            if occ is not None:
                sym_text = underlyings().owner_of_root(occ.root) or occ.root
                break
    if sym_text is None:
        raise SchemaError(f"{file}: the underlying is unknown: pass symbol= or add '# symbol: IWM'")
    try:
        name = canonical_symbol(sym_text)
    except InputError as exc:
        raise SchemaError(f"{file}: symbol {sym_text!r} is not valid ({exc.reason})") from None
    if spot_value is None:
        raise SchemaError(
            f"{file}: spot is missing: pass --spot PRICE (e.g. --spot 238.52), or add a "
            "'# spot: 238.52' line or a spot column to the file"
        )
    if as_of_value is None:
        raise SchemaError(
            f"{file}: as_of is missing (the quotes' time): pass --as-of (e.g. --as-of "
            "2026-11-19T16:10, New York time), or add '# as_of: 2026-11-19T16:10:00-05:00'"
        )
    if curve is None:
        raise SchemaError(
            f"{file}: the rate is missing: pass --rate (e.g. --rate 3.9% or --rate 0.039), "
            "or add '# rate: 0.039' (a decimal)"
        )

    derived = {"expiry": 0, "kind": 0, "strike": 0, "terms": 0}
    for rec, line in zip(records, line_numbers, strict=True):
        occ = (
            parse_occ_symbol(rec.get("contract_symbol", "")) if rec.get("contract_symbol") else None
        )
        for field_name, attr in (("expiry", "expiry"), ("kind", "kind"), ("strike", "strike")):
            if field_name not in rec:
                if occ is None:
                    raise SchemaError(
                        f"{file}:{line}: column {field_name!r} is missing or blank and there is no "
                        f"OCC contract symbol to read it from"
                    )
                rec[field_name] = getattr(occ, attr)
                derived[field_name] += 1
        terms = contract_terms(
            name, (rec.get("root") or None) or (occ.root if occ else None), rec["expiry"]
        )
        defaults: tuple[tuple[str, Any], ...] = (
            ("root", terms.root),
            ("settlement", terms.settlement.value),
            ("style", terms.style.value),
            ("multiplier", terms.multiplier),
        )
        for field_name, value in defaults:
            current = rec.get(field_name)
            if (
                current is None
                or (isinstance(current, str) and not current.strip())
                or (isinstance(current, float) and math.isnan(current))
            ):
                rec[field_name] = value
                derived["terms"] += 1
        rec.setdefault("last", math.nan)
        rec.setdefault("volume", 0.0)
        rec.setdefault("open_interest", 0.0)

    frame = pd.DataFrame.from_records(records)
    where = str(file)
    try:
        chain = normalize_chain_frame(frame, where)
    except SchemaError as exc:
        # Point at the file line: the message names the 0-based row.
        match = re.match(
            rf"^{re.escape(where)}: (column '[^']*'): row (\d+): (.*)$", str(exc), re.S
        )
        if match:
            row_line = line_numbers[int(match.group(2))]
            raise SchemaError(f"{where}:{row_line}: {match.group(1)}: {match.group(3)}") from None
        raise
    try:
        snapshot = MarketSnapshot(
            as_of=as_of_value,
            underlying=name,
            spot=float(spot_value),
            rate_curve=curve,
            dividends=divs if divs is not None else DividendForecast(),
            chain=OptionChain(chain),
            source=source or f"csv:{file}",
            synthetic=synthetic,
            meta=(meta or {})
            | {
                FILE_VALUES: {
                    "spot": file_spot,
                    "as_of": file_as_of,
                    "rate": file_curve,
                    "dividends": file_divs,
                },
                DIVIDENDS_GIVEN: divs is not None,
                "csv_path": str(file),
                "csv_rows": len(records),
                "derived_from_contract_symbol": {k: v for k, v in derived.items() if v},
                "csv_header": {
                    k: v
                    for k, (_, v) in header.items()
                    if k
                    not in (
                        "symbol",
                        "underlying",
                        "spot",
                        "asof",
                        "rate",
                        "ratecurve",
                        "dividends",
                        "synthetic",
                    )
                },
            },
        )
    except InputError as exc:
        raise SchemaError(f"{file}: {exc}") from None
    return finish_file_snapshot(snapshot, overrides)


def _column_value(
    rows: list[tuple[int, list[str]]],
    pos: int,
    names_raw: list[str],
    file: Path,
    parse: Callable[[str], Any],
    what: str,
    *,
    latest: bool = False,
    given: bool = False,
) -> Any:
    """The one value of a snapshot column (spot, quote time, rate) over the quote rows: blank
    cells are skipped; differing values are an error (``latest``: the latest time is taken;
    ``given``: the caller gives the value, so differing values are None, not an error)."""
    found: list[tuple[int, Any]] = []
    for line, row in rows:
        if pos >= len(row) or _is_blank(row[pos]):
            continue
        try:
            found.append((line, parse(row[pos])))
        except (ValueError, TypeError, InputError) as exc:
            raise SchemaError(
                f"{file}:{line}: column {names_raw[pos]!r}: value {row[pos]!r} is not {what} ({exc})"
            ) from None
    if not found:
        return None
    if latest:
        return max(value for _, value in found)
    first_line, first = found[0]
    for line, value in found[1:]:
        if value != first:
            if given:
                return None
            raise SchemaError(
                f"{file}:{line}: column {names_raw[pos]!r}: value {value!r} differs from "
                f"{first!r} on line {first_line}; a chain has one {what}: pass it on the "
                "command line (--spot, --rate) to choose"
            )
    return first


def _format_float(value: Any) -> str:
    number = float(value)
    return "" if math.isnan(number) else repr(number)


def write_chain_csv(
    snapshot: MarketSnapshot, path: str | os.PathLike[str], *, force: bool = False
) -> Path:
    """Write ``snapshot`` as a chain CSV that :func:`read_chain_csv` reads back to the same
    chain (floats written with ``repr`` so they return bit for bit; NaN as blank). Extra
    columns are written as text after the documented ones. The file is written through
    :func:`marketdata.files.atomic_output` (an existing file that is not a chain CSV is replaced
    only with ``force``; raises :class:`marketdata.files.OutputFileError`). Returns the path."""
    file = Path(path)
    frame = snapshot.chain.frame
    curve = ";".join(
        f"{t!r}:{r!r}"
        for t, r in zip(
            snapshot.rate_curve.tenors_years, snapshot.rate_curve.zero_rates, strict=True
        )
    )
    divs = ";".join(
        f"{d.isoformat()}:{a!r}"
        for d, a in zip(snapshot.dividends.ex_dates, snapshot.dividends.amounts, strict=True)
    )
    columns = [c for c in CHAIN_COLUMNS if c in frame.columns] + [
        c for c in frame.columns if c not in CHAIN_COLUMNS
    ]
    floats = {"strike", "bid", "ask", "last", "multiplier", "source_iv"}
    file.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(file, CHAIN_CSV, force=force) as handle:
        handle.write(f"# symbol: {snapshot.underlying}\n")
        handle.write(f"# spot: {snapshot.spot!r}\n")
        handle.write(f"# as_of: {snapshot.as_of.isoformat()}\n")
        handle.write(f"# rate_curve: {curve}\n")
        if divs:
            handle.write(f"# dividends: {divs}\n")
        elif snapshot.meta.get(DIVIDENDS_GIVEN) is not False:
            handle.write("# dividends: none\n")  # known to pay none (not: nobody said)
        handle.write(f"# source: {snapshot.source}\n")
        handle.write(f"# synthetic: {'true' if snapshot.synthetic else 'false'}\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for values in frame[columns].itertuples(index=False, name=None):
            out: list[str] = []
            for col, value in zip(columns, values, strict=True):
                if col in floats:
                    out.append(_format_float(value))
                elif col == "expiry":
                    out.append(pd.Timestamp(value).date().isoformat())
                elif col == "last_trade":
                    out.append("" if pd.isna(value) else pd.Timestamp(value).isoformat())
                elif col in ("volume", "open_interest"):
                    out.append(str(int(value)))
                elif value is None or (isinstance(value, float) and np.isnan(value)):
                    out.append("")
                else:
                    out.append(str(value))
            writer.writerow(out)
    return file
