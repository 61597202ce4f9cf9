"""Scale-out: the same drafting job on Ray Data, for datasets one machine cannot get through.

The driver does what needs the database: it leases the pending clips, serves cache hits, and
writes every result into the same store as the local engine, as results stream back. Ray Data
spreads the rest over a pool of actors: each samples frames (the videos must be readable at the
same path on every node, e.g. a shared filesystem or mounted bucket) and calls the model with
bounded concurrency and its share of the rate limit. `recap draft --engine ray --address ...`
runs on an existing cluster; without an address Ray starts a local one.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from agent.drafting._model import Drafter
from agent.drafting._ratelimit import RateLimiter
from agent.errors import EndpointError
from agent.runs._ledger import FATAL_STATUS, JobStats, RunLedger, error_kind, error_message
from agent.runs._local import JobOptions
from agent.schema import DraftResult
from agent.settings import Settings
from agent.store import Store
from agent.telemetry import Telemetry


class RayDraftActor:
    """One Ray actor: a Drafter on its own event loop, drafting a batch of clips at a time."""

    def __init__(
        self, settings: dict[str, Any], rpm: float | None, tpm: float | None, concurrency: int
    ) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.drafter = Drafter(Settings(**settings), limiter=RateLimiter(rpm=rpm, tpm=tpm))
        self.concurrency = concurrency

    async def _one(self, sem: asyncio.Semaphore, row: dict[str, Any]) -> dict[str, Any]:
        async with sem:
            try:
                tel = row.get("telemetry")
                result = await self.drafter.draft(
                    row["video"],
                    row["caption"],
                    clip_id=row["clip_id"],
                    telemetry=Telemetry.model_validate(tel) if tel else None,
                    start=row.get("start"),
                    end=row.get("end"),
                )
                return {"clip_id": row["clip_id"], "result": result.model_dump(mode="json")}
            except Exception as exc:
                status = exc.status_code if isinstance(exc, EndpointError) else None
                return {
                    "clip_id": row["clip_id"],
                    "error": error_message(exc),
                    "kind": error_kind(exc),
                    "status": status,
                    "attempts": getattr(exc, "attempts", 0) or 0,
                }

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [json.loads(r) for r in batch["row"]]

        async def all_rows() -> list[dict[str, Any]]:
            sem = asyncio.Semaphore(self.concurrency)
            return await asyncio.gather(*(self._one(sem, r) for r in rows))

        outs = self.loop.run_until_complete(all_rows())
        return {"out": np.array([json.dumps(o) for o in outs], dtype=object)}


def run_ray_job(
    store: Store,
    settings: Settings,
    options: JobOptions,
    *,
    address: str | None = None,
    workers: int = 2,
    rpm: float | None = None,
    tpm: float | None = None,
    batch_size: int = 8,
    chunk_size: int = 2000,
    on_progress: Callable[[JobStats], None] | None = None,
) -> JobStats:
    import ray

    ledger = RunLedger(
        store, options.run, Drafter(settings).identity(), use_cache=options.use_cache
    )
    ledger.open()
    pending = ledger.pending(retry_failed=options.retry_failed, limit=options.limit)
    stats = ledger.stats
    stats.total = len(pending)

    def progress() -> None:
        if on_progress:
            on_progress(stats)

    def share(limit: float | None) -> float | None:
        return limit / workers if limit else None  # each actor's part of the limit

    progress()
    try:
        # Chunks bound how long leases are held and how much the driver keeps in memory.
        for start in range(0, len(pending), chunk_size):
            chunk = pending[start : start + chunk_size]
            claimed = store.leases.claim(options.run, chunk, ledger.owner, options.lease_ttl_s)
            stats.skipped += len(chunk) - len(claimed)
            rows, keys = _prepare(ledger, claimed)
            progress()
            if not rows:
                continue
            if not ray.is_initialized():
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                    **({} if address else {"num_cpus": max(2, os.cpu_count() or 2)}),
                )
            ds = ray.data.from_items([{"row": r} for r in rows]).map_batches(
                RayDraftActor,
                fn_constructor_kwargs={
                    "settings": settings.model_dump(),
                    "rpm": share(rpm),
                    "tpm": share(tpm),
                    "concurrency": max(1, options.concurrency // workers),
                },
                batch_size=batch_size,
                concurrency=workers,
                num_cpus=0.5,
            )
            for batch in ds.iter_batches(batch_size=1, batch_format="numpy"):
                for raw in batch["out"]:
                    _record(ledger, json.loads(raw), keys)
                progress()
                if stats.fatal:
                    break
            if stats.fatal:
                break
    finally:
        ledger.close()
        progress()
    return stats


def _prepare(ledger: RunLedger, claimed: list[str]) -> tuple[list[str], dict[str, str]]:
    """Serve cache hits on the driver; return the rows the actors must draft, and cache keys."""
    rows: list[str] = []
    keys: dict[str, str] = {}
    for clip, caption in ledger.store.clips.with_captions(claimed):
        served, key = ledger.serve_cached(clip, caption)
        if served:
            continue
        if key is not None:
            keys[clip.id] = key
        rows.append(
            json.dumps(
                {
                    "clip_id": clip.id,
                    "video": clip.video,
                    "caption": caption,
                    "telemetry": clip.telemetry_json,
                    "start": clip.start_s,
                    "end": clip.end_s,
                }
            )
        )
    return rows, keys


def _record(ledger: RunLedger, out: dict[str, Any], keys: dict[str, str]) -> None:
    clip_id = out["clip_id"]
    if "result" in out:
        ledger.record(DraftResult.model_validate(out["result"]), keys.get(clip_id))
        return
    if out.get("status") in FATAL_STATUS:
        ledger.stats.fatal = out["error"]
        return
    ledger.record_failure(clip_id, out["kind"], out["error"], out["attempts"])
