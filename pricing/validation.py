"""Array input checks shared by the functional API. Each failure names the field and the value."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing._typing import FloatArray
from pricing.errors import InputError
from pricing.types import OptionKind

MAX_VOL = 5.0


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


def finite_number(field: str, value: object) -> float:
    """One finite number (int, float or numeric text; not a bool) as a float, in whatever unit
    the field carries; :class:`InputError` naming ``field`` and the value otherwise."""
    if isinstance(value, bool):
        raise InputError(field, value, "must be a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(field, value, "must be a number") from None
    if not math.isfinite(number):
        raise InputError(field, value, "must be finite")
    return number


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


def kind_sign(value: Any, field: str = "kind", *, check_numeric: bool = True) -> FloatArray:
    """+1.0 for calls and -1.0 for puts, from a string, an :class:`OptionKind`, +1/-1, or an
    array, list or pandas Series of them; raise :class:`InputError` naming the first bad one.

    Arrays of strings or enums cost a pass over the elements, not a comparison per string: an
    object array (a DataFrame column) is parsed once per distinct object, a numpy string array
    by comparing code points in a compiled loop. ``check_numeric=False`` leaves the +1/-1 check
    of numeric kinds to the caller (the fused European kernel checks them as it prices)."""
    if isinstance(value, (str, OptionKind)):
        return np.asarray(float(OptionKind.parse(value, field=field).sign))
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (str, OptionKind)):
        arr = np.empty(len(value), dtype=object)
        arr[:] = value  # an object array holding the caller's objects (no string copies)
    else:
        arr = np.asarray(value)
    if arr.dtype.kind in "fiu":
        if check_numeric:
            ok = np.isin(arr, (1, -1))
            if not ok.all():
                raise InputError(
                    field, arr[~ok].flat[0], "numeric kinds must be +1 (call) or -1 (put)"
                )
        return arr.astype(np.float64, copy=False)
    if arr.ndim == 0:
        return np.asarray(float(OptionKind.parse(arr.item(), field=field).sign))
    flat = arr.reshape(-1)
    if flat.size and arr.dtype == np.object_:
        return _object_signs(flat, field).reshape(arr.shape)
    if flat.size and arr.dtype.kind == "U":
        from pricing.european_kernels import utf32_signs

        signs = utf32_signs(flat)
        _parse_rest(flat, signs, np.flatnonzero(np.isnan(signs)), field)
        return signs.reshape(arr.shape)
    signs = np.full(flat.size, np.nan)
    _parse_rest(flat, signs, np.arange(flat.size), field)
    return signs.reshape(arr.shape)


def _parse_rest(flat: NDArray[Any], signs: FloatArray, todo: NDArray[np.intp], field: str) -> None:
    """Parse ``flat[todo]`` one by one into ``signs`` (each distinct value once), in order, so
    the error names the first bad element."""
    parsed: dict[Any, float] = {}
    for i in todo.tolist():
        item = flat[i]
        if isinstance(item, np.generic):
            item = item.item()  # np.str_('x') -> 'x', as the error message shows it
        key = (type(item), item) if isinstance(item, (str, OptionKind, bytes)) else None
        sign = parsed.get(key) if key is not None else None
        if sign is None:
            sign = float(OptionKind.parse(item, field=f"{field}[{i}]").sign)
            if key is not None:
                parsed[key] = sign
        signs[i] = sign


def _object_signs(flat: NDArray[Any], field: str) -> FloatArray:
    """Signs of a 1-d object array: parse each distinct object once (see :func:`kind_sign`)."""
    from pricing.european_kernels import object_kind_codes

    found = object_kind_codes(flat)
    if found is None:  # many distinct objects: compare values
        signs = np.where(flat == "call", 1.0, np.where(flat == "put", -1.0, np.nan))
        _parse_rest(flat, signs, np.flatnonzero(np.isnan(signs)), field)
        return signs
    codes, first = found
    table = np.array(
        [float(OptionKind.parse(flat[i], field=f"{field}[{i}]").sign) for i in first.tolist()]
    )
    return table[codes] if table.size else np.empty(0)
