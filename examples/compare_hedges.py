"""Compare four hedges of a $1,000,000 IWM book across the house view, on the bundled demo data.

    .venv/bin/python examples/compare_hedges.py [--notional 1000000] [--json]

Hedges, each sized to the book (one option contract per 100 shares held):

- an IWM put spread (the template's defaults: ~60 days, long ~5 % OTM, short ~11 % OTM);
- an outright put (~60 days, ~5 % OTM);
- a collar on the book (long put ~5 % OTM, short call ~5 % OTM);
- TZA (-3x Russell 2000) bought to offset half of the book's beta-weighted dollar delta.

Every hedge is entered at the fill price (ask to buy, bid to sell) and repriced in the house
scenarios (bear / base / bull, weighted 30/45/25) and in the stress scenarios; the table shows
the P&L in dollars of book + hedge, so the "unhedged" row is the book alone. The demo data are
SYNTHETIC: the numbers show the method, not today's market.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples._demo import demo_context
from strategies.legs import Leg, Shares
from strategies.scenarios import HOUSE_VIEW, compare_strategies, stress_scenarios
from strategies.strategy import Strategy
from strategies.templates import TEMPLATES


def build(notional: float) -> tuple[list[Strategy], dict[str, float], object]:
    """The book alone and book + each hedge; the hedges' entry costs (dollars, + = paid)."""
    ctx, snapshot, note = demo_context("IWM")
    shares = round(notional / snapshot.spot / 100) * 100
    contracts = shares // 100
    book = Strategy("unhedged", (Leg(Shares("IWM"), shares, snapshot.spot, "book"),))
    hedges = {
        "put spread": TEMPLATES["put-spread"](ctx, chain=snapshot.chain, quantity=contracts),
        "long put": TEMPLATES["long-put"](ctx, chain=snapshot.chain, quantity=contracts),
        "collar": TEMPLATES["collar"](
            ctx, chain=snapshot.chain, quantity=contracts, with_shares=False
        ),
        "TZA (half delta)": TEMPLATES["tza-hedge"](
            ctx, book_dollar_delta=shares * snapshot.spot, hedge_ratio=0.5
        ),
    }
    combined = [book]
    costs = {"unhedged": 0.0}
    for name, hedge in hedges.items():
        priced = hedge.with_entry_prices(ctx, "fill")
        costs[name] = priced.net_premium(ctx)
        combined.append(Strategy(name, (book, priced)))
    return combined, costs, (ctx, snapshot, note)


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table (or JSON); returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notional", type=float, default=1_000_000.0, help="book size in dollars")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    strategies, costs, (ctx, snapshot, note) = build(args.notional)
    stress = stress_scenarios()
    house = compare_strategies(strategies, ctx, HOUSE_VIEW)
    shocks = compare_strategies(strategies, ctx, list(stress))
    rows = []
    for s in strategies:
        rows.append(
            {
                "hedge": s.name,
                "cost": costs[s.name],
                **{k: v for k, v in house.pnl[s.name].items()},
                "weighted": house.weighted[s.name],
                **{k: v for k, v in shocks.pnl[s.name].items()},
            }
        )
    if args.json:
        print(json.dumps({"synthetic": snapshot.synthetic, "source": note, "rows": rows}, indent=2))
        return 0
    label = "SYNTHETIC demo data" if snapshot.synthetic else "market data"
    print(f"Hedging a ${args.notional:,.0f} IWM book at IWM {snapshot.spot:.2f} ({label}, {note})")
    cols = ["cost", *house.scenario_names, "weighted", *shocks.scenario_names]
    print(f"{'book + hedge':<18}" + "".join(f"{c:>13}" for c in cols))
    for row in rows:
        print(f"{row['hedge']:<18}" + "".join(f"{row[c]:>13,.0f}" for c in cols))
    print(
        "P&L in dollars of book + hedge over each scenario's horizon; cost = option premium paid (+)"
    )
    print("or received (-) at the fill, and for TZA the dollars invested in the fund.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
