"""``sensors:`` (space layers, radars) and ``coverage:``.

Presets (``preset: leo_tracking_layer``, ``preset: xband_long_range``) are *notional*: round
numbers of the right order of magnitude for studies, not the parameters of any real system.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from hdsim.config_base import ConfigModel, Latitude, Longitude, located_error
from hdsim.earth.constants import WGS84_A_M
from hdsim.scenario.config.geo import RadarSite, deep_merge, fmt_num, within

__all__ = ["MAX_COVERAGE_CELLS", "MAX_COVERAGE_SAMPLES", "MAX_ORBIT_ALTITUDE_M",
           "MAX_SATELLITES", "MIN_ORBIT_ALTITUDE_M", "MIN_REVISIT_S", "RADAR_PRESETS",
           "SPACE_LAYER_PRESETS", "CoverageConfig", "CoverageRegion", "InfraredConfig",
           "OrbitalElements", "RadarConfig", "RadarNoise", "RadarReference", "SensorsConfig",
           "SpaceLayerConfig", "WalkerConfig", "coverage_grid_shape"]

# ---------------------------------------------------------------------------------------------
# Space layers
# ---------------------------------------------------------------------------------------------

MIN_ORBIT_ALTITUDE_M = 150_000.0
"""Lowest orbit altitude accepted, m: below ~150 km drag decays an orbit within days."""

MAX_ORBIT_ALTITUDE_M = 1.0e8
"""Highest orbit altitude (a circular orbit's, an elliptical orbit's apogee), m: 100,000 km, well
beyond the geostationary orbit (35,786 km) and the apogees of highly elliptical orbits
(~40,000 km); farther out the Moon's pull, not modelled, matters."""

MAX_SATELLITES = 10_000
"""Most satellites in one space layer: more than any constellation flown (Starlink has ~7,000);
the sensor stage evaluates every satellite at every frame."""

_MAX_SATELLITES_WHY = "more than any constellation flown; each is evaluated at every frame"


def _is_preset(name: Any, presets: Mapping[str, Any]) -> bool:
    """Whether ``name`` names one of ``presets`` (a list or mapping given as a preset is not
    one: it is left to the field's own validation, which reports it)."""
    return isinstance(name, str) and name in presets


def _orbit_altitude(altitude_m: float) -> float:
    if altitude_m < MIN_ORBIT_ALTITUDE_M:
        raise ValueError(
            f"must be at least {MIN_ORBIT_ALTITUDE_M:.0f} m (above the sensible atmosphere)"
        )
    if altitude_m > MAX_ORBIT_ALTITUDE_M:
        raise ValueError(
            f"must be at most {fmt_num(MAX_ORBIT_ALTITUDE_M)} m (100,000 km, beyond the "
            "geostationary orbit; farther out the Moon's pull, not modelled, matters)"
        )
    return altitude_m


class WalkerConfig(ConfigModel):
    """A Walker delta constellation ``i: T/P/F`` (J. G. Walker, *Satellite constellations*,
    J. Br. Interplanet. Soc. 37, 1984): ``total`` satellites in ``planes`` circular orbits
    equally spaced over 360° of right ascension, ``phasing`` F in [0, P-1]."""

    total: int = Field(gt=0, description="Total number of satellites T (required), in "
                                       "[1, 10,000].")
    planes: int = Field(
        gt=0, description="Number of orbital planes P (required), > 0; must divide total."
    )
    phasing: int = Field(
        0, ge=0, description="Walker phasing parameter F, in [0, planes - 1]. Default 0."
    )
    altitude_m: Annotated[float, AfterValidator(_orbit_altitude)] = Field(
        description="Circular orbit altitude above the equatorial radius, m (required), "
        "in [150,000, 1e8]."
    )
    inclination_deg: float = Field(
        ge=0.0, le=180.0, description="Orbit inclination, degrees (required), in [0, 180]."
    )

    @field_validator("total")
    @classmethod
    def _total_at_most(cls, total: int) -> int:
        if total > MAX_SATELLITES:
            raise ValueError(f"must be in [1, {MAX_SATELLITES:,}]: {_MAX_SATELLITES_WHY}")
        return total

    @field_validator("planes")
    @classmethod
    def _planes_divide_total(cls, planes: int, info: ValidationInfo) -> int:
        total = info.data.get("total")
        if total is not None and total % planes != 0:
            raise ValueError(f"must divide total = {total} evenly (satellites per plane)")
        return planes

    @field_validator("phasing")
    @classmethod
    def _phasing_range(cls, phasing: int, info: ValidationInfo) -> int:
        planes = info.data.get("planes")
        if planes is not None and phasing > planes - 1:
            raise ValueError(f"must be between 0 and planes - 1 = {planes - 1}")
        return phasing


class OrbitalElements(ConfigModel):
    """Classical (Keplerian) mean elements of one satellite at the scenario epoch."""

    sat_id: str | None = Field(
        None, description="Satellite id; default '<layer id>-<index>' (index from 0)."
    )
    semi_major_axis_m: float = Field(gt=0.0, description="Semi-major axis, m (required).")
    eccentricity: float = Field(0.0, ge=0.0, lt=1.0, description="Eccentricity, [0, 1). Default 0.")
    inclination_deg: float = Field(
        ge=0.0, le=180.0, description="Inclination, degrees (required), in [0, 180]."
    )
    raan_deg: float = Field(0.0, description="Right ascension of the ascending node, degrees.")
    arg_perigee_deg: float = Field(0.0, description="Argument of perigee, degrees. Default 0.")
    mean_anomaly_deg: float = Field(0.0, description="Mean anomaly at the epoch, degrees.")

    @model_validator(mode="after")
    def _perigee_above_atmosphere(self) -> OrbitalElements:
        perigee_alt_m = self.semi_major_axis_m * (1.0 - self.eccentricity) - WGS84_A_M
        if perigee_alt_m < MIN_ORBIT_ALTITUDE_M:
            raise located_error(
                ("semi_major_axis_m",),
                self.semi_major_axis_m,
                f"perigee altitude a(1 - e) - {WGS84_A_M:.0f} m = {perigee_alt_m:.0f} m; must be "
                f"at least {MIN_ORBIT_ALTITUDE_M:.0f} m (above the sensible atmosphere)",
            )
        apogee_alt_m = self.semi_major_axis_m * (1.0 + self.eccentricity) - WGS84_A_M
        if apogee_alt_m > MAX_ORBIT_ALTITUDE_M:
            raise located_error(
                ("semi_major_axis_m",),
                self.semi_major_axis_m,
                f"apogee altitude a(1 + e) - {WGS84_A_M:.0f} m = {apogee_alt_m:.4g} m; must be "
                f"at most {fmt_num(MAX_ORBIT_ALTITUDE_M)} m (100,000 km, beyond the "
                "geostationary orbit; farther out the Moon's pull, not modelled, matters)",
            )
        return self


class InfraredConfig(ConfigModel):
    """A space-based infrared sensor (one per satellite of the layer). Defaults are notional:
    round numbers of the order of open descriptions of missile-warning/tracking sensors."""

    # At most 100 Hz, as a radar's revisit is at least 0.01 s: faster staring sensors exist,
    # but the reports of every satellite at every frame would not fit in memory.
    frame_rate_hz: Annotated[float, within(
        0.0, 100.0, "100 frames a second at most: every satellite reports at every frame",
        low_open=True, unit=" Hz")] = Field(
        1.0, gt=0.0, description="Revisit (frame) rate, Hz, in (0, 100]. Default 1.")
    angle_noise_rad: float = Field(
        5.0e-5, gt=0.0, description="1-sigma line-of-sight noise per axis, rad. Default 5e-5."
    )
    field_of_regard_deg: float = Field(
        120.0,
        gt=0.0,
        le=180.0,
        description="Full cone angle about nadir that the sensor can point into, degrees, "
        "in (0, 180]. Default 120.",
    )
    max_range_m: float = Field(5.0e6, gt=0.0, description="Maximum slant range, m. Default 5e6.")
    grazing_altitude_m: float = Field(
        20_000.0,
        ge=0.0,
        description="The line of sight must clear the Earth by this height (clouds, airglow), "
        "m. Default 20,000.",
    )
    sun_exclusion_deg: float = Field(
        10.0,
        ge=0.0,
        lt=180.0,
        description="No detection within this angle of the Sun, degrees. Default 10.",
    )
    nei_look_down_w_m2: float = Field(
        5.0e-12,
        gt=0.0,
        description="Noise-equivalent irradiance against the Earth (clutter) background, W/m^2. "
        "Default 5e-12 (notional).",
    )
    nei_above_horizon_w_m2: float = Field(
        1.0e-12,
        gt=0.0,
        description="Noise-equivalent irradiance against the space background, W/m^2. "
        "Default 1e-12 (notional).",
    )
    pfa: float = Field(
        1.0e-6, gt=0.0, lt=1.0, description="False-alarm probability per resolution cell per frame."
    )
    band_um: tuple[float, float] = Field(
        (3.0, 5.0), description="Spectral band [min, max], micrometres. Default [3, 5] (MWIR)."
    )

    @field_validator("band_um")
    @classmethod
    def _band_order(cls, band: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 < band[0] < band[1]:
            raise ValueError("must be [min, max] with 0 < min < max (micrometres)")
        return band


SPACE_LAYER_PRESETS: dict[str, dict[str, Any]] = {
    # Notional proliferated LEO tracking layer: Walker 168/12/1 at 1,000 km, 80°. The order of
    # magnitude follows open descriptions of proliferated LEO tracking layers (a few hundred
    # satellites around 1,000 km); it is not the design of any real constellation.
    "leo_tracking_layer": {
        "walker": {
            "total": 168,
            "planes": 12,
            "phasing": 1,
            "altitude_m": 1_000_000.0,
            "inclination_deg": 80.0,
        },
        "infrared": {},
    },
}
"""Notional space layers selectable with ``preset:`` (fields given beside it override)."""


class SpaceLayerConfig(ConfigModel):
    """A constellation of satellites carrying the same infrared sensor.

    The orbits come from exactly one of ``walker``, ``tle_file`` or ``elements`` (or from the
    ``preset``; giving ``tle_file`` or ``elements`` beside a preset replaces its Walker orbits).
    """

    id: str = Field(min_length=1, description="Layer id (required), unique among sensors.")
    preset: Literal["leo_tracking_layer"] | None = Field(
        None,
        description="Start from a notional layer; fields given here override it. "
        "'leo_tracking_layer': Walker 168/12/1, 1,000 km, 80°.",
    )
    walker: WalkerConfig | None = Field(None, description="A Walker delta constellation.")
    tle_file: Path | None = Field(
        None,
        description="A file of two-line element sets (propagated with SGP4); a relative path is "
        "relative to the scenario file's folder.",
    )
    elements: tuple[OrbitalElements, ...] | None = Field(
        None, description="Mean Keplerian elements of each satellite at the epoch (1 to "
                          "10,000 satellites)."
    )
    max_tle_age_days: float | None = Field(
        30.0, gt=0.0, description="With tle_file: the largest time between an element set's "
        "epoch and the scenario's span, days (SGP4's errors grow by kilometres a day and old "
        "sets stop propagating). None: no check. Default 30.")
    infrared: InfraredConfig = Field(
        default_factory=InfraredConfig, description="The sensor each satellite carries."
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not _is_preset(data.get("preset"),
                                                           SPACE_LAYER_PRESETS):
            return data
        preset = dict(SPACE_LAYER_PRESETS[data["preset"]])
        if data.get("tle_file") is not None or data.get("elements") is not None:
            preset.pop("walker", None)
        return deep_merge(preset, data)

    @field_validator("tle_file")
    @classmethod
    def _resolve_tle_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        if path is None:
            return None
        base_dir = (info.context or {}).get("base_dir")
        try:
            path = path.expanduser()
            if not path.is_absolute():
                path = Path(base_dir or Path.cwd()) / path
            path = path.resolve()
            found, exists = path.is_file(), path.exists()
        except (OSError, RuntimeError) as exc:  # e.g. a name too long, a loop of links
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "bad path"
            raise ValueError(f"cannot be used as a file path ({why})") from None
        if not found:
            what = "not a regular file" if exists else "file not found"
            raise ValueError(f"{what} (looked for {path})")
        from hdsim.space import read_tle  # only as TLEs: size, format, checksums, line by line

        n = len(read_tle(path))
        if n > MAX_SATELLITES:
            raise ValueError(f"holds {n:,} satellites: at most {MAX_SATELLITES:,} in a layer "
                             f"({_MAX_SATELLITES_WHY})")
        return path

    @model_validator(mode="after")
    def _one_orbit_source(self) -> SpaceLayerConfig:
        given = [k for k in ("walker", "tle_file", "elements") if getattr(self, k) is not None]
        if len(given) != 1:
            got = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one of walker, tle_file, elements (or a preset); got {got}"
            )
        if self.elements is not None and len(self.elements) == 0:
            raise located_error(("elements",), [], "must list at least one satellite")
        if self.elements is not None and len(self.elements) > MAX_SATELLITES:
            raise located_error(("elements",), f"{len(self.elements):,} satellites",
                                f"at most {MAX_SATELLITES:,} satellites in a layer "
                                f"({_MAX_SATELLITES_WHY})")
        return self


# ---------------------------------------------------------------------------------------------
# Radars
# ---------------------------------------------------------------------------------------------


class RadarReference(ConfigModel):
    """The radar equation anchored at one point: SNR = snr_db at range_m on a target of rcs_m2;
    elsewhere SNR scales as rcs / range^4 (Skolnik, *Introduction to Radar Systems*, 3rd ed.,
    eq. 1.10)."""

    snr_db: float = Field(20.0, description="Single-look SNR at the reference point, dB.")
    range_m: float = Field(1.0e6, gt=0.0, description="Reference range, m. Default 1e6.")
    rcs_m2: float = Field(0.1, gt=0.0, description="Reference radar cross-section, m^2.")


class RadarNoise(ConfigModel):
    """1-sigma measurement noise of a radar detection."""

    range_m: float = Field(20.0, gt=0.0, description="Range noise, m. Default 20.")
    angle_rad: float = Field(
        1.0e-3, gt=0.0, description="Angle noise per axis (azimuth, elevation), rad. Default 1e-3."
    )
    range_rate_mps: float = Field(5.0, gt=0.0, description="Range-rate noise, m/s. Default 5.")
    floor_fraction: float = Field(
        0.1, ge=0.0, le=1.0,
        description="The noise shrinks as 1/sqrt(SNR) but not below this fraction of the values "
                    "above (bias, quantization and calibration limits). Default 0.1.")


RADAR_PRESETS: dict[str, dict[str, Any]] = {
    # Notional long-range X-band phased array. Order of magnitude only, from open descriptions
    # of AN/TPY-2-class radars (e.g. the US MDA fact sheet and CSIS Missile Threat's entry:
    # X band, ~9 m^2 aperture, detection ranges quoted of ~1,000-3,000 km). Angle noise:
    # beamwidth lambda/D ~ 0.03 m / 3 m = 0.01 rad over 1.6 sqrt(2 SNR) at 20 dB ~ 5e-4 rad
    # (Skolnik 3rd ed. sec. 4.4). Not the parameters of a real system.
    "xband_long_range": {
        "min_elevation_deg": 0.5,
        "max_range_m": 3.0e6,
        "revisit_s": 1.0,
        "pfa": 1.0e-6,
        "swerling": 1,
        "reference": {"snr_db": 20.0, "range_m": 1.0e6, "rcs_m2": 0.01},
        "noise": {"range_m": 5.0, "angle_rad": 5.0e-4, "range_rate_mps": 1.0},
    },
}
"""Notional radars selectable with ``preset:`` (fields given beside it override)."""


MIN_REVISIT_S = 0.01
"""Shortest radar revisit, s: a phased array dwells some milliseconds per look, and a report per
0.01 s per target is already more than the tracker needs."""


class RadarConfig(ConfigModel):
    """A ground (or ship) radar: detections of range, azimuth, elevation and range rate."""

    id: str = Field(min_length=1, description="Radar id (required), unique among sensors.")
    preset: Literal["xband_long_range"] | None = Field(
        None,
        description="Start from a notional radar; fields given here override it. "
        "'xband_long_range': AN/TPY-2-class order of magnitude, 3,000 km.",
    )
    site: RadarSite = Field(description="Antenna position (required).")
    min_elevation_deg: float = Field(
        0.5, ge=-5.0, lt=90.0, description="Lowest elevation searched, degrees. Default 0.5."
    )
    max_range_m: float = Field(2.0e6, gt=0.0, description="Instrumented range, m. Default 2e6.")
    revisit_s: Annotated[float, within(
        MIN_REVISIT_S, math.inf, "100 looks a second at most (a phased array dwells a few "
        "milliseconds per look; faster would flood the tracker)", unit=" s")] = Field(
        1.0, gt=0.0, description="Time between looks at a target, s, ≥ 0.01. Default 1.")
    pfa: float = Field(
        1.0e-6, gt=0.0, lt=1.0, description="False-alarm probability per cell. Default 1e-6."
    )
    swerling: Literal[0, 1, 2, 3, 4] = Field(
        1, description="Swerling target fluctuation case 0-4 (0: non-fluctuating). Default 1."
    )
    reference: RadarReference = Field(
        default_factory=RadarReference,
        description="SNR at a reference range and RCS. Default 20 dB at 1,000 km on 0.1 m^2.",
    )
    noise: RadarNoise = Field(
        default_factory=RadarNoise, description="Measurement noise (1 sigma)."
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and _is_preset(data.get("preset"), RADAR_PRESETS):
            return deep_merge(RADAR_PRESETS[data["preset"]], data)
        return data


class SensorsConfig(ConfigModel):
    """All sensors of the scenario."""

    space_layers: tuple[SpaceLayerConfig, ...] = Field(
        (), description="Constellations of infrared satellites. Default none."
    )
    radars: tuple[RadarConfig, ...] = Field((), description="Radars. Default none.")

    @model_validator(mode="after")
    def _unique_ids(self) -> SensorsConfig:
        seen: dict[str, str] = {}
        for kind, items in (("space_layers", self.space_layers), ("radars", self.radars)):
            for i, item in enumerate(items):
                where = f"{kind}[{i}]"
                if item.id in seen:
                    raise located_error(
                        (kind, i, "id"),
                        item.id,
                        f"duplicate sensor id (already used by sensors.{seen[item.id]})",
                    )
                seen[item.id] = where
        return self


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------


class CoverageRegion(ConfigModel):
    """A latitude/longitude box. Longitudes may run past 180 to cross the antimeridian
    (e.g. 160 to 200)."""

    lat_min_deg: Latitude = Field(-60.0, description="Southern edge, degrees. Default -60.")
    lat_max_deg: Latitude = Field(60.0, description="Northern edge, degrees. Default 60.")
    lon_min_deg: Longitude = Field(-180.0, description="Western edge, degrees. Default -180.")
    lon_max_deg: float = Field(
        180.0, gt=-180.0, le=360.0, description="Eastern edge, degrees. Default 180."
    )

    @field_validator("lat_max_deg")
    @classmethod
    def _lat_order(cls, lat_max: float, info: ValidationInfo) -> float:
        lat_min = info.data.get("lat_min_deg")
        if lat_min is not None and not lat_max > lat_min:
            raise ValueError(f"must be greater than lat_min_deg = {lat_min:g}")
        return lat_max

    @field_validator("lon_max_deg")
    @classmethod
    def _lon_order(cls, lon_max: float, info: ValidationInfo) -> float:
        lon_min = info.data.get("lon_min_deg")
        if lon_min is not None and not lon_min < lon_max <= lon_min + 360.0:
            raise ValueError(
                f"must be greater than lon_min_deg = {lon_min:g} and at most 360 beyond it"
            )
        return lon_max


MAX_COVERAGE_CELLS = 2.0e6
"""Most grid points of a coverage map: a 0.25° grid over the whole Earth has 1.04e6; each point
is checked against every satellite at every time sample."""

MAX_COVERAGE_SAMPLES = 1.0e5
"""Most time samples of a coverage map, ``(end_s - start_s) / step_s``: a day at 1 s steps is
86,400; every satellite's position is held at every sample."""


def coverage_grid_shape(region: CoverageRegion, grid_deg: float) -> tuple[int, int]:
    """Latitudes and longitudes of the coverage grid (``hdsim.scenario.coverage``, which builds
    it: every ``grid_deg`` from the south-west corner, edges included when on the grid, a full
    360° band not repeating its first meridian)."""
    n_lat = math.floor((region.lat_max_deg - region.lat_min_deg) / grid_deg + 1e-9) + 1
    n_lon = math.floor((region.lon_max_deg - region.lon_min_deg) / grid_deg + 1e-9) + 1
    if n_lon > 1 and abs((n_lon - 1) * grid_deg - 360.0) < 1e-9:
        n_lon -= 1
    return n_lat, n_lon


class CoverageConfig(ConfigModel):
    """Geometric coverage map for ``hdsim coverage`` (visibility only: no Sun, no signature)."""

    region: CoverageRegion = Field(
        default_factory=CoverageRegion, description="Region of the grid. Default 60S-60N, global."
    )
    grid_deg: float = Field(2.0, gt=0.0, le=90.0, description="Grid spacing, degrees. Default 2.")
    altitude_m: float = Field(
        40_000.0,
        ge=0.0,
        description="Altitude of the grid points (the target's), m. Default 40,000 (a glide "
        "altitude; at 0 m no space sensor sees past its grazing altitude).",
    )
    start_s: float = Field(0.0, ge=0.0, description="Start, s after the epoch. Default 0.")
    end_s: float = Field(86_400.0, gt=0.0, description="End, s after the epoch. Default 86,400.")
    step_s: float = Field(60.0, gt=0.0, description="Time step, s. Default 60.")

    @field_validator("end_s")
    @classmethod
    def _end_after_start(cls, end_s: float, info: ValidationInfo) -> float:
        start_s = info.data.get("start_s")
        if start_s is not None and not end_s > start_s:
            raise ValueError(f"must be greater than start_s = {start_s:g}")
        return end_s

    @model_validator(mode="after")
    def _size(self) -> CoverageConfig:
        n_lat, n_lon = coverage_grid_shape(self.region, self.grid_deg)
        if n_lat * n_lon > MAX_COVERAGE_CELLS:
            r = self.region
            area = (r.lat_max_deg - r.lat_min_deg) * (r.lon_max_deg - r.lon_min_deg)
            need = math.sqrt(area / MAX_COVERAGE_CELLS)
            raise located_error(
                ("grid_deg",), self.grid_deg,
                f"a grid of {n_lat:,} x {n_lon:,} = {fmt_num(n_lat * n_lon, 3)} cells over the "
                f"region: at most {fmt_num(MAX_COVERAGE_CELLS)} cells (each is checked against "
                f"every satellite at every sample); raise grid_deg to about {fmt_num(need, 2)} "
                "or more, or shrink the region")
        samples = (self.end_s - self.start_s) / self.step_s
        if samples > MAX_COVERAGE_SAMPLES:
            raise located_error(
                ("step_s",), self.step_s,
                f"(end_s - start_s) / step_s = {fmt_num(samples, 3)} time samples: at most "
                f"{fmt_num(MAX_COVERAGE_SAMPLES)} (every satellite's position is held at "
                f"every sample); raise step_s to at least "
                f"{fmt_num((self.end_s - self.start_s) / MAX_COVERAGE_SAMPLES, 3)} or shorten the "
                "span")
        return self
