"""Fixed-sequence calibration: the threshold chosen, the stop at the first failure, ties, the
min_n skip and the errors for bad input."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.routing import Labelled, NotEnoughLabels, Policy, calibrate, risk_coverage, upper_bound


def block(confidence: float, n: int, errors: int = 0) -> list[Labelled]:
    return [Labelled(confidence, i < errors) for i in range(n)]


def test_chosen_threshold_on_a_hand_built_example() -> None:
    # 40 clean clips at 0.9, 20 at 0.8 with 1 error, 20 at 0.5 with 10 errors.
    items = block(0.9, 40) + block(0.8, 20, 1) + block(0.5, 20, 10)
    cal = calibrate(items, 0.1, 0.1)
    # 0.9: U(0, 40) = 0.056 kept; 0.8: U(1, 60) = 0.063 kept; 0.5: U(11, 80) = 0.20 fails.
    assert [p.threshold for p in cal.tested] == [0.9, 0.8, 0.5]
    assert cal.stopped_at is not None and cal.stopped_at.threshold == 0.5
    p = cal.policy
    assert p.threshold == 0.8
    assert (p.n, p.accepted, p.errors) == (80, 60, 1)
    assert p.error == pytest.approx(1 / 60)
    assert p.bound == pytest.approx(upper_bound(1, 60, 0.1))
    assert p.coverage == pytest.approx(0.75)
    assert p.to_json() == {
        "threshold": 0.8,
        "alpha": 0.1,
        "delta": 0.1,
        "n": 80,
        "coverage": 0.75,
        "error": 1 / 60,
        "bound": p.bound,
    }
    assert p.accepts(0.8) and p.accepts(0.95) and not p.accepts(0.79)


def test_stops_at_the_first_failure_even_if_a_lower_threshold_passes_again() -> None:
    # 30 clean at 0.9 (kept), then 10 at 0.8 with 4 errors: U(4, 40) = 0.19 fails.
    # Below, 200 clean clips at 0.7 would bring the bound back under alpha: U(4, 240) = 0.033.
    items = block(0.9, 30) + block(0.8, 10, 4) + block(0.7, 200)
    assert upper_bound(4, 240, 0.1) < 0.1
    cal = calibrate(items, 0.1, 0.1)
    assert cal.policy.threshold == 0.9
    assert cal.stopped_at is not None and cal.stopped_at.threshold == 0.8
    assert [p.threshold for p in cal.tested] == [0.9, 0.8]  # 0.7 never tested


def test_tied_confidences_are_one_threshold() -> None:
    # 35 clips share 0.9 (one wrong); they enter together or not at all
    items = block(0.9, 35, 1) + block(0.4, 35, 20)
    cal = calibrate(items, 0.15, 0.1)
    assert [p.threshold for p in cal.tested] == [0.9, 0.4]
    assert cal.tested[0].accepted == 35 and cal.tested[0].errors == 1
    assert cal.policy.threshold == 0.9 and cal.policy.accepted == 35


def test_thresholds_with_fewer_than_min_n_clips_are_skipped_not_failed() -> None:
    # the top 5 clips are all wrong, but with fewer than 30 clips above them they are not
    # tested, so they cannot stop the walk
    items = block(0.99, 5, 5) + block(0.9, 100) + block(0.2, 30, 30)
    cal = calibrate(items, 0.1, 0.1)
    assert cal.tested[0].threshold == 0.9
    assert cal.tested[0].accepted == 105 and cal.tested[0].errors == 5
    assert cal.policy.threshold == 0.9
    assert calibrate(items, 0.1, 0.1, min_n=5).policy.threshold is None


def test_nothing_kept_says_why() -> None:
    items = block(0.9, 30, 5) + block(0.5, 30)
    cal = calibrate(items, 0.1, 0.1)
    assert cal.policy.threshold is None
    assert cal.policy.coverage == 0.0 and cal.policy.bound is None
    assert "30 most confident" in (cal.policy.reason or "")
    assert not cal.policy.accepts(1.0)
    assert cal.policy.to_json()["threshold"] is None


def test_too_few_labels_names_how_many_are_needed() -> None:
    with pytest.raises(NotEnoughLabels, match=r"29 labelled clips.*at least 30") as e:
        calibrate(block(0.9, 29), 0.1, 0.1)
    assert e.value.needed == 30
    # at alpha 0.05 zero errors need 45 clips (ln 0.1 / ln 0.95 = 44.9), more than min_n
    with pytest.raises(NotEnoughLabels, match="at least 45"):
        calibrate(block(0.9, 40), 0.05, 0.1)
    assert calibrate(block(0.9, 45), 0.05, 0.1).policy.threshold == 0.9


@pytest.mark.parametrize(("alpha", "delta"), [(0.0, 0.1), (1.0, 0.1), (0.1, 0.0), (0.1, 1.2)])
def test_levels_outside_zero_one_are_refused(alpha: float, delta: float) -> None:
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        calibrate(block(0.9, 40), alpha, delta)


def test_bad_items_are_named() -> None:
    with pytest.raises(ConfigError, match=r"'c7'.*outside"):
        calibrate([*block(0.9, 40), Labelled(1.5, False, "c7")], 0.1, 0.1)
    with pytest.raises(ConfigError, match="not a number"):
        calibrate([*block(0.9, 40), Labelled(float("nan"), False)], 0.1, 0.1)


def test_policy_round_trips_as_json() -> None:
    p = calibrate(block(0.9, 40), 0.1, 0.1).policy
    assert Policy.model_validate_json(p.model_dump_json()) == p


def test_risk_coverage_curve() -> None:
    items = block(0.9, 40) + block(0.8, 20, 1) + block(0.5, 20, 10)
    rc = risk_coverage(items, alphas=(0.05, 0.1), delta=0.1)
    assert [(p.threshold, p.accepted, p.errors) for p in rc.points] == [
        (0.9, 40, 0),
        (0.8, 60, 1),
        (0.5, 80, 11),
    ]
    assert [p.coverage for p in rc.points] == [0.5, 0.75, 1.0]
    assert rc.points[2].error == pytest.approx(11 / 80)
    # alpha 0.05: U(0, 40) = 0.056 already fails; alpha 0.1 reaches 0.8
    assert rc.coverage_at(0.05) == 0.0
    assert rc.coverage_at(0.1) == 0.75
    out = rc.to_json()
    assert out["at"][1]["threshold"] == 0.8 and len(out["points"]) == 3


def test_risk_coverage_with_too_few_labels_reports_instead_of_failing() -> None:
    rc = risk_coverage(block(0.9, 20), alphas=(0.1,))
    assert rc.coverage_at(0.1) == 0.0
    assert "at least 30" in (rc.policies[0].reason or "")
    assert len(rc.points) == 1
