"""LeRobot datasets as they are recorded today: every robot type in the robot table, state
names in each shape LeRobot writes, ranges from the data, success columns, profiles for
unnamed datasets, and the note a dataset gets when its telemetry lacks something."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from agent.data import ingest
from agent.data.lerobot._layout import Layout
from agent.data.lerobot._robots import PROFILES, ROBOTS, markdown_table, robot_for
from agent.data.lerobot._state import canonical, resolve
from agent.drafting._offline import OfflineDrafter
from agent.errors import RecapError
from agent.store import Store
from agent.telemetry import NOTE_META_KEY, Telemetry
from recap.main import app
from tests.lerobot_data import (
    ALOHA18_NAMES,
    ALOHA_NAMES,
    BI_SO_NAMES,
    DROID_STATE_NAMES,
    EE_NAMES,
    HOPE_JR_HAND_NAMES,
    LEKIWI_NAMES,
    MOTOR_NAMES,
    OPENARM_NAMES,
    REACHY2_NAMES,
    REBOT_NAMES,
    SO100_NAMES,
    SO_JOINTS,
    SO_NAMES,
    Ep,
    gripper_series,
    make_dataset,
    robot_state,
)

FPS = 10
N = 40
CLOSE, CLOSE_RIGHT = 15, 25  # the (left) gripper closes at frame 15, a right one at 25
README = Path(__file__).resolve().parents[3] / "README.md"


def facts_of(store: Store, clip_id: str) -> list[str]:
    return Telemetry.model_validate(store.clips.get(clip_id).telemetry).facts()


def gripper_facts(facts: list[str]) -> list[str]:
    return [f for f in facts if "gripper" in f and not f.startswith("note:")]


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "side", "core"),
    [
        ("gripper.pos", "", "gripper"),
        ("main_gripper", "", "gripper"),
        ("left_gripper.pos", "left", "gripper"),
        ("r_gripper.pos", "right", "gripper"),
        ("l_gripper.pos", "left", "gripper"),
        ("arm_gripper.pos", "", "gripper"),
        ("ee.gripper_pos", "", "gripper_pos"),
        ("ee.x", "", "x"),
        ("gripper.vel", "", "gripper.vel"),
        ("gripper.torque", "", "gripper.torque"),
        ("left_gripper.vel", "left", "gripper.vel"),
        ("r_antenna.pos", "right", "antenna"),
        ("Shoulder_Pan.pos", "", "shoulder_pan"),
    ],
)
def test_names_are_normalised_before_matching(name: str, side: str, core: str) -> None:
    assert canonical(name) == (side, core)


def layout_with(tmp_path: Path, names: Any, size: int, robot_type: str | None = "so_follower"):
    state = robot_state(8, size, {})
    root = make_dataset(
        tmp_path / "ds", [Ep("t", state)], robot_type=robot_type, names=names, video=False
    )
    return Layout(root)


@pytest.mark.parametrize(
    "names",
    [
        SO_NAMES,
        {"motors": SO_NAMES},
        {"axes": SO_NAMES},
        {n: i for i, n in enumerate(SO_NAMES)},
    ],
    ids=["list", "motors", "axes", "name-to-index"],
)
def test_names_in_every_shape_lerobot_writes(tmp_path: Path, names: Any) -> None:
    smap = resolve(layout_with(tmp_path, names, 6))
    assert [(g.dim.name, g.dim.index, g.open_high) for g in smap.grippers] == [
        ("gripper.pos", 5, True)
    ]


def test_names_that_are_not_one_per_value_are_not_trusted(tmp_path: Path) -> None:
    for i, names in enumerate((None, ["state"], ["a", "gripper"])):
        layout = layout_with(tmp_path / str(i), names, 6)
        assert layout.names("observation.state") is None
        assert resolve(layout).grippers == []


def test_velocity_and_torque_are_never_grippers(tmp_path: Path) -> None:
    names = ["gripper.vel", "gripper.torque", "left_gripper.vel", "r_antenna.pos", "gripper.pos"]
    smap = resolve(layout_with(tmp_path, names, 5, robot_type="openarm_follower"))
    assert [g.dim.name for g in smap.grippers] == ["gripper.pos"]
    smap = resolve(layout_with(tmp_path / "b", names[:4], 4, robot_type="openarm_follower"))
    assert smap.grippers == [] and smap.undirected == []


def test_robot_types_match_exactly_or_by_a_prefix_ending_at_a_separator() -> None:
    def row(rt: str) -> tuple[str, ...] | None:
        r = robot_for(rt)
        return r.types if r else None

    assert row("Franka") == ("franka",)
    assert row("aloha_sim") == row("aloha-stationary") == ("aloha",)
    assert row("so100_follower_end_effector") == ("so100_follower", "so101_follower")
    assert row("so100") == ("so100", "so101", "moss")
    assert row("bi_so_follower") == ("bi_so_follower",)
    assert row("alohax") is None and row("mobile_aloha") is None and row("") is None
    assert row("trossen_ai_stationary") is None  # a third-party plugin, not LeRobot's source


# --- every robot type in the table ------------------------------------------------------------


@dataclass
class Case:
    names: Any
    size: int
    grippers: dict[int, tuple[float, float]]  # index -> (open value, closed value)
    expect: str  # one | two | state-map | no-gripper | nothing


def _sided(names: list[str], sides: tuple[str, str] = ("left", "right")) -> list[str]:
    return [f"{side}_{n}" for side in sides for n in names]


SO = Case(SO_NAMES, 6, {5: (60.0, 2.0)}, "one")
BI_SO = Case(BI_SO_NAMES, 12, {5: (60.0, 2.0), 11: (55.0, 3.0)}, "two")
LEGACY = Case(SO100_NAMES, 6, {5: (40.0, 1.0)}, "one")
LEKIWI = Case(LEKIWI_NAMES, 9, {5: (60.0, 2.0)}, "one")
OPENARM = Case(OPENARM_NAMES, 24, {21: (-65.0, 0.0)}, "one")
BI_OPENARM = Case(_sided(OPENARM_NAMES), 48, {21: (-65.0, 0.0), 45: (-60.0, -1.0)}, "two")
REBOT = Case(REBOT_NAMES, 7, {6: (-200.0, 0.0)}, "one")
BI_REBOT = Case(_sided(REBOT_NAMES), 14, {6: (-200.0, 0.0), 13: (-180.0, -2.0)}, "two")
R_GRIP, L_GRIP = REACHY2_NAMES.index("r_gripper.pos"), REACHY2_NAMES.index("l_gripper.pos")
NO_GRIPPER = Case(HOPE_JR_HAND_NAMES, 8, {}, "no-gripper")
CASES: dict[str, Case] = {
    "so_follower": SO,
    "so100_follower": SO,
    "so101_follower": SO,
    "bi_so_follower": BI_SO,
    "bi_so100_follower": BI_SO,
    "so100": LEGACY,
    "so101": LEGACY,
    "moss": LEGACY,
    "koch_follower": Case(SO_NAMES, 6, {5: (70.0, 5.0)}, "one"),
    "koch": Case(SO100_NAMES, 6, {5: (90.0, 0.0)}, "one"),
    "koch_bimanual": Case(_sided(SO_JOINTS), 12, {5: (90.0, 0.0), 11: (85.0, 2.0)}, "two"),
    "lekiwi": LEKIWI,
    "lekiwi_client": LEKIWI,
    "omx_follower": Case(SO_NAMES, 6, {5: (80.0, 50.0)}, "one"),
    "openarm_follower": OPENARM,
    "bi_openarm_follower": BI_OPENARM,
    "rebot_b601_follower": REBOT,
    "bi_rebot_b601_follower": BI_REBOT,
    "reachy2": Case(REACHY2_NAMES, 24, {R_GRIP: (80.0, 5.0), L_GRIP: (80.0, 5.0)}, "state-map"),
    "aloha": Case({"motors": ALOHA_NAMES}, 14, {6: (1.0, 0.0), 13: (1.0, 0.0)}, "two"),
    "franka": Case({"axes": DROID_STATE_NAMES}, 8, {7: (0.0, 1.0)}, "one"),
    # LIBERO: finger 1 opens towards +0.04, finger 2 towards -0.04
    "panda": Case(
        {
            "motors": [
                "x",
                "y",
                "z",
                "axis_angle1",
                "axis_angle2",
                "axis_angle3",
                "gripper",
                "gripper",
            ]
        },
        8,
        {6: (0.04, 0.0), 7: (-0.04, 0.0)},
        "one",
    ),
    "hope_jr_arm": Case(
        [f"{j}.pos" for j in ("shoulder_pitch", "shoulder_yaw", "shoulder_roll", "elbow_flex")],
        4,
        {},
        "no-gripper",
    ),
    "hope_jr_hand": NO_GRIPPER,
    "unitree_g1": Case(["LeftHipPitch.q", "LeftKnee.q", "RightHipPitch.q"], 3, {}, "no-gripper"),
    "unknown": Case({"motors": MOTOR_NAMES}, 7, {6: (0.08, 0.01)}, "nothing"),
}


def test_every_robot_type_in_the_table_has_a_fixture() -> None:
    assert set(CASES) == {t for r in ROBOTS for t in r.types}


def build(root: Path, robot_type: str, case: Case, version: str = "v3.0", **kw: Any) -> Path:
    grippers = {
        i: gripper_series(N, opened, closed, CLOSE if k == 0 else CLOSE_RIGHT)
        for k, (i, (opened, closed)) in enumerate(case.grippers.items())
    }
    eps = [Ep("Pick up the cube.", robot_state(N, case.size, grippers))]
    return make_dataset(
        root, eps, version=version, robot_type=robot_type, names=case.names, fps=FPS, **kw
    )


@pytest.mark.parametrize("robot_type", sorted(CASES))
def test_robot_type_gives_its_gripper_facts_or_says_what_to_pass(
    tmp_path: Path, robot_type: str
) -> None:
    case = CASES[robot_type]
    root = build(tmp_path / "ds", robot_type, case)
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert report.added == 1 and not report.skipped
    clip = store.clips.get("ds/episode_000000")
    tel = clip.telemetry
    facts = tel.facts()
    robot = robot_for(robot_type)
    assert robot is not None
    (note,) = [n for n in report.notes if n.startswith("telemetry of ds")]  # once per dataset
    assert f"robot type {robot_type!r}" in note
    if case.expect == "one":
        assert tel.gripper is not None and tel.grippers is None
        assert f"t={CLOSE / FPS:.1f}s: the gripper closes" in facts
    elif case.expect == "two":
        assert tel.gripper is None and set(tel.grippers or {}) == {"left", "right"}
        assert f"t={CLOSE / FPS:.1f}s: the left gripper closes" in facts
        assert f"t={CLOSE_RIGHT / FPS:.1f}s: the right gripper closes" in facts
    elif case.expect == "state-map":  # found both grippers, direction unknown: both named
        assert tel.gripper is None and tel.grippers is None
        assert (
            "--state-map left_gripper=l_gripper.pos:open_high "
            "--state-map right_gripper=r_gripper.pos:open_high"
        ) in note
    elif case.expect == "no-gripper":
        assert tel.gripper is None and tel.grippers is None
        assert "records no gripper" in note
    else:
        assert tel.gripper is None and tel.grippers is None
        assert "found nothing usable" in note and "--state-map gripper=motor_6:open_high" in note
    assert "not found:" in note and "success" in note  # none of these fixtures records success
    assumed = case.expect in ("one", "two") and not robot.sure
    stored = clip.meta[NOTE_META_KEY]
    assert stored == tel.note and f"note: {stored}" in facts
    assert ("The gripper direction is assumed" in stored) == assumed
    assert any("direction assumed" in n for n in report.notes) == assumed


def test_two_arm_robot_prints_both_state_map_lines_once(tmp_path: Path) -> None:
    root = build(tmp_path / "reachy", "reachy2", CASES["reachy2"])
    result = CliRunner().invoke(app, ["ingest", str(root), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # the console wraps long notes
    assert text.count("telemetry of reachy") == 1
    assert "robot type 'reachy2'" in text
    assert "left_gripper=l_gripper.pos:open_high" in text
    assert "right_gripper=r_gripper.pos:open_high" in text


# --- today's names give the same facts as the old ones ---------------------------------------


@pytest.mark.parametrize("version", ["v2.1", "v3.0"])
def test_so_follower_with_today_names_matches_the_old_names(tmp_path: Path, version: str) -> None:
    def eps() -> list[Ep]:
        g0 = gripper_series(50, 45.0, 1.5, 12, 30)
        g1 = gripper_series(50, 45.0, 14.0, 20, 44)  # stops part-way: holding
        g2 = gripper_series(50, 45.0, 1.5, 8)
        return [
            Ep("Pick up the cube.", robot_state(50, 6, {5: g}), success=bool(i % 2))
            for i, g in enumerate((g0, g1, g2))
        ]

    old = make_dataset(tmp_path / "old", eps(), version=version, robot_type="so100", fps=FPS)
    new = make_dataset(
        tmp_path / "new", eps(), version=version, robot_type="so_follower", names=SO_NAMES, fps=FPS
    )
    store = Store(tmp_path / "r.db")
    ingest(store, old)
    report = ingest(store, new)
    closings = 0
    for i in range(3):
        before = facts_of(store, f"old/episode_{i:06d}")
        now = facts_of(store, f"new/episode_{i:06d}")
        assert gripper_facts(now) == gripper_facts(before) and gripper_facts(now)
        closings += sum("closes" in f for f in gripper_facts(now))
        assert [f for f in now if f.startswith("outcome")] == [
            f for f in before if f.startswith("outcome")
        ]
    assert closings == 3
    # the new type's direction is LeRobot's convention, not a certainty: the clips say so
    assert any("direction assumed for robot type 'so_follower'" in n for n in report.notes)
    assert "direction is assumed" in store.clips.get("new/episode_000000").meta[NOTE_META_KEY]
    assert "direction" not in (store.clips.get("old/episode_000000").meta.get(NOTE_META_KEY) or "")


def test_end_effector_recording_names(tmp_path: Path) -> None:
    ee = np.zeros((N, 7), dtype=np.float32)
    ee[:, 2] = np.linspace(0.10, 0.20, N)
    ee[:, 6] = gripper_series(N, 50.0, 3.0, CLOSE)
    root = make_dataset(
        tmp_path / "ee", [Ep("Lift.", ee)], robot_type="so_follower", names=EE_NAMES, fps=FPS
    )
    store = Store(tmp_path / "r.db")
    ingest(store, root)
    tel = Telemetry.model_validate(store.clips.get("ee/episode_000000").telemetry)
    assert tel.ee_pos is not None and tel.ee_pos[-1][2] == pytest.approx(0.20, abs=1e-4)
    assert f"t={CLOSE / FPS:.1f}s: the gripper closes" in tel.facts()


# --- ranges from the data ---------------------------------------------------------------------


def aloha18(root: Path, version: str, **kw: Any) -> Path:
    grippers = {
        8: gripper_series(N, 95.0, 2.0, CLOSE),
        17: gripper_series(N, 95.0, 30.0, CLOSE_RIGHT),  # holds something
    }
    closing = {i: gripper_series(N, 95.0, 2.0, CLOSE) for i in (8, 17)}
    eps = [Ep("Hand over the cup.", robot_state(N, 18, g)) for g in (grippers, closing)]
    names = {"motors": ALOHA18_NAMES}
    return make_dataset(root, eps, version=version, robot_type="aloha", names=names, fps=FPS, **kw)


@pytest.mark.parametrize("version", ["v2.1", "v3.0"])
def test_aloha_recorded_with_lerobot_uses_its_own_0_to_100_range(
    tmp_path: Path, version: str
) -> None:
    root = aloha18(tmp_path / "aloha18", version)
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    facts = facts_of(store, "aloha18/episode_000000")
    assert f"t={CLOSE / FPS:.1f}s: the left gripper closes" in facts
    held = (30.0 - 2.0) / (95.0 - 2.0)
    assert (
        f"t={CLOSE_RIGHT / FPS:.1f}s: the right gripper closes but stops part-way "
        f"({held:.0%} open): likely holding something"
    ) in facts
    where = "q01/q99" if version == "v3.0" else "min/max"
    assert any(
        "outside the 0 (closed) .. 1 (open) assumed for robot type 'aloha'" in n and where in n
        for n in report.notes
    )


def test_fixed_scale_without_stats_gives_way_per_episode(tmp_path: Path) -> None:
    root = aloha18(tmp_path / "aloha18", "v2.1", stats=False)
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert f"t={CLOSE / FPS:.1f}s: the left gripper closes" in facts_of(
        store, "aloha18/episode_000000"
    )
    assert any("2 episode(s) ran outside the aloha scale" in n for n in report.notes)


def test_official_aloha_keeps_its_0_to_1_scale(tmp_path: Path) -> None:
    # grippers never fully open in this episode: the fixed scale, not the data's range, decides
    grippers = {6: gripper_series(N, 0.8, 0.05, CLOSE), 13: gripper_series(N, 0.7, 0.4, CLOSE)}
    eps = [Ep("Hand over.", robot_state(N, 14, grippers))]
    root = make_dataset(
        tmp_path / "aloha", eps, robot_type="aloha", names={"motors": ALOHA_NAMES}, fps=FPS
    )
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    tel = Telemetry.model_validate(store.clips.get("aloha/episode_000000").telemetry)
    assert tel.grippers is not None
    assert tel.grippers["left"][0] == pytest.approx(0.8) and tel.grippers["right"][-1] == 0.4
    assert not any("outside" in n for n in report.notes)


def test_stats_quantiles_are_preferred_to_min_and_max(tmp_path: Path) -> None:
    root = build(tmp_path / "so", "so_follower", SO)
    stats_path = root / "meta" / "stats.json"
    stats = json.loads(stats_path.read_text())
    stats["observation.state"]["min"][5] = -500.0  # one wild sample
    stats_path.write_text(json.dumps(stats))
    lo, hi, where = Layout(root).feature_range("observation.state", 5)
    assert (lo, hi) == pytest.approx((2.0, 60.0)) and where == "meta/stats.json q01/q99"


# --- success ----------------------------------------------------------------------------------


def droid(root: Path, successes: list[bool]) -> Path:
    eps = []
    for ok in successes:
        g = gripper_series(N, 0.0, 0.9, CLOSE)  # 0 = open .. 1 = closed
        cart = np.zeros((N, 6), dtype=np.float32)
        cart[:, 2] = np.linspace(0.3, 0.5, N)
        columns = {
            "observation.state.gripper_position": g[:, None],
            "observation.state.cartesian_position": cart,
            "is_episode_successful": np.full(N, ok),
        }
        eps.append(Ep("Put the marker in the cup.", robot_state(N, 8, {7: g}), columns=columns))
    features = {
        "observation.state.gripper_position": {
            "dtype": "float32",
            "shape": [1],
            "names": {"axes": ["gripper"]},
        },
        "observation.state.cartesian_position": {
            "dtype": "float32",
            "shape": [6],
            "names": {"axes": ["x", "y", "z", "roll", "pitch", "yaw"]},
        },
    }
    return make_dataset(
        root,
        eps,
        version="v3.0",
        robot_type="Franka",
        names={"axes": DROID_STATE_NAMES},
        fps=FPS,
        features=features,
    )


def test_droid_port_success_gripper_and_cartesian_position(tmp_path: Path) -> None:
    root = droid(tmp_path / "droid", [True, False])
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert report.added == 2
    tel = Telemetry.model_validate(store.clips.get("droid/episode_000000").telemetry)
    facts = tel.facts()
    assert "outcome: the task SUCCEEDED" in facts
    assert f"t={CLOSE / FPS:.1f}s: the gripper closes" in facts  # larger = more closed
    assert tel.ee_pos is not None and tel.ee_pos[-1][2] == pytest.approx(0.5)
    assert "outcome: the task FAILED" in facts_of(store, "droid/episode_000001")
    assert "ee=x,y,z" in report.source and "gripper=gripper:open_low" in report.source
    # Franka's direction is the DROID port's; other Franka data store an opening width
    assert any("direction assumed for robot type 'Franka'" in n for n in report.notes)
    assert not any(n.startswith("telemetry of droid") for n in report.notes)  # nothing missing


def hil_serl(root: Path, rewards: list[list[float]]) -> Path:
    eps = [
        Ep(
            "Pick up the cube.",
            robot_state(len(r), 4, {}),
            columns={"next.reward": np.asarray(r, dtype=np.float32)},
        )
        for r in rewards
    ]
    # gym_manipulator records without a robot: robot_type and names are null
    return make_dataset(root, eps, version="v3.0", robot_type=None, names=None, fps=FPS)


def test_next_reward_read_as_success_when_it_is_0_or_1(tmp_path: Path) -> None:
    root = hil_serl(tmp_path / "hil", [[0.0] * 19 + [1.0], [0.0] * 20])
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert "outcome: the task SUCCEEDED" in facts_of(store, "hil/episode_000000")
    assert "outcome: the task FAILED" in facts_of(store, "hil/episode_000001")
    (note,) = [n for n in report.notes if n.startswith("telemetry of hil")]
    assert "success (next.reward, 1 = success)" in note and "robot type '(none)'" in note


def test_dense_reward_is_not_success(tmp_path: Path) -> None:
    root = hil_serl(tmp_path / "dense", [list(np.linspace(0, 0.9, 20))])
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert not any(f.startswith("outcome") for f in facts_of(store, "dense/episode_000000"))
    assert any("a dense reward, not read as success" in n for n in report.notes)


# --- nothing found ----------------------------------------------------------------------------


def test_unknown_dataset_says_it_has_no_telemetry(tmp_path: Path) -> None:
    root = build(tmp_path / "pusht_like", "unknown", CASES["unknown"], version="v2.1")
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    (note,) = [n for n in report.notes if n.startswith("telemetry of pusht_like")]
    assert "robot type 'unknown'" in note and "found nothing usable" in note
    assert "not found: gripper, end-effector position, success" in note
    assert "motor_0, motor_1" in note and "--state-map gripper=motor_6:open_high" in note
    clip = store.clips.get("pusht_like/episode_000000")
    assert clip.meta[NOTE_META_KEY].startswith("No telemetry for this dataset")
    tel = clip.telemetry
    assert tel.facts() == [f"note: {clip.meta[NOTE_META_KEY]}"]
    draft = OfflineDrafter().review("The arm picks up the cube.", tel)
    assert "No telemetry for this dataset" in draft.observations
    # the line the note suggests works
    report = ingest(store, root, state_map=["gripper=motor_6:open_high"])
    assert report.updated == 1
    facts = facts_of(store, "pusht_like/episode_000000")
    assert f"t={CLOSE / FPS:.1f}s: the gripper closes" in facts
    assert "has the gripper but no success flag" in store.clips.get(clip.id).meta[NOTE_META_KEY]


# --- profiles ---------------------------------------------------------------------------------


def umi(root: Path) -> Path:
    width = gripper_series(N, 0.08, 0.03, CLOSE)  # metres between the fingers
    state = robot_state(N, 7, {6: width})
    state[:, 2] = np.linspace(0.1, 0.2, N)
    return make_dataset(
        root, [Ep("Put the cup on the saucer.", state)], robot_type="unknown",
        names={"motors": MOTOR_NAMES}, fps=FPS,
    )  # fmt: skip


def test_umi_profile_by_folder_name_or_flag(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    report = ingest(store, umi(tmp_path / "umi_cup_in_the_wild"))
    tel = Telemetry.model_validate(store.clips.get("umi_cup_in_the_wild/episode_000000").telemetry)
    assert f"t={CLOSE / FPS:.1f}s: the gripper closes" in tel.facts()
    assert tel.ee_pos is not None and tel.ee_pos[-1][2] == pytest.approx(0.2)
    assert "profile umi" in report.source
    assert any("profile umi (dataset umi_cup_in_the_wild)" in n for n in report.notes)
    renamed = umi(tmp_path / "my_umi_copy")
    assert "gripper" not in store_clip_telemetry(tmp_path, renamed, "a.db")
    store_b = Store(tmp_path / "b.db")
    ingest(store_b, renamed, profile="umi")
    assert "gripper" in store_b.clips.get("my_umi_copy/episode_000000").telemetry_json
    with pytest.raises(RecapError, match="--profile 'nope': no such profile"):
        ingest(store_b, renamed, profile="nope")
    so = build(tmp_path / "so", "so_follower", SO)
    with pytest.raises(RecapError, match=r"expects observation\.state with 7 values"):
        ingest(store_b, so, profile="umi")


def store_clip_telemetry(tmp_path: Path, root: Path, db: str) -> dict[str, Any]:
    store = Store(tmp_path / db)
    ingest(store, root)
    return store.clips.get(f"{root.name}/episode_000000").telemetry_json


def test_droid_100_profile_reads_motor_6_as_closed_high(tmp_path: Path) -> None:
    state = robot_state(N, 7, {6: gripper_series(N, 0.0, 1.0, CLOSE)})
    root = make_dataset(
        tmp_path / "droid_100", [Ep("Open the drawer.", state)], robot_type="unknown",
        names={"motors": MOTOR_NAMES}, fps=FPS,
    )  # fmt: skip
    store = Store(tmp_path / "r.db")
    ingest(store, root)
    assert f"t={CLOSE / FPS:.1f}s: the gripper closes" in facts_of(
        store, "droid_100/episode_000000"
    )


def test_profiles_cite_their_source() -> None:
    assert all("@" in p.source and p.gripper is not None for p in PROFILES)
    assert all("@" in r.source for r in ROBOTS)


# --- README -----------------------------------------------------------------------------------


def test_readme_has_the_table_generated_from_the_code() -> None:
    assert markdown_table() in README.read_text()
