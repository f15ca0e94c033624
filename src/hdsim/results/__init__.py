"""Result folders: written atomically, read back.

:func:`write_run` writes ``<table>.parquet`` files, ``summary.json`` and a ``_SUCCESS``
manifest last (every file with its size), and swaps the folder into place atomically, so a
half-written run never looks finished; :func:`read_run` and :func:`read_summary` read a
finished folder back once its files match the manifest (:func:`read_manifest`).
:func:`clean_leftovers` tidies what a killed write left. :class:`hdsim.Results` wraps them for
users.
"""

from hdsim.results.folder import (
    MANIFEST_FORMAT,
    SUCCESS_MARKER,
    SUMMARY_FILE,
    check_out_dir,
    clean_all_leftovers,
    clean_leftovers,
    is_finished_run,
    read_manifest,
    read_run,
    read_summary,
    to_jsonable,
    write_manifest,
    write_run,
)

__all__ = ["MANIFEST_FORMAT", "SUCCESS_MARKER", "SUMMARY_FILE", "check_out_dir",
           "clean_all_leftovers", "clean_leftovers", "is_finished_run", "read_manifest",
           "read_run", "read_summary", "to_jsonable", "write_manifest", "write_run"]
