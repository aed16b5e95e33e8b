"""Position files through ``hedge strategy`` on the demo data (as of 2026-11-20 16:15 New York):
expired legs are settled and shown as expired; listed-product conventions and listed expiries are
checked, with ``override = true`` as the way out."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tui.cli import app
from tui.errors import EXIT_USAGE

runner = CliRunner()

HEADER = 'schema_version = 1\nname = "test"\n'


def _leg(
    ident: str,
    kind: str,
    strike: float,
    expiry: str,
    qty: int,
    price: float,
    extra: str = "",
    underlying: str = "IWM",
) -> str:
    return (
        f'\n[[legs]]\nid = "{ident}"\ninstrument = "option"\nunderlying = "{underlying}"\nkind = "{kind}"\n'
        f"strike = {strike}\nexpiry = {expiry}\nquantity = {qty}\nentry_price = {price}\n{extra}"
    )


def _run(tmp_path: Path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "pos.toml"
    path.write_text(text)
    result = runner.invoke(
        app, ["strategy", "--file", str(path), "--source", "demo", "--format", "json"]
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_expired_long_leg_is_settled_and_the_rest_is_the_risk(tmp_path: Path) -> None:
    text = HEADER + _leg("long", "put", 250.0, "2026-11-20", 1, 3.0, "settlement_price = 245.5\n")
    text += _leg("short", "put", 230.0, "2026-12-18", -1, 2.0)
    code, out, err = _run(tmp_path, text)
    assert code == 0, err
    doc = json.loads(out)
    assert [leg["id"] for leg in doc["legs"]] == [
        "short",
        "long delivered",
    ]  # ITM put delivered -100
    (expired,) = doc["expired"]
    assert expired["id"] == "long" and expired["settlement_price"] == 245.5
    assert expired["delivered_shares"] == -100 and "position file" in expired["price_source"]


def test_everything_expired_reports_the_settlement_only(tmp_path: Path) -> None:
    text = HEADER + _leg("old", "call", 300.0, "2026-11-20", 2, 1.5)
    code, out, err = _run(tmp_path, text)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["legs"] == [] and doc["expired"][0]["outcome"] == "expired worthless"
    assert doc["value"]["realised_pnl"] == -300.0
    assert any("current spot" in w for w in doc["warnings"])


def test_product_conventions_are_errors_naming_the_field(tmp_path: Path) -> None:
    cases = {
        'style = "european"\n': ("legs[0].style", "american"),
        'settlement = "am"\n': ("legs[0].settlement", "PM-settled"),
        "multiplier = 10.0\n": ("legs[0].multiplier", "multiplier 100"),
    }
    for extra, (field, words) in cases.items():
        code, _, err = _run(tmp_path, HEADER + _leg("a", "put", 230.0, "2026-12-18", 1, 2.0, extra))
        assert code == EXIT_USAGE, err
        assert field in err and words in err and "override" in err
    rut_american = _leg(
        "r", "put", 2300.0, "2026-12-18", 1, 20.0, 'style = "american"\n', underlying="RUT"
    )
    code, _, err = _run(tmp_path, HEADER + rut_american)
    assert code == EXIT_USAGE and "legs[0].style" in err and "european" in err
    ok = _leg("a", "put", 230.0, "2026-12-18", 1, 2.0, 'style = "european"\noverride = true\n')
    code, _, err = _run(tmp_path, HEADER + ok)
    assert code == 0, err


def test_saturday_and_unlisted_expiries_name_the_nearest_listed(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, HEADER + _leg("a", "put", 230.0, "2026-12-19", 1, 2.0))
    assert (
        code == EXIT_USAGE and "Saturday" in err and "2026-12-18" in err and "legs[0].expiry" in err
    )
    code, _, err = _run(tmp_path, HEADER + _leg("a", "put", 230.0, "2027-02-10", 1, 2.0))
    assert code == EXIT_USAGE and "not a listed IWM expiry" in err and "2027-01-15" in err


def test_override_flag_prices_a_non_standard_leg(tmp_path: Path) -> None:
    path = tmp_path / "pos.toml"
    path.write_text(HEADER + _leg("a", "put", 230.0, "2026-12-18", 1, 2.0, 'style = "european"\n'))
    base = ["strategy", "--file", str(path), "--source", "demo", "--format", "json"]
    assert runner.invoke(app, base).exit_code == EXIT_USAGE
    result = runner.invoke(app, [*base, "--override"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["legs"][0]["instrument"]["style"] == "european"
    saved = tmp_path / "saved.toml"
    again = runner.invoke(app, [*base, "--override", "--save", str(saved)])
    assert again.exit_code == 0, again.output
    assert "override = true" in saved.read_text()  # the saved file reads back as it was priced
    reread = runner.invoke(
        app, ["strategy", "--file", str(saved), "--source", "demo", "--format", "json"]
    )
    assert reread.exit_code == 0, reread.output


def test_expired_legs_in_the_table_and_the_payoff(tmp_path: Path) -> None:
    path = tmp_path / "pos.toml"
    path.write_text(
        HEADER
        + _leg("long", "put", 250.0, "2026-11-20", 1, 3.0, "settlement_price = 245.5\n")
        + _leg("short", "put", 230.0, "2026-12-18", -1, 2.0)
    )
    table = runner.invoke(app, ["strategy", "--file", str(path), "--source", "demo"])
    assert table.exit_code == 0, table.output
    assert "Expired legs" in table.stdout and "245.50" in table.stdout
    png = tmp_path / "p.png"
    drawn = runner.invoke(
        app, ["payoff", "--file", str(path), "--source", "demo", "--png", str(png)]
    )
    assert drawn.exit_code == 0, drawn.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    only_expired = tmp_path / "old.toml"
    only_expired.write_text(HEADER + _leg("old", "call", 300.0, "2026-11-20", 2, 1.5))
    none_left = runner.invoke(
        app, ["payoff", "--file", str(only_expired), "--source", "demo", "--png", str(png)]
    )
    assert none_left.exit_code == EXIT_USAGE and "every leg has expired" in none_left.stderr
