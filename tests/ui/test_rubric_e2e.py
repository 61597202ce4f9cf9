"""Rubric scoring by keyboard in a real browser (issue 28): Playwright drives headless Chromium
against the page as `recap review` serves it, with a team guideline that has a rubric.

A digit scores the marked dimension and marks the next, D marks the next, A accepts with the
scores; digits typed in the rewrite box are text, not scores. Every wait is on a signal (the
panel's text, the script's state, a row in the database), never on a length of time. Skipped
like test_e2e.py without Chromium or Playwright, except under RECAP_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.guidelines import load_guidelines
from agent.store import Store
from tests.ui.pageserver import page_server
from tests.ui.patience import SAFETY_MS
from tests.ui.test_decisions_e2e import IDLE
from tests.ui.test_e2e import CHROMIUM, _require, wait_for
from tests.ui.test_review_rubric import RUBRIC

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.slow
def test_scores_by_keyboard_in_a_real_browser(review_db: str, tmp_path: Path) -> None:
    _require()
    from playwright.sync_api import sync_playwright

    guideline = tmp_path / "scored.toml"
    guideline.write_text(RUBRIC)
    version = load_guidelines(guideline).version
    env = {"RECAP_REVIEW_RUN": "r1", "RECAP_GUIDELINES": str(guideline)}
    with (
        page_server(review_db, tmp_path / "cache", **env) as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(SAFETY_MS)
        page.goto(f"{url}/?reviewer=ann&b=keys")
        rubric = page.locator('[data-testid="stMarkdownContainer"]', has_text="Rubric (1–5")

        def panel() -> str:
            return rubric.first.inner_text()

        wait_for(lambda: "accuracy: –" in panel())
        page.get_by_role("button", name="Next dimension").wait_for()  # the keys' buttons are there
        assert version in panel()

        box = page.locator("textarea").first
        box.click()
        box.press("End")
        page.keyboard.type(" 4 3")  # text in the box, not scores
        box.press("Control+Enter")  # Ctrl+Enter saves the edit: here with no score given
        wait_for(lambda: [r.decision for r in Store(review_db).reviews.all()] == ["edited"])
        page.locator("h3", has_text="c2").wait_for()
        page.wait_for_function(IDLE)
        assert Store(review_db).reviews.scores(r.id for r in Store(review_db).reviews.all()) == {}

        body = page.locator("body")
        body.press("4")
        wait_for(lambda: "accuracy: 4" in panel() and "▶ completeness: –" in panel())
        body.press("d")
        wait_for(lambda: "▶ language: –" in panel())
        body.press("2")
        wait_for(lambda: "language: 2" in panel() and "▶ accuracy: 4" in panel())
        body.press("a")
        wait_for(lambda: len(Store(review_db).reviews.all()) == 2)
        browser.close()
    store = Store(review_db)
    first, second = store.reviews.all()
    assert (second.clip_id, second.decision) == ("c2", "accepted")
    scores = store.reviews.scores([first.id, second.id])
    assert [(x.dimension, x.score, x.guideline) for x in scores[second.id]] == [
        ("accuracy", 4, version),
        ("language", 2, version),
    ]
    assert first.id not in scores and first.final_caption.endswith(" 4 3")
