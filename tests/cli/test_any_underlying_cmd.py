"""``hedge strategy`` on any underlying (issue 10): SPX from a chain file, a call overwrite on a
regional bank with its dividend alert, the stop/target labels on SPY, and ``--underlyings``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from marketdata.underlyings import set_user_file
from tui.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures" / "chains"
ZION = str(FIXTURES / "zion_overwrite.csv")
SPX = str(FIXTURES / "spx_roots.csv")
ENV = {"HEDGE_UNDERLYINGS": "off", "COLUMNS": "160", "NO_COLOR": "1"}


@pytest.fixture(autouse=True)
def _reset_user_file() -> None:
    set_user_file(None)
    yield
    set_user_file(None)


def _run(args: list[str]) -> Any:
    return runner.invoke(app, args, env=ENV)


def _json(args: list[str]) -> dict[str, Any]:
    result = _run([*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_strategy_on_spx_from_a_chain_file() -> None:
    doc = _json(
        [
            "strategy",
            "--template",
            "put-spread",
            "--underlying",
            "SPX",
            "--expiry",
            "2026-12-18",
            "--source",
            SPX,
        ]
    )
    terms = [leg["instrument"] for leg in doc["legs"]]
    assert {(t["underlying"], t["style"], t["settlement"]) for t in terms} == {
        ("SPX", "european", "am")
    }
    assert [lv["label"] for lv in doc["levels"]] == ["stop SPX -6%", "target SPX +5%"]
    weekly = _json(
        [
            "strategy",
            "--template",
            "put-spread",
            "-u",
            "spx",
            "--expiry",
            "2026-12-11",
            "--source",
            SPX,
        ]
    )
    assert {leg["instrument"]["settlement"] for leg in weekly["legs"]} == {"pm"}


def test_spx_on_the_demo_source_says_what_the_demo_has() -> None:
    result = _run(
        ["strategy", "--template", "put-spread", "--underlying", "SPX", "--source", "demo"]
    )
    assert result.exit_code == 1  # no data, not a refused symbol
    assert "no demo data for symbol 'SPX'" in result.output and "IWM" in result.output


def test_bad_underlying_text_is_refused_by_name() -> None:
    result = _run(
        ["strategy", "--template", "put-spread", "--underlying", "SP X!", "--source", "demo"]
    )
    assert result.exit_code == 2 and "--underlying" in result.output and "SP X!" in result.output


def test_call_overwrite_on_a_regional_bank_alerts_before_the_ex_date() -> None:
    args = ["strategy", "--template", "call-overwrite", "--underlying", "ZION"]
    args += ["--expiry", "2026-12-18", "--source", ZION]
    result = _run([*args, "--strikes", "45"])
    assert result.exit_code == 0, result.output
    assert "ALERT [short call] short call 45" in result.output
    assert "below the 0.450 dividend going ex on 2026-12-10" in result.output
    doc = _json([*args, "--strikes", "45"])
    assert [(a["rule"], a["numbers"]["ex_date"]) for a in doc["alerts"]] == [
        ("dividend", "2026-12-10")
    ]
    quiet = _run([*args, "--strikes", "47.5"])
    assert quiet.exit_code == 0, quiet.output
    assert "C47.5" in quiet.output and "ALERT" not in quiet.output


def test_spy_levels_refer_to_spy() -> None:
    doc = _json(["strategy", "--template", "collar", "--underlying", "SPY", "--source", "demo"])
    labels = [lv["label"] for lv in doc["levels"]]
    assert labels == ["stop SPY -6%", "target SPY +5%"]
    spot = doc["strategy"]["spot"]
    assert doc["levels"][0]["spot"] == pytest.approx(spot * 0.94)
    iwm = _json(["strategy", "--template", "put-spread", "--underlying", "IWM", "--source", "demo"])
    assert [lv["label"] for lv in iwm["levels"]] == [
        "stop IWM -6%",
        "stop TNA -12%",
        "target IWM +5%",
    ]


def test_underlyings_option_checks_and_uses_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[ZION]\nstyle = "bermudan"\n', encoding="utf-8")
    result = _run(["--underlyings", str(bad), "strategy", "--template", "put-spread"])
    assert result.exit_code == 2
    assert f"--underlyings: {bad}: ZION.style='bermudan'" in result.output
    good = tmp_path / "betas.toml"
    good.write_text(
        '[ZION.beta_to_iwm]\nvalue = 1.2\nwindow = "test window"\nsource = "test"\n',
        encoding="utf-8",
    )
    args = ["--underlyings", str(good), "strategy", "--template", "call-overwrite"]
    args += ["-u", "ZION", "--strikes", "45", "--expiry", "2026-12-18", "--source", ZION]
    doc = _json(args)
    assert not any("no beta of ZION" in w for w in doc["warnings"])
    assert doc["levels"][0]["index_move"] == pytest.approx(-0.05)
