"""NORAD two-line element sets: reading (checksums verified) and SGP4 propagation.

Propagation is the ``sgp4`` package (Vallado's SGP4, compiled ``SatrecArray`` when available),
which returns TEME positions and velocities. As ``docs/design.md`` records, hdsim treats TEME as
its ECI frame (the two differ by the equation of the equinoxes, < 1e-5 rad), and converts to ECEF
with ``hdsim.earth.eci_to_ecef`` (the GMST rotation, as Vallado's TEME→PEF).

File format: CelesTrak / Space-Track "TLE" (2-line) and "3LE" (a name line, optionally starting
with ``0 ``, before each pair); blank lines are skipped. Reference: CelesTrak, "NORAD Two-Line
Element Set Format"; checksum = (sum of the digits of columns 1-68, each ``-`` counting 1) mod 10.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sgp4.api import Satrec, SatrecArray

from hdsim.earth import eci_to_ecef, julian_date

SAMPLE_TLE_PATH = Path(__file__).with_name("data") / "sample.tle"
"""Small sample file shipped with hdsim: ISS (2008), four Iridium (2014), four Starlink (2020)."""

_TLE_LINE_LENGTH = 69
_SECONDS_PER_DAY = 86400.0


def tle_checksum(line: str) -> int:
    """NORAD checksum of a TLE line: digits of columns 1-68 summed, ``-`` counts 1, mod 10."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


@dataclass(frozen=True)
class TleSet:
    """An ordered set of TLEs ready for vectorized SGP4.

    Attributes:
        names: satellite names (the 3LE name line, or ``"NORAD <catalog number>"`` if absent).
        satnums: NORAD catalog numbers.
        lines: ``(line1, line2)`` of each satellite, as read.
        source: where they came from (file path or ``"<string>"``), for messages.
    """

    names: tuple[str, ...]
    satnums: tuple[int, ...]
    lines: tuple[tuple[str, str], ...]
    source: str = "<string>"
    satrecs: tuple[Satrec, ...] = field(init=False, repr=False, compare=False)
    _array: SatrecArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (len(self.names) == len(self.satnums) == len(self.lines)):
            raise ValueError("TleSet: names, satnums and lines must have the same length")
        if len(self.lines) == 0:
            raise ValueError(f"{self.source}: no TLE found")
        # WGS-72 constants (sgp4's default): the ones the TLE mean elements were fitted with.
        satrecs = tuple(Satrec.twoline2rv(l1, l2) for l1, l2 in self.lines)
        object.__setattr__(self, "satrecs", satrecs)
        object.__setattr__(self, "_array", SatrecArray(list(satrecs)))

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def epochs_utc(self) -> tuple[datetime, ...]:
        """Element epoch of each TLE as a timezone-aware UTC datetime (to the microsecond)."""
        j2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)  # JD 2451545.0
        return tuple(
            j2000 + timedelta(days=(s.jdsatepoch - 2451545.0) + s.jdsatepochF) for s in self.satrecs
        )

    def propagate_teme(
        self, t_s: ArrayLike, epoch: datetime
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """SGP4 TEME states at ``epoch + t_s``; see ``propagate_tle``."""
        return propagate_tle(self, t_s, epoch)


def parse_tle(text: str, source: str = "<string>") -> TleSet:
    """Parse 2-line or 3-line (named) TLE text; checksums and line structure are verified.

    Raises:
        ValueError: naming ``source``, the 1-based line number and what was wrong (e.g. the
            expected and the found checksum).
    """
    rows = [(n, raw.rstrip()) for n, raw in enumerate(text.splitlines(), start=1)]
    rows = [(n, s) for n, s in rows if s.strip()]
    names: list[str] = []
    satnums: list[int] = []
    lines: list[tuple[str, str]] = []
    i = 0
    while i < len(rows):
        name: str | None = None
        n0, first = rows[i]
        if not first.startswith("1 "):
            name = first[2:].strip() if first.startswith("0 ") else first.strip()
            i += 1
        if i + 1 >= len(rows):
            raise ValueError(
                f"{source}: line {rows[-1][0]}: file ends inside the TLE that starts at line {n0} "
                f"(expected a line 1 and a line 2)"
            )
        (n1, l1), (n2, l2) = rows[i], rows[i + 1]
        _check_line(l1, "1", n1, source)
        _check_line(l2, "2", n2, source)
        if l1[2:7] != l2[2:7]:
            raise ValueError(
                f"{source}: line {n2}: catalog number {l2[2:7]!r} differs from line 1's "
                f"{l1[2:7]!r}"
            )
        try:
            sat = Satrec.twoline2rv(l1, l2)
        except Exception as exc:  # sgp4 raises ValueError / IndexError on malformed fields
            raise ValueError(
                f"{source}: lines {n1}-{n2}: sgp4 cannot read this TLE: {exc}"
            ) from exc
        satnums.append(int(sat.satnum))
        names.append(name if name else f"NORAD {int(sat.satnum)}")
        lines.append((l1, l2))
        i += 2
    return TleSet(names=tuple(names), satnums=tuple(satnums), lines=tuple(lines), source=source)


def _check_line(line: str, number: str, line_no: int, source: str) -> None:
    if not line.startswith(number + " "):
        raise ValueError(
            f"{source}: line {line_no}: expected TLE line {number} (starting {number + ' '!r}), "
            f"found {line[:24]!r}"
        )
    if len(line) != _TLE_LINE_LENGTH:
        raise ValueError(
            f"{source}: line {line_no}: TLE line {number} must be {_TLE_LINE_LENGTH} characters, "
            f"found {len(line)}"
        )
    found = line[68]
    expected = tle_checksum(line)
    if not found.isdigit() or int(found) != expected:
        raise ValueError(
            f"{source}: line {line_no}: TLE checksum mismatch: expected {expected} "
            f"(computed from columns 1-68), found {found!r} in column 69"
        )


def read_tle(path: str | os.PathLike[str]) -> TleSet:
    """Read a TLE file (2-line or 3-line format); see ``parse_tle`` for the checks."""
    p = Path(path)
    return parse_tle(p.read_text(encoding="ascii", errors="replace"), source=str(p))


def propagate_tle(
    tles: TleSet, t_s: ArrayLike, epoch: datetime
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """SGP4 positions and velocities in TEME (≈ hdsim's ECI) at ``epoch + t_s``.

    Args:
        tles: satellites to propagate (``n`` of them).
        t_s: seconds since ``epoch``, any shape (typically ``(T,)``).
        epoch: scenario epoch, timezone-aware UTC datetime.

    Returns:
        ``(pos_teme_m, vel_teme_mps, ok)``: positions (m) and velocities (m/s) of shape
        ``(n,) + shape(t_s) + (3,)`` and a boolean ``(n,) + shape(t_s)`` mask, False where SGP4
        reported an error (decay, eccentricity out of range, ...); positions are NaN there.
    """
    t = np.asarray(t_s, dtype=np.float64)
    jd0, fr0 = julian_date(epoch)
    flat = t.reshape(-1)
    jd = np.full(flat.shape, float(jd0))
    fr = float(fr0) + flat / _SECONDS_PER_DAY
    err, r_km, v_kmps = tles._array.sgp4(jd, fr)
    ok = err == 0
    pos = r_km * 1000.0
    vel = v_kmps * 1000.0
    pos[~ok] = np.nan
    vel[~ok] = np.nan
    n = len(tles)
    return (
        pos.reshape((n,) + t.shape + (3,)),
        vel.reshape((n,) + t.shape + (3,)),
        ok.reshape((n,) + t.shape),
    )


def propagate_tle_ecef(
    tles: TleSet, t_s: ArrayLike, epoch: datetime
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """SGP4 states in ECEF: ``propagate_tle`` followed by ``hdsim.earth.eci_to_ecef``.

    Returns:
        ``(pos_ecef_m, vel_ecef_mps, ok)`` shaped as in ``propagate_tle``.
    """
    pos, vel, ok = propagate_tle(tles, t_s, epoch)
    pos_ecef, vel_ecef = eci_to_ecef(pos, np.asarray(t_s, dtype=np.float64), epoch, vel_eci=vel)
    return pos_ecef, vel_ecef, ok
