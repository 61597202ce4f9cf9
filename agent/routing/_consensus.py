"""K independent drafts of one clip: which one is kept, and how far the samples agree.

Two samples agree when they say the same thing about the caption: the same verdict, the same
flagged spans (whitespace-normalised, case folded) with the same types, and the same omission
types. The rewrite's wording is not part of it: two samples that fix the same errors in other
words agree. The kept draft is the first sample of the largest group (ties: the group whose
first sample came first), so the choice is deterministic given the order the samples were
drawn; agreement is that group's share of the K samples.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from agent.schema import Draft

Signature = tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]


def signature(draft: Draft) -> Signature:
    """What a draft says about the caption, for comparing samples."""
    spans = tuple(
        sorted((" ".join(h.span.casefold().split()), h.type.value) for h in draft.hallucinations)
    )
    omissions = tuple(sorted(o.type.value for o in draft.omissions))
    return (draft.verdict.value, spans, omissions)


class Consensus(BaseModel):
    """The samples of one clip, the kept one and the agreement."""

    samples: list[Draft] = Field(description="All K samples, in the order they were drawn.")
    kept_index: int = Field(description="Index of the kept (majority) sample.")
    agreeing: list[int] = Field(description="Indices of the samples that agree with the kept one.")

    @property
    def kept(self) -> Draft:
        return self.samples[self.kept_index]

    @property
    def k(self) -> int:
        return len(self.samples)

    @property
    def agreement(self) -> float:
        """Share of the K samples that agree with the kept draft (1/K to 1)."""
        return len(self.agreeing) / len(self.samples)


def consensus(samples: Sequence[Draft]) -> Consensus:
    """The majority draft among K samples and their agreement."""
    if not samples:
        raise ValueError("consensus needs at least one sample")
    groups: dict[Signature, list[int]] = {}
    for i, d in enumerate(samples):
        groups.setdefault(signature(d), []).append(i)
    best = max(groups.values(), key=lambda idx: (len(idx), -idx[0]))
    return Consensus(samples=list(samples), kept_index=best[0], agreeing=best)
