"""A small team plays a run through the library: two reviewers and a lead, gold checks and
double review on. The dashboard's figures are checked against values worked out by hand from
the script below; the queue's rules (gold mixed in, blind second review, send-back first,
settlement final) are checked on the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.data import final_rows
from agent.errors import RecapError
from agent.review import (
    ReviewSession,
    agreement,
    by_reviewer_and_day,
    decisions,
    disputes,
    evidence,
    gold_due,
    in_overlap,
    judge,
    sample,
    settle,
)
from agent.schema import Draft, DraftResult, GoldLabels, PromptRef
from agent.store import Clip, Store

CAPTION = "The robot moves the blue cube left."
REWRITE = "The robot moves the red cube right and lets go."
DRAFT = {
    "hallucinations": [
        {"span": "blue", "type": "attribute", "explanation": "red"},
        {"span": "left", "type": "direction_or_spatial", "explanation": "right"},
    ],
    "omissions": [{"description": "the release", "type": "step"}],
    "rewrite": REWRITE,
    "verdict": "needs_edit",
}
GREEN = "The robot moves the green cube left."
# g1: the draft is right (gold = its rewrite, both spans wrong); g2: the draft is wrong (only
# "blue" is wrong, the cube is green and it does go left)
GOLD = {
    "g1": {
        "caption": REWRITE,
        "hallucinations": [
            {"span": "blue", "type": "attribute"},
            {"span": "left", "type": "direction_or_spatial"},
        ],
    },
    "g2": {"caption": GREEN, "hallucinations": [{"span": "blue", "type": "attribute"}]},
}
ALL = {"hallucinations": {"0": True, "1": True}, "omissions": {"0": True}}


def gold(clip_id: str) -> GoldLabels | None:
    return GoldLabels.model_validate(GOLD[clip_id]) if clip_id in GOLD else None


def make_store(url: str, clips: list[str]) -> Store:
    store = Store(url)
    store.runs.ensure("r", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64,
                      settings={})  # fmt: skip
    for i, clip_id in enumerate(clips):
        store.clips.upsert(
            Clip(id=clip_id, video="/v.mp4", content_hash=str(i), gold=gold(clip_id)), CAPTION
        )
        store.runs.save_draft(
            "r",
            DraftResult(
                clip=clip_id,
                caption=CAPTION,
                draft=Draft.model_validate(DRAFT),
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    return store


@pytest.fixture
def store(db_url: str) -> Store:
    s = make_store(db_url, ["c1", "c2", "c3", "g1", "g2"])
    yield s
    s.close()


def session(store: Store, who: str) -> ReviewSession:
    # gold rate 1: every clip is a gold check while one is left; overlap 1: every other clip is
    # reviewed twice. Both make the script deterministic; the rates are tested below.
    return ReviewSession(store, who, "r", browser=who, gold_rate=1.0, overlap=1.0)


def test_a_small_team_through_a_run_matches_the_hand_computed_dashboard(store: Store) -> None:
    ann, bob = session(store, "ann@x.org"), session(store, "bob@x.org")

    # ann: both gold checks first (accepting the draft each time), then c1..c3
    item = ann.next_item()
    assert (item.clip_id, item.purpose, item.status) == ("g1", "gold", "pending")
    ann.decide(item, "accepted", seconds=10)
    item = ann.next_item(after="g1")
    assert (item.clip_id, item.purpose) == ("g2", "gold")
    ann.decide(item, "accepted", seconds=10)
    item = ann.next_item(after="g2")
    assert (item.clip_id, item.purpose, item.arm) == ("c1", "double", "draft")
    ann.decide(item, "accepted", seconds=10)
    ann.decide(ann.next_item(after="c1"), "edited", "The robot moves the red cube right.",
               agreed=ALL, seconds=20)  # fmt: skip
    ann_c3 = ann.decide(
        ann.next_item(after="c2"),
        "rejected",
        "A robot arm pushes the cube.",
        agreed={"hallucinations": {"0": True, "1": False}, "omissions": {"0": False}},
        seconds=30,
    )
    assert ann.next_item() is None  # her clips wait for a second reviewer, never for her
    assert store.reviews.status("r", "c1") == "awaiting_second"

    # bob: the same gold checks (his own), then the second, blind review of c1..c3
    item = bob.next_item()
    assert (item.clip_id, item.purpose) == ("g1", "gold")
    bob.decide(item, "edited", "The robot moves the red cube to the right and lets go.",
               agreed={"hallucinations": {"0": True, "1": True}}, seconds=10)  # fmt: skip
    bob.decide(bob.next_item(after="g1"), "edited", GREEN,
               agreed={"hallucinations": {"0": True, "1": False}}, seconds=10)  # fmt: skip
    item = bob.next_item(after="g2")
    assert (item.clip_id, item.status, item.feedback) == ("c1", "pending", None)  # blind
    bob.decide(item, "accepted", seconds=10)
    assert store.reviews.status("r", "c1") == "accepted"  # two agreeing decisions
    bob.decide(bob.next_item(after="c1"), "accepted", seconds=10)
    assert store.reviews.status("r", "c2") == "disputed"  # edited vs accepted
    bob.decide(bob.next_item(after="c2"), "rejected", "A robot arm pushes the cube.",
               agreed={"hallucinations": {"0": True, "1": True}, "omissions": {"0": False}},
               seconds=10)  # fmt: skip
    assert store.reviews.status("r", "c3") == "rejected"
    assert bob.next_item() is None

    # the lead: settles c2 with ann's caption, sends ann's c3 back, approves bob's c1
    (dispute,) = disputes(store, "r")
    assert (dispute.clip_id, dispute.first.reviewer, dispute.second.reviewer) == (
        "c2",
        "ann@x.org",
        "bob@x.org",
    )
    settle(store, "lee@x.org", "r", "c2", dispute.first.final_caption or "")
    assert store.reviews.status("r", "c2") == "edited"
    assert [r.clip_id for r in sample(store, "r", "ann@x.org")] == ["c3", "c2", "c1"]
    comment = "Say which cube: <b>the red one</b>."
    judge(store, "lee@x.org", ann_c3.id, "sent_back", comment)
    bob_c1 = next(r for r in store.reviews.of_clip("r", "c1") if r.reviewer == "bob@x.org")
    judge(store, "lee@x.org", bob_c1.id, "approved")
    with pytest.raises(RecapError, match="comment"):
        judge(store, "lee@x.org", bob_c1.id, "sent_back", "  ")
    assert [r.clip_id for r in sample(store, "r", "ann@x.org")] == ["c2", "c1"]  # judged: gone

    # ann: the sent-back clip comes first, with the comment; bob never sees it
    assert bob.next_item() is None
    item = ann.next_item()
    assert (item.clip_id, item.feedback, item.status) == ("c3", comment, "sent_back")
    ann.decide(item, "rejected", "A robot arm pushes the red cube.",
               agreed={"hallucinations": {"0": True, "1": False}, "omissions": {"0": False}},
               seconds=30)  # fmt: skip
    assert store.reviews.status("r", "c3") == "disputed"  # her new caption differs from bob's
    settle(store, "lee@x.org", "r", "c3", "A robot arm pushes the red cube.")
    history = [(r.reviewer, r.decision, r.purpose) for r in store.reviews.of_clip("r", "c3")]
    assert history == [
        ("ann@x.org", "rejected", "double"),
        ("bob@x.org", "rejected", "double"),
        ("lee@x.org", "sent_back", "lead"),
        ("ann@x.org", "rejected", "double"),
        ("lee@x.org", "edited", "settle"),
    ]
    # g1, g2: each reviewer's gold check, still ordinary work for someone who has not seen them
    assert ann.counts()["pending"] == 2 and ann.counts()["edited"] == 2

    # export: the settled captions are final; the agreed one is bob's (the second decision)
    rows = {r["clip_id"]: r for r in final_rows(store, "r")}
    assert rows["c1"]["caption"] == REWRITE and rows["c1"]["reviewer"] == "bob@x.org"
    assert rows["c2"]["caption"] == "The robot moves the red cube right."
    assert rows["c3"]["caption"] == "A robot arm pushes the red cube."
    assert rows["c3"]["reviewer"] == "lee@x.org"

    # the dashboard
    rows_in_force = decisions(store, "r")
    ev = evidence(store, rows_in_force, "r")
    days = {d.reviewer: d for d in by_reviewer_and_day(rows_in_force, ev)}
    a, b, lee = days["ann@x.org"], days["bob@x.org"], days["lee@x.org"]
    # ann: g1 accepted, g2 accepted, c1 accepted, c2 edited, c3 rejected (her second decision)
    assert (a.clips, a.accept_rate, a.gold_checks) == (5, 3 / 5, 2)
    # TER vs gold: g1 0 edits; g2 "red"->"green", "right"->"left.", drop "and lets go." = 5
    # edits; over 10 + 7 gold words
    assert a.gold_ter == pytest.approx(100 * 5 / 17)
    # g1: both spans agreed, both are gold (2 right); g2: both agreed, only "blue" is gold (1)
    assert a.gold_findings == pytest.approx(3 / 4)
    assert a.automation_bias == 1.0  # the one wrong gold draft (g2), accepted unchanged
    assert a.agreement == pytest.approx(1 / 3)  # c1 agrees; c2, c3 differ from bob
    assert a.sent_back_rate == pytest.approx(1 / 5)  # c3
    # bob: g1 edited ("to the" inserted: 2 edits), g2 edited to gold (0), c1, c2 accepted, c3
    assert (b.clips, b.accept_rate, b.gold_checks) == (5, 2 / 5, 2)
    assert b.gold_ter == pytest.approx(100 * 2 / 17)
    assert b.gold_findings == 1.0  # g1 2 of 2, g2: "blue" agreed, "left" disagreed: 2 of 2
    assert b.automation_bias == 0.0
    assert b.agreement == pytest.approx(1 / 3)
    assert b.sent_back_rate == 0.0
    assert (lee.clips, lee.gold_checks, lee.agreement) == (2, 0, None)  # two settlements

    (pair,) = agreement(rows_in_force, ev)  # the lead's settlements are not a second opinion
    assert (pair.first, pair.second, pair.clips) == ("ann@x.org", "bob@x.org", 5)
    # decisions ann A A A E R, bob E E A A R: 2 of 5 the same; chance (3*2 + 1*2 + 1*1) / 25
    assert pair.same_decision == pytest.approx(2 / 5)
    assert pair.kappa == pytest.approx((0.4 - 9 / 25) / (1 - 9 / 25))
    # findings judged alike: attribute 5 of 5; direction g2, c3 differ; step g1, g2 differ
    assert pair.findings_by_type == pytest.approx(
        {"attribute": 1.0, "direction_or_spatial": 3 / 5, "step": 3 / 5}
    )


def test_gold_checks_follow_the_rate_and_stay_each_reviewers_own(tmp_path: Path) -> None:
    """At rate 0.25 each reviewer's gold checks stay within one of a quarter of their
    decisions at every point, whatever the hash puts where; a gold clip never leaves anyone
    else's queue, and an undone gold check comes back."""
    clips = [f"c{i:02d}" for i in range(40)] + ["g1", "g2"] + [f"g{i}" for i in range(3, 13)]
    store = make_store(f"sqlite:///{tmp_path / 'gold.db'}", clips)
    for extra in range(3, 13):  # more gold clips, each with the draft right
        store.clips.upsert(
            Clip(
                id=f"g{extra}", video="/v.mp4", content_hash="x", gold=GoldLabels(caption=REWRITE)
            ),
            CAPTION,
        )
    assert store.reviews.gold_pool("r") == 12
    for who in ("ann", "bob"):
        s = ReviewSession(store, who, "r", browser=who, gold_rate=0.25)
        gold = done = 0
        after = None
        while (item := s.next_item(after=after)) is not None and done < 30:
            assert item.status == "pending"
            s.decide(item, "accepted", seconds=1)
            done += 1
            gold += item.purpose == "gold"
            assert abs(gold - 0.25 * done) <= 1, (who, done, gold)
            after = item.clip_id
        assert gold >= 6
    before = store.reviews.gold_counts("r", "ann")
    ann = ReviewSession(store, "ann", "r", browser="ann", gold_rate=0.25)
    last_gold = next(r for r in store.reviews.recent("r", "ann") if r.purpose == "gold")
    while (undone := ann.undo()) is not None and undone.undoes != last_gold.id:
        pass
    assert store.reviews.gold_counts("r", "ann")[0] < before[0]
    assert last_gold.clip_id in store.reviews.gold_candidates("r", "ann", 20)
    behind = store.reviews.state_review("r", last_gold.clip_id)  # bob may have decided it
    assert behind is None or behind.purpose != "gold"  # a gold check is never a clip's state


def test_the_overlap_share_and_the_gold_rate_come_from_a_hash() -> None:
    share = sum(in_overlap("r", f"c{i}", 0.1) for i in range(5000)) / 5000
    assert 0.08 < share < 0.12
    assert in_overlap("r", "c1", 0.1) == in_overlap("r", "c1", 0.1)
    assert not in_overlap("r", "c1", 0.0)
    assert not gold_due("r", "ann", 10, 0, 0.0)
    assert gold_due("r", "ann", 10, 0, 0.5)  # five behind: due whatever the offset


def test_a_lead_cannot_send_back_without_a_decision_or_settle_an_undisputed_clip(
    store: Store,
) -> None:
    with pytest.raises(RecapError, match="not a reviewer's decision"):
        judge(store, "lee", 999, "approved")
    with pytest.raises(RecapError, match="not awaiting a settlement"):
        settle(store, "lee", "r", "c1", "text")


def test_recap_team_and_recap_review_take_the_team_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`recap team` prints and exports the gold and agreement columns; `recap review` hands
    --gold-rate and --overlap to the page; an out-of-range rate is refused by name."""
    import csv

    from typer.testing import CliRunner

    from recap.main import app
    from ui import commands

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = make_store(url, ["c1", "g2"])
    ann = ReviewSession(store, "ann", "r", browser="a", gold_rate=1.0)
    ann.decide(ann.next_item(), "accepted", seconds=5)  # g2: a wrong draft accepted
    ann.decide(ann.next_item(), "accepted", seconds=5)  # c1
    out = tmp_path / "team.csv"
    r = CliRunner().invoke(
        app, ["team", "--db", url, "--run", "r", "--csv", str(out)], env={"COLUMNS": "250"}
    )
    assert r.exit_code == 0, r.output
    assert "automation bias" in r.output and "automation_bias:" in r.output
    (row,) = list(csv.DictReader(out.open()))
    assert (row["gold_checks"], float(row["automation_bias"]), float(row["gold_findings"])) == (
        "1",
        1.0,
        0.5,
    )
    launched: list[dict[str, str]] = []
    monkeypatch.setattr(
        commands, "run_page_server", lambda cmd, env, **_: launched.append(env) or 0
    )
    r = CliRunner().invoke(
        app, ["review", "--db", url, "--reviewer", "ann", "--gold-rate", "0.05", "--overlap", "0.1"]
    )
    assert r.exit_code == 0, r.output
    assert (launched[0]["RECAP_GOLD_RATE"], launched[0]["RECAP_OVERLAP"]) == ("0.05", "0.1")
    r = CliRunner().invoke(app, ["review", "--db", url, "--gold-rate", "2"])
    assert r.exit_code != 0 and "--gold-rate" in r.output


def test_a_skipped_gold_check_or_next_moves_on(tmp_path: Path) -> None:
    """A reviewer is never stuck on a gold check: Skip records it and Next passes it by."""
    store = make_store(f"sqlite:///{tmp_path / 'skip.db'}", ["c1", "g1", "g2"])
    s = ReviewSession(store, "ann", "r", browser="a", gold_rate=1.0)
    first = s.next_item()
    assert (first.clip_id, first.purpose) == ("g1", "gold")
    s.decide(first, "skipped")
    second = s.next_item(after="g1")
    assert (second.clip_id, second.purpose) == ("g2", "gold")
    assert s.next_item(after="g2").clip_id != "g2"
    assert store.reviews.status("r", "g1") == "pending"
