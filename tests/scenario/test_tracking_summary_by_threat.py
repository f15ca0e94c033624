"""Per-threat tracking figures in summary.json belong to the right threat: recomputed here from
tracks.parquet and the truth trajectories, by truth id, for threats whose scenario order
differs from their alphabetical order (a regression: the timeline is sorted by id)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from hdsim.results import read_summary
from hdsim.scenario import scenario_from_dict
from hdsim.scenario.run import run_scenario

SCENARIO = {
    "name": "order",
    "epoch": "2027-03-01T00:00:00Z",
    "duration_s": 700,
    "seed": 2,
    "threats": [
        {"id": "z-cruise", "type": "cruise", "launch": {"lat_deg": 35.0, "lon_deg": 134.5},
         "target": {"lat_deg": 35.68, "lon_deg": 139.77},
         "cruise": {"mach": 5, "altitude_m": 26000}},
        {"id": "a-glider", "type": "boost_glide", "launch": {"lat_deg": 38.0, "lon_deg": 128.0},
         "target": {"lat_deg": 35.5, "lon_deg": 139.5},
         "burnout": {"speed_mps": 4000, "altitude_m": 40000}},
    ],
    "sensors": {"radars": [{"id": "xband", "preset": "xband_long_range",
                            "site": {"lat_deg": 35.4, "lon_deg": 139.4, "alt_m": 50}}]},
}


def test_rmse_is_attached_to_its_own_threat(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_scenario(scenario_from_dict(SCENARIO), out, quiet=True)
    summary = read_summary(out)
    tracks = pq.read_table(out / "tracks.parquet").to_pydict()
    truth_id = np.array(tracks["truth_id"], dtype=object)
    status = np.array(tracks["status"], dtype=object)
    t = np.array(tracks["t_s"])
    pos = np.stack([np.array(tracks[c]) for c in ("x_m", "y_m", "z_m")], axis=1)
    checked = 0
    for row in summary["threats"]:
        m = (truth_id == row["threat_id"]) & np.isin(status, ["confirmed", "coasting"])
        if not m.any():
            assert row["rmse_pos_m"] is None
            continue
        truth = result.trajectories.by_id(row["threat_id"]).state_at(t[m])[:, :3]
        ok = np.isfinite(truth[:, 0])
        rmse = np.sqrt(np.mean(np.sum((pos[m][ok] - truth[ok]) ** 2, axis=1)))
        assert abs(row["rmse_pos_m"] - rmse) <= 1e-6 * rmse, (row["threat_id"], rmse)
        checked += 1
    assert checked == 2
