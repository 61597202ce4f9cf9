"""Reviewing: the queue and its decisions, a lead's settlements and feedback, the team's
figures, the accounts and roles of the review page, and word-level edit measures. What the
review rows mean (decisions, purposes, statuses, arms, how a clip resolves) is
`agent.decisions`, shared with the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.review._lead import FILTERS, Dispute, disputes, judge, reopen, sample, settle
    from agent.review._session import (
        QueueItem,
        ReviewSession,
        active_hours,
        default_reviewer,
        gold_due,
        in_control_arm,
        in_overlap,
    )
    from agent.review._team import (
        DEFINITIONS,
        ReviewerDay,
        RubricMean,
        agreement,
        by_reviewer_and_day,
        decisions,
        evidence,
        rubric_label,
        rubric_means,
        to_csv,
        totals,
    )
    from agent.review._textdiff import (
        Comparison,
        compare,
        edit_rate,
        spaced_diff,
        word_diff,
        word_edit_distance,
        words,
    )
    from agent.review._users import (
        ROLES,
        AccessDenied,
        Person,
        add_user,
        authorize,
        authorize_sign_in,
        list_users,
        normalize_email,
        remove_user,
    )

_WHERE = {
    "QueueItem": "agent.review._session",
    "ReviewSession": "agent.review._session",
    "active_hours": "agent.review._session",
    "default_reviewer": "agent.review._session",
    "gold_due": "agent.review._session",
    "in_control_arm": "agent.review._session",
    "in_overlap": "agent.review._session",
    "Dispute": "agent.review._lead",
    "FILTERS": "agent.review._lead",
    "disputes": "agent.review._lead",
    "judge": "agent.review._lead",
    "sample": "agent.review._lead",
    "settle": "agent.review._lead",
    "reopen": "agent.review._lead",
    "DEFINITIONS": "agent.review._team",
    "ReviewerDay": "agent.review._team",
    "RubricMean": "agent.review._team",
    "rubric_label": "agent.review._team",
    "rubric_means": "agent.review._team",
    "agreement": "agent.review._team",
    "by_reviewer_and_day": "agent.review._team",
    "decisions": "agent.review._team",
    "evidence": "agent.review._team",
    "to_csv": "agent.review._team",
    "totals": "agent.review._team",
    "AccessDenied": "agent.review._users",
    "Person": "agent.review._users",
    "ROLES": "agent.review._users",
    "add_user": "agent.review._users",
    "authorize": "agent.review._users",
    "authorize_sign_in": "agent.review._users",
    "list_users": "agent.review._users",
    "normalize_email": "agent.review._users",
    "remove_user": "agent.review._users",
    "Comparison": "agent.review._textdiff",
    "compare": "agent.review._textdiff",
    "edit_rate": "agent.review._textdiff",
    "spaced_diff": "agent.review._textdiff",
    "word_diff": "agent.review._textdiff",
    "word_edit_distance": "agent.review._textdiff",
    "words": "agent.review._textdiff",
}
__all__ = [
    "DEFINITIONS",
    "FILTERS",
    "ROLES",
    "AccessDenied",
    "Comparison",
    "Dispute",
    "Person",
    "QueueItem",
    "ReviewSession",
    "ReviewerDay",
    "RubricMean",
    "active_hours",
    "add_user",
    "agreement",
    "authorize",
    "authorize_sign_in",
    "by_reviewer_and_day",
    "compare",
    "decisions",
    "default_reviewer",
    "disputes",
    "edit_rate",
    "evidence",
    "gold_due",
    "in_control_arm",
    "in_overlap",
    "judge",
    "list_users",
    "normalize_email",
    "remove_user",
    "reopen",
    "rubric_label",
    "rubric_means",
    "sample",
    "settle",
    "spaced_diff",
    "to_csv",
    "totals",
    "word_diff",
    "word_edit_distance",
    "words",
]
__getattr__ = lazy_exports(__name__, _WHERE)
