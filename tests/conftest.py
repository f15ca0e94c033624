"""Test-suite settings.

Hypothesis: no per-example deadline (the suite runs on a loaded 2-core CI machine, and a slow
example is not a failure) and derandomized examples, so that a CI run is reproducible.
"""

from hypothesis import settings

settings.register_profile("hdsim", deadline=None, derandomize=True, database=None)
settings.load_profile("hdsim")


def pytest_configure(config):
    """The suite's disk cache (fly-out tables) lives in a fresh temporary folder, never in the
    user's cache: each run builds what it needs from scratch."""
    import os
    import tempfile

    os.environ.setdefault("HDSIM_CACHE_DIR", tempfile.mkdtemp(prefix="hdsim-test-cache-"))
