"""What a campaign says: probabilities with Wilson intervals, distributions, sweeps.

Everything here reads the campaign's tables (``runs``, ``threat_outcomes``, ``engagements``) with
DuckDB and returns Arrow tables, one row per grid point (and threat, weapon or leaker count):

* ``grid``: runs (ok / failed), P(no leaker) with its Wilson 95 % interval, mean leakers, shots
  per kill, the varied list values of the grid point;
* ``threats``: per threat Pk (killed / runs) with its Wilson interval, and the 5th, 50th and
  95th percentiles of first detection, first fire-control track, custody and position RMSE;
* ``leakers``: the distribution of the number of leakers per run;
* ``weapons``: rounds used per run (mean) and kills per weapon;
* ``classes``: Pk per threat class (``type``) with its Wilson interval;
* ``stages``: each stage's wall time summed over the draws.

Wilson score interval (Wilson 1927; Newcombe 1998, method 3), ``z = 1.95996``:
``(p̂ + z²/2n ± z sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

__all__ = ["Z95", "arrow_of", "summarize", "wilson_interval"]

STAGE_COLUMNS = ("threats_s", "sensors_s", "tracking_s", "engagement_s")
"""The ``runs`` columns holding each draw's stage wall times, s."""

Z95 = 1.959963984540054
"""The two-sided 95 % point of the standard normal."""


def wilson_interval(successes: ArrayLike, n: ArrayLike, z: float = Z95
                    ) -> tuple[NDArray, NDArray]:
    """Wilson score interval of a binomial proportion: ``(lower, upper)``, NaN where n = 0."""
    x = np.asarray(successes, float)
    m = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / m
        den = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / den
        half = z / den * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m))
    lo = np.where(m > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(m > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lo, hi


def arrow_of(con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    """The result of ``query`` as an Arrow table (DuckDB 1.x and 2.x spell this differently)."""
    rel = con.sql(query)
    for name in ("to_arrow_table", "arrow"):
        fn = getattr(rel, name, None)
        if fn is not None:
            t = fn()
            return t.read_all() if hasattr(t, "read_all") else t
    raise RuntimeError("this DuckDB gives no Arrow result")


def _with_interval(table: pa.Table, k: str, n: str, name: str) -> pa.Table:
    x = table[k].to_numpy(zero_copy_only=False).astype(float)
    m = table[n].to_numpy(zero_copy_only=False).astype(float)
    lo, hi = wilson_interval(x, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(m > 0, x / m, np.nan)
    return (table.append_column(name, pa.array(p, mask=~np.isfinite(p)))
            .append_column(f"{name}_lo", pa.array(lo, mask=~np.isfinite(lo)))
            .append_column(f"{name}_hi", pa.array(hi, mask=~np.isfinite(hi))))


_PER_RUN = """per_run AS (
            SELECT r.run_id, any_value(r.grid_point) AS grid_point,
                   count(t.threat_id) FILTER (WHERE t.outcome = 'leaked') AS leakers,
                   count(t.threat_id) FILTER (WHERE t.outcome = 'killed') AS kills,
                   coalesce(sum(t.shots), 0) AS shots
            FROM runs r LEFT JOIN threat_outcomes t USING (run_id)
            WHERE r.status = 'ok' GROUP BY r.run_id)"""
"""The per-draw leakers, kills and shots of the successful draws (a CTE of the queries below)."""


def summarize(con: duckdb.DuckDBPyConnection, sweep_paths: Sequence[str] = ()
              ) -> dict[str, pa.Table]:
    """The summary tables of a campaign catalog (see the module doc)."""
    cols = "".join(f', any_value("{p}") AS "{p}"' for p in sweep_paths)
    has_eng = con.sql("SELECT count(*) FROM threat_outcomes WHERE outcome IS NOT NULL"
                      ).fetchall()[0][0] > 0
    grid = arrow_of(con, f"""
        WITH {_PER_RUN},
        agg AS (
            SELECT grid_point, count(*) FILTER (WHERE leakers = 0) AS runs_no_leaker,
                   avg(leakers) AS mean_leakers,
                   sum(shots) / nullif(sum(kills), 0) AS shots_per_kill
            FROM per_run GROUP BY grid_point)
        SELECT g.grid_point{cols},
               count(*) FILTER (WHERE g.status = 'ok') AS runs_ok,
               count(*) FILTER (WHERE g.status <> 'ok') AS runs_failed,
               coalesce(any_value(a.runs_no_leaker), 0) AS runs_no_leaker,
               any_value(a.mean_leakers) AS mean_leakers,
               any_value(a.shots_per_kill) AS shots_per_kill,
               sum(g.wall_s) AS wall_s
        FROM runs g LEFT JOIN agg a USING (grid_point)
        GROUP BY g.grid_point ORDER BY g.grid_point""")
    grid = _with_interval(grid, "runs_no_leaker", "runs_ok", "p_no_leaker")
    if not has_eng:
        grid = grid.drop_columns(["runs_no_leaker", "mean_leakers", "shots_per_kill",
                                  "p_no_leaker", "p_no_leaker_lo", "p_no_leaker_hi"])
    q = "quantile_cont({c}, {q}) AS {c}_p{p}"
    stats = ", ".join(q.format(c=c, q=f, p=int(100 * f))
                      for c in ("first_detection_s", "first_fire_control_s", "custody",
                                "rmse_pos_m") for f in (0.05, 0.5, 0.95))
    threats = arrow_of(con, f"""
        SELECT t.grid_point, t.threat_id, any_value(t.type) AS type, count(*) AS runs,
               count(*) FILTER (WHERE t.outcome = 'killed') AS kills,
               avg(t.shots) AS mean_shots, {stats}
        FROM threat_outcomes t JOIN runs r USING (run_id) WHERE r.status = 'ok'
        GROUP BY t.grid_point, t.threat_id ORDER BY t.grid_point, t.threat_id""")
    threats = _with_interval(threats, "kills", "runs", "pk")
    if not has_eng:
        threats = threats.drop_columns(["kills", "mean_shots", "pk", "pk_lo", "pk_hi"])
    out = {"grid": grid, "threats": threats}
    if has_eng:
        classes = arrow_of(con, """
            SELECT t.grid_point, t.type, count(*) AS runs,
                   count(*) FILTER (WHERE t.outcome = 'killed') AS kills
            FROM threat_outcomes t JOIN runs r USING (run_id) WHERE r.status = 'ok'
            GROUP BY t.grid_point, t.type ORDER BY t.grid_point, t.type""")
        out["classes"] = _with_interval(classes, "kills", "runs", "pk")
    stage_cols = [c for c in con.sql("SELECT * FROM runs LIMIT 0").columns
                  if c in STAGE_COLUMNS]
    if stage_cols:
        sums = ", ".join(f'sum("{c}") AS "{c}"' for c in stage_cols)
        out["stages"] = arrow_of(con, f"""
            SELECT grid_point, count(*) AS runs, sum(wall_s) AS wall_s, {sums}
            FROM runs WHERE status = 'ok' GROUP BY grid_point ORDER BY grid_point""")
    if has_eng:
        leak = arrow_of(con, f"""
            WITH {_PER_RUN}
            SELECT grid_point, leakers, count(*) AS runs,
                   count(*) / sum(count(*)) OVER (PARTITION BY grid_point) AS fraction
            FROM per_run GROUP BY grid_point, leakers ORDER BY grid_point, leakers""")
        weap = arrow_of(con, """
            SELECT r.grid_point, e.weapon_id, count(*) / any_value(n.runs) AS rounds_per_run,
                   count(*) FILTER (WHERE e.outcome = 'kill') AS kill_shots
            FROM engagements e JOIN runs r USING (run_id)
            JOIN (SELECT grid_point, count(*) AS runs FROM runs WHERE status = 'ok'
                  GROUP BY grid_point) n USING (grid_point)
            WHERE r.status = 'ok' GROUP BY r.grid_point, e.weapon_id
            ORDER BY r.grid_point, e.weapon_id""")
        out["leakers"] = leak
        out["weapons"] = weap
    return out
