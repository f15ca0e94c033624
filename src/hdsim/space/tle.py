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

import itertools
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sgp4.api import Satrec, SatrecArray

from hdsim.earth import eci_to_ecef, julian_date

SAMPLE_TLE_PATH = Path(__file__).with_name("data") / "sample.tle"
"""Small sample file shipped with hdsim: ISS (2008), four Iridium (2014), four Starlink (2020)."""

MAX_TLE_FILE_BYTES = 50 * 2**20
"""Largest TLE file read, bytes (50 MiB): the whole public catalogue (~30,000 objects, three
lines of 70 bytes each) is ~6 MiB, and a layer holds at most 10,000 satellites. A bigger file
is refused from its size, before it is read."""

MAX_TLE_LINE_CHARS = 80
"""Longest line (trailing blanks aside) of a TLE file: a TLE line has 69 characters, a 3LE name
line 24 (up to 80 accepted)."""

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
        ValueError: naming ``source``, the 1-based line number and what was expected (e.g. the
            expected and the found checksum digit); never the text of the line.
    """
    return _parse_rows(enumerate(text.splitlines(), start=1), source)


def _parse_rows(rows: Iterable[tuple[int, str]], source: str) -> TleSet:
    """Parse numbered lines one by one: a file that is not TLEs is refused at its first line
    that cannot be one, without reading further."""
    names: list[str] = []
    satnums: list[int] = []
    lines: list[tuple[str, str]] = []
    start: int | None = None  # first line of the TLE being read
    name: str | None = None
    line1: tuple[int, str] | None = None
    last = 0
    for n, raw in rows:
        last = n
        s = raw.rstrip()
        if not s.strip():
            continue
        if len(s) > MAX_TLE_LINE_CHARS:
            raise ValueError(
                f"{source}: line {n}: {len(s):,} characters, longer than a TLE line "
                f"({_TLE_LINE_LENGTH}) or a name line (at most {MAX_TLE_LINE_CHARS}): not a TLE "
                "file")
        if line1 is None:
            if s.startswith("1 "):
                _check_line(s, "1", n, source)
                line1, start = (n, s), start or n
                continue
            if start is not None:  # a name line was already read
                raise ValueError(
                    f"{source}: line {n}: expected TLE line 1 (a line starting '1 ') after the "
                    f"name line {start}")
            _check_name(s, n, source)
            name, start = (s[2:].strip() if s.startswith("0 ") else s.strip()), n
            continue
        n1, l1 = line1
        _check_line(s, "2", n, source)
        if l1[2:7] != s[2:7]:
            raise ValueError(
                f"{source}: line {n}: the catalog number (columns 3-7) differs from line "
                f"{n1}'s")
        try:
            sat = Satrec.twoline2rv(l1, s)
        except Exception as exc:  # sgp4 raises ValueError / IndexError on malformed fields
            raise ValueError(
                f"{source}: lines {n1}-{n}: sgp4 cannot read the fields of this TLE "
                f"({type(exc).__name__})") from None
        satnums.append(int(sat.satnum))
        names.append(name if name else f"NORAD {int(sat.satnum)}")
        lines.append((l1, s))
        start = name = line1 = None
    if start is not None:
        raise ValueError(
            f"{source}: line {last}: file ends inside the TLE that starts at line {start} "
            "(expected a line 1 and a line 2)")
    return TleSet(names=tuple(names), satnums=tuple(satnums), lines=tuple(lines), source=source)


def _check_name(line: str, line_no: int, source: str) -> None:
    """A 3LE name line: printable text (it becomes a satellite name in tables and messages)."""
    if not line.isprintable():
        raise ValueError(
            f"{source}: line {line_no}: expected TLE line 1 (starting '1 ') or a satellite "
            "name line, found a line with control characters")


def _check_line(line: str, number: str, line_no: int, source: str) -> None:
    if not line.startswith(number + " "):
        raise ValueError(
            f"{source}: line {line_no}: expected TLE line {number} (a line starting "
            f"{number + ' '!r})")
    if len(line) != _TLE_LINE_LENGTH:
        raise ValueError(
            f"{source}: line {line_no}: TLE line {number} must be {_TLE_LINE_LENGTH} characters, "
            f"found {len(line)}"
        )
    if not line.isascii() or not line.isprintable():
        raise ValueError(
            f"{source}: line {line_no}: TLE line {number} must be printable ASCII text")
    found = line[68]
    expected = tle_checksum(line)
    if not found.isdigit() or int(found) != expected:
        shown = repr(found) if found.isdigit() else "no digit"
        raise ValueError(
            f"{source}: line {line_no}: TLE checksum mismatch: expected {expected} "
            f"(computed from columns 1-68), found {shown} in column 69"
        )


def read_tle(path: str | os.PathLike[str]) -> TleSet:
    """Read a TLE file (2-line or 3-line format); see ``parse_tle`` for the checks.

    The file is read only as TLEs: it must be a regular file of at most
    :data:`MAX_TLE_FILE_BYTES` (refused from its size, before it is read), and it is parsed line
    by line, so a file that is not TLEs is refused at its first line that cannot be one. Error
    messages name the file, the line and what was expected, never the line's text.

    Raises:
        ValueError: the file is too big, not a regular file, unreadable, not text, or not TLEs.
    """
    p = Path(path)
    source = str(p)
    limit = f"a TLE file may be at most {MAX_TLE_FILE_BYTES / 2**20:g} MiB"
    try:
        st = os.stat(p)
    except OSError as exc:
        raise ValueError(f"{source}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{source}: not a regular file")
    if st.st_size > MAX_TLE_FILE_BYTES:
        raise ValueError(f"{source}: the file is {st.st_size / 2**20:,.1f} MiB: {limit}")
    try:
        with open(p, "rb") as f:
            return _parse_rows(_numbered_lines(f, source, limit), source)
    except OSError as exc:
        raise ValueError(f"{source}: cannot be read ({exc.strerror})") from None


def _numbered_lines(f: BinaryIO, source: str, limit: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a binary file, read one line at a time, each line at most
    a little longer than :data:`MAX_TLE_LINE_CHARS` read, the whole file at most
    :data:`MAX_TLE_FILE_BYTES` (it may have grown since its size was checked)."""
    total = 0
    cap = MAX_TLE_LINE_CHARS + 8  # room for trailing blanks and the line break
    for n in itertools.count(1):
        raw = f.readline(cap)
        if not raw:
            return
        total += len(raw)
        if total > MAX_TLE_FILE_BYTES:
            raise ValueError(f"{source}: the file is larger than that: {limit}")
        if len(raw) == cap and not raw.endswith(b"\n"):
            raise ValueError(
                f"{source}: line {n}: longer than a TLE line ({_TLE_LINE_LENGTH}) or a name line "
                f"(at most {MAX_TLE_LINE_CHARS}): not a TLE file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{source}: line {n}: not text (expected ASCII TLE lines): not a "
                             "TLE file") from None
        yield n, text.rstrip("\r\n")


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
