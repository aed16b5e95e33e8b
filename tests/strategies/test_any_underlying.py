"""Strategies on any underlying (issue 10): option constructors and share legs on any ticker,
templates on SPX, a call overwrite on a regional bank from a CSV chain with its early-assignment
alert before the ex-date, levels and scenarios that refer to the strategy's own underlying, and
one set of betas."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from marketdata.underlyings import set_user_file
from pricing.types import Delivery, ExerciseStyle, SettlementTime
from strategies.alerts import assignment_alerts
from strategies.betas import (
    DEFAULT_BETAS,
    HISTORICAL_BETAS,
    HOUSE_BETAS,
    IWM_BETA_TO_SPY,
    SPY_BETA_TO_IWM,
    beta_of,
)
from strategies.legs import Leg, Shares, option_for, rut_option
from strategies.loading import LoadedStrategy, TemplateRequest, load_position, load_template
from strategies.positions import parse_position_text, position_legs
from strategies.report import build_report, default_levels
from strategies.scenarios import DEFAULT_LEVELS, index_beta
from strategies.templates import AtStrike

FIXTURES = Path(__file__).parents[1] / "fixtures" / "chains"
ZION = FIXTURES / "zion_overwrite.csv"
SPX = FIXTURES / "spx_roots.csv"
NOW = datetime(
    2026, 11, 20, 12, 0, tzinfo=UTC
)  # after the files' quotes: they are read as of their time
DIVIDEND = 0.45  # per share, ex 2026-12-10 (the fixture's "# dividends:" line)


@pytest.fixture(autouse=True)
def _bundled_table_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEDGE_UNDERLYINGS", "off")
    set_user_file(None)
    yield
    set_user_file(None)


def _overwrite(strike: float, source: Path = ZION) -> LoadedStrategy:
    request = TemplateRequest(
        "call-overwrite",
        strikes=(AtStrike(strike),),
        expiry=date(2026, 12, 18),
        underlying="ZION",
    )
    return load_template(request, source=str(source), now=NOW)


def test_option_for_any_symbol_takes_the_table_facts() -> None:
    spx_am = option_for("SPX", "put", 5800, date(2026, 12, 18))
    spxw = option_for("spx", "put", 5800, date(2026, 12, 11))
    assert (spx_am.style, spx_am.delivery, spx_am.settlement) == (
        ExerciseStyle.EUROPEAN,
        Delivery.CASH,
        SettlementTime.AM,
    )
    assert spxw.settlement is SettlementTime.PM
    assert option_for("XSP", "call", 600, date(2026, 12, 18)).settlement is SettlementTime.PM
    zion = option_for("ZION", "call", 45, date(2026, 12, 18))
    assert (zion.style, zion.delivery, zion.multiplier, zion.settlement) == (
        ExerciseStyle.AMERICAN,
        Delivery.PHYSICAL,
        100.0,
        SettlementTime.PM,
    )
    assert rut_option("put", 2700, date(2026, 12, 18)).settlement is SettlementTime.AM
    assert Leg(Shares("brk.b"), -20).symbol == "BRK.B"


def test_one_set_of_spy_betas() -> None:
    assert HOUSE_BETAS.spy_beta == HISTORICAL_BETAS.spy_beta == IWM_BETA_TO_SPY == 1.1038
    assert HOUSE_BETAS.spy_per_iwm == SPY_BETA_TO_IWM == DEFAULT_BETAS.beta("SPY", "IWM")
    assert beta_of("RUT", "SPY") == IWM_BETA_TO_SPY and beta_of("SPX", "MRUT") == SPY_BETA_TO_IWM
    assert beta_of("XSP", "SPX") == 1.0
    assert index_beta("SPX") == HOUSE_BETAS.spy_per_iwm and index_beta("ZION") is None


def test_call_overwrite_alerts_before_the_ex_date_when_time_value_is_below_the_dividend() -> None:
    loaded = _overwrite(45.0)
    shares, call = loaded.strategy.flat_legs()
    assert shares.instrument == Shares("ZION") and shares.quantity == 100
    assert call.contract is not None and call.quantity == -1
    assert call.contract.style is ExerciseStyle.AMERICAN
    alerts = assignment_alerts(loaded.strategy, loaded.ctx)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "dividend" and alert.numbers["ex_date"] == "2026-12-10"
    assert alert.numbers["dividend"] == pytest.approx(DIVIDEND)
    # the quoted mid of the 45 call is (7.04 + 7.49) / 2 = 7.265: 0.265 of time value < 0.45
    assert alert.numbers["extrinsic"] == pytest.approx(0.265, abs=1e-9)
    assert alert.numbers["price_basis"] == "mid"


def test_no_alert_when_time_value_exceeds_the_dividend() -> None:
    loaded = _overwrite(47.5)  # mid (4.89 + 5.20) / 2 = 5.045: 0.545 of time value > 0.45
    assert loaded.strategy.flat_legs()[1].strike == 47.5
    assert assignment_alerts(loaded.strategy, loaded.ctx) == ()


def test_no_alert_once_no_dividend_goes_ex_before_expiry(tmp_path: Path) -> None:
    text = ZION.read_text(encoding="utf-8").replace(
        "# dividends: 2026-12-10:0.45;2027-03-11:0.45", "# dividends: 2027-03-11:0.45"
    )
    assert "2026-12-10" not in text
    path = tmp_path / "zion_after.csv"
    path.write_text(text, encoding="utf-8")
    loaded = _overwrite(45.0, path)
    assert assignment_alerts(loaded.strategy, loaded.ctx) == ()


def test_report_on_a_single_name_says_its_beta_is_unknown_and_labels_its_own_levels() -> None:
    from strategies.loading import source_info

    loaded = _overwrite(45.0)
    report = build_report(loaded.strategy, loaded.ctx, source=source_info(loaded))
    assert [lv["label"] for lv in report["levels"]] == ["stop ZION -6%", "target ZION +5%"]
    assert report["levels"][0]["spot"] == pytest.approx(52.0 * 0.94)
    assert any("no beta of ZION to IWM is known" in w for w in report["warnings"])
    assert [a["rule"] for a in report["alerts"]] == ["dividend"]


def test_a_table_beta_moves_the_single_name_in_scenarios(tmp_path: Path) -> None:
    from strategies.loading import source_info

    path = tmp_path / "betas.toml"
    path.write_text(
        '[ZION.beta_to_iwm]\nvalue = 1.5\nwindow = "test window"\nsource = "test"\n',
        encoding="utf-8",
    )
    set_user_file(path)
    loaded = _overwrite(45.0)
    report = build_report(loaded.strategy, loaded.ctx, source=source_info(loaded))
    assert not any("no beta of ZION" in w for w in report["warnings"])
    stop = report["levels"][0]
    assert stop["label"] == "stop ZION -6%" and stop["index_move"] == pytest.approx(-0.04)
    bear = next(s for s in report["scenarios"] if s["name"] == "bear")
    assert bear["spot"] == pytest.approx(52.0 * (1 - 1.5 * 0.10))


def test_default_levels_follow_the_reference() -> None:
    assert default_levels("RUT") == DEFAULT_LEVELS
    assert [lv.label for lv in default_levels("SPY")] == ["stop SPY -6%", "target SPY +5%"]


def test_spx_template_from_a_chain_file_uses_the_listed_roots() -> None:
    for expiry, settlement in ((date(2026, 12, 18), "am"), (date(2026, 12, 11), "pm")):
        request = TemplateRequest("put-spread", expiry=expiry, underlying="SPX")
        loaded = load_template(request, source=str(SPX), now=NOW)
        for leg in loaded.strategy.flat_legs():
            assert leg.contract is not None and leg.contract.underlying == "SPX"
            assert leg.contract.settlement.value == settlement
            assert leg.contract.style is ExerciseStyle.EUROPEAN


def test_share_templates_refuse_a_cash_index_by_name() -> None:
    from strategies.loading import LoadError

    request = TemplateRequest("call-overwrite", underlying="SPX")
    with pytest.raises(LoadError, match=r"SPX.*cash-settled index.*SPY"):
        load_template(request, source=str(SPX), now=NOW)


POSITION = """\
schema_version = 1
name = "ZION overwrite"

[[legs]]
id = "shares"
instrument = "shares"
symbol = "ZION"
quantity = 100
entry_price = 51.5

[[legs]]
id = "short-call"
instrument = "option"
underlying = "ZION"
kind = "call"
strike = 45.0
expiry = 2026-12-18
quantity = -1
entry_price = 7.2
"""


def test_position_file_with_share_legs_on_any_ticker(tmp_path: Path) -> None:
    position = parse_position_text(
        POSITION.replace('"ZION"\nquantity = 100', '"BRK.B"\nquantity = 100')
    )
    legs = position_legs(position)
    assert legs[0].instrument == Shares("BRK.B")
    path = tmp_path / "zion.toml"
    path.write_text(POSITION, encoding="utf-8")
    loaded = load_position(path, source=str(ZION), now=NOW)
    shares, call = loaded.strategy.flat_legs()
    assert shares.symbol == "ZION" and loaded.ctx.spot("ZION") == 52.0
    assert call.contract is not None and call.contract.style is ExerciseStyle.AMERICAN
    assert [a.rule for a in assignment_alerts(loaded.strategy, loaded.ctx)] == ["dividend"]


SPX_LEG = """\
schema_version = 1
name = "SPX put"

[[legs]]
id = "put"
instrument = "option"
underlying = "SPX"
kind = "put"
strike = 5800.0
expiry = {expiry}
quantity = 1
entry_price = 40.0
{extra}
"""


def test_spx_position_legs_follow_the_table_conventions() -> None:
    from strategies.positions import PositionFileError

    ok = position_legs(parse_position_text(SPX_LEG.format(expiry="2026-12-18", extra="")))
    assert ok[0].contract is not None and ok[0].contract.settlement is SettlementTime.AM
    weekly = position_legs(parse_position_text(SPX_LEG.format(expiry="2026-12-11", extra="")))
    assert weekly[0].contract is not None and weekly[0].contract.settlement is SettlementTime.PM
    with pytest.raises(
        PositionFileError, match=r"legs\[0\]\.settlement.*only the standard monthly SPX"
    ):
        parse_position_text(SPX_LEG.format(expiry="2026-12-11", extra='settlement = "am"'))
    with pytest.raises(PositionFileError, match=r"legs\[0\]\.style.*SPX options are european"):
        parse_position_text(SPX_LEG.format(expiry="2026-12-18", extra='style = "american"'))
