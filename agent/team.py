"""The team's figures over the decisions there are: per reviewer and day, totals, agreement.

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

from agent.errors import RecapError
from agent.review import active_hours
from agent.store import FINAL_DECISIONS, Review, Store, as_utc

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


@dataclass(frozen=True)
class Agreement:
    """Two reviewers on the clips they both decided."""

    first: str
    second: str
    clips: int
    same_decision: float
    kappa: float | None
    caption_ter: float | None


def decisions(store: Store, run: str | None = None) -> list[Review]:
    """Each reviewer's decision in force per clip and run (undone ones dropped), oldest first."""
    rows = store.reviews()
    if run is not None:
        rows = [r for r in rows if r.run == run]
    undone = {r.undoes for r in rows if r.decision == "undo" and r.undoes is not None}
    latest: dict[tuple[str, str | None, str], Review] = {}
    for r in rows:
        if r.decision in FINAL_DECISIONS and r.id not in undone:
            latest[(r.reviewer, r.run, r.clip_id)] = r
    return sorted(latest.values(), key=lambda r: r.id)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def by_reviewer_and_day(rows: list[Review]) -> list[ReviewerDay]:
    groups: dict[tuple[str, date], list[Review]] = defaultdict(list)
    for r in rows:
        groups[(r.reviewer, as_utc(r.created_at).date())].append(r)
    out = []
    for (reviewer, day), rs in sorted(groups.items()):
        hours = active_hours([as_utc(r.created_at) for r in rs])
        out.append(
            ReviewerDay(
                reviewer=reviewer,
                day=day,
                clips=len(rs),
                clips_per_hour=len(rs) / hours if hours else None,
                accept_rate=sum(r.decision == "accepted" for r in rs) / len(rs),
                mean_edit_rate=_mean([r.edit_rate for r in rs if r.edit_rate is not None]),
                mean_seconds=_mean([r.seconds for r in rs if r.seconds is not None]),
            )
        )
    return out


def agreement(rows: list[Review]) -> list[Agreement]:
    """Per pair of reviewers who decided the same clips: decision kappa and caption TER."""
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
            )
        )
    return out


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


def to_csv(days: list[ReviewerDay]) -> str:
    """The per-reviewer, per-day table as CSV (figures unrounded)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[f.name for f in fields(ReviewerDay)])
    writer.writeheader()
    for d in days:
        writer.writerow({k: ("" if v is None else v) for k, v in asdict(d).items()})
    return buf.getvalue()
