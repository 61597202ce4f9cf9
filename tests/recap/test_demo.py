"""`recap demo` on the bundled sample set, with no endpoint: offline drafter, eval, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recap.demo import SAMPLE_MANIFEST as SAMPLE
from recap.main import app

runner = CliRunner()


@pytest.mark.skipif(not SAMPLE.is_file(), reason="sample set not generated")
def test_demo_runs_the_whole_loop_offline(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["demo", "--no-review", "--dir", str(tmp_path / "demo")], env={"COLUMNS": "150"}
    )
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    n = len(SAMPLE.read_text().splitlines())
    assert f"ingested {n} sample clips" in out
    assert "the offline drafter (no model endpoint is configured" in out
    assert f"drafted {n}, from cache 0, failed 0" in out
    summary = json.loads(next((tmp_path / "demo" / "evals").glob("*/summary.json")).read_text())
    assert summary["n_cases"] == n and summary["drafter"] == "offline"
    per_type = summary["per_type"]["hallucinations"]
    # telemetry settles grasps, outcomes and order: the offline drafter finds those
    for t in ("gripper_or_grasp", "outcome", "order", "speculation"):
        if per_type.get(t, {}).get("n_gold"):
            assert per_type[t]["recall"] >= 0.8, (t, per_type[t])
    # and it does not pretend to see colours
    if per_type.get("attribute", {}).get("n_gold"):
        assert per_type["attribute"]["recall"] == 0.0


def test_offline_drafter_from_the_draft_command(tmp_path: Path) -> None:
    from tests.agent.runs.test_jobs import make_dataset

    db = tmp_path / "r.db"
    runner.invoke(app, ["ingest", str(make_dataset(tmp_path / "ds", 3))], env={"RECAP_DB": str(db)})
    r = runner.invoke(
        app, ["draft", "--drafter", "offline"], env={"RECAP_DB": str(db), "COLUMNS": "150"}
    )
    assert r.exit_code == 0, r.output
    assert "offline drafter (no model)" in " ".join(r.stdout.split())
    assert "drafted │ 3" in " ".join(r.stdout.split())


@pytest.mark.skipif(not SAMPLE.is_file(), reason="sample set not generated")
def test_demo_ends_with_the_commands_that_look_at_its_data(tmp_path: Path) -> None:
    """The demo's last lines say how the other commands find its database; following them
    shows the demo's run, from any directory."""
    import shlex

    r = runner.invoke(app, ["demo", "--no-review", "--dir", str(tmp_path / "demo")])
    assert r.exit_code == 0, r.output
    last = r.stdout.strip().splitlines()[-8:]
    db = (tmp_path / "demo" / "recap.db").resolve()
    assert f"  export RECAP_DB={shlex.quote(str(db))}" in last
    assert "  recap runs" in last and "  recap report --run demo-offline" in last
    assert last[-1].startswith(f"or pass --db {shlex.quote(str(db))} to each command")
    runs = runner.invoke(app, ["runs"], env={"RECAP_DB": str(db), "COLUMNS": "200"})
    assert runs.exit_code == 0 and "demo-offline" in runs.stdout
    team = runner.invoke(app, ["team", "--db", str(db)])
    assert team.exit_code == 0 and "No decisions yet." in team.stdout


@pytest.mark.skipif(not SAMPLE.is_file(), reason="sample set not generated")
def test_a_second_demo_is_served_from_the_cache_in_the_words_of_recap_draft(
    tmp_path: Path,
) -> None:
    """Re-running the demo keeps its database: the second pass is a new run whose drafts
    come from the response cache, said the way `recap draft` says it on the same data."""
    workdir = tmp_path / "demo"
    n = len(SAMPLE.read_text().splitlines())
    runner.invoke(app, ["demo", "--no-review", "--dir", str(workdir)])
    again = runner.invoke(
        app, ["demo", "--no-review", "--dir", str(workdir)], env={"COLUMNS": "150"}
    )
    assert again.exit_code == 0, again.output
    out = " ".join(again.stdout.split())
    assert f"({n} already there)" in out and "drafting run demo-offline-2" in out
    assert f"drafted 0, from cache {n}, failed 0" in out
    db = str(workdir / "recap.db")
    draft = runner.invoke(
        app,
        ["draft", "--drafter", "offline", "--set", "sample", "--run", "by-hand", "--db", db],
        env={"COLUMNS": "150"},
    )
    assert draft.exit_code == 0, draft.output
    assert f"from cache │ {n}" in " ".join(draft.stdout.split())
