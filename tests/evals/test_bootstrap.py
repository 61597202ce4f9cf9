from __future__ import annotations

import numpy as np

from evals.bootstrap import bootstrap_delta
from evals.metrics import STATS


def matrix(chrf: np.ndarray) -> np.ndarray:
    m = np.zeros((chrf.size, len(STATS)))
    m[:, STATS.index("chrf")] = chrf
    m[:, STATS.index("drafted")] = 1
    return m


def test_bootstrap_interval_covers_a_known_difference_about_95_percent() -> None:
    rng = np.random.default_rng(42)
    true_delta, trials, covered = 2.0, 120, 0
    for _ in range(trials):
        a = rng.normal(50, 10, size=60)
        b = a + true_delta + rng.normal(0, 5, size=60)
        # the population mean difference is exactly true_delta
        _d, lo, hi = bootstrap_delta(matrix(a), matrix(b), n_boot=400, seed=int(rng.integers(1e9)))[
            "chrf"
        ]
        covered += lo <= true_delta <= hi
    rate = covered / trials
    assert 0.86 <= rate <= 0.99, rate


def test_no_difference_gives_an_interval_around_zero() -> None:
    a = np.random.default_rng(0).normal(50, 10, 80)
    d, lo, hi = bootstrap_delta(matrix(a), matrix(a.copy()), n_boot=200)["chrf"]
    assert d == 0 and lo == 0 and hi == 0
