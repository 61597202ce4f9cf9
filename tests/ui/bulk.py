"""Fill a database with many drafted clips fast (bulk inserts, no model), for the queue at
scale: the page test with two servers and benchmarks/review_scale.py."""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path

from sqlalchemy import MetaData, Table, insert

from agent.store import Store, now

CAPTION = "The robot grasps the {colour} cube and lifts it above the table."
REWRITE = "The robot grasps the red cube, lifts it and places it on the plate."


def telemetry(i: int, steps: int = 150) -> dict:
    """About the size of a real 5 s clip's telemetry (30 Hz gripper and positions)."""
    t = [round(k / 30, 4) for k in range(steps)]
    phase = (i % 7) / 7
    return {
        "t": t,
        "gripper": [round(0.5 + 0.5 * math.cos(x + phase), 4) for x in t],
        "ee": [[round(0.1 * x, 4), round(0.2 + 0.01 * x, 4), round(0.3 - 0.02 * x, 4)] for x in t],
        "obj": [[round(0.05 * x, 4), 0.2, round(0.02 + 0.01 * x, 4)] for x in t],
        "success": i % 3 != 0,
    }


def draft(colour: str) -> dict:
    return {
        "observations": "A Sawyer arm reaches a red cube, closes its gripper and lifts it.",
        "hallucinations": [
            {
                "span": colour,
                "type": "attribute",
                "explanation": "the cube is red",
                "evidence_times": [1.5],
            }
        ],
        "omissions": [
            {"description": "places it on the plate", "type": "step", "evidence_times": [4.0]}
        ],
        "rewrite": REWRITE,
        "verdict": "needs_edit",
    }


def fill(url: str, n: int, video: Path, *, run: str = "bench", chunk: int = 5000) -> None:
    """`n` clips of `video`, each with a caption, telemetry and a drafted review in `run`, plus
    the model's raw response: rows as a drafting run writes them, without the model."""
    store = Store(url)
    store.runs.ensure(
        run, drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={}
    )
    md = MetaData()
    clips, captions, drafts, responses = (
        Table(name, md, autoload_with=store.engine)
        for name in ("clips", "captions", "drafts", "draft_responses")
    )
    blobs = [zlib.compress(json.dumps(telemetry(i)).encode(), 6) for i in range(7)]
    body = zlib.compress(json.dumps({"id": "resp", "choices": [{"text": "x" * 1500}]}).encode())
    stamp = now()
    width = len(str(n))
    with store.engine.begin() as conn:
        for lo in range(0, n, chunk):
            ids = [f"clip-{i:0{width}d}" for i in range(lo, min(n, lo + chunk))]
            colours = ["blue" if i % 2 else "green" for i in range(lo, lo + len(ids))]
            conn.execute(
                insert(clips),
                [
                    {
                        "id": cid,
                        "video": str(video),
                        "root": str(video.parent),
                        "telemetry_z": blobs[k % 7],
                        "meta": {"task": "pick-place"},
                        "source": "bench",
                        "content_hash": cid,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                    for k, cid in enumerate(ids)
                ],
            )
            conn.execute(
                insert(captions),
                [
                    {
                        "clip_id": cid,
                        "kind": "original",
                        "text": CAPTION.format(colour=c),
                        "created_at": stamp,
                    }
                    for cid, c in zip(ids, colours, strict=True)
                ],
            )
            conn.execute(
                insert(drafts),
                [
                    {
                        "run": run,
                        "clip_id": cid,
                        "caption": CAPTION.format(colour=c),
                        "draft": draft(c),
                        "verdict": "needs_edit",
                        "rewrite": REWRITE,
                        "drafter": "llm",
                        "model": "m",
                        "prompt_version": "p@hhhh",
                        "prompt_tokens": 900,
                        "completion_tokens": 150,
                        "cached_tokens": 0,
                        "cost_usd": 0.0006,
                        "latency_s": 1.2,
                        "attempts": 1,
                        "reasks": 0,
                        "retries": 0,
                        "image_tokens": 595,
                        "from_cache": False,
                        "created_at": stamp,
                    }
                    for cid, c in zip(ids, colours, strict=True)
                ],
            )
        ids_by_clip = (
            conn.execute(drafts.select().with_only_columns(drafts.c.id).where(drafts.c.run == run))
            .scalars()
            .all()
        )
        for lo in range(0, len(ids_by_clip), chunk):
            conn.execute(
                insert(responses),
                [{"draft_id": d, "body": body} for d in ids_by_clip[lo : lo + chunk]],
            )
    if store.dialect == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.close()
