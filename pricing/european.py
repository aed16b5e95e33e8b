"""European options: the validated, broadcasting functional API over the Black-Scholes kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pricing import validation as v
from pricing._typing import FloatArray
from pricing.black_scholes import Greeks
from pricing.dividends import escrowed_spot
from pricing.errors import InputError
from pricing.european_kernels import checked_price_greeks
from pricing.types import DividendSchedule

_FIELDS = ("spot", "strike", "t_years", "rate", "div_yield", "vol")
_B76_FIELDS = ("forward", "strike", "t_years", "rate", "rate", "vol")


def _raise_first_error(kind: Any, values: tuple[ArrayLike, ...], names: tuple[str, ...]) -> None:
    """Re-run the numpy validators in field order on inputs the fused kernel rejected, so the
    error names the same field and value as ever."""
    v.kind_sign(kind)
    checks = {
        "spot": v.positive,
        "forward": v.positive,
        "strike": v.positive,
        "t_years": v.non_negative,
        "rate": v.finite,
        "div_yield": v.finite,
        "vol": v.volatility,
    }
    for name, value in zip(names, values, strict=True):
        checks[name](name, value)
    raise InputError(
        "inputs", "?", "rejected by the kernel but by no validator"
    )  # pragma: no cover


def _flat(arrays: list[FloatArray], shape: tuple[int, ...]) -> list[FloatArray]:
    """Each array as 1-d: length 1 if it holds one value (broadcast in the kernel, no copy),
    else the full broadcast length (a view when it already has the full shape)."""
    out = []
    for a in arrays:
        if a.size == 1:
            out.append(a.reshape(1))
        elif a.shape == shape:
            out.append(np.ascontiguousarray(a).reshape(-1))
        else:
            out.append(np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1))
    return out


def _fused(
    kind: Any,
    values: tuple[ArrayLike, ...],
    names: tuple[str, ...],
    dividends: DividendSchedule | None,
    *,
    greeks: bool,
    forward: bool = False,
) -> tuple[FloatArray, tuple[int, ...]]:
    """Validate, broadcast and price in one compiled pass; ``(rows, shape)`` with ``rows`` of
    shape ``(9 or 1, n)``. ``values`` are spot (forward), strike, t_years, rate, div_yield, vol."""
    if dividends:
        spot, strike, t_years, rate, div_yield, vol = values
        sign, s, k, t, r, carry, sigma = prepare_inputs(
            kind, spot, strike, t_years, rate, div_yield, vol, dividends
        )
        q = np.asarray(r - carry)
        shape = s.shape
        if not (s > 0.0).all():
            j = int(np.argmin(s.reshape(-1)))
            raise InputError(
                "dividends",
                tuple(dividends.amounts),
                f"present value before expiry leaves no share value "
                f"(escrowed spot {s.reshape(-1)[j]})",
            )
        arrays = [sign, s, k, t, r, q, sigma]
    else:
        sign = v.kind_sign(kind, check_numeric=False)
        arrays = [sign, *(v.as_float_array(name, x) for name, x in zip(names, values, strict=True))]
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            raise InputError(
                "shape", [a.shape for a in arrays], "inputs do not broadcast together"
            ) from None
    n = int(np.prod(shape, dtype=np.int64))
    f = _flat(arrays, shape)
    rows = checked_price_greeks(
        f[0], f[1], f[2], f[3], f[4], f[5], f[6], n, greeks=greeks, forward=forward
    )
    if rows is None:
        _raise_first_error(kind, values, names)
        raise AssertionError("unreachable")  # pragma: no cover
    return rows, shape


def prepare_inputs(
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike,
    vol: ArrayLike,
    dividends: DividendSchedule | None,
) -> tuple[FloatArray, ...]:
    """Validate and broadcast; return ``(sign, spot_for_model, strike, t, rate, carry, vol)``.

    With cash ``dividends`` the spot becomes the escrowed spot (spot - PV of dividends to expiry).
    """
    sign = v.kind_sign(kind)
    s = v.positive("spot", spot)
    k = v.positive("strike", strike)
    t = v.non_negative("t_years", t_years)
    r = v.finite("rate", rate)
    q = v.finite("div_yield", div_yield)
    sigma = v.volatility("vol", vol)
    if dividends:
        dividends.validate_against_spot(s)
        s = escrowed_spot(s, dividends, t, r)
    carry = np.asarray(r - q, dtype=np.float64)
    return tuple(np.broadcast_arrays(sign, s, k, t, r, carry, sigma))


def european_price(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    vol: ArrayLike,
    dividends: DividendSchedule | None = None,
) -> FloatArray:
    """Black-Scholes-Merton price per share of European options.

    ``kind`` is "call"/"put" or an array of them; ``spot``/``strike`` in price units; ``t_years``
    in years (0 = at expiry: intrinsic value); ``rate`` and ``div_yield`` continuously compounded
    decimals per year; ``vol`` decimal. Optional cash ``dividends`` (times in years from now)
    use the escrowed model. Broadcasts over all array arguments.
    """
    rows, shape = _fused(
        kind, (spot, strike, t_years, rate, div_yield, vol), _FIELDS, dividends, greeks=False
    )
    return np.asarray(rows[0].reshape(shape), dtype=np.float64)


def european_greeks(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    vol: ArrayLike,
    dividends: DividendSchedule | None = None,
) -> Greeks:
    """Greeks per share of European options (units in :mod:`pricing.black_scholes`): delta,
    gamma, vega (per vol point), theta (per calendar day), rho (per 1 % rate), vanna, volga, charm.
    Same arguments as :func:`european_price`. With cash dividends, delta and gamma are with respect
    to the quoted spot (the escrowed spot moves one for one with it)."""
    rows, shape = _fused(
        kind, (spot, strike, t_years, rate, div_yield, vol), _FIELDS, dividends, greeks=True
    )
    return Greeks(*(row.reshape(shape) for row in rows[1:]))


def black76_price(
    *,
    kind: Any,
    forward: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
) -> FloatArray:
    """Black-76 price of European options on a ``forward`` (index options such as RUT, whose
    forward comes from put-call parity), discounted at ``rate`` over ``t_years``."""
    rows, shape = _fused(
        kind,
        (forward, strike, t_years, rate, rate, vol),
        _B76_FIELDS,
        None,
        greeks=False,
        forward=True,
    )
    return np.asarray(rows[0].reshape(shape), dtype=np.float64)


def black76_greeks(
    *,
    kind: Any,
    forward: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
) -> Greeks:
    """Black-76 Greeks: delta and gamma per 1.00 of the forward, rho with the forward held fixed;
    other units as in :mod:`pricing.black_scholes`."""
    rows, shape = _fused(
        kind,
        (forward, strike, t_years, rate, rate, vol),
        _B76_FIELDS,
        None,
        greeks=True,
        forward=True,
    )
    return Greeks(*(row.reshape(shape) for row in rows[1:]))
