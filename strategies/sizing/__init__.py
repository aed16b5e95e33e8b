"""Hedge sizing: how many of which structure cover a small-cap book, and at what cost.

- :mod:`strategies.sizing.book` — the book (value and beta, or holdings with estimated betas);
- :mod:`strategies.sizing.rules` — the sizing rules and the integer solvers;
- :mod:`strategies.sizing.search` — the search over the chain, :func:`size_hedge` (the one call
  the ``hedge size`` verb and the app's sizing screen make);
- :mod:`strategies.sizing.market` — loading the market a search needs from a source;
- :mod:`strategies.sizing.paths` — the TZA hedge against a put spread of equal cost on paths;
- :mod:`strategies.sizing.report` — the result as a JSON-ready document, CSV rows, a position file.
"""
