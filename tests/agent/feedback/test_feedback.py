"""The feedback report's figures: on a small team's scripted run (two reviewers, a lead, a gold
check, a control-arm clip) against values worked out by hand, and on the bundled gold set
against the gold labels counted straight from the manifest."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from agent.data import ingest
from agent.decisions import Arm
from agent.feedback import build, from_gold, from_run, phrases, profile, replacement, wilson
from agent.review import ReviewSession, settle
from agent.schema import Draft, DraftResult, GoldLabels, PromptRef
from agent.sets import SetKind
from agent.store import Clip, Store
from agent.telemetry import Telemetry

SAMPLE = Path(__file__).parents[3] / "evals" / "datasets" / "sample" / "manifest.jsonl"
CAPTION = "The robot moves the blue cube left."
REWRITE = "The robot moves the red cube right and lets go."
DRAFT = {
    "hallucinations": [
        {"span": "blue", "type": "attribute", "explanation": "red"},
        {"span": "left", "type": "direction_or_spatial", "explanation": "right"},
    ],
    "omissions": [{"description": "the release", "type": "step"}],
    "rewrite": REWRITE,
    "verdict": "needs_edit",
}
ALL = {"hallucinations": {"0": True, "1": True}, "omissions": {"0": True}}
# c1-c3 push (c1, c2 failed episodes), c4-c6 pick; g1 a gold clip
TASK = {"c1": "push", "c2": "push", "c3": "push", "c4": "pick", "c5": "pick", "c6": "pick"}
FAILED = {"c1", "c2"}


def z_wilson(k: int, n: int) -> tuple[float, float]:
    """The textbook Wilson score interval, to check the library is asked the right thing."""
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.fixture
def team_run(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'team.db'}")
    store.runs.ensure(
        "r", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={}
    )
    for name in ("batch-1", "batch-2"):
        store.sets.ensure(name, SetKind.PRODUCTION)
    for i, clip_id in enumerate(["c1", "c2", "c3", "c4", "c5", "c6", "g1"]):
        gold = (
            GoldLabels.model_validate(
                {"caption": REWRITE, "hallucinations": [{"span": "blue", "type": "attribute"}]}
            )
            if clip_id == "g1"
            else None
        )
        telemetry = Telemetry(t=[0.0, 1.0], success=clip_id not in FAILED)
        store.clips.upsert(
            Clip(
                id=clip_id,
                video="/v.mp4",
                content_hash=str(i),
                gold=gold,
                telemetry=telemetry,
                meta={"task": TASK.get(clip_id, "pick"), "camera": "front"},
            ),
            CAPTION,
            into="batch-1" if clip_id in ("c1", "c2", "c3") else "batch-2",
        )
        store.runs.save_draft(
            "r",
            DraftResult(
                clip=clip_id,
                caption=CAPTION,
                draft=Draft.model_validate(DRAFT),
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )

    # cat reviews c6 in the control arm (no findings shown): left out of the figures
    cat = ReviewSession(store, "cat@x.org", "r", browser="cat", control_share=1.0)
    item = cat.next_item(after="c5")
    assert (item.clip_id, item.arm) == ("c6", Arm.CONTROL)
    cat.decide(item, "accepted", seconds=5)

    ann = ReviewSession(store, "ann@x.org", "r", browser="ann", gold_rate=1.0, overlap=1.0)
    bob = ReviewSession(store, "bob@x.org", "r", browser="bob", gold_rate=1.0, overlap=1.0)
    for who in (ann, bob):  # each one's gold check of g1 moves no clip: g1 stays pending
        item = who.next_item()
        assert (item.clip_id, item.purpose) == ("g1", "gold")
        who.decide(item, "accepted", seconds=5)

    def both(clip: str, a: tuple, b: tuple) -> None:
        for who, (decision, text, agreed) in ((ann, a), (bob, b)):
            item = who.next_item()
            assert (item.clip_id, item.purpose) == (clip, "double")
            who.decide(item, decision, text, agreed=agreed, seconds=5)

    # c1: both accept the draft (every finding agreed)
    both("c1", ("accepted", None, None), ("accepted", None, None))
    # c2: the same edit; ann agrees with "blue" only, bob with everything: "blue" counts
    red_left = "The robot moves the red cube left."
    both(
        "c2",
        ("edited", red_left, {"hallucinations": {"0": True, "1": False}}),
        ("edited", red_left, ALL),
    )
    # c3: disputed (edited vs accepted); the lead keeps ann's caption, so ann's marks count
    red_right = "The robot moves the red cube right."
    both(
        "c3",
        ("edited", red_right, {"hallucinations": {"0": True, "1": True}}),
        ("accepted", None, None),
    )
    # c4: both reject the draft with the same caption and agree with no finding
    own = "The robot pushes the cube."
    none = {"hallucinations": {"0": False, "1": False}, "omissions": {"0": False}}
    both("c4", ("rejected", own, none), ("rejected", own, none))
    # c5: disputed; the lead writes a third caption without "blue" and "left"
    both(
        "c5",
        ("edited", red_right, {"hallucinations": {"0": True, "1": True}}),
        ("edited", "The red cube moves right.", {"hallucinations": {"0": True}}),
    )
    settle(store, "lee@x.org", "r", "c3", red_right)
    settle(store, "lee@x.org", "r", "c5", "The robot moves the red cube.")
    yield store
    store.close()


def test_the_team_runs_figures_match_the_hand_computed_ones(team_run: Store) -> None:
    collected = from_run(team_run, "r")
    by_clip = {c.clip_id: c for c in collected.clips}
    # c6 (control arm) and g1 (only gold checks: still pending) are left out
    assert sorted(by_clip) == ["c1", "c2", "c3", "c4", "c5"]
    assert sum(collected.left_out.values()) == 2
    assert any("control" in why for why in collected.left_out)
    kinds = {k: sorted(f"{f.kind}:{f.type}" for f in c.flags) for k, c in by_clip.items()}
    assert kinds == {
        "c1": ["hallucination:attribute", "hallucination:direction_or_spatial", "omission:step"],
        "c2": ["hallucination:attribute"],
        "c3": ["hallucination:attribute", "hallucination:direction_or_spatial"],
        "c4": [],
        "c5": ["hallucination:attribute", "hallucination:direction_or_spatial"],
    }
    assert [k for k, c in by_clip.items() if c.edited_unlabelled] == ["c4"]

    rates = {r.name: r for r in profile(collected.clips)}
    expected = {
        "any": 5,
        "hallucination:attribute": 4,
        "hallucination:direction_or_spatial": 3,
        "omission:step": 1,
        "edited_unlabelled": 1,
        "hallucination:outcome": 0,
    }
    for name, k in expected.items():
        r = rates[name]
        assert (r.n, r.captions, r.errors) == (5, k, k), name
        assert r.share == pytest.approx(k / 5)
        if 0 < k < 5:
            assert r.share_ci == pytest.approx(z_wilson(k, 5), abs=1e-9)
    assert rates["hallucination:attribute"].share_ci == pytest.approx((0.3755, 0.9638), abs=1e-4)

    report = build(collected)
    cells = {(c.facet, c.value, c.rate.name): c for c in report.cells}
    # task: push c1-c3 all have "blue"; pick c4, c5: one of two
    push = cells[("task", "push", "hallucination:attribute")].diff
    assert (push.a.captions, push.a.n, push.b.captions, push.b.n) == (3, 3, 1, 2)
    assert push.delta == pytest.approx(1 - 1 / 2)
    # episodes: failure (c1, c2): direction 1 of 2; success (c3-c5): 2 of 3; only the larger
    # of the two mirrored cells is listed
    ep = cells[("episode", "success", "hallucination:direction_or_spatial")].diff
    assert (ep.a.captions, ep.a.n, ep.b.captions, ep.b.n) == (2, 3, 1, 2)
    assert ("episode", "failure", "hallucination:direction_or_spatial") not in cells
    # sets: batch-1 is c1-c3, batch-2 c4, c5 (c6 left out)
    sets = cells[("set", "batch-1", "hallucination:attribute")].diff
    assert (sets.a.captions, sets.a.n, sets.b.captions, sets.b.n) == (3, 3, 1, 2)
    # the largest differences first
    deltas = [abs(c.diff.delta) for c in report.cells if not c.diff.beyond_chance]
    assert deltas == sorted(deltas, reverse=True)

    # what it says wrong: "blue" in four spans, written "red" each time; "left" in three,
    # aligned to "right and lets go" (c1: the words after it were added with it), "right" (c3)
    # and removed (the lead's c5): a tie, which goes to the first clip
    found = {(p.type, p.phrase): p for p in phrases(collected.clips)}
    blue = found[("attribute", "blue")]
    assert (blue.count, blue.replacement, blue.replacement_count) == (4, "red", 4)
    assert [e.clip_id for e in blue.examples] == ["c1", "c2", "c3", "c5"]
    left = found[("direction_or_spatial", "left")]
    assert (left.count, left.replacement, left.replacement_count) == (3, "right and lets go", 1)

    # the summary: the largest sources, with figures and intervals
    assert report.summary[0].startswith("Attribute hallucination: 80% of captions (4 of 5; 95% CI")
    assert '"blue" (4×), corrected to "red"' in report.summary[0]
    assert report.summary[1].startswith("Direction or spatial hallucination: 60% of captions")
    assert len(report.summary) == 4  # attribute, direction, step omission, edited unlabelled


def test_comparing_two_sets(team_run: Store) -> None:
    report = build(from_run(team_run, "r"), compare=("batch-1", "batch-2"))
    diffs = {d.a.name: d for d in report.comparison.diffs}
    attr = diffs["hallucination:attribute"]
    assert (attr.a.captions, attr.a.n, attr.b.captions, attr.b.n) == (3, 3, 1, 2)
    assert attr.delta == pytest.approx(0.5)
    # Newcombe's interval from the two Wilson intervals
    (l1, u1), (l2, u2) = wilson(3, 3), wilson(1, 2)
    assert attr.low == pytest.approx(0.5 - math.hypot(1 - l1, u2 - 0.5))
    assert attr.high == pytest.approx(0.5 + math.hypot(u1 - 1, 0.5 - l2))
    assert not attr.beyond_chance  # 3 of 3 against 1 of 2 is within chance


def test_every_per_type_rate_of_the_gold_set_is_its_label_count_over_clips(
    tmp_path: Path,
) -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(f"hallucination:{h['type']}" for h in row.get("gold_hallucinations", []))
        counts.update(f"omission:{o['type']}" for o in row.get("gold_omissions", []))
    store = Store(f"sqlite:///{tmp_path / 'gold.db'}")
    ingest(store, SAMPLE)
    collected = from_gold(store, [r["id"] for r in rows], str(SAMPLE))
    store.close()
    assert len(collected.clips) == len(rows) == 30 and not collected.left_out
    rates = {r.name: r for r in profile(collected.clips)}
    typed = [name for name in rates if ":" in name]
    assert set(counts) <= set(typed)
    for name in typed:
        assert rates[name].errors == counts[name], name
        assert rates[name].rate == pytest.approx(counts[name] / 30), name
    assert sum(counts.values()) > 30  # some clips carry two labels of one type


@pytest.mark.parametrize(
    ("caption", "span", "corrected", "expected"),
    [
        ("The arm lifts the blue cube.", "blue", "The arm lifts the red cube.", "red"),
        ("The arm carefully lifts it.", "carefully", "The arm lifts it.", ""),
        ("The arm lifts it.", "lifts", "The arm lifts it.", None),
        (
            "The arm pushes it left, then stops.",
            "pushes it left",
            "The arm pushes it right, then stops.",
            "pushes it right",
        ),
        ("The arm lifts it.", "lifts", None, None),
    ],
)
def test_the_replacement_of_a_span(
    caption: str, span: str, corrected: str | None, expected: str | None
) -> None:
    assert replacement(caption, span, corrected) == expected


def test_against_telemetry_the_sample_outcome_claims_are_the_gold_ones(tmp_path: Path) -> None:
    """On the sample, the telemetry rules find exactly the outcome and grasp claims its gold
    labels mark (each injected outcome error is a success claimed on a failed episode)."""
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]
    store = Store(f"sqlite:///{tmp_path / 'gold.db'}")
    ingest(store, SAMPLE)
    report = build(from_gold(store, [r["id"] for r in rows], str(SAMPLE)))
    collected = from_gold(store, [r["id"] for r in rows], str(SAMPLE))
    store.close()
    for kind in ("outcome", "gripper_or_grasp"):
        gold = {
            r["id"]
            for r in rows
            if any(h["type"] == kind for h in r.get("gold_hallucinations", []))
        }
        said = {c.clip_id for c in collected.clips if kind in (c.against_telemetry or ())}
        assert said == gold, kind
        overall = next(r for task, r in report.telemetry if task == "all" and kind in r.name)
        assert (overall.captions, overall.n) == (len(gold), 30)
    push = [r for task, r in report.telemetry if task == "push"]
    assert [r.n for r in push] == [5, 5]
