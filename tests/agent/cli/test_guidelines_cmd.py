"""`recap guidelines check|show` and `recap lint` end to end through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from recap.main import app
from tests.clips import make_clip

runner = CliRunner()
ENV = {"COLUMNS": "200"}
TEAM = """\
name = "acme"
prose_text = "Past tense. At most 12 words. Say 'robot arm'."
[terms]
"robot arm" = ["robotic arm", "robotic manipulator"]
[tense]
use = "past"
[limits]
max_words = 12
[severity]
term = "error"
"""


def manifest(tmp_path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "captions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_check_reports_each_problem_with_its_line_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[terms]\n"robot arm" = ["robot arm"]\n[limits]\nmin_words = 9\nmax_words = 3\n')
    r = runner.invoke(app, ["guidelines", "check", str(bad)], env=ENV)
    assert r.exit_code == 1
    text = " ".join(r.stdout.split())
    assert "bad.toml:2 [terms.\"robot arm\"[0]]: 'robot arm' is both the preferred term" in text
    assert "bad.toml:4 [limits.min_words]: min_words = 9 is above max_words = 3" in text
    assert "2 error(s); it cannot be used" in text
    good = tmp_path / "team.toml"
    good.write_text(TEAM)
    r = runner.invoke(app, ["guidelines", "check", str(good)], env=ENV)
    assert r.exit_code == 0, r.output
    assert "team.toml: ok · acme@" in r.stdout


def test_show_names_the_guideline_in_force(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text(TEAM)
    r = runner.invoke(app, ["guidelines", "show"], env=ENV)
    assert r.exit_code == 0 and "recap@" in r.stdout and "built-in" in r.stdout
    r = runner.invoke(
        app, ["guidelines", "show", "--prose"], env={**ENV, "RECAP_GUIDELINES": str(team)}
    )
    assert r.exit_code == 0, r.output
    assert "acme@" in r.stdout and "RECAP_GUIDELINES" in r.stdout and "Past tense." in r.stdout
    assert "term" in r.stdout and "error" in r.stdout


def test_lint_a_manifest_counts_per_rule_and_fails_on_an_error_rule(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text(TEAM)
    path = manifest(
        tmp_path,
        [
            {"id": "a", "video": "a.mp4", "caption": "The robotic arm picked up the cube."},
            {"id": "b", "video": "b.mp4", "caption": "The robot arm lifts the cube and drops it."},
            {"id": 3, "video": "c.mp4", "caption": "The robotic manipulator lifted it."},
            {"id": "d", "video": "d.mp4"},
        ],
    )
    with path.open("a") as fh:
        fh.write("{not json\n")
    r = runner.invoke(app, ["lint", str(path), "--guidelines", str(team), "--json"], env=ENV)
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    assert data["captions"] == 3 and data["flagged"] == 3 and data["failed"] is True
    rules = {x["rule"]: x for x in data["rules"]}
    assert rules["term"]["severity"] == "error" and rules["term"]["warnings"] == 2
    assert [e["clip"] for e in rules["term"]["examples"]] == ["a", "3"]
    assert rules["tense"]["captions"] == 1 and rules["tense"]["examples"][0]["text"] == "lifts"
    assert data["rules"][0]["rule"] == "term"  # errors first
    assert any("line 4 (d): no caption" in s for s in data["skipped"])
    assert any(s.startswith("line 5:") for s in data["skipped"])
    r = runner.invoke(app, ["lint", str(path)], env=ENV)  # the built-in: warnings only
    assert r.exit_code == 0, r.output
    assert "3 captions" in r.stdout and "tense" in r.stdout


def test_lint_consistency_reports_drift_with_the_preferred_term(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text('[terms]\n"robot arm" = ["robotic arm"]\n')
    rows = [
        {"id": f"p{i}", "video": "v.mp4", "caption": "The robot arm grasps the puck."}
        for i in range(4)
    ]
    rows += [
        {"id": "q1", "video": "v.mp4", "caption": "The robotic arm grabs the disc."},
        {"id": "q2", "video": "v.mp4", "caption": "The robot arm grabbed the hockey puck."},
    ]
    path = manifest(tmp_path, rows)
    r = runner.invoke(
        app, ["lint", str(path), "--guidelines", str(team), "--consistency", "--json"], env=ENV
    )
    assert r.exit_code == 0, r.output
    drift = {d["concept"]: d for d in json.loads(r.stdout)["consistency"]}
    assert drift["robot arm"]["preferred"] == "robot arm"
    assert [(v["variant"], v["clips"]) for v in drift["robot arm"]["variants"]] == [
        ("robot arm", ["p0", "p1", "p2", "p3", "q2"]),
        ("robotic arm", ["q1"]),
    ]
    assert {v["variant"]: v["captions"] for v in drift["puck"]["variants"]} == {
        "puck": 4,
        "disc": 1,
        "hockey puck": 1,
    }
    assert drift["grasp"]["preferred"] == "grasp"
    assert {v["variant"]: v["forms"] for v in drift["grasp"]["variants"]}["grab"] == {
        "grabs": 1,
        "grabbed": 1,
    }
    r = runner.invoke(app, ["lint", str(path), "--consistency"], env=ENV)
    assert "Terminology drift" in r.stdout and "hockey puck" in r.stdout


def test_lint_a_run_original_captions_or_rewrites(tmp_path: Path) -> None:
    make_clip(tmp_path / "clip.mp4", seconds=1, fps=10)
    rows = [
        {"id": "c1", "video": "clip.mp4", "caption": "The robot arm carefully pushes the block."},
        {"id": "c2", "video": "clip.mp4", "caption": "The robot arm pushes the block."},
    ]
    path = manifest(tmp_path, rows)
    env = {**ENV, "RECAP_DB": str(tmp_path / "r.db")}
    assert runner.invoke(app, ["ingest", str(path)], env=env).exit_code == 0
    r = runner.invoke(app, ["draft", "--drafter", "offline", "--run", "r1"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["lint", "--run", "r1", "--json"], env=env)
    data = json.loads(r.stdout)
    assert data["captions"] == 2
    assert [e["clip"] for x in data["rules"] for e in x["examples"]] == ["c1"]
    r = runner.invoke(app, ["lint", "--run", "r1", "--captions", "rewrite", "--json"], env=env)
    assert json.loads(r.stdout)["rules"] == []  # the offline rewrite drops the speculation


def test_lint_refuses_unclear_input(tmp_path: Path) -> None:
    r = runner.invoke(app, ["lint"], env=ENV)
    assert r.exit_code == 1 and "Give a manifest or --run RUN" in r.stderr
    r = runner.invoke(app, ["lint", "x.jsonl", "--run", "r"], env=ENV)
    assert r.exit_code == 1
    broken = tmp_path / "g.toml"
    broken.write_text("[limits\n")
    path = manifest(tmp_path, [{"id": "a", "video": "a.mp4", "caption": "The arm moves."}])
    r = runner.invoke(app, ["lint", str(path), "--guidelines", str(broken)], env=ENV)
    assert r.exit_code == 2 and "g.toml:1: does not parse as TOML" in r.stderr
    assert "Traceback" not in r.output
