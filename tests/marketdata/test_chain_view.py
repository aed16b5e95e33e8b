"""The chain view of :mod:`marketdata.chain_view` on the bundled SYNTHETIC demo: rows of calls |
strike | puts, the ATM strike at the forward, and a JSON document that its schema accepts."""

from __future__ import annotations

from datetime import date

from marketdata.analysis import analyze_chain_cached
from marketdata.chain_schema import ChainDocument
from marketdata.chain_view import chain_document, chain_view, default_expiry, term_structure
from marketdata.sources.demo import load_demo


def test_view_rows_match_the_chain_and_atm_is_nearest_the_forward() -> None:
    snapshot = load_demo("IWM")
    analysis = analyze_chain_cached(snapshot)
    expiry = default_expiry(snapshot.chain.expiries, snapshot.as_of.date())
    assert expiry == date(2026, 12, 18)
    view = chain_view(analysis, expiry, "demo")
    frame = analysis.expiry_frame(expiry)
    strikes = [row.strike for row in view.rows]
    assert strikes == sorted(set(frame["strike"].astype(float)))
    assert sum(r.call is not None for r in view.rows) == int(
        (frame["kind"].str.lower() == "call").sum()
    )
    assert view.forward is not None and view.atm_strike is not None
    assert all(abs(view.atm_strike - view.forward) <= abs(k - view.forward) for k in strikes)
    assert view.synthetic and view.spot == snapshot.spot
    quoted = [r.call for r in view.rows if r.call is not None and r.call.iv is not None]
    assert quoted and all(
        c.bid is not None and c.ask is not None and c.bid <= c.ask for c in quoted
    )
    assert all(c.open_interest is None or c.open_interest >= 0 for c in quoted)


def test_document_validates_and_term_structure_is_increasing() -> None:
    analysis = analyze_chain_cached(load_demo("RUT"))
    doc = chain_document(analysis, "demo", date(2026, 12, 18))
    ChainDocument.model_validate(doc)
    assert [e["expiry"] for e in doc["expiries"]] == ["2026-12-18"]
    points = term_structure(analysis)
    assert points and all(p.days >= 6.5 for p in points)
    assert [p.t_years for p in points] == sorted(p.t_years for p in points)
    assert all(0.05 < p.atm_vol < 1.0 for p in points)
