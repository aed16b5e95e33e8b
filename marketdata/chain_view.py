"""The chain view: what a face shows of one underlying's analysed chain (issue 8, "one core").

- :func:`default_expiry`: the expiry shown first (the nearest standard monthly still alive);
- :func:`chain_view`: one expiry as rows of calls | strike | puts (:class:`ChainView`), with the
  header numbers (spot, parity forward, dividend yield, rate, time, SVI fit and its arbitrage
  flags) and the ATM strike (the listed strike nearest the forward);
- :func:`chain_document`: the JSON document (schema below; pydantic models in
  :mod:`marketdata.chain_schema`), and :func:`chain_csv` the CSV text;
- :func:`term_structure`: ATM vol and fit quality per expiry.

Demo data are labelled SYNTHETIC in every form: :data:`SYNTHETIC_LABEL` in the CSV comment line,
``"synthetic": true`` in JSON, :attr:`ChainView.synthetic` for tables.

CSV columns (one row per quote, after one ``#`` comment line saying what the data are):
``symbol, source, synthetic, as_of, expiry, settlement, t_years, forward, rate, strike, kind,
bid, ask, mid, spread, flags, usable, iv, iv_status, delta, in_fit`` (flags ``;``-joined; empty
cells where a value does not exist).

JSON document, schema version 1 (``hedge chain --schema`` prints it as JSON Schema; the pydantic
models in :mod:`marketdata.chain_schema` validate it). Numbers are JSON numbers; ``null``
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
            "status": "ok",           # "ok": priced from; "thin" (few or wide quotes),
                                      # "poor_fit" (misses its own quotes), "too_few_quotes",
                                      # "failed": the surface bridges this expiry from its
                                      # good neighbours (pricing.surface module docstring)
            "svi": {"a": ..., "b": ..., "rho": ..., "m": ..., "sigma": ...},  # raw SVI, w(k)
            "n_quotes": 60,           # quotes in the fit
            "rmse_vol_points": 0.08,  # fit RMSE, vol points (1.0 = 1 %)
            "max_error_vol_points": 0.3,
            "inside_spread_share": 0.97,  # share (0..1) of the usable quotes whose fitted vol
                                      # lies inside their bid-ask IV range (null if none)
            "n_usable": 60,           # usable quotes that share counts (one a strike: the
                                      # out-of-the-money one where it is usable)
            "butterfly_arbitrage": false, "butterfly_min_g": 0.21,
            "calendar_arbitrage": false,  # against the previous good expiry's smile
            "calendar_min_diff": 0.0012   # null for the first (or when not checked)
          },
          "quotes": [
            {"strike": 220.0, "kind": "call", "bid": 3.1, "ask": 3.2, "mid": 3.15,
             "flags": [],             # subset of no_quote, crossed, zero_bid, stale, too_wide,
                                      # below_intrinsic, duplicate, no_vol
             "usable": true,          # clean enough for fits: no blocking flag AND iv_status ok
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
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from marketdata.calendar import monthly_expiry
from marketdata.chain_schema import SCHEMA_VERSION
from marketdata.errors import NoDataError

if TYPE_CHECKING:
    from marketdata.analysis import ChainAnalysis

SYNTHETIC_LABEL = "SYNTHETIC demo data, not market prices"
CSV_COLUMNS = (
    "symbol",
    "source",
    "synthetic",
    "as_of",
    "expiry",
    "settlement",
    "t_years",
    "forward",
    "rate",
    "strike",
    "kind",
    "bid",
    "ask",
    "mid",
    "spread",
    "flags",
    "usable",
    "iv",
    "iv_status",
    "delta",
    "in_fit",
)


def finite_or_none(value: Any) -> float | None:
    """A finite float, or None (JSON null) for NaN, infinities and missing values."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def split_flags(text: Any) -> list[str]:
    """The quote flags of a chain cell (comma-joined text) as a list."""
    return [f for f in str(text or "").split(",") if f]


def default_expiry(expiries: Sequence[date], as_of_date: date) -> date:
    """The nearest standard monthly (third-Friday rule, holiday-adjusted) on or after
    ``as_of_date`` among ``expiries``; the nearest expiry when none is a monthly.
    :class:`NoDataError` when no expiry is live."""
    live = sorted(e for e in expiries if e >= as_of_date)
    if not live:
        raise NoDataError("no live expiry in the chain")
    for e in live:
        if e == monthly_expiry(e.year, e.month):
            return e
    return live[0]


def expiry_groups(
    analysis: ChainAnalysis, only: date | None = None
) -> list[tuple[date, str, pd.DataFrame]]:
    """``(expiry, settlement, quotes)`` in increasing time to expiry (only ``only`` if given)."""
    chain = analysis.chain
    groups = []
    for (exp, st), frame in chain.groupby(
        ["expiry", chain["settlement"].astype(str).str.lower()], sort=False
    ):
        day = pd.Timestamp(exp).date()  # type: ignore[arg-type]
        if only is None or day == only:
            groups.append((day, str(st), frame))
    groups.sort(key=lambda g: float(g[2]["t_years"].iloc[0]))
    return groups


def chain_document(
    analysis: ChainAnalysis, description: str, expiry: date | None = None
) -> dict[str, Any]:
    """The JSON document (schema version 1, see the module docstring) of an analysis: every
    expiry, or only ``expiry``; ``description`` is the source line."""
    snap = analysis.snapshot
    fwd = analysis.forwards
    fits = analysis.fits
    expiries = []
    for exp, st, frame in expiry_groups(analysis, expiry):
        f_row = fwd.loc[(fwd["expiry"] == exp) & (fwd["settlement"] == st)]
        fit_row = fits.loc[(fits["expiry"] == exp) & (fits["settlement"] == st)]
        f = f_row.iloc[0] if len(f_row) else None
        fit = None
        if len(fit_row):
            r = fit_row.iloc[0]
            fit = {
                "status": str(r["status"]),
                "svi": {
                    name: finite_or_none(r[f"svi_{name}"]) or 0.0
                    for name in ("a", "b", "rho", "m", "sigma")
                },
                "n_quotes": int(r["n_quotes"]),
                "rmse_vol_points": finite_or_none(r["rmse_vol_points"]),
                "max_error_vol_points": finite_or_none(r["max_error_vol_points"]),
                "inside_spread_share": finite_or_none(r["inside_spread_share"]),
                "n_usable": int(r["n_usable"]),
                "butterfly_arbitrage": bool(r["butterfly_arbitrage"]),
                "butterfly_min_g": finite_or_none(r["butterfly_min_g"]),
                "calendar_arbitrage": bool(r["calendar_arbitrage"]),
                "calendar_min_diff": finite_or_none(r["calendar_min_diff"]),
            }
        quotes = [
            {
                "strike": finite_or_none(q.strike) or 0.0,
                "kind": str(q.kind).lower(),
                "bid": finite_or_none(q.bid),
                "ask": finite_or_none(q.ask),
                "mid": finite_or_none(q.mid),
                "flags": split_flags(q.flags),
                "usable": bool(q.usable),
                "iv": finite_or_none(q.iv),
                "iv_status": str(q.iv_status),
                "delta": finite_or_none(q.delta),
                "in_fit": bool(q.in_fit),
            }
            for q in frame.sort_values(["strike", "kind"]).itertuples(index=False)
        ]
        expiries.append(
            {
                "expiry": exp.isoformat(),
                "settlement": st,
                "t_years": finite_or_none(frame["t_years"].iloc[0]) or 0.0,
                "forward": None if f is None else finite_or_none(f["forward"]),
                "dividend_yield": None if f is None else finite_or_none(f["dividend_yield"]),
                "extra_yield": None if f is None else finite_or_none(f["extra_yield"]),
                "rate": finite_or_none(frame["rate"].iloc[0]),
                "forward_method": None if f is None else str(f["method"]),
                "n_pairs": 0 if f is None else int(f["n_pairs"]),
                "parity_residual": None if f is None else finite_or_none(f["residual"]),
                "fit": fit,
                "quotes": quotes,
            }
        )
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


def chain_csv(analysis: ChainAnalysis, description: str, expiry: date | None = None) -> str:
    """CSV text: one ``#`` comment line (SYNTHETIC for demo data), a header
    (:data:`CSV_COLUMNS`), one row a quote (every expiry, or only ``expiry``)."""
    snap = analysis.snapshot
    buffer = io.StringIO()
    label = f"{SYNTHETIC_LABEL}; " if snap.synthetic else ""
    buffer.write(f"# {label}{snap.underlying} from {description}; as of {snap.as_of.isoformat()}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def cell(value: Any) -> str:
        number = finite_or_none(value)
        return "" if number is None else repr(number)

    for exp, st, frame in expiry_groups(analysis, expiry):
        for q in frame.sort_values(["strike", "kind"]).itertuples(index=False):
            writer.writerow(
                [
                    snap.underlying,
                    snap.source,
                    str(bool(snap.synthetic)).lower(),
                    snap.as_of.isoformat(),
                    exp.isoformat(),
                    st,
                    cell(q.t_years),
                    cell(q.forward),
                    cell(q.rate),
                    cell(q.strike),
                    str(q.kind).lower(),
                    cell(q.bid),
                    cell(q.ask),
                    cell(q.mid),
                    cell(q.spread),
                    ";".join(split_flags(q.flags)),
                    str(bool(q.usable)).lower(),
                    cell(q.iv),
                    str(q.iv_status),
                    cell(q.delta),
                    str(bool(q.in_fit)).lower(),
                ]
            )
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class QuoteCell:
    """One side (call or put) of a chain row: prices per share (index points), ``iv`` decimal
    (None when none was solved; ``iv_status`` says why), ``delta`` per 1.00 of spot per share,
    ``flags`` the cleaning flags (a flagged quote is shown dimmed), ``usable`` clean enough for
    fits, ``in_fit`` used by the SVI fit, ``open_interest`` contracts (None if unknown)."""

    bid: float | None
    ask: float | None
    mid: float | None
    iv: float | None
    iv_status: str
    delta: float | None
    flags: tuple[str, ...]
    usable: bool
    in_fit: bool
    open_interest: float | None
    contract_symbol: str | None


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One strike (price units) with its call and put (None where not listed)."""

    strike: float
    call: QuoteCell | None
    put: QuoteCell | None


@dataclass(frozen=True, slots=True)
class ChainView:
    """One expiry of an analysed chain, ready to draw: header numbers and rows of calls | strike |
    puts in increasing strike. ``forward`` parity forward and ``atm_strike`` (listed strike
    nearest the forward, or spot without a forward) in price units; ``dividend_yield`` and
    ``rate`` continuous decimals; ``t_years`` Actual/365 to settlement; ``fit_rmse_vol_points``
    the SVI fit error in vol points (None if not fitted) and ``arbitrage`` its flags
    (``"butterfly"``, ``"calendar"``); ``fit_status`` the fit's status ("ok", "thin",
    "poor_fit", "too_few_quotes", "failed"; None if not fitted) and ``fit_inside_share`` the
    share (0..1) of usable quotes whose fitted vol lies inside their bid-ask IV range."""

    symbol: str
    expiry: date
    spot: float
    forward: float | None
    dividend_yield: float | None
    rate: float | None
    t_years: float | None
    fit_rmse_vol_points: float | None
    arbitrage: tuple[str, ...]
    atm_strike: float | None
    rows: tuple[ChainRow, ...]
    synthetic: bool
    source_description: str
    as_of_iso: str
    fit_status: str | None = None
    fit_inside_share: float | None = None


def _cell(row: Any) -> QuoteCell:
    oi = finite_or_none(row.get("open_interest"))
    symbol = row.get("contract_symbol")
    return QuoteCell(
        finite_or_none(row["bid"]),
        finite_or_none(row["ask"]),
        finite_or_none(row["mid"]),
        finite_or_none(row["iv"]),
        str(row["iv_status"]),
        finite_or_none(row["delta"]),
        tuple(split_flags(row["flags"])),
        bool(row["usable"]),
        bool(row["in_fit"]),
        oi,
        None
        if symbol is None or (isinstance(symbol, float) and math.isnan(symbol))
        else str(symbol),
    )


def chain_view(analysis: ChainAnalysis, expiry: date, description: str) -> ChainView:
    """The view of one ``expiry`` of ``analysis`` (``description``: the source line)."""
    snap = analysis.snapshot
    frame = analysis.expiry_frame(expiry)
    fwd = analysis.forwards.loc[analysis.forwards["expiry"] == expiry]
    fits = analysis.fits.loc[analysis.fits["expiry"] == expiry]
    forward = dividend_yield = rate = t_years = rmse = None
    if len(fwd):
        f = fwd.iloc[0]
        forward, dividend_yield = float(f["forward"]), float(f["dividend_yield"])
        rate, t_years = float(f["rate"]), float(f["t_years"])
    arbitrage: list[str] = []
    fit_status: str | None = None
    inside: float | None = None
    if len(fits):
        r = fits.iloc[0]
        rmse = float(r["rmse_vol_points"])
        fit_status = str(r["status"])
        inside = finite_or_none(r["inside_spread_share"])
        if bool(r["butterfly_arbitrage"]):
            arbitrage.append("butterfly")
        if bool(r["calendar_arbitrage"]):
            arbitrage.append("calendar")
    kinds = frame["kind"].str.lower()
    calls = {float(r["strike"]): r for _, r in frame.loc[kinds == "call"].iterrows()}
    puts = {float(r["strike"]): r for _, r in frame.loc[kinds == "put"].iterrows()}
    strikes = sorted(set(calls) | set(puts))
    rows = tuple(
        ChainRow(
            k,
            None if k not in calls else _cell(calls[k]),
            None if k not in puts else _cell(puts[k]),
        )
        for k in strikes
    )
    centre = forward if forward is not None and math.isfinite(forward) else float(snap.spot)
    atm = min(strikes, key=lambda k: (abs(k - centre), k)) if strikes else None
    return ChainView(
        snap.underlying,
        expiry,
        float(snap.spot),
        forward,
        dividend_yield,
        rate,
        t_years,
        rmse,
        tuple(arbitrage),
        atm,
        rows,
        bool(snap.synthetic),
        description,
        snap.as_of.isoformat(),
        fit_status,
        inside,
    )


@dataclass(frozen=True, slots=True)
class TermPoint:
    """One fitted expiry of the term structure: ``days`` calendar days (t_years x 365), the
    parity ``forward`` (price units), the fitted ATM vol (decimal), the fit RMSE (vol points)
    and its arbitrage flags."""

    expiry: str
    t_years: float
    days: float
    forward: float
    atm_vol: float
    rmse_vol_points: float
    arbitrage: tuple[str, ...]


def term_structure(
    analysis: ChainAnalysis, *, min_days: float = 6.5, max_rows: int | None = None
) -> list[TermPoint]:
    """The fitted expiries at least ``min_days`` out (at most ``max_rows``), ATM vol from the
    surface at the forward (empty when no expiry could be fitted)."""
    surface = analysis.surface
    if surface is None:
        return []
    fits = analysis.fits
    chosen = fits.loc[fits["t_years"] * 365.0 >= min_days]
    if max_rows is not None:
        chosen = chosen.head(max_rows)
    out = []
    for _, row in chosen.iterrows():
        t = float(row["t_years"])
        fwd = float(row["forward"])
        atm = float(surface.vol(t, fwd, forward=fwd))
        arb = tuple(
            n
            for n, c in (("butterfly", "butterfly_arbitrage"), ("calendar", "calendar_arbitrage"))
            if bool(row[c])
        )
        out.append(
            TermPoint(
                str(row["expiry"]), t, t * 365.0, fwd, atm, float(row["rmse_vol_points"]), arb
            )
        )
    return out
