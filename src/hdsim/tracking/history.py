"""Track status: the one vocabulary of the whole project.

Codes are int8 in arrays (``TrackHistory.status``, fire control's track columns); names are the
strings of ``tracks.parquet``'s ``status`` column. ``TrackStatus.names()`` maps codes to names
in order, ``TrackStatus.from_names`` maps them back.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["TrackStatus"]


class TrackStatus(IntEnum):
    """Life of a track: tentative → confirmed ⇄ coasting → deleted."""

    TENTATIVE = 0
    CONFIRMED = 1
    COASTING = 2
    DELETED = 3

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Lower-case names in code order: ``("tentative", "confirmed", "coasting", "deleted")``."""
        return tuple(s.name.lower() for s in cls)

    @classmethod
    def to_names(cls, codes: ArrayLike) -> NDArray[np.object_]:
        """Names of an array of codes (object array of str)."""
        return np.array(cls.names(), dtype=object)[np.asarray(codes, dtype=np.int64)]

    @classmethod
    def from_names(cls, names: ArrayLike) -> NDArray[np.int8]:
        """Codes of an array of names; an unknown name is a ``ValueError`` naming it."""
        arr = np.asarray(names, dtype=object)
        lut = {n: i for i, n in enumerate(cls.names())}
        try:
            return np.array([lut[str(n)] for n in arr.ravel()], dtype=np.int8).reshape(arr.shape)
        except KeyError as exc:
            raise ValueError(f"track status {exc.args[0]!r}: allowed "
                             f"{', '.join(cls.names())}") from None

    @classmethod
    def firm(cls) -> tuple[TrackStatus, TrackStatus]:
        """The statuses of a track that is held: confirmed and coasting."""
        return (cls.CONFIRMED, cls.COASTING)
