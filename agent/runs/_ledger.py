"""The life of a drafting run, written once for every engine.

A run is a named drafting pass with one identity (drafter, model, prompt version, the settings
that shape a draft), which the drafter declares (`agent.drafting._protocol.RunIdentity`). Every
way of drafting (the local engine, the Ray engine, the OpenAI Batch engine, `draft-one`) goes
through a `RunLedger`: open or re-open the run and check its identity, list the clips still to
do, lease them, serve cache hits, record each result or error (dropping the clip's lease in the
same transaction) and keep the counters, then finish the run once nothing is pending. Engines
only schedule: none opens, records around, or finishes a run by itself.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from agent.drafting._protocol import RunIdentity
from agent.errors import DraftError, EndpointError, RecapError, TelemetryError, VideoError
from agent.schema import DraftResult
from agent.store import Clip, Store, worker_id

FATAL_STATUS = (401, 403, 404)  # a refused key or an unknown model fails every clip alike


@dataclass
class JobStats:
    """Counters of one pass over a run, for progress bars and summaries."""

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

    def add_result(self, result: DraftResult) -> None:
        self.requests += result.attempts
        self.retries += result.retries
        self.reasks += result.reasks
        self.prompt_tokens += result.usage.prompt_tokens
        self.completion_tokens += result.usage.completion_tokens
        self.add_cost(result.cost_usd)


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(identity: RunIdentity, video_digest: str, clip: Clip, caption: str) -> str:
    """Same model, prompt, settings, pictures and caption: the same answer, reused for free.

    The pictures are identified by the file's content hash plus the sampling settings (part of
    the identity), which determine the sampled frames without decoding them.
    """
    blob = json.dumps(
        {
            "who": identity.recorded(),
            "video": video_digest,
            "caption": caption,
            "window": [clip.start_s, clip.end_s],
            "telemetry": clip.telemetry_json,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def error_kind(exc: BaseException) -> str:
    """The category an error is filed under in `recap runs --errors`."""
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


def is_fatal(exc: BaseException) -> bool:
    """An error every clip would meet alike: a refused key, an unknown model, or what the
    drafter marks so (a server that cannot take images, a context too short, no structured
    output mode that works)."""
    if isinstance(exc, RecapError) and exc.stops_job:
        return True
    return isinstance(exc, EndpointError) and exc.status_code in FATAL_STATUS


def error_message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, RecapError) else f"{type(exc).__name__}: {exc}"


class RunLedger:
    """One process's bookkeeping for one run. Methods are synchronous and short: async callers
    run them in a thread."""

    def __init__(
        self,
        store: Store,
        name: str,
        identity: RunIdentity,
        *,
        use_cache: bool = True,
        owner: str | None = None,
        drafter_label: str | None = None,
    ) -> None:
        self.store = store
        self.name = name
        self.identity = identity
        self.use_cache = use_cache
        self.owner = owner or worker_id()
        self.drafter_label = drafter_label or identity.drafter
        self.stats = JobStats(run=name)

    # --- start ----------------------------------------------------------------------------
    def open(self) -> None:
        """Create the run, or check that an existing one has this identity."""
        i = self.identity
        self.store.runs.ensure(
            self.name,
            drafter=self.drafter_label,
            model=i.model,
            prompt_name=i.prompt_name,
            prompt_hash=i.prompt_hash,
            settings=i.recorded(),
        )

    def pending(self, *, retry_failed: bool = False, limit: int | None = None) -> list[str]:
        ids = self.store.runs.pending(self.name, retry_failed=retry_failed)
        return ids[:limit] if limit is not None else ids

    # --- leases -------------------------------------------------------------------------
    def lease(self, clip_ids: list[str], ttl_s: float) -> list[str]:
        """Lease clips to this process; returns those it got (others are held elsewhere)."""
        return self.store.leases.claim(self.name, clip_ids, self.owner, ttl_s)

    def lease_one(self, clip_id: str, ttl_s: float) -> tuple[Clip, str] | None:
        """Lease one clip still without a draft and load it with its caption, or None."""
        return self.store.runs.claim_one(self.name, clip_id, self.owner, ttl_s)

    def hand_over(self, clip_ids: list[str], owner: str, ttl_s: float) -> list[str]:
        """Pass this process's leases on to `owner` (a submitted batch, which outlives the
        process), for `ttl_s`. A clip another worker takes in between is drafted at most twice
        and kept once."""
        self.store.leases.release(self.name, self.owner, clip_ids)
        return self.store.leases.claim(self.name, clip_ids, owner, ttl_s)

    def load(self, clip_ids: list[str]) -> list[tuple[Clip, str]]:
        """Leased clips with their captions, for engines that draft many at a time."""
        return self.store.clips.with_captions(clip_ids)

    # --- per clip -------------------------------------------------------------------------
    def serve_cached(self, clip: Clip, caption: str) -> tuple[bool, str | None]:
        """(served, key): serve the clip from the response cache when its answer is known;
        otherwise give the key its result should be cached under (None with the cache off)."""
        if not self.use_cache:
            return False, None
        key = cache_key(self.identity, file_digest(clip.video), clip, caption)
        hit = self.store.runs.cache_get(key)
        if hit is None:
            return False, key
        result = hit.model_copy(update={"clip": clip.id, "caption": caption, "cost_usd": 0.0})
        self.store.runs.save_draft(self.name, result, from_cache=True, owner=self.owner)
        self.stats.cached += 1
        return True, None

    def record(
        self,
        result: DraftResult,
        cache_as: str | None = None,
        *,
        owner: str | None = None,
        replace: bool = False,
    ) -> bool:
        """Keep a result and drop its lease (this process's, or `owner`'s); False when the clip
        was drafted elsewhere first. `replace` supersedes the clip's earlier draft."""
        saved = self.store.runs.save_draft(
            self.name, result, owner=owner or self.owner, replace=replace
        )
        if cache_as is not None:
            self.store.runs.cache_put(cache_as, result)
        self.stats.add_result(result)
        if saved:
            self.stats.drafted += 1
        else:
            self.stats.skipped += 1
        return saved

    def record_error(
        self,
        clip_id: str,
        exc: BaseException,
        *,
        owner: str | None = None,
        stop_on_fatal: bool = True,
    ) -> None:
        """Keep why a clip failed, or stop the run on an error every clip would hit (unless
        the clip is all there is to draft: `stop_on_fatal=False`)."""
        owner = owner or self.owner
        if stop_on_fatal and is_fatal(exc):
            self.stats.fatal = str(exc)
            self.store.leases.release(self.name, owner, [clip_id])
            return
        kind = error_kind(exc)
        attempts = getattr(exc, "attempts", 0) or 0
        self.store.runs.save_error(
            self.name, clip_id, kind, error_message(exc), attempts=attempts, owner=owner
        )
        self.stats.failed += 1
        self.stats.errors[kind] += 1
        if isinstance(exc, DraftError):
            self.stats.requests += exc.attempts

    def record_failure(
        self,
        clip_id: str,
        kind: str,
        message: str,
        attempts: int = 0,
        *,
        owner: str | None = None,
        status: int | None = None,
        stops_job: bool = False,
    ) -> None:
        """A failure known only by its kind and message (a Ray actor's, a batch's); an HTTP
        `status` every clip would hit, or a failure marked `stops_job`, stops the run instead."""
        owner = owner or self.owner
        if stops_job or status in FATAL_STATUS:
            self.stats.fatal = message
            self.store.leases.release(self.name, owner, [clip_id])
            return
        self.store.runs.save_error(
            self.name, clip_id, kind, message, attempts=attempts, owner=owner
        )
        self.stats.failed += 1
        self.stats.errors[kind] += 1

    # --- end ------------------------------------------------------------------------------
    def close(self) -> None:
        """Let go of this process's leases; finish the run when nothing is left to draft."""
        self.stats.finished = time.monotonic()
        self.store.leases.release(self.name, self.owner)
        if (
            not self.stats.interrupted
            and not self.stats.fatal
            and not self.store.runs.pending(self.name)
        ):
            self.store.runs.finish(self.name)


def one_off_clip_id(video: str | Path, caption: str) -> str:
    """The clip id a `draft-one` call is kept under: its resolved path and caption."""
    path = str(Path(video).resolve())
    return "one:" + hashlib.sha256(f"{path}\0{caption}".encode()).hexdigest()[:16]


def record_one_off(
    store: Store,
    identity: RunIdentity,
    video: str | Path,
    caption: str,
    *,
    result: DraftResult | None = None,
    error: BaseException | None = None,
) -> str:
    """Keep a `draft-one` call like any other draft, through the run's ledger: the clip (id
    from its path and caption), the run `draft-one:<model>:<prompt version>`, and the draft
    (replacing the clip's last one) or the error. Returns the clip id."""
    path = str(Path(video).resolve())
    clip_id = one_off_clip_id(path, caption)
    store.clips.upsert(
        Clip(
            id=clip_id,
            video=path,
            root=str(Path(path).parent),
            source="draft-one",
            content_hash=clip_id,
        ),
        caption,
    )
    ledger = RunLedger(store, identity.default_run_name("draft-one"), identity, use_cache=False)
    ledger.open()
    if result is not None:
        ledger.record(result.model_copy(update={"clip": clip_id}), replace=True)
    if error is not None:
        ledger.record_error(clip_id, error, stop_on_fatal=False)
    return clip_id
