"""Caption error injection and gold spans, checked without rendering."""

from __future__ import annotations

import random

import pytest

from agent.schema import Draft
from evals.datasets.mistakes import INJECTORS, Injected, Story, gold_caption, inject, story


def telemetry(grasp: bool, lift_cm: float, success: bool, moved: bool = False) -> dict:
    n = 30
    gripper = [1.0] * n
    obj = [[0.0, 0.6, 0.02] for _ in range(n)]
    if grasp:
        for i in range(10, n):
            gripper[i] = 0.1
            obj[i] = [0.0, 0.6, 0.02 + min(lift_cm / 100, (i - 10) * 0.01)]
    if moved:
        obj[-1] = [0.1, 0.7, 0.02]
    return {
        "t": [i / 10 for i in range(n)],
        "gripper": gripper,
        "object_pos": obj,
        "success": success,
    }


def test_story_reads_grasp_lift_and_outcome_from_telemetry() -> None:
    s = story("pick_place", "puck", "red", telemetry(True, 8, True))
    assert (s.grasped, s.lifted, s.success) == (True, True, True)
    s = story("pick_place", "puck", "red", telemetry(False, 0, False))
    assert (s.grasped, s.lifted, s.success) == (False, False, False)


@pytest.mark.parametrize(
    "kind,grasp,lift,success,expected",
    [
        (
            "pick_place",
            True,
            8,
            True,
            "The robot arm reaches for the red puck, grasps it, lifts it "
            "and places it at the target.",
        ),
        (
            "pick_place",
            True,
            8,
            False,
            "The robot arm grasps the red puck and lifts it, but the "
            "puck drops before the target and the task fails.",
        ),
        (
            "pick_place",
            False,
            0,
            False,
            "The robot arm moves toward the red puck but does not grasp it, and the task fails.",
        ),
        ("press", False, 0, True, "The robot arm moves above the red button and presses it down."),
    ],
)
def test_gold_caption_follows_what_happened(kind, grasp, lift, success, expected) -> None:
    obj = "button" if kind == "press" else "puck"
    assert gold_caption(story(kind, obj, "red", telemetry(grasp, lift, success))) == expected


def test_every_injector_marks_exact_spans_the_contract_accepts() -> None:
    stories = [
        Story("pick_place", "puck", "red", s, g, g, g) for s in (True, False) for g in (True, False)
    ] + [
        Story("press", "button", "red", True, False, False, False),
        Story("drawer_close", "drawer", None, False, False, False, False),
    ]
    seen = set()
    for s in stories:
        gold = gold_caption(s)
        for fn in INJECTORS:
            out = fn(Injected(gold), s, random.Random(0))
            if out is None:
                continue
            seen.update(out.kinds)
            assert out.caption != gold
            for h in out.hallucinations:
                assert h["span"] in out.caption, (fn.__name__, h, out.caption)
            # the gold answer is a valid Draft for the AI caption
            Draft.model_validate(
                {
                    "hallucinations": out.hallucinations,
                    "omissions": out.omissions,
                    "rewrite": gold,
                    "verdict": "needs_edit",
                },
                context={"caption": out.caption, "duration": 5.0},
            )
    assert {
        "outcome",
        "attribute",
        "object",
        "gripper_or_grasp",
        "speculation",
        "direction_or_spatial",
        "count",
        "order",
        "omission:step",
        "omission:outcome",
    } <= seen


def test_injection_is_deterministic_from_the_seed() -> None:
    s = Story("pick_place", "puck", "red", False, True, True, True)
    a = inject(gold_caption(s), s, random.Random(7), n=2)
    b = inject(gold_caption(s), s, random.Random(7), n=2)
    assert a == b and 1 <= len(a.kinds) <= 2
