"""Routing over a stored run: score its drafts, calibrate a policy on clips with a known answer,
apply it (auto-accept, audit, leave the rest to people), and judge it by its audit.

What `recap route calibrate | apply | status` do. The statistics are the pure functions of this
package; this module reads the run and its labels from the store and writes back the scores,
the policy and the acceptances, each only once everything it rests on checked out (bad input
writes nothing).

- **Scores.** A draft without a stored confidence (or one made by another formula version) is
  scored from what the run kept: its K samples (`recap draft --samples K`; a failed sample
  counts as disagreeing) or the one draft (K = 1), the offline drafter's telemetry check on
  the same clip when the clip has telemetry and the run is not the offline drafter's own, and
  the claims nothing checks; and, when the run asked for token log-probabilities
  (`--logprobs`), their mean over the stored raw response (the kept sample's with K samples),
  left out with a note where the server returned none; and the model's stated confidence,
  stored with the draft where its prompt asked for one.
- **Labels.** `--gold FILE`: the gold rows (`id` plus `gold_caption` / `gold_hallucinations` /
  `gold_omissions`, as ingest reads them) judged by `judge_gold`; every row's clip must be
  drafted in the run. `--reviewed`: the run's clips a person decided (the decision in force, a
  lead's settlement winning), judged by `judge_review`; control-arm decisions and clips a
  policy accepted are left out (they are not labels of the draft as routed). Note that once a
  policy routes a run, the clips people review there are mostly the less confident ones:
  recalibrate on a gold set or on a run reviewed without a policy.
- **Identity.** A policy holds for the run identity (drafter, model, prompt, settings) and the
  confidence formula it was calibrated on; another is refused.
- **Audit.** The policy's audited clips a person decided (with the draft shown: a control-arm
  decision is no label of it) count, wrong by the policy's error rule, over every run it was
  applied to; once the audit bound exceeds α the policy is
  suspended (recorded with its reason) and accepts nothing more until a new calibration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.decisions import Arm
from agent.errors import ConfigError, RecapError, RowError
from agent.routing._audit import AuditStatus, audit_status
from agent.routing._bound import check_levels
from agent.routing._calibration import MIN_N, Calibration, Labelled, calibrate
from agent.routing._confidence import CONFIDENCE_VERSION, Confidence, confidence
from agent.routing._correctness import ErrorRule, FindingMarks, judge_gold, judge_review
from agent.routing._route import Route, route
from agent.schema import prompt_version
from agent.store import (
    AutoAcceptance,
    DraftRecord,
    RoutingPolicy,
    Store,
    as_policy,
    rule_of,
    run_identity,
)

LABEL_SOURCES = ("gold", "reviewed")


def _check_audit_share(share: float) -> None:
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share < 1.0:
        raise ConfigError(
            f"--audit must lie in [0, 1), got {share}.",
            hint="For example --audit 0.05: a person also checks 5% of the accepted clips.",
        )


def score_drafts(store: Store, records: Sequence[DraftRecord]) -> dict[int, Confidence]:
    """Confidences for the drafts among `records` that have none (or one by another formula
    version), by draft id; nothing is written."""
    todo = [
        r
        for r in records
        if r.confidence_score is None
        or r.confidence is None
        or r.confidence.version != CONFIDENCE_VERSION
    ]
    if not todo:
        return {}
    from agent.drafting._logprobs import token_logprobs
    from agent.drafting._offline import OfflineDrafter

    checker = OfflineDrafter()
    scores: dict[int, Confidence] = {}
    runs = {name: store.runs.get(name) for name in {r.run for r in todo}}
    asked = {name for name, row in runs.items() if row is not None and row.asks_logprobs}
    for start in range(0, len(todo), 1000):
        chunk = todo[start : start + 1000]
        clips = {c.id: c for c, _ in store.clips.with_captions([r.clip_id for r in chunk])}
        sampled = store.runs.samples([r.id for r in chunk])
        raw = store.runs.raw_responses([r.id for r in chunk if r.run in asked])
        for r in chunk:
            clip = clips.get(r.clip_id)
            telemetry = clip.telemetry if clip is not None else None
            offline = (
                checker.review(r.caption, telemetry)
                if telemetry is not None and r.drafter != OfflineDrafter.name
                else None
            )
            drawn = sampled.get(r.id, [])
            drafts = [x.draft for x in drawn if x.draft is not None]
            tokens = token_logprobs(raw.get(r.id)) if r.run in asked else None
            scores[r.id] = confidence(
                r.caption,
                drafts or r.draft,
                offline=offline,
                stated=r.stated_confidence,
                mean_logprob=tokens.mean if tokens else None,
                failed=len(drawn) - len(drafts) if drafts else 0,
                notes=[tokens.missing] if tokens and tokens.missing else [],
            )
    return scores


def score_of(record: DraftRecord, scores: dict[int, Confidence]) -> float:
    fresh = scores.get(record.id)
    if fresh is not None:
        return fresh.score
    assert record.confidence_score is not None
    return record.confidence_score


def gold_labels(
    store: Store, run: str, path: Path, records: dict[str, DraftRecord], rule: ErrorRule
) -> tuple[list[tuple[DraftRecord, bool]], list[str]]:
    """(draft, wrong?) for each gold row of `path`, and the rows left out with why. Every
    row's clip must be drafted in `run`."""
    from agent.data import read_gold, read_manifest

    if not path.is_file():
        raise RecapError(f"No gold file at {path}.", hint="Pass --gold FILE (JSONL or CSV).")
    out: list[tuple[DraftRecord, bool]] = []
    skipped: list[str] = []
    missing: list[str] = []
    seen: set[str] = set()
    for line, row in read_manifest(path):
        if isinstance(row, RowError):
            skipped.append(f"line {line}: {row}")
            continue
        clip_id = row.get("id")
        if not isinstance(clip_id, str) or not clip_id:
            skipped.append(f"line {line}: no clip id (field `id`)")
            continue
        if clip_id in seen:
            skipped.append(f"line {line}: clip {clip_id!r} again")
            continue
        seen.add(clip_id)
        record = records.get(clip_id)
        if record is None:
            missing.append(clip_id)
            continue
        try:
            labels = read_gold(row, record.caption)
        except RowError as e:
            skipped.append(f"line {line}: {e}")
            continue
        if labels is None:
            skipped.append(f"line {line}: no gold fields (gold_caption, gold_hallucinations)")
            continue
        try:
            out.append((record, judge_gold(record.caption, record.draft, labels, rule).error))
        except ConfigError as e:
            skipped.append(f"line {line}: {e}")
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise RecapError(
            f"{len(missing)} clip{'s' * (len(missing) != 1)} of {path} "
            f"{'are' if len(missing) != 1 else 'is'} not drafted in run {run!r}: {shown}.",
            hint="Calibrate on a run that drafted the gold clips (e.g. `recap draft --set "
            "GOLD_SET --run NAME`), or pass the gold file of this run's clips.",
        )
    return out, skipped


def reviewed_labels(store: Store, run: str, rule: ErrorRule) -> list[tuple[DraftRecord, bool]]:
    """(draft, wrong?) for each of the run's clips a person decided (see the module)."""
    out = []
    for record, review in store.routing.decided(run):
        marks = FindingMarks.from_review(review.agreed)
        verdict = judge_review(record.draft, review.decision, review.final_caption, marks, rule)
        out.append((record, verdict.error))
    return out


@dataclass(frozen=True)
class Calibrated:
    """A stored policy, the walk that chose it, and the gold rows left out."""

    row: RoutingPolicy
    calibration: Calibration
    skipped: list[str]

    def to_json(self) -> dict[str, Any]:
        return self.calibration.policy.to_json()


def calibrate_run(
    store: Store,
    run: str,
    *,
    alpha: float,
    delta: float,
    gold: Path | None = None,
    reviewed: bool = False,
    rule: ErrorRule | None = None,
    min_n: int = MIN_N,
) -> Calibrated:
    """Calibrate a policy for `run`'s identity on its gold clips (`gold`) or reviewed clips
    (`reviewed`), and store it with its labelled clips and the confidences it scored. Raises
    (writing nothing) on bad α or δ, both or neither label source, a gold file naming clips
    the run did not draft, or too few labelled clips (`NotEnoughLabels`)."""
    check_levels(alpha, delta)
    if (gold is None) == (not reviewed):
        raise ConfigError(
            "Calibrate on one kind of labelled clips: --gold FILE or --reviewed.",
            hint="recap route calibrate --run RUN --gold gold.jsonl --alpha 0.1 --delta 0.1",
        )
    rule = rule or ErrorRule()
    run_row = store.runs.require(run)
    records = {r.clip_id: r for r in store.runs.drafts(run)}
    skipped: list[str] = []
    if gold is not None:
        labelled, skipped = gold_labels(store, run, gold, records, rule)
    else:
        labelled = reviewed_labels(store, run, rule)
    scores = score_drafts(store, [r for r, _ in labelled])
    items = [
        Labelled(confidence=score_of(r, scores), error=wrong, clip_id=r.clip_id)
        for r, wrong in labelled
    ]
    result = calibrate(items, alpha, delta, min_n=min_n, scorer=CONFIDENCE_VERSION)
    row = store.routing.add_policy(
        run=run,
        identity=run_identity(run_row),
        prompt_version=prompt_version(run_row.prompt_name, run_row.prompt_hash),
        labels="gold" if gold is not None else "reviewed",
        policy=result.policy,
        rule=rule,
        items=items,
        scores=scores,
    )
    return Calibrated(row, result, skipped)


def policy_for(store: Store, run: str, policy_id: int | None = None) -> RoutingPolicy:
    """The policy to route `run` with: `policy_id`, or the newest calibrated for the run's
    identity. Refused when it was calibrated for another identity or formula."""
    run_row = store.runs.require(run)
    identity = run_identity(run_row)
    if policy_id is not None:
        row = store.routing.policy(policy_id)
        if row is None:
            raise RecapError(
                f"No routing policy {policy_id}.",
                hint=f"Calibrate one: recap route calibrate --run {run} --gold FILE "
                "--alpha 0.1 --delta 0.1",
            )
    else:
        rows = store.routing.policies(identity)
        if not rows:
            raise RecapError(
                f"No routing policy holds for run {run!r} (its model, prompt and settings).",
                hint=f"Calibrate one: recap route calibrate --run {run} (--gold FILE | "
                "--reviewed) --alpha 0.1 --delta 0.1",
            )
        row = rows[-1]
    if row.identity != identity:
        raise RecapError(
            f"Policy {row.id} was calibrated on run {row.run!r}, whose drafts come from another "
            f"model, prompt or settings than run {run!r}'s: it does not hold there.",
            hint=f"Calibrate a policy for this run: recap route calibrate --run {run} ...",
        )
    if row.scorer != CONFIDENCE_VERSION:
        raise RecapError(
            f"Policy {row.id} was calibrated on confidences of {row.scorer}; this release "
            f"scores with {CONFIDENCE_VERSION}.",
            hint=f"Calibrate again: recap route calibrate --run {run} ...",
        )
    return row


def judge_policy(store: Store, row: RoutingPolicy) -> AuditStatus:
    """The policy's audit figures and whether it is suspended; a suspension found here is
    recorded (with its reason) the first time. Once recorded it stays until a new
    calibration, whatever later audits say."""
    rule = rule_of(row)
    accepted, _ = store.routing.counts(row.id)
    decided = errors = 0
    for a in store.routing.audited(row.id):
        if a.review is None or a.review.arm == Arm.CONTROL:
            continue  # undecided, or decided without the draft shown: no label of it
        decided += 1
        marks = FindingMarks.from_review(a.review.agreed)
        errors += judge_review(
            a.record.draft, a.review.decision, a.review.final_caption, marks, rule
        ).error
    status = audit_status(
        as_policy(row), auto_accepted=accepted, audited=decided, audit_errors=errors
    )
    if status.suspended and row.suspended_at is None:
        store.routing.suspend(row.id, status.reason)
    elif row.suspended_at is not None and not status.suspended:
        status = status.model_copy(
            update={"suspended": True, "reason": row.suspended_reason or status.reason}
        )
    return status


@dataclass(frozen=True)
class Applied:
    """What `recap route apply` did: clips accepted by the policy (audited ones included),
    of them also sent to a person as an audit, and clips left to people."""

    policy: RoutingPolicy
    auto_accepted: int
    audit: int
    to_review: int
    skipped: int  # decided by a person, accepted before, or calibrated on

    def to_json(self) -> dict[str, Any]:
        return {
            "auto_accepted": self.auto_accepted,
            "to_review": self.to_review,
            "audit": self.audit,
        }


def apply_policy(
    store: Store, run: str, *, audit: float = 0.05, policy_id: int | None = None
) -> Applied:
    """Route every drafted clip of `run` that no person decided, no policy accepted before and
    the policy was not calibrated on: auto-accept those at or above the threshold (an
    `audit` share of them, by hash, also goes to people), leave the rest in the queue.
    Refused (nothing written) for a policy of another identity or a suspended one."""
    from sqlalchemy.exc import IntegrityError

    _check_audit_share(audit)
    row = policy_for(store, run, policy_id)
    status = judge_policy(store, row)
    if status.suspended:
        raise RecapError(
            f"Policy {row.id} is suspended: {status.reason}. It accepts nothing more.",
            hint=f"Calibrate again (recap route calibrate --run {run} ...), then apply the new "
            "policy.",
        )
    policy = as_policy(row)
    records = store.runs.drafts(run)
    taken = store.routing.states(run) | set(store.routing.acceptances(run))
    labelled = store.routing.labelled_clips(row.id)
    todo = [r for r in records if r.clip_id not in taken and r.clip_id not in labelled]
    scores = score_drafts(store, todo)
    if scores:
        store.routing.save_confidences(scores)
    accepted: list[AutoAcceptance] = []
    to_review = 0
    for r in todo:
        score = score_of(r, scores)
        where = route(policy, score, run=run, clip_id=r.clip_id, audit_share=audit)
        if where is Route.REVIEW:
            to_review += 1
            continue
        accepted.append(
            AutoAcceptance(
                run=run,
                clip_id=r.clip_id,
                draft_id=r.id,
                policy_id=row.id,
                confidence=score,
                audit=where is Route.AUDIT,
            )
        )
    try:
        store.routing.accept(accepted)
    except IntegrityError:  # another apply on this run recorded some of them a moment ago
        raise RecapError(
            f"Another `recap route apply` on run {run!r} accepted some of these clips at the "
            "same time; nothing of this one was recorded.",
            hint=f"Run it again when the other is done: recap route apply --run {run}",
        ) from None
    return Applied(
        policy=row,
        auto_accepted=len(accepted),
        audit=sum(a.audit for a in accepted),
        to_review=to_review,
        skipped=len(records) - len(todo),
    )


def route_status(
    store: Store, run: str, policy_id: int | None = None
) -> tuple[RoutingPolicy, AuditStatus]:
    """The policy routing `run` (`policy_id`, else the newest that accepted clips of it, else
    the newest for its identity) and where it stands on its audit."""
    if policy_id is None:
        store.runs.require(run)
        row = store.routing.applied_to(run)
        if row is not None:
            return row, judge_policy(store, row)
    row = policy_for(store, run, policy_id)
    return row, judge_policy(store, row)


def routing_figures(store: Store, run: str) -> tuple[RoutingPolicy, AuditStatus] | None:
    """The policy that accepted clips of `run` and its audit (for `recap team` and `recap
    report`), or None when no policy routed the run."""
    row = store.routing.applied_to(run)
    return (row, judge_policy(store, row)) if row is not None else None
