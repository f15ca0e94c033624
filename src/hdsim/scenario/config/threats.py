"""``threats:``: the scenario models of the threats.

Four types, told apart by ``type``: ``ballistic``, ``boost_glide``, ``cruise``,
``fractional_orbital``.  Degrees at the
edge; :func:`hdsim.scenario.build.threat_spec` wires each into a
:class:`hdsim.threats.ThreatSpec` (radians). Reach is checked when the scenario loads, before
anything runs (:func:`hdsim.scenario.build.reach_problems`): a ballistic aim mode that the
closed-form vacuum reach rules out, or a guided glider beyond its equilibrium-glide range, is an
error naming the threat's ``target``; a fractional-orbital threat is planned there too
(:func:`hdsim.threats.orbital.plan_fractional_orbital`), its problems naming ``target``,
``approach`` or ``deorbit.glide_range_m``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from hdsim.config_base import ConfigModel, located_error
from hdsim.scenario.config.geo import LaunchPoint, TargetPoint, fmt_num, within
from hdsim.threats import VEHICLE_PRESETS, Vehicle, constant_coefficient_vehicle
from hdsim.threats.orbital import (
    APPROACHES,
    DEFAULT_DEORBIT_PERIGEE_M,
    MIN_ORBIT_PERIGEE_M,
    drag_decay_per_rev_m,
)
from hdsim.threats.vehicles import GEOMETRY_PRESETS

__all__ = [
    "MAX_BURNOUT_SPEED_MPS",
    "POLE_MARGIN_DEG",
    "GeometryConfig",
    "VehicleConfig",
    "BallisticBurnout",
    "GlideBurnout",
    "GlideConfig",
    "CruiseConfig",
    "BallisticThreat",
    "BoostGlideThreat",
    "CruiseThreat",
    "DeorbitConfig",
    "FractionalOrbitalThreat",
    "OrbitConfig",
    "ThreatConfig",
]


MAX_BURNOUT_SPEED_MPS = 11_000.0
"""Burnout speeds must be below this, m/s: the Earth's escape speed is about 11.2 km/s at the
surface, and a threat in this tool is suborbital (or at most orbital), never escaping."""

POLE_MARGIN_DEG = 0.01
"""A launch point with a flown boost (or a crossrange waypoint) must be at least this far from a
pole, degrees (about 1.1 km): the heading along which the boost, or the track to the waypoint, is
laid out from the launch point is undefined at a pole."""

_SUBORBITAL = "below the Earth's escape speed (~11.2 km/s): a threat is suborbital"
_BURNOUT_SPEED = within(0.0, MAX_BURNOUT_SPEED_MPS, _SUBORBITAL, low_open=True, high_open=True,
                        unit=" m/s")


class GeometryConfig(ConfigModel):
    """The body's shape for the heat signature (``hdsim.threats.VehicleGeometry``): a front
    segment behind a spherical nose cap, then a rear segment up to ``length_m``. Lengths in m,
    angles in degrees."""

    shape: Literal["lifting_body", "cone"] = Field(
        description="'lifting_body' (delta planform over the front, then constant width; top "
                    "and bottom surfaces) or 'cone' (a cone, then a frustum or cylinder).")
    nose_radius_m: Annotated[float, within(
        1.0e-4, 2.0, "from a sharp 0.1 mm tip to a 2 m blunt capsule", unit=" m")] = Field(
        description="Nose radius, m, in [1e-4, 2]; less than front_length_m.")
    length_m: Annotated[float, within(
        0.05, 100.0, "from a 5 cm projectile to a 100 m vehicle", unit=" m")] = Field(
        description="Overall length, m, in [0.05, 100].")
    front_length_m: float | None = Field(
        None, gt=0.0, description="Length of the front segment, m, at most length_m. Default: "
                                  "length_m (one segment).")
    half_angle_deg: float = Field(
        gt=0.0, lt=60.0, description="Planform half-angle of the front (lifting body) or cone "
                                     "half-angle, deg, in (0, 60).")
    top_angle_deg: float = Field(
        0.0, ge=0.0, lt=60.0, description="Lifting body: the front top surface's angle to the "
                                          "axis, deg, in [0, 60). Default 0.")
    rear_angle_deg: float = Field(
        0.0, ge=0.0, lt=60.0, description="Rear top surface angle (lifting body) or rear "
                                          "half-angle (cone; 0: cylinder), deg. Default 0.")
    bottom_angle_deg: float = Field(
        0.0, ge=0.0, lt=60.0, description="Lifting body: the bottom surface's angle to the "
                                          "axis, deg (0: flat). Default 0.")
    emissivity: float = Field(0.85, gt=0.0, le=1.0,
                              description="Gray-body emissivity, in (0, 1]. Default 0.85.")

    def length_problem(self) -> tuple[str, float, str] | None:
        """``(field, value, message)`` when the segment lengths disagree, else None (checked by
        the vehicle holding this geometry, so that the error names the field exactly)."""
        front = self.length_m if self.front_length_m is None else self.front_length_m
        if front > self.length_m:
            return ("front_length_m", front, f"must be at most length_m ({self.length_m:g} m)")
        if self.nose_radius_m >= front:
            return ("nose_radius_m", self.nose_radius_m,
                    f"must be less than the front segment ({front:g} m)")
        return None


GeometryField = Annotated[
    str | GeometryConfig | None,
    Field(description=f"The body's geometry for the heat signature: a preset name "
                      f"({', '.join(GEOMETRY_PRESETS)}) or explicit fields. Default: the "
                      "geometry of the threat type's default vehicle."),
]


class VehicleConfig(ConfigModel):
    """A vehicle with constant aerodynamic coefficients (see ``hdsim.threats.vehicles``).

    The ranges are wide but physical, so that the flight stays finite: from a 1 kg projectile to
    1,000 t (the vehicle after burnout; a whole Saturn V at lift-off was ~2,900 t); from 1 cm² to
    100 m² of reference area; CD up to 10 (a flat plate is ~1.2-2, a capsule ~1.5) and CL up to 5
    (above the best high-lift wing, ~3-4).
    """

    mass_kg: Annotated[float, within(
        1.0, 1.0e6, "from a 1 kg projectile to a 1,000 t vehicle", unit=" kg")] = Field(
        gt=0.0, description="Mass, kg, in [1, 1e6].")
    reference_area_m2: Annotated[float, within(
        1.0e-4, 100.0, "from 1 cm² to 100 m²", low_open=True, unit=" m²")] = Field(
        gt=0.0, description="Aerodynamic reference area, m², in (1e-4, 100].")
    cd: Annotated[float, within(
        0.0, 10.0, "a flat plate has ~1.2-2, a capsule ~1.5", low_open=True)] = Field(
        gt=0.0, description="Drag coefficient, in (0, 10].")
    cl: Annotated[float, within(
        0.0, 5.0, "the best high-lift wings reach ~3-4")] = Field(
        0.0, ge=0.0, description="Lift coefficient, in [0, 5]. Default 0 (no lift).")
    geometry: GeometryField = None

    @field_validator("geometry")
    @classmethod
    def _geometry_preset(cls, g: str | GeometryConfig | None) -> str | GeometryConfig | None:
        if isinstance(g, str) and g not in GEOMETRY_PRESETS:
            raise ValueError(f"unknown geometry preset; allowed: {', '.join(GEOMETRY_PRESETS)}, "
                             "or {shape, nose_radius_m, length_m, half_angle_deg, ...}")
        if isinstance(g, GeometryConfig):
            problem = g.length_problem()
            if problem is not None:
                raise located_error((problem[0],), problem[1], problem[2])
        return g



VehicleField = Annotated[
    str | VehicleConfig,
    Field(description=f"A preset name ({', '.join(VEHICLE_PRESETS)}) or constant coefficients "
                      "{mass_kg, reference_area_m2, cd, cl} (and optionally geometry)."),
]


def _check_preset(v: str | VehicleConfig) -> None:
    if isinstance(v, str) and v not in VEHICLE_PRESETS:
        raise located_error(("vehicle",), v,
                            f"unknown vehicle preset; allowed: {', '.join(VEHICLE_PRESETS)}, "
                            "or {mass_kg, reference_area_m2, cd, cl}")


_BURN_TIME_DESC = (
    "Boost burn time, s. Default 0: instantaneous burnout above the launch point at "
    "launch_time_s (no boost flown). > 0: lift-off from the launch point at launch_time_s, "
    "boost phase flown (phase 'boost'), burnout burn_time_s later, downrange along the launch "
    "azimuth by the ground range of an ideal gravity turn (hdsim.threats.boost).")


class BallisticBurnout(ConfigModel):
    """The Earth-relative state at burnout, heading at the target, reached instantaneously
    (``burn_time_s: 0``) or after a flown boost phase (``burn_time_s > 0``).

    ``aim: fixed`` (speed and flight-path angle given; range follows from physics),
    ``minimum_energy`` (speed and angle solved), ``lofted``/``depressed`` (speed given, angle
    solved).  Default: ``fixed`` when both speed and angle are given, else ``minimum_energy``.
    The aim accounts for the boost: the free flight starts downrange of the launch point.
    """

    aim: Literal["fixed", "minimum_energy", "lofted", "depressed"] | None = Field(
        None, description="Aim mode (see above).")
    speed_mps: Annotated[float, _BURNOUT_SPEED] | None = Field(
        None, gt=0.0,
        description="Burnout speed, m/s, in (0, 11,000): below the escape speed (~11.2 km/s).")
    flight_path_deg: float | None = Field(
        None, gt=0.0, lt=90.0, description="Flight-path angle above the horizontal, deg.")
    altitude_m: float = Field(0.0, ge=0.0, le=500_000.0,
                              description="Burnout altitude above the launch site, m. Default 0.")
    burn_time_s: float = Field(0.0, ge=0.0, le=600.0, description=_BURN_TIME_DESC)

    @model_validator(mode="after")
    def _consistent(self) -> BallisticBurnout:
        if self.burn_time_s > 0.0 and self.altitude_m <= 0.0:
            raise located_error(("altitude_m",), self.altitude_m,
                                "must be > 0 when burn_time_s > 0 (the boost climbs to it); "
                                "a real booster burns out 30-80 km up")
        aim = self.resolved_aim
        if aim == "fixed" and (self.speed_mps is None or self.flight_path_deg is None):
            missing = "speed_mps" if self.speed_mps is None else "flight_path_deg"
            raise located_error((missing,), None, "required when aim is 'fixed'")
        if aim in ("lofted", "depressed") and self.speed_mps is None:
            raise located_error(("speed_mps",), None, f"required when aim is '{aim}'")
        if aim in ("lofted", "depressed", "minimum_energy") and self.flight_path_deg is not None:
            raise located_error(("flight_path_deg",), self.flight_path_deg,
                                f"must not be given when aim is '{aim}' (it is solved)")
        if aim == "minimum_energy" and self.speed_mps is not None:
            raise located_error(("speed_mps",), self.speed_mps,
                                "must not be given when aim is 'minimum_energy' (it is solved)")
        return self

    @property
    def resolved_aim(self) -> str:
        if self.aim is not None:
            return self.aim
        return "fixed" if self.speed_mps is not None and self.flight_path_deg is not None \
            else "minimum_energy"


class GlideBurnout(ConfigModel):
    """The boost-glide vehicle's state at burnout, heading at the target: above the launch
    point at launch time (``burn_time_s: 0``, the boost not flown), or after a flown boost
    phase downrange of it (``burn_time_s > 0``)."""

    speed_mps: Annotated[float, _BURNOUT_SPEED] = Field(
        gt=0.0,
        description="Burnout speed, m/s, in (0, 11,000): below the escape speed (~11.2 km/s).")
    altitude_m: float = Field(gt=0.0, le=300_000.0, description="Burnout altitude, m.")
    flight_path_deg: float = Field(0.0, gt=-45.0, lt=89.0,
                                   description="Flight-path angle, deg. Default 0.")
    burn_time_s: float = Field(0.0, ge=0.0, le=600.0, description=_BURN_TIME_DESC)


class BankReversals(ConfigModel):
    """S-turns: ``count`` bank reversals at ±``max_bank_deg`` over 10-80 % of the glide."""

    type: Literal["bank_reversals"] = Field(description="Maneuver type.")
    count: int = Field(ge=1, le=50, description="Number of reversals.")
    max_bank_deg: float = Field(30.0, gt=0.0, lt=85.0, description="Bank angle, deg. Default 30.")


class Skip(ConfigModel):
    """Skip/phugoid: a sinusoidal altitude reference about the equilibrium glide."""

    type: Literal["skip"] = Field(description="Maneuver type.")
    amplitude_m: float = Field(gt=0.0, le=30_000.0, description="Amplitude, m.")
    period_s: float = Field(200.0, gt=10.0, description="Period, s. Default 200.")


class CrossrangeOffset(ConfigModel):
    """Fly through a waypoint offset sideways from the launch-target great circle."""

    type: Literal["crossrange_offset"] = Field(description="Maneuver type.")
    # 5,000 km: beyond the crossrange of any glider (a few thousand km at L/D 2-3), and an
    # eighth of the Earth's circumference, so that the waypoint stays beside the track.
    offset_m: Annotated[float, within(
        -5.0e6, 5.0e6, "beyond any glider's crossrange, and an eighth of the Earth's "
        "circumference", unit=" m")] = Field(
        description="Offset, m, in [-5e6, 5e6]; positive to the right of the track.")
    at_fraction: float = Field(0.5, gt=0.0, lt=1.0,
                               description="Where along the track, as a fraction. Default 0.5.")


class TerminalDive(ConfigModel):
    """Start the proportional-navigation dive at this ground range from the target."""

    type: Literal["terminal_dive"] = Field(description="Maneuver type.")
    start_range_m: float = Field(gt=0.0, description="Ground range to the target, m.")


Maneuver = Annotated[BankReversals | Skip | CrossrangeOffset | TerminalDive,
                     Field(discriminator="type")]


class GlideConfig(ConfigModel):
    """Glide guidance and maneuvers."""

    guidance: Literal["to_target", "none"] = Field(
        "to_target", description="'to_target' (guided), or 'none': open loop, bank_deg held, "
                                 "flies to the ground. Default to_target.")
    bank_deg: float = Field(0.0, ge=-89.0, le=89.0,
                            description="Open-loop bank angle, deg (guidance none). Default 0.")
    end_speed_mps: Annotated[float, within(300.0, MAX_BURNOUT_SPEED_MPS, _SUBORBITAL,
                                           low_open=True, high_open=True, unit=" m/s")] = Field(
                                 2000.0, gt=300.0,
                                 description="Speed the energy management aims to have at the "
                                             "terminal dive, m/s, in (300, 11,000). Default "
                                             "2,000.")
    maneuvers: tuple[Maneuver, ...] = Field(
        (), description="Maneuvers, in order; each type at most once.")

    @field_validator("maneuvers")
    @classmethod
    def _one_of_each_type(cls, maneuvers: tuple[Maneuver, ...]) -> tuple[Maneuver, ...]:
        seen: dict[str, int] = {}
        for i, m in enumerate(maneuvers):
            if m.type in seen:
                raise located_error(
                    (i, "type"), m.type,
                    f"duplicate maneuver type (already given by maneuvers[{seen[m.type]}]); "
                    "each type at most once: merge them into one (e.g. a larger count)")
            seen[m.type] = i
        return maneuvers


class CruiseConfig(ConfigModel):
    """Powered cruise at a Mach number and altitude."""

    mach: float = Field(gt=1.0, le=15.0, description="Cruise Mach number.")
    altitude_m: float = Field(gt=5_000.0, le=50_000.0, description="Cruise altitude, m.")
    dive_start_range_m: float | None = Field(
        None, gt=0.0, description="Terminal dive start, ground range m. Default: auto (target "
                                  "25 degrees below the horizon).")


class _ThreatBase(ConfigModel):
    id: str = Field(min_length=1, description="Unique id (required).")
    launch: LaunchPoint = Field(description="Launch point, altitude in [-500, 20,000] m.")
    target: TargetPoint = Field(description="Aim point, on the ground: altitude in [-500, "
                                            "9,000] m.")
    launch_time_s: float = Field(0.0, ge=0.0, description="Launch time, s. Default 0.")
    rcs_m2: float | None = Field(
        None, gt=0.0, description="Radar cross-section, m². Default: notional by type (0.05 "
                                  "ballistic RV, 0.1 glide vehicle, 0.5 cruise missile).")

    @model_validator(mode="after")
    def _target_and_vehicle(self):
        if (self.launch.lat_deg, self.launch.lon_deg) == (self.target.lat_deg,
                                                          self.target.lon_deg):
            raise located_error(("target",), self.target.model_dump(),
                                "must differ from launch")
        vehicle = getattr(self, "vehicle", None)
        if vehicle is not None:
            _check_preset(vehicle)
        if 90.0 - abs(self.launch.lat_deg) < POLE_MARGIN_DEG:
            why = self._heading_needed_at_launch()
            if why:
                raise located_error(
                    ("launch", "lat_deg"), self.launch.lat_deg,
                    f"must be at least {POLE_MARGIN_DEG:g}° from a pole (|lat_deg| ≤ "
                    f"{90.0 - POLE_MARGIN_DEG:g}) with {why}: the heading from the launch "
                    "point is undefined at a pole")
        return self

    def _heading_needed_at_launch(self) -> str | None:
        """What lays out a path along a heading from the launch point, or None."""
        burnout = getattr(self, "burnout", None)
        if burnout is not None and burnout.burn_time_s > 0.0:
            return "a flown boost (burnout.burn_time_s > 0; 0 is allowed)"
        glide = getattr(self, "glide", None)
        if glide is not None and any(m.type == "crossrange_offset" for m in glide.maneuvers):
            return "a crossrange_offset maneuver (its waypoint is placed from the launch point)"
        return None


class BallisticThreat(_ThreatBase):
    """A ballistic missile."""

    type: Literal["ballistic"] = Field(description="Threat type.")
    burnout: BallisticBurnout = Field(default_factory=BallisticBurnout,
                                      description="Burnout state or aim mode.")
    vehicle: VehicleField = "rv_generic"


class BoostGlideThreat(_ThreatBase):
    """A boost-glide vehicle (HGV)."""

    type: Literal["boost_glide"] = Field(description="Threat type.")
    burnout: GlideBurnout = Field(description="State at burnout (required).")
    vehicle: VehicleField = "cav_h"
    glide: GlideConfig = Field(default_factory=GlideConfig, description="Guidance, maneuvers.")


class CruiseThreat(_ThreatBase):
    """A hypersonic cruise missile: booster to cruise altitude, powered cruise, dive."""

    type: Literal["cruise"] = Field(description="Threat type.")
    cruise: CruiseConfig = Field(description="Cruise Mach and altitude (required).")
    vehicle: VehicleField = "hcm_generic"


MAX_ORBIT_APOGEE_M = 2_000_000.0
"""Highest apogee of a fractional orbit, m: low Earth orbit. Higher, the coast would spend most
of its time far out, and the fractional bombardment orbits flown were ~150-200 km."""

_ORBIT_ALT = within(0.0, MAX_ORBIT_APOGEE_M, "a fractional orbit is a low Earth orbit",
                    low_open=True, unit=" m")


class OrbitConfig(ConfigModel):
    """The orbit of a fractional-orbital threat, entered at perigee at the end of the boost:
    circular (``altitude_m``) or elliptical (``perigee_m`` and ``apogee_m``). Altitudes are
    above the ellipsoid at the insertion point (the apogee from the same radius)."""

    altitude_m: Annotated[float, _ORBIT_ALT] | None = Field(
        None, description="Circular orbit altitude, m (or give perigee_m and apogee_m); at "
                          "least 120,000 (below, drag decays the orbit). Default 150,000 when "
                          "neither form is given.")
    perigee_m: Annotated[float, _ORBIT_ALT] | None = Field(
        None, description="Perigee altitude of an elliptical orbit, m (the insertion point); "
                          "at least 120,000.")
    apogee_m: Annotated[float, _ORBIT_ALT] | None = Field(
        None, description="Apogee altitude of an elliptical orbit, m, in [perigee_m, "
                          "2,000,000].")
    burn_time_s: float = Field(300.0, ge=60.0, le=600.0,
                               description="Boost burn time to orbit insertion, s, in [60, 600]. "
                                           "Default 300.")

    @model_validator(mode="after")
    def _one_form(self) -> OrbitConfig:
        if self.altitude_m is not None and (self.perigee_m is not None
                                            or self.apogee_m is not None):
            name = "perigee_m" if self.perigee_m is not None else "apogee_m"
            raise located_error((name,), getattr(self, name),
                                "must not be given with altitude_m: give altitude_m (circular) "
                                "or perigee_m and apogee_m (elliptical)")
        if self.altitude_m is None and (self.perigee_m is None) != (self.apogee_m is None):
            missing = "apogee_m" if self.apogee_m is None else "perigee_m"
            raise located_error((missing,), None,
                                "required with " + ("perigee_m" if missing == "apogee_m"
                                                    else "apogee_m") + " (an elliptical orbit)")
        if self.perigee_m is not None and self.apogee_m is not None \
                and self.apogee_m < self.perigee_m:
            raise located_error(("apogee_m",), self.apogee_m,
                                f"must be at least perigee_m ({fmt_num(self.perigee_m)})")
        return self

    @property
    def perigee_alt_m(self) -> float:
        """The perigee (insertion) altitude, m."""
        if self.altitude_m is not None:
            return self.altitude_m
        return self.perigee_m if self.perigee_m is not None else 150_000.0

    @property
    def apogee_alt_m(self) -> float:
        """The apogee altitude, m."""
        if self.altitude_m is not None:
            return self.altitude_m
        return self.apogee_m if self.apogee_m is not None else 150_000.0

    @property
    def perigee_field(self) -> str:
        """The field that gives the perigee (for messages)."""
        return "perigee_m" if self.perigee_m is not None else "altitude_m"


class DeorbitConfig(ConfigModel):
    """The deorbit burn: a retro burn against the inertial velocity, placed (solved) so that
    the re-entry body reaches the target, sized to lower the perigee to ``perigee_m``."""

    perigee_m: Annotated[float, within(
        -3_000_000.0, 60_000.0, "the re-entry body must come down into the dense atmosphere "
        "on this pass (at most 60 km) and 3,000 km below the surface is already a near-vertical "
        "fall", unit=" m")] | None = Field(
        None, description="Perigee altitude of the conic after the burn, m, in [-3,000,000, "
                          "60,000] (negative: below the surface). Default -500,000 for a "
                          "re-entry vehicle (no lift), 0 for a glide vehicle.")
    accel_mps2: float = Field(10.0, ge=0.5, le=100.0,
                              description="Thrust acceleration of the burn, m/s², in [0.5, 100]; "
                                          "the burn lasts delta-v / accel_mps2. Default 10.")
    glide_range_m: Annotated[float, within(
        0.0, 2.0e7, "half the Earth's circumference", low_open=True, unit=" m")] | None = Field(
        None, description="Glide vehicle only: ground range, m, short of the target along the "
                          "approach at which the re-entry body with no lift is aimed; the glide "
                          "covers it. Default: 30 % of the equilibrium-glide range at the "
                          "vehicle's design L/D from the re-entry speed.")


class FractionalOrbitalThreat(_ThreatBase):
    """A fractional-orbital threat: a boost to a low orbit, a coast of less than one revolution,
    a deorbit burn, then a re-entry vehicle (a vehicle without lift) or a glide vehicle (any
    vehicle with lift, under the glide guidance) onto the target (``hdsim.threats.orbital``).
    Phases: boost, orbit, deorbit, then midcourse and terminal (re-entry vehicle) or pullup,
    glide and terminal (glide vehicle)."""

    type: Literal["fractional_orbital"] = Field(description="Threat type.")
    orbit: OrbitConfig = Field(default_factory=OrbitConfig,
                               description="The orbit and the boost to it. Default: circular "
                                           "at 150 km after a 300 s boost.")
    approach: Literal[APPROACHES] = Field(  # type: ignore[valid-type]
        "short", description="short or long: the short or the long way round the Earth; "
                             "from_north, from_south, from_east, from_west: the way whose "
                             "approach heading at the target is within 45 degrees of coming "
                             "from that side. Default short.")
    deorbit: DeorbitConfig = Field(default_factory=DeorbitConfig,
                                   description="The deorbit burn.")
    vehicle: VehicleField = "rv_generic"
    glide: GlideConfig = Field(default_factory=GlideConfig,
                               description="Glide guidance and maneuvers (glide vehicle only).")

    @model_validator(mode="after")
    def _orbit_and_body(self) -> FractionalOrbitalThreat:
        body = _vehicle_of(self.vehicle)
        glides = body.cl_max > 0.0
        h = self.orbit.perigee_alt_m
        if h < MIN_ORBIT_PERIGEE_M:
            beta = body.mass_kg / (body.c0 * body.reference_area_m2)
            loss = drag_decay_per_rev_m(h, beta)
            when = ("within the first revolution" if loss > 0.5 * max(h - 80_000.0, 1.0)
                    else f"after about {max(h - 80_000.0, 0.0) / loss:.0f} revolutions")
            raise located_error(
                ("orbit", self.orbit.perigee_field), h,
                f"must be at least {fmt_num(MIN_ORBIT_PERIGEE_M)} m: at {h / 1000:.0f} km the "
                f"atmosphere takes about {fmt_num(loss / 1000, 2)} km of altitude a revolution "
                f"from this vehicle (ballistic coefficient {beta:,.0f} kg/m²), so the orbit "
                f"decays into the atmosphere {when} (at 120 km: "
                f"{fmt_num(drag_decay_per_rev_m(MIN_ORBIT_PERIGEE_M, beta) / 1000, 2)} km a "
                "revolution)")
        if self.deorbit.glide_range_m is not None and not glides:
            raise located_error(("deorbit", "glide_range_m"), self.deorbit.glide_range_m,
                                "only for a glide vehicle (a vehicle with lift); this vehicle "
                                "has none: it re-enters ballistically")
        if glides and self.glide.guidance != "to_target":
            raise located_error(("glide", "guidance"), self.glide.guidance,
                                "must be 'to_target' for a fractional-orbital glide vehicle "
                                "(its deorbit is aimed for the guided glide)")
        return self

    def _heading_needed_at_launch(self) -> str | None:
        return "a fractional orbit (its boost to orbit is always flown)"

    @property
    def deorbit_perigee_m(self) -> float:
        """The deorbit perigee altitude, m, its default resolved by the re-entry body."""
        if self.deorbit.perigee_m is not None:
            return self.deorbit.perigee_m
        glides = _vehicle_of(self.vehicle).cl_max > 0.0
        return DEFAULT_DEORBIT_PERIGEE_M["glide" if glides else "ballistic"]


def _vehicle_of(v: str | VehicleConfig) -> Vehicle:
    if isinstance(v, str):
        return VEHICLE_PRESETS.get(v, VEHICLE_PRESETS["rv_generic"])
    return constant_coefficient_vehicle(v.mass_kg, v.reference_area_m2, v.cl, v.cd)


ThreatConfig = Annotated[BallisticThreat | BoostGlideThreat | CruiseThreat
                         | FractionalOrbitalThreat, Field(discriminator="type")]
"""One threat; ``type`` selects the model."""
