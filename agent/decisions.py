"""What review rows mean, written once and without SQL: the decisions a reviewer or a lead
records, why a clip was on screen (purpose), the state a clip is in (status) and the arm it was
shown in; which rows are in force and which an undo withdrew; how one clip's rows resolve to
its state; and the names of the running tallies a state adds to.

The store's queue, the review session, the lead's and the team's figures, export, the evals and
the pages all read these. Each value is the very string the database has kept for it since it
was introduced, so rows written by any release read the same (no migration), and a member
compares equal to its string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from agent.schema import Draft


class Decision(StrEnum):
    """What one review row records (its `decision` column)."""

    ACCEPTED = "accepted"  # the text shown, unchanged
    EDITED = "edited"  # the text shown, changed
    REJECTED = "rejected"  # the draft refused: the reviewer wrote their own caption
    FLAGGED = "flagged"  # for a second look
    SKIPPED = "skipped"
    UNDO = "undo"  # withdraws the row named in `undoes`
    APPROVED = "approved"  # a lead's verdict on a reviewer's decision (purpose `lead`)
    SENT_BACK = "sent_back"  # ... or the clip back to that reviewer, with a comment
    REOPENED = "reopened"  # a lead put a final clip back in the queue, with a reason (`lead`)
    # recap's routing policy accepted the draft without a person (agent.routing): kept in its
    # own table with the policy and the confidence, never as a review row, so it is no one's
    # decision and any person's decision on the clip outranks it (`person_wins`)
    AUTO_ACCEPTED = "auto_accepted"


# The decisions that give a clip its final caption.
FINAL = frozenset({Decision.ACCEPTED, Decision.EDITED, Decision.REJECTED})
# What a reviewer can decide on the review page (a lead's verdicts and undo are separate acts).
REVIEWER_DECISIONS = (
    Decision.ACCEPTED,
    Decision.EDITED,
    Decision.REJECTED,
    Decision.FLAGGED,
    Decision.SKIPPED,
)
# A lead's verdicts on a reviewer's decision.
VERDICTS = (Decision.APPROVED, Decision.SENT_BACK)


class Purpose(StrEnum):
    """Why a clip was on screen when a row was written (its `purpose` column; None, in rows
    written before migration 0007, is `queue`)."""

    QUEUE = "queue"  # the run's own queue
    GOLD = "gold"  # a gold check: the reviewer's own, it never moves the clip
    DOUBLE = "double"  # one of two blind reviews of the clip
    SETTLE = "settle"  # a lead's caption for a clip two reviewers disagreed on
    LEAD = "lead"  # a lead's approval or send-back of another row (`about`)


class Status(StrEnum):
    """The state of one drafted clip in one run: pending, the decision in force, or one of the
    team states in between."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"
    FLAGGED = "flagged"
    SKIPPED = "skipped"
    AWAITING_SECOND = "awaiting_second"  # decided once, waiting for a second reviewer
    DISPUTED = "disputed"  # two decisions that differ: a lead settles
    SENT_BACK = "sent_back"  # a lead sent the decision back to its reviewer


# Pending, then each decision a reviewer can make: the states progress counts clips in.
STATUSES = (Status.PENDING, *(Status(d) for d in REVIEWER_DECISIONS))
# States besides a decision that only team review produces.
TEAM_STATES = (Status.AWAITING_SECOND, Status.DISPUTED, Status.SENT_BACK)
FINAL_STATUSES = frozenset(Status(d) for d in FINAL)
# The lists a reviewer can pick on the page: the clips still open to a decision. Accepted,
# edited and rejected clips (decided, agreed or settled) are final for reviewers.
OPEN_STATUSES = (Status.PENDING, Status.FLAGGED, Status.SKIPPED)


class Arm(StrEnum):
    """How a clip was shown (the `arm` column; None, before migration 0004, is `draft`)."""

    DRAFT = "draft"  # with the draft's findings and rewrite
    CONTROL = "control"  # the original caption alone, to measure what the draft is worth


class ReviewRow(Protocol):
    """What this module reads of a review row (the store's `Review`, or a test's stand-in)."""

    @property
    def id(self) -> int: ...
    @property
    def reviewer(self) -> str: ...
    @property
    def decision(self) -> str: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def final_caption(self) -> str | None: ...
    @property
    def undoes(self) -> int | None: ...
    @property
    def about(self) -> int | None: ...
    @property
    def edit_rate(self) -> float | None: ...
    @property
    def agreed(self) -> dict[str, Any] | None: ...


R = TypeVar("R", bound=ReviewRow)


def purpose_of(row: ReviewRow) -> Purpose:
    return Purpose(row.purpose) if row.purpose else Purpose.QUEUE


def arm_of(arm: str | None) -> Arm:
    return Arm(arm) if arm else Arm.DRAFT


def undone(rows: Iterable[ReviewRow]) -> set[int]:
    """The ids of the rows an undo among `rows` withdrew."""
    return {r.undoes for r in rows if r.decision == Decision.UNDO and r.undoes is not None}


def in_force(rows: Sequence[R]) -> list[R]:
    """The rows that still count, in their order: every row but the undos and the rows they
    withdrew. (An undo is only ever of its own reviewer's row, so a reviewer's rows alone give
    the same answer for that reviewer as the whole clip's.)"""
    gone = undone(rows)
    return [r for r in rows if r.decision != Decision.UNDO and r.id not in gone]


def final_in_force(rows: Sequence[R]) -> list[R]:
    """The final decisions (accepted, edited, rejected) among the rows in force."""
    return [r for r in in_force(rows) if r.decision in FINAL]


def same_caption(a: str | None, b: str | None) -> bool:
    """Two final captions are the same text, spacing aside."""
    return " ".join((a or "").split()) == " ".join((b or "").split())


def same_outcome(a: ReviewRow, b: ReviewRow) -> bool:
    """Two reviewers agree on a clip: the same decision and the same final caption (spacing
    aside). Anything else is a disagreement for a lead to settle."""
    return a.decision == b.decision and same_caption(a.final_caption, b.final_caption)


class Resolution(NamedTuple, Generic[R]):
    """A clip's state in a run: its status, the row behind it, and whose queue it is in."""

    status: Status
    review: R
    owner: str


def since_reopened(rows: Sequence[R]) -> list[R]:
    """The rows in force since a lead last reopened the clip (all of them if none did), oldest
    first: a reopened clip starts again from pending, its earlier history kept but spent."""
    live = in_force(rows)
    last = max((i for i, r in enumerate(live) if r.decision == Decision.REOPENED), default=-1)
    return live[last + 1 :]


def _first_two(doubles: Sequence[R]) -> list[R]:
    """The double-review decisions that count: the newest of each of the first two reviewers
    (oldest first). A third reviewer's decision never joins a comparison two have made."""
    names: list[str] = []
    for r in doubles:
        if r.reviewer not in names:
            names.append(r.reviewer)
    two = names[:2]
    return latest_per_reviewer(r for r in doubles if r.reviewer in two)


def resolve(rows: Sequence[R]) -> Resolution[R] | None:
    """The state of one clip in one run from its review rows (oldest first), or None when it is
    pending.

    Only the rows since the clip was last reopened count. Gold checks are each reviewer's own
    and never move the clip. A lead's settlement is final: nothing after it outranks it but a
    newer settlement (or a reopening). A lead's send-back newer than every decision returns the
    clip to the reviewer it names (`sent_back`). Double review (`double`): one final decision
    leaves the clip `awaiting_second` for someone else; the first two reviewers' decisions
    decide it when they agree and leave it `disputed` for a lead when they differ. Otherwise
    the newest decision is in force."""
    live = [r for r in since_reopened(rows) if purpose_of(r) != Purpose.GOLD]
    work = [r for r in live if purpose_of(r) != Purpose.LEAD]
    if not work:
        return None
    settled = [r for r in work if purpose_of(r) == Purpose.SETTLE]
    if settled:
        return Resolution(Status(settled[-1].decision), settled[-1], settled[-1].reviewer)
    last = work[-1]
    sent = [
        r
        for r in live
        if purpose_of(r) == Purpose.LEAD and r.decision == Decision.SENT_BACK and r.id > last.id
    ]
    if sent:
        about = next((r for r in work if r.id == sent[-1].about), last)
        return Resolution(Status.SENT_BACK, sent[-1], about.reviewer)
    doubles = [r for r in work if purpose_of(r) == Purpose.DOUBLE and r.decision in FINAL]
    if doubles:
        two = _first_two(doubles)
        if len(two) == 1:
            return Resolution(Status.AWAITING_SECOND, two[0], two[0].reviewer)
        a, b = two
        status = Status(b.decision) if same_outcome(a, b) else Status.DISPUTED
        return Resolution(status, b, b.reviewer)
    return Resolution(Status(last.decision), last, last.reviewer)


def decision_in_force(rows: Sequence[R]) -> R | None:
    """The row whose decision stands for the clip (what export and promote use): the one
    behind its state, except while it is disputed or sent back (its draft stands until it is
    decided); gold checks and a lead's feedback are never a clip's decision."""
    resolution = resolve(rows)
    if resolution is None or resolution.status in (Status.DISPUTED, Status.SENT_BACK):
        return None
    return resolution.review


def person_wins(person: R | None, auto_accepted: bool) -> Decision | None:
    """What stands for a clip that recap's policy may have accepted: the person's decision in
    force when there is one (`decision_in_force`), whatever the policy did and whenever; else
    the auto-acceptance; else nothing (the draft, undecided)."""
    if person is not None:
        return Decision(person.decision)
    return Decision.AUTO_ACCEPTED if auto_accepted else None


def latest_per_reviewer(rows: Iterable[R]) -> list[R]:
    """Each reviewer's newest row among `rows` (given oldest first), oldest first."""
    latest: dict[str, R] = {}
    for r in rows:
        latest[r.reviewer] = r
    return sorted(latest.values(), key=lambda r: r.id)


def two_reviews(rows: Sequence[R]) -> tuple[R, R] | None:
    """The two double-review decisions a disputed clip's state rests on (older first)."""
    doubles = [
        r for r in since_reopened(rows) if purpose_of(r) == Purpose.DOUBLE and r.decision in FINAL
    ]
    two = _first_two(doubles)
    return (two[0], two[1]) if len(two) == 2 else None


def participants(rows: Sequence[ReviewRow]) -> set[str]:
    """Who took part in a clip's decision as it stands: everyone who decided or settled it since
    it was last reopened, withdrawn decisions included (they saw the draft and judged it). Gold
    checks (a reviewer's own measure) and a lead's verdicts (oversight) are not taking part.
    A lead among them may neither settle, resettle nor reopen the clip."""
    live = in_force(rows)
    reopened = [r.id for r in live if r.decision == Decision.REOPENED]
    since = reopened[-1] if reopened else -1
    return {
        r.reviewer
        for r in rows
        if r.id > since
        and r.decision != Decision.UNDO
        and purpose_of(r) not in (Purpose.GOLD, Purpose.LEAD)
    }


def refusal(purpose: Purpose, status: Status, owner: str | None, reviewer: str) -> str | None:
    """Why `reviewer` may not decide a clip in `status` (whose queue it is in: `owner`) for
    `purpose`, or None when they may.

    Open to a decision: pending, flagged and skipped clips; a clip sent back, for the reviewer
    it was sent back to; a clip awaiting a second review, for anyone but its first reviewer. A
    disputed clip waits for a lead; accepted, edited and rejected clips (decided, agreed or
    settled) are final for reviewers: only a lead who took no part can reopen or resettle one.
    A gold check is the reviewer's own measure and moves no clip, so any state allows one."""
    if purpose == Purpose.GOLD or status in OPEN_STATUSES:
        return None
    if status == Status.SENT_BACK:
        return None if owner == reviewer else "a lead sent it back to another reviewer"
    if status == Status.AWAITING_SECOND:
        if owner == reviewer:
            return "you have reviewed it; it waits for a second reviewer"
        return None
    if status == Status.DISPUTED:
        return "two reviewers disagree on it; a lead settles it"
    return f"it is {status} and final; only a lead who took no part can reopen it"


# --- running tallies --------------------------------------------------------------------------
# Each run keeps sums by name (`review_tally`): one row per name, (count, total). The names:

EVENTS = "events"  # every review row written; bumped first, so it also serialises writers
EDIT_RATE = "edit_rate"  # final decisions with an edit rate: (how many, sum of the rates)
_STATUS = "status:"  # clips per status
_AGREE = "agree:"  # per finding type: (findings shown on decided clips, findings agreed with)


def status_key(status: Status) -> str:
    """The tally counting clips in `status`."""
    return f"{_STATUS}{Status(status).value}"


def agree_key(finding_type: str) -> str:
    """The tally of findings of this type and how many were agreed with."""
    return f"{_AGREE}{finding_type}"


def contributions(status: Status, review: ReviewRow, draft: Draft) -> dict[str, tuple[int, float]]:
    """What a clip's state (its status, the row behind it and the clip's draft) adds to its
    run's tallies."""
    out: dict[str, tuple[int, float]] = {status_key(status): (1, 0.0)}
    if status not in FINAL_STATUSES:
        return out
    if review.edit_rate is not None:
        out[EDIT_RATE] = (1, review.edit_rate)
    types: dict[str, list[str]] = {
        "hallucinations": [h.type.value for h in draft.hallucinations],
        "omissions": [o.type.value for o in draft.omissions],
    }
    for kind, finding_types in types.items():
        marks = (review.agreed or {}).get(kind, {}) or {}
        for i, finding_type in enumerate(finding_types):
            key = agree_key(finding_type)
            n, v = out.get(key, (0, 0.0))
            out[key] = (n + 1, v + bool(marks.get(str(i), False)))
    return out


@dataclass(frozen=True)
class Tallies:
    """A run's running tallies, read by name: `sums[name]` is (count, total)."""

    sums: Mapping[str, tuple[int, float]] = field(default_factory=dict)

    def clips(self, status: Status) -> int:
        """Clips in this status."""
        return self.sums.get(status_key(status), (0, 0.0))[0]

    @property
    def mean_edit_rate(self) -> float | None:
        n, total = self.sums.get(EDIT_RATE, (0, 0.0))
        return total / n if n else None

    def agreement_by_type(self) -> dict[str, float]:
        """Per finding type, the share of findings on decided clips the reviewer agreed with."""
        return {
            name.removeprefix(_AGREE): total / n
            for name, (n, total) in sorted(self.sums.items())
            if name.startswith(_AGREE) and n
        }
