"""Row-wise batch pricing for scripts: the logic behind ``hedge price`` and ``hedge iv``.

Rows are dicts of strings (a CSV row). Every row gets a ``status``: ``ok`` or the reason it failed
(``error: <field>=<value>: <reason>``); one bad row never stops the others. Valid rows are priced
vectorised in groups that share a style and a dividend schedule.

Input columns: ``kind`` (call|put), ``style`` (european|american), ``spot``, ``strike``,
``t_years``, ``rate``, ``div_yield`` (optional, default 0), ``vol`` (for pricing) or ``price``
(for implied vol), and optional ``dividends`` (cash dividends as ``t_years:amount;t_years:amount``).
Units: decimals for rates, yields and vols; years for times; Greeks in :mod:`pricing.black_scholes` units.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pricing.errors import InputError, PricingError
from pricing.types import DividendSchedule, ExerciseStyle, OptionKind

GREEK_COLUMNS = ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm")
PRICE_OUTPUT_COLUMNS = ("price", *GREEK_COLUMNS, "status")
IV_OUTPUT_COLUMNS = ("iv", "status")
ENGINES = ("default", "fd", "qdfp", "baw", "bjs")


@dataclass(frozen=True, slots=True)
class _Row:
    index: int
    kind: OptionKind
    style: ExerciseStyle
    spot: float
    strike: float
    t_years: float
    rate: float
    div_yield: float
    value: float  # vol for pricing, price for implied vol
    dividends: DividendSchedule
    dividends_key: str


def _number(row: Mapping[str, Any], field: str, *, default: float | None = None) -> float:
    raw = row.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if default is not None:
            return default
        raise InputError(field, raw, "is required")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InputError(field, raw, "must be a number") from None
    if not math.isfinite(value):
        raise InputError(field, raw, "must be finite")
    return value


def _parse(index: int, row: Mapping[str, Any], value_field: str) -> _Row:
    kind = OptionKind.parse(row.get("kind"))
    style = ExerciseStyle.parse(row.get("style") or "european")
    spot = _number(row, "spot")
    if spot <= 0:
        raise InputError("spot", row.get("spot"), "must be > 0")
    strike = _number(row, "strike")
    if strike <= 0:
        raise InputError("strike", row.get("strike"), "must be > 0")
    t_years = _number(row, "t_years")
    if t_years < 0:
        raise InputError("t_years", row.get("t_years"), "must be >= 0")
    rate = _number(row, "rate")
    div_yield = _number(row, "div_yield", default=0.0)
    value = _number(row, value_field)
    if value_field == "vol" and not 0.0 < value <= 5.0:
        raise InputError("vol", row.get("vol"), "must be a decimal vol in (0, 5]")
    if value_field == "price" and value <= 0:
        raise InputError("price", row.get("price"), "must be > 0")
    div_text = str(row.get("dividends") or "").strip()
    dividends = DividendSchedule.parse(div_text)
    dividends.validate_against_spot(spot)
    return _Row(
        index, kind, style, spot, strike, t_years, rate, div_yield, value, dividends, div_text
    )


def _status(exc: Exception) -> str:
    return f"error: {exc}"


def _run_groups(
    rows: Sequence[Mapping[str, Any]],
    value_field: str,
    compute: Callable[[list[_Row]], list[dict[str, float | str]]],
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [dict(r) for r in rows]
    groups: dict[tuple[ExerciseStyle, str], list[_Row]] = defaultdict(list)
    for i, row in enumerate(rows):
        try:
            parsed = _parse(i, row, value_field)
        except PricingError as exc:
            results[i]["status"] = _status(exc)
            continue
        groups[(parsed.style, parsed.dividends_key)].append(parsed)
    for members in groups.values():
        try:
            outputs = compute(members)
        except PricingError:
            # Isolate the row that spoils the group; the others still price.
            outputs = []
            for member in members:
                try:
                    outputs.extend(compute([member]))
                except PricingError as exc:
                    outputs.append({"status": _status(exc)})
        for member, output in zip(members, outputs, strict=True):
            results[member.index].update(output)
    return results


def _arrays(members: list[_Row]) -> dict[str, Any]:
    return {
        "kind": [m.kind.value for m in members],
        "spot": np.array([m.spot for m in members]),
        "strike": np.array([m.strike for m in members]),
        "t_years": np.array([m.t_years for m in members]),
        "rate": np.array([m.rate for m in members]),
        "div_yield": np.array([m.div_yield for m in members]),
        "dividends": members[0].dividends or None,
    }


def price_rows(
    rows: Sequence[Mapping[str, Any]], *, engine: str = "default"
) -> list[dict[str, Any]]:
    """Price each row and add ``price``, the eight Greeks and ``status`` (per share, project units).

    ``engine`` picks the American engine (default, fd, qdfp, baw, bjs); European rows are analytic.
    """
    if engine not in ENGINES:
        raise InputError("engine", engine, f"must be one of {', '.join(ENGINES)}")
    from pricing.american import american_greeks, american_price
    from pricing.european import european_greeks, european_price

    def compute(members: list[_Row]) -> list[dict[str, float | str]]:
        args = _arrays(members)
        vol = np.array([m.value for m in members])
        if members[0].style is ExerciseStyle.AMERICAN:
            price = american_price(**args, vol=vol, engine=engine)
            greeks = american_greeks(**args, vol=vol, engine=engine)
        else:
            price = european_price(**args, vol=vol)
            greeks = european_greeks(**args, vol=vol)
        table = {"price": price, **greeks.as_dict()}
        return [
            {**{k: float(np.asarray(v).reshape(-1)[i]) for k, v in table.items()}, "status": "ok"}
            for i in range(len(members))
        ]

    return _run_groups(rows, "vol", compute)


def iv_rows(rows: Sequence[Mapping[str, Any]], *, engine: str = "default") -> list[dict[str, Any]]:
    """Solve the implied vol (decimal) of each row's ``price``; add ``iv`` (empty when none) and
    ``status`` (``ok`` or the reason: below_intrinsic, above_ceiling, no_time_value, ...)."""
    if engine not in ENGINES:
        raise InputError("engine", engine, f"must be one of {', '.join(ENGINES)}")
    from pricing.implied_vol import implied_vol

    def compute(members: list[_Row]) -> list[dict[str, float | str]]:
        args = _arrays(members)
        style = members[0].style.value
        extra: dict[str, Any] = {"engine": engine} if style == "american" else {}
        result = implied_vol(
            **args, price=np.array([m.value for m in members]), style=style, **extra
        )
        vols = np.asarray(result.vol).reshape(-1)
        statuses = np.asarray(result.status).reshape(-1)
        return [
            {"iv": float(vols[i]) if statuses[i] == "ok" else math.nan, "status": str(statuses[i])}
            for i in range(len(members))
        ]

    return _run_groups(rows, "price", compute)
