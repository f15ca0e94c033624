"""Radar cross-section by aspect: notional tables by vehicle class, interpolated on the aspect.

The *aspect angle* of a radar look is the angle between the threat's Earth-relative velocity
(the body axis: angle of attack is not modelled) and the line of sight from the threat to the
radar: 0 nose-on (flying at the radar), π/2 broadside, π tail-on. The bodies are symmetric
about their axis (a cone) or about their plane of symmetry (a lifting body seen edge-on by a
ground radar, which the one-angle table stands for), so a table gives the mean RCS on
[0°, 180°] and any angle is folded into that range (σ(−ψ) = σ(ψ) = σ(360° − ψ)).
Interpolation is linear in dBsm (log σ) between the table's nodes. The table is the *mean*
RCS; the radar's Swerling model (:func:`hdsim.sensors.radar_physics.pd_from_snr`) draws the
fluctuation about it, as before.

Tables (notional, X band, orders of magnitude from the open literature; not measurements of
any real vehicle):

``rv`` — a cone-sphere re-entry vehicle (8° half-angle, ~0.6 m base). The cone-sphere is the
    classic low-RCS shape: nose-on of order 1e-3 to 1e-2 m² (the tip and the joint of cone and
    base), a specular flash where the line of sight is normal to the cone's side (90° − 8° =
    82° from the nose) of order 1 m² and more, a rounded base of order 0.1-1 m² (the
    cone-sphere patterns discussed in Skolnik, *Introduction to Radar Systems*, 3rd ed., 2001,
    §2.7, and Knott, Shaeffer & Tuley, *Radar Cross Section*, 2nd ed., 1993, ch. 6).
``hgv`` — an HTV-2-class lifting body (3.7 m, flat bottom, sharp leading edges): nose-on a few
    1e-2 m² (sharp nose and edges seen end-on), the flat sides and bottom edge-on giving ~1 m²
    broadside, a blunt base ~0.5 m² from behind (edge and flat-plate behaviour as in the same
    references). Notional: no published RCS of such a vehicle is used.
``cruise_missile`` — an X-51A-class air-breathing missile (7.6 m, inlet under the nose):
    0.1 m² nose-on rising to ~10 m² broadside (the specular return of a long body), about
    1 m² from behind (engine nozzle); Skolnik's table of example cross-sections (§2.7) gives
    0.5 m² for a "conventional, unmanned winged missile".

The tables' nose-on to 30° values are near the previous aspect-free defaults (0.05, 0.1,
0.5 m²); an explicit ``rcs_m2`` in the scenario still gives a constant RCS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["RCS_CLASS_BY_THREAT_TYPE", "RCS_TABLES", "AspectRcsTable", "aspect_angle_rad",
           "fold_aspect_rad"]


def fold_aspect_rad(aspect_rad: ArrayLike) -> NDArray[np.float64]:
    """Any angle folded into [0, π] by the table's symmetry: ``|wrap(ψ)|``, wrap to (−π, π]."""
    a = np.asarray(aspect_rad, dtype=np.float64)
    return np.abs(np.mod(a + np.pi, 2.0 * np.pi) - np.pi)


def aspect_angle_rad(vel_ecef: ArrayLike, to_radar_ecef: ArrayLike) -> NDArray[np.float64]:
    """Angle between the velocity and the line of sight from the threat to the radar, rad.

    ``(..., 3)`` vectors (any lengths), broadcasting; 0 when the threat flies straight at the
    radar. ``atan2(|v × u|, v · u)`` (accurate at 0 and π); π/2 where either vector is zero.
    """
    v = np.asarray(vel_ecef, dtype=np.float64)
    u = np.asarray(to_radar_ecef, dtype=np.float64)
    cross = np.linalg.norm(np.cross(v, u), axis=-1)
    dot = np.sum(v * u, axis=-1)
    ang = np.arctan2(cross, dot)
    zero = (cross == 0.0) & (dot == 0.0)
    return np.where(zero | ~np.isfinite(ang), 0.5 * np.pi, ang)


@dataclass(frozen=True)
class AspectRcsTable:
    """Mean RCS by aspect angle (module docstring).

    Attributes:
        name: the vehicle class.
        aspect_deg: nodes, increasing from 0 to 180 (both included), degrees.
        rcs_m2: mean RCS at the nodes, m² (> 0).
    """

    name: str
    aspect_deg: tuple[float, ...]
    rcs_m2: tuple[float, ...]

    def __post_init__(self) -> None:
        a = np.asarray(self.aspect_deg, dtype=np.float64)
        s = np.asarray(self.rcs_m2, dtype=np.float64)
        if a.ndim != 1 or a.size < 2 or a.shape != s.shape:
            raise ValueError(f"AspectRcsTable {self.name!r}: aspect_deg and rcs_m2 must be two "
                             f"lists of the same length >= 2; got {a.shape} and {s.shape}")
        if a[0] != 0.0 or a[-1] != 180.0 or np.any(np.diff(a) <= 0.0):
            raise ValueError(f"AspectRcsTable {self.name!r}: aspect_deg = {self.aspect_deg}: "
                             "must increase strictly from 0 to 180 degrees")
        if not np.all(np.isfinite(s) & (s > 0.0)):
            raise ValueError(f"AspectRcsTable {self.name!r}: rcs_m2 = {self.rcs_m2}: must be "
                             "finite and > 0")

    def rcs_m2_at(self, aspect_rad: ArrayLike) -> NDArray[np.float64]:
        """Mean RCS at aspect angles (rad, any range: folded), m²; linear in dBsm between
        nodes."""
        a_deg = np.degrees(fold_aspect_rad(aspect_rad))
        log_s = np.interp(a_deg, np.asarray(self.aspect_deg), np.log10(self.rcs_m2))
        return 10.0 ** log_s

    def rcs_dbsm_at(self, aspect_rad: ArrayLike) -> NDArray[np.float64]:
        """:meth:`rcs_m2_at` in dBsm."""
        return 10.0 * np.log10(self.rcs_m2_at(aspect_rad))

    @property
    def mean_rcs_m2(self) -> float:
        """RCS averaged over all directions (sin-weighted over the aspect), m²."""
        a = np.linspace(0.0, math.pi, 3601)
        w = np.sin(a)
        return float(np.sum(self.rcs_m2_at(a) * w) / np.sum(w))


RCS_TABLES: dict[str, AspectRcsTable] = {
    "rv": AspectRcsTable(
        "rv",
        (0.0, 30.0, 60.0, 78.0, 82.0, 86.0, 90.0, 120.0, 150.0, 180.0),
        (0.01, 0.02, 0.1, 0.5, 2.0, 0.5, 0.3, 0.2, 0.2, 0.5)),
    "hgv": AspectRcsTable(
        "hgv",
        (0.0, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0),
        (0.03, 0.06, 0.3, 1.5, 0.5, 0.3, 0.5)),
    "cruise_missile": AspectRcsTable(
        "cruise_missile",
        (0.0, 30.0, 60.0, 80.0, 90.0, 100.0, 120.0, 150.0, 180.0),
        (0.1, 0.3, 1.0, 3.0, 10.0, 3.0, 1.0, 0.5, 1.0)),
}
"""The notional tables (module docstring)."""

RCS_CLASS_BY_THREAT_TYPE: dict[str, str] = {
    "ballistic": "rv", "boost_glide": "hgv", "cruise": "cruise_missile"}
"""The table each threat type uses when the scenario gives no ``rcs_m2``."""
