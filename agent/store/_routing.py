"""The routing repository: each draft's confidence, the calibrated auto-acceptance policies and
the labelled clips behind them, and the clips a policy accepted without a person.

An auto-acceptance is kept in its own table, never as a review row: it is no one's decision,
the review figures and the lead's pages never see it, and whatever a person decides on the clip
outranks it (`agent.decisions.person_wins`). The queue leaves out the auto-accepted clips that
are not audited (`agent.store._queue`). The statistics are `agent.routing`'s; this module only
keeps their results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select, update

from agent.decisions import FINAL, Arm
from agent.routing._calibration import Labelled, Policy
from agent.routing._confidence import Confidence
from agent.routing._correctness import ErrorRule
from agent.store._engine import Repository
from agent.store._tables import (
    AutoAcceptance,
    DraftRecord,
    Review,
    ReviewState,
    RoutingLabel,
    RoutingPolicy,
    Run,
    now,
)

CHUNK = 2000


def run_identity(run: Run) -> str:
    """A short hash of what shapes a run's drafts (drafter, model, prompt version and the
    settings recorded with it): a policy holds only for runs with the same one."""
    shape = {
        "drafter": run.drafter,
        "model": run.model,
        "prompt_name": run.prompt_name,
        "prompt_hash": run.prompt_hash,
        "settings": run.settings or {},
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def as_policy(row: RoutingPolicy) -> Policy:
    """The stored policy as `agent.routing` uses it."""
    return Policy(
        threshold=row.threshold,
        alpha=row.alpha,
        delta=row.delta,
        n=row.n,
        accepted=row.accepted,
        errors=row.errors,
        error=row.error,
        bound=row.bound,
        coverage=row.coverage,
        min_n=row.min_n,
        scorer=row.scorer,
        reason=row.reason,
    )


def rule_of(row: RoutingPolicy) -> ErrorRule:
    """The error rule the policy was calibrated with (its audit counts errors the same way)."""
    return ErrorRule.model_validate(row.rule or {})


@dataclass(frozen=True)
class Audited:
    """An audited auto-acceptance and the person's decision in force on its clip (None while
    no person has decided it), with the draft it judges."""

    acceptance: AutoAcceptance
    record: DraftRecord
    review: Review | None


class Routing(Repository):
    """Confidences, policies, labelled clips and auto-acceptances."""

    # --- confidences --------------------------------------------------------------------------
    def save_confidences(self, scores: Mapping[int, Confidence]) -> None:
        """Keep each draft's confidence (by draft id), score and parts."""
        with self.session.begin() as s:
            for draft_id, conf in scores.items():
                s.execute(
                    update(DraftRecord)
                    .where(DraftRecord.id == draft_id)
                    .values(
                        confidence_score=conf.score,
                        confidence_json=conf.model_dump(mode="json"),
                    )
                )

    # --- policies -----------------------------------------------------------------------------
    def add_policy(
        self,
        *,
        run: str,
        identity: str,
        prompt_version: str | None,
        labels: str,
        policy: Policy,
        rule: ErrorRule,
        items: Sequence[Labelled],
        scores: Mapping[int, Confidence] | None = None,
    ) -> RoutingPolicy:
        """Store a calibrated policy with the labelled clips it was calibrated on (and, in the
        same transaction, the confidences scored for it): all of it or nothing."""
        row = RoutingPolicy(
            run=run,
            identity=identity,
            prompt_version=prompt_version,
            scorer=policy.scorer,
            labels=labels,
            threshold=policy.threshold,
            alpha=policy.alpha,
            delta=policy.delta,
            n=policy.n,
            accepted=policy.accepted,
            errors=policy.errors,
            error=policy.error,
            bound=policy.bound,
            coverage=policy.coverage,
            min_n=policy.min_n,
            rule=rule.model_dump(mode="json"),
            reason=policy.reason,
            created_at=now(),
        )
        with self.session.begin() as s:
            for draft_id, conf in (scores or {}).items():
                s.execute(
                    update(DraftRecord)
                    .where(DraftRecord.id == draft_id)
                    .values(
                        confidence_score=conf.score,
                        confidence_json=conf.model_dump(mode="json"),
                    )
                )
            s.add(row)
            s.flush()
            s.add_all(
                RoutingLabel(
                    policy_id=row.id,
                    clip_id=str(it.clip_id),
                    confidence=float(it.confidence),
                    error=bool(it.error),
                )
                for it in items
            )
        return row

    def policy(self, policy_id: int) -> RoutingPolicy | None:
        with self.session() as s:
            return s.get(RoutingPolicy, policy_id)

    def policies(self, identity: str | None = None) -> list[RoutingPolicy]:
        """Every policy (or those for one run identity), oldest first."""
        q = select(RoutingPolicy).order_by(RoutingPolicy.id)
        if identity is not None:
            q = q.where(RoutingPolicy.identity == identity)
        with self.session() as s:
            return list(s.scalars(q))

    def applied_to(self, run: str) -> RoutingPolicy | None:
        """The newest policy that accepted clips of `run`, or None."""
        with self.session() as s:
            policy_id = s.scalar(
                select(func.max(AutoAcceptance.policy_id)).where(AutoAcceptance.run == run)
            )
            return s.get(RoutingPolicy, policy_id) if policy_id is not None else None

    def labelled_clips(self, policy_id: int) -> set[str]:
        """The clips the policy was calibrated on: never routed by it."""
        with self.session() as s:
            return set(
                s.scalars(select(RoutingLabel.clip_id).where(RoutingLabel.policy_id == policy_id))
            )

    def suspend(self, policy_id: int, reason: str) -> RoutingPolicy | None:
        """Record that the policy's audit failed (once: the first reason is kept)."""
        with self.session.begin() as s:
            row = s.get(RoutingPolicy, policy_id)
            if row is not None and row.suspended_at is None:
                row.suspended_at = now()
                row.suspended_reason = reason
            return row

    # --- reviews as labels --------------------------------------------------------------------
    def decided(self, run: str) -> list[tuple[DraftRecord, Review]]:
        """The run's clips a person has decided (accepted, edited or rejected: the decision in
        force, so a lead's settlement wins over single reviews), with their drafts, in clip
        order. Control-arm decisions (the draft was not shown) and clips a policy accepted are
        left out: neither is a label of the draft as drafted."""
        routed = select(AutoAcceptance.clip_id).where(AutoAcceptance.run == run)
        q = (
            select(DraftRecord, Review)
            .join(
                ReviewState,
                (ReviewState.run == DraftRecord.run) & (ReviewState.clip_id == DraftRecord.clip_id),
            )
            .join(Review, Review.id == ReviewState.review_id)
            .where(
                DraftRecord.run == run,
                ReviewState.status.in_(FINAL),
                DraftRecord.clip_id.not_in(routed),
            )
            .order_by(DraftRecord.clip_id)
        )
        with self.session() as s:
            return [(d, r) for d, r in s.execute(q) if (r.arm or Arm.DRAFT) != Arm.CONTROL]

    def states(self, run: str) -> set[str]:
        """The run's clips that have a state (a person decided them, or they are between
        team-review steps): a policy leaves them alone."""
        with self.session() as s:
            return set(s.scalars(select(ReviewState.clip_id).where(ReviewState.run == run)))

    # --- auto-acceptances ---------------------------------------------------------------------
    def accept(self, rows: Iterable[AutoAcceptance]) -> int:
        """Record auto-acceptances, in one transaction; how many."""
        items = list(rows)
        with self.session.begin() as s:
            for start in range(0, len(items), CHUNK):
                s.add_all(items[start : start + CHUNK])
                s.flush()
        return len(items)

    def acceptances(self, run: str) -> dict[str, AutoAcceptance]:
        """The run's auto-acceptances by clip."""
        with self.session() as s:
            return {
                a.clip_id: a
                for a in s.scalars(select(AutoAcceptance).where(AutoAcceptance.run == run))
            }

    def routed(self, run: str) -> bool:
        """Whether a policy accepted any clip of `run` (one primary-key probe)."""
        with self.session() as s:
            return bool(s.scalar(select(exists().where(AutoAcceptance.run == run))))

    def out_of_queue(self, run: str) -> int:
        """Clips of `run` a policy accepted that are in no one's queue: not audited, and no
        person has decided them (a person's decision puts a clip back among the counted)."""
        decided = exists().where(
            ReviewState.run == AutoAcceptance.run, ReviewState.clip_id == AutoAcceptance.clip_id
        )
        with self.session() as s:
            return (
                s.scalar(
                    select(func.count()).where(
                        AutoAcceptance.run == run, AutoAcceptance.audit.is_(False), ~decided
                    )
                )
                or 0
            )

    def run_counts(self, run: str) -> tuple[int, int]:
        """(clips of `run` a policy accepted, of them audited)."""
        return self._accepted_and_audited(AutoAcceptance.run == run)

    def counts(self, policy_id: int) -> tuple[int, int]:
        """(clips the policy accepted, of them audited), over every run it was applied to."""
        return self._accepted_and_audited(AutoAcceptance.policy_id == policy_id)

    def _accepted_and_audited(self, where: ColumnElement[bool]) -> tuple[int, int]:
        with self.session() as s:
            rows = s.execute(
                select(AutoAcceptance.audit, func.count())
                .where(where)
                .group_by(AutoAcceptance.audit)
            ).all()
        by = {bool(a): int(n) for a, n in rows}
        return by.get(False, 0) + by.get(True, 0), by.get(True, 0)

    def audited(self, policy_id: int) -> list[Audited]:
        """The policy's audited clips with the person's decision in force on each (None while
        undecided), over every run it was applied to, in run and clip order."""
        q = (
            select(AutoAcceptance, DraftRecord, Review)
            .join(DraftRecord, DraftRecord.id == AutoAcceptance.draft_id)
            .outerjoin(
                ReviewState,
                (ReviewState.run == AutoAcceptance.run)
                & (ReviewState.clip_id == AutoAcceptance.clip_id)
                & ReviewState.status.in_(FINAL),
            )
            .outerjoin(Review, Review.id == ReviewState.review_id)
            .where(AutoAcceptance.policy_id == policy_id, AutoAcceptance.audit.is_(True))
            .order_by(AutoAcceptance.run, AutoAcceptance.clip_id)
        )
        with self.session() as s:
            return [Audited(a, d, r) for a, d, r in s.execute(q)]
