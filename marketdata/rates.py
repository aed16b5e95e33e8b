"""Treasury yields (as quoted, in percent) to a zero curve of continuously compounded rates.

Quote conventions and the conversions used (``d``, ``y`` in decimals; ``n`` days to maturity):

- **Bill discount yield** (Yahoo ``^IRX``, the 13-week bill, n = 91 days): the bank-discount
  rate on a 360-day year. Price per 1 of face ``P = 1 - d n / 360``.
- **Bill bond-equivalent (investment) yield** (Treasury and FRED constant-maturity ``DGS3MO``):
  simple interest on a 365-day year from the same price, ``BEY = (1/P - 1) 365 / n``, which for
  ``n <= 182`` days equals ``365 d / (360 - d n)``.
- **Continuous rate** of a bill: ``r = -ln(P) 365 / n = (365 / n) ln(1 + BEY n / 365)``: the
  discount and BEY routes give the same number.
- **Notes and bonds** (``^FVX`` 5-year, ``^TNX`` 10-year, ``^TYX`` 30-year, FRED ``DGS2``,
  ``DGS5``, ``DGS10``): semi-annual par yields in percent (Yahoo quotes them x1, e.g. 4.25 for
  4.25 %; before about 2014 ``^TNX`` was x10, which the range check below rejects). Two ways:

  * ``method="approx"``: treat the par yield as a semi-annual zero yield,
    ``r = 2 ln(1 + y / 2)``. The par-zero gap is a few basis points on a gently sloped curve.
  * ``method="bootstrap"`` (default): interpolate par yields linearly in maturity at every
    half-year (the bill's bond-equivalent yield anchors the short end), then bootstrap
    semi-annual discount factors ``DF_i = (1 - c_i/2 sum_{j<i} DF_j) / (1 + c_i/2)`` and take
    ``r = -ln(DF) / t`` at each quoted maturity.

The result is a :class:`marketdata.snapshot.RateCurve`: zero rates at the quoted tenors
(0.25, 2, 5, 10, 30 years as available), linear in the zero rate between them and flat outside.
Rates per expiry (:func:`expiry_rates`) read it at each expiry's exact ``t_years``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np

from marketdata.calendar import ListedExpiry, require_aware, t_years
from marketdata.snapshot import RateCurve
from pricing.errors import InputError
from pricing.types import SettlementTime

BILL_13W_DAYS = 91.0
"""Days to maturity of a 13-week bill (^IRX)."""

YIELD_PCT_RANGE = (-5.0, 30.0)
"""Accepted quoted yields in percent; outside it the quote is taken as a scaling mistake."""

BillBasis = Literal["discount", "bond_equivalent"]
CurveMethod = Literal["bootstrap", "approx"]


def _check_pct(field: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "must be a yield in percent") from None
    lo, hi = YIELD_PCT_RANGE
    if not math.isfinite(number) or not lo < number < hi:
        raise InputError(
            field, value, f"must be a yield in percent between {lo} and {hi} (4.25 means 4.25 %)"
        )
    return number


def _check_days(days: float) -> float:
    if not isinstance(days, (int, float)) or not math.isfinite(days) or not 0 < days <= 366:
        raise InputError("days", days, "bill days to maturity must be in (0, 366]")
    return float(days)


def tbill_discount_price(discount_pct: float, days: float = BILL_13W_DAYS) -> float:
    """Price per 1.00 of face of a bill quoted at the bank-discount yield ``discount_pct``
    (percent, 360-day year): ``1 - d n / 360``."""
    d = _check_pct("discount_pct", discount_pct) / 100.0
    price = 1.0 - d * _check_days(days) / 360.0
    if not price > 0.0:
        raise InputError("discount_pct", discount_pct, "gives a non-positive bill price")
    return price


def tbill_discount_to_bond_equivalent(discount_pct: float, days: float = BILL_13W_DAYS) -> float:
    """Bond-equivalent (investment) yield in percent of a bill quoted at a discount yield in
    percent: ``365 d / (360 - d n)`` (the simple-interest yield for ``n <= 182`` days)."""
    price = tbill_discount_price(discount_pct, days)
    return 100.0 * (1.0 / price - 1.0) * 365.0 / float(days)


def tbill_discount_to_continuous(discount_pct: float, days: float = BILL_13W_DAYS) -> float:
    """Continuously compounded decimal rate of a bill quoted at a discount yield in percent
    (^IRX): ``-ln(1 - d n / 360) 365 / n``."""
    return -math.log(tbill_discount_price(discount_pct, days)) * 365.0 / float(days)


def bill_bond_equivalent_to_continuous(bey_pct: float, days: float = BILL_13W_DAYS) -> float:
    """Continuously compounded decimal rate of a bill quoted at a bond-equivalent (investment)
    yield in percent (FRED DGS3MO): ``(365 / n) ln(1 + BEY n / 365)``."""
    y = _check_pct("bey_pct", bey_pct) / 100.0
    n = _check_days(days)
    growth = 1.0 + y * n / 365.0
    if not growth > 0.0:
        raise InputError("bey_pct", bey_pct, "gives a non-positive bill price")
    return math.log(growth) * 365.0 / n


def bond_equivalent_to_continuous(yield_pct: float) -> float:
    """Continuously compounded decimal rate of a semi-annual yield in percent (^FVX, ^TNX):
    ``2 ln(1 + y / 2)``. Exact for a semi-annual zero yield; for a par yield it is the
    approximation par ~ zero (see the module docstring)."""
    y = _check_pct("yield_pct", yield_pct) / 100.0
    return 2.0 * math.log1p(y / 2.0)


def continuous_to_bond_equivalent(rate: float) -> float:
    """Inverse of :func:`bond_equivalent_to_continuous`: a continuous decimal rate as a
    semi-annual yield in percent, ``200 (exp(r / 2) - 1)``."""
    if not isinstance(rate, (int, float)) or not math.isfinite(rate):
        raise InputError("rate", rate, "must be a finite decimal rate")
    return 200.0 * math.expm1(rate / 2.0)


@dataclass(frozen=True, slots=True)
class TreasuryQuotes:
    """Quoted Treasury yields in percent (4.25 means 4.25 %). Any pillar may be missing
    (Yahoo has no 2-year); at least one is needed.

    ``bill_3m_pct`` is a 13-week bill quote on ``bill_basis``: ``"discount"`` (^IRX) or
    ``"bond_equivalent"`` (FRED/Treasury constant maturity DGS3MO). Notes and bonds are
    semi-annual par yields (^FVX, ^TNX, ^TYX; DGS2, DGS5, DGS10, DGS30).
    """

    bill_3m_pct: float | None = None
    note_2y_pct: float | None = None
    note_5y_pct: float | None = None
    note_10y_pct: float | None = None
    bond_30y_pct: float | None = None
    bill_basis: BillBasis = "discount"
    bill_days: float = BILL_13W_DAYS

    def __post_init__(self) -> None:
        if self.bill_basis not in ("discount", "bond_equivalent"):
            raise InputError(
                "bill_basis", self.bill_basis, "must be 'discount' or 'bond_equivalent'"
            )
        _check_days(self.bill_days)
        any_set = False
        for name in ("bill_3m_pct", "note_2y_pct", "note_5y_pct", "note_10y_pct", "bond_30y_pct"):
            value = getattr(self, name)
            if value is None:
                continue
            object.__setattr__(self, name, _check_pct(name, value))
            any_set = True
        if not any_set:
            raise InputError("treasury_quotes", self, "needs at least one yield")

    @property
    def par_pillars(self) -> list[tuple[float, float]]:
        """(maturity in years, semi-annual par yield in percent) of the quoted notes and bonds."""
        pairs = (
            (2.0, self.note_2y_pct),
            (5.0, self.note_5y_pct),
            (10.0, self.note_10y_pct),
            (30.0, self.bond_30y_pct),
        )
        return [(t, y) for t, y in pairs if y is not None]

    def bill_continuous(self) -> float | None:
        """The bill's continuously compounded decimal rate, if quoted."""
        if self.bill_3m_pct is None:
            return None
        if self.bill_basis == "discount":
            return tbill_discount_to_continuous(self.bill_3m_pct, self.bill_days)
        return bill_bond_equivalent_to_continuous(self.bill_3m_pct, self.bill_days)

    def bill_bond_equivalent_pct(self) -> float | None:
        """The bill's bond-equivalent yield in percent, if quoted."""
        if self.bill_3m_pct is None:
            return None
        if self.bill_basis == "discount":
            return tbill_discount_to_bond_equivalent(self.bill_3m_pct, self.bill_days)
        return self.bill_3m_pct

    def shifted(self, shift_bp: float) -> TreasuryQuotes:
        """Every quoted yield moved by ``shift_bp`` basis points (a quote-level parallel shift)."""
        if not isinstance(shift_bp, (int, float)) or not math.isfinite(shift_bp):
            raise InputError("shift_bp", shift_bp, "must be a finite number of basis points")

        def move(v: float | None) -> float | None:
            return None if v is None else v + shift_bp / 100.0

        return TreasuryQuotes(
            move(self.bill_3m_pct),
            move(self.note_2y_pct),
            move(self.note_5y_pct),
            move(self.note_10y_pct),
            move(self.bond_30y_pct),
            self.bill_basis,
            self.bill_days,
        )


def _bootstrap_zero_rates(quotes: TreasuryQuotes) -> list[tuple[float, float]]:
    """(tenor, continuous zero rate) at each par pillar, bootstrapped on a semi-annual grid."""
    pillars = quotes.par_pillars
    bill_bey = quotes.bill_bond_equivalent_pct()
    knots_t = [t for t, _ in pillars]
    knots_y = [y / 100.0 for _, y in pillars]
    if bill_bey is not None:
        knots_t.insert(0, quotes.bill_days / 365.0)
        knots_y.insert(0, bill_bey / 100.0)
    last = pillars[-1][0]
    grid = np.arange(1, round(last * 2) + 1) / 2.0
    par = np.interp(grid, knots_t, knots_y)
    discounts: list[float] = []
    annuity = 0.0
    for c in par:
        df = (1.0 - c / 2.0 * annuity) / (1.0 + c / 2.0)
        if not df > 0.0:
            raise InputError("treasury_quotes", quotes, "par yields too steep to bootstrap")
        discounts.append(df)
        annuity += df
    out: list[tuple[float, float]] = []
    for t, _ in pillars:
        i = round(t * 2) - 1
        out.append((t, -math.log(discounts[i]) / t))
    return out


def build_treasury_curve(quotes: TreasuryQuotes, *, method: CurveMethod = "bootstrap") -> RateCurve:
    """The zero curve (continuous decimals) from quoted Treasury yields.

    Pillars: the bill's maturity (91/365 years) and each quoted note/bond maturity. ``method``
    chooses how par yields become zero rates (module docstring); the bill is exact either way.
    """
    if method not in ("bootstrap", "approx"):
        raise InputError("method", method, "must be 'bootstrap' or 'approx'")
    tenors: list[float] = []
    rates: list[float] = []
    bill = quotes.bill_continuous()
    if bill is not None:
        tenors.append(quotes.bill_days / 365.0)
        rates.append(bill)
    if quotes.par_pillars:
        if method == "approx":
            zeros = [(t, bond_equivalent_to_continuous(y)) for t, y in quotes.par_pillars]
        else:
            zeros = _bootstrap_zero_rates(quotes)
        for t, r in zeros:
            tenors.append(t)
            rates.append(r)
    return RateCurve(tuple(tenors), tuple(rates))


def curve_from_yahoo(
    irx_pct: float | None,
    fvx_pct: float | None,
    tnx_pct: float | None,
    tyx_pct: float | None = None,
    *,
    method: CurveMethod = "bootstrap",
) -> RateCurve:
    """The zero curve from Yahoo's Treasury quotes in percent: ^IRX (13-week bill discount
    yield), ^FVX (5-year), ^TNX (10-year), optionally ^TYX (30-year). Missing quotes are None."""
    quotes = TreasuryQuotes(
        bill_3m_pct=irx_pct,
        note_5y_pct=fvx_pct,
        note_10y_pct=tnx_pct,
        bond_30y_pct=tyx_pct,
        bill_basis="discount",
    )
    return build_treasury_curve(quotes, method=method)


def curve_from_fred(
    dgs3mo: float | None,
    dgs2: float | None,
    dgs5: float | None,
    dgs10: float | None,
    dgs30: float | None = None,
    *,
    method: CurveMethod = "bootstrap",
) -> RateCurve:
    """The zero curve from FRED constant-maturity yields in percent (DGS3MO is a
    bond-equivalent bill yield; the others semi-annual par yields)."""
    quotes = TreasuryQuotes(
        bill_3m_pct=dgs3mo,
        note_2y_pct=dgs2,
        note_5y_pct=dgs5,
        note_10y_pct=dgs10,
        bond_30y_pct=dgs30,
        bill_basis="bond_equivalent",
    )
    return build_treasury_curve(quotes, method=method)


@dataclass(frozen=True, slots=True)
class ExpiryRate:
    """The curve read at one expiry: exact ``t_years``, continuous zero ``rate`` (decimal) and
    ``discount`` factor ``exp(-rate t)``."""

    expiry: date
    settlement: SettlementTime
    t_years: float
    rate: float
    discount: float


def expiry_rates(
    curve: RateCurve,
    as_of: datetime,
    expiries: Iterable[ListedExpiry | tuple[date, SettlementTime | str]],
) -> list[ExpiryRate]:
    """The zero rate and discount factor to each expiry's settlement moment from the tz-aware
    ``as_of``. Expiries are :class:`ListedExpiry` or ``(date, "am"/"pm")`` pairs; an expired one
    (``t_years <= 0``) gets the curve's shortest rate and a discount factor of 1."""
    require_aware("as_of", as_of)
    out: list[ExpiryRate] = []
    for item in expiries:
        if isinstance(item, ListedExpiry):
            day, settle = item.expiry, item.settlement
        else:
            day, raw = item
            settle = SettlementTime(raw.lower() if isinstance(raw, str) else raw)
        t = t_years(as_of, day, settle)
        tt = max(t, 0.0)
        rate = float(curve.rate(tt))
        out.append(ExpiryRate(day, settle, t, rate, math.exp(-rate * tt)))
    return out


def rates_at(curve: RateCurve, t_years_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Zero rates (continuous decimals) at the given times in years, as a float array."""
    t = np.asarray(t_years_values, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise InputError("t_years", t_years_values, "must be finite")
    return np.asarray(curve.rate(t), dtype=np.float64)
