"""Position files: a strategy's legs in a human-editable TOML file, validated strictly.

A position file looks like this (``schema_version = 1``; dates are bare TOML dates)::

    # smallcap-hedge position file
    schema_version = 1
    # optional: house-view weights saved by the app (sum to 1), written as a table
    # [scenario_weights] bear = 0.3, base = 0.45, bull = 0.25
    name = "IWM 200/180 put spread"
    underlying = "IWM"                 # optional: the strategy's main underlying (scenarios)
    notes = "hedge for the small-cap book"

    [[legs]]
    id = "long-put"                    # unique within the file
    instrument = "option"              # option | shares | letf
    underlying = "IWM"
    kind = "put"                       # call | put
    strike = 200.0                     # price units of the underlying
    expiry = 2026-03-20
    style = "american"                 # optional: american | european (default by underlying)
    settlement = "pm"                  # optional: am | pm
    multiplier = 100.0                 # optional: shares (index dollars) per contract
    quantity = 10                      # signed integer: + long, - short (contracts)
    entry_price = 4.25                 # per share (index point), >= 0
    notes = "optional free text"

    [[legs]]
    id = "tza"
    instrument = "letf"                # a daily-reset leveraged ETF
    symbol = "TZA"
    index = "RUT"                      # optional (default RUT)
    leverage = -3.0                    # optional for TNA (+3) and TZA (-3)
    quantity = 200                     # shares
    entry_price = 11.40

    [[legs]]
    id = "stock"
    instrument = "shares"
    symbol = "IWM"
    quantity = 1000
    entry_price = 210.0

Reading (:func:`load_position_file`) rejects, before anything is used: files above
:data:`MAX_POSITION_FILE_BYTES` (checked before parsing), invalid UTF-8 or TOML, a missing or
different ``schema_version``, unknown keys, wrong types (strict: ``"10"`` is not a number, ``10.0`` is
not an integer quantity), NaN and infinities, non-positive strikes, zero quantities and duplicate leg
ids. Every error is a :class:`PositionFileError` naming the file, the field (``legs[1].strike``) and
the line of the TOML text.

Writing (:func:`save_position_file`) validates first, then replaces the file atomically through
:mod:`marketdata.files` (temp file beside the target, fsync, :func:`os.replace`, folder fsync): a
crash leaves either the old file or the new one, never a mix. Devices, FIFOs, folders and symlinks
are refused; an existing file that is not a position file is replaced only with ``force``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from marketdata.files import POSITION_FILE, InputFileError, atomic_write_text, check_input_file
from pricing.types import ExerciseStyle, OptionContract, OptionKind, SettlementTime
from strategies.legs import TNA, TZA, Leg, LeveragedETF, Shares, option_for

SCHEMA_VERSION = 1
#: Largest position file accepted (bytes); larger files are rejected before parsing.
MAX_POSITION_FILE_BYTES = 1_000_000
FILE_HEADER = (
    "# smallcap-hedge position file: edit freely, keep schema_version = 1.\n"
    "# quantity: signed integer (+ long, - short); prices per share (index point).\n"
)

_KNOWN_ETFS = {"TNA": TNA, "TZA": TZA}
_LEG_KEY_ORDER = {
    k: i
    for i, k in enumerate(
        (
            "id",
            "instrument",
            "underlying",
            "symbol",
            "index",
            "kind",
            "strike",
            "expiry",
            "style",
            "settlement",
            "multiplier",
            "leverage",
            "expense_ratio",
            "financing_spread",
            "quantity",
            "entry_price",
            "notes",
        )
    )
}
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
_SYMBOL_PATTERN = r"^[A-Z][A-Z0-9.^]{0,15}$"


@dataclass(frozen=True, slots=True)
class PositionIssue:
    """One problem in a position file: the dotted ``field`` (``legs[1].strike``), the 1-based
    ``line`` of the TOML text (None when no line applies, e.g. the file size) and a message."""

    field: str
    line: int | None
    message: str

    def render(self, path: str) -> str:
        """``path:line: field: message``."""
        where = f"{path}:{self.line}" if self.line is not None else path
        return f"{where}: {self.field}: {self.message}"


class PositionFileError(ValueError):
    """A position file could not be read or written; ``issues`` lists every problem found.

    ``path`` is the file, ``field`` and ``line`` those of the first issue.
    """

    def __init__(self, path: str | Path, issues: Sequence[PositionIssue]) -> None:
        if not issues:
            raise ValueError("PositionFileError needs at least one issue")
        self.path = str(path)
        self.issues = tuple(issues)
        self.field = self.issues[0].field
        self.line = self.issues[0].line
        super().__init__("\n".join(issue.render(self.path) for issue in self.issues))


class _Strict(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False, frozen=True, str_strip_whitespace=False
    )


def _check_quantity(value: int) -> int:
    if value == 0:
        raise ValueError("must be a non-zero integer (+ long, - short)")
    return value


class _LegBase(_Strict):
    id: Annotated[str, Field(pattern=_ID_PATTERN)]
    quantity: Annotated[int, Field(ge=-10_000_000, le=10_000_000)]
    entry_price: Annotated[float, Field(ge=0.0, le=1.0e7)]
    notes: Annotated[str, Field(max_length=10_000)] | None = None

    @field_validator("quantity")
    @classmethod
    def _non_zero(cls, value: int) -> int:
        return _check_quantity(value)


class OptionLegSpec(_LegBase):
    """An option leg: ``quantity`` in contracts, ``entry_price`` per share (index point).

    ``style``, ``settlement`` and ``multiplier`` default to the listed product's conventions
    (IWM/SPY American PM x100, RUT European AM x100, MRUT European PM x100); a value that differs
    from the listed product is an error unless ``override = true`` (here or at the top of the
    file). ``settlement_price``: the official settlement value of the underlying (price units)
    once the leg has expired; it settles the leg (:mod:`strategies.settlement`).
    """

    instrument: Literal["option"]
    underlying: Annotated[str, Field(pattern=_SYMBOL_PATTERN)]
    kind: Literal["call", "put"]
    strike: Annotated[float, Field(gt=0.0, le=1.0e7)]
    expiry: date
    style: Literal["american", "european"] | None = None
    settlement: Literal["am", "pm"] | None = None
    multiplier: Annotated[float, Field(gt=0.0, le=1.0e6)] | None = None
    settlement_price: Annotated[float, Field(gt=0.0, le=1.0e7)] | None = None
    override: bool | None = None


class SharesLegSpec(_LegBase):
    """Shares (or index units) of ``symbol``: ``quantity`` in shares, ``entry_price`` > 0."""

    instrument: Literal["shares"]
    symbol: Annotated[str, Field(pattern=_SYMBOL_PATTERN)]


class LeveragedEtfLegSpec(_LegBase):
    """A daily-reset leveraged ETF: ``quantity`` in ETF shares, ``entry_price`` per ETF share.

    ``symbol`` (TNA, TZA, ...), ``index`` (default RUT), ``leverage`` the daily multiple (may be
    left out for TNA = +3 and TZA = -3), ``expense_ratio`` and ``financing_spread`` decimals per
    year (default: the fund's known values for TNA/TZA, else 0).
    """

    instrument: Literal["letf"]
    symbol: Annotated[str, Field(pattern=_SYMBOL_PATTERN)]
    index: Annotated[str, Field(pattern=_SYMBOL_PATTERN)] | None = None
    leverage: Annotated[float, Field(ge=-10.0, le=10.0)] | None = None
    expense_ratio: Annotated[float, Field(ge=0.0, le=0.2)] | None = None
    financing_spread: Annotated[float, Field(ge=-0.2, le=0.2)] | None = None

    @field_validator("leverage")
    @classmethod
    def _non_zero_leverage(cls, value: float | None) -> float | None:
        if value == 0.0:
            raise ValueError("must be non-zero (3.0 for TNA, -3.0 for TZA)")
        return value

    @model_validator(mode="after")
    def _known_or_explicit(self) -> LeveragedEtfLegSpec:
        if self.leverage is None and self.symbol not in _KNOWN_ETFS:
            raise PydanticCustomError(
                "leverage_required",
                "leverage is required for {symbol} (known funds: TNA, TZA)",
                {"symbol": self.symbol},
            )
        return self


LegSpec = Annotated[
    OptionLegSpec | SharesLegSpec | LeveragedEtfLegSpec, Field(discriminator="instrument")
]


class PositionFile(_Strict):
    """The whole file: version, name, optional default underlying and notes, the optional
    ``benchmark`` of beta-weighting (a pair's hedge side), an optional file-wide ``override`` of
    the listed-product checks, and the legs."""

    schema_version: Literal[1]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    underlying: Annotated[str, Field(pattern=_SYMBOL_PATTERN)] | None = None
    notes: Annotated[str, Field(max_length=10_000)] | None = None
    benchmark: Annotated[str, Field(pattern=_SYMBOL_PATTERN)] | None = None
    override: bool | None = None
    legs: Annotated[list[LegSpec], Field(min_length=1, max_length=500)]
    #: Optional house-view weights saved by the app: scenario name -> probability (sum 1).
    scenario_weights: (
        dict[Annotated[str, Field(pattern=_ID_PATTERN)], Annotated[float, Field(ge=0.0, le=1.0)]]
        | None
    ) = None

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> PositionFile:
        if self.scenario_weights is not None:
            total = sum(self.scenario_weights.values())
            if not self.scenario_weights or abs(total - 1.0) > 1e-6:
                raise PydanticCustomError(
                    "weights_sum",
                    "scenario_weights must sum to 1 (they sum to {total})",
                    {"total": total},
                )
        return self

    @model_validator(mode="after")
    def _listed_conventions(self, info: ValidationInfo) -> PositionFile:
        forced = bool((info.context or {}).get("override"))
        for i, leg in enumerate(self.legs):
            if not isinstance(leg, OptionLegSpec) or forced or self.override or leg.override:
                continue
            problem = convention_problem(leg)
            if problem is not None:
                field, message = problem
                raise PydanticCustomError(
                    "convention", "{message}", {"message": message, "index": i, "field": field}
                )
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> PositionFile:
        seen: dict[str, int] = {}
        for i, leg in enumerate(self.legs):
            if leg.id in seen:
                raise PydanticCustomError(
                    "duplicate_leg_id",
                    "duplicate leg id {leg_id!r} (first used by legs[{first}])",
                    {"leg_id": leg.id, "first": seen[leg.id], "index": i},
                )
            seen[leg.id] = i
        return self

    def to_toml(self) -> str:
        """The file's TOML text (with a comment header); ``None`` fields are left out and each
        leg's keys come in reading order (what, then how many, at what price, then notes)."""
        data = self.model_dump(mode="python", exclude_none=True)
        data["legs"] = [
            {
                k: leg[k]
                for k in sorted(leg, key=lambda k: _LEG_KEY_ORDER.get(k, len(_LEG_KEY_ORDER)))
            }
            for leg in data["legs"]
        ]
        return FILE_HEADER + tomli_w.dumps(data)


def _nearest_sessions(day: date) -> str:
    from datetime import timedelta

    from marketdata.calendar import is_session

    before = next(
        day - timedelta(days=k) for k in range(1, 15) if is_session(day - timedelta(days=k))
    )
    after = next(
        day + timedelta(days=k) for k in range(1, 15) if is_session(day + timedelta(days=k))
    )
    return f"{before.isoformat()} or {after.isoformat()}"


def convention_problem(leg: OptionLegSpec) -> tuple[str, str] | None:
    """``(field, message)`` when an option leg contradicts its listed product (style, settlement,
    multiplier from the underlyings table, :mod:`marketdata.underlyings`) or expires on a day
    with no trading session; None when it agrees (or the underlying is not in the table, in
    which case only the session check applies)."""
    from marketdata.calendar import is_session, monthly_expiry
    from marketdata.underlyings import underlyings

    if not is_session(leg.expiry):
        return (
            "expiry",
            f"{leg.expiry.isoformat()} ({leg.expiry.strftime('%A')}) is not a trading session, so no "
            f"option expires on it; the nearest sessions are {_nearest_sessions(leg.expiry)}",
        )
    rules = underlyings().get(leg.underlying)
    if rules is None:
        return None
    hint = "; set override = true on the leg to price a non-standard contract"
    if leg.style is not None and leg.style != rules.style.value:
        return (
            "style",
            f"listed {leg.underlying} options are {rules.style.value}, not {leg.style}{hint}",
        )
    if leg.multiplier is not None and leg.multiplier != rules.multiplier:
        return (
            "multiplier",
            f"listed {leg.underlying} options have multiplier {rules.multiplier:g}, not {leg.multiplier:g}{hint}",
        )
    if leg.settlement == "am":
        if rules.am_root is None:
            return (
                "settlement",
                f"listed {leg.underlying} options are PM-settled, not AM-settled{hint}",
            )
        every_series_am = rules.settlement_of(rules.series_root).value == "am"  # VIX
        if not every_series_am and monthly_expiry(leg.expiry.year, leg.expiry.month) != leg.expiry:
            return (
                "settlement",
                f"only the standard monthly {leg.underlying} options are AM-settled; "
                f"{leg.expiry.isoformat()} is not a monthly expiry (the monthly is "
                f"{monthly_expiry(leg.expiry.year, leg.expiry.month).isoformat()}){hint}",
            )
    return None


# --------------------------------------------------------------------------------------------
# Mapping a pydantic location back to a line of the TOML text
# --------------------------------------------------------------------------------------------

_HEADER_RE = re.compile(r"^\s*(\[\[|\[)\s*([^\]]+?)\s*(\]\]|\])\s*(#.*)?$")
_KEY_RE = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)\s*(?:\.|=)""")


def _unquote(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key


def _split_dotted(path: str) -> tuple[str, ...]:
    parts = re.findall(r"""("(?:[^"\\]|\\.)*"|'[^']*'|[^.\s]+)""", path)
    return tuple(_unquote(p) for p in parts)


def _code_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` for lines outside multi-line strings."""
    in_multi: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multi is not None:
            if line.count(in_multi) % 2 == 1:
                in_multi = None
            continue
        yield number, line
        for quote in ('"""', "'''"):
            if line.count(quote) % 2 == 1:
                in_multi = quote
                break


def locate_line(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of ``text`` (TOML) that defines the value at pydantic location ``loc``,
    e.g. ``("legs", 1, "strike")``; the table's header line when the key itself is absent (a
    missing field); None if nothing matches."""
    # The table part of loc: names and array indices up to the last key.
    table: list[str | int] = list(loc[:-1]) if loc and isinstance(loc[-1], str) else list(loc)
    key = loc[-1] if loc and isinstance(loc[-1], str) else None
    names = tuple(p for p in table if isinstance(p, str))
    index = next((p for p in reversed(table) if isinstance(p, int)), None)

    counts: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()
    current_index: int | None = None
    header_line: int | None = None
    key_line: int | None = None
    root_key_line: int | None = None
    for number, line in _code_lines(text):
        header = _HEADER_RE.match(line)
        if header:
            path = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                current_index = counts.get(path, 0)
                counts[path] = current_index + 1
            else:
                current_index = None
            current = path
            if current == names and (index is None or current_index == index):
                header_line = number
            continue
        match = _KEY_RE.match(line)
        if not match:
            continue
        name = _unquote(match.group(1))
        in_target = current == names and (index is None or current_index == index)
        if in_target and key is not None and name == key and key_line is None:
            key_line = number
        if current == () and names and name == names[0] and root_key_line is None:
            root_key_line = number
        if not names and current == () and key is not None and name == key and key_line is None:
            key_line = number
    if key_line is not None:
        return key_line
    if header_line is not None:
        return header_line
    return root_key_line


def _field_name(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "<file>"


_TAGS = {"option", "shares", "letf"}


def _clean_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Drop the discriminator tag pydantic inserts after a union member's index."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and part in _TAGS and i > 0 and isinstance(loc[i - 1], int):
            continue
        out.append(part)
    return tuple(out)


def _issues_from_validation(text: str, error: ValidationError) -> list[PositionIssue]:
    issues: list[PositionIssue] = []
    for item in error.errors(include_url=False):
        loc = _clean_loc(item["loc"])
        kind = item["type"]
        message = item["msg"]
        ctx = item.get("ctx") or {}
        if kind == "duplicate_leg_id":
            loc = ("legs", int(ctx["index"]), "id")
        elif kind == "convention":
            loc = ("legs", int(ctx["index"]), str(ctx["field"]))
        elif kind == "leverage_required":
            loc = (*loc, "leverage")
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "instrument")
            message = "must be one of 'option', 'shares', 'letf'"
        elif kind == "finite_number":
            message = "must be a finite number (NaN and inf are rejected)"
        if "input" in item and kind not in (
            "missing",
            "duplicate_leg_id",
            "extra_forbidden",
            "convention",
        ):
            shown = repr(item["input"])
            if len(shown) <= 60 and not isinstance(item["input"], (dict, list)):
                message = f"{message} (got {shown})"
        if kind == "extra_forbidden":
            message = "unknown key (not part of schema_version 1)"
        issues.append(PositionIssue(_field_name(loc), locate_line(text, loc), message))
    return issues


_TOML_LINE_RE = re.compile(r"at line (\d+)")


def parse_position_text(
    text: str, *, path: str | Path = "<text>", override: bool = False
) -> PositionFile:
    """Validate TOML ``text`` as a position file; raise :class:`PositionFileError` naming ``path``."""
    if len(text.encode("utf-8")) > MAX_POSITION_FILE_BYTES:
        raise PositionFileError(
            path, [PositionIssue("<file>", None, f"larger than {MAX_POSITION_FILE_BYTES} bytes")]
        )
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE_RE.search(str(exc))
        line = int(found.group(1)) if found else None
        raise PositionFileError(
            path, [PositionIssue("<toml>", line, f"invalid TOML: {exc}")]
        ) from None
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        reason = (
            "missing (this program reads schema_version = 1)"
            if version is None
            else f"unsupported version {version!r} (this program reads schema_version = 1)"
        )
        raise PositionFileError(
            path, [PositionIssue("schema_version", locate_line(text, ("schema_version",)), reason)]
        )
    try:
        return PositionFile.model_validate(raw, context={"override": override})
    except ValidationError as exc:
        raise PositionFileError(path, _issues_from_validation(text, exc)) from None


def load_position_file(path: str | Path, *, override: bool = False) -> PositionFile:
    """Read and validate a position file (see the module docstring for what is rejected).

    The file must be a regular file (a FIFO, device or folder is refused before opening, so a read
    never hangs). The size is checked before reading and again on the bytes read, so a file that
    grows in between is still refused.
    """
    file_path = Path(path)
    try:
        check_input_file(file_path)  # a FIFO or a device would block or never end
    except InputFileError as exc:
        raise PositionFileError(file_path, [PositionIssue("<file>", None, exc.reason)]) from None
    try:
        size = file_path.stat().st_size
        if size > MAX_POSITION_FILE_BYTES:
            raise PositionFileError(
                file_path,
                [
                    PositionIssue(
                        "<file>", None, f"{size} bytes: larger than {MAX_POSITION_FILE_BYTES}"
                    )
                ],
            )
        with file_path.open("rb") as handle:
            data = handle.read(MAX_POSITION_FILE_BYTES + 1)
    except OSError as exc:
        raise PositionFileError(
            file_path, [PositionIssue("<file>", None, f"cannot read: {exc.strerror or exc}")]
        ) from None
    if len(data) > MAX_POSITION_FILE_BYTES:
        raise PositionFileError(
            file_path,
            [PositionIssue("<file>", None, f"larger than {MAX_POSITION_FILE_BYTES} bytes")],
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PositionFileError(
            file_path, [PositionIssue("<file>", line, "not valid UTF-8")]
        ) from None
    return parse_position_text(text, path=file_path, override=override)


def save_position_file(
    path: str | Path, position: PositionFile | dict[str, Any], *, force: bool = False
) -> PositionFile:
    """Validate ``position`` (a model or a plain dict) and write it to ``path`` with
    :func:`marketdata.files.atomic_write_text` (atomic; refuses devices, FIFOs, folders and
    symlinks; replaces an existing file that is not a position file only with ``force``).

    Nothing is written when validation fails or the text would exceed the size cap; the returned
    model is what was written (it reads back equal). Raises :class:`PositionFileError` for an
    invalid position and :class:`marketdata.files.OutputFileError` when the file cannot be
    written (the old file, if any, is then unchanged).
    """
    model = (
        position if isinstance(position, PositionFile) else PositionFile.model_validate(position)
    )
    text = model.to_toml()
    checked = parse_position_text(text, path=path)  # what we write must read back
    if len(text.encode("utf-8")) > MAX_POSITION_FILE_BYTES:  # pragma: no cover - guarded above
        raise PositionFileError(path, [PositionIssue("<file>", None, "too large to save")])
    atomic_write_text(path, text, POSITION_FILE, force=force)
    return checked


# --------------------------------------------------------------------------------------------
# Conversion to and from the strategy core
# --------------------------------------------------------------------------------------------


def spec_to_leg(spec: OptionLegSpec | SharesLegSpec | LeveragedEtfLegSpec) -> Leg:
    """The :class:`strategies.legs.Leg` a file leg describes (product conventions fill the
    optional fields)."""
    if isinstance(spec, OptionLegSpec):
        base = option_for(spec.underlying, spec.kind, spec.strike, spec.expiry, spec.settlement)
        contract = OptionContract(
            base.underlying,
            OptionKind.parse(spec.kind),
            spec.strike,
            spec.expiry,
            ExerciseStyle.parse(spec.style) if spec.style else base.style,
            spec.multiplier if spec.multiplier is not None else base.multiplier,
            SettlementTime(spec.settlement) if spec.settlement else base.settlement,
            base.delivery,
        )
        return Leg(contract, spec.quantity, spec.entry_price, spec.id)
    if isinstance(spec, SharesLegSpec):
        return Leg(Shares(spec.symbol), spec.quantity, spec.entry_price, spec.id)
    known = _KNOWN_ETFS.get(spec.symbol)
    etf = LeveragedETF(
        spec.symbol,
        spec.index or (known.index if known else "RUT"),
        spec.leverage if spec.leverage is not None else (known.leverage if known else 0.0),
        expense_ratio=(
            spec.expense_ratio
            if spec.expense_ratio is not None
            else (known.expense_ratio if known else 0.0)
        ),
        financing_spread=(
            spec.financing_spread
            if spec.financing_spread is not None
            else (known.financing_spread if known else 0.0)
        ),
    )
    return Leg(etf, spec.quantity, spec.entry_price, spec.id)


def _safe_id(text: str, index: int, used: set[str]) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text).strip("-.") or f"leg{index + 1}"
    slug = slug[:60]
    if not slug[0].isalnum():
        slug = f"leg-{slug}"[:60]
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    used.add(candidate)
    return candidate


def leg_to_spec(
    leg: Leg, *, leg_id: str | None = None, notes: str | None = None
) -> OptionLegSpec | SharesLegSpec | LeveragedEtfLegSpec:
    """The file form of ``leg``; its entry price must be known (a file records what was paid)."""
    if leg.entry_price is None:
        raise PositionFileError(
            "<memory>",
            [
                PositionIssue(
                    f"legs[{leg.leg_id}].entry_price", None, "unknown: price the leg first"
                )
            ],
        )
    ident = leg_id or leg.leg_id
    instrument = leg.instrument
    if isinstance(instrument, OptionContract):
        return OptionLegSpec(
            id=ident,
            instrument="option",
            underlying=instrument.underlying.upper(),
            kind=instrument.kind.value,  # type: ignore[arg-type]
            strike=float(instrument.strike),
            expiry=instrument.expiry,
            style=instrument.style.value,  # type: ignore[arg-type]
            settlement=instrument.settlement.value,  # type: ignore[arg-type]
            multiplier=float(instrument.multiplier),
            quantity=leg.quantity,
            entry_price=float(leg.entry_price),
            notes=notes,
        )
    if isinstance(instrument, Shares):
        return SharesLegSpec(
            id=ident,
            instrument="shares",
            symbol=instrument.symbol,
            quantity=leg.quantity,
            entry_price=float(leg.entry_price),
            notes=notes,
        )
    return LeveragedEtfLegSpec(
        id=ident,
        instrument="letf",
        symbol=instrument.symbol,
        index=instrument.index,
        leverage=float(instrument.leverage),
        expense_ratio=float(instrument.expense_ratio),
        financing_spread=float(instrument.financing_spread),
        quantity=leg.quantity,
        entry_price=float(leg.entry_price),
        notes=notes,
    )


def position_from_legs(
    name: str,
    legs: Sequence[Leg],
    *,
    underlying: str | None = None,
    notes: str | None = None,
    benchmark: str | None = None,
    override: bool = False,
    scenario_weights: dict[str, float] | None = None,
) -> PositionFile:
    """A :class:`PositionFile` for ``legs`` (ids made unique and file-safe), with optional
    house-view ``scenario_weights`` (scenario name -> probability, summing to 1). ``override`` writes
    ``override = true`` into the file, for legs that differ from the listed product (they were
    loaded with ``--override``), so that the saved file reads back; without it such legs are a
    :class:`PositionFileError` naming the leg and the field."""
    used: set[str] = set()
    specs = []
    try:
        for i, leg in enumerate(legs):
            specs.append(leg_to_spec(leg, leg_id=_safe_id(leg.leg_id, i, used)))
        return PositionFile(
            schema_version=1,
            name=name,
            underlying=underlying,
            notes=notes,
            benchmark=benchmark,
            override=True if override else None,
            legs=specs,
            scenario_weights=scenario_weights,
        )
    except ValidationError as exc:
        issues = []
        for item in exc.errors(include_url=False):
            loc = _clean_loc(item["loc"])
            ctx = item.get("ctx") or {}
            if item["type"] == "convention":
                issues.append(
                    PositionIssue(f"legs[{ctx['index']}].{ctx['field']}", None, item["msg"])
                )
                continue
            where = f"legs[{len(specs)}]" if not loc or loc[0] != "legs" else ""
            field = _field_name(loc)
            value = item.get("input")
            shown = "" if isinstance(value, (dict, list)) or value is None else f" (got {value})"
            issues.append(
                PositionIssue(f"{where}.{field}" if where else field, None, f"{item['msg']}{shown}")
            )
        raise PositionFileError("<memory>", issues) from None


def position_settlement_prices(position: PositionFile) -> dict[str, float]:
    """The ``settlement_price`` of each option leg that records one, by leg id."""
    return {
        spec.id: spec.settlement_price
        for spec in position.legs
        if isinstance(spec, OptionLegSpec) and spec.settlement_price is not None
    }


def check_listed_expiries(
    position: PositionFile,
    as_of: datetime,
    *,
    path: str | Path = "<position>",
    text: str | None = None,
    override: bool = False,
) -> None:
    """Raise :class:`PositionFileError` for an option leg, not yet expired at ``as_of``, whose
    expiry is not listed for its underlying as of ``as_of`` (the message names the nearest listed
    expiries); legs with ``override = true`` (or a file-level override) and underlyings without
    listing rules are not checked. ``text``: the file's TOML text, for line numbers."""
    from marketdata.calendar import LISTING_HORIZONS, listed_expiries

    issues: list[PositionIssue] = []
    for i, spec in enumerate(position.legs):
        if not isinstance(spec, OptionLegSpec) or override or position.override or spec.override:
            continue
        if spec.underlying not in LISTING_HORIZONS:
            continue
        leg = spec_to_leg(spec)
        contract = leg.contract
        assert contract is not None
        if contract.expiry_datetime <= as_of:
            continue  # expired: settled, not priced
        horizon = max(2.0, (spec.expiry - as_of.date()).days / 365.0 + 0.1)
        listed = listed_expiries(spec.underlying, as_of, horizon)
        days = sorted({e.expiry for e in listed})
        if spec.expiry in days:
            continue
        issues.append(
            PositionIssue(
                f"legs[{i}].expiry",
                locate_line(text, ("legs", i, "expiry")) if text is not None else None,
                f"{spec.expiry.isoformat()} is not a listed {spec.underlying} expiry as of "
                f"{as_of.date().isoformat()}; the nearest listed are {nearest_dates(days, spec.expiry)}",
            )
        )
    if issues:
        raise PositionFileError(path, issues)


def nearest_dates(days: Sequence[date], wanted: date, count: int = 2) -> str:
    """The listed dates nearest ``wanted`` (up to ``count`` on each side), as ISO text."""
    before = [d for d in days if d < wanted][-count:]
    after = [d for d in days if d > wanted][:count]
    chosen = before + after
    return ", ".join(d.isoformat() for d in chosen) if chosen else "none"


def position_legs(position: PositionFile) -> list[Leg]:
    """The legs of a position file as :class:`strategies.legs.Leg` objects, in file order."""
    return [spec_to_leg(spec) for spec in position.legs]
