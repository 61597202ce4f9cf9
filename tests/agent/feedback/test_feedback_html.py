"""feedback.html in a real browser (Playwright, Debian's headless Chromium): it opens from the
file alone, asks for nothing over the network, and draws its charts. Skipped with the reason
when Chromium or Playwright is missing, a failure where RECAP_REQUIRE_BROWSER=1."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.data import ingest
from agent.feedback import build, from_gold, write
from agent.store import Store
from tests.ui.patience import SAFETY_MS
from tests.ui.test_e2e import CHROMIUM, _require

SAMPLE = Path(__file__).parents[3] / "evals" / "datasets" / "sample" / "manifest.jsonl"


@pytest.mark.slow
def test_the_report_opens_in_a_browser_with_its_charts_drawn(tmp_path: Path) -> None:
    _require()
    from playwright.sync_api import sync_playwright

    store = Store(f"sqlite:///{tmp_path / 'gold.db'}")
    ingest(store, SAMPLE)
    ids = [c.id for c, _ in store.clips.with_captions()]
    report = build(from_gold(store, ids, str(SAMPLE)))
    store.close()
    write(report, tmp_path / "fb")
    drawn = [r for r in report.profile if r.captions]

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(SAFETY_MS)
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        page.goto((tmp_path / "fb" / "feedback.html").as_uri())
        page.wait_for_selector("svg.chart")
        assert all(url.startswith("file://") for url in asked), asked
        assert page.locator("#summary li").count() == 5
        charts = page.locator("svg.chart")
        assert charts.count() == 2  # the profile, and the cells beyond chance
        bars = charts.first.locator("rect.bar")
        assert bars.count() == len(drawn)
        widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
        # every bar is drawn, as long as its share: "any error" (100%) is the longest
        assert all(w > 0 for w in widths)
        assert widths[0] == max(widths)
        shares = [r.share for r in drawn]
        assert widths[1] / widths[0] == pytest.approx(shares[1] / shares[0], rel=0.02)
        browser.close()
