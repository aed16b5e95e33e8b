"""One error style (``error: ...`` on one line, no traceback, no boxed panel, no Python repr) and
one exit-code table (0 ok, 1 data, 2 bad input, 3 file not written) for the crashes the issue
found, each of which used to end in a traceback or a wrong code."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from marketdata.sources.store import SnapshotStore
from tests.marketdata.test_store import make_snapshot
from tui.cli import app
from tui.errors import EXIT_DATA, EXIT_USAGE, EXIT_WRITE, summarise

runner = CliRunner()
TEMPLATE = ["strategy", "--template", "put-spread", "--source", "demo", "--format", "json"]
CHAIN_HEAD = "# symbol: IWM\n# spot: 278\n# as_of: 2026-11-19T16:10:00-05:00\n"


def _error(args: list[str], code: int) -> str:
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == code, (result.exit_code, result.output)
    err = result.stderr
    assert err.startswith("error: "), err
    assert len([line for line in err.splitlines() if line.startswith("error: ")]) == 1
    for bad in ("Traceback", "╭", "datetime.datetime(", "zoneinfo.ZoneInfo", "PosixPath("):
        assert bad not in result.output
    return err


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--strikes", "0,-5", "--strikes: 0 must be a strike price > 0"),
        ("--otm", "-5,200", "--otm: 200 must be a percent"),
        ("--delta", "1.5,0", "--delta: 1.5 must be an absolute delta"),
        ("--quantity", "99999999999", "--quantity: 99999999999"),
    ],
)
def test_template_option_values(option: str, value: str, words: str) -> None:
    assert words in _error([*TEMPLATE, option, value], EXIT_USAGE)


def test_huge_quantity_with_save_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.toml"
    _error([*TEMPLATE, "--quantity", "99999999999", "--save", str(out)], EXIT_USAGE)
    assert not out.exists()


def _ro_folder(tmp_path: Path) -> Path | None:
    where = tmp_path / "ro"
    where.mkdir()
    if os.geteuid() != 0:
        where.chmod(0o500)
        return where
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(where)],
        check=False,
        capture_output=True,
    )
    return where if done.returncode == 0 else None


@pytest.mark.parametrize("flag", ["price", "payoff"])
def test_output_into_read_only_folder(flag: str, tmp_path: Path) -> None:
    folder = _ro_folder(tmp_path)
    if folder is None:
        pytest.skip("cannot make a read-only folder here")
    try:
        if flag == "price":
            src = tmp_path / "in.csv"
            src.write_text(
                "kind,style,spot,strike,t_years,rate,vol\ncall,european,100,100,0.5,0.04,0.2\n"
            )
            args = ["price", "--input", str(src), "--output", str(folder / "out.csv")]
        else:
            args = [
                "payoff",
                "--template",
                "put-spread",
                "--source",
                "demo",
                "--png",
                str(folder / "p.png"),
            ]
        err = _error(args, EXIT_WRITE)
        assert "read-only" in err or "permission denied" in err
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=False)


def test_chain_csv_dividend_above_spot(tmp_path: Path) -> None:
    src = tmp_path / "div.csv"
    src.write_text(
        CHAIN_HEAD
        + "# rate: 0.04\n# dividends: 2026-12-01:500\nexpiry,kind,strike,bid,ask\n2026-12-18,put,278,5.1,5.3\n"
    )
    assert "dividend" in _error(["chain", "--source", str(src)], EXIT_USAGE)
    assert "dividend" in _error(
        ["strategy", "--template", "put-spread", "--source", str(src)], EXIT_USAGE
    )


def test_rate_and_negative_dividend_are_both_bad_input(tmp_path: Path) -> None:
    rate = tmp_path / "rate.csv"
    rate.write_text(
        CHAIN_HEAD + "# rate: 5.0\nexpiry,kind,strike,bid,ask\n2026-12-18,put,278,5.1,5.3\n"
    )
    err = _error(["chain", "--source", str(rate)], EXIT_USAGE)
    assert "between -1 and 1" in err and "finite" not in err
    neg = tmp_path / "neg.csv"
    neg.write_text(
        CHAIN_HEAD
        + "# rate: 0.04\n# dividends: 2026-12-01:-1\nexpiry,kind,strike,bid,ask\n2026-12-18,put,278,5.1,5.3\n"
    )
    _error(["chain", "--source", str(neg)], EXIT_USAGE)


def test_store_row_with_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    now = datetime.now(ZoneInfo("America/New_York"))
    SnapshotStore(path).save(make_snapshot(as_of=now - timedelta(days=1)))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE snapshots SET rate_curve = '{oops'")
    assert "snapshot 1" in _error(["chain", "--source", "store", "--store", str(path)], EXIT_DATA)


def test_fetch_empty_symbols() -> None:
    assert "--symbols" in _error(["fetch", "--symbols", ""], EXIT_USAGE)


def test_usage_errors_have_the_same_style() -> None:
    assert "No such option" in _error(["chain", "--bogus"], EXIT_USAGE)
    assert "format" in _error(["chain", "--source", "demo", "--format", "xml"], EXIT_USAGE)


def test_summarise_keeps_one_line_and_the_detail() -> None:
    line, detail = summarise("x" * 500 + "\nmore")
    assert len(line) <= 400 and "\n" not in line and detail is not None and detail.endswith("more")


def test_messages_show_datetimes_as_iso_not_repr() -> None:
    from pricing.errors import InputError

    moment = datetime(2026, 11, 20, 16, 15, tzinfo=ZoneInfo("America/New_York"))
    text = str(InputError("as_of", moment, "must be before the expiry"))
    assert text == "as_of=2026-11-20T16:15:00-05:00: must be before the expiry"
    assert "datetime.datetime(" not in str(InputError("day", moment.date(), "x"))


def test_verbose_shows_the_upstream_detail(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.errors import emit, set_verbose

    detail = "curl: (6) Could not resolve host\nline two of the upstream text"
    try:
        set_verbose(False)
        emit("no IWM data from yahoo: Yahoo unreachable", detail)
        quiet = capsys.readouterr().err
        set_verbose(True)
        emit("no IWM data from yahoo: Yahoo unreachable", detail)
        loud = capsys.readouterr().err
    finally:
        set_verbose(False)
    assert quiet.splitlines() == [
        "error: no IWM data from yahoo: Yahoo unreachable",
        "  (details: hedge --verbose ...)",
    ]
    assert "line two of the upstream text" in loud and "curl: (6)" in loud
