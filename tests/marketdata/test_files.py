"""Safe output files (:mod:`marketdata.files`): atomic, regular files only, no symlinks, own kind
or --force, old file intact on a full disk, no temp files left behind."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from marketdata import files
from marketdata.files import (
    BATCH_CSV,
    POSITION_FILE,
    InputFileError,
    OutputFileError,
    atomic_output,
    atomic_write_text,
    check_input_file,
    cleanup_stale_temps,
)

ROOT = Path(__file__).resolve().parents[2]


def _temps(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".hedge-tmp-" in p.name]


def test_new_file_written_and_no_temp_left(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    atomic_write_text(target, "a,status\n1,ok\n", BATCH_CSV)
    assert target.read_text() == "a,status\n1,ok\n"
    assert _temps(tmp_path) == []


def test_own_kind_replaced_foreign_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("x,status\n1,ok\n")
    atomic_write_text(target, "a,status\n2,ok\n", BATCH_CSV)
    assert target.read_text() == "a,status\n2,ok\n"
    foreign = tmp_path / "thesis.csv"
    foreign.write_text("my precious data\n")
    with pytest.raises(OutputFileError, match="--force") as info:
        atomic_write_text(foreign, "a,status\n", BATCH_CSV)
    assert info.value.needs_force
    assert foreign.read_text() == "my precious data\n"
    atomic_write_text(foreign, "a,status\n", BATCH_CSV, force=True)
    assert foreign.read_text() == "a,status\n"


def test_empty_file_may_be_replaced(tmp_path: Path) -> None:
    target = tmp_path / "empty.toml"
    target.write_text("")
    atomic_write_text(target, "schema_version = 1\n", POSITION_FILE)
    assert target.read_text() == "schema_version = 1\n"


def test_device_refused_even_with_force_and_left_intact() -> None:
    null = Path("/dev/null")
    before = os.stat(null)
    for force in (False, True):
        with pytest.raises(OutputFileError, match="character device"):
            atomic_write_text(null, "x", POSITION_FILE, force=force)
    after = os.stat(null)
    assert after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
    assert not any(".hedge-tmp-" in n for n in os.listdir("/dev"))


def test_fifo_directory_symlink_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputFileError, match="FIFO"):
        atomic_write_text(fifo, "x", POSITION_FILE, force=True)
    folder = tmp_path / "dir"
    folder.mkdir()
    with pytest.raises(OutputFileError, match="directory"):
        atomic_write_text(folder, "x", POSITION_FILE, force=True)
    outside = tmp_path / "outside.toml"
    outside.write_text("schema_version = 1\n")
    link = tmp_path / "link.toml"
    link.symlink_to(outside)
    with pytest.raises(OutputFileError, match="symbolic link"):
        atomic_write_text(link, "schema_version = 1\nname='x'\n", POSITION_FILE, force=True)
    assert link.is_symlink() and outside.read_text() == "schema_version = 1\n"
    dangling = tmp_path / "dangling.toml"
    dangling.symlink_to(tmp_path / "nowhere" / "x.toml")
    with pytest.raises(OutputFileError, match="symbolic link"):
        atomic_write_text(dangling, "x", POSITION_FILE)
    assert _temps(tmp_path) == []


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match="does not exist"):
        atomic_write_text(tmp_path / "no" / "such" / "x.csv", "x", BATCH_CSV)
    assert not (tmp_path / "no").exists()


def test_injected_enospc_keeps_old_file_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    old = b"a,status\n" + b"1,ok\n" * 5000
    target.write_bytes(old)
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OutputFileError, match="disk is full"):
        atomic_write_text(target, "b,status\n" + "2,ok\n" * 10000, BATCH_CSV)
    monkeypatch.setattr(files.os, "fsync", real_fsync)
    assert target.read_bytes() == old
    assert _temps(tmp_path) == []


def _mount_tiny_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0 or sys.platform != "linux":
        return False
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_real_full_disk_keeps_old_file(tmp_path: Path) -> None:
    mnt = tmp_path / "tiny"
    if not _mount_tiny_tmpfs(mnt):
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        target = mnt / "out.csv"
        old = b"a,status\n" + b"1,ok\n" * 4000  # ~20 kB of 64 kB
        target.write_bytes(old)
        with (
            pytest.raises(OutputFileError, match="disk is full"),
            atomic_output(target, BATCH_CSV) as handle,
        ):
            for _ in range(100):
                handle.write("b,status\n" + "2,ok\n" * 2000)
        assert target.read_bytes() == old
        assert _temps(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_exception_in_block_removes_temp_and_keeps_old(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("a,status\n1,ok\n")
    with pytest.raises(KeyboardInterrupt), atomic_output(target, BATCH_CSV) as handle:
        handle.write("partial")
        raise KeyboardInterrupt
    assert target.read_text() == "a,status\n1,ok\n"
    assert _temps(tmp_path) == []


def test_stale_temp_of_dead_process_removed(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    stale = tmp_path / f".x.csv.hedge-tmp-{pid}-abcdef"
    stale.write_text("junk")
    old = time.time() - 5
    os.utime(stale, (old, old))
    mine = tmp_path / f".y.csv.hedge-tmp-{os.getpid()}-abcdef"
    mine.write_text("in progress")
    os.utime(mine, (old, old))
    removed = cleanup_stale_temps(tmp_path)
    assert removed == [stale]
    assert mine.exists()


_KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from marketdata.files import BATCH_CSV, atomic_output
    target = sys.argv[1]
    print("ready", flush=True)
    while True:
        with atomic_output(target, BATCH_CSV) as handle:
            for i in range(2000):
                handle.write("a,status\\n" + "1,ok\\n" * 200)
    """
)


def test_kill_9_in_a_loop_leaves_no_temp_after_next_run(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("a,status\n0,ok\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILLED_WRITER, str(target)],
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.05 + 0.07 * i)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        text = target.read_text()
        assert text.startswith("a,status\n") and text.endswith("ok\n")  # old or new, never a mix
    time.sleep(files.MIN_STALE_AGE_S + 0.1)
    atomic_write_text(target, "a,status\n9,ok\n", BATCH_CSV)
    assert _temps(tmp_path) == []
    assert target.read_text() == "a,status\n9,ok\n"


def test_input_fifo_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="FIFO"):
        check_input_file(fifo)
    with pytest.raises(InputFileError, match="no such file"):
        check_input_file(tmp_path / "missing.csv")
    with pytest.raises(InputFileError, match="directory"):
        check_input_file(tmp_path)


def test_permissions_kept_on_replace(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("a,status\n")
    target.chmod(0o600)
    atomic_write_text(target, "b,status\n", BATCH_CSV)
    assert (target.stat().st_mode & 0o777) == 0o600
