"""Drafts of one caption, built the way a model's answer is validated."""

from __future__ import annotations

from typing import Any

from agent.schema import Draft

CAPTION = "The robot arm grasps the blue cube, lifts it and places it at the target."
GOLD = "The robot arm grasps the red cube, lifts it but drops it, and the task fails."


def draft(
    rewrite: str = GOLD,
    halls: list[tuple[str, str]] | None = None,
    omissions: list[str] | None = None,
    caption: str = CAPTION,
) -> Draft:
    """A validated draft of `caption`: flagged (span, type) pairs, omission types, a rewrite."""
    halls = (
        [("blue", "attribute"), ("places it at the target", "outcome")] if halls is None else halls
    )
    payload: dict[str, Any] = {
        "hallucinations": [
            {"span": s, "type": t, "explanation": "see the video"} for s, t in halls
        ],
        "omissions": [{"description": "what is missing", "type": t} for t in omissions or []],
        "rewrite": rewrite,
        "verdict": "needs_edit" if halls or omissions or rewrite != caption else "accurate",
    }
    return Draft.model_validate(payload, context={"caption": caption, "duration": 5.0})


def accurate(caption: str = CAPTION) -> Draft:
    return draft(rewrite=caption, halls=[], caption=caption)
