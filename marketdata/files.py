"""Safe output files: every file the tool writes goes through :func:`atomic_output`.

The rules (one place, used by position files, ``--png``, ``--output``, chain CSV exports and the
app's exports):

- **Atomic, beside the target.** The content goes to a temporary file in the target's own folder
  (``.<name>.hedge-tmp-<pid>-<random>``), is flushed and fsynced, then moved over the target with
  :func:`os.replace`, and the folder is fsynced. A crash, a full disk or a kill leaves either the
  old file byte for byte or the new one, never a mix.
- **Regular files only.** A target that exists and is not a regular file (a device such as
  ``/dev/null``, a FIFO, a socket, a directory) is refused: replacing it would destroy it.
- **No symlinks.** A target whose last path component is a symbolic link is refused, whatever it
  points to (so a write never follows a link out of the folder the user named, and never replaces
  the link with a file either). Folders on the way to the target are the user's own layout and
  are used as they resolve. Refusing is simpler to reason about than resolving "only inside".
- **Own kind, or --force.** An existing regular file is replaced only when it is of the kind
  being written (see :class:`OutputKind`: each kind recognises its own files by their first
  bytes) or is empty; anything else needs ``force=True`` (the verbs' ``--force``).
- **Folders are not created.** A missing folder is an error naming it (a typo in a path should
  not grow a directory tree).
- **Temp files never stay.** The temp file is removed on every exit path (exceptions, Ctrl-C);
  temp files left by a killed run (``kill -9``) are removed by the next write into that folder:
  a temp file is stale when the process that made it is gone (its pid is in the name) or it is
  older than :data:`STALE_AFTER_S` whatever its pid says.

Every failure is an :class:`OutputFileError` naming the path and the reason in words.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: A temp file whose owning process is still alive is removed anyway after this long (seconds).
STALE_AFTER_S = 24 * 3600.0
#: Temp files younger than this (seconds) are never touched, whatever their pid says (a pid
#: namespace we cannot see may own them).
MIN_STALE_AGE_S = 1.0
_TEMP_MARK = ".hedge-tmp-"
_TEMP_RE = re.compile(r"^\..+\.hedge-tmp-(\d+)-[0-9a-f]+$")
#: Bytes read from an existing file to decide whether it is of our kind.
SNIFF_BYTES = 65_536


class FileRefusedError(Exception):
    """A file could not be used safely; ``path`` is the file, ``reason`` says why in words."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class InputFileError(FileRefusedError):
    """An input file is missing, unreadable or not a regular file (a FIFO would hang a read)."""


class OutputFileError(FileRefusedError):
    """A file could not be written safely (refused target, full disk, permission denied...).

    ``needs_force`` is True when ``--force`` would allow the write (a foreign regular file).
    """

    def __init__(self, path: str | Path, reason: str, *, needs_force: bool = False) -> None:
        super().__init__(path, reason)
        self.needs_force = needs_force


@dataclass(frozen=True, slots=True)
class OutputKind:
    """A kind of file the tool writes: a ``name`` for messages and ``is_own(head)``, which says
    whether the first bytes of an existing file (up to :data:`SNIFF_BYTES`) show a file of this
    kind (which may then be replaced without ``--force``)."""

    name: str
    is_own: Callable[[bytes], bool]


def _position_head(head: bytes) -> bool:
    if head.startswith(b"# smallcap-hedge position file"):
        return True
    # A hand-written position file: a TOML document with a top-level schema_version key.
    return re.search(rb"(?m)^\s*schema_version\s*=", head) is not None


def _png_head(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n") and PNG_SOFTWARE.encode("latin-1") in head


def _csv_with_columns(*columns: str) -> Callable[[bytes], bool]:
    def check(head: bytes) -> bool:
        first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip()
        cells = {c.strip() for c in first.split(",")}
        return all(c in cells for c in columns)

    return check


def _json_rows_with(key: str) -> Callable[[bytes], bool]:
    def check(head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace").lstrip()
        return text.startswith("[") and (text.rstrip() == "[]" or f'"{key}":' in text)

    return check


#: The ``Software`` text chunk written into every PNG of ours (and how we recognise one).
PNG_SOFTWARE = "smallcap-hedge"

POSITION_FILE = OutputKind("position file", _position_head)
PNG_CHART = OutputKind("smallcap-hedge PNG chart", _png_head)
#: ``hedge price`` / ``hedge iv`` output: CSV with a ``status`` column, or JSON rows with one.
BATCH_CSV = OutputKind("hedge price/iv CSV output", _csv_with_columns("status"))
BATCH_JSON = OutputKind("hedge price/iv JSON output", _json_rows_with("status"))
#: A chain CSV as :func:`marketdata.sources.csv_import.write_chain_csv` writes it.
CHAIN_CSV = OutputKind("chain CSV", lambda head: head.startswith(b"# symbol: "))
#: The app's SVG screenshot (``hedge --screenshot``): an SVG that starts with this comment.
SVG_SCREENSHOT_SIGNATURE = "<!-- smallcap-hedge screenshot -->"
SVG_SCREENSHOT = OutputKind(
    "smallcap-hedge SVG screenshot",
    lambda head: head.startswith(SVG_SCREENSHOT_SIGNATURE.encode()),
)
#: A smallcap-hedge export (the app's CSV/JSON exports): starts with this signature line/key.
EXPORT_SIGNATURE = "smallcap-hedge export"
EXPORT = OutputKind(
    "smallcap-hedge export",
    lambda head: head.lstrip()[:200].find(EXPORT_SIGNATURE.encode()) >= 0,
)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True
    return True


def cleanup_stale_temps(directory: str | Path, *, now_s: float | None = None) -> list[Path]:
    """Remove temp files of killed writes from ``directory`` (see the module docstring); returns
    the paths removed. ``now_s`` is the wall clock in epoch seconds (default: :func:`time.time`).
    Never raises: a folder that cannot be listed is left alone."""
    folder = Path(directory)
    now = time.time() if now_s is None else now_s
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        age = now - info.st_mtime
        if age < MIN_STALE_AGE_S:
            continue
        if _pid_alive(int(match.group(1))) and age < STALE_AFTER_S:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _describe_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return (exc.strerror or str(exc)).lower()


def check_output_target(path: str | Path, kind: OutputKind, *, force: bool = False) -> Path:
    """Check that ``path`` may be written as ``kind`` (see the module docstring) before any work
    is done; returns the path. Raises :class:`OutputFileError` naming the reason."""
    target = Path(path)
    if str(path) == "" or target.name in ("", ".", ".."):
        raise OutputFileError(path, "is not a file name")
    folder = target.parent
    try:
        folder_info = os.stat(folder)
    except FileNotFoundError:
        raise OutputFileError(path, f"the folder {folder} does not exist") from None
    except OSError as exc:
        raise OutputFileError(path, f"cannot use the folder {folder}: {_reason(exc)}") from None
    if not stat.S_ISDIR(folder_info.st_mode):
        raise OutputFileError(path, f"{folder} is not a folder")
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise OutputFileError(path, f"cannot inspect the file: {_reason(exc)}") from None
    if stat.S_ISLNK(info.st_mode):
        raise OutputFileError(
            path, "is a symbolic link; refusing to write through or replace it (give the real path)"
        )
    if not stat.S_ISREG(info.st_mode):
        raise OutputFileError(
            path, f"is {_describe_mode(info.st_mode)}, not a regular file; refusing to replace it"
        )
    if force or info.st_size == 0:
        return target
    try:
        fd = os.open(
            target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
        try:
            head = os.read(fd, SNIFF_BYTES)
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputFileError(
            path, f"cannot read the existing file to check it: {_reason(exc)}"
        ) from None
    if not kind.is_own(head):
        raise OutputFileError(
            path,
            f"exists and is not a {kind.name}; refusing to replace it (use --force to replace it)",
            needs_force=True,
        )
    return target


def _fsync_directory(directory: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _new_file_mode(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o644 & ~umask


@contextlib.contextmanager
def _atomic(path: str | Path, kind: OutputKind, *, force: bool, binary: bool) -> Iterator[IO[Any]]:
    target = check_output_target(path, kind, force=force)
    folder = target.parent
    cleanup_stale_temps(folder)
    mode = _new_file_mode(target)
    tmp = folder / f".{target.name}{_TEMP_MARK}{os.getpid()}-{secrets.token_hex(6)}"
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
    except OSError as exc:
        raise OutputFileError(path, f"cannot create a file in {folder}: {_reason(exc)}") from None
    try:
        handle: IO[Any] = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        )
        with handle:
            try:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as exc:
                raise OutputFileError(
                    path, f"cannot write: {_reason(exc)}; the old file is unchanged"
                ) from None
        try:
            os.chmod(tmp, mode)
            # Re-check just before the rename: the target may have changed while we wrote.
            check_output_target(target, kind, force=force)
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputFileError(path, f"cannot replace the file: {_reason(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(folder)


@contextlib.contextmanager
def atomic_output(path: str | Path, kind: OutputKind, *, force: bool = False) -> Iterator[IO[str]]:
    """Open a temp file beside ``path`` for writing text (UTF-8, no newline translation); on a
    clean exit of the ``with`` block it is fsynced and moved over ``path``; on any exception it
    is removed and ``path`` is untouched. Raises :class:`OutputFileError` (target refused, or an
    OS error while writing: disk full, permission denied...); other exceptions of the block pass
    through unchanged. The target keeps its permissions; a new file gets 0644 less the umask."""
    with _atomic(path, kind, force=force, binary=False) as handle:
        yield handle


@contextlib.contextmanager
def atomic_output_bytes(
    path: str | Path, kind: OutputKind, *, force: bool = False
) -> Iterator[IO[bytes]]:
    """:func:`atomic_output` for bytes."""
    with _atomic(path, kind, force=force, binary=True) as handle:
        yield handle


def atomic_write_bytes(
    path: str | Path, data: bytes, kind: OutputKind, *, force: bool = False
) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_output`; returns the path."""
    with atomic_output_bytes(path, kind, force=force) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(
    path: str | Path, text: str, kind: OutputKind, *, force: bool = False
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_output`; returns the path."""
    with atomic_output(path, kind, force=force) as handle:
        handle.write(text)
    return Path(path)


def check_input_file(path: str | Path) -> Path:
    """``path`` if it is a regular file that can be opened without blocking; raises
    :class:`InputFileError` (reason in words) for a missing file, a FIFO, a device or a folder,
    so that reading never hangs on a named pipe."""
    target = Path(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        raise InputFileError(path, "cannot read: no such file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {_reason(exc)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(
            path,
            f"is {_describe_mode(info.st_mode)}, not a regular file; cannot read: refusing to read it (only regular files are read)",
        )
    return target
