"""The claim finder: claims found in the ways people and vision models write them."""

from __future__ import annotations

import pytest

from agent.drafting._claims import contradiction, find_claims, inflect, outcome_stated


def claims(text: str, task: str | None = None) -> list[tuple[str, str, bool]]:
    found, _ = find_claims(text, task)
    return [(c.event, c.span(text), c.negated) for c in found]


@pytest.mark.parametrize(
    "text,task,expected",
    [
        # synonyms of placing, pushing and grasping
        (
            "The robot arm seizes the puck and deposits it on the goal.",
            "pick-place-v3",
            [("grasp", "seizes the puck", False), ("arrive", "deposits it on the goal", False)],
        ),
        (
            "The arm clamps the puck, hoists it and drops it off at the target.",
            "pick-place-v3",
            [
                ("grasp", "clamps the puck", False),
                ("lift", "hoists it", False),
                ("arrive", "drops it off at the target", False),
            ],
        ),
        (
            "The robot arm nudges the puck until it sits on the goal.",
            "push-v3",
            [("arrive", "nudges the puck until it sits on the goal", False)],
        ),
        # passive voice: the span starts at the subject and stops before "by"
        (
            "The drawer is pulled open by the robot arm.",
            "drawer-open-v3",
            [("open", "The drawer is pulled open", False)],
        ),
        # participles and "and then"
        (
            "Having lifted the puck, the arm carries it to the target.",
            "pick-place-v3",
            [
                ("lift", "Having lifted the puck", False),
                ("arrive", "carries it to the target", False),
            ],
        ),
        (
            "The robot arm raises the puck and then grasps it.",
            "pick-place-v3",
            [("lift", "raises the puck", False), ("grasp", "grasps it", False)],
        ),
        # negations: the span starts at the negator
        (
            "The arm brings it to the target without lifting it.",
            "pick-place-v3",
            [("arrive", "brings it to the target", False), ("lift", "without lifting it", True)],
        ),
        (
            "The robot arm taps the button but fails to push it down.",
            "button-press-topdown-v3",
            [("press", "fails to push it down", True)],
        ),
        # end states decide what a push does to a drawer; "the open drawer" is no claim
        (
            "The robot arm pushes the open drawer in until it is closed.",
            "drawer-close-v3",
            [("close", "pushes the open drawer in until it is closed", False)],
        ),
        # the arm lifting itself away is not a lift of the object; an attempt is not a claim
        (
            "The robot arm slides the drawer in until it shuts, then lifts away.",
            "drawer-close-v3",
            [("close", "slides the drawer in until it shuts", False)],
        ),
        ("The robot arm tries to close the drawer.", "drawer-close-v3", []),
        # the gripper opening on a pick-and-place is not the task's "open"
        ("The gripper opens early.", "pick-place-v3", []),
    ],
)
def test_claims_in_many_wordings(text: str, task: str, expected: list) -> None:
    assert claims(text, task) == expected


def test_claims_inside_speculation_are_not_claims() -> None:
    text = "The robot arm approaches the puck, apparently trying to push it to the target."
    assert claims(text, "push-v3") == []


@pytest.mark.parametrize(
    "text,task,success,failure",
    [
        ("The robot arm presses the red button down.", "button-press-topdown-v3", True, False),
        (
            "The robot arm moves toward the red button but does not press it down, and the task "
            "fails.",
            "button-press-topdown-v3",
            False,
            True,
        ),
        ("The robot arm pushes the puck but it stops short of the target.", "push-v3", False, True),
        (
            "The robot arm pushes the drawer in but leaves it partly open.",
            "drawer-close-v3",
            True,
            True,
        ),
        ("The arm reaches the handle, but the drawer stays closed.", "drawer-open-v3", False, True),
    ],
)
def test_outcome_stated(text: str, task: str, success: bool, failure: bool) -> None:
    assert outcome_stated(text, task) == (success, failure)


def test_contradiction_is_an_outcome_and_its_opposite() -> None:
    both = "The robot arm grasps the puck and places it at the target. The task fails."
    assert contradiction(both, "pick-place-v3")
    assert not contradiction(
        "The robot arm grasps the puck, lifts it but drops it before the target, and the task "
        "fails.",
        "pick-place-v3",
    )


@pytest.mark.parametrize(
    "lemma,form,out",
    [
        ("push", "3sg", "pushes"),
        ("grab", "ing", "grabbing"),
        ("place", "ed", "placed"),
        ("slide", "ed", "slid"),
        ("carry", "3sg", "carries"),
        ("lift", "base", "lift"),
    ],
)
def test_inflect(lemma: str, form: str, out: str) -> None:
    assert inflect(lemma, form) == out
