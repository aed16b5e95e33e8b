"""``hedge price`` and ``hedge iv``: batch pricing and implied vol of CSV rows, for scripts and CI.

Input and output are CSV (or JSON output); ``-`` means standard input/output. The input is read
and priced in chunks of :data:`CHUNK_ROWS` rows and each chunk is written as soon as it is done,
so memory stays constant whatever the number of rows. ``--output FILE`` is written through
:mod:`marketdata.files` (atomic; refuses devices, FIFOs, folders, symlinks; replaces a file that
is not a price/iv output only with ``--force``). Exit codes (:mod:`tui.errors`): 0 all rows ok,
1 some rows failed (each failed row says why in ``status``), 2 bad options or the input could not
be read, 3 the output could not be written (the old file is then unchanged).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import IO, Any

import typer

from tui.errors import EXIT_DATA, HedgeError

FORMATS = ("csv", "json")
#: Rows priced per chunk: memory stays constant whatever the input size.
CHUNK_ROWS = 10_000


def _open_input(source: str, stack: ExitStack) -> IO[str]:
    if source == "-":
        return sys.stdin
    from marketdata.files import InputFileError, check_input_file

    try:
        check_input_file(source)
        return stack.enter_context(open(source, encoding="utf-8-sig", newline=""))
    except InputFileError as exc:
        raise HedgeError(
            f"--input: {exc.path}: {exc.reason} (give - to read standard input)"
        ) from None
    except OSError as exc:
        raise HedgeError(
            f"--input: cannot read {source}: {(exc.strerror or str(exc)).lower()}"
        ) from None


def _read_chunks(handle: IO[str], source: str) -> tuple[list[str], Iterator[list[dict[str, str]]]]:
    """``(header, chunks of rows)``: the rows are read lazily, :data:`CHUNK_ROWS` at a time."""
    reader = csv.DictReader(handle)
    try:
        fieldnames = reader.fieldnames
    except (UnicodeDecodeError, csv.Error) as exc:
        raise HedgeError(f"--input: {source}: cannot read the header row: {exc}") from None
    if not fieldnames:
        raise HedgeError(f"--input: {source}: no header row")
    header = [h.strip() for h in fieldnames]

    def chunks() -> Iterator[list[dict[str, str]]]:
        rows = iter(reader)
        while True:
            try:
                chunk = [
                    {k.strip(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
                    for row in itertools.islice(rows, CHUNK_ROWS)
                ]
            except (UnicodeDecodeError, csv.Error) as exc:
                raise HedgeError(
                    f"--input: {source}: cannot read line {reader.line_num}: {exc}"
                ) from None
            if not chunk:
                return
            yield chunk

    return header, chunks()


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return value


class _Writer:
    """Writes result rows as they come: CSV (header first) or a JSON array of objects laid out
    exactly as ``json.dumps(rows, indent=2)`` would."""

    def __init__(self, handle: IO[str], columns: Sequence[str], fmt: str) -> None:
        self.handle, self.columns, self.fmt, self.count = handle, list(columns), fmt, 0
        if fmt == "csv":
            self.csv = csv.DictWriter(
                handle, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n"
            )
            self.csv.writeheader()

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        if self.fmt == "csv":
            for row in rows:
                self.csv.writerow({c: _cell(row.get(c, "")) for c in self.columns})
        else:
            for row in rows:
                clean = {
                    c: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for c in self.columns
                    for v in (row.get(c),)
                }
                body = json.dumps(clean, indent=2).replace("\n", "\n  ")
                self.handle.write(("[\n  " if self.count == 0 else ",\n  ") + body)
                self.count += 1
        self.handle.flush() if self.handle is sys.stdout else None

    def close(self) -> None:
        if self.fmt == "json":
            self.handle.write("[]\n" if self.count == 0 else "\n]\n")


def _run(
    batch: Callable[..., list[dict[str, Any]]],
    added: Sequence[str],
    input_path: str,
    output: str,
    fmt: str,
    engine: str,
    force: bool,
) -> None:
    from marketdata.files import BATCH_CSV, BATCH_JSON, atomic_output, check_output_target
    from pricing.batch import ENGINES

    if fmt not in FORMATS:
        raise HedgeError(f"--format: {fmt} is not a format; choose csv or json")
    if engine not in ENGINES:
        raise HedgeError(f"--engine: {engine} is not an engine; choose one of {', '.join(ENGINES)}")
    kind = BATCH_JSON if fmt == "json" else BATCH_CSV
    if output != "-":
        check_output_target(output, kind, force=force)  # fail before reading anything
    total = failed = 0
    with ExitStack() as stack:
        handle = _open_input(input_path, stack)
        header, chunks = _read_chunks(handle, input_path)
        columns = [c for c in header if c not in added] + list(added)
        sink: IO[str] = (
            sys.stdout
            if output == "-"
            else stack.enter_context(atomic_output(output, kind, force=force))
        )
        writer = _Writer(sink, columns, fmt)
        for chunk in chunks:
            results = batch(chunk, engine=engine)
            writer.write(results)
            total += len(results)
            failed += sum(1 for r in results if r.get("status") != "ok")
        writer.close()
    if failed:
        typer.echo(f"{failed} of {total} rows failed; see the status column", err=True)
        raise typer.Exit(EXIT_DATA)


def register(app: typer.Typer) -> None:
    """Add ``price`` and ``iv`` to ``app``."""

    @app.command("price")
    def price(
        input_path: str = typer.Option(..., "--input", "-i", help="CSV file, or - for stdin."),
        output: str = typer.Option("-", "--output", "-o", help="Output file, or - for stdout."),
        fmt: str = typer.Option("csv", "--format", "-f", help="csv or json."),
        engine: str = typer.Option(
            "default", "--engine", help="American engine: default, fd, qdfp, baw, bjs."
        ),
        force: bool = typer.Option(
            False,
            "--force",
            help="Replace an existing --output that is not a hedge price/iv output.",
        ),
    ) -> None:
        """Price CSV option rows and add price, Greeks per share and a status per row.

        Columns: kind, style, spot, strike, t_years, rate, div_yield, vol, optional dividends
        ("t_years:amount;..."). Greeks: delta and gamma per 1.00 of spot, vega per vol point,
        theta per calendar day, rho per 1 % rate, vanna, volga, charm. Exit 1 if any row failed.
        """
        from pricing.batch import PRICE_OUTPUT_COLUMNS, price_rows

        _run(price_rows, PRICE_OUTPUT_COLUMNS, input_path, output, fmt, engine, force)

    @app.command("iv")
    def iv(
        input_path: str = typer.Option(..., "--input", "-i", help="CSV file, or - for stdin."),
        output: str = typer.Option("-", "--output", "-o", help="Output file, or - for stdout."),
        fmt: str = typer.Option("csv", "--format", "-f", help="csv or json."),
        engine: str = typer.Option("default", "--engine", help="American engine: default, fd, ..."),
        force: bool = typer.Option(
            False,
            "--force",
            help="Replace an existing --output that is not a hedge price/iv output.",
        ),
    ) -> None:
        """Solve the implied vol of CSV quote rows; add iv and a status per row.

        Columns: kind, style, spot, strike, t_years, rate, div_yield, price, optional dividends.
        iv is decimal and empty where none exists; status says why (below_intrinsic, ...).
        """
        from pricing.batch import IV_OUTPUT_COLUMNS, iv_rows

        _run(iv_rows, IV_OUTPUT_COLUMNS, input_path, output, fmt, engine, force)
