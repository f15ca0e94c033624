"""Tracker settings: :class:`TrackerConfig`, a frozen pydantic dataclass (SI units).

Every field is typed exactly (choices are ``Literal``, counts are bounded ``int``, sequences are
tuples), so pydantic rejects a bad value with a ``ValidationError`` located at the field;
checks that involve two fields (JPDA needs the EKF, ``confirm_m <= confirm_n``, one sojourn
time per IMM model) are validators of the later field, so their error is located at that field
too and its message names the other. The field descriptions are the user documentation of
the ``tracking:`` section of a scenario (:class:`hdsim.scenario.config.tracking.TrackingSection`
subclasses this class and adds the scoring fields).

Defaults are for hypersonic threats seen by radars and space infrared sensors. The IMM model
switching is a continuous-time Markov chain with generator ``Λ``: ``Π(dt) = exp(Λ dt)`` over
each track's own prediction interval (:mod:`hdsim.tracking.bank`); the discrete rule of
Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and Navigation*
(2001), ch. 11, ``π_ii = 1 - T/τ_i`` for a sampling period ``T``, is its first-order form.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator
from pydantic.dataclasses import dataclass

from hdsim.config_base import COMPONENT_CONFIG

__all__ = ["MODEL_NAMES", "SOJOURN_DEFAULTS_S", "ModelName", "TrackerConfig"]

ModelName = Literal["ncv", "nca", "singer", "hypersonic", "maneuver"]
"""Motion models of the tracker (:mod:`hdsim.tracking.motion`)."""

MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
"""The names of :data:`ModelName`, in order."""

SOJOURN_DEFAULTS_S: dict[str, float] = {"ncv": 60.0, "nca": 60.0, "singer": 60.0,
                                        "hypersonic": 120.0, "maneuver": 3.0}
"""Default mean time a target stays in each IMM model, s."""

_Positive = Annotated[float, Field(gt=0.0)]
_Probability = Annotated[float, Field(gt=0.0, lt=1.0)]


@dataclass(frozen=True, config=COMPONENT_CONFIG)
class TrackerConfig:
    """Tracker settings (SI units); each field's description gives its unit and default.

    Groups: filter and motion models (``filter`` … ``accel_sigma_mps2``), association
    (``association`` … ``jpda_max_hypotheses``), initiation and track management (``confirm_m``
    … ``reorder_lag_s``). A subclass (the scenario's ``tracking:`` section) may add fields; the
    tracker reads only the fields below.
    """

    # ---------------------------------------------------------------- filter and motion
    filter: Literal["imm", "ekf", "ukf"] = Field(
        "imm", description="Filter: 'imm' (interacting multiple models), 'ekf' or 'ukf' "
        "(single model: `motion`). Default 'imm'.")
    motion: ModelName = Field(
        "ncv", description="Motion model of the single-model filters: 'ncv', 'nca', 'singer', "
        "'hypersonic' (gravity plus a slowly varying specific force) or 'maneuver' (a Singer "
        "model of hard maneuvers). Default 'ncv'.")
    imm_models: tuple[ModelName, ...] = Field(
        ("singer", "hypersonic", "maneuver"), min_length=2,
        description="Models of the IMM, at least two (mixed state sizes are embedded in the "
        "largest). Default singer (boost: thrust acceleration), hypersonic (glide, ballistic "
        "midcourse, cruise) and maneuver (hard maneuvers up to ~30 g: pull-ups, bank reversals, "
        "the terminal dive).")
    imm_filter: Literal["ekf", "ukf"] = Field(
        "ekf", description="Per-model filter of the IMM: 'ekf' or 'ukf'. Default 'ekf'.")
    imm_stay_probability: _Probability | None = Field(
        None, description="Legacy per-scan Markov matrix of the IMM: probability in (0, 1) of "
        "staying in a model at each scan (the rest shared equally); when set it replaces "
        "`imm_sojourn_s`. Default null (continuous-time switching).")
    imm_sojourn_s: tuple[_Positive, ...] | None = Field(
        None, description="Mean time the target stays in each model of `imm_models`, s, one "
        "number > 0 per model: the switching is the Markov chain Π(dt) = exp(Λ dt) over each "
        "track's own prediction interval. Default null: 60 s for ncv, nca and singer, 120 s "
        "for hypersonic, 3 s for maneuver.")
    q_ncv_m2ps3: _Positive = Field(
        100.0, description="NCV acceleration power spectral density per axis, m²/s³ (100: about "
        "10 m/s² over 1 s). Default 100.")
    q_nca_m2ps5: _Positive = Field(
        10.0, description="NCA jerk power spectral density per axis, m²/s⁵. Default 10.")
    singer_tau_s: _Positive = Field(
        20.0, description="Singer model acceleration time constant, s. Default 20.")
    singer_sigma_mps2: float = Field(
        30.0, description="Singer model acceleration sigma, m/s². Default 30.")
    hypersonic_q_m2ps5: _Positive = Field(
        0.05, description="Specific-force power spectral density of the hypersonic model, "
        "m²/s⁵. Default 0.05 (the IMM's quiet model; alone, as a single-model filter, it needs "
        "about 1 m²/s⁵ to follow glide maneuvers).")
    hypersonic_tau_s: _Positive = Field(
        30.0, description="Correlation time of the hypersonic model's specific force, s. "
        "Default 30.")
    maneuver_sigma_mps2: _Positive = Field(
        300.0, description="Acceleration sigma of the 'maneuver' Singer model, m/s². "
        "Default 300.")
    maneuver_tau_s: _Positive = Field(
        2.0, description="Time constant of the 'maneuver' Singer model, s. Default 2.")
    accel_sigma_mps2: _Positive = Field(
        30.0, description="Prior sigma of acceleration states at initiation, m/s²; its square is "
        "the variance of the extra states of IMM models embedded in a larger state. "
        "Default 30.")
    # ---------------------------------------------------------------- association
    association: Literal["gnn", "jpda"] = Field(
        "gnn", description="Data association: 'gnn' (global nearest neighbour) or 'jpda' (joint "
        "probabilistic; needs filter 'ekf'). Default 'gnn'.")
    gate_probability: _Probability = Field(
        0.9997, description="Chi-square gate probability P_G, in (0, 1) (0.9997: gate 21 for a "
        "4-D report). Default 0.9997.")
    pd: _Probability = Field(
        0.9, description="Detection probability used by JPDA (times P_G), in (0, 1). "
        "Default 0.9.")
    clutter_density: _Positive = Field(
        1.0e-9, description="JPDA false-alarm density per unit measurement volume, in the units "
        "of the measurement space (e.g. 1/(m·rad²·m/s) for a 4-D radar report). Default 1e-9.")
    jpda_max_hypotheses: int = Field(
        2000, ge=0, description="Joint events enumerated per JPDA cluster; larger clusters use "
        "cheap JPDA. Default 2,000.")
    # ---------------------------------------------------------------- initiation, management
    confirm_m: int = Field(
        3, ge=1, description="M of the M-of-N confirmation rule, 1 to `confirm_n` (two-point "
        "initiation counts 2 hits). Default 3.")
    confirm_n: int = Field(
        5, ge=1, le=8, description="N of the M-of-N confirmation rule, 1 to 8 (scans of the "
        "sensors that have seen the track). Default 5.")
    coast_after_s: _Positive = Field(
        3.0, description="A confirmed track with no update for this long is coasting, s. "
        "Default 3.")
    delete_after_s: _Positive = Field(
        12.0, description="A confirmed or coasting track with no update for this long is "
        "deleted, s. Default 12.")
    tentative_delete_after_s: _Positive = Field(
        5.0, description="A tentative 3-D track with no update for this long is deleted, s. "
        "Default 5.")
    max_sigma_pos_m: _Positive = Field(
        30_000.0, description="Tracks whose predicted position sigma (square root of the trace "
        "of the position covariance) exceeds this are deleted, m. Default 30,000.")
    max_speed_mps: _Positive = Field(
        8_000.0, description="Largest target speed, m/s: gates two-point initiation and is the "
        "velocity prior of angle-only tracks. Default 8,000.")
    seed_max_age_s: _Positive = Field(
        5.0, description="How long an unpaired position fix waits for a partner, s. "
        "Default 5.")
    merge_d2: _Positive = Field(
        12.6, description="Two tracks whose 6-state squared Mahalanobis distance (with Pa + Pb) "
        "is below this are duplicates (12.6: chi-square with 6 degrees of freedom at 0.95); the "
        "one with the better status, then more updates, then the older id survives. "
        "Default 12.6.")
    merge_interval_s: _Positive = Field(
        1.0, description="How often duplicates are searched, s of simulation time. Default 1.")
    merge_max_radius_m: _Positive = Field(
        20_000.0, description="Largest position separation examined for merging, m. "
        "Default 20,000.")
    ir_sync_tol_s: float = Field(
        0.05, ge=0.0, description="Infrared reports of different satellites within this time are "
        "triangulated together, s (>= 0). Default 0.05.")
    ir_gate_probability: _Probability = Field(
        0.999, description="Gate probability of the line-of-sight triangulation association, in "
        "(0, 1). Default 0.999.")
    ir_min_alt_m: float = Field(
        -5_000.0, description="Lowest altitude of a triangulated fix above the polar radius, m "
        "(rejects ghosts below ground). Default -5,000.")
    angle_only: bool = Field(
        True, description="Start angle-only tentative tracks from infrared reports seen by one "
        "satellite only. Default true.")
    angle_only_alt_m: float = Field(
        30_000.0, description="Nominal altitude (above the polar radius) where an angle-only "
        "track is placed on its line of sight, m. Default 30,000.")
    angle_only_sigma_range_m: _Positive = Field(
        500_000.0, description="Sigma of that position along the line of sight, m. "
        "Default 500,000.")
    angle_only_delete_after_s: _Positive = Field(
        10.0, description="Angle-only tracks with no update for this long are deleted, s. "
        "Default 10.")
    reorder_lag_s: float = Field(
        2.0, ge=0.0, description="Reorder-buffer lag of streaming input, s (>= 0): a scan is "
        "processed once the newest report time exceeds it by this lag; later reports are "
        "retrodicted. Default 2.")

    # Cross-field checks: validators of the later field of each pair, so the error is located
    # at that field (pydantic loc) and its text names the other one. ``info.data`` holds the
    # fields validated before; a pair whose first field already failed is not checked again.
    @field_validator("imm_sojourn_s")
    @classmethod
    def _one_sojourn_per_model(cls, v: tuple[float, ...] | None, info: ValidationInfo
                               ) -> tuple[float, ...] | None:
        models = info.data.get("imm_models")
        if v is not None and models is not None and len(v) != len(models):
            raise ValueError(f"one number > 0 (s) per model of imm_models {list(models)}")
        return v

    @field_validator("association")
    @classmethod
    def _jpda_needs_ekf(cls, v: str, info: ValidationInfo) -> str:
        filtr = info.data.get("filter")
        if v == "jpda" and filtr is not None and filtr != "ekf":
            raise ValueError(f"'jpda' needs filter 'ekf' (filter is {filtr!r})")
        return v

    @field_validator("confirm_n")
    @classmethod
    def _m_of_n(cls, v: int, info: ValidationInfo) -> int:
        m = info.data.get("confirm_m")
        if m is not None and m > v:
            raise ValueError(f"must be at least confirm_m ({m})")
        return v

    def imm_sojourn(self, names: tuple[str, ...]) -> tuple[float, ...]:
        """Mean sojourn time of each IMM model, s (``imm_sojourn_s`` or the defaults)."""
        if self.imm_sojourn_s is not None:
            return tuple(float(v) for v in self.imm_sojourn_s)
        return tuple(SOJOURN_DEFAULTS_S[n] for n in names)
