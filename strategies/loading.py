"""Load a strategy with its market from a source: the core that the ``hedge`` verbs and the app
both call (issue 8, "one core for the command line and the app").

- :func:`load_market`: one snapshot per option underlying (and per share symbol) from
  :func:`marketdata.sources.resolve.load_snapshot`, each analysed (vol surface, parity-implied
  yield), and the leveraged-ETF spots (TNA, TZA) from their own snapshot when the source has one,
  else from ``spots``, else (SYNTHETIC data only) a nominal price (:data:`NOMINAL_ETF_SPOTS`).
- :func:`build_template`: a :class:`TemplateRequest` (template name, strikes as
  :data:`~strategies.templates.StrikeSpec` by strike / % OTM / delta, expiry by date or DTE,
  quantity, underlying: any symbol) turned into a strategy in a market, entered at the fill price now (ask
  to buy, bid to sell; the model where there is no quote).
- :func:`load_template`, :func:`load_position`: the two together, from a template or a
  position file (:mod:`strategies.positions`).
- :func:`source_info`: the report's source block (SYNTHETIC labelled).

No clock is read here: every loader takes ``now`` (tz-aware), the time the data are wanted at.
Errors are :class:`LoadError` with the request field at fault and whether it is a data problem
(``no_data``: source empty, unreachable, rate-limited) or a bad request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from marketdata.errors import MarketDataError, SchemaError
from marketdata.snapshot import MarketSnapshot
from marketdata.sources.resolve import ResolvedSnapshot, load_snapshot, recorded_spot_at
from pricing.errors import InputError
from strategies.positions import (
    LeveragedEtfLegSpec,
    OptionLegSpec,
    PositionFile,
    PositionFileError,
    SharesLegSpec,
    check_listed_expiries,
    load_position_file,
    position_legs,
    position_settlement_prices,
)
from strategies.pricing_context import PricingContext, analyse_snapshot
from strategies.report import SourceInfo
from strategies.settlement import Settlement, settle_expired
from strategies.strategy import Strategy
from strategies.templates import TEMPLATES, StrikeSpec

#: How a snapshot is loaded: ``loader(symbol, source, now=..., store_path=...)``; the default is
#: :func:`marketdata.sources.resolve.load_snapshot` (a face's tests inject a fake source here).
SnapshotLoader = Callable[..., ResolvedSnapshot]

#: Smile dynamics a market can be built with.
DYNAMICS = ("sticky_strike", "sticky_moneyness")
#: Largest quantity of a template (contracts): the position file's limit on a leg.
MAX_CONTRACTS = 10_000_000
#: Nominal leveraged-ETF prices used with SYNTHETIC data only, when the demo bundle has no
#: snapshot of the fund: a fund sized in dollars has the same dollar P&L whatever its price level,
#: so this sets the share count shown, never the P&L. Live data need an explicit spot.
NOMINAL_ETF_SPOTS: Mapping[str, float] = {"TZA": 10.0, "TNA": 40.0}


class LoadError(Exception):
    """A strategy or its market could not be loaded.

    ``field`` names the request field at fault (``"template"``, ``"strikes"``, ``"source"``,
    ``"dynamics"`` ...; None when the request as a whole is at fault) and ``detail`` says why;
    ``no_data`` is True when the data, not the request, are missing (source empty, unreachable,
    rate-limited, a surface that cannot be fitted); ``missing_spot`` names a leveraged ETF whose
    spot the caller may supply instead.
    """

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        no_data: bool = False,
        missing_spot: str | None = None,
    ) -> None:
        self.detail = detail
        self.field = field
        self.no_data = no_data
        self.missing_spot = missing_spot
        super().__init__(f"{field}: {detail}" if field else detail)


def check_underlying(symbol: str) -> str:
    """``symbol`` as the project names it (upper case, no ``^``): any ticker is accepted (its
    facts come from :mod:`marketdata.underlyings`); :class:`LoadError` (field ``underlying``)
    for text that is not a ticker."""
    from marketdata.sources.base import canonical_symbol

    try:
        return canonical_symbol(symbol)
    except InputError as exc:
        raise LoadError(f"{symbol!r} {exc.reason}", field="underlying") from None


@dataclass(frozen=True, slots=True)
class TemplateRequest:
    """A template and its options: ``strikes`` fill the template's strike slots in order
    (:attr:`strategies.templates.Template.strike_slots`), ``expiry`` (a date) or ``dte`` (days,
    >= 1) the expiry (nearest listed), ``quantity`` contracts (>= 1), ``underlying`` any
    ticker (:func:`check_underlying`); None keeps the template's default."""

    name: str
    strikes: tuple[StrikeSpec, ...] = ()
    expiry: date | None = None
    dte: int | None = None
    quantity: int | None = None
    underlying: str | None = None
    #: True: ``expiry`` may be moved to the nearest listed expiry (``--expiry nearest:DATE``);
    #: False: it must be listed exactly, else the error names the nearest listed ones.
    expiry_nearest: bool = False

    def __post_init__(self) -> None:
        name = self.name.strip().lower()
        if name not in TEMPLATES:
            raise LoadError(
                f"unknown {self.name!r}; choose from {', '.join(sorted(TEMPLATES))}",
                field="template",
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "strikes", tuple(self.strikes))
        if self.underlying is not None:
            object.__setattr__(self, "underlying", check_underlying(self.underlying))
        if self.quantity is not None and not 1 <= self.quantity <= MAX_CONTRACTS:
            raise LoadError(
                f"{self.quantity} must be a number of contracts from 1 to {MAX_CONTRACTS:,}",
                field="quantity",
            )
        if self.dte is not None and self.dte < 1:
            raise LoadError(f"{self.dte} must be >= 1 day", field="dte")
        if self.dte is not None and self.expiry is not None:
            raise LoadError("give dte or expiry, not both", field="dte")

    def params(self) -> dict[str, Any]:
        """Keyword arguments of the template's builder (without the chain)."""
        try:
            return TEMPLATES[self.name].params_for(
                strikes=self.strikes,
                expiry=self.expiry,
                dte=self.dte,
                quantity=self.quantity,
                underlying=self.underlying,
            )
        except InputError as exc:
            raise LoadError(exc.reason, field=exc.field) from None

    def symbols(self) -> tuple[list[str], list[str]]:
        """``(snapshot symbols, leveraged-ETF spot symbols)`` the template needs."""
        return TEMPLATES[self.name].symbols(self.params())


@dataclass(frozen=True, slots=True)
class Market:
    """A pricing context and what it was built from: snapshots by symbol and one source line per
    symbol (``"IWM: SYNTHETIC demo data as of ..."``)."""

    ctx: PricingContext
    snapshots: Mapping[str, MarketSnapshot]
    descriptions: tuple[str, ...]
    source: str

    @property
    def synthetic(self) -> bool:
        """True if any snapshot holds generated data."""
        return any(s.synthetic for s in self.snapshots.values())


@dataclass(frozen=True, slots=True)
class LoadedStrategy:
    """A strategy and the market it was loaded with (and, for a position file, what expired)."""

    strategy: Strategy
    market: Market
    #: The legs that had expired at the market's time (settled, not priced) and the live rest;
    #: ``strategy`` is then the live part (or the whole strategy when nothing remains live).
    settlement: Settlement | None = None

    @property
    def ctx(self) -> PricingContext:
        """The pricing context of the market."""
        return self.market.ctx

    @property
    def snapshots(self) -> Mapping[str, MarketSnapshot]:
        """The snapshots by symbol."""
        return self.market.snapshots

    @property
    def descriptions(self) -> tuple[str, ...]:
        """One source line per symbol."""
        return self.market.descriptions

    @property
    def source(self) -> str:
        """The source string the market was loaded from."""
        return self.market.source

    @property
    def synthetic(self) -> bool:
        """True if any snapshot holds generated data."""
        return self.market.synthetic


def _snapshot(
    symbol: str, source: str, now: datetime, store: Path | None, loader: SnapshotLoader | None
) -> tuple[MarketSnapshot, str]:
    try:
        resolved = (loader or load_snapshot)(symbol, source, now=now, store_path=store)
    except SchemaError as exc:
        if is_file_source(source):  # the user's own file is at fault: bad input, not missing data
            raise LoadError(f"{source}: {exc}", field="source") from None
        raise LoadError(f"no {symbol} data from {source!r}: {exc}", no_data=True) from None
    except MarketDataError as exc:
        raise LoadError(f"no {symbol} data from {source!r}: {exc}", no_data=True) from None
    except InputError as exc:
        raise LoadError(str(exc), field="source") from None
    return resolved.snapshot, resolved.description


def is_file_source(source: str) -> bool:
    """True when ``source`` names a file (the user's input) rather than demo, yahoo, live, auto or
    store."""
    return source.strip().lower() not in ("demo", "yahoo", "live", "auto", "store", "")


def check_dynamics(dynamics: str) -> str:
    """``dynamics`` if it is one of :data:`DYNAMICS`, else :class:`LoadError` (field ``dynamics``)."""
    if dynamics not in DYNAMICS:
        raise LoadError(f"{dynamics!r} must be one of {', '.join(DYNAMICS)}", field="dynamics")
    return dynamics


def load_market(
    symbols: Iterable[str],
    etfs: Iterable[str] = (),
    *,
    source: str,
    now: datetime,
    store: Path | None = None,
    spots: Mapping[str, float] | None = None,
    dynamics: str = "sticky_strike",
    loader: SnapshotLoader | None = None,
) -> Market:
    """The market of ``symbols`` (one snapshot each, analysed: surface and parity yield) plus the
    spots (price units) of the leveraged ETFs ``etfs``, from ``source`` (``demo``, ``yahoo``,
    ``auto``, ``store`` or a CSV path) as seen at ``now`` (tz-aware). ``spots`` (symbol -> price)
    replace a symbol's snapshot; ``store`` overrides the default snapshot store. An ETF without a
    snapshot nor a given spot gets :data:`NOMINAL_ETF_SPOTS` on SYNTHETIC data, else
    :class:`LoadError` with ``missing_spot`` set. ``loader`` replaces the snapshot loader
    (:data:`SnapshotLoader`)."""
    check_dynamics(dynamics)
    given = {k.upper(): float(v) for k, v in (spots or {}).items()}
    snapshots: dict[str, MarketSnapshot] = {}
    lines: list[str] = []
    for sym in dict.fromkeys(s.upper() for s in symbols):
        if sym in given:
            continue
        snap, line = _snapshot(sym, source, now, store, loader)
        snapshots[sym] = snap
        lines.append(f"{sym}: {line}")
    if not snapshots:
        raise LoadError(
            "the strategy needs at least one underlying with option data (IWM, RUT, SPY...)"
        )
    extra = dict(given)
    for etf in dict.fromkeys(e.upper() for e in etfs):
        if etf in extra:
            continue
        try:
            snap, line = _snapshot(etf, source, now, store, loader)
        except LoadError as exc:
            synthetic = all(s.synthetic for s in snapshots.values())
            if synthetic and etf in NOMINAL_ETF_SPOTS:
                extra[etf] = NOMINAL_ETF_SPOTS[etf]
                lines.append(
                    f"{etf}: SYNTHETIC nominal price {NOMINAL_ETF_SPOTS[etf]:g} (not in the demo "
                    "bundle; dollar P&L does not depend on it)"
                )
                continue
            raise LoadError(
                exc.detail, field=exc.field, no_data=exc.no_data, missing_spot=etf
            ) from None
        extra[etf] = snap.spot
        lines.append(f"{etf}: {line}")
    try:
        vols: dict[str, Any] = {}
        yields: dict[str, float] = {}
        for sym, snap in snapshots.items():
            vols[sym], yields[sym] = analyse_snapshot(snap)
        ctx = PricingContext.from_snapshot(
            *snapshots.values(),
            vol=vols,
            div_yields=yields,
            extra_spots=extra,
            vol_dynamics=dynamics,
        )
    except (
        InputError
    ) as exc:  # inconsistent inputs (a dividend above the spot...): the data are bad
        raise LoadError(f"the market data are inconsistent: {exc}", field="source") from None
    except Exception as exc:  # the surface fit can fail on a thin chain: say so
        raise LoadError(
            f"cannot build the market from the snapshots: {exc}", no_data=True
        ) from None
    return Market(ctx, snapshots, tuple(lines), source)


def build_template(request: TemplateRequest, market: Market) -> Strategy:
    """The template's strategy in ``market`` (listed strikes and expiries of the main
    underlying's chain), its legs entered at the fill price now. :class:`LoadError` (field
    ``template NAME``) when the template cannot be built there."""
    template = TEMPLATES[request.name]
    if request.expiry_nearest and request.expiry is not None:
        days = (request.expiry - market.ctx.as_of.date()).days
        if days < 1:
            raise LoadError(
                f"{request.expiry.isoformat()} is not after the data's date {market.ctx.as_of.date().isoformat()}",
                field="expiry",
            )
        request = replace(request, expiry=None, dte=days, expiry_nearest=False)  # nearest, as asked
    params = request.params()
    symbols, _ = template.symbols(params)
    main = market.snapshots.get(symbols[0].upper())
    if main is not None:
        params["chain"] = main.chain
    try:
        return template(market.ctx, **params).with_entry_prices(market.ctx, "fill")
    except InputError as exc:
        if exc.field in ("expiry", "near_expiry", "far_expiry") and isinstance(exc.value, date):
            raise LoadError(f"{exc.value.isoformat()} {exc.reason}", field="expiry") from None
        raise LoadError(str(exc), field=f"template {request.name}") from None


def load_template(
    request: TemplateRequest,
    *,
    source: str,
    now: datetime,
    store: Path | None = None,
    spots: Mapping[str, float] | None = None,
    dynamics: str = "sticky_strike",
    loader: SnapshotLoader | None = None,
) -> LoadedStrategy:
    """Load the market a template needs (:func:`load_market`) and build it there
    (:func:`build_template`)."""
    check_dynamics(dynamics)
    symbols, etfs = request.symbols()
    market = load_market(
        symbols,
        etfs,
        source=source,
        now=now,
        store=store,
        spots=spots,
        dynamics=dynamics,
        loader=loader,
    )
    return LoadedStrategy(build_template(request, market), market)


def position_symbols(position: PositionFile) -> tuple[list[str], list[str]]:
    """``(snapshot symbols, leveraged-ETF spot symbols)`` for a position file's legs; a file of
    ETF legs only needs its index's snapshot (its vol drives the ETF's decay)."""
    symbols: list[str] = []
    etfs: list[str] = []
    for spec in position.legs:
        if isinstance(spec, OptionLegSpec):
            symbols.append(spec.underlying)
        elif isinstance(spec, SharesLegSpec):
            symbols.append(spec.symbol)
        elif isinstance(spec, LeveragedEtfLegSpec):
            etfs.append(spec.symbol)
    if not symbols and etfs:
        symbols.append(position.underlying or "IWM")
    return symbols, etfs


def strategy_from_position(position: PositionFile, path: Path | str) -> Strategy:
    """The strategy of a loaded position file (with its ``benchmark``); :class:`LoadError`
    naming the file otherwise."""
    try:
        return Strategy(position.name, tuple(position_legs(position)), position.benchmark)
    except InputError as exc:
        raise LoadError(f"{path}: {exc}") from None


def known_spots(ctx: PricingContext, strategy: Strategy) -> dict[str, float]:
    """Current spots (price units) of the strategy's leg symbols that ``ctx`` knows."""
    out: dict[str, float] = {}
    for leg in strategy.flat_legs():
        try:
            out[leg.symbol] = ctx.spot(leg.symbol)
        except InputError:
            continue
    return out


def recorded_spots(
    strategy: Strategy, as_of: datetime, *, source: str, store: Path | None = None
) -> dict[tuple[str, date], float]:
    """Spots recorded in the snapshot store at the settlement moment of each option leg expired
    at ``as_of`` (:func:`marketdata.sources.resolve.recorded_spot_at`), keyed by ``(symbol,
    expiry)``. Looked up only for the market sources (``store``, ``auto``, ``yahoo``): demo data
    and CSV files have no history, and their results must not depend on the machine's store."""
    if source.strip().lower() not in ("store", "auto", "yahoo", "live"):
        return {}
    out: dict[tuple[str, date], float] = {}
    for leg in strategy.flat_legs():
        contract = leg.contract
        if contract is None or contract.expiry_datetime > as_of:
            continue
        key = (contract.underlying.upper(), contract.expiry)
        if key not in out:
            spot = recorded_spot_at(key[0], contract.expiry_datetime, store_path=store)
            if spot is not None:
                out[key] = spot
    return out


def settle_position(
    position: PositionFile,
    strategy: Strategy,
    ctx: PricingContext,
    path: Path | str,
    recorded: Mapping[tuple[str, date], float] | None = None,
) -> Settlement:
    """Split a position file's strategy at the market's time: expired legs settled (at their
    ``settlement_price`` where the file records one, else the ``recorded`` spot at expiry, else
    the current spot, said so), the rest live (:func:`strategies.settlement.settle_expired`);
    :class:`LoadError` naming the file."""
    try:
        return settle_expired(
            strategy,
            ctx.as_of,
            spots=known_spots(ctx, strategy),
            settlement_prices=position_settlement_prices(position),
            recorded_spots=recorded,
        )
    except InputError as exc:
        raise LoadError(f"{path}: {exc}") from None


def load_position(
    path: Path,
    *,
    source: str,
    now: datetime,
    store: Path | None = None,
    spots: Mapping[str, float] | None = None,
    dynamics: str = "sticky_strike",
    loader: SnapshotLoader | None = None,
    override: bool = False,
) -> LoadedStrategy:
    """Read a position file (:func:`strategies.positions.load_position_file`; a bad file is a
    :class:`LoadError` whose detail names the file, the field and the line), load its market,
    check that its live expiries are listed (:func:`strategies.positions.check_listed_expiries`)
    and build its strategy, settling the legs that have expired (:func:`settle_position`).
    ``override`` skips the listed-product checks for every leg (as ``override = true`` in the
    file does)."""
    check_dynamics(dynamics)
    try:
        position = load_position_file(path, override=override)
    except PositionFileError as exc:
        raise LoadError(f"bad position file:\n{exc}") from None
    symbols, etfs = position_symbols(position)
    market = load_market(
        symbols,
        etfs,
        source=source,
        now=now,
        store=store,
        spots=spots,
        dynamics=dynamics,
        loader=loader,
    )
    try:
        check_listed_expiries(position, market.ctx.as_of, path=path, override=override)
    except PositionFileError as exc:
        raise LoadError(f"bad position file:\n{exc}") from None
    strategy = strategy_from_position(position, path)
    recorded = recorded_spots(strategy, market.ctx.as_of, source=source, store=store)
    settlement = settle_position(position, strategy, market.ctx, path, recorded)
    live = settlement.live if settlement.live is not None else strategy
    return LoadedStrategy(live, market, settlement)


def source_info(loaded: LoadedStrategy | Market) -> SourceInfo:
    """The report's :class:`~strategies.report.SourceInfo` for the loaded snapshots: source
    names, the joined description (SYNTHETIC first on generated data), the first as-of."""
    first = next(iter(loaded.snapshots.values()))
    names = sorted({s.source for s in loaded.snapshots.values()})
    description = "; ".join(loaded.descriptions)
    if loaded.synthetic and "SYNTHETIC" not in description:
        description = f"SYNTHETIC {description}"
    return SourceInfo(",".join(names), description, loaded.synthetic, first.as_of)


def parse_spots(items: Sequence[str]) -> dict[str, float]:
    """``["TZA=10.5", ...]`` -> ``{"TZA": 10.5}`` (prices > 0, price units); :class:`LoadError`
    (field ``spot``) naming the bad item."""
    import math

    out: dict[str, float] = {}
    for item in items:
        sym, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not sym.strip() or not math.isfinite(number) or number <= 0.0:
            raise LoadError(f"{item!r} must be SYMBOL=PRICE with a price > 0", field="spot")
        out[sym.strip().upper()] = number
    return out
