"""Bulk drafting in this process: every pending clip of a run, concurrently, at the endpoint's
rate limit.

A job is resumable by construction. Work is defined by the store (clips with no draft in the
run), each clip is leased to one worker before it is drafted, and a draft is written in one
transaction together with dropping its lease. Killing the process loses only the requests in
flight; running the same command again picks up what is left, and two processes on one run
share the clips between them instead of drafting any twice. The bookkeeping is the run
lifecycle's (`agent.runs._ledger.RunLedger`); this module only schedules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from agent.media._frames import Frames
from agent.runs._ledger import JobStats, RunIdentity, RunLedger
from agent.schema import DraftResult
from agent.settings import Settings
from agent.store import Store
from agent.telemetry import Telemetry


class JobDrafter(Protocol):
    """What a job needs of a drafter: the LLM `Drafter` and the offline one both fit."""

    settings: Settings
    name: str

    def identity(self) -> RunIdentity: ...

    async def draft(
        self,
        video: str,
        caption: str,
        *,
        telemetry: Telemetry | None = None,
        clip_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        frames: Frames | None = None,
    ) -> DraftResult: ...

    async def aclose(self) -> None: ...


@dataclass
class JobOptions:
    run: str
    concurrency: int = 16
    retry_failed: bool = False
    limit: int | None = None
    lease_ttl_s: float = 1800.0
    use_cache: bool = True


class Job:
    def __init__(
        self,
        store: Store,
        drafter: JobDrafter,
        options: JobOptions,
        *,
        on_progress: Callable[[JobStats], None] | None = None,
    ) -> None:
        self.store = store
        self.drafter = drafter
        self.options = options
        self.ledger = RunLedger(store, options.run, drafter.identity(), use_cache=options.use_cache)
        self.owner = self.ledger.owner
        self.on_progress = on_progress
        self._fatal: asyncio.Event | None = None

    @property
    def stats(self) -> JobStats:
        return self.ledger.stats

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress(self.stats)

    async def run(self) -> JobStats:
        o, ledger = self.options, self.ledger
        await asyncio.to_thread(ledger.open)
        pending = await asyncio.to_thread(
            ledger.pending, retry_failed=o.retry_failed, limit=o.limit
        )
        self.stats.total = len(pending)
        self._progress()
        queue: asyncio.Queue[str] = asyncio.Queue()
        for clip_id in pending:
            queue.put_nowait(clip_id)
        self._fatal = asyncio.Event()
        workers = [
            asyncio.create_task(self._worker(queue))
            for _ in range(max(1, min(o.concurrency, len(pending) or 1)))
        ]
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:
            self.stats.interrupted = True
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            await asyncio.to_thread(ledger.close)
            self._progress()
        return self.stats

    async def _worker(self, queue: asyncio.Queue[str]) -> None:
        assert self._fatal is not None
        while not self._fatal.is_set():
            try:
                clip_id = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await self._one(clip_id)
            self._progress()

    async def _one(self, clip_id: str) -> None:
        o, ledger = self.options, self.ledger
        loaded = await asyncio.to_thread(
            self.store.runs.claim_one, o.run, clip_id, self.owner, o.lease_ttl_s
        )
        if loaded is None:
            self.stats.skipped += 1  # another worker holds it, or drafted it a moment ago
            return
        clip, caption = loaded
        try:
            telemetry = clip.telemetry
            served, key = await asyncio.to_thread(ledger.serve_cached, clip, caption)
            if served:
                return
            result = await self.drafter.draft(
                clip.video,
                caption,
                telemetry=telemetry,
                clip_id=clip_id,
                start=clip.start_s,
                end=clip.end_s,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await asyncio.to_thread(ledger.record_error, clip_id, exc)
            if self.stats.fatal:
                assert self._fatal is not None
                self._fatal.set()
            return
        await asyncio.to_thread(ledger.record, result, key)
