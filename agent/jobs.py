"""Bulk drafting: every pending clip of a run, concurrently, at the endpoint's rate limit.

A job is resumable by construction. Work is defined by the store (clips with no draft in the
run), each clip is leased to one worker before it is drafted, and a draft is written in one
transaction together with dropping its lease. Killing the process loses only the requests in
flight; running the same command again picks up what is left, and two processes on one run
share the clips between them instead of drafting any twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent.cost import cost_usd
from agent.errors import DraftError, EndpointError, RecapError, TelemetryError, VideoError
from agent.frames import Frames
from agent.schema import DraftResult
from agent.settings import Settings
from agent.store import Store, worker_id
from agent.telemetry import Telemetry

FATAL_STATUS = (401, 403, 404)


class JobDrafter(Protocol):
    """What a job needs of a drafter: the LLM `Drafter` and the offline one both fit."""

    settings: Settings
    name: str

    def identity(self) -> dict[str, Any]: ...

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


@dataclass
class JobStats:
    run: str
    total: int = 0
    drafted: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    requests: int = 0
    retries: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    interrupted: bool = False
    fatal: str | None = None

    @property
    def done(self) -> int:
        return self.drafted + self.cached + self.failed + self.skipped

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def requests_per_min(self) -> float:
        return self.requests / self.elapsed_s * 60 if self.elapsed_s > 0 else 0.0

    def add_cost(self, value: float | None) -> None:
        if value is not None:
            self.cost_usd = (self.cost_usd or 0.0) + value


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(
    identity: dict[str, Any],
    video_digest: str,
    caption: str,
    start: float | None,
    end: float | None,
    telemetry: dict[str, Any] | None,
) -> str:
    """Same model, prompt, settings, pictures and caption: the same answer, reused for free.

    The pictures are identified by the file's content hash plus the sampling settings (part of
    `identity`), which determine the sampled frames without decoding them.
    """
    blob = json.dumps(
        {
            "who": identity,
            "video": video_digest,
            "caption": caption,
            "window": [start, end],
            "telemetry": telemetry,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, VideoError):
        return "video"
    if isinstance(exc, TelemetryError):
        return "telemetry"
    if isinstance(exc, DraftError):
        return "invalid_output"
    if isinstance(exc, EndpointError):
        return "rejected" if exc.status_code == 400 else "endpoint"
    if isinstance(exc, RecapError):
        return "input"
    return "internal"


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
        self.owner = worker_id()
        self.stats = JobStats(run=options.run)
        self.on_progress = on_progress
        self._fatal: asyncio.Event | None = None

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress(self.stats)

    async def run(self) -> JobStats:
        o = self.options
        identity = self.drafter.identity()
        await asyncio.to_thread(
            self.store.ensure_run,
            o.run,
            drafter=self.drafter.name,
            model=identity.get("model"),
            prompt_name=identity.get("prompt_name"),
            prompt_hash=identity.get("prompt_hash"),
            settings=identity,
        )
        pending = await asyncio.to_thread(self.store.pending, o.run, retry_failed=o.retry_failed)
        if o.limit is not None:
            pending = pending[: o.limit]
        self.stats.total = len(pending)
        self._progress()
        queue: asyncio.Queue[str] = asyncio.Queue()
        for clip_id in pending:
            queue.put_nowait(clip_id)
        self._fatal = asyncio.Event()
        workers = [
            asyncio.create_task(self._worker(queue, identity))
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
            self.stats.finished = time.monotonic()
            await asyncio.to_thread(self.store.release, o.run, self.owner)
            if not self.stats.interrupted and not self.stats.fatal:
                left = await asyncio.to_thread(self.store.pending, o.run)
                if not left:
                    await asyncio.to_thread(self.store.finish_run, o.run)
            self._progress()
        return self.stats

    async def _worker(self, queue: asyncio.Queue[str], identity: dict[str, Any]) -> None:
        assert self._fatal is not None
        while not self._fatal.is_set():
            try:
                clip_id = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await self._one(clip_id, identity)
            self._progress()

    async def _one(self, clip_id: str, identity: dict[str, Any]) -> None:
        o, st, store = self.options, self.stats, self.store
        loaded = await asyncio.to_thread(store.claim_one, o.run, clip_id, self.owner, o.lease_ttl_s)
        if loaded is None:
            st.skipped += 1  # another worker holds it, or drafted it a moment ago
            return
        clip, caption = loaded
        try:
            telemetry = Telemetry.model_validate(clip.telemetry) if clip.telemetry else None
            key = None
            if o.use_cache:
                digest = await asyncio.to_thread(file_digest, clip.video)
                key = cache_key(identity, digest, caption, clip.start_s, clip.end_s, clip.telemetry)
                hit = await asyncio.to_thread(store.cache_get, key)
                if hit is not None:
                    result = hit.model_copy(update={"clip": clip_id, "caption": caption})
                    await asyncio.to_thread(
                        store.save_draft,
                        o.run,
                        result,
                        cost_usd=0.0,
                        from_cache=True,
                        owner=self.owner,
                    )
                    st.cached += 1
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
            await self._failed(clip_id, exc)
            return
        cost = cost_usd(
            result.usage.prompt_tokens,
            result.usage.completion_tokens,
            self.drafter.settings.price,
            result.usage.cached_tokens,
        )
        saved = await asyncio.to_thread(
            store.save_draft, o.run, result, cost_usd=cost, owner=self.owner
        )
        if key is not None:
            await asyncio.to_thread(store.cache_put, key, result)
        st.requests += result.attempts
        st.retries += result.retries
        st.reasks += result.reasks
        st.prompt_tokens += result.usage.prompt_tokens
        st.completion_tokens += result.usage.completion_tokens
        st.add_cost(cost)
        if saved:
            st.drafted += 1
        else:
            st.skipped += 1

    async def _failed(self, clip_id: str, exc: BaseException) -> None:
        assert self._fatal is not None
        kind = error_kind(exc)
        attempts = getattr(exc, "attempts", 0) or 0
        if isinstance(exc, EndpointError) and exc.status_code in FATAL_STATUS:
            # every clip would fail the same way: stop, record nothing against the clip
            self.stats.fatal = str(exc)
            self._fatal.set()
            await asyncio.to_thread(self.store.release, self.options.run, self.owner, [clip_id])
            return
        message = str(exc) if isinstance(exc, RecapError) else f"{type(exc).__name__}: {exc}"
        await asyncio.to_thread(
            self.store.save_error,
            self.options.run,
            clip_id,
            kind,
            message,
            attempts=attempts,
            owner=self.owner,
        )
        self.stats.failed += 1
        self.stats.errors[kind] += 1
        if isinstance(exc, DraftError):
            self.stats.requests += exc.attempts
