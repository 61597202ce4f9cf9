"""Hostile data through the real pages (issue 21): clip ids, captions, drafts, telemetry and a
lead's comment written to load, run or draw something, shown on the review, lead and team
pages in headless Chromium while a listener on 127.0.0.1 records every request made to it.

Passes when the listener saw no request (neither the page nor the browser asked for anything
the data named), no element the data could have created is in the DOM, every string shows as
the text it is, and no decision was recorded that the test did not click.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Store
from agent.telemetry import Event, Telemetry
from tests.ui.hostile import as_text, clip_ids, corpus
from tests.ui.pageserver import page_server
from tests.ui.test_e2e import CHROMIUM, _require

# Elements the page never draws around data; any of them holding a marker was made by data.
# (`ul ul`: the facts list is the page's own; a nested one would come from a fact.)
CREATED = (
    "a, img, svg, iframe, script, style, b, strong, em, i, del, s, code, pre, kbd, h1, h2, h4, "
    "h5, h6, blockquote, table, ol, ul ul, .katex, [data-testid=stIconMaterial], span[style*=color]"
)


class Listener:
    """An HTTP server on 127.0.0.1 that answers every request and remembers its path."""

    def __init__(self) -> None:
        seen: list[str] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as it:
        yield it


def hostile_db(tmp_path: Path, url: str) -> tuple[str, list[str], list[str]]:
    """Two clips with hostile ids (as stored before ingest checked ids), each with every
    hostile string as caption paragraphs, findings, observations, rewrite and telemetry."""
    from tests.clips import make_clip

    root = tmp_path / "data"
    root.mkdir()
    make_clip(root / "clip.mp4", seconds=3, fps=10)
    db = f"sqlite:///{tmp_path / 'hostile.db'}"
    store = Store(db)
    store.runs.ensure(
        "r1", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={}
    )
    strings, ids = corpus(url), clip_ids(url)
    caption = "\n\n".join(strings)
    draft = Draft.model_validate(
        {
            "observations": " ".join(strings),
            "hallucinations": [
                {"span": s, "type": "object", "explanation": s, "evidence_times": [1.0]}
                for s in strings[:6]
            ],
            "omissions": [
                {"description": s, "type": "step", "evidence_times": [2.0]} for s in strings
            ],
            "rewrite": caption,
            "verdict": "needs_edit",
        }
    )
    tel = Telemetry(
        t=[0.0, 1.0, 2.0],
        task=strings[1],
        events=[Event(name=s, t_start=1.0) for s in strings],
    )
    for cid in ids:
        store.clips.upsert(
            Clip(
                id=cid,
                video=str(root / "clip.mp4"),
                root=str(root),
                content_hash=cid[:8],
                telemetry=tel,
            ),
            caption,
        )
        store.runs.save_draft(
            "r1",
            DraftResult(
                clip=cid,
                caption=caption,
                draft=draft,
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    store.close()
    return db, strings, ids


def created_elements(page) -> list[str]:
    """Elements matching CREATED whose text holds a corpus marker, as tag: text."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
            .filter(e => e.textContent.includes('HOSTILE'))
            .map(e => e.tagName + ': ' + e.textContent.slice(0, 80))""",
        CREATED,
    )


def data_links(page, url: str) -> list[str]:
    """Links the data made: an autolinked address, www host or bare URL (GFM links those in
    text, after character references are decoded), as href: text."""
    return page.evaluate(
        """(url) => [...document.querySelectorAll('a[href]')]
            .filter(a => a.href.startsWith('mailto:') || a.href.includes('example.org')
                         || a.href.startsWith(url))
            .map(a => a.getAttribute('href') + ': ' + a.textContent.slice(0, 80))""",
        url,
    )


def page_text(page) -> str:
    """The page's text as a reader sees it (word joiners, which keep GFM from linking an
    address, are invisible)."""
    return " ".join(page.locator("body").inner_text().replace("\u2060", "").split())


@pytest.mark.slow
def test_hostile_data_is_shown_as_text_and_loads_nothing(tmp_path: Path, listener) -> None:
    from playwright.sync_api import sync_playwright

    _require()
    db, strings, ids = hostile_db(tmp_path, listener.url)
    asked: list[str] = []
    with (
        page_server(db, tmp_path / "cache", RECAP_REVIEW_RUN="r1") as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(viewport={"width": 1400, "height": 4000}).new_page()
        page.on("request", lambda r: asked.append(r.url) if r.url.startswith(listener.url) else 0)
        page.on("dialog", lambda d: asked.append(f"dialog: {d.message}") or d.dismiss())
        page.goto(f"{url}/?reviewer=ann")
        shown_ids = []
        for _ in ids:
            page.locator("h3").first.wait_for()
            page.get_by_role("button", name="Accept").first.wait_for()
            page.get_by_text("Telemetry facts").wait_for()
            heading = page.locator("h3").first.inner_text().replace("\u2060", "")
            clip = next(i for i in ids if as_text(i) in " ".join(heading.split()))
            shown_ids.append(clip)
            text = page_text(page)
            for s in strings:  # each shown as the text it is, wherever the page puts it
                assert as_text(s) in text, s
            assert created_elements(page) == []
            assert data_links(page, listener.url) == []
            boxes = page.locator("textarea")
            assert boxes.first.input_value() == Store(db).runs.draft("r1", clip).draft.rewrite
            before = len(Store(db).reviews.all())
            page.get_by_role("button", name="Accept").first.click()
            page.wait_for_function(  # the next clip's heading, read as text
                """(shown) => ![...document.querySelectorAll('h3')].some(h =>
                    h.innerText.replaceAll('\\u2060', '').split(/\\s+/).join(' ')
                        .includes(shown))""",
                arg=as_text(clip),
            )
            assert len(Store(db).reviews.all()) == before + 1
        page.get_by_text("clips left in r1").wait_for()

        # the lead page: ann's decisions, with the captions, drafts and final captions
        page.goto(f"{url}/lead")
        page.locator("input[aria-label=Reviewer]").fill(
            "ann"
        )  # no accounts: the lead types the name
        page.locator("input[aria-label=Reviewer]").press("Enter")
        page.get_by_text("their final caption").first.wait_for()
        text = page_text(page)
        for s in strings:
            assert as_text(s) in text, s
        assert created_elements(page) == []
        assert data_links(page, listener.url) == []
        # a lead's comment, typed as a reviewer would see it
        comment = " ".join(" ".join(s.split()) for s in strings)
        page.get_by_label("Comment (needed to send back)").first.fill(comment)
        page.get_by_role("button", name="Send back").first.click()
        page.get_by_text("sent back:").wait_for()  # the page's note that it was recorded
        sent = [r for r in Store(db).reviews.all() if r.comment]
        assert [r.comment for r in sent] == [comment]

        # ann sees the comment above the clip it is about
        page.goto(f"{url}/?reviewer=ann")
        page.get_by_text("Sent back by your lead").wait_for()
        page.get_by_role("button", name="Accept").first.wait_for()
        assert as_text(comment) in page_text(page)
        assert created_elements(page) == []

        # the team page: names and figures
        page.goto(f"{url}/team")
        page.get_by_role("heading", name="Team", exact=True).wait_for()
        page.locator("[data-testid=stDataFrame]").first.wait_for()
        assert created_elements(page) == []
        browser.close()
    assert sorted(shown_ids) == sorted(ids)
    # the two clicks and the send-back, and nothing a script did in anyone's name
    made = sorted((r.decision.value, r.reviewer) for r in Store(db).reviews.all())
    assert [d for d, _ in made] == ["accepted", "accepted", "sent_back"]
    assert [who for _, who in made[:2]] == ["ann", "ann"]
    assert asked == [] and listener.seen == []
