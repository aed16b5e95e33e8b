"""Fuzz every verb's options (hypothesis over strings, numbers, dates and paths, in-process with
typer's CliRunner): never a traceback, exit codes only from the table (0, 1, 2, 3)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from marketdata.errors import SourceUnavailableError
from tui.cli import app
from tui.commands import fetch_cmds
from tui.errors import EXIT_CODES

runner = CliRunner()
FUZZ = settings(
    max_examples=int(os.environ.get("HEDGE_FUZZ_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("fuzz")
    good = root / "rows.csv"
    good.write_text(
        "kind,style,spot,strike,t_years,rate,div_yield,vol,price\ncall,european,100,100,0.5,0.04,0,0.2,6\n"
    )
    fifo = root / "fifo"
    os.mkfifo(fifo)
    folder = root / "dir"
    folder.mkdir()
    foreign = root / "foreign.txt"
    foreign.write_text("not ours\n")
    bad_toml = root / "bad.toml"
    bad_toml.write_text("schema_version = 1\nname = 'x'\n[[legs]]\nid='a'\n")
    yield {
        "good": str(good),
        "fifo": str(fifo),
        "dir": str(folder),
        "foreign": str(foreign),
        "missing": str(root / "no" / "such"),
        "dev": "/dev/null",
        "bad_toml": str(bad_toml),
        "new": str(root / "new.out"),
    }


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-(10**12), 10**12).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.lists(
            st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: f"{x:g}"), min_size=1, max_size=4
        ).map(",".join),
        st.sampled_from(["", " ", ",", "0,-5", "-5,200", "1.5,0", "1e309", "nan", "0x10", "½"]),
    )


def dates() -> st.SearchStrategy[str]:
    return st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.dates().map(lambda d: f"nearest:{d.isoformat()}"),
        st.sampled_from(
            ["2026-12-19", "2026-02-30", "tomorrow", "", "nearest:", "2026-12-18T10:00"]
        ),
    )


def texts() -> st.SearchStrategy[str]:
    return st.text(min_size=0, max_size=12)


def paths(place: dict[str, str]) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(place.values()))


def _check(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in EXIT_CODES, (args, result.exit_code)
    assert "Traceback" not in result.output, args


@FUZZ
@given(data=st.data())
def test_price_and_iv(place: dict[str, str], data: st.DataObject) -> None:
    verb = data.draw(st.sampled_from(["price", "iv"]))
    args = [verb, "--input", data.draw(st.one_of(paths(place), texts()))]
    if data.draw(st.booleans()):
        args += ["--output", data.draw(st.one_of(paths(place), st.just("-")))]
    if data.draw(st.booleans()):
        args += ["--format", data.draw(st.one_of(st.sampled_from(["csv", "json"]), texts()))]
    if data.draw(st.booleans()):
        args += [
            "--engine",
            data.draw(st.one_of(st.sampled_from(["default", "baw", "fd"]), texts())),
        ]
    if data.draw(st.booleans()):
        args.append("--force")
    _check(args)


@FUZZ
@given(data=st.data())
def test_chain(place: dict[str, str], data: st.DataObject) -> None:
    args = ["chain", "--source", data.draw(st.one_of(st.just("demo"), paths(place), texts()))]
    if data.draw(st.booleans()):
        args += [
            "--symbol",
            data.draw(st.one_of(st.sampled_from(["IWM", "RUT", "SPY", "MRUT"]), texts())),
        ]
    if data.draw(st.booleans()):
        args += ["--expiry", data.draw(dates())]
    args += ["--format", data.draw(st.one_of(st.sampled_from(["csv", "json"]), texts()))]
    if data.draw(st.booleans()):
        args += ["--store", data.draw(paths(place))]
    _check(args)


@FUZZ
@given(data=st.data())
def test_strategy_and_payoff(place: dict[str, str], data: st.DataObject) -> None:
    verb = data.draw(st.sampled_from(["strategy", "payoff"]))
    args = [verb, "--source", data.draw(st.one_of(st.just("demo"), paths(place), texts()))]
    if data.draw(st.integers(0, 4)) == 0:
        args += ["--file", data.draw(paths(place))]
    else:
        args += [
            "--template",
            data.draw(
                st.one_of(st.sampled_from(["put-spread", "collar", "pair", "iron-condor"]), texts())
            ),
        ]
    for option, values in (
        ("--underlying", st.one_of(st.sampled_from(["IWM", "RUT", "SPY"]), texts())),
        ("--expiry", dates()),
        ("--dte", st.integers(-5, 5000).map(str)),
        ("--spot", st.one_of(st.sampled_from(["TZA=10", "TZA=-1", "=", "X"]), texts())),
    ):
        if data.draw(st.integers(0, 3)) == 0:
            args += [option, data.draw(values)]
    if verb == "strategy":
        for option, values in (
            ("--strikes", numbers()),
            ("--otm", numbers()),
            ("--delta", numbers()),
            ("--quantity", numbers()),
            ("--horizon", dates()),
            ("--save", paths(place)),
            ("--method", texts()),
            ("--dynamics", texts()),
        ):
            if data.draw(st.integers(0, 4)) == 0:
                args += [option, data.draw(values)]
        args += ["--format", "json"]
    else:
        args += ["--png", data.draw(paths(place))]
        if data.draw(st.booleans()):
            args += ["--date", data.draw(dates())]
    if data.draw(st.booleans()):
        args.append("--force")
    if data.draw(st.integers(0, 3)) == 0:
        args.append("--override")
    if data.draw(st.booleans()):
        args.insert(0, "--verbose")
    _check(args)


@FUZZ
@given(data=st.data())
def test_fetch(place: dict[str, str], data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(symbol: str) -> object:
        raise SourceUnavailableError(f"offline test: {symbol}")

    monkeypatch.setattr(fetch_cmds, "TICKER_FACTORY", offline)
    args = ["fetch", "--store", data.draw(paths(place))]
    if data.draw(st.booleans()):
        args += [
            "--symbols",
            data.draw(st.one_of(st.sampled_from(["IWM", "", "IWM,RUT", "^RUT"]), texts())),
        ]
    if data.draw(st.booleans()):
        args += ["--expiries", data.draw(numbers())]
    if data.draw(st.booleans()):
        args += ["--timeout", data.draw(numbers())]
    _check(args)
