"""A small gold set with a shared clip, and fake-server responders built from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.clips import make_clip
from tests.fake_openai import caption_of

GOLD = [
    {
        "id": "g1",
        "caption": "The robot picks up the blue cube and places it on the left.",
        "gold_caption": "The robot picks up the red cube and places it on the right.",
        "gold_hallucinations": [
            {"span": "blue", "type": "attribute", "explanation": "the cube is red"},
            {"span": "on the left", "type": "direction_or_spatial", "explanation": "right"},
        ],
        "gold_omissions": [],
    },
    {
        "id": "g2",
        "caption": "The robot grasps the drawer handle and opens the drawer.",
        "gold_caption": "The robot pushes the drawer closed.",
        "gold_hallucinations": [
            {"span": "grasps the drawer handle", "type": "gripper_or_grasp", "explanation": "x"},
            {"span": "opens the drawer", "type": "action", "explanation": "it closes it"},
        ],
        "gold_omissions": [],
    },
    {
        "id": "g3",
        "caption": "The robot presses the button.",
        "gold_caption": "The robot presses the button.",
        "gold_hallucinations": [],
        "gold_omissions": [],
    },
    {
        "id": "g4",
        "caption": "The robot reaches toward the puck.",
        "gold_caption": "The robot reaches toward the puck and pushes it to the goal.",
        "gold_hallucinations": [],
        "gold_omissions": [{"description": "pushes the puck to the goal", "type": "step"}],
    },
]


def write_gold(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    make_clip(root / "clip.mp4", seconds=1, fps=10)
    path = root / "gold.jsonl"
    path.write_text("".join(json.dumps({**row, "video": "clip.mp4"}) + "\n" for row in GOLD))
    return path


def gold_answer(row: dict[str, Any]) -> dict[str, Any]:
    edit = bool(
        row["gold_hallucinations"] or row["gold_omissions"] or row["gold_caption"] != row["caption"]
    )
    return {
        "hallucinations": [dict(h, evidence_times=[0.5]) for h in row["gold_hallucinations"]],
        "omissions": [dict(o, evidence_times=[0.5]) for o in row["gold_omissions"]],
        "rewrite": row["gold_caption"],
        "verdict": "needs_edit" if edit else "accurate",
    }


def responder(overrides: dict[str, dict[str, Any]] | None = None):
    by_caption = {row["caption"]: row for row in GOLD}

    def respond(request: dict[str, Any]) -> dict[str, Any]:
        row = by_caption[caption_of(request)]
        return (overrides or {}).get(row["id"]) or gold_answer(row)

    return respond
