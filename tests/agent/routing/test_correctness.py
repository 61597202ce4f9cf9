"""The error rule: a person's decision, or the gold labels, to a 0/1 error with its reasons."""

from __future__ import annotations

import pytest

from agent.decisions import FINAL
from agent.errors import RecapError
from agent.routing import ErrorRule, FindingMarks, judge_gold, judge_review, words_changed
from agent.routing._correctness import JUDGED_DECISIONS
from agent.schema import GoldLabels, HallucinationLabel, OmissionLabel
from tests.agent.routing.drafts import CAPTION, GOLD, accurate, draft


def gold(**kw: object) -> GoldLabels:
    base: dict[str, object] = {
        "caption": GOLD,
        "hallucinations": [
            HallucinationLabel(span="blue", type="attribute"),
            HallucinationLabel(span="places it at the target", type="outcome"),
        ],
    }
    base.update(kw)
    return GoldLabels.model_validate(base)


def test_normalisation_ignores_case_punctuation_and_spacing() -> None:
    assert words_changed("The arm lifts it.", "the  arm, lifts it") == 0
    assert words_changed("The arm lifts it.", "The arm raises it.") == 1
    assert words_changed("The arm lifts it.", "The arm lifts it and drops it.") == 3


def test_judged_decisions_are_review_decisions() -> None:
    assert set(JUDGED_DECISIONS) == FINAL


def test_accepted_as_shown_is_no_error() -> None:
    j = judge_review(draft(), "accepted")
    assert not j.error and j.reasons == []


def test_rejected_is_an_error() -> None:
    j = judge_review(draft(), "rejected", "Something else entirely.")
    assert j.error and "rejected" in j.reasons[0]


def test_edits_within_the_tolerance() -> None:
    d = draft()
    assert not judge_review(d, "edited", GOLD.upper().replace(",", "")).error
    one_word = GOLD.replace("drops", "releases")
    assert judge_review(d, "edited", one_word).error
    assert "1 word" in judge_review(d, "edited", one_word).reasons[0]
    assert not judge_review(d, "edited", one_word, rule=ErrorRule(tolerance=1)).error


def test_a_finding_judged_wrong_is_an_error() -> None:
    marks = FindingMarks.from_review({"hallucinations": {"0": True, "1": False}, "omissions": {}})
    j = judge_review(draft(), "accepted", marks=marks)
    assert j.error and "1 finding wrong" in j.reasons[0]
    assert not judge_review(
        draft(), "accepted", marks=marks, rule=ErrorRule(disagreed_findings=False)
    ).error
    agreed = FindingMarks.from_review({"hallucinations": {"0": True, "1": True}})
    assert not judge_review(draft(), "accepted", marks=agreed).error


@pytest.mark.parametrize("decision", ["flagged", "skipped", "undo", "maybe"])
def test_decisions_that_do_not_judge_the_draft_are_refused(decision: str) -> None:
    with pytest.raises(RecapError, match="says nothing about the draft"):
        judge_review(draft(), decision)


def test_edited_without_a_caption_is_refused() -> None:
    with pytest.raises(RecapError, match="final caption"):
        judge_review(draft(), "edited")


def test_gold_right_draft_is_no_error() -> None:
    assert not judge_gold(CAPTION, draft(), gold()).error


def test_gold_rewrite_beyond_tolerance() -> None:
    d = draft(
        rewrite="The robot arm grasps the red cube, lifts it but loses it, and the task fails."
    )
    j = judge_gold(CAPTION, d, gold())
    assert j.error and "1 word from the gold caption" in j.reasons[0]
    assert not judge_gold(CAPTION, d, gold(), ErrorRule(tolerance=1)).error


def test_gold_missed_finding() -> None:
    d = draft(halls=[("places it at the target", "outcome")])
    j = judge_gold(CAPTION, d, gold())
    assert j.error and j.reasons == ["the gold attribute span 'blue' is not flagged"]


def test_gold_span_matched_by_iou() -> None:
    # "it at the target" covers 16 of the gold span's 23 characters: IoU 0.70, a match
    near = draft(halls=[("blue", "attribute"), ("it at the target", "outcome")])
    assert not judge_gold(CAPTION, near, gold()).error
    # "the target" covers 10 of 23: IoU 0.43, no match (a miss, and a spurious span)
    far = draft(halls=[("blue", "attribute"), ("the target", "outcome")])
    reasons = judge_gold(CAPTION, far, gold()).reasons
    assert "the gold outcome span 'places it at the target' is not flagged" in reasons
    assert "the flagged span 'the target' is not wrong by the gold labels" in reasons


def test_gold_wrong_type() -> None:
    d = draft(halls=[("blue", "object"), ("places it at the target", "outcome")])
    j = judge_gold(CAPTION, d, gold())
    assert j.reasons == ["the gold attribute span 'blue' is flagged with another type"]
    assert not judge_gold(CAPTION, d, gold(), ErrorRule(same_type=False)).error


def test_gold_spurious_span() -> None:
    labels = gold(
        hallucinations=[HallucinationLabel(span="places it at the target", type="outcome")]
    )
    j = judge_gold(CAPTION, draft(), labels)
    assert j.reasons == ["the flagged span 'blue' is not wrong by the gold labels"]
    assert not judge_gold(CAPTION, draft(), labels, ErrorRule(spurious=False)).error


def test_gold_omissions_by_type() -> None:
    labels = gold(omissions=[OmissionLabel(description="the cube falls", type="step")])
    assert judge_gold(CAPTION, draft(), labels).reasons == ["1 gold step omission not listed"]
    assert not judge_gold(CAPTION, draft(omissions=["step"]), labels).error
    assert not judge_gold(CAPTION, draft(), labels, ErrorRule(omissions=False)).error


def test_gold_accurate_caption_called_accurate() -> None:
    labels = GoldLabels(caption=CAPTION)
    assert not judge_gold(CAPTION, accurate(), labels).error
    assert judge_gold(CAPTION, draft(), labels).error


def test_gold_without_anything_to_judge_by_is_refused() -> None:
    with pytest.raises(RecapError, match="neither a caption nor findings"):
        judge_gold(CAPTION, draft(), GoldLabels())
