"""hdsim: a layered defense against hypersonic threats, end to end.

The public API::

    import hdsim
    res = hdsim.run("scenarios/hgv_defense.yaml", seed=1)
    print(res)                       # <Results 'hgv-vs-railgun': 0 of 1 threats killed, ...>
    camp = hdsim.campaign("scenarios/campaigns/railgun_sweep.yaml", out="out/sweep", workers=2)
    camp.summary["grid"], camp.sql("select * from threat_outcomes")

``hdsim.load_scenario``, ``hdsim.run``, ``hdsim.load_results`` and ``hdsim.Results`` are
defined in :mod:`hdsim.api`, ``hdsim.campaign(...)`` in :mod:`hdsim.campaign.runner`; the
packages below are the components (``hdsim.earth``,
``hdsim.threats``, ``hdsim.space``, ``hdsim.sensors``, ``hdsim.tracking``,
``hdsim.engagement``, ``hdsim.metrics``).
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

try:
    __version__ = _dist_version("hdsim")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["Results", "ScenarioError", "__version__", "campaign", "load_results",
           "load_scenario", "run"]

_API = {"Results": "hdsim.api", "load_results": "hdsim.api", "load_scenario": "hdsim.api",
        "run": "hdsim.api", "ScenarioError": "hdsim.scenario.loading"}


def __getattr__(name: str):
    """The API names, imported on first use, so that ``import hdsim.earth`` stays light."""
    if name == "campaign":  # the subpackage, callable (see hdsim.campaign)
        import importlib

        return importlib.import_module("hdsim.campaign")
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hdsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API) | {"campaign"})
