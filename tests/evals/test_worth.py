"""The control-arm report: figures per arm equal hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pytest
from sacrebleu.metrics import TER
from typer.testing import CliRunner

from agent.schema import Draft, DraftResult, GoldLabels, Usage
from agent.store import Clip, Review, Store
from evals.worth import worth
from recap.main import app

GOLD = "The robot pushes the red puck to the goal."


def setup(tmp_path: Path) -> Store:
    store = Store(tmp_path / "w.db")
    store.runs.ensure("r", drafter="llm", model="m", prompt_name="p", prompt_hash="h", settings={})
    for i in range(6):
        cid = f"c{i}"
        store.clips.upsert(
            Clip(
                id=cid,
                video="/nowhere.mp4",
                root="/",
                start_s=0.0,
                end_s=5.0,
                gold=GoldLabels(caption=GOLD),
                content_hash=cid,
            ),
            "The robot pushes the blue puck.",
        )
        draft = Draft(rewrite=GOLD, verdict="needs_edit", observations="x")
        store.runs.save_draft(
            "r",
            DraftResult(
                clip=cid,
                caption="The robot pushes the blue puck.",
                draft=draft,
                usage=Usage(prompt_tokens=1000, completion_tokens=100),
                cost_usd=0.002,
            ),
        )
    # draft arm: c0..c3, control arm: c4, c5
    finals = {
        "c0": (GOLD, 10.0, 0, "draft"),
        "c1": (GOLD, 20.0, 0, "draft"),
        "c2": ("The robot pushes the red puck.", 30.0, 3, "draft"),
        "c3": (GOLD, 40.0, 0, "draft"),
        "c4": ("The robot pushes the red puck to the goal.", 60.0, 4, "control"),
        "c5": ("The robot pushes the puck.", 80.0, 1, "control"),
    }
    for cid, (final, seconds, dist, arm) in finals.items():
        store.reviews.add(
            Review(
                clip_id=cid,
                run="r",
                reviewer="ann",
                decision="edited",
                final_caption=final,
                seconds=seconds,
                edit_distance=dist,
                arm=arm,
            )
        )
    return store


def test_arm_figures_equal_hand_computed_values(tmp_path: Path) -> None:
    w = worth(setup(tmp_path), "r", n_boot=300)
    d, c = w.arms["draft"], w.arms["control"]
    assert (d.clips, c.clips) == (4, 2)
    assert d.seconds.value == pytest.approx(25.0) and c.seconds.value == pytest.approx(70.0)
    assert d.edit_distance.value == pytest.approx(0.75) and c.edit_distance.value == 2.5
    ter = TER()
    draft_ter = ter.corpus_score(
        [GOLD, GOLD, "The robot pushes the red puck.", GOLD], [[GOLD] * 4]
    ).score
    control_ter = ter.corpus_score(
        ["The robot pushes the red puck to the goal.", "The robot pushes the puck."], [[GOLD] * 2]
    ).score
    assert d.ter_vs_gold.value == pytest.approx(draft_ter)
    assert c.ter_vs_gold.value == pytest.approx(control_ter)
    for e in (d.seconds, c.seconds, d.edit_distance, d.ter_vs_gold):
        assert e.low <= e.value <= e.high
    assert d.seconds.low >= 10.0 and d.seconds.high <= 40.0  # inside the observed range
    assert w.cost.drafted == 6 and w.cost.per_clip == pytest.approx(0.002)
    assert w.cost.video_hours == pytest.approx(30 / 3600)
    assert w.cost.per_video_hour == pytest.approx(0.012 / (30 / 3600))


def test_report_command_prints_both_arms_and_cost(tmp_path: Path) -> None:
    setup(tmp_path)
    r = CliRunner().invoke(
        app, ["report", "--db", str(tmp_path / "w.db"), "--n-boot", "100"], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    assert "draft (4 clips)" in out and "control (2 clips)" in out
    assert "25.0 s [" in out and "70.0 s [" in out
    assert "$1.44" in out  # 0.012 dollars over 30 s of video
