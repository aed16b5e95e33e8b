"""Chain CSV import: our columns and yfinance's, header meta, derivation from OCC symbols, exact
write/read round trips, and errors that name the file, the line and the column. Offline."""

from __future__ import annotations

import math
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata.errors import NoDataError, SchemaError
from marketdata.snapshot import OptionChain, RateCurve
from marketdata.sources.csv_import import read_chain_csv, write_chain_csv
from tests.marketdata.test_store import make_snapshot
from tests.marketdata.yahoo_replay import AS_OF, FIXTURES

NY = ZoneInfo("America/New_York")
HEADER = "# symbol: IWM\n# spot: 238.52\n# as_of: 2026-11-19T16:10:00-05:00\n# rate: 0.039\n"
OURS = "expiry,kind,strike,bid,ask,last,volume,open_interest\n"


def write(tmp_path: Path, text: str, name: str = "chain.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yfinance_frame_csv_with_arguments() -> None:
    path = FIXTURES / "iwm" / "2026-12-18_puts.csv"
    snap = read_chain_csv(path, spot=238.52, as_of=AS_OF, rate=0.039)
    raw = pd.read_csv(path)
    frame = snap.chain.frame
    assert snap.underlying == "IWM"  # from the OCC symbols
    assert snap.source == f"csv:{path}"
    assert len(frame) == len(raw) == 16
    assert set(frame["kind"]) == {"put"} and set(frame["expiry"]) == {pd.Timestamp("2026-12-18")}
    assert list(frame["strike"]) == list(raw["strike"])
    assert list(frame["source_iv"]) == list(raw["impliedVolatility"])
    assert list(frame["last"]) == list(raw["lastPrice"])
    assert list(frame["contract_symbol"]) == list(raw["contractSymbol"])
    assert (
        set(frame["style"]) == {"american"}
        and set(frame["settlement"]) == {"pm"}
        and set(frame["multiplier"]) == {100.0}
    )
    for dropped in ("change", "percentChange", "inTheMoney", "contractSize", "currency"):
        assert dropped not in frame.columns
    assert snap.meta["derived_from_contract_symbol"]["kind"] == 16
    assert snap.rate_curve == RateCurve.flat(0.039)


def test_rut_csv_reads_roots_from_symbols() -> None:
    snap = read_chain_csv(
        FIXTURES / "rut" / "2026-11-20_calls.csv", spot=2391.45, as_of=AS_OF, rate=0.039
    )
    assert snap.underlying == "RUT"
    by_root = snap.chain.frame.groupby("root")["settlement"].agg(set).to_dict()
    assert by_root == {"RUT": {"am"}, "RUTW": {"pm"}}
    assert set(snap.chain.frame["style"]) == {"european"}


def test_header_meta_and_our_columns(tmp_path: Path) -> None:
    text = (
        HEADER
        + "# dividends: 2026-12-16:0.702;2027-03-17:0.471\n# source: broker export\n\n"
        + "Expiry,Type,Strike,Bid,Ask,Last,Volume,Open Interest,note\n"
        + '2026-12-18,C,240,5.1,5.3,5.2,"1,200",100,keep me\n'
        + "2026-12-18,p,230,0,0,1.15,,0,\n"
    )
    snap = read_chain_csv(write(tmp_path, text))
    frame = snap.chain.frame
    assert snap.underlying == "IWM" and snap.spot == 238.52
    assert snap.as_of == datetime(2026, 11, 19, 16, 10, tzinfo=NY)
    assert snap.dividends.ex_dates == (date(2026, 12, 16), date(2027, 3, 17))
    assert list(frame["kind"]) == ["call", "put"] and list(frame["volume"]) == [1200, 0]
    assert list(frame["note"]) == ["keep me", ""]
    assert frame["last_trade"].isna().all() and frame["source_iv"].isna().all()
    assert snap.meta["csv_header"] == {"source": "broker export"}


def test_arguments_override_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + OURS + "2026-12-18,call,240,5.1,5.3,5.2,1,1\n")
    when = datetime(2026, 11, 20, 10, 0, tzinfo=NY)
    snap = read_chain_csv(
        path, spot=240.0, as_of=when, rate_curve=RateCurve((1.0, 2.0), (0.04, 0.041))
    )
    assert snap.spot == 240.0 and snap.as_of == when and snap.rate_curve.tenors_years == (1.0, 2.0)


def test_naive_as_of_is_new_york_and_semicolons_work(tmp_path: Path) -> None:
    text = "# symbol: IWM\n# spot: 238.52\n# as_of: 2026-11-19 16:10\n# rate: 0.039\nexpiry;kind;strike;bid;ask\n2026-12-18;call;240;5.1;5.3\n"
    snap = read_chain_csv(write(tmp_path, text))
    assert snap.as_of == datetime(2026, 11, 19, 16, 10, tzinfo=NY)
    assert len(snap.chain) == 1 and math.isnan(snap.chain.frame["last"].iloc[0])


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (
            HEADER
            + OURS
            + "2026-12-18,call,240,5.1,5.3,5.2,1,1\n2026-12-18,put,230,abc,0,1.15,0,0\n",
            r"chain\.csv:7: column 'bid': value 'abc'",
        ),
        (
            HEADER + OURS + "2026-12-18,call,240,5.1,5.3,5.2,1,1,extra\n",
            r"chain\.csv:6: 9 fields but the header has 8",
        ),
        (
            HEADER + OURS + "2026-12-18,straddle,240,5.1,5.3,5.2,1,1\n",
            r"chain\.csv:6: column 'kind': value 'straddle'",
        ),
        (
            HEADER + OURS + "2026-13-45,call,240,5.1,5.3,5.2,1,1\n",
            r"chain\.csv:6: column 'expiry': value '2026-13-45'",
        ),
        (
            HEADER + OURS + "2026-12-18,call,240,5.1,5.3,5.2,-4,1\n",
            r"chain\.csv:6: column 'volume': value '-4'",
        ),
        (
            HEADER + OURS + "2026-12-18,call,-240,5.1,5.3,5.2,1,1\n",
            r"chain\.csv:6: column 'strike': value -240\.0 is not a positive strike",
        ),
        (
            HEADER + "expiry,kind,strike,ask\n2026-12-18,call,240,5.3\n",
            r"chain\.csv:5: column 'bid' is missing",
        ),
        (
            HEADER + "expiry,strike,bid,ask\n2026-12-18,240,5.1,5.3\n",
            r"chain\.csv:6: column 'kind' is missing or blank and there is no OCC",
        ),
        (HEADER + "kind,bid,ask\ncall,5.1,5.3\n", r"chain\.csv:5: column 'strike' is missing"),
        (
            "# symbol: IWM\n# as_of: 2026-11-19T16:10:00-05:00\n# rate: 0.039\n"
            + OURS
            + "2026-12-18,call,240,5.1,5.3,5.2,1,1\n",
            r"chain\.csv: spot is missing",
        ),
        (
            "# symbol: IWM\n# spot: 238.52\n# rate: 0.039\n"
            + OURS
            + "2026-12-18,call,240,5.1,5.3,5.2,1,1\n",
            r"chain\.csv: as_of is missing",
        ),
        (
            "# symbol: IWM\n# spot: 238.52\n# as_of: 2026-11-19T16:10:00-05:00\n"
            + OURS
            + "2026-12-18,call,240,5.1,5.3,5.2,1,1\n",
            r"chain\.csv: the rate is missing",
        ),
        (
            "# spot: 238.52\n# as_of: 2026-11-19T16:10:00-05:00\n# rate: 0.039\n"
            + OURS
            + "2026-12-18,call,240,5.1,5.3,5.2,1,1\n",
            r"the underlying is unknown",
        ),
        (
            HEADER.replace("0.039", "four") + OURS + "2026-12-18,call,240,5.1,5.3,5.2,1,1\n",
            r"chain\.csv:4: header 'rate': value 'four'",
        ),
        (HEADER + "expiry,kind,strike,bid,bid,ask\n", r"chain\.csv:5: column 'bid' appears twice"),
        (HEADER + "# spot 12\n" + OURS, r"chain\.csv:5: header line"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path: Path, body: str, pattern: str) -> None:
    with pytest.raises(SchemaError, match=pattern):
        read_chain_csv(write(tmp_path, body))


def test_empty_and_missing_files_are_no_data(tmp_path: Path) -> None:
    with pytest.raises(NoDataError, match="no quotes after the header"):
        read_chain_csv(write(tmp_path, HEADER + OURS))
    with pytest.raises(NoDataError, match="no such file"):
        read_chain_csv(tmp_path / "absent.csv")
    with pytest.raises(NoDataError, match="no header row"):
        read_chain_csv(write(tmp_path, HEADER, "only_header.csv"))


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    snap = make_snapshot(synthetic=True)
    back = read_chain_csv(write_chain_csv(snap, tmp_path / "out" / "iwm.csv"))
    pd.testing.assert_frame_equal(snap.chain.frame, back.chain.frame, check_exact=True)
    assert back.as_of == snap.as_of and back.spot == snap.spot and back.synthetic
    assert back.rate_curve == snap.rate_curve and back.dividends == snap.dividends


@given(
    bids=st.lists(
        st.floats(min_value=0, max_value=1e6) | st.just(math.nan), min_size=3, max_size=3
    ),
    spot=st.floats(min_value=1e-3, max_value=1e6),
)
def test_floats_survive_the_csv_exactly(bids: list[float], spot: float) -> None:
    base = make_snapshot(spot=spot)
    frame = base.chain.frame.copy()
    frame["bid"] = bids
    snap = make_snapshot(spot=spot, chain=OptionChain(frame))
    with tempfile.TemporaryDirectory() as tmp:
        back = read_chain_csv(write_chain_csv(snap, Path(tmp) / "c.csv"))
    pd.testing.assert_frame_equal(snap.chain.frame, back.chain.frame, check_exact=True)
    assert back.spot == spot
