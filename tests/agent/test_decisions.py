"""What review rows mean, on hand-built rows (no database): the stored values, which rows an
undo withdrew and which are in force, how a clip's rows resolve to its state, and the tallies a
state adds to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from agent.decisions import (
    EDIT_RATE,
    EVENTS,
    FINAL,
    REVIEWER_DECISIONS,
    STATUSES,
    TEAM_STATES,
    VERDICTS,
    Arm,
    Decision,
    Purpose,
    Status,
    Tallies,
    agree_key,
    arm_of,
    contributions,
    decision_in_force,
    final_in_force,
    in_force,
    participants,
    purpose_of,
    refusal,
    resolve,
    same_outcome,
    status_key,
    two_reviews,
    undone,
)
from agent.schema import Draft

D, P, S = Decision, Purpose, Status


@dataclass
class Row:
    """A review row as the store hands it out, built by hand."""

    id: int
    reviewer: str
    decision: str
    purpose: str | None = None
    final_caption: str | None = None
    undoes: int | None = None
    about: int | None = None
    edit_rate: float | None = None
    agreed: dict[str, Any] | None = None


def rows(*specs: tuple[Any, ...]) -> list[Row]:
    """Rows numbered 1, 2, ... in the order given: (reviewer, decision, **extra)."""
    out = []
    for i, spec in enumerate(specs, 1):
        reviewer, decision, *rest = spec
        out.append(Row(i, reviewer, decision, **(rest[0] if rest else {})))
    return out


def test_values_are_the_strings_the_database_keeps() -> None:
    """A changed value would need a migration: these are what the database holds."""
    assert [d.value for d in Decision] == [
        "accepted",
        "edited",
        "rejected",
        "flagged",
        "skipped",
        "undo",
        "approved",
        "sent_back",
        "reopened",
        "auto_accepted",  # kept by the routing tables (migration 0011), never in reviews
    ]
    assert [p.value for p in Purpose] == ["queue", "gold", "double", "settle", "lead"]
    assert {s.value for s in Status} == {
        "pending",
        "accepted",
        "edited",
        "rejected",
        "flagged",
        "skipped",
        "awaiting_second",
        "disputed",
        "sent_back",
    }
    assert [a.value for a in Arm] == ["draft", "control"]
    assert Decision.ACCEPTED == "accepted" and f"{Status.SENT_BACK}" == "sent_back"
    assert sorted(FINAL) == ["accepted", "edited", "rejected"]
    assert [*STATUSES] == ["pending", *REVIEWER_DECISIONS] and set(VERDICTS).isdisjoint(FINAL)
    assert set(TEAM_STATES).isdisjoint(STATUSES)


def test_rows_before_migrations_0004_and_0007_read_as_queue_and_draft() -> None:
    assert purpose_of(Row(1, "ann", D.ACCEPTED)) == P.QUEUE
    assert purpose_of(Row(1, "ann", D.ACCEPTED, purpose="gold")) == P.GOLD
    assert arm_of(None) == Arm.DRAFT and arm_of("control") == Arm.CONTROL


def test_an_undo_withdraws_the_row_it_names_and_is_itself_not_in_force() -> None:
    r = rows(
        ("ann", D.ACCEPTED),
        ("ann", D.EDITED),
        ("ann", D.UNDO, {"undoes": 2}),
        ("bob", D.FLAGGED),
        ("ann", D.UNDO, {"undoes": None}),  # names nothing: withdraws nothing
    )
    assert undone(r) == {2}
    assert [x.id for x in in_force(r)] == [1, 4]  # order kept
    assert [x.id for x in final_in_force(r)] == [1]  # the flag is not a final decision


def test_pending_when_nothing_counts() -> None:
    assert resolve([]) is None
    assert resolve(rows(("ann", D.ACCEPTED), ("ann", D.UNDO, {"undoes": 1}))) is None
    assert resolve(rows(("ann", D.ACCEPTED, {"purpose": "gold"}))) is None  # a gold check
    assert resolve(rows(("lee", D.APPROVED, {"purpose": "lead", "about": 7}))) is None


def test_the_newest_decision_is_in_force_and_gold_checks_never_move_the_clip() -> None:
    r = rows(
        ("ann", D.FLAGGED),
        ("bob", D.EDITED, {"final_caption": "b"}),
        ("cy", D.REJECTED, {"purpose": "gold", "final_caption": "c"}),
    )
    got = resolve(r)
    assert got is not None and (got.status, got.review.id, got.owner) == (S.EDITED, 2, "bob")
    assert isinstance(got.status, Status)
    r.append(Row(4, "bob", D.UNDO, undoes=2))
    got = resolve(r)
    assert got is not None and (got.status, got.review.id) == (S.FLAGGED, 1)


def test_a_send_back_returns_the_clip_to_the_reviewer_it_names_until_they_decide_again() -> None:
    r = rows(
        ("ann", D.ACCEPTED, {"final_caption": "x"}),
        ("lee", D.SENT_BACK, {"purpose": "lead", "about": 1}),
    )
    got = resolve(r)
    assert got is not None and (got.status, got.review.id, got.owner) == (S.SENT_BACK, 2, "ann")
    assert decision_in_force(r) is None  # the draft stands until the clip is decided again
    r.append(Row(3, "ann", D.EDITED, final_caption="y"))
    got = resolve(r)
    assert got is not None and (got.status, got.review.id) == (S.EDITED, 3)
    assert decision_in_force(r) is r[2]


def test_an_approval_leaves_the_decision_in_force() -> None:
    r = rows(
        ("ann", D.REJECTED, {"final_caption": "x"}),
        ("lee", D.APPROVED, {"purpose": "lead", "about": 1}),
    )
    got = resolve(r)
    assert got is not None and (got.status, got.review.id) == (S.REJECTED, 1)


def test_double_review_awaits_a_second_then_agrees_or_is_disputed() -> None:
    first = rows(("ann", D.EDITED, {"purpose": "double", "final_caption": "The  arm lifts it."}))
    got = resolve(first)
    assert got is not None and (got.status, got.owner) == (S.AWAITING_SECOND, "ann")
    assert decision_in_force(first) is first[0]  # what export uses meanwhile
    agree = [*first, Row(2, "bob", D.EDITED, P.DOUBLE, "The arm lifts it.")]  # spacing aside
    got = resolve(agree)
    assert got is not None and (got.status, got.review.id, got.owner) == (S.EDITED, 2, "bob")
    differ = [*first, Row(2, "bob", D.ACCEPTED, P.DOUBLE, "The arm lifts it.")]
    got = resolve(differ)
    assert got is not None and got.status == S.DISPUTED and decision_in_force(differ) is None
    assert two_reviews(differ) == (differ[0], differ[1])
    assert not same_outcome(differ[0], differ[1]) and same_outcome(agree[0], agree[1])
    # the second reviewer undoes: back to waiting for a second decision
    got = resolve([*differ, Row(3, "bob", D.UNDO, undoes=2)])
    assert got is not None and got.status == S.AWAITING_SECOND
    assert two_reviews([*differ, Row(3, "bob", D.UNDO, undoes=2)]) is None


def test_a_reviewers_newest_double_decision_is_theirs() -> None:
    r = rows(
        ("ann", D.EDITED, {"purpose": "double", "final_caption": "a"}),
        ("bob", D.EDITED, {"purpose": "double", "final_caption": "b"}),
        ("ann", D.EDITED, {"purpose": "double", "final_caption": "b"}),  # ann changes her mind
    )
    got = resolve(r)
    assert got is not None and (got.status, got.review.id) == (S.EDITED, 3)


def test_a_settlement_newer_than_the_double_decisions_is_final() -> None:
    r = rows(
        ("ann", D.EDITED, {"purpose": "double", "final_caption": "a"}),
        ("bob", D.ACCEPTED, {"purpose": "double", "final_caption": "b"}),
        ("lee", D.EDITED, {"purpose": "settle", "final_caption": "c"}),
    )
    got = resolve(r)
    assert got is not None and (got.status, got.review.id, got.owner) == (S.EDITED, 3, "lee")
    assert decision_in_force(r) is r[2]
    # a newer double-review decision never outranks the settlement (issue 20); a newer
    # settlement (a lead resettling it) does
    r.append(Row(4, "cy", D.ACCEPTED, P.DOUBLE, "b"))
    got = resolve(r)
    assert got is not None and (got.status, got.review.id) == (S.EDITED, 3)
    r.append(Row(5, "mo", D.ACCEPTED, P.SETTLE, "b"))
    got = resolve(r)
    assert got is not None and (got.status, got.review.id, got.owner) == (S.ACCEPTED, 5, "mo")


def test_a_third_reviewer_never_joins_a_comparison_two_have_made() -> None:
    r = rows(
        ("ann", D.ACCEPTED, {"purpose": "double", "final_caption": "a"}),
        ("bob", D.ACCEPTED, {"purpose": "double", "final_caption": "a"}),
        ("cy", D.EDITED, {"purpose": "double", "final_caption": "c"}),  # written anyway
    )
    got = resolve(r)
    assert got is not None and (got.status, got.review.id) == (S.ACCEPTED, 2)
    assert two_reviews(r) == (r[0], r[1])  # the comparison is ann and bob's


def test_a_reopened_clip_starts_again_and_its_history_is_spent() -> None:
    r = rows(
        ("ann", D.ACCEPTED, {"final_caption": "a"}),
        ("zed", D.REOPENED, {"purpose": "lead"}),
    )
    assert resolve(r) is None and decision_in_force(r) is None
    assert participants(r) == set()  # ann's decision is spent
    r.append(Row(3, "bob", D.EDITED, P.QUEUE, "b"))
    got = resolve(r)
    assert got is not None and (got.status, got.review.id) == (S.EDITED, 3)
    assert participants(r) == {"bob"}


def test_who_took_part_includes_withdrawn_decisions_and_settlements_not_verdicts() -> None:
    r = rows(
        ("ann", D.ACCEPTED, {"purpose": "double", "final_caption": "a"}),
        ("ann", D.UNDO, {"undoes": 1}),
        ("bob", D.EDITED, {"purpose": "double", "final_caption": "b"}),
        ("lee", D.APPROVED, {"purpose": "lead", "about": 3}),
        ("cy", D.ACCEPTED, {"purpose": "gold", "final_caption": "a"}),
        ("mo", D.EDITED, {"purpose": "settle", "final_caption": "m"}),
    )
    assert participants(r) == {"ann", "bob", "mo"}


def test_which_states_a_reviewer_may_decide() -> None:
    for open_state in (S.PENDING, S.FLAGGED, S.SKIPPED):
        assert refusal(P.QUEUE, open_state, "bob", "ann") is None
    assert refusal(P.QUEUE, S.SENT_BACK, "ann", "ann") is None
    assert "another reviewer" in refusal(P.QUEUE, S.SENT_BACK, "bob", "ann")
    assert refusal(P.DOUBLE, S.AWAITING_SECOND, "bob", "ann") is None
    assert "second reviewer" in refusal(P.DOUBLE, S.AWAITING_SECOND, "ann", "ann")
    assert "a lead settles it" in refusal(P.DOUBLE, S.DISPUTED, "bob", "ann")
    for final in (S.ACCEPTED, S.EDITED, S.REJECTED):
        assert "final" in refusal(P.QUEUE, final, "bob", "ann")
        assert refusal(P.GOLD, final, "bob", "ann") is None  # a gold check moves no clip


DRAFT = Draft.model_validate(
    {
        "hallucinations": [
            {"span": "blue", "type": "attribute", "explanation": "red"},
            {"span": "left", "type": "direction_or_spatial", "explanation": "right"},
        ],
        "omissions": [{"description": "places it", "type": "step"}],
        "rewrite": "The robot moves the red cube right and places it.",
        "verdict": "needs_edit",
    }
)


def test_tally_names() -> None:
    assert status_key(S.AWAITING_SECOND) == "status:awaiting_second"
    assert agree_key("attribute") == "agree:attribute"
    assert (EVENTS, EDIT_RATE) == ("events", "edit_rate")


def test_a_final_state_adds_its_status_edit_rate_and_findings_agreed_with() -> None:
    agreed = {"hallucinations": {"0": True, "1": False}, "omissions": {"0": True}}
    row = Row(1, "ann", D.EDITED, edit_rate=0.25, agreed=agreed)
    assert contributions(S.EDITED, row, DRAFT) == {
        "status:edited": (1, 0.0),
        "edit_rate": (1, 0.25),
        "agree:attribute": (1, 1.0),
        "agree:direction_or_spatial": (1, 0.0),
        "agree:step": (1, 1.0),
    }
    # a state that is not a final decision counts the clip and nothing else
    assert contributions(S.DISPUTED, row, DRAFT) == {"status:disputed": (1, 0.0)}
    assert contributions(S.FLAGGED, row, DRAFT) == {"status:flagged": (1, 0.0)}
    # no findings were shown (control arm): none agreed with, each still counted
    bare = contributions(S.ACCEPTED, Row(2, "bob", D.ACCEPTED), DRAFT)
    assert bare["agree:attribute"] == (1, 0.0) and "edit_rate" not in bare


def test_tallies_read_back_by_name() -> None:
    t = Tallies(
        {
            "events": (9, 0.0),
            "status:accepted": (3, 0.0),
            "edit_rate": (4, 1.0),
            "agree:attribute": (4, 3.0),
            "agree:step": (0, 0.0),  # every one undone again
        }
    )
    assert t.clips(S.ACCEPTED) == 3 and t.clips(S.DISPUTED) == 0
    assert t.mean_edit_rate == pytest.approx(0.25)
    assert t.agreement_by_type() == {"attribute": 0.75}
    assert Tallies().mean_edit_rate is None and Tallies().agreement_by_type() == {}


def test_a_persons_decision_always_wins_over_an_auto_acceptance() -> None:
    from agent.decisions import person_wins

    person = Row(1, "ann", Decision.EDITED)
    assert person_wins(person, auto_accepted=True) is Decision.EDITED
    assert person_wins(Row(2, "ann", Decision.FLAGGED), auto_accepted=True) is Decision.FLAGGED
    assert person_wins(None, auto_accepted=True) is Decision.AUTO_ACCEPTED
    assert person_wins(None, auto_accepted=False) is None
