"""The bulk-job commands end to end: ingest, draft, runs, export."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.store import Store
from recap.main import app
from tests.agent.runs.test_jobs import make_dataset
from tests.conftest import TEST_KEY, recap_env
from tests.fake_openai import FakeOpenAI

runner = CliRunner()


env = recap_env


def test_ingest_draft_runs_export(tmp_path: Path) -> None:
    manifest = make_dataset(tmp_path / "ds", 6, bad=1)
    with manifest.open("a") as fh:
        fh.write(json.dumps({"id": "x", "video": "../../etc/passwd", "caption": "c"}) + "\n")
    db = tmp_path / "r.db"
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        e = env(fake, db)
        r = runner.invoke(app, ["ingest", str(manifest)], env=e)
        assert r.exit_code == 0, r.output
        assert "7 added" in r.stdout and "1 skipped" in r.stdout
        assert "line 8 (x): video path '../../etc/passwd' escapes the dataset root" in r.stderr
        r = runner.invoke(app, ["draft", "--run", "r1", "--rpm", "600"], env=e)
        assert r.exit_code == 0, r.output
        out = " ".join(r.stdout.split())
        assert "drafted │ 6" in out and "failed │ 1 ({'video': 1})" in out
        assert "1 clip(s) failed; `recap runs --errors r1` shows why" in " ".join(r.stderr.split())
        r = runner.invoke(app, ["runs"], env=e)
        assert "r1" in r.stdout and "6/7" in r.stdout
        r = runner.invoke(app, ["runs", "--errors", "r1"], env=e)
        assert "bad0" in r.stdout and "not a video" in " ".join(r.stdout.split())
        r = runner.invoke(app, ["export", "--out", str(tmp_path / "final.jsonl")], env=e)
        assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in (tmp_path / "final.jsonl").open()]
    assert len(rows) == 6 and {row["run"] for row in rows} == {"r1"}


def test_batch_flag_runs_the_batch_api(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        e = env(fake, db)
        runner.invoke(app, ["ingest", str(make_dataset(tmp_path / "ds", 3))], env=e)
        r = runner.invoke(app, ["draft", "--batch", "--poll-s", "0.01", "--run", "b"], env=e)
        assert r.exit_code == 0, r.output
        assert "3 drafted, 0 failed, 0 batch(es) still open" in " ".join(r.stdout.split())
        assert len(fake.batches) == 1


def test_unknown_engine_and_missing_run(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        e = env(fake, db)
        r = runner.invoke(app, ["draft", "--engine", "spark"], env=e)
        assert r.exit_code == 1 and "Unknown engine 'spark'" in r.stderr
        assert not db.exists()  # refused before the database is opened
        Store(str(db)).close()  # an empty database: export says there is no run
        r = runner.invoke(app, ["export", "--out", str(tmp_path / "x.jsonl")], env=e)
        assert r.exit_code == 1 and "no runs to export" in r.stderr
