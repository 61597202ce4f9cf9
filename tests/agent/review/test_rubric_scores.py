"""Rubric scores on SQLite and PostgreSQL (issue 28): kept with the decision in its own
transaction, with the scale and guideline version they were given under; scores that do not fit
the rubric refuse the whole decision; an undo takes its decision's scores with it; the team's
means per reviewer and dimension, against figures worked out by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.decisions import Decision
from agent.errors import RecapError
from agent.guidelines import Guidelines, default_guidelines, load_guidelines
from agent.review import ReviewSession, decisions, rubric_means
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Store

DATA = Path(__file__).resolve().parents[2] / "data"
RUBRIC = """name = "scored"
[rubric]
scale = [1, 5]
[rubric.dimensions.accuracy]
description = "Every claim is true of the clip."
[rubric.dimensions.completeness]
description = "Every step and the outcome are there."
[rubric.dimensions.language]
description = "The guideline's wording."
"""


@pytest.fixture
def store(db_url: str) -> Store:
    """Eight drafted clips in run r."""
    s = Store(db_url)
    s.runs.ensure("r", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={})
    draft = Draft(
        hallucinations=[], omissions=[], rewrite="The robot moves the cube.", verdict="accurate"
    )
    for i in range(8):
        s.clips.upsert(Clip(id=f"c{i}", video="/v.mp4", content_hash=str(i)), "The robot moves.")
        s.runs.save_draft(
            "r",
            DraftResult(
                clip=f"c{i}",
                caption="The robot moves.",
                draft=draft,
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    yield s
    s.close()


@pytest.fixture
def scored(tmp_path: Path) -> Guidelines:
    path = tmp_path / "scored.toml"
    path.write_text(RUBRIC)
    return load_guidelines(path)


def rows(store: Store) -> list[tuple[int, str, int, int, int, str]]:
    reviews = store.reviews.all()
    found = store.reviews.scores(r.id for r in reviews)
    return [
        (x.review_id, x.dimension, x.score, x.low, x.high, x.guideline)
        for r in reviews
        for x in found.get(r.id, [])
    ]


def test_scores_are_kept_with_the_decision_and_its_guideline_version(
    store: Store,
    scored: Guidelines,
) -> None:
    ann = ReviewSession(store, "ann", "r")
    item = ann.next_item()
    review = ann.decide(
        item, Decision.ACCEPTED, scores={"accuracy": 4, "language": 2}, guidelines=scored
    )
    assert scored.version.startswith("scored@")
    assert rows(store) == [
        (review.id, "accuracy", 4, 1, 5, scored.version),
        (review.id, "language", 2, 1, 5, scored.version),
    ]
    plain = ann.decide(ann.next_item(after=item.clip_id), Decision.ACCEPTED, guidelines=scored)
    assert plain.id not in store.reviews.scores([plain.id])  # scoring is optional


@pytest.mark.parametrize(
    ("scores", "why"),
    [
        ({"accuracy": 6}, "accuracy: score 6 is outside 1-5"),
        ({"accuracy": 0, "language": 3}, "accuracy: score 0 is outside 1-5"),
        ({"fluency": 3}, "unknown rubric dimension 'fluency'"),
        ({"accuracy": 2.5}, "accuracy: score 2.5 is not a whole number"),
        ({"accuracy": True}, "accuracy: score True is not a whole number"),
    ],
)
def test_scores_that_do_not_fit_refuse_the_whole_decision(
    store: Store,
    scored: Guidelines,
    scores: dict,
    why: str,
) -> None:
    ann = ReviewSession(store, "ann", "r")
    item = ann.next_item()
    with pytest.raises(RecapError, match="Not recorded") as e:
        ann.decide(item, Decision.ACCEPTED, scores=scores, guidelines=scored)
    assert why in e.value.message and scored.version in e.value.message
    assert store.reviews.all() == [] and rows(store) == []  # nothing recorded
    ann.decide(item, Decision.ACCEPTED, scores={"accuracy": 5}, guidelines=scored)  # still open


def test_scores_under_a_guideline_without_a_rubric_are_refused(store: Store) -> None:
    ann = ReviewSession(store, "ann", "r")
    with pytest.raises(RecapError, match="has no rubric"):
        ann.decide(
            ann.next_item(), Decision.ACCEPTED, scores={"a": 3}, guidelines=default_guidelines()
        )
    assert store.reviews.all() == []


def test_undo_takes_its_decisions_scores_with_it(store: Store, scored: Guidelines) -> None:
    ann = ReviewSession(store, "ann", "r")
    first = ann.next_item()
    kept = ann.decide(first, Decision.ACCEPTED, scores={"accuracy": 3}, guidelines=scored)
    second = ann.next_item(after=first.clip_id)
    undone = ann.decide(
        second,
        Decision.EDITED,
        "The robot moves the red cube.",
        scores={"accuracy": 1, "completeness": 2},
        guidelines=scored,
    )
    assert {r[0] for r in rows(store)} == {kept.id, undone.id}
    ann.undo(undone.id)
    assert [r[:3] for r in rows(store)] == [(kept.id, "accuracy", 3)]
    # decided again, with other scores: those are the ones kept
    again = ann.resume(second.clip_id)
    redo = ann.decide(again, Decision.ACCEPTED, scores={"accuracy": 5}, guidelines=scored)
    assert [r[:3] for r in rows(store)] == [(kept.id, "accuracy", 3), (redo.id, "accuracy", 5)]


def test_team_means_per_reviewer_and_dimension_match_a_hand_count(
    store: Store,
    scored: Guidelines,
) -> None:
    """ann scores accuracy 4, 2, 5 (one undone: 1) and completeness 3 on one clip; bo scores
    accuracy 1 and 2, and skips a clip with a score (a skip is no final decision). By hand:
    ann accuracy (4+2+5)/3 = 11/3 over 3, completeness 3/1 over 1; bo accuracy 3/2 over 2."""
    ann = ReviewSession(store, "ann", "r", browser="a")
    bo = ReviewSession(store, "bo", "r", browser="b")
    plan = [
        (ann, {"accuracy": 4, "completeness": 3}),
        (ann, {"accuracy": 2}),
        (ann, {"accuracy": 1}),  # undone below
        (ann, {"accuracy": 5}),
        (bo, {"accuracy": 1}),
        (bo, {"accuracy": 2}),
    ]
    for who, scores in plan:
        item = who.next_item()
        who.decide(item, Decision.ACCEPTED, scores=scores, guidelines=scored)
        if scores == {"accuracy": 1} and who is ann:
            who.undo()  # the undone clip comes back: decided again, unscored
            who.decide(who.resume(item.clip_id), Decision.ACCEPTED, guidelines=scored)
    skipped = bo.next_item()
    bo.decide(skipped, Decision.SKIPPED, scores={"language": 1}, guidelines=scored)
    means = rubric_means(store, decisions(store, "r"))
    assert [(m.reviewer, m.dimension, m.scale, m.n) for m in means] == [
        ("ann", "accuracy", "1-5", 3),
        ("ann", "completeness", "1-5", 1),
        ("bo", "accuracy", "1-5", 2),
    ]
    assert [m.mean for m in means] == pytest.approx([11 / 3, 3.0, 1.5])
    assert rubric_means(store, []) == []


def test_older_databases_open_with_no_scores(tmp_path: Path) -> None:
    for name in ("recap-0.1.0.sqlite", "recap-0.2.0.sqlite"):
        db = tmp_path / name
        shutil.copy(DATA / name, db)
        s = Store(f"sqlite:///{db}")
        assert "0013_rubric_scores" in s.applied_migrations()
        reviews = s.reviews.all()
        assert s.reviews.scores(r.id for r in reviews) == {}
        assert rubric_means(s, decisions(s)) == []
        s.close()


def test_a_refused_decision_keeps_none_of_its_scores(store: Store, scored: Guidelines) -> None:
    """The clip changed since it was shown (another tab decided it): the decision is refused in
    its transaction, and its scores go with it."""
    from agent.errors import Refused

    assert not store.reviews.has_scores()
    one = ReviewSession(store, "ann", "r", browser="one")
    item = one.next_item()
    one.decide(item, Decision.ACCEPTED)  # decided as shown ...
    with pytest.raises(Refused):  # ... so the same view cannot decide it again
        one.decide(item, Decision.REJECTED, "Mine.", scores={"accuracy": 1}, guidelines=scored)
    assert rows(store) == [] and not store.reviews.has_scores()
    one.decide(one.next_item(), Decision.ACCEPTED, scores={"accuracy": 2}, guidelines=scored)
    assert store.reviews.has_scores()
