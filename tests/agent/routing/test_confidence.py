"""The confidence formula and each of its parts."""

from __future__ import annotations

import pytest

from agent.routing import ClaimKind, confidence, consensus, telemetry_check, uncheckable_claims
from agent.routing._confidence import CLAIM_DOUBT
from tests.agent.routing.drafts import CAPTION, accurate, draft

# CAPTION: "The robot arm grasps the blue cube, lifts it and places it at the target."
# Unchecked claims in it: the colour "blue" and the object "cube".


def offline(halls: list[tuple[str, str]] | None = None, omissions: list[str] | None = None):
    halls = [("places it at the target", "outcome")] if halls is None else halls
    rewrite = "The robot arm moves near the blue cube, and the task fails."
    rewrite = rewrite if halls or omissions else CAPTION
    return draft(rewrite=rewrite, halls=halls, omissions=omissions)


def test_claims_found_in_the_caption() -> None:
    claims = uncheckable_claims(CAPTION)
    assert [(c.kind, c.word) for c in claims] == [
        (ClaimKind.COLOUR, "blue"),
        (ClaimKind.OBJECT, "cube"),
    ]
    assert CAPTION[claims[0].start : claims[0].end] == "blue"


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        (
            "The arm pushes the drawer in until it is closed.",
            [("object", "drawer"), ("direction", "in")],
        ),
        (
            "The arm puts two blocks in the bin.",
            [("count", "two"), ("object", "blocks"), ("object", "bin")],
        ),
        ("The arm picks it up and presses it down to the left.", [("direction", "left")]),
        (
            "The gripper closes twice on the green mugs.",
            [("count", "twice"), ("colour", "green"), ("object", "mugs")],
        ),
        ("The arm reaches the puck and the puck moves.", [("object", "puck")]),
        ("The arm moves toward the target.", [("direction", "toward")]),
    ],
)
def test_claim_kinds(caption: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.kind.value, c.word) for c in uncheckable_claims(caption)] == expected


def test_one_sample_no_telemetry_is_the_claims_factor() -> None:
    c = confidence(CAPTION, draft())
    p = c.parts
    assert p.samples == 1 and p.agreement is None and p.telemetry is None
    assert [u.word for u in p.unchecked] == ["blue", "cube"]
    assert c.score == pytest.approx((1 - CLAIM_DOUBT) ** 2)


def test_no_parts_at_all_scores_one() -> None:
    caption = "The robot arm grasps it and lifts it."
    assert confidence(caption, accurate(caption)).score == 1.0


def test_full_agreement_confirms_the_claims() -> None:
    c = confidence(CAPTION, [draft(), draft(), draft()])
    assert c.parts.agreement == 1.0 and c.parts.unchecked == []
    assert c.score == 1.0


def test_partial_agreement() -> None:
    # two samples flag "blue", one calls the caption accurate: "blue" is unconfirmed, "cube"
    # (flagged by none) is confirmed
    c = confidence(CAPTION, [draft(), accurate(), draft()])
    assert c.parts.agreement == pytest.approx(2 / 3)
    assert [u.word for u in c.parts.unchecked] == ["blue"]
    assert c.score == pytest.approx(2 / 3 * (1 - CLAIM_DOUBT))
    assert confidence(CAPTION, consensus([draft(), accurate(), draft()])) == c


def test_telemetry_agrees() -> None:
    t = telemetry_check(CAPTION, draft(), offline())
    assert t.agreement == 1.0 and not t.vetoed and t.conflicts == []
    # an overlapping span of a different extent is the same claim
    t = telemetry_check(
        CAPTION, draft(halls=[("blue", "attribute"), ("it at the target", "outcome")]), offline()
    )
    assert t.agreement == 1.0


def test_accurate_while_telemetry_contradicts_the_outcome_is_not_confident() -> None:
    c = confidence(CAPTION, [accurate(), accurate(), accurate()], offline=offline())
    assert c.parts.telemetry == 0.0 and c.score == 0.0
    assert "does not flag it" in c.parts.telemetry_conflicts[0]


def test_missed_grasp_vetoes_missed_action_lowers() -> None:
    tel = offline(halls=[("grasps", "gripper_or_grasp"), ("places it at the target", "outcome")])
    assert telemetry_check(CAPTION, draft(), tel).vetoed
    tel = offline(halls=[("lifts it", "action"), ("places it at the target", "outcome")])
    t = telemetry_check(CAPTION, draft(), tel)
    assert not t.vetoed and t.agreement == pytest.approx(1 / 2)


def test_an_outcome_finding_telemetry_does_not_make_counts_against_the_draft() -> None:
    t = telemetry_check(CAPTION, draft(), offline(halls=[]))
    assert not t.vetoed and t.agreement == 0.0
    assert "telemetry does not" in t.conflicts[0]
    # an action finding telemetry does not make is not counted (its rules may not know the verb)
    lifts = draft(
        rewrite="The robot arm grasps the blue cube and places it at the target.",
        halls=[("lifts it", "action")],
    )
    t = telemetry_check(CAPTION, lifts, offline(halls=[]))
    assert t.agreement == 1.0


def test_telemetry_omissions() -> None:
    tel = offline(halls=[], omissions=["outcome"])
    assert telemetry_check(CAPTION, draft(halls=[("blue", "attribute")]), tel).vetoed
    ok = draft(halls=[("blue", "attribute")], omissions=["outcome"])
    assert telemetry_check(CAPTION, ok, tel).agreement == 1.0
    step = offline(halls=[], omissions=["step"])
    t = telemetry_check(CAPTION, draft(halls=[("blue", "attribute")]), step)
    assert not t.vetoed and t.agreement == 0.0


def test_rewrite_agreement_multiplies_in() -> None:
    worded = draft(
        rewrite="The robot arm grips the red cube, lifts it but drops it, and the task fails."
    )
    c = confidence(CAPTION, [draft(), worded, draft(), worded, worded])
    assert c.parts.agreement == 1.0 and c.parts.rewrite_agreement == pytest.approx(3 / 5)
    assert c.score == pytest.approx(3 / 5)
    assert "rewrite agreement 0.60" in c.explain()
    assert confidence(CAPTION, [draft(), worded], tolerance=1).score == 1.0
    assert confidence(CAPTION, draft()).parts.rewrite_agreement is None


def test_stated_and_token_probability_multiply_in() -> None:
    three = [draft(), draft(), draft()]
    c = confidence(CAPTION, three, stated=0.8, mean_logprob=-0.1)
    assert c.parts.token_prob == pytest.approx(0.904837, rel=1e-5)
    assert c.score == pytest.approx(0.8 * 0.904837, rel=1e-5)


def test_bad_optional_inputs_cost_only_that_part() -> None:
    c = confidence(CAPTION, [draft(), draft()], stated=1.7, mean_logprob=float("nan"))
    assert c.parts.stated is None and c.parts.token_prob is None
    assert len(c.parts.notes) == 2 and c.score == 1.0


def test_explain_lists_the_parts() -> None:
    text = confidence(CAPTION, [draft(), accurate(), draft()], offline=offline()).explain()
    assert "agreement 0.67 over 3 samples" in text
    assert "telemetry check 1.00" in text
    assert "unchecked blue (colour)" in text


def test_the_score_orders_a_better_supported_draft_higher() -> None:
    strong = confidence(CAPTION, [draft()] * 5, offline=offline())
    weak = confidence(
        CAPTION, [draft(), draft(), draft(), accurate(), accurate()], offline=offline()
    )
    single = confidence(CAPTION, draft(), offline=offline())
    assert strong.score > weak.score and strong.score > single.score
