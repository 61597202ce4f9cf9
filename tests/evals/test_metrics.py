from __future__ import annotations

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from agent.schema import Draft, HallucinationLabel, OmissionLabel
from evals.gold import GoldCase
from evals.judges import LexicalJudge
from evals.matching import iou, localisation, match_pairs, prf
from evals.metrics import metrics_from, stat_matrix
from evals.scoring import clauses, omissions, score_case


def spans(*pairs: tuple[str, str]) -> list[HallucinationLabel]:
    return [HallucinationLabel(span=s, type=t) for s, t in pairs]


def missing(*pairs: tuple[str, str]) -> list[OmissionLabel]:
    return [OmissionLabel(description=d, type=t) for d, t in pairs]


CASE = GoldCase(
    clip_id="c",
    caption="The robot picks up the blue cube and moves it to the left.",
    gold_caption="The robot pushes the red cube to the right.",
    hallucinations=spans(
        ("picks up", "action"), ("blue", "attribute"), ("to the left", "direction_or_spatial")
    ),
    omissions=missing(("the cube falls off the table", "outcome")),
)


def test_iou_and_greedy_one_to_one_matching() -> None:
    assert iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert iou((0, 4), (4, 8)) == 0.0
    assert match_pairs([[0.9, 0.6], [0.8, 0.1]], 0.5) == [(0, 0)]  # (1,0) loses its gold
    assert match_pairs([[0.9, 0.6], [0.1, 0.8]], 0.5) == [(0, 0), (1, 1)]


def test_localisation_counts_by_hand() -> None:
    pred = spans(
        ("picks up the blue cube", "action"),  # IoU with "picks up" = 8/22
        ("blue", "object"),  # exact, wrong type
        ("the left", "direction_or_spatial"),  # 8/11 of "to the left"
        ("robot", "embodiment"),  # no gold
    )
    c = localisation(CASE.caption, CASE.hallucinations, pred)
    assert (c.tp, c.n_pred, c.n_gold) == (2, 4, 3)
    assert c.type_agree == 1  # "the left" keeps its type; "blue" does not
    assert c.tp_gold_by_type == {"attribute": 1, "direction_or_spatial": 1}
    assert c.tp_pred_by_type == {"object": 1, "direction_or_spatial": 1}
    assert prf(c.tp, c.n_pred, c.n_gold) == pytest.approx(
        {"precision": 0.5, "recall": 2 / 3, "f1": 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3)}
    )


def test_prf_edge_cases() -> None:
    assert prf(0, 0, 0) == {"precision": None, "recall": None, "f1": None}
    assert prf(0, 3, 2)["f1"] == 0.0


def test_omission_matching_with_the_lexical_judge() -> None:
    pred = missing(
        ("the cube falls off the table at the end", "outcome"), ("the gripper opens", "detail")
    )
    c = omissions(CASE.omissions, pred, LexicalJudge())
    assert (c.tp, c.n_pred, c.n_gold) == (1, 2, 1)


def test_captions_split_into_clauses_at_joints() -> None:
    assert clauses(
        "The robot grasps the cube, lifts it and then places it on the plate. The task succeeds."
    ) == ["The robot grasps the cube", "lifts it", "places it on the plate", "The task succeeds"]


def test_lexical_judge_refuses_changed_colours_and_sides() -> None:
    j = LexicalJudge()
    assert j.entails(
        "The robot pushes the red cube to the right", "The robot pushes the red cube to the right"
    )
    assert not j.entails("The robot pushes the red cube", "The robot pushes the blue cube")
    assert not j.entails("It moves to the right", "It moves to the left")
    assert j.entails("The robot pushes the red cube slowly", "pushes the red cube")


def test_corpus_text_metrics_equal_the_reference_libraries() -> None:
    hyps = [
        "The robot pushes the red cube to the right.",
        "The robot opens the drawer.",
        "The arm lifts the cup and places it down.",
    ]
    refs = [
        "The robot pushes the red cube to the right side.",
        "The robot closes the drawer.",
        "The arm lifts the mug, then places it on the plate.",
    ]
    cases = [
        score_case(
            GoldCase(f"c{i}", h, r, [], []), Draft(rewrite=h, verdict="accurate"), LexicalJudge()
        )
        for i, (h, r) in enumerate(zip(hyps, refs, strict=True))
    ]
    m = metrics_from(stat_matrix(cases))
    assert m["ter"][0] == pytest.approx(TER().corpus_score(hyps, [refs]).score)
    assert m["bleu"][0] == pytest.approx(BLEU().corpus_score(hyps, [refs]).score)
    chrf = np.mean([CHRF().sentence_score(h, [r]).score for h, r in zip(hyps, refs, strict=True)])
    assert m["chrf"][0] == pytest.approx(chrf)
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    rouge = np.mean(
        [scorer.score(r, h)["rougeL"].fmeasure for h, r in zip(hyps, refs, strict=True)]
    )
    assert m["rouge_l"][0] == pytest.approx(rouge)


def test_missing_draft_scores_as_the_unchanged_caption() -> None:
    case = score_case(CASE, None, LexicalJudge())
    assert case["rewrite"] == CASE.caption and case["stats"]["drafted"] == 0
    assert case["stats"]["clip_fn"] == 1 and case["stats"]["loc_gold"] == 3
