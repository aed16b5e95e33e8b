"""Hedge sizing: how many of which structure cover a small-cap book, and at what cost.

- :mod:`strategies.sizing.book` — the book (value and beta, or holdings with estimated betas);
- :mod:`strategies.sizing.rules` — the sizing rules and the integer solvers;
- :mod:`strategies.sizing.search` — the search over the chain, :func:`size_hedge`;
- :mod:`strategies.sizing.market` — loading the market a search needs from a source;
- :mod:`strategies.sizing.report` — the result as a JSON-ready document and as rows.
"""
