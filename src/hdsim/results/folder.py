"""Result folders written atomically: a half-written run never looks finished.

A run folder holds ``<table>.parquet`` for each table, ``summary.json``, optional extra files,
and a ``_SUCCESS`` marker written last. :func:`write_run` builds everything in a hidden sibling
folder ``.<name>.tmp-<random>`` and swaps it into place with renames (atomic on one file
system): an existing result folder is renamed aside, the new one renamed in, and only then the
old one removed. If anything fails before the swap, the previous results are untouched and the
temporary folder is removed. :func:`read_run` refuses a folder without ``_SUCCESS``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SUCCESS_MARKER = "_SUCCESS"
"""Name of the file written last into a finished run folder (a JSON manifest)."""

SUMMARY_FILE = "summary.json"
"""Name of the run summary file."""


def to_jsonable(obj: Any) -> Any:
    """``obj`` made JSON-safe: NumPy scalars and arrays become Python numbers and lists, NaN and
    infinities become ``None`` (JSON null), datetimes ISO 8601 strings, paths strings, pydantic
    models their JSON dump; mapping keys become strings."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, bool | int | str) or obj is None:
        return obj
    if isinstance(obj, _dt.datetime | _dt.date):
        return obj.isoformat()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "model_dump"):  # pydantic model
        return to_jsonable(obj.model_dump(mode="json"))
    raise TypeError(f"summary value of type {type(obj).__name__} cannot be written to JSON")


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path: Path, mode: int) -> None:
    """Give ``path`` the permissions ``mode`` less the user's umask (temporary files and
    folders are created private; the results should not be)."""
    os.chmod(path, mode & ~_umask())


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _check_name(name: str, what: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"{what} = {name!r}: must be a plain file name (no '/', not hidden)")


def _safe_relpath(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if not name or rel.is_absolute() or ".." in rel.parts or "\\" in name:
        raise ValueError(
            f"extra_files[{name!r}]: must be a relative path inside the run folder (no '..')"
        )
    return rel


def _is_finished_or_empty(folder: Path) -> bool:
    return (folder / SUCCESS_MARKER).is_file() or not any(folder.iterdir())


OWN_EXTRA_FILES = ("report.html",)
"""Files other hdsim commands add to a finished run folder (``hdsim report``)."""


def _foreign_files(folder: Path) -> list[str]:
    """Files in a finished run folder that its ``_SUCCESS`` manifest does not list (and that
    no hdsim command writes there): what a user put in it."""
    try:
        manifest = json.loads((folder / SUCCESS_MARKER).read_text(encoding="utf-8"))
        listed = set(manifest.get("files", []))
    except (OSError, ValueError, AttributeError):
        listed = None
    found = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    if listed is None:  # a manifest that cannot be read: every file but the marker is foreign
        return [f for f in found if f != SUCCESS_MARKER]
    own = listed | {SUCCESS_MARKER, *OWN_EXTRA_FILES}
    return [f for f in found if f not in own]


def check_out_dir(out_dir: str | Path) -> Path:
    """Check, before any work, that a run can be written to ``out_dir``; its absolute path.

    Allowed: a new path whose nearest existing parent is a writable folder, an empty folder,
    or a finished hdsim run folder holding only the files hdsim wrote there (it is replaced
    when the new run is complete). Anything else is refused, and nothing is deleted: a folder
    that is not a run folder, or a run folder with files the user added (named in the error).

    Raises:
        ValueError: the problem, naming the path.
    """
    out = Path(out_dir).expanduser().absolute()
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise ValueError(f"out_dir = {str(out)!r}: exists and is not a folder")
        if not _is_finished_or_empty(out):
            raise ValueError(
                f"out_dir = {str(out)!r}: exists, is not empty and is not an hdsim run "
                f"folder (no {SUCCESS_MARKER}); refusing to replace it"
            )
        if (out / SUCCESS_MARKER).is_file():
            foreign = _foreign_files(out)
            if foreign:
                shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more"
                                                   if len(foreign) > 5 else "")
                raise ValueError(
                    f"out_dir = {str(out)!r}: holds files hdsim did not write ({shown}); "
                    "refusing to replace it (move them, or choose another folder)")
        parent = out.parent
    else:
        parent = out.parent
        while not parent.exists():
            if parent.is_symlink() or parent == parent.parent:
                break
            parent = parent.parent
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"out_dir = {str(out)!r}: {str(parent)!r} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"out_dir = {str(out)!r}: cannot write in {str(parent)!r} "
                         "(permission denied)")
    return out


def write_run(
    out_dir: str | Path,
    tables: Mapping[str, pa.Table],
    summary: Mapping[str, Any],
    extra_files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a run folder atomically.

    Args:
        out_dir: the run folder. If it exists it must be a finished run (has ``_SUCCESS``)
            holding only hdsim's files, or empty: it is replaced only once the new results are
            complete. Any other existing folder is refused rather than deleted
            (:func:`check_out_dir`).
        tables: table name -> Arrow table, written as ``<name>.parquet``.
        summary: written as ``summary.json`` (NumPy values converted, NaN written as null).
        extra_files: relative path -> bytes, e.g. ``{"report.html": ...}``.

    Returns:
        The absolute path of the run folder.

    Raises:
        ValueError: a bad table or file name, or ``out_dir`` is an existing folder that is not
            a run folder.
        OSError, pyarrow errors: from writing; the previous results are then untouched.
    """
    out_dir = check_out_dir(out_dir)
    for name, table in tables.items():
        _check_name(name, "table name")
        if not isinstance(table, pa.Table):
            raise ValueError(
                f"tables[{name!r}]: must be a pyarrow.Table, got {type(table).__name__}"
            )
    summary_text = json.dumps(to_jsonable(summary), indent=2, allow_nan=False) + "\n"
    reserved = {SUCCESS_MARKER, SUMMARY_FILE} | {f"{name}.parquet" for name in tables}
    extras = {_safe_relpath(k): v for k, v in (extra_files or {}).items()}
    for rel in extras:
        if str(rel) in reserved:
            raise ValueError(f"extra_files[{str(rel)!r}]: clashes with a result file")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    apply_umask(tmp, 0o777)  # mkdtemp makes 0700; a result folder follows the umask
    old: Path | None = None
    try:
        files = []
        for name, table in tables.items():
            with open(tmp / f"{name}.parquet", "wb") as f:
                pq.write_table(table, f)
                f.flush()
                os.fsync(f.fileno())
            files.append(f"{name}.parquet")
        _fsync_write(tmp / SUMMARY_FILE, summary_text.encode("utf-8"))
        files.append(SUMMARY_FILE)
        for rel, data in extras.items():
            target = tmp.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            _fsync_write(target, bytes(data))
            files.append(str(rel))
        manifest = {
            "written_utc": _dt.datetime.now(_dt.UTC).isoformat(),
            "tables": {name: tables[name].num_rows for name in tables},
            "files": files,
        }
        _fsync_write(tmp / SUCCESS_MARKER, json.dumps(manifest, indent=2).encode("utf-8"))

        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            old.rmdir()  # keep the unique name only; rename needs a free target
            os.rename(out_dir, old)
        try:
            os.rename(tmp, out_dir)
        except BaseException:
            if old is not None:  # put the previous results back
                os.rename(old, out_dir)
                old = None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out_dir


def _require_finished(out_dir: Path) -> None:
    if not out_dir.is_dir():
        raise ValueError(f"{out_dir}: no such run folder")
    if not (out_dir / SUCCESS_MARKER).is_file():
        raise ValueError(
            f"{out_dir}: not a finished hdsim run (no {SUCCESS_MARKER} marker; the run may have "
            "been interrupted)"
        )


def read_run(out_dir: str | Path) -> dict[str, pa.Table]:
    """Read every ``<name>.parquet`` of a finished run folder.

    Returns:
        Table name (file name without ``.parquet``) -> Arrow table, in name order.

    Raises:
        ValueError: the folder does not exist or has no ``_SUCCESS`` marker.
    """
    out_dir = Path(out_dir).expanduser()
    _require_finished(out_dir)
    return {p.stem: pq.read_table(p) for p in sorted(out_dir.glob("*.parquet"))}


def read_summary(out_dir: str | Path) -> dict[str, Any]:
    """Read ``summary.json`` of a finished run folder (NaN was written as null)."""
    out_dir = Path(out_dir).expanduser()
    _require_finished(out_dir)
    return json.loads((out_dir / SUMMARY_FILE).read_text(encoding="utf-8"))


__all__ = [
    "OWN_EXTRA_FILES",
    "apply_umask",
    "SUCCESS_MARKER",
    "check_out_dir",
    "SUMMARY_FILE",
    "read_run",
    "read_summary",
    "to_jsonable",
    "write_run",
]
