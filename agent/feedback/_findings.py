"""What was wrong with each original caption, from gold labels or from a run's reviews: the one
place that decides which errors a clip counts, so every figure of the feedback report rests on
the same per-clip list.

From gold (`from_gold`): the clip's gold hallucination and omission labels, and its gold caption
as the correction. From a run's reviews (`from_run`), on the clips whose state is final
(accepted, edited or rejected; `agent.decisions.resolve`):
- a single decision: the draft's findings it agreed with;
- two reviewers who agreed (double review): the findings both agreed with;
- a lead's settlement, which carries no marks of its own: the marks of the reviewer whose final
  caption the lead kept; when the lead wrote another caption, a flagged span counts when the
  settled caption no longer contains it, and any finding counts when every reviewer agreed with
  it.
A caption changed by its final caption with no finding counted is "edited, unlabelled".
Control-arm clips (shown without the draft, so no finding was judged) are left out, and so are
clips not yet final (pending, awaiting a second review, disputed, sent back).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.decisions import (
    FINAL,
    FINAL_STATUSES,
    Arm,
    Purpose,
    arm_of,
    purpose_of,
    resolve,
    same_caption,
    since_reopened,
)
from agent.errors import RecapError
from agent.feedback._contradictions import disagreements
from agent.routing._correctness import FindingMarks
from agent.schema import Draft, GoldLabels, HallucinationType, OmissionType, span_occurrences
from agent.store import Clip, Review, Store

UNLABELLED = "edited_unlabelled"  # the name of the "edited, unlabelled" figure
TELEMETRY = "telemetry:"  # figures of claims telemetry contradicts: telemetry:outcome


@dataclass(frozen=True)
class Flag:
    """One error of one caption: a wrong span (hallucination) or something left out."""

    kind: str  # "hallucination" or "omission"
    type: str  # a HallucinationType or OmissionType value
    text: str  # the flagged span, or the omission's description
    evidence_times: tuple[float, ...] = ()


@dataclass(frozen=True)
class ClipErrors:
    """One reviewed (or gold-labelled) caption: its errors, its correction, and what it is (the
    facets the report breaks figures down by)."""

    clip_id: str
    caption: str
    corrected: str | None
    flags: tuple[Flag, ...] = ()
    task: str | None = None
    robot: str | None = None
    outcome: str | None = None  # "success" or "failure", from telemetry
    sets: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)
    # the claims telemetry contradicts (outcome, gripper_or_grasp); None: no telemetry
    against_telemetry: tuple[str, ...] | None = None

    @property
    def edited_unlabelled(self) -> bool:
        """Changed by its correction, with no error counted."""
        return (
            not self.flags
            and self.corrected is not None
            and not same_caption(self.caption, self.corrected)
        )

    @property
    def has_error(self) -> bool:
        return bool(self.flags) or self.edited_unlabelled

    def count(self, name: str) -> int:
        """Errors of one figure: a type (`hallucination:outcome`), `edited_unlabelled`, or a
        claim telemetry contradicts (`telemetry:outcome`)."""
        if name == UNLABELLED:
            return int(self.edited_unlabelled)
        if name.startswith(TELEMETRY):
            return int(name.removeprefix(TELEMETRY) in (self.against_telemetry or ()))
        kind, _, type_ = name.partition(":")
        return sum(1 for f in self.flags if f.kind == kind and f.type == type_)


@dataclass(frozen=True)
class Collected:
    """The clips a report covers and what was left out, with why (for the report's header)."""

    source: str  # "gold FILE" or "run NAME"
    clips: list[ClipErrors]
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> clips


def figure_names() -> list[str]:
    """Every per-type figure, in the contract's order."""
    return [f"hallucination:{t.value}" for t in HallucinationType] + [
        f"omission:{t.value}" for t in OmissionType
    ]


def _meta_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _facets(clip: Clip, sets: Sequence[str], caption: str) -> dict[str, object]:
    """Task, robot type, outcome, sets and meta of a clip, as the report names them, and the
    claims of its caption its telemetry contradicts."""
    meta = clip.meta or {}
    telemetry = clip.telemetry
    task = meta.get("task")
    if not task and telemetry is not None:
        task = telemetry.task
    if not task and isinstance(meta.get("tasks"), list) and meta["tasks"]:
        task = meta["tasks"][0]
    robot = meta.get("robot_type") or meta.get("robot")
    success = telemetry.success if telemetry is not None else None
    if success is None and isinstance(meta.get("success"), bool):
        success = meta["success"]
    outcome = None if success is None else ("success" if success else "failure")
    return {
        "task": str(task) if task else None,
        "robot": str(robot) if robot else None,
        "outcome": outcome,
        "sets": tuple(sets),
        "meta": {str(k): _meta_text(v) for k, v in meta.items()},
        "against_telemetry": disagreements(caption, telemetry),
    }


def _gold_flags(labels: GoldLabels) -> tuple[Flag, ...]:
    return tuple(
        Flag("hallucination", h.type.value, h.span, tuple(h.evidence_times))
        for h in labels.hallucinations
    ) + tuple(
        Flag("omission", o.type.value, o.description, tuple(o.evidence_times))
        for o in labels.omissions
    )


def from_gold(store: Store, ids: Sequence[str], source: str) -> Collected:
    """The gold labels of the clips `ids` (a gold file's rows) as the database keeps them.
    Refused when none of them is in the database; rows whose clip is missing, or whose clip
    has no gold labels, are counted as left out."""
    wanted = list(dict.fromkeys(ids))
    found = store.clips.with_captions(wanted)
    if not found:
        raise RecapError(
            f"None of the {len(wanted)} clip(s) of {source} is in the database.",
            hint=f"Ingest it first: recap ingest {source}",
        )
    left: dict[str, int] = {}
    if len(found) < len(wanted):
        left["not in the database"] = len(wanted) - len(found)
    sets = store.sets.sets_of([c.id for c, _ in found])
    out: list[ClipErrors] = []
    for clip, caption in found:
        labels = clip.gold
        if labels is None:
            left["no gold labels"] = left.get("no gold labels", 0) + 1
            continue
        out.append(
            ClipErrors(
                clip.id,
                caption,
                labels.caption,
                _gold_flags(labels),
                **_facets(clip, sets[clip.id], caption),
            )
        )
    return Collected(f"gold {source}", out, left)


def _draft_flags(draft: Draft, marks: FindingMarks) -> tuple[Flag, ...]:
    return tuple(
        Flag("hallucination", h.type.value, h.span, tuple(h.evidence_times))
        for i, h in enumerate(draft.hallucinations)
        if marks.hallucinations.get(i, False)
    ) + tuple(
        Flag("omission", o.type.value, o.description, tuple(o.evidence_times))
        for i, o in enumerate(draft.omissions)
        if marks.omissions.get(i, False)
    )


def _both(marks: Sequence[FindingMarks]) -> FindingMarks:
    """The findings every one of `marks` agreed with."""
    h = set.intersection(*({i for i, v in m.hallucinations.items() if v} for m in marks))
    o = set.intersection(*({i for i, v in m.omissions.items() if v} for m in marks))
    return FindingMarks(hallucinations=dict.fromkeys(h, True), omissions=dict.fromkeys(o, True))


def counted_marks(rows: Sequence[Review], draft: Draft, caption: str) -> FindingMarks | str:
    """The findings a clip's review rows count (see the module's rules), or why the clip is
    left out: not final yet, or reviewed in the control arm."""
    resolution = resolve(rows)
    if resolution is None or resolution.status not in FINAL_STATUSES:
        return "not final yet (pending, awaiting a second review, disputed or sent back)"
    behind = resolution.review
    latest: dict[str, Review] = {}
    for r in since_reopened(rows):
        if purpose_of(r) in (Purpose.QUEUE, Purpose.DOUBLE) and r.decision in FINAL:
            latest[r.reviewer] = r
    if purpose_of(behind) == Purpose.SETTLE:
        decided = [r for r in latest.values() if arm_of(r.arm) != Arm.CONTROL]
        kept = [r for r in decided if same_caption(r.final_caption, behind.final_caption)]
        if kept:
            return FindingMarks.from_review(kept[-1].agreed)
        every = _both([FindingMarks.from_review(r.agreed) for r in decided]) if decided else None
        settled = behind.final_caption or ""
        gone = {
            i
            for i, h in enumerate(draft.hallucinations)
            if span_occurrences(h.span, caption) and not span_occurrences(h.span, settled)
        }
        h = gone | (set(every.hallucinations) if every else set())
        o = set(every.omissions) if every else set()
        return FindingMarks(hallucinations=dict.fromkeys(h, True), omissions=dict.fromkeys(o, True))
    if arm_of(behind.arm) == Arm.CONTROL:
        return "control arm (shown without the draft)"
    if purpose_of(behind) == Purpose.DOUBLE:
        doubles = [r for r in latest.values() if purpose_of(r) == Purpose.DOUBLE][:2]
        return _both([FindingMarks.from_review(r.agreed) for r in doubles])
    return FindingMarks.from_review(behind.agreed)


def from_run(store: Store, run: str) -> Collected:
    """The errors reviewers found in the original captions of `run`'s final clips. Refused
    when no clip of the run is final yet, saying how many have any review."""
    store.runs.require(run)
    by_clip: dict[str, list[Review]] = {}
    for r in store.reviews.all():
        if r.run == run:
            by_clip.setdefault(r.clip_id, []).append(r)
    drafts = {d.clip_id: d for d in store.runs.drafts(run) if d.clip_id in by_clip}
    left: dict[str, int] = {}
    counted: dict[str, tuple[FindingMarks, str | None]] = {}
    for clip_id, rows in by_clip.items():
        record = drafts.get(clip_id)
        if record is None:
            left["no draft in the run"] = left.get("no draft in the run", 0) + 1
            continue
        marks = counted_marks(rows, record.draft, record.caption)
        if isinstance(marks, str):
            left[marks] = left.get(marks, 0) + 1
            continue
        resolution = resolve(rows)
        counted[clip_id] = (marks, resolution.review.final_caption if resolution else None)
    if not counted:
        shown = "; ".join(f"{n} {why}" for why, n in sorted(left.items())) or "none"
        raise RecapError(
            f"Run {run!r} has no final reviews to learn from: {len(by_clip)} of its "
            f"{store.runs.size(run)} clip(s) have been reviewed, none final outside the control "
            f"arm ({shown}).",
            hint=f"Review clips first (recap review --run {run}), or use --gold FILE.",
        )
    found = store.clips.with_captions(list(counted))
    sets = store.sets.sets_of(list(counted))
    out = []
    for clip, _ in found:
        record = drafts[clip.id]
        marks, final = counted[clip.id]
        out.append(
            ClipErrors(
                clip.id,
                record.caption,
                final,
                _draft_flags(record.draft, marks),
                **_facets(clip, sets[clip.id], record.caption),
            )
        )
    return Collected(f"run {run}", out, left)
