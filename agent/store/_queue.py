"""The review queue in SQL: what is pending, what a decision changes, and the running tallies.

Each decision (and each undo) is one transaction that appends the review row, moves the clip's
row in `review_state` (the decision in force) and adjusts the run's `review_tally` sums. The
transaction starts by bumping the run's `events` tally, which serialises decisions on one run
across processes (a row lock on PostgreSQL, the write lock on SQLite), so the sums stay exact
with several page servers on one database. Reads are indexed lookups or small aggregates: the
page never loads the run's drafts or reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from agent.store._tables import (
    DraftRecord,
    GoldClip,
    Lease,
    Review,
    ReviewState,
    ReviewTally,
    now,
)

FINAL = ("accepted", "edited", "rejected")
EVENTS = "events"


def _bump(s: Session, run: str, name: str, dn: int, dv: float) -> None:
    res = s.execute(
        update(ReviewTally)
        .where(ReviewTally.run == run, ReviewTally.name == name)
        .values(n=ReviewTally.n + dn, total=ReviewTally.total + dv)
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        s.add(ReviewTally(run=run, name=name, n=dn, total=dv))
        s.flush()  # a concurrent first insert raises IntegrityError: the caller retries


def _draft_of(s: Session, review: Review) -> DraftRecord | None:
    if review.draft_id is not None:
        record = s.get(DraftRecord, review.draft_id)
        if record is not None and record.run == review.run:
            return record
    return s.scalar(
        select(DraftRecord).where(
            DraftRecord.run == review.run, DraftRecord.clip_id == review.clip_id
        )
    )


def contributions(status: str, review: Review, record: DraftRecord) -> dict[str, tuple[int, float]]:
    """What a clip's state (its status and the review behind it) adds to its run's tallies."""
    out: dict[str, tuple[int, float]] = {f"status:{status}": (1, 0.0)}
    if status not in FINAL:
        return out
    if review.edit_rate is not None:
        out["edit_rate"] = (1, review.edit_rate)
    draft = record.draft
    for kind, findings in (
        ("hallucinations", draft.hallucinations),
        ("omissions", draft.omissions),
    ):
        marks = (review.agreed or {}).get(kind, {}) or {}
        for i, f in enumerate(findings):
            n, v = out.get(f"agree:{f.type.value}", (0, 0.0))
            out[f"agree:{f.type.value}"] = (n + 1, v + bool(marks.get(str(i), False)))
    return out


def same_outcome(a: Review, b: Review) -> bool:
    """Two reviewers agree on a clip: the same decision and the same final caption (spacing
    aside). Anything else is a disagreement for a lead to settle."""
    return a.decision == b.decision and " ".join((a.final_caption or "").split()) == " ".join(
        (b.final_caption or "").split()
    )


def resolve(rows: Sequence[Review]) -> tuple[str, Review, str] | None:
    """The state of one clip in one run from its reviews (oldest first): (status, the review
    behind it, whose queue it belongs to), or None when pending.

    Gold checks are each reviewer's own and never move the clip. A lead's send-back newer than
    every decision returns the clip to the reviewer it names (`sent_back`). A settlement newer
    than the double-review decisions is final. Double review (`double`): one final decision
    leaves the clip `awaiting_second` for someone else; two agreeing ones decide it; two that
    disagree leave it `disputed` for a lead. Otherwise the newest decision is in force."""
    undone = {r.undoes for r in rows if r.decision == "undo" and r.undoes is not None}
    live = [r for r in rows if r.decision != "undo" and r.id not in undone and r.purpose != "gold"]
    work = [r for r in live if r.purpose != "lead"]
    if not work:
        return None
    last = work[-1]
    sent = [r for r in live if r.purpose == "lead" and r.decision == "sent_back" and r.id > last.id]
    if sent:
        about = next((r for r in work if r.id == sent[-1].about), last)
        return "sent_back", sent[-1], about.reviewer
    settled = [r for r in work if r.purpose == "settle"]
    doubles = [r for r in work if r.purpose == "double" and r.decision in FINAL]
    if settled and (not doubles or settled[-1].id > doubles[-1].id):
        return settled[-1].decision, settled[-1], settled[-1].reviewer
    if doubles:
        latest = {r.reviewer: r for r in doubles}  # each reviewer's newest decision
        two = sorted(latest.values(), key=lambda r: r.id)[-2:]
        if len(two) == 1:
            return "awaiting_second", two[0], two[0].reviewer
        a, b = two
        return (b.decision if same_outcome(a, b) else "disputed"), b, b.reviewer
    return last.decision, last, last.reviewer


def clip_reviews(s: Session, run: str, clip_id: str) -> list[Review]:
    """Every review row of one clip in one run, oldest first (index on run, clip, id)."""
    return list(
        s.scalars(
            select(Review).where(Review.run == run, Review.clip_id == clip_id).order_by(Review.id)
        )
    )


def record(s: Session, review: Review) -> None:
    """Append `review` and bring the clip's state and the run's tallies up to date."""
    run = review.run
    if run is not None:
        _bump(s, run, EVENTS, 1, 0.0)  # first write: from here on this run is ours alone
    s.add(review)
    s.flush()
    if run is None or review.purpose == "gold":
        return  # a gold check is the reviewer's own: the clip's state does not move
    record_ = _draft_of(s, review)
    if record_ is None:
        return  # a decision on a clip the run never drafted: not part of its queue
    state = s.get(ReviewState, (run, review.clip_id))
    behind_old = s.get(Review, state.review_id) if state is not None else None
    old = (state.status, behind_old) if state is not None and behind_old is not None else None
    resolved = resolve(clip_reviews(s, run, review.clip_id))
    new = (resolved[0], resolved[1]) if resolved else None
    unchanged = (
        old is not None
        and resolved is not None
        and state is not None
        and (state.status, state.review_id, state.reviewer)
        == (resolved[0], resolved[1].id, resolved[2])
    )
    if unchanged or (old is None and new is None):
        return
    deltas: dict[str, tuple[int, float]] = {}
    for sign, pair in ((-1, old), (1, new)):
        if pair is None:
            continue
        for name, (n, v) in contributions(pair[0], pair[1], record_).items():
            dn, dv = deltas.get(name, (0, 0.0))
            deltas[name] = (dn + sign * n, dv + sign * v)
    for name, (dn, dv) in sorted(deltas.items()):
        if dn or dv:
            _bump(s, run, name, dn, dv)
    if resolved is None:
        if state is not None:
            s.delete(state)
        return
    status_, behind, owner = resolved
    values = {
        "status": status_,
        "review_id": behind.id,
        "reviewer": owner,
        "seconds": behind.seconds,
        "decided_at": behind.created_at or now(),
    }
    if state is None:
        s.add(ReviewState(run=run, clip_id=review.clip_id, **values))
    else:
        for k, v in values.items():
            setattr(state, k, v)


def status(s: Session, run: str, clip_id: str) -> str:
    return (
        s.scalar(
            select(ReviewState.status).where(ReviewState.run == run, ReviewState.clip_id == clip_id)
        )
        or "pending"
    )


def candidates(
    s: Session,
    run: str,
    wanted: str,
    *,
    lease_run: str,
    owner: str,
    after: str | None = None,
    upto: str | None = None,
    limit: int = 16,
    reviewer: str | None = None,
    exclude_gold: bool = False,
) -> list[str]:
    """Clips of `run` with status `wanted` not leased to anyone else, in clip order, from
    just after `after` (or the start) up to and including `upto`.

    Pending, for `reviewer`, also takes in clips awaiting a second reviewer that someone else
    decided (double review); with `exclude_gold`, clips in the gold pool are left to the gold
    checks."""
    leased = exists().where(
        Lease.run == lease_run,
        Lease.expires_at > now(),
        Lease.owner != owner,
    )
    if wanted == "pending":
        col = DraftRecord.clip_id
        taken = exists().where(ReviewState.run == run, ReviewState.clip_id == col)
        if reviewer is not None:  # a first decision by someone else leaves it open to us
            taken = taken.where(
                or_(ReviewState.status != "awaiting_second", ReviewState.reviewer == reviewer)
            )
        q = select(col).where(DraftRecord.run == run, ~taken)
        if exclude_gold:
            q = q.where(~exists().where(GoldClip.clip_id == col))
    else:
        col = ReviewState.clip_id
        q = select(col).where(ReviewState.run == run, ReviewState.status == wanted)
    q = q.where(~leased.where(Lease.clip_id == col))
    if after is not None:
        q = q.where(col > after)
    if upto is not None:
        q = q.where(col <= upto)
    return list(s.scalars(q.order_by(col).limit(limit)))


def tallies(s: Session, run: str) -> dict[str, tuple[int, float]]:
    return {
        name: (n, total)
        for name, n, total in s.execute(
            select(ReviewTally.name, ReviewTally.n, ReviewTally.total).where(ReviewTally.run == run)
        )
    }


def drafted(s: Session, run: str) -> int:
    return s.scalar(select(func.count()).where(DraftRecord.run == run)) or 0


def decided_by(s: Session, run: str, reviewer: str) -> list[tuple[datetime, float | None]]:
    """(time, seconds spent) of each final decision in force by `reviewer`, oldest first."""
    return [
        (t, sec)
        for t, sec in s.execute(
            select(ReviewState.decided_at, ReviewState.seconds)
            .where(
                ReviewState.run == run,
                ReviewState.reviewer == reviewer,
                ReviewState.status.in_(FINAL),
            )
            .order_by(ReviewState.decided_at)
        )
    ]


def last_undoable(s: Session, run: str, reviewer: str) -> Review | None:
    """The reviewer's newest decision in this run that no undo has withdrawn."""
    undo = aliased(Review)
    return s.scalar(
        select(Review)
        .where(
            Review.run == run,
            Review.reviewer == reviewer,
            Review.decision != "undo",
            ~exists().where(undo.undoes == Review.id),
        )
        .order_by(Review.id.desc())
        .limit(1)
    )


def held(s: Session, lease_run: str, owner: str) -> list[str]:
    return list(
        s.scalars(
            select(Lease.clip_id)
            .where(Lease.run == lease_run, Lease.owner == owner, Lease.expires_at > now())
            .order_by(Lease.clip_id)
        )
    )


def statuses_of(s: Session, run: str, clip_ids: Sequence[str]) -> dict[str, str]:
    rows = dict(
        s.execute(
            select(ReviewState.clip_id, ReviewState.status).where(
                and_(ReviewState.run == run, ReviewState.clip_id.in_(list(clip_ids)))
            )
        ).all()
    )
    return {c: rows.get(c, "pending") for c in clip_ids}


def gold_candidates(s: Session, run: str, reviewer: str, limit: int = 4) -> list[str]:
    """Gold clips drafted in `run` that `reviewer` has not decided, skipped or flagged as a
    gold check (undone ones count as not), in clip order: the gold checks still to show."""
    mine, undo = aliased(Review), aliased(Review)
    done = exists().where(
        mine.run == run,
        mine.reviewer == reviewer,
        mine.clip_id == GoldClip.clip_id,
        mine.purpose == "gold",
        mine.decision != "undo",
        ~exists().where(undo.undoes == mine.id),
    )
    q = (
        select(GoldClip.clip_id)
        .join(DraftRecord, (DraftRecord.clip_id == GoldClip.clip_id) & (DraftRecord.run == run))
        .where(~done)
        .order_by(GoldClip.clip_id)
        .limit(limit)
    )
    return list(s.scalars(q))


def gold_counts(s: Session, run: str, reviewer: str) -> tuple[int, int]:
    """(gold checks, all final decisions) `reviewer` has made in `run`, undone ones left out:
    the reviewer's own rows
    (index on run, reviewer), so the cost follows their work, not the run's size."""
    undo = aliased(Review)
    row = s.execute(
        select(
            func.coalesce(func.sum(case((Review.purpose == "gold", 1), else_=0)), 0),
            func.count(),
        ).where(
            Review.run == run,
            Review.reviewer == reviewer,
            Review.decision.in_(FINAL),
            ~exists().where(undo.undoes == Review.id),
        )
    ).one()
    return int(row[0]), int(row[1])


def gold_pool(s: Session, run: str) -> int:
    """How many of the run's drafted clips are in the gold pool."""
    return (
        s.scalar(
            select(func.count())
            .select_from(GoldClip)
            .join(DraftRecord, (DraftRecord.clip_id == GoldClip.clip_id) & (DraftRecord.run == run))
        )
        or 0
    )


def with_status(
    s: Session, run: str, status: str, reviewer: str | None = None, limit: int = 50
) -> list[str]:
    """Clips of `run` in this state (optionally only those in `reviewer`'s queue), in clip
    order: sent-back clips for their reviewer, disputed ones for a lead."""
    q = select(ReviewState.clip_id).where(ReviewState.run == run, ReviewState.status == status)
    if reviewer is not None:
        q = q.where(ReviewState.reviewer == reviewer)
    return list(s.scalars(q.order_by(ReviewState.clip_id).limit(limit)))


def state_review(s: Session, run: str, clip_id: str) -> Review | None:
    """The review behind a clip's state (for a sent-back clip: the lead's row and comment)."""
    state = s.get(ReviewState, (run, clip_id))
    return s.get(Review, state.review_id) if state is not None else None
