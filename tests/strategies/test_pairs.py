"""Baskets and pairs of share legs (strategies.pairs): whole-share sizing dollar- and beta-neutral,
the rounding that keeps the residual smallest, betas with their window, scenario P&L, bad input.

The bar (issue 10): a long/short pair of two share legs sized beta-neutral has
``|net beta dollars| <= 1 % of gross dollars`` after rounding to whole shares, where net beta
dollars = sum over legs of signed shares x price x beta and gross dollars = sum of |shares| x
price; dollar-neutral likewise with ``|net dollars| <= 1 % of gross``. It holds whenever one
share of either leg (price x |beta|) is at most 2 % of the gross (the two-leg residual is at
most half the larger of them); smaller notionals get a warning, tested below too.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.errors import InputError
from strategies.betas import HISTORICAL_SPY_BETA, HOUSE_BETAS, IWM_BETA_TO_SPY, SPY_BETA_TO_IWM
from strategies.legs import TNA
from strategies.leveraged import leveraged_ratio
from strategies.pairs import (
    Basket,
    BasketLeg,
    LegBeta,
    basket_document,
    basket_scenarios,
    pair,
    realised_index_vol,
    resolve_betas,
    resolve_prices,
    size_basket,
    size_pair,
)
from strategies.scenarios import HOUSE_VIEW
from strategies.sizing.book import load_price_history

PRICES = {"IWM": 277.66, "SPY": 660.0}


def _net(sizing, with_beta: bool) -> float:  # type: ignore[no-untyped-def]
    return math.fsum(
        s.signed_shares * s.price_per_share * (s.beta.beta if with_beta else 1.0)
        for s in sizing.legs
    )


def _gross(sizing) -> float:  # type: ignore[no-untyped-def]
    return math.fsum(abs(s.signed_shares) * s.price_per_share for s in sizing.legs)


# --- the bar ---------------------------------------------------------------------------------


def test_beta_neutral_pair_is_within_one_percent_of_gross() -> None:
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share=PRICES,
        betas=resolve_betas(["IWM", "SPY"], benchmark="IWM"),
        neutral="beta",
        gross_notional_dollars=100_000.0,
    )
    long_leg, short_leg = s.legs
    assert long_leg.signed_shares > 0 > short_leg.signed_shares
    net_beta = _net(s, with_beta=True)
    assert abs(net_beta) <= 0.01 * _gross(s)
    assert s.net_beta_dollars == pytest.approx(net_beta)
    assert s.gross_dollars == pytest.approx(_gross(s))
    assert s.within_bar and not s.warnings
    # beta-neutral to IWM: short dollars = long dollars / beta(SPY -> IWM), up to whole shares
    assert s.hedge_ratio == pytest.approx(1.0 / SPY_BETA_TO_IWM)
    assert s.short_dollars / s.long_dollars == pytest.approx(1.0 / SPY_BETA_TO_IWM, rel=0.01)
    # and not dollar-neutral: the net dollars are far from zero
    assert abs(s.net_dollars) > 0.1 * s.gross_dollars


def test_dollar_neutral_pair_is_within_one_percent_of_gross() -> None:
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share=PRICES,
        betas={"IWM": 1.0, "SPY": SPY_BETA_TO_IWM},
        neutral="dollar",
        long_notional_dollars=50_000.0,
    )
    assert abs(_net(s, with_beta=False)) <= 0.01 * _gross(s)
    assert s.residual_dollars == pytest.approx(s.net_dollars)
    assert s.legs[0].target_dollars == pytest.approx(50_000.0)
    assert s.legs[1].target_dollars == pytest.approx(50_000.0)


@settings(max_examples=60)
@given(
    p_long=st.floats(1.0, 1000.0),
    p_short=st.floats(1.0, 1000.0),
    b_long=st.floats(0.2, 3.5),
    b_short=st.floats(0.2, 3.5),
    neutral=st.sampled_from(["beta", "dollar"]),
    extra=st.floats(1.0, 20.0),
)
def test_pair_bar_holds_whenever_one_share_is_at_most_two_percent_of_gross(
    p_long: float,
    p_short: float,
    b_long: float,
    b_short: float,
    neutral: str,
    extra: float,
) -> None:
    unit = max(p_long * b_long, p_short * b_short) if neutral == "beta" else max(p_long, p_short)
    gross = 50.0 * unit * extra + 2.0 * max(p_long, p_short)  # every leg gets >= 1 share
    s = size_pair(
        "AAA",
        "BBB",
        prices_per_share={"AAA": p_long, "BBB": p_short},
        betas={"AAA": b_long, "BBB": b_short},
        neutral=neutral,  # type: ignore[arg-type]
        gross_notional_dollars=gross,
    )
    residual = _net(s, with_beta=neutral == "beta")
    assert abs(residual) <= 0.01 * _gross(s) + 1e-9
    assert abs(residual) <= 0.5 * unit + 1e-9


def test_a_notional_too_small_for_whole_shares_is_flagged_not_hidden() -> None:
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share=PRICES,
        betas={"IWM": 1.0, "SPY": 0.705},
        neutral="beta",
        gross_notional_dollars=2_000.0,
    )
    assert not s.within_bar
    assert s.residual_share_of_gross > 0.01
    assert s.warnings and "above 1%" in s.warnings[0]


# --- rounding: the residual is the smallest among the neighbouring counts --------------------


def _neighbour_minimum(
    prices: list[float],
    betas: list[float],
    signs: list[int],
    targets: list[float],
    with_beta: bool,
) -> tuple[float, list[set[int]]]:
    """Independent of the module: the smallest |residual| over every leg rounded down or up
    (never to zero shares) from its exact count target / price."""
    options = []
    for d, p in zip(targets, prices, strict=True):
        x = d / p
        options.append({max(1, math.floor(x)), max(1, math.ceil(x))})
    best = math.inf
    for counts in itertools.product(*[sorted(o) for o in options]):
        r = math.fsum(
            sg * n * p * (b if with_beta else 1.0)
            for sg, n, p, b in zip(signs, counts, prices, betas, strict=True)
        )
        best = min(best, abs(r))
    return best, options


@settings(max_examples=40)
@given(
    data=st.data(),
    n_long=st.integers(1, 3),
    n_short=st.integers(1, 2),
    neutral=st.sampled_from(["beta", "dollar"]),
    notional=st.floats(5_000.0, 5_000_000.0),
)
def test_sized_residual_is_minimal_among_neighbouring_integer_counts(
    data: st.DataObject, n_long: int, n_short: int, neutral: str, notional: float
) -> None:
    n = n_long + n_short
    tickers = [f"T{i}" for i in range(n)]
    prices = data.draw(st.lists(st.floats(2.0, 800.0), min_size=n, max_size=n))
    betas = data.draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n))
    weights = data.draw(st.lists(st.floats(0.2, 5.0), min_size=n, max_size=n))
    sides = ["long"] * n_long + ["short"] * n_short
    basket = Basket(
        tuple(BasketLeg(t, s, w) for t, s, w in zip(tickers, sides, weights, strict=True))  # type: ignore[arg-type]
    )
    # the notional must buy at least half a share of every leg
    gross = notional + 2.0 * sum(p * 6.0 for p in prices) * (1 + max(weights) / min(weights))
    s = size_basket(
        basket,
        prices_per_share=dict(zip(tickers, prices, strict=True)),
        betas=dict(zip(tickers, betas, strict=True)),
        neutral=neutral,  # type: ignore[arg-type]
        gross_notional_dollars=gross,
    )
    # targets computed here, from the definition: each side's dollars split by weight, the
    # short side = long side x (weighted long beta / weighted short beta) for beta-neutral
    wl = sum(w for w, sd in zip(weights, sides, strict=True) if sd == "long")
    ws = sum(w for w, sd in zip(weights, sides, strict=True) if sd == "short")
    bl = sum(w * b for w, b, sd in zip(weights, betas, sides, strict=True) if sd == "long") / wl
    bs = sum(w * b for w, b, sd in zip(weights, betas, sides, strict=True) if sd == "short") / ws
    ratio = bl / bs if neutral == "beta" else 1.0
    long_d = gross / (1.0 + ratio)
    targets = [
        (long_d * w / wl) if sd == "long" else (long_d * ratio * w / ws)
        for w, sd in zip(weights, sides, strict=True)
    ]
    signs = [1 if sd == "long" else -1 for sd in sides]
    best, options = _neighbour_minimum(prices, betas, signs, targets, neutral == "beta")
    for leg, allowed in zip(s.legs, options, strict=True):
        assert leg.shares in allowed
    chosen = abs(_net(s, with_beta=neutral == "beta"))
    assert chosen <= best + 1e-9 * max(1.0, gross)
    assert s.combinations_checked == math.prod(len(o) for o in options)


def test_rounding_beats_rounding_each_leg_to_its_nearest_integer() -> None:
    # exact counts 10.4 of AAA at 100 and 28.11 of BBB at 37 (dollar-neutral, long $1,040):
    # the nearest integers 10 / 28 leave 1000 - 1036 = -36 dollars; of 10/28, 10/29, 11/28 and
    # 11/29 (-36, -73, +64, +27) the smallest is 11 x 100 - 29 x 37 = +27.
    s = size_pair(
        "AAA",
        "BBB",
        prices_per_share={"AAA": 100.0, "BBB": 37.0},
        betas={"AAA": 1.0, "BBB": 1.0},
        neutral="dollar",
        long_notional_dollars=1_040.0,
    )
    naive = abs(round(10.4) * 100.0 - round(1_040.0 / 37.0) * 37.0)
    assert naive == pytest.approx(36.0)
    assert [leg.signed_shares for leg in s.legs] == [11, -29]
    assert s.net_dollars == pytest.approx(27.0)
    assert "rounded down or up" in s.rounding and "4 combinations" in s.rounding


# --- betas --------------------------------------------------------------------------------------


def _history(n: int = 400, beta: float = 1.3, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.012, n)
    y = beta * x + rng.normal(0.0, 0.004, n)
    dates = pd.bdate_range("2024-01-02", periods=n + 1)
    return pd.DataFrame(
        {
            "DATE": dates,
            "IWM_ADJ_CLOSE": 200.0 * np.concatenate([[1.0], np.cumprod(1.0 + x)]),
            "KRE": 50.0 * np.concatenate([[1.0], np.cumprod(1.0 + y)]),
        }
    )


def test_an_estimated_beta_carries_its_window() -> None:
    hist = _history()
    betas = resolve_betas(["KRE", "IWM"], benchmark="IWM", history=hist, window_days=250)
    kre = betas["KRE"]
    assert kre.source == "ols"
    assert kre.beta == pytest.approx(1.3, abs=0.05)
    assert kre.n_obs == 250
    assert kre.end == hist["DATE"].iloc[-1].date().isoformat()
    assert kre.start == hist["DATE"].iloc[-250].date().isoformat()
    assert "250 returns" in kre.window and kre.start in kre.window
    assert betas["IWM"].beta == 1.0 and betas["IWM"].source == "table"


def test_beta_precedence_given_then_history_then_table_then_leverage() -> None:
    hist = _history()
    b = resolve_betas(["KRE", "SPY", "TNA"], benchmark="IWM", history=hist, given={"KRE": 0.8})
    assert (b["KRE"].beta, b["KRE"].source) == (0.8, "given")
    assert (b["SPY"].beta, b["SPY"].source) == (SPY_BETA_TO_IWM, "table")
    assert "1,257 daily" in b["SPY"].window
    assert (b["TNA"].beta, b["TNA"].source) == (3.0, "leverage")
    to_spy = resolve_betas(["TZA"], benchmark="SPY")
    assert to_spy["TZA"].beta == pytest.approx(-3.0 * IWM_BETA_TO_SPY)


def test_unknown_ticker_without_a_beta_is_an_error_naming_it() -> None:
    with pytest.raises(InputError) as err:
        resolve_betas(["IWM", "XSMO"], benchmark="IWM")
    assert err.value.field == "betas[XSMO]"
    assert "no beta of XSMO to IWM" in str(err.value)
    with pytest.raises(InputError) as err2:
        size_pair(
            "XSMO",
            "IWM",
            prices_per_share={"XSMO": 60.0, "IWM": 200.0},
            betas={"IWM": 1.0},
            gross_notional_dollars=1e5,
        )
    assert err2.value.field == "betas[XSMO]"


# --- bad input --------------------------------------------------------------------------------


def test_negative_price_names_the_field_and_value() -> None:
    with pytest.raises(InputError) as err:
        size_pair(
            "IWM",
            "SPY",
            prices_per_share={"IWM": -5.0, "SPY": 660.0},
            betas={"IWM": 1.0, "SPY": 0.7},
            gross_notional_dollars=1e5,
        )
    assert err.value.field == "prices[IWM]" and err.value.value == -5.0
    assert "prices[IWM]=-5.0" in str(err.value)
    with pytest.raises(InputError) as err2:
        resolve_prices(["IWM"], given={"IWM": 0.0})
    assert err2.value.field == "prices[IWM]"


def test_zero_beta_for_beta_neutral_names_the_leg() -> None:
    with pytest.raises(InputError) as err:
        size_pair(
            "IWM",
            "SPY",
            prices_per_share=PRICES,
            betas={"IWM": 1.0, "SPY": 0.0},
            neutral="beta",
            gross_notional_dollars=1e5,
        )
    assert err.value.field == "betas[SPY]" and err.value.value == 0.0
    assert "zero" in err.value.reason
    # dollar-neutral does not need a non-zero beta
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share=PRICES,
        betas={"IWM": 1.0, "SPY": 0.0},
        neutral="dollar",
        gross_notional_dollars=1e5,
    )
    assert abs(s.net_dollars) <= 0.01 * s.gross_dollars


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gross_notional_dollars": -1.0}, "gross_notional_dollars"),
        ({"gross_notional_dollars": 1e5, "long_notional_dollars": 1e5}, "notional"),
        ({}, "notional"),
        ({"gross_notional_dollars": math.nan}, "gross_notional_dollars"),
        ({"short_notional_dollars": 1e300}, "short_notional_dollars"),
        ({"gross_notional_dollars": 100.0}, "notional"),  # under half a share of SPY
        ({"gross_notional_dollars": 1e5, "neutral": "gamma"}, "neutral"),
        ({"gross_notional_dollars": 1e5, "benchmark": "QQQ"}, "benchmark"),
    ],
)
def test_bad_sizing_inputs_name_their_field(kwargs: dict, field: str) -> None:  # type: ignore[type-arg]
    args = {"prices_per_share": PRICES, "betas": {"IWM": 1.0, "SPY": 0.7}, **kwargs}
    with pytest.raises(InputError) as err:
        size_pair("IWM", "SPY", **args)
    assert err.value.field == field


def test_opposite_sign_sides_cannot_be_beta_neutral() -> None:
    with pytest.raises(InputError) as err:
        size_pair(
            "IWM",
            "TZA",
            prices_per_share={"IWM": 200.0, "TZA": 10.0},
            betas={"IWM": 1.0, "TZA": -3.0},
            neutral="beta",
            gross_notional_dollars=1e5,
        )
    assert err.value.field == "betas" and "opposite signs" in err.value.reason


def test_basket_validation() -> None:
    with pytest.raises(InputError, match="need at least one short"):
        Basket((BasketLeg("IWM", "long"),))
    with pytest.raises(InputError, match="once"):
        Basket((BasketLeg("IWM", "long"), BasketLeg("iwm", "short")))
    with pytest.raises(InputError) as err:
        BasketLeg("KRE", "long", -1.0)
    assert err.value.field == "weights[KRE]"
    with pytest.raises(InputError):
        BasketLeg("two words", "long")
    with pytest.raises(InputError):
        LegBeta("KRE", "IWM", 50.0)
    assert pair("iwm", "spy").name == "long IWM / short SPY"
    many = (*tuple(BasketLeg(f"L{i}", "long") for i in range(16)), BasketLeg("S", "short"))
    with pytest.raises(InputError) as err2:
        Basket(many)
    assert err2.value.field == "legs" and err2.value.value == 17


# --- scenario P&L ------------------------------------------------------------------------------


def test_scenario_pnl_is_beta_times_benchmark_move_summed_over_legs() -> None:
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share=PRICES,
        betas={"IWM": 1.0, "SPY": SPY_BETA_TO_IWM},
        neutral="dollar",
        gross_notional_dollars=200_000.0,
    )
    r = basket_scenarios(s)
    long_d, short_d = s.legs[0].dollars, s.legs[1].dollars
    for row, scen in zip(r.house, HOUSE_VIEW, strict=True):
        expect = long_d * scen.spot_move + short_d * SPY_BETA_TO_IWM * scen.spot_move
        assert row.pnl_dollars == pytest.approx(expect)
        assert row.probability == scen.probability
    bear = r.house[0]
    assert bear.scenario == "bear" and bear.pnl_dollars < 0.0  # long small caps lose more
    weighted = sum(row.probability * row.pnl_dollars for row in r.house)
    assert r.weighted_pnl_dollars == pytest.approx(weighted)
    shocks = {row.scenario: row for row in r.stresses}
    assert shocks["yield+25bp"].yield_shift_bp == 25.0
    assert shocks["yield+50bp"].index_move == pytest.approx(
        HOUSE_BETAS.iwm_move_for_yield_shift(50.0)
    )
    assert shocks["yield+50bp"].pnl_dollars == pytest.approx(2.0 * shocks["yield+25bp"].pnl_dollars)


def test_beta_neutral_pair_has_only_the_rounding_residual_in_scenarios() -> None:
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share=PRICES,
        betas={"IWM": 1.0, "SPY": SPY_BETA_TO_IWM},
        neutral="beta",
        gross_notional_dollars=200_000.0,
    )
    r = basket_scenarios(s)
    for row in (*r.house, *r.stresses):
        assert row.pnl_dollars == pytest.approx(s.net_beta_dollars * row.benchmark_move)


def test_spy_benchmark_moves_spy_by_the_scenario_and_legs_by_their_beta() -> None:
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share=PRICES,
        betas=resolve_betas(["IWM", "SPY"], benchmark="SPY"),
        neutral="beta",
        benchmark="SPY",
        gross_notional_dollars=200_000.0,
    )
    assert s.hedge_ratio == pytest.approx(IWM_BETA_TO_SPY)
    bear = basket_scenarios(s).house[0]
    assert bear.benchmark_move == pytest.approx(HOUSE_BETAS.spy_per_iwm * -0.10)
    assert bear.legs[0].move == pytest.approx(IWM_BETA_TO_SPY * bear.benchmark_move)
    assert bear.legs[1].move == pytest.approx(bear.benchmark_move)


def test_leveraged_leg_moves_through_the_daily_reset_model() -> None:
    basket = Basket(
        (BasketLeg("XSMO", "long"), BasketLeg("SMLF", "long", 2.0), BasketLeg("TNA", "short"))
    )
    betas = resolve_betas(basket.tickers, benchmark="IWM", given={"XSMO": 0.9, "SMLF": 1.0})
    s = size_basket(
        basket,
        prices_per_share={"XSMO": 60.0, "SMLF": 70.0, "TNA": 40.0},
        betas=betas,
        neutral="beta",
        gross_notional_dollars=100_000.0,
    )
    assert abs(s.net_beta_dollars) <= 0.01 * s.gross_dollars
    xsmo, smlf, _ = s.legs
    assert abs(smlf.dollars) == pytest.approx(2.0 * abs(xsmo.dollars), rel=0.01)
    r = basket_scenarios(s, index_vol=0.25, short_rate=0.03)
    bear = r.house[0]
    tna = bear.legs[2]
    expect = (
        float(
            leveraged_ratio(
                0.9,
                leverage=3.0,
                vol=0.25 + 0.08,
                t_years=30.0 / 365.0,
                rate=0.03,
                expense_ratio=TNA.expense_ratio,
                financing_spread=TNA.financing_spread,
            )
        )
        - 1.0
    )
    assert tna.move == pytest.approx(expect)
    assert tna.move > 3.0 * -0.10  # compounding a fall over daily resets loses less than 3x...
    assert "daily-reset" in tna.model
    # ...so the short-TNA beta-neutral basket loses in the bear case against pure beta x move
    assert bear.pnl_dollars < s.net_beta_dollars * -0.10
    assert bear.pnl_dollars == pytest.approx(sum(x.pnl_dollars for x in bear.legs))


def test_document_carries_units_and_sources() -> None:
    hist = _history()
    prices = resolve_prices(["KRE", "IWM"], history=hist, given={"IWM": 210.0})
    assert prices["IWM"].source == "given"
    assert prices["KRE"].source.startswith("last close " + hist["DATE"].iloc[-1].date().isoformat())
    betas = resolve_betas(["KRE", "IWM"], benchmark="IWM", history=hist)
    s = size_pair(
        "KRE",
        "IWM",
        prices_per_share={t: p.price_per_share for t, p in prices.items()},
        betas=betas,
        long_notional_dollars=40_000.0,
    )
    doc = basket_document(s, basket_scenarios(s), prices=prices)
    assert doc["within_1pct_of_gross"] is True
    assert doc["legs"][0]["beta_source"] == "ols" and doc["legs"][0]["beta_n_obs"] == 252
    assert doc["legs"][1]["shares"] < 0
    assert {"house", "stresses", "weighted_pnl_dollars"} <= set(doc["scenarios"])
    vol = realised_index_vol(hist)
    assert vol is not None and vol[0] == pytest.approx(0.012 * math.sqrt(252.0), rel=0.15)
    with pytest.raises(InputError) as err:
        resolve_prices(["XSMO"])
    assert err.value.field == "prices[XSMO]"


SHARED = Path("/work/shared/data/daily_2016_2021.csv")


@pytest.mark.skipif(not SHARED.is_file(), reason="shared data folder absent")
def test_ols_betas_from_the_real_history_match_the_documented_table() -> None:
    # daily_2016_2021.csv names its columns iwm_adj_close, spy_adj_close, tna_adj_close...: the
    # OLS over all 1,257 returns gives the documented 1.1038 (strategies.betas.HISTORICAL_SPY_BETA)
    hist = load_price_history(SHARED)
    b = resolve_betas(["IWM", "TNA"], benchmark="SPY", history=hist, window_days=5000)
    assert b["IWM"].source == "ols" and b["IWM"].n_obs == 1257
    assert b["IWM"].beta == pytest.approx(HISTORICAL_SPY_BETA, abs=5e-4)
    assert (b["IWM"].start, b["IWM"].end) == ("2016-04-29", "2021-04-27")
    s = size_pair(
        "IWM",
        "SPY",
        prices_per_share={
            t: p.price_per_share for t, p in resolve_prices(["IWM", "SPY"], history=hist).items()
        },
        betas=b | resolve_betas(["SPY"], benchmark="SPY"),
        benchmark="SPY",
        gross_notional_dollars=250_000.0,
    )
    assert abs(s.net_beta_dollars) <= 0.01 * s.gross_dollars
