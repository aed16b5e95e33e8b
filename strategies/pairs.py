"""Baskets and pairs of share legs, sized dollar-neutral or beta-neutral in whole shares, with
their P&L in the house view and the stress scenarios.

A :class:`Basket` is long and short legs of shares on any tickers, each with a relative
``weight`` within its side (quality small caps against TNA, strong against weak regional banks,
long IWM against short SPY). Sizing (:func:`size_basket`, :func:`size_pair`) takes the market as
keyword inputs: prices per share (dollars), betas to one benchmark (:class:`LegBeta`: the value,
where it came from and, when estimated, its window) and one notional: the gross (long + short
dollars), the long side's or the short side's. It returns integer share counts:

- **dollar-neutral**: long dollars = short dollars;
- **beta-neutral**: long beta dollars = short beta dollars, where a leg's beta dollars are
  ``shares x price x beta`` (each side's dollars split by weight, so the short side's dollars
  are the long side's times ``B_long / B_short``, the weight-averaged betas of the sides).

Rounding: each leg's exact share count (its target dollars / its price) is rounded down or up;
of the ``2^n`` combinations (n legs, at most :data:`MAX_LEGS`), the one with the smallest
absolute residual (net dollars for dollar-neutral, net beta dollars for beta-neutral) is kept,
ties going to the one whose gross is nearest the target. No leg is rounded to zero shares: an
exact count below 0.5 is an error (the notional is too small for that leg). With two legs the
residual is at most half the larger of ``price x |beta|`` of a share (for dollar-neutral, of
``price``): a gross of at least 50 such shares keeps it within 1 % of gross.

Betas (:func:`resolve_betas`): given by the user, else estimated by OLS of daily simple returns
on the benchmark from a price history (:func:`strategies.sizing.book.estimate_beta`, the window
and dates carried with the beta), else the table :data:`strategies.betas.DEFAULT_BETAS` (1 for
the same symbol and the Russell family), else, for the leveraged ETFs TNA/TZA, the leverage
times the beta of their index; a ticker with none of these is an error naming it.

Scenario P&L (:func:`basket_scenarios`): the scenarios of :mod:`strategies.scenarios` are moves
of the Russell 2000 family; the benchmark moves as the scenario moves it
(:meth:`~strategies.scenarios.Scenario.symbol_move`: SPY by ``spy_per_iwm`` times the index) and
each share leg by ``beta x benchmark move`` (floored at -99 %). A leveraged-ETF leg (TNA, TZA)
moves through the daily-reset model of :func:`strategies.leveraged.leveraged_ratio` on the index
move over the scenario's horizon (decay at the index vol plus the scenario's vol shift, carry at
the short rate, the fund's fees). A leg's P&L is its signed dollars times its move; the
basket's is the sum, per scenario and probability-weighted over the house view; the stress
rows (a one-day risk-off, the +25 and +50 bp yield shocks, a 10 % correction) are shown beside
it, unweighted. Note that regression betas are not reciprocal: with SPY as the benchmark an IWM
leg moves ``beta(IWM->SPY) x spy_per_iwm`` (0.78) times the index move, not the index move.

Units: prices per share and every ``*_dollars`` in dollars; betas per unit benchmark return;
moves decimal (-0.10 = a 10 % fall); vols and rates decimal per year.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from marketdata.underlyings import EstimatedBeta, underlyings
from pricing.errors import InputError
from pricing.validation import finite_number
from strategies.betas import (
    DEFAULT_BETAS,
    HOUSE_BETAS,
    RUSSELL_FAMILY,
    BetaTable,
    MarketBetas,
    same_family,
)
from strategies.legs import TNA, TZA, LeveragedETF
from strategies.leveraged import leveraged_ratio
from strategies.scenarios import HOUSE_VIEW, Scenario, ScenarioSet, stress_scenarios
from strategies.sizing.book import BENCHMARKS, MIN_OBSERVATIONS, estimate_beta

Side = Literal["long", "short"]
Neutral = Literal["dollar", "beta"]
BetaSource = Literal["given", "ols", "table", "leverage"]

SIDES: tuple[Side, ...] = ("long", "short")
NEUTRALS: tuple[Neutral, ...] = ("dollar", "beta")
#: Most legs in a basket: the rounding tries all 2^n floor/ceil combinations.
MAX_LEGS = 16
#: Largest notional accepted (dollars).
MAX_NOTIONAL_DOLLARS = 1e12
#: Largest |beta| accepted (given or estimated).
MAX_ABS_BETA = 10.0
#: The bar a sized basket is held to: |residual| <= 1 % of gross dollars (a warning otherwise).
RESIDUAL_BAR_SHARE = 0.01
#: Default window of an OLS beta (daily returns), as :mod:`strategies.sizing.book`.
DEFAULT_WINDOW_DAYS = 252


def _underlyings_beta(ticker: str, benchmark: str) -> EstimatedBeta | None:
    """The underlyings table's estimate of ``ticker``'s beta to ``benchmark``'s family head
    (IWM or SPY), with its window; ``None`` when the table has none."""
    table = underlyings()
    try:
        head = table.facts(benchmark).family
    except InputError:
        return None
    return table.beta(ticker, head)


#: The leveraged ETFs a leg moves through the daily-reset model (by ticker).
LEVERAGED_ETFS: Mapping[str, LeveragedETF] = {"TNA": TNA, "TZA": TZA}
#: Index vol (decimal per year) assumed for leveraged legs when neither given nor measured: the
#: order of the Russell 2000's long-run realised vol (about 22 % on daily_2016_2021.csv).
DEFAULT_INDEX_VOL = 0.22
#: Short rate (decimal per year) assumed for leveraged legs' carry when not given.
DEFAULT_SHORT_RATE = 0.04
#: Price-history columns read for a ticker, in order of preference (upper-cased).
HISTORY_COLUMN_SUFFIXES = ("_ADJ_CLOSE", "", "_CLOSE")


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _benchmark(value: object) -> str:
    """``value`` as one of the benchmarks a book is quoted against
    (:data:`strategies.sizing.book.BENCHMARKS`, the ones the scenarios move), upper case;
    :class:`InputError` otherwise."""
    bench = _ticker("benchmark", value)
    if bench not in BENCHMARKS:
        raise InputError("benchmark", value, f"must be one of {', '.join(BENCHMARKS)}")
    return bench


def _ticker(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, value, "must be a non-empty ticker")
    text = value.strip().upper()
    if len(text) > 15 or any(ch.isspace() for ch in text):
        raise InputError(field, value, "must be one ticker (no spaces, at most 15 characters)")
    return text


def _positive(field: str, value: object, what: str) -> float:
    number = finite_number(field, value)
    if number <= 0.0:
        raise InputError(field, value, f"must be > 0 ({what})")
    return number


# --------------------------------------------------------------------------------------------
# Baskets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BasketLeg:
    """Shares of ``ticker`` held ``side`` (long or short) with ``weight`` (> 0, relative to the
    other legs of the same side: the side's dollars are split in proportion)."""

    ticker: str
    side: Side
    weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "ticker", _ticker("ticker", self.ticker))
        if self.side not in SIDES:
            raise InputError(f"{self.ticker}.side", self.side, "must be 'long' or 'short'")
        weight = _positive(f"weights[{self.ticker}]", self.weight, "a relative weight")
        object.__setattr__(self, "weight", weight)

    @property
    def sign(self) -> int:
        """+1 long, -1 short."""
        return 1 if self.side == "long" else -1


@dataclass(frozen=True, slots=True)
class Basket:
    """Long and short share legs: at least one of each, each ticker once, at most
    :data:`MAX_LEGS` legs."""

    legs: tuple[BasketLeg, ...]
    name: str = ""

    def __post_init__(self) -> None:
        legs = tuple(self.legs)
        for i, leg in enumerate(legs):
            if not isinstance(leg, BasketLeg):
                raise InputError(f"legs[{i}]", leg, "must be a BasketLeg")
        tickers = [leg.ticker for leg in legs]
        dupes = sorted({t for t in tickers if tickers.count(t) > 1})
        if dupes:
            raise InputError("legs", dupes, "each ticker may appear once (on one side)")
        for side in SIDES:
            if not any(leg.side == side for leg in legs):
                raise InputError("legs", tickers, f"need at least one {side} leg")
        if len(legs) > MAX_LEGS:
            raise InputError("legs", len(legs), f"at most {MAX_LEGS} legs")
        object.__setattr__(self, "legs", legs)
        if not isinstance(self.name, str):
            raise InputError("name", self.name, "must be a string")
        if not self.name.strip():
            longs = "+".join(leg.ticker for leg in legs if leg.side == "long")
            shorts = "+".join(leg.ticker for leg in legs if leg.side == "short")
            object.__setattr__(self, "name", f"long {longs} / short {shorts}")

    @property
    def tickers(self) -> tuple[str, ...]:
        """The legs' tickers in order."""
        return tuple(leg.ticker for leg in self.legs)


def pair(long_ticker: str, short_ticker: str) -> Basket:
    """A basket of one long and one short leg."""
    return Basket((BasketLeg(long_ticker, "long"), BasketLeg(short_ticker, "short")))


# --------------------------------------------------------------------------------------------
# Betas and prices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegBeta:
    """``beta`` of ``ticker``'s daily returns to ``benchmark``'s and where it came from:
    ``source`` given / ols / table / leverage, ``window`` in words (the dates and number of
    returns of an estimate; empty when given), and for an OLS estimate its standard error,
    number of returns and first and last dates (ISO)."""

    ticker: str
    benchmark: str
    beta: float
    source: BetaSource = "given"
    window: str = ""
    stderr: float | None = None
    n_obs: int | None = None
    start: str | None = None
    end: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ticker", _ticker("ticker", self.ticker))
        object.__setattr__(self, "benchmark", _ticker("benchmark", self.benchmark))
        beta = finite_number(f"betas[{self.ticker}]", self.beta)
        if abs(beta) > MAX_ABS_BETA:
            raise InputError(
                f"betas[{self.ticker}]", self.beta, f"must be within +-{MAX_ABS_BETA:g}"
            )
        object.__setattr__(self, "beta", beta)

    @property
    def described(self) -> str:
        """One line: ``"1.104 (table: ...)"``."""
        where = self.source if not self.window else f"{self.source}: {self.window}"
        return f"{self.beta:.4g} ({where})"


def history_column(history: pd.DataFrame, ticker: str) -> str | None:
    """The column of ``history`` (upper-cased names, as :func:`strategies.sizing.book.
    load_price_history` gives) holding ``ticker``'s closes: ``TICKER_ADJ_CLOSE``, ``TICKER`` or
    ``TICKER_CLOSE``, in that order; None when there is none."""
    for suffix in HISTORY_COLUMN_SUFFIXES:
        name = f"{ticker.upper()}{suffix}"
        if name in history.columns:
            return name
    return None


def _history_view(history: pd.DataFrame, tickers: Sequence[str]) -> pd.DataFrame:
    """``DATE`` plus one column per ticker (named by the ticker) from its history column."""
    if "DATE" not in history.columns:
        raise InputError("history", list(history.columns), "needs a 'date' column")
    out = pd.DataFrame({"DATE": history["DATE"]})
    for t in tickers:
        col = history_column(history, t)
        if col is not None:
            out[t] = history[col]
    return out


def resolve_betas(
    tickers: Sequence[str],
    *,
    benchmark: str = "IWM",
    given: Mapping[str, float] | None = None,
    history: pd.DataFrame | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    table: BetaTable = DEFAULT_BETAS,
) -> dict[str, LegBeta]:
    """The beta of each ticker to ``benchmark``: ``given`` (ticker -> beta), else the OLS slope
    of daily simple returns over the last ``window_days`` returns of ``history`` (a frame from
    :func:`strategies.sizing.book.load_price_history` with a column per ticker, see
    :func:`history_column`), else ``table`` (1 for the same symbol and the Russell family), else
    leverage x the index's beta for TNA/TZA. A ticker with none is an :class:`InputError`
    naming ``betas[TICKER]``."""
    bench = _benchmark(benchmark)
    cleaned: dict[str, float] = {}
    for key, value in (given or {}).items():
        t = _ticker("betas", key)
        cleaned[t] = finite_number(f"betas[{t}]", value)
    names = [_ticker("tickers", t) for t in tickers]
    unused = sorted(set(cleaned) - set(names))
    if unused:
        raise InputError("betas", unused, f"given for tickers not in the basket {names}")
    view: pd.DataFrame | None = None
    if history is not None:
        view = _history_view(history, [*names, bench])
    out: dict[str, LegBeta] = {}
    for t in names:
        if t in cleaned:
            out[t] = LegBeta(t, bench, cleaned[t], "given")
            continue
        if view is not None and t in view.columns and bench in view.columns and t != bench:
            est = estimate_beta(view, t, bench, window_days=window_days)
            out[t] = LegBeta(
                t,
                bench,
                est.beta,
                "ols",
                est.method,
                stderr=est.stderr,
                n_obs=est.n_obs,
                start=est.start,
                end=est.end,
            )
            continue
        if (t, bench) in table:
            out[t] = LegBeta(t, bench, table[(t, bench)], "table", "given in the beta table")
            continue
        if same_family(t, bench):
            out[t] = LegBeta(t, bench, 1.0, "table", "identity (same index family)")
            continue
        estimate = _underlyings_beta(t, bench)
        if estimate is not None:
            out[t] = LegBeta(t, bench, estimate.value, "table", estimate.window)
            continue
        if t in LEVERAGED_ETFS:
            etf = LEVERAGED_ETFS[t]
            try:
                index_beta = table.beta(etf.index, bench)
            except InputError:
                index_beta = None
            if index_beta is not None:
                out[t] = LegBeta(
                    t,
                    bench,
                    etf.leverage * index_beta,
                    "leverage",
                    f"daily leverage {etf.leverage:+g} x beta {index_beta:.4g} of {etf.index} "
                    f"to {bench} (table); the path model moves it in scenarios",
                )
                continue
        hint = (
            f"a price history with a {t} column has too few returns"
            if view is not None and t in view.columns
            else "give one (--beta "
            f"{t}=1.2) or a price history with a {t} and a {bench} column (--history)"
        )
        raise InputError(f"betas[{t}]", None, f"no beta of {t} to {bench}: {hint}")
    return out


@dataclass(frozen=True, slots=True)
class LegPrice:
    """``ticker``'s price per share (dollars) and where it came from (``source`` in words)."""

    ticker: str
    price_per_share: float
    source: str
    synthetic: bool = False


#: ``loader(symbol) -> (spot, description, synthetic)``: a price from a market source (the faces
#: pass one over :func:`marketdata.sources.resolve.load_snapshot`).
PriceLoader = Callable[[str], tuple[float, str, bool]]


def source_price_loader(
    source: str, *, now: datetime, store_path: str | None = None
) -> PriceLoader:
    """A :data:`PriceLoader` reading a symbol's spot from ``source`` (demo, yahoo, auto, store or
    a chain CSV) as seen at ``now`` (tz-aware) through
    :func:`marketdata.sources.resolve.load_snapshot`; its errors
    (:class:`marketdata.errors.MarketDataError`) pass through."""
    from marketdata.sources.resolve import load_snapshot

    def load(symbol: str) -> tuple[float, str, bool]:
        found = load_snapshot(symbol, source, now=now, store_path=store_path)
        return float(found.snapshot.spot), f"spot of {found.description}", found.synthetic

    return load


def resolve_prices(
    tickers: Sequence[str],
    *,
    given: Mapping[str, float] | None = None,
    history: pd.DataFrame | None = None,
    loader: PriceLoader | None = None,
) -> dict[str, LegPrice]:
    """Each ticker's price per share (dollars): ``given``, else the last close in ``history``
    (with its date), else ``loader`` (a market source); an :class:`InputError` naming
    ``prices[TICKER]`` when none has it or a price is not > 0."""
    names = [_ticker("tickers", t) for t in tickers]
    cleaned: dict[str, float] = {}
    for key, value in (given or {}).items():
        t = _ticker("prices", key)
        cleaned[t] = _positive(f"prices[{t}]", value, "dollars per share")
    unused = sorted(set(cleaned) - set(names))
    if unused:
        raise InputError("prices", unused, f"given for tickers not in the basket {names}")
    out: dict[str, LegPrice] = {}
    for t in names:
        if t in cleaned:
            out[t] = LegPrice(t, cleaned[t], "given")
            continue
        col = history_column(history, t) if history is not None else None
        if history is not None and col is not None:
            closes = pd.to_numeric(history[col], errors="coerce")
            valid = closes[closes > 0.0].dropna()
            if not valid.empty:
                day = pd.Timestamp(history.loc[valid.index[-1], "DATE"]).date().isoformat()
                out[t] = LegPrice(t, float(valid.iloc[-1]), f"last close {day} ({col.lower()})")
                continue
        if loader is not None:
            spot, where, synthetic = loader(t)
            out[t] = LegPrice(
                t, _positive(f"prices[{t}]", spot, "dollars per share"), where, synthetic
            )
            continue
        raise InputError(
            f"prices[{t}]", None, f"no price for {t}: give one (--price {t}=...) or --history"
        )
    return out


# --------------------------------------------------------------------------------------------
# Sizing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizedLeg:
    """One leg sized: ``shares`` (whole, >= 1; ``signed_shares`` + long / - short) at
    ``price_per_share``; ``target_dollars`` its share of its side, ``exact_shares`` the
    unrounded count; ``dollars`` and ``beta_dollars`` signed (+ long)."""

    ticker: str
    side: Side
    weight: float
    price_per_share: float
    beta: LegBeta
    target_dollars: float
    exact_shares: float
    shares: int

    @property
    def signed_shares(self) -> int:
        """+shares long, -shares short."""
        return self.shares if self.side == "long" else -self.shares

    @property
    def dollars(self) -> float:
        """Signed position value, dollars."""
        return self.signed_shares * self.price_per_share

    @property
    def beta_dollars(self) -> float:
        """Signed benchmark exposure, dollars: ``dollars x beta``."""
        return self.dollars * self.beta.beta


@dataclass(frozen=True, slots=True)
class BasketSizing:
    """A basket sized in whole shares (units in the module docstring).

    ``long_dollars``/``short_dollars`` (both >= 0) and ``gross_dollars`` after rounding,
    ``target_gross_dollars`` before; ``net_dollars`` and ``net_beta_dollars`` signed (+ = net
    long); ``residual_dollars`` is the one the sizing neutralised (net dollars for
    dollar-neutral, net beta dollars for beta-neutral) and ``residual_share_of_gross`` its
    absolute value over the gross; ``rounding`` says how the counts were rounded and
    ``combinations_checked`` how many were compared."""

    basket: Basket
    neutral: Neutral
    benchmark: str
    legs: tuple[SizedLeg, ...]
    hedge_ratio: float
    target_gross_dollars: float
    long_dollars: float
    short_dollars: float
    gross_dollars: float
    net_dollars: float
    net_beta_dollars: float
    residual_dollars: float
    residual_share_of_gross: float
    rounding: str
    combinations_checked: int
    warnings: tuple[str, ...]

    @property
    def within_bar(self) -> bool:
        """``|residual| <= 1 % of gross`` (:data:`RESIDUAL_BAR_SHARE`)."""
        return self.residual_share_of_gross <= RESIDUAL_BAR_SHARE


def _side_beta(legs: Sequence[BasketLeg], betas: Mapping[str, LegBeta]) -> float:
    total = math.fsum(leg.weight for leg in legs)
    return math.fsum(leg.weight * betas[leg.ticker].beta for leg in legs) / total


def _leg_betas(
    basket: Basket, betas: Mapping[str, LegBeta | float], benchmark: str
) -> dict[str, LegBeta]:
    out: dict[str, LegBeta] = {}
    for t in basket.tickers:
        if t not in betas:
            raise InputError(
                f"betas[{t}]",
                None,
                f"no beta of {t} to {benchmark}: give one or estimate it (resolve_betas)",
            )
        b = betas[t]
        lb = b if isinstance(b, LegBeta) else LegBeta(t, benchmark, finite_number(f"betas[{t}]", b))
        if lb.benchmark != benchmark:
            raise InputError(
                f"betas[{t}].benchmark", lb.benchmark, f"must be the basket's benchmark {benchmark}"
            )
        out[t] = lb
    return out


def _side_notionals(
    basket: Basket,
    betas: Mapping[str, LegBeta],
    neutral: Neutral,
    *,
    gross: float | None,
    long: float | None,
    short: float | None,
) -> tuple[float, float, float]:
    """(long dollars, short dollars, short/long ratio) before rounding."""
    given = [
        (n, v) for n, v in (("gross", gross), ("long", long), ("short", short)) if v is not None
    ]
    if len(given) != 1:
        raise InputError(
            "notional",
            ", ".join(f"{n}_notional_dollars={v:g}" for n, v in given) or None,
            "give exactly one of gross_notional_dollars, long_notional_dollars, "
            "short_notional_dollars",
        )
    which, raw = given[0]
    amount = _positive(f"{which}_notional_dollars", raw, "dollars")
    if amount > MAX_NOTIONAL_DOLLARS:
        raise InputError(
            f"{which}_notional_dollars", raw, f"must be at most {MAX_NOTIONAL_DOLLARS:,.0f} dollars"
        )
    if neutral == "dollar":
        ratio = 1.0
    else:
        for leg in basket.legs:
            if betas[leg.ticker].beta == 0.0:
                raise InputError(
                    f"betas[{leg.ticker}]",
                    0.0,
                    "is zero: a leg with no exposure to the benchmark cannot be sized "
                    "beta-neutral (give its beta or size dollar-neutral)",
                )
        longs = [leg for leg in basket.legs if leg.side == "long"]
        shorts = [leg for leg in basket.legs if leg.side == "short"]
        b_long, b_short = _side_beta(longs, betas), _side_beta(shorts, betas)
        if b_short == 0.0 or b_long == 0.0:
            raise InputError(
                "betas",
                f"long side {b_long:.6g}, short side {b_short:.6g}",
                "a side's weighted beta is zero: it cannot be sized beta-neutral",
            )
        ratio = b_long / b_short
        if ratio <= 0.0:
            raise InputError(
                "betas",
                f"long side {b_long:.6g}, short side {b_short:.6g}",
                "the sides' weighted betas have opposite signs: shorting the short side adds "
                "to the long side's exposure, so no sizes are beta-neutral",
            )
    if which == "gross":
        long_d = amount / (1.0 + ratio)
    elif which == "long":
        long_d = amount
    else:
        long_d = amount / ratio
    return long_d, long_d * ratio, ratio


def size_basket(
    basket: Basket,
    *,
    prices_per_share: Mapping[str, float],
    betas: Mapping[str, LegBeta | float],
    neutral: Neutral = "beta",
    benchmark: str = "IWM",
    gross_notional_dollars: float | None = None,
    long_notional_dollars: float | None = None,
    short_notional_dollars: float | None = None,
) -> BasketSizing:
    """Whole share counts for ``basket``, ``neutral`` = "dollar" or "beta" (to ``benchmark``),
    from exactly one notional (dollars): the gross (long + short), the long side's or the short
    side's. ``prices_per_share`` (dollars) and ``betas`` (a :class:`LegBeta` or a number per
    ticker; numbers are "given") cover every ticker. Rounding: see the module docstring.
    Errors are :class:`InputError` naming the field (``prices[IWM]``, ``betas[SPY]``, ...)."""
    if not isinstance(basket, Basket):
        raise InputError("basket", basket, "must be a Basket")
    if neutral not in NEUTRALS:
        raise InputError("neutral", neutral, "must be 'dollar' or 'beta'")
    bench = _benchmark(benchmark)
    given_prices = {str(k).strip().upper(): v for k, v in prices_per_share.items()}
    given_betas = {str(k).strip().upper(): v for k, v in betas.items()}
    prices: dict[str, float] = {}
    for t in basket.tickers:
        if t not in given_prices:
            raise InputError(f"prices[{t}]", None, f"no price per share for {t}")
        prices[t] = _positive(f"prices[{t}]", given_prices[t], "dollars per share")
    leg_betas = _leg_betas(basket, given_betas, bench)
    long_d, short_d, ratio = _side_notionals(
        basket,
        leg_betas,
        neutral,
        gross=gross_notional_dollars,
        long=long_notional_dollars,
        short=short_notional_dollars,
    )
    side_total = {
        side: math.fsum(leg.weight for leg in basket.legs if leg.side == side) for side in SIDES
    }
    side_dollars = {"long": long_d, "short": short_d}
    targets = [side_dollars[leg.side] * leg.weight / side_total[leg.side] for leg in basket.legs]
    exact = [d / prices[leg.ticker] for d, leg in zip(targets, basket.legs, strict=True)]
    for x, leg in zip(exact, basket.legs, strict=True):
        if x < 0.5:
            raise InputError(
                "notional",
                round(long_d + short_d, 2),
                f"too small: {leg.side} {leg.ticker} gets {x:.3g} shares at "
                f"{prices[leg.ticker]:g} dollars (needs at least 0.5 to round to one share)",
            )
    choices = []
    for x in exact:
        lo = max(1, math.floor(x))
        hi = max(1, math.ceil(x))
        choices.append((lo,) if lo == hi else (lo, hi))
    combos = np.array(list(itertools.product(*choices)), dtype=np.float64)
    signs = np.array([leg.sign for leg in basket.legs], dtype=np.float64)
    price_v = np.array([prices[t] for t in basket.tickers], dtype=np.float64)
    beta_v = np.array([leg_betas[t].beta for t in basket.tickers], dtype=np.float64)
    per_share = signs * price_v * (beta_v if neutral == "beta" else 1.0)
    residuals = combos @ per_share
    gross_gap = np.abs(combos @ price_v - (long_d + short_d))
    scale = float(np.max(np.abs(per_share)))
    best_abs = float(np.min(np.abs(residuals)))
    tied = np.flatnonzero(np.abs(residuals) <= best_abs + 1e-12 * scale)
    pick = int(tied[np.argmin(gross_gap[tied])])
    counts = [round(float(c)) for c in combos[pick]]
    legs = tuple(
        SizedLeg(
            leg.ticker,
            leg.side,
            leg.weight,
            prices[leg.ticker],
            leg_betas[leg.ticker],
            d,
            x,
            n,
        )
        for leg, d, x, n in zip(basket.legs, targets, exact, counts, strict=True)
    )
    long_done = math.fsum(abs(s.dollars) for s in legs if s.side == "long")
    short_done = math.fsum(abs(s.dollars) for s in legs if s.side == "short")
    gross_done = long_done + short_done
    net = math.fsum(s.dollars for s in legs)
    net_beta = math.fsum(s.beta_dollars for s in legs)
    residual = net_beta if neutral == "beta" else net
    share = abs(residual) / gross_done
    what = "net beta dollars" if neutral == "beta" else "net dollars"
    rounding = (
        f"each leg's exact count rounded down or up; of the {len(combos)} combinations the one "
        f"with the smallest |{what}| was kept (ties: gross nearest the target)"
    )
    warnings: list[str] = []
    if share > RESIDUAL_BAR_SHARE:
        biggest = max(legs, key=lambda s: abs(per_share[basket.tickers.index(s.ticker)]))
        warnings.append(
            f"residual {what} {residual:,.2f} is {share:.2%} of the gross, above "
            f"{RESIDUAL_BAR_SHARE:.0%}: the notional is small against one share of "
            f"{biggest.ticker} ({biggest.price_per_share:,.2f} dollars)"
        )
    return BasketSizing(
        basket=basket,
        neutral=neutral,
        benchmark=bench,
        legs=legs,
        hedge_ratio=ratio,
        target_gross_dollars=long_d + short_d,
        long_dollars=long_done,
        short_dollars=short_done,
        gross_dollars=gross_done,
        net_dollars=net,
        net_beta_dollars=net_beta,
        residual_dollars=residual,
        residual_share_of_gross=share,
        rounding=rounding,
        combinations_checked=len(combos),
        warnings=tuple(warnings),
    )


def size_pair(
    long_ticker: str,
    short_ticker: str,
    *,
    prices_per_share: Mapping[str, float],
    betas: Mapping[str, LegBeta | float],
    neutral: Neutral = "beta",
    benchmark: str = "IWM",
    gross_notional_dollars: float | None = None,
    long_notional_dollars: float | None = None,
    short_notional_dollars: float | None = None,
) -> BasketSizing:
    """:func:`size_basket` of :func:`pair` (``long_ticker``, ``short_ticker``)."""
    return size_basket(
        pair(long_ticker, short_ticker),
        prices_per_share=prices_per_share,
        betas=betas,
        neutral=neutral,
        benchmark=benchmark,
        gross_notional_dollars=gross_notional_dollars,
        long_notional_dollars=long_notional_dollars,
        short_notional_dollars=short_notional_dollars,
    )


# --------------------------------------------------------------------------------------------
# Scenario P&L
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegScenarioPnl:
    """One leg in one scenario: its price ``move`` (decimal), ``pnl_dollars`` (signed dollars x
    move) and the ``model`` that moved it."""

    ticker: str
    move: float
    pnl_dollars: float
    model: str


@dataclass(frozen=True, slots=True)
class BasketScenarioRow:
    """The basket in one scenario: the index move (decimal, Russell 2000 family), the
    benchmark's move, the 10-year shift (bp), the horizon (calendar days), the probability
    (0 for stress rows) and the P&L (dollars) in total and per leg."""

    scenario: str
    probability: float
    index_move: float
    benchmark_move: float
    yield_shift_bp: float
    horizon_days: float
    pnl_dollars: float
    legs: tuple[LegScenarioPnl, ...]
    description: str


@dataclass(frozen=True, slots=True)
class BasketScenarioReport:
    """House-view rows with their probability-weighted P&L (dollars), stress rows (unweighted),
    the betas label, and the index vol and short rate (decimal per year) used for leveraged
    legs with where they came from."""

    house: tuple[BasketScenarioRow, ...]
    weighted_pnl_dollars: float
    stresses: tuple[BasketScenarioRow, ...]
    market_betas: str
    index_vol: float
    short_rate: float
    assumptions: tuple[str, ...]


def _benchmark_move(benchmark: str, scenario: Scenario, market_betas: MarketBetas) -> float:
    if benchmark in RUSSELL_FAMILY:
        return scenario.spot_move
    return scenario.symbol_move(benchmark, market_betas)


def _row(
    sizing: BasketSizing,
    scenario: Scenario,
    *,
    market_betas: MarketBetas,
    index_vol: float,
    short_rate: float,
    index_div_yield: float,
    etfs: Mapping[str, LeveragedETF],
) -> BasketScenarioRow:
    bench_move = _benchmark_move(sizing.benchmark, scenario, market_betas)
    legs: list[LegScenarioPnl] = []
    for leg in sizing.legs:
        etf = etfs.get(leg.ticker)
        if etf is not None and etf.index in RUSSELL_FAMILY:
            vol = max(index_vol + scenario.vol_shift, 0.01)
            ratio = leveraged_ratio(
                1.0 + scenario.spot_move,
                leverage=etf.leverage,
                vol=vol,
                t_years=scenario.horizon_days / 365.0,
                rate=short_rate,
                div_yield=index_div_yield,
                expense_ratio=etf.expense_ratio,
                financing_spread=etf.financing_spread,
            )
            move = float(ratio) - 1.0
            model = (
                f"daily-reset {etf.leverage:+g}x on the index move over "
                f"{scenario.horizon_days:g} days at {vol:.0%} vol"
            )
        else:
            move = max(leg.beta.beta * bench_move, -0.99)
            model = f"beta {leg.beta.beta:.4g} x {sizing.benchmark} move"
        legs.append(LegScenarioPnl(leg.ticker, move, leg.dollars * move, model))
    return BasketScenarioRow(
        scenario=scenario.name,
        probability=scenario.probability,
        index_move=scenario.spot_move,
        benchmark_move=bench_move,
        yield_shift_bp=scenario.yield_shift_bp,
        horizon_days=scenario.horizon_days,
        pnl_dollars=math.fsum(x.pnl_dollars for x in legs),
        legs=tuple(legs),
        description=scenario.description,
    )


def basket_scenarios(
    sizing: BasketSizing,
    *,
    scenarios: ScenarioSet = HOUSE_VIEW,
    stresses: Sequence[Scenario] | None = None,
    market_betas: MarketBetas = HOUSE_BETAS,
    index_vol: float = DEFAULT_INDEX_VOL,
    short_rate: float = DEFAULT_SHORT_RATE,
    index_div_yield: float = 0.0,
    etfs: Mapping[str, LeveragedETF] = LEVERAGED_ETFS,
    assumptions: Sequence[str] = (),
) -> BasketScenarioReport:
    """The sized basket's P&L (dollars) in each of ``scenarios`` and their probability-weighted
    sum, and in ``stresses`` (default :func:`strategies.scenarios.stress_scenarios`: risk-off,
    +25 and +50 bp yield shocks, correction). Share legs move by ``beta x benchmark move``;
    legs in ``etfs`` through the daily-reset model at ``index_vol`` (decimal, plus each
    scenario's vol shift), ``short_rate`` and ``index_div_yield`` (decimal per year)."""
    vol = finite_number("index_vol", index_vol)
    if not 0.0 < vol <= 3.0:
        raise InputError("index_vol", index_vol, "must be a decimal vol in (0, 3]")
    rate = finite_number("short_rate", short_rate)
    if abs(rate) > 0.5:
        raise InputError("short_rate", short_rate, "must be a decimal rate within +-0.5")
    q = finite_number("index_div_yield", index_div_yield)
    if not 0.0 <= q <= 0.5:
        raise InputError("index_div_yield", index_div_yield, "must be a decimal yield in [0, 0.5]")
    stress = tuple(stress_scenarios(market_betas) if stresses is None else stresses)
    kw: dict[str, Any] = {
        "market_betas": market_betas,
        "index_vol": vol,
        "short_rate": rate,
        "index_div_yield": q,
        "etfs": {k.upper(): v for k, v in etfs.items()},
    }
    house = tuple(_row(sizing, s, **kw) for s in scenarios)
    weighted = math.fsum(r.probability * r.pnl_dollars for r in house)
    return BasketScenarioReport(
        house=house,
        weighted_pnl_dollars=weighted,
        stresses=tuple(_row(sizing, s, **kw) for s in stress),
        market_betas=market_betas.label,
        index_vol=vol,
        short_rate=rate,
        assumptions=tuple(assumptions),
    )


def realised_index_vol(
    history: pd.DataFrame, *, window_days: int = DEFAULT_WINDOW_DAYS
) -> tuple[float, str] | None:
    """Annualised vol (decimal, sqrt(252) x std of daily log returns) of the IWM column of
    ``history`` over its last ``window_days`` returns, with a one-line origin; None when the
    history has no IWM column or fewer than :data:`MIN_OBSERVATIONS` returns."""
    col = history_column(history, "IWM")
    if col is None:
        return None
    closes = pd.to_numeric(history[col], errors="coerce")
    frame = pd.DataFrame({"date": history["DATE"], "close": closes}).dropna()
    frame = frame[frame["close"] > 0.0]
    rets = np.diff(np.log(frame["close"].to_numpy(dtype=np.float64)))[-window_days:]
    if rets.size < MIN_OBSERVATIONS:
        return None
    dates = frame["date"].iloc[-rets.size :]
    start = pd.Timestamp(dates.iloc[0]).date().isoformat()
    end = pd.Timestamp(dates.iloc[-1]).date().isoformat()
    vol = float(np.std(rets, ddof=1) * math.sqrt(252.0))
    return vol, f"realised vol of {col.lower()}, {rets.size} daily returns {start}..{end}"


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------


def _row_doc(row: BasketScenarioRow) -> dict[str, Any]:
    return {
        "scenario": row.scenario,
        "probability": row.probability,
        "index_move": row.index_move,
        "benchmark_move": row.benchmark_move,
        "yield_shift_bp": row.yield_shift_bp,
        "horizon_days": row.horizon_days,
        "pnl_dollars": row.pnl_dollars,
        "legs": [
            {"ticker": x.ticker, "move": x.move, "pnl_dollars": x.pnl_dollars, "model": x.model}
            for x in row.legs
        ],
        "description": row.description,
    }


def basket_document(
    sizing: BasketSizing,
    report: BasketScenarioReport | None = None,
    *,
    prices: Mapping[str, LegPrice] | None = None,
    computed_at: datetime | None = None,
) -> dict[str, Any]:
    """A JSON-ready document of the sizing (and scenarios): units in the key names."""
    doc: dict[str, Any] = {
        "basket": sizing.basket.name,
        "neutral": sizing.neutral,
        "benchmark": sizing.benchmark,
        "computed_at": None if computed_at is None else computed_at.isoformat(),
        "hedge_ratio_short_per_long_dollar": sizing.hedge_ratio,
        "target_gross_dollars": sizing.target_gross_dollars,
        "gross_dollars": sizing.gross_dollars,
        "long_dollars": sizing.long_dollars,
        "short_dollars": sizing.short_dollars,
        "net_dollars": sizing.net_dollars,
        "net_beta_dollars": sizing.net_beta_dollars,
        "residual_dollars": sizing.residual_dollars,
        "residual_share_of_gross": sizing.residual_share_of_gross,
        "within_1pct_of_gross": sizing.within_bar,
        "rounding": sizing.rounding,
        "combinations_checked": sizing.combinations_checked,
        "warnings": list(sizing.warnings),
        "legs": [
            {
                "ticker": s.ticker,
                "side": s.side,
                "weight": s.weight,
                "shares": s.signed_shares,
                "exact_shares": s.exact_shares if s.side == "long" else -s.exact_shares,
                "price_per_share": s.price_per_share,
                "price_source": None if prices is None else prices[s.ticker].source,
                "target_dollars": s.target_dollars,
                "dollars": s.dollars,
                "beta": s.beta.beta,
                "beta_source": s.beta.source,
                "beta_window": s.beta.window,
                "beta_stderr": s.beta.stderr,
                "beta_n_obs": s.beta.n_obs,
                "beta_dollars": s.beta_dollars,
            }
            for s in sizing.legs
        ],
    }
    if prices is not None:
        doc["synthetic_prices"] = sorted(t for t, p in prices.items() if p.synthetic)
    if report is not None:
        doc["scenarios"] = {
            "house": [_row_doc(r) for r in report.house],
            "weighted_pnl_dollars": report.weighted_pnl_dollars,
            "stresses": [_row_doc(r) for r in report.stresses],
            "market_betas": report.market_betas,
            "index_vol": report.index_vol,
            "short_rate": report.short_rate,
            "assumptions": list(report.assumptions),
        }
    return doc
