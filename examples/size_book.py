"""Size hedges of a $2,000,000 small-cap book (beta 1.25 to IWM) on the bundled demo data.

    .venv/bin/python examples/size_book.py

The same search as ``hedge size --book-value 2000000 --beta 1.25 --protect 5%..15% --cover 80%
--horizon 60d --budget 1.5% --structures put,put-spread,rut-put-spread,collar,tza --source demo``.
Demo data are SYNTHETIC: the numbers show the method, not today's market.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pricing.types import NEW_YORK
from strategies.sizing.book import Book
from strategies.sizing.market import load_sizing_market
from strategies.sizing.search import SizingRequest, size_hedge

book = Book(2_000_000, 1.25, "IWM")
request = SizingRequest(
    band=(0.05, 0.15),
    cover=0.80,
    horizon_days=60,
    budget=0.015 * book.value,
    structures=("put", "put-spread", "rut-put-spread", "collar", "tza"),
)
market = load_sizing_market(
    request.structures, source="demo", now=datetime(2026, 11, 21, tzinfo=NEW_YORK)
)
result = size_hedge(market, book, request)

print(f"{result.candidates_priced:,} candidates in {result.seconds:.1f} s (SYNTHETIC demo data)")
for c in result.ranked[:5]:
    print(f"{c.name:<60} cost {c.cost:>10,.0f}  covers {c.min_covered:>4.0%} of the loss at worst")
for structure, c in result.best_by_structure.items():
    print(f"best {structure:<15} {c.name if c else '-'}")
