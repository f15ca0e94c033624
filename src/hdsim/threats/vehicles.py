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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Vehicle", "VEHICLE_PRESETS", "vehicle_preset", "constant_coefficient_vehicle"]


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
    mass_kg: float, reference_area_m2: float, cl: float, cd: float, name: str = "custom"
) -> Vehicle:
    """Vehicle flying fixed (cl, cd) open loop; its guided polar is parabolic with max L/D there."""
    if cl > 0.0:
        c0, c2 = cd / 2.0, cd / (2.0 * cl * cl)
        return Vehicle(name, mass_kg, reference_area_m2, c0=c0, c2=c2,
                       cl_min=0.0, cl_max=2.0 * cl, cl_design=cl)
    return Vehicle(name, mass_kg, reference_area_m2, c0=cd, cl_min=0.0, cl_max=0.0, cl_design=0.0)


def _cav_h() -> Vehicle:
    a = (-0.041065, 0.016292, 0.0002602)
    c0, c1, c2 = 0.080505, -0.03026, 0.86495
    cl_star = float(np.sqrt(c0 / c2))
    cl_max = a[0] + a[1] * 25.0 + a[2] * 25.0**2  # alpha <= 25 deg
    return Vehicle("cav_h", 907.2, 0.4839, c0, c1, c2, cl_min=a[0], cl_max=cl_max,
                   cl_design=cl_star, alpha_fit=a)


def _htv2() -> Vehicle:
    s, m, beta, ld = 0.5, 1000.0, 13000.0, 2.6
    cd = m / (beta * s)
    return constant_coefficient_vehicle(m, s, cl=ld * cd, cd=cd, name="htv2")


VEHICLE_PRESETS: dict[str, Vehicle] = {
    "cav_h": _cav_h(),
    "htv2": _htv2(),
    "hcm_generic": Vehicle("hcm_generic", 1500.0, 1.5, c0=0.04, c2=0.5, cl_min=0.0, cl_max=0.8,
                           cl_design=float(np.sqrt(0.04 / 0.5))),
    "rv_generic": constant_coefficient_vehicle(500.0, 0.3, cl=0.0, cd=0.3, name="rv_generic"),
}


def vehicle_preset(name: str) -> Vehicle:
    """Return the preset vehicle ``name`` or raise ``ValueError`` listing the presets."""
    try:
        return VEHICLE_PRESETS[name]
    except KeyError:
        raise ValueError(
            f"vehicle = {name!r}: unknown preset; allowed: {', '.join(VEHICLE_PRESETS)}"
        ) from None
