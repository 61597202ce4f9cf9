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

from agent.errors import RecapError
from agent.review._textdiff import edit_rate, word_edit_distance
from agent.store import FINAL_DECISIONS, Review, Store

VERDICTS = ("approved", "sent_back")
FILTERS = ("recent", "rejected", "slow", "gold_misses")


def _decision(store: Store, review_id: int) -> Review:
    found = store.reviews_by_id([review_id])
    if not found or found[0].decision not in FINAL_DECISIONS or found[0].run is None:
        raise RecapError(
            f"Review {review_id} is not a reviewer's decision a lead can judge.",
            hint="Approve or send back accepted, edited or rejected decisions.",
        )
    return found[0]


def judge(store: Store, lead: str, review_id: int, verdict: str, comment: str = "") -> Review:
    """Approve a reviewer's decision, or send it back to them with a comment: the clip returns
    to the front of their queue with the comment above it."""
    if verdict not in VERDICTS:
        raise RecapError(f"Unknown verdict {verdict!r}.", hint="One of: " + ", ".join(VERDICTS))
    target = _decision(store, review_id)
    comment = comment.strip()
    if verdict == "sent_back" and not comment:
        raise RecapError("Say what to change: a clip is sent back with a comment.")
    if target.purpose == "gold":
        raise RecapError("Gold checks are measured against gold, not sent back.")
    return store.add_review(
        Review(
            clip_id=target.clip_id,
            run=target.run,
            draft_id=target.draft_id,
            reviewer=lead,
            decision=verdict,
            purpose="lead",
            about=target.id,
            comment=comment or None,
        )
    )


def settle(store: Store, lead: str, run: str, clip_id: str, caption: str) -> Review:
    """Settle a clip two reviewers disagreed on: `caption` becomes its final caption (accepted
    when it is the draft's rewrite, else edited)."""
    if store.review_status(run, clip_id) != "disputed":
        raise RecapError(f"Clip {clip_id!r} in run {run!r} is not awaiting a settlement.")
    record = store.draft_for(run, clip_id)
    if record is None:
        raise RecapError(f"Clip {clip_id!r} has no draft in run {run!r}.")
    text = caption.strip()
    if not text:
        raise RecapError("Write the settled caption first: it is empty.")
    rewrite = record.draft.rewrite
    return store.add_review(
        Review(
            clip_id=clip_id,
            run=run,
            draft_id=record.id,
            reviewer=lead,
            decision="accepted" if text == rewrite else "edited",
            final_caption=text,
            edit_distance=word_edit_distance(rewrite, text),
            edit_rate=edit_rate(rewrite, text),
            purpose="settle",
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
    for clip_id in store.clips_with_status(run, "disputed", limit=limit):
        rows = store.clip_reviews(run, clip_id)
        undone = {r.undoes for r in rows if r.decision == "undo"}
        latest: dict[str, Review] = {}
        for r in rows:
            if r.purpose == "double" and r.decision in FINAL_DECISIONS and r.id not in undone:
                latest[r.reviewer] = r
        two = sorted(latest.values(), key=lambda r: r.id)[-2:]
        if len(two) == 2:
            out.append(Dispute(clip_id, two[0], two[1]))
    return out


def sample(store: Store, run: str, reviewer: str, how: str = "recent", n: int = 10) -> list[Review]:
    """A reviewer's recent decisions for a lead to look at, newest first, leaving out those a
    lead already judged: all of them (`recent`), the rejected ones, the slow ones (over twice
    the reviewer's median seconds in the window) or the gold checks that missed gold."""
    if how not in FILTERS:
        raise RecapError(f"Unknown filter {how!r}.", hint="One of: " + ", ".join(FILTERS))
    rows = store.recent_reviews(run, reviewer, limit=max(200, 20 * n))
    undone = {r.undoes for r in rows if r.decision == "undo"}
    judged = store.judged(run, [r.id for r in rows])
    mine = [
        r
        for r in rows
        if r.decision in FINAL_DECISIONS
        and r.id not in undone
        and r.id not in judged
        and r.purpose != "settle"
    ]
    if how == "rejected":
        mine = [r for r in mine if r.decision == "rejected"]
    elif how == "slow":
        secs = [r.seconds for r in mine if r.seconds is not None]
        bar = 2 * statistics.median(secs) if secs else 0.0
        mine = [r for r in mine if r.seconds is not None and r.seconds > bar]
    elif how == "gold_misses":
        picked = []
        for r in mine:
            if r.purpose != "gold":
                continue
            clip = store.clip(r.clip_id)
            gold = (clip.gold or {}).get("caption") if clip else None
            if gold and " ".join((r.final_caption or "").split()) != " ".join(gold.split()):
                picked.append(r)
        mine = picked
    else:
        mine = [r for r in mine if r.purpose != "gold"]
    return mine[:n]
