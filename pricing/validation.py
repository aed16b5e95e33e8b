"""Array input checks shared by the functional API. Each failure names the field and the value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing.errors import InputError
from pricing.types import OptionKind

MAX_VOL = 5.0

FloatArray = NDArray[np.float64]


def _first_bad(field: str, values: FloatArray, bad: NDArray[np.bool_], reason: str) -> InputError:
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if values.ndim else ()
    where = f"{field}[{', '.join(map(str, index))}]" if index else field
    return InputError(where, float(values[index] if index else values), reason)


def as_float_array(field: str, value: ArrayLike) -> FloatArray:
    """``value`` as a float64 array; raise :class:`InputError` naming ``field`` if it is not numeric."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(field, value, "must be a number or an array of numbers") from None


def positive(field: str, value: ArrayLike) -> FloatArray:
    """Finite and > 0 everywhere (spots, strikes, prices)."""
    arr = as_float_array(field, value)
    bad = ~np.isfinite(arr) | (arr <= 0.0)
    if bad.any():
        raise _first_bad(field, arr, bad, "must be finite and > 0")
    return arr


def finite(field: str, value: ArrayLike) -> FloatArray:
    """Finite everywhere (rates, yields)."""
    arr = as_float_array(field, value)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise _first_bad(field, arr, bad, "must be finite")
    return arr


def non_negative(field: str, value: ArrayLike) -> FloatArray:
    """Finite and >= 0 everywhere (times to expiry)."""
    arr = as_float_array(field, value)
    bad = ~np.isfinite(arr) | (arr < 0.0)
    if bad.any():
        raise _first_bad(field, arr, bad, "must be finite and >= 0")
    return arr


def volatility(field: str, value: ArrayLike) -> FloatArray:
    """A decimal vol in (0, 5] everywhere."""
    arr = as_float_array(field, value)
    bad = ~np.isfinite(arr) | (arr <= 0.0) | (arr > MAX_VOL)
    if bad.any():
        raise _first_bad(field, arr, bad, f"must be a decimal vol in (0, {MAX_VOL}]")
    return arr


def kind_sign(value: Any, field: str = "kind") -> FloatArray:
    """+1.0 for calls and -1.0 for puts, from a string, an :class:`OptionKind` or an array of them."""
    if isinstance(value, (str, OptionKind)):
        return np.asarray(float(OptionKind.parse(value, field=field).sign))
    arr = np.asarray(value)
    if arr.dtype.kind in "fi":
        ok = np.isin(arr, (1, -1))
        if not ok.all():
            raise InputError(field, arr[~ok].flat[0], "numeric kinds must be +1 (call) or -1 (put)")
        return arr.astype(np.float64)
    if arr.ndim == 0:
        return np.asarray(float(OptionKind.parse(arr.item(), field=field).sign))
    flat: Iterable[Any] = arr.ravel().tolist()
    signs = [float(OptionKind.parse(k, field=f"{field}[{i}]").sign) for i, k in enumerate(flat)]
    return np.asarray(signs, dtype=np.float64).reshape(arr.shape)
