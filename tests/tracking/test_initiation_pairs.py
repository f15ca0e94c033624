"""Two-point initiation's pairing: the k-d tree candidate search (used above
``DENSE_PAIRS`` pairs) gives the same matches as testing every pair, with and without
range rates, on fixes spread like a 1,000-target radar picture with clutter."""

from __future__ import annotations

import numpy as np
import pytest

from hdsim.tracking import initiation
from hdsim.tracking.initiation import pair_fixes


def _fixes(rng, n, t, spread=600e3, sigma=300.0):
    p = rng.uniform(-spread, spread, (n, 3)) + np.array([6.4e6, 0.0, 0.0])
    cov = np.tile(np.eye(3) * sigma**2, (n, 1, 1)) * rng.uniform(0.5, 2.0, n)[:, None, None]
    return p, cov, np.full(n, t)


@pytest.mark.parametrize("radial", [False, True])
def test_kdtree_candidates_give_the_dense_matches(monkeypatch, radial):
    rng = np.random.default_rng(7)
    seeds = [_fixes(rng, 400, t) for t in (0.0, 1.0, 2.0, 3.0)]
    ps = np.concatenate([s[0] for s in seeds])
    Ps = np.concatenate([s[1] for s in seeds])
    ts = np.concatenate([s[2] for s in seeds])
    # new fixes: half are seeds moved at up to 3 km/s (true pairs), half clutter
    k = rng.choice(ps.shape[0], 300, replace=False)
    dt = 4.0 - ts[k]
    pn = np.concatenate([ps[k] + rng.normal(0, 2000.0, (300, 3)) * dt[:, None] / 1.5,
                         _fixes(rng, 300, 4.0)[0]])
    Pn = np.concatenate([Ps[k], _fixes(rng, 300, 4.0)[1]])
    tn = np.full(600, 4.0)
    kw = {}
    if radial:
        ell = pn / np.linalg.norm(pn, axis=1, keepdims=True)
        rr = np.where(rng.random(600) < 0.8, rng.normal(0.0, 2000.0, 600), np.nan)
        kw = {"los_new": ell, "range_rate_new": rr, "sigma_range_rate_new": np.full(600, 50.0)}
    monkeypatch.setattr(initiation, "DENSE_PAIRS", 10**12)
    dense = pair_fixes(pn, Pn, tn, ps, Ps, ts, 4000.0, **kw)
    monkeypatch.setattr(initiation, "DENSE_PAIRS", 0)
    tree = pair_fixes(pn, Pn, tn, ps, Ps, ts, 4000.0, **kw)
    np.testing.assert_array_equal(tree, dense)
    assert (dense >= 0).sum() > 100          # the case has real matches to find
