"""Rubric scoring on the review page (issue 28), through AppTest: the panel and its keys appear
only with a guideline that has a [rubric]; each score button (a digit key) scores the marked
dimension and marks the next; the scores go with the decision, refused whole when they no
longer fit the rubric in force; an undo takes them with it. tests/ui/test_e2e.py presses the
keys in Chromium."""

from __future__ import annotations

import html
import os
from collections import defaultdict
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.guidelines import load_guidelines
from agent.store import Store
from tests.ui.conftest import button

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")
RUBRIC = """name = "scored"
[rubric]
scale = [1, 5]
[rubric.dimensions.accuracy]
description = "Every claim is true of the clip."
levels = { "1" = "a claim is false", "5" = "every claim is true" }
[rubric.dimensions.completeness]
description = "Every step and the outcome are there."
[rubric.dimensions.language]
description = "The guideline's wording."
"""


@pytest.fixture
def guideline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "scored.toml"
    path.write_text(RUBRIC)
    monkeypatch.setenv("RECAP_GUIDELINES", str(path))
    return path


@pytest.fixture
def app(review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.query_params["b"] = "browser1"
    return at


def score(at: AppTest, value: str, clip: str = "c1") -> None:
    at.button(key=f"rubric-{value}@{clip}").click().run()


def panel(at: AppTest) -> str:
    (found,) = [m.value for m in at.main.markdown if m.value.startswith("**Rubric**")]
    return html.unescape(found)


def kept(review_db: str) -> list[tuple[str, str, int, str]]:
    store = Store(review_db)
    reviews = store.reviews.all()
    scores = defaultdict(list, store.reviews.scores(r.id for r in reviews))
    out = [
        (r.clip_id, x.dimension, x.score, x.guideline)
        for r in reviews
        for x in scores.get(r.id, [])
    ]
    store.close()
    return out


def test_no_rubric_no_panel_and_no_keys(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECAP_GUIDELINES", raising=False)
    app.run()
    assert not app.exception
    assert not [b for b in app.button if (b.key or "").startswith("rubric-")]
    assert not any("rubric" in c.value for c in app.sidebar.caption)


def test_scores_by_key_go_with_the_decision(app: AppTest, guideline: Path, review_db: str) -> None:
    app.run()
    assert not app.exception
    version = load_guidelines(guideline).version
    assert f"(1–5, {version})" in panel(app)
    assert "▶ accuracy: –" in panel(app)
    assert any(
        "**1–5** score the marked rubric dimension · **D** next dimension" in c.value
        for c in app.sidebar.caption
    )
    assert [b.label for b in app.button if (b.key or "").startswith("rubric-")] == [
        "1", "2", "3", "4", "5", "Next dimension", "Clear score",
    ]  # fmt: skip
    assert app.button(key="rubric-1@c1").help == "a claim is false"  # the marked one's anchors
    score(app, "4")
    assert "accuracy: **4**" in panel(app) and "▶ completeness: –" in panel(app)
    app.button(key="rubric-next@c1").click().run()  # D: skip completeness
    assert "▶ language: –" in panel(app)
    score(app, "2")
    assert "▶ accuracy: **4**" in panel(app)  # round again to the first
    score(app, "5")  # a second digit on a dimension replaces its score
    app.button(key="rubric-clear@c1").click().run()  # Backspace on completeness: nothing there
    button(app, "accept").click().run()
    assert not app.exception and not app.main.error
    assert kept(review_db) == [
        ("c1", "accuracy", 5, version),
        ("c1", "language", 2, version),
    ]
    assert "▶ accuracy: –" in panel(app) and "c2" in app.markdown[0].value  # c2 unscored


def test_scores_that_no_longer_fit_refuse_the_decision(
    app: AppTest, guideline: Path, review_db: str
) -> None:
    """The team drops a dimension while a reviewer has scored it: the decision is refused with
    the reason, nothing is recorded, and with that score cleared it goes through."""
    app.run()
    score(app, "3")  # accuracy
    score(app, "4")  # completeness
    guideline.write_text(
        RUBRIC.replace("[rubric.dimensions.completeness]", "[rubric.dimensions.x]")
    )
    stat = guideline.stat()
    os.utime(guideline, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a new version
    button(app, "accept").click().run()
    (error,) = [html.unescape(e.value) for e in app.main.error]
    assert "Not recorded: c1" in error
    assert "unknown rubric dimension 'completeness'" in error
    assert Store(review_db).reviews.all() == []
    assert "c1" in app.markdown[0].value
    assert "Not in this rubric" in panel(app) and "completeness 4" in panel(app)
    app.button(key="rubric-clear@c1").click().run()  # Clear drops the score it cannot keep
    assert "Not in this rubric" not in panel(app) and "accuracy: **3**" in panel(app)
    button(app, "accept").click().run()
    assert [(c, d, s) for c, d, s, _ in kept(review_db)] == [("c1", "accuracy", 3)]


def test_undo_takes_the_scores_with_it(app: AppTest, guideline: Path, review_db: str) -> None:
    app.run()
    score(app, "2")
    button(app, "accept").click().run()
    assert [(c, d, s) for c, d, s, _ in kept(review_db)] == [("c1", "accuracy", 2)]
    button(app, "undo").click().run()
    assert kept(review_db) == []
    assert "c1" in app.markdown[0].value and "▶ accuracy: –" in panel(app)


def test_a_broken_guideline_leaves_scores_that_can_be_cleared(
    app: AppTest, guideline: Path, review_db: str
) -> None:
    app.run()
    score(app, "5")
    guideline.write_text("[rubric]\nscale = [1, 50]\n")
    stat = guideline.stat()
    os.utime(guideline, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    app.run()
    assert any("cannot be kept" in html.unescape(w.value) for w in app.main.warning)
    button(app, "accept").click().run()
    assert any("has no rubric" in html.unescape(e.value) for e in app.main.error)
    assert Store(review_db).reviews.all() == []
    app.button(key="rubric-clear@c1").click().run()
    button(app, "accept").click().run()
    assert [r.decision for r in Store(review_db).reviews.all()] == ["accepted"]
    assert kept(review_db) == []


def test_a_ten_point_scale_gets_one_digit_key_per_score() -> None:
    from agent.guidelines import Rubric
    from ui.rubric import key_for, key_help

    assert [key_for(s) for s in range(1, 11)] == [*"123456789", "0"]
    assert key_help(Rubric(1, 10, ())).startswith("**1–9, 0 for 10** score the marked")
    assert key_help(Rubric(0, 9, ())).startswith("**0–9** score")
    assert key_help(None) is None
