"""The README's screenshots, made from the bundled sample: the review page, the lead page and the
team page, as the real page draws them in headless Chromium, and the feedback report of the
sample's gold labels (`recap feedback --gold`) as the browser opens the file. Re-run it when a
page or the report changes.

The sample (evals/datasets/sample: 30 Meta-World clips with their telemetry) is ingested into a
fresh SQLite database, with the gold labels of every fifth clip kept (a team's gold pool is a
small share of its clips; the sample has gold for all), and drafted by the offline drafter
(deterministic, no model). A small team then reviews through the library, the way the page
would record it: two reviewers with gold checks and double review on take the first clips in
turn, accepting drafts or writing the sample's gold caption, and a lead sends one decision
back. The page is served on loopback (single-user mode:
the local user is an admin), and each page is photographed once it is drawn: the script run
finished, every chart drawn, every image loaded, every video paused on the same frame.

    python docs/screenshots.py [--out docs]

Needs Chromium (Debian's `chromium`) and Playwright (`pip install playwright`; no browser
download: the system Chromium is used, as in the tests).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.data import ingest  # noqa: E402
from agent.decisions import Decision, Purpose, Status  # noqa: E402
from agent.drafting import make_drafter  # noqa: E402
from agent.review import ReviewSession, add_user, in_control_arm, judge, sample  # noqa: E402
from agent.runs import Job, JobOptions  # noqa: E402
from agent.settings import Settings  # noqa: E402
from agent.store import DraftRecord, Store  # noqa: E402
from tests.ui.pageserver import page_server  # noqa: E402

SAMPLE = ROOT / "evals" / "datasets" / "sample" / "manifest.jsonl"
RUN = "sample"
REVIEWERS = ("ann@example.com", "bob@example.com")
LEAD = "lee@example.com"
Ready = tuple[list[str], list[str]]  # elements that must be there, text boxes that must be filled
SHOWN_AT = 2.0  # every video is paused on this second
VIEWPORT = {"width": 1600, "height": 1200}
MAX_HEIGHT = 4000  # the page scrolls inside itself: the window is made as tall as the page
SAFETY_MS = 300_000  # waits are on conditions; this only bounds a broken page

# Drawn: Streamlit's script run is over (and, checked before, the page's code and media have
# arrived), the page's own elements are there and its text boxes filled, each chart and table
# has its canvas or SVG, each image has loaded, each video has a frame. Then every video is
# paused on SHOWN_AT (the pages autoplay them in a loop).
DRAWN_JS = """([ready, filled]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== "notRunning") return false;
  if (!ready.every(r => document.querySelector(r))) return false;
  if (!filled.every(f => (document.querySelector(f) || {}).value)) return false;
  const drawn = '[data-testid="stVegaLiteChart"], [data-testid="stDataFrame"]';
  if (![...document.querySelectorAll(drawn)].every(c => c.querySelector("canvas, svg")))
    return false;
  if (![...document.querySelectorAll("video")].every(v => v.readyState >= 2)) return false;
  return [...document.images].every(i => i.complete && i.naturalWidth > 0);
}"""
HEIGHT_JS = """() => Math.max(...[...document.querySelectorAll(
  '[data-testid="stMain"], [data-testid="stAppViewContainer"], section'
)].map(e => e.scrollHeight))"""
STILL_JS = """async (t) => {
  await document.fonts.ready;
  await Promise.all([...document.querySelectorAll("video")].map(v => new Promise(done => {
    const seek = () => {
      v.pause();
      v.addEventListener("seeked", () => done(), {once: true});
      v.currentTime = Math.min(t, (v.duration || t) - 0.05);
    };
    if (v.readyState >= 2) seek(); else v.addEventListener("loadeddata", seek, {once: true});
  })));
}"""


def sample_rows() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]


def gold_captions() -> dict[str, str]:
    return {r["id"]: r["gold_caption"] for r in sample_rows() if r.get("gold_caption")}


def team_manifest(folder: Path) -> Path:
    """The sample's manifest with gold labels on every fifth clip only; paths point into the
    sample folder, which stays the dataset root."""
    rows = []
    for i, row in enumerate(sample_rows()):
        row = {k: v for k, v in row.items() if i % 5 == 0 or not k.startswith("gold_")}
        for key in ("video", "telemetry"):
            if key in row:
                row[key] = str(SAMPLE.parent / row[key])
        rows.append(row)
    path = folder / "manifest.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def draft(url: str, folder: Path) -> None:
    """Ingest the sample and draft it offline, as `recap demo` does without a model."""
    import asyncio

    store = Store(url)
    report = ingest(store, team_manifest(folder), root=SAMPLE.parent)
    if report.problems:
        sys.exit(f"the sample did not ingest cleanly: {report.problems[0]}")
    drafter = make_drafter("offline", Settings())

    async def go() -> None:
        try:
            await Job(store, drafter, JobOptions(run=RUN, concurrency=4)).run()
        finally:
            await drafter.aclose()

    asyncio.run(go())
    store.close()


def play_team(url: str, decisions: int = 6) -> None:
    """Two reviewers take the first clips in turn (gold checks and double review on): ann
    accepts the drafts, bob writes the gold caption where the draft is not it and, on the
    first clip both review, keeps the original caption (a disagreement for the lead to
    settle); the lead sends one of ann's decisions back. Decisions made here fill the team and
    lead pages."""
    store = Store(url)
    gold = gold_captions()
    for email in REVIEWERS:
        add_user(store, email, "reviewer")
    add_user(store, LEAD, "lead")
    sessions = {
        who: ReviewSession(store, who, RUN, browser=who, gold_rate=0.2, overlap=0.5)
        for who in REVIEWERS
    }
    after: dict[str, str | None] = dict.fromkeys(REVIEWERS)
    disputed = False
    for k in range(decisions):
        for who, session in sessions.items():
            item = session.next_item(after=after[who])
            if item is None:
                continue
            better = gold.get(item.clip_id)
            if who == REVIEWERS[1] and better and better != item.shown:
                session.decide(item, Decision.EDITED, better, seconds=40 + 4 * k)
            elif who == REVIEWERS[1] and item.purpose == Purpose.DOUBLE and not disputed:
                # bob keeps the original caption where ann took the draft: a disagreement
                session.decide(item, Decision.EDITED, item.caption, seconds=31 + 2 * k)
                disputed = True
            else:
                session.decide(item, Decision.ACCEPTED, seconds=22 + 3 * k)
            after[who] = item.clip_id
    sent = next(r for r in sample(store, RUN, REVIEWERS[0], n=20) if r.purpose != Purpose.GOLD)
    judge(
        store,
        LEAD,
        sent.id,
        Decision.SENT_BACK,
        "Say how the task ends, as the telemetry shows it.",
    )
    store.close()


def hand_over(url: str, reviewer: str, browser: str) -> str:
    """Lease to the photographed browser the first pending clip whose draft shows most of the
    page (findings of both kinds, a rewrite, not in the control arm), so the page opens on it
    (a browser's held clip comes first); its id."""
    store = Store(url)
    settings = Settings()

    def shows(record: DraftRecord) -> tuple[bool, bool, bool]:
        d = record.draft
        return (bool(d.hallucinations), bool(d.omissions), len(d.hallucinations) > 1)

    pending = [
        r
        for r in store.runs.drafts(RUN)
        if store.reviews.status(RUN, r.clip_id) == Status.PENDING
        and not in_control_arm(RUN, r.clip_id, settings.control_share)
    ]
    best = max(sorted(pending, key=lambda r: r.clip_id), key=shows)  # first of the best
    if not ReviewSession(store, reviewer, RUN, browser=browser).take(best.clip_id):
        sys.exit(f"could not lease {best.clip_id} to the screenshot browser")
    store.close()
    return best.clip_id


# Each page: where, a text that says it is the page, the elements it must have drawn, the text
# boxes that must hold text, the file.
PAGES = (
    ("/?reviewer=cy&b=screenshots", None, ["video", '[data-testid="stVegaLiteChart"]'],
     ['textarea[aria-label^="Rewrite"]'], "review_page.png"),
    ("/lead", "Disagreements to settle", ["video"], ['textarea[aria-label="Settled caption"]'],
     "lead_page.png"),
    ("/team", "What the figures mean", ['[data-testid="stDataFrame"]'], [], "team_page.png"),
)  # fmt: skip


def photograph(page: Any, url: str, wait_text: str, ready: Ready, path: Path) -> None:
    """The page at `url`, once `wait_text` and the `ready` elements are on it and it is drawn,
    with the window as tall as the page."""
    page.set_viewport_size(VIEWPORT)
    page.goto(url)
    page.get_by_text(wait_text).first.wait_for()
    page.wait_for_load_state("networkidle")  # the page's code chunks and media have arrived
    still(page, ready)
    height = min(MAX_HEIGHT, page.evaluate(HEIGHT_JS))
    if height > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        still(page, ready)
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    print(f"wrote {path}")


def still(page: Any, ready: Ready) -> None:
    page.wait_for_function(DRAWN_JS, arg=ready)
    page.evaluate(STILL_JS, SHOWN_AT)
    page.wait_for_function(DRAWN_JS, arg=ready)


def feedback_report(folder: Path) -> Path:
    """feedback.html of the sample's gold labels, in its own database (every clip's gold)."""
    from agent.feedback import build, from_gold, write

    store = Store(f"sqlite:///{folder / 'gold.db'}")
    ingest(store, SAMPLE)
    ids = [row["id"] for row in sample_rows()]
    report = build(from_gold(store, ids, "evals/datasets/sample/manifest.jsonl"))
    store.close()
    write(report, folder / "feedback")
    return folder / "feedback" / "feedback.html"


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sample.db'}"
        draft(url, Path(tmp))
        play_team(url)
        clip = hand_over(url, "cy", "screenshots")
        with (
            page_server(url, Path(tmp) / "cache", RECAP_REVIEW_RUN=RUN) as base,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
            context.set_default_timeout(SAFETY_MS)
            page = context.new_page()
            for where, wait_text, ready, filled, name in PAGES:
                text = wait_text or clip  # the review page: the clip handed over to it
                photograph(page, base + where, text, (ready, filled), args.out / name)
            page.set_viewport_size({"width": 1100, "height": 1200})
            page.goto(feedback_report(Path(tmp)).as_uri())
            page.wait_for_selector("svg.chart")
            page.screenshot(path=str(args.out / "feedback_report.png"), full_page=True)
            print(f"wrote {args.out / 'feedback_report.png'}")
            browser.close()


if __name__ == "__main__":
    main()
