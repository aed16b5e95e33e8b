"""The JSON document of ``hedge chain --format json`` as pydantic models (schema version 1).

The prose description lives in :mod:`marketdata.chain_view`; these models are the
machine-checkable form: ``ChainDocument.model_validate_json(text)`` validates an output, and
``ChainDocument.model_json_schema()`` is the JSON Schema (``hedge chain --schema`` prints it).
Unknown fields are rejected, so a change to the output must change this schema (and
``SCHEMA_VERSION`` when it is not backward compatible).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SVIModel(_Strict):
    """Raw SVI parameters of the expiry's total variance ``w(k)``, ``k = ln(K/F)``."""

    a: float
    b: float = Field(ge=0.0)
    rho: float = Field(gt=-1.0, lt=1.0)
    m: float
    sigma: float = Field(gt=0.0)


class FitModel(_Strict):
    """Fit quality (vol points: 1.0 = 1 %) and arbitrage flags of one expiry's smile, judged
    against its own quotes: ``status`` "ok" (priced from), "thin", "poor_fit",
    "too_few_quotes" or "failed" (bridged from good neighbours); ``inside_spread_share`` the
    share (0..1) of the ``n_usable`` usable quotes whose fitted vol lies inside their bid-ask IV
    range (null when none; both optional, so documents written before they existed validate)."""

    status: Literal["ok", "thin", "poor_fit", "too_few_quotes", "failed"]
    svi: SVIModel
    n_quotes: int = Field(ge=0)
    rmse_vol_points: float | None
    max_error_vol_points: float | None
    inside_spread_share: float | None = Field(default=None, ge=0.0, le=1.0)
    n_usable: int = Field(default=0, ge=0)
    butterfly_arbitrage: bool
    butterfly_min_g: float | None
    calendar_arbitrage: bool
    calendar_min_diff: float | None


class QuoteModel(_Strict):
    """One quote: prices per share (index points), ``iv`` decimal, ``delta`` per 1.00 of spot."""

    strike: float = Field(gt=0.0)
    kind: Literal["call", "put"]
    bid: float | None
    ask: float | None
    mid: float | None
    flags: list[str]
    usable: bool
    iv: float | None
    iv_status: str
    delta: float | None
    in_fit: bool


class ExpiryModel(_Strict):
    """One expiry (and settlement): parity forward, yields, rate, fit and quotes."""

    expiry: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    settlement: Literal["am", "pm"]
    t_years: float
    forward: float | None
    dividend_yield: float | None
    extra_yield: float | None
    rate: float | None
    forward_method: str | None
    n_pairs: int = Field(ge=0)
    parity_residual: float | None
    fit: FitModel | None
    quotes: list[QuoteModel]


class ChainDocument(_Strict):
    """The whole ``hedge chain --format json`` output."""

    schema_version: Literal[1]
    symbol: str
    source: str
    source_description: str
    synthetic: bool
    as_of: str
    spot: float = Field(gt=0.0)
    expiries: list[ExpiryModel]
