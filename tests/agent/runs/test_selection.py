"""Every engine drafts exactly the run's clips (they all list work through the ledger's
`pending`), and a pass in which every clip failed says so with the most common reason."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.data import ingest
from agent.drafting import make_drafter
from agent.runs import Job, JobOptions, JobStats, OpenAIBatchEngine
from agent.sets import Selection, SetKind
from agent.store import Store
from recap.main import app
from tests.agent.runs.test_jobs import job_settings
from tests.clips import make_clip
from tests.conftest import TEST_KEY, recap_env
from tests.fake_openai import FakeOpenAI, caption_of

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


def manifest(root: Path, prefix: str, n: int, *, broken: int = 0) -> Path:
    """n clips `{prefix}0..` sharing one small video (captions differ), plus `broken` rows whose
    video is not a video; the folder's name is the set's."""
    root.mkdir(parents=True, exist_ok=True)
    make_clip(root / "clip.mp4", seconds=1, fps=10)
    (root / "broken.mp4").write_text("not a video")
    rows = [
        {"id": f"{prefix}{i}", "video": "clip.mp4", "caption": f"The robot pushes {prefix} {i}."}
        for i in range(n)
    ]
    rows += [
        {"id": f"{prefix}-bad{i}", "video": "broken.mp4", "caption": f"The robot waves {i}."}
        for i in range(broken)
    ]
    path = root / "manifest.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def three_sets(tmp: Path) -> Store:
    """Production sets a (3 clips) and b (2), an evaluation set gold (2)."""
    store = Store(tmp / "r.db")
    assert ingest(store, manifest(tmp / "a", "a", 3)).clip_set == "a"
    ingest(store, manifest(tmp / "b", "b", 2))
    ingest(store, manifest(tmp / "gold", "g", 2), set_kind=SetKind.EVALUATION)
    return store


def drafted_captions(fake: FakeOpenAI) -> list[str]:
    return sorted(caption_of(r) for r in fake.requests if r.get("messages"))


def job(store: Store, drafter, options: JobOptions, engine=None) -> JobStats:
    async def go() -> JobStats:
        try:
            return await Job(store, drafter, options, engine=engine).run()
        finally:
            await drafter.aclose()

    return asyncio.run(go())


def test_the_local_engine_drafts_exactly_the_selected_sets(tmp_path: Path) -> None:
    store = three_sets(tmp_path)
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        stats = job(store, make_drafter("llm", job_settings(fake)), JobOptions(run="bulk"))
        assert drafted_captions(fake) == sorted(
            [f"The robot pushes a {i}." for i in range(3)]
            + [f"The robot pushes b {i}." for i in range(2)]
        )
        fake.requests.clear()
        options = JobOptions(run="gold", selection=Selection.of_sets(["gold"]))
        job(store, make_drafter("llm", job_settings(fake)), options)
        assert drafted_captions(fake) == ["The robot pushes g 0.", "The robot pushes g 1."]
    assert stats.total == 5 and store.runs.get("bulk").finished_at is not None


def test_the_batch_engine_submits_exactly_the_selected_sets(tmp_path: Path) -> None:
    store = three_sets(tmp_path)
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        drafter = make_drafter("llm", job_settings(fake, model="gpt-4o-mini"))
        engine = OpenAIBatchEngine(drafter, poll_s=0.01)
        options = JobOptions(run="b-only", selection=Selection.of_sets(["b"]))
        stats = job(store, drafter, options, engine)
        uploaded = next(iter(fake.files.values()))  # the input file, first
    lines = [json.loads(line) for line in uploaded.decode().splitlines()]
    assert sorted(line["custom_id"] for line in lines) == ["b0", "b1"]
    assert stats.drafted == 2 and {d.clip_id for d in store.runs.drafts("b-only")} == {"b0", "b1"}


@pytest.mark.slow
def test_the_ray_engine_drafts_exactly_the_selected_ids(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="Ray is an optional extra")
    import ray

    from agent.runs import RayEngine

    store = three_sets(tmp_path)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        with FakeOpenAI(expect_key=TEST_KEY) as fake:
            drafter = make_drafter("llm", job_settings(fake))
            options = JobOptions(run="picked", selection=Selection.of_ids(["a2", "g0"], "ids"))
            stats = job(store, drafter, options, RayEngine(drafter, workers=2))
            assert drafted_captions(fake) == ["The robot pushes a 2.", "The robot pushes g 0."]
    finally:
        ray.shutdown()
    assert stats.drafted == 2 and store.runs.pending("picked") == []


def test_engines_list_work_only_through_the_ledger() -> None:
    """No engine asks the store for work itself: each calls `ledger.pending`, so each drafts
    the run's selection and nothing else."""
    for name in ("_local.py", "_ray.py", "_openai_batch.py"):
        tree = ast.parse((ROOT / "agent" / "runs" / name).read_text())
        used = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert "ledger.pending" in used, name
        assert not [u for u in used if u.endswith(("runs.pending", "with_captions"))], name


# --- a pass in which every clip failed -----------------------------------------------------


def test_a_job_where_every_clip_failed_exits_1_with_the_most_common_reason(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r.db"
    with FakeOpenAI(expect_key=TEST_KEY, fault_rate=1.0) as fake:  # every request refused
        env = recap_env(fake, db) | {"RECAP_MAX_RETRIES": "0", "COLUMNS": "200"}
        r = runner.invoke(app, ["ingest", str(manifest(tmp_path / "p", "p", 1, broken=2))], env=env)
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["draft"], env=env)
    assert r.exit_code == 1, r.output
    said = " ".join(r.stderr.split())
    assert "Nothing drafted: all 3 clip(s) failed; most often video (2 of 3): " in said
    assert "not a video" in said.split("most often video")[1]
    assert "`recap runs --errors fake-vlm-review-v1` lists every clip and why" in said
    with FakeOpenAI(expect_key=TEST_KEY) as fake:  # a healthy server: one drafts, so exit 0
        env = recap_env(fake, db) | {"COLUMNS": "200"}
        r = runner.invoke(app, ["draft", "--retry-failed"], env=env)
    assert r.exit_code == 0, r.output
    assert "2 clip(s) failed; `recap runs --errors fake-vlm-review-v1` shows why" in r.stderr
    assert Store(db).runs.totals("fake-vlm-review-v1").drafted == 1


def test_a_batch_where_every_line_failed_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.batch_line_error = lambda body: True
        env = recap_env(fake, db) | {"COLUMNS": "200"}
        runner.invoke(app, ["ingest", str(manifest(tmp_path / "p", "p", 3))], env=env)
        r = runner.invoke(app, ["draft", "--batch", "--poll-s", "0.01"], env=env)
    assert r.exit_code == 1, r.output
    assert "0 drafted, 3 failed" in " ".join(r.stdout.split())
    assert "Nothing drafted: all 3 clip(s) failed; most often endpoint (3 of 3):" in " ".join(
        r.stderr.split()
    )
    assert Store(db).runs.get("fake-vlm-review-v1-batch").drafter == "llm-batch"


@pytest.mark.slow
def test_a_ray_job_where_every_clip_failed_exits_1(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="Ray is an optional extra")
    import ray

    db = tmp_path / "r.db"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        with FakeOpenAI(expect_key=TEST_KEY, fault_rate=1.0) as fake:
            env = recap_env(fake, db) | {"RECAP_MAX_RETRIES": "0", "COLUMNS": "200"}
            runner.invoke(app, ["ingest", str(manifest(tmp_path / "p", "p", 2))], env=env)
            r = runner.invoke(app, ["draft", "--engine", "ray", "--workers", "1"], env=env)
    finally:
        ray.shutdown()
    assert r.exit_code == 1, r.output
    assert "Nothing drafted: all 2 clip(s) failed; most often endpoint (2 of 2):" in " ".join(
        r.stderr.split()
    )


def test_default_run_names_are_short_and_the_same_command_resumes_its_run(tmp_path: Path) -> None:
    from agent.drafting import RunIdentity
    from agent.runs import run_name_for

    store = three_sets(tmp_path)
    who = RunIdentity(drafter="llm", model="gpt-4.1-mini", prompt_name="review-v1",
                      prompt_hash="a" * 64)  # fmt: skip

    def open_(name: str, identity: RunIdentity, selection: Selection | None = None) -> str:
        store.runs.ensure(name, drafter=identity.drafter, model=identity.model,
                          prompt_name=identity.prompt_name, prompt_hash=identity.prompt_hash,
                          settings={}, selection=selection)  # fmt: skip
        return name

    assert open_(run_name_for(store, who), who) == "gpt-4.1-mini-review-v1"
    assert run_name_for(store, who) == "gpt-4.1-mini-review-v1"  # the same run again
    gold = Selection.of_sets(["gold"])
    assert run_name_for(store, who, gold) == "gold-gpt-4.1-mini-review-v1"
    assert run_name_for(store, who, None, "llm-batch") == "gpt-4.1-mini-review-v1-batch"
    edited = who.model_copy(update={"prompt_hash": "b" * 64})  # the prompt changed
    other = open_(run_name_for(store, edited), edited)
    assert (
        other.startswith("gpt-4.1-mini-review-v1-")
        and len(other) == len("gpt-4.1-mini-review-v1-") + 4
    )
    assert run_name_for(store, edited) == other and run_name_for(store, who) != other
    # a run named like the default, made by hand over other clips, is not reused
    open_("gold-gpt-4.1-mini-review-v1", who, Selection.of_sets(["a"]))
    assert run_name_for(store, who, gold).startswith("gold-gpt-4.1-mini-review-v1-")
