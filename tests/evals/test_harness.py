"""`recap eval` end to end against the fake server, with answers whose scores are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.store import Review, Store
from evals.gold import promote
from recap.main import app
from tests.conftest import TEST_KEY, recap_env
from tests.evals.gold_fixture import GOLD, gold_answer, responder, write_gold
from tests.fake_openai import FakeOpenAI

runner = CliRunner()


env = recap_env


def eval_run(tmp_path: Path, name: str, overrides=None) -> dict:
    gold = write_gold(tmp_path / "gold")
    with FakeOpenAI(responder(overrides), expect_key=TEST_KEY) as fake:
        r = runner.invoke(
            app,
            [
                "eval",
                "run",
                "--gold",
                str(gold),
                "--run",
                name,
                "--runs-dir",
                str(tmp_path / "runs"),
            ],
            env=env(fake, tmp_path / f"{name}.db"),
        )
    assert r.exit_code == 0, r.output
    folder = tmp_path / "runs" / name
    assert (folder / "report.html").is_file() and (folder / "report.md").is_file()
    assert len((folder / "cases.jsonl").read_text().splitlines()) == len(GOLD)
    return json.loads((folder / "summary.json").read_text())


def test_gold_answers_score_perfectly(tmp_path: Path) -> None:
    m = eval_run(tmp_path, "perfect")["metrics"]
    assert m["ter"] == 0 and m["bleu"] == pytest.approx(100) and m["chrf"] == pytest.approx(100)
    assert m["rouge_l"] == pytest.approx(1)
    for name in (
        "clip_accuracy",
        "clip_precision",
        "clip_recall",
        "span_precision",
        "span_recall",
        "span_f1",
        "omission_precision",
        "omission_recall",
        "claim_precision",
        "claim_recall",
        "claim_f1",
        "coverage",
    ):
        assert m[name] == pytest.approx(1.0), name


def test_edits_saved_is_one_for_gold_drafts_and_zero_for_unchanged_captions(
    tmp_path: Path,
) -> None:
    from sacrebleu.metrics import TER

    unreviewed = (
        TER().corpus_score([g["caption"] for g in GOLD], [[g["gold_caption"] for g in GOLD]]).score
    )
    perfect = eval_run(tmp_path, "gold-drafts")
    assert perfect["edits_saved"] == 1.0 and perfect["metrics"]["edits_saved"] == 1.0
    assert perfect["ter_unreviewed"] == pytest.approx(unreviewed)
    unchanged = {
        g["id"]: {
            "hallucinations": [],
            "omissions": [],
            "rewrite": g["caption"],
            "verdict": "accurate",
        }
        for g in GOLD
    }
    nothing = eval_run(tmp_path, "unchanged", unchanged)
    assert nothing["edits_saved"] == 0.0
    assert nothing["metrics"]["ter"] == pytest.approx(nothing["ter_unreviewed"])
    for name in ("bleu", "chrf", "rouge_l"):
        assert nothing["metrics"][name] == pytest.approx(nothing["metrics"][f"{name}_unreviewed"])
    by_type = nothing["per_type"]["edits_saved"]
    assert by_type["attribute"]["n_cases"] == 1 and by_type["attribute"]["edits_saved"] == 0.0
    assert perfect["per_type"]["edits_saved"]["omitted step"]["edits_saved"] == 1.0
    report = (tmp_path / "runs" / "gold-drafts" / "report.md").read_text()
    assert "**Edits saved 1.000: TER 0.0 for the drafts vs" in report


def test_known_mistakes_score_exactly_what_they_imply(tmp_path: Path) -> None:
    g1, g2, g4 = GOLD[0], GOLD[1], GOLD[3]
    overrides = {
        # g1: misses the "on the left" span (4 gold spans in all, 3 found)
        "g1": dict(
            gold_answer(g1),
            hallucinations=[dict(g1["gold_hallucinations"][0], evidence_times=[0.5])],
            rewrite="The robot picks up the red cube and places it on the left side.",
        ),
        # g4: calls the caption accurate: a missed edit, a missed omission, TER of the gap
        "g4": {
            "hallucinations": [],
            "omissions": [],
            "rewrite": g4["caption"],
            "verdict": "accurate",
        },
    }
    summary = eval_run(tmp_path, "mistakes", overrides)
    m = summary["metrics"]
    assert m["span_precision"] == 1.0 and m["span_recall"] == pytest.approx(3 / 4)
    assert m["clip_recall"] == pytest.approx(2 / 3) and m["clip_precision"] == 1.0
    assert m["clip_accuracy"] == pytest.approx(3 / 4)
    assert m["omission_recall"] == 0.0 and m["omission_precision"] is None
    from sacrebleu.metrics import TER

    hyps = [
        "The robot picks up the red cube and places it on the left side.",
        g2["gold_caption"],
        GOLD[2]["gold_caption"],
        g4["caption"],
    ]
    assert m["ter"] == pytest.approx(
        TER().corpus_score(hyps, [[g["gold_caption"] for g in GOLD]]).score
    )
    assert summary["per_type"]["hallucinations"]["direction_or_spatial"]["recall"] == 0.0
    assert summary["per_type"]["hallucinations"]["attribute"]["recall"] == 1.0
    assert summary["judge_weak"] is True


def test_compare_exit_code_both_ways(tmp_path: Path) -> None:
    eval_run(tmp_path, "a")
    eval_run(
        tmp_path,
        "b",
        {
            "g4": {
                "hallucinations": [],
                "omissions": [],
                "rewrite": GOLD[3]["caption"],
                "verdict": "accurate",
            }
        },
    )
    runs = str(tmp_path / "runs")
    worse = runner.invoke(
        app,
        [
            "eval",
            "compare",
            "a",
            "b",
            "--runs-dir",
            runs,
            "--fail-if-worse",
            "ter:1",
            "--n-boot",
            "200",
        ],
        env={"COLUMNS": "160"},
    )
    assert worse.exit_code == 1, worse.output
    assert "FAIL ter got worse by" in worse.stderr
    assert "g4" in worse.stdout  # the worse case is listed with both rewrites
    from evals.compare import compare

    c = compare(tmp_path / "runs" / "a", tmp_path / "runs" / "b", n_boot=200)
    d, lo, hi = c.deltas["edits_saved"]
    assert d < 0 and lo <= d <= hi  # b saves fewer edits, with its paired interval
    assert c.deltas["ter_unreviewed"][0] == 0.0  # same captions, same baseline
    better = runner.invoke(
        app,
        [
            "eval",
            "compare",
            "b",
            "a",
            "--runs-dir",
            runs,
            "--fail-if-worse",
            "ter:1",
            "--fail-if-worse",
            "span_f1:0.01",
            "--n-boot",
            "200",
        ],
        env={"COLUMNS": "160"},
    )
    assert better.exit_code == 0, better.output
    bad = runner.invoke(
        app, ["eval", "compare", "a", "b", "--runs-dir", runs, "--fail-if-worse", "nonsense:1"]
    )
    assert bad.exit_code == 1 and "Unknown metric 'nonsense'" in bad.stderr


def test_promote_turns_reviews_into_gold(tmp_path: Path) -> None:
    eval_run(tmp_path, "p")
    store = Store(tmp_path / "p.db")
    store.reviews.add(
        Review(
            clip_id="g1",
            run="p",
            reviewer="ann",
            decision="accepted",
            final_caption=GOLD[0]["gold_caption"],
        )
    )
    store.reviews.add(
        Review(
            clip_id="g2",
            run="p",
            reviewer="ann",
            decision="edited",
            final_caption="The robot shuts the drawer.",
            agreed={"hallucinations": {"0": True, "1": False}},
        )
    )
    store.reviews.add(
        Review(clip_id="g3", run="p", reviewer="ann", decision="rejected", final_caption="x")
    )
    out = tmp_path / "grown.jsonl"
    assert promote(store, out) == 2
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(rows) == {"g1", "g2"}
    assert rows["g2"]["gold_caption"] == "The robot shuts the drawer."
    assert [h["span"] for h in rows["g2"]["gold_hallucinations"]] == ["grasps the drawer handle"]
    assert len(rows["g1"]["gold_hallucinations"]) == 2
    from evals.gold import load_gold

    assert {c.clip_id for c in load_gold(out).cases} == {"g1", "g2"}  # usable as a gold set


def test_gold_labels_with_only_span_and_type_score_every_row(tmp_path: Path) -> None:
    """Gold sets made elsewhere carry a hallucination's span and type, an omission's
    description and type, nothing more: every such row is ingested and scored."""
    bare = [
        {
            **row,
            "gold_hallucinations": [
                {"span": h["span"], "type": h["type"]} for h in row["gold_hallucinations"]
            ],
        }
        for row in GOLD
    ]
    root = tmp_path / "gold"
    write_gold(root)
    path = root / "bare.jsonl"
    path.write_text("".join(json.dumps({**row, "video": "clip.mp4"}) + "\n" for row in bare))
    db = tmp_path / "bare.db"
    with FakeOpenAI(responder(), expect_key=TEST_KEY) as fake:  # the model still explains
        r = runner.invoke(
            app,
            ["eval", "run", "--gold", str(path), "--run", "bare", "--runs-dir", str(tmp_path)],
            env=env(fake, db),
        )
    assert r.exit_code == 0, r.output
    assert "not scored" not in r.stderr and "skipped" not in r.stderr
    summary = json.loads((tmp_path / "bare" / "summary.json").read_text())
    assert summary["n_cases"] == len(GOLD)
    assert summary["metrics"]["span_f1"] == 1.0 and summary["metrics"]["coverage"] == 1.0
    assert Store(db).clips.get("g1").gold_json["hallucinations"] == [  # as kept
        {"span": "blue", "type": "attribute", "evidence_times": []},
        {"span": "on the left", "type": "direction_or_spatial", "evidence_times": []},
    ]


def test_eval_run_says_which_gold_rows_it_could_not_score_and_why(tmp_path: Path) -> None:
    root = tmp_path / "gold"
    write_gold(root)
    rows = [dict(row, video="clip.mp4") for row in GOLD]
    rows[1]["gold_hallucinations"] = [{"span": "flies away", "type": "action"}]  # not in caption
    rows[2]["video"] = "missing.mp4"
    rows[3]["telemetry"] = {"t": [0, 1], "gripper": [1]}  # costs the telemetry, not the row
    path = root / "mixed.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with FakeOpenAI(responder(), expect_key=TEST_KEY) as fake:
        r = runner.invoke(
            app,
            ["eval", "run", "--gold", str(path), "--run", "mixed", "--runs-dir", str(tmp_path)],
            env={**env(fake, tmp_path / "m.db"), "COLUMNS": "400"},
        )
    assert r.exit_code == 0, r.output
    lines = r.stderr.splitlines()
    assert lines == [
        f"row skipped line 3 (g3): video file not found: {root / 'missing.mp4'}",
        "kept without telemetry line 4 (g4): telemetry: gripper has 1 steps but t has 2",
        f"gold row not scored {path} line 2 (g2): gold_hallucinations: 0.span: span 'flies "
        "away' is not an exact substring of the original caption; copy the wrong words "
        "exactly as they appear",
        "3 gold row(s) scored, 1 not scored (above).",
        f"gold row not drafted g3: line 3 (g3): video file not found: {root / 'missing.mp4'} "
        "(scored as its unchanged caption)",
    ]
    summary = json.loads((tmp_path / "mixed" / "summary.json").read_text())
    assert summary["n_cases"] == 3 and summary["metrics"]["coverage"] == pytest.approx(2 / 3)


def test_eval_run_draws_k_samples_per_gold_clip_when_asked(tmp_path: Path) -> None:
    gold = write_gold(tmp_path / "gold")
    db = tmp_path / "k.db"
    with FakeOpenAI(responder(None), expect_key=TEST_KEY) as fake:
        args = ["eval", "run", "--gold", str(gold), "--run", "k3", "--runs-dir", str(tmp_path)]
        r = runner.invoke(app, [*args, "--samples", "3"], env=env(fake, db))
        assert r.exit_code == 2 and "--temperature 0.7" in r.output  # K > 1 at temperature 0
        assert fake.requests == []
        r = runner.invoke(app, [*args, "--samples", "3", "--temperature", "0.7"], env=env(fake, db))
        assert r.exit_code == 0, r.output
        drafting = [q for q in fake.requests if q.get("messages")]
    assert len(drafting) == 3 * len(GOLD)  # none served from the cache
    store = Store(db)
    records = store.runs.drafts("k3")
    assert len(records) == len(GOLD)
    assert all(len(s) == 3 for s in store.runs.samples([r.id for r in records]).values())
    assert store.runs.get("k3").settings["samples"] == 3
