"""The built-in guideline file reproduces the linter it replaced, warning for warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.guidelines import default_guidelines, inspect_guidelines, lint

PARITY = Path(__file__).resolve().parents[2] / "data" / "lint_parity.jsonl"


def parity_rows() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in PARITY.read_text().splitlines()]


def test_the_built_in_file_reproduces_the_old_linter_on_every_frozen_caption() -> None:
    """tests/data/lint_parity.jsonl holds the output of the last hard-coded linter (that of
    ca2125c with the offline drafter's added speculation and filler phrases) on every caption
    the repository ships (sample, held-out sets A-C, their gold captions) and on hand-written
    and random edge cases; the guideline-file linter must give the same warnings,
    text, messages and offsets."""
    rows = parity_rows()
    assert len(rows) > 500 and sum(len(r["warnings"]) for r in rows) > 1000
    kinds = {w[0] for r in rows for w in r["warnings"]}
    assert kinds == {"spelling", "tense", "speculation", "filler", "length"}
    mismatched = [
        r["text"]
        for r in rows
        if [[w.kind, w.text, w.message, w.start, w.end] for w in lint(r["text"])] != r["warnings"]
    ]
    assert mismatched == []


def test_the_built_in_file_has_no_problem_and_its_prose_is_the_markdown() -> None:
    guidelines, problems = inspect_guidelines(None)
    assert problems == [] and guidelines is not None
    md = (Path(__file__).resolve().parents[3] / "prompts" / "guidelines.md").read_text()
    assert guidelines.prose == md.strip()
    assert guidelines.name == "recap" and guidelines.version.startswith("recap@")
    assert [r.kind for r in guidelines.rules] == [
        "spelling",
        "tense",
        "speculation",
        "filler",
        "length",
    ]
    assert guidelines.rubric is None


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("The robot arm carefully grasps the red cube and lifts it.", ["speculation"]),
        ("In this video the robot arm picked the cube.", ["filler", "tense"]),
        ("The arm.", ["length"]),
        ("The robot arm grabbs the cube and lifts it up.", ["spelling"]),
    ],
)
def test_lint_finds_each_kind(text: str, kinds: list[str]) -> None:
    assert sorted(w.kind for w in lint(text)) == sorted(kinds)
    assert all(w.severity == "warning" for w in lint(text))


def test_the_default_is_loaded_once() -> None:
    assert default_guidelines() is default_guidelines()
