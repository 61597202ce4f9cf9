"""A link to one clip (`?clip=ID`, with `&run=RUN`) opens the review page on that clip, once:
after the decision the queue goes on as usual. A clip the reviewer may not work on (decided
already, not in the run) is named with why, and the queue's next clip shows instead; no hold is
left on a clip the link named in vain (through Streamlit's AppTest)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.decisions import Decision
from agent.review import ReviewSession
from agent.store import Store
from tests.ui.conftest import button

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")


def page(url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **params: str) -> AppTest:
    monkeypatch.setenv("RECAP_DB", url)
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.query_params["b"] = "browser1"
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def heading(at: AppTest) -> str:
    return html.unescape(at.markdown[0].value)


def notes(at: AppTest) -> str:
    return " ".join(html.unescape(i.value) for i in at.info)


def test_a_link_opens_its_clip_once(review_db: str, monkeypatch, tmp_path: Path) -> None:
    at = page(review_db, monkeypatch, tmp_path, clip="c3", run="r1")
    assert not at.exception
    assert "c3" in heading(at)
    button(at, "accept").click().run()
    assert not at.exception and "c3" not in heading(at)  # on through the queue, not back
    made = [(r.clip_id, r.decision) for r in Store(review_db).reviews.all()]
    assert made == [("c3", Decision.ACCEPTED)]


def test_a_link_to_a_clip_that_is_not_open_says_why(
    review_db: str, monkeypatch, tmp_path: Path
) -> None:
    store = Store(review_db)
    other = ReviewSession(store, "bob", "r1", browser="b2")
    item = other.item("c2")
    assert other.take("c2")
    other.decide(item, Decision.ACCEPTED)

    at = page(review_db, monkeypatch, tmp_path, clip="c2", run="r1")
    assert not at.exception
    assert "c2" not in heading(at)
    assert "The link's clip c2 is not open to you here" in notes(at)

    at = page(review_db, monkeypatch, tmp_path / "again", clip="nope", run="r1")
    assert not at.exception
    assert "The link's clip nope is not open to you here: Clip 'nope' has no draft in run" in (
        notes(at)
    )
    shown = heading(at)
    held = store.leases.held("review:r1", "ann:browser1")
    assert len(held) == 1 and held[0] in shown and "nope" not in held


def test_a_followed_link_leaves_the_address(review_db: str, monkeypatch, tmp_path: Path) -> None:
    at = page(review_db, monkeypatch, tmp_path, clip="c2", run="r1")
    assert "c2" in heading(at) and "clip" not in at.query_params
