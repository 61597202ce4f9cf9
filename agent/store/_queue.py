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

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from agent.store._tables import DraftRecord, Lease, Review, ReviewState, ReviewTally, now

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


def contributions(review: Review, record: DraftRecord) -> dict[str, tuple[int, float]]:
    """What one decision in force adds to its run's tallies."""
    out: dict[str, tuple[int, float]] = {f"status:{review.decision}": (1, 0.0)}
    if review.decision not in FINAL:
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


def _in_force(s: Session, run: str, clip_id: str) -> Review | None:
    undo = aliased(Review)
    return s.scalar(
        select(Review)
        .where(
            Review.run == run,
            Review.clip_id == clip_id,
            Review.decision != "undo",
            ~exists().where(undo.undoes == Review.id),
        )
        .order_by(Review.id.desc())
        .limit(1)
    )


def record(s: Session, review: Review) -> None:
    """Append `review` and bring the clip's state and the run's tallies up to date."""
    run = review.run
    if run is not None:
        _bump(s, run, EVENTS, 1, 0.0)  # first write: from here on this run is ours alone
    s.add(review)
    s.flush()
    if run is None:
        return
    record_ = _draft_of(s, review)
    if record_ is None:
        return  # a decision on a clip the run never drafted: not part of its queue
    state = s.get(ReviewState, (run, review.clip_id))
    old = s.get(Review, state.review_id) if state is not None else None
    new = review if review.decision != "undo" else _in_force(s, run, review.clip_id)
    if (old.id if old else None) == (new.id if new else None):
        return
    deltas: dict[str, tuple[int, float]] = {}
    for sign, r in ((-1, old), (1, new)):
        if r is None:
            continue
        for name, (n, v) in contributions(r, record_).items():
            dn, dv = deltas.get(name, (0, 0.0))
            deltas[name] = (dn + sign * n, dv + sign * v)
    for name, (dn, dv) in sorted(deltas.items()):
        if dn or dv:
            _bump(s, run, name, dn, dv)
    if new is None:
        if state is not None:
            s.delete(state)
        return
    values = {
        "status": new.decision,
        "review_id": new.id,
        "reviewer": new.reviewer,
        "seconds": new.seconds,
        "decided_at": new.created_at or now(),
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
) -> list[str]:
    """Clips of `run` with status `wanted` not leased to anyone else, in clip order, from
    just after `after` (or the start) up to and including `upto`."""
    leased = exists().where(
        Lease.run == lease_run,
        Lease.expires_at > now(),
        Lease.owner != owner,
    )
    if wanted == "pending":
        col = DraftRecord.clip_id
        q = select(col).where(
            DraftRecord.run == run,
            ~exists().where(ReviewState.run == run, ReviewState.clip_id == col),
        )
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
