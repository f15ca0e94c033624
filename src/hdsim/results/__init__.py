"""Result folders: written atomically, read back.

:func:`write_run` writes ``<table>.parquet`` files, ``summary.json`` and a ``_SUCCESS``
marker last (a half-written run never looks finished); :func:`read_run` and
:func:`read_summary` read a finished folder back. :class:`hdsim.Results` wraps them for users.
"""

from hdsim.results.folder import (
    SUCCESS_MARKER,
    SUMMARY_FILE,
    check_out_dir,
    read_run,
    read_summary,
    to_jsonable,
    write_run,
)

__all__ = ["SUCCESS_MARKER", "SUMMARY_FILE", "check_out_dir", "read_run", "read_summary",
           "to_jsonable", "write_run"]
