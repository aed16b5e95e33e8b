"""``hedge pair``: a pair or basket of share legs sized dollar- or beta-neutral in whole shares,
with its P&L in the house view and the stress scenarios.

Usage::

    hedge pair --long IWM --short SPY --notional 100000 [--neutral beta|dollar]
               [--benchmark IWM|RUT|MRUT|SPY] [--beta IWM=1.0 --beta SPY=0.7]
               [--history prices.csv [--window 252]] [--price IWM=277.5 ...]
               [--source demo|yahoo|auto|store|FILE] [--store PATH]
               [--index-vol 0.25] [--rate 0.04] [--format table|json | --json]
    hedge pair --long XSMO=1 --long SMLF=2 --short TNA --long-notional 50000 --beta XSMO=0.9 ...

``--long``/``--short`` repeat; ``TICKER=WEIGHT`` gives a leg's weight within its side (default
1). One notional: ``--notional`` (gross dollars, long + short), ``--long-notional`` or
``--short-notional``. Betas: ``--beta`` (given), else OLS from ``--history`` (a CSV of ``date``
plus closes per ticker: ``TICKER``, ``ticker_adj_close`` or ``ticker_close``) over the last
``--window`` returns, else the built-in table, else leverage x index beta for TNA/TZA. Prices:
``--price``, else the last close of ``--history``, else the spot of ``--source``. Leveraged legs
(TNA, TZA) move through the daily-reset model at ``--index-vol`` (else the realised IWM vol of
``--history``, else 22 %) and ``--rate`` (else 4 %), each stated in the output.

The core is :mod:`strategies.pairs`. Exit codes: 0 ok; 1 no market data for a price; 2 bad input
(the message names the option, the ticker and the value).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from tui.errors import EXIT_USAGE, HedgeError, source_failure, words

FORMATS = ("table", "json")

#: Core field (before any ``[TICKER]``) -> the option that sets it.
_FIELD_TO_OPTION = {
    "prices": "--price",
    "betas": "--beta",
    "weights": "--long/--short",
    "legs": "--long/--short",
    "ticker": "--long/--short",
    "tickers": "--long/--short",
    "side": "--long/--short",
    "notional": "--notional",
    "gross_notional_dollars": "--notional",
    "long_notional_dollars": "--long-notional",
    "short_notional_dollars": "--short-notional",
    "benchmark": "--benchmark",
    "neutral": "--neutral",
    "index_vol": "--index-vol",
    "short_rate": "--rate",
    "history": "--history",
    "history.date": "--history",
    "window_days": "--window",
    "n_obs": "--history",
    "source": "--source",
}


def _input_failure(exc: Exception) -> HedgeError:
    """An :class:`~pricing.errors.InputError` of the core as ``option: TICKER=value: why``."""
    field = str(getattr(exc, "field", ""))
    value = getattr(exc, "value", None)
    reason = str(getattr(exc, "reason", exc))
    base, _, rest = field.partition("[")
    ticker = rest.split("]", 1)[0] if rest else ""
    option = _FIELD_TO_OPTION.get(base, base or "input")
    if ticker:
        shown = ticker if value is None else f"{ticker}={words(value)}"
    else:
        shown = words(value) if value is not None else "missing"
    return HedgeError(f"{option}: {shown}: {reason}", EXIT_USAGE)


def parse_assignments(items: Sequence[str] | None, option: str) -> dict[str, float]:
    """``["IWM=1.0", "SPY=0.7"]`` -> ``{"IWM": 1.0, "SPY": 0.7}``; a bad item is a
    :class:`HedgeError` naming ``option`` and the item."""
    out: dict[str, float] = {}
    for item in items or ():
        name, sep, raw = item.partition("=")
        ticker = name.strip().upper()
        if not sep or not ticker:
            raise HedgeError(f"{option}: {item}: must be TICKER=NUMBER", EXIT_USAGE)
        try:
            value = float(raw.strip().replace(",", ""))
        except ValueError:
            raise HedgeError(
                f"{option}: {item}: {raw.strip()!r} is not a number", EXIT_USAGE
            ) from None
        if not math.isfinite(value):
            raise HedgeError(f"{option}: {item}: must be finite", EXIT_USAGE)
        if ticker in out:
            raise HedgeError(f"{option}: {ticker}: given twice", EXIT_USAGE)
        out[ticker] = value
    return out


def parse_legs(items: Sequence[str] | None, side: str) -> list[tuple[str, float]]:
    """``["XSMO=2", "SMLF"]`` -> ``[("XSMO", 2.0), ("SMLF", 1.0)]`` (``TICKER[=WEIGHT]``)."""
    out: list[tuple[str, float]] = []
    for item in items or ():
        name, sep, raw = item.partition("=")
        weight = 1.0
        if sep:
            try:
                weight = float(raw.strip())
            except ValueError:
                raise HedgeError(
                    f"--{side}: {item}: weight {raw.strip()!r} is not a number", EXIT_USAGE
                ) from None
        out.append((name.strip(), weight))
    return out


def run_pair(
    *,
    longs: Sequence[str] | None,
    shorts: Sequence[str] | None,
    notional: float | None = None,
    long_notional: float | None = None,
    short_notional: float | None = None,
    neutral: str = "beta",
    benchmark: str = "IWM",
    betas: Sequence[str] | None = None,
    prices: Sequence[str] | None = None,
    history: Path | None = None,
    window: int = 252,
    source: str = "auto",
    store: Path | None = None,
    index_vol: float | None = None,
    rate: float | None = None,
    now: Any = None,
) -> dict[str, Any]:
    """Parse the options, resolve prices and betas, size the basket and run the scenarios
    (:mod:`strategies.pairs`); returns ``{"sizing", "report", "prices", "as_of"}``.
    Raises :class:`HedgeError` (exit 2 bad input, 1 no market data)."""
    from marketdata.errors import MarketDataError
    from marketdata.files import check_input_file
    from pricing.errors import InputError
    from strategies import pairs
    from strategies.sizing.book import load_price_history
    from tui.commands.strategy_cmds import now_new_york

    long_legs, short_legs = parse_legs(longs, "long"), parse_legs(shorts, "short")
    if not long_legs or not short_legs:
        raise HedgeError(
            "--long/--short: "
            f"{len(long_legs)} long and {len(short_legs)} short legs: need at least one of each",
            EXIT_USAGE,
        )
    notionals = [
        f"{opt} {value:g}"
        for opt, value in (
            ("--notional", notional),
            ("--long-notional", long_notional),
            ("--short-notional", short_notional),
        )
        if value is not None
    ]
    if len(notionals) != 1:
        raise HedgeError(
            f"--notional: {', '.join(notionals) or 'missing'}: give exactly one of --notional "
            "(gross dollars), --long-notional or --short-notional",
            EXIT_USAGE,
        )
    given_betas = parse_assignments(betas, "--beta")
    given_prices = parse_assignments(prices, "--price")
    moment = now or now_new_york()
    try:
        basket = pairs.Basket(
            tuple(pairs.BasketLeg(t, "long", w) for t, w in long_legs)
            + tuple(pairs.BasketLeg(t, "short", w) for t, w in short_legs)
        )
        hist = load_price_history(check_input_file(history)) if history is not None else None
        if neutral not in pairs.NEUTRALS:
            raise InputError("neutral", neutral, "must be 'dollar' or 'beta'")
        leg_betas = pairs.resolve_betas(
            basket.tickers,
            benchmark=benchmark,
            given=given_betas,
            history=hist,
            window_days=window,
        )
        from_source = pairs.source_price_loader(
            source, now=moment, store_path=None if store is None else str(store)
        )
        asked: list[str] = []

        def loader(symbol: str) -> tuple[float, str, bool]:
            asked.append(symbol)
            return from_source(symbol)

        try:
            leg_prices = pairs.resolve_prices(
                basket.tickers, given=given_prices, history=hist, loader=loader
            )
        except MarketDataError as exc:
            ticker = asked[-1] if asked else basket.tickers[0]
            failure = source_failure(exc, symbol=ticker, source=source)
            raise HedgeError(
                f"{failure.message} (no price for {ticker}: give --price {ticker}=... "
                "or --history)",
                failure.code,
                failure.detail,
            ) from None
        sizing = pairs.size_basket(
            basket,
            prices_per_share={t: p.price_per_share for t, p in leg_prices.items()},
            betas=leg_betas,
            neutral=neutral,
            benchmark=benchmark,
            gross_notional_dollars=notional,
            long_notional_dollars=long_notional,
            short_notional_dollars=short_notional,
        )
        assumptions: list[str] = []
        has_etf = any(t in pairs.LEVERAGED_ETFS for t in basket.tickers)
        vol = index_vol
        if vol is None:
            measured = (
                pairs.realised_index_vol(hist, window_days=window) if hist is not None else None
            )
            if measured is not None:
                vol = measured[0]
                if has_etf:
                    assumptions.append(f"index vol {vol:.1%}: {measured[1]}")
            else:
                vol = pairs.DEFAULT_INDEX_VOL
                if has_etf:
                    assumptions.append(
                        f"index vol {vol:.0%} assumed (no --index-vol, no IWM in --history)"
                    )
        elif has_etf:
            assumptions.append(f"index vol {vol:.1%} (--index-vol)")
        short_rate = pairs.DEFAULT_SHORT_RATE if rate is None else rate
        if has_etf:
            assumptions.append(
                f"short rate {short_rate:.2%} ({'--rate' if rate is not None else 'assumed, no --rate'})"
            )
        report = pairs.basket_scenarios(
            sizing, index_vol=vol, short_rate=short_rate, assumptions=assumptions
        )
    except InputError as exc:
        raise _input_failure(exc) from None
    return {"sizing": sizing, "report": report, "prices": leg_prices, "as_of": moment}


def _money(x: float) -> str:
    text = f"{x:,.0f}"
    return "0" if text == "-0" else text


def render_table(result: dict[str, Any], console: Any) -> None:
    """Rich tables: the legs, the totals and residual, the scenarios, then the notes."""
    from rich.table import Table

    sizing, report, prices = result["sizing"], result["report"], result["prices"]
    synthetic = sorted(t for t, p in prices.items() if p.synthetic)
    label = f" [bold red]SYNTHETIC prices: {', '.join(synthetic)}[/]" if synthetic else ""
    what = "net beta dollars" if sizing.neutral == "beta" else "net dollars"
    console.print(
        f"[bold]{sizing.basket.name}[/] ({sizing.neutral}-neutral to {sizing.benchmark}){label}\n"
        f"gross ${_money(sizing.gross_dollars)} (target ${_money(sizing.target_gross_dollars)}); "
        f"long ${_money(sizing.long_dollars)}, short ${_money(sizing.short_dollars)}; "
        f"net ${sizing.net_dollars:,.2f}; net beta ${sizing.net_beta_dollars:,.2f}\n"
        f"residual {what} {sizing.residual_dollars:,.2f} = "
        f"{sizing.residual_share_of_gross:.3%} of gross "
        f"({'within' if sizing.within_bar else 'ABOVE'} 1 %)"
    )
    t = Table(title="legs (whole shares)")
    for h in (
        "side",
        "ticker",
        "weight",
        "shares",
        "exact",
        "price $",
        "dollars $",
        "beta",
        "beta $",
    ):
        t.add_column(h, justify="left" if h in ("side", "ticker") else "right")
    for s in sizing.legs:
        t.add_row(
            s.side,
            s.ticker,
            f"{s.weight:g}",
            f"{s.signed_shares:+,}",
            f"{s.exact_shares if s.side == 'long' else -s.exact_shares:+,.2f}",
            f"{s.price_per_share:,.2f}",
            f"{s.dollars:,.0f}",
            f"{s.beta.beta:.4g}",
            f"{s.beta_dollars:,.0f}",
        )
    console.print(t)
    sc = Table(title=f"P&L in the scenarios ($; house betas: {report.market_betas})")
    for h in ("scenario", "prob", "index", sizing.benchmark, "10y bp", "days", "P&L $"):
        sc.add_column(h, justify="left" if h == "scenario" else "right")
    for s in sizing.legs:
        sc.add_column(f"{s.ticker} $", justify="right")
    for row in (*report.house, *report.stresses):
        sc.add_row(
            row.scenario,
            f"{row.probability:.0%}" if row in report.house else "stress",
            f"{row.index_move:+.1%}",
            f"{row.benchmark_move:+.2%}",
            f"{row.yield_shift_bp:+g}",
            f"{row.horizon_days:g}",
            _money(row.pnl_dollars),
            *[_money(x.pnl_dollars) for x in row.legs],
        )
        if row is report.house[-1]:
            sc.add_row("weighted", "100%", "", "", "", "", _money(report.weighted_pnl_dollars))
    console.print(sc)
    notes = [sizing.rounding, *sizing.warnings]
    notes += [f"beta {s.ticker}: {s.beta.described}" for s in sizing.legs]
    notes += [f"price {t}: {p.source}" for t, p in prices.items()]
    notes += list(report.assumptions)
    for note in notes:
        console.print(f"[dim]- {note}[/]")


def register(app: typer.Typer) -> None:
    """Add ``pair`` to ``app``."""

    @app.command("pair")
    def pair_cmd(
        long: Annotated[
            list[str] | None,
            typer.Option("--long", help="Long leg TICKER[=WEIGHT] (repeat for a basket)."),
        ] = None,
        short: Annotated[
            list[str] | None,
            typer.Option("--short", help="Short leg TICKER[=WEIGHT] (repeat for a basket)."),
        ] = None,
        notional: Annotated[
            float | None, typer.Option("--notional", help="Gross dollars, long + short.")
        ] = None,
        long_notional: Annotated[
            float | None, typer.Option("--long-notional", help="The long side's dollars.")
        ] = None,
        short_notional: Annotated[
            float | None, typer.Option("--short-notional", help="The short side's dollars.")
        ] = None,
        neutral: Annotated[str, typer.Option("--neutral", help="beta or dollar.")] = "beta",
        benchmark: Annotated[
            str, typer.Option("--benchmark", help="Beta benchmark: IWM, RUT, MRUT or SPY.")
        ] = "IWM",
        beta: Annotated[
            list[str] | None,
            typer.Option("--beta", help="A leg's beta to the benchmark, TICKER=BETA (repeat)."),
        ] = None,
        price: Annotated[
            list[str] | None,
            typer.Option("--price", help="A leg's price per share, TICKER=DOLLARS (repeat)."),
        ] = None,
        history: Annotated[
            Path | None,
            typer.Option("--history", help="Price history CSV (date + closes) for betas/prices."),
        ] = None,
        window: Annotated[
            int, typer.Option("--window", help="Daily returns in the OLS beta window.")
        ] = 252,
        source: Annotated[
            str,
            typer.Option("--source", help="Prices not given: demo, yahoo, auto, store or a CSV."),
        ] = "auto",
        store: Annotated[
            Path | None, typer.Option("--store", help="Snapshot store (SQLite) path.")
        ] = None,
        index_vol: Annotated[
            float | None,
            typer.Option("--index-vol", help="Index vol (decimal) for TNA/TZA legs' decay."),
        ] = None,
        rate: Annotated[
            float | None,
            typer.Option("--rate", help="Short rate (decimal) for TNA/TZA legs' carry."),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    ) -> None:
        """Size a pair or basket of share legs dollar- or beta-neutral in whole shares, with its
        P&L in the house view and the stress scenarios."""
        if fmt not in FORMATS:
            raise HedgeError(f"--format: {fmt}: must be one of {', '.join(FORMATS)}", EXIT_USAGE)
        result = run_pair(
            longs=long,
            shorts=short,
            notional=notional,
            long_notional=long_notional,
            short_notional=short_notional,
            neutral=neutral,
            benchmark=benchmark,
            betas=beta,
            prices=price,
            history=history,
            window=window,
            source=source,
            store=store,
            index_vol=index_vol,
            rate=rate,
        )
        if as_json or fmt == "json":
            from strategies.pairs import basket_document

            doc = basket_document(
                result["sizing"],
                result["report"],
                prices=result["prices"],
                computed_at=result["as_of"],
            )
            sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False) + "\n")
            return
        from rich.console import Console

        render_table(result, Console(width=max(120, Console().width)))
