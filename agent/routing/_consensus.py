"""K independent drafts of one clip: which one is kept, and how far the samples agree.

Two samples agree on their findings when they say the same thing about the caption: the same
verdict, the same flagged spans (whitespace-normalised, case folded) with the same types, and
the same omission types. Agreement is the share of the K samples in the largest such group (ties:
the group whose first sample came first). Within that group, samples may still word the rewrite
differently, and the error rule counts a rewrite a person would change, so the kept draft is the
group's member whose rewrite most of the group shares (the same words after normalisation, or
within the error rule's tolerance; ties: the first drawn), and rewrite agreement is the share of
the group that shares it. The choice is deterministic given the order the samples were drawn.
A sample that failed (a bad answer, a server error) says nothing about the caption and counts
as one that disagrees: agreement is over all K drawn, so a clip whose samples fail is no more
confident for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from agent.routing._correctness import normalised, words_changed
from agent.schema import Draft

Signature = tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]


def signature(draft: Draft) -> Signature:
    """What a draft says about the caption (not how its rewrite is worded), for comparing."""
    spans = tuple(
        sorted((" ".join(h.span.casefold().split()), h.type.value) for h in draft.hallucinations)
    )
    omissions = tuple(sorted(o.type.value for o in draft.omissions))
    return (draft.verdict.value, spans, omissions)


class Consensus(BaseModel):
    """The samples of one clip, the kept one and how far the others agree with it."""

    samples: list[Draft] = Field(description="All K samples, in the order they were drawn.")
    kept_index: int = Field(description="Index of the kept sample.")
    agreeing: list[int] = Field(description="Samples with the kept one's findings.")
    same_rewrite: list[int] = Field(description="Those of them that also share its rewrite.")
    failed: int = Field(default=0, description="Samples drawn that gave no draft.")

    @property
    def kept(self) -> Draft:
        return self.samples[self.kept_index]

    @property
    def k(self) -> int:
        """Samples drawn, failed ones included."""
        return len(self.samples) + self.failed

    @property
    def agreement(self) -> float:
        """Share of the K samples with the kept draft's findings (1/K to 1)."""
        return len(self.agreeing) / self.k

    @property
    def rewrite_agreement(self) -> float:
        """Share of those that also share its rewrite (1/K to 1)."""
        return len(self.same_rewrite) / len(self.agreeing)


def consensus(samples: Sequence[Draft], *, tolerance: int = 0, failed: int = 0) -> Consensus:
    """The majority draft among K samples and their agreement. `tolerance`: word edits (after
    normalisation) under which two rewrites count as the same, as in the error rule; `failed`:
    samples drawn that gave no draft (counted as disagreeing)."""
    if not samples:
        raise ValueError("consensus needs at least one sample")
    if failed < 0:
        raise ValueError(f"failed must be 0 or more, got {failed}")
    groups: dict[Signature, list[int]] = {}
    for i, d in enumerate(samples):
        groups.setdefault(signature(d), []).append(i)
    group = max(groups.values(), key=lambda idx: (len(idx), -idx[0]))
    text = {i: normalised(samples[i].rewrite) for i in group}

    def alike(i: int, j: int) -> bool:
        if text[i] == text[j]:
            return True
        return tolerance > 0 and words_changed(text[i], text[j]) <= tolerance

    shares = {i: [j for j in group if alike(i, j)] for i in group}
    kept = max(group, key=lambda i: (len(shares[i]), -i))
    return Consensus(
        samples=list(samples),
        kept_index=kept,
        agreeing=group,
        same_rewrite=shares[kept],
        failed=failed,
    )
