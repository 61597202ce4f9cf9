"""Final captions out: the reviewer's where a review exists, else the draft, with provenance
(whether a person decided it, recap's routing policy accepted it, or nobody has yet)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.decisions import FINAL, Decision, person_wins
from agent.errors import RecapError
from agent.store import Store

# Who decided a clip's final caption (`decided_by`): a person, or recap's routing policy.
PERSON = "person"
POLICY = "recap-policy"


def final_rows(store: Store, run: str) -> Iterator[dict[str, Any]]:
    """One row per drafted clip of `run`, final caption first, then where it came from.

    `source` is `review` (a person's decision), `auto` (accepted by recap's policy) or `draft`
    (undecided). A person's decision always wins over an auto-acceptance. The rows of a run a
    policy routed also say who decided (`decided_by`: `person` or `recap-policy`, never a
    person's name for the policy), the policy's id and the draft's confidence; other runs'
    rows keep the columns they always had."""
    store.runs.require(run)
    reviews = store.reviews.in_force_by_clip()
    routed = store.routing.acceptances(run)
    for d in store.runs.drafts(run):
        review = reviews.get(d.clip_id)
        reviewed = review is not None and review.decision in FINAL and bool(review.final_caption)
        auto = routed.get(d.clip_id)
        decided = person_wins(review, auto is not None)  # any person's row in force wins
        by_policy = decided is Decision.AUTO_ACCEPTED
        row: dict[str, Any] = {
            "clip_id": d.clip_id,
            "caption": review.final_caption if reviewed and review else d.rewrite,
            "original_caption": d.caption,
            "source": "review" if reviewed else "auto" if by_policy else "draft",
            "decision": decided.value if decided else None,
            "reviewer": review.reviewer if review else None,
            "reviewed_at": review.created_at.isoformat() if review else None,
        }
        if routed:
            row |= {
                "decided_by": PERSON if reviewed else POLICY if by_policy else None,
                "policy": auto.policy_id if by_policy and auto else None,
                "confidence": auto.confidence if by_policy and auto else d.confidence_score,
            }
        yield row | {
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


# --- LeRobot write-back -----------------------------------------------------------------------


def lerobot_assignments(
    store: Store, run: str, *, only_reviewed: bool = False, dataset: str | Path | None = None
) -> tuple[Path, list[Any]]:
    """The source dataset and, per LeRobot clip of `run`, the frames and the text they get:
    the reviewed caption, else (unless `only_reviewed`) the draft's rewrite."""
    from agent.data.lerobot._writer import Assignment

    rows = {r["clip_id"]: r for r in final_rows(store, run)}
    clips = [c for c, _ in store.clips.with_captions(list(rows))]
    clips = [c for c in clips if c.meta and c.meta.get("lerobot") and c.meta.get("frames")]
    roots = sorted({c.root for c in clips if c.root})
    if dataset is not None:
        want = str(Path(dataset).resolve())
        clips = [c for c in clips if c.root == want]
        roots = [want]
    if not clips:
        raise RecapError(
            f"Run {run!r} has no drafted clips from a LeRobot dataset"
            + (f" at {dataset}" if dataset else "")
            + ".",
            hint="Ingest a LeRobot dataset folder with `recap ingest DIR`, then draft it.",
        )
    if len(roots) > 1:
        raise RecapError(
            f"Run {run!r} has clips from {len(roots)} LeRobot datasets: {', '.join(roots)}.",
            hint="Pick one with --dataset DIR.",
        )
    out = []
    for c in clips:
        row = rows[c.id]
        if only_reviewed and row["source"] != "review":
            continue
        a, b = c.meta["frames"]
        out.append(Assignment(int(c.meta["episode_index"]), int(a), int(b), row["caption"]))
    return Path(roots[0]), out


def export_lerobot(
    store: Store,
    run: str,
    out: str | Path,
    *,
    only_reviewed: bool = False,
    dataset: str | Path | None = None,
) -> Any:
    """Write a copy of the run's LeRobot dataset whose frames carry the final captions as their
    task; see agent/lerobot/writer.py. Returns the writer's report."""
    from agent.data.lerobot._writer import write_copy

    src, assignments = lerobot_assignments(store, run, only_reviewed=only_reviewed, dataset=dataset)
    return write_copy(src, Path(out), assignments)


# --- training pairs -----------------------------------------------------------------------------


def _agreed_findings(store: Store, run: str, clip_id: str, agreed: dict[str, Any] | None) -> list:
    record = store.runs.draft(run, clip_id)
    if record is None or not agreed:
        return []
    draft = record.draft
    out: list[str] = []
    for i, h in enumerate(draft.hallucinations):
        if (agreed.get("hallucinations") or {}).get(str(i)):
            out.append(f'"{h.span}" ({h.type.value}): {h.explanation}')
    for i, o in enumerate(draft.omissions):
        if (agreed.get("omissions") or {}).get(str(i)):
            out.append(f"omitted ({o.type.value}): {o.description}")
    return out


def pair_rows(
    store: Store, run: str, *, with_auto: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Preference pairs and critique triples from the run's reviewed clips (and, only with
    `with_auto`, the clips recap's policy accepted, marked `decided_by: recap-policy`: a model's
    own rewrite is no person's judgement, so training data leaves it out by default).

    A pair's `chosen` is the reviewed caption; `rejected` is the original caption, and, in a
    second pair, the draft's rewrite when the reviewer changed it. A critique triple is the
    original caption, the findings the reviewer agreed with, and the final caption."""
    reviews = store.reviews.in_force_by_clip()
    pairs: list[dict[str, Any]] = []
    critiques: list[dict[str, Any]] = []
    wanted = ("review", "auto") if with_auto else ("review",)
    for row in final_rows(store, run):
        if row["source"] not in wanted:
            continue
        clip = store.clips.get(row["clip_id"])
        review = reviews.get(row["clip_id"]) if row["source"] == "review" else None
        base = {
            "clip_id": row["clip_id"],
            "video": clip.video if clip else None,
            "start": clip.start_s if clip else None,
            "end": clip.end_s if clip else None,
            "decision": row["decision"],
            "reviewer": row["reviewer"],
            "run": run,
        }
        if "decided_by" in row:  # a run a policy routed: say who decided
            base |= {"decided_by": row["decided_by"], "policy": row["policy"]}
        final = row["caption"]
        if row["original_caption"] != final:
            pairs.append(
                {
                    **base,
                    "chosen": final,
                    "rejected": row["original_caption"],
                    "rejected_is": "original",
                }
            )
        draft = row["draft_rewrite"]
        if draft != final and draft != row["original_caption"]:
            pairs.append({**base, "chosen": final, "rejected": draft, "rejected_is": "draft"})
        critiques.append(
            {
                **base,
                "caption": row["original_caption"],
                "critique": _agreed_findings(
                    store, run, row["clip_id"], review.agreed if review else None
                ),
                "final": final,
            }
        )
    return pairs, critiques


def _write_rows(rows: list[dict[str, Any]], stem: Path) -> None:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = stem.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(stem.with_suffix(".jsonl"))
    empty = pa.table({"clip_id": pa.array([], pa.string())})
    table = pa.Table.from_pylist(rows) if rows else empty
    pq.write_table(table, stem.with_suffix(".parquet"))


def export_pairs(
    store: Store, run: str, out: str | Path, *, with_auto: bool = False
) -> tuple[int, int]:
    """Write pairs.{jsonl,parquet} and critiques.{jsonl,parquet} into the folder `out`
    (loadable by `datasets.load_dataset("json"|"parquet", data_files=...)`); auto-accepted
    clips only `with_auto`."""
    store.runs.require(run)
    folder = Path(out)
    if folder.suffix:
        raise RecapError(f"Cannot write pairs to {folder}: --format pairs writes a folder.")
    folder.mkdir(parents=True, exist_ok=True)
    pairs, critiques = pair_rows(store, run, with_auto=with_auto)
    _write_rows(pairs, folder / "pairs")
    _write_rows(critiques, folder / "critiques")
    return len(pairs), len(critiques)
