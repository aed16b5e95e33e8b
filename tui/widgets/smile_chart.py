"""The smile of one expiry (bid / ask IV range, mid IV points, the SVI fit, the forward) and
the ATM vol term structure across expiries, with the arbitrage flags."""

from __future__ import annotations

import math
from datetime import date

from textual_plotext import PlotextPlot

from tui.state import Market


def smile_points(market: Market, expiry: date) -> dict[str, list[float]]:
    """Strikes and vols (vol points) of ``expiry``'s out-of-the-money quotes: ``mid`` (the
    quote's implied vol), ``bid``/``ask`` (first-order range: mid IV -+ half the spread over
    vega), ``fit`` (the SVI surface at the strike)."""
    assert market.analysis is not None
    frame = market.analysis.expiry_frame(expiry)
    out: dict[str, list[float]] = {"k": [], "mid": [], "bid": [], "ask": [], "fit_k": [], "fit": []}
    forward = float(frame["forward"].iloc[0]) if len(frame) else math.nan
    for rec in frame.sort_values("strike").to_dict("records"):
        otm = (rec["kind"] == "put") == (rec["strike"] <= forward)
        fit = rec.get("fit_iv")
        if otm and fit is not None and math.isfinite(fit):
            out["fit_k"].append(float(rec["strike"]))
            out["fit"].append(100.0 * float(fit))
        iv, vega = rec.get("iv"), rec.get("vega")
        if not otm or iv is None or not math.isfinite(iv):
            continue
        half = (rec["ask"] - rec["bid"]) / 2.0 if math.isfinite(rec["ask"] - rec["bid"]) else 0.0
        width = half / vega if vega and math.isfinite(vega) and vega > 0 else 0.0  # vol points
        out["k"].append(float(rec["strike"]))
        out["mid"].append(100.0 * float(iv))
        out["bid"].append(100.0 * float(iv) - width)
        out["ask"].append(100.0 * float(iv) + width)
    return out


def term_structure(market: Market) -> tuple[list[float], list[float]]:
    """(days to expiry, ATM vol in vol points) from the core's term structure
    (:func:`marketdata.chain_view.term_structure`)."""
    from marketdata.chain_view import term_structure as core_term_structure

    assert market.analysis is not None
    points = [p for p in core_term_structure(market.analysis) if p.atm_vol is not None]
    return [float(p.days) for p in points], [100.0 * float(p.atm_vol) for p in points]


def arbitrage_flags(market: Market, expiry: date) -> str:
    """The fit's butterfly / calendar arbitrage flags for ``expiry``."""
    assert market.analysis is not None
    fits = market.analysis.fits
    rows = fits.loc[fits["expiry"] == expiry]
    if not len(rows):
        return "no SVI fit for this expiry"
    r = rows.iloc[0]
    flags = []
    if bool(r["butterfly_arbitrage"]):
        flags.append("BUTTERFLY ARBITRAGE")
    if bool(r["calendar_arbitrage"]):
        flags.append("CALENDAR ARBITRAGE")
    status = ", ".join(flags) or "no arbitrage"
    return f"SVI fit rmse {float(r['rmse_vol_points']):.2f} vol pts; {status}"


class SmileChart(PlotextPlot):
    """IV (vol points) against strike for one expiry."""

    def show(self, market: Market, expiry: date) -> None:
        """Redraw for ``expiry``."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        p = smile_points(market, expiry)
        if p["fit_k"]:
            plt.plot(p["fit_k"], p["fit"], label="SVI fit", color="cyan", marker="braille")
        if p["k"]:
            plt.scatter(p["k"], p["bid"], label="bid IV", color="red", marker="-")
            plt.scatter(p["k"], p["ask"], label="ask IV", color="green", marker="-")
            plt.scatter(p["k"], p["mid"], label="mid IV", color="white", marker="●")
        fwd = market.analysis.forwards if market.analysis is not None else None
        if fwd is not None:
            rows = fwd.loc[fwd["expiry"] == expiry]
            if len(rows):
                plt.vline(float(rows.iloc[0]["forward"]), "yellow")
        plt.title(f"Smile {expiry:%Y-%m-%d} (yellow line: forward)")
        plt.xlabel(f"{market.symbol} strike ($)")
        plt.ylabel("IV (vol pts)")
        self.refresh()


class TermChart(PlotextPlot):
    """ATM vol (vol points) against days to expiry."""

    def show(self, market: Market) -> None:
        """Redraw."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        xs, ys = term_structure(market)
        if xs:
            plt.plot(xs, ys, color="cyan", marker="braille")
            plt.scatter(xs, ys, color="white", marker="●")
        plt.title("ATM vol term structure")
        plt.xlabel("days to expiry")
        plt.ylabel("ATM IV (vol pts)")
        self.refresh()
