"""The life of a drafting run, written once for every engine.

A run is a named drafting pass with one identity (drafter, model, prompt version, the settings
that shape a draft), which the drafter declares (`agent.drafting._protocol.RunIdentity`), over
one selection of clips (`agent.sets.Selection`: the production sets, named sets, or a frozen
list of ids), fixed when the run is created. Every way of drafting (the local engine, the Ray
engine, the OpenAI Batch engine, `draft-one`) goes through a `RunLedger`: open or re-open the
run and check its identity and selection, list the clips of the selection still to do, lease
them, serve cache hits, record each result or error (dropping the clip's lease in the same
transaction) and keep the counters, then finish the run once nothing is pending. Engines only
schedule: none opens, records around, or finishes a run by itself, and none lists work but
through the ledger's `pending`, so every engine drafts exactly the run's clips.
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
from agent.sets import ONE_OFF_SET, Selection, SetKind
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
    examples: dict[str, str] = field(default_factory=dict)  # the first message of each kind
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

    @property
    def all_failed(self) -> bool:
        """This pass drafted nothing (none from the cache either) and failed at least one
        clip: every clip it tried failed."""
        return self.failed > 0 and self.drafted == 0 and self.cached == 0

    def add_failure(self, kind: str, message: str) -> None:
        self.failed += 1
        self.errors[kind] += 1
        self.examples.setdefault(kind, message)

    def failure_reason(self) -> str:
        """The most common failure in a phrase: its kind, how many, and its first message."""
        if not self.errors:
            return "no failures"
        kind, n = self.errors.most_common(1)[0]
        first = self.examples.get(kind, "").strip().splitlines()
        return f"{kind} ({n} of {self.failed}): {first[0] if first else 'no message'}"

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
        selection: Selection | None = None,
    ) -> None:
        self.store = store
        self.name = name
        self.identity = identity
        self.use_cache = use_cache
        self.owner = owner or worker_id()
        self.drafter_label = drafter_label or identity.drafter
        self.selection = selection  # None: the run's own (the production sets for a new run)
        self.stats = JobStats(run=name)

    # --- start ----------------------------------------------------------------------------
    def open(self) -> None:
        """Create the run over its selection, or check that an existing one has this identity
        (and, when a selection was asked for, this selection). Bad selections (an unknown set,
        ids not in the database, nothing selected) are refused before anything is written."""
        i = self.identity
        run = self.store.runs.ensure(
            self.name,
            drafter=self.drafter_label,
            model=i.model,
            prompt_name=i.prompt_name,
            prompt_hash=i.prompt_hash,
            settings=i.recorded(),
            selection=self.selection,
            require_clips=True,
        )
        self.selection = run.selection

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
        message = error_message(exc)
        self.store.runs.save_error(
            self.name, clip_id, kind, message, attempts=attempts, owner=owner
        )
        self.stats.add_failure(kind, message)
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
        self.stats.add_failure(kind, message)

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


def run_name_for(
    store: Store,
    identity: RunIdentity,
    selection: Selection | None = None,
    drafter_label: str | None = None,
) -> str:
    """The name a run gets when none is given: short and readable (`offline-r3`,
    `gpt-4.1-mini-review-v1`; `sample-offline-r3` over set sample; `-batch` through the Batch
    API), with a short hash of the identity and selection added only when a run of that name
    exists that was made otherwise. The same drafter over the same selection always gets the
    same name, so running the same command again resumes its run. K samples per clip add
    `-kK` (`gpt-4.1-mini-review-v1-k3`)."""
    chosen = selection or Selection.production()
    label = drafter_label or identity.drafter
    parts = [chosen.name_prefix(), identity.short_name()]
    samples = identity.output.get("samples", 1)
    if samples != 1:  # `--samples K`: another run than one sample's
        parts.append(f"k{samples}")
    if label != identity.drafter:
        parts.append(label.removeprefix(identity.drafter).strip("-") or label)
    base = "-".join(p for p in parts if p)
    blob = json.dumps(
        {"who": identity.recorded(), "label": label, "selection": chosen.to_json()},
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()
    for name in (base, f"{base}-{digest[:4]}", f"{base}-{digest[:8]}"):
        run = store.runs.get(name)
        if run is None:
            return name
        same = (
            run.drafter,
            run.model,
            run.prompt_hash,
            run.samples,
        ) == (
            label,
            identity.model,
            identity.prompt_hash,
            samples,
        )
        if same and run.selection.same_as(chosen):
            return name
    return f"{base}-{digest[:16]}"


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
    from its path and caption) in the one-off set `draft-one`, which no bulk run selects, the
    run over that set (`draft-one-<model>-<prompt>`), and the draft (replacing the clip's last
    one) or the error. Returns the clip id."""
    path = str(Path(video).resolve())
    clip_id = one_off_clip_id(path, caption)
    store.sets.ensure(ONE_OFF_SET, SetKind.ONE_OFF, source="draft-one")
    store.clips.upsert(
        Clip(
            id=clip_id,
            video=path,
            root=str(Path(path).parent),
            source="draft-one",
            content_hash=clip_id,
        ),
        caption,
        into=ONE_OFF_SET,
    )
    selection = Selection.of_sets([ONE_OFF_SET])
    name = run_name_for(store, identity, selection)
    ledger = RunLedger(store, name, identity, use_cache=False, selection=selection)
    ledger.open()
    if result is not None:
        ledger.record(result.model_copy(update={"clip": clip_id}), replace=True)
    if error is not None:
        ledger.record_error(clip_id, error, stop_on_fatal=False)
    return clip_id
