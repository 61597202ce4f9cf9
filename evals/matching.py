"""Matching predicted findings to gold ones: span overlap, one-to-one pairing, and the counts
precision and recall are made of.

Per case we keep counts (true/false positives) rather than ratios, so corpus figures are
micro-averaged and a bootstrap can resample cases and recompute every figure exactly. Judges
and scoring both import this module; it imports neither.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.schema import HallucinationLabel

IOU_MATCH = 0.5


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def match_pairs(scores: list[list[float]], threshold: float) -> list[tuple[int, int]]:
    """Greedy one-to-one matching, best score first, pairs at or above `threshold`."""
    cands = sorted(
        ((s, i, j) for i, row in enumerate(scores) for j, s in enumerate(row) if s >= threshold),
        reverse=True,
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    pairs = []
    for _s, i, j in cands:
        if i not in used_i and j not in used_j:
            pairs.append((i, j))
            used_i.add(i)
            used_j.add(j)
    return pairs


@dataclass
class PRCounts:
    """Matched counts for precision/recall, overall and per type."""

    tp: int = 0
    n_pred: int = 0
    n_gold: int = 0
    pred_by_type: Counter[str] = field(default_factory=Counter)
    gold_by_type: Counter[str] = field(default_factory=Counter)
    tp_pred_by_type: Counter[str] = field(default_factory=Counter)
    tp_gold_by_type: Counter[str] = field(default_factory=Counter)
    type_agree: int = 0

    def add(self, other: PRCounts) -> None:
        self.tp += other.tp
        self.n_pred += other.n_pred
        self.n_gold += other.n_gold
        self.type_agree += other.type_agree
        for name in ("pred_by_type", "gold_by_type", "tp_pred_by_type", "tp_gold_by_type"):
            getattr(self, name).update(getattr(other, name))

    def to_json(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "n_pred": self.n_pred,
            "n_gold": self.n_gold,
            "type_agree": self.type_agree,
            "pred_by_type": dict(self.pred_by_type),
            "gold_by_type": dict(self.gold_by_type),
            "tp_pred_by_type": dict(self.tp_pred_by_type),
            "tp_gold_by_type": dict(self.tp_gold_by_type),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PRCounts:
        return cls(
            tp=d["tp"],
            n_pred=d["n_pred"],
            n_gold=d["n_gold"],
            type_agree=d.get("type_agree", 0),
            pred_by_type=Counter(d["pred_by_type"]),
            gold_by_type=Counter(d["gold_by_type"]),
            tp_pred_by_type=Counter(d["tp_pred_by_type"]),
            tp_gold_by_type=Counter(d["tp_gold_by_type"]),
        )


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | None]:
    """Precision, recall, F1; None where undefined (nothing predicted / nothing to find)."""
    p = tp / n_pred if n_pred else None
    r = tp / n_gold if n_gold else None
    f = (
        2 * p * r / (p + r)
        if p is not None and r is not None and (p + r)
        else (0.0 if (p == 0 or r == 0) else None)
    )
    return {"precision": p, "recall": r, "f1": f}


def localisation(
    caption: str, gold: Sequence[HallucinationLabel], predicted: Sequence[HallucinationLabel]
) -> PRCounts:
    """Predicted hallucination spans matched to gold spans by character IoU >= 0.5."""
    g = [(h.locate(caption), h.type.value) for h in gold]
    p = [(h.locate(caption), h.type.value) for h in predicted]
    scores = [[iou(pi, gi) if pi and gi else 0.0 for gi, _ in g] for pi, _ in p]
    pairs = match_pairs(scores, IOU_MATCH)
    c = PRCounts(
        tp=len(pairs),
        n_pred=len(p),
        n_gold=len(g),
        pred_by_type=Counter(t for _, t in p),
        gold_by_type=Counter(t for _, t in g),
    )
    for i, j in pairs:
        c.tp_pred_by_type[p[i][1]] += 1
        c.tp_gold_by_type[g[j][1]] += 1
        c.type_agree += p[i][1] == g[j][1]
    return c
