"""``--expiry`` on every verb that takes one (strategy, payoff, chain): an exact listed date or an
error naming the nearest listed dates; the nearest only when asked (``nearest:DATE``, ``--dte``).
The demo data are as of 2026-11-20 16:15 New York; 2026-12-18 is the December monthly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui.cli import app
from tui.errors import EXIT_USAGE

runner = CliRunner()

VERBS = {
    "strategy": ["strategy", "--template", "put-spread", "--source", "demo", "--format", "json"],
    "chain": ["chain", "--symbol", "IWM", "--source", "demo", "--format", "json"],
}


@pytest.mark.parametrize("verb", list(VERBS))
@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("2026-01-16", "2026-11-2"),  # a typo for 2027: in the past, nearest listed named
        ("2026-12-19", "2026-12-18"),  # a Saturday
        ("2026-11-20", "2026-11-2"),  # the data's own date, already settled at 16:00
        ("2026-13-01", "YYYY-MM-DD"),
    ],
)
def test_unlisted_expiry_is_an_error_naming_the_nearest(verb: str, typed: str, words: str) -> None:
    result = runner.invoke(app, [*VERBS[verb], "--expiry", typed])
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.stderr.startswith("error: --expiry") and words in result.stderr
    assert "Traceback" not in result.output


def test_payoff_expiry_is_exact_too(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "payoff",
            "--template",
            "put-spread",
            "--source",
            "demo",
            "--expiry",
            "2026-12-19",
            "--png",
            str(tmp_path / "p.png"),
        ],
    )
    assert result.exit_code == EXIT_USAGE and "2026-12-18" in result.stderr
    assert not (tmp_path / "p.png").exists()


def test_nearest_only_when_asked() -> None:
    doc = json.loads(
        runner.invoke(app, [*VERBS["strategy"], "--expiry", "nearest:2026-12-19"]).stdout
    )
    assert {leg["instrument"]["expiry"] for leg in doc["legs"]} == {"2026-12-18"}
    exact = json.loads(runner.invoke(app, [*VERBS["strategy"], "--expiry", "2026-12-18"]).stdout)
    assert {leg["instrument"]["expiry"] for leg in exact["legs"]} == {"2026-12-18"}
    chain = json.loads(
        runner.invoke(app, [*VERBS["chain"], "--expiry", "nearest:2026-12-19"]).stdout
    )
    assert [e["expiry"] for e in chain["expiries"]] == ["2026-12-18"]
