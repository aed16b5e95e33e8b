"""The one home of the betas (:mod:`strategies.betas`): one table type, the defaults, the house
table, and no import cycle left between the strategy and its payoff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pricing.errors import InputError
from strategies.betas import DEFAULT_BETAS, HOUSE_BETAS, BetaTable, beta_of, co_moves


def test_table_reads_pairs_family_and_overrides() -> None:
    assert DEFAULT_BETAS.beta("spy", "iwm") == 0.705 and DEFAULT_BETAS.beta("MRUT", "RUT") == 1.0
    table = DEFAULT_BETAS.merged({("qqq", "iwm"): 0.8})
    assert table.beta("QQQ", "IWM") == 0.8 and beta_of("QQQ", "IWM", {("QQQ", "IWM"): 0.8}) == 0.8
    assert ("QQQ", "IWM") not in DEFAULT_BETAS  # merged copies, never mutates
    with pytest.raises(InputError, match="no beta of QQQ to IWM"):
        DEFAULT_BETAS.beta("QQQ", "IWM")
    with pytest.raises(InputError):
        BetaTable({("A", "B"): float("nan")})


def test_house_table_moves_spy_with_the_russell_family() -> None:
    table = HOUSE_BETAS.table
    assert table.beta("SPY", "RUT") == HOUSE_BETAS.spy_per_iwm and table.beta("IWM", "SPY") == HOUSE_BETAS.spy_beta
    m = np.array([-0.5, 0.1])
    np.testing.assert_allclose(table.co_moves("SPY", "IWM", m), HOUSE_BETAS.spy_per_iwm * m)
    np.testing.assert_allclose(co_moves("SPY", "IWM", m, betas=table), HOUSE_BETAS.spy_per_iwm * m)
    assert float(table.co_moves("IWM", "SPY", np.array([-0.99]))[0]) == -0.99  # floored at -99 %


def test_strategy_does_not_import_its_payoff() -> None:
    code = "import sys, strategies.strategy; print('strategies.payoff' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
