"""Position files: strict schema, errors naming file / field / line, atomic saves (kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest

from pricing.types import ExerciseStyle, SettlementTime
from strategies import positions as pos
from strategies.legs import TZA, Leg, Shares, iwm_option, rut_option
from strategies.positions import (
    MAX_POSITION_FILE_BYTES,
    PositionFile,
    PositionFileError,
    load_position_file,
    locate_line,
    parse_position_text,
    position_from_legs,
    position_legs,
    save_position_file,
)

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
schema_version = 1
name = "IWM put spread"
underlying = "IWM"

[[legs]]
id = "long-put"
instrument = "option"
underlying = "IWM"
kind = "put"
strike = 215.0
expiry = 2026-03-20
quantity = 10
entry_price = 4.25
notes = "the hedge"

[[legs]]
id = "short-put"
instrument = "option"
underlying = "IWM"
kind = "put"
strike = 200
expiry = 2026-03-20
quantity = -10
entry_price = 1.10

[[legs]]
id = "tza"
instrument = "letf"
symbol = "TZA"
quantity = 300
entry_price = 10.5

[[legs]]
id = "stock"
instrument = "shares"
symbol = "IWM"
quantity = 1000
entry_price = 228.5
"""


def write(tmp_path: Path, text: str, name: str = "pos.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads_with_product_defaults(tmp_path: Path) -> None:
    position = load_position_file(write(tmp_path, GOOD))
    assert position.name == "IWM put spread"
    assert [leg.id for leg in position.legs] == ["long-put", "short-put", "tza", "stock"]
    legs = position_legs(position)
    put = legs[0].contract
    assert put is not None
    assert put.style is ExerciseStyle.AMERICAN and put.multiplier == 100.0
    assert legs[1].quantity == -10 and legs[1].strike == 200.0  # an integer strike is a number
    tza = legs[2].instrument
    assert tza == TZA  # leverage, index and fees from the known fund
    assert legs[3].instrument == Shares("IWM") and legs[3].entry_price == 228.5


def test_round_trip_save_load(tmp_path: Path) -> None:
    path = tmp_path / "out.toml"
    legs = [
        Leg(iwm_option("put", 215, date(2026, 3, 20)), 10, 4.25, "long put"),
        Leg(rut_option("call", 2400, date(2026, 3, 20)), -2, 31.5, "RUT call"),
        Leg(TZA, 250, 10.1, "tza"),
        Leg(Shares("IWM"), 500, 228.5, "IWM shares"),
    ]
    written = save_position_file(path, position_from_legs("mixed", legs, notes="round trip"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# smallcap-hedge position file")
    assert "expiry = 2026-03-20" in text  # a bare TOML date, human-editable
    loaded = load_position_file(path)
    assert loaded == written
    back = position_legs(loaded)
    assert [leg.instrument for leg in back] == [leg.instrument for leg in legs]
    assert [leg.quantity for leg in back] == [10, -2, 250, 500]
    assert back[1].contract is not None and back[1].contract.settlement is SettlementTime.AM
    assert [leg.leg_id for leg in back] == ["long-put", "RUT-call", "tza", "IWM-shares"]
    assert not list(tmp_path.glob(".*.hedge-tmp-*"))  # no temp file left behind


def test_save_keeps_permissions(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    os.chmod(path, 0o600)
    save_position_file(path, load_position_file(path))
    assert (path.stat().st_mode & 0o777) == 0o600


def _replace_line(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


# (description, mutated text, expected field, expected line)
BAD_CASES = [
    ("nan strike", _replace_line(GOOD, "strike = 215.0", "strike = nan"), "legs[0].strike", 10),
    (
        "inf price",
        _replace_line(GOOD, "entry_price = 1.10", "entry_price = inf"),
        "legs[1].entry_price",
        24,
    ),
    (
        "unknown key",
        _replace_line(GOOD, 'notes = "the hedge"', 'notes = "x"\ncolour = "red"'),
        "legs[0].colour",
        15,
    ),
    (
        "wrong version",
        _replace_line(GOOD, "schema_version = 1", "schema_version = 2"),
        "schema_version",
        1,
    ),
    ("missing version", _replace_line(GOOD, "schema_version = 1\n", ""), "schema_version", None),
    (
        "version as text",
        _replace_line(GOOD, "schema_version = 1", 'schema_version = "1"'),
        "schema_version",
        1,
    ),
    ("duplicate ids", _replace_line(GOOD, 'id = "short-put"', 'id = "long-put"'), "legs[1].id", 17),
    (
        "strike as text",
        _replace_line(GOOD, "strike = 215.0", 'strike = "215"'),
        "legs[0].strike",
        10,
    ),
    (
        "float quantity",
        _replace_line(GOOD, "quantity = 10\n", "quantity = 10.0\n"),
        "legs[0].quantity",
        12,
    ),
    (
        "bool quantity",
        _replace_line(GOOD, "quantity = 1000", "quantity = true"),
        "legs[3].quantity",
        37,
    ),
    (
        "zero quantity",
        _replace_line(GOOD, "quantity = 300", "quantity = 0"),
        "legs[2].quantity",
        30,
    ),
    ("negative strike", _replace_line(GOOD, "strike = 200", "strike = -200"), "legs[1].strike", 21),
    (
        "expiry as text",
        _replace_line(
            GOOD, "expiry = 2026-03-20\nquantity = 10", 'expiry = "2026-03-20"\nquantity = 10'
        ),
        "legs[0].expiry",
        11,
    ),
    (
        "bad instrument",
        _replace_line(GOOD, 'instrument = "shares"', 'instrument = "bond"'),
        "legs[3].instrument",
        35,
    ),
    (
        "unknown etf without leverage",
        _replace_line(GOOD, 'symbol = "TZA"', 'symbol = "SRTY"'),
        "legs[2].leverage",
        26,
    ),
    (
        "missing field",
        _replace_line(GOOD, 'kind = "put"\nstrike = 200\n', "strike = 200\n"),
        "legs[1].kind",
        16,
    ),
    ("toml syntax", _replace_line(GOOD, "strike = 215.0", "strike = 215.0.0"), "<toml>", 10),
]


@pytest.mark.parametrize(
    ("label", "text", "field", "line"), BAD_CASES, ids=[c[0] for c in BAD_CASES]
)
def test_bad_file_names_file_field_line_and_changes_nothing(
    tmp_path: Path, label: str, text: str, field: str, line: int | None
) -> None:
    path = write(tmp_path, text, f"{label.replace(' ', '_')}.toml")
    before = path.read_bytes()
    with pytest.raises(PositionFileError) as info:
        load_position_file(path)
    err = info.value
    fields = [issue.field for issue in err.issues]
    assert field in fields, (label, str(err))
    issue = err.issues[fields.index(field)]
    assert issue.line == line, (label, str(err))
    message = str(err)
    assert str(path) in message and field in message
    if line is not None:
        assert f"{path}:{line}:" in message
    assert path.read_bytes() == before  # reading never rewrites the file
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_two_megabyte_file_is_rejected_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filler = "# " + "x" * 98 + "\n"
    text = GOOD + filler * (2_000_000 // len(filler))
    path = write(tmp_path, text)
    assert path.stat().st_size > 2 * MAX_POSITION_FILE_BYTES - 100

    def no_parse(*_: object, **__: object) -> None:
        raise AssertionError("the TOML parser must not see an oversized file")

    monkeypatch.setattr(pos.tomllib, "loads", no_parse)
    with pytest.raises(PositionFileError) as info:
        load_position_file(path)
    assert info.value.field == "<file>" and str(path) in str(info.value)
    assert "larger than" in str(info.value)


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(GOOD.encode() + b'\nnotes = "\xff"\n')
    with pytest.raises(PositionFileError) as info:
        load_position_file(path)
    assert info.value.line == GOOD.count("\n") + 2


def test_missing_file_is_a_position_error(tmp_path: Path) -> None:
    with pytest.raises(PositionFileError, match="cannot read"):
        load_position_file(tmp_path / "nope.toml")


def test_invalid_model_is_not_saved(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    before = path.read_bytes()
    bad = PositionFile.model_validate(parse_position_text(GOOD).model_dump()).model_dump()
    bad["legs"][0]["strike"] = float("nan")
    with pytest.raises(Exception, match="finite"):
        save_position_file(path, bad)
    assert path.read_bytes() == before


def test_locate_line_handles_tables_and_multiline_strings() -> None:
    text = textwrap.dedent(
        '''\
        schema_version = 1
        notes = """
        [[legs]]
        strike = 1
        """
        name = "x"

        [[legs]]
        id = "a"

        [[legs]]
        id = "b"
        strike = 3
        '''
    )
    assert locate_line(text, ("name",)) == 6
    assert locate_line(text, ("legs", 0, "id")) == 9
    assert locate_line(text, ("legs", 1, "strike")) == 13
    assert locate_line(text, ("legs", 1, "kind")) == 11  # missing key: the table header
    assert locate_line(text, ("nothing",)) is None


# --- crash safety: a real process killed with SIGKILL ------------------------------------------

CHILD = r"""
import os, sys, time
sys.path.insert(0, {repo!r})
from strategies.positions import load_position_file, save_position_file
target, a, b, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
docs = [load_position_file(a), load_position_file(b)]
if mode == "stall":
    real_fsync = os.fsync
    def stalled(fd):
        print("IN_WRITE", flush=True)
        time.sleep(60)
        real_fsync(fd)
    os.fsync = stalled
    save_position_file(target, docs[1])
else:
    print("LOOPING", flush=True)
    i = 0
    while True:
        save_position_file(target, docs[i % 2])
        i += 1
"""


def _big_position(tag: str) -> PositionFile:
    legs = []
    for i in range(400):
        legs.append(
            {
                "id": f"{tag}-{i}",
                "instrument": "option",
                "underlying": "IWM",
                "kind": "put",
                "strike": 150.0 + i * 0.25,
                "expiry": date(2026, 3, 20),
                "quantity": i + 1,
                "entry_price": 1.0 + i / 100,
                "notes": f"{tag} " + "n" * 1500,
            }
        )
    return PositionFile.model_validate({"schema_version": 1, "name": tag, "legs": legs})


@pytest.fixture()
def big_pair(tmp_path: Path) -> tuple[Path, Path, bytes, bytes]:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    save_position_file(a, _big_position("old"))
    save_position_file(b, _big_position("new"))
    assert a.stat().st_size > 500_000
    return a, b, a.read_bytes(), b.read_bytes()


def _spawn(script_dir: Path, target: Path, a: Path, b: Path, mode: str) -> subprocess.Popen[str]:
    script = script_dir / "child.py"
    script.write_text(CHILD.format(repo=str(REPO)), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), str(target), str(a), str(b), mode],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(script_dir),
    )


def test_sigkill_mid_write_leaves_old_file_whole(
    tmp_path: Path, big_pair: tuple[Path, Path, bytes, bytes]
) -> None:
    a, b, old, _ = big_pair
    work = tmp_path / "work"
    work.mkdir()
    target = work / "pos.toml"
    target.write_bytes(old)
    child = _spawn(tmp_path, target, a, b, "stall")
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "IN_WRITE"
        leftovers = list(work.glob(".pos.toml.hedge-tmp-*"))
        assert len(leftovers) == 1 and leftovers[0].stat().st_size > 500_000  # new data written
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        assert child.stdout is not None
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    assert load_position_file(target).name == "old"


def test_sigkill_during_save_loop_leaves_old_or_new(
    tmp_path: Path, big_pair: tuple[Path, Path, bytes, bytes]
) -> None:
    a, b, old, new = big_pair
    work = tmp_path / "work"
    work.mkdir()
    target = work / "pos.toml"
    seen = set()
    for delay in (0.02, 0.15, 0.4):
        target.write_bytes(old)
        child = _spawn(tmp_path, target, a, b, "loop")
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "LOOPING"
            time.sleep(delay)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=30)
            assert child.stdout is not None
            child.stdout.close()
        content = target.read_bytes()
        assert content in (old, new)
        seen.add(load_position_file(target).name)
    assert seen <= {"old", "new"}
    # the temp files of the killed saves go with the next save (their writers are dead)
    time.sleep(1.1)
    save_position_file(target, load_position_file(a))
    assert list(work.glob(".pos.toml.hedge-tmp-*")) == []


def test_the_documented_example_is_a_valid_file() -> None:
    doc = pos.__doc__ or ""
    block = doc.split("looks like this (``schema_version = 1``; dates are bare TOML dates)::", 1)[1]
    block = block.split("\nReading", 1)[0]
    text = textwrap.dedent(block).strip() + "\n"
    position = parse_position_text(text, path="docstring")
    assert [leg.id for leg in position.legs] == ["long-put", "tza", "stock"]
    assert position_legs(position)[1].instrument == TZA
