"""The exact Clopper–Pearson bound against hand-computed values and its defining equation."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binom

from agent.errors import ConfigError
from agent.routing import check_levels, labels_needed, upper_bound


def test_no_errors_in_30() -> None:
    # 1 - 0.1 ** (1 / 30): the rate at which 30 clean clips have probability 0.1
    assert upper_bound(0, 30, 0.1) == pytest.approx(0.0739, abs=5e-5)
    assert upper_bound(0, 30, 0.1) == pytest.approx(1 - 0.1 ** (1 / 30), rel=1e-9)


def test_two_errors_in_100() -> None:
    assert upper_bound(2, 100, 0.1) == pytest.approx(0.0523, abs=5e-5)


@pytest.mark.parametrize(
    ("k", "m", "delta"), [(0, 30, 0.1), (2, 100, 0.1), (7, 40, 0.05), (1, 3, 0.2)]
)
def test_bound_solves_the_binomial_tail(k: int, m: int, delta: float) -> None:
    u = upper_bound(k, m, delta)
    assert binom.cdf(k, m, u) == pytest.approx(delta, abs=1e-9)
    assert k / m < u < 1


def test_all_wrong_and_no_clips_bound_at_one() -> None:
    assert upper_bound(5, 5, 0.1) == 1.0
    assert upper_bound(0, 0, 0.1) == 1.0


def test_bound_grows_with_errors_and_shrinks_with_clips() -> None:
    assert upper_bound(1, 50, 0.1) < upper_bound(2, 50, 0.1)
    assert upper_bound(2, 200, 0.1) < upper_bound(2, 100, 0.1)


def test_bad_counts() -> None:
    with pytest.raises(ValueError, match="errors"):
        upper_bound(3, 2, 0.1)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5, math.nan, "0.1", True])
def test_levels_outside_zero_one(bad: object) -> None:
    with pytest.raises(ConfigError, match="alpha"):
        check_levels(bad, 0.1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="delta"):
        check_levels(0.1, bad)  # type: ignore[arg-type]


def test_labels_needed_with_no_errors() -> None:
    # ln 0.1 / ln 0.9 = 21.85: 22 clean clips bound the error at 0.0994, 21 only at 0.1038
    assert labels_needed(0.1, 0.1) == 22
    assert upper_bound(0, 22, 0.1) <= 0.1 < upper_bound(0, 21, 0.1)
    assert labels_needed(0.1, 0.1, min_n=30) == 30
    assert labels_needed(0.05, 0.1) == math.ceil(math.log(0.1) / math.log(0.95))


def test_labels_needed_with_an_error_rate() -> None:
    m = labels_needed(0.1, 0.1, error_rate=0.05)
    assert m is not None
    assert upper_bound(math.ceil(0.05 * m), m, 0.1) <= 0.1
    assert upper_bound(math.ceil(0.05 * (m - 1)), m - 1, 0.1) > 0.1
    assert labels_needed(0.1, 0.1, error_rate=0.1) is None
    assert labels_needed(0.1, 0.1, error_rate=0.3) is None
