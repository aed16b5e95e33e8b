"""``hedge price`` and ``hedge iv`` on CSV rows: per-row status, exit codes, formats, stdin/stdout."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pricing
from tui.cli import app

runner = CliRunner()

HEADER = "kind,style,spot,strike,t_years,rate,div_yield,vol,dividends\n"
GOOD = [
    "call,european,100,100,0.5,0.04,0.01,0.2,",
    "put,european,100,110,0.5,0.04,0.0,0.25,0.1:0.5;0.35:0.5",
    "put,american,220,230,0.5,0.04,0.0,0.22,0.1:0.8;0.35:0.8",
    "call,american,220,200,0.25,0.04,0.012,0.25,",
]
BAD = {
    "put,european,-5,110,0.5,0.04,0.01,0.2,": "spot",
    "foo,european,100,110,0.5,0.04,0.01,0.2,": "kind",
    "call,bermudan,100,110,0.5,0.04,0.01,0.2,": "style",
    "call,european,100,110,0.5,0.04,0.01,9,": "vol",
    "call,european,100,110,-0.5,0.04,0.01,0.2,": "t_years",
    "call,european,100,nan,0.5,0.04,0.01,0.2,": "strike",
    "put,european,100,110,0.5,0.04,0.01,0.2,0.1:nan": "dividends[0].amount",
    "put,european,100,110,0.5,0.04,0.01,0.2,0.1:-1": "dividends[0].amount",
    "put,european,100,110,0.5,0.04,0.01,0.2,0.1:150": "dividends[0].amount",
    "put,european,100,110,0.5,0.04,0.01,0.2,0.1:0.5;0.1:0.5": "dividends[1].t_years",
}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_price_good_rows_match_the_functional_api(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "\n".join(GOOD) + "\n")
    result = runner.invoke(app, ["price", "--input", str(src)])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert [r["status"] for r in rows] == ["ok"] * len(GOOD)
    first = rows[0]
    expected = pricing.european_price(
        kind="call", spot=100, strike=100, t_years=0.5, rate=0.04, div_yield=0.01, vol=0.2
    )
    assert float(first["price"]) == pytest.approx(float(expected), rel=1e-14)
    american = rows[2]
    divs = pricing.DividendSchedule((0.1, 0.35), (0.8, 0.8))
    ref = pricing.american_price(
        kind="put", spot=220, strike=230, t_years=0.5, rate=0.04, vol=0.22, dividends=divs
    )
    assert float(american["price"]) == pytest.approx(float(ref), rel=1e-12)
    for column in ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm"):
        assert all(math.isfinite(float(r[column])) for r in rows)


def test_bad_rows_get_a_status_naming_the_field_and_the_rest_still_price(tmp_path: Path) -> None:
    lines = [GOOD[0], *BAD, GOOD[1]]
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "\n".join(lines) + "\n")
    result = runner.invoke(app, ["price", "--input", str(src)])
    assert result.exit_code == 1
    rows = _rows(result.stdout)
    assert len(rows) == len(lines)
    assert rows[0]["status"] == "ok" and rows[-1]["status"] == "ok"
    for row, (line, field) in zip(rows[1:-1], BAD.items(), strict=True):
        assert row["status"].startswith(f"error: {field}"), (line, row["status"])
        assert row["price"] == ""


def test_json_output_and_stdin(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["price", "-i", "-", "--format", "json"], input=HEADER + GOOD[0] + "\n"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["status"] == "ok" and data[0]["price"] > 0


def test_output_file(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(HEADER + GOOD[0] + "\n")
    result = runner.invoke(app, ["price", "-i", str(src), "-o", str(out)])
    assert result.exit_code == 0
    assert _rows(out.read_text())[0]["status"] == "ok"


def test_unreadable_input_and_unknown_engine_are_usage_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["price", "-i", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2
    src = tmp_path / "in.csv"
    src.write_text(HEADER + GOOD[0] + "\n")
    result = runner.invoke(app, ["price", "-i", str(src), "--engine", "warp"])
    assert result.exit_code == 2
    assert "engine" in result.output


def test_iv_round_trips_prices_and_reports_reasons(tmp_path: Path) -> None:
    spot, strike, t, r, q = 100.0, 95.0, 0.4, 0.04, 0.01
    price = float(
        pricing.european_price(
            kind="put", spot=spot, strike=strike, t_years=t, rate=r, div_yield=q, vol=0.31
        )
    )
    am_price = float(
        pricing.american_price(
            kind="put", spot=220.0, strike=230.0, t_years=0.5, rate=0.04, vol=0.22
        )
    )
    text = (
        "kind,style,spot,strike,t_years,rate,div_yield,price\n"
        f"put,european,{spot},{strike},{t},{r},{q},{price!r}\n"
        f"put,american,220,230,0.5,0.04,0,{am_price!r}\n"
        "call,european,100,50,0.5,0.04,0,10\n"  # below intrinsic (~51)
        "call,european,100,50,0.5,0.04,0,150\n"  # above the spot ceiling
        "call,european,100,50,0.5,0.04,0,-1\n"
    )
    result = runner.invoke(app, ["iv", "-i", "-"], input=text)
    assert result.exit_code == 1
    rows = _rows(result.stdout)
    assert float(rows[0]["iv"]) == pytest.approx(0.31, abs=1e-10)
    assert float(rows[1]["iv"]) == pytest.approx(0.22, abs=5e-4)
    assert rows[2]["status"] == "below_intrinsic" and rows[2]["iv"] == ""
    assert rows[3]["status"] == "above_ceiling" and rows[3]["iv"] == ""
    assert rows[4]["status"].startswith("error: price")


@pytest.mark.parametrize(("verb", "name"), [("price", "options.csv"), ("iv", "quotes.csv")])
def test_bundled_examples_run(verb: str, name: str) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / name
    result = runner.invoke(app, [verb, "--input", str(path)])
    rows = _rows(result.stdout)
    assert rows and len(rows) == len(path.read_text().splitlines()) - 1
    if verb == "price":
        assert result.exit_code == 0 and all(r["status"] == "ok" for r in rows)
    else:
        # The last quote is below intrinsic (2,793.30 - 2,400 > 300): a reason, not a vol.
        assert [r["status"] for r in rows[:-1]] == ["ok"] * (len(rows) - 1)
        assert rows[-1]["status"] == "below_intrinsic" and result.exit_code == 1


def test_price_streams_in_chunks_with_the_same_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are priced and written a chunk at a time (constant memory): with chunks of 3 rows the
    10 rows take 4 calls of the core and the output is identical to one big chunk, CSV and JSON."""
    import pricing.batch as batch
    from tui.commands import pricing_cmds

    rows = (GOOD * 3)[:10]
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "\n".join(rows) + "\n")
    whole = {
        fmt: runner.invoke(app, ["price", "--input", str(src), "--format", fmt]).stdout
        for fmt in ("csv", "json")
    }
    calls: list[int] = []
    real = batch.price_rows

    def counting(chunk: list[dict[str, str]], **kw: object) -> list[dict[str, object]]:
        calls.append(len(chunk))
        return real(chunk, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pricing_cmds, "CHUNK_ROWS", 3)
    monkeypatch.setattr(batch, "price_rows", counting)
    for fmt in ("csv", "json"):
        calls.clear()
        result = runner.invoke(app, ["price", "--input", str(src), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert calls == [3, 3, 3, 1]
        assert result.stdout == whole[fmt]
    assert json.loads(whole["json"])[0]["status"] == "ok"
