"""The audit that keeps an auto-acceptance policy honest, and which auto-accepted clips it takes.

A share of auto-accepted clips (by a hash of run and clip, like the control arm: random across
clips, the same in every process) also goes to the human queue, looking like any other clip.
Audited clips a person changed (by the error rule) are errors of the policy. The same exact
bound as calibration, on the audited clips, says whether the policy still holds: when it exceeds
α the policy is suspended (no new auto-acceptances) until it is calibrated again.

The bound on a handful of audits is always above α (no number below ln δ / ln(1 − α), 22 at
α = δ = 0.1, can bring it under even with no errors), so the rule is applied once the audit has
`min_audits` clips (default that number); until then the policy is "not yet judged", not
suspended. After that, the burden of proof is on the policy: it keeps running only while the
audits themselves certify an error rate ≤ α.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent.errors import ConfigError
from agent.routing._bound import labels_needed, upper_bound
from agent.routing._calibration import Policy


def in_audit(run: str, clip_id: str, share: float) -> bool:
    """Whether an auto-accepted clip is also audited by a person: a hash of run and clip,
    uniform on [0, 1), below `share`."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"recap-audit\0{run}\0{clip_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


class AuditStatus(BaseModel):
    """Where a policy stands on its audit."""

    model_config = ConfigDict(frozen=True)

    auto_accepted: int
    audited: int
    audit_errors: int
    audit_bound: float | None
    suspended: bool
    alpha: float
    delta: float
    min_audits: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The figures `recap route status --json` prints."""
        keys = ("auto_accepted", "audited", "audit_errors", "audit_bound", "suspended")
        return {k: getattr(self, k) for k in keys}


def audit_status(
    policy: Policy,
    *,
    auto_accepted: int,
    audited: int,
    audit_errors: int,
    min_audits: int | None = None,
) -> AuditStatus:
    """The audit figures and whether the policy is suspended (audit bound > α, once the audit
    has `min_audits` clips). `audited` counts the audited clips a person has decided."""
    for name, value in (
        ("auto_accepted", auto_accepted),
        ("audited", audited),
        ("audit_errors", audit_errors),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{name} must be a count (0 or more), got {value!r}.")
    if audit_errors > audited:
        raise ConfigError(f"{audit_errors} audit errors among only {audited} audited clips.")
    if audited > auto_accepted:
        raise ConfigError(f"{audited} audited clips but only {auto_accepted} auto-accepted.")
    a, d = policy.alpha, policy.delta
    need = labels_needed(a, d) if min_audits is None else int(min_audits)
    assert need is not None
    bound = upper_bound(audit_errors, audited, d) if audited else None
    if bound is None or audited < need:
        reason = (
            f"{audited} of the {need} audits needed before the audit bound can hold "
            f"alpha={a:g}: not yet judged"
        )
        return AuditStatus(
            auto_accepted=auto_accepted,
            audited=audited,
            audit_errors=audit_errors,
            audit_bound=bound,
            suspended=False,
            alpha=a,
            delta=d,
            min_audits=need,
            reason=reason,
        )
    suspended = bound > a
    reason = (
        f"{audit_errors} of {audited} audited clips were wrong: the bound {bound:.3f} exceeds "
        f"alpha={a:g}, so the policy is suspended until it is calibrated again"
        if suspended
        else f"{audit_errors} of {audited} audited clips were wrong: bound {bound:.3f} ≤ "
        f"alpha={a:g}"
    )
    return AuditStatus(
        auto_accepted=auto_accepted,
        audited=audited,
        audit_errors=audit_errors,
        audit_bound=bound,
        suspended=suspended,
        alpha=a,
        delta=d,
        min_audits=need,
        reason=reason,
    )
