"""The local engine: every pending clip of a run drafted in this process, concurrently, at the
endpoint's rate limit.

A job on it is resumable by construction. Work is defined by the store (clips with no draft in
the run), each clip is leased to one worker before it is drafted, and a draft is written in one
transaction together with dropping its lease. Killing the process loses only the requests in
flight; running the same command again picks up what is left, and two processes on one run
share the clips between them instead of drafting any twice. The bookkeeping is the run
ledger's (`agent.runs._ledger.RunLedger`); this module only schedules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from agent.drafting._protocol import Drafter
from agent.runs._engine import JobOptions
from agent.runs._ledger import RunLedger


class LocalEngine:
    """Workers on this process's event loop, each leasing one clip at a time."""

    run_drafter: str | None = None
    uses_cache = True

    def __init__(self, drafter: Drafter) -> None:
        self.drafter = drafter

    async def draft(
        self, ledger: RunLedger, options: JobOptions, progress: Callable[[], None]
    ) -> None:
        pending = await asyncio.to_thread(
            ledger.pending, retry_failed=options.retry_failed, limit=options.limit
        )
        ledger.stats.total = len(pending)
        progress()
        queue: asyncio.Queue[str] = asyncio.Queue()
        for clip_id in pending:
            queue.put_nowait(clip_id)
        fatal = asyncio.Event()
        workers = [
            asyncio.create_task(self._worker(ledger, options, queue, fatal, progress))
            for _ in range(max(1, min(options.concurrency, len(pending) or 1)))
        ]
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise

    async def _worker(
        self,
        ledger: RunLedger,
        options: JobOptions,
        queue: asyncio.Queue[str],
        fatal: asyncio.Event,
        progress: Callable[[], None],
    ) -> None:
        while not fatal.is_set():
            try:
                clip_id = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await self._one(ledger, options, clip_id, fatal)
            progress()

    async def _one(
        self, ledger: RunLedger, options: JobOptions, clip_id: str, fatal: asyncio.Event
    ) -> None:
        loaded = await asyncio.to_thread(ledger.lease_one, clip_id, options.lease_ttl_s)
        if loaded is None:
            ledger.stats.skipped += 1  # another worker holds it, or drafted it a moment ago
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
            if ledger.stats.fatal:
                fatal.set()
            return
        await asyncio.to_thread(ledger.record, result, key)
