"""The pydantic schema of an underlyings file (:mod:`marketdata.underlyings`), imported only when
a file is read (pydantic costs import time the command line does not always need)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Symbol = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z0-9][A-Z0-9.\-]{0,14}$"),
]


class BetaModel(BaseModel):
    """``[SYMBOL.beta_to_iwm]``: ``value`` (beta of daily returns), ``window``, ``source``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    value: Annotated[float, Field(allow_inf_nan=False, gt=-10.0, lt=10.0)]
    window: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class EntryModel(BaseModel):
    """One symbol's table; every field optional (a user file may change one fact). Units:
    ``multiplier`` shares (index dollars) per contract, ``dividend_yield`` decimal per year."""

    model_config = ConfigDict(extra="forbid", strict=True)

    style: Literal["american", "european"] | None = None
    delivery: Literal["physical", "cash"] | None = None
    multiplier: Annotated[float, Field(allow_inf_nan=False, gt=0.0, le=1e6)] | None = None
    roots: dict[Symbol, Literal["am", "pm"]] | None = Field(default=None, min_length=1)
    monthly_root: Symbol | None = None
    dividends: Literal["cash", "yield", "none"] | None = None
    dividend_yield: Annotated[float, Field(allow_inf_nan=False, ge=0.0, le=0.5)] | None = None
    moves_with: Symbol | None = None
    beta_to_iwm: BetaModel | None = None
    beta_to_spy: BetaModel | None = None
