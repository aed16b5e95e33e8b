"""``hedge chain`` offline: the demo in every format, the JSON against its schema, SYNTHETIC
labels, expiry selection, errors and exit codes, and a stored (non-synthetic) snapshot."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketdata.chain_schema import SCHEMA_VERSION, ChainDocument
from marketdata.chain_view import CSV_COLUMNS, default_expiry
from tui.cli import app

runner = CliRunner()
# The demo bundle's as-of is 2026-11-20 (marketdata/data/demo_meta.json); its nearest standard
# monthly is the third Friday of December 2026.
DEMO_MONTHLY = "2026-12-18"


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["chain", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def iwm_json() -> dict[str, object]:
    code, out, err = _run("--symbol", "IWM", "--source", "demo", "--format", "json")
    assert code == 0, err
    doc = ChainDocument.model_validate_json(out)  # the schema: strict, no unknown fields
    assert doc.schema_version == SCHEMA_VERSION
    parsed: dict[str, object] = json.loads(out)
    return parsed


def test_json_is_valid_labelled_and_complete(iwm_json: dict[str, object]) -> None:
    doc = ChainDocument.model_validate(iwm_json)
    assert doc.symbol == "IWM" and doc.source == "demo" and doc.synthetic is True
    assert "SYNTHETIC" in doc.source_description
    assert doc.as_of.startswith("2026-11-20T16:15")
    assert len(doc.expiries) >= 20
    ts = [e.t_years for e in doc.expiries]
    assert ts == sorted(ts)
    for e in doc.expiries:
        assert e.forward is not None and e.forward > 0
        assert e.forward_method == "parity_deamericanised"
        assert e.fit is not None and e.fit.status == "ok"
        assert not e.fit.butterfly_arbitrage and not e.fit.calendar_arbitrage
        assert e.quotes and {q.kind for q in e.quotes} == {"call", "put"}
    first = doc.expiries[0]
    assert first.fit is not None and first.fit.calendar_min_diff is None  # nothing before it
    ok = [q for e in doc.expiries for q in e.quotes if q.iv_status == "ok"]
    assert all(q.iv is not None and 0.01 < q.iv < 3 and q.delta is not None for q in ok)
    missing = [q for e in doc.expiries for q in e.quotes if q.iv_status != "ok"]
    assert all(q.iv is None for q in missing)


def test_json_forwards_match_the_generator(iwm_json: dict[str, object]) -> None:
    # The demo generator's forwards (marketdata/data/demo_meta.json, via load_demo's meta).
    from marketdata.sources.demo import load_demo

    truth = {e["expiry"]: e["forward"] for e in load_demo("IWM").meta["expiries"]}
    doc = ChainDocument.model_validate(iwm_json)
    for e in doc.expiries:
        assert e.forward is not None and abs(e.forward - truth[e.expiry]) < 0.01


def test_json_one_expiry() -> None:
    code, out, err = _run(
        "--symbol", "RUT", "--source", "demo", "--format", "json", "--expiry", "2027-01-15"
    )
    assert code == 0, err
    doc = ChainDocument.model_validate_json(out)
    assert [e.expiry for e in doc.expiries] == ["2027-01-15"]
    e = doc.expiries[0]
    assert e.settlement == "am" and e.forward_method == "parity"
    assert e.fit is not None and e.fit.calendar_min_diff is not None  # checked against Dec


def test_csv_has_synthetic_comment_and_column() -> None:
    code, out, err = _run(
        "--symbol", "IWM", "--source", "demo", "--format", "csv", "--expiry", DEMO_MONTHLY
    )
    assert code == 0, err
    first, rest = out.split("\n", 1)
    assert first.startswith("# SYNTHETIC")
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert rows and tuple(rows[0].keys()) == CSV_COLUMNS
    assert {r["synthetic"] for r in rows} == {"true"}
    assert {r["expiry"] for r in rows} == {DEMO_MONTHLY}
    ok = [r for r in rows if r["iv_status"] == "ok"]
    assert ok and all(float(r["iv"]) > 0 and r["delta"] for r in ok)
    assert all(r["iv"] == "" for r in rows if r["iv_status"] != "ok")


def test_table_defaults_to_the_nearest_monthly_and_says_synthetic() -> None:
    code, out, err = _run("--symbol", "IWM", "--source", "demo")
    assert code == 0, err
    assert DEMO_MONTHLY in out
    assert "SYNTHETIC" in out and "NOT MARKET PRICES" in out
    assert "C iv %" in out and "P delta" in out


def test_default_expiry_rule() -> None:
    exps = [date(2026, 11, 23), date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 15)]
    assert default_expiry(exps, date(2026, 11, 20)) == date(2026, 12, 18)
    assert default_expiry(exps, date(2026, 12, 19)) == date(2027, 1, 15)
    assert default_expiry(exps[:2], date(2026, 11, 20)) == date(2026, 11, 23)  # no monthly


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("--expiry", "2027-01-16"), 2, "not a listed IWM chain expiry"),
        (("--expiry", "next friday"), 2, "YYYY-MM-DD"),
        (("--format", "xml"), 2, "format"),
        (("--symbol", "!!"), 2, "symbol"),
        (("--source", "/no/such/file.csv"), 2, "source"),
    ],
)
def test_errors_and_exit_codes(args: tuple[str, ...], code: int, text: str) -> None:
    base = ["--source", "demo"] if "--source" not in args else []
    got, out, err = _run(*base, *args)
    assert got == code
    assert text in err + out


def test_schema_flag_prints_json_schema() -> None:
    code, out, _ = _run("--schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "ChainDocument" and "ExpiryModel" in schema["$defs"]
    assert schema["additionalProperties"] is False


def test_store_source_without_synthetic_flag(tmp_path: Path) -> None:
    from marketdata.sources.demo import load_demo
    from marketdata.sources.store import SnapshotStore

    snap = load_demo("RUT")
    real_looking = replace(snap, synthetic=False, source="test-fixture", meta={})
    store_path = tmp_path / "snapshots.sqlite"
    SnapshotStore(store_path).save(real_looking)
    code, out, err = _run(
        "--symbol",
        "RUT",
        "--source",
        "store",
        "--store",
        str(store_path),
        "--format",
        "csv",
        "--expiry",
        "2026-12-18",
    )
    assert code == 0, err
    first = out.split("\n", 1)[0]
    assert first.startswith("# ") and "SYNTHETIC" not in first
    rows = list(csv.DictReader(io.StringIO(out.split("\n", 1)[1])))
    assert {r["synthetic"] for r in rows} == {"false"}
