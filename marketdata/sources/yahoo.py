"""Live data from Yahoo Finance through yfinance: the ONLY module that imports yfinance, and only
inside functions, so that the app and the batch verbs start fast.

:class:`YahooSource` sits in front of yfinance: it fetches the option chains of all (or chosen)
expiries with a progress callback, the spot, the dividend history (projected into a
:class:`DividendForecast`) and Treasury yields from ^IRX, ^FVX and ^TNX (as a :class:`RateCurve`).
It turns yfinance's quirks into typed errors or recorded notes:

- rate limits (``YFRateLimitError``): retried with exponential back-off (injectable ``sleep``),
  then :class:`RateLimitedError`;
- timeouts and connection errors (curl_cffi's, which are ``OSError`` subclasses, or Python's):
  :class:`SourceUnavailableError`; non-JSON answers ("Yahoo is down"): the same;
- ``option_chain()`` returning ``None`` frames, or an expiry vanishing between listing and fetch
  (``ValueError``): the expiry is skipped and recorded in ``meta["skipped_expiries"]``;
- ``.options`` empty, or nothing usable at all: :class:`NoDataError`;
- zero bids/asks with a stale last price: kept (the cleaner flags them);
- NaN or absurd IVs (1e-5, 20): kept in ``source_iv``, never trusted, counted in meta;
- missing columns and text where numbers belong (schema drift): coerced where meaning is
  clear, else :class:`SchemaError` naming the column;
- ``history()`` hiding errors: yfinance is told not to hide them and empty frames are checked.

The ticker factory is injectable: tests pass fakes that replay recorded frames.

Units: prices per share (index points for RUT), rates continuously compounded decimals, vols
decimals, times tz-aware (``as_of`` comes from the caller's ``clock``; nothing here reads the
system clock).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from marketdata.dividends import forecast_from_history
from marketdata.errors import (
    MarketDataError,
    NoDataError,
    RateLimitedError,
    SchemaError,
    SourceUnavailableError,
)
from marketdata.rates import curve_from_yahoo
from marketdata.snapshot import (
    DividendForecast,
    MarketSnapshot,
    OptionChain,
    RateCurve,
    require_aware,
)
from marketdata.sources.base import (
    Clock,
    ProgressCallback,
    canonical_symbol,
    coerce_count,
    coerce_float,
    coerce_utc_times,
    contract_terms,
    normalize_chain_frame,
    parse_occ_symbol,
)
from pricing.errors import InputError
from pricing.types import NEW_YORK

T = TypeVar("T")

YAHOO_OPTION_COLUMNS: tuple[str, ...] = (
    "contractSymbol",
    "lastTradeDate",
    "strike",
    "lastPrice",
    "bid",
    "ask",
    "change",
    "percentChange",
    "volume",
    "openInterest",
    "impliedVolatility",
    "inTheMoney",
    "contractSize",
    "currency",
)
"""The columns of yfinance's ``option_chain().calls`` / ``.puts`` frames (yfinance 0.2-1.7)."""

YAHOO_ESSENTIAL_COLUMNS: tuple[str, ...] = ("strike", "bid", "ask")
"""Columns without which a Yahoo frame is unusable (SchemaError if absent)."""

TREASURY_SYMBOLS: dict[str, float] = {"^IRX": 91.0 / 365.0, "^FVX": 5.0, "^TNX": 10.0}
"""Yahoo's Treasury yield indices and their tenors in years: 13-week bill (91 days), 5-year and
10-year notes. Quotes are in percent: ^IRX a bank-discount rate, ^FVX/^TNX bond-equivalent
(semi-annual) yields."""

ABSURD_IV_LOW = 1e-3
ABSURD_IV_HIGH = 5.0
"""Source IVs outside [0.1 %, 500 %] are counted as absurd in ``meta`` (they are kept anyway)."""


def yahoo_symbol(symbol: str) -> str:
    """Yahoo's ticker for ``symbol``: cash indexes get a ``^`` prefix (``RUT`` -> ``^RUT``)."""
    from marketdata.sources.base import CASH_INDEXES

    name = canonical_symbol(symbol)
    return f"^{name}" if name in CASH_INDEXES else name


class TickerLike(Protocol):
    """The part of ``yfinance.Ticker`` the adapter uses (fakes in tests implement the same)."""

    @property
    def options(self) -> Sequence[str]:
        """Listed expiries as ``YYYY-MM-DD`` text."""
        ...

    def option_chain(self, date: str | None = None, tz: Any = None) -> Any:
        """A named tuple ``(calls, puts, underlying)``; frames may be None."""
        ...

    def history(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Daily OHLC with ``Dividends`` column, indexed by tz-aware dates."""
        ...


TickerFactory = Callable[[str], TickerLike]
"""Builds a ticker for a Yahoo symbol (``"IWM"``, ``"^RUT"``, ``"^TNX"``)."""


_CACHE: dict[str, Path | None] = {"folder": None}


def use_cache_folder(folder: str | os.PathLike[str]) -> None:
    """Keep yfinance's own caches (cookies, time zones, ISINs) in ``folder`` (created when first
    used) instead of the user's home cache; :func:`marketdata.paths.cache_dir` gives the folder
    beside the store. Takes effect for tickers built afterwards."""
    _CACHE["folder"] = Path(folder)


def default_ticker_factory(symbol: str) -> TickerLike:
    """A real ``yfinance.Ticker`` (imported here, lazily), told not to hide its exceptions, with
    its caches in :func:`use_cache_folder`'s folder (default: :func:`marketdata.paths.cache_dir`)."""
    import logging

    import yfinance as yf

    from marketdata.paths import cache_dir

    folder = _CACHE["folder"] or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    yf.set_tz_cache_location(str(folder / "yfinance"))  # moves the cookie and ISIN caches too
    yf.config.debug.hide_exceptions = False
    # yfinance logs its own retries as warnings; our typed errors say what matters, so keep its
    # log quiet unless the application configures logging.
    logging.getLogger("yfinance").addHandler(logging.NullHandler())
    ticker: TickerLike = yf.Ticker(symbol)
    return ticker


# ---------------------------------------------------------------------------------------------
# Error classification
# ---------------------------------------------------------------------------------------------


def _is_rate_limit(exc: BaseException) -> bool:
    if type(exc).__name__ == "YFRateLimitError":
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status == 429 or "too many requests" in str(exc).lower()


def _is_timeout(exc: BaseException) -> bool:
    return (
        isinstance(exc, TimeoutError)
        or "timeout" in type(exc).__name__.lower()
        or "timed out" in str(exc).lower()
    )


def _http_status(exc: BaseException) -> int | None:
    """The HTTP error status carried by ``exc`` (>= 400), else None (curl sets 0 when no
    answer came at all, e.g. a DNS failure)."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return int(status) if isinstance(status, int) and status >= 400 else None


def _yf_exception_kind(exc: BaseException) -> str | None:
    names = {cls.__name__ for cls in type(exc).__mro__}
    if (
        "YFTickerMissingError" in names
        or "YFPricesMissingError" in names
        or "YFTzMissingError" in names
    ):
        return "no_data"
    if "YFDataException" in names or "YFException" in names:
        return "unavailable"
    return None


def _call_with_deadline(fn: Callable[[], T], timeout_s: float | None, what: str) -> T:
    """Run ``fn`` and return its result, or raise :class:`TimeoutError` after ``timeout_s``.

    yfinance gives no timeout for option requests (30 s inside), so the call runs on a daemon
    thread that is abandoned if it overruns; ``timeout_s=None`` calls ``fn`` directly.
    """
    if timeout_s is None:
        return fn()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"yahoo:{what}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


# ---------------------------------------------------------------------------------------------
# Rates and dividends
# ---------------------------------------------------------------------------------------------


def dividend_history(hist: pd.DataFrame) -> list[tuple[date, float]]:
    """Ex-dates (New York calendar dates) and cash amounts from a yfinance history frame's
    ``Dividends`` column (zeros dropped); [] if the column is absent."""
    if hist is None or hist.empty or "Dividends" not in hist.columns:
        return []
    divs = coerce_float(hist["Dividends"], "Dividends", "Yahoo history")
    out: list[tuple[date, float]] = []
    for stamp, amount in zip(hist.index, divs.to_numpy(), strict=True):
        if not (amount > 0.0):
            continue
        ts = pd.Timestamp(stamp)
        day = (ts.tz_convert(NEW_YORK) if ts.tzinfo is not None else ts).date()
        out.append((day, float(amount)))
    out.sort()
    merged: list[tuple[date, float]] = []
    for day, amount in out:  # two payments on one ex-date are one dividend
        if merged and merged[-1][0] == day:
            merged[-1] = (day, merged[-1][1] + amount)
        else:
            merged.append((day, amount))
    return merged


def forecast_dividends(
    history: Sequence[tuple[date, float]], as_of: datetime, until: date
) -> tuple[DividendForecast, str]:
    """The dividend forecast from ex-date history up to ``until`` (see
    :func:`marketdata.dividends.forecast_from_history`: seasonal by quarterly slot; an empty or
    stale history gives no dividends), and a one-line note on what it was based on."""
    forecast = forecast_from_history(history, as_of=as_of, until=until)
    today = as_of.astimezone(NEW_YORK).date()
    past = [d for d, _ in history if d <= today]
    if not past:
        note = "no dividend history"
    else:
        note = f"projected from {len(past)} past dividend(s), latest {past[-1].isoformat()}"
    return forecast, note


# ---------------------------------------------------------------------------------------------
# Frame mapping
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Notes:
    skipped: list[dict[str, str]] = field(default_factory=list)
    schema: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def map_yahoo_frame(
    frame: pd.DataFrame,
    *,
    underlying: str,
    expiry: date,
    kind: str,
    where: str,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """Map one yfinance calls/puts frame to the documented chain columns.

    ``strike``, ``bid`` and ``ask`` must be present (else :class:`SchemaError` naming the
    column); other missing columns become NaN/0/NaT with a line in ``notes``. Text columns are
    coerced to numbers (SchemaError naming column, row and value if impossible). Zero bids/asks
    and NaN or absurd IVs are kept as they are. The root, style, settlement and multiplier come
    from :func:`contract_terms` and the OCC contract symbol (RUT = AM monthly, RUTW = PM weekly).
    """
    notes = notes if notes is not None else []
    missing = [c for c in YAHOO_ESSENTIAL_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{where}: Yahoo frame lacks column {missing[0]!r} (has {list(frame.columns)})"
        )
    absent = [
        c
        for c in (
            "contractSymbol",
            "lastTradeDate",
            "lastPrice",
            "volume",
            "openInterest",
            "impliedVolatility",
        )
        if c not in frame.columns
    ]
    if absent:
        notes.append(f"{where}: columns {absent} absent, filled with NaN/0")
    src = frame.reset_index(drop=True)
    n = len(src)

    def col(name: str, fill: Any) -> pd.Series:
        return src[name] if name in src.columns else pd.Series([fill] * n, dtype=object)

    symbols = (
        col("contractSymbol", "")
        .astype(object)
        .map(
            lambda v: (
                "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
            )
        )
    )
    strikes = coerce_float(src["strike"], "strike", where)
    roots: list[str] = []
    settlements: list[str] = []
    styles: list[str] = []
    multipliers: list[float] = []
    mismatched = 0
    for sym, strike in zip(symbols, strikes, strict=True):
        occ = parse_occ_symbol(sym) if sym else None
        if occ is not None and (
            occ.expiry != expiry
            or occ.kind != kind
            or not math.isclose(occ.strike, strike, abs_tol=5e-4)
        ):
            mismatched += 1
        terms = contract_terms(underlying, occ.root if occ else None, expiry)
        roots.append(terms.root)
        settlements.append(terms.settlement.value)
        styles.append(terms.style.value)
        multipliers.append(terms.multiplier)
    if mismatched:
        notes.append(
            f"{where}: {mismatched} contract symbol(s) disagree with the row's expiry/kind/strike"
        )
    raw = pd.DataFrame(
        {
            "expiry": [pd.Timestamp(expiry)] * n,
            "kind": [kind] * n,
            "strike": strikes,
            "bid": coerce_float(src["bid"], "bid", where),
            "ask": coerce_float(src["ask"], "ask", where),
            "last": coerce_float(col("lastPrice", np.nan), "lastPrice", where),
            "volume": coerce_count(col("volume", np.nan), "volume", where),
            "open_interest": coerce_count(col("openInterest", np.nan), "openInterest", where),
            "settlement": settlements,
            "style": styles,
            "multiplier": multipliers,
            "root": roots,
            "last_trade": coerce_utc_times(col("lastTradeDate", None), "lastTradeDate", where),
            "source_iv": coerce_float(col("impliedVolatility", np.nan), "impliedVolatility", where),
            "contract_symbol": symbols.astype(str),
        }
    )
    return normalize_chain_frame(raw, where)


# ---------------------------------------------------------------------------------------------
# The adapter
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class YahooSource:
    """Yahoo Finance through yfinance, behind the :class:`~marketdata.sources.base.Source` protocol.

    ``clock`` gives the tz-aware fetch time (``as_of``); ``ticker_factory`` builds tickers (the
    real yfinance one by default); ``max_expiries`` keeps only the nearest N expiries when none
    are chosen; ``timeout_s`` bounds each call (None: yfinance's own 30 s); ``max_retries`` and
    ``backoff_s`` shape the retries on rate limits (waits of backoff_s, 2 backoff_s, ...),
    through the injectable ``sleep``. Treasury yields are fetched once per instance.
    """

    clock: Clock
    ticker_factory: TickerFactory | None = None
    max_expiries: int | None = None
    timeout_s: float | None = 20.0
    max_retries: int = 3
    backoff_s: float = 2.0
    sleep: Callable[[float], None] | None = None
    history_period: str = "2y"
    name: str = "yahoo"
    _curve: tuple[RateCurve, dict[str, Any]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_expiries is not None and self.max_expiries < 1:
            raise InputError("max_expiries", self.max_expiries, "must be >= 1")
        if self.timeout_s is not None and not (self.timeout_s > 0):
            raise InputError("timeout_s", self.timeout_s, "must be > 0 seconds")
        if self.max_retries < 0:
            raise InputError("max_retries", self.max_retries, "must be >= 0")
        if not (self.backoff_s >= 0):
            raise InputError("backoff_s", self.backoff_s, "must be >= 0 seconds")

    # -- plumbing ---------------------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        if self.sleep is not None:
            self.sleep(seconds)
        else:
            import time

            time.sleep(seconds)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one yfinance call with the deadline, retrying rate limits with back-off, and turn
        its failures into typed errors naming ``what``. ValueErrors other than non-JSON
        answers pass through (the caller knows what they mean)."""
        attempt = 0
        while True:
            try:
                return _call_with_deadline(fn, self.timeout_s, what)
            except MarketDataError:
                raise
            except Exception as exc:
                if _is_rate_limit(exc):
                    if attempt >= self.max_retries:
                        raise RateLimitedError(
                            f"Yahoo Finance is rate-limiting us ({what}); gave up after "
                            f"{attempt + 1} tries. Wait (it can last hours) or use --source store/demo."
                        ) from exc
                    self._sleep(self.backoff_s * 2.0**attempt)
                    attempt += 1
                    continue
                if _is_timeout(exc):
                    raise SourceUnavailableError(
                        f"Yahoo Finance timed out ({what}): {exc}. Check the network or retry later."
                    ) from exc
                if isinstance(exc, json.JSONDecodeError):
                    raise SourceUnavailableError(
                        f"Yahoo Finance sent a non-JSON answer ({what}); the service may be down."
                    ) from exc
                status = _http_status(exc)
                if status is not None:
                    raise SourceUnavailableError(
                        f"Yahoo Finance answered HTTP {status} ({what}): {exc}"
                    ) from exc
                if isinstance(exc, (OSError, ConnectionError)):
                    raise SourceUnavailableError(
                        f"cannot reach Yahoo Finance ({what}): {type(exc).__name__}: {exc}"
                    ) from exc
                kind = _yf_exception_kind(exc)
                if kind == "no_data":
                    raise NoDataError(f"Yahoo Finance has no data ({what}): {exc}") from exc
                if kind == "unavailable":
                    raise SourceUnavailableError(f"Yahoo Finance failed ({what}): {exc}") from exc
                if isinstance(exc, (KeyError, TypeError, IndexError, AttributeError)):
                    raise SchemaError(
                        f"Yahoo Finance's answer has an unexpected shape ({what}): {type(exc).__name__}: {exc}"
                    ) from exc
                raise

    def _ticker(self, ysym: str) -> TickerLike:
        factory = self.ticker_factory or default_ticker_factory
        return self._call(f"{ysym} ticker", lambda: factory(ysym))

    # -- public -----------------------------------------------------------------------------

    def list_expiries(self, symbol: str) -> list[date]:
        """Listed expiry dates of ``symbol``'s options (sorted). :class:`NoDataError` if none."""
        ysym = yahoo_symbol(symbol)
        return self._listed(ysym, self._ticker(ysym))

    def _listed(self, ysym: str, ticker: TickerLike) -> list[date]:
        raw = self._call(f"{ysym} expiries", lambda: tuple(ticker.options or ()))
        if not raw:
            raise NoDataError(f"Yahoo Finance lists no option expiries for {ysym}")
        out: list[date] = []
        for text in raw:
            try:
                out.append(date.fromisoformat(str(text)[:10]))
            except ValueError:
                raise SchemaError(f"{ysym} expiries: {text!r} is not a YYYY-MM-DD date") from None
        return sorted(set(out))

    def rate_curve(self) -> tuple[RateCurve, dict[str, Any]]:
        """The zero curve from ^IRX (0.25 y), ^FVX (5 y) and ^TNX (10 y), continuous decimals,
        and a meta dict of the quotes used. Pillars that fail are left out and named in the
        meta; :class:`NoDataError` if all three fail (the last error is chained)."""
        if self._curve is not None:
            return self._curve
        quoted: dict[str, float] = {}
        used: dict[str, Any] = {}
        failed: dict[str, str] = {}
        last_error: Exception | None = None
        for ysym in TREASURY_SYMBOLS:
            try:
                ticker = self._ticker(ysym)

                def fetch_history(t: TickerLike = ticker) -> pd.DataFrame:
                    return t.history(period="5d", interval="1d", timeout=self.timeout_s or 30)

                hist = self._call(f"{ysym} history", fetch_history)
                close = self._last_close(ysym, hist)
            except RateLimitedError:
                raise
            except (NoDataError, SourceUnavailableError, SchemaError) as exc:
                failed[ysym] = str(exc)
                last_error = exc
                continue
            pct, when = close
            if not (-5.0 < pct < 30.0):
                failed[ysym] = f"implausible yield {pct!r} %"
                continue
            quoted[ysym] = pct
            used[ysym] = {"percent": pct, "date": when}
        if not quoted:
            raise NoDataError(
                f"no Treasury yields from {', '.join(TREASURY_SYMBOLS)}: {failed}"
            ) from last_error
        curve = curve_from_yahoo(quoted.get("^IRX"), quoted.get("^FVX"), quoted.get("^TNX"))
        info: dict[str, Any] = {
            "quotes": used,
            "method": "marketdata.rates.curve_from_yahoo (bootstrap)",
        }
        if failed:
            info["failed"] = failed
        self._curve = (curve, info)
        return self._curve

    @staticmethod
    def _last_close(ysym: str, hist: pd.DataFrame | None) -> tuple[float, str]:
        if hist is None or not isinstance(hist, pd.DataFrame) or hist.empty:
            raise NoDataError(f"Yahoo Finance returned an empty history for {ysym}")
        if "Close" not in hist.columns:
            raise SchemaError(
                f"{ysym} history: column 'Close' is missing (has {list(hist.columns)})"
            )
        closes = coerce_float(hist["Close"], "Close", f"{ysym} history")
        valid = closes[np.isfinite(closes.to_numpy())]
        if valid.empty:
            raise NoDataError(f"Yahoo Finance history for {ysym} has no finite close")
        label: Any = valid.index[-1]
        stamp = pd.Timestamp(label)
        return float(valid.iloc[-1]), stamp.date().isoformat()

    def load(
        self,
        symbol: str,
        *,
        expiries: Sequence[date] | None = None,
        progress: ProgressCallback | None = None,
    ) -> MarketSnapshot:
        """Fetch ``symbol``'s live snapshot: chains of ``expiries`` (default: all listed, or the
        nearest ``max_expiries``), spot, projected dividends and the Treasury curve.

        ``progress(done, total)`` is called once before and after each expiry. ``as_of`` is
        ``clock()`` at the start of the fetch. Raises :class:`NoDataError`,
        :class:`RateLimitedError`, :class:`SourceUnavailableError` or :class:`SchemaError`.
        """
        as_of = require_aware("as_of", self.clock())
        name = canonical_symbol(symbol)
        ysym = yahoo_symbol(name)
        ticker = self._ticker(ysym)
        listed = self._listed(ysym, ticker)
        notes = _Notes()
        if expiries is not None:
            wanted = sorted(set(expiries))
            chosen = [d for d in wanted if d in listed]
            for d in wanted:
                if d not in listed:
                    notes.skipped.append({"expiry": d.isoformat(), "reason": "not listed by Yahoo"})
        else:
            chosen = listed if self.max_expiries is None else listed[: self.max_expiries]
        total = len(chosen)
        if progress is not None:
            progress(0, total)
        frames: list[pd.DataFrame] = []
        answered = 0
        underlying_quote: dict[str, Any] = {}
        for i, exp in enumerate(chosen):
            where = f"{ysym} {exp.isoformat()}"
            try:

                def fetch_chain(e: date = exp) -> Any:
                    return ticker.option_chain(e.isoformat())

                answer = self._call(f"{where} chain", fetch_chain)
            except ValueError as exc:  # listed a moment ago, gone now
                notes.skipped.append(
                    {
                        "expiry": exp.isoformat(),
                        "reason": f"vanished between listing and fetch: {exc}",
                    }
                )
                answer = None
            else:
                calls = getattr(answer, "calls", None) if answer is not None else None
                puts = getattr(answer, "puts", None) if answer is not None else None
                if calls is None and puts is None:
                    notes.skipped.append(
                        {"expiry": exp.isoformat(), "reason": "Yahoo returned no frames (None)"}
                    )
                else:
                    answered += 1
                    for kind, frame in (("call", calls), ("put", puts)):
                        if frame is None:
                            notes.schema.append(f"{where}: no {kind}s frame (None)")
                            continue
                        if not isinstance(frame, pd.DataFrame):
                            raise SchemaError(
                                f"{where}: {kind}s is a {type(frame).__name__}, not a frame"
                            )
                        if len(frame):
                            frames.append(
                                map_yahoo_frame(
                                    frame,
                                    underlying=name,
                                    expiry=exp,
                                    kind=kind,
                                    where=f"{where} {kind}s",
                                    notes=notes.schema,
                                )
                            )
                    quote = getattr(answer, "underlying", None)
                    if isinstance(quote, dict) and not underlying_quote:
                        underlying_quote = quote
            if progress is not None:
                progress(i + 1, total)
        if not frames:
            reasons = (
                "; ".join(f"{s['expiry']}: {s['reason']}" for s in notes.skipped)
                or "every chain was empty"
            )
            raise NoDataError(f"Yahoo Finance returned no option quotes for {ysym} ({reasons})")
        chain = OptionChain(pd.concat(frames, ignore_index=True))

        hist: pd.DataFrame | None
        try:
            hist = self._call(
                f"{ysym} history",
                lambda: ticker.history(
                    period=self.history_period,
                    interval="1d",
                    auto_adjust=False,
                    actions=True,
                    timeout=self.timeout_s or 30,
                ),
            )
            if hist is None or not isinstance(hist, pd.DataFrame) or hist.empty:
                raise NoDataError(f"Yahoo Finance returned an empty price history for {ysym}")
        except NoDataError as exc:
            hist = None
            notes.other.append(f"price history unavailable: {exc}")
        spot, spot_from = self._spot(ysym, underlying_quote, hist)

        until = max(chain.expiries)
        if hist is None:
            dividends, div_note = DividendForecast(), "no price history, so no dividend history"
        else:
            dividends, div_note = forecast_dividends(dividend_history(hist), as_of, until)
        curve, curve_info = self.rate_curve()

        iv = chain.frame["source_iv"].to_numpy(dtype=np.float64)
        meta: dict[str, Any] = {
            "provider": "Yahoo Finance via yfinance",
            "yahoo_symbol": ysym,
            "spot_from": spot_from,
            "expiries_listed": len(listed),
            "expiries_fetched": answered,
            "skipped_expiries": notes.skipped,
            "schema_notes": notes.schema,
            "notes": notes.other,
            "dividends_note": div_note,
            "rates": curve_info,
            "source_iv_nan": int(np.isnan(iv).sum()),
            "source_iv_absurd": int(((iv < ABSURD_IV_LOW) | (iv > ABSURD_IV_HIGH)).sum()),
            "zero_bid_or_ask": int(((chain.frame["bid"] <= 0) | (chain.frame["ask"] <= 0)).sum()),
        }
        if underlying_quote.get("regularMarketTime") is not None:
            meta["quote_time_epoch_s"] = underlying_quote.get("regularMarketTime")
        terms = contract_terms(name)
        meta["delivery"] = terms.delivery.value
        return MarketSnapshot(
            as_of=as_of,
            underlying=name,
            spot=spot,
            rate_curve=curve,
            dividends=dividends,
            chain=chain,
            source="yahoo",
            synthetic=False,
            meta=meta,
        )

    def _spot(
        self, ysym: str, quote: dict[str, Any], hist: pd.DataFrame | None
    ) -> tuple[float, str]:
        price = quote.get("regularMarketPrice") if quote else None
        try:
            value = float(price) if price is not None else math.nan
        except (TypeError, ValueError):
            value = math.nan
        if math.isfinite(value) and value > 0:
            return value, "option chain quote (regularMarketPrice)"
        if hist is not None:
            close, when = self._last_close(ysym, hist)
            if close > 0:
                return close, f"last daily close ({when})"
        raise NoDataError(f"Yahoo Finance gave no spot price for {ysym} (no quote, no history)")
