"""Gold sets: reading them (with ingest's own row checks) and growing them from reviews.

A gold set is a manifest whose rows carry `gold_caption` and, optionally, the gold findings
(`gold_hallucinations` with span and type, `gold_omissions` with description and type).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from agent.data import Problem, RowError, read_gold, read_manifest
from agent.decisions import Decision
from agent.errors import RecapError
from agent.schema import HallucinationLabel, OmissionLabel
from agent.store import Review, Store

F = TypeVar("F")


@dataclass(frozen=True)
class GoldCase:
    """One clip of a gold set: the caption under review and what it should have said."""

    clip_id: str
    caption: str
    gold_caption: str
    hallucinations: list[HallucinationLabel]
    omissions: list[OmissionLabel]

    @property
    def needs_edit(self) -> bool:
        return bool(self.hallucinations or self.omissions) or (
            " ".join(self.gold_caption.split()) != " ".join(self.caption.split())
        )


@dataclass
class GoldSet:
    """The scorable cases of a gold file, and the rows that could not be used, with why."""

    source: str
    cases: list[GoldCase] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)


def load_gold(path: str | Path) -> GoldSet:
    """Gold cases from a manifest: rows with a `gold_caption`. A row whose labels do not check
    out is skipped with its line and reason; rows without a gold caption are not gold."""
    p = Path(path)
    if not p.is_file():
        raise RecapError(f"Gold set {p} does not exist.")
    gold = GoldSet(source=str(p))
    for line, row in read_manifest(p):
        clip_id = None if isinstance(row, RowError) else (str(row.get("id") or "") or None)
        try:
            if isinstance(row, RowError):
                raise row
            caption = str(row.get("caption") or "").strip()
            if not clip_id or not caption:
                raise RowError("missing id or caption")
            labels = read_gold(row, caption)
        except RowError as e:
            gold.skipped.append(Problem(line, clip_id, str(e)))
            continue
        if labels is None or not labels.caption:
            continue
        gold.cases.append(
            GoldCase(clip_id, caption, labels.caption, labels.hallucinations, labels.omissions)
        )
    if not gold.cases:
        raise RecapError(f"Gold set {p} has no rows with a gold_caption.")
    return gold


def promote(store: Store, out: str | Path, run: str | None = None) -> int:
    """Accepted and edited reviews become gold rows (merged into `out` by clip id)."""
    path = Path(out)
    existing: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                existing[str(row["id"])] = row
    added = 0
    for clip_id, review in store.reviews.in_force_by_clip().items():
        if review.decision not in (Decision.ACCEPTED, Decision.EDITED) or not review.final_caption:
            continue
        if run is not None and review.run != run:
            continue
        clip = store.clips.get(clip_id)
        caption = store.clips.caption(clip_id)
        if clip is None or caption is None:
            continue
        record = store.runs.draft(review.run, clip_id) if review.run else None
        halls = _kept(review, record.draft.hallucinations if record else [], "hallucinations")
        oms = _kept(review, record.draft.omissions if record else [], "omissions")
        existing[clip_id] = {
            "id": clip_id,
            "video": clip.video,
            "caption": caption,
            "gold_caption": review.final_caption,
            "gold_hallucinations": [
                {"span": h.span, "type": h.type.value, "explanation": h.explanation or ""}
                for h in halls
            ],
            "gold_omissions": [{"description": o.description, "type": o.type.value} for o in oms],
            "meta": {
                "promoted_from": review.run,
                "reviewer": review.reviewer,
                "decision": review.decision,
            },
        }
        added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        for row in existing.values():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return added


def _kept(review: Review, findings: list[F], kind: str) -> list[F]:
    """Findings that become gold: all of an accepted draft, the agreed ones of an edited one."""
    agreed = (review.agreed or {}).get(kind, {})
    return [
        f
        for i, f in enumerate(findings)
        if review.decision == Decision.ACCEPTED or bool(agreed.get(str(i), False))
    ]
