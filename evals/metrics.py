"""Metrics that score drafts against gold, each defined where it is computed.

Per case we keep counts (true/false positives) rather than ratios, so corpus figures are
micro-averaged and a bootstrap can resample cases and recompute every figure exactly.
Text metrics come from their reference libraries: TER, BLEU and chrF from sacrebleu, ROUGE-L
from rouge-score.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from evals.judges import Judge

IOU_MATCH = 0.5


@dataclass(frozen=True)
class GoldCase:
    clip_id: str
    caption: str
    gold_caption: str
    hallucinations: list[dict[str, Any]]
    omissions: list[dict[str, Any]]

    @property
    def needs_edit(self) -> bool:
        return bool(self.hallucinations or self.omissions) or (
            " ".join(self.gold_caption.split()) != " ".join(self.caption.split())
        )


def span_offsets(caption: str, span: str) -> tuple[int, int] | None:
    start = caption.find(span)
    return None if start < 0 else (start, start + len(span))


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


def localisation(case: GoldCase, predicted: list[dict[str, Any]]) -> PRCounts:
    """Predicted hallucination spans matched to gold spans by character IoU >= 0.5."""
    gold = [(span_offsets(case.caption, g["span"]), g["type"]) for g in case.hallucinations]
    pred = [(span_offsets(case.caption, p["span"]), p["type"]) for p in predicted]
    scores = [[iou(p, g) if p and g else 0.0 for g, _ in gold] for p, _ in pred]
    pairs = match_pairs(scores, IOU_MATCH)
    c = PRCounts(
        tp=len(pairs),
        n_pred=len(pred),
        n_gold=len(gold),
        pred_by_type=Counter(t for _, t in pred),
        gold_by_type=Counter(t for _, t in gold),
    )
    for i, j in pairs:
        c.tp_pred_by_type[pred[i][1]] += 1
        c.tp_gold_by_type[gold[j][1]] += 1
        c.type_agree += pred[i][1] == gold[j][1]
    return c


def omissions(case: GoldCase, predicted: list[dict[str, Any]], judge: Judge) -> PRCounts:
    """Predicted omissions matched to gold omissions when the judge finds them the same."""
    gold = case.omissions
    pairs = judge.omission_matches(
        [p["description"] for p in predicted], [g["description"] for g in gold]
    )
    c = PRCounts(
        tp=len(pairs),
        n_pred=len(predicted),
        n_gold=len(gold),
        pred_by_type=Counter(p["type"] for p in predicted),
        gold_by_type=Counter(g["type"] for g in gold),
    )
    for i, j in pairs:
        c.tp_pred_by_type[predicted[i]["type"]] += 1
        c.tp_gold_by_type[gold[j]["type"]] += 1
        c.type_agree += predicted[i]["type"] == gold[j]["type"]
    return c


_CLAUSE = re.compile(
    r"(?:[.;!?]\s+|,\s*(?:and\s+|then\s+)?|\s+(?:and then|then|and|while)\s+)", re.IGNORECASE
)


def claims(text: str) -> list[str]:
    """Atomic events of a caption: sentences split at clause joints ('and', 'then', commas)."""
    parts = [p.strip(" .;!?,") for p in _CLAUSE.split(text)]
    return [p for p in parts if len(p.split()) >= 2]


def claim_scores(gold: str, rewrite: str, judge: Judge) -> dict[str, int]:
    """AutoDQ-style counts: rewrite claims supported by gold, gold claims the rewrite covers."""
    g, r = claims(gold), claims(rewrite)
    supported, covered = judge.claim_support(g, r)
    return {
        "rewrite_claims": len(r),
        "supported": sum(supported),
        "gold_claims": len(g),
        "covered": sum(covered),
    }
