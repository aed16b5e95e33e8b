"""QuantLib reference engines for American options: the only module that imports QuantLib.

The engines here are the project's references, not its fast path (that is
:mod:`pricing.american_tree`). Everything goes through :func:`evaluation_date`, which sets and
restores QuantLib's process-global evaluation date, and through a day scale that honours
``t_years`` exactly:

* QuantLib counts whole days. An option of ``t`` years is priced on ``n`` days (Actual/365 Fixed,
  so QuantLib's own time is ``n/365``) with ``rate * c``, ``div_yield * c``, ``vol * sqrt(c)``,
  ``c = t / (n/365)``, and dividend dates placed at the same fraction of the life. Black-Scholes
  is invariant under this rescaling, so ``t = 0.1`` prices the option of exactly 0.1 years, not
  of 36 or 37 days. ``n = max(1, round(365 t))`` without cash dividends; with them ``n`` is
  raised to :data:`DIVIDEND_DAYS` so each ex-date lands within ``t / (2 DIVIDEND_DAYS)`` of its
  exact time. ``n`` never exceeds :data:`MAX_DAYS`, so a 170-year option stays inside
  QuantLib's date range (the rescaling absorbs the difference).
* Time derivatives come back in real time: theta = QuantLib theta * ``(n/365) / t``.

Traps handled here (see PRICING_NOTES): options at or past expiry settle at intrinsic before
QuantLib sees them (QuantLib prices an option expiring today at 0 and throws past expiry);
dividend schedules are validated by :class:`pricing.types.DividendSchedule` before use; the FD
engine and QuantLib's ``impliedVolatility`` always receive the dividends.

Engines: ``"fd"`` (``FdBlackScholesVanillaEngine`` with a ``DividendVector``, spot cash-dividend
model: the reference), ``"qdfp"`` (Andersen-Lake-Offengenden, continuous yield only),
``"baw"`` (Barone-Adesi-Whaley), ``"bjs"`` (Bjerksund-Stensland) and ``"ju"`` (Ju 1999, used
to check test tables), continuous yield only.
QuantLib is not thread-safe: call these functions from one thread.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import QuantLib as ql
from numpy.typing import NDArray
from scipy.optimize import brentq

from pricing.errors import EngineError, InputError
from pricing.types import DividendSchedule

FloatArray = NDArray[np.float64]

#: Fixed evaluation date of every QuantLib calculation (the day scale makes the date irrelevant).
EPOCH = ql.Date(3, ql.January, 2000)
#: Largest number of days an option may span from :data:`EPOCH` (QuantLib's range ends in 2199).
MAX_DAYS = int(ql.Date.maxDate().serialNumber() - EPOCH.serialNumber()) - 366
#: Days used for the option's life when cash dividends are present (ex-date resolution).
DIVIDEND_DAYS = 20_000
#: Default FD grid of the reference engine (time steps, space points, damping steps).
FD_GRID = (400, 400, 0)
#: Below this ``vol * sqrt(t)`` an option is priced at its zero-vol value without QuantLib.
NEARLY_EXPIRED_SD = 1e-7
#: QuantLib engines available by name.
QL_ENGINES = ("fd", "qdfp", "baw", "bjs", "ju")

_DC = ql.Actual365Fixed()
_CAL = ql.NullCalendar()


@contextmanager
def evaluation_date(date: ql.Date = EPOCH) -> Iterator[ql.Date]:
    """Set QuantLib's process-global evaluation date for the block and restore the previous
    one afterwards, even when the block raises."""
    settings = ql.Settings.instance()
    saved = settings.evaluationDate
    settings.evaluationDate = date
    try:
        yield date
    finally:
        settings.evaluationDate = saved


def evaluation_date_serial() -> int:
    """QuantLib's current global evaluation date as a serial number (for checks and tests)."""
    return int(ql.Settings.instance().evaluationDate.serialNumber())


@dataclass(frozen=True, slots=True)
class DayScale:
    """How ``t_years`` maps onto QuantLib days: ``days`` from :data:`EPOCH`, and ``factor``
    ``c = t / (days/365)`` that multiplies rates and yields (``sqrt(c)`` multiplies the vol)."""

    t_years: float
    days: int
    factor: float

    @classmethod
    def for_time(cls, t_years: float, *, with_dividends: bool = False) -> DayScale:
        """The scale for an option of ``t_years`` (> 0)."""
        if not (math.isfinite(t_years) and t_years > 0.0):
            raise InputError("t_years", t_years, "must be finite and > 0 for QuantLib")
        days = max(1, round(t_years * 365.0))
        if with_dividends:
            days = max(days, DIVIDEND_DAYS)
        days = min(days, MAX_DAYS)
        return cls(t_years, days, t_years / (days / 365.0))

    def date_of(self, t_event: float) -> ql.Date:
        """The QuantLib date of an event ``t_event`` years from valuation (0 < t_event <= t)."""
        day = round(t_event / self.t_years * self.days)
        return EPOCH + min(max(day, 1), self.days)


class _Market:
    """One Black-Scholes-Merton process on movable quotes (built once per batch)."""

    def __init__(self) -> None:
        self.spot = ql.SimpleQuote(100.0)
        self.rate = ql.SimpleQuote(0.0)
        self.div_yield = ql.SimpleQuote(0.0)
        self.vol = ql.SimpleQuote(0.2)
        self.process = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(self.spot),
            ql.YieldTermStructureHandle(ql.FlatForward(EPOCH, ql.QuoteHandle(self.div_yield), _DC)),
            ql.YieldTermStructureHandle(ql.FlatForward(EPOCH, ql.QuoteHandle(self.rate), _DC)),
            ql.BlackVolTermStructureHandle(
                ql.BlackConstantVol(EPOCH, _CAL, ql.QuoteHandle(self.vol), _DC)
            ),
        )

    def set(self, scale: DayScale, spot: float, rate: float, div_yield: float, vol: float) -> None:
        self.spot.setValue(spot)
        self.rate.setValue(rate * scale.factor)
        self.div_yield.setValue(div_yield * scale.factor)
        self.vol.setValue(vol * math.sqrt(scale.factor))


def _dividend_vector(scale: DayScale, dividends: DividendSchedule | None) -> ql.DividendSchedule:
    dates: list[ql.Date] = []
    amounts: list[float] = []
    if dividends:
        merged: dict[int, float] = {}
        for t_div, amount in zip(dividends.times_years, dividends.amounts, strict=True):
            if 0.0 < t_div <= scale.t_years and amount > 0.0:
                serial = scale.date_of(t_div).serialNumber()
                merged[serial] = merged.get(serial, 0.0) + amount
        for serial in sorted(merged):
            dates.append(ql.Date(serial))
            amounts.append(merged[serial])
    return ql.DividendVector(dates, amounts)


def _has_dividends(t_years: float, dividends: DividendSchedule | None) -> bool:
    if not dividends:
        return False
    return any(
        0.0 < t <= t_years and a > 0.0
        for t, a in zip(dividends.times_years, dividends.amounts, strict=True)
    )


def _engine(
    name: str,
    market: _Market,
    divs: ql.DividendSchedule | None,
    fd_grid: tuple[int, int, int],
    qdfp_scheme: str,
) -> ql.PricingEngine:
    if name == "fd":
        t_grid, x_grid, damping = fd_grid
        if divs is None:
            return ql.FdBlackScholesVanillaEngine(market.process, t_grid, x_grid, damping)
        return ql.FdBlackScholesVanillaEngine(
            market.process,
            divs,
            t_grid,
            x_grid,
            damping,
            ql.FdmSchemeDesc.Douglas(),
            False,
            -ql.nullDouble(),
            ql.FdBlackScholesVanillaEngine.Spot,
        )
    if divs is not None:
        raise EngineError(f"engine {name!r} takes no cash dividends: use 'fd' or 'default'")
    if name == "qdfp":
        schemes = {
            "fast": ql.QdFpAmericanEngine.fastScheme,
            "accurate": ql.QdFpAmericanEngine.accurateScheme,
            "high_precision": ql.QdFpAmericanEngine.highPrecisionScheme,
        }
        if qdfp_scheme not in schemes:
            raise InputError("qdfp_scheme", qdfp_scheme, f"must be one of {sorted(schemes)}")
        return ql.QdFpAmericanEngine(market.process, schemes[qdfp_scheme]())
    if name == "baw":
        return ql.BaroneAdesiWhaleyApproximationEngine(market.process)
    if name == "bjs":
        return ql.BjerksundStenslandApproximationEngine(market.process)
    if name == "ju":
        return ql.JuQuadraticApproximationEngine(market.process)
    raise InputError("engine", name, f"must be one of {QL_ENGINES}")


def _try_greek(option: ql.VanillaOption, name: str) -> float:
    try:
        return float(getattr(option, name)())
    except RuntimeError:
        return math.nan


def ql_american(
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    vol: FloatArray,
    dividends: DividendSchedule | None = None,
    *,
    engine: str = "fd",
    fd_grid: tuple[int, int, int] = FD_GRID,
    qdfp_scheme: str = "accurate",
    greeks: bool = False,
) -> dict[str, FloatArray]:
    """American prices (and, with ``greeks``, delta, gamma and theta where the engine provides
    them, NaN otherwise) from a QuantLib engine, one option at a time.

    Arguments are validated, broadcast 1-D arrays (``sign`` +1 call / -1 put); ``t_years`` in
    years (at or below 0: intrinsic, delta the exercise indicator); ``rate``, ``div_yield``
    continuously compounded decimals; ``vol`` decimal. Units of the results: price per share,
    delta and gamma per 1.00 of spot, theta per YEAR of calendar time (real time, not the
    rescaled QuantLib time).
    """
    if engine not in QL_ENGINES:
        raise InputError("engine", engine, f"must be one of {QL_ENGINES}")
    n = sign.shape[0]
    out = {name: np.full(n, np.nan) for name in ("price", "delta", "gamma", "theta")}
    market = _Market()
    shared: dict[int, ql.PricingEngine] = {}
    with evaluation_date():
        for i in range(n):
            s, k, t = float(spot[i]), float(strike[i]), float(t_years[i])
            if t <= 0.0:
                out["price"][i] = max(sign[i] * (s - k), 0.0)
                out["delta"][i] = sign[i] * (1.0 if sign[i] * (s - k) > 0 else 0.5 * (s == k))
                out["gamma"][i] = 0.0
                out["theta"][i] = 0.0
                continue
            intrinsic = max(sign[i] * (s - k), 0.0)
            if float(vol[i]) * math.sqrt(t) < NEARLY_EXPIRED_SD:
                # a few milliseconds from expiry: QuantLib's meshers break down on the
                # rescaled inputs; the value is the zero-vol one (exercise now or at expiry)
                fwd = sign[i] * (s * math.exp(-div_yield[i] * t) - k * math.exp(-rate[i] * t))
                out["price"][i] = max(intrinsic, fwd)
                out["delta"][i] = sign[i] * (1.0 if sign[i] * (s - k) > 0 else 0.5 * (s == k))
                out["gamma"][i] = 0.0
                out["theta"][i] = 0.0
                continue
            with_divs = _has_dividends(t, dividends)
            scale = DayScale.for_time(t, with_dividends=with_divs)
            market.set(scale, s, float(rate[i]), float(div_yield[i]), float(vol[i]))
            if with_divs:
                eng = _engine(
                    engine, market, _dividend_vector(scale, dividends), fd_grid, qdfp_scheme
                )
            else:
                if 0 not in shared:
                    shared[0] = _engine(engine, market, None, fd_grid, qdfp_scheme)
                eng = shared[0]
            option = ql.VanillaOption(
                ql.PlainVanillaPayoff(ql.Option.Call if sign[i] > 0 else ql.Option.Put, k),
                ql.AmericanExercise(EPOCH, EPOCH + scale.days),
            )
            option.setPricingEngine(eng)
            try:
                # an American option is worth at least its exercise value (QuantLib's FD can
                # land a rounding error below it)
                out["price"][i] = max(option.NPV(), intrinsic)
            except RuntimeError as exc:
                raise EngineError(f"QuantLib {engine} failed for option {i}: {exc}") from exc
            if greeks:
                out["delta"][i] = _try_greek(option, "delta")
                out["gamma"][i] = _try_greek(option, "gamma")
                out["theta"][i] = _try_greek(option, "theta") / scale.factor
    return out


def ql_european(
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    vol: FloatArray,
    dividends: DividendSchedule | None = None,
) -> FloatArray:
    """European prices from QuantLib's analytic engines (``AnalyticDividendEuropeanEngine``,
    escrowed model, when cash dividends fall before expiry), with the exact-time day scale."""
    n = sign.shape[0]
    out = np.full(n, np.nan)
    market = _Market()
    with evaluation_date():
        for i in range(n):
            s, k, t = float(spot[i]), float(strike[i]), float(t_years[i])
            if t <= 0.0:
                out[i] = max(sign[i] * (s - k), 0.0)
                continue
            with_divs = _has_dividends(t, dividends)
            scale = DayScale.for_time(t, with_dividends=with_divs)
            market.set(scale, s, float(rate[i]), float(div_yield[i]), float(vol[i]))
            if with_divs:
                eng = ql.AnalyticDividendEuropeanEngine(
                    market.process, _dividend_vector(scale, dividends)
                )
            else:
                eng = ql.AnalyticEuropeanEngine(market.process)
            option = ql.VanillaOption(
                ql.PlainVanillaPayoff(ql.Option.Call if sign[i] > 0 else ql.Option.Put, k),
                ql.EuropeanExercise(EPOCH + scale.days),
            )
            option.setPricingEngine(eng)
            out[i] = option.NPV()
    return out


def ql_implied_vol(
    sign: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    price: FloatArray,
    dividends: DividendSchedule | None = None,
    *,
    accuracy: float = 1e-6,
    max_evaluations: int = 500,
    min_vol: float = 1e-4,
    max_vol: float = 4.0,
    fd_grid: tuple[int, int, int] | None = None,
) -> FloatArray:
    """American implied vols from QuantLib (NaN where QuantLib fails or the option is expired).

    With ``fd_grid=None`` this is QuantLib's own ``VanillaOption.impliedVolatility`` with the
    dividends passed in (it builds ``FdBlackScholesVanillaEngine(process, dividends)`` on its
    fixed 100 x 100 grid). With ``fd_grid=(t_grid, x_grid, damping)`` it is a Brent search on
    the reference FD engine with that grid (a finer, slower reference). ``accuracy`` is on the
    vol (decimal); vols are searched in ``[min_vol, max_vol]``.
    """
    n = sign.shape[0]
    out = np.full(n, np.nan)
    market = _Market()
    with evaluation_date():
        for i in range(n):
            s, k, t = float(spot[i]), float(strike[i]), float(t_years[i])
            if t <= 0.0:
                continue
            with_divs = _has_dividends(t, dividends)
            scale = DayScale.for_time(t, with_dividends=with_divs)
            root_c = math.sqrt(scale.factor)
            market.set(scale, s, float(rate[i]), float(div_yield[i]), 0.2)
            divs = _dividend_vector(scale, dividends)
            option = ql.VanillaOption(
                ql.PlainVanillaPayoff(ql.Option.Call if sign[i] > 0 else ql.Option.Put, k),
                ql.AmericanExercise(EPOCH, EPOCH + scale.days),
            )
            target = float(price[i])
            try:
                if fd_grid is None:
                    vol_scaled = option.impliedVolatility(
                        target,
                        market.process,
                        divs,
                        accuracy * root_c,
                        max_evaluations,
                        min_vol * root_c,
                        max_vol * root_c,
                    )
                else:
                    option.setPricingEngine(
                        _engine("fd", market, divs if with_divs else None, fd_grid, "accurate")
                    )

                    def excess(
                        vol_real: float,
                        opt: ql.VanillaOption = option,
                        root: float = root_c,
                        goal: float = target,
                    ) -> float:
                        market.vol.setValue(vol_real * root)
                        return float(opt.NPV()) - goal

                    vol_scaled = root_c * brentq(
                        excess, min_vol, max_vol, xtol=accuracy, maxiter=max_evaluations
                    )
            except (RuntimeError, ValueError):
                continue
            out[i] = vol_scaled / root_c
    return out
