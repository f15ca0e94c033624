"""Result folders written atomically: a half-written run never looks finished.

A run folder holds ``<table>.parquet`` for each table, ``summary.json``, optional extra files,
and ``_SUCCESS``, a JSON manifest written last that lists every file with its size (and the
hdsim version that wrote it).

Writing (:func:`write_run`):

1. everything is built in a hidden sibling folder ``.<name>.tmp-<8 random characters>``, each
   file flushed to disk (``fsync``), the manifest last, then the folder itself;
2. the folder is swapped into place. On Linux one ``renameat2(RENAME_EXCHANGE)`` call exchanges
   the new folder and the previous run atomically: at every instant ``<name>`` is the whole old
   or the whole new run (the old one is then at the temporary name). Where that call does not
   exist (another OS, a C library or kernel without it: ``ENOSYS``) or the file system refuses
   it (``EINVAL``), two renames do it: the previous run aside to ``.<name>.old-<random>``, the
   new one in (on failure, the previous one back). Between the two, for a moment, ``<name>``
   does not exist;
3. the parent folder is flushed to disk, so the swap survives a power cut; then the previous
   run is removed.

A write killed at any point (``SIGKILL``, a power cut) leaves ``<name>`` whole, old or new, or
in the fallback's moment missing, with the previous run whole in ``.<name>.old-*``. The next
start (:func:`check_out_dir`, which :func:`write_run` calls) cleans up: it removes the leftover
``.<name>.tmp-*`` and ``.<name>.old-*`` folders and, when ``<name>`` is missing, first puts back
the finished run of an ``.old-*`` folder (:func:`clean_leftovers`). A write in progress locks its
temporary folder (``flock``), so a start in another process leaves it alone.

Reading (:func:`read_run`, :func:`read_summary`, :func:`read_manifest`) refuses a folder without
``_SUCCESS`` or whose manifest does not match its files (a listed file missing or of another
size), naming the file.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import errno
import functools
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

try:
    import fcntl
except ImportError:  # not POSIX (Windows): no locks; cleaning up never races a live write there
    fcntl = None  # type: ignore[assignment]

SUCCESS_MARKER = "_SUCCESS"
"""Name of the file written last into a finished run folder (a JSON manifest)."""

SUMMARY_FILE = "summary.json"
"""Name of the run summary file."""

MANIFEST_FORMAT = 2
"""Version of the ``_SUCCESS`` manifest: 2 adds the size of every file (``bytes``) and the
hdsim version. A format-1 manifest (files without sizes) is still read: its files must exist."""

MAX_MANIFEST_BYTES = 16 * 2**20
"""Largest ``_SUCCESS`` manifest read (16 MiB; hdsim's are under 1 kB)."""

_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-[a-z0-9_]{8}")
"""Names of the folders a write makes beside ``<name>``: ``.<name>.tmp-*`` (the new run being
written; after an exchange, the previous run) and ``.<name>.old-*`` (the previous run, set
aside by the fallback). The 8 characters are those of ``tempfile.mkdtemp``."""


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


def _safe_relpath(name: str, what: str = "extra_files") -> PurePosixPath:
    rel = PurePosixPath(name)
    if not name or rel.is_absolute() or ".." in rel.parts or "\\" in name:
        raise ValueError(
            f"{what}[{name!r}]: must be a relative path inside the run folder (no '..')"
        )
    return rel


def _is_finished_or_empty(folder: Path) -> bool:
    return (folder / SUCCESS_MARKER).is_file() or not any(folder.iterdir())


OWN_EXTRA_FILES = ("report.html", "scene.czml")
"""Files other hdsim commands add to a finished run folder (``hdsim report``, ``hdsim view``)."""


def _foreign_files(folder: Path) -> list[str]:
    """Files in a finished run folder that its ``_SUCCESS`` manifest does not list (and that
    no hdsim command writes there): what a user put in it."""
    try:
        listed: set[str] | None = set(_load_manifest(folder)["files"])
    except ValueError:
        listed = None
    found = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    if listed is None:  # a manifest that cannot be read: every file but the marker is foreign
        return [f for f in found if f != SUCCESS_MARKER]
    own = listed | {SUCCESS_MARKER, *OWN_EXTRA_FILES}
    return [f for f in found if f not in own]


@functools.lru_cache(maxsize=1)
def _hdsim_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hdsim")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0+unknown"


# ---------------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------------


def write_manifest(folder: str | Path, files: Sequence[str],
                   tables: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Write ``_SUCCESS`` into ``folder`` (flushed to disk): the manifest of a finished run.

    Call it last, once every listed file is written and flushed: the sizes are those on disk.

    Args:
        folder: the run folder (usually still the temporary one).
        files: every file of the folder, as paths relative to it (``"report/index.html"``).
        tables: table name -> number of rows, for the ``<name>.parquet`` files.

    Returns:
        The manifest: ``format``, ``hdsim_version``, ``written_utc``, ``tables``, ``files``
        (the list of paths) and ``bytes`` (path -> size in bytes).

    Raises:
        ValueError: a path that is not inside the folder.
        OSError: a listed file is missing.
    """
    folder = Path(folder)
    sizes: dict[str, int] = {}
    for name in files:
        rel = _safe_relpath(name, "files")
        sizes[str(rel)] = folder.joinpath(*rel.parts).stat().st_size
    manifest = {
        "format": MANIFEST_FORMAT,
        "hdsim_version": _hdsim_version(),
        "written_utc": _dt.datetime.now(_dt.UTC).isoformat(),
        "tables": {str(k): int(v) for k, v in (tables or {}).items()},
        "files": list(sizes),
        "bytes": sizes,
    }
    _fsync_write(folder / SUCCESS_MARKER,
                 (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest


def _load_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of ``folder``, unchecked against the files.

    Raises:
        ValueError: no folder, no ``_SUCCESS``, or a manifest that cannot be read.
    """
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such run folder")
    marker = folder / SUCCESS_MARKER
    if not marker.is_file():
        raise ValueError(
            f"{folder}: not a finished hdsim run (no {SUCCESS_MARKER} marker; the run may have "
            "been interrupted)")
    try:
        size = marker.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ValueError(f"{size:,} bytes, more than any hdsim manifest")
        manifest = json.loads(marker.read_bytes())
    except (OSError, ValueError) as exc:  # JSON and UTF-8 errors are ValueErrors
        why = exc.strerror if isinstance(exc, OSError) else "not JSON" if isinstance(
            exc, json.JSONDecodeError | UnicodeDecodeError) else str(exc)
        raise ValueError(f"{folder}: not a finished hdsim run: its {SUCCESS_MARKER} manifest "
                         f"cannot be read ({why})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ValueError(f"{folder}: not a finished hdsim run: its {SUCCESS_MARKER} is not an "
                         "hdsim manifest (no list of files)")
    return manifest


def _mismatch(folder: Path, manifest: Mapping[str, Any]) -> str | None:
    """The first way the files of ``folder`` differ from its manifest, in words, or None."""
    sizes = manifest.get("bytes")
    if sizes is not None and not isinstance(sizes, dict):
        return f"its {SUCCESS_MARKER} manifest is damaged ('bytes' is not a mapping)"
    for name in manifest["files"]:
        try:
            rel = _safe_relpath(name, "files")
        except ValueError:
            return f"its {SUCCESS_MARKER} manifest lists {name!r}, a path outside the folder"
        path = folder.joinpath(*rel.parts)
        try:
            actual = path.stat().st_size if path.is_file() else None
        except OSError:
            actual = None
        if actual is None:
            return f"{name!r}, listed in its {SUCCESS_MARKER} manifest, is missing"
        if sizes is None:  # a format-1 manifest: no sizes to compare
            continue
        expected = sizes.get(name)
        if not isinstance(expected, int) or isinstance(expected, bool):
            return f"its {SUCCESS_MARKER} manifest gives no size for {name!r}"
        if actual != expected:
            return (f"{name!r} is {actual:,} bytes, its {SUCCESS_MARKER} manifest says "
                    f"{expected:,} (the file was changed or cut short)")
    return None


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The ``_SUCCESS`` manifest of a finished run folder, checked against its files.

    Raises:
        ValueError: the folder does not exist, has no ``_SUCCESS``, its manifest cannot be
            read, or a file it lists is missing or has another size (the message names it).
    """
    folder = Path(out_dir).expanduser()
    manifest = _load_manifest(folder)
    problem = _mismatch(folder, manifest)
    if problem is not None:
        raise ValueError(f"{folder}: not a complete hdsim run: {problem}")
    return manifest


def is_finished_run(out_dir: str | Path) -> bool:
    """Whether ``out_dir`` is a finished run folder whose manifest matches its files."""
    try:
        read_manifest(out_dir)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Renames, locks and leftovers
# ---------------------------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
"""``renameat2`` arguments (``<fcntl.h>``, ``<linux/fs.h>``): paths relative to the working
folder; exchange the two paths atomically."""


def _load_renameat2() -> Any:
    """libc's ``renameat2`` (glibc 2.28+, Linux 3.15+), or None where it is missing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _load_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Exchange the folders ``a`` and ``b`` in one atomic step; False where the OS or the file
    system cannot (no ``renameat2``, ``ENOSYS``, ``EINVAL``), and nothing was changed.

    Raises:
        OSError: any other failure (nothing was changed).
    """
    fn = _RENAMEAT2
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _fsync_dir(path: Path) -> None:
    """Flush the entries of the folder ``path`` to disk (where a folder can be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # e.g. Windows, where a folder cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    """Remove a folder (or a link) and what it holds, as far as possible."""
    if path.is_symlink():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _lock_dir(path: Path) -> tuple[bool, int | None]:
    """An exclusive lock on the folder ``path`` (``flock``, not waiting).

    Returns:
        ``(False, None)`` when another open file holds it (a live write); ``(True, fd)`` when
        taken (close ``fd`` to release); ``(True, None)`` where locks are not available.
    """
    if fcntl is None:
        return True, None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True, None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False, None
    except OSError:  # a file system without flock
        os.close(fd)
        return True, None
    return True, fd


def _leftovers(parent: Path, name: str | None = None) -> list[tuple[Path, str, str]]:
    """``(path, run folder name, kind)`` of the leftover folders of writes in ``parent`` (of
    the run folder ``name`` only, when given)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    out = []
    for p in entries:
        m = _LEFTOVER.fullmatch(p.name)
        if m and (name is None or m["name"] == name):
            out.append((p, m["name"], m["kind"]))
    return sorted(out)


def _written_utc(folder: Path) -> str:
    try:
        return str(_load_manifest(folder).get("written_utc", ""))
    except ValueError:
        return ""


def clean_leftovers(out_dir: str | Path) -> list[str]:
    """Clean up after writes of ``out_dir`` that were killed (see the module doc).

    Removes the ``.<name>.tmp-*`` and ``.<name>.old-*`` folders beside ``out_dir``; when
    ``out_dir`` does not exist, first renames the newest ``.old-*`` folder that holds a
    finished run (manifest matching) back to ``out_dir``. Folders locked by a write in progress
    are left alone. Nothing else is touched.

    Returns:
        What was done, one line each (``"restored .run.old-abcd1234"``, ``"removed ..."``).
    """
    out = Path(out_dir).expanduser().absolute()
    found = _leftovers(out.parent, out.name)
    done: list[str] = []
    locks: list[int] = []
    try:
        free = []
        for path, _, kind in found:
            ok, fd = _lock_dir(path)
            if not ok:
                continue  # a write in progress
            if fd is not None:
                locks.append(fd)
            free.append((path, kind))
        if free and not (out.exists() or out.is_symlink()):
            olds = [p for p, kind in free if kind == "old" and is_finished_run(p)]
            if olds:
                best = max(olds, key=_written_utc)
                try:
                    os.rename(best, out)
                except OSError:
                    pass
                else:
                    _fsync_dir(out.parent)
                    free = [(p, k) for p, k in free if p != best]
                    done.append(f"restored {best.name}")
        for path, _ in free:
            _remove_tree(path)
            done.append(f"removed {path.name}")
    finally:
        for fd in locks:
            os.close(fd)
    return done


def clean_all_leftovers(parent: str | Path) -> list[str]:
    """:func:`clean_leftovers` for every run folder of ``parent`` that has leftovers (e.g. the
    ``runs/`` folder of a campaign)."""
    parent = Path(parent).expanduser().absolute()
    names = sorted({name for _, name, _ in _leftovers(parent)})
    return [line for name in names for line in clean_leftovers(parent / name)]


def check_out_dir(out_dir: str | Path) -> Path:
    """Check, before any work, that a run can be written to ``out_dir``; its absolute path.

    Allowed: a new path whose nearest existing parent is a writable folder, an empty folder,
    or a finished hdsim run folder holding only the files hdsim wrote there (it is replaced
    when the new run is complete). Anything else is refused, and nothing is deleted: a folder
    that is not a run folder, or a run folder with files the user added (named in the error).
    First, what killed writes of ``out_dir`` left beside it is cleaned up
    (:func:`clean_leftovers`: only hdsim's own hidden ``.<name>.tmp-*`` / ``.old-*`` folders).

    Raises:
        ValueError: the problem, naming the path.
    """
    out = Path(out_dir).expanduser().absolute()
    clean_leftovers(out)  # what a killed write left beside it (hdsim's own hidden folders)
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
    """Write a run folder atomically (see the module doc for the steps and what a killed write
    leaves).

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
        OSError, pyarrow errors: from writing; ``out_dir`` is then the whole previous run (or,
            when the failure came after the swap, the whole new one).
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
    _, lock = _lock_dir(tmp)  # held to the end: another process's clean-up leaves it alone
    try:
        try:
            apply_umask(tmp, 0o777)  # mkdtemp makes 0700; a result folder follows the umask
            files = _write_files(tmp, tables, summary_text, extras)
            write_manifest(tmp, files, {name: tables[name].num_rows for name in tables})
            _fsync_dir(tmp)
        except BaseException:
            _remove_tree(tmp)
            raise
        _swap_in(tmp, out_dir)
    finally:
        if lock is not None:
            os.close(lock)
    return out_dir


def _write_files(tmp: Path, tables: Mapping[str, pa.Table], summary_text: str,
                 extras: Mapping[PurePosixPath, bytes]) -> list[str]:
    """Write the tables, the summary and the extra files into ``tmp``, each flushed to disk;
    their paths relative to ``tmp``."""
    files = []
    for name, table in tables.items():
        with open(tmp / f"{name}.parquet", "wb") as f:
            pq.write_table(table, f)
            f.flush()
            os.fsync(f.fileno())
        files.append(f"{name}.parquet")
    _fsync_write(tmp / SUMMARY_FILE, summary_text.encode("utf-8"))
    files.append(SUMMARY_FILE)
    folders: set[Path] = set()
    for rel, data in extras.items():
        target = tmp.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        _fsync_write(target, bytes(data))
        files.append(str(rel))
        folders.update(p for p in target.parents if p != tmp and tmp in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        _fsync_dir(folder)
    return files


def _swap_in(tmp: Path, out: Path) -> None:
    """Put the finished folder ``tmp`` at ``out`` and remove what was there (module doc)."""
    if not (out.exists() or out.is_symlink()):
        try:
            os.rename(tmp, out)
        except BaseException:
            _remove_tree(tmp)
            raise
        _fsync_dir(out.parent)
        return
    try:
        exchanged = _exchange(tmp, out)
    except BaseException:
        _remove_tree(tmp)
        raise
    if exchanged:  # tmp now holds the previous run
        try:
            _fsync_dir(out.parent)
        finally:
            _remove_tree(tmp)
        return
    _swap_by_renames(tmp, out)


def _swap_by_renames(tmp: Path, out: Path) -> None:
    """The fallback of :func:`_swap_in`: the previous run aside, the new one in, (on failure
    the previous one back), then the previous one removed."""
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()  # keep the unique name only; rename needs a free target
    _, lock = _lock_dir(out)  # the lock follows the folder to its .old- name
    try:
        try:
            os.rename(out, old)
        except BaseException:
            _remove_tree(tmp)
            raise
        try:
            os.rename(tmp, out)
        except BaseException:
            try:
                os.rename(old, out)  # put the previous results back
            finally:
                _remove_tree(tmp)
            raise
        try:
            _fsync_dir(out.parent)
        finally:
            _remove_tree(old)
    finally:
        if lock is not None:
            os.close(lock)


def read_run(out_dir: str | Path) -> dict[str, pa.Table]:
    """Read every table (``<name>.parquet``) of a finished run folder.

    Returns:
        Table name (file name without ``.parquet``) -> Arrow table, in name order.

    Raises:
        ValueError: the folder does not exist, has no ``_SUCCESS`` manifest, or its files do
            not match the manifest (:func:`read_manifest`).
    """
    out_dir = Path(out_dir).expanduser()
    manifest = read_manifest(out_dir)
    names = sorted(f for f in manifest["files"] if f.endswith(".parquet") and "/" not in f)
    return {name[: -len(".parquet")]: pq.read_table(out_dir / name) for name in names}


def read_summary(out_dir: str | Path) -> dict[str, Any]:
    """Read ``summary.json`` of a finished run folder (NaN was written as null).

    Raises:
        ValueError: as :func:`read_run`.
    """
    out_dir = Path(out_dir).expanduser()
    read_manifest(out_dir)
    return json.loads((out_dir / SUMMARY_FILE).read_text(encoding="utf-8"))


__all__ = [
    "MANIFEST_FORMAT",
    "OWN_EXTRA_FILES",
    "SUCCESS_MARKER",
    "SUMMARY_FILE",
    "apply_umask",
    "check_out_dir",
    "clean_all_leftovers",
    "clean_leftovers",
    "is_finished_run",
    "read_manifest",
    "read_run",
    "read_summary",
    "to_jsonable",
    "write_manifest",
    "write_run",
]
