from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from agent.schema import Draft, Hallucination, HallucinationType, OmissionType, span_occurrences

CAPTION = "The robot grasps the blue cube and lifts it to the left."
CTX = {"caption": CAPTION, "duration": 5.0}


def payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "observations": "t=1.0 gripper closes on a red cube; t=2.0 lifts it to the right",
        "hallucinations": [
            {
                "span": "blue",
                "type": "attribute",
                "explanation": "the cube is red",
                "evidence_times": [1.0],
            },
            {
                "span": "to the left",
                "type": "direction_or_spatial",
                "explanation": "it moves right",
                "evidence_times": [2.0, 2.5],
            },
        ],
        "omissions": [
            {"description": "places the cube on the plate", "type": "step", "evidence_times": [4.0]}
        ],
        "rewrite": "The robot grasps the red cube, lifts it to the right and places it on the "
        "plate.",
        "verdict": "needs_edit",
    }
    base.update(overrides)
    return base


def errors(data: dict[str, Any], context: dict[str, Any] | None = CTX) -> str:
    with pytest.raises(ValidationError) as info:
        Draft.model_validate(data, context=context)
    return str(info.value)


def test_valid_draft_passes_with_context() -> None:
    d = Draft.model_validate(payload(), context=CTX)
    assert d.needs_edit
    assert [h.type for h in d.hallucinations] == [
        HallucinationType.ATTRIBUTE,
        HallucinationType.DIRECTION_OR_SPATIAL,
    ]
    assert d.omissions[0].type is OmissionType.STEP


def test_taxonomy_has_the_contract_types() -> None:
    assert {t.value for t in HallucinationType} >= {
        "object",
        "attribute",
        "action",
        "direction_or_spatial",
        "count",
        "order",
        "outcome",
        "gripper_or_grasp",
        "embodiment",
        "speculation",
        "other",
    }
    assert {t.value for t in OmissionType} >= {"step", "object", "outcome", "detail", "other"}


def test_span_not_in_caption_is_rejected_with_instructions() -> None:
    data = payload()
    data["hallucinations"][0]["span"] = "green"
    msg = errors(data)
    assert "span 'green' is not an exact substring of the original caption" in msg
    assert "copy the wrong words exactly" in msg


def test_span_differing_in_case_is_rejected() -> None:
    data = payload()
    data["hallucinations"][0]["span"] = "Blue"
    assert "not an exact substring" in errors(data)


def test_evidence_time_outside_clip_is_rejected() -> None:
    data = payload()
    data["hallucinations"][1]["evidence_times"] = [7.5]
    msg = errors(data)
    assert "evidence time 7.5 s is outside the clip, which lasts 5.00 s" in msg


def test_negative_evidence_time_is_rejected_on_omissions_too() -> None:
    data = payload()
    data["omissions"][0]["evidence_times"] = [-1.0]
    assert "evidence time -1.0 is negative" in errors(data)


def test_rewrite_keeping_a_flagged_span_is_rejected() -> None:
    data = payload(rewrite="The robot grasps the blue cube and lifts it to the right.")
    msg = errors(data)
    assert "still contains the flagged span 'blue' unchanged" in msg


def test_rewrite_check_is_word_bounded_and_case_insensitive() -> None:
    # "blueish" is not the word "blue"; "Blue" at a sentence start is.
    assert span_occurrences("blue", "a blueish cube") == 0
    assert span_occurrences("blue", "Blue cube. A blue cup") == 2
    data = payload(
        rewrite="Blue is absent: the robot grasps the red cube and lifts it to the "
        "right and places it on the plate."
    )
    assert "still contains the flagged span 'blue'" in errors(data)


def test_span_repeated_in_caption_needs_fewer_copies_in_rewrite() -> None:
    caption = "The red arm pushes the red block."
    ctx = {"caption": caption, "duration": 5.0}
    data = {
        "hallucinations": [
            {"span": "red", "type": "attribute", "explanation": "green block", "evidence_times": []}
        ],
        "omissions": [],
        "rewrite": "The red arm pushes the green block.",
        "verdict": "needs_edit",
    }
    assert Draft.model_validate(data, context=ctx).rewrite.endswith("green block.")


def test_accurate_with_findings_is_rejected() -> None:
    msg = errors(payload(verdict="accurate"))
    assert "verdict is 'accurate' but there are findings" in msg


def test_accurate_with_changed_rewrite_is_rejected() -> None:
    data = payload(
        hallucinations=[],
        omissions=[],
        verdict="accurate",
        rewrite=CAPTION.replace("grasps", "grabs"),
    )
    assert "rewrite differs from the original caption" in errors(data)


def test_accurate_unchanged_passes() -> None:
    data = payload(hallucinations=[], omissions=[], verdict="accurate", rewrite=CAPTION + "  ")
    assert Draft.model_validate(data, context=CTX).verdict.value == "accurate"


def test_needs_edit_with_nothing_to_edit_is_rejected() -> None:
    data = payload(hallucinations=[], omissions=[], rewrite=CAPTION)
    assert "no findings and the rewrite is unchanged" in errors(data)


def test_blank_rewrite_and_unknown_type_are_rejected() -> None:
    assert "rewrite" in errors(payload(rewrite="   "))
    data = payload()
    data["hallucinations"][0]["type"] = "colour"
    assert "hallucinations.0.type" in errors(data)


def test_all_problems_are_reported_at_once() -> None:
    # field-level problems together ...
    data = payload()
    data["hallucinations"][0]["span"] = "green"
    data["omissions"][0]["evidence_times"] = [8.0]
    msg = errors(data)
    assert "not an exact substring" in msg and "outside the clip" in msg
    # ... and whole-draft problems together
    msg = errors(payload(verdict="accurate", rewrite="The robot grasps the blue cube."))
    assert "still contains" in msg and "'accurate' but there are findings" in msg


def test_stored_draft_loads_without_context() -> None:
    data = payload()
    data["hallucinations"][0]["span"] = "not in any caption"
    data["hallucinations"][0]["evidence_times"] = [99.0]
    d = Draft.model_validate(data)  # no caption, no duration: those rules are skipped
    assert d.hallucinations[0].evidence_times == [99.0]
    assert "verdict is 'accurate'" in errors(payload(verdict="accurate"), context=None)


def test_locate_gives_offsets_for_highlighting() -> None:
    h = Hallucination(span="to the left", type="direction_or_spatial", explanation="right")
    start, end = h.locate(CAPTION)
    assert CAPTION[start:end] == "to the left"
    assert Hallucination(span="x y z", type="other", explanation="e").locate(CAPTION) is None


def test_json_schema_lists_observations_first_for_the_model() -> None:
    props = list(Draft.model_json_schema()["properties"])
    assert props[0] == "observations" and props[-1] == "verdict"


# ------------------------------------------------------------------ left_to_reviewer (#26)

KEPT = "The robot grasps the blue cube and lifts it to the right."  # keeps the flagged "blue"
OFFLINE = {**CTX, "drafter": "offline"}


def test_an_offline_draft_may_keep_a_flagged_span_it_names() -> None:
    d = Draft.model_validate(payload(rewrite=KEPT, left_to_reviewer=["blue"]), context=OFFLINE)
    assert d.left_to_reviewer == ["blue"]
    # not named: the strict rule still holds, offline or not
    assert "still contains the flagged span 'blue'" in errors(payload(rewrite=KEPT), OFFLINE)


def test_a_model_draft_may_not_leave_spans_to_the_reviewer() -> None:
    msg = errors(payload(rewrite=KEPT, left_to_reviewer=["blue"]))
    assert "left_to_reviewer is only for the offline drafter" in msg
    assert "still contains the flagged span 'blue'" in msg


def test_left_to_reviewer_names_only_flagged_spans() -> None:
    msg = errors(payload(left_to_reviewer=["cube"]), OFFLINE)
    assert "left_to_reviewer names 'cube', which is not a flagged span" in msg


def test_stored_drafts_without_the_field_load_and_the_model_never_sees_it() -> None:
    assert Draft.model_validate(payload()).left_to_reviewer == []
    assert "left_to_reviewer" not in Draft.model_json_schema()["properties"]


def test_enum_values_in_another_case_are_the_contracts_values() -> None:
    """What a schema-ignoring model writes is read in the contract's spelling; content is not
    guessed: a value that is no value in any case still fails."""
    data = payload(verdict="NEEDS_EDIT", extra_key="kept out")
    data["hallucinations"][0]["type"] = "Attribute"
    data["hallucinations"][1]["type"] = "Direction Or-Spatial"
    data["hallucinations"][1]["confidence"] = 0.9
    data["omissions"][0]["type"] = " STEP "
    d = Draft.model_validate_json(json.dumps(data), context=CTX, strict=True)
    assert d.verdict.value == "needs_edit"
    assert [h.type.value for h in d.hallucinations] == ["attribute", "direction_or_spatial"]
    assert d.omissions[0].type is OmissionType.STEP
    assert "extra_key" not in d.model_dump() and "confidence" not in str(d.model_dump())
    assert "verdict" in errors(payload(verdict="maybe"))
    assert "type" in errors(payload(hallucinations=[{**data["hallucinations"][0], "type": "colr"}]))
