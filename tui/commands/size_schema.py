"""The JSON document of ``hedge size --format json`` as pydantic models (schema version 1).

The prose description lives in :mod:`strategies.sizing.report`; these models are the
machine-checkable form: ``SizeDocument.model_validate_json(text)`` validates an output and
``SizeDocument.model_json_schema()`` is the JSON Schema (``hedge size --schema`` prints it).
Unknown fields are rejected, so a change to the output must change this schema (and
``SCHEMA_VERSION`` when it is not backward compatible). Dollars unless said; shares of the loss
and drawdowns decimal.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InstrumentModel(_Strict):
    """An option (underlying, kind, strike, expiry...), shares (symbol) or a leveraged ETF."""

    type: Literal["option", "shares", "letf"]
    symbol: str | None = None
    underlying: str | None = None
    kind: Literal["call", "put"] | None = None
    strike: float | None = None
    expiry: str | None = None
    style: Literal["american", "european"] | None = None
    settlement: Literal["am", "pm"] | None = None
    multiplier: float | None = None
    index: str | None = None
    leverage: float | None = None
    expense_ratio: float | None = None


class LegModel(_Strict):
    """A leg: signed quantity (contracts or shares) and fill price per share (index point)."""

    label: str
    instrument: InstrumentModel
    quantity: int
    fill_price: float


class CandidateModel(_Strict):
    """A structure sized in integer units; lists are one value per band point."""

    structure: str
    name: str
    units: int = Field(ge=0)
    expiry: str | None
    legs: list[LegModel]
    premium: float
    cost: float
    carry_cost: float
    carry_per_day: float
    notional: float
    protection: list[float]
    covered: list[float | None]
    residual_loss: list[float]
    min_covered: float
    meets_target: bool
    within_budget: bool
    scenario_pnl: dict[str, float]
    hedged_scenario_pnl: dict[str, float]
    weighted_pnl: float
    hedged_weighted_pnl: float
    rounding: str


class HoldingModel(_Strict):
    """One holding with its beta and where the beta came from."""

    ticker: str
    value: float = Field(gt=0.0)
    beta: float
    beta_source: str
    shares: float | None


class BookModel(_Strict):
    """The book: value, beta to the benchmark, beta to the Russell 2000 family."""

    value: float = Field(gt=0.0)
    beta: float
    benchmark: Literal["IWM", "RUT", "MRUT", "SPY"]
    index_beta: float
    beta_method: str
    holdings: list[HoldingModel]


class RequestModel(_Strict):
    """The search parameters (decimals, days, dollars)."""

    band: list[float] = Field(min_length=2, max_length=2)
    band_step: float
    cover: float | None
    horizon_days: float
    budget: float | None
    structures: list[str]
    expiry_window: list[int] = Field(min_length=2, max_length=2)
    max_hedge_ratio: float
    loss_basis: Literal["full", "excess"]
    vol_nodes: int | None


class BandPointModel(_Strict):
    """A drawdown of the band and the book's loss there."""

    drawdown: float
    book_loss: float


class ScenarioModel(_Strict):
    """A scenario (house view or yield shock) and the book's P&L in it."""

    name: str
    probability: float = Field(ge=0.0, le=1.0)
    book_pnl: float


class FrontierModel(_Strict):
    """The least cost reaching a protection level, and the candidate."""

    protection: float
    cost: float | None
    candidate: CandidateModel | None


class DistributionModel(_Strict):
    """Hedged book P&L across paths: mean, standard deviation, percentiles (dollars) and the
    probability of losing more than ``loss_threshold``."""

    label: str
    mean: float
    std: float
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    prob_loss_beyond: float = Field(ge=0.0, le=1.0)
    loss_threshold: float


class PathComparisonModel(_Strict):
    """The TZA hedge against a put spread of the same cost on the same index paths."""

    paths: str
    n_paths: int = Field(ge=1)
    trading_days: int = Field(ge=1)
    tza_dollars: float
    tza_expected_cost: float
    spread_contracts: float
    spread_premium: float
    book: DistributionModel
    with_tza: DistributionModel
    with_spread: DistributionModel


class ReferenceSizeModel(_Strict):
    """A size by a simple rule (beta-weighted notional, delta share)."""

    rule: str
    instrument: str
    exact: float
    contracts: int
    rounding: str


class SizeDocument(_Strict):
    """The whole ``hedge size --format json`` output."""

    schema_version: Literal[1]
    synthetic: bool
    source: str
    as_of: str
    horizon: str
    spot: float = Field(gt=0.0)
    book: BookModel
    request: RequestModel
    band: list[BandPointModel]
    scenarios: list[ScenarioModel]
    candidates: list[CandidateModel]
    best_by_structure: dict[str, CandidateModel | None]
    mix: CandidateModel | None
    frontier: list[FrontierModel]
    candidates_priced: int = Field(ge=0)
    seconds: float = Field(ge=0.0)
    notes: list[str]
    reference_sizes: list[ReferenceSizeModel]
    path_comparison: PathComparisonModel | None
