"""The rewrite check: each kind of breakage a rule-made rewrite can add is named, and nothing
the caption already had counts against its rewrite."""

from __future__ import annotations

import pytest

from agent.drafting import rewrite_problems
from agent.drafting._rewrite_check import english, fragments, has_finite_verb

PICK, PUSH, PRESS, DRAWER = "pick-place-v3", "push-v3", "button-press-topdown-v3", "drawer-open-v3"


@pytest.mark.parametrize(
    "caption,rewrite,task,problem",
    [
        # the kinds of breakage, reworded
        (
            "The arm seems to be trying to lift the mug.",
            "The arm bes lift the mug.",
            PICK,
            "not English ('bes')",
        ),
        (
            "The arm presses the lever and then retracts.",
            "The arm does not press the lever, and the task fails, and then retracts, having "
            "completed the task.",
            PRESS,
            "an outcome and its opposite",
        ),
        (
            "The arm opens the lid and moves it.",
            "The arm opens the drawer but is unable to open it.",
            DRAWER,
            "an outcome and its opposite",
        ),
        (
            "The arm lifts it off the table and carries it.",
            "The arm does not lift it off the table and lifts it over the table.",
            PICK,
            "denies a step beside its assertion (lift)",
        ),
        (
            "The arm raises it and places it at the target.",
            "The arm raises it and successfully completing the task.",
            PICK,
            "fragment without a verb ('successfully completing the task')",
        ),
        (
            "The arm slides the window shut, having pushed the handle all the way across.",
            "The arm having pushed the handle all the way across.",
            "window-open-v3",
            "fragment without a verb",
        ),
        (
            "The arm lifts it up and carries it to the target, where it places it down.",
            "The arm lifts it up, where it successfully completing the task.",
            PICK,
            "fragment without a verb ('it successfully completing the task')",
        ),
        (
            "The arm pulls the drawer out further, leaving it open.",
            "The arm leaving it open.",
            DRAWER,
            "fragment without a verb",
        ),
        (
            "The arm grabs the red puck, lifts it, and places it on the target.",
            "The arm does not lift it, and places it on the target.",
            PUSH,
            "'it' before the noun",
        ),
        (
            "The arm lifts it and then goes on to place it on the target.",
            "The arm lifts it and then goes on to but drops it before the target.",
            PICK,
            "broken phrase ('to but')",
        ),
        (
            "The arm pushes the puck; the task is not completed.",
            "The arm pushes the puck;",
            PUSH,
            "broken phrase",
        ),
        (
            "Having slid it across the table, the arm tries to lift it, so the task fails.",
            "Having slid it across the table, the arm so the task fails.",
            PUSH,
            "fragment without a verb ('the arm')",
        ),
        (
            "Having closed its gripper around it, the arm carries it to the target.",
            "Having closed its gripper around it, lifts it, the arm carries it to the target.",
            PICK,
            "fragment without a verb ('lifts it')",
        ),
        (
            "The robot arm grasps the puck and lifts it.",
            "The robot arm carefully grasps the puck and lifts it.",
            PICK,
            "guideline linter (speculation: 'carefully')",
        ),
        # a subordinate clause left standing alone once its main clause is cut
        (
            "The arm presses it down; the button is then released as the arm moves away.",
            "The arm presses it down; as the arm moves away.",
            PRESS,
            "fragment without a verb ('as the arm moves away')",
        ),
        # a connective left before the full stop
        (
            "The arm moves above the puck; however, it appears to miss it.",
            "The arm moves above the puck; however.",
            PUSH,
            "broken phrase ('however.')",
        ),
        # a subject whose verb phrase the rewrite replaced with a "but" clause
        (
            "The arm pushes the handle, and the window slides fully open.",
            "The arm moves toward the handle, and the window but does not slide open.",
            "window-open-v3",
            "fragment without a verb ('the window')",
        ),
    ],
)
def test_each_breakage_is_named(caption: str, rewrite: str, task: str, problem: str) -> None:
    problems = rewrite_problems(caption, rewrite, task)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    "caption,rewrite,task",
    [
        (
            "The robot arm grasps the red puck, lifts it and places it at the target.",
            "The robot arm grasps the red puck, lifts it but does not place it at the target, "
            "and the task fails.",
            PICK,
        ),
        (
            "In this video, the robot arm seems to be trying to press the button.",
            "In this video, the robot arm presses the button.",  # the caption's filler stays
            PRESS,
        ),
        (
            "The arm, with its gripper closed, pushes the drawer in until it is closed.",
            "The arm, with its gripper closed, pushes the drawer in until it is closed.",
            "drawer-close-v3",
        ),
        (
            "Having lifted the puck, the arm carries it to the target, wobbling slightly.",
            "Having lifted the puck, the arm carries it to the target, wobbling slightly.",
            PICK,
        ),
    ],
)
def test_sound_rewrites_pass(caption: str, rewrite: str, task: str) -> None:
    assert rewrite_problems(caption, rewrite, task) == []


def test_a_fragment_the_caption_had_may_lose_its_tail() -> None:
    """Cutting a purpose adjunct off a participle the caption already coordinated with a finite
    verb leaves the same fragment, shorter: not a new one."""
    caption = (
        "A robotic arm can be seen picking up the puck and carrying it toward the target in an "
        "effort to place it there."
    )
    rewrite = "A robotic arm can be seen picking up the puck and carrying it toward the target."
    assert rewrite_problems(caption, rewrite, PICK) == []


def test_what_the_caption_already_had_does_not_count() -> None:
    """Never worse than the caption: its own unknown word, contradiction or fragment may stay."""
    caption = "The arm grabz the puck and places it at the target. The task fails. Then the end."
    assert rewrite_problems(caption, caption, PICK) == []
    assert rewrite_problems(caption, caption.replace("grabz", "grips"), PICK) == []


def test_english_words_come_from_two_word_lists() -> None:
    assert english("pushes") and english("onto") and english("gripper") and english("two-finger")
    assert not english("bes") and not english("grabz")


def test_finite_verbs() -> None:
    assert has_finite_verb("the arm slid it") and has_finite_verb("it does not move")
    assert not has_finite_verb("having pushed the handle across")
    assert not has_finite_verb("successfully completing the task")
    assert fragments("The arm pushes it, sliding it open and completing the task.") == []


def test_this_video_is_no_antecedent_of_it() -> None:
    """lemminflect lists 'this' as a noun: 'In this video, ... does not lift it' still dangles."""
    caption = "In this video, the robotic arm grabs the puck and lifts it."
    problems = rewrite_problems(
        caption, "In this video, the robotic arm does not lift it.", "push-v3"
    )
    assert any("'it'" in p or "pronoun" in p for p in problems), problems


def test_a_robot_subject_left_without_its_verb_fails_the_check() -> None:
    caption = "The arm pushes the puck. The robot completes its objective."
    rewrite = "The arm pushes the puck. The robot, and the task fails."
    assert any("broken phrase" in p for p in rewrite_problems(caption, rewrite, "push-v3"))
