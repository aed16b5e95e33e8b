"""Recorded chains read as they are published (Cboe's quotedata.csv, yfinance dumps, the chain
CSV) and the command-line overrides: values, units, stated replacements, errors naming the flag,
and the missing-dividends warning (decided once, in marketdata.sources.overrides)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from marketdata.errors import SchemaError
from marketdata.snapshot import DividendForecast
from marketdata.sources.chain_file import read_chain_file, split_paths
from marketdata.sources.overrides import (
    OverrideError,
    dividend_warning,
    parse_as_of,
    parse_dividends,
    parse_overrides,
    parse_rate,
    parse_rate_value,
)
from marketdata.sources.resolve import load_snapshot
from pricing.types import NEW_YORK

CHAINS = Path(__file__).resolve().parents[1] / "fixtures" / "chains"
RUT = CHAINS / "cboe_quotedata_rut.csv"
IWM = CHAINS / "cboe_quotedata_iwm.csv"
SPY_DUMP = CHAINS / "yahoo_spy_dump.csv"
SPY_CALLS = CHAINS / "yahoo_spy_calls.csv"
SPY_PUTS = CHAINS / "yahoo_spy_puts.csv"
NOW = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)
RATE = parse_overrides(rate="3.9%")


def test_cboe_download_reads_spot_time_and_settlement_by_root() -> None:
    snap = read_chain_file([RUT], overrides=RATE)
    assert snap.underlying == "RUT" and snap.spot == 2345.67
    assert snap.as_of == datetime(2026, 12, 3, 16, 15, tzinfo=NEW_YORK)
    assert snap.rate_curve.zero_rates == (0.039,)
    frame = snap.chain.frame
    by_expiry = frame.groupby(frame["expiry"].dt.date)[["root", "settlement"]].first()
    assert by_expiry.loc[date(2026, 12, 4)].tolist() == ["RUTW", "pm"]
    assert by_expiry.loc[date(2026, 12, 18)].tolist() == ["RUT", "am"]
    assert set(frame["style"]) == {"european"}
    assert len(frame) == 4 * 21 * 2  # 4 expiries, 21 strikes, calls and puts
    # The first row of the file (line 4): the call's and the put's own Last Sale / Bid / Ask.
    first = frame[(frame["expiry"].dt.date == date(2026, 12, 4)) & (frame["strike"] == 2100.0)]
    call = first[first["kind"] == "call"].iloc[0]
    put = first[first["kind"] == "put"].iloc[0]
    assert (call["bid"], call["ask"], call["last"]) == (241.15, 251.05, 246.18)
    assert (put["bid"], put["ask"], put["last"]) == (0.25, 0.40, 0.29)
    assert call["contract_symbol"] == "RUTW261204C02100000"
    assert dividend_warning(snap) is None  # European: no warning


def test_cboe_download_with_a_title_line_and_a_day_first_date(tmp_path: Path) -> None:
    # Downloads seen in the wild start with a title (or blank) line before the "Last:" line,
    # and Cboe's site writes the date day first in some locales ("3 December 2026").
    text = RUT.read_text().replace("December 3, 2026", "3 December 2026")
    download = tmp_path / "quotedata.csv"
    download.write_text("RUT Options Quotes\n" + text)
    snap = read_chain_file([download], overrides=RATE)
    assert snap.spot == 2345.67
    assert snap.as_of == datetime(2026, 12, 3, 16, 15, tzinfo=NEW_YORK)
    assert len(snap.chain.frame) == 4 * 21 * 2


def test_cboe_errors_name_the_downloaded_files_line(tmp_path: Path) -> None:
    lines = RUT.read_text().splitlines(keepends=True)
    cells = lines[5].split(",")
    cells[4] = "abc"  # the call's Bid on line 6
    lines[5] = ",".join(cells)
    bad = tmp_path / "quotedata.csv"
    bad.write_text("".join(lines))
    with pytest.raises(SchemaError, match=r"quotedata\.csv:6: column 'bid'"):
        read_chain_file([bad], overrides=RATE)


def test_yahoo_dump_reads_its_spot_column_and_contract_symbols() -> None:
    over = parse_overrides(rate="0.039", as_of="2026-12-03T16:00")
    snap = read_chain_file([SPY_DUMP], overrides=over)
    assert snap.underlying == "SPY" and snap.spot == 681.25
    assert snap.as_of == datetime(2026, 12, 3, 16, 0, tzinfo=NEW_YORK)
    assert snap.chain.expiries == [date(2026, 12, 18), date(2027, 1, 15)]
    assert set(snap.chain.frame["kind"]) == {"call", "put"}
    assert "spot" not in snap.chain.frame.columns  # a snapshot value, not a quote column


def test_yahoo_calls_and_puts_pair() -> None:
    source = f"{SPY_CALLS},{SPY_PUTS}"
    paths = split_paths(source)
    assert paths == [SPY_CALLS, SPY_PUTS]
    over = parse_overrides(rate="0.039", as_of="2026-12-03", spot="681.25", dividends="none")
    snap = read_chain_file(paths, overrides=over)
    assert len(snap.chain) == 50 and set(snap.chain.frame["kind"]) == {"call", "put"}
    assert snap.as_of == datetime(2026, 12, 3, 16, 0, tzinfo=NEW_YORK)  # a date: its close
    assert dividend_warning(snap) is None  # --dividends none was said


def test_overrides_beat_file_values_and_are_stated() -> None:
    over = parse_overrides(
        spot="236", as_of="2026-12-03T15:00-05:00", rate="0.25:4%,1:3.5%", dividends=None
    )
    resolved = load_snapshot("IWM", str(IWM), now=NOW, overrides=over)
    snap = resolved.snapshot
    assert snap.spot == 236.0
    assert snap.as_of == datetime(2026, 12, 3, 15, 0, tzinfo=NEW_YORK)
    assert snap.rate_curve.tenors_years == (0.25, 1.0)
    assert snap.rate_curve.zero_rates == pytest.approx((0.04, 0.035))
    assert "--spot 236 replaces the file's spot 234.56" in resolved.description
    assert "--as-of 2026-12-03T15:00-05:00 replaces the file's time" in resolved.description


def test_missing_dividends_warn_on_american_chains_only_when_not_given() -> None:
    bare = load_snapshot("IWM", str(IWM), now=NOW, overrides=RATE)
    warning = dividend_warning(bare.snapshot)
    assert warning is not None and "no dividend schedule" in warning
    assert "WARNING: no dividend schedule" in bare.description
    given = parse_overrides(rate="3.9%", dividends="2026-12-15:0.72,2027-03-16:0.74")
    with_divs = load_snapshot("IWM", str(IWM), now=NOW, overrides=given)
    assert dividend_warning(with_divs.snapshot) is None
    assert "WARNING" not in with_divs.description
    assert with_divs.snapshot.dividends.amounts == (0.72, 0.74)
    yield_given = parse_overrides(rate="3.9%", div_yield="1.2%")
    by_yield = load_snapshot("IWM", str(IWM), now=NOW, overrides=yield_given)
    divs = by_yield.snapshot.dividends
    assert divs.ex_dates == (date(2026, 12, 15),)  # up to the last expiry, 2027-01-15
    assert divs.amounts[0] == pytest.approx(0.012 * 234.56 / 4)
    assert dividend_warning(by_yield.snapshot) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.039", 0.039), ("3.9%", 0.039), ("-0.5%", -0.005), (" 4.25% ", 0.0425)],
)
def test_rate_units(text: str, expected: float) -> None:
    assert math.isclose(parse_rate_value(text), expected)


@pytest.mark.parametrize(
    ("flag", "parse", "text", "pattern"),
    [
        ("--rate", parse_rate, "3.9", r"--rate='?3\.9'?: is ambiguous.*3\.9% means 0\.039"),
        ("--rate", parse_rate, "abc", r"--rate='?abc'?: is not a rate"),
        ("--rate", parse_rate, "1:4%,0.5:3%", r"--rate=.*must be > 0 and increasing"),
        ("--as-of", parse_as_of, "yesterday", r"--as-of='?yesterday'?: is not an ISO time"),
        ("--dividends", parse_dividends, "2026-12-15=0.7", r"--dividends=.*YYYY-MM-DD:amount"),
        ("--dividends", parse_dividends, "2026-13-15:0.7", r"--dividends=.*not a date"),
        ("--dividends", parse_dividends, "2026-12-15:-1", r"--dividends=.*must be >= 0"),
    ],
)
def test_bad_values_name_the_flag_and_value(
    flag: str, parse: object, text: str, pattern: str
) -> None:
    with pytest.raises(OverrideError, match=pattern) as info:
        parse(text)  # type: ignore[operator]
    assert info.value.field == flag and info.value.value == text


def test_bad_spot_yield_and_both_dividend_flags() -> None:
    with pytest.raises(OverrideError, match=r"--spot='?-3'?: must be a price > 0"):
        parse_overrides(spot="-3")
    with pytest.raises(OverrideError, match=r"--div-yield=.*must be a yield in \[0, 1\)"):
        parse_overrides(div_yield="12")
    with pytest.raises(OverrideError, match="not both"):
        parse_overrides(dividends="none", div_yield="1%")
    with pytest.raises(OverrideError, match=r"--spot='?240'?: applies to a chain file"):
        load_snapshot("IWM", "demo", now=NOW, overrides=parse_overrides(spot="240"))


def test_file_rate_and_dividend_files(tmp_path: Path) -> None:
    curve = tmp_path / "curve.csv"
    curve.write_text("t_years,rate\n0.25,3.9%\n1,0.037\n")
    parsed = parse_rate(str(curve))
    assert parsed.tenors_years == (0.25, 1.0)
    assert parsed.zero_rates == pytest.approx((0.039, 0.037))
    divs = tmp_path / "divs.csv"
    divs.write_text("ex_date,amount\n2027-03-16,0.74\n2026-12-15,0.72\n")
    assert parse_dividends(str(divs)) == DividendForecast(
        (date(2026, 12, 15), date(2027, 3, 16)), (0.72, 0.74)
    )


def test_spot_column_that_varies_is_refused(tmp_path: Path) -> None:
    lines = SPY_DUMP.read_text().splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n").rsplit(",", 1)[0] + ",690.00\n"
    bad = tmp_path / "dump.csv"
    bad.write_text("".join(lines))
    over = parse_overrides(rate="0.039", as_of="2026-12-03")
    with pytest.raises(SchemaError, match=r"dump\.csv:4: column 'spot'.*differs"):
        read_chain_file([bad], overrides=over)
    # ... unless the command line says which spot
    snap = read_chain_file(
        [bad], overrides=parse_overrides(rate="0.039", as_of="2026-12-03", spot="681")
    )
    assert snap.spot == 681.0


def test_spot_time_and_rate_columns_of_a_chain_csv(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text(
        "# symbol: IWM\n# dividends: none\n"
        "expiry,kind,strike,bid,ask,underlyingPrice,quote_time,rate\n"
        "2026-12-18,call,235,4.10,4.30,234.5,2026-12-03T15:59:00-05:00,0.04\n"
        "2026-12-18,put,235,4.20,4.40,234.5,2026-12-03T16:01:00-05:00,0.04\n"
    )
    snap = read_chain_file([path])
    assert snap.spot == 234.5 and snap.rate_curve.zero_rates == (0.04,)
    assert snap.as_of == datetime(2026, 12, 3, 16, 1, tzinfo=NEW_YORK)  # the latest
    assert dividend_warning(snap) is None  # '# dividends: none' says it pays none
    over = read_chain_file([path], overrides=parse_overrides(rate="4.5%"))
    assert over.rate_curve.zero_rates == (0.045,)
    assert over.meta["override_notes"] == ["--rate 4.5% replaces the file's rate 4% flat"]


def test_an_older_cboe_layout_is_named(tmp_path: Path) -> None:
    path = tmp_path / "quotedata.csv"
    path.write_text(
        "SPX (S&P 500 INDEX),4174.14,+9.48,\n"
        "Apr 23 2021 @ 15:40 ET,Bid,4173.93,Ask,4174.61,Size,1x1,Vol,0,\n"
        "Calls,Last Sale,Net,Bid,Ask,Vol,Open Int,Puts,Last Sale,Net,Bid,Ask,Vol,Open Int\n"
        "21 Apr 23 3000.00 (SPXW2123D3000),0,0,1170.1,1178.4,0,0,"
        "21 Apr 23 3000.00 (SPXW2123P3000),0,0,0,0.05,0,10\n"
    )
    with pytest.raises(SchemaError, match=r"quotedata\.csv:3: .*older Cboe layout"):
        read_chain_file([path], overrides=RATE)
