"""Size an IWM put spread so that it offsets a chosen share of a book's loss in a drawdown.

    .venv/bin/python examples/size_put_spread.py [--notional 1000000] [--beta 1.0]
        [--drawdown 0.10] [--coverage 0.5] [--dte 60] [--otm 5,11] [--json]

Method: the book (``notional`` dollars with ``beta`` to IWM) loses ``notional x beta x drawdown``
when IWM falls by ``drawdown`` over 30 days, with implied vols up by the house spot-vol beta
(-0.8 vol points per +1 %). One put spread (long ``otm[0]`` %, short ``otm[1]`` % out of the
money, ~``dte`` days, entered at the fill price) is repriced in that scenario; the hedge is the
number of spreads whose scenario P&L covers ``coverage`` of the book's loss. The script prints
that size and its neighbours with their cost, the P&L of book + hedge in the drawdown and in the
house view, and the hedge's maximum payoff at expiry. Demo data are SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples._demo import demo_context
from strategies.legs import Leg, Shares
from strategies.payoff import max_profit_loss
from strategies.scenarios import HOUSE_VIEW, run_scenarios, spot_shock
from strategies.strategy import Strategy
from strategies.templates import TEMPLATES, PctOTM


def size(
    *,
    notional: float,
    beta: float,
    drawdown: float,
    coverage: float,
    dte: int,
    otm: tuple[float, float],
) -> dict[str, object]:
    """The sizing (see the module docstring) as a JSON-ready dict."""
    ctx, snapshot, note = demo_context("IWM")
    spread = TEMPLATES["put-spread"](
        ctx,
        chain=snapshot.chain,
        quantity=1,
        dte=dte,
        long_strike=PctOTM(otm[0] / 100.0),
        short_strike=PctOTM(otm[1] / 100.0),
    ).with_entry_prices(ctx, "fill")
    shock = spot_shock("drawdown", -drawdown, horizon_days=30.0)
    per_spread = run_scenarios(spread, ctx, [shock]).results[0].pnl
    book_loss = notional * beta * drawdown
    if per_spread <= 0.0:
        raise SystemExit(
            f"one spread loses {per_spread:,.0f} in the drawdown: widen or move the strikes"
        )
    target = max(1, math.ceil(coverage * book_loss / per_spread))
    # The book as IWM shares with the same beta-adjusted exposure.
    shares = round(notional * beta / snapshot.spot)
    book = Strategy("book", (Leg(Shares("IWM"), shares, snapshot.spot, "book"),))
    rows = []
    for n in sorted({max(1, target // 2), target, math.ceil(target * 1.5)}):
        hedge = spread.scaled(n)
        combined = Strategy(f"book + {n} spreads", (book, hedge))
        in_drawdown = run_scenarios(combined, ctx, [shock]).results[0].pnl
        house = run_scenarios(combined, ctx, HOUSE_VIEW)
        rows.append(
            {
                "spreads": n,
                "cost": hedge.net_premium(ctx),
                "hedge_pnl_drawdown": n * per_spread,
                "book_plus_hedge_drawdown": in_drawdown,
                "weighted_house_pnl": house.weighted_pnl,
                "max_payoff_at_expiry": max_profit_loss(hedge, ctx=ctx).max_profit,
            }
        )
    legs = [leg for leg in spread.iter_legs()]
    return {
        "synthetic": snapshot.synthetic,
        "note": note,
        "spot": snapshot.spot,
        "spread": spread.name,
        "strikes": [leg.strike for leg in legs],
        "expiry": legs[0].expiry.isoformat() if legs[0].expiry else None,
        "book_loss_drawdown": -book_loss,
        "per_spread_pnl_drawdown": per_spread,
        "target_spreads": target,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the sizing table (or JSON); returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notional", type=float, default=1_000_000.0)
    parser.add_argument("--beta", type=float, default=1.0, help="book beta to IWM")
    parser.add_argument("--drawdown", type=float, default=0.10, help="IWM fall, decimal")
    parser.add_argument("--coverage", type=float, default=0.5, help="share of the loss to offset")
    parser.add_argument("--dte", type=int, default=60)
    parser.add_argument("--otm", default="5,11", help="long,short percent out of the money")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    lo, hi = (float(x) for x in args.otm.split(","))
    out = size(
        notional=args.notional,
        beta=args.beta,
        drawdown=args.drawdown,
        coverage=args.coverage,
        dte=args.dte,
        otm=(lo, hi),
    )
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    label = "SYNTHETIC demo data" if out["synthetic"] else "market data"
    print(
        f"{out['spread']} expiring {out['expiry']} (IWM {out['spot']:.2f}, {label}, {out['note']})"
    )
    print(
        f"book loss in a {args.drawdown:.0%} drawdown: {out['book_loss_drawdown']:,.0f}; "
        f"one spread makes {out['per_spread_pnl_drawdown']:,.0f}; "
        f"{args.coverage:.0%} coverage -> {out['target_spreads']} spreads"
    )
    cols = [
        "spreads",
        "cost",
        "hedge_pnl_drawdown",
        "book_plus_hedge_drawdown",
        "weighted_house_pnl",
        "max_payoff_at_expiry",
    ]
    print("".join(f"{c:>26}" for c in cols))
    for row in out["rows"]:  # type: ignore[attr-defined]
        print("".join(f"{row[c]:>26,.0f}" for c in cols))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
