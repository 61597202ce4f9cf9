"""Bulk jobs against the fake server: faults, restarts, kill -9, two processes, cache."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.data import ingest
from agent.drafting import ModelDrafter, RateLimiter
from agent.runs import Job, JobOptions, JobStats
from agent.settings import Settings
from agent.store import DraftRecord, Lease, Store
from tests.clips import make_clip
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, Reply


def make_dataset(root: Path, n: int, *, bad: int = 0) -> Path:
    """n rows sharing one small clip (captions differ), plus `bad` rows with broken videos."""
    root.mkdir(parents=True, exist_ok=True)
    make_clip(root / "clip.mp4", seconds=1, fps=10)
    (root / "broken.mp4").write_text("not a video")
    rows = [
        {"id": f"c{i:04d}", "video": "clip.mp4", "caption": f"The robot pushes block {i}."}
        for i in range(n)
    ]
    rows += [
        {"id": f"bad{i}", "video": "broken.mp4", "caption": "The robot waves."} for i in range(bad)
    ]
    path = root / "manifest.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def job_settings(fake: FakeOpenAI, **kw) -> Settings:
    values = {
        "base_url": fake.url,
        "api_key": TEST_KEY,
        "model": "fake-vlm",
        "retry_max_wait_s": 0.05,
        "timeout_s": 2.0,
        "frames": 2,
        **kw,
    }
    return Settings(**values)


def run_job(store: Store, settings: Settings, run: str = "r", **opts) -> JobStats:
    async def go() -> JobStats:
        drafter = ModelDrafter(settings, limiter=RateLimiter(rpm=opts.pop("rpm", None)))
        try:
            return await Job(store, drafter, JobOptions(run=run, **opts)).run()
        finally:
            await drafter.aclose()

    return asyncio.run(go())


def drafts_per_clip(store: Store, run: str) -> Counter[str]:
    with store.session() as s:
        rows = s.execute(select(DraftRecord.clip_id).where(DraftRecord.run == run)).scalars()
        return Counter(rows)


def test_faulty_endpoint_every_clip_ends_drafted_or_errored(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 300, bad=3))
    with FakeOpenAI(expect_key=TEST_KEY, fault_rate=0.1, fault_delay=3.0, seed=7) as fake:
        stats = run_job(store, job_settings(fake, max_retries=4), concurrency=24)
        injected = fake.stats["injected"]
    counts = drafts_per_clip(store, "r")
    errors = {e.clip_id: e for e in store.runs.errors("r")}
    assert injected >= 20  # the faults really happened
    assert max(counts.values()) == 1  # none duplicated
    assert set(counts) | set(errors) == {c.id for c, _ in store.clips.with_captions()}
    assert set(counts).isdisjoint(errors)
    assert {e.kind for k, e in errors.items() if k.startswith("bad")} == {"video"}
    assert stats.drafted == len(counts) and stats.failed == len(errors)
    assert stats.retries > 0
    assert store.runs.get("r").finished_at is not None
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Lease)) == 0


def test_retry_failed_drafts_what_failed_before(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 5))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.enqueue(*[Reply.error(500)] * 2)  # first clip exhausts its one retry
        first = run_job(store, job_settings(fake, max_retries=1), concurrency=1)
        assert (first.drafted, first.failed) == (4, 1)
        assert store.runs.errors("r")[0].kind == "endpoint"
        again = run_job(store, job_settings(fake, max_retries=1), concurrency=1)
        assert again.total == 0  # failed clips wait for --retry-failed
        retried = run_job(store, job_settings(fake, max_retries=1), retry_failed=True)
    assert retried.drafted == 1 and store.runs.errors("r") == []


def test_refused_key_stops_the_job_without_blaming_clips(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 20))
    with FakeOpenAI(expect_key="sk-the-real-key-1234567") as fake:
        stats = run_job(store, job_settings(fake), concurrency=2)
        assert len(fake.requests) <= 3
    assert stats.fatal and "refused the API key" in stats.fatal
    assert store.runs.errors("r") == [] and store.runs.pending("r") == store.runs.pending(
        "r", retry_failed=True
    )
    assert len(store.runs.pending("r")) == 20


def test_unchanged_job_is_free_from_the_cache(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 10))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        run_job(store, job_settings(fake), run="a")
        assert len(fake.requests) == 10
        second = run_job(store, job_settings(fake), run="b")
        assert len(fake.requests) == 10  # nothing sent
        assert (second.cached, second.drafted) == (10, 0)
        third = run_job(store, job_settings(fake, frames=3), run="c")  # other pictures
        assert third.drafted == 10 and len(fake.requests) == 20
    rows = {d.clip_id: d for d in store.runs.drafts("b")}
    assert all(r.from_cache and r.cost_usd == 0.0 for r in rows.values())


def test_settings_in_the_run_never_hold_the_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 2))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        run_job(store, job_settings(fake))
    dump = (tmp_path / "r.db").read_bytes()
    assert TEST_KEY.encode() not in dump


# --- processes: kill -9, Ctrl-C, two at once --------------------------------------------------


def recap(args: list[str], fake: FakeOpenAI, db: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RECAP_"))}
    env |= {
        "OPENAI_BASE_URL": fake.url,
        "OPENAI_API_KEY": TEST_KEY,
        "RECAP_MODEL": "fake-vlm",
        "RECAP_DB": str(db),
        "RECAP_FRAMES": "2",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "recap", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_mid_job(fake: FakeOpenAI, answered: int, workers: int) -> None:
    """Return once the server (held with `fake.hold(after=answered)`) has answered `answered`
    requests and every one of the job's `workers` waits on a held one. Each worker records its
    draft before it asks for its next clip, so by then exactly `answered` drafts are committed
    and the job cannot finish: it is provably mid-run, however slow the machine."""
    fake.wait_until(lambda f: f.answered >= answered and f.held >= workers)


@pytest.mark.slow
def test_kill_9_mid_job_then_resume_finishes_without_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    store = Store(db)
    ingest(store, make_dataset(tmp_path / "ds", 40))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.hold(after=8)
        proc = recap(["draft", "--run", "r", "-j", "4"], fake, db)
        wait_mid_job(fake, answered=8, workers=4)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=300)
        assert sum(drafts_per_clip(store, "r").values()) == 8
        fake.release()  # the killed process's requests were in flight: they are lost
        resumed = recap(["draft", "--run", "r", "-j", "4"], fake, db)
        _, errout = resumed.communicate(timeout=600)
        assert resumed.returncode == 0, errout
        requests = len(fake.requests)
    counts = drafts_per_clip(store, "r")
    assert len(counts) == 40 and max(counts.values()) == 1
    assert requests == 40 + 4  # exactly the requests in flight were lost
    assert store.runs.errors("r") == []


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    store = Store(db)
    ingest(store, make_dataset(tmp_path / "ds", 30))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.hold(after=5)
        proc = recap(["draft", "--run", "r", "-j", "3"], fake, db)
        wait_mid_job(fake, answered=5, workers=3)
        proc.send_signal(signal.SIGINT)
        _, errout = proc.communicate(timeout=300)
        assert proc.returncode == 130, errout
        assert "Run the same command again to resume" in errout
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(Lease)) == 0
        assert sum(drafts_per_clip(store, "r").values()) == 5
        assert store.runs.errors("r") == []  # interrupted clips are not failures
        fake.release()
        again = recap(["draft", "--run", "r", "-j", "3"], fake, db)
        _, errout = again.communicate(timeout=600)
        assert again.returncode == 0, errout
    assert len(drafts_per_clip(store, "r")) == 30


@pytest.mark.slow
def test_two_processes_on_one_run_never_draft_a_clip_twice(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    store = Store(db)
    ingest(store, make_dataset(tmp_path / "ds", 40))
    with FakeOpenAI(expect_key=TEST_KEY, latency=(0.05, 0.15)) as fake:
        procs = [recap(["draft", "--run", "r", "-j", "4"], fake, db) for _ in range(2)]
        for p in procs:
            _, errout = p.communicate(timeout=600)
            assert p.returncode == 0, errout
        captions = Counter(json.dumps(r["messages"][-1]["content"][-1]) for r in fake.requests)
    counts = drafts_per_clip(store, "r")
    assert len(counts) == 40 and max(counts.values()) == 1
    assert len(captions) == 40 and max(captions.values()) == 1  # each clip sent once, in all
