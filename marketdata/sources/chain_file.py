"""Read a recorded chain file whatever its layout, told apart by its content (never its name):

- Cboe's delayed-quotes download ``quotedata.csv`` (:mod:`marketdata.sources.cboe`);
- a yfinance dump, ``Ticker.option_chain(...).calls`` / ``.puts`` written with ``to_csv``
  (columns ``contractSymbol,lastTradeDate,strike,lastPrice,bid,ask,...``; expiry and kind come
  from the OCC contract symbol), calls and puts in one file or as a pair of files given as
  ``calls.csv,puts.csv``; a ``spot`` (or ``underlyingPrice``), ``quote_time`` and ``rate``
  column is read when present;
- the project's chain CSV (:mod:`marketdata.sources.csv_import`), of which the yfinance dump is a
  special case (its column names are accepted as aliases).

Command-line values (:class:`marketdata.sources.overrides.ChainOverrides`) override the file's.
"""

from __future__ import annotations

from pathlib import Path

from marketdata.errors import SchemaError
from marketdata.snapshot import MarketSnapshot
from marketdata.sources.cboe import is_cboe_quotedata, read_cboe_quotedata
from marketdata.sources.csv_import import _read_lines, read_chain_lines
from marketdata.sources.overrides import ChainOverrides


def split_paths(source: str) -> list[Path] | None:
    """The file(s) a ``--source`` names: one existing file, or ``a.csv,b.csv`` when each part is
    an existing file (a calls/puts pair); None when it names no file."""
    whole = Path(source.strip()).expanduser()
    if whole.is_file():
        return [whole]
    parts = [Path(p.strip()).expanduser() for p in source.split(",") if p.strip()]
    if len(parts) > 1 and all(p.is_file() for p in parts):
        return parts
    return None


def _joined(paths: list[Path]) -> tuple[list[str], list[int] | None]:
    """The lines of several same-layout files as one file (the header row kept once); the
    original line numbers are lost only for the second file's messages, which name it."""
    first = _read_lines(paths[0])
    body_start = next(
        (i for i, line in enumerate(first) if line.strip() and not line.lstrip().startswith("#")),
        len(first),
    )
    header = first[body_start].strip() if body_start < len(first) else ""
    out = list(first)
    for other in paths[1:]:
        lines = _read_lines(other)
        start = next(
            (
                i
                for i, line in enumerate(lines)
                if line.strip() and not line.lstrip().startswith("#")
            ),
            len(lines),
        )
        if start >= len(lines) or lines[start].strip() != header:
            raise SchemaError(
                f"{other}: its header row differs from {paths[0]}'s; a calls/puts pair must have "
                "the same columns"
            )
        if any(line.lstrip().startswith("#") for line in lines[:start]):
            raise SchemaError(
                f"{other}: '#' lines belong in the first file of a pair ({paths[0]}) only"
            )
        tail = lines[start + 1 :]
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.extend(tail)
    return out, None


def read_chain_file(
    paths: list[Path], *, symbol: str | None = None, overrides: ChainOverrides | None = None
) -> MarketSnapshot:
    """Read the chain in ``paths`` (one file, or a calls/puts pair of the same layout), its
    format detected from its content (module docstring), with ``overrides`` applied. Raises
    :class:`SchemaError` / :class:`~marketdata.errors.NoDataError` naming the file."""
    if len(paths) == 1:
        lines = _read_lines(paths[0])
        if is_cboe_quotedata(lines):
            return read_cboe_quotedata(lines, paths[0], symbol=symbol, overrides=overrides)
        return read_chain_lines(lines, paths[0], symbol=symbol, overrides=overrides)
    for path in paths:
        if is_cboe_quotedata(_read_lines(path)):
            raise SchemaError(f"{path}: a Cboe download holds calls and puts: give it alone")
    lines, _ = _joined(paths)
    snapshot = read_chain_lines(
        lines,
        paths[0],
        symbol=symbol,
        overrides=overrides,
        meta={"csv_files": [str(p) for p in paths]},
    )
    return snapshot
