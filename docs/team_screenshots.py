"""Screenshots of the lead's pages for the README: the team page with the gold, agreement and
sent-back figures, and the lead review page with a disagreement to settle.

A small team plays a run through the library first (two reviewers, gold checks and double
review on, one clip sent back), then the real page is served on loopback (single-user mode:
the local user is an admin) and photographed in headless Chromium.

    python docs/team_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.decisions import Decision, Purpose  # noqa: E402
from agent.review import (  # noqa: E402
    ReviewSession,
    add_user,
    judge,
    sample,
)
from agent.schema import Draft, DraftResult, GoldLabels, PromptRef  # noqa: E402
from agent.store import Clip, Store  # noqa: E402
from tests.clips import make_clip  # noqa: E402
from tests.ui.pageserver import page_server  # noqa: E402

CAPTION = "The robot grasps the blue cube and lifts it."
REWRITE = "The robot grasps the red cube, lifts it and places it on the plate."
DRAFT = {
    "hallucinations": [{"span": "blue", "type": "attribute", "explanation": "it is red"}],
    "omissions": [{"description": "places it on the plate", "type": "step"}],
    "rewrite": REWRITE,
    "verdict": "needs_edit",
}


def play(url: str, root: Path) -> None:
    store = Store(url)
    store.runs.ensure("team", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64,
                      settings={})  # fmt: skip
    for i in range(12):
        cid = f"ep-{i:02d}" if i < 10 else f"gold-{i}"
        gold = GoldLabels(
            caption=REWRITE if i == 10 else "The robot grasps the green cube and lifts it."
        )
        store.clips.upsert(
            Clip(id=cid, video=str(root / "clip.mp4"), root=str(root), content_hash=cid,
                 gold=gold if i >= 10 else None),
            CAPTION,
        )  # fmt: skip
        store.runs.save_draft("team", DraftResult(clip=cid, caption=CAPTION,
                              draft=Draft.model_validate(DRAFT), model="m",
                              prompt=PromptRef(name="p", hash="h" * 64)))  # fmt: skip
    for email, role in (("ann@example.com", "reviewer"), ("bob@example.com", "reviewer"),
                        ("lee@example.com", "lead")):  # fmt: skip
        add_user(store, email, role)
    edits = {"bob@example.com": "The robot grasps the red cube and lifts it onto the plate."}
    for who in ("ann@example.com", "bob@example.com"):
        s = ReviewSession(store, who, "team", browser=who, gold_rate=0.2, overlap=0.5)
        after = None
        for k in range(8):
            item = s.next_item(after=after)
            if item is None:
                break
            if who in edits and (item.purpose == Purpose.DOUBLE or k % 3 == 2):
                s.decide(item, Decision.EDITED, edits[who], seconds=40 + k)
            else:
                s.decide(item, Decision.ACCEPTED, seconds=25 + 3 * k)
            after = item.clip_id
    (r, *_) = sample(store, "team", "ann@example.com")
    judge(store, "lee@example.com", r.id, Decision.SENT_BACK, "The cube ends on the plate: say so.")
    store.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        root.mkdir()
        make_clip(root / "clip.mp4", seconds=5, fps=10)
        url = f"sqlite:///{Path(tmp) / 'team.db'}"
        play(url, root)
        with (
            page_server(url, Path(tmp) / "cache", RECAP_REVIEW_RUN="team") as base,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            for path, name, wait in (
                ("team", "team_page.png", "Per reviewer and day"),
                ("lead", "lead_page.png", "Disagreements to settle"),
            ):
                page.goto(f"{base}/{path}")
                page.get_by_text(wait).first.wait_for(timeout=60_000)
                page.wait_for_timeout(2500)
                page.screenshot(path=str(args.out / name), full_page=True)
                print(f"wrote {args.out / name}")
            browser.close()


if __name__ == "__main__":
    main()
