"""The runnable scripts in examples/ run to completion on the demo data."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(
    script: str,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    monkeypatch.setattr(sys, "argv", [script, *args])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert info.value.code == 0
    return capsys.readouterr().out


def test_compare_hedges(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = json.loads(_run("compare_hedges.py", ["--json"], capsys, monkeypatch))
    assert out["synthetic"] is True
    rows = {r["hedge"]: r for r in out["rows"]}
    assert set(rows) == {"unhedged", "put spread", "long put", "collar", "TZA (half delta)"}
    book = rows["unhedged"]
    assert book["cost"] == 0.0 and book["bear"] < 0.0 < book["bull"]
    for name in ("put spread", "long put", "collar", "TZA (half delta)"):
        assert rows[name]["bear"] > book["bear"]  # every hedge helps in the bear case
        assert rows[name]["bull"] < book["bull"]  # and costs something in the bull case
    table = _run("compare_hedges.py", [], capsys, monkeypatch)
    assert "SYNTHETIC" in table and "put spread" in table


def test_size_put_spread(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = json.loads(
        _run("size_put_spread.py", ["--json", "--coverage", "0.5"], capsys, monkeypatch)
    )
    assert out["synthetic"] is True and out["per_spread_pnl_drawdown"] > 0.0
    target = out["target_spreads"]
    row = next(r for r in out["rows"] if r["spreads"] == target)
    covered = row["hedge_pnl_drawdown"] / -out["book_loss_drawdown"]
    assert 0.5 <= covered < 0.5 + out["per_spread_pnl_drawdown"] / -out["book_loss_drawdown"] + 1e-9
    assert row["book_plus_hedge_drawdown"] > out["book_loss_drawdown"]
    assert "spreads" in _run("size_put_spread.py", [], capsys, monkeypatch)
