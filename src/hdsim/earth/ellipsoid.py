"""Reference ellipsoids and the Earth model switchboard.

``Ellipsoid`` is an oblate ellipsoid of revolution (semi-major axis ``a_m``, flattening ``f``).
``EarthModel`` bundles the choices a scenario makes about the Earth (shape, rotation, J2,
atmosphere) into the numbers the physics functions take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hdsim.earth.constants import (
    J2,
    MU_M3PS2,
    OMEGA_EARTH_RADPS,
    SPHERE_RADIUS_M,
    WGS84_A_M,
    WGS84_F,
)


@dataclass(frozen=True)
class Ellipsoid:
    """Oblate ellipsoid of revolution about the z axis.

    Attributes:
        a_m: semi-major (equatorial) axis, m.
        f: flattening ``(a - b) / a``, dimensionless; 0 for a sphere.
    """

    a_m: float
    f: float

    def __post_init__(self) -> None:
        if not self.a_m > 0.0:
            raise ValueError(f"Ellipsoid.a_m = {self.a_m!r}: must be > 0 (metres)")
        if not 0.0 <= self.f < 1.0:
            raise ValueError(f"Ellipsoid.f = {self.f!r}: must be in [0, 1)")

    @property
    def b_m(self) -> float:
        """Semi-minor (polar) axis, m."""
        return self.a_m * (1.0 - self.f)

    @property
    def e2(self) -> float:
        """First eccentricity squared ``f (2 - f)``, dimensionless."""
        return self.f * (2.0 - self.f)


WGS84 = Ellipsoid(a_m=WGS84_A_M, f=WGS84_F)
"""WGS-84 ellipsoid (NIMA TR8350.2)."""

SPHERE = Ellipsoid(a_m=SPHERE_RADIUS_M, f=0.0)
"""Spherical Earth of radius 6,371,000 m; geodetic latitude equals geocentric latitude."""

Shape = Literal["wgs84", "sphere"]


@dataclass(frozen=True, init=False)
class EarthModel:
    """The Earth a scenario runs on.

    Constructed as ``EarthModel(shape="wgs84", rotation=True, j2=True, atmosphere=True)``.
    The ``j2`` argument is a switch; the ``.j2`` attribute is the J2 *coefficient* the gravity
    function takes (0 when off), and the switch is kept as ``.j2_enabled``.

    Attributes:
        shape: ``"wgs84"`` or ``"sphere"`` (radius 6,371,000 m).
        rotation: whether the Earth rotates at ``OMEGA_EARTH_RADPS``.
        j2_enabled: whether gravity includes the J2 zonal term.
        atmosphere: whether the atmosphere exists (False: vacuum).
    """

    shape: Shape
    rotation: bool
    j2_enabled: bool
    atmosphere: bool

    def __init__(
        self,
        shape: Shape = "wgs84",
        rotation: bool = True,
        j2: bool = True,
        atmosphere: bool = True,
    ) -> None:
        if shape not in ("wgs84", "sphere"):
            raise ValueError(f"earth.shape = {shape!r}: allowed values are 'wgs84', 'sphere'")
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "rotation", bool(rotation))
        object.__setattr__(self, "j2_enabled", bool(j2))
        object.__setattr__(self, "atmosphere", bool(atmosphere))

    @classmethod
    def textbook(cls) -> EarthModel:
        """Sphere, no rotation, no J2, no atmosphere (for textbook comparisons)."""
        return cls(shape="sphere", rotation=False, j2=False, atmosphere=False)

    @property
    def ellipsoid(self) -> Ellipsoid:
        """The reference ellipsoid of this model (``WGS84`` or ``SPHERE``)."""
        return WGS84 if self.shape == "wgs84" else SPHERE

    @property
    def omega_radps(self) -> float:
        """Earth rotation rate, rad/s (0 when not rotating)."""
        return OMEGA_EARTH_RADPS if self.rotation else 0.0

    @property
    def j2(self) -> float:
        """J2 coefficient for ``gravity_ecef`` (0 when J2 is off)."""
        return J2 if self.j2_enabled else 0.0

    @property
    def mu(self) -> float:
        """Gravitational parameter GM, m^3/s^2."""
        return MU_M3PS2

    @property
    def r_eq_m(self) -> float:
        """Equatorial radius used as the J2 reference radius, m."""
        return self.ellipsoid.a_m
