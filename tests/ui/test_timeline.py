"""The telemetry timeline: what it plots and marks, how a click becomes a seek, and that the
review page shows it for a clip with telemetry."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.store import Clip, Store
from agent.telemetry import Telemetry
from ui.timeline import (
    HEIGHT_LABEL,
    OPENING_LABEL,
    SELECTION,
    chart,
    picked_time,
    seek_script,
    series,
)

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")


def tel() -> Telemetry:
    t = [round(i * 0.1, 2) for i in range(50)]
    return Telemetry(
        t=t,
        gripper=[1.0] * 15 + [0.3] * 25 + [1.0] * 10,
        ee_pos=[[0.0, 0.0, 0.2 - 0.001 * i] for i in range(50)],
        object_pos=[[0.0, 0.0, 0.02]] * 20 + [[0.0, 0.0, 0.02 + 0.004 * i] for i in range(30)],
    )


def _datasets(spec: dict) -> list[list[dict]]:
    return list(spec.get("datasets", {}).values())


def test_series_has_every_signal_the_clip_has() -> None:
    data = series(tel())
    assert set(data["signal"]) == {"gripper", "end-effector height", "object height"}
    assert set(data[data["signal"] == "gripper"]["axis"]) == {OPENING_LABEL}
    assert set(data[data["signal"] == "object height"]["axis"]) == {HEIGHT_LABEL}
    two = Telemetry(t=[0.0, 1.0], grippers={"left": [1.0, 0.0], "right": [1.0, 1.0]})
    assert set(series(two)["signal"]) == {"left gripper", "right gripper"}
    assert chart(Telemetry(t=[0.0, 1.0])) is None  # nothing to plot


def test_chart_marks_evidence_and_sampled_frames_and_is_clickable() -> None:
    spec = chart(tel(), evidence_times=[1.5, 4.0], frame_times=[0.3, 0.9, 2.5]).to_dict()
    rows = [r for d in _datasets(spec) for r in d]
    assert sorted(r["t"] for r in rows if r.get("what") == "evidence") == [1.5, 4.0]
    assert {r["t"] for r in rows if r.get("what") == "sampled frame"} == {0.3, 0.9, 2.5}
    assert len(spec["vconcat"]) == 2  # opening and height panels share the time axis
    for panel in spec["vconcat"]:  # each panel marks the evidence (rules) and frames (ticks)
        kinds = [layer["mark"]["type"] for layer in panel["layer"]]
        assert kinds == ["line", "point", "rule", "tick"]
    params = spec["params"]  # Altair hoists a selection to the top, naming the views it uses
    assert [p["name"] for p in params] == [SELECTION]
    assert params[0]["select"]["on"] == "click" and params[0]["select"]["fields"] == ["t"]


def test_a_click_becomes_a_time_and_a_seek() -> None:
    assert picked_time({"selection": {SELECTION: [{"t": 2.3, "signal": "gripper"}]}}) == 2.3
    assert picked_time({"selection": {SELECTION: {"t": [1.1]}}}) == 1.1
    assert picked_time({"selection": {SELECTION: []}}) is None
    assert picked_time(None) is None
    js = seek_script(2.3456)
    assert "const T = 2.346;" in js and 'querySelector("video")' in js


@pytest.fixture
def tel_db(review_db: str, tmp_path: Path) -> str:
    store = Store(review_db)
    clip = store.clips.get("c1")
    assert clip is not None
    store.clips.upsert(
        Clip(
            id="c1",
            video=clip.video,
            root=clip.root,
            telemetry=tel(),
            content_hash="with-telemetry",
        ),
        "The robot grasps the blue cube and lifts it.",
    )
    store.close()
    return review_db


def test_review_page_shows_the_timeline_and_facts(
    tel_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RECAP_DB", tel_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.query_params["b"] = "browser1"
    at.run()
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert charts, "no timeline chart on the page"
    facts = html.unescape(next(m.value for m in at.markdown if "Telemetry facts" in m.value))
    for fact in tel().facts():
        assert fact in facts
