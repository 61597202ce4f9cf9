"""The OpenAI Batch engine against the fake server's /files and /batches."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import select

from agent.data import ingest
from agent.drafting import ModelDrafter
from agent.drafting._client import structured_fields
from agent.runs import Job, JobOptions, JobStats, OpenAIBatchEngine, RunLedger
from agent.runs._openai_batch import BatchReport, batch_owner
from agent.schema import Draft
from agent.settings import Settings
from agent.store import Lease, Store
from tests.agent.runs.test_jobs import make_dataset
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, caption_of


def drafter_for(fake: FakeOpenAI, **kw) -> ModelDrafter:
    settings = Settings(base_url=fake.url, api_key=TEST_KEY, model="gpt-4o-mini", frames=2, **kw)
    return ModelDrafter(settings)


def go(
    store: Store, fake: FakeOpenAI, *, wait: bool = True, submit: bool = True, **kw
) -> tuple[int, BatchReport, JobStats]:
    """Submit (or not) and collect through a ledger on run "b"; the run is opened by hand,
    so nothing here but the engine acts on it."""
    drafter = drafter_for(fake, **kw)
    engine = OpenAIBatchEngine(drafter, poll_s=0.01)
    ledger = RunLedger(store, "b", drafter.identity(), use_cache=False, drafter_label="llm-batch")

    async def inner() -> tuple[int, BatchReport]:
        try:
            ledger.open()
            n = await engine.submit(ledger) if submit else 0
            return n, await engine.collect(ledger, wait=wait)
        finally:
            await drafter.aclose()

    n, report = asyncio.run(inner())
    return n, report, ledger.stats


def test_batch_round_trip_drafts_everything_at_half_price(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 12))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_polls = 2
        n, report, stats = go(store, fake)
        assert n == 12 and stats.drafted == 12 and report.open_batches == 0
        assert len(fake.batches) == 1 and not any(r.get("messages") for r in fake.requests)
        uploaded = next(iter(fake.files.values())).decode().splitlines()
        body = json.loads(uploaded[0])["body"]
        assert body["tool_choice"]["function"]["name"] == "Draft" and body["model"] == "gpt-4o-mini"
    drafts = store.runs.drafts("b")
    assert len(drafts) == 12 and all(d.cost_usd and d.cost_usd > 0 for d in drafts)
    online = drafts[0].prompt_tokens * 0.15e-6 + drafts[0].completion_tokens * 0.60e-6
    assert abs(drafts[0].cost_usd - online / 2) < 1e-12


def test_failed_lines_and_invalid_output_become_errors(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 6))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_line_error = lambda body: caption_of(body).endswith("block 1.")

        def responder(body):
            caption = caption_of(body)
            if caption.endswith("block 2."):  # claims accurate with a finding: invalid
                return {
                    "hallucinations": [{"span": "block", "type": "object", "explanation": "x"}],
                    "omissions": [],
                    "rewrite": caption,
                    "verdict": "accurate",
                }
            return {
                "hallucinations": [],
                "omissions": [],
                "rewrite": caption,
                "verdict": "accurate",
            }

        fake.responder = responder
        _, _, stats = go(store, fake)
    assert (stats.drafted, stats.failed) == (4, 2)
    kinds = {e.clip_id: e.kind for e in store.runs.errors("b")}
    assert kinds == {"c0001": "endpoint", "c0002": "invalid_output"}


def test_no_wait_then_collect_later_without_resubmitting(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 4))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_polls = 3
        n, first, first_stats = go(store, fake, wait=False)
        assert n == 4 and first.open_batches == 1 and first_stats.drafted == 0
        _, _, second = go(store, fake, submit=False)
        assert second.drafted == 4 and len(fake.batches) == 1


def test_json_schema_mode_and_unsupported_modes() -> None:
    assert structured_fields("json_schema", Draft)["response_format"]["type"] == "json_schema"
    import pytest

    from agent.errors import ConfigError

    with pytest.raises(ConfigError, match="tools or json_schema"):
        structured_fields("md_json", Draft)


def leases(store: Store) -> dict[str, str]:
    with store.session() as s:
        return {row.clip_id: row.owner for row in s.scalars(select(Lease))}


def test_submitted_clips_are_leased_to_their_batch_until_it_is_collected(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 5))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_polls = 3
        n, first, _ = go(store, fake, wait=False)
        assert n == 5 and first.open_batches == 1
        (batch_id,) = fake.batches
        held = leases(store)
        assert held == {f"c{i:04d}": batch_owner(batch_id) for i in range(5)}

        # Another worker on the run (a second submitter on another machine) gets none of them
        # while the batch is open, even though the process that submitted them has exited.
        other = RunLedger(store, "b", drafter_for(fake).identity(), owner="elsewhere:1")
        assert other.lease(sorted(held), ttl_s=60) == []
        _, _, collected = go(store, fake, submit=False)
    assert collected.drafted == 5 and leases(store) == {}


def test_the_batch_pass_through_a_job_finishes_the_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 3))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:

        async def once(wait: bool) -> tuple[JobStats, int]:
            drafter = drafter_for(fake)
            engine = OpenAIBatchEngine(drafter, poll_s=0.01, wait=wait)
            try:
                stats = await Job(store, drafter, JobOptions(run="b"), engine=engine).run()
                return stats, engine.report.open_batches
            finally:
                await drafter.aclose()

        fake.batch_polls = 5
        _, still_open = asyncio.run(once(wait=False))
        assert still_open == 1 and store.runs.get("b").finished_at is None
        second, still_open = asyncio.run(once(wait=True))
    assert still_open == 0 and second.drafted == 3
    run = store.runs.get("b")
    assert run.drafter == "llm-batch" and run.finished_at is not None
