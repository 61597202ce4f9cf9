"""A lead's side of the queue: judge a reviewer's decisions (approve, or send back with a
comment), settle the clips two reviewers disagreed on, and reopen or resettle a final clip.

Everything here appends rows to the reviews table (who, when, what), like every decision: an
approval or send-back is a `lead` row naming the decision it is about and the comment; a
settlement is a `settle` row with the caption that becomes final (with the reason, when it
resettles a final clip); a reopening is a `lead` row `reopened` with its reason, after which the
clip is pending again. Nothing is overwritten, so the history of a clip keeps the reviewer's
decision, the lead's comment and what followed.

Separation of duties: a lead never judges their own decisions, and never settles, resettles or
reopens a clip they took part in deciding (`agent.decisions.participants`).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.decisions import (
    FINAL,
    FINAL_STATUSES,
    VERDICTS,
    Decision,
    Purpose,
    Status,
    final_in_force,
    participants,
    purpose_of,
    same_caption,
    since_reopened,
    two_reviews,
)
from agent.errors import RecapError, Refused
from agent.review._session import score_sheet
from agent.review._textdiff import compare
from agent.store import Guard, Review, Store

if TYPE_CHECKING:
    from agent.guidelines import Guidelines

FILTERS = ("recent", "rejected", "slow", "gold_misses")


def _decision(store: Store, review_id: int) -> Review:
    found = store.reviews.by_id([review_id])
    if not found or found[0].decision not in FINAL or found[0].run is None:
        raise RecapError(
            f"Review {review_id} is not a reviewer's decision a lead can judge.",
            hint="Approve or send back accepted, edited or rejected decisions.",
        )
    return found[0]


def judge(
    store: Store,
    lead: str,
    review_id: int,
    verdict: Decision,
    comment: str = "",
    *,
    scores: Mapping[str, int] | None = None,
    guidelines: Guidelines | None = None,
) -> Review:
    """Approve a reviewer's decision, or send it back to them with a comment: the clip returns
    to the front of their queue with the comment above it.

    A lead judges other people's decisions only, each once, while the decision still counts
    (not withdrawn, not spent by a reopening) and the clip is not settled (a settlement is
    final: reopen the clip instead). `scores` rate the clip's caption on the rubric of
    `guidelines`, kept with the verdict; scores that do not fit refuse it (`score_sheet`)."""
    if verdict not in VERDICTS:
        raise RecapError(f"Unknown verdict {verdict!r}.", hint="One of: " + ", ".join(VERDICTS))
    verdict = Decision(verdict)
    target = _decision(store, review_id)
    comment = comment.strip()
    if verdict == Decision.SENT_BACK and not comment:
        raise RecapError("Say what to change: a clip is sent back with a comment.")
    sheet = score_sheet(target.clip_id, scores, guidelines)
    if purpose_of(target) == Purpose.GOLD:
        raise RecapError("Gold checks are measured against gold, not sent back.")
    run = target.run or ""
    if target.reviewer == lead:
        raise Refused(target.clip_id, "it is your own decision; another lead judges it")
    if store.reviews.judged(run, [target.id]):
        raise Refused(target.clip_id, "a lead has already judged this decision")
    rows = store.reviews.of_clip(run, target.clip_id)
    current = since_reopened(rows)
    if target.id not in {r.id for r in current}:
        raise Refused(target.clip_id, "the decision no longer counts (undone, or reopened since)")
    if any(purpose_of(r) == Purpose.SETTLE for r in current):
        raise Refused(target.clip_id, "a lead has settled the clip; reopen it instead")
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
        ),
        Guard(max(r.id for r in rows)),
        sheet,
    )


def _entitled(store: Store, lead: str, run: str, clip_id: str) -> list[Review]:
    """The clip's rows, once it is clear `lead` took no part in its decision as it stands."""
    rows = store.reviews.of_clip(run, clip_id)
    if lead in participants(rows):
        raise Refused(clip_id, "you took part in deciding it; another lead settles or reopens it")
    return rows


def _version(rows: list[Review], version: int | None, clip_id: str) -> int:
    """The clip's version now, refusing when the lead saw an older one."""
    now_at = max((r.id for r in rows), default=0)
    if version is not None and version != now_at:
        raise Refused(clip_id, "it changed since it was shown to you")
    return now_at


def settle(
    store: Store,
    lead: str,
    run: str,
    clip_id: str,
    caption: str,
    *,
    reason: str = "",
    version: int | None = None,
    scores: Mapping[str, int] | None = None,
    guidelines: Guidelines | None = None,
) -> Review:
    """Settle a clip: `caption` becomes its final caption (accepted when it is the draft's
    rewrite, else edited). A disputed clip (two reviewers disagreed) is settled as it is; a
    final one (decided, agreed or settled) is resettled only with a `reason`, kept with the
    row. Only a lead who took no part in the decision may, and only on the state they saw
    (`version`: the clip's newest review row when it was shown). `scores` rate the clip's
    caption on the rubric of `guidelines`, kept with the settlement; scores that do not fit
    refuse it (`score_sheet`)."""
    status = store.reviews.status(run, clip_id)
    reason = reason.strip()
    if status == Status.DISPUTED:
        pass
    elif status in FINAL_STATUSES:
        if not reason:
            raise RecapError(
                f"Clip {clip_id!r} is {status} and final: say why it is resettled.",
                hint="A final clip is resettled (or reopened) with a reason, kept with the row.",
            )
    else:
        raise RecapError(f"Clip {clip_id!r} in run {run!r} is not awaiting a settlement.")
    record = store.runs.draft(run, clip_id)
    if record is None:
        raise RecapError(f"Clip {clip_id!r} has no draft in run {run!r}.")
    text = caption.strip()
    if not text:
        raise RecapError("Write the settled caption first: it is empty.")
    sheet = score_sheet(clip_id, scores, guidelines)
    rows = _entitled(store, lead, run, clip_id)
    seen = _version(rows, version, clip_id)
    rewrite = record.draft.rewrite
    edit = compare(rewrite, text)
    return store.reviews.add(
        Review(
            clip_id=clip_id,
            run=run,
            draft_id=record.id,
            reviewer=lead,
            decision=Decision.ACCEPTED if text == rewrite else Decision.EDITED,
            final_caption=text,
            edit_distance=edit.distance,
            edit_rate=edit.rate,
            purpose=Purpose.SETTLE,
            comment=reason or None,
        ),
        Guard(seen),
        sheet,
    )


def reopen(
    store: Store, lead: str, run: str, clip_id: str, reason: str, *, version: int | None = None
) -> Review:
    """Put a final (or disputed) clip back in the queue: it is pending again, its history kept
    and spent (an append-only `reopened` row with the reason). Only a lead who took no part
    in its decision may, and only on the state they saw (`version`)."""
    status = store.reviews.status(run, clip_id)
    if status not in FINAL_STATUSES and status != Status.DISPUTED:
        raise RecapError(
            f"Clip {clip_id!r} in run {run!r} is {status}: only a decided, agreed, settled or "
            "disputed clip is reopened."
        )
    reason = reason.strip()
    if not reason:
        raise RecapError("Say why the clip is reopened: the reason is kept with the row.")
    record = store.runs.draft(run, clip_id)
    rows = _entitled(store, lead, run, clip_id)
    seen = _version(rows, version, clip_id)
    return store.reviews.add(
        Review(
            clip_id=clip_id,
            run=run,
            draft_id=record.id if record is not None else None,
            reviewer=lead,
            decision=Decision.REOPENED,
            purpose=Purpose.LEAD,
            comment=reason,
        ),
        Guard(seen),
    )


@dataclass(frozen=True)
class Dispute:
    """A disputed clip, the two decisions that differ (older first), who took part in it (a
    lead among them may not settle it) and its version (the newest review row on it)."""

    clip_id: str
    first: Review
    second: Review
    participants: frozenset[str] = frozenset()
    version: int = 0


def disputes(store: Store, run: str, limit: int = 50) -> list[Dispute]:
    """Clips of the run two reviewers disagreed on, with both decisions (an indexed list)."""
    out = []
    for clip_id in store.reviews.with_status(run, Status.DISPUTED, limit=limit):
        rows = store.reviews.of_clip(run, clip_id)
        two = two_reviews(rows)
        if two is not None:
            out.append(
                Dispute(
                    clip_id,
                    *two,
                    participants=frozenset(participants(rows)),
                    version=max(r.id for r in rows),
                )
            )
    return out


def sample(
    store: Store,
    run: str,
    reviewer: str,
    how: str = "recent",
    n: int = 10,
    *,
    lead: str | None = None,
) -> list[Review]:
    """A reviewer's recent decisions for a lead to look at, newest first, leaving out those a
    lead already judged: all of them (`recent`), the rejected ones, the slow ones (over twice
    the reviewer's median seconds in the window) or the gold checks that missed gold. A `lead`
    is never offered their own decisions to approve."""
    if how not in FILTERS:
        raise RecapError(f"Unknown filter {how!r}.", hint="One of: " + ", ".join(FILTERS))
    if lead is not None and reviewer == lead:
        return []
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
