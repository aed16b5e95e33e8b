"""Test-suite configuration: hypothesis profiles and offline guarantees.

Profiles: ``ci`` (the default, and what ``make test`` runs everywhere: 200 examples a property,
derandomised and without the example database, so every run on every machine tests the same
inputs), ``dev`` (200 random examples, ``make test-random``), ``deep`` (2,000 random examples,
``make test-deep``). A failure found by a random profile is fixed and pinned with ``@example``.
The network is blocked for every test by pytest-socket (see pyproject addopts). The chain-analysis
cache (``HEDGE_CACHE``) lives in a temporary folder for the session.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

# The chain-analysis disk cache goes to a temporary folder for the whole session (subprocesses
# inherit it), never to the user's data folder.
_CACHE_DIR = tempfile.mkdtemp(prefix="hedge-analysis-cache-")
os.environ["HEDGE_CACHE"] = _CACHE_DIR
atexit.register(shutil.rmtree, _CACHE_DIR, True)
# The suite reads the bundled underlyings table only, never the user's config-folder file.
os.environ["HEDGE_UNDERLYINGS"] = "off"

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile(
    "ci", max_examples=200, derandomize=True, database=None, print_blob=True, **_common
)
settings.register_profile("dev", max_examples=200, **_common)
settings.register_profile("deep", max_examples=2000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
