"""The engine seam: every engine records through the run's ledger and never finishes a run
itself; only the ledger finishes runs and only the drafting factory builds a DraftResult."""

from __future__ import annotations

import ast
import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agent.data import ingest
from agent.drafting import Drafter, make_drafter
from agent.runs import Engine, JobOptions, LocalEngine, OpenAIBatchEngine, RunLedger
from agent.settings import Settings
from agent.store import Clip, Store
from tests.agent.runs.test_jobs import job_settings, make_dataset
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, caption_of

ROOT = Path(__file__).resolve().parents[3]


class SpyLedger(RunLedger):
    """A real ledger that counts what engines hand it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: Counter[str] = Counter()

    def record(self, *args: Any, **kwargs: Any) -> bool:
        self.calls["record"] += 1
        return super().record(*args, **kwargs)

    def record_error(self, *args: Any, **kwargs: Any) -> None:
        self.calls["error"] += 1
        super().record_error(*args, **kwargs)

    def record_failure(self, *args: Any, **kwargs: Any) -> None:
        self.calls["error"] += 1
        super().record_failure(*args, **kwargs)

    def close(self) -> None:
        self.calls["close"] += 1
        super().close()


def drive(store: Store, drafter: Drafter, engine: Engine, run: str) -> SpyLedger:
    """Run one engine over a ledger opened by hand, with finishing a run forbidden while the
    engine works; then close the ledger, which is what finishes a run."""
    ledger = SpyLedger(
        store,
        run,
        drafter.identity(),
        use_cache=engine.uses_cache,
        drafter_label=engine.run_drafter,
    )
    ledger.open()
    finish = store.runs.finish

    def refuse(name: str) -> None:
        raise AssertionError(f"an engine finished run {name!r} by itself")

    store.runs.finish = refuse  # type: ignore[method-assign]
    try:
        asyncio.run(_draft(drafter, engine, ledger, JobOptions(run=run, concurrency=4)))
    finally:
        store.runs.finish = finish  # type: ignore[method-assign]
    assert store.runs.get(run).finished_at is None and ledger.calls["close"] == 0
    ledger.close()
    return ledger


async def _draft(drafter: Drafter, engine: Engine, ledger: RunLedger, options: JobOptions) -> None:
    try:
        await engine.draft(ledger, options, lambda: None)
    finally:
        await drafter.aclose()


def check_everything_went_through_the_ledger(store: Store, ledger: SpyLedger, run: str) -> None:
    drafts, errors = store.runs.drafts(run), store.runs.errors(run)
    assert drafts and errors  # both paths were taken
    assert ledger.calls["record"] == len(drafts) == ledger.stats.drafted
    assert ledger.calls["error"] == len(errors) == ledger.stats.failed
    assert store.runs.pending(run) == [] and store.runs.get(run).finished_at is not None


@pytest.mark.parametrize("kind", ["llm", "offline"])
def test_local_engine_records_through_the_ledger(tmp_path: Path, kind: str) -> None:
    store = Store(tmp_path / "r.db")
    manifest = make_dataset(tmp_path / "ds", 6, bad=1)  # a broken video fails the model drafter
    ingest(store, manifest)
    video = str(manifest.parent / "clip.mp4")
    store.clips.upsert(  # a blank caption (ingest refuses one) fails either drafter
        Clip(
            id="blank",
            video=video,
            root=str(manifest.parent),
            source="test",
            content_hash="blank",
        ),
        "   ",
    )
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        drafter = make_drafter(kind, job_settings(fake))
        ledger = drive(store, drafter, LocalEngine(drafter), "local")
    check_everything_went_through_the_ledger(store, ledger, "local")


def test_batch_engine_records_through_the_ledger(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    ingest(store, make_dataset(tmp_path / "ds", 5, bad=1))
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_line_error = lambda body: caption_of(body).endswith("block 1.")
        drafter = make_drafter("llm", job_settings(fake, model="gpt-4o-mini"))
        ledger = drive(store, drafter, OpenAIBatchEngine(drafter, poll_s=0.01), "batch")
    check_everything_went_through_the_ledger(store, ledger, "batch")
    assert {e.clip_id: e.kind for e in store.runs.errors("batch")} == {
        "bad0": "video",
        "c0001": "endpoint",
    }


def test_engines_that_cannot_use_a_drafter_refuse_it() -> None:
    from agent.errors import RecapError
    from agent.runs import RayEngine

    offline = make_drafter("offline", Settings())
    with pytest.raises(RecapError, match="cannot use the Batch API"):
        OpenAIBatchEngine(offline)
    with pytest.raises(RecapError, match="cannot run on Ray"):
        RayEngine(offline)


def calls_in(path: Path) -> set[str]:
    """Names called anywhere in a module, e.g. `DraftResult(...)`, and the last two parts of
    attribute calls, e.g. `store.runs.finish(...)` as `runs.finish`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                names.add(f.id)
            elif isinstance(f, ast.Attribute):
                owner = f.value
                owner_name = getattr(owner, "attr", getattr(owner, "id", ""))
                names.add(f"{owner_name}.{f.attr}")
                names.add(f.attr)
    return names


def test_only_the_ledger_finishes_runs_and_only_the_factory_builds_results() -> None:
    library = sorted((ROOT / "agent").rglob("*.py"))
    finishers = [p.relative_to(ROOT).as_posix() for p in library if "runs.finish" in calls_in(p)]
    builders = [p.relative_to(ROOT).as_posix() for p in library if "DraftResult" in calls_in(p)]
    assert finishers == ["agent/runs/_ledger.py"]
    assert builders == ["agent/drafting/_result.py"]
