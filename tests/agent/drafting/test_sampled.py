"""`recap draft --samples K` through the real job, client and HTTP against the fake server: K
requests per clip, none from the response cache, the majority draft kept, all K stored, the
agreement in the draft's confidence, K in the run identity (a policy calibrated on K = 3 does
not hold for a K = 1 run), failed samples handled like failed drafts, and refusals."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.data import ingest
from agent.drafting import SampledDrafter, make_drafter
from agent.errors import ConfigError, RecapError
from agent.routing import apply_policy, calibrate_run, score_drafts
from agent.routing._loop import policy_for
from agent.runs import Job, JobOptions, JobStats, OpenAIBatchEngine, run_name_for
from agent.settings import Settings
from agent.store import Store, run_identity
from recap.main import app
from tests.agent.runs.test_jobs import job_settings, make_dataset
from tests.fake_openai import FakeOpenAI, NoisyResponder, Reply, has_caption

K = 3


def drafted(store: Store, settings: Settings, run: str, concurrency: int = 4) -> JobStats:
    """Run one drafting job over the store's clips with the model drafter `settings` make."""

    async def go() -> JobStats:
        drafter = make_drafter("llm", settings)
        try:
            return await Job(store, drafter, JobOptions(run=run, concurrency=concurrency)).run()
        finally:
            await drafter.aclose()

    return asyncio.run(go())


def chat_requests(fake: FakeOpenAI) -> int:
    return sum(has_caption(r) for r in fake.requests)


def test_k_samples_per_clip_majority_kept_and_agreement_scored(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", 8))
    model = NoisyResponder(p=0.4, seed=3)
    with FakeOpenAI(model) as fake:
        sampled = job_settings(fake, samples=K, temperature=0.7, price_input=1.0, price_output=4.0)
        stats = drafted(store, sampled, "k3")
        assert chat_requests(fake) == 8 * K  # K requests per clip
        assert stats.drafted == 8 and stats.cached == 0 and stats.requests == 8 * K

        # the same identity again: K fresh requests per clip, nothing served from the cache
        again = drafted(store, sampled, "k3-again")
        assert chat_requests(fake) == 2 * 8 * K
        assert again.cached == 0 and again.drafted == 8

        # while one sample per clip is served from the cache the second time
        single = job_settings(fake, temperature=0.7)
        drafted(store, single, "k1")
        before = chat_requests(fake)
        assert drafted(store, single, "k1-again").cached == 8
        assert chat_requests(fake) == before

    records = store.runs.drafts("k3")
    samples = store.runs.samples([r.id for r in records])
    # usage counts all K requests: the same request K times is K times its prompt tokens
    single_tokens = {r.clip_id: r.prompt_tokens for r in store.runs.drafts("k1")}
    assert all(r.prompt_tokens == K * single_tokens[r.clip_id] > 0 for r in records)
    assert all(r.image_tokens == K * store.runs.draft("k1", r.clip_id).image_tokens
               for r in records)  # fmt: skip
    for r in records:  # and the cost is the price of all K requests' tokens
        assert r.cost_usd == pytest.approx((r.prompt_tokens + 4 * r.completion_tokens) / 1e6)
    given = model.given
    outcomes: Counter[str] = Counter()
    for r in records:
        assert not r.from_cache
        assert r.attempts == K
        drawn = samples[r.id]
        assert len(drawn) == K and all(s.draft is not None for s in drawn)
        # what the fake answered this caption in the first run (its first K answers)
        answers = given[r.caption][:K]
        majority, _ = Counter(answers).most_common(1)[0]
        outcomes[majority] += 1
        kept_wrong = bool(r.draft.hallucinations)
        assert kept_wrong == (majority == "wrong")
        assert sorted(bool(s.draft and s.draft.hallucinations) for s in drawn) == sorted(
            a == "wrong" for a in answers
        )
    assert outcomes["wrong"] > 0 and outcomes["right"] > 0  # both majorities occur here

    # the kept draft's confidence carries the agreement over the K samples
    scores = score_drafts(store, records)
    for r in records:
        parts = scores[r.id].parts
        share = Counter(given[r.caption][:K]).most_common(1)[0][1] / K
        assert parts.samples == K and parts.agreement == pytest.approx(share)
    assert {round(scores[r.id].parts.agreement or 0, 3) for r in records} >= {1.0, 0.667}

    # K is part of the run identity: recorded with the run, and it changes the identity hash
    k3, k1 = store.runs.get("k3"), store.runs.get("k1")
    assert k3 is not None and k1 is not None
    assert k3.settings["samples"] == K and "samples" not in k1.settings
    assert k3.settings["temperature"] == 0.7
    assert run_identity(k3) != run_identity(k1)
    assert run_identity(k3) == run_identity(store.runs.get("k3-again"))

    # a policy calibrated on the K = 3 run holds for another K = 3 run and not for a K = 1 run
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": r.clip_id, "gold_caption": r.caption}) + "\n"
                            for r in records))  # fmt: skip
    calibrated = calibrate_run(store, "k3", alpha=0.5, delta=0.5, gold=gold, min_n=1)
    assert policy_for(store, "k3-again").id == calibrated.row.id
    with pytest.raises(RecapError, match="does not hold"):
        apply_policy(store, "k1", policy_id=calibrated.row.id)
    with pytest.raises(RecapError, match="No routing policy holds for run 'k1'"):
        policy_for(store, "k1")
    assert store.routing.acceptances("k1") == {}


def test_failed_samples_are_kept_and_a_clip_whose_samples_all_fail_is_an_error(
    db_url: str, tmp_path: Path
) -> None:
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", 1))
    with FakeOpenAI() as fake:
        settings = job_settings(fake, samples=K, temperature=0.7)
        fake.enqueue(Reply.error(400, "bad request"))  # one of the three samples is refused
        stats = drafted(store, settings, "one-fails")
        assert stats.drafted == 1 and stats.failed == 0 and stats.requests == K
        fake.enqueue(*[Reply.error(400, "bad request")] * K)  # every sample refused
        stats = drafted(store, settings, "all-fail")
        assert chat_requests(fake) == 2 * K

    (record,) = store.runs.drafts("one-fails")
    drawn = store.runs.samples([record.id])[record.id]
    assert [s.draft is None for s in drawn].count(True) == 1
    assert "bad request" in next(s.error for s in drawn if s.error)
    parts = score_drafts(store, [record])[record.id].parts
    assert parts.samples == K and parts.agreement == pytest.approx(2 / K)
    assert any("1 of 3 samples failed" in n for n in parts.notes)

    # all K failed: an error row for the clip, no draft, no crash
    assert stats.failed == 1 and stats.drafted == 0
    assert store.runs.drafts("all-fail") == []
    (error,) = store.runs.errors("all-fail")
    assert error.kind == "rejected" and "bad request" in error.message


def test_sampling_is_refused_where_it_cannot_mean_anything(db_url: str, tmp_path: Path) -> None:
    base = {"base_url": "http://127.0.0.1:9/v1", "api_key": "sk-x", "model": "m"}
    with pytest.raises(ConfigError, match="temperature 0"):
        make_drafter("llm", Settings(**base, samples=K))
    with pytest.raises(ConfigError, match="needs the model drafter"):
        make_drafter("offline", Settings(samples=K))
    drafter = make_drafter("llm", Settings(**base, samples=K, temperature=0.7))
    assert isinstance(drafter, SampledDrafter)
    assert drafter.identity().output["samples"] == K
    with pytest.raises(RecapError, match="cannot draft 3 samples per clip"):
        OpenAIBatchEngine(drafter)
    one = make_drafter("llm", Settings(**base))
    assert "samples" not in one.identity().output  # identities made before sampling: unchanged

    # an existing run is not continued with another K; a default name says K
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", 2))
    identity = one.identity()
    assert run_name_for(store, identity) == "m-review-v1"
    assert run_name_for(store, drafter.identity()) == "m-review-v1-k3"
    store.runs.ensure("r", drafter="llm", model="m", prompt_name=identity.prompt_name,
                      prompt_hash=identity.prompt_hash, settings=identity.recorded())  # fmt: skip
    with pytest.raises(RecapError, match="samples per clip 1 \\(now 3\\)"):
        other = drafter.identity()
        store.runs.ensure("r", drafter="llm", model="m", prompt_name=other.prompt_name,
                          prompt_hash=other.prompt_hash, settings=other.recorded())  # fmt: skip

    # the command line says so before anything is sent
    runner = CliRunner()
    env = {"RECAP_DB": db_url, "OPENAI_BASE_URL": base["base_url"], "OPENAI_API_KEY": "sk-x",
           "RECAP_MODEL": "m", "COLUMNS": "200"}  # fmt: skip
    said = runner.invoke(app, ["draft", "--samples", "3"], env=env)
    assert said.exit_code != 0 and "temperature 0" in said.output
    said = runner.invoke(app, ["draft", "--samples", "3", "--temperature", "0.7", "--batch"],
                         env=env)  # fmt: skip
    assert said.exit_code != 0 and "cannot draft 3 samples per clip" in said.output
