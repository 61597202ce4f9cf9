"""Paired bootstrap over cases: how sure a difference between two runs is."""

from __future__ import annotations

import numpy as np

from evals.metrics import metrics_from


def bootstrap_delta(
    a: np.ndarray, b: np.ndarray, *, n_boot: int = 1000, seed: int = 0
) -> dict[str, tuple[float, float, float]]:
    """Paired bootstrap over cases: (delta, low, high) of B minus A, 95% percentile interval.
    Both runs are scored on the same resampled cases in each replicate."""
    rng = np.random.default_rng(seed)
    n = a.shape[0]
    weights = rng.multinomial(n, np.full(n, 1 / n), size=n_boot)
    ma, mb = metrics_from(a, weights), metrics_from(b, weights)
    fa, fb = metrics_from(a), metrics_from(b)
    out = {}
    for name in fa:
        d = mb[name] - ma[name]
        d = d[~np.isnan(d)]
        point = float(fb[name][0] - fa[name][0])
        if d.size == 0:
            out[name] = (point, float("nan"), float("nan"))
        else:
            out[name] = (point, float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5)))
    return out
