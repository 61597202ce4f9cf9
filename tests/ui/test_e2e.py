"""End to end in a real browser: Playwright drives Debian's headless Chromium.

Skipped with the reason when Chromium or Playwright is missing, except where
RECAP_REQUIRE_BROWSER=1 (CI installs both), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from agent.decisions import Status
from agent.store import Store
from tests.ui.conftest import CAPTIONS
from tests.ui.pageserver import page_server
from tests.ui.patience import SAFETY_MS, wait_for

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
    return [(r.clip_id, r.decision) for r in Store(url).reviews.all()]


def heading(page) -> str:
    page.wait_for_selector("h3")
    return page.locator("h3").first.inner_text()


def buttons_ready(page) -> None:
    """The heading is drawn before the rest of the clip; a key pressed before its button is on
    screen does nothing (for a person too), so wait for the button as a person would."""
    page.get_by_role("button", name="Accept").first.wait_for()


@pytest.mark.slow
def test_review_by_keyboard_in_a_real_browser(server: str, review_db: str, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        ann = browser.new_context(viewport={"width": 1400, "height": 1000})
        ann.set_default_timeout(SAFETY_MS)
        page = ann.new_page()
        page.goto(f"{server}/?reviewer=ann&b=one")
        wait_for(lambda: "c1" in heading(page))
        # the timeline's seek script finds the player (st.video's <video> on the page) and seeks
        from ui.timeline import seek_script

        page.wait_for_selector("video")
        body = seek_script(1.5).split("<script>")[1].split("</script>")[0]
        page.evaluate(f"() => {{ {body} }}")
        wait_for(
            lambda: abs(page.evaluate("document.querySelector('video').currentTime") - 1.5) < 0.1
        )

        # a second reviewer in another browser context gets another clip
        bob = browser.new_context().new_page()
        bob.set_default_timeout(SAFETY_MS)
        bob.goto(f"{server}/?reviewer=bob&b=two")
        wait_for(lambda: heading(bob).startswith(("c2", "c3")))

        buttons_ready(page)
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
        row = Store(review_db).reviews.all()[-1]
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
    latest = Store(review_db).reviews.in_force_by_clip()
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
        page.set_default_timeout(SAFETY_MS)
        page.goto(f"{server}/?reviewer=ann&b=typing")
        wait_for(lambda: "c1" in heading(page))
        box = page.locator("textarea").first
        wait_for(lambda: box.input_value() == CAPTIONS["c1"][1]["rewrite"])
        box.click()
        box.press("Control+a")
        page.keyboard.type("The robot grasps the red cube")  # no blur, no Ctrl+Enter
        page.wait_for_function(  # the page's script has mirrored the last keystroke
            "() => localStorage.getItem('recap-edit:c1') === 'The robot grasps the red cube'"
        )
        page.reload()  # Streamlit never received this text
        wait_for(lambda: "c1" in heading(page))
        box = page.locator("textarea").first
        wait_for(lambda: box.input_value() == "The robot grasps the red cube")
        page.get_by_role("button", name="Save").click()
        wait_for(lambda: ("c1", "edited") in decisions(review_db))
        browser.close()
    assert Store(review_db).reviews.all()[-1].final_caption == "The robot grasps the red cube"


@pytest.mark.slow
def test_first_minute_opens_on_a_clip_for_the_local_user_without_developer_chrome(
    server: str, review_db: str
) -> None:
    """No ?reviewer= in the URL: on loopback the page names the local user and shows the first
    clip at once; the viewer toolbar has no Deploy button or rerun menu."""
    import getpass

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(SAFETY_MS)
        page.goto(server)
        wait_for(lambda: "c1" in heading(page))
        assert page.get_by_text("Enter your name").count() == 0
        assert page.get_by_role("button", name="Deploy").count() == 0
        page.locator('[data-testid="stMainMenu"]').click()  # the viewer's menu only
        page.get_by_text("Print").first.wait_for()
        for developer_item in ("Rerun", "Clear cache", "Deploy this app"):
            assert page.get_by_text(developer_item).count() == 0, developer_item
        page.keyboard.press("Escape")
        buttons_ready(page)
        page.locator("body").press("a")
        wait_for(lambda: decisions(review_db) == [("c1", "accepted")])
        browser.close()
    assert Store(review_db).reviews.all()[-1].reviewer == getpass.getuser()


@pytest.mark.slow
def test_two_page_servers_on_one_postgres_share_the_queue(
    pg_server: str | None, tmp_path: Path
) -> None:
    """Two reviewers, each on their own page server, deciding 50 clips each at once against one
    PostgreSQL: 100 decisions recorded, no clip shown to both, none lost."""
    import asyncio

    from playwright.async_api import async_playwright

    from tests.clips import make_clip
    from tests.pg import fresh_database
    from tests.ui.bulk import fill

    _require()
    if pg_server is None:
        pytest.skip("no PostgreSQL")
    video = make_clip(tmp_path / "clip.mp4", seconds=2, fps=10)
    with fresh_database(pg_server) as url:
        Store(url).close()
        fill(url, 130, video)
        env = {"RECAP_REVIEW_RUN": "bench"}
        with (
            page_server(url, tmp_path / "cache-a", **env) as one,
            page_server(url, tmp_path / "cache-b", **env) as two,
        ):

            async def review(browser, base: str, name: str) -> list[str]:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(SAFETY_MS)
                await page.goto(f"{base}/?reviewer={name}&b={name}")
                shown: list[str] = []
                for _ in range(50):
                    h = page.locator("h3").first
                    await h.wait_for()
                    clip = (await h.inner_text()).split(" ")[0]
                    assert clip not in shown, f"{name} was shown {clip} twice"
                    shown.append(clip)
                    # this clip's own Accept button (its key names the clip): a key pressed
                    # while the last clip's buttons are still drawn is refused, not recorded
                    await (
                        page.locator(f".st-key-accept-{clip}")
                        .get_by_role("button", name="Accept")
                        .wait_for()
                    )
                    await page.locator("body").press("a")
                    await page.wait_for_function(  # the decision is in: the next clip is up
                        "clip => { const h = document.querySelector('h3');"
                        " return h !== null && !h.innerText.startsWith(clip + ' '); }",
                        arg=clip,
                    )
                return shown

            async def both() -> tuple[list[str], list[str]]:
                async with async_playwright() as p:
                    browser = await p.chromium.launch(
                        executable_path=CHROMIUM,
                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                    )
                    a, b = await asyncio.gather(
                        review(browser, one, "ann"), review(browser, two, "bob")
                    )
                    await browser.close()
                    return a, b

            ann, bob = asyncio.run(both())
        store = Store(url)
        rows = store.reviews.all()
        assert len(rows) == 100 and {r.decision for r in rows} == {"accepted"}
        assert len(set(ann)) == 50 and len(set(bob)) == 50
        assert set(ann).isdisjoint(bob)  # no clip shown to both
        assert {r.clip_id for r in rows if r.reviewer == "ann"} == set(ann)  # none lost
        assert {r.clip_id for r in rows if r.reviewer == "bob"} == set(bob)
        counts = store.reviews.tallies("bench")
        assert counts.clips(Status.ACCEPTED) == 100
        store.close()


@pytest.mark.slow
def test_a_database_outage_shows_a_short_message_not_a_traceback(tmp_path) -> None:
    """The database down (nothing listens on 127.0.0.1:1): the reviewer reads what happened
    and what to do, not a traceback with install paths and the database's address."""
    from playwright.sync_api import sync_playwright

    _require()
    down = "postgresql+psycopg://ann:pw-s3cret@127.0.0.1:1/recap"
    with page_server(down, tmp_path / "cache") as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto(url)
        page.get_by_text("recap cannot reach its database right now").wait_for()
        text = page.locator("body").inner_text()
        browser.close()
    for leak in ("Traceback", ".py", "pw-s3cret", "127.0.0.1:1", "site-packages", "psycopg"):
        assert leak not in text, leak
