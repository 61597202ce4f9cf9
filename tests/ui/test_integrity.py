"""A decision counts once, on the clip the person saw (issue 20), on the review and lead pages
through Streamlit's AppTest: gold checks after `recap ingest` (once per reviewer, at the rate,
in queue order; a run of gold clips still gets decided), a stale press records nothing, the
Show list offers only what a reviewer may act on, the player plays only the clip's window, a
removed user's typing is not kept, and a lead is not offered their own decisions."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from agent.decisions import Purpose, Status
from agent.review import add_user, remove_user
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Store
from tests.clips import make_clip
from tests.ui.conftest import CAPTIONS, button
from tests.ui.test_auth import AUTH
from tests.ui.test_auth import signed_in as user_of

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")
REWRITE = "The robot grasps the red cube and lifts it."


def _walk(node):
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for key in sorted(children):
        yield from _walk(children[key])


def videos(at: AppTest) -> list:
    return [e.proto for e in _walk(at.main) if e.type == "video"]


def heading(at: AppTest) -> str | None:
    top = [m.value for m in at.markdown if m.value.startswith("### ")]
    return top[0].removeprefix("### ").split(" ")[0].replace("\\", "") if top else None


def page_for(url: str, reviewer: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env):
    monkeypatch.setenv("RECAP_DB", url)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RECAP_CONTROL_SHARE", "0")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = reviewer
    at.query_params["b"] = reviewer
    return at


# --- gold checks after `recap ingest` (item 1) ----------------------------------------------


def ingested(tmp_path: Path, n: int, gold: set[int]) -> str:
    """`recap ingest` of n clips (those in `gold` with a gold caption), each then drafted."""
    from recap.main import app

    root = tmp_path / "data"
    root.mkdir()
    make_clip(root / "v.mp4", seconds=1, fps=10)
    rows = [
        {
            "id": f"c{i:02d}",
            "video": "v.mp4",
            "caption": "The robot grasps the blue cube and lifts it.",
            **({"gold_caption": REWRITE} if i in gold else {}),
        }
        for i in range(n)
    ]
    manifest = root / "m.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    url = f"sqlite:///{tmp_path / 'gold.db'}"
    result = CliRunner().invoke(app, ["ingest", str(manifest), "--db", url])
    assert result.exit_code == 0, result.output
    store = Store(url)
    store.runs.ensure(
        "r1", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={}
    )
    draft = Draft.model_validate(
        {
            "hallucinations": [{"span": "blue", "type": "attribute", "explanation": "red"}],
            "omissions": [],
            "rewrite": REWRITE,
            "verdict": "needs_edit",
        }
    )
    for r in rows:
        store.runs.save_draft(
            "r1",
            DraftResult(
                clip=r["id"],
                caption=r["caption"],
                draft=draft,
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    assert store.reviews.gold_pool("r1") == len(gold)  # the pool `recap ingest` wrote
    store.close()
    return url


def review_all(at: AppTest, limit: int) -> list[str]:
    """Accept whatever the page shows until it has nothing left; the clips shown, in order."""
    at.run()
    shown: list[str] = []
    while (clip := heading(at)) is not None and len(shown) < limit:
        shown.append(clip)
        button(at, "accept").click().run()
        assert not at.exception
    return shown


def checks(url: str, reviewer: str) -> list[tuple[str, str]]:
    return [
        (r.clip_id, r.purpose)
        for r in Store(url).reviews.all()
        if r.reviewer == reviewer and r.decision != "undo"
    ]


def test_gold_checks_after_recap_ingest_are_once_per_reviewer_at_the_rate_in_queue_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rate = 0.25
    url = ingested(tmp_path, 16, gold={3, 7, 11, 14})
    for reviewer in ("ann", "bob"):
        at = page_for(url, reviewer, monkeypatch, tmp_path, RECAP_GOLD_RATE=str(rate))
        shown = review_all(at, limit=40)
        done = checks(url, reviewer)
        assert [c for c, _ in done] == shown
        assert len(set(shown)) == len(shown)  # no clip twice to the same reviewer
        gold = 0
        for i, (_, purpose) in enumerate(done, 1):
            gold += purpose == Purpose.GOLD
            assert gold <= rate * i + 1, (reviewer, i, gold)  # never more than the rate
        assert gold >= 1
        ordinary = [c for c, p in done if p != Purpose.GOLD]
        assert ordinary == sorted(ordinary)  # the queue keeps its order around gold checks
        golds = [c for c, p in done if p == Purpose.GOLD]
        assert golds == sorted(golds) and {int(c[1:]) for c in golds} <= {3, 7, 11, 14}
    # every clip decided once as ordinary work, but a gold clip both had as a gold check: that
    # one waits for a third reviewer
    both = set.intersection(
        *({c for c, p in checks(url, r) if p == Purpose.GOLD} for r in ("ann", "bob"))
    )
    store = Store(url)
    assert store.reviews.tallies("r1").clips(Status.ACCEPTED) == 16 - len(both)
    assert all(store.reviews.status("r1", c) == Status.PENDING for c in both)


def test_a_run_of_gold_clips_is_still_decided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every clip gold (as in the bundled sample): a gold clip is a gold check for a reviewer
    only when one is due at the rate; otherwise it is ordinary work, so the run gets decided."""
    url = ingested(tmp_path, 12, gold=set(range(12)))
    at = page_for(url, "ann", monkeypatch, tmp_path, RECAP_GOLD_RATE="0.25")
    shown = review_all(at, limit=30)
    done = checks(url, "ann")
    assert sorted(shown) == [f"c{i:02d}" for i in range(12)]  # each once
    gold = [c for c, p in done if p == Purpose.GOLD]
    assert 1 <= len(gold) <= 0.25 * 12 + 1
    assert Store(url).reviews.tallies("r1").clips(Status.ACCEPTED) == 12 - len(gold)
    # what ann had as gold checks waits for someone who has not seen it
    bob = page_for(url, "bob", monkeypatch, tmp_path, RECAP_GOLD_RATE="0")
    assert sorted(review_all(bob, limit=30)) == sorted(gold)
    assert Store(url).reviews.tallies("r1").clips(Status.ACCEPTED) == 12


# --- a press names its clip and state (item 3) ------------------------------------------------


def test_a_press_on_a_button_no_longer_on_screen_records_nothing(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A second A arriving once c1 is decided: the c1 button's callback notes (accept, c1, the
    version shown) and the page refuses it with a message; c2, now on screen, is untouched.
    (AppTest cannot click a button no longer drawn; the browser test presses the key.)"""
    at = page_for(review_db, "ann", monkeypatch, tmp_path)
    at.run()
    assert heading(at) == "c1"
    version = 0  # c1 as it was shown: no review row yet
    button(at, "accept").click().run()
    assert heading(at) == "c2"
    at.session_state["action"] = ("accept", "c1", version)  # what the stale press notes
    at.run()
    assert [(r.clip_id, r.decision) for r in Store(review_db).reviews.all()] == [("c1", "accepted")]
    assert heading(at) == "c2"
    assert any("Not recorded: c1" in html.unescape(e.value) for e in at.error)


def test_a_decision_on_a_clip_that_changed_since_it_was_shown_is_refused(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ann's screen shows c1 pending; meanwhile (her hold on it expired) bob accepted it. Her
    press is refused with a message and nothing of hers is recorded."""
    from datetime import timedelta

    from sqlalchemy import update

    from agent.review import ReviewSession
    from agent.store import Lease, now

    at = page_for(review_db, "ann", monkeypatch, tmp_path)
    at.run()
    assert heading(at) == "c1"
    store = Store(review_db)
    with store.session.begin() as s:
        s.execute(update(Lease).values(expires_at=now() - timedelta(seconds=1)))
    bob = ReviewSession(store, "bob", "r1", browser="bob")
    theirs = bob.next_item()
    assert theirs.clip_id == "c1"
    bob.decide(theirs, "accepted")
    at.text_area(key="edit-c1").input("The robot waves.")
    button(at, "reject").click().run()
    assert any("Not recorded: c1" in html.unescape(e.value) for e in at.error)
    assert [(r.clip_id, r.reviewer) for r in store.reviews.all()] == [("c1", "bob")]


# --- what a reviewer may act on (item 2) ------------------------------------------------------


def test_show_offers_only_the_clips_open_to_a_decision(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = page_for(review_db, "ann", monkeypatch, tmp_path)
    at.run()
    show = at.sidebar.selectbox(key="status")
    assert list(show.options) == ["pending", "flagged", "skipped"]  # never a final state


# --- the player's window (item 6) -------------------------------------------------------------


def windowed(url: str) -> None:
    """c1 becomes a window of its file: 1.5 s to 3.2 s of the 5 s clip."""
    store = Store(url)
    old = store.clips.get("c1")
    store.clips.upsert(
        Clip(id="c1", video=old.video, root=old.root, start_s=1.5, end_s=3.2, content_hash="w"),
        CAPTIONS["c1"][0],
    )
    store.close()


def test_the_player_plays_only_the_clips_window(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    windowed(review_db)
    store = Store(review_db)
    for email, role in (("ann@x.org", "reviewer"), ("lee@x.org", "lead")):
        add_user(store, email, role)
    at = page_for(review_db, "ann", monkeypatch, tmp_path)
    at.secrets["auth"] = AUTH
    at.user = user_of("ann@x.org")
    at.run()
    assert heading(at) == "c1"
    (video,) = videos(at)
    assert (video.start_time, video.end_time, video.loop) == (1, 4, True)  # outward seconds
    button(at, "accept").click().run()
    (other,) = videos(at)  # c2 is a whole file
    assert (other.start_time, other.end_time) == (0, 0)
    # the lead looks at ann's decision on c1: the same window
    at.user = user_of("lee@x.org")
    at.switch_page("pages/lead.py").run()
    at.selectbox(key="lead-reviewer").select("ann@x.org").run()
    assert not at.exception
    (watched,) = videos(at)
    assert (watched.start_time, watched.end_time) == (1, 4)


# --- a removed user's typing (item 7) ---------------------------------------------------------


def test_a_removed_users_typing_is_not_saved(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = Store(review_db)
    add_user(store, "ann@x.org", "reviewer")
    at = page_for(review_db, "ann", monkeypatch, tmp_path)
    at.secrets["auth"] = AUTH
    at.user = user_of("ann@x.org")
    at.run()
    at.text_area(key="edit-c1").input("The robot grasps the red cube.").run()
    owner = "ann@x.org:ann"
    assert store.reviews.buffer(owner, "c1") == "The robot grasps the red cube."  # kept
    remove_user(store, "ann@x.org")
    at.text_area(key="edit-c1").input("Typed after removal.").run()
    assert any("not a recap user" in html.unescape(e.value) for e in at.error)
    assert store.reviews.buffer(owner, "c1") == "The robot grasps the red cube."


# --- leads (item 8) ---------------------------------------------------------------------------


def test_a_lead_is_not_offered_their_own_decisions_nor_a_dispute_they_took_part_in(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = Store(review_db)
    for email, role in (("ann@x.org", "reviewer"), ("lee@x.org", "lead"), ("mo@x.org", "lead")):
        add_user(store, email, role)

    def signed_in(email: str) -> AppTest:
        at = page_for(review_db, email.split("@")[0], monkeypatch, tmp_path, RECAP_OVERLAP="1")
        at.secrets["auth"] = AUTH
        at.user = user_of(email)
        return at.run()

    button(signed_in("ann@x.org"), "accept").click().run()  # c1: ann accepts
    lee = signed_in("lee@x.org")
    assert heading(lee) == "c1"
    lee.text_area(key="edit-c1").input("The robot lifts the red cube.").run()
    button(lee, "save").click().run()  # lee edits c1: a dispute lee took part in
    assert store.reviews.status("r1", "c1") == Status.DISPUTED
    lee.switch_page("pages/lead.py").run()
    assert not lee.exception
    assert lee.selectbox(key="lead-reviewer").options == ["ann@x.org", "mo@x.org"]
    assert not [b for b in lee.button if b.label == "Settle"]
    assert any("You took part in this disagreement" in html.unescape(c.value) for c in lee.caption)
    mo = lee
    mo.user = user_of("mo@x.org")
    mo.run()
    mo.button(key="settle-r1-c1-go").click().run()
    assert store.reviews.status("r1", "c1") == Status.EDITED
    assert store.reviews.state_review("r1", "c1").reviewer == "mo@x.org"


def test_a_lead_who_took_no_part_reopens_or_resettles_a_final_clip_with_a_reason(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Item 2 on the lead page: ann's accepted c1 is final; lee, who took no part, resettles it
    (a reason is needed) and then reopens it; ann, a reviewer, cannot open the page; and Z on
    the review page never undoes lee's settlement."""
    store = Store(review_db)
    for email, role in (("ann@x.org", "reviewer"), ("lee@x.org", "lead")):
        add_user(store, email, role)
    at = page_for(review_db, "ann", monkeypatch, tmp_path)
    at.secrets["auth"] = AUTH
    at.user = user_of("ann@x.org")
    at.run()
    button(at, "accept").click().run()
    assert store.reviews.status("r1", "c1") == Status.ACCEPTED
    at.user = user_of("lee@x.org")
    at.switch_page("pages/lead.py").run()
    at.text_input(key="final-clip").input("c1").run()
    at.text_area(key="resettle-r1-c1").input("The robot lifts the red cube.").run()
    at.button(key="resettle-r1-c1-go").click().run()
    assert any("say why it is resettled" in html.unescape(e.value) for e in at.error)
    assert store.reviews.status("r1", "c1") == Status.ACCEPTED
    at.text_input(key="reason-r1-c1").input("it lifts, it does not place").run()
    at.button(key="resettle-r1-c1-go").click().run()
    assert store.reviews.status("r1", "c1") == Status.EDITED
    settled = store.reviews.state_review("r1", "c1")
    assert (settled.reviewer, settled.purpose, settled.comment) == (
        "lee@x.org",
        "settle",
        "it lifts, it does not place",
    )
    # Z on the review page, for lee: a settlement is no undo's
    at.switch_page("review.py").run()
    button(at, "undo").click().run()
    assert store.reviews.status("r1", "c1") == Status.EDITED
    # lee took part now (the settlement): the page offers nothing more to do with c1
    at.switch_page("pages/lead.py").run()
    at.text_input(key="final-clip").input("c1").run()
    assert not [b for b in at.button if b.label in ("Reopen", "Resettle")]
    assert any("You took part in deciding it" in html.unescape(c.value) for c in at.caption)
    add_user(store, "mo@x.org", "lead")
    at.user = user_of("mo@x.org")
    at.run()
    at.text_input(key="reason-r1-c1").input("the cube is orange").run()
    at.button(key="reopen-r1-c1").click().run()
    assert not at.error
    assert store.reviews.status("r1", "c1") == Status.PENDING
    last = store.reviews.of_clip("r1", "c1")[-1]
    assert (last.reviewer, last.decision, last.comment) == (
        "mo@x.org",
        "reopened",
        "the cube is orange",
    )
