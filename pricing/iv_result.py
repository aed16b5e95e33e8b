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
