"""The team page lists a run's largest error sources (what `recap feedback` reports first), as
plain text, and says why when the run has no review to learn from (AppTest, single-user
mode)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.review import ReviewSession
from agent.store import Store

TEAM = str(Path(__file__).resolve().parents[2] / "ui" / "pages" / "team.py")


def team_page(db: str, monkeypatch: pytest.MonkeyPatch, run: str) -> AppTest:
    monkeypatch.setenv("RECAP_DB", db)
    at = AppTest.from_file(TEAM, default_timeout=60)
    at.run()
    at.selectbox(key="team-run").select(run).run()
    assert not at.exception
    return at


def test_the_team_page_lists_the_runs_largest_error_sources(
    review_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(review_db)
    ann = ReviewSession(store, "ann", "r1", browser="ann")
    item = ann.next_item()
    assert item.clip_id == "c1"
    ann.decide(item, "accepted", seconds=5)  # every finding agreed: "blue", the missing step
    store.close()
    at = team_page(review_db, monkeypatch, "r1")
    texts = [t.value for t in at.text]
    [summary] = [t for t in texts if t.startswith("1. ")]
    assert summary.splitlines() == [
        "1. Attribute hallucination: 100% of captions (1 of 1; 95% CI 21%–100%).",
        "2. Step omission: 100% of captions (1 of 1; 95% CI 21%–100%).",
    ]


def test_a_run_with_only_control_arm_reviews_says_so(
    review_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(review_db)
    ann = ReviewSession(store, "ann", "r1", browser="ann", control_share=1.0)
    ann.decide(ann.next_item(), "accepted", seconds=5)  # shown without the draft
    store.close()
    at = team_page(review_db, monkeypatch, "r1")
    [said] = [t.value for t in at.text if "no final reviews" in t.value]
    assert "1 of its 3 clip(s) have been reviewed" in said
    assert "1 control arm (shown without the draft)" in said
