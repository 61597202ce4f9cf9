"""Span overlap between findings: character intervals of a caption, their IoU, and a one-to-one
pairing. The same rule as the eval harness (evals/matching.py: IoU ≥ 0.5, greedy best first),
kept here because the library may not import evals/; evals could reuse this module."""

from __future__ import annotations

from collections.abc import Sequence

Span = tuple[int, int]
IOU_MATCH = 0.5


def span_iou(a: Span, b: Span) -> float:
    """Characters shared over characters covered by either span."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def overlaps(a: Span, b: Span) -> bool:
    """Whether two spans share at least one character."""
    return min(a[1], b[1]) > max(a[0], b[0])


def pair_spans(
    first: Sequence[Span | None], second: Sequence[Span | None], threshold: float = IOU_MATCH
) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (i, j), highest IoU first, each at or above `threshold`
    (a threshold of 0 pairs any overlap). A span that is None (not found) pairs with nothing."""
    cands = sorted(
        (
            (span_iou(a, b), i, j)
            for i, a in enumerate(first)
            for j, b in enumerate(second)
            if a is not None and b is not None
        ),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    pairs = []
    for score, i, j in cands:
        if score <= 0 or score < threshold or i in used_i or j in used_j:
            continue
        pairs.append((i, j))
        used_i.add(i)
        used_j.add(j)
    return pairs
