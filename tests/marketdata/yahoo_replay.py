"""A fake ``yfinance.Ticker`` factory replaying the recorded-shaped frames in
``tests/fixtures/yahoo/`` and the failure scenarios of ``scenarios.json`` (see make_fixtures.py).

It raises the very exception types yfinance and curl_cffi raise (``YFRateLimitError``,
``curl_cffi.requests.exceptions.Timeout`` / ``ConnectionError`` / ``HTTPError``,
``json.JSONDecodeError``, ``YFPricesMissingError``), so the adapter's classification is tested
against the real classes. Offline: nothing here opens a socket.
"""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "yahoo"
SCENARIOS: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "scenarios.json").read_text(encoding="utf-8")
)
AS_OF = datetime(2026, 11, 19, 16, 10, tzinfo=ZoneInfo("America/New_York"))
"""The moment the fixtures describe (make_fixtures.py)."""

FOLDERS = {"IWM": "iwm", "SPY": "spy", "^RUT": "rut"}
RATES = {"^IRX": "IRX", "^FVX": "FVX", "^TNX": "TNX"}
Options = namedtuple("Options", ["calls", "puts", "underlying"])


class FakeResponse:
    """Just enough of a curl_cffi response for ``HTTPError.response.status_code``."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def make_fault(kind: str, what: str) -> BaseException:
    """The exception yfinance (or curl_cffi under it) raises for fault ``kind``."""
    from curl_cffi.requests import exceptions as cx
    from yfinance import exceptions as yx

    error: BaseException
    if kind == "rate_limit":
        error = yx.YFRateLimitError()
        return error
    if kind == "timeout":
        return cx.Timeout(
            f"Failed to perform, curl: (28) Operation timed out after 30001 milliseconds ({what})"
        )
    if kind == "connection_error":
        # As curl_cffi raises it offline: a DNSError whose response has status 0.
        return cx.DNSError(
            f"Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com ({what})",
            6,  # type: ignore[arg-type]
            FakeResponse(0),
        )
    if kind == "http_503":
        return cx.HTTPError("HTTP Error 503: Service Unavailable", response=FakeResponse(503))
    if kind == "not_json":
        return json.JSONDecodeError("Expecting value", "<html>Will be right back</html>", 0)
    if kind == "yf_down":
        error = yx.YFDataException("*** YAHOO! FINANCE IS CURRENTLY DOWN! ***")
        return error
    if kind == "prices_missing":
        error = yx.YFPricesMissingError(what.split(" ")[0], "(period=5d)")
        return error
    raise ValueError(f"unknown fault kind {kind!r}")


def read_option_frame(path: Path, *, text: bool) -> pd.DataFrame:
    """A calls/puts CSV as yfinance's frame: lastTradeDate tz-aware UTC (or all text if ``text``)."""
    if text:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.read_csv(path)
    if "lastTradeDate" in frame.columns:
        frame["lastTradeDate"] = pd.to_datetime(frame["lastTradeDate"], utc=True)
    return frame


def read_history(path: Path) -> pd.DataFrame:
    """A history CSV as yfinance's frame: tz-aware New York ``Date`` index."""
    frame = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(frame.pop("Date"), utc=True)).tz_convert(
        "America/New_York"
    )
    frame.index = index.rename("Date")
    return frame


class Replay:
    """The factory: ``Replay("zero_bids")(symbol)`` is a fake ticker; ``calls`` logs every call."""

    def __init__(self, scenario: str = "ok", **overrides: Any) -> None:
        spec = dict(SCENARIOS[scenario])
        spec.update(overrides)
        self.scenario = scenario
        self.spec = spec
        self.faults: dict[str, list[str]] = {k: list(v) for k, v in spec.get("faults", {}).items()}
        self.calls: list[str] = []
        self.history_kwargs: list[dict[str, Any]] = []

    def hit(self, key: str) -> None:
        """Log call ``key`` and raise the next scheduled fault for it, if any."""
        self.calls.append(key)
        queue = self.faults.get(key)
        if queue:
            raise make_fault(queue.pop(0), key)

    def __call__(self, symbol: str) -> FakeTicker:
        self.hit(f"{symbol} ticker")
        if symbol not in FOLDERS and symbol not in RATES:
            return FakeTicker(self, symbol, None)
        return FakeTicker(self, symbol, FOLDERS.get(symbol))


class FakeTicker:
    """Replays one symbol's fixtures with ``yfinance.Ticker``'s interface."""

    def __init__(self, replay: Replay, symbol: str, folder: str | None) -> None:
        self.replay = replay
        self.ticker = symbol
        self.folder = folder

    @property
    def options(self) -> tuple[str, ...]:
        self.replay.hit(f"{self.ticker} options")
        return self._listed()

    def _listed(self) -> tuple[str, ...]:
        override = self.replay.spec.get("options", {})
        if self.ticker in override:
            return tuple(override[self.ticker])
        if self.folder is None:
            return ()
        return tuple(
            json.loads((FIXTURES / self.folder / "options.json").read_text(encoding="utf-8"))
        )

    def option_chain(self, date: str | None = None, tz: Any = None) -> Options:
        self.replay.hit(f"{self.ticker} chain {date}")
        listed = self._listed()
        chains = self.replay.spec.get("chains", {})
        special = chains.get(f"{self.ticker} {date}")
        if special == "vanish" or date not in listed:
            raise ValueError(
                f"Expiration `{date}` cannot be found. Available expirations are: [{', '.join(x for x in listed if chains.get(f'{self.ticker} {x}') != 'vanish')}]"
            )
        if special == "none" or self.folder is None:
            return Options(None, None, None)
        text = bool(self.replay.spec.get("text", False))
        frames = []
        for kind in ("calls", "puts"):
            name = chains.get(f"{self.ticker} {date} {kind}", f"{self.folder}/{date}_{kind}.csv")
            frames.append(
                read_option_frame(FIXTURES / name, text=text and name.startswith("faults/"))
            )
        underlying = json.loads(
            (FIXTURES / self.folder / "underlying.json").read_text(encoding="utf-8")
        )
        return Options(frames[0], frames[1], underlying)

    def history(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        self.replay.hit(f"{self.ticker} history")
        self.replay.history_kwargs.append({"symbol": self.ticker, **kwargs})
        if self.replay.spec.get("history", {}).get(self.ticker) == "empty":
            return pd.DataFrame()
        if self.ticker in RATES:
            return read_history(FIXTURES / "rates" / f"{RATES[self.ticker]}.csv")
        if self.folder is None:
            return pd.DataFrame()
        return read_history(FIXTURES / self.folder / "history.csv")
