"""What counts as a wrong draft: the rule that turns a person's decision, or a gold label, into
the 0/1 error that calibration and the audit count.

A draft is wrong (an error of the policy) when a person would have changed it materially:

- on a reviewed clip: the reviewer **rejected** it; or **edited** its rewrite by more than
  `tolerance` words (default 0), counted as the word-level edit distance after normalisation
  (case folded, punctuation dropped, whitespace collapsed: "The arm lifts it." and "the arm
  lifts it" are the same caption); or **judged a finding wrong** (disagreed with a flagged span
  or an omission the draft listed);
- on a gold clip: the draft's rewrite differs from the gold caption by more than the same
  tolerance; or the draft **misses a gold finding**: a gold span no flagged span matches by
  character IoU ≥ 0.5 (the eval harness's rule), with the same type unless `same_type` is off,
  or a gold omission whose type the draft does not list; or, mirroring a reviewer who judges a
  flagged finding wrong, the draft **flags a span no gold span matches** (`spurious`, on by
  default).

Accepting the draft as shown is no error, whatever the draft said. Decisions that say nothing
about the draft (flagged, skipped) are not labels. A review in the control arm (the draft was not
shown) is no label of the draft either: leave it out. Calibration and use must count errors by
the same rule, so the rule is a value that travels with the policy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from agent.decisions import Decision
from agent.errors import ConfigError, RecapError
from agent.review._textdiff import word_edit_distance
from agent.routing._spans import IOU_MATCH, pair_spans
from agent.schema import Draft, GoldLabels

# The review decisions that settle a clip (agent.decisions.FINAL; "flagged" and "skipped"
# leave the draft unjudged).
JUDGED_DECISIONS = (Decision.ACCEPTED, Decision.EDITED, Decision.REJECTED)
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


class ErrorRule(BaseModel):
    """The configurable parts of the rule above."""

    model_config = ConfigDict(frozen=True)

    tolerance: int = Field(
        default=0, ge=0, description="Word edits (after normalisation) that are not a change."
    )
    disagreed_findings: bool = Field(
        default=True, description="A finding the reviewer judged wrong makes the draft wrong."
    )
    same_type: bool = Field(
        default=True, description="A gold span counts as found only with the gold type."
    )
    omissions: bool = Field(default=True, description="A missed gold omission is an error.")
    spurious: bool = Field(
        default=True, description="On gold clips, a flagged span no gold span matches is an error."
    )


class FindingMarks(BaseModel):
    """Which of the draft's findings the reviewer agreed with, by index (True: agreed)."""

    hallucinations: dict[int, bool] = Field(default_factory=dict)
    omissions: dict[int, bool] = Field(default_factory=dict)

    @classmethod
    def from_review(cls, agreed: Mapping[str, Mapping[str, bool]] | None) -> FindingMarks:
        """The marks as a review row keeps them: {"hallucinations": {"0": true}, ...}."""
        agreed = agreed or {}
        return cls(
            hallucinations={
                int(k): bool(v) for k, v in (agreed.get("hallucinations") or {}).items()
            },
            omissions={int(k): bool(v) for k, v in (agreed.get("omissions") or {}).items()},
        )

    @property
    def disagreed(self) -> int:
        return sum(not v for v in self.hallucinations.values()) + sum(
            not v for v in self.omissions.values()
        )


class Judgement(BaseModel):
    """Whether a draft was wrong, and why (each reason a sentence for the page)."""

    error: bool
    reasons: list[str] = Field(default_factory=list)


def normalised(text: str) -> str:
    """A caption as the rule compares it: words only, case folded, single spaces."""
    return " ".join(_WORD.findall(text.casefold()))


def words_changed(a: str, b: str) -> int:
    """Word edits (insertions, deletions, substitutions) between two captions, normalised."""
    return word_edit_distance(normalised(a), normalised(b))


def judge_review(
    draft: Draft,
    decision: Decision | str,
    final_caption: str | None = None,
    marks: FindingMarks | None = None,
    rule: ErrorRule | None = None,
) -> Judgement:
    """The error of a draft a person decided on (the decision in force: a lead's settlement
    wins over a single review). `final_caption` is the caption the reviewer saved."""
    rule = rule or ErrorRule()
    if decision not in JUDGED_DECISIONS:
        raise RecapError(
            f"Decision {decision!r} says nothing about the draft: only "
            f"{', '.join(d.value for d in JUDGED_DECISIONS)} are labels."
        )
    reasons: list[str] = []
    if decision == Decision.REJECTED:
        reasons.append("the reviewer rejected the draft")
    elif final_caption is not None:
        changed = words_changed(draft.rewrite, final_caption)
        if changed > rule.tolerance:
            reasons.append(
                f"the reviewer changed {changed} word{'s' * (changed != 1)} of the rewrite "
                f"(tolerance {rule.tolerance})"
            )
    elif decision == Decision.EDITED:
        raise RecapError("An edited decision needs its final caption to be judged.")
    if rule.disagreed_findings and marks is not None and marks.disagreed:
        n = marks.disagreed
        reasons.append(f"the reviewer judged {n} finding{'s' * (n != 1)} wrong")
    return Judgement(error=bool(reasons), reasons=reasons)


def judge_gold(
    caption: str, draft: Draft, gold: GoldLabels, rule: ErrorRule | None = None
) -> Judgement:
    """The error of a draft of `caption` against its gold labels."""
    rule = rule or ErrorRule()
    if gold.caption is None and not gold.hallucinations and not gold.omissions:
        raise ConfigError("These gold labels hold neither a caption nor findings to judge by.")
    reasons: list[str] = []
    if gold.caption is not None:
        changed = words_changed(draft.rewrite, gold.caption)
        if changed > rule.tolerance:
            reasons.append(
                f"the rewrite is {changed} word{'s' * (changed != 1)} from the gold caption "
                f"(tolerance {rule.tolerance})"
            )
    pred = [h.locate(caption) for h in draft.hallucinations]
    want = [h.locate(caption) for h in gold.hallucinations]
    pairs = pair_spans(pred, want, IOU_MATCH)
    found = {
        j
        for i, j in pairs
        if not rule.same_type or draft.hallucinations[i].type is gold.hallucinations[j].type
    }
    for j, g in enumerate(gold.hallucinations):
        if j not in found:
            why = "flagged with another type" if any(jj == j for _, jj in pairs) else "not flagged"
            reasons.append(f"the gold {g.type.value} span {g.span!r} is {why}")
    if rule.spurious:
        matched = {i for i, _ in pairs}
        for i, h in enumerate(draft.hallucinations):
            if i not in matched:
                reasons.append(f"the flagged span {h.span!r} is not wrong by the gold labels")
    if rule.omissions:
        missing = Counter(o.type for o in gold.omissions) - Counter(o.type for o in draft.omissions)
        for kind, count in sorted(missing.items()):
            reasons.append(f"{count} gold {kind.value} omission{'s' * (count != 1)} not listed")
    return Judgement(error=bool(reasons), reasons=reasons)
