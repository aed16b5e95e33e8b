"""``hedge`` with no verb (what ``make run`` shows): the tour on the bundled demo, offline."""

from __future__ import annotations

from typer.testing import CliRunner

from tui.cli import app


def test_tour_runs_offline_on_the_demo_and_says_it_is_synthetic() -> None:
    result = CliRunner().invoke(app, [], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "SYNTHETIC" in out
    assert "term structure" in out and "put spread" in out
    for scenario in ("bear", "base", "bull"):
        assert scenario in out
    assert "hedge chain" in out  # the next steps
