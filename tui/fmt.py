"""Number formatting shared by the widgets (display only: every number comes from the core)."""

from __future__ import annotations

import math


def money(x: float | None, *, signed: bool = False) -> str:
    """Dollars with thousands separators and no cents above $1,000 (``-`` when missing)."""
    if x is None or not math.isfinite(x):
        return "-"
    sign = "+" if signed and x > 0 else ""
    if abs(x) >= 1000.0:
        return f"{sign}{x:,.0f}"
    return f"{sign}{x:,.2f}"


def num(x: float | None, spec: str = ".2f") -> str:
    """A number in ``spec`` (``-`` when missing or not finite)."""
    if x is None or not math.isfinite(x):
        return "-"
    return format(x, spec)


def pct(x: float | None, digits: int = 1) -> str:
    """A decimal as a percentage (0.174 -> ``17.4 %``)."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{100.0 * x:.{digits}f} %"


def vol_pts(x: float | None) -> str:
    """A decimal vol in vol points (0.2213 -> ``22.1``)."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{100.0 * x:.1f}"
