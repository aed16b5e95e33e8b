"""American options: prices, Greeks and implied vols for whole arrays of options.

Engines (``engine=``):

* ``"default"``: the project's fast engine (:mod:`pricing.american_kernels`, numba, threads over
  groups of options). Without cash dividends before expiry it is the Andersen-Lake-Offengenden
  spectral fixed-point method (error below about 1e-4 per 100 of spot against QuantLib's
  high-precision QdFp); with cash dividends it is a Crank-Nicolson finite-difference solver in the
  SPOT dividend model (the share drops by the cash amount on the ex-date, as in QuantLib's FD
  engine), Richardson-extrapolated (typical error 1e-4 relative). Options that differ only in
  spot share one solve, so P&L grids over spots cost little more than one option per leg and date.
* ``"fd"``: QuantLib's ``FdBlackScholesVanillaEngine`` with the dividends (the reference);
  ``"qdfp"``: QuantLib's QdFp engine; ``"baw"``: Barone-Adesi-Whaley; ``"bjs"``:
  Bjerksund-Stensland (the last three take no cash dividends). See :mod:`pricing.quantlib_engines`.

Units: spots, strikes and prices per share; ``t_years`` in years (Actual/365 Fixed, exact: never
rounded to days); ``rate`` and ``div_yield`` continuously compounded decimals; ``vol`` decimal;
cash ``dividends`` as times in years from valuation and amounts per share (only those with
ex-date in ``(0, t_years]`` matter to an option). At or past expiry (``t_years <= 0``) every
engine returns intrinsic value. Greeks use :mod:`pricing.black_scholes` units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing import american_iv_kernels, american_kernels
from pricing import validation as v
from pricing._typing import FloatArray
from pricing.american_bounds import zero_vol_value
from pricing.black_scholes import DAYS_PER_YEAR, Greeks
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
    status_table,
)
from pricing.types import DividendSchedule, OptionKind

ENGINES = ("default", "fd", "qdfp", "baw", "bjs")
#: How the default engine solves a chain (see :func:`american_implied_vol`).
IV_METHODS = ("chain", "per_quote")

#: Bump sizes of the bump-and-reprice Greeks.
VOL_BUMP = 1e-3  # absolute vol
RATE_BUMP = 1e-4  # absolute rate
SPOT_BUMP = 1e-3  # relative spot
TIME_BUMP_DAYS = 1.0  # calendar days (charm)


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _check_engine(engine: object) -> str:
    if not isinstance(engine, str) or engine not in ENGINES:
        raise InputError("engine", engine, f"must be one of {ENGINES}")
    return engine


def _dividend_arrays(dividends: object) -> tuple[DividendSchedule | None, FloatArray, FloatArray]:
    if dividends is None:
        return None, np.empty(0), np.empty(0)
    if not isinstance(dividends, DividendSchedule):
        raise InputError("dividends", dividends, "must be a DividendSchedule or None")
    return (
        dividends,
        np.asarray(dividends.times_years, dtype=np.float64),
        np.asarray(dividends.amounts, dtype=np.float64),
    )


def _check_dividends_vs_spot(
    schedule: DividendSchedule | None,
    div_t: FloatArray,
    div_a: FloatArray,
    spot: FloatArray,
    t: FloatArray,
) -> None:
    """Every amount below every spot, and the dividends before each expiry below its spot."""
    if not schedule:
        return
    schedule.validate_against_spot(spot)
    before = (div_t[None, :] > 0.0) & (div_t[None, :] <= t.reshape(-1, 1))
    total = (before * div_a[None, :]).sum(axis=1)
    bad = total >= spot.ravel()
    if bad.any():
        j = int(np.argmax(bad))
        raise InputError(
            "dividends",
            tuple(div_a.tolist()),
            f"cash dividends before expiry ({total[j]}) >= spot {spot.ravel()[j]}",
        )


def _prepare(
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike,
    vol: ArrayLike,
    dividends: object,
) -> tuple[tuple[int, ...], list[FloatArray], DividendSchedule | None, FloatArray, FloatArray]:
    sign = v.kind_sign(kind)
    s = v.positive("spot", spot)
    k = v.positive("strike", strike)
    t = v.finite("t_years", t_years)  # t <= 0: at or past expiry, intrinsic value
    r = v.finite("rate", rate)
    q = v.finite("div_yield", div_yield)
    sigma = v.volatility("vol", vol)
    schedule, div_t, div_a = _dividend_arrays(dividends)
    try:
        arrays = np.broadcast_arrays(sign, s, k, t, r, q, sigma)
    except ValueError:
        raise InputError(
            "shape",
            [np.shape(a) for a in (sign, s, k, t, r, q, sigma)],
            "inputs do not broadcast together",
        ) from None
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrays]
    _check_dividends_vs_spot(schedule, div_t, div_a, flat[1], flat[3])
    return shape, flat, schedule, div_t, div_a


def _group(
    sign: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Order options so that those sharing every input but the spot are contiguous; return the
    permutation and the group boundaries (``starts``, length groups + 1)."""
    n = sign.shape[0]
    keys = [a for a in (sigma, q, r, t, k, sign) if n and not np.all(a == a[0])]
    if not keys:
        return np.arange(n, dtype=np.int64), np.array([0, n], dtype=np.int64)
    order = np.lexsort(keys).astype(np.int64)
    change = np.zeros(n, dtype=bool)
    for a in keys:
        sa = a[order]
        change[1:] |= sa[1:] != sa[:-1]
    starts = np.concatenate(([0], np.flatnonzero(change), [n])).astype(np.int64)
    return order, starts


#: |rate| or |div_yield| (decimal per year) above which the default engine defers to QuantLib.
FAST_CARRY_LIMIT = 1.0


def _default_prices(
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    sigma: FloatArray,
    div_t: FloatArray,
    div_a: FloatArray,
    level: int = 1,
) -> FloatArray:
    """Prices from the fast engine for live options (``t > 0``), grouped by all inputs but spot."""
    order, starts = _group(sign, k, t, r, q, sigma)
    first = order[starts[:-1]]
    out_sorted = np.empty(sign.shape[0])
    american_kernels.price_groups(
        np.ascontiguousarray(sign[first]),
        np.ascontiguousarray(k[first]),
        np.ascontiguousarray(t[first]),
        np.ascontiguousarray(r[first]),
        np.ascontiguousarray(q[first]),
        np.ascontiguousarray(sigma[first]),
        starts,
        np.ascontiguousarray(s[order]),
        div_t,
        div_a,
        level,
        out_sorted,
    )
    out = np.empty_like(out_sorted)
    out[order] = out_sorted
    return out


def _prices(
    engine: str,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    sigma: FloatArray,
    schedule: DividendSchedule | None,
    div_t: FloatArray,
    div_a: FloatArray,
) -> FloatArray:
    """Prices of flat, validated arrays; intrinsic at or past expiry."""
    out = np.maximum(sign * (s - k), 0.0)
    live = t > 0.0
    if not live.any():
        return out
    idx = np.flatnonzero(live)
    if engine == "default":
        # Carry beyond the fast engine's validated domain goes to QuantLib's high-precision
        # engines (rare inputs such as a 1000 % dividend yield, where the fixed point fails).
        extreme = (np.abs(r[idx]) > FAST_CARRY_LIMIT) | (np.abs(q[idx]) > FAST_CARRY_LIMIT)
        fast, slow = idx[~extreme], idx[extreme]
        if fast.size:
            out[fast] = _default_prices(
                sign[fast], s[fast], k[fast], t[fast], r[fast], q[fast], sigma[fast], div_t, div_a
            )
        if slow.size:
            from pricing import quantlib_engines

            out[slow] = quantlib_engines.ql_american(
                sign[slow],
                s[slow],
                k[slow],
                t[slow],
                r[slow],
                q[slow],
                sigma[slow],
                schedule,
                engine="fd" if schedule else "qdfp",
                qdfp_scheme="high_precision",
            )["price"]
    else:
        from pricing import quantlib_engines  # QuantLib is imported only when asked for

        out[idx] = quantlib_engines.ql_american(
            sign[idx], s[idx], k[idx], t[idx], r[idx], q[idx], sigma[idx], schedule, engine=engine
        )["price"]
    return out


# --------------------------------------------------------------------------------------------
# Prices and Greeks
# --------------------------------------------------------------------------------------------


def american_price(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    vol: ArrayLike,
    dividends: DividendSchedule | None = None,
    engine: str = "default",
) -> FloatArray:
    """American option prices per share.

    ``kind`` "call"/"put" (or an array of them, or +1/-1); ``spot``, ``strike`` in price units;
    ``t_years`` years to expiry (exact; at or past expiry, 0 or less, gives intrinsic value); ``rate`` and
    ``div_yield`` continuously compounded decimals per year; ``vol`` decimal in (0, 5]; cash
    ``dividends`` (spot model) in years from valuation and amounts per share. Broadcasts over all
    array arguments. ``engine``: "default" (fast, numba), "fd" (QuantLib FD reference), "qdfp",
    "baw", "bjs" (QuantLib, continuous yield only). Raises :class:`InputError` naming the field.
    """
    engine = _check_engine(engine)
    shape, (sign, s, k, t, r, q, sigma), schedule, div_t, div_a = _prepare(
        kind, spot, strike, t_years, rate, div_yield, vol, dividends
    )
    return _prices(engine, sign, s, k, t, r, q, sigma, schedule, div_t, div_a).reshape(shape)


def _shift_schedule(schedule: DividendSchedule | None, dt: float) -> DividendSchedule | None:
    if not schedule:
        return schedule
    pairs = [
        (ti - dt, a)
        for ti, a in zip(schedule.times_years, schedule.amounts, strict=True)
        if ti - dt > 0.0
    ]
    return DividendSchedule(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))


def american_greeks(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    vol: ArrayLike,
    dividends: DividendSchedule | None = None,
    engine: str = "default",
) -> Greeks:
    """Greeks per share of American options (units of :mod:`pricing.black_scholes`: delta and
    gamma per 1.00 of spot, vega per vol point, theta per calendar day, rho per 1 % of rate,
    vanna per vol point, volga = vega change per vol point, charm = delta change per day).

    How each is obtained (same arguments as :func:`american_price`):

    * delta, gamma: central differences over spot bumps of ``SPOT_BUMP`` (relative); with the
      default engine the bumped spots share the base solve, so they are the engine's own;
    * theta: QuantLib's where the engine provides it ("fd"), otherwise the pricing equation
      ``theta = r V - (r - q) S delta - 0.5 sigma^2 S^2 gamma`` (0 where the option sits in its
      exercise region, value = intrinsic);
    * vega, volga (vol +-``VOL_BUMP``), rho (rate +-``RATE_BUMP``), vanna (delta at the bumped
      vols) and charm (delta after ``TIME_BUMP_DAYS`` calendar days: expiry and ex-dates move
      one day closer) by bump and reprice.

    At or past expiry: delta is the exercise indicator (0.5 at the money), the rest 0.
    """
    engine = _check_engine(engine)
    shape, (sign, s, k, t, r, q, sigma), schedule, div_t, div_a = _prepare(
        kind, spot, strike, t_years, rate, div_yield, vol, dividends
    )
    n = sign.shape[0]
    fields = {name: np.zeros(n) for name in Greeks.FIELDS}
    itm = sign * (s - k)
    fields["delta"] = sign * np.where(itm > 0.0, 1.0, np.where(s == k, 0.5, 0.0))
    live = np.flatnonzero(t > 0.0)
    if live.size:
        sub = _live_greeks(
            engine,
            sign[live],
            s[live],
            k[live],
            t[live],
            r[live],
            q[live],
            sigma[live],
            schedule,
            div_t,
            div_a,
        )
        for name in Greeks.FIELDS:
            fields[name][live] = sub[name]
    return Greeks(**{name: fields[name].reshape(shape) for name in Greeks.FIELDS})


#: A price within this fraction of max(spot, strike) of intrinsic value sits in the exercise
#: region (the default engine returns intrinsic there exactly; QuantLib's FD to about 1e-12).
EXERCISED_RTOL = 1e-12


def _spot_greeks(
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    ds: FloatArray,
    down: FloatArray,
    base: FloatArray,
    up: FloatArray,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Delta, gamma and the exercise mask from prices at ``s - ds``, ``s``, ``s + ds``, within
    the bounds the model guarantees, by construction:

    * in the exercise region (price = intrinsic) the option is the payoff ``sign (S - K)`` on a
      neighbourhood (or at its edge, where smooth pasting makes the slope continuous): delta is
      exactly +1 (call) or -1 (put) and gamma exactly 0;
    * elsewhere delta lies in [0, 1] for calls and [-1, 0] for puts (the price is monotone in
      spot with slope at most that of the payoff) and gamma >= 0: an American option's value is
      convex in spot under lognormal dynamics, with a continuous yield or with cash dividends
      below the spot (the spot model maps S to S - D, affine, at each ex-date, and the early
      exercise maximum of convex functions is convex). The central differences of a discretised
      price can leave these bounds by its interpolation and rounding error (about 1e-9 of the
      spot seen deep in the money); they are projected back onto them.
    """
    intrinsic = np.maximum(sign * (s - k), 0.0)
    exercised = (sign * (s - k) > 0.0) & (base <= intrinsic + EXERCISED_RTOL * np.maximum(s, k))
    lo = np.minimum(sign, 0.0)
    hi = np.maximum(sign, 0.0)
    delta = np.where(exercised, sign, np.clip((up - down) / (2.0 * ds), lo, hi))
    gamma = np.where(exercised, 0.0, np.maximum((up - 2.0 * base + down) / (ds * ds), 0.0))
    return delta, gamma, exercised


def _live_greeks(
    engine: str,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    sigma: FloatArray,
    schedule: DividendSchedule | None,
    div_t: FloatArray,
    div_a: FloatArray,
) -> dict[str, FloatArray]:
    n = sign.shape[0]
    ds = SPOT_BUMP * s
    dv = np.minimum(VOL_BUMP, 0.5 * sigma)
    dr = RATE_BUMP
    # scenarios: (spot, vol, rate) for spot-bump triples at base/up/down vol, and rate bumps
    spots = np.concatenate([s - ds, s, s + ds] * 3 + [s, s])
    vols = np.concatenate([sigma] * 3 + [sigma + dv] * 3 + [sigma - dv] * 3 + [sigma, sigma])
    rates = np.concatenate([r] * 9 + [r + dr, r - dr])
    rep = 11

    def tile(a: FloatArray) -> FloatArray:
        return np.tile(a, rep)

    prices = _prices(
        engine, tile(sign), spots, tile(k), tile(t), rates, tile(q), vols, schedule, div_t, div_a
    ).reshape(rep, n)
    down, base, up = prices[0], prices[1], prices[2]
    delta, gamma, exercised = _spot_greeks(sign, s, k, ds, down, base, up)
    delta_vu, _, _ = _spot_greeks(sign, s, k, ds, prices[3], prices[4], prices[5])
    delta_vd, _, _ = _spot_greeks(sign, s, k, ds, prices[6], prices[7], prices[8])
    vega_unit = (prices[4] - prices[7]) / (2.0 * dv)
    volga_unit = (prices[4] - 2.0 * base + prices[7]) / (dv * dv)
    rho_unit = (prices[9] - prices[10]) / (2.0 * dr)
    vanna_unit = (delta_vu - delta_vd) / (2.0 * dv)
    theta_year = r * base - (r - q) * s * delta - 0.5 * sigma * sigma * s * s * gamma
    theta_year = np.where(exercised, 0.0, theta_year)
    if engine == "fd":
        from pricing import quantlib_engines

        ql_theta = quantlib_engines.ql_american(
            sign, s, k, t, r, q, sigma, schedule, engine="fd", greeks=True
        )["theta"]
        theta_year = np.where(np.isfinite(ql_theta), ql_theta, theta_year)
    # charm: delta once a calendar day has passed (clipped for very short options)
    dt = np.minimum(TIME_BUMP_DAYS / DAYS_PER_YEAR, 0.5 * t)
    charm = np.zeros(n)
    for step in np.unique(dt):
        idx = np.flatnonzero(dt == step)
        shifted = _shift_schedule(schedule, float(step))
        _, sh_t, sh_a = _dividend_arrays(shifted)
        triple = _prices(
            engine,
            np.tile(sign[idx], 2),
            np.concatenate([s[idx] - ds[idx], s[idx] + ds[idx]]),
            np.tile(k[idx], 2),
            np.tile(t[idx] - step, 2),
            np.tile(r[idx], 2),
            np.tile(q[idx], 2),
            np.tile(sigma[idx], 2),
            shifted,
            sh_t,
            sh_a,
        ).reshape(2, idx.size)
        delta_later = np.clip(
            (triple[1] - triple[0]) / (2.0 * ds[idx]),
            np.minimum(sign[idx], 0.0),
            np.maximum(sign[idx], 0.0),
        )
        charm[idx] = (delta_later - delta[idx]) / (step * DAYS_PER_YEAR)
    return {
        "delta": delta,
        "gamma": gamma,
        "vega": vega_unit / 100.0,
        "theta": theta_year / DAYS_PER_YEAR,
        "rho": rho_unit / 100.0,
        "vanna": vanna_unit / 100.0,
        "volga": volga_unit / 1.0e4,
        "charm": charm,
    }


# --------------------------------------------------------------------------------------------
# Implied volatility
# --------------------------------------------------------------------------------------------


def _screen(
    name: str, value: ArrayLike, *, positive: bool = False, non_negative: bool = False
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """``value`` as floats and a mask of the elements that are bad (never raises for values)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(name, value, "must be a number or an array of numbers") from None
    bad = ~np.isfinite(arr)
    if positive:
        bad |= ~(arr > 0.0)
    if non_negative:
        bad |= ~(arr >= 0.0)
    return arr, bad


def _screen_kind(kind: Any) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Signs (+1 call, -1 put) and a mask of the bad kinds (bad ones read as calls)."""
    arr = np.asarray(kind)
    if arr.dtype.kind in "fi":
        ok = np.isin(arr, (1, -1))
        return np.where(ok, arr, 1).astype(np.float64), ~ok
    try:  # the vectorised parse of validation.kind_sign; element by element only if one is bad
        signs_all = np.asarray(v.kind_sign(kind), dtype=np.float64)
        return signs_all, np.zeros(signs_all.shape, dtype=bool)
    except InputError:
        pass
    flat = arr.ravel().tolist() if arr.ndim else [arr.item()]
    signs = np.empty(len(flat))
    bad = np.zeros(len(flat), dtype=bool)
    for i, item in enumerate(flat):
        try:
            signs[i] = OptionKind.parse(item).sign
        except InputError:
            signs[i] = 1.0
            bad[i] = True
    return signs.reshape(arr.shape), bad.reshape(arr.shape)


def american_implied_vol(
    *,
    kind: Any,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    price: ArrayLike,
    dividends: DividendSchedule | None = None,
    engine: str = "default",
    method: str = "chain",
) -> ImpliedVolResult:
    """Implied vols (decimal) of American option prices, for whole chains at once.

    Same inputs as :func:`american_price` with ``price`` (per share) instead of ``vol``. Every
    quote gets a vol or NaN with a reason in ``status``: "ok", "expired" (``t_years <= 0``),
    "below_intrinsic" (below intrinsic value or the zero-vol value of the model),
    "no_time_value" (at that floor: the vol is undetermined), "above_ceiling" (above the share
    for calls or the strike for puts, or above the value at vol 5.0), "no_convergence", or
    "bad_input:<field>". A bad quote never raises; a failure is NaN, never 0.

    Default engine, a full solve of one quote (numba, threads over quotes): a root search on a
    coarse level of the fast engine (secant steps, falling back to expansion or Illinois steps
    when they stall; first step de-Americanised: European inversion of the price minus the
    early-exercise premium at the first guess), then a Newton step on the default level with the
    coarse slope, or secant steps there (the first from that Newton step) when that step is not
    small or the coarse bias is large against the time value, taken once the step falls below
    1e-4 of the vol. The vol is within about 1e-6 of the default engine's exact root (measured
    on the demo IWM chain: at most 2.6e-6 against the root solved to 1e-12).
    ``method="per_quote"`` solves every quote so; ``method="chain"`` (the default) solves so only
    some anchor strikes of each series (quotes sharing kind, spot, expiry, rate and yield;
    anchors at most six strikes or a quarter of a standard deviation apart, one in four of them
    and the ends solved first, the others only where the interpolation from those fails its
    check) and gets the others from the solved anchors: the American correction to
    the escrowed European closed form, ``price - BS_esc(vol)``, and its vol derivative are smooth
    in strike, interpolated by cubic Lagrange, and each quote's vol solves the corrected closed
    form. An error estimate per quote (the cubic against the two quadratics through three of its
    anchors) sends the quote to a full solve where it exceeds 5e-5 in vol (or 5e-5 per share
    where the vega is below 0.01 per vol point), as are quotes deep in the money whose American
    vega is below half the European one. A quote's vol depends on its own series only (bit for
    bit, whatever else is in the batch and in whatever order; see
    :func:`pricing.american_iv_kernels.implied_vols`). "fd" is QuantLib's own
    ``impliedVolatility`` (FD engine with the dividends, QuantLib's fixed 100 x 100 grid);
    "qdfp", "baw", "bjs" invert those QuantLib engines by Brent's method.
    """
    engine = _check_engine(engine)
    if method not in IV_METHODS:
        raise InputError("method", method, f"must be one of {IV_METHODS}")
    schedule, div_t, div_a = _dividend_arrays(dividends)
    sign, bad_kind = _screen_kind(kind)
    s, bad_s = _screen("spot", spot, positive=True)
    k, bad_k = _screen("strike", strike, positive=True)
    t, bad_t = _screen("t_years", t_years)
    r, bad_r = _screen("rate", rate)
    q, bad_q = _screen("div_yield", div_yield)
    p, bad_p = _screen("price", price, non_negative=True)
    try:
        arrays = np.broadcast_arrays(
            sign, s, k, t, r, q, p, bad_kind, bad_s, bad_k, bad_t, bad_r, bad_q, bad_p
        )
    except ValueError:
        raise InputError(
            "shape",
            [np.shape(a) for a in (sign, s, k, t, r, q, p)],
            "inputs do not broadcast together",
        ) from None
    shape = arrays[0].shape
    sign, s, k, t, r, q, p = (np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrays[:7])
    n = sign.shape[0]
    status = np.full(n, STATUS_OK, dtype="<U32")
    vol = np.full(n, np.nan)
    done = np.zeros(n, dtype=bool)
    for name, mask in zip(
        ("kind", "spot", "strike", "t_years", "rate", "div_yield", "price"),
        arrays[7:14],
        strict=True,
    ):
        m = np.asarray(mask).ravel() & ~done
        status[m] = BAD_INPUT_PREFIX + name
        done |= m
    if div_a.size:
        before = (div_t[None, :] > 0.0) & (div_t[None, :] <= t.reshape(-1, 1))
        total = (before * div_a[None, :]).sum(axis=1)
        m = ~done & ((div_a.max() >= s) | (total >= s))
        status[m] = BAD_INPUT_PREFIX + "dividends"
        done |= m
    m = ~done & (t <= 0.0)
    status[m] = STATUS_EXPIRED
    done |= m
    idx = np.flatnonzero(~done)
    if idx.size:
        si, ssp, sk, st, sr, sq, sp = (
            np.ascontiguousarray(a[idx]) for a in (sign, s, k, t, r, q, p)
        )
        if engine == "default":
            vols = np.empty(idx.size)
            codes = np.empty(idx.size, dtype=np.int64)
            american_iv_kernels.implied_vols(
                si,
                ssp,
                sk,
                st,
                sr,
                sq,
                sp,
                div_t,
                div_a,
                vols,
                codes,
                method=method,
            )
            status[idx] = status_table().astype("<U32")[codes]
        else:
            vols, labels_list = _ql_implied_vols(engine, si, ssp, sk, st, sr, sq, sp, schedule)
            status[idx] = labels_list
        vol[idx] = np.where(status[idx] == STATUS_OK, vols, np.nan)
    return ImpliedVolResult(vol=vol.reshape(shape), status=status.reshape(shape))


def _ql_implied_vols(
    engine: str,
    sign: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    q: FloatArray,
    p: FloatArray,
    schedule: DividendSchedule | None,
) -> tuple[FloatArray, NDArray[np.str_]]:
    """Implied vols through a QuantLib engine, with the same bound screening as the default."""
    from pricing import quantlib_engines

    n = sign.shape[0]
    status = np.full(n, STATUS_OK, dtype="<U32")
    vols = np.full(n, np.nan)
    _, div_t, div_a = _dividend_arrays(schedule)
    intrinsic = np.maximum(sign * (s - k), 0.0)
    floor = np.array(
        [
            max(intrinsic[i], zero_vol_value(sign[i], s[i], k[i], t[i], r[i], q[i], div_t, div_a))
            for i in range(n)
        ]
    )
    scale = np.maximum(s, k)
    below = p < floor - 1e-12 * scale
    flat = ~below & (p <= floor + 1e-9 * scale)
    above = ~below & ~flat & (p >= np.where(sign > 0, s, k))
    status[below] = STATUS_BELOW_INTRINSIC
    status[flat] = STATUS_NO_TIME_VALUE
    status[above] = STATUS_ABOVE_CEILING
    todo = np.flatnonzero(~(below | flat | above))
    if todo.size == 0:
        return vols, status
    a_sign, a_s, a_k, a_t, a_r, a_q, a_p = (x[todo] for x in (sign, s, k, t, r, q, p))
    if engine == "fd":
        found = quantlib_engines.ql_implied_vol(
            a_sign, a_s, a_k, a_t, a_r, a_q, a_p, schedule, max_vol=v.MAX_VOL
        )
    else:
        found = np.full(todo.size, np.nan)
        for j in range(todo.size):
            row = [np.array([x[j]]) for x in (a_sign, a_s, a_k, a_t, a_r, a_q)]

            def excess(
                sig: float, row: list[FloatArray] = row, target: float = float(a_p[j])
            ) -> float:
                price = quantlib_engines.ql_american(
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[5],
                    np.array([sig]),
                    schedule,
                    engine=engine,
                )["price"][0]
                return float(price) - target

            found[j] = _brent(excess, 1e-4, v.MAX_VOL)
    ok = np.isfinite(found)
    vols[todo[ok]] = found[ok]
    status[todo[~ok]] = STATUS_NO_CONVERGENCE
    return vols, status


def _brent(func: Any, lo: float, hi: float) -> float:
    from scipy.optimize import brentq

    try:
        f_lo, f_hi = func(lo), func(hi)
        if f_lo * f_hi > 0.0:
            return float("nan")
        return float(brentq(func, lo, hi, xtol=1e-8, maxiter=200))
    except (ValueError, RuntimeError):
        return float("nan")
