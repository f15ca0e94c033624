"""Many runs of a scenario: Monte Carlo draws of its randomness.

* :mod:`hdsim.campaign.nees`: tracker consistency, NEES over Monte Carlo runs of the sensors
  (``hdsim nees``).
"""

from hdsim.campaign.nees import NeesRuns, nees_runs, run_seeds

__all__ = ["NeesRuns", "nees_runs", "run_seeds"]
