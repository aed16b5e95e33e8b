"""Quote cleaning: mids, spreads and flags on a raw option chain. Quotes are kept and flagged,
never dropped; ``usable`` says which ones the forward and surface fits may use.

Columns added to the chain's frame (units: price units per share, index points for RUT):

- ``mid``: ``(bid + ask) / 2`` where both sides are quoted (bid may be 0); NaN with no ask;
- ``spread``: ``ask - bid`` (NaN when either side is missing);
- ``spread_pct``: ``spread / mid`` in percent (12.5 = 12.5 %), NaN when ``mid <= 0``;
- ``flags``: comma-joined flags in the order of :data:`ALL_FLAGS` ("" when clean):

  - ``no_quote``: no ask (or ask <= 0): nothing to trade on;
  - ``crossed``: bid above ask;
  - ``zero_bid``: bid missing or 0 (a one-sided market);
  - ``stale``: the last trade is older than ``stale_after_seconds`` before ``as_of`` (only when
    the chain has a ``last_trade`` column with a known time);
  - ``too_wide``: relative spread above the threshold of the quote's price tier
    (:attr:`CleaningRules.max_spread_pct`: cheap options may be relatively wider);
  - ``below_intrinsic``: mid below the no-arbitrage lower bound (intrinsic at spot for American
    options; a caller-supplied model-free bound otherwise) by more than a tolerance;
  - ``duplicate``: another row quotes the same contract (expiry, kind, strike, and root and
    settlement when the chain has those columns); every row of such a group is flagged, since nothing says
    which quote is right, and none of them enters a fit;
  - ``no_vol``: set by :func:`apply_iv_status` once vols are solved: a quote without a usable
    implied vol (its ``iv_status`` says why: above_ceiling, no_time_value, no_convergence,
    not_valued, expired, bad_input:...); a quote whose solver says ``below_intrinsic`` gets the
    ``below_intrinsic`` flag instead;

- ``usable``: True when none of :attr:`CleaningRules.blocking_flags` is set (and, after
  :func:`apply_iv_status`, the quote's ``iv_status`` is "ok").

Flags and IV statuses agree by construction: :func:`apply_iv_status` is the one place that decides
``usable = clean flags AND iv_status == "ok"``, so no quote is usable while its solver says it is
below intrinsic, above the vol ceiling or unsolved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from marketdata.snapshot import OptionChain, require_aware
from pricing.errors import InputError

FLAG_NO_QUOTE = "no_quote"
FLAG_CROSSED = "crossed"
FLAG_ZERO_BID = "zero_bid"
FLAG_STALE = "stale"
FLAG_TOO_WIDE = "too_wide"
FLAG_BELOW_INTRINSIC = "below_intrinsic"
FLAG_DUPLICATE = "duplicate"
FLAG_NO_VOL = "no_vol"
#: Every flag, in the order they appear in the ``flags`` column.
ALL_FLAGS: tuple[str, ...] = (
    FLAG_NO_QUOTE,
    FLAG_CROSSED,
    FLAG_ZERO_BID,
    FLAG_STALE,
    FLAG_TOO_WIDE,
    FLAG_BELOW_INTRINSIC,
    FLAG_DUPLICATE,
    FLAG_NO_VOL,
)
#: The implied-vol status of a quote with a usable vol.
IV_STATUS_OK = "ok"
#: The implied-vol status that maps to the ``below_intrinsic`` flag.
IV_STATUS_BELOW_INTRINSIC = "below_intrinsic"
#: Columns :func:`clean_chain` adds.
CLEAN_COLUMNS: tuple[str, ...] = ("mid", "spread", "spread_pct", "flags", "usable")


@dataclass(frozen=True, slots=True)
class CleaningRules:
    """Thresholds of :func:`clean_chain`.

    ``stale_after_seconds``: a last trade older than this before ``as_of`` is stale (default four
    days, so Friday's trades are not stale on Monday night); ``max_spread_pct``: price tiers
    ``(mid_below, max_spread_percent)`` in increasing ``mid_below``; a quote whose mid is below
    ``mid_below`` may have a spread up to that percent of its mid (the last tier should end at
    ``inf``); ``intrinsic_tolerance``: price units by which a mid may sit below its lower bound
    before it is flagged; ``blocking_flags``: the flags that make a quote unusable.
    """

    stale_after_seconds: float = 4 * 24 * 3600.0
    max_spread_pct: tuple[tuple[float, float], ...] = (
        (0.50, 100.0),
        (2.0, 50.0),
        (10.0, 25.0),
        (math.inf, 15.0),
    )
    intrinsic_tolerance: float = 0.005
    blocking_flags: frozenset[str] = frozenset(ALL_FLAGS)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.stale_after_seconds) and self.stale_after_seconds > 0):
            raise InputError("stale_after_seconds", self.stale_after_seconds, "must be > 0")
        tiers = tuple((float(a), float(b)) for a, b in self.max_spread_pct)
        if not tiers:
            raise InputError("max_spread_pct", self.max_spread_pct, "needs at least one tier")
        for i, (below, pct) in enumerate(tiers):
            if not below > 0 or (i and below <= tiers[i - 1][0]):
                raise InputError(f"max_spread_pct[{i}]", (below, pct), "mid_below must increase")
            if not (math.isfinite(pct) and pct > 0):
                raise InputError(f"max_spread_pct[{i}]", (below, pct), "percent must be > 0")
        object.__setattr__(self, "max_spread_pct", tiers)
        if not (math.isfinite(self.intrinsic_tolerance) and self.intrinsic_tolerance >= 0):
            raise InputError("intrinsic_tolerance", self.intrinsic_tolerance, "must be >= 0")
        unknown = set(self.blocking_flags) - set(ALL_FLAGS)
        if unknown:
            raise InputError("blocking_flags", sorted(unknown), f"unknown; known: {ALL_FLAGS}")
        object.__setattr__(self, "blocking_flags", frozenset(self.blocking_flags))

    def spread_limit_pct(self, mid: ArrayLike) -> NDArray[np.float64]:
        """The largest acceptable spread, percent of mid, for each ``mid`` (price units)."""
        m = np.asarray(mid, dtype=np.float64)
        bounds = np.array([b for b, _ in self.max_spread_pct])
        limits = np.array([p for _, p in self.max_spread_pct])
        idx = np.clip(np.searchsorted(bounds, m, side="right"), 0, limits.size - 1)
        return np.asarray(limits[idx], dtype=np.float64)


def clean_chain(
    chain: OptionChain,
    *,
    as_of: datetime,
    spot: float,
    lower_bound: ArrayLike | None = None,
    rules: CleaningRules | None = None,
) -> OptionChain:
    """Add ``mid``, ``spread``, ``spread_pct``, ``flags`` and ``usable`` to a raw chain.

    ``as_of``: tz-aware time of the quotes (for ``stale``); ``spot``: the underlying (price
    units), for the intrinsic value of American options; ``lower_bound``: optional per-row
    no-arbitrage lower bound of the option price (price units, same order as the chain's rows;
    NaN where unknown), which replaces the spot intrinsic where given, e.g.
    ``max(DF (F - K), 0)`` for European calls. Rows keep their order and index; nothing is dropped.
    """
    require_aware("as_of", as_of)
    if not (isinstance(spot, (int, float)) and math.isfinite(spot) and spot > 0):
        raise InputError("spot", spot, "must be finite and > 0")
    rules = rules or CleaningRules()
    frame = chain.frame.copy()
    n = len(frame)
    bid = pd.to_numeric(frame["bid"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    ask = pd.to_numeric(frame["ask"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    strike = pd.to_numeric(frame["strike"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    kind = frame["kind"].astype(str).str.lower().to_numpy()
    style = frame["style"].astype(str).str.lower().to_numpy()
    sign = np.where(kind == "call", 1.0, np.where(kind == "put", -1.0, np.nan))

    has_ask = np.isfinite(ask) & (ask > 0.0)
    has_bid = np.isfinite(bid) & (bid > 0.0)
    two_sided = has_ask & np.isfinite(bid) & (bid >= 0.0)
    no_quote = ~has_ask
    crossed = has_ask & has_bid & (bid > ask)
    zero_bid = has_ask & ~has_bid
    mid = np.where(two_sided, 0.5 * (np.where(np.isfinite(bid), bid, 0.0) + ask), np.nan)
    spread = np.where(two_sided, ask - np.where(np.isfinite(bid), bid, 0.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread_pct = np.where(two_sided & (mid > 0.0), 100.0 * spread / mid, np.nan)
    too_wide = two_sided & ~crossed & (spread_pct > rules.spread_limit_pct(np.nan_to_num(mid)))

    stale = np.zeros(n, dtype=bool)
    if "last_trade" in frame.columns:
        stale = _stale_mask(frame["last_trade"], as_of, rules.stale_after_seconds)

    if lower_bound is None:
        bound = np.full(n, np.nan)
    else:
        bound = np.broadcast_to(np.asarray(lower_bound, dtype=np.float64), (n,)).copy()
    american = style == "american"
    spot_intrinsic = np.maximum(sign * (spot - strike), 0.0)
    bound = np.where(np.isfinite(bound), bound, np.where(american, spot_intrinsic, np.nan))
    if lower_bound is not None:
        bound = np.where(american, np.fmax(bound, spot_intrinsic), bound)
    below = np.isfinite(mid) & np.isfinite(bound) & (mid < bound - rules.intrinsic_tolerance)

    key_columns = [
        c for c in ("root", "expiry", "kind", "strike", "settlement") if c in frame.columns
    ]
    duplicate = (
        frame.duplicated(subset=key_columns, keep=False).to_numpy(dtype=bool)
        if n
        else np.zeros(0, dtype=bool)
    )

    masks = {
        FLAG_NO_QUOTE: no_quote,
        FLAG_CROSSED: crossed,
        FLAG_ZERO_BID: zero_bid,
        FLAG_STALE: stale,
        FLAG_TOO_WIDE: too_wide,
        FLAG_BELOW_INTRINSIC: below,
        FLAG_DUPLICATE: duplicate,
        FLAG_NO_VOL: np.zeros(n, dtype=bool),
    }
    flags = _join_flags(masks, n)
    blocking = np.zeros(n, dtype=bool)
    for name in rules.blocking_flags:
        blocking |= masks[name]
    usable = ~blocking & np.isfinite(mid) & np.isfinite(sign) & np.isfinite(strike)

    frame["mid"] = mid
    frame["spread"] = spread
    frame["spread_pct"] = spread_pct
    frame["flags"] = flags
    frame["usable"] = usable
    return OptionChain(frame)


def apply_iv_status(
    chain: OptionChain, iv_status: ArrayLike, *, rules: CleaningRules | None = None
) -> OptionChain:
    """The cleaned ``chain`` with its flags and ``usable`` reconciled with the implied-vol status
    of each quote (``iv_status``: one status string per row, "ok" for a usable vol): a
    ``below_intrinsic`` status sets the ``below_intrinsic`` flag, any other status but "ok" sets
    ``no_vol``, and ``usable`` becomes "no blocking flag AND status ok" (the one place that
    decides it). Rows keep their order and index."""
    frame = chain.frame
    for col in ("flags", "usable"):
        if col not in frame.columns:
            raise InputError("chain.columns", list(frame.columns), f"not cleaned: no {col!r}")
    rules = rules or CleaningRules()
    n = len(frame)
    status = np.asarray(iv_status, dtype=str).ravel()
    if status.shape != (n,):
        raise InputError("iv_status", status.shape, f"must have one status a row ({n})")
    texts = [str(x) for x in frame["flags"]]
    masks = {name: np.zeros(n, dtype=bool) for name in ALL_FLAGS}
    for i, text in enumerate(texts):
        for name in text.split(","):
            if name in masks:
                masks[name][i] = True
    ok = status == IV_STATUS_OK
    masks[FLAG_BELOW_INTRINSIC] |= status == IV_STATUS_BELOW_INTRINSIC
    masks[FLAG_NO_VOL] |= ~ok & (status != IV_STATUS_BELOW_INTRINSIC)
    blocking = np.zeros(n, dtype=bool)
    for name in rules.blocking_flags:
        blocking |= masks[name]
    out = frame.copy()
    out["flags"] = _join_flags(masks, n)
    out["usable"] = frame["usable"].to_numpy(dtype=bool) & ok & ~blocking
    return OptionChain(out)


def _stale_mask(last_trade: pd.Series, as_of: datetime, limit_s: float) -> NDArray[np.bool_]:
    """True where the last trade is known and older than ``limit_s`` seconds before ``as_of``."""
    times = pd.to_datetime(last_trade, errors="coerce", utc=True)
    as_of_utc = pd.Timestamp(as_of).tz_convert("UTC")
    age = (as_of_utc - times).dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(np.isfinite(age) & (age > limit_s), dtype=bool)


def _join_flags(masks: dict[str, NDArray[np.bool_]], n: int) -> list[str]:
    """Comma-joined flag names per row, in :data:`ALL_FLAGS` order."""
    out = np.full(n, "", dtype=object)
    for name in ALL_FLAGS:
        mask = masks[name]
        if not mask.any():
            continue
        out[mask] = np.where(out[mask] == "", name, out[mask] + "," + name)
    return [str(x) for x in out]


def flag_counts(chain: OptionChain) -> dict[str, int]:
    """How many quotes carry each flag in a cleaned chain (every flag listed, zeros included)."""
    if "flags" not in chain.frame.columns:
        raise InputError("chain.columns", list(chain.frame.columns), "not cleaned: no 'flags'")
    counts = dict.fromkeys(ALL_FLAGS, 0)
    for text in chain.frame["flags"]:
        for name in str(text).split(","):
            if name:
                counts[name] = counts.get(name, 0) + 1
    return counts
