"""Every output flag (``strategy --save``, ``payoff --png``, ``price/iv --output``) refuses
devices, FIFOs, symlinks, folders and foreign files (unless ``--force``), never creates missing
folders, exits 3 with one ``error:`` line, and leaves the old file byte for byte on a full disk.
A FIFO as ``--file`` or ``--input`` is refused at once instead of hanging."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketdata import files
from tui.cli import app
from tui.errors import EXIT_USAGE, EXIT_WRITE

runner = CliRunner()

PRICE_CSV = (
    "kind,style,spot,strike,t_years,rate,div_yield,vol\ncall,european,100,100,0.5,0.04,0.01,0.2\n"
)
IV_CSV = (
    "kind,style,spot,strike,t_years,rate,div_yield,price\ncall,european,100,100,0.5,0.04,0.01,6.0\n"
)


def _price_args(tmp: Path, out: Path) -> list[str]:
    src = tmp / "in.csv"
    src.write_text(PRICE_CSV)
    return ["price", "--input", str(src), "--output", str(out)]


def _iv_args(tmp: Path, out: Path) -> list[str]:
    src = tmp / "in_iv.csv"
    src.write_text(IV_CSV)
    return ["iv", "--input", str(src), "--output", str(out)]


def _save_args(tmp: Path, out: Path) -> list[str]:
    return ["strategy", "--template", "put-spread", "--source", "demo", "--save", str(out)]


def _png_args(tmp: Path, out: Path) -> list[str]:
    return ["payoff", "--template", "put-spread", "--source", "demo", "--png", str(out)]


FLAGS: dict[str, Callable[[Path, Path], list[str]]] = {
    "price --output": _price_args,
    "iv --output": _iv_args,
    "strategy --save": _save_args,
    "payoff --png": _png_args,
}


def _refused(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == EXIT_WRITE, result.output
    assert "error: cannot write" in result.stderr
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize("flag", list(FLAGS))
def test_device_refused_and_intact(flag: str, tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    err = _refused([*FLAGS[flag](tmp_path, Path("/dev/null")), "--force"])
    assert "character device" in err
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


@pytest.mark.parametrize("flag", list(FLAGS))
def test_fifo_refused(flag: str, tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    assert "FIFO" in _refused([*FLAGS[flag](tmp_path, fifo), "--force"])
    assert fifo.is_fifo()


@pytest.mark.parametrize("flag", list(FLAGS))
def test_symlink_refused(flag: str, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "out.link"
    link.symlink_to(victim)
    assert "symbolic link" in _refused([*FLAGS[flag](tmp_path, link), "--force"])
    assert victim.read_text() == "keep me\n" and link.is_symlink()


@pytest.mark.parametrize("flag", list(FLAGS))
def test_directory_and_missing_folder_refused(flag: str, tmp_path: Path) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    assert "directory" in _refused([*FLAGS[flag](tmp_path, folder), "--force"])
    assert "does not exist" in _refused(FLAGS[flag](tmp_path, tmp_path / "missing" / "out"))
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("flag", list(FLAGS))
def test_foreign_file_needs_force(flag: str, tmp_path: Path) -> None:
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes, not a tool output\n")
    assert "--force" in _refused(FLAGS[flag](tmp_path, foreign))
    assert foreign.read_text() == "my notes, not a tool output\n"


@pytest.mark.parametrize("flag", ["price --output", "strategy --save", "payoff --png"])
def test_force_replaces_foreign_and_own_kind_replaced_without_force(
    flag: str, tmp_path: Path
) -> None:
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes\n")
    forced = runner.invoke(app, [*FLAGS[flag](tmp_path, foreign), "--force"])
    assert forced.exit_code == 0, forced.output
    first = foreign.read_bytes()
    assert first != b"my notes\n"
    again = runner.invoke(app, FLAGS[flag](tmp_path, foreign))  # now it is ours: no --force needed
    assert again.exit_code == 0, again.output
    assert not [p for p in tmp_path.iterdir() if ".hedge-tmp-" in p.name]


OLD_OF_KIND = {
    "price --output": b"kind,status\n" + b"call,ok\n" * 1000,
    "strategy --save": b"# smallcap-hedge position file\nschema_version = 1\n" + b"# old\n" * 500,
    "payoff --png": b"\x89PNG\r\n\x1a\n smallcap-hedge " + b"\0" * 5000,
}


@pytest.mark.parametrize("flag", list(OLD_OF_KIND))
def test_full_disk_keeps_the_old_file_byte_for_byte(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.file"
    old = OLD_OF_KIND[flag]
    out.write_bytes(old)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    err = _refused(FLAGS[flag](tmp_path, out))
    assert "disk is full" in err
    assert out.read_bytes() == old
    assert not [p for p in tmp_path.iterdir() if ".hedge-tmp-" in p.name]


def test_fifo_as_position_file_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pos.toml"
    os.mkfifo(fifo)
    result = runner.invoke(app, ["strategy", "--file", str(fifo), "--source", "demo"])
    assert result.exit_code == EXIT_USAGE
    assert "FIFO" in result.stderr


def test_fifo_as_price_input_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    result = runner.invoke(app, ["price", "--input", str(fifo)])
    assert result.exit_code == EXIT_USAGE
    assert "FIFO" in result.stderr
