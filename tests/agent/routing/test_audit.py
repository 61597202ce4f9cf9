"""The audit: which auto-accepted clips a person sees, the audit bound and suspension; and the
route of each clip under a policy."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.routing import Labelled, Route, audit_status, calibrate, in_audit, route, upper_bound


@pytest.fixture
def policy():
    items = [Labelled(0.9, False) for _ in range(60)] + [Labelled(0.3, i < 20) for i in range(40)]
    p = calibrate(items, 0.1, 0.1).policy
    assert p.threshold == 0.9
    return p


def test_audit_share_by_hash() -> None:
    clips = [f"clip-{i}" for i in range(20000)]
    picked = [c for c in clips if in_audit("run-a", c, 0.05)]
    assert 0.045 < len(picked) / len(clips) < 0.055
    # stable across calls, different per run, none at share 0
    assert picked == [c for c in clips if in_audit("run-a", c, 0.05)]
    assert picked != [c for c in clips if in_audit("run-b", c, 0.05)]
    assert not any(in_audit("run-a", c, 0.0) for c in clips)
    # not the control arm's hash: the two shares pick different clips
    from agent.review import in_control_arm

    control = {c for c in clips if in_control_arm("run-a", c, 0.05)}
    assert len(control & set(picked)) < 0.2 * len(picked)


def test_clean_audits_keep_the_policy(policy) -> None:
    s = audit_status(policy, auto_accepted=1000, audited=50, audit_errors=1)
    assert s.audit_bound == pytest.approx(upper_bound(1, 50, 0.1))
    assert not s.suspended
    assert s.to_json() == {
        "auto_accepted": 1000,
        "audited": 50,
        "audit_errors": 1,
        "audit_bound": s.audit_bound,
        "suspended": False,
    }


def test_failing_audits_suspend(policy) -> None:
    s = audit_status(policy, auto_accepted=1000, audited=50, audit_errors=6)
    assert s.audit_bound is not None and s.audit_bound > 0.1
    assert s.suspended and "suspended" in s.reason


def test_too_few_audits_are_not_judged(policy) -> None:
    s = audit_status(policy, auto_accepted=100, audited=10, audit_errors=0)
    assert s.audit_bound == pytest.approx(upper_bound(0, 10, 0.1))  # 0.206 > alpha, but
    assert not s.suspended and s.min_audits == 22 and "not yet judged" in s.reason
    s = audit_status(policy, auto_accepted=100, audited=0, audit_errors=0)
    assert s.audit_bound is None and not s.suspended
    # from 22 audits on the rule applies: one error in 22 bounds at 0.166
    s = audit_status(policy, auto_accepted=100, audited=22, audit_errors=1)
    assert s.suspended
    assert audit_status(
        policy, auto_accepted=100, audited=5, audit_errors=1, min_audits=5
    ).suspended


def test_bad_audit_counts(policy) -> None:
    with pytest.raises(ConfigError, match="audit errors"):
        audit_status(policy, auto_accepted=10, audited=2, audit_errors=3)
    with pytest.raises(ConfigError, match="auto-accepted"):
        audit_status(policy, auto_accepted=1, audited=2, audit_errors=0)
    with pytest.raises(ConfigError, match="count"):
        audit_status(policy, auto_accepted=-1, audited=0, audit_errors=0)


def test_route(policy) -> None:
    routes = [route(policy, 0.95, run="r", clip_id=f"c{i}", audit_share=0.1) for i in range(2000)]
    assert set(routes) == {Route.AUTO, Route.AUDIT}
    assert 0.07 < routes.count(Route.AUDIT) / len(routes) < 0.13
    assert route(policy, 0.89, run="r", clip_id="c1") is Route.REVIEW
    assert route(None, 1.0, run="r", clip_id="c1") is Route.REVIEW
    assert route(policy, 1.0, run="r", clip_id="c1", suspended=True) is Route.REVIEW
    assert route(policy, 1.0, run="r", clip_id="c1", audit_share=0.0) is Route.AUTO
    with pytest.raises(ConfigError, match="audit share"):
        route(policy, 1.0, run="r", clip_id="c1", audit_share=1.0)
