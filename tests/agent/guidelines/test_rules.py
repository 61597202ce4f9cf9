"""Each rule a guideline file can turn on, what it flags and what it lets through."""

from __future__ import annotations

from pathlib import Path

from agent.guidelines import Guidelines, LintWarning, load_guidelines
from agent.guidelines._rules import PhraseRule


def guideline(tmp_path: Path, text: str) -> Guidelines:
    path = tmp_path / "g.toml"
    path.write_text(text)
    return load_guidelines(path)


def kinds(g: Guidelines, text: str, **kw: int) -> list[tuple[str, str]]:
    """The warnings other than the built-in guideline's own (spelling, tense, ...)."""
    inherited = {"spelling", "tense", "speculation", "filler", "length"}
    return [(w.kind, w.text) for w in g.lint(text, **kw) if w.kind not in inherited]


def test_past_tense_flags_present_forms_with_the_built_in_table(tmp_path: Path) -> None:
    g = guideline(tmp_path, '[tense]\nuse = "past"\n')
    text = "The robot arm picks up the cube and lifted it."
    found = [w for w in g.lint(text) if w.kind == "tense"]
    assert [(w.text, w.message) for w in found] == [
        ("picks", "present tense 'picks': use past tense, e.g. 'picked'")
    ]


def test_voice_flags_the_passive_but_not_a_state(tmp_path: Path) -> None:
    g = guideline(tmp_path, '[voice]\nuse = "active"\n')
    assert kinds(g, "The red cube is picked up and then slowly moved.") == [("voice", "is picked")]
    assert kinds(g, "A cube was taken by the arm.") == [("voice", "was taken")]
    assert kinds(g, "The robot arm pushes the drawer until it is closed.") == []
    assert kinds(g, "The drawer is closed by the robot arm.") == [("voice", "is closed")]


def test_sentence_limits(tmp_path: Path) -> None:
    g = guideline(tmp_path, "[limits]\nmax_sentences = 2\nmax_sentence_words = 6\n")
    text = "The arm reaches. It grasps the cube. It lifts the red cube off the table now."
    found = [w for w in g.lint(text) if w.kind == "sentences"]
    assert [w.message for w in found] == [
        "3 sentences: write at most 2",
        "a sentence of 9 words: split it (at most 6)",
    ]
    assert text[found[1].start : found[1].end] == "It lifts the red cube off the table now."


def test_outcome_required_in_the_last_sentence(tmp_path: Path) -> None:
    g = guideline(tmp_path, "[require]\noutcome = true\noutcome_last = true\n")
    assert kinds(g, "The robot arm pushes the puck to the goal, and the task succeeds.") == []
    assert kinds(g, "The arm misses the puck. It moves back to the start.") == [
        ("outcome", "It moves back to the start.")
    ]
    anywhere = guideline(tmp_path, "[require]\noutcome = true\n")
    assert kinds(anywhere, "The arm misses the puck. It moves back to the start.") == []
    assert kinds(anywhere, "The robot arm moves left.")[0][0] == "outcome"


def test_arm_named_on_multi_arm_robots(tmp_path: Path) -> None:
    g = guideline(tmp_path, "[require]\narm_name = true\n")
    text = "The left arm grasps the cube while the gripper of the other arm opens."
    assert kinds(g, text) == [("arm", "gripper"), ("arm", "arm")]
    assert kinds(g, "The right robot arm lifts it and the left gripper holds it.") == []
    assert kinds(g, text, arms=1) == []  # a one-arm clip needs no name
    assert kinds(g, text, arms=2) == [("arm", "gripper"), ("arm", "arm")]


def test_spatial_convention_flags_the_other_view_only(tmp_path: Path) -> None:
    camera = guideline(tmp_path, '[severity]\nspatial = "warning"\n')
    assert kinds(camera, "The arm moves the cube to the robot's left.") == [
        ("spatial", "robot's left")
    ]
    assert kinds(camera, "The arm moves the cube to the left.") == []
    robot = guideline(tmp_path, '[spatial]\nview = "robot"\n[severity]\nspatial = "info"\n')
    [w] = robot.lint("The arm moves the cube to the left side of the image.")
    assert (w.kind, w.severity) == ("spatial", "info") and "robot's view" in w.message


def test_phrase_groups_with_patterns_and_severity(tmp_path: Path) -> None:
    g = guideline(
        tmp_path,
        """
[phrases.hedges]
phrases = ["sort of"]
patterns = ['\\bkind(?:a| of)\\b']
message = "{text!r} hedges"
[severity]
hedges = "error"
speculation = "off"
""",
    )
    found = g.lint("The arm kinda sort of carefully pushes it.")
    assert [(w.kind, w.text, w.message, w.severity) for w in found] == [
        ("hedges", "kinda", "'kinda' hedges", "error"),
        ("hedges", "sort of", "'sort of' hedges", "error"),
    ]
    assert "speculation" not in [r.kind for r in g.rules]


def test_a_broken_rule_is_reported_not_raised(tmp_path: Path) -> None:
    """A rule that fails at lint time (here one whose compiled pattern raises) costs that rule
    only: the caller gets a broken-rule warning and every other rule's warnings."""

    class Exploding:
        def finditer(self, text: str) -> list[object]:
            raise RuntimeError("out of memory in the matcher")

    g = guideline(tmp_path, '[phrases.x]\npatterns = ["zzz"]\n')
    rule = next(r for r in g._rules if r.kind == "x")
    assert isinstance(rule, PhraseRule)
    rule.patterns = [("zzz", Exploding())]
    found = g.lint("The arm carefully lifts it.")
    assert (
        LintWarning(
            "broken-rule",
            "x",
            "rule 'x' is broken (RuntimeError: out of memory in the matcher); check the guideline "
            "file with `recap guidelines check FILE`",
            severity="error",
        )
        in found
    )
    assert ("speculation", "carefully") in [(w.kind, w.text) for w in found]


def test_rubric_is_exposed_and_checks_scores(tmp_path: Path) -> None:
    g = guideline(
        tmp_path,
        """
[rubric]
scale = [1, 4]
[rubric.dimensions.accuracy]
description = "Every claim is true of the clip."
levels = { "1" = "a claim is false", "4" = "all true" }
[rubric.dimensions.language]
description = "Follows the guideline's wording."
""",
    )
    assert g.rubric is not None
    assert [d.name for d in g.rubric.dimensions] == ["accuracy", "language"]
    assert list(g.rubric.scale) == [1, 2, 3, 4]
    assert g.rubric.dimension("accuracy").levels == {1: "a claim is false", 4: "all true"}  # type: ignore[union-attr]
    assert g.rubric.problems({"accuracy": 4, "language": 1}) == []
    assert g.rubric.problems({"accuracy": 5, "fluency": 2, "language": True}) == [
        "accuracy: score 5 is outside 1-4",
        "unknown rubric dimension 'fluency' (the rubric has accuracy, language)",
        "language: score True is not a whole number",
    ]
