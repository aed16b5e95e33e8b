"""``hedge chain``: one underlying's option chain, cleaned, with parity forwards, implied vols,
deltas and the fitted SVI smile, as a table, CSV or JSON.

Usage::

    hedge chain --symbol IWM --source demo|yahoo|auto|store|FILE [--expiry YYYY-MM-DD]
                [--format table|csv|json] [--store PATH] [--schema]

The snapshot comes from :func:`marketdata.sources.resolve.load_snapshot`; the current time is read
here (the CLI layer) and nowhere below it. ``--format table`` shows one expiry (``--expiry``, or by
default the nearest standard monthly still alive) with calls and puts side by side; ``csv`` and
``json`` cover every expiry unless ``--expiry`` is given. Demo data are labelled SYNTHETIC in
every format: the table caption, a ``# SYNTHETIC ...`` first line and a ``synthetic`` column in
CSV, ``"synthetic": true`` in JSON. Exit codes: 0 ok, 1 no data (source empty, unreachable,
rate-limited, missing expiry), 2 bad arguments.

CSV columns (one row per quote, after one ``#`` comment line saying what the data are):
``symbol, source, synthetic, as_of, expiry, settlement, t_years, forward, rate, strike, kind,
bid, ask, mid, spread, flags, usable, iv, iv_status, delta, in_fit`` (flags ``;``-joined; empty
cells where a value does not exist).

JSON document, schema version 1 (``hedge chain --schema`` prints it as JSON Schema; the pydantic
models in :mod:`tui.commands.chain_schema` validate it). Numbers are JSON numbers; ``null``
where a value does not exist (no quote, no vol, NaN, infinite); unknown fields never appear::

    {
      "schema_version": 1,            # bumped on any incompatible change
      "symbol": "IWM",                # the underlying
      "source": "demo",               # where the snapshot came from (demo, yahoo, store, csv:...)
      "source_description": "...",    # a human sentence about the source and its age
      "synthetic": true,              # true for generated demo data: NOT market prices
      "as_of": "2026-03-02T11:00:00-05:00",   # ISO 8601, tz-aware time of the quotes
      "spot": 221.3,                  # the underlying, price units
      "expiries": [                   # increasing t_years
        {
          "expiry": "2026-03-20",     # expiry date (New York)
          "settlement": "pm",         # "am" (09:30 open) or "pm" (16:00 close)
          "t_years": 0.0493,          # Actual/365 years from as_of to settlement
          "forward": 222.1,           # parity-implied forward, price units (null if expired)
          "dividend_yield": 0.0121,   # all-in continuous yield: F = S exp((r - q) t)
          "extra_yield": 0.0002,      # carry not explained by the cash dividend forecast
          "rate": 0.0431,             # continuous discount rate to the expiry (decimal)
          "forward_method": "parity_deamericanised",  # or "parity", "model"
          "n_pairs": 24,              # call/put pairs used by the parity fit
          "parity_residual": 0.003,   # weighted RMS parity residual, price units per share
          "fit": {                    # null when the expiry was not fitted
            "status": "ok",           # or "too_few_quotes" / "failed"
            "svi": {"a": ..., "b": ..., "rho": ..., "m": ..., "sigma": ...},  # raw SVI, w(k)
            "n_quotes": 60,           # quotes in the fit
            "rmse_vol_points": 0.08,  # fit RMSE, vol points (1.0 = 1 %)
            "max_error_vol_points": 0.3,
            "butterfly_arbitrage": false, "butterfly_min_g": 0.21,
            "calendar_arbitrage": false, "calendar_min_diff": 0.0012   # null for the first
          },
          "quotes": [
            {"strike": 220.0, "kind": "call", "bid": 3.1, "ask": 3.2, "mid": 3.15,
             "flags": [],             # subset of no_quote, crossed, zero_bid, stale, too_wide,
                                      # below_intrinsic
             "usable": true,          # clean enough for fits
             "iv": 0.2210,            # decimal implied vol (null if none; see iv_status)
             "iv_status": "ok",       # ok, no_quote, expired, below_intrinsic, above_ceiling, ...
             "delta": 0.52,           # per 1.00 of spot, per share
             "in_fit": true}          # used by the SVI fit
          ]
        }
      ]
    }
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

    from marketdata.analysis import ChainAnalysis

FORMATS = ("table", "csv", "json")
SYNTHETIC_LABEL = "SYNTHETIC demo data, not market prices"
CSV_COLUMNS = (
    "symbol", "source", "synthetic", "as_of", "expiry", "settlement", "t_years", "forward", "rate",
    "strike", "kind", "bid", "ask", "mid", "spread", "flags", "usable", "iv", "iv_status",
    "delta", "in_fit",
)


def _num(value: Any) -> float | None:
    """A finite float, or None (JSON null) for NaN, infinities and missing values."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def pd_timestamp(value: Any) -> Any:
    """``pandas.Timestamp(value)`` (pandas imported only when a verb runs)."""
    import pandas as pd

    return pd.Timestamp(value)


def _flags(text: Any) -> list[str]:
    return [f for f in str(text or "").split(",") if f]


def default_expiry(analysis_expiries: list[date], as_of_date: date) -> date:
    """The nearest standard monthly (third-Friday rule, holiday-adjusted) on or after
    ``as_of_date`` among ``analysis_expiries``; the nearest expiry when none is a monthly."""
    from marketdata.calendar import monthly_expiry

    live = sorted(e for e in analysis_expiries if e >= as_of_date)
    if not live:
        raise typer.BadParameter("no live expiry in the chain", param_hint="--expiry")
    for e in live:
        if e == monthly_expiry(e.year, e.month):
            return e
    return live[0]


def _expiry_groups(analysis: ChainAnalysis, only: date | None = None
                   ) -> list[tuple[date, str, pd.DataFrame]]:
    """``(expiry, settlement, quotes)`` in increasing time to expiry (only ``only`` if given)."""
    chain = analysis.chain
    groups = []
    for (exp, st), frame in chain.groupby(["expiry", chain["settlement"].astype(str).str.lower()],
                                          sort=False):
        day = pd_timestamp(exp).date()
        if only is None or day == only:
            groups.append((day, str(st), frame))
    groups.sort(key=lambda g: float(g[2]["t_years"].iloc[0]))
    return groups


def build_document(analysis: ChainAnalysis, description: str, expiry: date | None = None
                   ) -> dict[str, Any]:
    """The JSON document (schema version 1, see the module docstring) of an analysis: every
    expiry, or only ``expiry``."""
    from tui.commands.chain_schema import SCHEMA_VERSION

    snap = analysis.snapshot
    fwd = analysis.forwards
    fits = analysis.fits
    expiries = []
    for exp, st, frame in _expiry_groups(analysis, expiry):
        f_row = fwd.loc[(fwd["expiry"] == exp) & (fwd["settlement"] == st)]
        fit_row = fits.loc[(fits["expiry"] == exp) & (fits["settlement"] == st)]
        f = f_row.iloc[0] if len(f_row) else None
        fit = None
        if len(fit_row):
            r = fit_row.iloc[0]
            fit = {
                "status": str(r["status"]),
                "svi": {name: _num(r[f"svi_{name}"]) or 0.0
                        for name in ("a", "b", "rho", "m", "sigma")},
                "n_quotes": int(r["n_quotes"]),
                "rmse_vol_points": _num(r["rmse_vol_points"]),
                "max_error_vol_points": _num(r["max_error_vol_points"]),
                "butterfly_arbitrage": bool(r["butterfly_arbitrage"]),
                "butterfly_min_g": _num(r["butterfly_min_g"]),
                "calendar_arbitrage": bool(r["calendar_arbitrage"]),
                "calendar_min_diff": _num(r["calendar_min_diff"]),
            }
        quotes = [
            {
                "strike": _num(q.strike) or 0.0, "kind": str(q.kind).lower(), "bid": _num(q.bid),
                "ask": _num(q.ask), "mid": _num(q.mid), "flags": _flags(q.flags),
                "usable": bool(q.usable), "iv": _num(q.iv), "iv_status": str(q.iv_status),
                "delta": _num(q.delta), "in_fit": bool(q.in_fit),
            }
            for q in frame.sort_values(["strike", "kind"]).itertuples(index=False)
        ]
        expiries.append({
            "expiry": exp.isoformat(),
            "settlement": st,
            "t_years": _num(frame["t_years"].iloc[0]) or 0.0,
            "forward": None if f is None else _num(f["forward"]),
            "dividend_yield": None if f is None else _num(f["dividend_yield"]),
            "extra_yield": None if f is None else _num(f["extra_yield"]),
            "rate": _num(frame["rate"].iloc[0]),
            "forward_method": None if f is None else str(f["method"]),
            "n_pairs": 0 if f is None else int(f["n_pairs"]),
            "parity_residual": None if f is None else _num(f["residual"]),
            "fit": fit,
            "quotes": quotes,
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "symbol": snap.underlying,
        "source": snap.source,
        "source_description": description,
        "synthetic": bool(snap.synthetic),
        "as_of": snap.as_of.isoformat(),
        "spot": float(snap.spot),
        "expiries": expiries,
    }


def render_csv(analysis: ChainAnalysis, description: str, expiry: date | None = None) -> str:
    """CSV text: one ``#`` comment line (SYNTHETIC for demo data), a header, one row a quote
    (every expiry, or only ``expiry``)."""
    snap = analysis.snapshot
    buffer = io.StringIO()
    label = f"{SYNTHETIC_LABEL}; " if snap.synthetic else ""
    buffer.write(f"# {label}{snap.underlying} from {description}; as of {snap.as_of.isoformat()}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def cell(value: Any) -> str:
        number = _num(value)
        return "" if number is None else repr(number)

    for exp, st, frame in _expiry_groups(analysis, expiry):
        for q in frame.sort_values(["strike", "kind"]).itertuples(index=False):
            writer.writerow([
                snap.underlying, snap.source, str(bool(snap.synthetic)).lower(),
                snap.as_of.isoformat(), exp.isoformat(), st, cell(q.t_years), cell(q.forward),
                cell(q.rate), cell(q.strike), str(q.kind).lower(), cell(q.bid), cell(q.ask),
                cell(q.mid), cell(q.spread), ";".join(_flags(q.flags)),
                str(bool(q.usable)).lower(), cell(q.iv), str(q.iv_status), cell(q.delta),
                str(bool(q.in_fit)).lower(),
            ])
    return buffer.getvalue()


def render_table(analysis: ChainAnalysis, description: str, expiry: date) -> Any:
    """A rich table of one expiry: calls (bid, ask, mid, iv %, delta, flags) | strike | puts."""
    from rich.table import Table

    snap = analysis.snapshot
    frame = analysis.expiry_frame(expiry)
    fwd = analysis.forwards.loc[analysis.forwards["expiry"] == expiry]
    fits = analysis.fits.loc[analysis.fits["expiry"] == expiry]
    parts = [f"{snap.underlying} {expiry.isoformat()}", f"spot {snap.spot:,.2f}"]
    if len(fwd):
        f = fwd.iloc[0]
        parts += [f"forward {f['forward']:,.4f}", f"div yield {100 * f['dividend_yield']:.2f} %",
                  f"rate {100 * f['rate']:.2f} %", f"t {f['t_years']:.4f} y"]
    if len(fits):
        r = fits.iloc[0]
        arb = []
        if bool(r["butterfly_arbitrage"]):
            arb.append("BUTTERFLY ARBITRAGE")
        if bool(r["calendar_arbitrage"]):
            arb.append("CALENDAR ARBITRAGE")
        parts.append(f"SVI rmse {r['rmse_vol_points']:.2f} vol pt " + (", ".join(arb) or "no arbitrage"))
    title = " | ".join(parts)
    caption = f"{description}; as of {snap.as_of.isoformat()}"
    if snap.synthetic:
        caption = f"[bold red]{SYNTHETIC_LABEL.upper()}[/bold red] - {caption}"
        title = f"SYNTHETIC {title}"
    table = Table(title=title, caption=caption, show_lines=False)
    side = ("bid", "ask", "mid", "iv %", "delta", "flags")
    for name in side:
        table.add_column(f"C {name}", justify="right" if name != "flags" else "left")
    table.add_column("strike", justify="center", style="bold")
    for name in side:
        table.add_column(f"P {name}", justify="right" if name != "flags" else "left")

    def cells(row: Any) -> list[str]:
        if row is None:
            return [""] * len(side)

        def fmt(x: Any, spec: str) -> str:
            v = _num(x)
            return "" if v is None else format(v, spec)

        iv = _num(row["iv"])
        return [fmt(row["bid"], ".2f"), fmt(row["ask"], ".2f"), fmt(row["mid"], ".3f"),
                "" if iv is None else f"{100 * iv:.2f}", fmt(row["delta"], ".3f"),
                ",".join(_flags(row["flags"])) or ("" if iv is not None else str(row["iv_status"]))]

    calls = {float(r["strike"]): r for _, r in frame.loc[frame["kind"].str.lower() == "call"].iterrows()}
    puts = {float(r["strike"]): r for _, r in frame.loc[frame["kind"].str.lower() == "put"].iterrows()}
    for strike in sorted(set(calls) | set(puts)):
        table.add_row(*cells(calls.get(strike)), f"{strike:g}", *cells(puts.get(strike)))
    return table


def _parse_expiry(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"expiry={text!r}: expected YYYY-MM-DD", param_hint="--expiry") from None


def run_chain(symbol: str, source: str, expiry_text: str | None, fmt: str,
              store: Path | None) -> str | Any:
    """Load, analyse and render; returns the text (csv/json) or a rich renderable (table)."""
    from datetime import UTC, datetime

    from marketdata.analysis import analyze_chain_cached
    from marketdata.errors import MarketDataError
    from marketdata.sources.resolve import load_snapshot
    from pricing.errors import InputError

    if fmt not in FORMATS:
        raise typer.BadParameter(f"format={fmt!r}: must be one of {', '.join(FORMATS)}",
                                 param_hint="--format")
    expiry = _parse_expiry(expiry_text)
    now = datetime.now(UTC)  # the only clock read: the CLI layer
    kwargs: dict[str, Any] = {"now": now}
    if store is not None:
        kwargs["store_path"] = store
    try:
        resolved = load_snapshot(symbol, source, **kwargs)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--symbol/--source") from None
    except MarketDataError as exc:
        typer.echo(f"hedge chain: {exc}", err=True)
        raise typer.Exit(1) from None
    snapshot = resolved.snapshot
    description = str(resolved.description)
    if expiry is not None and expiry not in snapshot.chain.expiries:
        listed = ", ".join(e.isoformat() for e in snapshot.chain.expiries)
        typer.echo(f"hedge chain: expiry {expiry.isoformat()} not in the {snapshot.underlying} "
                   f"chain (have: {listed})", err=True)
        raise typer.Exit(1)
    if fmt == "table" and expiry is None:
        expiry = default_expiry(snapshot.chain.expiries, snapshot.as_of.date())
    try:
        # The whole chain, so that calendar checks see every expiry; output filters below.
        analysis = analyze_chain_cached(snapshot)
    except MarketDataError as exc:
        typer.echo(f"hedge chain: {exc}", err=True)
        raise typer.Exit(1) from None
    if fmt == "json":
        document = build_document(analysis, description, expiry)
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return render_csv(analysis, description, expiry)
    assert expiry is not None
    return render_table(analysis, description, expiry)


def register(app: typer.Typer) -> None:
    """Add ``chain`` to ``app``."""

    @app.command("chain")
    def chain(
        symbol: Annotated[str, typer.Option(
            "--symbol", "-s", help="Underlying: IWM, RUT, MRUT, SPY.")] = "IWM",
        source: Annotated[str, typer.Option(
            "--source", help="demo, yahoo, auto, store, or a snapshot FILE.")] = "auto",
        expiry: Annotated[str | None, typer.Option(
            "--expiry", "-e", help="YYYY-MM-DD; table default: the nearest monthly.")] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
        store: Annotated[Path | None, typer.Option(
            "--store", help="Snapshot store (SQLite) path.")] = None,
        schema: Annotated[bool, typer.Option(
            "--schema", help="Print the JSON Schema of --format json and exit.")] = False,
    ) -> None:
        """Show an option chain with clean mids, flags, parity forward, implied vols (never the
        source's), deltas and the fitted SVI smile. Demo data are marked SYNTHETIC."""
        if schema:
            from tui.commands.chain_schema import ChainDocument

            sys.stdout.write(json.dumps(ChainDocument.model_json_schema(), indent=2) + "\n")
            return
        out = run_chain(symbol, source, expiry, fmt, store)
        if isinstance(out, str):
            sys.stdout.write(out)
        else:
            from rich.console import Console

            Console(width=max(160, Console().width)).print(out)
