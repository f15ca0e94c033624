"""The ``campaign:`` section: Monte Carlo draws and sweeps of a scenario (``hdsim campaign``).

``vary:`` maps dotted scenario paths with ids (``threats.hgv-1.burnout.speed_mps``, the paths of
``--set``) to one distribution each:

* ``{normal: {mean: 5200, sd: 150}}``: a Gaussian draw per run;
* ``{uniform: {low: 2000, high: 2600}}``: uniform on ``[low, high)``;
* ``{choice: [a, b, c]}``: one of the values per run, equally likely;
* ``{list: [a, b, c]}``: a sweep: every value is a grid point; several lists form the grid of
  all their combinations, and each grid point gets ``runs`` draws.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from hdsim.config_base import ConfigModel

__all__ = ["CampaignSection", "Normal", "Uniform", "VarySpec"]


class Normal(ConfigModel):
    """A Gaussian: mean and standard deviation (sd ≥ 0), in the field's unit."""

    mean: float
    sd: float = Field(ge=0.0)


class Uniform(ConfigModel):
    """Uniform on ``[low, high)``, in the field's unit."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.high > self.low:
            raise ValueError(f"high = {self.high:g} must be greater than low = {self.low:g}")
        return self


class VarySpec(ConfigModel):
    """One varied field: exactly one of ``normal``, ``uniform``, ``choice``, ``list``."""

    normal: Normal | None = None
    uniform: Uniform | None = None
    choice: tuple[Any, ...] | None = Field(None, min_length=1)
    list: tuple[Any, ...] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> VarySpec:
        given = [k for k in ("normal", "uniform", "choice", "list") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of normal, uniform, choice, list (got "
                             f"{', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        """``normal``, ``uniform``, ``choice`` or ``list``."""
        return next(k for k in ("normal", "uniform", "choice", "list")
                    if getattr(self, k) is not None)


class CampaignSection(ConfigModel):
    """Settings of ``hdsim campaign`` (``hdsim run`` ignores them)."""

    runs: int = Field(100, ge=1, description="Draws per grid point. Default 100.")
    seed: int | None = Field(
        None, ge=0, description="Seed of the campaign (every draw's seed and varied values "
        "derive from it). Default: the scenario's seed.")
    vary: dict[str, VarySpec] = Field(
        default_factory=dict, description="Dotted scenario path -> distribution (see above).")
    batch: int = Field(
        1, ge=1, description="Draws per task sent to a worker (raise it when a draw takes "
        "well under a second). Default 1.")
    workers: int | None = Field(
        None, ge=1, description="Worker processes of the local cluster. Default: the CPUs.")
