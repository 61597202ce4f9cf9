"""The majority draft of K samples, and their agreement."""

from __future__ import annotations

import pytest

from agent.routing import consensus, signature
from tests.agent.routing.drafts import CAPTION, accurate, draft


def test_signature_ignores_rewrite_wording_and_span_case() -> None:
    a = draft()
    b = draft(rewrite="The arm grasps the red cube and lifts it, but it falls; the task fails.")
    assert signature(a) == signature(b)
    assert signature(a) != signature(
        draft(halls=[("blue", "object"), ("places it at the target", "outcome")])
    )
    assert signature(a) != signature(accurate())
    assert signature(a) != signature(draft(omissions=["step"]))


def test_majority_is_kept() -> None:
    wrong = accurate()
    c = consensus([wrong, draft(), draft(), wrong, draft()])
    assert c.kept_index == 1 and c.agreeing == [1, 2, 4]
    assert c.agreement == pytest.approx(0.6) and c.k == 5
    assert c.kept.rewrite != CAPTION


def test_ties_go_to_the_group_drawn_first() -> None:
    c = consensus([accurate(), draft(), draft(), accurate()])
    assert c.kept_index == 0 and c.agreement == 0.5


def test_all_different() -> None:
    c = consensus([accurate(), draft(), draft(halls=[("blue", "attribute")])])
    assert c.kept_index == 0 and c.agreement == pytest.approx(1 / 3)


def test_one_sample() -> None:
    c = consensus([draft()])
    assert c.agreement == 1.0 and c.k == 1
    with pytest.raises(ValueError):
        consensus([])


def test_the_kept_draft_has_the_rewrite_most_of_its_group_shares() -> None:
    other = "The robot arm grips the red cube, lifts it but drops it, and the task fails."
    worded = draft(rewrite=other)
    # all four agree on the findings; three of them share the same rewrite (up to case and
    # punctuation), so the first of those is kept, not the first sample
    same = draft(rewrite=draft().rewrite.lower().replace(",", ""))
    c = consensus([worded, draft(), same, draft()])
    assert c.agreement == 1.0 and c.agreeing == [0, 1, 2, 3]
    assert c.kept_index == 1 and c.same_rewrite == [1, 2, 3]
    assert c.rewrite_agreement == pytest.approx(3 / 4)
    # a one-word difference is the same rewrite under a tolerance of one word
    loose = consensus([worded, draft(), same, draft()], tolerance=1)
    assert loose.kept_index == 0 and loose.rewrite_agreement == 1.0


def test_rewrite_ties_go_to_the_first_drawn() -> None:
    other = "The robot arm grips the red cube, lifts it but drops it, and the task fails."
    c = consensus([draft(rewrite=other), draft()])
    assert c.kept_index == 0 and c.rewrite_agreement == 0.5
