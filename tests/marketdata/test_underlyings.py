"""The underlyings table (issue 10): the bundled file, bad files named by file/field/value, the
user's file merged over it, and the facts the rest of the program derives from it (contract
terms by root, listing rules, option constructors, the cash indexes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from marketdata import calendar
from marketdata.sources.base import cash_indexes, contract_terms
from marketdata.sources.csv_import import read_chain_csv
from marketdata.underlyings import (
    BUNDLED_NAME,
    UnderlyingsFileError,
    equity_defaults,
    load_underlyings,
    parse_underlyings_text,
    set_user_file,
    underlying,
    underlyings,
    user_file_path,
)
from pricing.types import Delivery, ExerciseStyle, SettlementTime

FIXTURES = Path(__file__).parents[1] / "fixtures" / "chains"


@pytest.fixture(autouse=True)
def _no_user_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEDGE_UNDERLYINGS", "off")
    set_user_file(None)
    yield
    set_user_file(None)


def test_bundled_table_has_the_indexes_and_etfs() -> None:
    table = load_underlyings()
    assert {"IWM", "SPY", "RUT", "MRUT", "SPX", "XSP", "NDX"} <= set(table)
    spx = table["spx"]
    assert spx.style is ExerciseStyle.EUROPEAN and spx.delivery is Delivery.CASH
    assert spx.settlement_of("SPX") is SettlementTime.AM
    assert spx.settlement_of("SPXW") is SettlementTime.PM
    assert table["RUT"].settlement_of("RUTW") is SettlementTime.PM
    assert table["NDX"].settlement_of("NDXP") is SettlementTime.PM
    assert table["XSP"].settlement_of("XSP") is SettlementTime.PM
    assert table["MRUT"].settlement_of("MRUT") is SettlementTime.PM
    assert table["IWM"].style is ExerciseStyle.AMERICAN and table["IWM"].dividends == "cash"
    assert table.cash_indexes == frozenset({"RUT", "MRUT", "SPX", "XSP", "NDX", "VIX"})
    assert cash_indexes() == table.cash_indexes
    assert table.family("RUT") == frozenset({"IWM", "RUT", "MRUT"})
    assert table.family("XSP") == frozenset({"SPY", "SPX", "XSP"})


def test_estimated_betas_say_their_window_and_unknown_is_said() -> None:
    table = load_underlyings()
    beta = table.beta("IWM", "SPY")
    assert beta is not None and beta.value == 1.1038
    assert "2016-04-29..2021-04-27" in beta.window and "daily_2016_2021.csv" in beta.source
    rut = table.beta("RUT", "SPY")  # through its family head, and says so
    assert rut is not None and rut.value == 1.1038 and "RUT via IWM" in rut.source
    assert table.beta("NDX", "IWM") is None  # not estimated: not invented
    assert table.beta("ZION", "SPY") is None
    assert "beta to IWM unknown; beta to SPY unknown" in table.beta_note("ZION")
    assert "0.7049 (2016-04-29..2021-04-27" in table.beta_note("SPX")


def test_any_symbol_outside_the_table_is_an_equity_option() -> None:
    facts = underlying("zion")
    assert facts == equity_defaults("ZION")
    assert (facts.style, facts.delivery, facts.multiplier, facts.dividends) == (
        ExerciseStyle.AMERICAN,
        Delivery.PHYSICAL,
        100.0,
        "cash",
    )
    assert facts.settlement_of("ZION") is SettlementTime.PM and not facts.in_table
    terms = contract_terms("KRE", None, date(2026, 12, 11))
    assert (terms.root, terms.style, terms.settlement, terms.delivery) == (
        "KRE",
        ExerciseStyle.AMERICAN,
        SettlementTime.PM,
        Delivery.PHYSICAL,
    )


def test_spx_am_monthly_vs_spxw_pm_by_root_and_by_date() -> None:
    monthly, weekly = date(2026, 12, 18), date(2026, 12, 11)
    assert contract_terms("SPX", "SPX", monthly).settlement is SettlementTime.AM
    assert contract_terms("SPX", "SPXW", monthly).settlement is SettlementTime.PM
    assert contract_terms("SPX", None, monthly).root == "SPX"
    assert contract_terms("SPX", None, weekly).root == "SPXW"
    assert contract_terms("SPXW").settlement is SettlementTime.PM  # a root named as the symbol
    assert contract_terms("NDX", None, weekly).root == "NDXP"
    assert contract_terms("RUT", None, monthly).settlement is SettlementTime.AM


def test_spx_chain_file_gets_settlement_and_style_from_the_table() -> None:
    snap = read_chain_csv(FIXTURES / "spx_roots.csv")
    frame = snap.chain.frame
    by_root = frame.groupby("root")[["settlement", "style"]].agg(lambda s: set(s))
    assert by_root.loc["SPX", "settlement"] == {"am"}
    assert by_root.loc["SPXW", "settlement"] == {"pm"}
    assert set(frame["style"]) == {"european"}
    am_days = set(frame.loc[frame["root"] == "SPX", "expiry"].dt.date)
    assert am_days == {date(2026, 12, 18)}


def test_listing_rules_take_their_contract_facts_from_the_table() -> None:
    rut = calendar.listing_rules("RUT")
    assert (rut.am_root, rut.pm_root, rut.style, rut.delivery) == (
        "RUT",
        "RUTW",
        ExerciseStyle.EUROPEAN,
        Delivery.CASH,
    )
    assert calendar.listing_rules("MRUT").am_root is None
    assert set(calendar.LISTING_RULES) == {"IWM", "SPY", "RUT", "MRUT"}


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ('[SPX]\nstyle = "bermudan"\n', "SPX.style", "'bermudan'"),
        ("[SPX]\nmultiplier = -5\n", "SPX.multiplier", "-5"),
        ('[SPX]\nmultiplier = "100"\n', "SPX.multiplier", "'100'"),
        ('[SPX]\ncolour = "red"\n', "SPX.colour", "'red'"),
        ('[SPX]\nroots = { SPX = "noon" }\n', "SPX.roots.SPX", "'noon'"),
        (
            '[ZION.beta_to_iwm]\nvalue = "high"\nwindow = "w"\nsource = "s"\n',
            "ZION.beta_to_iwm.value",
            "'high'",
        ),
        ('[ZION.beta_to_iwm]\nvalue = 1.2\nwindow = "w"\n', "ZION.beta_to_iwm.source", "'missing'"),
        ('[ZION]\ndividends = "cash"\ndividend_yield = 0.02\n', "ZION.dividend_yield", "0.02"),
        ('["not a ticker"]\nstyle = "american"\n', "[not a ticker]", "'not a ticker'"),
    ],
)
def test_bad_field_names_the_file_field_and_value(
    tmp_path: Path, text: str, field: str, value: str
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnderlyingsFileError) as err:
        load_underlyings(path)
    message = str(err.value)
    assert str(path) in message and field in message and value in message, message


def test_cross_field_errors_name_the_layer_that_broke_it(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[SPX]\nmonthly_root = "SPXQ"\n', encoding="utf-8")
    with pytest.raises(UnderlyingsFileError, match=r"mine\.toml: SPX\.monthly_root='SPXQ'"):
        load_underlyings(path)
    with pytest.raises(UnderlyingsFileError, match="not valid TOML"):
        parse_underlyings_text("[SPX\n", "x.toml")
    with pytest.raises(UnderlyingsFileError, match="no such file"):
        load_underlyings(tmp_path / "absent.toml")


def test_the_bundled_file_itself_is_checked() -> None:
    with pytest.raises(UnderlyingsFileError, match=f"{BUNDLED_NAME}: RUT.style='asian'"):
        load_underlyings(bundled_text='[RUT]\nstyle = "asian"\n')


def test_user_file_is_merged_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        "[ZION]\n"
        "[ZION.beta_to_iwm]\n"
        "value = 1.35\n"
        'window = "2023-01-03..2025-12-31 daily"\n'
        'source = "desk estimate"\n'
        "[RUT]\n"
        "dividend_yield = 0.014\n",
        encoding="utf-8",
    )
    table = load_underlyings(path)
    assert table.files == (BUNDLED_NAME, str(path))
    zion = table["ZION"]
    assert zion.style is ExerciseStyle.AMERICAN and zion.in_table  # equity defaults + the beta
    beta = table.beta("ZION", "IWM")
    assert beta is not None and beta.value == 1.35 and beta.window.startswith("2023")
    rut = table["RUT"]
    assert rut.dividend_yield == 0.014
    assert rut.settlement_of("RUT") is SettlementTime.AM and rut.moves_with == "IWM"  # kept
    assert str(path) in rut.origin and BUNDLED_NAME in rut.origin


def test_user_file_in_force_env_option_and_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[XSP]\nmultiplier = 10\n", encoding="utf-8")
    assert user_file_path() is None  # HEDGE_UNDERLYINGS=off
    assert underlying("XSP").multiplier == 100.0
    monkeypatch.setenv("HEDGE_UNDERLYINGS", str(path))
    assert user_file_path() == path and underlying("XSP").multiplier == 10.0
    other = tmp_path / "other.toml"
    other.write_text("[XSP]\nmultiplier = 50\n", encoding="utf-8")
    set_user_file(other)  # the --underlyings option wins over the environment
    assert underlyings().facts("XSP").multiplier == 50.0
    set_user_file(None)
    monkeypatch.delenv("HEDGE_UNDERLYINGS")
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_config_dir", lambda app: str(tmp_path))
    assert user_file_path() is None  # no underlyings.toml in the config folder yet
    (tmp_path / "underlyings.toml").write_text("[XSP]\nmultiplier = 20\n", encoding="utf-8")
    assert user_file_path() == tmp_path / "underlyings.toml"
    assert underlying("XSP").multiplier == 20.0
