"""The Ray engine on a local 2-CPU Ray: same store, same results, no duplicates."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agent.data import ingest
from agent.runs import JobOptions
from agent.store import Store
from tests.agent.runs.test_jobs import job_settings, make_dataset
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'recap-agent[ray]'")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_engine_drafts_into_the_same_store(tmp_path: Path, local_ray) -> None:
    from agent.runs import run_ray_job

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
