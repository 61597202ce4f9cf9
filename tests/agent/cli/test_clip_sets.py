"""Clip sets end to end, on SQLite and on a real PostgreSQL: one database with production clips,
a `draft-one` clip and a gold set; `recap eval run` drafts and scores exactly the gold rows, a
plain `recap draft` exactly the production clips, and bad selections send nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from agent.drafting._offline import RULES_VERSION
from agent.store import Store
from recap.main import app
from tests.agent.runs.test_selection import manifest
from tests.clips import make_clip
from tests.conftest import TEST_KEY, recap_env
from tests.evals.gold_fixture import GOLD, gold_answer, write_gold
from tests.fake_openai import FakeOpenAI, accurate_responder, caption_of

runner = CliRunner()
GOLD_BY_CAPTION = {row["caption"]: row for row in GOLD}


def respond(request: dict[str, Any]) -> dict[str, Any]:
    """Gold rows get their gold answer, any other clip an accurate one."""
    row = GOLD_BY_CAPTION.get(caption_of(request))
    return gold_answer(row) if row else accurate_responder(request)


def asked(fake: FakeOpenAI) -> list[str]:
    """The captions the server was asked about since the last call, sorted; then forget them."""
    captions = sorted(caption_of(r) for r in fake.requests if r.get("messages"))
    fake.requests.clear()
    return captions


def words(text: str) -> str:
    return " ".join(text.split())


def test_eval_run_drafts_the_gold_rows_and_a_plain_draft_the_production_clips(
    db_url: str, tmp_path: Path
) -> None:
    prod = manifest(tmp_path / "prod", "p", 3)
    gold = write_gold(tmp_path / "gold")
    one = make_clip(tmp_path / "one.mp4", seconds=1, fps=10)
    production = [f"The robot pushes p {i}." for i in range(3)]
    with FakeOpenAI(respond, expect_key=TEST_KEY) as fake:
        env = recap_env(fake, tmp_path / "unused.db") | {"RECAP_DB": db_url, "COLUMNS": "200"}

        def cli(*args: str) -> Any:
            return runner.invoke(app, list(args), env=env)

        r = cli("ingest", str(prod))
        assert r.exit_code == 0 and "into production set prod" in words(r.stdout), r.output
        r = cli("draft-one", str(one), "-c", "The robot waves once.")
        assert r.exit_code == 0, r.output
        assert asked(fake) == ["The robot waves once."]

        r = cli("eval", "run", "--gold", str(gold), "--runs-dir", str(tmp_path / "evals"))
        assert r.exit_code == 0, r.output
        assert asked(fake) == sorted(row["caption"] for row in GOLD)  # the gold rows, no others
        assert "run gold-fake-vlm-review-v1 · 4 clips (evaluation set gold)" in words(r.stdout)
        summary = json.loads(
            (tmp_path / "evals" / "gold-fake-vlm-review-v1" / "summary.json").read_text()
        )
        assert summary["n_cases"] == len(GOLD) and summary["metrics"]["span_f1"] == 1.0
        assert summary["metrics"]["coverage"] == 1.0
        assert summary["not_in_run"] == {"count": 0, "first": []}

        r = cli("draft")
        assert r.exit_code == 0, r.output
        assert asked(fake) == production  # neither the gold rows nor the draft-one clip
        assert "run fake-vlm-review-v1 · 3 clips (the production sets)" in words(r.stdout)

        out = tmp_path / "gold.jsonl"
        r = cli("export", "--run", "gold-fake-vlm-review-v1", "--out", str(out))
        assert r.exit_code == 0, r.output
        assert sorted(json.loads(x)["clip_id"] for x in out.open()) == ["g1", "g2", "g3", "g4"]
        out = tmp_path / "prod.jsonl"
        r = cli("export", "--out", str(out))  # by default: the production run, and it says so
        assert r.exit_code == 0, r.output
        assert r.stderr.splitlines()[0] == (
            "run fake-vlm-review-v1 (the latest production run; pick another with --run NAME)"
        )
        assert sorted(json.loads(x)["clip_id"] for x in out.open()) == ["p0", "p1", "p2"]

        # a production run scored against the gold file: its clips hold no gold row
        r = cli("eval", "score", "latest", "--gold", str(gold), "--runs-dir", str(tmp_path / "s"))
        assert r.exit_code == 1
        assert r.stderr.splitlines()[0].startswith("run fake-vlm-review-v1 (the latest run;")
        assert "None of the 4 gold rows is among the clips of run 'fake-vlm-review-v1'" in words(
            r.stderr
        )

        r = cli("runs")
        table = words(r.stdout)
        assert "gold-fake-vlm-review-v1 │ gold │" in table and "│ 4/4 │" in table
        assert "fake-vlm-review-v1 │ production │" in table and "│ 3/3 │" in table
        assert "draft-one-fake-vlm-review-v1 │ draft-one │" in table and "│ 1/1 │" in table
        r = cli("sets")
        table = words(r.stdout)
        assert "draft-one │ one-off │ 1" in table and "gold │ evaluation │ 4" in table
        assert "prod │ production │ 3" in table

        # a later ingest into the production set: the next plain draft takes just that clip
        more = manifest(tmp_path / "more", "q", 1)
        r = cli("ingest", str(more), "--set", "prod")
        assert r.exit_code == 0 and "into production set prod" in words(r.stdout), r.output
        r = cli("draft")
        assert r.exit_code == 0 and asked(fake) == ["The robot pushes q 0."], r.output

        # re-opening a run over other clips is refused, with how to start a new one
        r = cli("draft", "--run", "fake-vlm-review-v1", "--set", "gold")
        assert r.exit_code == 1
        assert (
            "Error: Run 'fake-vlm-review-v1' covers the production sets, fixed when it was "
            "created; this asks for set gold."
        ) in words(r.stderr)
        assert "Start a new run for those clips: --run NEW_NAME --set gold." in words(r.stderr)

        # bad selections: a clear error, no request, nothing written
        runs_before = [x.name for x in Store(db_url).runs.all()]
        r = cli("draft", "--set", "nope")
        assert r.exit_code == 1 and "Error: No set named 'nope'." in r.stderr
        assert "Sets in this database: draft-one, gold, prod." in words(r.stderr)
        ids = tmp_path / "ids.txt"
        ids.write_text("p0\n" + "".join(f"missing-{i:02d}\n" for i in range(12)))
        r = cli("draft", "--ids", str(ids))
        assert r.exit_code == 1
        assert (
            f"Error: {ids} names 12 clip(s) not in the database: "
            + ", ".join(f"missing-{i:02d}" for i in range(10))
            + " and 2 more."
        ) in words(r.stderr)
        ids.write_text("\n\n")
        r = cli("draft", "--ids", str(ids))
        assert r.exit_code == 1 and f"The selection is empty: no clip ids in {ids}." in r.stderr
        assert asked(fake) == [] and [x.name for x in Store(db_url).runs.all()] == runs_before

        # an ids file drafts exactly its clips, in a run named after it
        ids.write_text("g2\np1\n")
        r = cli("draft", "--ids", str(ids), "--no-cache")  # both were answered before
        assert r.exit_code == 0, r.output
        assert asked(fake) == ["The robot grasps the drawer handle and opens the drawer.",
                               "The robot pushes p 1."]  # fmt: skip
        assert "run ids-fake-vlm-review-v1 · 2 clips (the 2 clips listed in" in words(r.stdout)
        drafted = {d.clip_id for d in Store(db_url).runs.drafts("ids-fake-vlm-review-v1")}
        assert drafted == {"g2", "p1"}


def test_a_plain_draft_of_a_database_with_only_gold_sends_nothing(tmp_path: Path) -> None:
    gold = write_gold(tmp_path / "gold")
    db = tmp_path / "r.db"
    with FakeOpenAI(respond, expect_key=TEST_KEY) as fake:
        env = recap_env(fake, db)
        r = runner.invoke(app, ["ingest", str(gold), "--kind", "evaluation"], env=env)
        assert r.exit_code == 0 and "into evaluation set gold" in words(r.stdout), r.output
        r = runner.invoke(app, ["draft"], env=env)
        assert r.exit_code == 1
        assert "Error: The selection is empty: the production sets hold no clips." in r.stderr
        assert "pass --set NAME to draft one of them" in words(r.stderr)
        assert fake.requests == [] and Store(db).runs.all() == []
        r = runner.invoke(app, ["ingest", str(gold)], env=env)  # same name, other kind
        assert r.exit_code == 1 and "Set 'gold' is an evaluation set" in r.stderr
        assert "--kind production" in words(r.stderr)
        r = runner.invoke(app, ["draft", "--set", "gold"], env=env)  # named: drafted
        assert r.exit_code == 0 and len(fake.requests) == len(GOLD), r.output
        r = runner.invoke(app, ["report"], env=env)  # only an evaluation run: say so
        assert r.exit_code == 1 and "No production run to report on" in r.stderr
        assert "--run latest" in words(r.stderr)


RULES = RULES_VERSION  # the offline drafter's default run name is its rules' version


def test_default_run_names_are_short_and_whole_at_80_columns(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    env = {"RECAP_DB": str(db), "COLUMNS": "80"}
    runner.invoke(app, ["ingest", str(manifest(tmp_path / "prod", "p", 2))], env=env)
    runner.invoke(app, ["ingest", str(write_gold(tmp_path / "gold")), "--kind", "evaluation"],
                  env=env)  # fmt: skip
    r = runner.invoke(app, ["draft", "--drafter", "offline"], env=env)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"run {RULES} · 2 clips (the production sets)")
    r = runner.invoke(app, ["draft", "--drafter", "offline", "--set", "gold"], env=env)
    assert r.exit_code == 0 and r.stdout.startswith(f"run gold-{RULES} ·"), r.output
    r = runner.invoke(app, ["runs"], env=env)
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith(f"│ {RULES} ") for line in lines), r.stdout
    assert any(line.startswith(f"│ gold-{RULES} ") for line in lines), r.stdout
    r = runner.invoke(app, ["team"], env=env)
    assert r.stderr.splitlines()[0].startswith("decisions of every run")
    r = runner.invoke(app, ["report"], env=env)
    assert r.stderr.splitlines()[0] == (
        f"run {RULES} (the latest production run; pick another with --run NAME)"
    )
    r = runner.invoke(app, ["lint", "--run", "latest", "--json"], env=env)
    assert r.stderr.splitlines()[0] == (
        f"run gold-{RULES} (the latest run; pick another with --run NAME)"
    )
    assert json.loads(r.stdout)["captions"] == len(GOLD)


def test_an_eval_run_where_every_gold_clip_failed_exits_1(tmp_path: Path) -> None:
    gold = write_gold(tmp_path / "gold")
    with FakeOpenAI(expect_key=TEST_KEY, fault_rate=1.0) as fake:
        env = recap_env(fake, tmp_path / "r.db") | {"RECAP_MAX_RETRIES": "0", "COLUMNS": "200"}
        r = runner.invoke(
            app, ["eval", "run", "--gold", str(gold), "--runs-dir", str(tmp_path / "e")], env=env
        )
    assert r.exit_code == 1
    assert "Nothing drafted: all 4 gold clip(s) failed; most often endpoint (4 of 4)" in words(
        r.stderr
    )
    assert not (tmp_path / "e").exists()  # nothing scored


def test_changing_a_sets_kind_says_which_production_runs_gain_or_lose_its_clips(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r.db"
    env = {"RECAP_DB": str(db), "RECAP_CACHE_DIR": str(tmp_path / "cache")}
    for name, n in (("a", 3), ("b", 2)):
        r = runner.invoke(app, ["ingest", str(manifest(tmp_path / name, name, n))], env=env)
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["draft", "--drafter", "offline", "--run", "prod"], env=env)
    assert r.exit_code == 0, r.output
    assert {f.name: f.drafted for f in Store(db).sets.breakdown("prod")} == {"a": 3, "b": 2}

    r = runner.invoke(app, ["sets", "b", "--kind", "evaluation"], env=env)
    assert r.exit_code == 0, r.output
    said = words(r.stdout)
    assert "set b is now evaluation" in said
    assert (
        "run prod (over the production sets) now leaves out its 2 clips: 2 drafted, 0 decided"
        in said
    )
    assert [f.name for f in Store(db).sets.breakdown("prod")] == ["a"]
    assert Store(db).runs.draft("prod", "b0") is not None  # its drafts are kept

    r = runner.invoke(app, ["sets", "b", "--kind", "production"], env=env)
    assert r.exit_code == 0, r.output
    assert "run prod (over the production sets) now covers its 2 clips: 0 to draft" in words(
        r.stdout
    )
    r = runner.invoke(app, ["sets", "a", "--kind", "production"], env=env)  # no change: no note
    assert r.exit_code == 0 and "run prod" not in r.stdout, r.output
