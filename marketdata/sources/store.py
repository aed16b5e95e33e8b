"""The local snapshot store: one SQLite file, one transaction per snapshot, schema-versioned.

Layout (schema version 1):

- ``store_info(key, value)``: ``schema_version`` and ``application`` ("smallcap-hedge");
- ``snapshots``: one row per snapshot: ``underlying``, ``as_of_utc`` (sortable ISO text, UTC),
  ``as_of_local`` (ISO with offset) and ``as_of_tz`` (the zone), ``spot``, ``source``,
  ``synthetic``, the rate curve, dividends and ``meta`` as JSON, ``n_quotes`` and ``expiries``;
- ``chain_columns``: the chain frame column by column (name, dtype and the values as exact
  binary for numbers and times, tagged JSON for text), so a snapshot comes back exactly: every
  float bit (NaN included), dates, time zones, dtypes, meta and the synthetic flag. The row index
  is not kept (chains use a default RangeIndex).

Journal: SQLite's default rollback journal with ``synchronous=FULL``: readers work in a
read-only folder, and a crash mid-save is rolled back at the next open.

Faults: a folder or file that cannot be written raises :class:`StoreError` naming the path (the
caller keeps running, reads still work); a corrupt file, or a SQLite file that is not ours,
raises :class:`StoreError` and is never written, moved or deleted; a failure in the middle of a
save rolls the whole snapshot back, so earlier snapshots are untouched.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from marketdata.errors import NoDataError, StoreError
from marketdata.snapshot import (
    DividendForecast,
    MarketSnapshot,
    OptionChain,
    RateCurve,
    require_aware,
)
from marketdata.sources.base import canonical_symbol

SCHEMA_VERSION = 1
APPLICATION = "smallcap-hedge"
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    underlying TEXT NOT NULL,
    as_of_utc TEXT NOT NULL,
    as_of_local TEXT NOT NULL,
    as_of_tz TEXT NOT NULL,
    spot REAL NOT NULL,
    source TEXT NOT NULL,
    synthetic INTEGER NOT NULL,
    rate_curve TEXT NOT NULL,
    dividends TEXT NOT NULL,
    meta TEXT NOT NULL,
    n_quotes INTEGER NOT NULL,
    expiries TEXT NOT NULL
);
CREATE INDEX snapshots_by_symbol ON snapshots (underlying, as_of_utc);
CREATE TABLE chain_columns (
    snapshot_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    dtype TEXT NOT NULL,
    encoding TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (snapshot_id, position)
);
"""


# ---------------------------------------------------------------------------------------------
# Value encoding (exact)
# ---------------------------------------------------------------------------------------------


def _encode_tz(tz: tzinfo | None, where: str) -> dict[str, Any]:
    if tz is None:
        return {"kind": "naive"}
    if tz is UTC or tz == UTC:
        return {"kind": "utc"}
    if isinstance(tz, ZoneInfo):
        return {"kind": "zone", "key": tz.key}
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        return {"kind": "offset", "seconds": offset.total_seconds(), "name": tz.tzname(None)}
    zone = getattr(tz, "zone", None) or getattr(tz, "key", None)
    if isinstance(zone, str):
        return {"kind": "zone", "key": zone}
    raise StoreError(f"{where}: time zone {tz!r} cannot be stored (use zoneinfo or a fixed offset)")


def _decode_tz(spec: dict[str, Any]) -> tzinfo | None:
    kind = spec["kind"]
    if kind == "naive":
        return None
    if kind == "utc":
        return UTC
    if kind == "zone":
        return ZoneInfo(str(spec["key"]))
    if kind == "offset":
        name = spec.get("name")
        offset = timedelta(seconds=float(spec["seconds"]))
        return timezone(offset, str(name)) if name else timezone(offset)
    raise StoreError(f"unknown time-zone encoding {spec!r}")


def _encode_value(value: Any, where: str) -> Any:
    """One meta or object-column value as tagged JSON (exact round trip)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if value is pd.NaT:
        return {"$nat": True}
    if value is pd.NA:
        return {"$na": True}
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return {"$timestamp": value.isoformat(), "tz": _encode_tz(value.tzinfo, where)}
    if isinstance(value, datetime):
        return {
            "$datetime": value.isoformat(),
            "tz": _encode_tz(value.tzinfo, where),
            "fold": value.fold,
        }
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, builtins.list):
        return [_encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode_value(v, f"{where}.{k}") for k, v in value.items()}
        return {
            "$dict": [
                [_encode_value(k, f"{where} key"), _encode_value(v, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]
        }
    raise StoreError(f"{where}: a {type(value).__name__} ({value!r}) cannot be stored")


def _decode_value(obj: Any) -> Any:
    if isinstance(obj, builtins.list):
        return [_decode_value(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$float" in obj:
        return float(obj["$float"])
    if "$nat" in obj:
        return pd.NaT
    if "$na" in obj:
        return pd.NA
    if "$timestamp" in obj:
        stamp = pd.Timestamp(obj["$timestamp"])
        tz = _decode_tz(obj["tz"])
        return stamp.tz_convert(tz) if tz is not None else stamp
    if "$datetime" in obj:
        moment = datetime.fromisoformat(obj["$datetime"])
        tz = _decode_tz(obj["tz"])
        if tz is None:
            return moment
        local = moment.astimezone(tz)
        return local.replace(fold=int(obj.get("fold", 0))) if isinstance(tz, ZoneInfo) else local
    if "$date" in obj:
        return date.fromisoformat(obj["$date"])
    if "$timedelta" in obj:
        d, s, us = obj["$timedelta"]
        return timedelta(days=d, seconds=s, microseconds=us)
    if "$tuple" in obj:
        return tuple(_decode_value(v) for v in obj["$tuple"])
    if "$dict" in obj:
        return {_decode_value(k): _decode_value(v) for k, v in obj["$dict"]}
    return {k: _decode_value(v) for k, v in obj.items()}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    dtype: str
    encoding: str
    data: bytes


def _encode_column(name: Any, series: pd.Series, where: str) -> _Column:
    """One chain column as (dtype description, encoding, bytes)."""
    if not isinstance(name, str):
        raise StoreError(f"{where}: column name {name!r} is not text")
    dtype = series.dtype
    label = f"{where} column {name!r}"
    if isinstance(dtype, pd.DatetimeTZDtype):
        naive = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        spec: dict[str, Any] = {"unit": dtype.unit, "tz": _encode_tz(dtype.tz, label)}
        return _Column(
            name, _dumps(spec), "datetime_tz", np.ascontiguousarray(naive.view(np.int64)).tobytes()
        )
    if isinstance(dtype, pd.CategoricalDtype):
        cats = [_encode_value(v, label) for v in dtype.categories.tolist()]
        spec = {
            "categories": cats,
            "ordered": bool(dtype.ordered),
            "categories_dtype": str(dtype.categories.dtype),
        }
        codes = np.ascontiguousarray(series.cat.codes.to_numpy(dtype=np.int64))
        return _Column(name, _dumps(spec), "category", codes.tobytes())
    if isinstance(dtype, pd.StringDtype):
        spec = {"storage": dtype.storage, "na_nan": dtype.na_value is not pd.NA}
        values = [_encode_value(v, label) for v in series.astype(object).tolist()]
        return _Column(name, _dumps(spec), "string", _dumps(values).encode())
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        return _Column(name, dtype.str, "numpy", np.ascontiguousarray(series.to_numpy()).tobytes())
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        values = [_encode_value(v, label) for v in series.tolist()]
        return _Column(name, "object", "json", _dumps(values).encode())
    # Pandas extension dtypes (Int64, boolean, Float64, ...): values as tagged JSON.
    try:
        rebuilt = pd.api.types.pandas_dtype(str(dtype))
    except TypeError:
        rebuilt = None
    if rebuilt is None or rebuilt != dtype:
        raise StoreError(f"{label}: dtype {dtype} cannot be stored")
    values = [_encode_value(v, label) for v in series.astype(object).tolist()]
    return _Column(name, str(dtype), "extension_json", _dumps(values).encode())


def _decode_column(col: _Column, n_rows: int) -> pd.Series:
    if col.encoding == "numpy":
        arr = np.frombuffer(col.data, dtype=np.dtype(col.dtype)).copy()
        return pd.Series(arr, name=col.name)
    if col.encoding == "datetime_tz":
        spec = json.loads(col.dtype)
        raw = np.frombuffer(col.data, dtype=np.int64).copy().view(f"M8[{spec['unit']}]")
        tz = _decode_tz(spec["tz"])
        series = pd.Series(raw, name=col.name).dt.tz_localize("UTC")
        return series.dt.tz_convert(tz) if tz is not None else series
    if col.encoding == "category":
        spec = json.loads(col.dtype)
        cats = pd.Index(
            [_decode_value(v) for v in spec["categories"]], dtype=spec["categories_dtype"]
        )
        codes = np.frombuffer(col.data, dtype=np.int64).copy()
        cat = pd.Categorical.from_codes(codes, categories=cats, ordered=bool(spec["ordered"]))
        return pd.Series(cat, name=col.name)
    if col.encoding == "string":
        spec = json.loads(col.dtype)
        values = [_decode_value(v) for v in json.loads(col.data.decode())]
        dtype = pd.StringDtype(
            storage=spec["storage"], na_value=np.nan if spec["na_nan"] else pd.NA
        )
        return pd.Series(pd.array(values, dtype=dtype), name=col.name)
    if col.encoding == "json":
        values = [_decode_value(v) for v in json.loads(col.data.decode())]
        out = pd.Series([None] * len(values), dtype=object, name=col.name)
        for i, v in enumerate(values):
            out.iat[i] = v
        return out
    if col.encoding == "extension_json":
        values = [_decode_value(v) for v in json.loads(col.data.decode())]
        ext_dtype: Any = pd.api.types.pandas_dtype(col.dtype)
        return pd.Series(pd.array(values, dtype=ext_dtype), name=col.name)
    raise StoreError(
        f"column {col.name!r}: unknown encoding {col.encoding!r} (written by a newer version?)"
    )


# ---------------------------------------------------------------------------------------------
# Snapshot rows
# ---------------------------------------------------------------------------------------------


def _utc_key(moment: datetime) -> str:
    return require_aware("as_of", moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclass(frozen=True, slots=True)
class _Encoded:
    row: dict[str, Any]
    columns: builtins.list[_Column]


def _encode_snapshot(snapshot: MarketSnapshot) -> _Encoded:
    """Everything to write, encoded before the transaction starts (so bad data writes nothing)."""
    where = f"snapshot {snapshot.underlying} {snapshot.as_of.isoformat()}"
    frame = snapshot.chain.frame
    if frame.columns.has_duplicates:
        raise StoreError(f"{where}: duplicate chain column names {list(frame.columns)}")
    frame = frame.reset_index(drop=True)
    columns = [_encode_column(name, frame[name], where) for name in frame.columns]
    expiries = (
        [d.isoformat() for d in snapshot.chain.expiries]
        if "expiry" in frame.columns and len(frame)
        else []
    )
    row = {
        "underlying": canonical_symbol(snapshot.underlying),
        "as_of_utc": _utc_key(snapshot.as_of),
        "as_of_local": snapshot.as_of.isoformat(),
        "as_of_tz": _dumps(_encode_tz(snapshot.as_of.tzinfo, f"{where} as_of")),
        "spot": float(snapshot.spot),
        "source": str(snapshot.source),
        "synthetic": 1 if snapshot.synthetic else 0,
        "rate_curve": _dumps(
            {
                "tenors_years": [float(t).hex() for t in snapshot.rate_curve.tenors_years],
                "zero_rates": [float(r).hex() for r in snapshot.rate_curve.zero_rates],
            }
        ),
        "dividends": _dumps(
            {
                "ex_dates": [d.isoformat() for d in snapshot.dividends.ex_dates],
                "amounts": [float(a).hex() for a in snapshot.dividends.amounts],
            }
        ),
        "meta": _dumps(_encode_value(dict(snapshot.meta), f"{where} meta")),
        "n_quotes": len(frame),
        "expiries": _dumps(expiries),
    }
    return _Encoded(row, columns)


def _insert_snapshot_row(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = conn.execute(f"INSERT INTO snapshots ({names}) VALUES ({marks})", tuple(row.values()))
    if cursor.lastrowid is None:
        raise StoreError("SQLite returned no id for the new snapshot")
    return int(cursor.lastrowid)


def _insert_columns(
    conn: sqlite3.Connection, snapshot_id: int, columns: builtins.list[_Column]
) -> None:
    conn.executemany(
        "INSERT INTO chain_columns (snapshot_id, position, name, dtype, encoding, data) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (snapshot_id, i, c.name, c.dtype, c.encoding, sqlite3.Binary(c.data))
            for i, c in enumerate(columns)
        ],
    )


@dataclass(frozen=True, slots=True)
class StoredSnapshotInfo:
    """One stored snapshot's summary (``list`` answers these)."""

    id: int
    underlying: str
    as_of: datetime
    spot: float
    source: str
    synthetic: bool
    n_quotes: int
    expiries: tuple[date, ...]


def _connect(path: Path, *, write: bool) -> sqlite3.Connection:
    """Open the SQLite file: read-write (creating it) for writers; read-write without creating,
    or read-only if the file cannot be written, for readers."""
    if write:
        mode = "rwc"
    else:
        mode = "rw" if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK) else "ro"
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    return conn


class SnapshotStore:
    """Snapshots on disk in one SQLite file at ``path`` (see the module docstring).

    Every method opens and closes its own connection, so a store object is cheap and safe to
    share between threads; errors are :class:`StoreError` naming the path.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path).expanduser()

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    def __repr__(self) -> str:
        return f"SnapshotStore({str(self._path)!r})"

    # -- connections ------------------------------------------------------------------------

    def _fail(self, action: str, exc: BaseException) -> StoreError:
        text = str(exc)
        lowered = text.lower()
        if isinstance(exc, sqlite3.DatabaseError) and (
            "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered
        ):
            return StoreError(
                f"the snapshot store {self._path} is corrupt ({text}); it was left untouched "
                f"where it is. Move it aside or point --store / HEDGE_STORE at another file."
            )
        if (
            "readonly" in lowered
            or "read-only" in lowered
            or "unable to open" in lowered
            or isinstance(exc, PermissionError)
        ):
            return StoreError(
                f"cannot {action} the snapshot store {self._path}: the file or its folder is not "
                f"writable ({text}). Use --store PATH or HEDGE_STORE to choose another place."
            )
        if "locked" in lowered or "busy" in lowered:
            return StoreError(
                f"cannot {action} the snapshot store {self._path}: it is locked by another process ({text})"
            )
        return StoreError(
            f"cannot {action} the snapshot store {self._path}: {type(exc).__name__}: {text}"
        )

    def _check_schema(self, conn: sqlite3.Connection, *, create: bool) -> bool:
        """True if our tables exist (creating them if ``create`` and the file is empty)."""
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            if not create:
                return False
            conn.execute("BEGIN IMMEDIATE")
            try:
                tables = {
                    r[0]
                    for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
                if not tables:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.executemany(
                        "INSERT INTO store_info (key, value) VALUES (?, ?)",
                        [("schema_version", str(SCHEMA_VERSION)), ("application", APPLICATION)],
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return True
        if "store_info" not in tables:
            raise StoreError(
                f"{self._path} is a SQLite file but not a smallcap-hedge snapshot store "
                f"(tables {sorted(tables)}); it was left untouched. Use --store / HEDGE_STORE."
            )
        info = dict(conn.execute("SELECT key, value FROM store_info").fetchall())
        version = int(info.get("schema_version", "0"))
        if info.get("application") != APPLICATION or version < 1:
            raise StoreError(
                f"{self._path}: not a smallcap-hedge snapshot store (store_info {info}); left untouched"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self._path} has store schema version {version}, newer than this program's "
                f"{SCHEMA_VERSION}; upgrade the program (the file was left untouched)"
            )
        return True

    @contextmanager
    def _open(self, action: str, *, write: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection with our schema checked (None for a reader when there is no store yet)."""
        if not write and not self._path.exists():
            yield None
            return
        if write:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot {action} the snapshot store {self._path}: cannot create its folder "
                    f"{self._path.parent} ({exc.strerror or exc}). Use --store PATH or HEDGE_STORE."
                ) from exc
            if self._path.exists() and self._path.is_dir():
                raise StoreError(f"the snapshot store {self._path} is a folder, not a file")
        try:
            conn = _connect(self._path, write=write)
        except (sqlite3.Error, OSError) as exc:
            raise self._fail(action, exc) from exc
        try:
            try:
                conn.execute("PRAGMA synchronous = FULL")
                ok = self._check_schema(conn, create=write)
            except sqlite3.Error as exc:
                raise self._fail(action, exc) from exc
            yield conn if ok else None
        finally:
            conn.close()

    # -- public -----------------------------------------------------------------------------

    def save(self, snapshot: MarketSnapshot) -> int:
        """Store ``snapshot`` in one transaction and return its id. On any failure nothing of it
        is written and earlier snapshots are untouched (:class:`StoreError`)."""
        encoded = _encode_snapshot(snapshot)
        with self._open("write to", write=True) as conn:
            assert conn is not None
            try:
                conn.execute("BEGIN IMMEDIATE")
                snapshot_id = _insert_snapshot_row(conn, encoded.row)
                _insert_columns(conn, snapshot_id, encoded.columns)
                conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # closing the connection rolls back anyway
                if isinstance(exc, StoreError) or not isinstance(exc, Exception):
                    raise
                raise self._fail("write to", exc) from exc
            return snapshot_id

    def list(self, symbol: str | None = None) -> builtins.list[StoredSnapshotInfo]:
        """Stored snapshots (of ``symbol`` if given), oldest first."""
        with self._open("read", write=False) as conn:
            if conn is None:
                return []
            sql = "SELECT id, underlying, as_of_local, as_of_tz, spot, source, synthetic, n_quotes, expiries FROM snapshots"
            args: tuple[Any, ...] = ()
            if symbol is not None:
                sql += " WHERE underlying = ?"
                args = (canonical_symbol(symbol),)
            try:
                rows = conn.execute(sql + " ORDER BY as_of_utc, id", args).fetchall()
            except sqlite3.Error as exc:
                raise self._fail("read", exc) from exc
        return [
            StoredSnapshotInfo(
                id=int(r[0]),
                underlying=str(r[1]),
                as_of=self._as_of(r[2], r[3]),
                spot=float(r[4]),
                source=str(r[5]),
                synthetic=bool(r[6]),
                n_quotes=int(r[7]),
                expiries=tuple(date.fromisoformat(d) for d in json.loads(r[8])),
            )
            for r in rows
        ]

    @staticmethod
    def _as_of(local: str, tz_json: str) -> datetime:
        moment = datetime.fromisoformat(local)
        tz = _decode_tz(json.loads(tz_json))
        return moment.astimezone(tz) if tz is not None else moment

    def load(self, symbol: str, at: datetime | None = None) -> MarketSnapshot:
        """The newest stored snapshot of ``symbol`` taken at or before ``at`` (tz-aware; None:
        the newest of all). :class:`NoDataError` if there is none."""
        name = canonical_symbol(symbol)
        with self._open("read", write=False) as conn:
            if conn is None:
                raise NoDataError(
                    f"no stored snapshot of {name}: the store {self._path} does not exist yet"
                )
            sql = "SELECT * FROM snapshots WHERE underlying = ?"
            args: tuple[Any, ...] = (name,)
            if at is not None:
                sql += " AND as_of_utc <= ?"
                args = (name, _utc_key(at))
            try:
                conn.row_factory = sqlite3.Row
                row = conn.execute(
                    sql + " ORDER BY as_of_utc DESC, id DESC LIMIT 1", args
                ).fetchone()
                if row is None:
                    when = f" at or before {at.isoformat()}" if at is not None else ""
                    raise NoDataError(f"no stored snapshot of {name}{when} in {self._path}")
                return self._read(conn, row)
            except sqlite3.Error as exc:
                raise self._fail("read", exc) from exc

    def load_id(self, snapshot_id: int) -> MarketSnapshot:
        """The stored snapshot with id ``snapshot_id`` (:class:`NoDataError` if absent)."""
        with self._open("read", write=False) as conn:
            if conn is None:
                raise NoDataError(
                    f"no snapshot {snapshot_id}: the store {self._path} does not exist yet"
                )
            try:
                conn.row_factory = sqlite3.Row
                row = conn.execute(
                    "SELECT * FROM snapshots WHERE id = ?", (int(snapshot_id),)
                ).fetchone()
                if row is None:
                    raise NoDataError(f"no snapshot with id {snapshot_id} in {self._path}")
                return self._read(conn, row)
            except sqlite3.Error as exc:
                raise self._fail("read", exc) from exc

    def _read(self, conn: sqlite3.Connection, row: sqlite3.Row) -> MarketSnapshot:
        """Decode one stored row; any damage (bad JSON, a broken column, a value that does not
        validate) is a :class:`StoreError` naming the snapshot, so ``auto`` can fall back."""
        try:
            return self._decode(conn, row)
        except StoreError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
            detail = " ".join(str(exc).split())[:200]
            raise StoreError(
                f"{self._path}: snapshot {row['id']} ({row['underlying']}) is damaged and cannot be read: "
                f"{type(exc).__name__}: {detail}"
            ) from exc

    def _decode(self, conn: sqlite3.Connection, row: sqlite3.Row) -> MarketSnapshot:
        cols = conn.execute(
            "SELECT name, dtype, encoding, data FROM chain_columns WHERE snapshot_id = ? ORDER BY position",
            (row["id"],),
        ).fetchall()
        n = int(row["n_quotes"])
        series = [
            _decode_column(_Column(str(c[0]), str(c[1]), str(c[2]), bytes(c[3])), n) for c in cols
        ]
        frame = pd.concat(series, axis=1) if series else pd.DataFrame(index=pd.RangeIndex(n))
        if len(frame) != n:
            raise StoreError(
                f"{self._path}: snapshot {row['id']} has {len(frame)} rows, expected {n} (damaged)"
            )
        curve = json.loads(row["rate_curve"])
        divs = json.loads(row["dividends"])
        try:
            return MarketSnapshot(
                as_of=self._as_of(row["as_of_local"], row["as_of_tz"]),
                underlying=str(row["underlying"]),
                spot=float(row["spot"]),
                rate_curve=RateCurve(
                    tuple(float.fromhex(t) for t in curve["tenors_years"]),
                    tuple(float.fromhex(r) for r in curve["zero_rates"]),
                ),
                dividends=DividendForecast(
                    tuple(date.fromisoformat(d) for d in divs["ex_dates"]),
                    tuple(float.fromhex(a) for a in divs["amounts"]),
                ),
                chain=OptionChain(frame),
                source=str(row["source"]),
                synthetic=bool(row["synthetic"]),
                meta=_decode_value(json.loads(row["meta"])),
            )
        except ValueError as exc:  # InputError is a ValueError
            raise StoreError(
                f"{self._path}: snapshot {row['id']} does not validate: {exc}"
            ) from exc

    def prune(
        self,
        *,
        keep_last: int | None = None,
        older_than: datetime | None = None,
        symbol: str | None = None,
    ) -> int:
        """Delete snapshots (of ``symbol`` if given) beyond the newest ``keep_last`` of each
        underlying, or taken before ``older_than`` (tz-aware); returns how many went.
        One transaction; at least one of the two criteria is required."""
        if keep_last is None and older_than is None:
            raise StoreError("prune needs keep_last=N or older_than=datetime")
        if keep_last is not None and (not isinstance(keep_last, int) or keep_last < 0):
            raise StoreError(f"prune: keep_last={keep_last!r} must be an integer >= 0")
        cutoff = _utc_key(older_than) if older_than is not None else None
        if not self._path.exists():
            return 0
        with self._open("prune", write=True) as conn:
            assert conn is not None
            try:
                conn.execute("BEGIN IMMEDIATE")
                sql = "SELECT id, underlying, as_of_utc FROM snapshots"
                args: tuple[Any, ...] = ()
                if symbol is not None:
                    sql += " WHERE underlying = ?"
                    args = (canonical_symbol(symbol),)
                rows = conn.execute(
                    sql + " ORDER BY underlying, as_of_utc DESC, id DESC", args
                ).fetchall()
                doomed: builtins.list[int] = []
                seen: dict[str, int] = {}
                for sid, underlying, as_of_utc in rows:
                    rank = seen.get(underlying, 0)
                    seen[underlying] = rank + 1
                    if (keep_last is not None and rank >= keep_last) or (
                        cutoff is not None and as_of_utc < cutoff
                    ):
                        doomed.append(int(sid))
                for sid in doomed:
                    conn.execute("DELETE FROM chain_columns WHERE snapshot_id = ?", (sid,))
                    conn.execute("DELETE FROM snapshots WHERE id = ?", (sid,))
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._fail("prune", exc) from exc
                raise
        return len(doomed)
