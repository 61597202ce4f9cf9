"""The offline drafter's rules on hand-made telemetry, including captions it must leave alone."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest

from agent.drafting import OfflineDrafter, rewrite_problems
from agent.telemetry import Telemetry

N = 50
T = [round(i * 0.1, 2) for i in range(N)]


def tel(
    *,
    grasp_at: int | None = None,
    lift_cm: float = 0.0,
    success: bool | None = None,
    task: str = "pick-place-v3",
) -> Telemetry:
    gripper = [1.0] * N
    obj = [[0.0, 0.6, 0.02] for _ in range(N)]
    if grasp_at is not None:
        for i in range(grasp_at, N):
            gripper[i] = 0.2
            obj[i] = [0.0, 0.6, 0.02 + min(lift_cm / 100, (i - grasp_at) * 0.01)]
    return Telemetry(t=T, gripper=gripper, object_pos=obj, success=success, task=task)


def review(caption: str, telemetry: Telemetry | None):
    return OfflineDrafter().review(caption, telemetry)


def spans(d) -> list[tuple[str, str]]:
    return [(h.span, h.type.value) for h in d.hallucinations]


def test_claimed_grasp_without_closure_on_a_rising_object() -> None:
    d = review(
        "The robot arm grasps the red puck and pushes it to the target.",
        tel(success=True, task="push-v3"),
    )
    assert spans(d) == [("grasps the red puck", "gripper_or_grasp")]
    assert d.hallucinations[0].evidence_times == [4.9]
    # the grasp clause goes; its noun moves into the next clause, whose "it" had no other antecedent
    assert d.rewrite == "The robot arm pushes the red puck to the target."


def test_claimed_lift_without_height_gain() -> None:
    d = review("The robot arm grasps the puck and lifts it.", tel(grasp_at=10, lift_cm=1.5))
    assert ("lifts it", "action") in spans(d)
    assert ("grasps the puck", "gripper_or_grasp") not in spans(d)  # 1.5 cm: held, not lifted


def test_claimed_success_on_a_failed_episode() -> None:
    d = review(
        "The robot arm reaches for the red puck, grasps it, lifts it and places it at the target.",
        tel(grasp_at=10, lift_cm=8, success=False),
    )
    assert ("places it at the target", "outcome") in spans(d)
    # issue #14: the claim is replaced, not left in place with a failure appended
    assert d.rewrite == (
        "The robot arm reaches for the red puck, grasps it, lifts it but does not place it at "
        "the target, and the task fails."
    )


def test_claimed_success_on_a_failed_drawer_flags_the_claim() -> None:
    d = review(
        "The robot arm pushes the open drawer in until it is closed.",
        tel(success=False, task="drawer-close-v3"),
    )
    assert spans(d) == [("pushes the open drawer in until it is closed", "outcome")]


def test_order_the_telemetry_contradicts() -> None:
    d = review(
        "The robot arm lifts it, grasps it and places it at the target.",
        tel(grasp_at=10, lift_cm=8, success=True),
    )
    assert spans(d) == [("lifts it, grasps it", "order")]
    assert "grasps it, lifts it" in d.rewrite


def test_missing_step_and_missing_failure_are_omissions() -> None:
    d = review(
        "The robot arm grasps the puck and moves it.", tel(grasp_at=10, lift_cm=8, success=False)
    )
    kinds = {(o.type.value, o.description) for o in d.omissions}
    assert ("step", "lifts the puck") in kinds and ("outcome", "the task fails") in kinds
    assert d.rewrite == "The robot arm grasps the puck, lifts it and moves it, and the task fails."


def test_speculation_from_the_linter() -> None:
    d = review(
        "The robot arm carefully grasps the puck and lifts it.",
        tel(grasp_at=10, lift_cm=8, success=True),
    )
    assert spans(d) == [("carefully", "speculation")]
    assert d.rewrite == "The robot arm grasps the puck and lifts it."


@pytest.mark.parametrize(
    "caption,telemetry",
    [
        (
            "The robot arm grasps the red puck, lifts it and places it at the target.",
            tel(grasp_at=10, lift_cm=8, success=True),
        ),
        (
            "The robot arm moves toward the puck but does not grasp it, and the task fails.",
            tel(success=False),
        ),
        (
            "The robot arm pushes the red puck across the table to the target.",
            tel(success=True, task="push-v3"),
        ),
        (
            # colour is not the telemetry's to say
            "The robot arm grasps the green cube and lifts it.",
            tel(grasp_at=10, lift_cm=8),
        ),
    ],
)
def test_captions_it_must_leave_alone(caption: str, telemetry: Telemetry) -> None:
    d = review(caption, telemetry)
    assert d.hallucinations == [] and d.omissions == []
    assert d.rewrite == caption and d.verdict.value == "accurate"
    assert "check them against the video" in d.observations


def test_without_telemetry_only_guidelines_run() -> None:
    d = review("The robot arm seems to grasp the cube.", None)
    assert spans(d) == [("seems to", "speculation")] and "No telemetry" in d.observations
    assert d.rewrite == "The robot arm grasps the cube."


def test_draft_result_interface_matches_the_llm_drafter() -> None:
    result = asyncio.run(
        OfflineDrafter().draft(
            "v.mp4",
            "The arm carefully lifts it.",
            telemetry=tel(grasp_at=5, lift_cm=8),
            clip_id="c",
        )
    )
    assert result.drafter == "offline" and result.clip == "c" and result.model is None
    assert OfflineDrafter().identity().prompt_name == "offline-rules"


def test_manner_word_and_false_success_are_separate_findings() -> None:
    d = review(
        "The robot arm carefully moves above the red button and presses it down.",
        tel(success=False, task="button-press-topdown-v3"),
    )
    assert spans(d) == [
        ("carefully", "speculation"),
        ("moves above the red button and presses it down", "outcome"),
    ]
    # issue #14 item 3: keep what is true (the approach), negate only the claimed press
    assert d.rewrite == (
        "The robot arm moves toward the red button but does not press it down, and the task fails."
    )


# ------------------------------------------------------------------ held-out captions (#14)

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
HELD_OUT = [DATA / f"offline_heldout_{x}.jsonl" for x in ("a", "b")]
DEV_VLM = DATA / "offline_dev_vlm.jsonl"  # vision-model wording, written to tune the rules on
DEV_D = DATA / "offline_dev_d.jsonl"  # the same style, written apart from the rules, tuned on
SAMPLE = ROOT / "evals" / "datasets" / "sample"


def held_out_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize(
    "path", [*HELD_OUT, DEV_VLM, DEV_D, DATA / "offline_heldout_c.jsonl"], ids=lambda p: p.stem
)
def test_held_out_sets_are_large_and_their_spans_are_in_their_captions(path: Path) -> None:
    rows = held_out_rows(path)
    assert len(rows) >= 60
    for r in rows:
        assert (SAMPLE / f"{r['clip']}.telemetry.json").is_file()
        for h in r["gold_hallucinations"]:
            assert h["span"] in r["caption"], (r["id"], h["span"])


@pytest.mark.parametrize(
    "path", [*HELD_OUT, DEV_VLM, DEV_D, DATA / "offline_heldout_c.jsonl"], ids=lambda p: p.stem
)
def test_every_held_out_rewrite_passes_the_rewrite_check(
    path: Path,
) -> None:
    for r in held_out_rows(path):
        telemetry = Telemetry.load(SAMPLE / f"{r['clip']}.telemetry.json")
        d = review(r["caption"], telemetry)
        assert rewrite_problems(r["caption"], d.rewrite, telemetry.task) == [], (r["id"], d.rewrite)


# A-007 ("... carries it to the target and releases it", pick-place-021) is labelled correct,
# but the telemetry has the gripper closed from 1.3 s to the end: it never releases the puck.
# The drafter flags the release; the label is left as it was written (the set's figures stay
# comparable with earlier runs) and this disagreement is counted in them.
CONTRADICTED_LABELS = {"A-007"}


@pytest.mark.parametrize("path", [HELD_OUT[0], DEV_VLM], ids=lambda p: p.stem)
def test_correct_held_out_captions_come_back_unchanged(path: Path) -> None:
    """On the sets the rules were developed on (A, and the vision-model development set). Set B
    is not tuned on, so its one known false positive (B-015, "stops before reaching it" read as
    a claimed reach) stays in its figures instead of being fixed here."""
    for r in held_out_rows(path):
        if r["gold_hallucinations"] or r["gold_omissions"] or r["id"] in CONTRADICTED_LABELS:
            continue
        d = review(r["caption"], Telemetry.load(SAMPLE / f"{r['clip']}.telemetry.json"))
        assert d.rewrite == r["caption"] and d.verdict.value == "accurate", (r["id"], d.rewrite)


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "offline_heldout", ROOT / "benchmarks" / "offline_heldout.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_held_out_figures_meet_the_issue_targets() -> None:
    """Span F1 >= 0.6 and outcome recall >= 0.8 on both held-out sets, zero self-contradicting
    and zero linter-failing rewrites, computed with the eval harness's matching; the two
    vision-model development sets are held to the same, as a guard against regressions."""
    bench = _benchmark()
    for path in [*HELD_OUT, DEV_VLM, DEV_D]:
        r = bench.evaluate(path)
        assert r["span"]["f1"] >= 0.6, (path.stem, r["span"])
        assert r["outcome_recall"] >= 0.8, (path.stem, r["outcome_recall"])
        assert r["check_failures"] == 0, path.stem
        assert r["ter"] < r["ter_unreviewed"]


def test_sample_figures_do_not_regress() -> None:
    """On the bundled sample: outcome, grasp, order and speculation stay at precision and recall
    1.0, and edits saved is at least 0.25 (issue #11, item 2)."""
    r = _benchmark().evaluate(SAMPLE / "manifest.jsonl")
    for t in ("outcome", "gripper_or_grasp", "order", "speculation"):
        assert r["per_type"][t]["precision"] == 1.0 and r["per_type"][t]["recall"] == 1.0, t
    assert r["edits_saved"] >= 0.25
    assert r["contradictions"] == 0 and r["lint_failures"] == 0


def test_a_failed_episode_captioned_in_its_own_words_flags_the_claim() -> None:
    d = review(
        "The robot arm grips the red puck, lifts it and sets it down on the target.",
        tel(grasp_at=10, lift_cm=8, success=False),
    )
    assert spans(d) == [("sets it down on the target", "outcome")]
    assert d.omissions == []
    assert "sets it down" not in d.rewrite and d.rewrite.endswith("and the task fails.")
    assert d.rewrite.startswith("The robot arm grips the red puck, lifts it")


def test_a_speculative_clause_goes_whole() -> None:
    d = review(
        "The robot arm slides the red puck to the target, apparently trying to line it up.",
        tel(success=True, task="push-v3"),
    )
    assert spans(d) == [("apparently trying to line it up", "speculation")]
    assert d.rewrite == "The robot arm slides the red puck to the target."


# ------------------------------------------------------------------ vision-model wording (#26)


def sample_tel(clip: str) -> Telemetry:
    return Telemetry.load(SAMPLE / f"{clip}.telemetry.json")


def test_a_speculative_chain_goes_and_the_verb_reads() -> None:
    """The 'bes lift' bug: 'seems to be trying to move it' becomes 'moves it'."""
    d = review(
        "The robotic arm picks up the red puck and seems to be trying to move it towards the "
        "target, and then places it on the target.",
        sample_tel("pick-place-007"),
    )
    assert spans(d) == [("seems to be trying to", "speculation")]
    assert d.rewrite == (
        "The robotic arm picks up the red puck and moves it towards the target, and then places "
        "it on the target."
    )


def test_a_hedged_claim_the_telemetry_contradicts_is_flagged_whole() -> None:
    d = review(
        "The robot arm moves toward the window and seems to be trying to close it, but it does "
        "not touch the handle, so the window stays open.",
        sample_tel("window-close-013"),
    )
    assert [s for s, _ in spans(d)] == ["seems to be trying to close it"]
    assert d.rewrite == (
        "The robot arm moves toward the window, but it does not touch the handle, so the window "
        "stays open."
    )


def test_a_false_failure_clause_on_a_successful_clip() -> None:
    d = review(
        "The robotic arm picks up the red puck and carries it to the target, but the puck slips "
        "out of the gripper and falls, so the task is not completed.",
        sample_tel("pick-place-000"),
    )
    assert spans(d) == [
        ("the puck slips out of the gripper and falls", "gripper_or_grasp"),
        ("the task is not completed", "outcome"),
    ]
    assert d.rewrite == (
        "The robotic arm picks up the red puck and carries it to the target, so the task is "
        "completed."
    )


def test_two_success_clauses_on_a_failed_clip_leave_one_failure() -> None:
    d = review(
        "In this clip, the robotic arm grasps the red puck, lifts it up and carries it to the "
        "target, where it places it down, successfully completing the task.",
        sample_tel("pick-place-028"),
    )
    assert [s for s, _ in spans(d)] == [
        "carries it to the target, where it places it down",
        "successfully completing the task",
    ]
    assert d.rewrite == (
        "In this clip, the robotic arm grasps the red puck, lifts it up but drops it before the "
        "target, and the task fails."
    )
    assert rewrite_problems(d.rewrite, d.rewrite, "pick-place-v3") == []


@pytest.mark.parametrize(
    "clip,caption,span,new",
    [
        # the gripper is closed long before it touches a button, a drawer front or a window
        (
            "button-press-025",
            "The gripper closes around the red button and presses it down.",
            "closes around the red button",
            "The gripper presses the red button and presses it down.",
        ),
        (
            "window-open-005",
            "The arm approaches a window, grips the white handle and slides the window open.",
            "grips the white handle",
            "The arm approaches a window, pushes the white handle and slides the window open.",
        ),
        # on a drawer that opens the gripper stays open: it hooks the handle
        (
            "drawer-open-002",
            "The robot arm grabs the handle and pulls the drawer open.",
            "grabs the handle",
            "The robot arm hooks the handle and pulls the drawer open.",
        ),
    ],
)
def test_no_grasp_where_the_task_has_nothing_to_carry(
    clip: str, caption: str, span: str, new: str
) -> None:
    d = review(caption, sample_tel(clip))
    assert spans(d) == [(span, "gripper_or_grasp")]
    assert d.rewrite == new


def test_a_release_the_gripper_never_makes() -> None:
    d = review(
        "The arm carries the red puck to the target, where it releases the puck.",
        sample_tel("pick-place-014"),
    )
    assert spans(d) == [("releases the puck", "gripper_or_grasp")]
    assert "never opens" in d.hallucinations[0].explanation
    assert d.rewrite == "The arm carries the red puck to the target."


def test_order_of_contact_and_gripper_from_the_telemetry() -> None:
    d = review(
        "The robotic arm reaches the button, closes its gripper and then presses the button down.",
        sample_tel("button-press-025"),
    )
    assert spans(d) == [("reaches the button, closes its gripper", "order")]
    assert d.rewrite.startswith("The robotic arm closes its gripper, reaches the button")


def test_a_part_whose_rewording_fails_the_check_keeps_the_caption_words(monkeypatch) -> None:
    """Every edit goes through the check; when every rewording fails it, the draft keeps the
    caption's text, names the span in left_to_reviewer and says why in the finding."""
    import agent.drafting._offline as offline

    monkeypatch.setattr(
        offline,
        "rewrite_problems",
        lambda c, r, t, guidelines=None: [] if r == c else ["fails a test rule"],
    )
    caption = "The robot arm carefully grasps the red puck and places it at the target."
    d = review(caption, tel(grasp_at=10, lift_cm=8, success=False))
    assert d.rewrite == caption and d.verdict.value == "needs_edit"
    assert sorted(d.left_to_reviewer) == ["carefully", "places it at the target"]
    for h in d.hallucinations:
        assert "not reworded: the automatic rewording fails a test rule" in h.explanation
        assert "the wording is yours" in h.explanation
    assert "Left to the reviewer to reword" in d.observations


def test_an_offline_accurate_says_what_it_could_not_check() -> None:
    d = review("The robot arm grasps the green cube and lifts it.", tel(grasp_at=10, lift_cm=8))
    assert d.verdict.value == "accurate"
    assert "Not checked" in d.observations
    for what in ("colours", "object identity", "directions", "counts"):
        assert what in d.observations


def test_the_telemetry_note_fits_the_task() -> None:
    d = review("The robot arm presses the red button down.", sample_tel("button-press-004"))
    assert "grasp" not in d.observations and "lift" not in d.observations
    assert "closed from 0.4s, before any contact" in d.observations


@pytest.mark.parametrize(
    "caption,span,new",
    [
        (
            "The robotic arm places the puck on the target and then lifts it off the table.",
            "places the puck on the target and then lifts it off the table",
            "The robotic arm lifts the puck off the table and then places it on the target.",
        ),
        (
            "The arm lifts the puck after placing it on the target.",
            "lifts the puck after placing it on the target",
            "The arm lifts the puck before placing it on the target.",
        ),
        (
            "Before lifting the puck, the arm places it on the target.",
            "Before lifting the puck, the arm places it on the target",
            "After lifting the puck, the arm places it on the target.",
        ),
    ],
)
def test_order_said_with_then_after_or_before(caption: str, span: str, new: str) -> None:
    d = review(caption, sample_tel("pick-place-014"))
    assert spans(d) == [(span, "order")] and d.rewrite == new


def test_correct_orders_are_left_alone() -> None:
    for caption in (
        "Having grasped the puck, the arm lifts it and places it on the target.",
        "The arm places the puck on the target, having lifted it off the table.",
        "After lifting the puck, the arm places it on the target.",
    ):
        assert spans(review(caption, sample_tel("pick-place-014"))) == [], caption


def test_a_denied_contact_on_a_successful_push() -> None:
    d = review(
        "The robotic arm does not make contact with the puck, yet the puck slides onto the target.",
        sample_tel("push-015"),
    )
    assert spans(d) == [("does not make contact with the puck", "action")]
    assert d.rewrite.startswith("The robotic arm makes contact with the puck, yet")


def test_a_pushed_puck_rises_a_little_but_is_not_lifted_high() -> None:
    tel_ = sample_tel("push-022")  # the closed gripper carries the puck up about 3 cm
    assert spans(review("The arm grasps the puck and lifts it slightly.", tel_)) == []
    d = review("The arm grasps the puck and lifts it high above the table.", tel_)
    assert spans(d) == [("lifts it high above the table", "action")]


def test_a_hedged_attempt_on_a_failed_clip_leaves_the_outcome_unsaid() -> None:
    d = review("The robot arm tries to push the puck toward the target.", sample_tel("push-008"))
    assert [o.description for o in d.omissions] == ["the task fails"]
    assert d.rewrite == "The robot arm moves toward the puck, and the task fails."


# ------------------------------------------------------------------ round 2: wording of set D


@pytest.mark.parametrize(
    "clip,caption,expected_spans,rewrite",
    [
        # a purpose adjunct goes whole, and what it says is no step to check
        (
            "pick-place-014",
            "The robot arm picks up the red puck with the intention of placing it at the target, "
            "smoothly carrying it over to the target.",
            [("with the intention of placing it at the target", "speculation")],
            "The robot arm picks up the red puck, smoothly carrying it over to the target.",
        ),
        # a mid-sentence hedge between commas: the participle after it keeps its comma
        (
            "button-press-018",
            "The robotic arm descends onto the red button and pushes it down, seemingly with "
            "some effort, successfully completing the task.",
            [("seemingly with some effort", "speculation")],
            "The robotic arm descends onto the red button and pushes it down, successfully "
            "completing the task.",
        ),
        # manner adverbs of intent beyond the guideline's list
        (
            "window-open-005",
            "The robotic arm precisely lowers itself beside the handle and pushes the pane "
            "sideways until the window is open.",
            [("precisely", "speculation")],
            "The robotic arm lowers itself beside the handle and pushes the pane sideways until "
            "the window is open.",
        ),
    ],
)
def test_speculation_in_vision_model_wording(
    clip: str, caption: str, expected_spans: list, rewrite: str
) -> None:
    d = review(caption, sample_tel(clip))
    assert spans(d) == expected_spans and d.rewrite == rewrite


@pytest.mark.parametrize(
    "clip,caption,expected_spans,rewrite",
    [
        # a failure said as a participle, on a successful clip
        (
            "pick-place-021",
            "The robot grasps the puck and lifts it, after which it carries it to the target, "
            "failing the task.",
            [("failing the task", "outcome")],
            "The robot grasps the puck and lifts it, after which it carries it to the target.",
        ),
        # "unsuccessful" loses its prefix; "stops short of" goes with its "but"
        (
            "push-022",
            "The robotic arm pushes the red puck, but the puck stops short of the green target, "
            "so the push is unsuccessful.",
            [
                ("the puck stops short of the green target", "outcome"),
                ("the push is unsuccessful", "outcome"),
            ],
            "The robotic arm pushes the red puck, so the push is successful.",
        ),
        # a hedged miss after "however": the statement goes with its connective
        (
            "push-029",
            "The robotic arm moves above the red puck; however, it appears to miss the puck "
            "entirely, and the puck remains stationary.",
            [("it appears to miss the puck entirely, and the puck remains stationary", "outcome")],
            "The robotic arm moves above the red puck.",
        ),
        # a jammed drawer on a clip whose drawer opens
        (
            "drawer-open-009",
            "The arm pulls on the handle, but the drawer appears to be stuck and only moves a "
            "little before the arm gives up.",
            [
                (
                    "the drawer appears to be stuck and only moves a little before the arm "
                    "gives up",
                    "outcome",
                )
            ],
            "The arm pulls on the handle.",
        ),
    ],
)
def test_failure_wordings_on_successful_clips(
    clip: str, caption: str, expected_spans: list, rewrite: str
) -> None:
    d = review(caption, sample_tel(clip))
    assert spans(d) == expected_spans and d.rewrite == rewrite


def test_a_success_said_as_an_end_state_on_a_failed_drawer() -> None:
    d = review(
        "The robot arm hooks the drawer handle and pulls the drawer out, which results in the "
        "drawer being fully open.",
        sample_tel("drawer-open-016"),
    )
    assert ("results in the drawer being fully open", "outcome") in spans(d)
    assert d.rewrite == (
        "The robot arm hooks the drawer handle but does not pull the drawer out, "
        "and the task fails."
    )


def test_a_passive_with_an_adverb_goes_whole_with_its_adjunct() -> None:
    d = review(
        "A robotic arm lowers its closed gripper onto the red button and presses it down; the "
        "button is then released as the arm moves away.",
        sample_tel("button-press-025"),
    )
    assert [s for s, _ in spans(d)] == ["the button is then released"]
    assert d.rewrite == (
        "A robotic arm lowers its closed gripper onto the red button and presses it down."
    )


def test_a_never_pressed_button_in_a_relative_clause_says_the_failure() -> None:
    caption = (
        "The arm closes its gripper, rises, and then stops in mid-air well short of the red "
        "button, which is never pressed."
    )
    d = review(caption, sample_tel("button-press-011"))
    assert d.rewrite == caption and d.omissions == []  # no second "and the task fails"


@pytest.mark.parametrize(
    "clip,caption",
    [
        # holding is a state, not a step with a time: no order to contradict
        (
            "pick-place-000",
            "Next, it closes its fingers around the puck and lifts it a few centimeters. Then, "
            "it carries the puck over to the blue target marker, where it holds it in place, "
            "completing the task.",
        ),
        (
            "pick-place-007",
            "The puck is grasped by the gripper and transported to the blue target.",
        ),
        # keeping a button pressed is no grasp
        (
            "button-press-004",
            "The robotic arm rises, moves over the box and presses the red button down, holding "
            "it there until the end.",
        ),
        # a grasp denied after the caption has the gripper open: the second attempt it denies
        (
            "pick-place-028",
            "The gripper closes around the red puck and the arm raises it. Then, the gripper opens "
            "too early and the puck falls onto the table. Finally, the arm lowers toward the puck "
            "again without picking it up, so the task is not completed.",
        ),
        # the gripper closes at the puck on this push: "closes its gripper on" is so
        (
            "push-029",
            "The robotic arm closes its gripper on the red puck and slides it along the table to "
            "the green target without lifting it.",
        ),
        # lowering over the puck is no contact
        (
            "push-008",
            "The robotic arm lowers itself over the red puck and closes its gripper, but it stops "
            "several centimeters above the puck and grasps nothing; the puck stays where it is and "
            "the task is not completed.",
        ),
    ],
)
def test_set_d_wordings_it_must_leave_alone(clip: str, caption: str) -> None:
    d = review(caption, sample_tel(clip))
    assert d.hallucinations == [] and d.rewrite == caption, (spans(d), d.rewrite)


def test_a_slide_of_a_carried_object_is_a_carry() -> None:
    d = review(
        "The robotic arm grips the red puck, lifts it and slides it along the table to the blue "
        "target.",
        sample_tel("pick-place-014"),
    )
    assert spans(d) == [("slides it along the table to the blue target", "action")]
    assert (
        d.rewrite
        == "The robotic arm grips the red puck, lifts it and carries it to the blue target."
    )


def test_a_release_at_the_target_the_gripper_never_makes_keeps_the_target() -> None:
    d = review(
        "The robotic arm grabs the red puck, lifts it, and then opens its gripper to drop it onto "
        "the blue target, successfully completing the task.",
        sample_tel("pick-place-007"),
    )
    assert spans(d) == [("opens its gripper to drop it onto the blue target", "gripper_or_grasp")]
    assert d.rewrite == (
        "The robotic arm grabs the red puck, lifts it, and then holds it at the blue target, "
        "successfully completing the task."
    )


def test_the_last_of_a_list_goes_and_the_list_keeps_its_and() -> None:
    d = review(
        "A robotic arm picks up the red puck, brings it to the target and then releases it.",
        sample_tel("pick-place-000"),
    )
    assert spans(d) == [("releases it", "gripper_or_grasp")]
    assert d.rewrite == "A robotic arm picks up the red puck and brings it to the target."


@pytest.mark.parametrize(
    "clip,caption,span,rewrite",
    [
        # the gripper is closed from 0.4 s: "with its gripper open" is not so
        (
            "button-press-004",
            "The arm is moving toward the red button with its gripper open, and then it presses "
            "the button.",
            "with its gripper open",
            "The arm is moving toward the red button with its gripper closed, and then it presses "
            "the button.",
        ),
        (
            "drawer-close-003",
            "The robot arm, keeping its gripper wide open, pushes the drawer in.",
            "keeping its gripper wide open",
            "The robot arm, keeping its gripper closed, pushes the drawer in.",
        ),
        # said with the push: the gripper's state while the puck moves
        (
            "push-015",
            "A robotic arm pushes the red puck toward the green target with its fingers spread "
            "open.",
            "with its fingers spread open",
            "A robotic arm pushes the red puck toward the green target with its fingers closed.",
        ),
        # where the arm ends up: the state at the end
        (
            "push-008",
            "The arm descends towards the puck and then remains motionless above it with the "
            "gripper open.",
            "with the gripper open",
            "The arm descends towards the puck and then remains motionless above it with the "
            "gripper closed, and the task fails.",
        ),
    ],
)
def test_a_gripper_state_the_telemetry_contradicts(
    clip: str, caption: str, span: str, rewrite: str
) -> None:
    d = review(caption, sample_tel(clip))
    assert (span, "gripper_or_grasp") in spans(d) and d.rewrite == rewrite


def test_gripper_states_the_telemetry_allows_are_left_alone() -> None:
    for clip, caption in (
        # open until 1.2 s of 5: on the way to the puck it was open
        ("pick-place-000", "The arm lowers its open gripper toward a small red puck."),
        ("drawer-open-002", "The robot arm, with its gripper open, moves above the drawer."),
        ("window-close-020", "The robot arm lowers its closed gripper next to the window handle."),
    ):
        assert spans(review(caption, sample_tel(clip))) == [], caption


@pytest.mark.parametrize(
    "clip,caption,expected_spans,rewrite",
    [
        # a window slides sideways: a lift of its pane is a wrong direction, not a missing lift
        (
            "window-open-005",
            "The robot arm lifts the window pane upward, opening the window.",
            [("lifts the window pane upward", "direction_or_spatial")],
            "The robot arm slides the window pane sideways, opening the window.",
        ),
        (
            "window-close-027",
            "The robot arm pushes the window pane upward, closing the window.",
            [("upward", "direction_or_spatial")],
            "The robot arm pushes the window pane sideways, closing the window.",
        ),
        # a button goes down; a drawer that closes goes in
        (
            "button-press-025",
            "The gripper presses the red button and pulls it upward.",
            [("pulls it upward", "direction_or_spatial")],
            "The gripper presses the red button and pushes it downward.",
        ),
        (
            "drawer-close-010",
            "The robot arm pushes the open drawer out until it is closed.",
            [("out", "direction_or_spatial")],
            "The robot arm pushes the open drawer in until it is closed.",
        ),
    ],
)
def test_a_direction_the_objects_motion_contradicts(
    clip: str, caption: str, expected_spans: list, rewrite: str
) -> None:
    d = review(caption, sample_tel(clip))
    assert spans(d) == expected_spans and d.rewrite == rewrite


def test_directions_the_telemetry_agrees_with_are_left_alone() -> None:
    for clip, caption in (
        ("button-press-018", "The robot arm presses the red button down."),
        ("drawer-open-002", "The robot arm hooks the handle and pulls the drawer out."),
        ("pick-place-007", "The robot arm picks it up and lifts it up high."),
    ):
        assert spans(review(caption, sample_tel(clip))) == [], caption


def test_a_push_whose_puck_rises_is_not_flat() -> None:
    d = review(
        "The robotic arm grips the red puck and slides it flat along the table surface, never "
        "lifting it, until it reaches the green target.",
        sample_tel("push-015"),  # the closed gripper raises the puck about 2.6 cm
    )
    assert spans(d) == [("flat along the table surface, never lifting it", "action")]
    assert d.rewrite == (
        "The robotic arm grips the red puck and slides it along the table surface, lifting it "
        "slightly, until it reaches the green target."
    )


# ------------------------------------------------------------------ general wordings, round 2


@pytest.mark.parametrize(
    "clip,caption,rewrite",
    [
        # a passive's agent stays with its verb, and the failure comes after both
        (
            "push-001",
            "The puck is pushed to the target by the arm.",
            "The puck is not pushed to the target by the arm, and the task fails.",
        ),
        (
            "button-press-011",
            "The red button gets pressed by the robot arm.",
            "The red button does not get pressed by the robot arm, and the task fails.",
        ),
        # a relative clause stays with the noun it follows
        (
            "window-open-026",
            "The window is slid open by the robot arm, which then stops above it.",
            "The window is not slid open by the robot arm, which then stops above it, and the "
            "task fails.",
        ),
        # the second verb of a passive has the object as its subject
        (
            "pick-place-028",
            "The puck is picked up and placed onto the target by the arm.",
            "The puck is picked up but falls before the target, and the task fails.",
        ),
        # a denied goal on a successful clip
        (
            "drawer-close-003",
            "The arm pushes the drawer without closing it.",
            "The arm pushes the drawer and closes it.",
        ),
        (
            "push-015",
            "The arm pushes the puck, which stops before reaching the target.",
            "The arm pushes the puck, which stops after reaching the target.",
        ),
        (
            "window-open-005",
            "The arm pushes the handle, leaving the window shut.",
            "The arm pushes the handle, leaving the window open.",
        ),
        # a failure said with the robot as its only subject goes with its sentence
        (
            "drawer-open-002",
            "The arm pulls the handle. Overall, the robotic arm does not succeed.",
            "The arm pulls the handle.",
        ),
        # an object put back where it started, on a clip where it reaches the target
        (
            "pick-place-000",
            "The arm grasps the puck and lifts it, after which it lowers the puck back onto its "
            "starting position.",
            "The arm grasps the puck and lifts it, after which it carries the puck to the target.",
        ),
    ],
)
def test_rewrites_in_general_wordings(clip: str, caption: str, rewrite: str) -> None:
    telemetry = sample_tel(clip)
    d = review(caption, telemetry)
    assert d.rewrite == rewrite
    assert rewrite_problems(caption, d.rewrite, telemetry.task) == []


def test_a_cut_that_leaves_a_subordinator_at_the_end_fails_the_check() -> None:
    caption = "The robot lifts the puck, after which it lowers it."
    assert rewrite_problems(caption, "The robot lifts the puck, after.", "pick-place-v3")


@pytest.mark.parametrize(
    "clip,caption,rewrite,kind",
    [
        # the order said in more joints, reworded in the telemetry's order
        (
            "pick-place-000",
            "The arm lifts the puck before grasping it.",
            "The arm lifts the puck after grasping it.",
            "order",
        ),
        (
            "pick-place-000",
            "After lifting the puck, the arm grasps it.",
            "Before lifting the puck, the arm grasps it.",
            "order",
        ),
        (
            "pick-place-000",
            "Having lifted the puck, the arm grasps it.",
            "Before lifting the puck, the arm grasps it.",
            "order",
        ),
        (
            "pick-place-000",
            "The arm lifts the puck, after which it grasps it.",
            "The arm grasps the puck, after which it lifts it.",
            "order",
        ),
        (
            "pick-place-000",
            "The arm lifts the puck and subsequently grasps it.",
            "The arm grasps the puck and subsequently lifts it.",
            "order",
        ),
        # speculation: an adverb after the chain stays, "is to" stays a copula, a purpose
        # phrase built around a hedge goes whole
        (
            "pick-place-000",
            "The robotic arm appears to successfully grasp the red puck and lifts it.",
            "The robotic arm successfully grasps the red puck and lifts it.",
            "speculation",
        ),
        (
            "pick-place-000",
            "The robot's goal seems to be to move the puck; it picks it up and places it on the "
            "target.",
            "The robot's goal is to move the puck; it picks it up and places it on the target.",
            "speculation",
        ),
        (
            "pick-place-000",
            "The robotic arm, in what appears to be an attempt to tidy up, picks up the puck and "
            "places it on the target.",
            "The robotic arm picks up the puck and places it on the target.",
            "speculation",
        ),
        # the failure comes after the steps its sentence goes on with
        (
            "drawer-open-016",
            "The robot grabs the drawer handle and slides the drawer open, then holds still.",
            "The robot reaches the drawer handle but does not slide the drawer open, then holds "
            "still, and the task fails.",
            "outcome",
        ),
        # a contrast goes with the failure it introduced
        (
            "drawer-open-002",
            "The arm grabs the handle. However, it fails to open the drawer.",
            "The arm hooks the handle. It opens the drawer.",
            "outcome",
        ),
    ],
)
def test_rewrites_of_order_speculation_and_contrast(
    clip: str, caption: str, rewrite: str, kind: str
) -> None:
    telemetry = sample_tel(clip)
    d = review(caption, telemetry)
    assert d.rewrite == rewrite
    assert kind in {h.type.value for h in d.hallucinations}
    assert rewrite_problems(caption, d.rewrite, telemetry.task) == []


def test_a_retreat_the_end_effector_does_not_make_is_flagged() -> None:
    """The arm said to retract to where it started, or to move back, against its position."""
    d = review(
        "The robotic arm slides the window closed by pushing against its frame, before "
        "retracting to its starting position.",
        sample_tel("window-close-020"),  # comes back 9 cm, but ends 35 cm from its start
    )
    assert ("before retracting to its starting position", "action") in spans(d)
    assert d.rewrite == "The robotic arm slides the window closed by pushing against its frame."
    d = review("The arm opens the drawer and then moves back.", sample_tel("drawer-open-002"))
    assert ("and then moves back", "action") in spans(d)


def test_a_retreat_the_end_effector_makes_is_left_alone() -> None:
    # window-close-006 comes back 16 cm from where it is farthest from its start
    d = review(
        "The arm slides the window shut and then moves back.", sample_tel("window-close-006")
    )
    assert [s for s in spans(d) if s[1] == "action"] == []
    # "back and forth" is no retreat, nor is an object moving away
    d = review(
        "The arm hovers near the puck, moving back and forth, and the puck moves away.",
        sample_tel("push-001"),
    )
    assert not any("back" in s or "away" in s for s, _ in spans(d))
