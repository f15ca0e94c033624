"""``threats:``: the scenario models of the threats.

Three types, told apart by ``type``: ``ballistic``, ``boost_glide``, ``cruise``.  Degrees at the
edge; :func:`hdsim.scenario.build.threat_spec` wires each into a
:class:`hdsim.threats.ThreatSpec` (radians). Reach is checked when the scenario loads, before
anything runs (:func:`hdsim.scenario.build.reach_problems`): a ballistic aim mode that the
closed-form vacuum reach rules out, or a guided glider beyond its equilibrium-glide range, is an
error naming the threat's ``target``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from hdsim.config_base import ConfigModel, located_error
from hdsim.scenario.config.geo import LaunchPoint, TargetPoint, within
from hdsim.threats import VEHICLE_PRESETS

__all__ = [
    "MAX_BURNOUT_SPEED_MPS",
    "POLE_MARGIN_DEG",
    "VehicleConfig",
    "BallisticBurnout",
    "GlideBurnout",
    "GlideConfig",
    "CruiseConfig",
    "BallisticThreat",
    "BoostGlideThreat",
    "CruiseThreat",
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



VehicleField = Annotated[
    str | VehicleConfig,
    Field(description=f"A preset name ({', '.join(VEHICLE_PRESETS)}) or constant coefficients "
                      "{mass_kg, reference_area_m2, cd, cl}."),
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


ThreatConfig = Annotated[BallisticThreat | BoostGlideThreat | CruiseThreat,
                         Field(discriminator="type")]
"""One threat; ``type`` selects the model."""
