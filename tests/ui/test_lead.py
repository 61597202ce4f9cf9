"""The lead's page and the team review on the review page, through AppTest with sign-in: two
reviewers double-review a clip and disagree, the lead settles it, sends a decision back with a
comment, and the reviewer sees that comment (escaped) above the clip, first in their queue."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.review import add_user
from agent.store import Store
from tests.ui.conftest import button
from tests.ui.test_auth import APP, AUTH, signed_in

COMMENT = "Name the colour <script>alert('x')</script> & the plate."


@pytest.fixture
def team_db(review_db: str) -> str:
    store = Store(review_db)
    for email, role in (
        ("ann@x.org", "reviewer"),
        ("bob@x.org", "reviewer"),
        ("lee@x.org", "lead"),
    ):
        add_user(store, email, role)
    store.close()
    return review_db


@pytest.fixture
def page(team_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("RECAP_DB", team_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RECAP_OVERLAP", "1")  # every clip is reviewed twice
    monkeypatch.setenv("RECAP_CONTROL_SHARE", "0")
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    return at


def as_(at: AppTest, email: str) -> AppTest:
    at.user = signed_in(email)
    return at


def test_a_reviewer_cannot_open_the_lead_page(page: AppTest) -> None:
    as_(page, "ann@x.org").run()
    page.switch_page("pages/lead.py").run()
    assert any("This page is for leads and admins." in e.value for e in page.error)
    assert not [b for b in page.button if b.label in ("Settle", "Send back")]


def test_dispute_settlement_and_send_back_with_a_comment(page: AppTest, team_db: str) -> None:
    store = Store(team_db)
    # ann accepts c1; bob, blind to it, edits c1: a disagreement
    as_(page, "ann@x.org").run()
    assert "c1" in page.markdown[0].value
    button(page, "accept").click().run()
    bob = as_(AppTest.from_file(APP, default_timeout=60), "bob@x.org")
    bob.secrets["auth"] = AUTH
    bob.run()
    assert "c1" in bob.markdown[0].value and "pending" in bob.markdown[0].value
    bob.text_area[0].input("The robot grasps the red cube and lifts it high.").run()
    button(bob, "save").click().run()
    assert store.reviews.status("r1", "c1") == "disputed"

    # the lead settles c1 with bob's caption, then sends ann's c2 decision back
    as_(page, "ann@x.org")
    button(page, "accept").click().run()  # ann accepts c2
    as_(page, "lee@x.org").switch_page("pages/lead.py").run()
    assert not page.exception
    settled = page.text_area(key="settle-r1-c1")
    assert settled.value == "The robot grasps the red cube and lifts it high."
    page.button(key="settle-r1-c1-go").click().run()
    assert store.reviews.status("r1", "c1") == "edited"
    ann_c2 = next(r for r in store.reviews.of_clip("r1", "c2") if r.reviewer == "ann@x.org")
    page.selectbox(key="lead-reviewer").select("ann@x.org").run()
    page.button(key=f"send-{ann_c2.id}").click().run()  # no comment yet: refused
    assert any("comment" in e.value for e in page.error)
    page.text_input(key=f"comment-{ann_c2.id}").input(COMMENT).run()
    page.button(key=f"send-{ann_c2.id}").click().run()
    assert store.reviews.status("r1", "c2") == "sent_back"
    lead_rows = [r for r in store.reviews.of_clip("r1", "c2") if r.purpose == "lead"]
    assert [(r.reviewer, r.decision, r.comment) for r in lead_rows] == [
        ("lee@x.org", "sent_back", COMMENT)
    ]

    # ann's page: c2 first, with the lead's comment above it, escaped
    ann = as_(AppTest.from_file(APP, default_timeout=60), "ann@x.org")
    ann.secrets["auth"] = AUTH
    ann.run()
    assert "c2" in ann.markdown[0].value
    alert = ann.markdown[1].value
    assert "Sent back by your lead" in alert
    assert "<script>" not in alert and COMMENT in html.unescape(alert)

    # the team page: ann decided c1 (bob disagreed) and c2 (sent back)
    lee = as_(AppTest.from_file(APP, default_timeout=60), "lee@x.org")
    lee.secrets["auth"] = AUTH
    lee.run()
    lee.switch_page("pages/team.py").run()
    assert not lee.exception
    table = lee.dataframe[0].value.set_index("reviewer")
    assert table.loc["ann@x.org", "clips"] == 2
    assert table.loc["ann@x.org", "sent_back_rate"] == pytest.approx(1 / 2)
    assert table.loc["ann@x.org", "agreement"] == 0.0  # c1: accepted vs bob's edit
    assert table.loc["bob@x.org", "sent_back_rate"] == 0.0
    assert any("automation_bias" in m.value for m in lee.markdown)  # the figures' definitions
