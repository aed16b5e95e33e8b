"""``hedge pair``: pairs and baskets of share legs sized in whole shares (the bar: |net beta
dollars| <= 1 % of gross dollars for beta-neutral, |net dollars| <= 1 % for dollar-neutral),
the scenario table and JSON, and bad input naming the option, the ticker and the value
(exit 2; no price from the source: exit 1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tui.cli import app
from tui.errors import EXIT_CODES

runner = CliRunner()
PAIR = ["pair", "--long", "IWM", "--short", "SPY", "--notional", "100000", "--source", "demo"]


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_beta_neutral_pair_on_the_demo_is_within_one_percent() -> None:
    doc = _json(PAIR)
    assert doc["neutral"] == "beta" and doc["benchmark"] == "IWM"
    assert doc["synthetic_prices"] == ["IWM", "SPY"]
    legs = {leg["ticker"]: leg for leg in doc["legs"]}
    assert legs["IWM"]["shares"] > 0 > legs["SPY"]["shares"]
    net_beta = sum(leg["shares"] * leg["price_per_share"] * leg["beta"] for leg in doc["legs"])
    gross = sum(abs(leg["shares"]) * leg["price_per_share"] for leg in doc["legs"])
    assert abs(net_beta) <= 0.01 * gross
    assert doc["net_beta_dollars"] == pytest.approx(net_beta)
    assert doc["within_1pct_of_gross"] is True
    assert "SYNTHETIC" in legs["IWM"]["price_source"]
    assert legs["SPY"]["beta_source"] == "table" and "1,257 daily" in legs["SPY"]["beta_window"]
    house = doc["scenarios"]["house"]
    assert [r["scenario"] for r in house] == ["bear", "base", "bull"]
    assert sum(r["probability"] for r in house) == pytest.approx(1.0)
    stresses = {r["scenario"] for r in doc["scenarios"]["stresses"]}
    assert {"yield+25bp", "yield+50bp"} <= stresses


def test_dollar_neutral_with_given_betas_and_prices() -> None:
    doc = _json(
        [
            "pair",
            "--long",
            "KRE",
            "--short",
            "IWM",
            "--long-notional",
            "40000",
            "--neutral",
            "dollar",
            "--beta",
            "KRE=1.15",
            "--price",
            "KRE=61.2",
            "--price",
            "IWM=230",
        ]
    )
    net = sum(leg["shares"] * leg["price_per_share"] for leg in doc["legs"])
    gross = sum(abs(leg["shares"]) * leg["price_per_share"] for leg in doc["legs"])
    assert abs(net) <= 0.01 * gross
    assert doc["legs"][0]["beta"] == 1.15 and doc["legs"][0]["beta_source"] == "given"
    assert doc["legs"][0]["price_source"] == "given"
    # dollar-neutral with a higher-beta long: net long beta, so it loses in the bear case
    assert doc["scenarios"]["house"][0]["pnl_dollars"] < 0.0


def test_basket_with_weights_and_tna_table(tmp_path: Path) -> None:
    args = [
        "pair",
        "--long",
        "XSMO=1",
        "--long",
        "SMLF=2",
        "--short",
        "TNA",
        "--notional",
        "150000",
        "--beta",
        "XSMO=0.9",
        "--beta",
        "SMLF=1.05",
        "--price",
        "XSMO=61",
        "--price",
        "SMLF=72",
        "--price",
        "TNA=41",
        "--index-vol",
        "0.25",
        "--rate",
        "0.035",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "long XSMO+SMLF / short TNA" in out and "beta-neutral to IWM" in out
    assert "within 1 %" in out and "yield+50bp" in out and "weighted" in out
    assert "daily leverage +3 x beta 1 of RUT to IWM" in out.replace("\n", " ")
    assert "index vol 25.0% (--index-vol)" in out and "short rate 3.50% (--rate)" in out
    doc = _json(args)
    tna = next(leg for leg in doc["legs"] if leg["ticker"] == "TNA")
    assert tna["beta"] == 3.0 and tna["beta_source"] == "leverage"
    bear = doc["scenarios"]["house"][0]
    assert "daily-reset" in bear["legs"][2]["model"]


def test_history_gives_ols_betas_with_their_window_and_last_closes(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 300
    x = rng.normal(0.0, 0.012, n)
    y = 1.4 * x + rng.normal(0.0, 0.005, n)
    dates = pd.bdate_range("2025-01-02", periods=n + 1)
    path = tmp_path / "prices.csv"
    pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "iwm_adj_close": 200.0 * np.concatenate([[1.0], np.cumprod(1.0 + x)]),
            "KRE": 55.0 * np.concatenate([[1.0], np.cumprod(1.0 + y)]),
        }
    ).to_csv(path, index=False)
    doc = _json(
        [
            "pair",
            "--long",
            "IWM",
            "--short",
            "KRE",
            "--notional",
            "80000",
            "--history",
            str(path),
            "--window",
            "120",
        ]
    )
    kre = next(leg for leg in doc["legs"] if leg["ticker"] == "KRE")
    assert kre["beta_source"] == "ols" and kre["beta_n_obs"] == 120
    assert kre["beta"] == pytest.approx(1.4, abs=0.1)
    assert dates[-1].strftime("%Y-%m-%d") in kre["beta_window"]
    assert kre["price_source"].startswith("last close " + dates[-1].strftime("%Y-%m-%d"))
    assert abs(doc["net_beta_dollars"]) <= 0.01 * doc["gross_dollars"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--price", "IWM=-5", "--price", "SPY=600"], "error: --price: IWM=-5: must be > 0"),
        (["--beta", "SPY=0"], "error: --beta: SPY=0: is zero"),
        (["--notional", "-3"], "error: --notional: -3: must be > 0"),
        (["--neutral", "gamma"], "error: --neutral: gamma: must be 'dollar' or 'beta'"),
        (["--benchmark", "QQQ"], "error: --benchmark: QQQ: must be one of"),
        (["--beta", "SPY"], "error: --beta: SPY: must be TICKER=NUMBER"),
        (["--beta", "SPY=abc"], "error: --beta: SPY=abc: 'abc' is not a number"),
        (["--long-notional", "5000"], "error: --notional:"),
        (["--format", "xml"], "error: --format: xml: must be one of table, json"),
    ],
)
def test_bad_input_names_option_ticker_and_value(extra: list[str], needle: str) -> None:
    args = [*PAIR, *extra]
    if extra[:1] == ["--notional"]:
        args = [*PAIR[:5], *extra, "--source", "demo"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_unknown_ticker_without_a_beta_or_price() -> None:
    no_beta = runner.invoke(
        app, ["pair", "--long", "XSMO", "--short", "TNA", "--notional", "1e5", "--source", "demo"]
    )
    assert no_beta.exit_code == 2
    assert "error: --beta: XSMO: no beta of XSMO to IWM" in no_beta.stderr
    no_price = runner.invoke(
        app,
        [
            "pair",
            "--long",
            "XSMO",
            "--short",
            "IWM",
            "--notional",
            "1e5",
            "--beta",
            "XSMO=1.1",
            "--source",
            "demo",
        ],
    )
    assert no_price.exit_code == 1
    assert "no price for XSMO: give --price XSMO=" in no_price.stderr
    one_side = runner.invoke(app, ["pair", "--long", "IWM", "--notional", "1e5"])
    assert one_side.exit_code == 2 and "need at least one of each" in one_side.stderr


@settings(
    max_examples=int(os.environ.get("HEDGE_FUZZ_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    tickers=st.lists(
        st.one_of(st.sampled_from(["IWM", "SPY", "TNA", "KRE=2", "=", ""]), st.text(max_size=6)),
        min_size=1,
        max_size=3,
    ),
    numbers=st.lists(
        st.one_of(
            st.sampled_from(["0", "-1", "nan", "1e309", "abc", "", "1e5"]),
            st.floats(allow_nan=True).map(repr),
        ),
        min_size=3,
        max_size=3,
    ),
)
def test_fuzzed_options_never_trace(tickers: list[str], numbers: list[str]) -> None:
    args = ["pair", "--source", "demo", "--notional", numbers[0]]
    for i, t in enumerate(tickers):
        args += ["--long" if i % 2 == 0 else "--short", t]
    args += ["--beta", f"{tickers[0]}={numbers[1]}", "--price", f"KRE={numbers[2]}"]
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in EXIT_CODES
    assert "Traceback" not in result.output
