"""The review page shows a draft's confidence (score and parts in words) with the draft, never
on a control-arm clip nor in a run a policy routed (there an audit would stand out by its
score); and its pending count leaves out the clips recap's policy accepted, which are in no
one's queue unless audited (through Streamlit's AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.decisions import Decision
from agent.review import ReviewSession
from agent.routing import Labelled, calibrate, confidence
from agent.routing._correctness import ErrorRule
from agent.schema import Draft
from agent.store import AutoAcceptance, Store
from tests.agent.routing.test_route_cli import decide
from tests.ui.conftest import CAPTIONS, button

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")


def page(url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, control: float) -> AppTest:
    monkeypatch.setenv("RECAP_DB", url)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RECAP_CONTROL_SHARE", str(control))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.query_params["b"] = "browser1"
    return at.run()


def confidence_lines(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Confidence")]


def test_the_confidence_shows_with_the_draft_and_not_in_the_control_arm(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = Store(review_db)
    records = {r.clip_id: r for r in store.runs.drafts("r1")}
    scores = {}
    for clip_id in ("c1", "c2"):  # c3 is left unscored
        caption, payload = CAPTIONS[clip_id]
        kept = Draft.model_validate(payload)
        other = Draft(hallucinations=[], omissions=[], rewrite=caption, verdict="accurate")
        scores[records[clip_id].id] = confidence(caption, [kept, kept, other])
    store.routing.save_confidences(scores)
    c1 = scores[records["c1"].id]
    assert c1.parts.agreement == pytest.approx(2 / 3)

    at = page(review_db, monkeypatch, tmp_path, control=0.5)  # c2 is in the control arm
    assert not at.exception
    assert "c1" in at.markdown[0].value
    (line,) = confidence_lines(at)
    assert line.startswith(f"Confidence {c1.score:.2f} · 2 of 3 samples agree")
    button(at, "accept").click().run()
    assert "c2" in at.markdown[0].value and not at.checkbox  # control arm: no draft shown
    assert confidence_lines(at) == []  # scored, but the draft is not shown, so neither is it
    button(at, "accept").click().run()
    assert "c3" in at.markdown[0].value
    assert confidence_lines(at) == []  # not scored yet: nothing said
    assert not at.exception


def test_pending_counts_leave_out_clips_the_policy_accepted(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = Store(review_db)
    labelled = [Labelled(confidence=1.0, error=False, clip_id=f"x{i}") for i in range(30)]
    policy = calibrate(labelled, 0.2, 0.2).policy
    row = store.routing.add_policy(run="r1", identity="i", prompt_version=None, labels="gold",
                                   policy=policy, rule=ErrorRule(), items=labelled)  # fmt: skip
    records = {r.clip_id: r for r in store.runs.drafts("r1")}
    store.routing.accept(
        AutoAcceptance(
            run="r1",
            clip_id=c,
            draft_id=records[c].id,
            policy_id=row.id,
            confidence=1.0,
            audit=audit,
        )
        for c, audit in (("c2", False), ("c3", True))
    )
    caption, payload = CAPTIONS["c1"]
    store.routing.save_confidences(
        {records["c1"].id: confidence(caption, Draft.model_validate(payload))}
    )
    ann = ReviewSession(store, "ann", "r1")
    # c2 was accepted by the policy (no one's work); c3 is an audit (a person's, like c1)
    assert ann.counts()["pending"] == 2
    assert ann.progress()["total"] == 2

    at = page(review_db, monkeypatch, tmp_path, control=0.0)
    assert not at.exception
    assert any("pending 2" in c.value for c in at.sidebar.caption)
    # c1 is scored, but in a routed run a score would tell an audit from other clips
    assert "c1" in at.markdown[0].value and confidence_lines(at) == []
    button(at, "accept").click().run()  # c1
    button(at, "accept").click().run()  # c3, the audit
    assert not at.exception
    assert ann.counts()["pending"] == 0 and ann.counts()["accepted"] == 2
    assert any("No pending clips left" in s.value for s in at.success)

    assert ann.next_item("pending") is None and store.routing.out_of_queue("r1") == 1

    # a person who decides the accepted clip anyway brings it back among the counted
    decide(store, "c2", Decision.REJECTED, "The robot pushes the puck to the right.")
    assert store.routing.out_of_queue("r1") == 0
    counts = ann.counts()
    assert (counts["pending"], counts["accepted"], counts["rejected"]) == (0, 2, 1)
    assert ann.progress()["total"] == 3
