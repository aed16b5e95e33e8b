"""The implied-vol surface: raw SVI smiles per expiry, arbitrage checks, and interpolation.

Pure numpy/scipy (no pandas). Conventions and units:

- ``k = ln(K / F)`` is log forward moneyness (``F`` the forward to that expiry);
- ``w(k) = sigma_iv(k)^2 * t`` is total implied variance (decimal vol squared times years);
- raw SVI (Gatheral 2004): ``w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2))``;
- vols are decimals (0.22 = 22 %); "vol points" are percent (0.5 vol point = 0.005);
- times are ``t_years`` (Actual/365 Fixed), strikes and forwards in price units.

Arbitrage checks (reported per expiry, and penalised in the fit where the data allow):

- butterfly: Durrleman's density condition ``g(k) >= 0`` on a grid, with
  ``g = (1 - k w' / (2 w))^2 - w'^2 / 4 (1 / w + 1 / 4) + w'' / 2``;
- calendar: total variance non-decreasing in ``t`` at fixed ``k``, on a grid.

Interpolation across expiries is linear in total variance at fixed forward moneyness; before the
first expiry the first smile's vol is kept at fixed ``k`` (``w`` scales with ``t``), beyond the
last expiry the last smile's vol is kept flat (``w`` grows linearly with ``t``).

Judging a fit against its own quotes (:func:`judge_fit`): every expiry's smile is scored on that
expiry's quotes only: the RMSE of the fitted vol against the mid vols of the quotes it was
fitted to (vol points) and the share of the expiry's usable quotes whose fitted vol lies inside
the quote's bid-ask IV range (``inside_spread_share``; the chain analysis counts one quote a
strike, the out-of-the-money one, since an in-the-money vol repeats it through parity with the
forward's error on top). The status says whether the smile may be priced from:

- ``"ok"``: fitted, enough quotes, and it matches them (at least :data:`MIN_INSIDE_SHARE` of the
  usable quotes inside their bid-ask IV range, or an RMSE of at most
  :data:`GOOD_RMSE_VOL_POINTS`);
- ``"thin"``: fitted, but on fewer than :data:`MIN_TRUSTED_QUOTES` quotes or quotes whose median
  vol uncertainty (half spread / vega) is above :data:`MAX_TRUSTED_UNCERTAINTY`: too little to
  trust (a new weekly with a handful of wide quotes);
- ``"poor_fit"``: the smile misses its own quotes (share inside below :data:`MIN_INSIDE_SHARE`
  and RMSE above :data:`GOOD_RMSE_VOL_POINTS`);
- ``"too_few_quotes"`` (fewer than five quotes: a flat smile) and ``"failed"``.

Pricing fallback (:class:`VolSurface`): only smiles whose status is in :data:`PRICING_STATUSES`
(``"ok"``) are priced from. At the time of any other expiry the surface interpolates total
variance linearly between the nearest good expiries before and after it (flat vol beyond the
good ends, as above), so a thin or missed expiry never moves the prices at or around its
neighbours; when no expiry is good, every smile is used as fitted (and each says why in its
status). Fits never share anything between expiries either: :func:`fit_surface` penalises
calendar arbitrage and warm-starts only against the previous *good* smile, and keeps the
stand-alone fit when the coupled one matches the quotes worse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import least_squares

from pricing._typing import FloatArray
from pricing.errors import InputError

#: The smile dynamics :meth:`VolSurface.vol` understands.
DYNAMICS = ("sticky_strike", "sticky_moneyness")

#: Tolerance on Durrleman's g below which a smile is flagged as butterfly arbitrage.
BUTTERFLY_TOLERANCE = 1e-6
#: Tolerance (total variance, years x decimal vol^2) below which a decrease in t is flagged.
CALENDAR_TOLERANCE = 1e-6
#: Smallest total variance the surface returns (avoids zero or negative variance in wings).
MIN_TOTAL_VARIANCE = 1e-10
#: Smallest vol a shifted surface returns (decimal).
MIN_VOL = 1e-4
#: A warm-started fit scoring worse than this (RMSE in vol points, arbitrage counting as huge) is
#: retried from the data-driven starting point.
POOR_FIT_VOL_POINTS = 0.25
#: A fit with at least this share of its usable quotes inside their bid-ask IV range matches them.
MIN_INSIDE_SHARE = 0.80
#: A fit whose RMSE (vol points) is at most this matches its quotes whatever the share inside
#: (tight real spreads that no smooth smile threads exactly).
GOOD_RMSE_VOL_POINTS = 1.0
#: A fit on fewer quotes than this is "thin" (five quotes fix the five SVI parameters exactly).
MIN_TRUSTED_QUOTES = 8
#: A fit whose quotes' median vol uncertainty (half spread / vega, decimal) is above this is
#: "thin" (three vol points either side).
MAX_TRUSTED_UNCERTAINTY = 0.03
#: Fit statuses.
FIT_OK = "ok"
FIT_THIN = "thin"
FIT_POOR = "poor_fit"
FIT_TOO_FEW = "too_few_quotes"
FIT_FAILED = "failed"
#: The fit statuses a :class:`VolSurface` prices from (the others are bridged, see the module
#: docstring).
PRICING_STATUSES: frozenset[str] = frozenset({FIT_OK})
#: Weight of the arbitrage penalties relative to one vol-point residual.
_PENALTY_WEIGHT = 1.0e3


@dataclass(frozen=True, slots=True)
class SVIParams:
    """Raw SVI parameters of one expiry's total-variance smile ``w(k)``.

    ``a`` (total variance level, years x vol^2), ``b >= 0`` (wing steepness), ``-1 < rho < 1``
    (skew), ``m`` (horizontal shift in log-moneyness), ``sigma > 0`` (ATM curvature scale).
    """

    a: float
    b: float
    rho: float
    m: float
    sigma: float

    def __post_init__(self) -> None:
        for name in ("a", "b", "rho", "m", "sigma"):
            value = getattr(self, name)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InputError(f"svi.{name}", value, "must be a number") from None
            if not math.isfinite(number):
                raise InputError(f"svi.{name}", value, "must be finite")
            object.__setattr__(self, name, number)
        if self.b < 0.0:
            raise InputError("svi.b", self.b, "must be >= 0")
        if not -1.0 < self.rho < 1.0:
            raise InputError("svi.rho", self.rho, "must be in (-1, 1)")
        if self.sigma <= 0.0:
            raise InputError("svi.sigma", self.sigma, "must be > 0")

    def as_array(self) -> FloatArray:
        """``[a, b, rho, m, sigma]`` as a float array."""
        return np.array([self.a, self.b, self.rho, self.m, self.sigma], dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        """The parameters keyed by name."""
        return {"a": self.a, "b": self.b, "rho": self.rho, "m": self.m, "sigma": self.sigma}

    def total_variance(self, k: ArrayLike) -> FloatArray:
        """``w(k)`` at log-moneyness ``k`` (broadcasts)."""
        return svi_total_variance(self.as_array(), np.asarray(k, dtype=np.float64))

    def min_total_variance(self) -> float:
        """The smallest ``w`` over all ``k``: ``a + b sigma sqrt(1 - rho^2)``."""
        return self.a + self.b * self.sigma * math.sqrt(1.0 - self.rho * self.rho)


def svi_total_variance(params: FloatArray, k: FloatArray) -> FloatArray:
    """Raw SVI total variance for ``params = [a, b, rho, m, sigma]`` (last axis or 1-D) at ``k``."""
    a, b, rho, m, sigma = (params[..., i] for i in range(5))
    x = k - m
    return np.asarray(a + b * (rho * x + np.sqrt(x * x + sigma * sigma)), dtype=np.float64)


def durrleman_g(params: FloatArray, k: FloatArray) -> FloatArray:
    """Durrleman's butterfly function ``g(k)`` of a raw SVI smile (``g >= 0`` means no butterfly
    arbitrage, i.e. a non-negative risk-neutral density). Where ``w <= 0``, returns ``-inf``."""
    a, b, rho, m, sigma = (float(p) for p in params)
    x = k - m
    root = np.sqrt(x * x + sigma * sigma)
    w = a + b * (rho * x + root)
    w1 = b * (rho + x / root)
    w2 = b * sigma * sigma / (root * root * root)
    safe_w = np.where(w > 0.0, w, 1.0)
    g = (1.0 - k * w1 / (2.0 * safe_w)) ** 2 - 0.25 * w1 * w1 * (1.0 / safe_w + 0.25) + 0.5 * w2
    return np.asarray(np.where(w > 0.0, g, -np.inf), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class SmileFit:
    """One expiry's fitted smile and its diagnostics.

    ``t_years`` and ``forward`` (price units) define the moneyness; ``rmse_vol_points`` and
    ``max_error_vol_points`` compare the fit with the quotes it was fitted to (in vol points,
    1.0 = 1 %); ``k_min``/``k_max`` span those quotes; ``butterfly_min_g`` is the smallest
    Durrleman ``g`` on the check grid, ``butterfly_arbitrage`` whether it is below tolerance;
    ``calendar_arbitrage`` whether total variance falls below the previous expiry's somewhere on
    the common grid (``calendar_min_diff`` the smallest ``w_this - w_prev``, total variance);
    ``status`` is "ok", or "too_few_quotes" / "failed" when the fit could not be made (the
    params are then a flat smile at the quotes' median vol, or NaN-free defaults), or, once
    judged against its quotes (:func:`judge_fit`), "thin" / "poor_fit";
    ``inside_spread_share`` is the share (0..1) of the expiry's usable quotes whose fitted vol
    lies inside their bid-ask IV range (NaN until judged or without usable quotes) and
    ``n_usable`` how many usable quotes that share counts.
    """

    t_years: float
    forward: float
    params: SVIParams
    n_quotes: int
    rmse_vol_points: float
    max_error_vol_points: float
    k_min: float
    k_max: float
    butterfly_min_g: float
    butterfly_arbitrage: bool
    calendar_min_diff: float = math.inf
    calendar_arbitrage: bool = False
    status: str = "ok"
    inside_spread_share: float = math.nan
    n_usable: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.t_years) and self.t_years > 0.0):
            raise InputError("t_years", self.t_years, "must be finite and > 0")
        if not (math.isfinite(self.forward) and self.forward > 0.0):
            raise InputError("forward", self.forward, "must be finite and > 0")

    def vol(self, k: ArrayLike) -> FloatArray:
        """Fitted implied vol (decimal) at log-moneyness ``k``."""
        w = self.params.total_variance(k)
        return np.asarray(np.sqrt(np.maximum(w, MIN_TOTAL_VARIANCE) / self.t_years))

    @property
    def good(self) -> bool:
        """True when the surface prices from this smile (status in :data:`PRICING_STATUSES`)."""
        return self.status in PRICING_STATUSES


def judge_fit(
    fit: SmileFit, *, inside: ArrayLike, uncertainty: ArrayLike | None = None
) -> SmileFit:
    """``fit`` judged against its own expiry's quotes (see the module docstring): ``inside``
    says, per usable quote of the expiry, whether the fitted vol lies inside that quote's bid-ask
    IV range; ``uncertainty`` is the vol uncertainty (half spread / vega, decimal) of each quote
    the fit used. Returns the fit with ``inside_spread_share``, ``n_usable`` and its status:
    "failed" and "too_few_quotes" stay; otherwise "poor_fit" when the smile misses its quotes
    (share inside below :data:`MIN_INSIDE_SHARE` and RMSE above :data:`GOOD_RMSE_VOL_POINTS`),
    else "thin" when it rests on fewer than :data:`MIN_TRUSTED_QUOTES` quotes or their median
    uncertainty is above :data:`MAX_TRUSTED_UNCERTAINTY`, else "ok"."""
    flags = np.asarray(inside, dtype=bool).ravel()
    n_usable = int(flags.size)
    share = float(np.mean(flags)) if n_usable else math.nan
    status = fit.status
    if status == FIT_OK:
        rmse = fit.rmse_vol_points
        matches = (n_usable > 0 and share >= MIN_INSIDE_SHARE) or (
            math.isfinite(rmse) and rmse <= GOOD_RMSE_VOL_POINTS
        )
        unc = np.asarray([] if uncertainty is None else uncertainty, dtype=np.float64).ravel()
        unc = unc[np.isfinite(unc)]
        wide = bool(unc.size) and float(np.median(unc)) > MAX_TRUSTED_UNCERTAINTY
        if not matches:
            status = FIT_POOR
        elif fit.n_quotes < MIN_TRUSTED_QUOTES or wide:
            status = FIT_THIN
    return replace(fit, inside_spread_share=share, n_usable=n_usable, status=status)


# --------------------------------------------------------------------------------------------
# Fitting


def _initial_guess(k: FloatArray, w: FloatArray, weights: FloatArray) -> FloatArray:
    """A raw SVI starting point from the data: wing slopes from the outer thirds, level and
    curvature from the near-the-money points."""
    order = np.argsort(k)
    ks, ws = k[order], w[order]
    n = ks.size
    i_min = int(np.argmin(ws))
    w_min = float(ws[i_min])
    span = max(float(ks[-1] - ks[0]), 1e-3)
    third = max(n // 3, 2)

    def slope(x: FloatArray, y: FloatArray) -> float:
        if x.size < 2 or float(np.ptp(x)) <= 1e-12:
            return 0.0
        return float(np.polyfit(x, y, 1)[0])

    s_left = min(slope(ks[:third], ws[:third]), -1e-3)
    s_right = max(slope(ks[-third:], ws[-third:]), 1e-3)
    b = float(np.clip((s_right - s_left) / 2.0, 1e-3, 1.9))
    rho = float(np.clip((s_right + s_left) / (s_right - s_left), -0.95, 0.95))
    sigma = float(np.clip(0.15 * span, 0.01, 1.0))
    m = float(ks[i_min])
    a = w_min - b * sigma * math.sqrt(1.0 - rho * rho)
    return np.array([a, b, rho, m, sigma], dtype=np.float64)


def _check_grid(k_min: float, k_max: float, atm_sd: float) -> FloatArray:
    """The k grid for arbitrage checks: the quotes' span widened by two ATM standard deviations
    (at least 0.05) on each side."""
    margin = max(2.0 * atm_sd, 0.05)
    return np.linspace(k_min - margin, k_max + margin, 61)


def fit_svi(
    k: ArrayLike,
    vol: ArrayLike,
    *,
    t_years: float,
    forward: float,
    weights: ArrayLike | None = None,
    previous: SmileFit | None = None,
    initial: SVIParams | None = None,
) -> SmileFit:
    """Fit a raw SVI smile to implied vols of one expiry.

    ``k``: log forward moneyness ``ln(K/F)`` of each quote; ``vol``: decimal implied vols;
    ``t_years``: time to expiry (years); ``forward``: the expiry's forward (price units, kept for
    the moneyness); ``weights``: relative confidence in each quote (vega and/or inverse spread;
    default equal); ``previous``: the fitted smile of the previous (shorter) expiry, so that the
    fit is penalised for calendar arbitrage against it; ``initial``: a warm start (e.g. the
    previous smile); the data-driven start (wing slopes and minimum of the quotes) is used
    without one, or when the warm start's fit scores worse than :data:`POOR_FIT_VOL_POINTS`.
    Trust-region least squares (scipy) with an analytic Jacobian for the quotes.

    Residuals are in vol (decimal) times the normalised weights; butterfly (``g < 0`` on a grid),
    negative minimum variance, Roger Lee's wing bound ``b (1 + |rho|) <= 2`` and calendar
    violations enter as heavy penalties. Quotes with non-finite ``k`` or ``vol`` are ignored.
    Raises :class:`InputError` for bad ``t_years``/``forward`` or mismatched lengths.
    """
    t = float(t_years)
    if not (math.isfinite(t) and t > 0.0):
        raise InputError("t_years", t_years, "must be finite and > 0")
    fwd = float(forward)
    if not (math.isfinite(fwd) and fwd > 0.0):
        raise InputError("forward", forward, "must be finite and > 0")
    k_arr = np.asarray(k, dtype=np.float64).ravel()
    v_arr = np.asarray(vol, dtype=np.float64).ravel()
    if k_arr.shape != v_arr.shape:
        raise InputError("vol", v_arr.shape, f"must have the shape of k {k_arr.shape}")
    wt = (
        np.ones_like(k_arr)
        if weights is None
        else np.broadcast_to(np.asarray(weights, dtype=np.float64).ravel(), k_arr.shape)
    )
    ok = np.isfinite(k_arr) & np.isfinite(v_arr) & (v_arr > 0.0) & np.isfinite(wt) & (wt > 0.0)
    k_arr, v_arr, wt = k_arr[ok], v_arr[ok], wt[ok]
    n = int(k_arr.size)
    if n < 5:
        return _flat_fit(k_arr, v_arr, t, fwd, previous)
    wt = wt / float(np.mean(wt))
    sqrt_wt = np.sqrt(wt)
    w_mkt = v_arr * v_arr * t
    k_lo, k_hi = float(k_arr.min()), float(k_arr.max())
    atm_vol = float(np.interp(0.0, np.sort(k_arr), v_arr[np.argsort(k_arr)]))
    grid = _check_grid(k_lo, k_hi, atm_vol * math.sqrt(t))
    prev_w: FloatArray | None = None
    cal_grid = grid
    if previous is not None:
        cal_grid = np.linspace(min(k_lo, previous.k_min), max(k_hi, previous.k_max), 41)
        prev_w = previous.params.total_variance(cal_grid)

    w_scale = float(np.max(w_mkt))
    n_fit = k_arr.size

    def penalties(p: FloatArray) -> FloatArray:
        g = durrleman_g(p, grid)
        r_fly = _PENALTY_WEIGHT * np.maximum(-np.where(np.isfinite(g), g, -1.0), 0.0)
        a, b, rho, _, sigma = p
        min_w = a + b * sigma * math.sqrt(max(1.0 - rho * rho, 0.0))
        r_min = _PENALTY_WEIGHT * max(-min_w, 0.0) / w_scale
        r_lee = _PENALTY_WEIGHT * max(b * (1.0 + abs(rho)) - 2.0, 0.0)
        parts = [r_fly, np.array([r_min, r_lee])]
        if prev_w is not None:
            w_here = svi_total_variance(p, cal_grid)
            parts.append(_PENALTY_WEIGHT * np.maximum(prev_w - w_here, 0.0) / w_scale)
        return np.concatenate(parts)

    def residuals(p: FloatArray) -> FloatArray:
        w_fit = svi_total_variance(p, k_arr)
        vol_fit = np.sqrt(np.maximum(w_fit, MIN_TOTAL_VARIANCE) / t)
        return np.concatenate([sqrt_wt * (vol_fit - v_arr) * 100.0, penalties(p)])

    def jacobian(p: FloatArray) -> FloatArray:
        # Fit rows analytically; penalty rows by forward differences, only where active.
        a, b, rho, m, sigma = p
        x = k_arr - m
        root = np.sqrt(x * x + sigma * sigma)
        w_fit = a + b * (rho * x + root)
        live = w_fit > MIN_TOTAL_VARIANCE
        dvol_dw = np.where(live, 0.5 / np.sqrt(np.maximum(w_fit, MIN_TOTAL_VARIANCE) * t), 0.0)
        scale = (sqrt_wt * 100.0 * dvol_dw)[:, None]
        dw = np.column_stack(
            [
                np.ones_like(x),
                rho * x + root,
                b * x,
                -b * (rho + x / root),
                b * sigma / root,
            ]
        )
        pen = penalties(p)
        jac_pen = np.zeros((pen.size, 5))
        if np.any(pen > 0.0):
            for j in range(5):
                h = 1e-7 * max(1.0, abs(float(p[j])))
                step = p.copy()
                step[j] += h
                jac_pen[:, j] = (penalties(step) - pen) / h
        return np.vstack([scale * dw, jac_pen]) if n_fit else jac_pen

    lower = np.array([-w_scale, 0.0, -0.999, k_lo - 1.0, 1e-4])
    upper = np.array([w_scale, 2.0, 0.999, k_hi + 1.0, 2.0])

    def solve(x0: FloatArray) -> SmileFit | None:
        x0 = np.clip(x0, lower + 1e-9, upper - 1e-9)
        try:
            sol = least_squares(
                residuals,
                x0,
                jac=jacobian,
                bounds=(lower, upper),
                method="trf",
                x_scale="jac",
                xtol=1e-10,
                ftol=1e-10,
                max_nfev=300,
            )
        except (ValueError, FloatingPointError):  # pragma: no cover - defensive
            return None
        params = SVIParams(*(float(v) for v in sol.x))
        return _diagnose(params, k_arr, v_arr, t, fwd, previous, grid, status="ok")

    fits: list[SmileFit] = []
    if initial is not None:
        first = solve(initial.as_array())
        if first is not None:
            fits.append(first)
    if not fits or _score(fits[0]) > POOR_FIT_VOL_POINTS:
        # No warm start, or a poor one: start from the data's shape too and keep the better.
        second = solve(_initial_guess(k_arr, w_mkt, wt))
        if second is not None:
            fits.append(second)
    if not fits:  # pragma: no cover - defensive
        return _flat_fit(k_arr, v_arr, t, fwd, previous, status="failed")
    return min(fits, key=_score)


def _diagnose(
    params: SVIParams,
    k: FloatArray,
    vol: FloatArray,
    t: float,
    forward: float,
    previous: SmileFit | None,
    grid: FloatArray,
    *,
    status: str,
) -> SmileFit:
    """Fit quality and arbitrage diagnostics of ``params`` against the quotes."""
    p = params.as_array()
    if k.size:
        vol_fit = np.sqrt(np.maximum(svi_total_variance(p, k), MIN_TOTAL_VARIANCE) / t)
        err = (vol_fit - vol) * 100.0
        rmse = float(np.sqrt(np.mean(err * err)))
        max_err = float(np.max(np.abs(err)))
        k_lo, k_hi = float(k.min()), float(k.max())
    else:
        rmse = max_err = math.nan
        k_lo = k_hi = 0.0
    g_min = float(np.min(durrleman_g(p, grid)))
    cal_diff = math.inf
    if previous is not None:
        cal_diff = calendar_min_difference(
            previous, params, min(k_lo, previous.k_min), max(k_hi, previous.k_max)
        )
    return SmileFit(
        t_years=t,
        forward=forward,
        params=params,
        n_quotes=int(k.size),
        rmse_vol_points=rmse,
        max_error_vol_points=max_err,
        k_min=k_lo,
        k_max=k_hi,
        butterfly_min_g=g_min,
        butterfly_arbitrage=bool(g_min < -BUTTERFLY_TOLERANCE),
        calendar_min_diff=cal_diff,
        calendar_arbitrage=bool(cal_diff < -CALENDAR_TOLERANCE),
        status=status,
    )


def calendar_min_difference(
    earlier: SmileFit, later_params: SVIParams, k_lo: float, k_hi: float, n: int = 81
) -> float:
    """The smallest ``w_later(k) - w_earlier(k)`` (total variance) on ``n`` points of
    ``[k_lo, k_hi]``: negative means calendar arbitrage at fixed forward moneyness."""
    grid = np.linspace(k_lo, k_hi, n)
    diff = later_params.total_variance(grid) - earlier.params.total_variance(grid)
    return float(np.min(diff))


def _flat_fit(
    k: FloatArray,
    vol: FloatArray,
    t: float,
    forward: float,
    previous: SmileFit | None,
    status: str = "too_few_quotes",
) -> SmileFit:
    """A flat smile at the quotes' median vol (or the previous expiry's ATM vol, or 20 %) when
    there are too few quotes for SVI: ``b = 0`` makes ``w = a`` everywhere."""
    if vol.size:
        level = float(np.median(vol))
    elif previous is not None:
        level = float(previous.vol(0.0))
    else:
        level = 0.20
    params = SVIParams(a=level * level * t, b=0.0, rho=0.0, m=0.0, sigma=0.1)
    grid = np.linspace(-0.5, 0.5, 11)
    return _diagnose(params, k, vol, t, forward, previous, grid, status=status)


# --------------------------------------------------------------------------------------------
# The surface


@dataclass(frozen=True, slots=True, eq=False)
class VolSurface:
    """A vol surface built from per-expiry SVI smiles, for pricing legs at any date and strike.

    ``spot``: the underlying's spot when the surface was fitted (price units); ``smiles``: fitted
    smiles in increasing ``t_years``, each with its forward; ``vol_shift``: a parallel shift
    (decimal) added to every vol, see :meth:`shifted`.

    Forwards between expiries use the carry ``ln(F/S)/t`` of every smile (a parity forward does
    not depend on the fit's quality) interpolated linearly in ``t`` (flat beyond the ends).
    Vols come from the good smiles only (status in :data:`PRICING_STATUSES`; every smile when
    none is good): at a thin or missed expiry's time the total variance is interpolated between
    the nearest good expiries around it (the pricing fallback of the module docstring). Use
    :meth:`vol` to read vols; :meth:`total_variance` for ``w``.
    """

    spot: float
    smiles: tuple[SmileFit, ...]
    vol_shift: float = 0.0
    _t: FloatArray = field(init=False, repr=False)
    _params: FloatArray = field(init=False, repr=False)
    _t_all: FloatArray = field(init=False, repr=False)
    _carry: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        spot = float(self.spot)
        if not (math.isfinite(spot) and spot > 0.0):
            raise InputError("spot", self.spot, "must be finite and > 0")
        object.__setattr__(self, "spot", spot)
        smiles = tuple(self.smiles)
        if not smiles:
            raise InputError("smiles", smiles, "need at least one fitted expiry")
        ts = np.array([s.t_years for s in smiles], dtype=np.float64)
        if np.any(np.diff(ts) <= 0.0):
            raise InputError("smiles.t_years", ts.tolist(), "must be strictly increasing")
        shift = float(self.vol_shift)
        if not math.isfinite(shift) or shift <= -5.0:
            raise InputError("vol_shift", self.vol_shift, "must be a finite decimal vol shift")
        object.__setattr__(self, "smiles", smiles)
        object.__setattr__(self, "vol_shift", shift)
        priced = tuple(s for s in smiles if s.good) or smiles
        object.__setattr__(self, "_t", np.array([s.t_years for s in priced], dtype=np.float64))
        object.__setattr__(self, "_params", np.stack([s.params.as_array() for s in priced]))
        object.__setattr__(self, "_t_all", ts)
        fwd = np.array([s.forward for s in smiles], dtype=np.float64)
        object.__setattr__(self, "_carry", np.log(fwd / spot) / ts)

    @property
    def expiries_years(self) -> FloatArray:
        """The expiries (years) the vols are priced from: the good smiles' (every smile's when
        none is good)."""
        return self._t.copy()

    def forward(self, t_years: ArrayLike) -> FloatArray:
        """The forward (price units) to ``t_years``: the fitted forwards at the expiries, carry
        interpolated linearly in ``t`` in between and flat outside."""
        t = np.asarray(t_years, dtype=np.float64)
        carry = np.interp(t, self._t_all, self._carry)
        return np.asarray(self.spot * np.exp(carry * t), dtype=np.float64)

    def total_variance(self, t_years: ArrayLike, k: ArrayLike) -> FloatArray:
        """Total implied variance ``w`` (unshifted) at ``t_years`` and log forward moneyness ``k``
        (broadcast): linear in ``t`` between expiries at fixed ``k``, flat vol outside."""
        t, kk = np.broadcast_arrays(
            np.asarray(t_years, dtype=np.float64), np.asarray(k, dtype=np.float64)
        )
        ts = self._t
        n = ts.size
        hi = np.clip(np.searchsorted(ts, t, side="left"), 0, n - 1)
        lo = np.clip(hi - 1, 0, n - 1)
        w_hi = svi_total_variance(self._params[hi], kk)
        w_lo = svi_total_variance(self._params[lo], kk)
        w_hi = np.maximum(w_hi, MIN_TOTAL_VARIANCE)
        w_lo = np.maximum(w_lo, MIN_TOTAL_VARIANCE)
        t_hi, t_lo = ts[hi], ts[lo]
        inside = (t > ts[0]) & (t <= ts[-1])
        span = np.where(inside & (t_hi > t_lo), t_hi - t_lo, 1.0)
        frac = np.where(inside, (t - t_lo) / span, 1.0)
        w_inside = w_lo + frac * (w_hi - w_lo)
        # Outside [t0, tN]: keep the vol of the nearest smile at this k (w scales with t).
        w_edge = w_hi * t / t_hi
        w = np.where(inside, w_inside, w_edge)
        return np.asarray(np.maximum(w, 0.0), dtype=np.float64)

    def vol(
        self,
        t_years: ArrayLike,
        strike: ArrayLike,
        *,
        forward: ArrayLike | None = None,
        spot_shift: ArrayLike = 0.0,
        dynamics: str = "sticky_strike",
    ) -> FloatArray:
        """Implied vol (decimal) at ``t_years`` (years, > 0) and ``strike`` (price units).

        Broadcasts over ``t_years``, ``strike``, ``forward`` and ``spot_shift``; cost is a few
        vectorised numpy passes (no Python loop over points).

        ``dynamics`` says how the smile reacts when the market moves away from the fit:

        - ``"sticky_strike"`` (default): each strike keeps its fitted vol. The moneyness is read
          against the surface's own forward (:meth:`forward`); ``forward`` and ``spot_shift``
          are ignored (they only broadcast), because a strike's vol does not depend on spot;
        - ``"sticky_moneyness"``: the smile travels with the forward. The vol is read at
          ``k = ln(K / (F (1 + spot_shift)))`` where ``F`` is ``forward`` (the forward of the
          market being priced, e.g. a scenario's) or, by default, the surface's own forward, and
          ``spot_shift`` a relative move on top of it (decimal: -0.10 = 10 % lower).

        The surface's :attr:`vol_shift` is added to the result (floored at ``MIN_VOL``).
        ``t_years`` <= 0 raises :class:`InputError` (no vol exists at or after expiry).
        """
        t = np.asarray(t_years, dtype=np.float64)
        if np.any(~np.isfinite(t) | (t <= 0.0)):
            raise InputError("t_years", t_years, "must be finite and > 0")
        k_strike = np.asarray(strike, dtype=np.float64)
        if np.any(~np.isfinite(k_strike) | (k_strike <= 0.0)):
            raise InputError("strike", strike, "must be finite and > 0")
        shift = np.asarray(spot_shift, dtype=np.float64)
        own = self.forward(t)
        if dynamics == "sticky_moneyness":
            fwd = own if forward is None else np.asarray(forward, dtype=np.float64)
            if np.any(~np.isfinite(fwd) | (fwd <= 0.0)):
                raise InputError("forward", forward, "must be finite and > 0")
            if np.any(~np.isfinite(shift) | (shift <= -1.0)):
                raise InputError("spot_shift", spot_shift, "must be a relative move > -1")
            fwd = fwd * (1.0 + shift)
        elif dynamics == "sticky_strike":
            fwd = own
            if forward is not None:
                fwd = fwd + 0.0 * np.asarray(forward, dtype=np.float64)
            fwd = fwd + 0.0 * shift
        else:
            raise InputError("dynamics", dynamics, "must be 'sticky_strike' or 'sticky_moneyness'")
        k = np.log(k_strike / fwd)
        w = self.total_variance(t, k)
        base = np.sqrt(np.maximum(w, MIN_TOTAL_VARIANCE) / np.broadcast_to(t, w.shape))
        if self.vol_shift == 0.0:
            return np.asarray(base, dtype=np.float64)
        return np.asarray(np.maximum(base + self.vol_shift, MIN_VOL), dtype=np.float64)

    def shifted(self, vol_shift: float) -> VolSurface:
        """A copy with every vol moved by ``vol_shift`` (decimal: +0.05 = five vol points up);
        shifts add up, and vols are floored at ``MIN_VOL``."""
        shift = float(vol_shift)
        if not math.isfinite(shift):
            raise InputError("vol_shift", vol_shift, "must be finite (decimal)")
        return replace(self, vol_shift=self.vol_shift + shift)

    def atm_vol(self, t_years: ArrayLike) -> FloatArray:
        """At-the-forward vol (decimal, shift included) at ``t_years``."""
        t = np.asarray(t_years, dtype=np.float64)
        return self.vol(t, self.forward(t))


def fit_surface(
    spot: float,
    expiries: list[tuple[float, float, FloatArray, FloatArray, FloatArray | None]],
) -> VolSurface:
    """Fit one SVI smile per expiry, shortest first, and build a :class:`VolSurface`. Each fit is
    penalised for calendar arbitrage against (and warm-started from) the previous smile that may
    anchor it (status ok, at least :data:`MIN_TRUSTED_QUOTES` quotes, RMSE at most
    :data:`GOOD_RMSE_VOL_POINTS`), never against a thin or missed one; when that coupled fit's RMSE
    is more than :data:`GOOD_RMSE_VOL_POINTS` above the expiry's stand-alone fit, the stand-alone
    fit is kept (with its calendar check against the anchor). With no bid-ask quotes here, each
    fit is then judged (:func:`judge_fit`) on its RMSE and number of quotes alone: "poor_fit"
    above :data:`GOOD_RMSE_VOL_POINTS`, "thin" under :data:`MIN_TRUSTED_QUOTES` quotes, and the
    surface bridges those expiries.

    ``expiries``: ``(t_years, forward, k, vol, weights)`` per expiry, ``k = ln(K/F)``, ``vol``
    decimal, ``weights`` relative (or None). Expiries with ``t_years <= 0`` are skipped.
    """
    ordered = sorted((e for e in expiries if e[0] > 0.0), key=lambda e: e[0])
    smiles: list[SmileFit] = []
    for t, fwd, k, vol, weights in ordered:
        # Coupled only to the previous smile that fits its own quotes well: a thin or missed
        # expiry must not pull the later ones (calendar penalty and warm start).
        previous = next((s for s in reversed(smiles) if _anchors(s)), None)
        alone = fit_svi(k, vol, t_years=t, forward=fwd, weights=weights)
        if previous is None:
            smiles.append(alone)
            continue
        coupled = fit_svi(
            k,
            vol,
            t_years=t,
            forward=fwd,
            weights=weights,
            previous=previous,
            initial=_rescaled(previous.params, previous, t),
        )
        # The calendar-penalised fit is kept unless it matches this expiry's quotes clearly worse
        # than the stand-alone fit (then the previous smile, not this one, is suspect).
        worse = coupled.rmse_vol_points > alone.rmse_vol_points + GOOD_RMSE_VOL_POINTS
        if worse:
            diff = calendar_min_difference(
                previous,
                alone.params,
                min(alone.k_min, previous.k_min),
                max(alone.k_max, previous.k_max),
            )
            coupled = replace(
                alone, calendar_min_diff=diff, calendar_arbitrage=bool(diff < -CALENDAR_TOLERANCE)
            )
        smiles.append(coupled)
    # Without bid-ask quotes, each fit is judged on its RMSE and its number of quotes alone.
    judged = tuple(judge_fit(s, inside=np.zeros(0, dtype=bool)) for s in smiles)
    return VolSurface(spot=spot, smiles=judged)


def _anchors(fit: SmileFit) -> bool:
    """True when ``fit`` may anchor the next expiry's fit: fitted (status ok) on at least
    :data:`MIN_TRUSTED_QUOTES` quotes with an RMSE of at most :data:`GOOD_RMSE_VOL_POINTS`."""
    return (
        fit.status == FIT_OK
        and fit.n_quotes >= MIN_TRUSTED_QUOTES
        and math.isfinite(fit.rmse_vol_points)
        and fit.rmse_vol_points <= GOOD_RMSE_VOL_POINTS
    )


def _rescaled(params: SVIParams, previous: SmileFit | None, t: float) -> SVIParams:
    """The previous expiry's smile scaled in total variance to ``t``: a warm start."""
    if previous is None:
        return params
    scale = t / previous.t_years
    return SVIParams(
        params.a * scale,
        params.b * scale if params.b * scale <= 2.0 else 1.9,
        params.rho,
        params.m,
        params.sigma,
    )


def _score(fit: SmileFit) -> float:
    """Lower is better: arbitrage first, then RMSE."""
    penalty = 1e6 * (fit.butterfly_arbitrage + fit.calendar_arbitrage)
    return penalty + (fit.rmse_vol_points if math.isfinite(fit.rmse_vol_points) else 1e9)
