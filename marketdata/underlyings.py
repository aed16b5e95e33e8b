"""Per-underlying facts in one table that users can extend: exercise style, delivery, multiplier,
option roots with their AM/PM settlement, the dividend model, the family an index moves with, and
betas to IWM and SPY with the window and data they were estimated over.

Where the facts come from, in order (each layer is merged over the previous one, field by field;
a table value, ``roots`` or ``beta_to_*``, is replaced whole):

1. the bundled file ``marketdata/data/underlyings.toml`` (IWM, SPY, RUT, MRUT, SPX, XSP, NDX, VIX);
2. the user's file: the one given to :func:`set_user_file` (the ``--underlyings FILE`` option),
   else ``$HEDGE_UNDERLYINGS`` (``off`` / ``none`` / ``0``: no user file), else
   ``underlyings.toml`` in the program's config folder
   (``platformdirs.user_config_dir("smallcap-hedge")``) when it exists.

A symbol in no table is a US equity or ETF option (:func:`equity_defaults`): American, physical
delivery, PM-settled, 100 shares, root = symbol, its own cash dividends (from the source or the
user), and no beta: "unknown" is said, never invented (:attr:`Underlying.beta_note`).

The file format is documented at the top of the bundled file. Every bad field is an
:class:`UnderlyingsFileError` (an :class:`~pricing.errors.InputError`) naming the file, the
symbol, the field and the value.

Units: ``multiplier`` in shares (or index dollars per point) per contract; ``dividend_yield``
decimal per year; betas of daily returns (dimensionless).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pricing.errors import InputError
from pricing.types import Delivery, ExerciseStyle, SettlementTime

UNDERLYINGS_ENV = "HEDGE_UNDERLYINGS"
UNDERLYINGS_FILENAME = "underlyings.toml"
BUNDLED_NAME = "bundled marketdata/data/underlyings.toml"
_OFF = ("off", "none", "0", "false", "no")

DividendModel = Literal["cash", "yield", "none"]


class UnderlyingsFileError(InputError):
    """A bad underlyings file: ``field`` is ``"<file>: SYMBOL.field"``, ``value`` the bad value."""


@dataclass(frozen=True, slots=True)
class EstimatedBeta:
    """A beta of daily returns with the ``window`` and ``source`` it was estimated over."""

    value: float
    window: str
    source: str

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not math.isfinite(float(self.value)):
            raise InputError("beta.value", self.value, "must be a finite number")
        object.__setattr__(self, "value", float(self.value))

    @property
    def label(self) -> str:
        """``"1.104 (2016-04-29..2021-04-27, ...)"``: the value and its window."""
        return f"{self.value:g} ({self.window})"


@dataclass(frozen=True, slots=True)
class Underlying:
    """The facts of one underlying (see the module docstring).

    ``roots``: ``(root, settlement)`` pairs; ``monthly_root``: the root of the third-Friday
    monthlies (and LEAPS); ``moves_with``: the symbol this one tracks one for one (None: itself);
    ``origin``: where the facts came from (the files, or "not in the table").
    """

    symbol: str
    style: ExerciseStyle
    delivery: Delivery
    multiplier: float
    roots: tuple[tuple[str, SettlementTime], ...]
    monthly_root: str
    dividends: DividendModel
    dividend_yield: float | None = None
    moves_with: str | None = None
    beta_to_iwm: EstimatedBeta | None = None
    beta_to_spy: EstimatedBeta | None = None
    origin: str = BUNDLED_NAME
    in_table: bool = True

    def __post_init__(self) -> None:
        if not (self.multiplier > 0 and math.isfinite(self.multiplier)):
            raise InputError(f"{self.symbol}.multiplier", self.multiplier, "must be > 0")
        names = [r for r, _ in self.roots]
        if not names:
            raise InputError(f"{self.symbol}.roots", self.roots, "needs at least one root")
        if self.monthly_root not in names:
            raise InputError(
                f"{self.symbol}.monthly_root",
                self.monthly_root,
                f"must be one of the roots {', '.join(names)}",
            )

    # --- settlement by root ---------------------------------------------------------------
    @property
    def root_names(self) -> tuple[str, ...]:
        """The option roots, monthly first as written in the table."""
        return tuple(r for r, _ in self.roots)

    @property
    def series_root(self) -> str:
        """The root of the non-monthly series (weeklies, dailies, quarterlies, end-of-month):
        the first root other than the monthly one, else the monthly root itself."""
        others = [r for r, _ in self.roots if r != self.monthly_root]
        return others[0] if others else self.monthly_root

    def settlement_of(self, root: str) -> SettlementTime:
        """AM or PM settlement of option ``root``; a root not in the table settles PM (the
        close), as every weekly, quarterly and end-of-month series of these products does."""
        key = root.strip().upper()
        for name, settle in self.roots:
            if name == key:
                return settle
        return SettlementTime.PM

    def root_for(self, expiry: date | None) -> str:
        """The root of a series expiring on ``expiry`` when the data do not say: the monthly
        root on a third Friday (or with no date), the series root otherwise."""
        if expiry is None or is_third_friday(expiry):
            return self.monthly_root
        return self.series_root

    @property
    def am_root(self) -> str | None:
        """The AM-settled monthly root, or None when the monthlies settle PM."""
        monthly = self.settlement_of(self.monthly_root)
        return self.monthly_root if monthly is SettlementTime.AM else None

    @property
    def pm_root(self) -> str:
        """The root of the PM-settled series (the series root; the monthly root when only one)."""
        return self.series_root if self.am_root is not None else self.monthly_root

    @property
    def is_cash_index(self) -> bool:
        """True for European, cash-settled index options (SPX, RUT ...)."""
        return self.delivery is Delivery.CASH

    @property
    def family(self) -> str:
        """The symbol whose returns this one shares (``moves_with``, else itself)."""
        return self.moves_with or self.symbol

    # --- betas ----------------------------------------------------------------------------
    def beta_to(self, benchmark: str) -> EstimatedBeta | None:
        """This underlying's estimated beta to ``benchmark`` (IWM or SPY), None if unknown."""
        key = benchmark.strip().upper()
        if key == "IWM":
            return self.beta_to_iwm
        if key == "SPY":
            return self.beta_to_spy
        return None


def is_third_friday(day: date) -> bool:
    """True if ``day`` is the third Friday of its month (the standard monthly expiry)."""
    return day.weekday() == 4 and 15 <= day.day <= 21


def equity_defaults(symbol: str) -> Underlying:
    """The facts of a symbol in no table: a US equity or ETF option, American, physical, PM,
    100 shares, root = symbol, its own cash dividends, betas unknown."""
    sym = _check_symbol(symbol)
    return Underlying(
        sym,
        ExerciseStyle.AMERICAN,
        Delivery.PHYSICAL,
        100.0,
        ((sym, SettlementTime.PM),),
        sym,
        "cash",
        origin="not in the underlyings table: US equity/ETF defaults",
        in_table=False,
    )


# --------------------------------------------------------------------------------------------
# File format (pydantic)
# --------------------------------------------------------------------------------------------


def _check_symbol(symbol: object) -> str:
    if not isinstance(symbol, str):
        raise InputError("symbol", symbol, "must be a ticker such as 'IWM' or 'SPX'")
    text = symbol.strip().upper().lstrip("^")
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9.\-]{0,14}", text):
        raise InputError("symbol", symbol, "must be a ticker such as 'IWM', 'SPY' or 'SPX'")
    return text


def _value_at(raw: Mapping[str, Any], loc: tuple[int | str, ...]) -> Any:
    node: Any = raw
    for part in loc:
        in_map = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_map or in_list:
            node = node[part]
        else:
            return "missing"
    return node


def parse_underlyings_text(text: str, where: str) -> dict[str, dict[str, Any]]:
    """Validate the TOML ``text`` of an underlyings file (``where`` names it in errors) and
    return its entries: upper-case symbol -> the fields it sets (only those).

    Raises :class:`UnderlyingsFileError` naming ``where``, the symbol, the field and the value.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnderlyingsFileError(f"{where}", "<file>", f"is not valid TOML: {exc}") from None
    out: dict[str, dict[str, Any]] = {}
    for key, table in raw.items():
        try:
            symbol = _check_symbol(key)
        except InputError:
            raise UnderlyingsFileError(
                f"{where}: [{key}]", key, "a table name must be a ticker such as 'SPX'"
            ) from None
        if symbol in out:
            raise UnderlyingsFileError(f"{where}: [{key}]", key, "the symbol appears twice")
        if not isinstance(table, dict):
            raise UnderlyingsFileError(
                f"{where}: {key}", table, "must be a table [SYMBOL] of fields"
            )
        from pydantic import ValidationError

        from marketdata._underlyings_schema import EntryModel

        try:
            model = EntryModel.model_validate(table)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc)
            value = _value_at(table, loc)
            raise UnderlyingsFileError(f"{where}: {symbol}.{field}", value, err["msg"]) from None
        entry = model.model_dump(exclude_none=True)
        if "dividend_yield" in entry and entry.get("dividends", "yield") != "yield":
            raise UnderlyingsFileError(
                f"{where}: {symbol}.dividend_yield",
                entry["dividend_yield"],
                f"is only read with dividends = 'yield', not {entry['dividends']!r}",
            )
        out[symbol] = entry
    return out


def _merge(
    layers: list[tuple[str, dict[str, dict[str, Any]]]],
) -> dict[str, Underlying]:
    merged: dict[str, dict[str, Any]] = {}
    origins: dict[str, list[str]] = {}
    for where, entries in layers:
        for symbol, fields in entries.items():
            merged.setdefault(symbol, {}).update(fields)
            origins.setdefault(symbol, []).append(where)
    table: dict[str, Underlying] = {}
    for symbol, fields in merged.items():
        where = " + ".join(origins[symbol])
        roots_raw: dict[str, str] = fields.get("roots") or {symbol: "pm"}
        roots = tuple((r, SettlementTime(s)) for r, s in roots_raw.items())
        monthly = fields.get("monthly_root") or next(iter(roots_raw))
        dividends = fields.get("dividends", "cash")
        if "dividend_yield" in fields and dividends != "yield":
            raise UnderlyingsFileError(
                f"{origins[symbol][-1]}: {symbol}.dividends",
                dividends,
                "a dividend_yield is given for this symbol, so dividends must be 'yield'",
            )
        try:
            table[symbol] = Underlying(
                symbol,
                ExerciseStyle(fields.get("style", "american")),
                Delivery(fields.get("delivery", "physical")),
                float(fields.get("multiplier", 100.0)),
                roots,
                monthly,
                dividends,
                fields.get("dividend_yield"),
                fields.get("moves_with"),
                _beta(fields.get("beta_to_iwm")),
                _beta(fields.get("beta_to_spy")),
                origin=where,
            )
        except InputError as exc:
            raise UnderlyingsFileError(
                f"{origins[symbol][-1]}: {exc.field}", exc.value, exc.reason
            ) from None
    for symbol, facts in table.items():
        if facts.moves_with is not None and facts.moves_with == symbol:
            raise UnderlyingsFileError(
                f"{origins[symbol][-1]}: {symbol}.moves_with", facts.moves_with, "names itself"
            )
    return table


def _beta(fields: Mapping[str, Any] | None) -> EstimatedBeta | None:
    if fields is None:
        return None
    return EstimatedBeta(float(fields["value"]), str(fields["window"]), str(fields["source"]))


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnderlyingTable(Mapping[str, Underlying]):
    """The merged table: symbol -> :class:`Underlying` for the symbols with an entry;
    :meth:`facts` answers for any symbol (equity defaults outside the table)."""

    entries: Mapping[str, Underlying]
    files: tuple[str, ...]

    def __getitem__(self, key: str) -> Underlying:
        return self.entries[key.strip().upper().lstrip("^")]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def facts(self, symbol: str) -> Underlying:
        """The facts of ``symbol`` (``^spx`` and lower case accepted): its entry, else an
        equity/ETF option's defaults (:func:`equity_defaults`)."""
        sym = _check_symbol(symbol)
        found = self.entries.get(sym)
        return found if found is not None else equity_defaults(sym)

    def owner_of_root(self, root: str) -> str | None:
        """The underlying that lists option ``root`` (``SPXW`` -> ``SPX``), None if no entry."""
        key = root.strip().upper()
        for facts in self.entries.values():
            if key in facts.root_names:
                return facts.symbol
        return None

    @property
    def cash_indexes(self) -> frozenset[str]:
        """The symbols whose options are cash-settled (SPX, RUT ...)."""
        return frozenset(s for s, f in self.entries.items() if f.is_cash_index)

    def family(self, symbol: str) -> frozenset[str]:
        """``symbol`` and every symbol that moves one for one with it (RUT, MRUT, IWM)."""
        root = self.facts(symbol).family
        return frozenset({root} | {s for s, f in self.entries.items() if f.family == root})

    def beta(self, symbol: str, benchmark: str) -> EstimatedBeta | None:
        """The estimated beta of ``symbol`` to ``benchmark`` (IWM or SPY): the symbol's own,
        else its family head's (RUT uses IWM's); 1 within a family; None when unknown."""
        facts = self.facts(symbol)
        bench = benchmark.strip().upper()
        if bench in self.family(facts.symbol):
            return EstimatedBeta(1.0, "identity", f"{facts.symbol} moves with {bench}")
        own = facts.beta_to(bench)
        if own is not None:
            return own
        if facts.moves_with is not None:
            head = self.facts(facts.moves_with).beta_to(bench)
            if head is not None:
                return EstimatedBeta(
                    head.value, head.window, f"{head.source}; {facts.symbol} via {facts.moves_with}"
                )
        return None

    def beta_note(self, symbol: str) -> str:
        """A sentence on ``symbol``'s betas to IWM and SPY: values with their windows, or
        "unknown" (never an assumed value)."""
        facts = self.facts(symbol)
        parts = []
        for bench in ("IWM", "SPY"):
            beta = self.beta(facts.symbol, bench)
            parts.append(
                f"beta to {bench} {beta.label}" if beta is not None else f"beta to {bench} unknown"
            )
        return f"{facts.symbol}: " + "; ".join(parts)


def load_underlyings(
    user_file: Path | None = None, *, bundled_text: str | None = None
) -> UnderlyingTable:
    """The table from the bundled file (or ``bundled_text``) with ``user_file`` merged over it.
    Raises :class:`UnderlyingsFileError` for a bad file (named in the message)."""
    text = (
        bundled_text
        if bundled_text is not None
        else resources.files("marketdata").joinpath("data", UNDERLYINGS_FILENAME).read_text("utf-8")
    )
    layers = [(BUNDLED_NAME, parse_underlyings_text(text, BUNDLED_NAME))]
    files = [BUNDLED_NAME]
    if user_file is not None:
        path = Path(user_file).expanduser()
        try:
            user_text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UnderlyingsFileError("underlyings", str(path), "no such file") from None
        except IsADirectoryError:
            raise UnderlyingsFileError(
                "underlyings", str(path), "is a folder, not a file"
            ) from None
        except UnicodeDecodeError:
            raise UnderlyingsFileError("underlyings", str(path), "is not UTF-8 text") from None
        except OSError as exc:
            raise UnderlyingsFileError("underlyings", str(path), f"cannot be read: {exc}") from None
        layers.append((str(path), parse_underlyings_text(user_text, str(path))))
        files.append(str(path))
    return UnderlyingTable(_merge(layers), tuple(files))


_state: dict[str, Path | None] = {"user_file": None}


def set_user_file(path: str | os.PathLike[str] | None) -> None:
    """Use ``path`` as the user's underlyings file from now on (the ``--underlyings`` option);
    None goes back to ``$HEDGE_UNDERLYINGS`` / the config folder. The file is read (and
    checked) at the next :func:`underlyings`."""
    _state["user_file"] = None if path is None else Path(os.fspath(path))
    _cached.cache_clear()


def user_file_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The user's underlyings file now in force (see the module docstring), or None."""
    if _state["user_file"] is not None:
        return _state["user_file"]
    env = os.environ if environ is None else environ
    raw = env.get(UNDERLYINGS_ENV, "").strip()
    if raw:
        return None if raw.lower() in _OFF else Path(raw).expanduser()
    import platformdirs

    from marketdata.paths import APP_NAME

    candidate = Path(platformdirs.user_config_dir(APP_NAME)) / UNDERLYINGS_FILENAME
    return candidate if candidate.is_file() else None


@lru_cache(maxsize=4)
def _cached(user_file: Path | None) -> UnderlyingTable:
    return load_underlyings(user_file)


def underlyings() -> UnderlyingTable:
    """The table in force: bundled facts with the user's file merged over them (cached per
    user file)."""
    return _cached(user_file_path())


def underlying(symbol: str) -> Underlying:
    """The facts of ``symbol`` from the table in force (equity defaults outside it)."""
    return underlyings().facts(symbol)
