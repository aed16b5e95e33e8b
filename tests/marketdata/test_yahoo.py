"""The yfinance adapter against recorded-shaped frames (tests/fixtures/yahoo) and every failure
mode of scenarios.json: each gives a typed error or flagged data. Offline."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata.errors import NoDataError, RateLimitedError, SchemaError, SourceUnavailableError
from marketdata.snapshot import OptionChain
from marketdata.sources.base import (
    Source,
    canonical_symbol,
    coerce_float,
    contract_terms,
    parse_occ_symbol,
)
from marketdata.sources.yahoo import YahooSource, dividend_history, map_yahoo_frame, yahoo_symbol
from pricing.errors import InputError
from tests.marketdata.yahoo_replay import AS_OF, FIXTURES, Replay, read_history, read_option_frame

ROOT = Path(__file__).resolve().parents[2]

# exchange_calendars 4.13 (used by marketdata.calendar for dividend ex-date sessions) calls
# Series.values on tz-aware data, which pandas 3.1 deprecates; not this area's code.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Series.values returning an ndarray that drops timezone"
)


def make_source(scenario: str = "ok", **kwargs: object) -> tuple[YahooSource, Replay, list[float]]:
    replay = Replay(scenario)
    sleeps: list[float] = []
    options = {"clock": lambda: AS_OF, "ticker_factory": replay, "sleep": sleeps.append}
    options.update(kwargs)
    return YahooSource(**options), replay, sleeps  # type: ignore[arg-type]


def fixture_rows(path: str) -> int:
    return len(pd.read_csv(FIXTURES / path))


# ---------------------------------------------------------------------------------------------
# Happy paths
# ---------------------------------------------------------------------------------------------


def test_source_follows_the_protocol() -> None:
    source, _, _ = make_source()
    assert isinstance(source, Source)
    assert source.name == "yahoo"


def test_iwm_chain_maps_to_documented_columns() -> None:
    source, replay, _ = make_source()
    seen: list[tuple[int, int]] = []
    snap = source.load("iwm", progress=lambda done, total: seen.append((done, total)))
    frame = snap.chain.frame
    expected_rows = sum(
        fixture_rows(f"iwm/{d}_{k}s.csv")
        for d in ("2026-11-20", "2026-12-18", "2027-03-19")
        for k in ("call", "put")
    )
    assert len(frame) == expected_rows == 96
    assert list(frame.columns[: len(OptionChain.REQUIRED)]) == list(OptionChain.REQUIRED)
    assert set(OptionChain.OPTIONAL) <= set(frame.columns)
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert (
        snap.as_of == AS_OF
        and snap.underlying == "IWM"
        and snap.source == "yahoo"
        and not snap.synthetic
    )
    # iwm/underlying.json regularMarketPrice
    assert snap.spot == 238.52 and snap.meta["spot_from"].startswith("option chain quote")
    assert set(frame["style"]) == {"american"} and set(frame["settlement"]) == {"pm"}
    assert set(frame["multiplier"]) == {100.0} and set(frame["root"]) == {"IWM"}
    assert snap.meta["delivery"] == "physical"
    assert frame["volume"].dtype == np.int64 and frame["open_interest"].dtype == np.int64
    assert str(frame["last_trade"].dt.tz) == "UTC"
    # Values come through untouched: first row of iwm/2026-11-20_calls.csv.
    raw = pd.read_csv(FIXTURES / "iwm/2026-11-20_calls.csv").iloc[0]
    first = frame.iloc[0]
    assert first["contract_symbol"] == raw["contractSymbol"]
    assert (first["strike"], first["bid"], first["ask"], first["last"]) == (
        raw["strike"],
        raw["bid"],
        raw["ask"],
        raw["lastPrice"],
    )
    assert first["source_iv"] == raw["impliedVolatility"]
    assert first["last_trade"] == pd.Timestamp(raw["lastTradeDate"])
    assert snap.chain.expiries == [date(2026, 11, 20), date(2026, 12, 18), date(2027, 3, 19)]
    # yfinance's history() is asked with a timeout and without the deprecated raise_errors.
    iwm_hist = [k for k in replay.history_kwargs if k["symbol"] == "IWM"]
    assert iwm_hist and all("timeout" in k and "raise_errors" not in k for k in iwm_hist)


def test_nan_volume_becomes_zero_and_open_interest_is_kept() -> None:
    snap = make_source()[0].load("IWM")
    raw = pd.read_csv(FIXTURES / "iwm/2026-11-20_calls.csv")
    calls = snap.chain.frame[
        (snap.chain.frame["kind"] == "call")
        & (snap.chain.frame["expiry"] == pd.Timestamp("2026-11-20"))
    ]
    assert list(calls["volume"]) == [0 if math.isnan(v) else int(v) for v in raw["volume"]]
    assert list(calls["open_interest"]) == list(raw["openInterest"])


def test_rut_roots_give_settlement_style_and_cash_delivery() -> None:
    snap = make_source()[0].load("^RUT")
    frame = snap.chain.frame
    assert snap.underlying == "RUT" and snap.meta["yahoo_symbol"] == "^RUT"
    assert set(frame["style"]) == {"european"}
    assert snap.meta["delivery"] == "cash"
    by_root = frame.groupby("root")["settlement"].agg(set).to_dict()
    assert by_root == {"RUT": {"am"}, "RUTW": {"pm"}}
    # 2026-11-20 is the third Friday: both the AM monthly and the PM weekly are listed.
    nov20 = frame[frame["expiry"] == pd.Timestamp("2026-11-20")]
    assert set(nov20["root"]) == {"RUT", "RUTW"}
    nov27 = frame[frame["expiry"] == pd.Timestamp("2026-11-27")]
    assert set(nov27["root"]) == {"RUTW"} and set(nov27["settlement"]) == {"pm"}
    assert snap.dividends.ex_dates == ()  # an index pays no dividends


def test_rates_come_from_irx_fvx_tnx() -> None:
    snap = make_source()[0].load("SPY")
    irx = read_history(FIXTURES / "rates/IRX.csv")["Close"].iloc[-1]
    curve = snap.rate_curve
    assert curve.tenors_years == pytest.approx((91 / 365, 5.0, 10.0))
    # ^IRX is a 13-week bank-discount rate in percent: r = -ln(1 - d 91/360) 365/91.
    assert curve.zero_rates[0] == pytest.approx(
        -math.log(1 - irx / 100 * 91 / 360) * 365 / 91, abs=1e-12
    )
    tnx = read_history(FIXTURES / "rates/TNX.csv")["Close"].iloc[-1]
    # The 10-year zero is near the semi-annual yield converted to continuous (par vs zero gap).
    assert abs(curve.zero_rates[2] - 2 * math.log1p(tnx / 200)) < 0.0015
    assert snap.meta["rates"]["quotes"]["^TNX"]["percent"] == tnx


def test_dividends_projected_from_history() -> None:
    snap = make_source()[0].load("IWM")
    # tests/fixtures/yahoo/iwm/history.csv: quarterly, the latest 2026-09-15 (0.684); a year
    # before, 2025-12-16 paid 0.702 and 2026-03-17 paid 0.471 (seasonal amounts).
    assert snap.dividends.ex_dates, snap.meta["dividends_note"]
    assert all(d > AS_OF.date() for d in snap.dividends.ex_dates)
    assert snap.dividends.ex_dates[0].month == 12 and snap.dividends.amounts[0] == pytest.approx(
        0.702
    )
    assert snap.dividends.ex_dates[1].month == 3 and snap.dividends.amounts[1] == pytest.approx(
        0.471
    )
    assert max(snap.dividends.ex_dates) <= date(2027, 3, 19)


def test_dividend_history_reads_the_dividends_column() -> None:
    hist = read_history(FIXTURES / "iwm/history.csv")
    pairs = dividend_history(hist)
    # First two real ones: /work/shared/data/iwm_dividends_known.csv
    assert pairs[:2] == [(date(2024, 12, 17), 0.694), (date(2025, 3, 18), 0.46)]
    assert len(pairs) == 8
    assert dividend_history(pd.DataFrame()) == []


def test_chosen_expiries_and_max_expiries() -> None:
    source, replay, _ = make_source()
    snap = source.load("IWM", expiries=[date(2026, 12, 18), date(2026, 12, 25)])
    assert snap.chain.expiries == [date(2026, 12, 18)]
    assert {"expiry": "2026-12-25", "reason": "not listed by Yahoo"} in snap.meta[
        "skipped_expiries"
    ]
    assert not any("chain 2026-11-20" in c for c in replay.calls)
    nearest = make_source(max_expiries=1)[0].load("IWM")
    assert nearest.chain.expiries == [date(2026, 11, 20)]


def test_rate_curve_fetched_once_per_source() -> None:
    source, replay, _ = make_source()
    source.load("IWM")
    source.load("SPY")
    assert replay.calls.count("^TNX history") == 1


def test_list_expiries() -> None:
    source, _, _ = make_source()
    assert source.list_expiries("RUT") == [
        date(2026, 11, 20),
        date(2026, 11, 27),
        date(2026, 12, 18),
    ]


# ---------------------------------------------------------------------------------------------
# Failure modes
# ---------------------------------------------------------------------------------------------


def test_rate_limit_on_first_call_then_success_backs_off() -> None:
    source, _, sleeps = make_source("rate_limit_then_success", backoff_s=2.0)
    snap = source.load("IWM")
    assert len(snap.chain) == 96
    assert sleeps == [2.0]


def test_persistent_rate_limit_gives_typed_error_after_exponential_backoff() -> None:
    source, _, sleeps = make_source("rate_limit_persistent", max_retries=3, backoff_s=1.5)
    with pytest.raises(RateLimitedError, match=r"rate-limiting.*IWM expiries.*4 tries"):
        source.load("IWM")
    assert sleeps == [1.5, 3.0, 6.0]


def test_timeout_is_source_unavailable_and_names_the_call() -> None:
    source, _, sleeps = make_source("timeout")
    with pytest.raises(SourceUnavailableError, match=r"timed out \(IWM 2026-12-18 chain\)"):
        source.load("IWM")
    assert sleeps == []  # timeouts are not retried


def test_a_call_that_hangs_hits_the_deadline() -> None:
    release = threading.Event()

    class Hanging:
        @property
        def options(self) -> tuple[str, ...]:
            release.wait(5)
            return ("2026-11-20",)

    source = YahooSource(clock=lambda: AS_OF, ticker_factory=lambda s: Hanging(), timeout_s=0.05)  # type: ignore[arg-type, return-value]
    try:
        with pytest.raises(SourceUnavailableError, match="timed out"):
            source.load("IWM")
    finally:
        release.set()


@pytest.mark.parametrize(
    ("scenario", "pattern"),
    [
        (
            "connection_error",
            r"cannot reach Yahoo Finance \(IWM expiries\): DNSError: .*Could not resolve host",
        ),
        ("http_503", r"HTTP 503"),
        ("not_json", r"non-JSON answer"),
        (
            "yahoo_down",
            r"Yahoo Finance failed \(IWM expiries\): \*\*\* YAHOO! FINANCE IS CURRENTLY DOWN",
        ),
    ],
)
def test_network_failures_are_source_unavailable(scenario: str, pattern: str) -> None:
    source, _, sleeps = make_source(scenario)
    with pytest.raises(SourceUnavailableError, match=pattern):
        source.load("IWM")
    assert sleeps == []


@pytest.mark.parametrize(
    "error",
    [ConnectionRefusedError("[Errno 111] Connection refused"), OSError("Network is unreachable")],
)
def test_python_socket_errors_are_source_unavailable(error: Exception) -> None:
    def factory(symbol: str) -> object:
        raise error

    source = YahooSource(clock=lambda: AS_OF, ticker_factory=factory)  # type: ignore[arg-type]
    with pytest.raises(SourceUnavailableError, match=r"cannot reach Yahoo Finance \(IWM ticker\)"):
        source.load("IWM")


def test_none_frames_skip_the_expiry_and_record_it() -> None:
    snap = make_source("none_frames")[0].load("IWM")
    assert snap.chain.expiries == [date(2026, 11, 20), date(2027, 3, 19)]
    skipped = snap.meta["skipped_expiries"]
    assert skipped == [{"expiry": "2026-12-18", "reason": "Yahoo returned no frames (None)"}]
    assert snap.meta["expiries_fetched"] == 2


def test_all_none_frames_is_no_data() -> None:
    with pytest.raises(
        NoDataError, match=r"no option quotes for IWM .*2026-11-20: Yahoo returned no frames"
    ):
        make_source("all_none_frames")[0].load("IWM")


def test_empty_expiry_list_is_no_data() -> None:
    with pytest.raises(NoDataError, match="lists no option expiries for IWM"):
        make_source("empty_expiries")[0].load("IWM")


def test_vanishing_expiry_is_skipped_and_recorded() -> None:
    snap = make_source("vanishing_expiry")[0].load("IWM")
    assert date(2026, 12, 4) not in snap.chain.expiries
    assert snap.chain.expiries == [date(2026, 11, 20), date(2026, 12, 18), date(2027, 3, 19)]
    (skip,) = snap.meta["skipped_expiries"]
    assert (
        skip["expiry"] == "2026-12-04"
        and "vanished" in skip["reason"]
        and "cannot be found" in skip["reason"]
    )


def test_zero_bids_with_stale_last_are_kept_for_the_cleaner() -> None:
    snap = make_source("zero_bids")[0].load("IWM")
    frame = snap.chain.frame
    raw = pd.read_csv(FIXTURES / "faults/zero_bids_calls.csv")
    dead = frame[frame["contract_symbol"].isin(raw["contractSymbol"][:4])]
    assert len(dead) == 4
    assert (dead["bid"] == 0).all() and (dead["ask"] == 0).all()
    assert list(dead["last"]) == list(raw["lastPrice"][:4])  # the stale last price is kept
    assert (dead["last_trade"] == pd.Timestamp("2026-11-10 15:31:02", tz="UTC")).all()
    assert snap.meta["zero_bid_or_ask"] >= 4
    assert len(frame) == 96  # nothing dropped


def test_absurd_and_nan_ivs_are_kept_but_counted() -> None:
    snap = make_source("absurd_iv")[0].load("IWM")
    calls = snap.chain.frame.iloc[:16]
    iv = calls["source_iv"].to_numpy()
    assert iv[0] == 1e-5 and iv[1] == 20.0 and math.isnan(iv[2]) and iv[3] == 0.0
    assert snap.meta["source_iv_nan"] == 1
    assert snap.meta["source_iv_absurd"] >= 3


def test_missing_optional_columns_are_filled_and_noted() -> None:
    snap = make_source("missing_columns")[0].load("IWM")
    frame = snap.chain.frame
    calls = frame[(frame["expiry"] == pd.Timestamp("2026-11-20")) & (frame["kind"] == "call")]
    assert calls["source_iv"].isna().all()
    assert (calls["open_interest"] == 0).all()
    assert calls["last_trade"].isna().all()
    assert any("impliedVolatility" in n for n in snap.meta["schema_notes"])


def test_missing_strike_column_is_schema_error_naming_it() -> None:
    with pytest.raises(SchemaError, match=r"lacks column 'strike'"):
        make_source("missing_strike")[0].load("IWM")


def test_string_dtypes_are_coerced() -> None:
    drifted = make_source("string_dtypes")[0].load("IWM")
    clean = make_source("ok")[0].load("IWM")
    cols = ["strike", "bid", "ask", "volume", "open_interest", "source_iv", "last_trade"]
    a = drifted.chain.frame.iloc[:16][cols].reset_index(drop=True)
    b = clean.chain.frame.iloc[:16][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns=["source_iv"]), b.drop(columns=["source_iv"]))
    assert np.allclose(a["source_iv"], b["source_iv"], atol=1e-6)
    assert a["volume"].dtype == np.int64


def test_unparseable_text_is_schema_error_naming_column_row_value() -> None:
    with pytest.raises(SchemaError, match=r"column 'ask': row 5: value 'n/a' is not a number"):
        make_source("string_dtypes_bad")[0].load("IWM")


def test_empty_history_keeps_spot_from_quote_and_notes_missing_dividends() -> None:
    snap = make_source("history_empty")[0].load("IWM")
    assert snap.spot == 238.52
    assert snap.dividends.ex_dates == ()
    assert any("price history unavailable" in n for n in snap.meta["notes"])


def test_spot_falls_back_to_last_close() -> None:
    source, replay, _ = make_source()
    snap = source.load("IWM")
    quote_free = YahooSource(clock=lambda: AS_OF, ticker_factory=replay)
    assert quote_free._spot("IWM", {}, read_history(FIXTURES / "iwm/history.csv"))[0] == snap.spot
    with pytest.raises(NoDataError, match="no spot price"):
        quote_free._spot("IWM", {"regularMarketPrice": None}, None)


def test_partial_rates_use_what_answered() -> None:
    snap = make_source("rates_partial")[0].load("IWM")
    assert snap.rate_curve.tenors_years == pytest.approx((91 / 365, 10.0))
    assert "^FVX" in snap.meta["rates"]["failed"]


def test_no_rates_is_no_data() -> None:
    with pytest.raises(NoDataError, match=r"no Treasury yields"):
        make_source("rates_down")[0].load("IWM")


def test_naive_clock_is_rejected() -> None:
    source = YahooSource(clock=lambda: datetime(2026, 11, 19, 16, 10), ticker_factory=Replay("ok"))
    with pytest.raises(InputError, match="as_of"):
        source.load("IWM")


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_expiries", 0), ("timeout_s", -1.0), ("max_retries", -1), ("backoff_s", math.nan)],
)
def test_bad_settings_name_the_field(field: str, value: float) -> None:
    with pytest.raises(InputError, match=field):
        YahooSource(clock=lambda: AS_OF, **{field: value})  # type: ignore[arg-type]


def test_importing_the_adapter_does_not_import_yfinance() -> None:
    code = "import sys, marketdata.sources.yahoo, marketdata.sources.resolve; print('yfinance' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def test_map_yahoo_frame_for_unknown_etf_defaults_to_american_pm() -> None:
    frame = read_option_frame(FIXTURES / "iwm/2026-11-20_calls.csv", text=False)
    frame["contractSymbol"] = frame["contractSymbol"].str.replace("IWM", "TNA")
    mapped = map_yahoo_frame(
        frame, underlying="TNA", expiry=date(2026, 11, 20), kind="call", where="t"
    )
    assert set(mapped["root"]) == {"TNA"} and set(mapped["style"]) == {"american"}


def test_contract_symbol_disagreeing_with_row_is_noted() -> None:
    frame = read_option_frame(FIXTURES / "iwm/2026-11-20_calls.csv", text=False)
    notes: list[str] = []
    map_yahoo_frame(
        frame, underlying="IWM", expiry=date(2026, 11, 20), kind="put", where="t", notes=notes
    )
    assert any("disagree" in n for n in notes)


def test_symbols_and_terms() -> None:
    assert (
        canonical_symbol(" ^rut ") == "RUT"
        and yahoo_symbol("rut") == "^RUT"
        and yahoo_symbol("IWM") == "IWM"
    )
    with pytest.raises(InputError, match="symbol"):
        canonical_symbol("")
    assert contract_terms("RUT", None, date(2026, 12, 18)).settlement.value == "am"  # third Friday
    assert contract_terms("RUT", None, date(2026, 12, 11)).root == "RUTW"
    assert contract_terms("IWM").style.value == "american"


@given(
    root=st.sampled_from(["IWM", "RUT", "RUTW", "SPY", "TNA", "IWM1"]),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    kind=st.sampled_from(["call", "put"]),
    strike_milli=st.integers(min_value=1, max_value=99_999_999),
)
def test_occ_symbol_round_trip(root: str, day: date, kind: str, strike_milli: int) -> None:
    text = f"{root}{day:%y%m%d}{'C' if kind == 'call' else 'P'}{strike_milli:08d}"
    occ = parse_occ_symbol(text)
    assert occ is not None
    assert (occ.root, occ.expiry, occ.kind, occ.strike) == (root, day, kind, strike_milli / 1000)


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1, max_size=20))
def test_coerce_float_reads_formatted_text(values: list[float]) -> None:
    text = pd.Series([f" {v:,.6f} " for v in values], dtype=object)
    parsed = coerce_float(text, "x", "t").to_numpy()
    assert parsed.tolist() == [float(f"{v:.6f}") for v in values]
