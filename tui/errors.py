"""One error style and one exit-code table for every ``hedge`` verb.

Exit codes (the README repeats this table):

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     ok
1     some rows or data failed (rows with a status other than ok, no market data, an
      unreachable or empty source, an unlisted expiry in the data)
2     bad input or usage (an option's value, a bad position or CSV file, a refused input file)
3     a file could not be written (refused target, foreign file without ``--force``, missing or
      read-only folder, full disk); the old file, if any, is unchanged
====  ==========================================================================================

Every error is one line on standard error, ``error: <what>: <value in words>: <why>``, followed
by an indented detail only under ``hedge --verbose``. Usage errors found by the option parser get
the same style (see :class:`HedgeGroup`). Messages show values as text, never a Python repr:
:func:`words` formats datetimes as ISO 8601 with their zone.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

try:  # typer >= 0.24 vendors its own click; its exceptions are the ones raised
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer on the click package
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_WRITE = 3
EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_DATA: "some rows or data failed",
    EXIT_USAGE: "bad input or usage",
    EXIT_WRITE: "a file could not be written",
}
#: Longest message line before it is summarised (the rest goes to ``--verbose``).
MAX_LINE = 400

_state = {"verbose": False}


def set_verbose(on: bool) -> None:
    """Show error details (``hedge --verbose``)."""
    _state["verbose"] = on


def is_verbose() -> bool:
    """True under ``hedge --verbose``."""
    return _state["verbose"]


class HedgeError(Exception):
    """An error a verb reports: ``message`` (one line, in words), ``code`` from :data:`EXIT_CODES`,
    and an optional longer ``detail`` shown only under ``--verbose``."""

    def __init__(self, message: str, code: int = EXIT_USAGE, detail: str | None = None) -> None:
        if code not in EXIT_CODES or code == EXIT_OK:
            raise ValueError(f"exit code {code} is not an error code of the table")
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail


def words(value: Any) -> str:
    """``value`` as text for a message: datetimes ISO 8601 with zone, dates ISO, floats with
    ``g``, strings as they are (quoted only when empty or padded)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"' if value == "" or value != value.strip() else value
    if isinstance(value, (list, tuple)):
        return ", ".join(words(v) for v in value)
    return str(value)


def summarise(text: str, limit: int = MAX_LINE) -> tuple[str, str | None]:
    """``(one line, detail or None)``: the first line of ``text`` cut at ``limit`` characters;
    the full text is the detail when anything was cut."""
    flat = " ".join(text.split())
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(first) > limit:
        first = first[: limit - 1].rstrip() + "…"
    return first, (text if first != flat else None)


def emit(message: str, detail: str | None = None) -> None:
    """Print ``error: <first line>`` to standard error, then the message's further lines (each
    problem of a file, say) indented; an over-long first line is cut, and the cut text and any
    upstream ``detail`` are shown only under ``--verbose``."""
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()] or [""]
    first, extra = summarise(lines[0])
    typer.echo(f"error: {first}", err=True)
    for line in lines[1:]:
        typer.echo(f"  {line.strip()}", err=True)
    more = "\n".join(d for d in (extra, detail) if d)
    if more and is_verbose():
        for detail_line in more.strip().splitlines():
            typer.echo(f"  {detail_line}", err=True)
    elif more:
        typer.echo("  (details: hedge --verbose ...)", err=True)


def fail(message: str, code: int = EXIT_USAGE, detail: str | None = None) -> NoReturn:
    """Report an error in the one style and exit with ``code``."""
    emit(message, detail)
    raise typer.Exit(code)


def fail_with(exc: HedgeError) -> NoReturn:
    """:func:`fail` for a :class:`HedgeError`."""
    fail(exc.message, exc.code, exc.detail)


class HedgeGroup(TyperGroup):
    """The ``hedge`` group: runs the verbs and maps every known error to the one style and the
    exit-code table (click usage errors become ``error: ...`` and exit 2, :class:`HedgeError`
    its own code, refused or failed files 2 (input) or 3 (output))."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from marketdata.files import InputFileError, OutputFileError

        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_exceptions.NoArgsIsHelpError as exc:
            typer.echo(exc.format_message(), err=True)
            rv = EXIT_USAGE
        except click_exceptions.UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f" (see: {exc.ctx.command_path} --help)"
            emit(f"{exc.format_message()}{hint}")
            rv = EXIT_USAGE
        except typer.Abort:
            typer.echo("error: interrupted", err=True)
            rv = EXIT_DATA
        except HedgeError as exc:
            emit(exc.message, exc.detail)
            rv = exc.code
        except OutputFileError as exc:
            emit(f"cannot write {exc.path}: {exc.reason}")
            rv = EXIT_WRITE
        except InputFileError as exc:
            emit(f"cannot read {exc.path}: {exc.reason}")
            rv = EXIT_USAGE
        except click_exceptions.ClickException as exc:
            emit(exc.format_message())
            rv = EXIT_USAGE
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def is_file_source(source: str) -> bool:
    """True when ``--source`` names a file (the user's input) rather than demo, yahoo, auto or
    store."""
    return source.strip().lower() not in ("demo", "yahoo", "auto", "store", "")


def source_failure(exc: Exception, *, symbol: str, source: str) -> HedgeError:
    """The one-line :class:`HedgeError` for a failure to load ``symbol`` from ``source``: exit 2
    when the user's own input is at fault (a bad CSV or snapshot file, an invalid value such as a
    rate of 5.0), exit 1 when the data are missing or unreachable; the full upstream text (a curl
    error, say) is the detail shown under ``--verbose``."""
    from marketdata.errors import SchemaError
    from pricing.errors import InputError

    text = str(exc)
    line, _ = summarise(text, limit=160)
    if isinstance(exc, InputError) or (isinstance(exc, SchemaError) and is_file_source(source)):
        return HedgeError(
            f"--source {source}: {line}", EXIT_USAGE, detail=text if line != text else None
        )
    return HedgeError(
        f"no {symbol} data from {source}: {line}", EXIT_DATA, detail=text if line != text else None
    )
