"""Chain CSV numbers are never silently rescaled: the decimal separator is detected (semicolons
with decimal commas such as ``278,0`` read as 278.0) or the file is refused with a clear message;
duplicate quotes of one contract are flagged and kept out of the fits."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from marketdata.analysis import analyze_chain
from marketdata.cleaning import clean_chain
from marketdata.errors import SchemaError
from marketdata.sources.csv_import import read_chain_csv

META = "# symbol: IWM\n# spot: {spot}\n# as_of: 2026-11-19T16:10:00-05:00\n# rate: {rate}\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chain.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_semicolons_with_decimal_commas(tmp_path: Path) -> None:
    text = META.format(spot="278,5", rate="0,039") + (
        "expiry;kind;strike;bid;ask;multiplier;volume\n"
        "2026-12-18;put;278,0;5,10;5,30;100;1.234\n"
        "2026-12-18;call;280,5;4,00;4,20;100;12\n"
    )
    snap = read_chain_csv(_write(tmp_path, text))
    frame = snap.chain.frame
    assert list(frame["strike"]) == [278.0, 280.5]
    assert list(frame["bid"]) == [5.10, 4.00] and list(frame["multiplier"]) == [100.0, 100.0]
    assert list(frame["volume"]) == [1234.0, 12.0]  # a thousands point in a decimal-comma file
    assert snap.spot == 278.5 and snap.rate_curve.zero_rates[0] == pytest.approx(0.039)


def test_points_still_read_as_before(tmp_path: Path) -> None:
    text = META.format(spot="278.5", rate="0.039") + (
        'expiry,kind,strike,bid,ask\n2026-12-18,put,278.0,5.10,5.30\n2026-12-18,put,"1,250.0",970.0,975.0\n'
    )
    frame = read_chain_csv(_write(tmp_path, text)).chain.frame
    assert list(frame["strike"]) == [278.0, 1250.0]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("expiry;kind;strike;bid;ask\n2026-12-18;put;278,0;5.10;5.30\n", "mix"),
        ('expiry,kind,strike,bid,ask\n2026-12-18,put,"1,250",970,975\n', "cannot tell"),
        ('expiry,kind,strike,bid,ask\n2026-12-18,put,"278,5",5,6\n', "separated by commas"),
    ],
)
def test_ambiguous_or_mixed_separators_are_refused(tmp_path: Path, body: str, words: str) -> None:
    with pytest.raises(SchemaError, match=words):
        read_chain_csv(_write(tmp_path, META.format(spot="278.5", rate="0.039") + body))


def test_header_number_with_the_wrong_separator_is_refused(tmp_path: Path) -> None:
    text = (
        META.format(spot="278,5", rate="0.039")
        + "expiry,kind,strike,bid,ask\n2026-12-18,put,278.0,5.1,5.3\n"
    )
    with pytest.raises(SchemaError, match="spot"):
        read_chain_csv(_write(tmp_path, text))


def test_duplicate_quotes_are_flagged_and_kept_out_of_fits(tmp_path: Path) -> None:
    rows = ["expiry,kind,strike,bid,ask"]
    for strike in range(250, 311, 5):
        for kind in ("call", "put"):
            intrinsic = max(278.0 - strike, 0.0) if kind == "call" else max(strike - 278.0, 0.0)
            mid = intrinsic + 4.0 * 2.718 ** (-(((strike - 278.0) / 20.0) ** 2)) + 0.3
            rows.append(f"2026-12-18,{kind},{strike}.0,{mid - 0.05:.2f},{mid + 0.05:.2f}")
    rows.append("2026-12-18,put,280.0,9.00,9.20")  # a second, different quote for the 280 put
    snap = read_chain_csv(
        _write(tmp_path, META.format(spot="278.0", rate="0.039") + "\n".join(rows) + "\n")
    )
    cleaned = clean_chain(snap.chain, as_of=snap.as_of, spot=snap.spot).frame
    dup = cleaned[(cleaned["kind"] == "put") & (cleaned["strike"] == 280.0)]
    assert len(dup) == 2 and all("duplicate" in f for f in dup["flags"]) and not dup["usable"].any()
    others = cleaned.drop(index=dup.index)
    assert not any("duplicate" in f for f in others["flags"])
    frame = analyze_chain(snap).chain
    hit = frame[(frame["kind"] == "put") & (frame["strike"] == 280.0)]
    assert not hit["in_fit"].any()
    assert pd.Series(frame["in_fit"]).any()
