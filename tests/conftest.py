"""Test-suite configuration: hypothesis profiles and offline guarantees.

Profiles: ``ci`` (200 examples a property, derandomised so CI never flakes), ``dev`` (default
locally, 200 examples, random), ``deep`` (2,000 examples, for `make test-deep`).
The network is blocked for every test by pytest-socket (see pyproject addopts).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=200, derandomize=True, print_blob=True, **_common)
settings.register_profile("dev", max_examples=200, **_common)
settings.register_profile("deep", max_examples=2000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
