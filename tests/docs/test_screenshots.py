"""The README's screenshots come from docs/screenshots.py, and the script still runs: against
the bundled sample, the real pages, headless Chromium (skipped without a browser, except under
RECAP_REQUIRE_BROWSER=1)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.test_e2e import _require

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ("review_page.png", "lead_page.png", "team_page.png", "feedback_report.png")


def test_the_readme_shows_the_screenshots_the_script_makes() -> None:
    readme = (ROOT / "README.md").read_text()
    script = (ROOT / "docs" / "screenshots.py").read_text()
    shown = re.findall(r"!\[[^\]]*\]\(docs/([\w.]+\.png)\)", readme)
    assert sorted(shown) == sorted(SHOTS)
    assert all(f'"{name}"' in script for name in SHOTS)
    assert "python docs/screenshots.py" in readme
    assert not (ROOT / "docs" / "team_screenshots.py").exists()  # one script for all of them


@pytest.mark.slow
def test_the_screenshot_script_photographs_every_page(tmp_path: Path) -> None:
    _require()
    from PIL import Image

    run = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "screenshots.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,  # a safety net: the script waits on what each page draws
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for name in SHOTS:
        with Image.open(tmp_path / name) as image:
            width = 1100 if name == "feedback_report.png" else 1600
            assert image.width == width and image.height >= 1000, name
