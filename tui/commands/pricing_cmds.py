"""``hedge price`` and ``hedge iv``: batch pricing and implied vol of CSV rows, for scripts and CI.

Input and output are CSV (or JSON output); ``-`` means standard input/output. Exit codes: 0 all
rows ok, 1 some rows failed (each failed row says why in ``status``), 2 the input could not be read.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer

FORMATS = ("csv", "json")


def _read_rows(source: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {source}: {exc.strerror}", param_hint="--input") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise typer.BadParameter(f"{source}: no header row", param_hint="--input")
    header = [h.strip() for h in reader.fieldnames]
    rows = [
        {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for row in reader
    ]
    return header, rows


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return value


def _write(rows: list[dict[str, Any]], columns: Sequence[str], target: str, fmt: str) -> None:
    if fmt == "json":
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        text = json.dumps([{c: clean(r.get(c)) for c in columns} for r in rows], indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _cell(row.get(c, "")) for c in columns})
        text = buffer.getvalue()
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text, encoding="utf-8")


def _run(
    batch: Callable[..., list[dict[str, Any]]],
    added: Sequence[str],
    input_path: str,
    output: str,
    fmt: str,
    engine: str,
) -> None:
    from pricing.errors import InputError

    if fmt not in FORMATS:
        raise typer.BadParameter(f"format={fmt!r}: must be csv or json", param_hint="--format")
    header, rows = _read_rows(input_path)
    try:
        results = batch(rows, engine=engine)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine") from None
    columns = [c for c in header if c not in added] + list(added)
    _write(results, columns, output, fmt)
    failed = sum(1 for r in results if r.get("status") != "ok")
    if failed:
        typer.echo(f"{failed} of {len(results)} rows failed; see the status column", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``price`` and ``iv`` to ``app``."""

    @app.command("price")
    def price(
        input_path: str = typer.Option(..., "--input", "-i", help="CSV file, or - for stdin."),
        output: str = typer.Option("-", "--output", "-o", help="Output file, or - for stdout."),
        fmt: str = typer.Option("csv", "--format", "-f", help="csv or json."),
        engine: str = typer.Option("default", "--engine", help="American engine: default, fd, qdfp, baw, bjs."),
    ) -> None:
        """Price CSV option rows and add price, Greeks per share and a status per row.

        Columns: kind, style, spot, strike, t_years, rate, div_yield, vol, optional dividends
        ("t_years:amount;..."). Greeks: delta and gamma per 1.00 of spot, vega per vol point,
        theta per calendar day, rho per 1 % rate, vanna, volga, charm. Exit 1 if any row failed.
        """
        from pricing.batch import PRICE_OUTPUT_COLUMNS, price_rows

        _run(price_rows, PRICE_OUTPUT_COLUMNS, input_path, output, fmt, engine)

    @app.command("iv")
    def iv(
        input_path: str = typer.Option(..., "--input", "-i", help="CSV file, or - for stdin."),
        output: str = typer.Option("-", "--output", "-o", help="Output file, or - for stdout."),
        fmt: str = typer.Option("csv", "--format", "-f", help="csv or json."),
        engine: str = typer.Option("default", "--engine", help="American engine: default, fd, ..."),
    ) -> None:
        """Solve the implied vol of CSV quote rows; add iv and a status per row.

        Columns: kind, style, spot, strike, t_years, rate, div_yield, price, optional dividends.
        iv is decimal and empty where none exists; status says why (below_intrinsic, ...).
        """
        from pricing.batch import IV_OUTPUT_COLUMNS, iv_rows

        _run(iv_rows, IV_OUTPUT_COLUMNS, input_path, output, fmt, engine)
