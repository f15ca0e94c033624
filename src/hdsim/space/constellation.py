"""``Constellation``: one space layer's satellites and how to propagate them.

A thin, immutable wrapper: the physics are the pure functions of ``propagation`` (analytic J2 or
two-body from mean elements at the scenario epoch) and ``tle`` (SGP4 from TLEs with their own
epochs). Outputs are ``(nsat,) + shape(t_s) + (3,)`` arrays; NaN marks a satellite/time where
SGP4 failed (the project's convention for "no state", as in ``TrajectorySet.states_at``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import J2, MU_M3PS2, WGS84_A_M, eci_to_ecef
from hdsim.space.elements import KeplerElements
from hdsim.space.propagation import propagate_j2
from hdsim.space.tle import TleSet, propagate_tle, read_tle
from hdsim.space.walker import walker_delta, walker_indices

Propagator = Literal["j2", "two_body", "sgp4"]
_PROPAGATORS = ("j2", "two_body", "sgp4")


@dataclass(frozen=True, eq=False)
class Constellation:
    """Satellites of one space layer.

    Build with ``from_walker``, ``from_elements``, ``from_tle_file`` or ``from_tles``.

    Attributes:
        layer_id: the layer's id (``sensors.space_layers[].id``).
        sat_ids: one unique id per satellite, in array order.
        propagator: ``"j2"`` (mean elements, J2 secular drift), ``"two_body"`` or ``"sgp4"``.
        elements: mean elements at the scenario epoch (``j2`` / ``two_body``), else None.
        tles: the TLEs (``sgp4``), else None.
        mu: gravitational parameter, m³/s². j2: J2 coefficient. r_eq_m: J2 reference radius, m.
    """

    layer_id: str
    sat_ids: tuple[str, ...]
    propagator: Propagator
    elements: KeplerElements | None = None
    tles: TleSet | None = None
    mu: float = MU_M3PS2
    j2: float = J2
    r_eq_m: float = WGS84_A_M

    def __post_init__(self) -> None:
        if not isinstance(self.layer_id, str) or not self.layer_id:
            raise ValueError(f"layer.id = {self.layer_id!r}: must be a non-empty string")
        if self.propagator not in _PROPAGATORS:
            raise ValueError(
                f"layer.propagator = {self.propagator!r}: must be one of {list(_PROPAGATORS)}"
            )
        source = self.tles if self.propagator == "sgp4" else self.elements
        if source is None:
            need = "tles" if self.propagator == "sgp4" else "elements"
            raise ValueError(
                f"layer {self.layer_id!r}: propagator {self.propagator!r} needs {need}"
            )
        object.__setattr__(self, "sat_ids", tuple(str(s) for s in self.sat_ids))
        if len(self.sat_ids) != len(source):
            raise ValueError(
                f"layer {self.layer_id!r}: {len(self.sat_ids)} sat_ids for {len(source)} satellites"
            )
        if len(set(self.sat_ids)) != len(self.sat_ids):
            dup = sorted({s for s in self.sat_ids if self.sat_ids.count(s) > 1})
            raise ValueError(f"layer {self.layer_id!r}: duplicate sat_ids {dup}")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_walker(
        cls,
        layer_id: str,
        total: int,
        planes: int,
        phasing: int,
        altitude_m: float,
        inclination_deg: float,
        raan0_deg: float = 0.0,
        propagator: Propagator = "j2",
        mu: float = MU_M3PS2,
        j2: float = J2,
        r_eq_m: float = WGS84_A_M,
    ) -> Constellation:
        """Walker delta ``inclination_deg: total/planes/phasing`` (see ``walker_delta``).

        Satellite ids are ``"<layer_id>-p<plane>-s<slot>"`` (0-based).
        """
        if propagator == "sgp4":
            raise ValueError("layer.propagator = 'sgp4': a Walker layer uses 'j2' or 'two_body'")
        elements = walker_delta(total, planes, phasing, altitude_m, inclination_deg, raan0_deg)
        j, k = walker_indices(total, planes)
        ids = tuple(f"{layer_id}-p{a}-s{b}" for a, b in zip(j.tolist(), k.tolist(), strict=True))
        return cls(layer_id, ids, propagator, elements=elements, mu=mu, j2=j2, r_eq_m=r_eq_m)

    @classmethod
    def from_elements(
        cls,
        layer_id: str,
        elements: KeplerElements,
        sat_ids: tuple[str, ...] | list[str] | None = None,
        propagator: Propagator = "j2",
        mu: float = MU_M3PS2,
        j2: float = J2,
        r_eq_m: float = WGS84_A_M,
    ) -> Constellation:
        """Explicit mean elements at the scenario epoch; ids default to ``"<layer_id>-<index>"``."""
        if propagator == "sgp4":
            raise ValueError("layer.propagator = 'sgp4': elements use 'j2' or 'two_body'")
        ids = tuple(sat_ids) if sat_ids is not None else tuple(
            f"{layer_id}-{i}" for i in range(len(elements))
        )
        return cls(layer_id, ids, propagator, elements=elements, mu=mu, j2=j2, r_eq_m=r_eq_m)

    @classmethod
    def from_tles(cls, layer_id: str, tles: TleSet) -> Constellation:
        """SGP4 layer; ids are the TLE names (``#<n>`` appended to repeated names)."""
        seen: dict[str, int] = {}
        ids = []
        for name in tles.names:
            seen[name] = seen.get(name, 0) + 1
            ids.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
        return cls(layer_id, tuple(ids), "sgp4", tles=tles)

    @classmethod
    def from_tle_file(cls, layer_id: str, path: str | os.PathLike[str]) -> Constellation:
        """SGP4 layer from a TLE file (checksums verified, see ``read_tle``)."""
        return cls.from_tles(layer_id, read_tle(path))

    # ------------------------------------------------------------------ states
    def __len__(self) -> int:
        return len(self.sat_ids)

    def states_eci(
        self, t_s: ArrayLike, epoch: datetime
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """ECI position (m), velocity (m/s) at ``epoch + t_s``, each ``(nsat,) + t_s.shape + (3,)``.

        For element layers the elements hold at ``epoch`` (``t_s = 0``) and ``epoch`` only matters
        for the ECI→ECEF step; TLE layers propagate from each TLE's own epoch. NaN where SGP4
        failed.
        """
        if self.propagator == "sgp4":
            pos, vel, _ = propagate_tle(cast(TleSet, self.tles), t_s, epoch)
            return pos, vel
        j2 = self.j2 if self.propagator == "j2" else 0.0
        elements = cast(KeplerElements, self.elements)  # present: checked in __post_init__
        return propagate_j2(elements, t_s, mu=self.mu, j2=j2, r_eq_m=self.r_eq_m)

    def positions_ecef(self, t_s: ArrayLike, epoch: datetime) -> NDArray[np.float64]:
        """ECEF positions, m, ``(nsat,) + shape(t_s) + (3,)``; NaN where SGP4 failed."""
        pos, _ = self.states_eci(t_s, epoch)
        return eci_to_ecef(pos, np.asarray(t_s, dtype=np.float64), epoch)

    def states_ecef(self, t_s: ArrayLike, epoch: datetime) -> NDArray[np.float64]:
        """ECEF states ``(nsat,) + shape(t_s) + (6,)`` = position (m), velocity (m/s)."""
        pos, vel = self.states_eci(t_s, epoch)
        pos_ecef, vel_ecef = eci_to_ecef(pos, np.asarray(t_s, dtype=np.float64), epoch, vel_eci=vel)
        return np.concatenate([pos_ecef, vel_ecef], axis=-1)
