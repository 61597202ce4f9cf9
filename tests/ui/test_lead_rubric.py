"""A lead's rubric scores on the lead page (issue 28), through AppTest with sign-in: kept with the
settlement and with the approval, refused whole when they no longer fit the rubric in force,
and counted in the team's means under the lead's name."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.guidelines import load_guidelines
from agent.review import ReviewSession, add_user, decisions, rubric_means, verdicts
from agent.store import Store
from tests.ui.test_auth import APP, AUTH, signed_in
from tests.ui.test_review_rubric import RUBRIC


@pytest.fixture
def lead_page(review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    """c1 disputed (ann accepted, bob edited, blind to each other); ann accepted c2. The lead's
    page, signed in as lee, with a guideline that has a rubric."""
    store = Store(review_db)
    for email, role in (
        ("ann@x.org", "reviewer"),
        ("bob@x.org", "reviewer"),
        ("lee@x.org", "lead"),
    ):
        add_user(store, email, role)
    ann = ReviewSession(store, "ann@x.org", "r1", browser="a", overlap=1.0)
    bob = ReviewSession(store, "bob@x.org", "r1", browser="b", overlap=1.0)
    ann.decide(ann.next_item(), "accepted")
    bob.decide(bob.next_item(), "edited", "The robot grasps the red cube and lifts it high.")
    ann.decide(ann.next_item(), "accepted")
    assert store.reviews.status("r1", "c1") == "disputed"
    store.close()
    path = tmp_path / "scored.toml"
    path.write_text(RUBRIC)
    for name, value in {
        "RECAP_DB": review_db,
        "RECAP_REVIEW_RUN": "r1",
        "RECAP_CACHE_DIR": str(tmp_path / "cache"),
        "RECAP_GUIDELINES": str(path),
    }.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = signed_in("lee@x.org")
    at.run()
    at.switch_page("pages/lead.py").run()
    assert not at.exception
    return at


def kept(db: str) -> list[tuple[str, str, str, str, int]]:
    store = Store(db)
    rows = store.reviews.all()
    scores = store.reviews.scores(r.id for r in rows)
    return [
        (r.clip_id, r.reviewer, str(r.purpose), x.dimension, x.score)
        for r in rows
        for x in scores.get(r.id, [])
    ]


def test_a_lead_scores_when_settling_and_approving(lead_page: AppTest, review_db: str) -> None:
    at = lead_page
    at.radio(key="lead-rubric/settle/r1/c1/0").set_value(4).run()  # accuracy
    at.radio(key="lead-rubric/settle/r1/c1/2").set_value(2).run()  # language
    at.button(key="settle-r1-c1-go").click().run()
    assert not at.error, [e.value for e in at.error]
    assert kept(review_db) == [
        ("c1", "lee@x.org", "settle", "accuracy", 4),
        ("c1", "lee@x.org", "settle", "language", 2),
    ]
    store = Store(review_db)
    ann_c2 = next(r for r in store.reviews.of_clip("r1", "c2") if r.reviewer == "ann@x.org")
    at.selectbox(key="lead-reviewer").select("ann@x.org").run()
    at.radio(key=f"lead-rubric/verdict/r1/{ann_c2.id}/1").set_value(5).run()  # completeness
    at.button(key=f"approve-{ann_c2.id}").click().run()
    assert not at.error, [e.value for e in at.error]
    assert kept(review_db)[2:] == [("c2", "lee@x.org", "lead", "completeness", 5)]
    means = rubric_means(store, [*decisions(store, "r1"), *verdicts(store, "r1")])
    assert [(m.reviewer, m.dimension, m.n, m.mean) for m in means] == [
        ("lee@x.org", "accuracy", 1, 4.0),
        ("lee@x.org", "completeness", 1, 5.0),
        ("lee@x.org", "language", 1, 2.0),
    ]


def test_a_leads_scores_that_no_longer_fit_refuse_the_settlement(
    lead_page: AppTest, review_db: str, tmp_path: Path
) -> None:
    at = lead_page
    at.radio(key="lead-rubric/settle/r1/c1/0").set_value(5).run()
    path = tmp_path / "scored.toml"
    narrower = RUBRIC.replace("scale = [1, 5]", "scale = [1, 3]").replace('"5" = ', '"3" = ')
    path.write_text(narrower)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    at.button(key="settle-r1-c1-go").click().run()
    (error,) = [html.unescape(e.value) for e in at.error]
    assert "Not recorded: c1" in error and "accuracy: score 5 is outside 1-3" in error
    assert load_guidelines(path).version in error
    assert Store(review_db).reviews.status("r1", "c1") == "disputed" and kept(review_db) == []
