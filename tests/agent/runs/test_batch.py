"""Batch API mode against the fake server's /files and /batches."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from agent.data import ingest
from agent.drafting import Drafter
from agent.runs._openai_batch import BatchRunner, structured_kwargs
from agent.settings import Settings
from agent.store import Store
from tests.agent.runs.test_jobs import make_dataset
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, caption_of


def runner_for(store: Store, fake: FakeOpenAI, **kw) -> BatchRunner:
    settings = Settings(base_url=fake.url, api_key=TEST_KEY, model="gpt-4o-mini", frames=2, **kw)
    return BatchRunner(store, Drafter(settings), "b", poll_s=0.01)


def go(runner: BatchRunner, *, wait: bool = True, submit: bool = True):
    async def inner():
        try:
            runner.store.runs.ensure(
                "b",
                drafter="llm-batch",
                model="gpt-4o-mini",
                prompt_name="p",
                prompt_hash="h",
                settings={},
            )
            n = await runner.submit() if submit else 0
            return n, await runner.collect(wait=wait)
        finally:
            await runner.drafter.aclose()

    return asyncio.run(inner())


def test_batch_round_trip_drafts_everything_at_half_price(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 12))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_polls = 2
        n, report = go(runner_for(store, fake))
        assert n == 12 and report.drafted == 12 and report.open_batches == 0
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
        _, report = go(runner_for(store, fake))
    assert (report.drafted, report.failed) == (4, 2)
    kinds = {e.clip_id: e.kind for e in store.runs.errors("b")}
    assert kinds == {"c0001": "endpoint", "c0002": "invalid_output"}


def test_no_wait_then_collect_later_without_resubmitting(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 4))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_polls = 3
        n, first = go(runner_for(store, fake), wait=False)
        assert n == 4 and first.open_batches == 1 and first.drafted == 0
        _, second = go(runner_for(store, fake), submit=False)
        assert second.drafted == 4 and len(fake.batches) == 1


def test_json_schema_mode_and_unsupported_modes() -> None:
    assert structured_kwargs("json_schema")["response_format"]["type"] == "json_schema"
    import pytest

    from agent.errors import ConfigError

    with pytest.raises(ConfigError, match="tools or json_schema"):
        structured_kwargs("md_json")
