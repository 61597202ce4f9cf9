"""A decision counts once, on the clip the person saw, by someone entitled to make it (issue 20),
through the library on SQLite and PostgreSQL: final clips stay final for reviewers, a
settlement is never outranked, a third reviewer cannot re-decide an agreed clip, undo takes back
only the person's own last decision, a lead neither judges nor settles their own work, and a
decision on a clip that changed or is no longer leased to the browser is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from agent.decisions import Decision, Purpose, Status
from agent.errors import RecapError, Refused
from agent.review import ReviewSession, add_user, disputes, judge, reopen, sample, settle
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Lease, Store, now

CAPTION = "The robot moves the blue cube left."
REWRITE = "The robot moves the red cube right."
DRAFT = {
    "hallucinations": [{"span": "blue", "type": "attribute", "explanation": "red"}],
    "omissions": [],
    "rewrite": REWRITE,
    "verdict": "needs_edit",
}


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store(db_url)
    s.runs.ensure("r", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={})
    for i in range(6):
        s.clips.upsert(Clip(id=f"c{i}", video="/v.mp4", content_hash=str(i)), CAPTION)
        s.runs.save_draft(
            "r",
            DraftResult(
                clip=f"c{i}",
                caption=CAPTION,
                draft=Draft.model_validate(DRAFT),
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    yield s
    s.close()


def who(store: Store, name: str, *, overlap: float = 0.0, **kw) -> ReviewSession:
    return ReviewSession(store, name, "r", browser=name, overlap=overlap, **kw)


def rows(store: Store, clip_id: str) -> list[tuple[str, str, str | None]]:
    return [(r.reviewer, r.decision, r.purpose) for r in store.reviews.of_clip("r", clip_id)]


def test_a_decided_clip_is_final_for_reviewers(store: Store) -> None:
    """Issue 20 item 2: ann accepts c0; no reviewer gets it again, by any list, and a decision on
    it (even from a page that still shows it) is refused and never recorded."""
    ann, bob = who(store, "ann"), who(store, "bob")
    shown = ann.next_item()
    assert shown.clip_id == "c0"
    ann.decide(shown, Decision.ACCEPTED)
    with pytest.raises(RecapError, match="not a list to review"):
        bob.next_item(Status.ACCEPTED)
    bob_sees = bob.item("c0")  # a stale screen, or a clip picked by id
    assert bob.take("c0") and bob_sees.state == Status.ACCEPTED
    with pytest.raises(Refused, match="c0 — it is accepted and final"):
        bob.decide(bob_sees, Decision.REJECTED, "A robot waves.")
    with pytest.raises(Refused, match="final"):
        bob.resume("c0")
    assert rows(store, "c0") == [("ann", "accepted", "queue")]
    assert store.reviews.status("r", "c0") == Status.ACCEPTED


def test_the_same_screen_decided_twice_records_once(store: Store) -> None:
    """Item 3: the second decision on the clip as it was shown (a double key press, a second
    tab) finds a newer row, or no lease, and is refused."""
    ann = who(store, "ann")
    item = ann.next_item()
    ann.decide(item, Decision.FLAGGED)
    with pytest.raises(Refused, match="changed since it was shown"):
        ann.decide(item, Decision.ACCEPTED)
    assert rows(store, item.clip_id) == [("ann", "flagged", "queue")]


def test_a_decision_after_the_lease_expired_and_another_took_the_clip_is_refused(
    store: Store,
) -> None:
    """Item 4: ann's hold on c0 runs out (written in the past, no sleeping); bob is given c0 and
    accepts it; ann's later rejection is refused with a message, not recorded."""
    ann, bob = who(store, "ann"), who(store, "bob")
    mine = ann.next_item()
    assert mine.clip_id == "c0" and ann.renew("c0")
    with store.session.begin() as s:
        s.execute(update(Lease).values(expires_at=now() - timedelta(seconds=1)))
    assert not ann.renew("c0")  # the heartbeat renews only a live hold
    theirs = bob.next_item()
    assert theirs.clip_id == "c0"
    with pytest.raises(Refused, match="no longer reserved for you"):
        ann.decide(mine, Decision.REJECTED, "The robot waves.")
    bob.decide(theirs, Decision.ACCEPTED)
    with pytest.raises(Refused):
        ann.decide(mine, Decision.REJECTED, "The robot waves.")
    assert rows(store, "c0") == [("bob", "accepted", "queue")]


def test_one_tab_of_a_browser_holds_the_clip(store: Store) -> None:
    """Item 4: two tabs of one browser (same owner): the lease names the tab; the other tab can
    neither renew nor decide until it takes the clip over, and then the first cannot."""
    one = who(store, "ann", tab="tab-1")
    two = who(store, "ann", tab="tab-2")
    item = one.next_item()
    held = two.holder()
    assert held is not None and (held.clip_id, held.tab) == (item.clip_id, "tab-1")
    assert not two.renew(item.clip_id)
    seen_by_two = two.item(item.clip_id)
    with pytest.raises(Refused, match="in this tab"):
        two.decide(seen_by_two, Decision.ACCEPTED)
    assert two.take(item.clip_id)  # "Review here instead"
    with pytest.raises(Refused, match="in this tab"):
        one.decide(item, Decision.ACCEPTED)
    two.decide(seen_by_two, Decision.ACCEPTED)
    assert rows(store, item.clip_id) == [("ann", "accepted", "queue")]


def test_a_third_reviewer_cannot_re_decide_an_agreed_clip(store: Store) -> None:
    ann, bob, cy = (who(store, n, overlap=1.0) for n in ("ann", "bob", "cy"))
    ann.decide(ann.next_item(), Decision.ACCEPTED)
    second = bob.next_item()
    assert second.clip_id == "c0" and second.purpose == Purpose.DOUBLE
    bob.decide(second, Decision.ACCEPTED)
    assert store.reviews.status("r", "c0") == Status.ACCEPTED  # agreed
    assert cy.next_item().clip_id != "c0"
    late = cy.item("c0")
    cy.take("c0")
    with pytest.raises(Refused, match="final"):
        cy.decide(late, Decision.EDITED, "The robot moves the green cube right.")
    assert store.reviews.status("r", "c0") == Status.ACCEPTED


def test_a_settlement_is_final_and_a_lead_who_took_part_cannot_settle(store: Store) -> None:
    """Items 2 and 8: ann and bob disagree on c0; lee (a lead who reviewed it too) may not
    settle it; mo settles it; no reviewer's later decision outranks the settlement, and only a
    lead who took no part can resettle (with a reason) or reopen it."""
    ann, bob = who(store, "ann", overlap=1.0), who(store, "bob", overlap=1.0)
    ann.decide(ann.next_item(), Decision.ACCEPTED)
    bob.decide(bob.next_item(), Decision.EDITED, "The robot moves the red cube to the right.")
    (dispute,) = disputes(store, "r")
    assert dispute.participants == {"ann", "bob"}
    with pytest.raises(Refused, match="took part"):
        settle(store, "bob", "r", "c0", REWRITE)
    with pytest.raises(Refused, match="changed since"):
        settle(store, "mo", "r", "c0", REWRITE, version=dispute.version - 1)
    settle(store, "mo", "r", "c0", REWRITE, version=dispute.version)
    assert store.reviews.status("r", "c0") == Status.ACCEPTED
    # a reviewer on a stale screen: refused; a row written anyway never outranks it
    cy = who(store, "cy", overlap=1.0)
    stale = cy.item("c0")
    cy.take("c0")
    with pytest.raises(Refused, match="final"):
        cy.decide(stale, Decision.REJECTED, "A robot waves.")
    with pytest.raises(RecapError, match="say why"):
        settle(store, "lee", "r", "c0", "The robot moves a red cube right.")
    with pytest.raises(Refused, match="took part"):
        settle(store, "mo", "r", "c0", "The robot moves a red cube right.", reason="typo")
    settle(store, "lee", "r", "c0", "The robot moves a red cube right.", reason="the article")
    assert store.reviews.state_review("r", "c0").comment == "the article"
    assert store.reviews.status("r", "c0") == Status.EDITED
    with pytest.raises(Refused, match="took part"):
        reopen(store, "lee", "r", "c0", "second thoughts")
    with pytest.raises(RecapError, match="why"):
        reopen(store, "zed", "r", "c0", " ")
    reopened = reopen(store, "zed", "r", "c0", "the cube is orange")
    assert (reopened.decision, reopened.purpose, reopened.comment) == (
        "reopened",
        "lead",
        "the cube is orange",
    )
    assert store.reviews.status("r", "c0") == Status.PENDING
    assert len(store.reviews.of_clip("r", "c0")) == 5  # append-only: nothing rewritten
    again = cy.next_item()  # pending again: a fresh pair of reviews from the start
    assert again.clip_id == "c0"
    cy.decide(again, Decision.ACCEPTED)
    assert store.reviews.status("r", "c0") == Status.AWAITING_SECOND
    assert ann.counts()[Status.PENDING] == 5


def test_undo_takes_back_only_the_persons_own_last_decision(store: Store) -> None:
    """Item 2: the page's undo never withdraws a lead's settlement, nor a decision someone has
    acted on since; a bound undo (the decision shown) never undoes a second one."""
    ann, bob = who(store, "ann", overlap=1.0), who(store, "bob", overlap=1.0)
    ann.decide(ann.next_item(), Decision.ACCEPTED)
    bob.decide(bob.next_item(), Decision.EDITED, "The robot moves the red cube to the right.")
    lee = who(store, "lee", overlap=1.0)
    settle(store, "lee", "r", "c0", REWRITE)
    assert lee.undoable() is None and lee.undo() is None  # a settlement is no undo's
    assert store.reviews.status("r", "c0") == Status.ACCEPTED
    with pytest.raises(Refused, match="lee has acted on the clip since"):
        bob.undo()
    mine = ann.next_item()
    first = ann.decide(mine, Decision.FLAGGED)
    with pytest.raises(Refused, match="Nothing undone"):
        ann.undo(expect=first.id - 1)
    assert ann.undo(expect=first.id).undoes == first.id
    with pytest.raises(Refused, match="Nothing undone"):  # pressed twice: the second refused
        ann.undo(expect=first.id)
    assert store.reviews.status("r", mine.clip_id) == Status.PENDING


def test_a_lead_judges_only_other_peoples_decisions_once(store: Store) -> None:
    """Item 8: a lead is not offered their own decisions, cannot judge them, and a decision
    judged once is not judged again (a second click)."""
    lee, ann = who(store, "lee"), who(store, "ann")
    own = lee.decide(lee.next_item(), Decision.ACCEPTED)
    theirs = ann.decide(ann.next_item(), Decision.ACCEPTED)
    assert sample(store, "r", "lee", lead="lee") == []
    assert [r.id for r in sample(store, "r", "ann", lead="lee")] == [theirs.id]
    with pytest.raises(Refused, match="your own decision"):
        judge(store, "lee", own.id, Decision.APPROVED)
    judge(store, "lee", theirs.id, Decision.APPROVED)
    with pytest.raises(Refused, match="already judged"):
        judge(store, "lee", theirs.id, Decision.SENT_BACK, "again")


def test_an_address_as_long_as_recap_users_accepts_fits_every_column(store: Store) -> None:
    """Item 9: `recap users add` takes 320 characters; a 312-character address decides, keeps
    unsaved text and shows up in the clip's state (PostgreSQL enforced 255 before 0008)."""
    address = "r" * 300 + "@example.org"
    assert len(address) == 312
    add_user(store, address, "reviewer")
    long = ReviewSession(store, address, "r", browser="b" * 32)
    item = long.next_item()
    long.save_buffer(item.clip_id, "half-typed")
    assert long.buffer(item.clip_id) == "half-typed"
    long.decide(item, Decision.EDITED, "The robot moves the red cube to the right.")
    assert store.reviews.state_review("r", item.clip_id).reviewer == address
    assert long.progress()["my_reviewed"] == 1


def test_a_decision_measures_its_edit_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 5: the word edit distance and rate of a decision come from one comparison."""
    import agent.review._session as session_module

    calls: list[tuple[str, str]] = []
    real = session_module.compare

    def counted(a: str, b: str, **kw: object):
        calls.append((a, b))
        return real(a, b, **kw)

    monkeypatch.setattr(session_module, "compare", counted)
    ann = who(store, "ann")
    review = ann.decide(ann.next_item(), Decision.EDITED, "The robot moves the red cube on.")
    assert calls == [(REWRITE, "The robot moves the red cube on.")]
    assert (review.edit_distance, review.edit_rate) == (1, pytest.approx(1 / 8))
