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
import socket
from collections.abc import Callable
from typing import Any

import numpy as np

from agent.drafting._choice import make_drafter
from agent.drafting._protocol import Drafter
from agent.errors import EndpointError, RecapError
from agent.runs._engine import JobOptions
from agent.runs._ledger import RunLedger, error_kind, error_message
from agent.schema import DraftResult
from agent.settings import Settings
from agent.telemetry import Telemetry


class RayDraftActor:
    """One Ray actor: the driver's kind of drafter, rebuilt from its settings on its own event
    loop, drafting a batch of clips at a time."""

    def __init__(
        self,
        kind: str,
        settings: dict[str, Any],
        rpm: float | None,
        tpm: float | None,
        concurrency: int,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.drafter = make_drafter(kind, Settings(**settings), rpm=rpm, tpm=tpm)
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
                    "stops_job": bool(getattr(exc, "stops_job", False)),
                    "attempts": getattr(exc, "attempts", 0) or 0,
                }

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [json.loads(r) for r in batch["row"]]

        async def all_rows() -> list[dict[str, Any]]:
            sem = asyncio.Semaphore(self.concurrency)
            return await asyncio.gather(*(self._one(sem, r) for r in rows))

        outs = self.loop.run_until_complete(all_rows())
        return {"out": np.array([json.dumps(o) for o in outs], dtype=object)}


class RayEngine:
    """The driver leases, serves cache hits and records; Ray actors draft."""

    run_drafter: str | None = None
    uses_cache = True

    def __init__(
        self,
        drafter: Drafter,
        *,
        address: str | None = None,
        workers: int = 2,
        rpm: float | None = None,
        tpm: float | None = None,
        batch_size: int = 8,
        chunk_size: int = 2000,
    ) -> None:
        if not drafter.capabilities.ray:
            raise RecapError(
                f"The {drafter.name} drafter cannot run on Ray.", hint="Use --drafter llm."
            )
        self.drafter = drafter
        self.address = address
        self.workers = workers
        self.rpm, self.tpm = rpm, tpm
        self.batch_size = batch_size
        self.chunk_size = chunk_size

    def _share(self, limit: float | None) -> float | None:
        return limit / self.workers if limit else None  # each actor's part of the limit

    async def draft(
        self, ledger: RunLedger, options: JobOptions, progress: Callable[[], None]
    ) -> None:
        if self.address:
            await asyncio.to_thread(check_cluster, self.address)
        try:
            import ray
        except ImportError:
            raise RecapError(
                "Ray is not installed.", hint="pip install 'recap-agent[ray]'"
            ) from None

        stats = ledger.stats
        pending = ledger.pending(retry_failed=options.retry_failed, limit=options.limit)
        stats.total = len(pending)
        progress()
        # Chunks bound how long leases are held and how much the driver keeps in memory.
        for start in range(0, len(pending), self.chunk_size):
            chunk = pending[start : start + self.chunk_size]
            claimed = ledger.lease(chunk, options.lease_ttl_s)
            stats.skipped += len(chunk) - len(claimed)
            rows, keys = _prepare(ledger, claimed)
            progress()
            if not rows:
                continue
            if not ray.is_initialized():
                try:
                    ray.init(
                        address=self.address,
                        include_dashboard=False,
                        log_to_driver=False,
                        configure_logging=False,
                        **({} if self.address else {"num_cpus": max(2, os.cpu_count() or 2)}),
                    )
                except (ConnectionError, TimeoutError, RuntimeError) as e:
                    where = f"at {self.address}" if self.address else "started on this machine"
                    raise RecapError(
                        f"The Ray cluster {where} did not let this driver connect ({e}): "
                        "check that it is a Ray head node and runs the same Ray version "
                        "(`ray status` on it)."
                    ) from None
            ds = ray.data.from_items([{"row": r} for r in rows]).map_batches(
                RayDraftActor,
                fn_constructor_kwargs={
                    "kind": self.drafter.name,
                    "settings": self.drafter.settings.model_dump(),
                    "rpm": self._share(self.rpm),
                    "tpm": self._share(self.tpm),
                    "concurrency": max(1, options.concurrency // self.workers),
                },
                batch_size=self.batch_size,
                concurrency=self.workers,
                num_cpus=0.5,
            )
            for batch in ds.iter_batches(batch_size=1, batch_format="numpy"):
                for raw in batch["out"]:
                    _record(ledger, json.loads(raw), keys)
                progress()
                await asyncio.sleep(0)  # let an interrupt through between results
                if stats.fatal:
                    return


def check_cluster(address: str, timeout_s: float = 10.0) -> None:
    """Fail in one line, naming the address and what to check, when nothing answers at a Ray
    cluster's address: Ray itself would retry for minutes and end in a traceback. `auto` and
    `local` (Ray finds or starts a cluster on this machine) are left to Ray."""
    if address in ("auto", "local"):
        return
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        raise RecapError(
            f"Ray cluster address {address!r} is not HOST:PORT: pass the head node's, e.g. "
            "--address 10.0.0.5:6379 (or ray://10.0.0.5:10001 for Ray Client)."
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise RecapError(
            f"No Ray cluster answers at {address} ({reason.lower()}): check that it is running "
            "(`ray status` on the head node) and that this machine can reach that address."
        ) from None


def _prepare(ledger: RunLedger, claimed: list[str]) -> tuple[list[str], dict[str, str]]:
    """Serve cache hits on the driver; return the rows the actors must draft, and cache keys."""
    rows: list[str] = []
    keys: dict[str, str] = {}
    for clip, caption in ledger.load(claimed):
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
    """An actor's answer into the ledger: the result it made, loaded back, or its failure."""
    clip_id = out["clip_id"]
    if "result" in out:
        ledger.record(DraftResult.model_validate(out["result"]), keys.get(clip_id))
        return
    ledger.record_failure(
        clip_id,
        out["kind"],
        out["error"],
        out["attempts"],
        status=out.get("status"),
        stops_job=bool(out.get("stops_job")),
    )
