"""The review page's logic through Streamlit's AppTest: queue, decisions, undo, progress."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.schema import GoldLabels
from agent.store import Clip, Store
from agent.telemetry import NOTE_META_KEY
from tests.ui.conftest import button

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")


@pytest.fixture
def app(review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.query_params["b"] = "browser1"
    return at.run()


def reviews(url: str) -> list:
    return Store(url).reviews.all()


def test_single_user_mode_records_under_the_configured_name(
    review_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On loopback with no sign-in, decisions go under `recap review --reviewer` (RECAP_REVIEWER)
    with no name to type; clearing the name box still asks for one."""
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEWER", "cy")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.text_input(key="reviewer").value == "cy"
    button(at, "accept").click().run()
    assert [(r.clip_id, r.reviewer) for r in reviews(review_db)] == [("c1", "cy")]
    at.text_input(key="reviewer").input("").run()
    assert any("Enter your name" in i.value for i in at.info)


def test_first_clip_shows_highlighted_caption_findings_and_draft(app: AppTest) -> None:
    assert not app.exception
    assert "c1" in app.markdown[0].value
    caption_html = next(m.value for m in app.markdown if "<mark" in m.value)
    assert 'title="attribute: it is red"' in caption_html and ">blue</mark>" in caption_html
    assert app.text_area[0].value.startswith("The robot grasps the red cube")
    labels = [c.label for c in app.checkbox]
    assert any("hallucination · blue — attribute" in label for label in labels)
    assert any("omission · places it on the plate — step" in label for label in labels)


def _walk(node):  # elements of the page in the order it draws them
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for key in sorted(children):
        yield from _walk(children[key])


def test_the_drafters_observations_show_as_plain_text_above_the_findings(app: AppTest) -> None:
    """Issue 26 item 4: what the drafter saw (for offline drafts: what it could not check) is on
    the page, above the findings, and its words are text, never Markdown or HTML."""
    elements = list(_walk(app.main))
    shown = [i for i, e in enumerate(elements) if e.type == "text" and "drafter saw" in e.value]
    assert len(shown) == 1
    text = elements[shown[0]].value
    assert text == "What the drafter saw: Telemetry: **the task succeeds** <b>grasp at 1.5s</b>."
    first_finding = min(i for i, e in enumerate(elements) if e.type == "checkbox")
    assert shown[0] < first_finding
    assert not any("<b>grasp" in m.value for m in app.markdown)


def test_accept_records_a_row_and_moves_on(app: AppTest, review_db: str) -> None:
    button(app, "accept").click().run()
    assert not app.exception
    rows = reviews(review_db)
    assert [(r.clip_id, r.decision, r.reviewer) for r in rows] == [("c1", "accepted", "ann")]
    assert rows[0].final_caption.startswith("The robot grasps the red cube")
    assert rows[0].edit_distance == 0 and rows[0].agreed["hallucinations"] == {"0": True}
    assert "c2" in app.markdown[0].value


def test_edit_with_disagreement_then_undo(app: AppTest, review_db: str) -> None:
    app.checkbox(key="agree-c1-omissions-0").uncheck()
    app.text_area(key="edit-c1").input("The robot grasps the red cube and lifts it.")
    app.run()
    assert any("draft → your edit" in m.value for m in app.markdown)
    button(app, "save").click().run()
    row = reviews(review_db)[-1]
    assert (row.decision, row.final_caption) == (
        "edited",
        "The robot grasps the red cube and lifts it.",
    )
    assert row.agreed == {"hallucinations": {"0": True}, "omissions": {"0": False}}
    assert row.edit_distance == 7 and row.seconds is not None  # ", " -> "and", 6 dropped
    button(app, "undo").click().run()
    rows = reviews(review_db)
    assert rows[-1].decision == "undo" and rows[-1].undoes == row.id
    assert "c1" in app.markdown[0].value  # back to the undone clip
    assert Store(review_db).reviews.in_force_by_clip() == {}


def test_seconds_count_from_when_the_clip_came_on_screen(app: AppTest, review_db: str) -> None:
    """Unticking a finding reruns the page; the decision's seconds still run from when the clip
    was first shown, not from the last rerun (what `recap report` compares the arms on).
    The clip came on screen 30 s ago: the test moves that moment back instead of waiting."""
    clip, since = app.session_state["shown"]
    app.session_state["shown"] = (clip, since - 30.0)
    app.checkbox(key="agree-c1-omissions-0").uncheck().run()
    button(app, "accept").click().run()
    assert reviews(review_db)[0].seconds >= 30.0
    assert "c2" in app.markdown[0].value


def test_reject_needs_own_caption(app: AppTest, review_db: str) -> None:
    button(app, "reject").click().run()
    assert any("write your own caption" in e.value for e in app.error)
    assert reviews(review_db) == []
    app.text_area(key="edit-c1").input("The robot waves its arm.").run()
    button(app, "reject").click().run()
    assert reviews(review_db)[-1].decision == "rejected"


def test_progress_figures(app: AppTest) -> None:
    button(app, "accept").click().run()
    app.text_area(key="edit-c2").input("The robot pushes the puck right.").run()
    button(app, "save").click().run()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["accepted as is"] == "50%"
    assert metrics["my decisions"] == "2"
    # c2: "to the" dropped from 9 tokens to 7 -> 2/7; c1 accepted -> 0
    assert float(metrics["mean edit rate"]) == pytest.approx((0 + 2 / 7) / 2, abs=0.01)


def test_unsaved_edit_survives_a_new_session(
    app: AppTest, review_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.text_area(key="edit-c1").input("The robot grasps the red cube slowly.").run()
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params["reviewer"] = "ann"
    again.query_params["b"] = "browser1"  # a reload keeps the URL
    again.run()
    assert again.text_area(key="edit-c1").value == "The robot grasps the red cube slowly."


def test_model_text_is_escaped_never_raw_html(app: AppTest) -> None:
    button(app, "accept").click().run()
    button(app, "accept").click().run()
    page = "\n".join(m.value for m in app.markdown)
    assert "c3" in page
    assert "<script>" not in page and "<script>alert(1)</script>" in html.unescape(page)


def test_telemetry_note_is_shown_under_the_heading_as_plain_text(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A dataset with no telemetry says so under the clip's heading; the note is escaped."""
    store = Store(review_db)
    clip = store.clips.get("c1")
    note = "No telemetry for this dataset: <b>bold</b> *not* [a](link)"
    store.clips.upsert(
        Clip(
            id="c1", video=clip.video, root=clip.root, meta={NOTE_META_KEY: note}, content_hash="n"
        ),
        store.clips.caption("c1"),
    )
    store.close()
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.run()
    assert not at.exception and "c1" in at.markdown[0].value
    (shown,) = [c.value for c in at.caption if "No telemetry" in c.value]
    assert "<b>" not in shown and "*not*" not in shown and "[a](link)" not in shown
    assert html.unescape(shown) == note  # character references: the text, shown as it is


def test_two_browsers_get_different_clips(review_db: str, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    seen = []
    for b in ("one", "two"):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["reviewer"] = "ann" if b == "one" else "bob"
        at.query_params["b"] = b
        at.run()
        seen.append(at.markdown[0].value.split("·")[0])
    assert seen[0] != seen[1]


def test_next_and_previous_move_without_deciding(app: AppTest, review_db: str) -> None:
    assert "c1" in app.markdown[0].value
    button(app, "next").click().run()
    assert "c2" in app.markdown[0].value
    button(app, "next").click().run()
    assert "c3" in app.markdown[0].value
    button(app, "prev").click().run()
    assert "c2" in app.markdown[0].value
    assert reviews(review_db) == []  # moving records nothing


def test_configured_reviewer_opens_on_the_first_clip(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`recap review --reviewer ann` (RECAP_REVIEWER): no name to type, the first clip at once."""
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEWER", "ann")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.info and "c1" in at.markdown[0].value
    button(at, "accept").click().run()
    assert [(r.clip_id, r.reviewer) for r in reviews(review_db)] == [("c1", "ann")]


def test_recap_review_launches_the_page_for_viewers(
    review_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Streamlit server gets the reviewer's name and the viewer toolbar (no Deploy, no
    rerun menu)."""
    from typer.testing import CliRunner

    from recap.main import app as cli
    from ui import commands

    launched: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(
        commands, "run_page_server", lambda cmd, env, **_: launched.append((cmd, env)) or 0
    )
    result = CliRunner().invoke(cli, ["review", "--db", review_db, "--reviewer", "ann"])
    assert result.exit_code == 0, result.output
    ((cmd, env),) = launched
    assert cmd[cmd.index("--client.toolbarMode") + 1] == "viewer"
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert env["RECAP_REVIEWER"] == "ann"
    bad = CliRunner().invoke(cli, ["review", "--db", review_db, "--reviewer", " "])
    assert bad.exit_code != 0 and "--reviewer is empty" in bad.output


def test_control_arm_hides_the_draft_and_the_report_splits_the_arms(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """At a share of 0.5, c2 falls in the control arm (its hash is 0.25) and c1, c3 do not."""
    from sacrebleu.metrics import TER

    from agent.review import in_control_arm
    from agent.store import Clip
    from evals.worth import worth
    from tests.ui.conftest import CAPTIONS

    assert [in_control_arm("r1", c, 0.5) for c in ("c1", "c2", "c3")] == [False, True, False]
    store = Store(review_db)
    gold = {c: draft["rewrite"] for c, (_, draft) in CAPTIONS.items()}
    for cid, (caption, _) in CAPTIONS.items():
        old = store.clips.get(cid)
        store.clips.upsert(
            Clip(
                id=cid,
                video=old.video,
                root=old.root,
                gold=GoldLabels(caption=gold[cid]),
                content_hash=cid + "-gold",
            ),
            caption,
        )
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RECAP_CONTROL_SHARE", "0.5")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.query_params["b"] = "browser1"
    at.run()
    assert "c1" in at.markdown[0].value and at.checkbox  # draft arm: findings shown
    button(at, "accept").click().run()
    assert "c2" in at.markdown[0].value
    # control arm: the box holds the original caption; no spans, findings or draft anywhere
    assert at.text_area[0].value == CAPTIONS["c2"][0]
    assert not at.checkbox and not any("<mark" in m.value for m in at.markdown)
    page_text = " ".join(m.value for m in at.markdown)
    assert "to the right" not in page_text and "control" not in page_text.lower()
    at.text_area(key="edit-c2").input("The robot pushes the puck to the right side.").run()
    button(at, "save").click().run()
    assert "c3" in at.markdown[0].value
    button(at, "accept").click().run()
    assert not at.exception
    rows = {r.clip_id: r for r in Store(review_db).reviews.all()}
    assert {c: r.arm for c, r in rows.items()} == {"c1": "draft", "c2": "control", "c3": "draft"}
    assert rows["c2"].edit_distance == 2 and rows["c2"].agreed is None  # from the caption
    w = worth(Store(review_db), "r1", n_boot=200)
    d, c = w.arms["draft"], w.arms["control"]
    assert (d.clips, c.clips) == (2, 1)
    assert d.seconds.value == pytest.approx((rows["c1"].seconds + rows["c3"].seconds) / 2)
    assert c.seconds.value == pytest.approx(rows["c2"].seconds)
    assert c.seconds.low == c.seconds.high == pytest.approx(rows["c2"].seconds)  # one clip
    assert d.edit_distance.value == 0.0 and c.edit_distance.value == 2.0
    ter = TER()
    assert d.ter_vs_gold.value == 0.0  # accepted drafts equal gold here
    assert c.ter_vs_gold.value == pytest.approx(
        ter.corpus_score(["The robot pushes the puck to the right side."], [[gold["c2"]]]).score
    )
    assert c.ter_vs_gold.n == 1 and d.ter_vs_gold.n == 2
