"""The review queue on SQLite and PostgreSQL: leases, decisions, undo and the running tallies
the page reads, checked against a recomputation from the append-only reviews."""

from __future__ import annotations

import random
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from agent.decisions import FINAL, Arm, Decision, Status
from agent.errors import RecapError
from agent.review._session import ReviewSession, default_reviewer
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Lease, Store, now

DATA = Path(__file__).resolve().parents[2] / "data"
DRAFT = {
    "hallucinations": [
        {"span": "blue", "type": "attribute", "explanation": "red", "evidence_times": [1.0]},
        {"span": "left", "type": "direction_or_spatial", "explanation": "right"},
    ],
    "omissions": [{"description": "the release", "type": "step"}],
    "rewrite": "The robot moves the red cube right and lets go.",
    "verdict": "needs_edit",
}
CAPTION = "The robot moves the blue cube left."


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store(db_url)
    s.runs.ensure("r", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={})
    for i in range(12):
        s.clips.upsert(Clip(id=f"c{i:02d}", video="/v.mp4", content_hash=str(i)), CAPTION)
        s.runs.save_draft(
            "r",
            DraftResult(
                clip=f"c{i:02d}",
                caption=CAPTION,
                draft=Draft.model_validate(DRAFT),
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    yield s
    s.close()


def recomputed(store: Store, run: str, reviewer: str) -> dict:
    """The progress figures the slow way: every review row and every draft, as before."""
    latest = {c: r for c, r in store.reviews.in_force_by_clip().items() if r.run == run}
    drafts = {d.clip_id: d for d in store.runs.drafts(run)}
    final = [r for c, r in latest.items() if c in drafts and r.decision in FINAL]
    agree: dict[str, list[int]] = {}
    for r in final:
        d = drafts[r.clip_id].draft
        for kind, findings in (("hallucinations", d.hallucinations), ("omissions", d.omissions)):
            for i, f in enumerate(findings):
                a = agree.setdefault(f.type.value, [0, 0])
                a[0] += bool(((r.agreed or {}).get(kind) or {}).get(str(i), False))
                a[1] += 1
    statuses = {c: latest[c].decision if c in latest else "pending" for c in drafts}
    rates = [r.edit_rate for r in final if r.edit_rate is not None]
    return {
        "reviewed": len(final),
        "total": len(drafts),
        "by_status": {s: sum(v == s for v in statuses.values()) for s in set(statuses.values())},
        "my_reviewed": sum(r.reviewer == reviewer for r in final),
        "accept_rate": sum(r.decision == "accepted" for r in final) / len(final) if final else None,
        "mean_edit_rate": sum(rates) / len(rates) if rates else None,
        "agreement_by_type": {t: a / n for t, (a, n) in sorted(agree.items())},
    }


def test_tallies_match_a_recomputation_after_random_decisions_and_undos(store: Store) -> None:
    rng = random.Random(7)
    ann, bob = ReviewSession(store, "ann", "r", browser="1"), ReviewSession(store, "bob", "r")
    for _ in range(40):
        who = rng.choice([ann, bob])
        action = rng.choice(["accepted", "edited", "rejected", "flagged", "skipped", "undo"])
        if action == "undo":
            who.undo()
            continue
        item = who.next_item(rng.choice(["pending", "pending", "flagged", "skipped"]))
        if item is None:
            continue
        agreed = {
            "hallucinations": {"0": rng.random() < 0.5, "1": rng.random() < 0.5},
            "omissions": {"0": rng.random() < 0.5},
        }
        text = f"The robot does step {rng.randint(0, 99)}."
        who.decide(item, action, text, agreed=None if action == "accepted" else agreed)
        got = who.progress()
        want = recomputed(store, "r", who.reviewer)
        for key, value in want.items():
            if key == "by_status":
                assert {s: n for s, n in got["by_status"].items() if n} == value
            elif isinstance(value, float | dict):
                assert got[key] == pytest.approx(value), key
            else:
                assert got[key] == value, key


def test_undo_returns_the_clip_and_restores_the_earlier_decision(store: Store) -> None:
    ann = ReviewSession(store, "ann", "r")
    item = ann.next_item()
    assert item is not None and item.clip_id == "c00"
    ann.decide(item, "flagged")
    again = ann.next_item("flagged")
    assert again is not None and again.clip_id == "c00" and again.status == "flagged"
    ann.decide(again, "accepted")
    assert ann.counts()["accepted"] == 1 and ann.counts()["flagged"] == 0
    ann.undo()  # the accept goes; the flag is in force again
    assert store.reviews.status("r", "c00") == "flagged"
    ann.undo()
    assert store.reviews.status("r", "c00") == "pending"
    assert ann.counts()["pending"] == 12 and ann.undo() is None


def test_two_browsers_never_share_a_clip_and_a_crashed_lease_is_taken_over(store: Store) -> None:
    ann = ReviewSession(store, "ann", "r", browser="a", lease_s=60)
    bob = ReviewSession(store, "bob", "r", browser="b", lease_s=60)
    first = ann.next_item()
    assert first is not None
    assert ann.next_item().clip_id == first.clip_id  # a reload keeps the held clip
    seen = {bob.next_item().clip_id for _ in range(3)}
    assert first.clip_id not in seen
    # ann's browser is gone and her lease runs out: its expiry is written into the past, so
    # the test decides when that happens, not the clock of a busy machine
    with store.session.begin() as s:
        s.execute(
            update(Lease)
            .where(Lease.clip_id == first.clip_id)  # only ann holds it
            .values(expires_at=now() - timedelta(seconds=1))
        )
    carol = ReviewSession(store, "carol", "r", browser="c")
    assert carol.next_item().clip_id == first.clip_id


def test_next_moves_on_in_clip_order_and_wraps_round(store: Store) -> None:
    ann = ReviewSession(store, "ann", "r")
    assert ann.next_item(after="c10").clip_id == "c11"
    assert ann.next_item(after="c11").clip_id == "c00"  # past the end: from the top
    for closed in ("done", "accepted"):  # final clips are no list to review
        with pytest.raises(RecapError, match="not a list to review"):
            ann.next_item(closed)


def test_a_0_1_0_database_opens_with_its_review_state(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(DATA / "recap-0.1.0.sqlite", db)
    store = Store(db)
    bob = ReviewSession(store, "bob", "old-offline")
    counts = bob.counts()
    assert (counts["accepted"], counts["edited"], counts["flagged"], counts["pending"]) == (
        1,
        1,
        1,
        1,
    )
    assert bob.next_item().clip_id == "push-001"  # the one clip nobody decided
    want = recomputed(store, "old-offline", "bob")
    got = bob.progress()
    assert got["reviewed"] == want["reviewed"] == 2
    assert got["agreement_by_type"] == pytest.approx(want["agreement_by_type"])
    assert ReviewSession(store, "alice", "old-offline").progress()["my_reviewed"] == 2


@pytest.mark.parametrize(
    ("configured", "address", "expected"),
    [
        ("ann", "0.0.0.0", "ann"),
        (None, "0.0.0.0", None),
        (None, None, None),
        ("  ", "10.0.0.5", None),
    ],
)
def test_default_reviewer(configured: str | None, address: str | None, expected) -> None:
    assert default_reviewer(configured, address) == expected


def test_default_reviewer_on_loopback_is_the_local_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "localperson")
    assert default_reviewer(None, "127.0.0.1") == "localperson"
    assert default_reviewer("ann", "127.0.0.1") == "ann"


def test_to_reject_the_reviewer_writes_their_own_caption(store: Store) -> None:
    """The rule is the session's, not the page's: the text shown, unchanged (spacing around it
    aside), is refused and nothing is recorded; the reviewer's own text goes in."""
    ann = ReviewSession(store, "ann", "r")
    item = ann.next_item()
    assert item is not None
    for same in (item.shown, f"  {item.shown}\n"):
        with pytest.raises(RecapError, match="To reject, write your own caption"):
            ann.decide(item, Decision.REJECTED, same)
    assert store.reviews.all() == [] and store.reviews.status("r", item.clip_id) == "pending"
    review = ann.decide(item, Decision.REJECTED, "The robot knocks the cube over.")
    assert (review.decision, review.final_caption) == (
        "rejected",
        "The robot knocks the cube over.",
    )
    assert store.reviews.status("r", item.clip_id) == Status.REJECTED


def test_in_the_control_arm_rejecting_needs_text_other_than_the_caption(store: Store) -> None:
    ann = ReviewSession(store, "ann", "r", control_share=1.0)
    item = ann.next_item()
    assert item is not None and item.arm == Arm.CONTROL and item.shown == CAPTION
    with pytest.raises(RecapError, match="To reject"):
        ann.decide(item, Decision.REJECTED, CAPTION)
    assert ann.decide(item, Decision.REJECTED, "The robot waves.").arm == "control"


def test_the_clip_on_screen_is_loaded_in_one_query(store: Store) -> None:
    """Clip, caption, draft, status and the row behind it: one statement, not one each."""
    from sqlalchemy import event

    ann = ReviewSession(store, "ann", "r")
    first = ann.next_item()
    assert first is not None
    ann.decide(first, Decision.FLAGGED)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        item = ann.item(first.clip_id)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert (item.clip.id, item.caption, item.record.clip_id) == (first.clip_id, CAPTION, "c00")
    assert item.status == Status.FLAGGED and item.draft.rewrite == DRAFT["rewrite"]
    with pytest.raises(RecapError, match="has no draft"):
        ann.item("no-such-clip")
