"""The reviews repository, the review queue in SQL: decisions and undos, each clip's state, the
run's running tallies, the gold pool, and the text a reviewer typed but has not decided on.

Each decision (and each undo) is one transaction that appends the review row, moves the clip's
row in `review_state` (the decision in force) and adjusts the run's `review_tally` sums. The
transaction starts by bumping the run's `events` tally, which serialises decisions on one run
across processes (a row lock on PostgreSQL, the write lock on SQLite), so the sums stay exact
with several page servers on one database. Reads are indexed lookups or small aggregates: the
page never loads the run's drafts or reviews. What the rows mean (how they resolve to a state,
which are in force, the tallies' names) is `agent.decisions`; this module only keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from agent.decisions import (
    EVENTS,
    FINAL,
    Decision,
    Purpose,
    Status,
    Tallies,
    contributions,
    decision_in_force,
    resolve,
)
from agent.errors import Refused
from agent.store._clips import ORIGINAL
from agent.store._engine import Repository
from agent.store._leases import release
from agent.store._tables import (
    AutoAcceptance,
    Caption,
    Clip,
    DraftRecord,
    EditBuffer,
    GoldClip,
    Lease,
    Review,
    ReviewState,
    ReviewTally,
    RubricScore,
    as_utc,
    now,
)


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


def _not_withdrawn(row: type[Review]) -> ColumnElement[bool]:
    """SQL for "no undo names this row" (`agent.decisions.undone`, as a filter)."""
    undo = aliased(Review)
    return ~exists().where(undo.undoes == row.id)


def _clip_rows(s: Session, run: str, clip_id: str) -> list[Review]:
    return list(
        s.scalars(
            select(Review).where(Review.run == run, Review.clip_id == clip_id).order_by(Review.id)
        )
    )


@dataclass(frozen=True)
class Guard:
    """What must still hold when a decision (or undo) is written, checked in its transaction
    once the run's writers are serialised, so no two decisions ever rest on the same view.

    `version`: the newest review row on the clip when it was shown (0: none); any row written
    since means the person decided on a state that is gone. `owner` (with `lease_run` and
    `tab`): a reviewer's browser, which must still hold the clip's lease in that tab; the
    decision then drops the lease and the browser's unsaved text with it."""

    version: int
    lease_run: str | None = None
    owner: str | None = None
    tab: str | None = None


@dataclass(frozen=True)
class ScoreSheet:
    """Rubric scores to keep with a decision: dimension -> score, given on the scale low..high
    of the rubric of guideline version `guideline` (checked against it by the caller)."""

    guideline: str
    low: int
    high: int
    scores: Mapping[str, int]


def _newest(s: Session, run: str | None, clip_id: str) -> int:
    q = select(func.max(Review.id)).where(Review.clip_id == clip_id)
    q = q.where(Review.run.is_(None) if run is None else Review.run == run)
    return s.scalar(q) or 0


def _check(s: Session, review: Review, guard: Guard) -> None:
    """Refuse `review` unless `guard` still holds (see `Guard`)."""
    if _newest(s, review.run, review.clip_id) != guard.version:
        raise Refused(
            review.clip_id,
            "it changed since it was shown to you (decided by someone else, or in another tab)",
        )
    if guard.owner is None or guard.lease_run is None:
        return
    lease = s.get(Lease, (guard.lease_run, review.clip_id))
    if (
        lease is None
        or lease.owner != guard.owner
        or as_utc(lease.expires_at) <= now()
        or (guard.tab is not None and lease.tab != guard.tab)
    ):
        raise Refused(
            review.clip_id,
            "it is no longer reserved for you in this tab (your hold on it expired, or it is "
            "open in another tab)",
        )


def _record(
    s: Session, review: Review, guard: Guard | None = None, sheet: ScoreSheet | None = None
) -> None:
    """Append `review` (with its rubric scores) and bring the clip's state and the run's
    tallies up to date; an undo drops the undone decision's scores."""
    run = review.run
    if run is not None:
        _bump(s, run, EVENTS, 1, 0.0)  # first write: from here on this run is ours alone
    if guard is not None:
        _check(s, review, guard)
        if guard.owner is not None and guard.lease_run is not None:
            release(s, guard.lease_run, guard.owner, [review.clip_id])
            s.execute(
                delete(EditBuffer).where(
                    EditBuffer.owner == guard.owner, EditBuffer.clip_id == review.clip_id
                )
            )
    s.add(review)
    s.flush()
    if sheet is not None:
        s.add_all(
            RubricScore(
                review_id=review.id,
                dimension=name,
                score=score,
                low=sheet.low,
                high=sheet.high,
                guideline=sheet.guideline,
            )
            for name, score in sheet.scores.items()
        )
    if review.decision == Decision.UNDO and review.undoes is not None:
        s.execute(delete(RubricScore).where(RubricScore.review_id == review.undoes))
    if run is None or review.purpose == Purpose.GOLD:
        return  # a gold check is the reviewer's own: the clip's state does not move
    record = _draft_of(s, review)
    if record is None:
        return  # a decision on a clip the run never drafted: not part of its queue
    state = s.get(ReviewState, (run, review.clip_id))
    behind_old = s.get(Review, state.review_id) if state is not None else None
    old = (state.status, behind_old) if state is not None and behind_old is not None else None
    resolved = resolve(_clip_rows(s, run, review.clip_id))
    new = (resolved.status, resolved.review) if resolved else None
    unchanged = (
        old is not None
        and resolved is not None
        and state is not None
        and (state.status, state.review_id, state.reviewer)
        == (resolved.status, resolved.review.id, resolved.owner)
    )
    if unchanged or (old is None and new is None):
        return
    deltas: dict[str, tuple[int, float]] = {}
    for sign, pair in ((-1, old), (1, new)):
        if pair is None:
            continue
        for name, (n, v) in contributions(Status(pair[0]), pair[1], record.draft).items():
            dn, dv = deltas.get(name, (0, 0.0))
            deltas[name] = (dn + sign * n, dv + sign * v)
    for name, (dn, dv) in sorted(deltas.items()):
        if dn or dv:
            _bump(s, run, name, dn, dv)
    if resolved is None:
        if state is not None:
            s.delete(state)
        return
    behind = resolved.review
    values: dict[str, Any] = {
        "status": resolved.status,
        "review_id": behind.id,
        "reviewer": resolved.owner,
        "seconds": behind.seconds,
        "decided_at": behind.created_at or now(),
    }
    if state is None:
        s.add(ReviewState(run=run, clip_id=review.clip_id, **values))
    else:
        for k, v in values.items():
            setattr(state, k, v)


@dataclass(frozen=True)
class OnScreen:
    """Everything the review page shows of one clip, loaded together: the clip, its caption,
    its draft in the run, its status, the review row behind that status (None: pending) and
    the clip's version (the newest review row on it in the run; 0: none), which a decision
    on what is shown must still find."""

    clip: Clip
    caption: str
    record: DraftRecord
    status: Status
    behind: Review | None
    version: int = 0
    owner: str | None = None  # whose queue the state puts the clip in (None: pending)


class Reviews(Repository):
    """Decisions, clip states, tallies, the gold pool and edit buffers."""

    # --- writing ------------------------------------------------------------------------------
    def add(
        self, review: Review, guard: Guard | None = None, sheet: ScoreSheet | None = None
    ) -> Review:
        """Append a decision (or an undo), moving its clip's state and the run's tallies in the
        same transaction, so no reader ever sees one without the other. With a `guard`, the
        row is written only if the clip is still as it was shown (`Refused` otherwise); with a
        `sheet`, its rubric scores are written in that transaction too (an undo deletes the
        undone decision's)."""
        for attempt in range(5):
            try:
                with self.session.begin() as s:
                    _record(s, review, guard, sheet)
                return review
            except IntegrityError:  # another server created the run's first tally row
                if attempt == 4:
                    raise
        return review

    def has_scores(self) -> bool:
        """Whether any decision has rubric scores (the team figures show them only then)."""
        with self.session() as s:
            return s.scalar(select(RubricScore.review_id).limit(1)) is not None

    def scores(self, review_ids: Iterable[int]) -> dict[int, list[RubricScore]]:
        """The rubric scores kept with each of these decisions (those with none are left out)."""
        ids = sorted(set(review_ids))
        out: dict[int, list[RubricScore]] = {}
        with self.session() as s:
            for start in range(0, len(ids), 500):
                rows = s.scalars(
                    select(RubricScore)
                    .where(RubricScore.review_id.in_(ids[start : start + 500]))
                    .order_by(RubricScore.review_id, RubricScore.dimension)
                )
                for row in rows:
                    out.setdefault(row.review_id, []).append(row)
        return out

    # --- the queue ----------------------------------------------------------------------------
    def on_screen(self, run: str, clip_id: str) -> OnScreen | None:
        """The clip, caption, draft and state of one clip in `run`, in one query; None when
        the run has no draft of it."""
        version = (
            select(func.max(Review.id))
            .where(Review.run == run, Review.clip_id == clip_id)
            .scalar_subquery()
        )
        behind = aliased(Review)
        with self.session() as s:
            row = s.execute(
                select(
                    Clip,
                    Caption.text,
                    DraftRecord,
                    ReviewState.status,
                    ReviewState.reviewer,
                    behind,
                    version,
                )
                .join(Caption, (Caption.clip_id == Clip.id) & (Caption.kind == ORIGINAL))
                .join(DraftRecord, (DraftRecord.clip_id == Clip.id) & (DraftRecord.run == run))
                .outerjoin(ReviewState, (ReviewState.run == run) & (ReviewState.clip_id == Clip.id))
                .outerjoin(behind, behind.id == ReviewState.review_id)
                .where(Clip.id == clip_id)
            ).first()
        if row is None:
            return None
        clip, caption, record, status, owner, review, newest = row
        return OnScreen(
            clip, caption, record, Status(status or Status.PENDING), review, newest or 0, owner
        )

    def version(self, run: str, clip_id: str) -> int:
        """The newest review row on a clip in a run (0: none): what a decision must still find
        to be about the state that was shown."""
        with self.session() as s:
            return _newest(s, run, clip_id)

    def candidates(
        self,
        run: str,
        wanted: Status,
        *,
        lease_run: str,
        owner: str,
        after: str | None = None,
        upto: str | None = None,
        limit: int = 16,
        reviewer: str | None = None,
    ) -> list[str]:
        """Clips of `run` with status `wanted` not leased to anyone else, in clip order, from
        just after `after` (or the start) up to and including `upto`.

        Pending, for `reviewer`, also takes in clips awaiting a second reviewer that someone
        else decided (double review), and leaves out clips recap's policy accepted (all but
        the audited ones, which are in the queue like any other). Gold clips are ordinary work
        like any other, except for a reviewer who has had them as a gold check (each gold clip
        is shown to a reviewer once)."""
        leased = exists().where(
            Lease.run == lease_run,
            Lease.expires_at > now(),
            Lease.owner != owner,
        )
        if wanted == Status.PENDING:
            col = DraftRecord.clip_id
            taken = exists().where(ReviewState.run == run, ReviewState.clip_id == col)
            if reviewer is not None:  # a first decision by someone else leaves it open to us
                taken = taken.where(
                    or_(
                        ReviewState.status != Status.AWAITING_SECOND,
                        ReviewState.reviewer == reviewer,
                    )
                )
            # a clip recap's policy accepted is no one's work, unless it is audited
            routed = exists().where(
                AutoAcceptance.run == run,
                AutoAcceptance.clip_id == col,
                AutoAcceptance.audit.is_(False),
            )
            q = select(col).where(DraftRecord.run == run, ~taken, ~routed)
        else:
            col = ReviewState.clip_id
            q = select(col).where(ReviewState.run == run, ReviewState.status == wanted)
        q = q.where(~leased.where(Lease.clip_id == col))
        if reviewer is not None:
            checked = aliased(Review)
            q = q.where(
                ~exists().where(
                    checked.run == run,
                    checked.clip_id == col,
                    checked.reviewer == reviewer,
                    checked.purpose == Purpose.GOLD,
                    checked.decision != Decision.UNDO,
                    _not_withdrawn(checked),
                )
            )
        if after is not None:
            q = q.where(col > after)
        if upto is not None:
            q = q.where(col <= upto)
        with self.session() as s:
            return list(s.scalars(q.order_by(col).limit(limit)))

    def with_status(
        self, run: str, status: Status, reviewer: str | None = None, limit: int = 50
    ) -> list[str]:
        """Clips of `run` in this state (optionally only those in `reviewer`'s queue), in clip
        order: sent-back clips for their reviewer, disputed ones for a lead."""
        q = select(ReviewState.clip_id).where(ReviewState.run == run, ReviewState.status == status)
        if reviewer is not None:
            q = q.where(ReviewState.reviewer == reviewer)
        with self.session() as s:
            return list(s.scalars(q.order_by(ReviewState.clip_id).limit(limit)))

    def status(self, run: str, clip_id: str) -> Status:
        """Pending, or the state of this clip in this run."""
        with self.session() as s:
            found = s.scalar(
                select(ReviewState.status).where(
                    ReviewState.run == run, ReviewState.clip_id == clip_id
                )
            )
        return Status(found) if found else Status.PENDING

    def statuses(self, run: str, clip_ids: Sequence[str]) -> dict[str, Status]:
        with self.session() as s:
            rows = dict(
                s.execute(
                    select(ReviewState.clip_id, ReviewState.status).where(
                        and_(ReviewState.run == run, ReviewState.clip_id.in_(list(clip_ids)))
                    )
                ).all()
            )
        return {c: Status(rows.get(c, Status.PENDING)) for c in clip_ids}

    def state_review(self, run: str, clip_id: str) -> Review | None:
        """The review behind a clip's state (for a sent-back clip: the lead's row and comment)."""
        with self.session() as s:
            state = s.get(ReviewState, (run, clip_id))
            return s.get(Review, state.review_id) if state is not None else None

    def tallies(self, run: str) -> Tallies:
        """The run's running review sums."""
        with self.session() as s:
            rows = s.execute(
                select(ReviewTally.name, ReviewTally.n, ReviewTally.total).where(
                    ReviewTally.run == run
                )
            )
            return Tallies({name: (n, total) for name, n, total in rows})

    def decided_by(self, run: str, reviewer: str) -> list[tuple[datetime, float | None]]:
        """(time, seconds spent) of each final decision in force by `reviewer`, oldest first."""
        with self.session() as s:
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

    def last_undoable(self, run: str, reviewer: str) -> Review | None:
        """The reviewer's newest decision in this run (queue, gold check or double review) that
        no undo has withdrawn: never a lead's settlement, verdict or reopening."""
        with self.session() as s:
            return s.scalar(
                select(Review)
                .where(
                    Review.run == run,
                    Review.reviewer == reviewer,
                    Review.decision != Decision.UNDO,
                    or_(
                        Review.purpose.is_(None),
                        Review.purpose.in_([Purpose.QUEUE, Purpose.GOLD, Purpose.DOUBLE]),
                    ),
                    _not_withdrawn(Review),
                )
                .order_by(Review.id.desc())
                .limit(1)
            )

    # --- gold checks --------------------------------------------------------------------------
    def gold_candidates(
        self,
        run: str,
        reviewer: str,
        limit: int = 4,
        *,
        lease_run: str | None = None,
        owner: str | None = None,
    ) -> list[str]:
        """Gold clips drafted in `run` that `reviewer` has not seen as anything (no gold check,
        decision or verdict of theirs in force on it) and, given `lease_run` and `owner`, that
        nobody else holds, in clip order: the gold checks still to show them, each once."""
        mine = aliased(Review)
        seen = exists().where(
            mine.run == run,
            mine.reviewer == reviewer,
            mine.clip_id == GoldClip.clip_id,
            mine.decision != Decision.UNDO,
            _not_withdrawn(mine),
        )
        q = (
            select(GoldClip.clip_id)
            .join(DraftRecord, (DraftRecord.clip_id == GoldClip.clip_id) & (DraftRecord.run == run))
            .where(~seen)
        )
        if lease_run is not None and owner is not None:
            q = q.where(
                ~exists().where(
                    Lease.run == lease_run,
                    Lease.clip_id == GoldClip.clip_id,
                    Lease.expires_at > now(),
                    Lease.owner != owner,
                )
            )
        with self.session() as s:
            return list(s.scalars(q.order_by(GoldClip.clip_id).limit(limit)))

    def gold_counts(self, run: str, reviewer: str) -> tuple[int, int]:
        """(gold checks, all final decisions) `reviewer` has made in `run`, undone ones left
        out: the reviewer's own rows (index on run, reviewer), so the cost follows their work,
        not the run's size."""
        with self.session() as s:
            row = s.execute(
                select(
                    func.coalesce(func.sum(case((Review.purpose == Purpose.GOLD, 1), else_=0)), 0),
                    func.count(),
                ).where(
                    Review.run == run,
                    Review.reviewer == reviewer,
                    Review.decision.in_(FINAL),
                    _not_withdrawn(Review),
                )
            ).one()
        return int(row[0]), int(row[1])

    def gold_pool(self, run: str) -> int:
        """How many of the run's drafted clips are in the gold pool."""
        with self.session() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(GoldClip)
                    .join(
                        DraftRecord,
                        (DraftRecord.clip_id == GoldClip.clip_id) & (DraftRecord.run == run),
                    )
                )
                or 0
            )

    # --- history ------------------------------------------------------------------------------
    def all(self, clip_id: str | None = None) -> list[Review]:
        """Every review row (or one clip's), oldest first."""
        with self.session() as s:
            q = select(Review).order_by(Review.id)
            if clip_id is not None:
                q = q.where(Review.clip_id == clip_id)
            return list(s.scalars(q))

    def of_clip(self, run: str, clip_id: str) -> list[Review]:
        """Every review row of one clip in one run, oldest first (index on run, clip, id)."""
        with self.session() as s:
            return _clip_rows(s, run, clip_id)

    def by_id(self, ids: Sequence[int]) -> list[Review]:
        with self.session() as s:
            return list(s.scalars(select(Review).where(Review.id.in_(list(ids)))))

    def recent(self, run: str, reviewer: str, limit: int = 200) -> list[Review]:
        """A reviewer's newest review rows in a run, newest first (index on run, reviewer, id)."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(Review)
                    .where(Review.run == run, Review.reviewer == reviewer)
                    .order_by(Review.id.desc())
                    .limit(limit)
                )
            )

    def judged(self, run: str, review_ids: Sequence[int]) -> set[int]:
        """Which of these decisions a lead has approved or sent back."""
        if not review_ids:
            return set()
        with self.session() as s:
            return set(
                s.scalars(
                    select(Review.about).where(
                        Review.run == run,
                        Review.purpose == Purpose.LEAD,
                        Review.about.in_(list(review_ids)),
                    )
                )
            )

    def in_force_by_clip(self) -> dict[str, Review]:
        """The decision in force per clip (the newest run's, where several runs decided it), as
        the queue resolves it (`agent.decisions.decision_in_force`)."""
        groups: dict[tuple[str | None, str], list[Review]] = {}
        for r in self.all():
            groups.setdefault((r.run, r.clip_id), []).append(r)
        latest: dict[str, Review] = {}
        for (_, clip_id), rows in groups.items():
            review = decision_in_force(rows)
            if review is not None and (clip_id not in latest or latest[clip_id].id < review.id):
                latest[clip_id] = review
        return latest

    # --- unsaved text -------------------------------------------------------------------------
    def save_buffer(self, owner: str, clip_id: str, text: str) -> None:
        with self.session.begin() as s:
            s.merge(EditBuffer(owner=owner, clip_id=clip_id, text=text, updated_at=now()))

    def buffer(self, owner: str, clip_id: str) -> str | None:
        with self.session() as s:
            row = s.get(EditBuffer, (owner, clip_id))
            return row.text if row else None

    def drop_buffer(self, owner: str, clip_id: str) -> None:
        with self.session.begin() as s:
            s.execute(
                delete(EditBuffer).where(EditBuffer.owner == owner, EditBuffer.clip_id == clip_id)
            )
