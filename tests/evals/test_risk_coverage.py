"""The eval summary's risk–coverage curve: each drafted gold clip's confidence against whether
its draft is wrong by the routing error rule, and the coverage the guarantee reaches at
α = 0.05 and 0.1 with δ = 0.1."""

from __future__ import annotations

import json

import pytest

from evals.gold import GoldCase
from evals.judges import LexicalJudge
from evals.scoring import score_run
from tests.agent.routing.test_route_cli import GOLD, SURE, build, caption


def gold_cases() -> list[GoldCase]:
    """Gold for the routed run's labelled clips: the confident caption is right as it is, every
    other one should have read "The robot picks a cube."."""
    return [
        GoldCase(
            clip_id=c,
            caption=caption(c),
            gold_caption=caption(c) if caption(c) == SURE else "The robot picks a cube.",
            hallucinations=[],
            omissions=[],
        )
        for c in GOLD
    ]


def test_the_summary_holds_the_curve_and_the_coverage_at_each_alpha(tmp_path) -> None:
    store = build(f"sqlite:///{tmp_path / 'r.db'}")
    gold = gold_cases()
    _, summary = score_run(store, "r1", gold, LexicalJudge())
    rc = summary["risk_coverage"]
    assert (rc["n"], rc["delta"]) == (40, 0.1)
    # two distinct confidences: 1.0 (32 right drafts), then 0.729 (8 wrong ones as well)
    assert [(p["threshold"], p["accepted"], p["errors"]) for p in rc["points"]] == [
        (1.0, 32, 0),
        (pytest.approx(0.729), 40, 8),
    ]
    assert rc["points"][0]["bound"] == pytest.approx(1 - 0.1 ** (1 / 32))  # 0.069
    # at α = 0.1 the 32 confident drafts are certified (bound 0.069); at α = 0.05 40 labelled
    # clips are too few for any threshold (45 are needed with no error)
    assert rc["coverage_at"] == {"0.05": 0.0, "0.1": 0.8}
    at = {p["alpha"]: p for p in rc["at"]}
    assert at[0.1]["threshold"] == 1.0 and at[0.05]["threshold"] is None
    assert "needs at least 45" in at[0.05]["reason"]


def test_compare_gates_on_the_coverage_at_alpha(tmp_path) -> None:
    """`recap eval compare --fail-if-worse coverage@0.1:DELTA`: a candidate whose confident
    drafts are wrong more often reaches less coverage at α = 0.1, and the gate fails it."""
    from typer.testing import CliRunner

    from agent.schema import Draft, DraftResult, PromptRef
    from evals.compare import parse_bounds
    from evals.reports import write_run
    from recap.main import app

    store = build(f"sqlite:///{tmp_path / 'r.db'}")
    store.runs.ensure(
        "r2", drafter="llm", model="m", prompt_name="p", prompt_hash="b" * 64, settings={}
    )
    sure = [c for c in GOLD if caption(c) == SURE]
    for c in GOLD:  # r2: as r1, but 4 of the 32 confident drafts reword a right caption
        text = caption(c)
        rewrite = "The robot moves slowly." if c in sure[:4] else text
        verdict = "needs_edit" if rewrite != text else "accurate"
        draft = Draft(hallucinations=[], omissions=[], rewrite=rewrite, verdict=verdict)
        store.runs.save_draft(
            "r2",
            DraftResult(
                clip=c,
                caption=text,
                draft=draft,
                model="m",
                prompt=PromptRef(name="p", hash="b" * 64),
            ),
        )
    gold = [
        GoldCase(
            clip_id=c,
            caption=caption(c),
            gold_caption=caption(c) if caption(c) == SURE else "The robot picks a cube.",
            hallucinations=[],
            omissions=[],
        )
        for c in GOLD
    ]
    runs = tmp_path / "runs"
    for run in ("r1", "r2"):
        cases, summary = score_run(store, run, gold, LexicalJudge())
        write_run(runs / run, cases, summary)
    coverage = {
        run: json.loads((runs / run / "summary.json").read_text())["risk_coverage"]["coverage_at"]
        for run in ("r1", "r2")
    }
    assert coverage["r1"]["0.1"] == 0.8 and coverage["r2"]["0.1"] == 0.0  # 4 of 32 wrong

    runner = CliRunner()

    def compare(*args: str):
        return runner.invoke(app, ["eval", "compare", *args, "--runs-dir", str(runs),
                                   "--n-boot", "50"], env={"COLUMNS": "160"})  # fmt: skip

    worse = compare("r1", "r2", "--fail-if-worse", "coverage@0.1:0.05")
    assert worse.exit_code == 1, worse.output
    assert "FAIL coverage@0.1" in worse.stderr and "dropped by 0.8, from 0.800 to 0.000" in (
        " ".join(worse.stderr.split())
    )
    assert "coverage@0.1" in worse.stdout and "coverage@0.05" in worse.stdout  # in the table
    assert compare("r2", "r1", "--fail-if-worse", "coverage@0.1:0.05").exit_code == 0
    assert compare("r1", "r2", "--fail-if-worse", "coverage@0.1:0.9").exit_code == 0
    assert compare("r1", "r2", "--fail-if-worse", "coverage@0.05:0").exit_code == 0  # 0 both

    other = compare("r1", "r2", "--fail-if-worse", "coverage@0.2:0.05")
    assert other.exit_code == 1 and "no coverage at alpha = 0.2" in other.stderr
    assert parse_bounds(["coverage@0.10:0.05"]) == {"coverage@0.1": 0.05}
    bad = compare("r1", "r2", "--fail-if-worse", "coverage@1.5:0.05")
    assert bad.exit_code == 1 and "no α strictly between 0 and 1" in bad.stderr


def test_the_report_plots_the_curve_with_the_coverage_at_each_alpha_marked(tmp_path) -> None:
    import html
    import xml.etree.ElementTree as ET

    from evals.reports import write_run

    store = build(f"sqlite:///{tmp_path / 'r.db'}")
    gold = gold_cases()
    cases, summary = score_run(store, "r1", gold, LexicalJudge())
    page = (write_run(tmp_path / "run", cases, summary) / "report.html").read_text()
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" width="560"')
    svg = ET.fromstring(page[start : page.index("</svg>", start) + len("</svg>")])
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("aria-label") == "Risk–coverage (40 gold clips, δ = 0.1)"
    error_line, bound_line = (
        [tuple(map(float, xy.split(","))) for xy in p.get("points").split()]
        for p in sorted(svg.iter(f"{ns}polyline"), key=lambda p: p.get("stroke") != "#4c78a8")
    )
    # two thresholds: 80% accepted with no error, then all with 8 of 40 wrong; the error line
    # rises and the bound line lies above it
    assert len(error_line) == len(bound_line) == 2
    assert error_line[0][0] < error_line[1][0] and error_line[0][1] > error_line[1][1]
    assert all(b[1] < e[1] for e, b in zip(error_line, bound_line, strict=True))  # y grows down
    texts = [t.text for t in svg.iter(f"{ns}text")]
    assert "α = 0.1: 80% accepted (threshold 1.000)" in texts
    assert len(list(svg.iter(f"{ns}circle"))) == 1  # α = 0.05: nothing certified, no marker
    legend = html.unescape(page[page.index("</svg>", start) :])
    assert "α = 0.05: no threshold holds" in legend and "needs at least 45" in legend
