"""The claim finder: claims found in the ways people and vision models write them."""

from __future__ import annotations

import pytest

from agent.drafting._claims import (
    contradiction,
    directions,
    find_claims,
    gripper_states,
    hedges,
    inflect,
    outcome_stated,
    speculation_spans,
    verb_lemma,
)


def claims(text: str, task: str | None = None) -> list[tuple[str, str, bool]]:
    """Claims of what happened (a hedged claim, 'tries to close it', is no such claim)."""
    found, _ = find_claims(text, task)
    return [(c.event, c.span(text), c.negated) for c in found if not c.hedged]


def statements(text: str, task: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in find_claims(text, task)[1]]


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
        # the gripper opening is the gripper's own event, never the task's "open"
        (
            "The gripper opens early.",
            "pick-place-v3",
            [("gripper_open", "The gripper opens early", False)],
        ),
        (
            "The robot arm closes its gripper and pulls the drawer open.",
            "drawer-open-v3",
            [
                ("gripper_close", "closes its gripper", False),
                ("open", "pulls the drawer open", False),
            ],
        ),
        # a state word before a noun is an adjective, not an end state
        (
            "A robot arm moves its closed gripper to the window handle and slides the window open.",
            "window-open-v3",
            [
                ("contact", "moves its closed gripper to the window handle", False),
                ("open", "slides the window open", False),
            ],
        ),
        # a passive with the robot as its subject says nothing about the object
        ("A robotic arm is positioned above a table with a red puck.", "push-v3", []),
        # "stops ... before touching it": no touch; the object reaching the target: an arrival
        (
            "The arm moves toward the button but stops short before touching it.",
            "button-press-topdown-v3",
            [("contact", "before touching it", True)],
        ),
        (
            "The robot arm slides the puck, and the puck reaches the green target.",
            "push-v3",
            [("push", "slides the puck", False), ("arrive", "reaches the green target", False)],
        ),
        # "instead of" negates like "without"; aspect chains start the claim
        (
            "The arm pushes the puck along the table instead of lifting it.",
            "pick-place-v3",
            [
                ("push", "pushes the puck along the table", False),
                ("lift", "instead of lifting it", True),
            ],
        ),
        (
            "The arm lifts the puck and then goes on to place it on the target.",
            "pick-place-v3",
            [
                ("lift", "lifts the puck", False),
                ("arrive", "goes on to place it on the target", False),
            ],
        ),
    ],
)
def test_claims_in_many_wordings(text: str, task: str, expected: list) -> None:
    assert claims(text, task) == expected


def test_claims_inside_speculation_are_not_claims() -> None:
    text = "The robot arm approaches the puck, apparently trying to push it to the target."
    assert claims(text, "push-v3") == []


@pytest.mark.parametrize(
    "text,chain,plain",
    [
        # the "bes lift" bug: the chain goes and the verb is inflected by lemminflect
        ("The arm seems to be trying to lift the mug.", "seems to be trying to lift", "lifts"),
        ("The arm appears to attempt to push the puck.", "appears to attempt to push", "pushes"),
        ("The robotic arm is seen trying to grab the puck.", "is seen trying to grab", "grabs"),
        ("The task appears to be completed.", "appears to be completed", "is completed"),
        ("The arm is seen closing the window.", "is seen closing", "closes"),
        ("The gripper seems stuck.", "seems stuck", "is stuck"),
        ("The arm does not seem to move it.", "seem to move", "move"),
        ("The arm tried to slide it.", "tried to slide", "slid"),
        ("The arm proceeds to carry it over.", "proceeds to carry", "carries"),
    ],
)
def test_hedge_chains_know_the_plain_verb(text: str, chain: str, plain: str) -> None:
    (h,) = hedges(text)
    assert text[h.start : h.head_end] == chain and h.plain == plain


def test_a_hedged_claim_is_found_but_states_no_outcome() -> None:
    text = "The robot arm tries to close the drawer."
    (c,), _ = find_claims(text, "drawer-close-v3")
    assert (c.event, c.span(text), c.hedged) == ("close", "tries to close the drawer", True)
    assert outcome_stated(text, "drawer-close-v3") == (False, False)


@pytest.mark.parametrize(
    "text,task,expected",
    [
        # outcome clauses anywhere in the sentence, each spanning its own clause
        (
            "The arm pushes the puck, but it misses and the puck stays in place, so the task is "
            "not completed.",
            "push-v3",
            [
                ("fail", "it misses and the puck stays in place"),
                ("fail", "the task is not completed"),
            ],
        ),
        (
            "The arm slides it across the table to the target, where the task is completed "
            "successfully.",
            "push-v3",
            [("success", "the task is completed successfully")],
        ),
        (
            "The arm pulls, sliding the drawer open and successfully completing the task.",
            "drawer-open-v3",
            [("success", "successfully completing the task")],
        ),
        (
            "Having pushed the drawer closed, the arm stays in place, having completed the task.",
            "drawer-close-v3",
            [("success", "having completed the task")],  # the arm staying put is no failure
        ),
        (
            "The arm picks up the puck; the puck slips out of the gripper and falls.",
            "pick-place-v3",
            [("fail", "the puck slips out of the gripper and falls")],
        ),
        (
            "A robotic arm reaches for the drawer. It pulls, but the drawer does not move and "
            "remains closed.",
            "drawer-open-v3",
            [("fail", "the drawer does not move and remains closed")],
        ),
        (
            "The arm pushes the window, but it only closes partway; the task remains incomplete.",
            "window-close-v3",
            [("fail", "it only closes partway"), ("fail", "the task remains incomplete")],
        ),
        # "successfully" before another verb qualifies that step, not the task
        ("The arm successfully grasps the puck.", "pick-place-v3", []),
    ],
)
def test_outcome_statements(text: str, task: str, expected: list) -> None:
    assert statements(text, task) == expected


def test_lemmas_and_forms_come_from_lemminflect() -> None:
    assert verb_lemma("slid") == "slide" and verb_lemma("grabbing") == "grab"
    assert verb_lemma("bes") is None and verb_lemma("puck") is None


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
        ("take", "ed", "taken"),
        ("take", "past", "took"),
        ("drop", "ing", "dropping"),
    ],
)
def test_inflect(lemma: str, form: str, out: str) -> None:
    assert inflect(lemma, form) == out


# ------------------------------------------------------------------ round 2: wording of set D


def spec(text: str) -> list[tuple[str, bool]]:
    from agent.guidelines import lint

    return [(text[s.start : s.end], s.clause) for s in speculation_spans(text, lint(text))]


@pytest.mark.parametrize(
    "text,expected",
    [
        # a purpose adjunct is speculation to the end of its clause, wherever it stands
        (
            "The arm aligns itself with the drawer in order to close it, then pushes it.",
            [("in order to close it", True)],
        ),
        (
            "The arm carries it toward the target in an effort to place it there.",
            [("in an effort to place it there", True)],
        ),
        (
            "The arm picks up the puck with the intention of placing it at the target, smoothly "
            "carrying it over.",
            [("with the intention of placing it at the target", True)],
        ),
        # manner adverbs of intent or care, beyond the guideline's phrase list; the manner a
        # video shows ("smoothly", "firmly") is no speculation
        ("The robot arm cautiously approaches the button.", [("cautiously", False)]),
        ("The arm precisely lowers itself beside the handle.", [("precisely", False)]),
        ("The arm smoothly and firmly pushes the drawer shut.", []),
    ],
)
def test_speculation_beyond_the_linter(text: str, expected: list) -> None:
    assert spec(text) == expected


def test_a_purpose_adjunct_inside_a_clause_ends_its_claim_there() -> None:
    text = "The arm carries it toward the target in an effort to place it there."
    assert claims(text, "pick-place-v3") == []  # "place it there" is the intent, not a step
    text = "The arm slides the puck to the target in order to finish the task."
    assert claims(text, "push-v3") == [("arrive", "slides the puck to the target", False)]


@pytest.mark.parametrize(
    "text,task,expected",
    [
        # an adverb between a passive's auxiliary and its verb: still a passive, still one clause
        (
            "The arm presses it down; the button is then released as the arm moves away.",
            "button-press-topdown-v3",
            [
                ("press", "presses it down", False),
                ("release", "the button is then released", False),
            ],
        ),
        # a passive in a relative clause claims about the noun the clause hangs on
        (
            "The arm stops well short of the red button, which is never pressed.",
            "button-press-topdown-v3",
            [("press", "is never pressed", True)],
        ),
        # "grasps nothing" denies the grasp
        (
            "The arm closes its gripper but grasps nothing.",
            "pick-place-v3",
            [("gripper_close", "closes its gripper", False), ("grasp", "grasps nothing", True)],
        ),
        # lowering over an object is no contact; lowering onto or to it is
        ("The robotic arm lowers itself over the red puck.", "push-v3", []),
        (
            "The robot arm lowers itself to the drawer handle.",
            "drawer-open-v3",
            [("contact", "lowers itself to the drawer handle", False)],
        ),
        # keeping a button pressed is contact, not a grasp; on a carried object it is a grasp
        # (a state: the order check gives it no time of its own)
        (
            "The arm presses the button down, holding it there until the end.",
            "button-press-topdown-v3",
            [("press", "presses the button down", False)],
        ),
        (
            "The arm carries the puck to the target, where it holds it in place.",
            "pick-place-v3",
            [
                ("arrive", "carries the puck to the target", False),
                ("grasp", "holds it in place", False),
            ],
        ),
    ],
)
def test_claims_in_set_d_wordings(text: str, task: str, expected: list) -> None:
    assert claims(text, task) == expected


@pytest.mark.parametrize(
    "text,task,expected",
    [
        (
            "The arm lowers the puck back onto its starting position, failing the task.",
            "pick-place-v3",
            [("fail", "lowers the puck back onto its starting position, failing the task")],
        ),
        (
            "The arm pulls on the handle, but the drawer appears to be stuck and only moves a "
            "little before the arm gives up.",
            "drawer-open-v3",
            [
                (
                    "fail",
                    "the drawer appears to be stuck and only moves a little before the arm "
                    "gives up",
                )
            ],
        ),
        (
            "The arm pushes the window, but the window only opens a crack.",
            "window-open-v3",
            [("fail", "the window only opens a crack")],
        ),
        (
            "The gripper presses the button, but the button does not seem to respond.",
            "button-press-topdown-v3",
            [("fail", "the button does not seem to respond")],
        ),
        (
            "The arm pushes the puck, so the push is unsuccessful.",
            "push-v3",
            [("fail", "the push is unsuccessful")],
        ),
        (
            "The arm moves toward the window but stops partway through the motion.",
            "window-close-v3",
            [("fail", "stops partway through the motion")],
        ),
        (
            "The arm hovers above the puck; however, it appears to miss the puck entirely, and the "
            "puck remains stationary.",
            "push-v3",
            [("fail", "it appears to miss the puck entirely, and the puck remains stationary")],
        ),
        (
            "The arm pulls the drawer out, which results in the drawer being fully open.",
            "drawer-open-v3",
            [("success", "results in the drawer being fully open")],
        ),
    ],
)
def test_outcome_statements_in_set_d_wordings(text: str, task: str, expected: list) -> None:
    assert statements(text, task) == expected


def test_gripper_states_and_directions_are_found_with_their_words() -> None:
    text = "The arm, keeping its gripper wide open, pushes it; its closed gripper rests there."
    states = [
        (text[g.start : g.end], g.state, text[g.word_start : g.word_end])
        for g in gripper_states(text)
    ]
    assert states == [
        ("keeping its gripper wide open", "open", "wide open"),
        ("its closed gripper", "closed", "closed"),
    ]
    text = "The arm lifts the window pane upward, picks it up and pushes the drawer in."
    assert [(d.lemma, d.direction) for d in directions(text)] == [("lift", "up"), ("push", "in")]


@pytest.mark.parametrize(
    "text,task,expected",
    [
        ("The robot does not succeed.", "push-v3", [("fail", "does not succeed")]),
        ("The task ends in failure.", "push-v3", [("fail", "The task ends in failure")]),
        ("Overall, the attempt is a failure.", "push-v3", [("fail", "the attempt is a failure")]),
        ("The attempt is not a failure.", "push-v3", []),
        (
            "The robot fails to achieve its goal.",
            "drawer-open-v3",
            [("fail", "fails to achieve its goal")],
        ),
        (
            "The robot does not manage to complete the task.",
            "drawer-open-v3",
            [("fail", "does not manage to complete the task")],
        ),
        (
            "The arm is not able to finish the task.",
            "window-open-v3",
            [("fail", "not able to finish the task")],
        ),
        (
            "The arm nudges the puck, but the puck does not make it to the target.",
            "push-v3",
            [("fail", "the puck does not make it to the target")],
        ),
        (
            "The arm touches the button, but the button does not go down.",
            "button-press-topdown-v3",
            [("fail", "the button does not go down")],
        ),
        ("The goal is achieved.", "push-v3", [("success", "The goal is achieved")]),
        ("The robot succeeds in the task.", "push-v3", [("success", "succeeds in the task")]),
        ("The task ends in success.", "push-v3", [("success", "The task ends in success")]),
        # a free object put back where it started; a drawer pushed back is the task itself
        (
            "The arm returns the puck back to its original position.",
            "push-v3",
            [("fail", "returns the puck back to its original position")],
        ),
        ("The arm pushes the drawer back to its starting position.", "drawer-close-v3", []),
        # the object away from the target; the goal state denied or left short
        (
            "The arm carries the puck, but the puck is not on the target.",
            "pick-place-v3",
            [("fail", "the puck is not on the target")],
        ),
        (
            "The arm pushes the puck, but it remains some distance from the target.",
            "push-v3",
            [("fail", "it remains some distance from the target")],
        ),
        (
            "The arm pushes the drawer, but it remains slightly ajar.",
            "drawer-close-v3",
            [("fail", "it remains slightly ajar")],
        ),
        (
            "The arm pushes the window, but it does not fully close.",
            "window-close-v3",
            [("fail", "it does not fully close")],
        ),
        # a state that is not the task's goal, or the gripper's, says nothing of the outcome
        ("The arm pulls the handle, but the drawer does not close.", "drawer-open-v3", []),
        ("The arm does not open its gripper.", "drawer-open-v3", []),
        (
            "The arm misplaces the puck next to the target.",
            "pick-place-v3",
            [("fail", "misplaces the puck next to the target")],
        ),
        (
            "The arm pulls the handle, with the drawer ending up open.",
            "drawer-open-v3",
            [("success", "with the drawer ending up open")],
        ),
        ("The robot completes its objective.", "push-v3", [("success", "completes its objective")]),
    ],
)
def test_outcome_statements_in_general_words(text: str, task: str, expected: list) -> None:
    assert statements(text, task) == expected


def test_a_passive_second_verb_is_passive() -> None:
    """'the puck is picked up and placed on the target': 'placed' has the puck as subject."""
    found, _ = find_claims(
        "The puck is picked up and placed onto the target by the arm.", "pick-place-v3"
    )
    assert [(c.lemma, c.passive) for c in found] == [("pick", True), ("place", True)]
