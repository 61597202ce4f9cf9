"""The OpenAI Batch engine: half the price of online calls, for jobs that can wait up to a day.

`recap draft --batch` leases the pending clips, has the drafter write one request per clip (the
same messages and structured-output settings as online drafting), submits them as batches and
polls them. Each submitted clip's lease passes to its batch (`batch:<id>`, for the batch's
window), so no other worker drafts it while the batch is open, even after this process exits.
Finished results go into the same drafts and errors tables through the run's ledger, which
also finishes the run. Submitted batches are kept in the store (`BatchJob`), so a later run of
the command collects them instead of submitting again. Output that fails the Draft validators
cannot be re-asked inside a batch: it is recorded as an `invalid_output` error, and `recap
draft --retry-failed` redrafts those clips online.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from agent.drafting._protocol import BatchDrafter, Drafter
from agent.errors import RecapError
from agent.runs._engine import JobOptions
from agent.runs._ledger import RunLedger
from agent.store import BatchJob, now

MAX_REQUESTS = 50_000  # OpenAI's per-batch limit
BATCH_WINDOW_S = 25 * 3600.0  # a batch's leases: its 24 h completion window, and some


def batch_owner(batch_id: str) -> str:
    """Who holds a submitted clip's lease: its batch, not the process that submitted it."""
    return f"batch:{batch_id}"


@dataclass
class BatchReport:
    submitted: int = 0
    open_batches: int = 0
    statuses: dict[str, str] = field(default_factory=dict)


class OpenAIBatchEngine:
    """Submits what is pending (unless batches are still open), then collects."""

    run_drafter = "llm-batch"
    uses_cache = False

    def __init__(
        self,
        drafter: Drafter,
        *,
        poll_s: float = 60.0,
        wait: bool = True,
        log: Callable[[str], None] = lambda _m: None,
    ) -> None:
        if drafter.settings.samples > 1:
            raise RecapError(
                f"--batch cannot draft {drafter.settings.samples} samples per clip: a batch "
                "holds one request per clip, and its answers come back a day later, too late to "
                "pick the majority one.",
                hint="Draw the samples online (the local engine, or --engine ray), or drop "
                "--samples for the batch.",
            )
        if not drafter.capabilities.batch:
            raise RecapError(
                f"The {drafter.name} drafter cannot use the Batch API.", hint="Use --drafter llm."
            )
        self.drafter = cast(BatchDrafter, drafter)
        self.poll_s = poll_s
        self.wait = wait
        self.log = log
        self.report = BatchReport()

    async def draft(
        self, ledger: RunLedger, options: JobOptions, progress: Callable[[], None]
    ) -> None:
        if not ledger.store.batches.of_run(ledger.name):
            self.report.submitted = await self.submit(
                ledger,
                retry_failed=options.retry_failed,
                limit=options.limit,
                lease_ttl_s=options.lease_ttl_s,
            )
            self.log(f"{self.report.submitted} request(s) submitted")
        await self.collect(ledger, wait=self.wait)
        progress()

    async def submit(
        self,
        ledger: RunLedger,
        *,
        retry_failed: bool = False,
        limit: int | None = None,
        lease_ttl_s: float = 1800.0,
    ) -> int:
        """Lease and submit pending clips not already in an open batch; return how many. The
        leases are this process's while the requests are built, then each batch's."""
        store = ledger.store
        in_flight = {cid for b in store.batches.of_run(ledger.name) for cid in b.clip_ids}
        pending = [c for c in ledger.pending(retry_failed=retry_failed) if c not in in_flight]
        if limit is not None:
            pending = pending[:limit]
        leased = ledger.lease(pending, lease_ttl_s)
        ledger.stats.total = len(pending)
        ledger.stats.skipped += len(pending) - len(leased)
        lines: list[dict[str, Any]] = []
        context: dict[str, dict[str, Any]] = {}
        for clip, caption in ledger.load(leased):
            try:
                telemetry = clip.telemetry
                frames = await asyncio.to_thread(
                    self.drafter.sample, clip.video, clip.start_s, clip.end_s, telemetry
                )
            except RecapError as e:
                ledger.record_error(clip.id, e)
                continue
            lines.append(self.drafter.batch_request(clip.id, caption, frames, telemetry))
            context[clip.id] = {"caption": caption, "duration": frames.duration}
        for start in range(0, len(lines), MAX_REQUESTS):
            chunk = lines[start : start + MAX_REQUESTS]
            ids = [line["custom_id"] for line in chunk]
            batch = await self.drafter.submit_batch(chunk, ledger.name)
            store.batches.save(
                BatchJob(
                    id=batch.id,
                    run=ledger.name,
                    status=batch.status,
                    input_file_id=batch.input_file_id,
                    clip_ids=ids,
                    context={k: context[k] for k in ids},
                )
            )
            ledger.hand_over(ids, batch_owner(batch.id), BATCH_WINDOW_S)
            self.log(f"submitted batch {batch.id} with {len(ids)} requests")
        return len(lines)

    async def collect(self, ledger: RunLedger, *, wait: bool = True) -> BatchReport:
        """Poll open batches; record the finished ones. With wait, until none is open."""
        store, report = ledger.store, self.report
        while True:
            for b in store.batches.of_run(ledger.name):
                info = await self.drafter.batch_status(b.id)
                b.status, b.updated_at = info.status, now()
                b.output_file_id, b.error_file_id = info.output_file_id, info.error_file_id
                report.statuses[b.id] = info.status
                if info.done:
                    await self._record(ledger, b)
                    b.ingested = True
                store.batches.save(b)
            report.open_batches = len(store.batches.of_run(ledger.name))
            if not wait or report.open_batches == 0:
                return report
            self.log(
                f"{report.open_batches} batch(es) still running; next check in {self.poll_s:.0f} s"
            )
            await asyncio.sleep(self.poll_s)

    async def _record(self, ledger: RunLedger, b: BatchJob) -> None:
        """Every line of a finished batch into the ledger, under the batch's leases; a clip
        the batch ended without is a failure."""
        owner = batch_owner(b.id)
        seen: set[str] = set()
        for file_id in (b.output_file_id, b.error_file_id):
            if not file_id:
                continue
            text = await self.drafter.batch_file(file_id)
            for line in filter(None, (x.strip() for x in text.splitlines())):
                item = json.loads(line)
                clip_id = item["custom_id"]
                seen.add(clip_id)
                ctx = (b.context or {}).get(clip_id, {})
                try:
                    result = self.drafter.batch_result(
                        item, ctx.get("caption", ""), ctx.get("duration"), b.id
                    )
                except RecapError as e:
                    ledger.record_error(clip_id, e, owner=owner)
                    continue
                ledger.record(result, owner=owner)
        for clip_id in sorted(set(b.clip_ids) - seen):
            ledger.record_failure(
                clip_id, "endpoint", f"batch {b.id} ended {b.status} without a result", owner=owner
            )
