"""``hedge size`` on the bundled demo data (SYNTHETIC): the documented JSON, CSV, --save into a
position file that ``hedge strategy --file`` opens, and bad input naming the option (exit 2)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strategies.positions import load_position_file
from tui.cli import app
from tui.commands.size_schema import SizeDocument

runner = CliRunner()
BASE = [
    "size",
    "--book-value",
    "2000000",
    "--beta",
    "1.25",
    "--protect",
    "5%..15%",
    "--cover",
    "80%",
    "--horizon",
    "60d",
    "--budget",
    "1.5%",
    "--structures",
    "put-spread,tza",
    "--max-dte",
    "120",
    "--source",
    "demo",
]


@pytest.fixture(scope="module")
def doc() -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*BASE, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_matches_the_schema_and_the_request(doc: dict) -> None:  # type: ignore[type-arg]
    SizeDocument.model_validate(doc)
    assert doc["synthetic"] is True and "SYNTHETIC" in doc["source"]
    assert doc["request"]["band"] == [0.05, 0.15]
    assert doc["request"]["budget"] == pytest.approx(30_000.0)
    assert len(doc["band"]) == 11
    assert doc["band"][5]["book_loss"] == pytest.approx(2_000_000 * 1.25 * 0.10)
    assert doc["candidates"] and doc["candidates_priced"] > 1000
    for c in doc["candidates"]:
        assert len(c["protection"]) == 11 and isinstance(c["units"], int)
        assert set(c["scenario_pnl"]) == {"bear", "base", "bull", "yield+25bp", "yield+50bp"}
        if c["meets_target"] and c["within_budget"]:
            assert c["min_covered"] >= 0.8 - 1e-9 and c["cost"] <= 30_000.0 + 1e-6
    assert any("rounding" in n for n in doc["notes"])


def test_csv_has_a_row_per_candidate(doc: dict) -> None:  # type: ignore[type-arg]
    result = runner.invoke(app, [*BASE, "--format", "csv", "--top", "3"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert 1 <= len(rows) <= 4
    assert "protect_10" in rows[0] and "pnl_bear" in rows[0]


def test_save_writes_a_position_file_hedge_strategy_opens(tmp_path: Path) -> None:
    path = tmp_path / "hedge.toml"
    result = runner.invoke(app, [*BASE, "--format", "json", "--save", str(path)])
    assert result.exit_code == 0, result.output
    position = load_position_file(path)
    chosen = json.loads(result.stdout)["candidates"][0]
    assert [leg.quantity for leg in position.legs] == [leg["quantity"] for leg in chosen["legs"]]
    opened = runner.invoke(
        app, ["strategy", "--file", str(path), "--source", "demo", "--format", "json"]
    )
    assert opened.exit_code == 0, opened.output


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (["--protect", "15%..5%"], "--protect"),
        (["--cover", "lots"], "--cover"),
        (["--structures", "straddle"], "--structures"),
        (["--budget", "-3"], "--budget"),
        (["--horizon", "soon"], "--horizon"),
        (["--format", "xml"], "--format"),
        (["--benchmark", "QQQ"], "benchmark"),
    ],
)
def test_bad_input_names_the_option_and_exits_2(change: list[str], needle: str) -> None:
    args = list(BASE)
    for i in range(0, len(change), 2):
        if change[i] in args:
            args[args.index(change[i]) + 1] = change[i + 1]
        else:
            args += change[i : i + 2]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and change[1] in result.stderr


def test_missing_beta_and_schema() -> None:
    result = runner.invoke(app, ["size", "--book-value", "1000000", "--source", "demo"])
    assert result.exit_code == 2 and "--beta" in result.stderr
    schema = runner.invoke(app, ["size", "--schema"])
    assert schema.exit_code == 0
    assert json.loads(schema.stdout)["title"] == "SizeDocument"


def test_paths_comparison_in_json() -> None:
    result = runner.invoke(app, [*BASE, "--format", "json", "--paths", "500", "--top", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    SizeDocument.model_validate(doc)
    comp = doc["path_comparison"]
    assert comp["n_paths"] == 500 and comp["spread_premium"] > 0
    assert comp["with_tza"]["std"] < comp["book"]["std"]


def test_holdings_with_betas_from_a_price_history(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(9)
    bench = rng.normal(0.0, 0.012, 260)
    prices = pd.DataFrame(
        {
            "date": pd.bdate_range("2025-01-02", periods=261).strftime("%Y-%m-%d"),
            "IWM": 200 * np.cumprod(np.concatenate([[1.0], 1 + bench])),
            "AAA": 40
            * np.cumprod(np.concatenate([[1.0], 1 + 1.5 * bench + rng.normal(0, 0.003, 260)])),
        }
    )
    history = tmp_path / "prices.csv"
    prices.to_csv(history, index=False)
    holdings = tmp_path / "book.csv"
    holdings.write_text("ticker,shares,value,beta\nAAA,20000,,\nBBB,,500000,0.9\n")
    args = [a for a in BASE if a not in ("--book-value", "2000000", "--beta", "1.25")]
    result = runner.invoke(
        app,
        [
            *args,
            "--holdings",
            str(holdings),
            "--history",
            str(history),
            "--window",
            "200",
            "--format",
            "json",
            "--top",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    book = json.loads(result.stdout)["book"]
    aaa = next(h for h in book["holdings"] if h["ticker"] == "AAA")
    assert aaa["beta"] == pytest.approx(1.5, abs=0.05)
    assert (
        "OLS of daily simple returns on IWM" in aaa["beta_source"]
        and "200 returns" in aaa["beta_source"]
    )
    assert "200 returns" in book["beta_method"]
    bad = runner.invoke(app, [*args, "--holdings", str(tmp_path / "missing.csv")])
    assert bad.exit_code == 2 and "holdings" in bad.stderr
