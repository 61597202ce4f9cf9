from __future__ import annotations

from pathlib import Path

import pytest

from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Store
from tests.clips import make_clip

CAPTIONS = {
    "c1": (
        "The robot grasps the blue cube and lifts it.",
        {
            "observations": "Telemetry: **the task succeeds** <b>grasp at 1.5s</b>.",
            "hallucinations": [
                {
                    "span": "blue",
                    "type": "attribute",
                    "explanation": "it is red",
                    "evidence_times": [1.5],
                }
            ],
            "omissions": [
                {"description": "places it on the plate", "type": "step", "evidence_times": [4.0]}
            ],
            "rewrite": "The robot grasps the red cube, lifts it and places it on the plate.",
            "verdict": "needs_edit",
        },
    ),
    "c2": (
        "The robot pushes the puck to the left.",
        {
            "hallucinations": [
                {
                    "span": "to the left",
                    "type": "direction_or_spatial",
                    "explanation": "it goes right",
                    "evidence_times": [2.0],
                }
            ],
            "omissions": [],
            "rewrite": "The robot pushes the puck to the right.",
            "verdict": "needs_edit",
        },
    ),
    "c3": (
        "The robot opens the drawer <script>alert(1)</script>.",
        {
            "hallucinations": [],
            "omissions": [],
            "rewrite": "The robot opens the drawer <script>alert(1)</script>.",
            "verdict": "accurate",
        },
    ),
}


@pytest.fixture
def review_db(tmp_path: Path) -> str:
    """A database with three drafted clips in run 'r1', videos inside the dataset root."""
    root = tmp_path / "data"
    root.mkdir()
    make_clip(root / "clip.mp4", seconds=5, fps=10)
    url = f"sqlite:///{tmp_path / 'review.db'}"
    store = Store(url)
    store.runs.ensure(
        "r1", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={}
    )
    for cid, (caption, draft) in CAPTIONS.items():
        store.clips.upsert(
            Clip(id=cid, video=str(root / "clip.mp4"), root=str(root), content_hash=cid), caption
        )
        store.runs.save_draft(
            "r1",
            DraftResult(
                clip=cid,
                caption=caption,
                draft=Draft.model_validate(draft),
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    store.close()
    return url


@pytest.fixture(autouse=True)
def page_on_loopback():
    """AppTest has no server; say the page is bound to loopback, as `recap review` binds it,
    so the page's sign-in gate runs in single-user mode (unset would mean every interface)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


def button(at, action: str):
    """The review page's button for `action` (accept, save, ..., undo): each is drawn for the
    clip on screen (or, for undo, the decision it undoes), and its key names that."""
    (found,) = [b for b in at.button if b.key and b.key.split("@")[0] == action]
    return found
