"""A beta-neutral pair reports zero beta-weighted delta to its benchmark (its hedge side, with the
same beta as the sizing), and position Greeks never add shares of different underlyings."""

from __future__ import annotations

import pytest

from strategies.legs import Leg, Shares, iwm_option
from strategies.positions import (
    load_position_file,
    position_from_legs,
    position_legs,
    save_position_file,
)
from strategies.report import SourceInfo, build_report
from strategies.strategy import Strategy, beta_of
from strategies.templates import TEMPLATES
from tests.strategies._core_market import AS_OF, EXPIRY, SPOTS, market

SOURCE = SourceInfo("test", "flat test market", False, AS_OF)


@pytest.mark.parametrize("notional", [100_000.0, 1_000_000.0])
def test_beta_neutral_pair_has_zero_beta_weighted_delta(notional: float) -> None:
    ctx = market()
    pair = TEMPLATES["pair"](ctx, notional=notional)
    assert pair.benchmark == "SPY"
    report = build_report(pair, ctx, source=SOURCE)
    g = report["greeks"]
    assert g["benchmark"] == "SPY"
    # zero up to the rounding of the short side to whole shares (half a SPY share at most)
    assert abs(g["beta_weighted_delta"]) <= 0.5 + 1e-9
    n_long, n_short = (leg.quantity for leg in pair.flat_legs())
    expected = n_long * SPOTS["IWM"] * beta_of("IWM", "SPY") / SPOTS["SPY"] + n_short
    assert g["beta_weighted_delta"] == pytest.approx(expected, abs=1e-9)


def test_shares_of_different_underlyings_are_never_added() -> None:
    ctx = market()
    pair = TEMPLATES["pair"](ctx)
    g = build_report(pair, ctx, source=SOURCE)["greeks"]
    assert g["delta"] is None and g["gamma"] is None
    n_long, n_short = (leg.quantity for leg in pair.flat_legs())
    assert g["delta_by_driver"] == {"IWM": pytest.approx(n_long), "SPY": pytest.approx(n_short)}
    single = Strategy(
        "iwm",
        (Leg(Shares("IWM"), 100, 228.0, "s"), Leg(iwm_option("put", 220.0, EXPIRY), 1, 3.0, "p")),
    )
    g1 = build_report(single, ctx, source=SOURCE)["greeks"]
    assert g1["delta"] == pytest.approx(g1["delta_by_driver"]["IWM"])


def test_pair_benchmark_survives_a_position_file(tmp_path: object) -> None:
    from pathlib import Path

    ctx = market()
    pair = TEMPLATES["pair"](ctx).with_entry_prices(ctx, "model")
    path = Path(str(tmp_path)) / "pair.toml"
    save_position_file(
        path, position_from_legs(pair.name, pair.flat_legs(), benchmark=pair.benchmark)
    )
    loaded = load_position_file(path)
    assert loaded.benchmark == "SPY"
    again = Strategy(loaded.name, tuple(position_legs(loaded)), loaded.benchmark)
    assert abs(build_report(again, ctx, source=SOURCE)["greeks"]["beta_weighted_delta"]) <= 0.5
