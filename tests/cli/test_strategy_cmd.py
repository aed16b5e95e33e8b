"""``hedge strategy`` and ``hedge payoff`` on the bundled demo data (SYNTHETIC)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strategies.positions import load_position_file
from strategies.report import REPORT_FIELDS
from strategies.templates import TEMPLATES
from tui.cli import app

runner = CliRunner()


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--source", "demo", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def put_spread_doc() -> dict:  # type: ignore[type-arg]
    return _json(["strategy", "--template", "put-spread", "--underlying", "IWM"])


def test_put_spread_json_has_every_documented_field(put_spread_doc: dict) -> None:  # type: ignore[type-arg]
    doc = put_spread_doc
    assert list(doc) == list(REPORT_FIELDS)
    assert doc["source"]["synthetic"] is True and "SYNTHETIC" in doc["source"]["description"]
    assert any(w.startswith("SYNTHETIC") for w in doc["warnings"])
    legs = doc["legs"]
    assert [leg["instrument"]["kind"] for leg in legs] == ["put", "put"]
    assert [leg["quantity"] for leg in legs] == [1, -1]
    long_k, short_k = (leg["instrument"]["strike"] for leg in legs)
    spot = doc["strategy"]["spot"]
    assert short_k < long_k < spot
    for leg in legs:
        assert leg["entry_price"] is not None and leg["price"] is not None
        assert set(leg["greeks"]["per_share"]) == {"delta", "gamma", "vega", "theta", "rho"}
    assert doc["net_premium"] > 0.0
    assert doc["max_loss"] == pytest.approx(doc["net_premium"])
    assert doc["max_profit"] == pytest.approx(100 * (long_k - short_k) - doc["net_premium"])
    assert len(doc["breakevens"]) == 1 and short_k < doc["breakevens"][0] < long_k
    assert 0.0 <= doc["pop"] <= 1.0 and doc["cvar"] is not None
    prob = doc["probability"]
    assert prob["method"] == "risk_neutral" and prob["horizon"].startswith(
        legs[0]["instrument"]["expiry"]
    )
    assert (
        prob["lost_mass"] < 1e-3
    )  # the fitted demo surface is (nearly) free of butterfly arbitrage
    assert prob["by_method"]["risk_neutral"]["pop"] == doc["pop"]
    assert doc["greeks"]["delta"] < 0.0 and doc["greeks"]["beta_weighted_delta"] < 0.0
    names = [s["name"] for s in doc["scenarios"]]
    assert names[:3] == ["bear", "base", "bull"] and "yield+50bp" in names
    assert doc["weighted_pnl"] == pytest.approx(
        sum(s["probability"] * s["pnl"] for s in doc["scenarios"] if s["set"] == "house")
    )


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_works_with_defaults(name: str) -> None:
    doc = _json(["strategy", "--template", name])
    assert doc["legs"] and doc["source"]["synthetic"] is True
    assert all(s["pnl"] is not None for s in doc["scenarios"])


def test_strike_options_fill_the_template_parameters() -> None:
    doc = _json(
        [
            "strategy",
            "--template",
            "put-spread",
            "--underlying",
            "IWM",
            "--otm",
            "3,8",
            "--quantity",
            "4",
        ]
    )
    spot = doc["strategy"]["spot"]
    long_k, short_k = (leg["instrument"]["strike"] for leg in doc["legs"])
    assert long_k == pytest.approx(spot * 0.97, abs=1.01)
    assert short_k == pytest.approx(spot * 0.92, abs=1.01)
    assert [leg["quantity"] for leg in doc["legs"]] == [4, -4]
    explicit = _json(
        ["strategy", "--template", "put-spread", "--strikes", f"{long_k:g},{short_k:g}"]
    )
    assert [leg["instrument"]["strike"] for leg in explicit["legs"]] == [long_k, short_k]


def test_method_dynamics_and_horizon_options(put_spread_doc: dict) -> None:  # type: ignore[type-arg]
    expiry = put_spread_doc["legs"][0]["instrument"]["expiry"]
    as_of = put_spread_doc["strategy"]["as_of"][:10]
    mid = (
        date.fromisoformat(as_of) + (date.fromisoformat(expiry) - date.fromisoformat(as_of)) / 2
    ).isoformat()
    doc = _json(
        [
            "strategy",
            "--template",
            "put-spread",
            "--method",
            "lognormal",
            "--dynamics",
            "sticky_moneyness",
            "--horizon",
            mid,
        ]
    )
    assert doc["probability"]["method"] == "lognormal" and doc["probability"]["horizon"].startswith(
        mid
    )
    assert doc["pop"] == doc["probability"]["by_method"]["lognormal"]["pop"]
    assert doc["dynamics"] == "sticky_moneyness"
    bear = {s["name"]: s["pnl"] for s in doc["scenarios"]}["bear"]
    base_bear = {s["name"]: s["pnl"] for s in put_spread_doc["scenarios"]}["bear"]
    assert bear != pytest.approx(base_bear, abs=0.5)  # the smile moved with the spot
    late = (date.fromisoformat(as_of) - timedelta(days=1)).isoformat()
    result = runner.invoke(
        app, ["strategy", "--template", "put-spread", "--horizon", late, "--source", "demo"]
    )
    assert result.exit_code == 2 and "--horizon" in result.stderr


def test_save_then_file_round_trip(tmp_path: Path) -> None:
    saved = tmp_path / "pos.toml"
    result = runner.invoke(
        app,
        [
            "strategy",
            "--template",
            "collar",
            "--source",
            "demo",
            "--format",
            "json",
            "--save",
            str(saved),
        ],
    )
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)
    position = load_position_file(saved)
    assert [leg.id for leg in position.legs] == ["shares", "long-put", "short-call"]
    again = _json(["strategy", "--file", str(saved)])
    assert again["net_premium"] == pytest.approx(first["net_premium"])
    assert [leg["instrument"] for leg in again["legs"]] == [
        leg["instrument"] for leg in first["legs"]
    ]


def test_table_output_is_labelled_synthetic() -> None:
    result = runner.invoke(app, ["strategy", "--template", "long-put", "--source", "demo"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.stdout and "Scenarios" in result.stdout


BAD_FILE = """\
schema_version = 1
name = "bad"

[[legs]]
id = "p"
instrument = "option"
underlying = "IWM"
kind = "put"
strike = nan
expiry = 2026-03-20
quantity = 1
entry_price = 2.0
"""


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FILE, encoding="utf-8")
    result = runner.invoke(app, ["strategy", "--file", str(path), "--source", "demo"])
    assert result.exit_code == 2
    assert f"{path}:9: legs[0].strike" in result.stderr
    assert path.read_text(encoding="utf-8") == BAD_FILE
    missing = runner.invoke(
        app, ["strategy", "--file", str(tmp_path / "none.toml"), "--source", "demo"]
    )
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["strategy", "--template", "nope"], "unknown 'nope'"),
        (["strategy"], "exactly one of --file or --template"),
        (["strategy", "--template", "put-spread", "--format", "xml"], "--format"),
        (["strategy", "--template", "put-spread", "--otm", "5,x"], "--otm"),
        (["strategy", "--template", "put-spread", "--otm", "1,2,3"], "at most 2"),
        (["strategy", "--template", "put-spread", "--underlying", "QQ Q!"], "--underlying"),
        (["strategy", "--template", "pair", "--quantity", "3"], "--quantity"),
        (["strategy", "--template", "long-put", "--expiry", "2026-13-01"], "--expiry"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], needle: str) -> None:
    result = runner.invoke(app, [*args, "--source", "demo"])
    assert result.exit_code == 2, result.output
    assert needle in result.stderr


def test_payoff_png_is_written(tmp_path: Path) -> None:
    saved = tmp_path / "spread.toml"
    made = runner.invoke(
        app,
        [
            "strategy",
            "--template",
            "put-spread",
            "--source",
            "demo",
            "--format",
            "json",
            "--save",
            str(saved),
        ],
    )
    assert made.exit_code == 0, made.output
    png = tmp_path / "out" / "payoff.png"
    png.parent.mkdir()  # missing folders are an error, never created (tests/cli/test_output_files.py)
    result = runner.invoke(
        app, ["payoff", "--file", str(saved), "--png", str(png), "--source", "demo"]
    )
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.stdout
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    expiry = load_position_file(saved).legs[0].expiry  # type: ignore[union-attr]
    dated = tmp_path / "dated.png"
    result = runner.invoke(
        app,
        [
            "payoff",
            "--file",
            str(saved),
            "--png",
            str(dated),
            "--source",
            "demo",
            "--date",
            expiry.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    assert dated.stat().st_size > 10_000


def test_payoff_bad_file_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FILE, encoding="utf-8")
    png = tmp_path / "x.png"
    result = runner.invoke(
        app, ["payoff", "--file", str(path), "--png", str(png), "--source", "demo"]
    )
    assert result.exit_code == 2 and "legs[0].strike" in result.stderr
    assert not png.exists()
