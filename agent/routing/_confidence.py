"""A confidence in [0, 1] for each draft, with the parts it is made of.

The score is the product of the parts that are available, each read as the chance the draft
survives one independent check:

    score = agreement × rewrite agreement × telemetry × claims × stated × token_prob

- **agreement** (K ≥ 2 samples): the share of the K samples that say the same as the kept
  draft (same verdict, flagged spans and types, omission types; `agent.routing._consensus`).
  Samples that disagree mean the model is unsure of this clip; a sample that failed counts as
  one that disagrees.
- **rewrite agreement** (K ≥ 2): the share of those agreeing samples whose rewrite is the kept
  one's (the same words after normalisation, or within the error rule's tolerance). The error
  rule counts a rewrite a person would change even when the findings are right, so findings
  alone would not see a model that finds the errors but words the fix wrongly; the product of
  the two agreements is the share of all K samples that agree with the kept draft entirely.
- **telemetry** (when the offline drafter's draft of the same clip, made with its telemetry, is
  given): the share of the claims telemetry judges on which the draft and the telemetry check
  agree. A flagged span counts as agreed when the other side flags an overlapping span (the two
  drafters mark the same wrong claim with spans of different extent; the question here is
  whether they disagree about the claim). It is **0** (the draft is not confident at all) when
  telemetry finds an outcome or grasp error, or a missing outcome, that the draft does not flag:
  a draft that calls a caption accurate while the robot's own state contradicts its outcome or
  grasp claim. Outcome and grasp findings the draft makes and telemetry does not count against
  it too (telemetry settles those claims whenever it has a success flag and a gripper); action
  and order findings telemetry does not make do not (its rules may simply not know the verb).
- **claims**: (1 − ρ)^u, where u is the number of the caption's colour, object, direction and
  count claims (`agent.routing._uncheckable`) that neither telemetry nor agreement confirms. A
  claim is confirmed by agreement when every one of K ≥ 2 samples treats it alike (all flag a
  span over it, or none does); telemetry confirms none of them. ρ (default 0.1) is the chance an
  unconfirmed claim is wrong, so the factor is the chance that all u are right. With K = 1 every
  such claim is unconfirmed.
- **stated**: the model's own confidence in [0, 1], where the schema asks for it (a prompt
  folder whose prompt.toml sets `[draft] stated_confidence = true`: the answer is a
  `StatedDraft`, and the number is stored with the draft).
- **token_prob**: exp(mean token log-probability) of the answer, where the endpoint returns
  log-probabilities: the per-token geometric mean probability (`agent.drafting._logprobs`;
  with K samples, the kept sample's answer). Asked for but not returned, it is left out with
  a note saying why.

Why a product: each part is a necessary condition for the draft to be right, on the whole
independent evidence, so an unsure part pulls the score down however sure the others are, and a
veto (telemetry contradicting the outcome) is absolute. The absolute level does not matter to
the guarantee: calibration only uses the order of the scores, and certifies the threshold on
labelled clips whatever the formula. A better order only buys coverage. Missing parts are left
out (the score of a draft with none is 1: nothing doubts it, and calibration then decides for
all drafts together). `agent.routing._combiner` fits the weights instead, on labelled clips.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from agent.routing._consensus import Consensus, consensus
from agent.routing._spans import pair_spans
from agent.routing._uncheckable import UncheckedClaim, uncheckable_claims
from agent.schema import Draft, Hallucination, HallucinationType, OmissionType

CONFIDENCE_VERSION = "confidence-v1"
CLAIM_DOUBT = 0.1
TELEMETRY_TYPES = frozenset(
    {
        HallucinationType.OUTCOME,
        HallucinationType.GRIPPER_OR_GRASP,
        HallucinationType.ACTION,
        HallucinationType.ORDER,
    }
)
SETTLED_TYPES = frozenset({HallucinationType.OUTCOME, HallucinationType.GRIPPER_OR_GRASP})
TELEMETRY_OMISSIONS = frozenset({OmissionType.OUTCOME, OmissionType.STEP})


class TelemetryCheck(BaseModel):
    """The draft against the telemetry check: agreement share, and what they disagree on."""

    agreement: float
    vetoed: bool = False
    conflicts: list[str] = Field(default_factory=list)


class ConfidenceParts(BaseModel):
    """Everything the score is made of, as the page shows it."""

    samples: int = Field(description="K, the number of samples drawn.")
    agreement: float | None = Field(description="Share of samples agreeing; None with K = 1.")
    rewrite_agreement: float | None = Field(
        default=None, description="Share of the agreeing samples sharing the kept rewrite."
    )
    telemetry: float | None = Field(description="Agreement with the telemetry check, or None.")
    telemetry_conflicts: list[str] = Field(default_factory=list)
    unchecked: list[UncheckedClaim] = Field(
        default_factory=list, description="Claims neither telemetry nor agreement confirms."
    )
    claims: float = Field(description="(1 − ρ) to the number of unchecked claims.")
    stated: float | None = None
    token_prob: float | None = None
    notes: list[str] = Field(default_factory=list, description="Inputs that were left out.")


class Confidence(BaseModel):
    """A draft's confidence: the score, its parts and the formula's version (a policy holds only
    for scores made by the formula it was calibrated on)."""

    score: float = Field(ge=0.0, le=1.0)
    parts: ConfidenceParts
    version: str = CONFIDENCE_VERSION

    def summary(self) -> str:
        """The score and its parts in words, on one line (the review page): only the parts
        that are there, the unsure ones named."""
        p = self.parts
        said = [f"confidence {self.score:.2f}"]
        if p.agreement is not None:
            agreeing = round(p.agreement * p.samples)
            said.append(f"{agreeing} of {p.samples} samples agree")
            if p.rewrite_agreement is not None and p.rewrite_agreement < 1.0:
                said.append(f"rewrite shared by {p.rewrite_agreement:.0%} of them")
        if p.telemetry is not None:
            if p.telemetry == 0.0 and p.telemetry_conflicts:
                said.append("telemetry contradicts it: " + p.telemetry_conflicts[0])
            elif p.telemetry < 1.0:
                said.append(f"telemetry agrees on {p.telemetry:.0%} of its claims")
            else:
                said.append("telemetry agrees")
        if p.unchecked:
            words = ", ".join(f"{c.word} ({c.kind.value})" for c in p.unchecked)
            n = len(p.unchecked)
            said.append(f"{n} claim{'s' * (n != 1)} nothing checks: {words}")
        if p.stated is not None:
            said.append(f"the model says {p.stated:.2f}")
        if p.token_prob is not None:
            said.append(f"token probability {p.token_prob:.2f}")
        return " · ".join(said)

    def explain(self) -> str:
        """One line per part, for the page and `recap runs`."""
        p = self.parts
        lines = [f"confidence {self.score:.3f} ({self.version})"]
        if p.agreement is not None:
            lines.append(f"agreement {p.agreement:.2f} over {p.samples} samples")
        if p.rewrite_agreement is not None:
            lines.append(f"rewrite agreement {p.rewrite_agreement:.2f}")
        if p.telemetry is not None:
            lines.append(f"telemetry check {p.telemetry:.2f}")
            lines += [f"  {c}" for c in p.telemetry_conflicts]
        words = ", ".join(f"{c.word} ({c.kind.value})" for c in p.unchecked)
        lines.append(f"claims {p.claims:.2f}" + (f": unchecked {words}" if words else ""))
        if p.stated is not None:
            lines.append(f"stated {p.stated:.2f}")
        if p.token_prob is not None:
            lines.append(f"token probability {p.token_prob:.3f}")
        lines += p.notes
        return "\n".join(lines)


def _located(
    caption: str, draft: Draft, types: frozenset[HallucinationType]
) -> list[tuple[Hallucination, tuple[int, int] | None]]:
    return [(h, h.locate(caption)) for h in draft.hallucinations if h.type in types]


def telemetry_check(caption: str, draft: Draft, offline: Draft) -> TelemetryCheck:
    """How far `draft` agrees with the offline drafter's telemetry findings on `caption`."""
    ours = _located(caption, draft, TELEMETRY_TYPES)
    theirs = _located(caption, offline, TELEMETRY_TYPES)
    pairs = pair_spans([s for _, s in ours], [s for _, s in theirs], threshold=0.0)
    agreed = len(pairs)
    conflicts: list[str] = []
    vetoed = False
    paired_theirs = {j for _, j in pairs}
    paired_ours = {i for i, _ in pairs}
    for j, (h, _) in enumerate(theirs):
        if j not in paired_theirs:
            conflicts.append(
                f"telemetry finds {h.span!r} wrong ({h.type.value}); the draft does not flag it"
            )
            vetoed |= h.type in SETTLED_TYPES
    for i, (h, _) in enumerate(ours):
        if i not in paired_ours and h.type in SETTLED_TYPES:
            conflicts.append(f"the draft flags {h.span!r} ({h.type.value}); telemetry does not")
    mine = Counter(o.type for o in draft.omissions if o.type in TELEMETRY_OMISSIONS)
    seen = Counter(o.type for o in offline.omissions if o.type in TELEMETRY_OMISSIONS)
    agreed += sum((mine & seen).values())
    for kind, n in (seen - mine).items():
        conflicts.append(f"telemetry finds {n} {kind.value} omission(s) the draft does not list")
        vetoed |= kind is OmissionType.OUTCOME
    for kind, n in (mine - seen).items():
        if kind is OmissionType.OUTCOME:
            conflicts.append(f"the draft lists {n} outcome omission(s); telemetry does not")
    total = agreed + len(conflicts)
    share = 0.0 if vetoed else (agreed / total if total else 1.0)
    return TelemetryCheck(agreement=share, vetoed=vetoed, conflicts=conflicts)


def _flags(caption: str, draft: Draft, claim: UncheckedClaim) -> bool:
    span = (claim.start, claim.end)
    return any(
        loc is not None and min(loc[1], span[1]) > max(loc[0], span[0])
        for loc in (h.locate(caption) for h in draft.hallucinations)
    )


def confidence(
    caption: str,
    samples: Consensus | Sequence[Draft] | Draft,
    *,
    offline: Draft | None = None,
    stated: float | None = None,
    mean_logprob: float | None = None,
    claim_doubt: float = CLAIM_DOUBT,
    tolerance: int = 0,
    failed: int = 0,
    notes: Sequence[str] = (),
) -> Confidence:
    """The confidence of the kept draft of `caption`.

    `samples`: the K samples (or their `consensus`, or one draft: K = 1). `offline`: the offline
    drafter's draft of the same clip made with its telemetry; None when the clip has no
    telemetry (an offline draft without telemetry has checked nothing). `stated` and
    `mean_logprob` belong to the kept draft; a value out of range is left out with a note.
    `tolerance`: the error rule's, for rewrites that count as the same. `failed`: samples drawn
    that gave no draft (they count as disagreeing; ignored when `samples` is a consensus).
    `notes`: why an input the caller looked for is missing (log-probabilities asked for and
    not returned), kept with the parts."""
    if isinstance(samples, Draft):
        samples = [samples]
    agreed = (
        samples
        if isinstance(samples, Consensus)
        else consensus(samples, tolerance=tolerance, failed=failed)
    )
    if not 0.0 <= claim_doubt < 1.0:
        raise ValueError(f"claim_doubt must lie in [0, 1), got {claim_doubt}")
    kept = agreed.kept
    notes = list(notes)
    agreement = agreed.agreement if agreed.k >= 2 else None
    rewrite_agreement = agreed.rewrite_agreement if agreed.k >= 2 else None
    tel = telemetry_check(caption, kept, offline) if offline is not None else None
    unchecked = [
        c
        for c in uncheckable_claims(caption)
        if len(agreed.samples) < 2 or len({_flags(caption, d, c) for d in agreed.samples}) > 1
    ]
    if agreed.failed:
        notes.append(f"{agreed.failed} of {agreed.k} samples failed: counted as disagreeing")
    claims = (1.0 - claim_doubt) ** len(unchecked)
    if stated is not None and not (isinstance(stated, (int, float)) and 0.0 <= stated <= 1.0):
        notes.append(f"stated confidence {stated!r} is not in [0, 1]: left out")
        stated = None
    token_prob = None
    if mean_logprob is not None:
        if isinstance(mean_logprob, (int, float)) and math.isfinite(mean_logprob):
            token_prob = math.exp(min(0.0, float(mean_logprob)))
        else:
            notes.append(f"mean log-probability {mean_logprob!r} is not a finite number: left out")
    parts = ConfidenceParts(
        samples=agreed.k,
        agreement=agreement,
        rewrite_agreement=rewrite_agreement,
        telemetry=tel.agreement if tel else None,
        telemetry_conflicts=tel.conflicts if tel else [],
        unchecked=unchecked,
        claims=claims,
        stated=None if stated is None else float(stated),
        token_prob=token_prob,
        notes=notes,
    )
    return Confidence(score=combine(parts), parts=parts)


def combine(parts: ConfidenceParts) -> float:
    """The documented formula: the product of the parts that are there."""
    score = parts.claims
    optional = (parts.agreement, parts.rewrite_agreement, parts.telemetry, parts.stated)
    for value in (*optional, parts.token_prob):
        if value is not None:
            score *= value
    return min(1.0, max(0.0, score))
