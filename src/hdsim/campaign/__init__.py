"""Many runs of a scenario: Monte Carlo campaigns and sweeps, and tracker consistency.

* :mod:`hdsim.campaign.plan`: the draws of a ``campaign:`` section (seeds, varied values,
  grid), checked before anything runs;
* :mod:`hdsim.campaign.runner`: running them on Dask (local by default), the campaign folder,
  its DuckDB catalog, resume;
* :mod:`hdsim.campaign.summary`: Pk, P(no leaker) and the rest with Wilson intervals;
* :mod:`hdsim.campaign.nees`: tracker consistency, NEES over Monte Carlo runs of the sensors
  (``hdsim nees``);
* :mod:`hdsim.campaign.trade`: architecture trade studies (``hdsim trade``): NSGA-II over
  design variables, each candidate a campaign (``run_trade``, ``load_trade``).

The package itself is callable: ``hdsim.campaign("sweep.yaml", out="out/sweep", workers=2)``
is :func:`hdsim.campaign.runner.run_campaign` and returns a
:class:`~hdsim.campaign.runner.Campaign` (summary tables, ``.sql(...)`` on the catalog).
"""

import sys
import types

from hdsim.campaign.nees import NeesRuns, nees_runs, run_seeds

__all__ = ["Campaign", "NeesRuns", "load_trade", "nees_runs", "open_campaign", "run_campaign",
           "run_seeds", "run_trade"]

_LAZY = {"Campaign", "open_campaign", "run_campaign", "load_campaign"}
_LAZY_TRADE = {"run_trade", "load_trade"}


def __getattr__(name: str):
    if name in _LAZY:
        from hdsim.campaign import runner

        return getattr(runner, name)
    if name in _LAZY_TRADE:
        from hdsim.campaign import trade

        return getattr(trade, name)
    raise AttributeError(f"module 'hdsim.campaign' has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """``hdsim.campaign(...)`` runs a campaign (the module stays a module)."""

    def __call__(self, source, out, **kwargs):
        from hdsim.campaign.runner import run_campaign

        return run_campaign(source, out, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
