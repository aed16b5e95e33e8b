"""Treasury quote conventions, the zero curve, its interpolation, shifts and rates per expiry."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata.calendar import listed_expiries, t_years
from marketdata.rates import (
    TreasuryQuotes,
    bill_bond_equivalent_to_continuous,
    bond_equivalent_to_continuous,
    build_treasury_curve,
    continuous_to_bond_equivalent,
    curve_from_fred,
    curve_from_yahoo,
    expiry_rates,
    rates_at,
    tbill_discount_price,
    tbill_discount_to_bond_equivalent,
    tbill_discount_to_continuous,
)
from pricing.errors import InputError
from pricing.types import NEW_YORK, SettlementTime

AS_OF = datetime(2026, 11, 20, 16, 15, tzinfo=NEW_YORK)


def test_bill_discount_conversions_by_hand() -> None:
    # 4.00 % discount, 91 days: P = 1 - 0.04 * 91 / 360 = 0.98988888...
    assert tbill_discount_price(4.0) == pytest.approx(0.9898888888888889, abs=1e-15)
    # BEY = 365 d / (360 - d n) = 14.6 / 356.36 = 4.0969806 %
    assert tbill_discount_to_bond_equivalent(4.0) == pytest.approx(4.096980581434504, abs=1e-12)
    # continuous = -ln(P) * 365 / 91 = 0.0407619790
    assert tbill_discount_to_continuous(4.0) == pytest.approx(0.04076197904577038, abs=1e-14)
    # the bond-equivalent route lands on the same continuous rate
    bey = tbill_discount_to_bond_equivalent(4.0)
    assert bill_bond_equivalent_to_continuous(bey) == pytest.approx(
        tbill_discount_to_continuous(4.0), abs=1e-14
    )
    # ordering for a positive rate: discount < continuous < bond-equivalent
    assert 0.04 < tbill_discount_to_continuous(4.0) < bey / 100.0


def test_note_yield_conversion_by_hand() -> None:
    # 4.40 % semi-annual: 2 ln(1.022) = 0.0435229836
    assert bond_equivalent_to_continuous(4.40) == pytest.approx(0.04352298356302542, abs=1e-15)
    assert continuous_to_bond_equivalent(0.04352298356302542) == pytest.approx(4.40, abs=1e-12)


def test_out_of_range_quotes_name_the_field() -> None:
    with pytest.raises(InputError, match="note_10y_pct"):
        curve_from_yahoo(3.9, 4.2, 44.0)  # ^TNX read at the old x10 scale
    with pytest.raises(InputError, match="discount_pct"):
        tbill_discount_to_continuous(float("nan"))
    with pytest.raises(InputError, match="days"):
        tbill_discount_to_continuous(4.0, days=0)
    with pytest.raises(InputError, match="treasury_quotes"):
        TreasuryQuotes()
    with pytest.raises(InputError, match="method"):
        build_treasury_curve(TreasuryQuotes(bill_3m_pct=4.0), method="spline")  # type: ignore[arg-type]


def test_flat_par_curve_bootstraps_to_flat_zero_curve() -> None:
    quotes = TreasuryQuotes(
        bill_3m_pct=4.0,
        note_2y_pct=4.0,
        note_5y_pct=4.0,
        note_10y_pct=4.0,
        bill_basis="bond_equivalent",
    )
    curve = build_treasury_curve(quotes)
    assert curve.tenors_years == pytest.approx((91 / 365, 2.0, 5.0, 10.0))
    # a flat 4 % semi-annual par curve is a flat 4 % semi-annual zero curve: 2 ln(1.02)
    assert curve.zero_rates[1:] == pytest.approx((2 * math.log(1.02),) * 3, abs=1e-13)
    # the bill keeps its own (simple-interest) compounding: (365/91) ln(1 + 0.04 * 91 / 365)
    assert curve.zero_rates[0] == pytest.approx(365 / 91 * math.log(1 + 0.04 * 91 / 365), abs=1e-15)


def test_upward_par_curve_zero_above_par() -> None:
    quotes = TreasuryQuotes(bill_3m_pct=3.95, note_2y_pct=4.10, note_5y_pct=4.20, note_10y_pct=4.40)
    boot = build_treasury_curve(quotes)
    approx = build_treasury_curve(quotes, method="approx")
    assert boot.tenors_years == approx.tenors_years
    assert boot.zero_rates[0] == approx.zero_rates[0]  # the bill is exact either way
    for zb, za in zip(boot.zero_rates[1:], approx.zero_rates[1:], strict=True):
        assert zb >= za - 1e-12  # upward par curve: zero rates at or above par
        assert zb - za < 0.0010  # by a few basis points only
    assert boot.zero_rates[-1] - approx.zero_rates[-1] > 0.0001  # 10-year gap is visible


def test_curve_interpolation_and_flat_extrapolation() -> None:
    curve = build_treasury_curve(
        TreasuryQuotes(bill_3m_pct=3.95, note_2y_pct=4.10, note_5y_pct=4.20, note_10y_pct=4.40)
    )
    t0, t1 = curve.tenors_years[0], curve.tenors_years[1]
    r0, r1 = curve.zero_rates[0], curve.zero_rates[1]
    mid = 1.0
    assert float(curve.rate(mid)) == pytest.approx(
        r0 + (r1 - r0) * (mid - t0) / (t1 - t0), abs=1e-15
    )
    assert float(curve.rate(0.01)) == r0  # flat before the first pillar
    assert float(curve.rate(30.0)) == curve.zero_rates[-1]  # flat after the last
    assert float(curve.discount(2.0)) == pytest.approx(math.exp(-r1 * 2.0), abs=1e-15)
    assert rates_at(curve, [0.5, 1.0]).shape == (2,)
    with pytest.raises(InputError, match="t_years"):
        rates_at(curve, [float("nan")])


def test_parallel_shift_in_basis_points() -> None:
    quotes = TreasuryQuotes(bill_3m_pct=3.95, note_2y_pct=4.10, note_5y_pct=4.20, note_10y_pct=4.40)
    curve = build_treasury_curve(quotes)
    shifted = curve.shifted(50)
    grid = np.linspace(0.01, 12.0, 50)
    assert np.allclose(shifted.rate(grid) - curve.rate(grid), 0.0050, atol=1e-15)
    # shifting the quotes by +50 bp: the bill's discount yield moves its continuous rate a bit
    # more (dr/dd = 365 / (360 P) ~ 1.025); semi-annual par yields a bit less (1 / (1 + y/2))
    requoted = build_treasury_curve(quotes.shifted(50))
    moves = np.array(requoted.zero_rates) - np.array(curve.zero_rates)
    assert 0.0050 < moves[0] < 0.0052
    assert np.all(moves[1:] > 0.0048) and np.all(moves[1:] < 0.0050)
    assert quotes.shifted(-25).note_10y_pct == pytest.approx(4.15)


def test_yahoo_and_fred_entry_points() -> None:
    yahoo = curve_from_yahoo(3.95, 4.20, 4.40)
    assert yahoo.tenors_years == pytest.approx((91 / 365, 5.0, 10.0))
    assert yahoo.zero_rates[0] == pytest.approx(tbill_discount_to_continuous(3.95))
    # FRED 2019-01-02 (fred_treasury_2000_2021.csv): DGS10 2.66, DGS3MO 2.42, DGS2 2.50
    fred = curve_from_fred(2.42, 2.50, None, 2.66)
    assert fred.tenors_years == pytest.approx((91 / 365, 2.0, 10.0))
    assert fred.zero_rates[0] == pytest.approx(bill_bond_equivalent_to_continuous(2.42))
    for zero, par in zip(fred.zero_rates[1:], (2.50, 2.66), strict=True):
        assert abs(zero - bond_equivalent_to_continuous(par)) < 0.0005


def test_expiry_rates_read_the_curve_at_exact_times() -> None:
    curve = build_treasury_curve(
        TreasuryQuotes(bill_3m_pct=3.95, note_2y_pct=4.10, note_5y_pct=4.20, note_10y_pct=4.40)
    )
    listed = listed_expiries("RUT", AS_OF)
    out = expiry_rates(curve, AS_OF, listed)
    assert len(out) == len(listed)
    for item, exp in zip(out, listed, strict=True):
        assert item.t_years == exp.t_years(AS_OF)
        assert item.rate == pytest.approx(float(curve.rate(item.t_years)), abs=1e-15)
        assert item.discount == pytest.approx(math.exp(-item.rate * item.t_years), abs=1e-15)
    pairs = expiry_rates(
        curve, AS_OF, [(date(2026, 12, 18), "am"), (date(2026, 11, 20), SettlementTime.PM)]
    )
    assert pairs[0].t_years == t_years(AS_OF, date(2026, 12, 18), "am")
    assert pairs[1].t_years < 0 and pairs[1].discount == 1.0  # expired before as-of


@given(st.floats(min_value=0.01, max_value=15.0), st.floats(min_value=0.01, max_value=15.0))
def test_conversions_are_monotone_and_consistent(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert tbill_discount_to_continuous(lo) <= tbill_discount_to_continuous(hi)
    assert bond_equivalent_to_continuous(lo) <= bond_equivalent_to_continuous(hi)
    via_bey = bill_bond_equivalent_to_continuous(tbill_discount_to_bond_equivalent(a))
    assert via_bey == pytest.approx(tbill_discount_to_continuous(a), rel=1e-12)
    assert continuous_to_bond_equivalent(bond_equivalent_to_continuous(a)) == pytest.approx(
        a, rel=1e-12
    )
