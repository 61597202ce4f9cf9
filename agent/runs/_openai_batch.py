"""OpenAI Batch API mode: half the price of online calls, for jobs that can wait up to a day.

`recap draft --batch` builds one chat-completions request per pending clip (the same messages
and structured-output settings as online drafting), uploads them as JSONL, creates a batch and
polls it. Finished results go into the same drafts and errors tables. Submitted batches are
recorded in the store, so a later run of the command collects them instead of submitting again.
Output that fails the Draft validators cannot be re-asked inside a batch: it is recorded as an
`invalid_output` error, and `recap draft --retry-failed` redrafts those clips online.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai
from instructor import openai_schema
from pydantic import ValidationError

from agent.drafting._model import Drafter
from agent.errors import ConfigError, EndpointError, RecapError
from agent.runs._ledger import RunLedger
from agent.schema import Draft, DraftResult, Usage
from agent.store import Batch, Store, now

DONE = {"completed", "failed", "expired", "cancelled"}
MAX_REQUESTS = 50_000  # OpenAI's per-batch limit
BATCH_DISCOUNT = 0.5


@dataclass
class BatchReport:
    submitted: int = 0
    drafted: int = 0
    failed: int = 0
    open_batches: int = 0
    statuses: dict[str, str] | None = None


def structured_kwargs(mode: str) -> dict[str, Any]:
    """The request fields that ask for a Draft, as instructor would send them online."""
    if mode == "tools":
        schema = openai_schema(Draft).openai_schema
        return {
            "tools": [{"type": "function", "function": schema}],
            "tool_choice": {"type": "function", "function": {"name": schema["name"]}},
        }
    if mode == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "Draft", "schema": Draft.model_json_schema()},
            }
        }
    raise ConfigError(f"Batch mode supports --mode tools or json_schema, not {mode!r}.")


def _arguments(body: dict[str, Any]) -> str:
    message = body["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    if calls:
        return calls[0]["function"]["arguments"]
    return message.get("content") or ""


class BatchRunner:
    def __init__(
        self,
        store: Store,
        drafter: Drafter,
        run: str,
        *,
        poll_s: float = 60.0,
        log: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.store = store
        self.drafter = drafter
        self.run = run
        self.poll_s = poll_s
        self.log = log
        self.api = drafter.client._openai.with_options(max_retries=3)
        self.ledger = RunLedger(
            store, run, drafter.identity(), use_cache=False, drafter_label="llm-batch"
        )

    def open(self) -> None:
        """Create the run (drafter `llm-batch`) or check an existing one's identity."""
        self.ledger.open()

    async def draft(
        self, *, retry_failed: bool = False, limit: int | None = None, wait: bool = True
    ) -> BatchReport:
        """The whole pass: submit what is pending (unless batches are still open), collect, and
        finish the run once every batch is in and nothing is left."""
        self.open()
        submitted = 0
        if not self.store.batches.of_run(self.run):
            submitted = await self.submit(retry_failed=retry_failed, limit=limit)
            self.log(f"{submitted} request(s) submitted")
        report = await self.collect(wait=wait)
        report.submitted = submitted
        if not report.open_batches and not self.store.runs.pending(self.run):
            self.store.runs.finish(self.run)
        return report

    async def submit(self, retry_failed: bool = False, limit: int | None = None) -> int:
        """Submit pending clips not already in an open batch; return how many."""
        in_flight = {cid for b in self.store.batches.of_run(self.run) for cid in b.clip_ids}
        pending = [c for c in self.ledger.pending(retry_failed=retry_failed) if c not in in_flight]
        if limit is not None:
            pending = pending[:limit]
        extra = structured_kwargs(self.drafter.settings.mode)
        s = self.drafter.settings
        lines: list[str] = []
        context: dict[str, Any] = {}
        for clip, caption in self.store.clips.with_captions(pending):
            try:
                frames = await asyncio.to_thread(
                    self.drafter.sample, clip.video, clip.start_s, clip.end_s
                )
                telemetry = clip.telemetry
            except RecapError as e:
                self.ledger.record_error(clip.id, e)
                continue
            body = {
                "model": self.drafter.client.model,
                "messages": self.drafter.messages(caption, frames, telemetry),
                "temperature": s.temperature,
                "max_tokens": s.max_tokens,
                **extra,
            }
            lines.append(
                json.dumps(
                    {
                        "custom_id": clip.id,
                        "method": "POST",
                        "url": "/v1/chat/completions",
                        "body": body,
                    }
                )
            )
            context[clip.id] = {"caption": caption, "duration": frames.duration}
        for start in range(0, len(lines), MAX_REQUESTS):
            chunk = lines[start : start + MAX_REQUESTS]
            ids = [json.loads(line)["custom_id"] for line in chunk]
            try:
                upload = await self.api.files.create(
                    file=(f"recap-{self.run}.jsonl", "\n".join(chunk).encode()), purpose="batch"
                )
                batch = await self.api.batches.create(
                    input_file_id=upload.id,
                    endpoint="/v1/chat/completions",
                    completion_window="24h",
                    metadata={"recap_run": self.run[:512]},
                )
            except openai.APIError as e:
                raise EndpointError(
                    f"Could not submit the batch: {e}",
                    hint="Check that the endpoint offers /files and /batches "
                    "(OpenAI does; most local servers do not).",
                ) from None
            self.store.batches.save(
                Batch(
                    id=batch.id,
                    run=self.run,
                    status=batch.status,
                    input_file_id=upload.id,
                    clip_ids=ids,
                    context={k: context[k] for k in ids},
                )
            )
            self.log(f"submitted batch {batch.id} with {len(ids)} requests")
        return len(lines)

    async def collect(self, wait: bool = True) -> BatchReport:
        """Poll open batches; ingest the finished ones. With wait, until none is open."""
        report = BatchReport(statuses={})
        while True:
            open_batches = self.store.batches.of_run(self.run)
            for b in open_batches:
                info = await self.api.batches.retrieve(b.id)
                b.status, b.updated_at = info.status, now()
                b.output_file_id, b.error_file_id = info.output_file_id, info.error_file_id
                assert report.statuses is not None
                report.statuses[b.id] = info.status
                if info.status in DONE:
                    drafted, failed = await self._ingest(b)
                    report.drafted += drafted
                    report.failed += failed
                    b.ingested = True
                self.store.batches.save(b)
            report.open_batches = len(self.store.batches.of_run(self.run))
            if not wait or report.open_batches == 0:
                return report
            self.log(
                f"{report.open_batches} batch(es) still running; next check in {self.poll_s:.0f} s"
            )
            await asyncio.sleep(self.poll_s)

    async def _ingest(self, b: Batch) -> tuple[int, int]:
        seen: set[str] = set()
        drafted = failed = 0
        price = self.drafter.settings.price
        ledger = self.ledger
        for file_id in (b.output_file_id, b.error_file_id):
            if not file_id:
                continue
            text = (await self.api.files.content(file_id)).text
            for line in filter(None, (x.strip() for x in text.splitlines())):
                item = json.loads(line)
                clip_id = item["custom_id"]
                seen.add(clip_id)
                ctx = (b.context or {}).get(clip_id, {})
                response = item.get("response") or {}
                if item.get("error") or response.get("status_code", 200) != 200:
                    detail = item.get("error") or response.get("body")
                    ledger.record_failure(clip_id, "endpoint", f"batch request failed: {detail}")
                    failed += 1
                    continue
                body = response["body"]
                try:
                    draft = Draft.model_validate_json(_arguments(body), context=ctx)
                except ValidationError as e:
                    ledger.record_failure(
                        clip_id, "invalid_output", f"batch output failed validation: {e}", 1
                    )
                    failed += 1
                    continue
                u = body.get("usage") or {}
                usage = Usage(
                    prompt_tokens=u.get("prompt_tokens", 0),
                    completion_tokens=u.get("completion_tokens", 0),
                    total_tokens=u.get("total_tokens", 0),
                    cached_tokens=(u.get("prompt_tokens_details") or {}).get("cached_tokens", 0),
                )
                result = DraftResult(
                    clip=clip_id,
                    caption=ctx.get("caption", ""),
                    draft=draft,
                    model=body.get("model"),
                    prompt=self.drafter.prompt.ref,
                    usage=usage,
                    cost_usd=usage.cost(price, BATCH_DISCOUNT),
                    raw_response=json.dumps(body),
                    settings={"batch": b.id},
                )
                if ledger.record(result):
                    drafted += 1
        for clip_id in set(b.clip_ids) - seen:
            ledger.record_failure(
                clip_id, "endpoint", f"batch {b.id} ended {b.status} without a result"
            )
            failed += 1
        return drafted, failed
