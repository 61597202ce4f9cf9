"""Where one drafted clip goes under a policy: accepted by recap, accepted and audited by a
person as well, or to the human queue."""

from __future__ import annotations

from enum import StrEnum

from agent.errors import ConfigError
from agent.routing._audit import in_audit
from agent.routing._calibration import Policy


class Route(StrEnum):
    REVIEW = "review"  # the human queue, as without a policy
    AUTO = "auto_accepted"  # accepted by the policy; no person sees it
    AUDIT = "audit"  # accepted by the policy, and also in the human queue as an audit


def route(
    policy: Policy | None,
    confidence: float,
    *,
    run: str,
    clip_id: str,
    audit_share: float = 0.05,
    suspended: bool = False,
) -> Route:
    """The route of a clip whose draft has `confidence`. No policy, a suspended one, or a
    confidence under the threshold: the human queue. A person's decision always wins over an
    auto-acceptance; that is the store's to enforce when both exist."""
    if not 0.0 <= audit_share < 1.0:
        raise ConfigError(f"The audit share must lie in [0, 1), got {audit_share}.")
    if policy is None or suspended or not policy.accepts(confidence):
        return Route.REVIEW
    return Route.AUDIT if in_audit(run, clip_id, audit_share) else Route.AUTO
