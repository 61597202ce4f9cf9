"""Routing: accept drafts without a person when their error rate is bounded with a guarantee.

A confidence per draft (`confidence`, from the agreement of K samples, the telemetry check,
the claims nothing can check, and the model's own signals), the rule that says when a draft was
wrong (`judge_review`, `judge_gold`), the exact bound (`upper_bound`), the threshold chosen by
fixed-sequence testing (`calibrate` → `Policy`), the route of each clip (`route`), the audit that
suspends a policy (`audit_status`) and the risk–coverage curve (`risk_coverage`): pure
functions over typed values. Over a stored run (`_loop`, what `recap route` does):
`calibrate_run`, `apply_policy`, `route_status`, `score_drafts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.routing._audit import AuditStatus, audit_status, in_audit
    from agent.routing._bound import check_levels, labels_needed, upper_bound
    from agent.routing._calibration import (
        MIN_N,
        Calibration,
        CurvePoint,
        Labelled,
        NotEnoughLabels,
        Policy,
        calibrate,
    )
    from agent.routing._combiner import Combiner, fit_combiner
    from agent.routing._confidence import (
        CONFIDENCE_VERSION,
        Confidence,
        ConfidenceParts,
        combine,
        confidence,
        telemetry_check,
    )
    from agent.routing._consensus import Consensus, consensus, signature
    from agent.routing._correctness import (
        ErrorRule,
        FindingMarks,
        Judgement,
        judge_gold,
        judge_review,
        words_changed,
    )
    from agent.routing._curve import RiskCoverage, risk_coverage
    from agent.routing._loop import (
        Applied,
        Calibrated,
        apply_policy,
        calibrate_run,
        judge_policy,
        route_status,
        routing_figures,
        score_drafts,
    )
    from agent.routing._route import Route, route
    from agent.routing._spans import overlaps, pair_spans, span_iou
    from agent.routing._uncheckable import ClaimKind, UncheckedClaim, uncheckable_claims

_WHERE = {
    "AuditStatus": "agent.routing._audit",
    "audit_status": "agent.routing._audit",
    "in_audit": "agent.routing._audit",
    "check_levels": "agent.routing._bound",
    "labels_needed": "agent.routing._bound",
    "upper_bound": "agent.routing._bound",
    "MIN_N": "agent.routing._calibration",
    "Calibration": "agent.routing._calibration",
    "CurvePoint": "agent.routing._calibration",
    "Labelled": "agent.routing._calibration",
    "NotEnoughLabels": "agent.routing._calibration",
    "Policy": "agent.routing._calibration",
    "calibrate": "agent.routing._calibration",
    "Combiner": "agent.routing._combiner",
    "fit_combiner": "agent.routing._combiner",
    "CONFIDENCE_VERSION": "agent.routing._confidence",
    "Confidence": "agent.routing._confidence",
    "ConfidenceParts": "agent.routing._confidence",
    "combine": "agent.routing._confidence",
    "confidence": "agent.routing._confidence",
    "telemetry_check": "agent.routing._confidence",
    "Consensus": "agent.routing._consensus",
    "consensus": "agent.routing._consensus",
    "signature": "agent.routing._consensus",
    "ErrorRule": "agent.routing._correctness",
    "FindingMarks": "agent.routing._correctness",
    "Judgement": "agent.routing._correctness",
    "judge_gold": "agent.routing._correctness",
    "judge_review": "agent.routing._correctness",
    "words_changed": "agent.routing._correctness",
    "Applied": "agent.routing._loop",
    "Calibrated": "agent.routing._loop",
    "apply_policy": "agent.routing._loop",
    "calibrate_run": "agent.routing._loop",
    "judge_policy": "agent.routing._loop",
    "route_status": "agent.routing._loop",
    "routing_figures": "agent.routing._loop",
    "score_drafts": "agent.routing._loop",
    "RiskCoverage": "agent.routing._curve",
    "risk_coverage": "agent.routing._curve",
    "Route": "agent.routing._route",
    "route": "agent.routing._route",
    "overlaps": "agent.routing._spans",
    "pair_spans": "agent.routing._spans",
    "span_iou": "agent.routing._spans",
    "ClaimKind": "agent.routing._uncheckable",
    "UncheckedClaim": "agent.routing._uncheckable",
    "uncheckable_claims": "agent.routing._uncheckable",
}
__all__ = [
    "CONFIDENCE_VERSION",
    "MIN_N",
    "Applied",
    "AuditStatus",
    "Calibrated",
    "Calibration",
    "ClaimKind",
    "Combiner",
    "Confidence",
    "ConfidenceParts",
    "Consensus",
    "CurvePoint",
    "ErrorRule",
    "FindingMarks",
    "Judgement",
    "Labelled",
    "NotEnoughLabels",
    "Policy",
    "RiskCoverage",
    "Route",
    "UncheckedClaim",
    "apply_policy",
    "audit_status",
    "calibrate",
    "calibrate_run",
    "check_levels",
    "combine",
    "confidence",
    "consensus",
    "fit_combiner",
    "in_audit",
    "judge_gold",
    "judge_policy",
    "judge_review",
    "labels_needed",
    "overlaps",
    "pair_spans",
    "risk_coverage",
    "route",
    "route_status",
    "routing_figures",
    "score_drafts",
    "signature",
    "span_iou",
    "telemetry_check",
    "uncheckable_claims",
    "upper_bound",
    "words_changed",
]
__getattr__ = lazy_exports(__name__, _WHERE)
