"""Vehicle models: mass, reference area and aerodynamic coefficients.

A vehicle is described by its mass, its reference area and a *drag polar*: the drag
coefficient as a function of the lift coefficient, ``CD = c0 + c1*CL + c2*CL**2``, with the lift
coefficient bounded to ``[cl_min, cl_max]``.  Guidance commands a lift coefficient (that is, an
angle of attack) and a bank angle; the polar gives the drag.  ``cl_design`` is the lift
coefficient the vehicle flies at by default: the one of maximum lift-to-drag ratio.

Presets (openly published; notional):

* ``cav_h`` — Common Aero Vehicle, high L/D (CAV-H).  Mass 907.2 kg, reference area 0.4839 m².
  Aerodynamic fit used across the open literature, from T. H. Phillips, "A Common Aero Vehicle
  (CAV) Model, Description, and Employment Guide", Schafer Corp. for AFRL/AFSPC, 2003, as quoted
  by J. T. Jorris and R. G. Cobb, "Three-Dimensional Trajectory Optimization Satisfying Waypoint
  and No-Fly Zone Constraints", J. Guidance, Control, and Dynamics 32(2), 2009:
  ``CL = -0.041065 + 0.016292*alpha_deg + 0.0002602*alpha_deg**2`` and
  ``CD = 0.080505 - 0.03026*CL + 0.86495*CL**2``.
  The fit does not depend on Mach number: in the hypersonic regime the coefficients of a
  slender body are nearly Mach-independent (Oswatitsch's Mach-number independence principle,
  J. D. Anderson, *Hypersonic and High-Temperature Gas Dynamics*, 2nd ed., §4.9).  The API still
  takes Mach so that vehicles with Mach-dependent tables slot in.  Max L/D = 2.0 at
  CL = sqrt(c0/c2) = 0.305 (alpha ≈ 17.5°).
* ``htv2`` — an HTV-2-like glider as modelled by C. Acton, "Hypersonic Boost-Glide Weapons",
  Science & Global Security 23(3), 2015: mass 1,000 kg, ballistic coefficient
  β = m/(CD·S) = 13,000 kg/m², L/D = 2.6.  We take S = 0.5 m², so CD = 0.1538, CL = 0.4;
  the polar is the parabolic one with its maximum L/D at that point.
* ``hcm_generic`` — a notional air-breathing hypersonic cruise missile (order of magnitude of
  the X-51A Waverider's published cruiser: about 1,800 kg, 7.6 m long; NASA/AFRL fact sheets):
  1,500 kg, S = 1.5 m², parabolic polar ``CD = 0.04 + 0.5 CL²`` (max L/D 3.5 at CL = 0.28),
  CL ≤ 0.8.  Notional.
* ``rv_generic`` — a notional ballistic re-entry vehicle: 500 kg, 0.3 m², CD = 0.3, no lift.

A vehicle given as constant coefficients ``{mass_kg, reference_area_m2, cl, cd}`` flies exactly
those coefficients when guidance is off.  Under guidance its lift can be modulated along the
parabolic polar ``CD = cd/2 + (cd/2)(CL/cl)**2``, whose maximum L/D is the given (cl, cd).

Geometry (:class:`VehicleGeometry`, for the heat signature and nothing else: the flight is a
point mass).  A body of two segments along its axis, a front of ``front_length_m`` behind a
spherical nose cap and a rear up to ``length_m``:

* ``lifting_body`` — a delta planform of half-angle ``half_angle_deg`` over the front (then
  constant width), a top surface at ``top_angle_deg`` to the axis over the front and
  ``rear_angle_deg`` over the rear, a bottom at ``bottom_angle_deg`` (0: flat);
* ``cone`` — a cone of half-angle ``half_angle_deg`` over the front, then a frustum of
  half-angle ``rear_angle_deg`` (0: a cylinder).

Preset geometries:

* ``htv2`` — the HTV-2 geometry of the open analyses of C. L. Tracey and D. Wright, "Modeling
  the Performance of Hypersonic Boost-Glide Missiles", Science & Global Security 28(3), 2020
  (and their HYP-HT glide model): nose radius 0.034 m; front 2.9 m with a 22.3° planform
  half-angle and an 11.3° top angle; rear to 3.67 m at 7.6°; emissivity 0.85 (carbon-carbon).
  The flat bottom is our assumption (the analyses model the top only).
* ``cav_h`` — notional: the same geometry as ``htv2`` (HTV-2 was the flight demonstrator of the
  Common Aero Vehicle concept; no CAV-H geometry is published with its aerodynamic fit).
* ``hcm_generic`` — notional, X-51A-like: 7.6 m, a 2.5 m forebody of 8° half-angle and 6° top
  angle, then a constant section; nose radius 0.03 m; emissivity 0.85.
* ``rv_generic`` — notional re-entry vehicle: an 8° cone, nose radius 0.025 m, 2.2 m long
  (base area 0.3 m², the reference area), emissivity 0.85.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["GEOMETRY_PRESETS", "Vehicle", "VehicleGeometry", "VEHICLE_PRESETS",
           "constant_coefficient_vehicle", "vehicle_preset"]


@dataclass(frozen=True)
class VehicleGeometry:
    """The body's shape for the heat signature (module docstring). Lengths in m, angles in
    degrees (the geometry is read by people and given in degrees in the scenario).

    Attributes:
        shape: ``lifting_body`` (delta planform, top and bottom surfaces) or ``cone``.
        nose_radius_m: radius of the spherical nose cap (stagnation heating), m.
        length_m: overall length, m.
        front_length_m: length of the front segment (<= ``length_m``), m.
        half_angle_deg: planform half-angle of the front (lifting body) or cone half-angle.
        top_angle_deg: lifting body: the front top surface's angle to the axis (cone: unused).
        rear_angle_deg: lifting body: the rear top surface's angle; cone: the rear frustum's
            half-angle (0: cylinder).
        bottom_angle_deg: lifting body: the bottom surface's angle to the axis (0: flat).
        emissivity: gray-body emissivity of the surface, in (0, 1].
    """

    shape: Literal["lifting_body", "cone"]
    nose_radius_m: float
    length_m: float
    front_length_m: float
    half_angle_deg: float
    top_angle_deg: float = 0.0
    rear_angle_deg: float = 0.0
    bottom_angle_deg: float = 0.0
    emissivity: float = 0.85

    def __post_init__(self) -> None:
        checks = (
            ("shape", self.shape in ("lifting_body", "cone"), "'lifting_body' or 'cone'"),
            ("nose_radius_m", 0.0 < self.nose_radius_m < self.front_length_m,
             "> 0 and < front_length_m"),
            ("front_length_m", 0.0 < self.front_length_m <= self.length_m, "in (0, length_m]"),
            ("length_m", math.isfinite(self.length_m) and self.length_m <= 100.0,
             "finite, at most 100 m"),
            ("half_angle_deg", 0.0 < self.half_angle_deg < 60.0, "in (0, 60)"),
            ("top_angle_deg", 0.0 <= self.top_angle_deg < 60.0, "in [0, 60)"),
            ("rear_angle_deg", 0.0 <= self.rear_angle_deg < 60.0, "in [0, 60)"),
            ("bottom_angle_deg", 0.0 <= self.bottom_angle_deg < 60.0, "in [0, 60)"),
            ("emissivity", 0.0 < self.emissivity <= 1.0, "in (0, 1]"),
        )
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(f"VehicleGeometry.{name} = {getattr(self, name)!r}: must be "
                                 f"{allowed}")


_HTV2_GEOMETRY = VehicleGeometry("lifting_body", nose_radius_m=0.034, length_m=3.67,
                                 front_length_m=2.9, half_angle_deg=22.3, top_angle_deg=11.3,
                                 rear_angle_deg=7.6, bottom_angle_deg=0.0, emissivity=0.85)

GEOMETRY_PRESETS: dict[str, VehicleGeometry] = {
    "htv2": _HTV2_GEOMETRY,
    "cav_h": _HTV2_GEOMETRY,
    "hcm_generic": VehicleGeometry("lifting_body", nose_radius_m=0.03, length_m=7.6,
                                   front_length_m=2.5, half_angle_deg=8.0, top_angle_deg=6.0,
                                   rear_angle_deg=0.0, bottom_angle_deg=0.0, emissivity=0.85),
    "rv_generic": VehicleGeometry("cone", nose_radius_m=0.025, length_m=2.2, front_length_m=2.2,
                                  half_angle_deg=8.0, emissivity=0.85),
}
"""Geometry of each vehicle preset (module docstring); also selectable by name for an inline
vehicle (``geometry: htv2``)."""


@dataclass(frozen=True)
class Vehicle:
    """Point-mass aerodynamic vehicle with a quadratic drag polar.

    Attributes:
        name: preset name or "custom".
        mass_kg: mass (constant after boost).
        reference_area_m2: aerodynamic reference area S.
        c0, c1, c2: polar ``CD = c0 + c1*CL + c2*CL**2``.
        cl_min, cl_max: lift coefficient bounds (angle-of-attack limits).
        cl_design: lift coefficient flown by default (max L/D unless fixed coefficients).
        alpha_fit: optional (a0, a1, a2) of ``CL = a0 + a1*alpha_deg + a2*alpha_deg**2`` for
            reporting the angle of attack.
        geometry: the body's shape for the heat signature (:class:`VehicleGeometry`); None for
            a custom vehicle given without one.
    """

    name: str
    mass_kg: float
    reference_area_m2: float
    c0: float
    c1: float = 0.0
    c2: float = 0.0
    cl_min: float = 0.0
    cl_max: float = 0.0
    cl_design: float = 0.0
    alpha_fit: tuple[float, float, float] | None = None
    geometry: VehicleGeometry | None = field(default=None, compare=False)

    def cd(self, cl: np.ndarray | float, mach: np.ndarray | float = 0.0) -> np.ndarray:
        """Drag coefficient for lift coefficient ``cl`` (Mach accepted, unused by the fits)."""
        cl = np.asarray(cl, dtype=float)
        return self.c0 + self.c1 * cl + self.c2 * cl * cl

    @property
    def lift_to_drag_design(self) -> float:
        """L/D at the design lift coefficient."""
        return float(self.cl_design / self.cd(self.cl_design))

    @property
    def ballistic_coefficient_kgpm2(self) -> float:
        """β = m / (CD S) at the design point."""
        return float(self.mass_kg / (self.cd(self.cl_design) * self.reference_area_m2))

    def cl_from_alpha(self, alpha_deg: np.ndarray | float) -> np.ndarray:
        """Lift coefficient from the angle of attack (degrees), when the vehicle has a fit."""
        if self.alpha_fit is None:
            raise ValueError(f"vehicle {self.name!r} has no angle-of-attack fit")
        a0, a1, a2 = self.alpha_fit
        a = np.asarray(alpha_deg, dtype=float)
        return a0 + a1 * a + a2 * a * a

    def alpha_deg_from_cl(self, cl: np.ndarray | float) -> np.ndarray:
        """Angle of attack (degrees) giving ``cl`` (inverse of the fit; NaN without a fit)."""
        cl = np.asarray(cl, dtype=float)
        if self.alpha_fit is None:
            return np.full_like(cl, np.nan)
        a0, a1, a2 = self.alpha_fit
        if a2 == 0.0:
            return (cl - a0) / a1
        disc = np.maximum(a1 * a1 - 4.0 * a2 * (a0 - cl), 0.0)
        return (-a1 + np.sqrt(disc)) / (2.0 * a2)


def constant_coefficient_vehicle(
    mass_kg: float, reference_area_m2: float, cl: float, cd: float, name: str = "custom",
    geometry: VehicleGeometry | None = None,
) -> Vehicle:
    """Vehicle flying fixed (cl, cd) open loop; its guided polar is parabolic with max L/D there."""
    if cl > 0.0:
        c0, c2 = cd / 2.0, cd / (2.0 * cl * cl)
        return Vehicle(name, mass_kg, reference_area_m2, c0=c0, c2=c2,
                       cl_min=0.0, cl_max=2.0 * cl, cl_design=cl, geometry=geometry)
    return Vehicle(name, mass_kg, reference_area_m2, c0=cd, cl_min=0.0, cl_max=0.0, cl_design=0.0,
                   geometry=geometry)


def _cav_h() -> Vehicle:
    a = (-0.041065, 0.016292, 0.0002602)
    c0, c1, c2 = 0.080505, -0.03026, 0.86495
    cl_star = float(np.sqrt(c0 / c2))
    cl_max = a[0] + a[1] * 25.0 + a[2] * 25.0**2  # alpha <= 25 deg
    return Vehicle("cav_h", 907.2, 0.4839, c0, c1, c2, cl_min=a[0], cl_max=cl_max,
                   cl_design=cl_star, alpha_fit=a, geometry=GEOMETRY_PRESETS["cav_h"])


def _htv2() -> Vehicle:
    s, m, beta, ld = 0.5, 1000.0, 13000.0, 2.6
    cd = m / (beta * s)
    return constant_coefficient_vehicle(m, s, cl=ld * cd, cd=cd, name="htv2",
                                        geometry=GEOMETRY_PRESETS["htv2"])


VEHICLE_PRESETS: dict[str, Vehicle] = {
    "cav_h": _cav_h(),
    "htv2": _htv2(),
    "hcm_generic": Vehicle("hcm_generic", 1500.0, 1.5, c0=0.04, c2=0.5, cl_min=0.0, cl_max=0.8,
                           cl_design=float(np.sqrt(0.04 / 0.5)),
                           geometry=GEOMETRY_PRESETS["hcm_generic"]),
    "rv_generic": constant_coefficient_vehicle(500.0, 0.3, cl=0.0, cd=0.3, name="rv_generic",
                                               geometry=GEOMETRY_PRESETS["rv_generic"]),
}


def vehicle_preset(name: str) -> Vehicle:
    """Return the preset vehicle ``name`` or raise ``ValueError`` listing the presets."""
    try:
        return VEHICLE_PRESETS[name]
    except KeyError:
        raise ValueError(
            f"vehicle = {name!r}: unknown preset; allowed: {', '.join(VEHICLE_PRESETS)}"
        ) from None
