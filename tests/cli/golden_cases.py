"""The verbs' golden outputs: one case per command line, recorded on the bundled demo data.

Recorded BEFORE the verbs were moved onto the shared core (issue 8, "one core for the command line
and the app"): ``tests/cli/test_golden.py`` proves that the refactor left every byte of stdout,
stderr and the exit code unchanged. Re-record only for an intended output change::

    .venv/bin/python -m tests.cli.golden_cases   # writes tests/cli/golden/*.txt

The demo source does not read the clock (its snapshot has a fixed ``as_of`` and the description
says "as of", not an age), so these outputs do not depend on the day they are run.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from typer.testing import CliRunner

GOLDEN_DIR = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV = {"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}

#: name -> argv (``{tmp}`` is replaced by a temporary folder).
CASES: dict[str, list[str]] = {
    "chain_iwm_table": ["chain", "--symbol", "IWM", "--source", "demo"],
    "chain_rut_table_expiry": [
        "chain",
        "--symbol",
        "RUT",
        "--source",
        "demo",
        "--expiry",
        "2026-12-18",
    ],
    "chain_iwm_json": ["chain", "--symbol", "IWM", "--source", "demo", "--format", "json"],
    "chain_rut_json_expiry": [
        "chain",
        "--symbol",
        "RUT",
        "--source",
        "demo",
        "--format",
        "json",
        "--expiry",
        "2026-12-18",
    ],
    "chain_spy_csv": ["chain", "--symbol", "SPY", "--source", "demo", "--format", "csv"],
    "chain_schema": ["chain", "--schema"],
    "chain_bad_expiry": ["chain", "--symbol", "IWM", "--source", "demo", "--expiry", "2030-01-01"],
    "chain_bad_format": ["chain", "--symbol", "IWM", "--source", "demo", "--format", "xml"],
    "strategy_put_spread_table": [
        "strategy",
        "--template",
        "put-spread",
        "--underlying",
        "IWM",
        "--source",
        "demo",
    ],
    "strategy_put_spread_json": [
        "strategy",
        "--template",
        "put-spread",
        "--underlying",
        "IWM",
        "--source",
        "demo",
        "--format",
        "json",
    ],
    "strategy_put_spread_otm_json": [
        "strategy",
        "--template",
        "put-spread",
        "--otm",
        "3,8",
        "--quantity",
        "4",
        "--source",
        "demo",
        "--format",
        "json",
    ],
    "strategy_put_spread_strikes_json": [
        "strategy",
        "--template",
        "put-spread",
        "--strikes",
        "265,250",
        "--dte",
        "45",
        "--source",
        "demo",
        "--format",
        "json",
    ],
    "strategy_call_spread_delta_json": [
        "strategy",
        "--template",
        "call-spread",
        "--underlying",
        "RUT",
        "--delta",
        "0.4,0.2",
        "--source",
        "demo",
        "--format",
        "json",
    ],
    "strategy_call_overwrite_table": [
        "strategy",
        "--template",
        "call-overwrite",
        "--underlying",
        "IWM",
        "--source",
        "demo",
    ],
    "strategy_iron_condor_json": [
        "strategy",
        "--template",
        "iron-condor",
        "--source",
        "demo",
        "--format",
        "json",
    ],
    "strategy_calendar_json": [
        "strategy",
        "--template",
        "calendar",
        "--dte",
        "20",
        "--source",
        "demo",
        "--format",
        "json",
    ],
    "strategy_collar_spy_table": [
        "strategy",
        "--template",
        "collar",
        "--underlying",
        "SPY",
        "--source",
        "demo",
    ],
    "strategy_tza_hedge_table": ["strategy", "--template", "tza-hedge", "--source", "demo"],
    "strategy_pair_json": [
        "strategy",
        "--template",
        "pair",
        "--source",
        "demo",
        "--format",
        "json",
    ],
    "strategy_lognormal_horizon_json": [
        "strategy",
        "--template",
        "long-put",
        "--source",
        "demo",
        "--format",
        "json",
        "--method",
        "lognormal",
        "--horizon",
        "2026-12-18",
        "--dynamics",
        "sticky_moneyness",
    ],
    "strategy_save": [
        "strategy",
        "--template",
        "put-spread",
        "--source",
        "demo",
        "--format",
        "json",
        "--save",
        "{tmp}/pos.toml",
    ],
    "strategy_unknown_template": ["strategy", "--template", "nope", "--source", "demo"],
    "strategy_file_and_template": [
        "strategy",
        "--template",
        "put-spread",
        "--file",
        "x.toml",
        "--source",
        "demo",
    ],
    "strategy_too_many_strikes": [
        "strategy",
        "--template",
        "long-put",
        "--strikes",
        "265,250",
        "--source",
        "demo",
    ],
    "strategy_no_expiry_slot": [
        "strategy",
        "--template",
        "pair",
        "--dte",
        "30",
        "--source",
        "demo",
    ],
    "strategy_bad_number": [
        "strategy",
        "--template",
        "put-spread",
        "--otm",
        "5,x",
        "--source",
        "demo",
    ],
    "strategy_dte_and_expiry": [
        "strategy",
        "--template",
        "put-spread",
        "--dte",
        "30",
        "--expiry",
        "2026-12-18",
        "--source",
        "demo",
    ],
    "strategy_bad_horizon": [
        "strategy",
        "--template",
        "put-spread",
        "--horizon",
        "2000-01-01",
        "--source",
        "demo",
    ],
    "strategy_bad_spot": [
        "strategy",
        "--template",
        "tza-hedge",
        "--spot",
        "TZA=abc",
        "--source",
        "demo",
    ],
    "strategy_bad_source": ["strategy", "--template", "put-spread", "--source", "nowhere"],
    "payoff_put_spread": [
        "payoff",
        "--template",
        "put-spread",
        "--source",
        "demo",
        "--png",
        "{tmp}/p.png",
    ],
    "payoff_tza_date": [
        "payoff",
        "--template",
        "tza-hedge",
        "--source",
        "demo",
        "--png",
        "{tmp}/t.png",
        "--date",
        "2026-12-01",
    ],
    "payoff_bad_date": [
        "payoff",
        "--template",
        "put-spread",
        "--source",
        "demo",
        "--png",
        "{tmp}/b.png",
        "--date",
        "2020-01-01",
    ],
    "price_options_csv": ["price", "--input", str(EXAMPLES / "options.csv")],
    "price_options_json": ["price", "--input", str(EXAMPLES / "options.csv"), "--format", "json"],
    "iv_quotes_csv": ["iv", "--input", str(EXAMPLES / "quotes.csv")],
    "iv_quotes_json": ["iv", "--input", str(EXAMPLES / "quotes.csv"), "--format", "json"],
    "tour": [],
}

#: ``hedge fetch`` cases: name -> (replayed Yahoo scenario, argv); run against the recorded Yahoo
#: fixtures (tests/marketdata/yahoo_replay.py) with a fixed clock, the store ``s.sqlite3`` in a
#: temporary working folder (a relative path: the summary's title shows it, and its length sets
#: the title's wrapping).
FETCH_CASES: dict[str, tuple[str, list[str]]] = {
    "fetch_ok": ("ok", ["fetch", "--symbols", "IWM", "RUT", "SPY", "--store", "s.sqlite3"]),
    "fetch_spy_down": (
        "spy_down",
        ["fetch", "-s", "IWM,RUT", "SPY", "--store", "s.sqlite3", "-n", "2"],
    ),
    "fetch_unreachable": ("connection_error", ["fetch", "--store", "s.sqlite3"]),
}

#: Cases whose stdout is long: the golden file holds its SHA-256 and size, not the text.
HASHED = {"chain_iwm_json", "chain_spy_csv"}


def run_case(name: str, tmp: Path) -> str:
    """Run one case through the ``hedge`` app and return its golden text: exit code, stdout and
    stderr (``{tmp}`` in paths shown as ``<tmp>``), and for PNG cases the file's existence."""
    from tui.cli import app

    argv = [a.replace("{tmp}", str(tmp)) for a in CASES[name]]
    result = CliRunner().invoke(app, argv, env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    stdout = result.stdout.replace(str(tmp), "<tmp>")
    stderr = result.stderr.replace(str(tmp), "<tmp>")
    if name in HASHED:
        stdout = f"sha256 {hashlib.sha256(stdout.encode()).hexdigest()} chars {len(stdout)}\n"
    parts = [f"exit {result.exit_code}", "--- stdout", stdout, "--- stderr", stderr]
    for arg in argv:
        if arg.endswith((".png", ".toml")) and str(tmp) in arg:
            path = Path(arg)
            ok = path.is_file() and path.stat().st_size > 0
            if ok and arg.endswith(".png"):
                ok = path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            parts.append(f"--- file {path.name}: {'written' if ok else 'MISSING'}")
            if ok and arg.endswith(".toml"):
                parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def run_fetch_case(name: str, tmp: Path) -> str:
    """Run one :data:`FETCH_CASES` case (the verb's fakes swapped in and restored) and return its
    golden text as :func:`run_case` does; the progress bars read ``<bar>`` and their elapsed
    times ``<elapsed>`` (both move with the wall clock)."""
    from tests.marketdata.yahoo_replay import AS_OF, Replay
    from tui.cli import app
    from tui.commands import fetch_cmds

    scenario, args = FETCH_CASES[name]
    argv = list(args)
    saved = (fetch_cmds.TICKER_FACTORY, fetch_cmds.SLEEP, fetch_cmds._clock)
    cwd = Path.cwd()
    fetch_cmds.TICKER_FACTORY, fetch_cmds.SLEEP = Replay(scenario), lambda seconds: None
    fetch_cmds._clock = lambda: AS_OF  # type: ignore[assignment]
    try:
        os.chdir(tmp)
        result = CliRunner().invoke(app, argv, env=ENV)
    finally:
        os.chdir(cwd)
        fetch_cmds.TICKER_FACTORY, fetch_cmds.SLEEP, fetch_cmds._clock = saved  # type: ignore[assignment]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    stdout = result.stdout.replace(str(tmp), "<tmp>")
    stderr = re.sub(r"\d+:\d\d:\d\d", "<elapsed>", result.stderr.replace(str(tmp), "<tmp>"))
    # the bar of a task without a total is an animation (time-dependent): keep its counts only
    stderr = re.sub(r"(?m)^(.{7})[━╸╺ ]+(?= \d+/[\d?]+ expiries)", r"\1<bar>", stderr)
    return "\n".join([f"exit {result.exit_code}", "--- stdout", stdout, "--- stderr", stderr])


def main() -> None:
    """Record every case into :data:`GOLDEN_DIR`."""
    import sys
    import tempfile

    GOLDEN_DIR.mkdir(exist_ok=True)
    only_fetch = "--fetch-only" in sys.argv
    for name in [] if only_fetch else CASES:
        with tempfile.TemporaryDirectory() as tmp:
            text = run_case(name, Path(tmp))
        (GOLDEN_DIR / f"{name}.txt").write_text(text, encoding="utf-8")
        print(name, re.sub(r"\s+", " ", text[:70]))
    for name in FETCH_CASES:
        with tempfile.TemporaryDirectory() as tmp:
            text = run_fetch_case(name, Path(tmp))
        (GOLDEN_DIR / f"{name}.txt").write_text(text, encoding="utf-8")
        print(name, re.sub(r"\s+", " ", text[:70]))


if __name__ == "__main__":
    main()
