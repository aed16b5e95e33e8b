"""The book being hedged: a value and a beta to a benchmark, or holdings with betas.

A :class:`Book` is ``value`` dollars with ``beta`` to ``benchmark`` (IWM, RUT, MRUT or SPY). The
sizing works on drawdowns of the Russell 2000 family (IWM, RUT and MRUT move alike), so a book
quoted against SPY is converted through the SPY-per-IWM beta (:func:`strategies.strategy.beta_of`,
measured on daily returns 2016-2021)::

    beta to the index  = beta to benchmark x beta(benchmark -> IWM)     (1 for IWM, RUT, MRUT)
    book loss at a drawdown d (decimal, d > 0 = a fall)  = value x beta to the index x d

(the book is linear in the index: no idiosyncratic moves, no convexity of its own).

Holdings (:func:`load_holdings_csv`): a CSV with ``ticker`` and ``shares`` or ``value`` per row
(dollars) and optionally ``beta``. Missing betas are estimated by :func:`estimate_holding_betas`
from a price-history CSV (``date`` plus one column of closes per ticker and one for the
benchmark, adjusted closes preferably): ordinary least squares of each holding's daily simple
returns on the benchmark's over the last ``window_days`` returns (days where either price is
missing are dropped). Values come from ``value`` or ``shares`` x the last close in the history.
The book's beta is the value-weighted mean of the holdings' betas. Every estimate carries its
method, window and dates, and the report repeats them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pricing.errors import InputError
from strategies.calibration import ols
from strategies.strategy import beta_of

#: Benchmarks a book's beta may be quoted against.
BENCHMARKS = ("IWM", "RUT", "MRUT", "SPY")
#: Default estimation window (daily returns) for holding betas.
DEFAULT_WINDOW_DAYS = 252
#: Fewest daily returns accepted for a beta estimate.
MIN_OBSERVATIONS = 20


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise InputError(name, value, "must be a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(name, value, "must be a number") from None
    if not math.isfinite(number) or number <= 0.0:
        raise InputError(name, value, "must be finite and > 0")
    return number


def _beta(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise InputError(name, value, "must be a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(name, value, "must be a number") from None
    if not math.isfinite(number) or not -10.0 <= number <= 10.0:
        raise InputError(name, value, "must be a finite beta within +-10")
    return number


@dataclass(frozen=True, slots=True)
class Holding:
    """One holding: ``value`` dollars (> 0), ``beta`` to the book's benchmark, and where the beta
    came from (``"given"`` or the estimate's description)."""

    ticker: str
    value: float
    beta: float
    beta_source: str = "given"
    shares: float | None = None


@dataclass(frozen=True, slots=True)
class Book:
    """``value`` dollars (> 0) with ``beta`` (within +-10, non-zero) to ``benchmark``.

    ``holdings`` (optional) list what the value and beta were built from; ``beta_method`` says
    how the beta was obtained (given, or estimated: method, window, dates)."""

    value: float
    beta: float
    benchmark: str = "IWM"
    holdings: tuple[Holding, ...] = ()
    beta_method: str = "given"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _positive("book value", self.value))
        b = _beta("beta", self.beta)
        if b == 0.0:
            raise InputError(
                "beta", self.beta, "must be non-zero (a zero-beta book needs no index hedge)"
            )
        object.__setattr__(self, "beta", b)
        if not isinstance(self.benchmark, str) or self.benchmark.strip().upper() not in BENCHMARKS:
            raise InputError("benchmark", self.benchmark, f"must be one of {', '.join(BENCHMARKS)}")
        object.__setattr__(self, "benchmark", self.benchmark.strip().upper())
        object.__setattr__(self, "holdings", tuple(self.holdings))

    @property
    def index_beta(self) -> float:
        """Beta of the book to the Russell 2000 family: ``beta x beta(benchmark -> IWM)``."""
        return self.beta * beta_of(self.benchmark, "IWM")

    @property
    def beta_weighted_value(self) -> float:
        """Dollars of index exposure: ``value x index_beta``."""
        return self.value * self.index_beta

    def loss_at(self, drawdowns: Sequence[float] | np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        """Book loss in dollars (positive = a loss) at index drawdowns (decimal, 0.10 = -10 %)."""
        d = np.asarray(drawdowns, dtype=np.float64)
        return np.asarray(self.beta_weighted_value * d, dtype=np.float64)

    def pnl_at_move(self, move: float) -> float:
        """Book P&L in dollars for an index move (decimal, -0.10 = a 10 % fall)."""
        return self.beta_weighted_value * float(move)


@dataclass(frozen=True, slots=True)
class BetaEstimate:
    """One OLS beta: ``beta`` with its standard error, ``n_obs`` daily returns from ``start`` to
    ``end`` (ISO dates), and a one-line ``method``."""

    ticker: str
    beta: float
    stderr: float
    r_squared: float
    n_obs: int
    start: str
    end: str
    method: str = field(default="")


def load_price_history(path: str | Path) -> pd.DataFrame:
    """A wide price-history CSV (``date`` + one close column per ticker, upper-cased) sorted by
    date. Raises :class:`InputError` naming the file for unreadable or column-less input."""
    p = Path(path)
    try:
        frame = pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise InputError("history", str(p), f"cannot read the price history: {exc}") from None
    cols = {c: str(c).strip().upper() for c in frame.columns}
    frame = frame.rename(columns=cols)
    if "DATE" not in frame.columns:
        raise InputError("history", str(p), f"needs a 'date' column, has {list(frame.columns)}")
    try:
        frame["DATE"] = pd.to_datetime(frame["DATE"])
    except (ValueError, TypeError):
        raise InputError("history.date", str(p), "holds values that are not dates") from None
    return frame.sort_values("DATE").reset_index(drop=True)


def estimate_beta(
    history: pd.DataFrame,
    ticker: str,
    benchmark: str = "IWM",
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> BetaEstimate:
    """OLS beta of ``ticker``'s daily simple returns on ``benchmark``'s over the last
    ``window_days`` returns of ``history`` (from :func:`load_price_history`)."""
    t, b = ticker.strip().upper(), benchmark.strip().upper()
    for col in (t, b):
        if col not in history.columns:
            raise InputError(
                "history", col, f"no price column for {col} (columns: {list(history.columns)})"
            )
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or window_days < MIN_OBSERVATIONS
    ):
        raise InputError("window_days", window_days, f"must be an integer >= {MIN_OBSERVATIONS}")
    prices = history[["DATE", t, b]].copy()
    for col in (t, b):
        prices[col] = pd.to_numeric(prices[col], errors="coerce")
        prices.loc[prices[col] <= 0.0, col] = np.nan
    rets = pd.DataFrame(
        {
            "date": prices["DATE"],
            "y": prices[t].pct_change(fill_method=None),
            "x": prices[b].pct_change(fill_method=None),
        }
    ).dropna()
    rets = rets.tail(window_days)
    if len(rets) < MIN_OBSERVATIONS:
        raise InputError(
            "history",
            t,
            f"only {len(rets)} daily returns with both prices; need {MIN_OBSERVATIONS}",
        )
    fit = ols(rets["y"].to_numpy(dtype=np.float64), rets["x"].to_numpy(dtype=np.float64))
    start = pd.Timestamp(rets["date"].iloc[0]).date().isoformat()
    end = pd.Timestamp(rets["date"].iloc[-1]).date().isoformat()
    return BetaEstimate(
        ticker=t,
        beta=fit.betas[0],
        stderr=fit.stderrs[0],
        r_squared=fit.r_squared,
        n_obs=fit.n_obs,
        start=start,
        end=end,
        method=f"OLS of daily simple returns on {b}, {fit.n_obs} returns {start}..{end}",
    )


def _float_cell(row: Mapping[str, str], key: str, line: int) -> float | None:
    text = (row.get(key) or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"holdings line {line} {key}", text, "must be a number") from None
    if not math.isfinite(number):
        raise InputError(f"holdings line {line} {key}", text, "must be finite")
    return number


def load_holdings_csv(path: str | Path) -> list[dict[str, float | str | None]]:
    """Rows of a holdings CSV: ``ticker`` and ``shares`` or ``value`` (dollars), optional
    ``beta``. Each bad cell raises :class:`InputError` naming the line, the column and the value."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("holdings", str(p), f"cannot read the file: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "ticker" not in fields or not ({"shares", "value"} & set(fields)):
        raise InputError(
            "holdings", str(p), f"needs columns ticker and shares or value, has {fields}"
        )
    rows: list[dict[str, float | str | None]] = []
    for i, raw in enumerate(reader, start=2):
        row = {str(k).strip().lower(): (v or "") for k, v in raw.items() if k is not None}
        ticker = row.get("ticker", "").strip().upper()
        if not ticker:
            raise InputError(f"holdings line {i} ticker", row.get("ticker"), "must be a symbol")
        shares = _float_cell(row, "shares", i)
        value = _float_cell(row, "value", i)
        beta = _float_cell(row, "beta", i)
        if shares is None and value is None:
            raise InputError(f"holdings line {i}", ticker, "needs shares or value")
        if value is not None and value <= 0.0:
            raise InputError(
                f"holdings line {i} value", value, "must be > 0 dollars (a long holding)"
            )
        if shares is not None and shares <= 0.0:
            raise InputError(f"holdings line {i} shares", shares, "must be > 0 (a long holding)")
        if beta is not None:
            _beta(f"holdings line {i} beta", beta)
        rows.append({"ticker": ticker, "shares": shares, "value": value, "beta": beta})
    if not rows:
        raise InputError("holdings", str(p), "has no rows")
    return rows


def book_from_holdings(
    rows: Sequence[Mapping[str, float | str | None]],
    *,
    benchmark: str = "IWM",
    history: pd.DataFrame | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Book:
    """A :class:`Book` from holdings rows (see :func:`load_holdings_csv`): values given or
    ``shares x last close`` of ``history``; betas given or estimated from ``history`` by
    :func:`estimate_beta`; the book beta is the value-weighted mean."""
    bench = benchmark.strip().upper()
    holdings: list[Holding] = []
    methods: set[str] = set()
    for row in rows:
        ticker = str(row["ticker"])
        value = row.get("value")
        shares = row.get("shares")
        if value is None:
            if history is None or ticker not in history.columns:
                raise InputError(
                    f"holdings {ticker}.value",
                    None,
                    "no value and no price history to value the shares",
                )
            closes = pd.to_numeric(history[ticker], errors="coerce").dropna()
            if closes.empty:
                raise InputError(f"holdings {ticker}.value", None, "no price in the history")
            value = float(shares) * float(closes.iloc[-1])  # type: ignore[arg-type]
        beta = row.get("beta")
        source = "given"
        if beta is None:
            if history is None:
                raise InputError(
                    f"holdings {ticker}.beta",
                    None,
                    "no beta given and no price history to estimate it",
                )
            est = estimate_beta(history, ticker, bench, window_days=window_days)
            beta, source = est.beta, est.method
            methods.add(
                f"OLS of daily simple returns on {bench}, last {window_days} returns ({est.start}..{est.end})"
            )
        holdings.append(
            Holding(
                ticker, float(value), float(beta), source, None if shares is None else float(shares)
            )  # type: ignore[arg-type]
        )
    total = math.fsum(h.value for h in holdings)
    beta_book = math.fsum(h.value * h.beta for h in holdings) / total
    given = sum(1 for h in holdings if h.beta_source == "given")
    parts = [f"{given} given"] if given else []
    parts += sorted(methods)
    method = "value-weighted holdings betas: " + "; ".join(parts)
    return Book(total, beta_book, bench, tuple(holdings), method)
