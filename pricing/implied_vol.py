"""Implied volatility of whole option chains: one vol (or NaN and a reason) per quote.

:func:`implied_vol` (spot, Black-Scholes-Merton, optional cash dividends) and
:func:`implied_vol_black76` (forward, for index options such as RUT/MRUT) broadcast over arrays and
return an :class:`~pricing.iv_result.ImpliedVolResult`. A bad quote never raises for the whole
chain: it gets a status instead, and its vol is NaN (never 0):

- ``ok``: vol found;
- ``bad_input:<field>``: the first invalid input of the quote, in the order kind, spot (forward),
  strike, t_years, rate, div_yield, price, dividends (spot, strike and price must be finite and
  > 0, t_years finite and >= 0, rates finite, kind call/put);
- ``expired``: ``t_years == 0`` (no time value can exist);
- ``below_intrinsic``: price below the European lower bound ``max(±(S e^{-qT} - K e^{-rT}), 0)``;
- ``above_ceiling``: price at or above the no-arbitrage upper bound (``S e^{-qT}`` for a call,
  ``K e^{-rT}`` for a put);
- ``no_time_value``: the undiscounted price is within ``NO_TIME_VALUE_RTOL x max(F, K)``
  (1e-12 of the forward or strike) of the intrinsic value ``max(±(F - K), 0)``: deep in the money
  the time value is then below the rounding of the inputs, and a solver would return 0 or noise
  (also a price so small that its vol underflows);
- ``no_convergence``: no solver settled the quote (a safety net, not seen in tests).

Engines (European): ``"default"`` (alias ``"fast"``) runs the compiled chain solver of
:mod:`pricing.fast_kernels` (numba, chunks shared between threads): an explicit guess from
Pólya's approximation of the normal CDF, corrected from a precomputed table, then one
Householder(3) step on Jäckel's normalised Black function, with a numba port of Peter Jäckel's
"Let's Be Rational" for the wings and any quote the step does not settle; ``"lbr"`` runs that port
on every quote; ``"vollib"`` (alias ``"reference"``) loops over vollib one quote at a time
(:mod:`pricing.reference`; it applies vollib's own bounds, without the time-value guard). The
compiled engines agree with vollib to <= 1e-10 in absolute vol wherever the vega is meaningful,
defined as BSM vega per 1.00 of vol >= 1e-4 x spot (``MEANINGFUL_VEGA_REL``); in practice they
agree to ~1e-15 wherever the vol is well conditioned. ``style="american"`` dispatches to
:func:`pricing.american.american_implied_vol` with the same keywords (``engine`` passed through).

Cash dividends use the escrowed model, as :func:`pricing.european.european_price` does: the spot
is replaced by ``spot - PV(dividends with ex-date in (0, T])`` before solving.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing.dividends import pv_dividends
from pricing.errors import InputError
from pricing.iv_result import (
    BAD_INPUT_PREFIX,
    STATUS_ABOVE_CEILING,
    STATUS_BELOW_INTRINSIC,
    STATUS_EXPIRED,
    STATUS_NO_CONVERGENCE,
    STATUS_NO_TIME_VALUE,
    STATUS_OK,
    ImpliedVolResult,
)
from pricing.types import DividendSchedule, ExerciseStyle, OptionKind

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: The fast path must match vollib to 1e-10 in vol where vega per 1.00 of vol >= this x spot.
MEANINGFUL_VEGA_REL = 1.0e-4
#: See the module docstring (mirrors :data:`pricing.fast_kernels.NO_TIME_VALUE_RTOL`).
NO_TIME_VALUE_RTOL = 1.0e-12

FAST_ENGINES = ("default", "fast", "lbr")
REFERENCE_ENGINES = ("vollib", "reference")
EUROPEAN_ENGINES = FAST_ENGINES + REFERENCE_ENGINES

# The statuses the kernel reports as codes 0-4 (pricing.fast_kernels.IV_*), in code order.
_KERNEL_STATUSES = (
    STATUS_OK,
    STATUS_BELOW_INTRINSIC,
    STATUS_ABOVE_CEILING,
    STATUS_NO_TIME_VALUE,
    STATUS_NO_CONVERGENCE,
)


_CALL_WORDS = np.array(["call"], dtype="<U4").view(np.uint64)
_PUT_WORDS = np.array(["put"], dtype="<U4").view(np.uint64)


def _kind_signs(kind: Any, field: str = "kind") -> tuple[FloatArray, BoolArray]:
    """Per-quote +1 (call) / -1 (put) and a mask of unparseable kinds (sign NaN there)."""
    if isinstance(kind, (str, OptionKind)):
        try:
            return np.asarray(float(OptionKind.parse(kind, field=field).sign)), np.asarray(False)
        except InputError:
            return np.asarray(np.nan), np.asarray(True)
    arr = np.asarray(kind)
    if arr.dtype.kind in "fiu":
        signs = np.asarray(arr, dtype=np.float64)
        bad = ~np.isin(signs, (1.0, -1.0))
        return np.where(bad, np.nan, signs), bad
    if arr.dtype == np.dtype("<U4") and arr.size:
        # "call"/"put" compared as two 64-bit words of UTF-32 (a view, no string comparison);
        # anything else goes through the parser below.
        words = np.ascontiguousarray(arr).view(np.uint64).reshape(*arr.shape, 2)
        is_call = (words[..., 0] == _CALL_WORDS[0]) & (words[..., 1] == _CALL_WORDS[1])
        is_put = (words[..., 0] == _PUT_WORDS[0]) & (words[..., 1] == _PUT_WORDS[1])
        signs = np.where(is_call, 1.0, np.where(is_put, -1.0, np.nan))
    elif arr.dtype.kind == "U":
        signs = np.where(arr == "call", 1.0, np.where(arr == "put", -1.0, np.nan))
    else:
        signs = np.full(arr.shape, np.nan)
    todo = np.isnan(signs)
    if todo.any():
        parsed: dict[Any, float] = {}

        def parse(item: Any) -> float:
            key = item if isinstance(item, str) else repr(item)
            if key not in parsed:
                try:
                    parsed[key] = float(OptionKind.parse(item, field=field).sign)
                except InputError:
                    parsed[key] = np.nan
            return parsed[key]

        signs = np.array(signs, dtype=np.float64)
        signs[todo] = [parse(item) for item in arr[todo].tolist()]
    return signs, np.isnan(signs)


def _float_input(field: str, value: ArrayLike) -> FloatArray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(field, value, "must be a number or an array of numbers") from None


def _solve(
    *,
    sign: FloatArray,
    bad_kind: BoolArray,
    underlying: FloatArray,
    underlying_field: str,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    price: FloatArray,
    dividends: DividendSchedule | None,
    engine: str,
    forward_model: bool,
) -> ImpliedVolResult:
    """Screen each quote (first invalid field, expiry), then solve the rest with the engine."""
    from pricing import fast_kernels as fk

    try:
        arrays = np.broadcast_arrays(
            sign, bad_kind, underlying, strike, t_years, rate, div_yield, price
        )
    except ValueError:
        shapes = [np.shape(a) for a in (sign, underlying, strike, t_years, rate, div_yield, price)]
        raise InputError("shape", shapes, "inputs do not broadcast together") from None
    shape = arrays[0].shape
    w, s, k, t, r, q, p = (
        np.ascontiguousarray(a, dtype=np.float64).reshape(-1) for a in arrays[:1] + arrays[2:]
    )
    code = np.where(arrays[1].reshape(-1), fk.IV_BAD_KIND, fk.IV_UNSET).astype(np.int8)
    s_model = s
    if dividends:
        with np.errstate(all="ignore"):  # invalid t/r are screened out below
            safe_t = np.where(np.isfinite(t), t, 0.0)
            safe_r = np.where(np.isfinite(r), r, 0.0)
            s_model = np.asarray(s - pv_dividends(dividends, safe_t, safe_r), dtype=np.float64)
    vol = np.full(code.shape[0], np.nan)
    if engine in FAST_ENGINES:
        fk.iv_chain(w, s, s_model, k, t, r, q, p, code, vol, _guess_table(), engine == "lbr")
    else:
        fk.screen_quotes(s, s_model, k, t, r, q, p, code)
        _solve_with_vollib(w, s_model, k, t, r, q, p, code, vol, forward_model)
    statuses = _statuses(underlying_field)
    index = code.astype(np.intp)
    used = np.flatnonzero(np.bincount(index, minlength=statuses.size))
    # The narrowest string dtype that holds the statuses present (all "ok": 2 characters).
    narrow = statuses.astype(np.asarray(statuses[used].tolist(), dtype=np.str_).dtype)
    return ImpliedVolResult(
        vol=np.where(code == fk.IV_OK, vol, np.nan).reshape(shape),
        status=narrow[index].reshape(shape),
    )


def _solve_with_vollib(
    w: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    p: FloatArray,
    code: NDArray[np.int8],
    vol: FloatArray,
    forward_model: bool,
) -> None:
    """The reference engine: vollib one quote at a time where ``code`` is unset."""
    from pricing import fast_kernels as fk
    from pricing import reference
    from pricing.errors import ImpliedVolError

    index = {name: i for i, name in enumerate(_KERNEL_STATUSES)}
    for i in np.flatnonzero(code == fk.IV_UNSET):
        kind = "call" if w[i] > 0 else "put"
        try:
            if forward_model:
                vol[i] = reference.reference_implied_vol_black76(
                    kind=kind, forward=s[i], strike=k[i], t_years=t[i], rate=r[i], price=p[i]
                )
            else:
                vol[i] = reference.reference_implied_vol(
                    kind=kind,
                    spot=s[i],
                    strike=k[i],
                    t_years=t[i],
                    rate=r[i],
                    div_yield=q[i],
                    price=p[i],
                )
            code[i] = fk.IV_OK
        except ImpliedVolError as err:
            code[i] = index.get(err.reason, fk.IV_NO_CONVERGENCE)


@functools.cache
def _statuses(underlying_field: str) -> NDArray[np.str_]:
    """Status strings indexed by the kernel's codes (see :mod:`pricing.fast_kernels`)."""
    from pricing import fast_kernels as fk

    by_code = {
        fk.IV_OK: STATUS_OK,
        fk.IV_BELOW_INTRINSIC: STATUS_BELOW_INTRINSIC,
        fk.IV_ABOVE_CEILING: STATUS_ABOVE_CEILING,
        fk.IV_NO_TIME_VALUE: STATUS_NO_TIME_VALUE,
        fk.IV_NO_CONVERGENCE: STATUS_NO_CONVERGENCE,
        fk.IV_EXPIRED: STATUS_EXPIRED,
        fk.IV_BAD_KIND: BAD_INPUT_PREFIX + "kind",
        fk.IV_BAD_UNDERLYING: BAD_INPUT_PREFIX + underlying_field,
        fk.IV_BAD_STRIKE: BAD_INPUT_PREFIX + "strike",
        fk.IV_BAD_T_YEARS: BAD_INPUT_PREFIX + "t_years",
        fk.IV_BAD_RATE: BAD_INPUT_PREFIX + "rate",
        fk.IV_BAD_DIV_YIELD: BAD_INPUT_PREFIX + "div_yield",
        fk.IV_BAD_PRICE: BAD_INPUT_PREFIX + "price",
        fk.IV_BAD_DIVIDENDS: BAD_INPUT_PREFIX + "dividends",
    }
    table = [STATUS_NO_CONVERGENCE] * (max(by_code) + 1)
    for code, status in by_code.items():
        table[code] = status
    return np.asarray(table, dtype=np.str_)


@functools.cache
def _guess_table() -> FloatArray:
    """The fast solver's correction table, built once per process (a few milliseconds)."""
    from pricing.fast_kernels import make_guess_table

    return make_guess_table()


def _check_engine(engine: str) -> str:
    if engine not in EUROPEAN_ENGINES:
        raise InputError(
            "engine", engine, f"must be one of {', '.join(EUROPEAN_ENGINES)} for European options"
        )
    return engine


def implied_vol(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    price: ArrayLike,
    style: Any = "european",
    dividends: DividendSchedule | None = None,
    engine: str = "default",
) -> ImpliedVolResult:
    """Implied vols (decimal) of option ``price``s (per share, discounted), one per quote.

    ``kind``: "call"/"put" (or c/p, or +1/-1), scalar or array; ``spot``/``strike`` in price
    units; ``t_years`` in years; ``rate`` and ``div_yield`` continuously compounded decimals per
    year; cash ``dividends`` (times in years from valuation, amounts per share) use the escrowed
    model. All array arguments broadcast together; the result has the broadcast shape.

    ``style="european"`` solves the Black-Scholes-Merton price with the engine ``"default"``
    (compiled chain solver), ``"lbr"`` (numba Let's Be Rational on every quote) or ``"vollib"``
    (the scalar reference loop). ``style="american"`` dispatches to
    :func:`pricing.american.american_implied_vol` with the same keywords and ``engine``. Invalid
    quotes get a status (see the module docstring) instead of raising; only an unknown
    ``style``/``engine``, a non-numeric input or arrays that do not broadcast raise
    :class:`InputError`.
    """
    exercise = ExerciseStyle.parse(style)
    if exercise is ExerciseStyle.AMERICAN:
        from pricing.american import american_implied_vol

        result: ImpliedVolResult = american_implied_vol(
            kind=kind,
            spot=spot,
            strike=strike,
            t_years=t_years,
            rate=rate,
            div_yield=div_yield,
            price=price,
            dividends=dividends,
            engine=engine,
        )
        return result
    sign, bad_kind = _kind_signs(kind)
    return _solve(
        sign=sign,
        bad_kind=bad_kind,
        underlying=_float_input("spot", spot),
        underlying_field="spot",
        strike=_float_input("strike", strike),
        t_years=_float_input("t_years", t_years),
        rate=_float_input("rate", rate),
        div_yield=_float_input("div_yield", div_yield),
        price=_float_input("price", price),
        dividends=dividends,
        engine=_check_engine(engine),
        forward_model=False,
    )


def implied_vol_black76(
    *,
    kind: Any,
    forward: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    price: ArrayLike,
    engine: str = "default",
) -> ImpliedVolResult:
    """Black-76 implied vols (decimal) of discounted option ``price``s on a ``forward`` (index
    options such as RUT/MRUT, whose forward comes from put-call parity), discounted at ``rate``
    (continuous, decimal) over ``t_years``. Bounds: lower ``max(±(F-K), 0) e^{-rT}``, upper
    ``F e^{-rT}`` (call) or ``K e^{-rT}`` (put). Statuses and engines as :func:`implied_vol`
    (``bad_input:forward`` names the forward)."""
    sign, bad_kind = _kind_signs(kind)
    return _solve(
        sign=sign,
        bad_kind=bad_kind,
        underlying=_float_input("forward", forward),
        underlying_field="forward",
        strike=_float_input("strike", strike),
        t_years=_float_input("t_years", t_years),
        rate=_float_input("rate", rate),
        div_yield=_float_input("rate", rate),
        price=_float_input("price", price),
        dividends=None,
        engine=_check_engine(engine),
        forward_model=True,
    )
