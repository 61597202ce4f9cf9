"""Guideline scores in an eval run: violations per rule for the drafts' rewrites and for the
unreviewed captions, and the share breaking an error-severity rule, under the guideline used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.guidelines import default_guidelines, load_guidelines
from evals.guideline_scores import case_guideline, guideline_markdown, guideline_summary
from recap.main import app
from tests.conftest import TEST_KEY, recap_env
from tests.evals.gold_fixture import GOLD, responder, write_gold
from tests.fake_openai import FakeOpenAI

runner = CliRunner()
# "robot" is a warning in every caption; "on the left" an error only g1's caption has (its
# gold rewrite says "on the right"), so the drafts, which are the gold rewrites, break none
TEAM = """\
name = "acme"
[terms]
"robot arm" = ["robot"]
[phrases.vague]
phrases = ["on the left"]
[severity]
vague = "error"
"""


def test_the_summary_counts_per_rule_for_drafts_and_unreviewed_captions() -> None:
    g = default_guidelines()
    pairs = [
        ("The robot arm picked the cube.", "The robot arm picks it up."),
        ("In this video the arm picked and placed it.", "x y"),
    ]
    cases = [{"guideline": case_guideline(caption, rewrite, g)} for caption, rewrite in pairs]
    s = guideline_summary(cases, g)
    assert s["version"] == g.version and s["n_cases"] == 2
    assert s["rules"]["tense"]["unreviewed_warnings"] == 3  # picked, picked, placed
    assert s["rules"]["tense"]["unreviewed_captions"] == 2
    assert s["rules"]["tense"]["rewrite_warnings"] == 0
    assert s["rules"]["filler"]["unreviewed_captions"] == 1
    assert s["rules"]["length"]["rewrite_warnings"] == 1  # "x y": under 5 words
    assert s["error_share"] == {"rewrite": 0.0, "unreviewed": 0.0}  # the built-in has no error
    lines = "\n".join(guideline_markdown({"guidelines": s}))
    assert f"## Guideline ({g.version})" in lines and "| tense | warning | 0 (0) | 3 (2) |" in lines
    assert guideline_markdown({}) == []  # a summary scored before guideline scores


def test_eval_run_scores_under_the_guideline_it_drafted_with(tmp_path: Path) -> None:
    team = tmp_path / "acme.toml"
    team.write_text(TEAM)
    gold = write_gold(tmp_path / "gold")
    with FakeOpenAI(responder(), expect_key=TEST_KEY) as fake:
        r = runner.invoke(
            app,
            [
                *("eval", "run", "--gold", str(gold), "--run", "acme"),
                *("--runs-dir", str(tmp_path / "runs"), "--guidelines", str(team)),
            ],
            env=recap_env(fake, tmp_path / "e.db"),
        )
        assert r.exit_code == 0, r.output
        assert "Banned phrases (vague; the rewrite must not use them)" in json.dumps(
            fake.requests[0]["messages"][0]["content"]
        )
    folder = tmp_path / "runs" / "acme"
    g = json.loads((folder / "summary.json").read_text())["guidelines"]
    assert g["version"] == load_guidelines(team).version and g["n_cases"] == len(GOLD)
    assert g["error_share"] == {"rewrite": 0.0, "unreviewed": pytest.approx(1 / len(GOLD))}
    assert g["rules"]["vague"] == {
        "severity": "error",
        "rewrite_warnings": 0,
        "unreviewed_warnings": 1,
        "rewrite_captions": 0,
        "unreviewed_captions": 1,
    }
    assert g["rules"]["term"]["rewrite_captions"] == len(GOLD)
    assert g["rules"]["term"]["unreviewed_captions"] == len(GOLD)
    report = (folder / "report.md").read_text()
    assert f"## Guideline ({g['version']})" in report
    assert "drafts 0.0%, unreviewed 25.0% (of 4)" in report
    cases = [json.loads(x) for x in (folder / "cases.jsonl").read_text().splitlines()]
    assert [c["guideline"]["unreviewed_error"] for c in cases] == [True, False, False, False]
    # scored again under the built-in guideline, the same run has other scores
    r = runner.invoke(
        app,
        ["eval", "score", "acme", "--gold", str(gold), "--runs-dir", str(tmp_path / "runs")],
        env={"RECAP_DB": str(tmp_path / "e.db"), "COLUMNS": "160"},
    )
    assert r.exit_code == 0, r.output
    g = json.loads((folder / "summary.json").read_text())["guidelines"]
    assert g["version"] == default_guidelines().version and "vague" not in g["rules"]
