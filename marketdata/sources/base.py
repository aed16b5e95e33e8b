"""The :class:`Source` protocol every market-data source follows, and helpers the sources share:
symbol names, contract terms per underlying (style, settlement, multiplier), OCC option symbols
and the normalisation of a raw quote frame into the documented :class:`OptionChain` columns.

Units: strikes and prices in the underlying's price units per share (index points for RUT);
``multiplier`` in shares (or index dollars) per contract; IVs as decimals; times tz-aware.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from marketdata.errors import SchemaError
from marketdata.snapshot import MarketSnapshot, OptionChain
from marketdata.underlyings import is_third_friday as is_third_friday
from marketdata.underlyings import underlyings
from pricing.errors import InputError
from pricing.types import Delivery, ExerciseStyle, SettlementTime

Clock = Callable[[], datetime]
"""Returns the current tz-aware time; supplied by the CLI/TUI layer (the core never reads the clock)."""

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while a source fetches expiries."""

CHAIN_COLUMNS: tuple[str, ...] = OptionChain.REQUIRED + OptionChain.OPTIONAL
"""Every documented chain column, in the order the sources emit them."""


@runtime_checkable
class Source(Protocol):
    """A market-data source: a name and a ``load`` returning one underlying's snapshot."""

    name: str

    def load(
        self,
        symbol: str,
        *,
        expiries: Sequence[date] | None = None,
        progress: ProgressCallback | None = None,
    ) -> MarketSnapshot:
        """Load ``symbol``'s snapshot; only ``expiries`` if given; report ``progress(done, total)``."""
        ...


_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,14}$")


def canonical_symbol(symbol: str) -> str:
    """The project's name for an underlying: upper case, no Yahoo ``^`` prefix (``^rut`` -> ``RUT``).

    Raises :class:`InputError` (field ``symbol``) for empty or odd text.
    """
    if not isinstance(symbol, str):
        raise InputError("symbol", symbol, "must be text such as 'IWM' or 'RUT'")
    text = symbol.strip().upper().lstrip("^")
    if not _SYMBOL_RE.match(text):
        raise InputError("symbol", symbol, "must be a ticker such as 'IWM', 'SPY' or 'RUT'")
    return text


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """How one option root trades: exercise style, settlement clock, delivery and multiplier."""

    root: str
    style: ExerciseStyle
    settlement: SettlementTime
    delivery: Delivery
    multiplier: float = 100.0

    def __post_init__(self) -> None:
        if not self.root:
            raise InputError("root", self.root, "must be a non-empty option root")
        if not (self.multiplier > 0):
            raise InputError("multiplier", self.multiplier, "must be > 0")


def cash_indexes() -> frozenset[str]:
    """Underlyings whose options are European and cash-settled, from the underlyings table in
    force (:mod:`marketdata.underlyings`: SPX, XSP, RUT, MRUT, NDX, VIX and any the user adds)."""
    return underlyings().cash_indexes


def __getattr__(name: str) -> Any:
    # ``CASH_INDEXES`` is read from the underlyings table when first asked for (not at import).
    if name == "CASH_INDEXES":
        return cash_indexes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def contract_terms(
    underlying: str, root: str | None = None, expiry: date | None = None
) -> ContractTerms:
    """Contract terms of ``underlying``'s options with option ``root`` (from the OCC symbol),
    from the underlyings table (:mod:`marketdata.underlyings`).

    Equities and ETFs (any symbol not in the table): American, PM-settled, physical, x100.
    Indexes: the table's style, delivery and multiplier, and the settlement of the root: ``RUT``
    and ``SPX`` (AM monthlies, last trade the day before) vs ``RUTW`` and ``SPXW`` (PM);
    ``NDX`` vs ``NDXP``; ``XSP`` and ``MRUT`` PM. With no root, an option expiring on the third
    Friday (or with no date) is taken as the monthly root, any other as the series root. An
    option root given as the underlying (``SPXW``) is read as its index (``SPX``).
    """
    table = underlyings()
    name = canonical_symbol(underlying)
    if name not in table:
        owner = table.owner_of_root(name)
        if owner is not None:
            root = root or name
            name = owner
    facts = table.facts(name)
    if root is None:
        root = facts.root_for(expiry)
    root = root.strip().upper()
    return ContractTerms(
        root, facts.style, facts.settlement_of(root), facts.delivery, facts.multiplier
    )


@dataclass(frozen=True, slots=True)
class OccSymbol:
    """The parts of an OCC/OSI option symbol such as ``IWM261218P00230000``."""

    root: str
    expiry: date
    kind: str
    strike: float


_OCC_RE = re.compile(r"^(?P<root>[A-Z][A-Z0-9.]*?)(?P<date>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$")


def parse_occ_symbol(text: str) -> OccSymbol | None:
    """Parse an OCC option symbol (root, YYMMDD, C/P, strike x 1000 in 8 digits); None if not one."""
    if not isinstance(text, str):
        return None
    match = _OCC_RE.match(text.strip().upper().replace(" ", ""))
    if match is None:
        return None
    ymd = match["date"]
    try:
        expiry = date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:6]))
    except ValueError:
        return None
    kind = "call" if match["cp"] == "C" else "put"
    return OccSymbol(match["root"], expiry, kind, int(match["strike"]) / 1000.0)


# ---------------------------------------------------------------------------------------------
# Coercion of raw columns (schema drift: strings where numbers belong, missing columns)
# ---------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """``repr`` of a cell for messages, numpy scalars shown as plain Python numbers."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def coerce_float(values: pd.Series, column: str, where: str) -> pd.Series:
    """``values`` as float64; text such as ``"1,234.5"`` or ``""`` is parsed (blank -> NaN).

    Raises :class:`SchemaError` naming ``where``, the column, the row and the value that is not a
    number.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(np.float64)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(np.float64)
    text = values.astype(object)
    cleaned = text.map(lambda v: v.strip().replace(",", "") if isinstance(v, str) else v)
    cleaned = cleaned.map(
        lambda v: (
            np.nan if isinstance(v, str) and v.lower() in ("", "nan", "none", "null", "-") else v
        )
    )
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = (
        numbers.isna()
        & cleaned.notna()
        & ~cleaned.map(lambda v: isinstance(v, float) and np.isnan(v))
    )
    if bool(bad.any()):
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{where}: column {column!r}: row {pos}: value {_show(text.iloc[pos])} is not a number"
        )
    return numbers.astype(np.float64)


def coerce_count(values: pd.Series, column: str, where: str) -> pd.Series:
    """``values`` as int64 counts (volume, open interest); NaN/blank -> 0 (Yahoo leaves them empty)."""
    numbers = coerce_float(values, column, where)
    bad = numbers.notna() & ~np.isfinite(numbers.to_numpy(dtype=np.float64, na_value=np.nan))
    if bool(bad.any()):
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{where}: column {column!r}: row {pos}: value {_show(values.iloc[pos])} is not a count"
        )
    return numbers.fillna(0.0).round().astype(np.int64)


def coerce_utc_times(values: pd.Series, column: str, where: str) -> pd.Series:
    """``values`` as ``datetime64[ns, UTC]``: accepts timestamps, ISO text or epoch seconds."""
    result: pd.Series
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        result = values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        return result
    if pd.api.types.is_datetime64_dtype(values.dtype):
        result = values.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
        return result
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return pd.to_datetime(values, unit="s", utc=True).astype("datetime64[ns, UTC]")
    out: list[Any] = []
    for pos, raw in enumerate(values.astype(object)):
        if (
            raw is None
            or (isinstance(raw, float) and np.isnan(raw))
            or (isinstance(raw, str) and not raw.strip())
        ):
            out.append(pd.NaT)
            continue
        try:
            if isinstance(raw, (int, float)) or (
                isinstance(raw, str) and re.fullmatch(r"\d{9,11}(\.\d*)?", raw.strip())
            ):
                stamp = pd.Timestamp(float(raw), unit="s", tz="UTC")
            else:
                stamp = pd.Timestamp(raw)
                stamp = (
                    stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
                )
        except (ValueError, TypeError, OverflowError):
            raise SchemaError(
                f"{where}: column {column!r}: row {pos}: value {raw!r} is not a time"
            ) from None
        out.append(stamp)
    return pd.Series(pd.to_datetime(out, utc=True), index=values.index).astype(
        "datetime64[ns, UTC]"
    )


def coerce_dates(values: pd.Series, column: str, where: str) -> pd.Series:
    """``values`` as naive ``datetime64[ns]`` dates (midnight): accepts dates, timestamps, ISO text."""
    out: list[Any] = []
    for pos, raw in enumerate(values.astype(object)):
        try:
            stamp = pd.Timestamp(raw)
        except (ValueError, TypeError):
            raise SchemaError(
                f"{where}: column {column!r}: row {pos}: value {raw!r} is not a date"
            ) from None
        if pd.isna(stamp):
            raise SchemaError(f"{where}: column {column!r}: row {pos}: the expiry is missing")
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        out.append(stamp.normalize())
    return pd.Series(pd.to_datetime(out), index=values.index).astype("datetime64[ns]")


def normalize_chain_frame(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Return ``frame`` with the documented chain columns in their canonical dtypes.

    ``expiry`` naive datetime64[ns]; ``kind`` "call"/"put"; prices, strike, multiplier and
    ``source_iv`` float64 (NaN when unknown); ``volume`` and ``open_interest`` int64;
    ``last_trade`` datetime64[ns, UTC]; ``settlement`` "am"/"pm"; ``style``
    "european"/"american"; ``root`` and ``contract_symbol`` text. Other columns are kept after
    them unchanged. Raises :class:`SchemaError` naming ``where`` and the column.
    """
    missing = [c for c in OptionChain.REQUIRED if c not in frame.columns]
    if missing:
        raise SchemaError(f"{where}: missing column(s) {missing}")
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    src = frame.reset_index(drop=True)
    out["expiry"] = coerce_dates(src["expiry"], "expiry", where)
    kinds = (
        src["kind"].astype(object).map(lambda v: str(v).strip().lower() if v is not None else "")
    )
    kinds = kinds.map(lambda v: {"c": "call", "p": "put", "calls": "call", "puts": "put"}.get(v, v))
    bad = ~kinds.isin(["call", "put"])
    if bool(bad.any()):
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{where}: column 'kind': row {pos}: value {_show(src['kind'].iloc[pos])} is not call/put"
        )
    out["kind"] = kinds.astype(str)
    for col in ("strike", "bid", "ask", "last"):
        out[col] = coerce_float(src[col], col, where)
    nan_strike = out["strike"].isna() | (out["strike"] <= 0)
    if bool(nan_strike.any()):
        pos = int(np.flatnonzero(nan_strike.to_numpy())[0])
        raise SchemaError(
            f"{where}: column 'strike': row {pos}: value {_show(src['strike'].iloc[pos])} is not a positive strike"
        )
    for col in ("volume", "open_interest"):
        out[col] = coerce_count(src[col], col, where)
    settle = src["settlement"].astype(object).map(lambda v: str(v).strip().lower())
    if not bool(settle.isin(["am", "pm"]).all()):
        pos = int(np.flatnonzero((~settle.isin(["am", "pm"])).to_numpy())[0])
        raise SchemaError(
            f"{where}: column 'settlement': row {pos}: value {_show(src['settlement'].iloc[pos])} is not am/pm"
        )
    out["settlement"] = settle.astype(str)
    styles = src["style"].astype(object).map(lambda v: str(v).strip().lower())
    styles = styles.map(
        lambda v: {"e": "european", "eu": "european", "a": "american", "am": "american"}.get(v, v)
    )
    if not bool(styles.isin(["european", "american"]).all()):
        pos = int(np.flatnonzero((~styles.isin(["european", "american"])).to_numpy())[0])
        raise SchemaError(
            f"{where}: column 'style': row {pos}: value {_show(src['style'].iloc[pos])} is not european/american"
        )
    out["style"] = styles.astype(str)
    out["multiplier"] = coerce_float(src["multiplier"], "multiplier", where)
    bad_mult = ~(out["multiplier"] > 0)
    if bool(bad_mult.any()):
        pos = int(np.flatnonzero(bad_mult.to_numpy())[0])
        raise SchemaError(
            f"{where}: column 'multiplier': row {pos}: value {_show(src['multiplier'].iloc[pos])} must be > 0"
        )
    out["root"] = src["root"].astype(object).map(lambda v: str(v).strip().upper()).astype(str)
    if "last_trade" in src.columns:
        out["last_trade"] = coerce_utc_times(src["last_trade"], "last_trade", where)
    else:
        out["last_trade"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    if "source_iv" in src.columns:
        out["source_iv"] = coerce_float(src["source_iv"], "source_iv", where)
    else:
        out["source_iv"] = np.nan
    if "contract_symbol" in src.columns:
        out["contract_symbol"] = (
            src["contract_symbol"]
            .astype(object)
            .map(
                lambda v: (
                    "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
                )
            )
            .astype(str)
        )
    else:
        out["contract_symbol"] = pd.Series([""] * len(out), index=out.index, dtype=str)
    for col in src.columns:
        if col not in out.columns:
            out[col] = src[col].to_numpy()
    return out


def format_et(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DD HH:MM ET`` (New York wall clock) for human labels."""
    from pricing.types import NEW_YORK

    return moment.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M ET")


def describe_age(seconds: float) -> str:
    """A short human age: ``"0 s old"``, ``"12 min old"``, ``"3 h old"``, ``"1 day old"``."""
    if seconds < 0:
        return f"{describe_age(-seconds).removesuffix(' old')} in the future"
    if seconds < 60:
        return f"{int(seconds)} s old"
    if seconds < 3600:
        return f"{int(seconds // 60)} min old"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h old"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} old"


def business_day_on_or_before(day: date) -> date:
    """``day`` moved back to the Friday if it falls on a weekend."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day
