"""A lead's side of the queue: judge a reviewer's decisions (approve, or send back with a
comment) and settle the clips two reviewers disagreed on.

Everything here appends rows to the reviews table (who, when, what), like every decision: an
approval or send-back is a `lead` row naming the decision it is about and the comment; a
settlement is a `settle` row with the caption that becomes final. Nothing is overwritten, so
the history of a clip keeps the reviewer's decision, the lead's comment and what followed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from agent.decisions import (
    FINAL,
    VERDICTS,
    Decision,
    Purpose,
    Status,
    final_in_force,
    purpose_of,
    same_caption,
    two_reviews,
)
from agent.errors import RecapError
from agent.review._textdiff import edit_rate, word_edit_distance
from agent.store import Review, Store

FILTERS = ("recent", "rejected", "slow", "gold_misses")


def _decision(store: Store, review_id: int) -> Review:
    found = store.reviews.by_id([review_id])
    if not found or found[0].decision not in FINAL or found[0].run is None:
        raise RecapError(
            f"Review {review_id} is not a reviewer's decision a lead can judge.",
            hint="Approve or send back accepted, edited or rejected decisions.",
        )
    return found[0]


def judge(store: Store, lead: str, review_id: int, verdict: Decision, comment: str = "") -> Review:
    """Approve a reviewer's decision, or send it back to them with a comment: the clip returns
    to the front of their queue with the comment above it."""
    if verdict not in VERDICTS:
        raise RecapError(f"Unknown verdict {verdict!r}.", hint="One of: " + ", ".join(VERDICTS))
    verdict = Decision(verdict)
    target = _decision(store, review_id)
    comment = comment.strip()
    if verdict == Decision.SENT_BACK and not comment:
        raise RecapError("Say what to change: a clip is sent back with a comment.")
    if purpose_of(target) == Purpose.GOLD:
        raise RecapError("Gold checks are measured against gold, not sent back.")
    return store.reviews.add(
        Review(
            clip_id=target.clip_id,
            run=target.run,
            draft_id=target.draft_id,
            reviewer=lead,
            decision=verdict,
            purpose=Purpose.LEAD,
            about=target.id,
            comment=comment or None,
        )
    )


def settle(store: Store, lead: str, run: str, clip_id: str, caption: str) -> Review:
    """Settle a clip two reviewers disagreed on: `caption` becomes its final caption (accepted
    when it is the draft's rewrite, else edited)."""
    if store.reviews.status(run, clip_id) != Status.DISPUTED:
        raise RecapError(f"Clip {clip_id!r} in run {run!r} is not awaiting a settlement.")
    record = store.runs.draft(run, clip_id)
    if record is None:
        raise RecapError(f"Clip {clip_id!r} has no draft in run {run!r}.")
    text = caption.strip()
    if not text:
        raise RecapError("Write the settled caption first: it is empty.")
    rewrite = record.draft.rewrite
    return store.reviews.add(
        Review(
            clip_id=clip_id,
            run=run,
            draft_id=record.id,
            reviewer=lead,
            decision=Decision.ACCEPTED if text == rewrite else Decision.EDITED,
            final_caption=text,
            edit_distance=word_edit_distance(rewrite, text),
            edit_rate=edit_rate(rewrite, text),
            purpose=Purpose.SETTLE,
        )
    )


@dataclass(frozen=True)
class Dispute:
    """A disputed clip and the two decisions that differ (older first)."""

    clip_id: str
    first: Review
    second: Review


def disputes(store: Store, run: str, limit: int = 50) -> list[Dispute]:
    """Clips of the run two reviewers disagreed on, with both decisions (an indexed list)."""
    out = []
    for clip_id in store.reviews.with_status(run, Status.DISPUTED, limit=limit):
        two = two_reviews(store.reviews.of_clip(run, clip_id))
        if two is not None:
            out.append(Dispute(clip_id, *two))
    return out


def sample(store: Store, run: str, reviewer: str, how: str = "recent", n: int = 10) -> list[Review]:
    """A reviewer's recent decisions for a lead to look at, newest first, leaving out those a
    lead already judged: all of them (`recent`), the rejected ones, the slow ones (over twice
    the reviewer's median seconds in the window) or the gold checks that missed gold."""
    if how not in FILTERS:
        raise RecapError(f"Unknown filter {how!r}.", hint="One of: " + ", ".join(FILTERS))
    rows = store.reviews.recent(run, reviewer, limit=max(200, 20 * n))
    judged = store.reviews.judged(run, [r.id for r in rows])
    mine = [
        r for r in final_in_force(rows) if r.id not in judged and purpose_of(r) != Purpose.SETTLE
    ]
    if how == "rejected":
        mine = [r for r in mine if r.decision == Decision.REJECTED]
    elif how == "slow":
        secs = [r.seconds for r in mine if r.seconds is not None]
        bar = 2 * statistics.median(secs) if secs else 0.0
        mine = [r for r in mine if r.seconds is not None and r.seconds > bar]
    elif how == "gold_misses":
        picked = []
        for r in mine:
            if purpose_of(r) != Purpose.GOLD:
                continue
            clip = store.clips.get(r.clip_id)
            gold = clip.gold_caption if clip else None
            if gold and not same_caption(r.final_caption, gold):
                picked.append(r)
        mine = picked
    else:
        mine = [r for r in mine if purpose_of(r) != Purpose.GOLD]
    return mine[:n]
