"""The fitted combiner: logistic regression on the confidence parts."""

from __future__ import annotations

import random

import pytest

from agent.errors import ConfigError
from agent.routing import ConfidenceParts, fit_combiner


def parts(agreement: float, telemetry: float | None) -> ConfidenceParts:
    return ConfidenceParts(samples=5, agreement=agreement, telemetry=telemetry, claims=1.0)


def test_fit_learns_which_parts_predict_a_right_draft() -> None:
    rng = random.Random(0)
    rows, errors = [], []
    for _ in range(400):
        a = rng.choice([0.4, 0.6, 0.8, 1.0])
        t = rng.choice([0.0, 1.0, None])
        p_right = a * (0.2 if t == 0.0 else 1.0)
        rows.append(parts(a, t))
        errors.append(rng.random() >= p_right)
    c = fit_combiner(rows, errors)
    assert c.score(parts(1.0, 1.0)) > c.score(parts(0.6, 1.0)) > c.score(parts(0.6, 0.0))
    assert 0.0 < c.score(parts(0.4, 0.0)) < 0.5 < c.score(parts(1.0, 1.0)) < 1.0
    assert (
        c.version.startswith("logistic-")
        and c.version == type(c).model_validate_json(c.model_dump_json()).version
    )


def test_fit_needs_both_classes_and_matching_lengths() -> None:
    with pytest.raises(ConfigError, match="both right and wrong"):
        fit_combiner([parts(1.0, 1.0)] * 3, [False] * 3)
    with pytest.raises(ConfigError, match="labels"):
        fit_combiner([parts(1.0, 1.0)] * 3, [False] * 2)
