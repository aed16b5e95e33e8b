"""The bundled SYNTHETIC demo snapshot: IWM, RUT, MRUT and SPY as of 2026-11-20 16:15 New York.

Read from ``marketdata/data/`` with :mod:`importlib.resources` (works from a wheel or a zip),
parsed once per process and handed out as fresh copies. Every snapshot is marked synthetic
(``synthetic=True``, ``source="demo"``, ``meta["label"]``); the generator's true forwards, rates
and SSVI parameters per expiry are in ``meta["expiries"]`` and ``meta["ssvi"]``, the RUT/MRUT
continuous dividend yield in ``meta["div_yield"]``. See :mod:`marketdata.demo_model` for the
parameters and ``scripts/make_demo_snapshot.py`` to regenerate the files.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from marketdata.errors import NoDataError, SchemaError
from marketdata.snapshot import DividendForecast, MarketSnapshot, OptionChain, RateCurve
from pricing.errors import InputError

DATA_PACKAGE = "marketdata"
DATA_DIR = "data"
META_FILE = "demo_meta.json"
CSV_COLUMNS = ("expiry", "kind", "strike", "bid", "ask", "last", "volume", "open_interest", "root")


def _read_bytes(name: str) -> bytes:
    try:
        return resources.files(DATA_PACKAGE).joinpath(DATA_DIR, name).read_bytes()
    except (FileNotFoundError, OSError) as exc:
        raise SchemaError(f"demo bundle: cannot read {DATA_DIR}/{name}: {exc}") from exc


@lru_cache(maxsize=1)
def _meta() -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads(_read_bytes(META_FILE).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"demo bundle: {META_FILE} is not valid JSON: {exc}") from exc
    for key in ("as_of", "label", "rate_curve", "symbols"):
        if key not in meta:
            raise SchemaError(f"demo bundle: {META_FILE} lacks {key!r}")
    return meta


def available_symbols() -> list[str]:
    """The underlyings in the bundle (sorted)."""
    return sorted(_meta()["symbols"])


def _symbol_key(symbol: str) -> str:
    if not isinstance(symbol, str) or not symbol.strip():
        raise InputError("symbol", symbol, "must be a ticker such as 'IWM'")
    key = symbol.strip().upper().lstrip("^")
    if key not in _meta()["symbols"]:
        raise NoDataError(
            f"no demo data for symbol {symbol!r}: the bundled synthetic demo has "
            f"{', '.join(available_symbols())}"
        )
    return key


@lru_cache(maxsize=8)
def _frame(key: str) -> pd.DataFrame:
    info = _meta()["symbols"][key]
    raw = _read_bytes(info["file"])
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            dtype={
                "kind": str,
                "strike": np.float64,
                "bid": np.float64,
                "ask": np.float64,
                "last": np.float64,
                "volume": np.int64,
                "open_interest": np.int64,
                "root": str,
            },
            keep_default_na=False,
            na_values={"last": [""]},
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise SchemaError(f"demo bundle: {info['file']} does not parse: {exc}") from exc
    if tuple(frame.columns) != CSV_COLUMNS:
        raise SchemaError(
            f"demo bundle: {info['file']} has columns {list(frame.columns)}, expected {list(CSV_COLUMNS)}"
        )
    roots: dict[str, str] = info["roots"]
    n = len(frame)
    # Work on the few distinct expiries, strikes and roots, then index: per-row pandas string
    # operations (strftime, map) cost more than the whole CSV parse.
    root_text, root_idx = np.unique(frame["root"].to_numpy(dtype=object), return_inverse=True)
    unknown = sorted(set(root_text.tolist()) - set(roots))
    if unknown:
        raise SchemaError(
            f"demo bundle: {info['file']} has option roots {unknown} not in the metadata"
        )
    exp_text, exp_idx = np.unique(frame["expiry"].to_numpy(dtype=object), return_inverse=True)
    try:
        exp_days = pd.to_datetime(pd.Series(exp_text), format="%Y-%m-%d").to_numpy(
            dtype="datetime64[ns]"
        )
    except (ValueError, TypeError) as exc:
        raise SchemaError(
            f"demo bundle: {info['file']} has an expiry that is not YYYY-MM-DD: {exc}"
        ) from exc
    strikes, strike_idx = np.unique(frame["strike"].to_numpy(), return_inverse=True)
    frame["expiry"] = exp_days[exp_idx]
    frame["settlement"] = np.array([roots[r] for r in root_text], dtype=object)[root_idx]
    frame["style"] = info["style"]
    frame["multiplier"] = float(info["multiplier"])
    frame["last_trade"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    frame["source_iv"] = np.full(n, np.nan)
    # OCC symbols, e.g. IWM261218P00230000
    yymmdd = np.array([e[2:4] + e[5:7] + e[8:10] for e in exp_text], dtype=object)[exp_idx]
    strike_code = np.array([f"{round(k * 1000):08d}" for k in strikes], dtype=object)[strike_idx]
    cp = np.where(frame["kind"].to_numpy(dtype=object) == "call", "C", "P").astype(object)
    frame["contract_symbol"] = root_text[root_idx] + yymmdd + cp + strike_code
    for col in ("settlement", "style", "contract_symbol"):
        frame[col] = frame[col].astype(str)
    ordered = [*OptionChain.REQUIRED, *OptionChain.OPTIONAL]
    return frame[ordered]


def _snapshot(key: str, expiries: Sequence[date] | None) -> MarketSnapshot:
    meta = _meta()
    info = meta["symbols"][key]
    frame = _frame(key).copy()
    if expiries is not None:
        wanted = pd.to_datetime(
            pd.Series([pd.Timestamp(d) for d in expiries], dtype="datetime64[ns]")
        )
        frame = frame.loc[frame["expiry"].isin(wanted)].reset_index(drop=True)
        if frame.empty:
            raise NoDataError(
                f"demo {key}: none of the requested expiries {list(expiries)} is in the bundle"
            )
    curve = RateCurve(
        tuple(meta["rate_curve"]["tenors_years"]), tuple(meta["rate_curve"]["zero_rates"])
    )
    divs = DividendForecast(
        tuple(date.fromisoformat(d) for d in info["dividends"]["ex_dates"]),
        tuple(float(a) for a in info["dividends"]["amounts"]),
    )
    snap_meta: dict[str, Any] = copy.deepcopy({k: v for k, v in info.items() if k != "file"})
    if expiries is not None:
        kept = {pd.Timestamp(d).date().isoformat() for d in expiries}
        snap_meta["expiries"] = [e for e in snap_meta["expiries"] if e["expiry"] in kept]
    snap_meta.update(
        {
            "label": meta["label"],
            "synthetic": True,
            "model_version": meta.get("model_version"),
            "parameters": copy.deepcopy(meta.get("parameters", {})),
            "treasury_quotes": copy.deepcopy(meta.get("treasury_quotes", {})),
        }
    )
    return MarketSnapshot(
        as_of=datetime.fromisoformat(meta["as_of"]),
        underlying=key,
        spot=float(info["spot"]),
        rate_curve=curve,
        dividends=divs,
        chain=OptionChain(frame),
        source="demo",
        synthetic=True,
        meta=snap_meta,
    )


def load_demo(symbol: str) -> MarketSnapshot:
    """The bundled synthetic demo snapshot of ``symbol`` (IWM, RUT, MRUT or SPY; ``^RUT`` and
    lower case accepted). Raises :class:`NoDataError` naming the symbol for any other."""
    return _snapshot(_symbol_key(symbol), None)


class DemoSource:
    """The bundled synthetic demo as a :class:`marketdata.sources.base.Source`."""

    name = "demo"

    def load(
        self,
        symbol: str,
        *,
        expiries: Sequence[date] | None = None,
        progress: Any = None,
    ) -> MarketSnapshot:
        """The demo snapshot of ``symbol``, restricted to ``expiries`` if given (dates; unknown
        ones ignored, :class:`NoDataError` if none match); calls ``progress(1, 1)`` when done."""
        snap = _snapshot(_symbol_key(symbol), expiries)
        if progress is not None:
            progress(1, 1)
        return snap

    def symbols(self) -> list[str]:
        """The underlyings this source can load."""
        return available_symbols()
