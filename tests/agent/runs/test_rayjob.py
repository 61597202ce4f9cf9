"""The Ray engine on a local 2-CPU Ray: same store, same results, no duplicates."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

import pytest

from agent.data import ingest
from agent.drafting import make_drafter
from agent.runs import Job, JobOptions, JobStats
from agent.settings import Settings
from agent.store import Store
from tests.agent.runs.test_jobs import job_settings, make_dataset
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'recap-agent[ray]'")

NICENESS = "RAY_worker_niceness"  # Ray's setting, spelled as Ray reads it


@pytest.fixture(scope="module")
def local_ray():
    # Ray starts its workers at nice 15: on a machine busy at normal priority they get almost no
    # CPU and these tests crawl (seen: 15 minutes under two busy loops). Run them at nice 0.
    before = os.environ.get(NICENESS)
    os.environ[NICENESS] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()
    if before is None:
        os.environ.pop(NICENESS, None)
    else:
        os.environ[NICENESS] = before


def run_ray_job(
    store: Store, settings: Settings, options: JobOptions, **engine: object
) -> JobStats:
    from agent.runs import RayEngine

    async def go() -> JobStats:
        drafter = make_drafter("llm", settings)
        try:
            ray_engine = RayEngine(drafter, **engine)  # type: ignore[arg-type]
            return await Job(store, drafter, options, engine=ray_engine).run()
        finally:
            await drafter.aclose()

    return asyncio.run(go())


@pytest.mark.slow
def test_ray_engine_drafts_into_the_same_store(tmp_path: Path, local_ray) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 24, bad=2))
    with FakeOpenAI(expect_key=TEST_KEY, latency=(0.05, 0.1)) as fake:
        stats = run_ray_job(
            store,
            job_settings(fake),
            JobOptions(run="ray", concurrency=8),
            workers=2,
            rpm=6000,
            chunk_size=10,  # three chunks of leases and Ray Data pipelines
        )
        sent = Counter(str(r["messages"][-1]["content"][-1]) for r in fake.requests)
        # second pass: nothing left, nothing sent
        again = run_ray_job(store, job_settings(fake), JobOptions(run="ray"), workers=2)
        assert len(fake.requests) == 24
    assert (stats.drafted, stats.failed, again.total) == (24, 2, 0)
    assert max(sent.values()) == 1
    drafts = Counter(d.clip_id for d in store.runs.drafts("ray"))
    assert len(drafts) == 24 and max(drafts.values()) == 1
    assert {e.kind for e in store.runs.errors("ray")} == {"video"}
    assert store.runs.get("ray").finished_at is not None


@pytest.mark.slow
def test_ray_engine_records_through_the_ledger(tmp_path: Path, local_ray) -> None:
    from agent.runs import RayEngine
    from tests.agent.runs.test_engines import check_everything_went_through_the_ledger, drive

    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 6, bad=1))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        drafter = make_drafter("llm", job_settings(fake))
        ledger = drive(store, drafter, RayEngine(drafter, workers=2), "ray")
    check_everything_went_through_the_ledger(store, ledger, "ray")


@pytest.mark.slow
def test_ray_engine_stops_on_a_server_that_cannot_take_images(tmp_path: Path, local_ray) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 12))
    with FakeOpenAI(expect_key=TEST_KEY, personality="llamacpp_no_mmproj") as fake:
        stats = run_ray_job(store, job_settings(fake), JobOptions(run="ray"), workers=2)
        assert len(fake.requests) <= 2  # each actor's first request; the rest wait and stop
    assert stats.fatal and "--mmproj" in stats.fatal
    assert store.runs.errors("ray") == [] and len(store.runs.pending("ray")) == 12


@pytest.mark.slow
def test_ray_engine_draws_k_samples_per_clip(tmp_path: Path, local_ray) -> None:
    """`--samples K` on Ray: each actor rebuilds the sampled drafter from the settings (which
    carry K), sends K requests per clip, and the driver keeps the majority draft with all K."""
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 6))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        settings = job_settings(fake, samples=3, temperature=0.7)
        stats = run_ray_job(store, settings, JobOptions(run="ray-k3"), workers=2)
        assert len(fake.requests) == 6 * 3
    assert (stats.drafted, stats.cached, stats.requests) == (6, 0, 18)
    records = store.runs.drafts("ray-k3")
    samples = store.runs.samples([r.id for r in records])
    assert len(records) == 6 and all(len(samples[r.id]) == 3 for r in records)
    assert store.runs.get("ray-k3").settings["samples"] == 3
