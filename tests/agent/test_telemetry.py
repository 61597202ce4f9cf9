from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import TelemetryError
from agent.telemetry import Event, Telemetry


def steps(n: int = 50, dt: float = 0.1) -> list[float]:
    return [round(i * dt, 2) for i in range(n)]


def test_grasp_and_lift_is_stated_with_times() -> None:
    t = steps()
    gripper = [1.0] * 15 + [0.1] * 25 + [1.0] * 10
    obj = [[0, 0, 0.02]] * 18 + [[0, 0, 0.02 + 0.01 * i] for i in range(12)] + [[0, 0, 0.13]] * 20
    facts = Telemetry(t=t, gripper=gripper, object_pos=obj, success=True).facts()
    assert facts[0].startswith("t=1.5s: the gripper closes on the object, which then rises 11 cm")
    assert facts[1] == "t=4.0s: the gripper opens"
    assert facts[-1] == "outcome: the task SUCCEEDED"


def test_closing_on_nothing_is_not_a_lift() -> None:
    t = steps()
    gripper = [1.0] * 20 + [0.0] * 30
    obj = [[0, 0, 0.02]] * 50
    facts = Telemetry(t=t, gripper=gripper, object_pos=obj, success=False).facts()
    assert "does not rise (no lift; possibly no grasp)" in facts[0]
    assert facts[-1] == "outcome: the task FAILED"


def test_gripper_that_never_moves_is_said() -> None:
    facts = Telemetry(t=steps(5), gripper=[1.0] * 5).facts()
    assert facts == ["the gripper stays open for the whole clip (never closes/opens)"]


def test_events_and_task_are_listed() -> None:
    tel = Telemetry(
        t=[0.0, 1.0],
        task="drawer-close",
        events=[Event(name="push", t_start=0.5, t_end=1.0, detail="drawer front")],
    )
    assert tel.facts() == ["task: drawer-close", "0.5s-1.0s: push (drawer front)"]


def test_misaligned_series_are_rejected() -> None:
    with pytest.raises(ValueError, match="gripper has 2 steps but t has 3"):
        Telemetry(t=[0, 1, 2], gripper=[1, 0])
    with pytest.raises(ValueError, match="not increasing"):
        Telemetry(t=[0, 2, 1])


def test_load_reports_file_and_reason(tmp_path: Path) -> None:
    good = tmp_path / "tel.json"
    good.write_text(json.dumps({"t": [0, 1], "gripper": [1, 0], "success": True}))
    assert Telemetry.load(good).success is True
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TelemetryError, match=r"bad.json: not valid JSON"):
        Telemetry.load(tmp_path / "bad.json")
    (tmp_path / "short.json").write_text(json.dumps({"t": [0, 1], "gripper": [1]}))
    with pytest.raises(TelemetryError, match="gripper has 1 steps"):
        Telemetry.load(tmp_path / "short.json")
    with pytest.raises(TelemetryError, match="does not exist"):
        Telemetry.load(tmp_path / "none.json")
    # found by the ingest property test: a name too long for the file system is a reason too
    with pytest.raises(TelemetryError, match=r"cannot be read \(File name too long\)"):
        Telemetry.load(tmp_path / ("x" * 300))


def test_gripper_that_stops_part_way_is_likely_holding() -> None:
    from agent.telemetry import GRIPPER_HOLD_ABOVE, GRIPPER_HOLD_MIN_S

    t = steps(40)
    held = GRIPPER_HOLD_ABOVE + 0.2
    facts = Telemetry(t=t, gripper=[1.0] * 10 + [held] * 20 + [1.0] * 10).facts()
    assert facts == [
        f"t=1.0s: the gripper closes but stops part-way ({held:.0%} open): "
        "likely holding something",
        "t=3.0s: the gripper opens",
    ]
    # closing fully is not holding; nor is a part-way dip shorter than GRIPPER_HOLD_MIN_S
    full = Telemetry(t=t, gripper=[1.0] * 10 + [0.0] * 30).facts()
    assert full == ["t=1.0s: the gripper closes"]
    short = int(GRIPPER_HOLD_MIN_S / 0.1) - 1
    blip = Telemetry(t=t, gripper=[1.0] * 10 + [held] * short + [1.0] * (30 - short)).facts()
    assert blip[0] == "t=1.0s: the gripper closes"


def test_two_named_grippers_each_get_facts() -> None:
    t = steps(20)
    tel = Telemetry(t=t, grippers={"left": [1.0] * 5 + [0.0] * 15, "right": [1.0] * 20})
    assert tel.facts() == [
        "t=0.5s: the left gripper closes",
        "the right gripper stays open for the whole clip (never closes/opens)",
    ]
    with pytest.raises(ValueError, match=r"grippers\.left has 2 steps but t has 20"):
        Telemetry(t=t, grippers={"left": [1.0, 0.0]})


def test_tasks_without_an_object_to_carry_get_contact_and_motion_facts() -> None:
    """Issue 26: on a button the gripper is closed long before it touches anything; no grasp or
    lift fact may appear there."""
    t = steps()
    gripper = [1.0] * 4 + [0.25] * 46
    ee = [[0.0, 0.0, 0.4 - 0.008 * i] for i in range(50)]
    button = [[0.0, 0.0, 0.1 if i < 40 else 0.07] for i in range(50)]
    facts = Telemetry(
        t=t, gripper=gripper, ee_pos=ee, object_pos=button, success=True, task="button-press-v3"
    ).facts()
    text = " ".join(facts)
    assert "grasp" not in text and "rise" not in text and "lift" not in text
    assert "t=0.4s: the gripper closes 27 cm from the object (before any contact)" in facts
    assert any(f.startswith("t=3.") and "reaches the object" in f for f in facts)
    assert "t=4.0s: the object starts to move; it ends 3 cm from where it started" in facts
    still = Telemetry(t=t, gripper=[1.0] * 50, ee_pos=ee, object_pos=[[1, 1, 1]] * 50, task="push")
    assert "the object never moves" in still.facts()
    assert any(f.startswith("the end effector never comes within 6 cm") for f in still.facts())


def test_moments_are_the_times_a_caption_turns_on() -> None:
    t = steps()
    gripper = [1.0] * 15 + [0.1] * 25 + [1.0] * 10
    obj = (
        [[0, 0, 0.02]] * 18
        + [[0, 0, 0.02 + 0.01 * i] for i in range(12)]
        + [[0, 0, 0.13]] * 10
        + [[0, 0, 0.02]] * 10
    )
    moments = Telemetry(t=t, gripper=gripper, object_pos=obj, success=False).moments()
    assert [(m.t, m.what) for m in moments] == [
        (4.9, "outcome"),  # first: the end of the clip shows the outcome
        (1.5, "gripper closes"),
        (2.0, "object lifts off"),  # 1 cm above where it rested
        (4.0, "gripper opens"),
        (4.0, "object lands"),
    ]


def test_moments_of_named_grippers_contact_tasks_and_events() -> None:
    t = steps(20)
    tel = Telemetry(
        t=t,
        grippers={"left": [1.0] * 5 + [0.0] * 15},
        object_pos=[[0, 0, 0]] * 10 + [[0.05, 0, 0]] * 10,
        task="drawer-open-v3",
        events=[Event(name="open", t_start=1.2)],
    )
    assert [(m.t, m.what) for m in tel.moments()] == [
        (0.5, "left gripper closes"),
        (1.0, "object starts to move"),
        (1.2, "open"),
    ]
    assert Telemetry(t=[]).moments() == []
