"""End to end in a real browser: Playwright drives Debian's headless Chromium.

Skipped with the reason when Chromium or Playwright is missing, except where
RECAP_REQUIRE_BROWSER=1 (CI installs both), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from agent.store import Store
from tests.ui.conftest import CAPTIONS
from tests.ui.pageserver import page_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).parent / "artifacts"


def _require() -> None:
    missing = []
    if CHROMIUM is None:
        missing.append("Chromium (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("Playwright (pip install playwright)")
    if missing:
        if os.environ.get("RECAP_REQUIRE_BROWSER") == "1":
            pytest.fail("missing " + ", ".join(missing))
        pytest.skip("missing " + ", ".join(missing))


@pytest.fixture
def server(review_db: str, tmp_path: Path):
    """The page as `recap review` starts it (same Streamlit command), on run r1."""
    _require()
    with page_server(review_db, tmp_path / "cache", RECAP_REVIEW_RUN="r1") as url:
        yield url


def decisions(url: str) -> list[tuple[str, str]]:
    return [(r.clip_id, r.decision) for r in Store(url).reviews()]


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def heading(page) -> str:
    page.wait_for_selector("h3")
    return page.locator("h3").first.inner_text()


@pytest.mark.slow
def test_review_by_keyboard_in_a_real_browser(server: str, review_db: str, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        ann = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ann.new_page()
        page.goto(f"{server}/?reviewer=ann&b=one")
        wait_for(lambda: "c1" in heading(page))

        # a second reviewer in another browser context gets another clip
        bob = browser.new_context().new_page()
        bob.goto(f"{server}/?reviewer=bob&b=two")
        wait_for(lambda: heading(bob).startswith(("c2", "c3")))

        page.locator("body").press("a")  # accept c1 by keyboard
        wait_for(lambda: decisions(review_db) == [("c1", "accepted")])
        wait_for(lambda: "c1" not in heading(page))
        current = heading(page).split(" ")[0]
        assert current != heading(bob).split(" ")[0]

        box = page.locator("textarea").first
        wait_for(lambda: box.input_value() == CAPTIONS[current][1]["rewrite"])
        box.fill("The robot pushes the puck right.")
        box.press("Control+Enter")  # applies the text and saves the edit
        try:
            wait_for(lambda: (current, "edited") in decisions(review_db))
        except AssertionError:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "debug.png"), full_page=True)
            raise AssertionError(f"{current} {decisions(review_db)}") from None
        row = Store(review_db).reviews()[-1]
        assert row.final_caption == "The robot pushes the puck right."
        assert row.reviewer == "ann" and row.edit_distance is not None

        page.reload()  # ann's queue is empty now (bob holds the last clip)
        page.get_by_text("No pending clips left").wait_for()
        page.get_by_role("button", name="Undo last decision").wait_for()  # its shortcut is live
        page.locator("body").press("z")  # undo after a reload
        wait_for(lambda: decisions(review_db)[-1][1] == "undo")
        wait_for(lambda: current in heading(page))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "review_page.png"), full_page=True)
        browser.close()
    latest = Store(review_db).latest_reviews()
    assert {c: r.decision for c, r in latest.items()} == {"c1": "accepted"}
    assert (ARTIFACTS / "review_page.png").stat().st_size > 10_000


@pytest.mark.slow
def test_typing_survives_a_reload_before_it_is_committed(server: str, review_db: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server}/?reviewer=ann&b=typing")
        wait_for(lambda: "c1" in heading(page))
        box = page.locator("textarea").first
        wait_for(lambda: box.input_value() == CAPTIONS["c1"][1]["rewrite"])
        box.click()
        box.press("Control+a")
        page.keyboard.type("The robot grasps the red cube")  # no blur, no Ctrl+Enter
        time.sleep(0.5)
        page.reload()  # Streamlit never received this text
        wait_for(lambda: "c1" in heading(page))
        box = page.locator("textarea").first
        wait_for(lambda: box.input_value() == "The robot grasps the red cube")
        page.get_by_role("button", name="Save").click()
        wait_for(lambda: ("c1", "edited") in decisions(review_db))
        browser.close()
    assert Store(review_db).reviews()[-1].final_caption == "The robot grasps the red cube"
