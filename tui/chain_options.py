"""The options every verb that reads a chain file (``--source FILE``) shares: ``--spot``,
``--as-of``, ``--rate``, ``--dividends`` and ``--div-yield``, declared once here as Annotated
aliases. Their values are parsed and applied by the core
(:mod:`marketdata.sources.overrides`); a bad value is exit 2 with the flag and the value named.

Verbs whose ``--spot`` already takes ``SYMBOL=PRICE`` items (``hedge strategy``, ``payoff``,
``size``) read a bare number there as the chain file's spot (:func:`split_spot_items`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from marketdata.sources.overrides import ChainOverrides

SPOT_HELP = "The chain file's spot (price units, e.g. 238.52); replaces the file's."
AS_OF_HELP = (
    "The chain file's quote time, ISO: 2026-12-03T16:15 (New York if no offset) or a date "
    "(its 16:00 close)."
)
RATE_HELP = (
    "Rate for a chain file: decimal 0.039 or percent 3.9% (a bare 3.9 is refused), a curve "
    "0.25:3.9%,1:3.7% (years:rate), or a file of those."
)
DIVIDENDS_HELP = (
    "Cash dividends per share for a chain file: 2026-12-15:0.72,2027-03-16:0.74, a file of "
    "ex_date,amount rows, or none."
)
DIV_YIELD_HELP = (
    "Dividend yield for a chain file: 0.012 or 1.2% (paid as 4 equal quarterly cash "
    "dividends, mid-March/June/September/December)."
)

ChainSpotOpt = Annotated[str | None, typer.Option("--spot", help=SPOT_HELP)]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)]
RateOpt = Annotated[str | None, typer.Option("--rate", help=RATE_HELP)]
DividendsOpt = Annotated[str | None, typer.Option("--dividends", help=DIVIDENDS_HELP)]
DivYieldOpt = Annotated[str | None, typer.Option("--div-yield", help=DIV_YIELD_HELP)]


class OverrideOptionError(Exception):
    """A bad chain-file option: ``message`` names the flag and the value (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def chain_overrides(
    source: str,
    *,
    spot: str | None = None,
    as_of: str | None = None,
    rate: str | None = None,
    dividends: str | None = None,
    div_yield: str | None = None,
) -> ChainOverrides | None:
    """The parsed overrides (None when no flag was given). Raises :class:`OverrideOptionError`
    (``--flag: value: why``) for a bad value, or for a flag given with a source that is not a
    file (demo, yahoo, auto, store: they bring their own spot, time, rate and dividends)."""
    from marketdata.sources.overrides import OverrideError, parse_overrides
    from tui.errors import words

    try:
        overrides = parse_overrides(
            spot=spot, as_of=as_of, rate=rate, dividends=dividends, div_yield=div_yield
        )
    except OverrideError as exc:
        raise OverrideOptionError(f"{exc.field}: {words(exc.value)}: {exc.reason}") from None
    if not overrides:
        return None
    name = (source or "").strip().lower()
    if name.startswith("csv:"):
        name = name[4:]
    if name in ("demo", "yahoo", "live", "auto", "store", ""):
        flag = overrides.given[0]
        raise OverrideOptionError(
            f"{flag}: {overrides.text(flag)}: applies to a chain file (--source FILE), not to "
            f"--source {source}"
        )
    return overrides


def split_spot_items(items: Sequence[str] | None) -> tuple[str | None, list[str]]:
    """``--spot`` items of the strategy verbs: a bare number is the chain file's spot, the
    ``SYMBOL=PRICE`` items are extra spots. Raises :class:`OverrideOptionError` for two bare
    numbers."""
    bare = [item for item in items or () if "=" not in item]
    if len(bare) > 1:
        raise OverrideOptionError(
            f"--spot: {', '.join(bare)}: give the chain file's spot once (other spots as "
            "SYMBOL=PRICE)"
        )
    return (bare[0] if bare else None), [item for item in items or () if "=" in item]


def snapshot_loader(overrides: ChainOverrides | None) -> Any:
    """A :data:`strategies.loading.SnapshotLoader` that applies ``overrides`` to the chain
    file (None: the default loader)."""
    if overrides is None:
        return None
    from functools import partial

    from marketdata.sources.resolve import load_snapshot

    return partial(load_snapshot, overrides=overrides)
