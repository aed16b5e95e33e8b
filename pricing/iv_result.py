"""The result type of every implied-vol solver: a vol per quote, or NaN with a reason."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Status strings, one per quote. ``bad_input:<field>`` names the offending input.
STATUS_OK = "ok"
STATUS_BELOW_INTRINSIC = "below_intrinsic"
STATUS_ABOVE_CEILING = "above_ceiling"
STATUS_NO_TIME_VALUE = "no_time_value"
STATUS_EXPIRED = "expired"
STATUS_NO_CONVERGENCE = "no_convergence"
BAD_INPUT_PREFIX = "bad_input:"

# The same statuses as integer codes, as every compiled solver reports them (one set for the
# European and the American kernels; :func:`status_table` maps them to the strings above).
IV_OK = 0
IV_BELOW_INTRINSIC = 1
IV_ABOVE_CEILING = 2
IV_NO_TIME_VALUE = 3
IV_NO_CONVERGENCE = 4
IV_EXPIRED = 5
IV_BAD_KIND = 6
IV_BAD_UNDERLYING = 7
IV_BAD_STRIKE = 8
IV_BAD_T_YEARS = 9
IV_BAD_RATE = 10
IV_BAD_DIV_YIELD = 11
IV_BAD_PRICE = 12
IV_BAD_DIVIDENDS = 13
#: Screening code: the quote is still to be solved.
IV_UNSET = -1


def status_table(underlying_field: str = "spot") -> NDArray[np.str_]:
    """Status strings indexed by the ``IV_*`` codes (``bad_input:<underlying_field>`` for
    :data:`IV_BAD_UNDERLYING`)."""
    by_code = {
        IV_OK: STATUS_OK,
        IV_BELOW_INTRINSIC: STATUS_BELOW_INTRINSIC,
        IV_ABOVE_CEILING: STATUS_ABOVE_CEILING,
        IV_NO_TIME_VALUE: STATUS_NO_TIME_VALUE,
        IV_NO_CONVERGENCE: STATUS_NO_CONVERGENCE,
        IV_EXPIRED: STATUS_EXPIRED,
        IV_BAD_KIND: BAD_INPUT_PREFIX + "kind",
        IV_BAD_UNDERLYING: BAD_INPUT_PREFIX + underlying_field,
        IV_BAD_STRIKE: BAD_INPUT_PREFIX + "strike",
        IV_BAD_T_YEARS: BAD_INPUT_PREFIX + "t_years",
        IV_BAD_RATE: BAD_INPUT_PREFIX + "rate",
        IV_BAD_DIV_YIELD: BAD_INPUT_PREFIX + "div_yield",
        IV_BAD_PRICE: BAD_INPUT_PREFIX + "price",
        IV_BAD_DIVIDENDS: BAD_INPUT_PREFIX + "dividends",
    }
    table = [STATUS_NO_CONVERGENCE] * (max(by_code) + 1)
    for code, status in by_code.items():
        table[code] = status
    return np.asarray(table, dtype=np.str_)


@dataclass(frozen=True, slots=True)
class ImpliedVolResult:
    """``vol``: decimal implied vols (NaN where none exists, never 0 for a failure);
    ``status``: one reason string per quote (``"ok"`` where ``vol`` is valid)."""

    vol: NDArray[np.float64]
    status: NDArray[np.str_]

    @property
    def ok(self) -> NDArray[np.bool_]:
        """True where a vol was found."""
        return np.asarray(self.status == STATUS_OK)
