"""American Greeks stay within the bounds the model guarantees, over the whole input domain:
delta in [0, 1] for calls and [-1, 0] for puts, gamma >= 0 (the value is convex in spot, with a
continuous yield or with cash dividends below the spot), and exactly +-1 / 0 in the exercise
region. No tolerance: the engine guarantees the bounds by construction."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pricing.american import american_greeks, american_price
from pricing.types import DividendSchedule

#: Each example prices five spots from deep in to far out of the money in one engine call (one
#: solve per group), so a modest number of examples covers the domain; the deep profile
#: (``make test-deep``) runs ten times more.
EXAMPLES = max(20, settings.default.max_examples // 5)
SPOT_FACTORS = np.array([0.45, 0.7, 0.9, 1.0, 1.15, 1.6])


@st.composite
def dividend_schedules(draw: st.DrawFn) -> DividendSchedule | None:
    """None (continuous yield only) or 1 to 6 cash dividends of up to 3 % of a spot of 100."""
    if draw(st.booleans()):
        return None
    n = draw(st.integers(1, 6))
    first = draw(st.floats(0.001, 0.5))
    times = [first]
    for _ in range(n - 1):
        times.append(times[-1] + draw(st.floats(0.05, 0.5)))
    amounts = [draw(st.floats(0.01, 3.0)) for _ in range(n)]
    return DividendSchedule(tuple(times), tuple(amounts))


@settings(max_examples=EXAMPLES)
@given(
    kind=st.sampled_from(["call", "put"]),
    strike=st.floats(20.0, 400.0),
    t=st.one_of(st.floats(1e-4, 0.02), st.floats(0.02, 3.0)),
    rate=st.floats(-0.01, 0.12),
    div_yield=st.floats(0.0, 0.10),
    vol=st.floats(0.03, 1.5),
    dividends=dividend_schedules(),
)
@example(
    kind="put",
    strike=250.0,
    t=0.2523972602739726,
    rate=0.039993607305936076,
    div_yield=0.0,
    vol=0.22,
    dividends=DividendSchedule((0.1639840182648402,), (0.7,)),
)
def test_american_greeks_within_bounds(
    kind: str,
    strike: float,
    t: float,
    rate: float,
    div_yield: float,
    vol: float,
    dividends: DividendSchedule | None,
) -> None:
    spot = strike * SPOT_FACTORS
    if dividends:  # amounts below the lowest spot (the model's domain)
        scale = min(1.0, 0.5 * float(spot.min()) / sum(dividends.amounts))
        dividends = DividendSchedule(
            dividends.times_years, tuple(a * scale for a in dividends.amounts)
        )
    args = dict(
        kind=kind,
        spot=spot,
        strike=strike,
        t_years=t,
        rate=rate,
        div_yield=div_yield,
        vol=vol,
        dividends=dividends,
    )
    g = american_greeks(**args)  # type: ignore[arg-type]
    price = american_price(**args)  # type: ignore[arg-type]
    sign = 1.0 if kind == "call" else -1.0
    lo, hi = min(sign, 0.0), max(sign, 0.0)
    assert np.all((g.delta >= lo) & (g.delta <= hi)), g.delta
    assert np.all(g.gamma >= 0.0), g.gamma
    payoff = sign * (spot - strike)
    exercised = (payoff > 0.0) & (price == payoff)
    assert np.all(g.delta[exercised] == sign)
    assert np.all(g.gamma[exercised] == 0.0)
    assert np.all(price >= np.maximum(payoff, 0.0))


def test_deep_in_the_money_put_with_a_cash_dividend_is_exactly_exercised() -> None:
    """The case a random run of tests/strategies/test_strategy.py found (IWM 250 put expiring
    2026-04-17, spot 199.9375, 0.70 dividend on 2026-03-16): its price was 3.9e-9 above
    intrinsic (cubic interpolation of the payoff between grid nodes), delta -1.0000000019839794
    and gamma -2.8e-08. In the exercise region the price is now exactly intrinsic."""
    args = dict(
        kind="put",
        spot=199.9375,
        strike=250.0,
        t_years=0.2523972602739726,
        rate=0.039993607305936076,
        div_yield=0.0,
        vol=0.22,
        dividends=DividendSchedule((0.1639840182648402,), (0.7,)),
    )
    assert float(american_price(**args)) == 250.0 - 199.9375  # type: ignore[arg-type]
    g = american_greeks(**args)  # type: ignore[arg-type]
    assert float(g.delta) == -1.0
    assert float(g.gamma) == 0.0
    assert float(g.theta) == 0.0
