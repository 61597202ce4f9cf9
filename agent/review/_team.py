"""The team's figures over the decisions there are: per reviewer and day, totals, agreement,
and how each reviewer does against gold (gold checks), against each other (double review) and
in a lead's eyes (sent back).

Read-only over the append-only reviews table. A reviewer's decisions are their final decisions
(accepted, edited, rejected) not withdrawn by an undo; deciding the same clip again replaces
their earlier decision on it. Where two reviewers decided the same clip, their agreement comes
from libraries (scikit-learn's Cohen's kappa, sacrebleu's TER), not hand-written formulas.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date

from agent.decisions import (
    VERDICTS,
    Decision,
    Purpose,
    final_in_force,
    in_force,
    purpose_of,
    same_caption,
    same_outcome,
)
from agent.errors import RecapError
from agent.review._session import active_hours
from agent.schema import GoldLabels
from agent.store import DraftRecord, Review, Store, as_utc
from agent.untrusted import spreadsheet_cell

# What each figure means, for the dashboard's help and `recap team --help`.
DEFINITIONS = {
    "clips": "final decisions (accepted, edited, rejected) in force, by the day they were made",
    "clips_per_hour": "clips over active hours (gaps over 10 minutes between decisions are "
    "breaks; a single decision counts a minute)",
    "accept_rate": "share of clips whose draft was accepted unchanged",
    "mean_edit_rate": "mean word edits from the draft to the final caption, over the final "
    "caption's length (0 = accepted as is)",
    "mean_seconds": "mean seconds a clip was on screen before the decision",
    "kappa": "Cohen's kappa of the decisions of two reviewers on the same clips "
    "(scikit-learn); 1 = always agree, 0 = chance",
    "caption_ter": "TER between the two reviewers' final captions (sacrebleu), per 100 words",
    "findings_by_type": "per finding type, share of the draft's findings both reviewers judged "
    "alike (both agreed or both disagreed)",
    "gold_checks": "gold clips (with a gold caption) the reviewer decided, shown like any other",
    "gold_ter": "TER of the reviewer's final captions against the gold captions on gold checks "
    "(sacrebleu, corpus level, per 100 words; 0 = matches gold)",
    "gold_findings": "on gold checks, share of the draft's flagged spans the reviewer judged as "
    "gold does: agreed with a span that overlaps a gold span, or disagreed with one that does "
    "not",
    "automation_bias": "on gold checks whose draft rewrite differs from the gold caption, share "
    "the reviewer accepted unchanged (lower is better)",
    "agreement": "on double-review clips a second reviewer also decided, share where both made "
    "the same decision with the same final caption",
    "sent_back_rate": "share of the reviewer's clips on which a lead sent a decision of theirs "
    "back (the clip counts once, whatever they decided after)",
    "rubric": "per reviewer and rubric dimension: the mean of the scores the reviewer gave the "
    "caption under review with their decisions in force, and how many (n); scores given on "
    "different scales are kept apart",
}


@dataclass(frozen=True)
class ReviewerDay:
    """One reviewer's work on one day (UTC)."""

    reviewer: str
    day: date
    clips: int
    clips_per_hour: float | None
    accept_rate: float | None
    mean_edit_rate: float | None
    mean_seconds: float | None
    gold_checks: int = 0
    gold_ter: float | None = None
    gold_findings: float | None = None
    automation_bias: float | None = None
    agreement: float | None = None
    sent_back_rate: float | None = None


@dataclass(frozen=True)
class Evidence:
    """What the quality figures need beyond the decisions: each decided clip's gold labels (when
    it has a gold caption) and draft, the double-review decisions, and which decisions a lead
    sent back."""

    gold: dict[str, GoldLabels]
    drafts: dict[tuple[str | None, str], DraftRecord]
    sent_back: set[tuple[str, str | None, str]]  # (reviewer, run, clip) a lead sent back


def evidence(store: Store, rows: list[Review], run: str | None = None) -> Evidence:
    """Load the gold labels and drafts of the decided clips, and the lead's send-backs."""
    gold: dict[str, GoldLabels] = {}
    drafts: dict[tuple[str | None, str], DraftRecord] = {}
    for r in rows:
        if r.clip_id not in gold:
            clip = store.clips.get(r.clip_id)
            labels = clip.gold if clip is not None else None
            if labels is not None and labels.caption:
                gold[r.clip_id] = labels
        if (r.run, r.clip_id) not in drafts and r.run is not None:
            record = store.runs.draft(r.run, r.clip_id)
            if record is not None:
                drafts[(r.run, r.clip_id)] = record
    every = [x for x in store.reviews.all() if run is None or x.run == run]
    by_id = {x.id: x for x in every}
    sent_back = {
        (about.reviewer, about.run, about.clip_id)
        for x in in_force(every)
        if purpose_of(x) == Purpose.LEAD
        and x.decision == Decision.SENT_BACK
        and (about := by_id.get(x.about or -1)) is not None
    }
    return Evidence(gold=gold, drafts=drafts, sent_back=sent_back)


def _overlaps(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def gold_figures(
    rs: list[Review], ev: Evidence
) -> tuple[int, float | None, float | None, float | None]:
    """(gold checks, TER vs gold, gold findings agreement, automation bias) of some decisions."""
    from sacrebleu.metrics import TER

    checks = [r for r in rs if purpose_of(r) == Purpose.GOLD and r.clip_id in ev.gold]
    if not checks:
        return 0, None, None, None
    finals = [r.final_caption or "" for r in checks]
    golds = [ev.gold[r.clip_id].caption or "" for r in checks]
    ter = TER().corpus_score(finals, [golds]).score
    right = judged = 0
    wrong_drafts = accepted = 0
    for r in checks:
        record = ev.drafts.get((r.run, r.clip_id))
        if record is None:
            continue
        labels = ev.gold[r.clip_id]
        gold_spans = [g.locate(record.caption) for g in labels.hallucinations]
        marks = (r.agreed or {}).get("hallucinations", {}) or {}
        for i, h in enumerate(record.draft.hallucinations):
            where = h.locate(record.caption)
            real = any(_overlaps(where, g) for g in gold_spans)
            judged += 1
            right += bool(marks.get(str(i), False)) == real
        if not same_caption(record.draft.rewrite, labels.caption):
            wrong_drafts += 1
            accepted += r.decision == Decision.ACCEPTED
    return (
        len(checks),
        ter,
        right / judged if judged else None,
        accepted / wrong_drafts if wrong_drafts else None,
    )


def double_agreement(rows: list[Review]) -> dict[int, bool]:
    """For each double-review decision that has a second reviewer's: whether the two agree."""
    by_clip: dict[tuple[str | None, str], dict[str, Review]] = defaultdict(dict)
    for r in rows:
        if purpose_of(r) == Purpose.DOUBLE:
            by_clip[(r.run, r.clip_id)][r.reviewer] = r
    out: dict[int, bool] = {}
    for reviews in by_clip.values():
        for r in reviews.values():
            others = [o for o in reviews.values() if o.reviewer != r.reviewer]
            if others:
                out[r.id] = same_outcome(r, max(others, key=lambda o: o.id))
    return out


@dataclass(frozen=True)
class Agreement:
    """Two reviewers on the clips they both decided."""

    first: str
    second: str
    clips: int
    same_decision: float
    kappa: float | None
    caption_ter: float | None
    findings_by_type: dict[str, float] | None = None


def decisions(store: Store, run: str | None = None) -> list[Review]:
    """Each reviewer's decision in force per clip and run (undone ones dropped), oldest first."""
    rows = store.reviews.all()
    if run is not None:
        rows = [r for r in rows if r.run == run]
    latest: dict[tuple[str, str | None, str], Review] = {}
    for r in final_in_force(rows):
        latest[(r.reviewer, r.run, r.clip_id)] = r
    return sorted(latest.values(), key=lambda r: r.id)


def verdicts(store: Store, run: str | None = None) -> list[Review]:
    """Leads' approvals and send-backs (each a row of its own, never undone), oldest first: a
    lead's rubric scores on a decision they judged come with these."""
    rows = [r for r in store.reviews.all() if run is None or r.run == run]
    return [r for r in in_force(rows) if purpose_of(r) == Purpose.LEAD and r.decision in VERDICTS]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def by_reviewer_and_day(rows: list[Review], ev: Evidence | None = None) -> list[ReviewerDay]:
    """Per reviewer and UTC day; with `ev`, also the gold, agreement and sent-back figures."""
    groups: dict[tuple[str, date], list[Review]] = defaultdict(list)
    for r in rows:
        groups[(r.reviewer, as_utc(r.created_at).date())].append(r)
    agree = double_agreement(rows)
    out = []
    for (reviewer, day), rs in sorted(groups.items()):
        hours = active_hours([as_utc(r.created_at) for r in rs])
        quality: dict[str, object] = {}
        if ev is not None:
            n, ter, findings, bias = gold_figures(rs, ev)
            paired = [agree[r.id] for r in rs if r.id in agree]
            quality = {
                "gold_checks": n,
                "gold_ter": ter,
                "gold_findings": findings,
                "automation_bias": bias,
                "agreement": sum(paired) / len(paired) if paired else None,
                "sent_back_rate": sum((r.reviewer, r.run, r.clip_id) in ev.sent_back for r in rs)
                / len(rs),
            }
        out.append(
            ReviewerDay(
                reviewer=reviewer,
                day=day,
                clips=len(rs),
                clips_per_hour=len(rs) / hours if hours else None,
                accept_rate=sum(r.decision == Decision.ACCEPTED for r in rs) / len(rs),
                mean_edit_rate=_mean([r.edit_rate for r in rs if r.edit_rate is not None]),
                mean_seconds=_mean([r.seconds for r in rs if r.seconds is not None]),
                **quality,  # type: ignore[arg-type]
            )
        )
    return out


def agreement(rows: list[Review], ev: Evidence | None = None) -> list[Agreement]:
    """Per pair of reviewers who decided the same clips: decision kappa and caption TER; with
    `ev`, findings agreement by type. A lead's settlement is not a second opinion."""
    from sacrebleu.metrics import TER

    try:
        from sklearn.metrics import cohen_kappa_score
    except ImportError:
        raise RecapError(
            "Agreement between reviewers needs scikit-learn.",
            hint='pip install "recap-agent[team]"',
        ) from None

    by_clip: dict[tuple[str | None, str], dict[str, Review]] = defaultdict(dict)
    for r in rows:  # the same clip in the same run: a draft two people judged
        if purpose_of(r) != Purpose.SETTLE:
            by_clip[(r.run, r.clip_id)][r.reviewer] = r
    pairs: dict[tuple[str, str], list[tuple[Review, Review]]] = defaultdict(list)
    for reviews in by_clip.values():
        names = sorted(reviews)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pairs[(a, b)].append((reviews[a], reviews[b]))
    out = []
    for (a, b), both in sorted(pairs.items()):
        da = [x.decision for x, _ in both]
        db = [y.decision for _, y in both]
        # kappa is undefined when both said one and the same thing throughout
        kappa = float(cohen_kappa_score(da, db)) if len(set(da) | set(db)) > 1 else None
        texts = [(x.final_caption or "", y.final_caption or "") for x, y in both]
        ter = TER().corpus_score([x for x, _ in texts], [[y for _, y in texts]]).score
        out.append(
            Agreement(
                first=a,
                second=b,
                clips=len(both),
                same_decision=sum(x == y for x, y in zip(da, db, strict=True)) / len(both),
                kappa=kappa,
                caption_ter=ter,
                findings_by_type=_findings_by_type(both, ev) if ev is not None else None,
            )
        )
    return out


def _findings_by_type(both: list[tuple[Review, Review]], ev: Evidence) -> dict[str, float]:
    """Per finding type: share of the draft's findings the two judged alike."""
    same: dict[str, list[bool]] = defaultdict(list)
    for x, y in both:
        record = ev.drafts.get((x.run, x.clip_id))
        if record is None or x.agreed is None or y.agreed is None:
            continue  # no findings were shown (control arm)
        draft = record.draft
        for kind, findings in (
            ("hallucinations", draft.hallucinations),
            ("omissions", draft.omissions),
        ):
            mx = x.agreed.get(kind, {}) or {}
            my = y.agreed.get(kind, {}) or {}
            for i, f in enumerate(findings):
                same[f.type.value].append(bool(mx.get(str(i))) == bool(my.get(str(i))))
    return {t: sum(v) / len(v) for t, v in sorted(same.items())}


@dataclass(frozen=True)
class RubricMean:
    """A reviewer's mean score on one rubric dimension (over their decisions in force), on one
    scale; `day` set when the means are per day."""

    reviewer: str
    dimension: str
    scale: str  # "low-high"
    n: int
    mean: float
    day: date | None = None


def rubric_means(store: Store, rows: list[Review], *, per_day: bool = False) -> list[RubricMean]:
    """Mean rubric score and count per reviewer and dimension (and day, with `per_day`) over
    `rows`: `decisions` (each reviewer's final decisions in force, a lead's settlements among
    them, so an undone or replaced decision's scores do not count) and `verdicts` (a lead's
    approvals and send-backs). Empty when none has scores."""
    found = store.reviews.scores(r.id for r in rows)
    groups: dict[tuple[str, date | None, str, str], list[int]] = defaultdict(list)
    for r in rows:
        day = as_utc(r.created_at).date() if per_day else None
        for x in found.get(r.id, []):
            groups[(r.reviewer, day, x.dimension, f"{x.low}-{x.high}")].append(x.score)
    return [
        RubricMean(reviewer, dimension, scale, len(v), sum(v) / len(v), day)
        for (reviewer, day, dimension, scale), v in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or date.min, *kv[0][2:])
        )
    ]


def rubric_label(mean: RubricMean, means: list[RubricMean]) -> str:
    """The dimension's name, with its scale when the same dimension was scored on two."""
    scales = {m.scale for m in means if m.dimension == mean.dimension}
    return mean.dimension if len(scales) == 1 else f"{mean.dimension} ({mean.scale})"


def totals(days: list[ReviewerDay], target: int | None = None) -> list[dict[str, object]]:
    """The team's clips per day, with the share of the daily target met."""
    per_day: dict[date, int] = defaultdict(int)
    for d in days:
        per_day[d.day] += d.clips
    return [
        {
            "day": day,
            "clips": n,
            "reviewers": sum(d.day == day for d in days),
            "target": target,
            "of_target": n / target if target else None,
        }
        for day, n in sorted(per_day.items())
    ]


def to_csv(days: list[ReviewerDay], rubric: list[RubricMean] | None = None) -> str:
    """The per-reviewer, per-day table as CSV (figures unrounded). A name is typed by a person:
    one that a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+`, `-`, `@`, a tab or
    carriage return first) is written with a leading apostrophe (`recap team --csv` and the
    team page's download alike).

    With `rubric` (`rubric_means(..., per_day=True)`), two more columns per dimension, only
    when scores exist: `<dimension> mean` and `<dimension> n` (empty where the reviewer gave
    none that day)."""
    rubric = rubric or []
    labels = list(dict.fromkeys(rubric_label(m, rubric) for m in rubric))
    cells = {(m.reviewer, m.day, rubric_label(m, rubric)): m for m in rubric}
    # a dimension's name is the guideline author's text: a header cell like any other
    extra = [str(spreadsheet_cell(f"{label} {part}")) for label in labels for part in ("mean", "n")]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[f.name for f in fields(ReviewerDay)] + extra)
    writer.writeheader()
    for d in days:
        row: dict[str, object] = {
            k: ("" if v is None else spreadsheet_cell(v)) for k, v in asdict(d).items()
        }
        for label in labels:
            m = cells.get((d.reviewer, d.day, label))
            row[str(spreadsheet_cell(f"{label} mean"))] = "" if m is None else m.mean
            row[str(spreadsheet_cell(f"{label} n"))] = "" if m is None else m.n
        writer.writerow(row)
    return buf.getvalue()
