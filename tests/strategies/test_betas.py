"""One of each (issue 8): the betas' home (:mod:`strategies.betas`, one table type), the root
finder (:mod:`strategies.roots`), the date-to-close rule (:func:`marketdata.calendar.at_close`),
and no import cycle left between the strategy and its payoff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pricing.errors import InputError
from strategies.betas import DEFAULT_BETAS, HOUSE_BETAS, BetaTable, beta_of, co_moves


def test_table_reads_pairs_family_and_overrides() -> None:
    # one set of betas: the underlyings table (SPY on IWM 0.7049, 2016-04-29..2021-04-27 daily OLS)
    assert DEFAULT_BETAS.beta("spy", "iwm") == 0.7049 and DEFAULT_BETAS.beta("MRUT", "RUT") == 1.0
    assert DEFAULT_BETAS.beta("spy", "iwm") == HOUSE_BETAS.spy_per_iwm
    table = DEFAULT_BETAS.merged({("qqq", "iwm"): 0.8})
    assert table.beta("QQQ", "IWM") == 0.8 and beta_of("QQQ", "IWM", {("QQQ", "IWM"): 0.8}) == 0.8
    assert ("QQQ", "IWM") not in DEFAULT_BETAS  # merged copies, never mutates
    with pytest.raises(InputError, match="no beta of QQQ to IWM"):
        DEFAULT_BETAS.beta("QQQ", "IWM")
    with pytest.raises(InputError):
        BetaTable({("A", "B"): float("nan")})


def test_house_table_moves_spy_with_the_russell_family() -> None:
    table = HOUSE_BETAS.table
    assert (
        table.beta("SPY", "RUT") == HOUSE_BETAS.spy_per_iwm
        and table.beta("IWM", "SPY") == HOUSE_BETAS.spy_beta
    )
    m = np.array([-0.5, 0.1])
    np.testing.assert_allclose(table.co_moves("SPY", "IWM", m), HOUSE_BETAS.spy_per_iwm * m)
    np.testing.assert_allclose(co_moves("SPY", "IWM", m, betas=table), HOUSE_BETAS.spy_per_iwm * m)
    assert float(table.co_moves("IWM", "SPY", np.array([-0.99]))[0]) == -0.99  # floored at -99 %


def test_strategy_does_not_import_its_payoff() -> None:
    code = "import sys, strategies.strategy; print('strategies.payoff' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_one_root_finder_finds_crossings_touches_and_refines() -> None:
    from strategies.roots import bracketed_root, grid_roots

    def fn(x: float) -> float:
        return (x - 1.3) * (x - 2.0)

    grid = np.linspace(0.0, 3.0, 16)  # 2.0 is a grid point, 1.3 is not
    roots = grid_roots(fn, grid, np.array([fn(x) for x in grid]), xtol=1e-12)
    assert len(roots) == 2 and roots[0] == pytest.approx(1.3, abs=1e-10) and roots[1] == 2.0
    assert bracketed_root(lambda x: x * x - 2.0, 0.0, 2.0, xtol=1e-12) == pytest.approx(
        2.0**0.5, abs=1e-11
    )


def test_one_date_to_close_rule() -> None:
    from datetime import date, datetime

    from marketdata.calendar import at_close
    from pricing.types import NEW_YORK

    assert at_close(date(2026, 12, 18)) == datetime(2026, 12, 18, 16, 0, tzinfo=NEW_YORK)
    with pytest.raises(InputError, match="horizon"):
        at_close(datetime(2026, 12, 18, 16, 0), "horizon")
