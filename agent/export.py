"""Final captions out: the reviewer's where a review exists, else the draft, with provenance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.errors import RecapError
from agent.store import FINAL_DECISIONS, Store


def final_rows(store: Store, run: str) -> Iterator[dict[str, Any]]:
    """One row per drafted clip of `run`, final caption first, then where it came from."""
    store.require_run(run)
    reviews = store.latest_reviews()
    for d in store.drafts(run):
        review = reviews.get(d.clip_id)
        reviewed = (
            review is not None and review.decision in FINAL_DECISIONS and bool(review.final_caption)
        )
        yield {
            "clip_id": d.clip_id,
            "caption": review.final_caption if reviewed and review else d.rewrite,
            "original_caption": d.caption,
            "source": "review" if reviewed else "draft",
            "decision": review.decision if review else None,
            "reviewer": review.reviewer if review else None,
            "reviewed_at": review.created_at.isoformat() if review else None,
            "draft_rewrite": d.rewrite,
            "verdict": d.verdict,
            "hallucinations": len(d.draft.hallucinations),
            "omissions": len(d.draft.omissions),
            "run": run,
            "drafter": d.drafter,
            "model": d.model,
            "prompt_version": d.prompt_version,
        }


def export(store: Store, run: str, out: str | Path) -> int:
    """Write the run's final captions to `out` (.jsonl or .parquet); return the row count."""
    path = Path(out)
    rows = list(final_rows(store, run))
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".jsonl", ".ndjson"):
        import json

        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(path)
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(pa.Table.from_pylist(rows), tmp)
        tmp.replace(path)
    else:
        raise RecapError(f"Cannot export to {path}: use a .jsonl or .parquet file name.")
    return len(rows)
