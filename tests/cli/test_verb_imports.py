"""A verb imports only what it needs: each verb runs in a fresh interpreter and the heavy
libraries it must not load are looked up in ``sys.modules`` afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, runpy, sys
sys.argv = ["hedge", *{args!r}]
try:
    runpy.run_module("tui", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
top = sorted({{m.split(".")[0] for m in sys.modules}})
sys.stderr.write("\\nMODULES " + json.dumps({{"code": code, "top": top}}) + "\\n")
"""


def _loaded(args: list[str], tmp_path: Path) -> tuple[object, set[str]]:
    """The verb's exit code and the top-level modules loaded once it is done."""
    env = {"HEDGE_CACHE": str(tmp_path / "cache"), "HEDGE_STORE": str(tmp_path / "store.sqlite3")}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(args=args)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = [x for x in proc.stderr.splitlines() if x.startswith("MODULES ")][-1]
    found = json.loads(line.removeprefix("MODULES "))
    return found["code"], set(found["top"])


@pytest.mark.parametrize(
    ("args", "banned"),
    [
        (
            ["strategy", "--template", "put-spread", "--underlying", "IWM", "--source", "demo"],
            {"yfinance", "matplotlib", "textual", "QuantLib"},
        ),
        (["chain", "--symbol", "RUT", "--source", "demo"], {"yfinance", "matplotlib", "textual"}),
    ],
    ids=["strategy", "chain"],
)
def test_a_verb_does_not_import_what_it_does_not_need(
    args: list[str], banned: set[str], tmp_path: Path
) -> None:
    code, modules = _loaded(args, tmp_path)
    assert code in (0, None)
    assert "pandas" in modules  # the probe sees the verb's imports
    assert not (modules & banned), sorted(modules & banned)


def test_hedge_price_does_not_import_pandas(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "kind,style,spot,strike,t_years,rate,div_yield,vol\n"
        "call,european,100,100,0.5,0.04,0.01,0.2\n"
    )
    code, modules = _loaded(["price", "--input", str(rows)], tmp_path)
    assert code in (0, None)
    assert "numpy" in modules
    banned = {"pandas", "yfinance", "matplotlib", "textual"}
    assert not (modules & banned), sorted(modules & banned)
