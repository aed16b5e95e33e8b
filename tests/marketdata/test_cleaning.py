"""Quote cleaning: crafted quotes for every flag, and properties over random quotes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata.cleaning import ALL_FLAGS, CleaningRules, clean_chain, flag_counts
from marketdata.snapshot import OptionChain
from pricing.errors import InputError

AS_OF = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SPOT = 100.0


def _row(
    kind: str,
    strike: float,
    bid: float,
    ask: float,
    *,
    style: str = "american",
    last_trade: datetime | None = None,
) -> dict[str, object]:
    return {
        "expiry": "2026-03-20",
        "kind": kind,
        "strike": strike,
        "bid": bid,
        "ask": ask,
        "last": math.nan,
        "volume": 0,
        "open_interest": 0,
        "settlement": "pm",
        "style": style,
        "multiplier": 100.0,
        "root": "IWM",
        "last_trade": pd.Timestamp(last_trade) if last_trade else pd.NaT,
    }


def _clean(rows: list[dict[str, object]], **kw: object) -> pd.DataFrame:
    # Each row its own contract (root): these tests look at one flag at a time, not duplicates.
    chain = OptionChain.from_records([{**r, "root": f"IWM{i}"} for i, r in enumerate(rows)])
    return clean_chain(chain, as_of=AS_OF, spot=SPOT, **kw).frame  # type: ignore[arg-type]


def test_clean_quote_has_no_flags_and_is_usable() -> None:
    f = _clean([_row("call", 100.0, 2.00, 2.10, last_trade=AS_OF - timedelta(hours=1))])
    assert f.loc[0, "flags"] == ""
    assert bool(f.loc[0, "usable"])
    assert f.loc[0, "mid"] == pytest.approx(2.05)
    assert f.loc[0, "spread"] == pytest.approx(0.10)
    assert f.loc[0, "spread_pct"] == pytest.approx(100 * 0.10 / 2.05)


def test_crossed_quote_is_flagged_and_unusable() -> None:
    f = _clean([_row("call", 100.0, 2.20, 2.00)])
    assert "crossed" in f.loc[0, "flags"].split(",")
    assert not bool(f.loc[0, "usable"])


def test_zero_bid_is_flagged_with_mid_half_the_ask() -> None:
    f = _clean([_row("put", 80.0, 0.0, 0.05)])
    flags = f.loc[0, "flags"].split(",")
    assert "zero_bid" in flags
    assert f.loc[0, "mid"] == pytest.approx(0.025)
    assert not bool(f.loc[0, "usable"])


def test_missing_quote_is_no_quote_with_nan_mid() -> None:
    f = _clean([_row("put", 80.0, math.nan, math.nan), _row("put", 75.0, 0.0, 0.0)])
    assert list(f["flags"]) == ["no_quote", "no_quote"]
    assert f["mid"].isna().all()
    assert not f["usable"].any()


@pytest.mark.parametrize(
    ("bid", "ask", "wide"),
    [
        (1.00, 2.00, True),  # mid 1.50, spread 67 % > 50 % (tier below 2.00)
        (1.40, 1.60, False),  # 13 %
        (0.20, 0.35, False),  # mid 0.275, 55 % <= 100 % (tier below 0.50)
        (5.00, 6.50, True),  # mid 5.75, 26 % > 25 %
        (20.0, 23.0, False),  # mid 21.5, 14 % <= 15 %
        (20.0, 24.0, True),  # 18.2 % > 15 %
    ],
)
def test_too_wide_depends_on_price_level(bid: float, ask: float, wide: bool) -> None:
    f = _clean([_row("call", 100.0, bid, ask, style="european")])
    assert ("too_wide" in f.loc[0, "flags"].split(",")) is wide
    assert bool(f.loc[0, "usable"]) is (not wide)


def test_stale_last_trade_flagged_only_when_known_and_old() -> None:
    rows = [
        _row("call", 100.0, 2.0, 2.1, last_trade=AS_OF - timedelta(days=10)),
        _row("call", 101.0, 1.6, 1.7, last_trade=AS_OF - timedelta(days=1)),
        _row("call", 102.0, 1.2, 1.3, last_trade=None),
    ]
    f = _clean(rows)
    assert list(f["flags"]) == ["stale", "", ""]
    assert list(f["usable"]) == [False, True, True]
    f2 = _clean(rows, rules=CleaningRules(stale_after_seconds=12 * 3600.0))
    assert list(f2["flags"]) == ["stale", "stale", ""]


def test_stale_can_be_made_non_blocking() -> None:
    rules = CleaningRules(blocking_flags=frozenset(ALL_FLAGS) - {"stale"})
    f = _clean([_row("call", 100.0, 2.0, 2.1, last_trade=AS_OF - timedelta(days=10))], rules=rules)
    assert f.loc[0, "flags"] == "stale"
    assert bool(f.loc[0, "usable"])


def test_below_intrinsic_american_put() -> None:
    # K=110, S=100: intrinsic 10; a mid of 9.25 is below it.
    f = _clean([_row("put", 110.0, 9.0, 9.5), _row("put", 110.0, 10.0, 10.2)])
    assert f.loc[0, "flags"] == "below_intrinsic"
    assert f.loc[1, "flags"] == ""


def test_european_uses_supplied_lower_bound_only() -> None:
    rows = [_row("call", 90.0, 9.0, 9.2, style="european")] * 2
    f = _clean(rows)  # no bound for European: nothing to compare with
    assert list(f["flags"]) == ["", ""]
    f2 = _clean(rows, lower_bound=[9.5, 8.0])
    assert list(f2["flags"]) == ["below_intrinsic", ""]


def test_flags_join_in_fixed_order_and_rows_are_kept() -> None:
    rows = [
        _row("call", 100.0, 0.0, 3.0, last_trade=AS_OF - timedelta(days=30)),
        _row("call", 100.0, 2.0, 2.1),
    ]
    f = _clean(rows)
    assert f.loc[0, "flags"] == "zero_bid,stale,too_wide"
    assert len(f) == 2 and list(f["strike"]) == [100.0, 100.0]
    counts = flag_counts(OptionChain(f))
    assert counts["zero_bid"] == 1 and counts["stale"] == 1 and counts["crossed"] == 0
    assert set(counts) == set(ALL_FLAGS)


def test_rules_validate() -> None:
    with pytest.raises(InputError, match="stale_after_seconds"):
        CleaningRules(stale_after_seconds=0)
    with pytest.raises(InputError, match="blocking_flags"):
        CleaningRules(blocking_flags=frozenset({"nonsense"}))
    with pytest.raises(InputError, match="max_spread_pct"):
        CleaningRules(max_spread_pct=((2.0, 10.0), (1.0, 20.0)))


def test_naive_as_of_and_bad_spot_rejected() -> None:
    chain = OptionChain.from_records([_row("call", 100.0, 2.0, 2.1)])
    with pytest.raises(InputError, match="as_of"):
        clean_chain(chain, as_of=datetime(2026, 3, 2), spot=SPOT)
    with pytest.raises(InputError, match="spot"):
        clean_chain(chain, as_of=AS_OF, spot=-1.0)


def test_flag_counts_needs_a_cleaned_chain() -> None:
    with pytest.raises(InputError, match="flags"):
        flag_counts(OptionChain.from_records([_row("call", 100.0, 2.0, 2.1)]))


quote = st.one_of(st.just(math.nan), st.floats(0.0, 50.0, allow_nan=False))


@given(
    st.lists(
        st.tuples(quote, quote, st.sampled_from(["call", "put"]), st.floats(50.0, 150.0)),
        min_size=1,
        max_size=20,
    )
)
def test_properties_over_random_quotes(quotes: list[tuple[float, float, str, float]]) -> None:
    rows = [_row(kind, strike, bid, ask) for bid, ask, kind, strike in quotes]
    f = _clean(rows)
    assert len(f) == len(rows)  # never dropped
    for (bid, ask, _, _), (_, r) in zip(quotes, f.iterrows(), strict=True):
        flags = [x for x in r["flags"].split(",") if x]
        assert set(flags) <= set(ALL_FLAGS)
        if r["usable"]:
            assert flags == []
            assert bid <= r["mid"] <= ask
            assert r["spread"] >= 0
        if not (np.isfinite(ask) and ask > 0):
            assert "no_quote" in flags and math.isnan(r["mid"])
        if np.isfinite(bid) and np.isfinite(ask) and bid > ask > 0:
            assert "crossed" in flags
