"""Kill assessment: probability of kill from the miss distance, and the random kill draw.

Two single-shot kill models (fly-out miss distance → probability of kill, Pk):

* *lethal radius* (cookie cutter): ``Pk = pk_max`` when ``miss ≤ R_L``, 0 beyond.
* *Gaussian* (smooth lethality): ``Pk = pk_max · exp(−miss² / (2 σ_k²))``.

For a circular normal miss vector in the encounter plane with standard deviation ``σ_m`` per
axis (Rayleigh miss distance) the expected single-shot Pk has closed forms, used by the tests:
``pk_max (1 − exp(−R_L²/(2σ_m²)))`` for the lethal radius and ``pk_max σ_k²/(σ_k² + σ_m²)`` for
the Gaussian model (elementary integrals of the Pk curve over the Rayleigh density
``m/σ_m² exp(−m²/(2σ_m²))``).  A missing miss (NaN: no closest approach) has Pk 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["KillModel", "draw_kills", "pk_gaussian", "pk_lethal_radius"]


def pk_lethal_radius(miss_m: ArrayLike, lethal_radius_m: ArrayLike, pk_max: ArrayLike = 1.0
                     ) -> NDArray:
    """Cookie-cutter Pk: ``pk_max`` within the lethal radius (inclusive), else 0 (NaN miss: 0)."""
    miss = np.asarray(miss_m, float)
    inside = np.nan_to_num(miss, nan=np.inf) <= np.asarray(lethal_radius_m, float)
    return np.where(inside, np.asarray(pk_max, float), 0.0)


def pk_gaussian(miss_m: ArrayLike, pk_max: ArrayLike, sigma_m: ArrayLike) -> NDArray:
    """Gaussian Pk ``pk_max · exp(−miss²/(2σ²))`` (NaN miss: 0)."""
    miss = np.nan_to_num(np.asarray(miss_m, float), nan=np.inf)
    sigma = np.asarray(sigma_m, float)
    return np.asarray(pk_max, float) * np.exp(-0.5 * (miss / sigma) ** 2)


def draw_kills(pk: ArrayLike, rng: np.random.Generator) -> NDArray[np.bool_]:
    """Bernoulli kill draws, one per element of ``pk`` (``True`` = killed)."""
    pk = np.asarray(pk, float)
    return rng.random(pk.shape) < pk


@dataclass(frozen=True)
class KillModel:
    """A single-shot kill model.

    Attributes:
        kind: ``"lethal_radius"`` (cookie cutter) or ``"gaussian"``.
        lethal_radius_m: radius of the cookie cutter, m (``lethal_radius`` only).
        sigma_m: width σ_k of the Gaussian Pk curve, m (``gaussian`` only).
        pk_max: Pk at zero miss, in [0, 1].
    """

    kind: Literal["lethal_radius", "gaussian"] = "lethal_radius"
    lethal_radius_m: float = 1.0
    sigma_m: float = 1.0
    pk_max: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("lethal_radius", "gaussian"):
            raise ValueError(f"KillModel.kind = {self.kind!r}: allowed values are "
                             "'lethal_radius', 'gaussian'")
        if not 0.0 <= self.pk_max <= 1.0:
            raise ValueError(f"KillModel.pk_max = {self.pk_max!r}: must be in [0, 1]")
        if not self.lethal_radius_m >= 0.0:
            raise ValueError(f"KillModel.lethal_radius_m = {self.lethal_radius_m!r}: "
                             "must be >= 0")
        if not self.sigma_m > 0.0:
            raise ValueError(f"KillModel.sigma_m = {self.sigma_m!r}: must be > 0")

    def pk(self, miss_m: ArrayLike) -> NDArray:
        """Single-shot probability of kill at miss distances ``miss_m`` (m)."""
        if self.kind == "lethal_radius":
            return pk_lethal_radius(miss_m, self.lethal_radius_m, self.pk_max)
        return pk_gaussian(miss_m, self.pk_max, self.sigma_m)

    def draw(self, miss_m: ArrayLike, rng: np.random.Generator) -> NDArray[np.bool_]:
        """Random kill outcomes at miss distances ``miss_m``."""
        return draw_kills(self.pk(miss_m), rng)
