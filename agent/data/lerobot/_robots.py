"""What LeRobot's robot types record as gripper state: one table, the single source.

`ROBOTS` says, per `robot_type` in `meta/info.json`, which way the gripper value runs
(larger = more open, `open_high`; larger = more closed, `open_low`; or not known), in what units,
and where in LeRobot's own source that comes from (file, lines and commit). A direction that is
a convention some datasets break is `sure=False`: it is used, and the clips say it was assumed.
`PROFILES` name the gripper and end-effector dims of common datasets whose state LeRobot wrote
without names (`motor_0 ... motor_N`, robot type "unknown"), each citing the converter that
built it. The README's table is generated from these (`markdown_table`) and a test keeps the
two equal.

Commits (huggingface/lerobot unless a repo is named): 7427f318 (2026-08-23, after v0.6.1) is
today's code; b536f47e is the parent of e23b41e7 ("Hardware API redesign", 2025-06-05), the last
commit with the pre-v0.3 robot API; 32eb0cec holds the v1 -> v2 dataset converters; f25ac02e is
tag v0.4.0. How a robot type gets into info.json: `lerobot-record` passes
`robot_type=robot.name` (src/lerobot/scripts/lerobot_record.py:467 @7427f318), the robot
class's `name`, not the `--robot.type` given on the command line: `--robot.type=so101_follower`
records "so_follower".
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How far (as a share of the assumed span) a dataset's values may stray past a robot type's
# assumed (closed, open) range before recap trusts the dataset's own range instead: ALOHA's
# simulated grippers run slightly past 0..1 (gym-aloha does not clip), while ALOHA recorded with
# LeRobot itself runs 0..100.
RANGE_TOLERANCE = 0.25

SO_WHY = (
    "LeRobot's convention is 0 = closed, 100 = open (docs/source/isaac_teleop.mdx:322-325), "
    "but robots/so_follower/robot_kinematic_processor.py:414-418 assumes the opposite and a "
    "mirrored gripper motor inverts it (huggingface/lerobot#3942)"
)


@dataclass(frozen=True)
class Robot:
    """One row of the robot table."""

    types: tuple[str, ...]  # robot_type values, lower-case
    open_high: bool | None  # True: larger = more open; False: larger = more closed; None: unknown
    sure: bool  # False: used, but the clips say the direction was assumed (and why)
    gripper: str  # the gripper state names LeRobot writes for it
    units: str
    source: str
    why: str = ""  # why the direction is not sure
    # (closed, open) when the robot's datasets store the gripper on a fixed scale; checked
    # against the dataset's stats before use
    gripper_range: tuple[float, float] | None = None
    # direction by index of observation.state, for robots whose two fingers move oppositely
    fingers: tuple[tuple[int, bool], ...] = field(default=())
    has_gripper: bool = True

    def direction(self, feature: str, index: int) -> bool | None:
        """Which way the gripper at `feature[index]` opens on this robot."""
        if self.fingers:
            if feature != "observation.state":
                return None
            return dict(self.fingers).get(index)
        return self.open_high


ROBOTS: tuple[Robot, ...] = (
    Robot(
        ("so_follower",),
        True,
        False,
        "`gripper.pos`",
        "0..100 % of the calibrated travel (`MotorNormMode.RANGE_0_100`)",
        "src/lerobot/robots/so_follower/so_follower.py:44-66 @7427f318 (SO-100 and SO-101 "
        "since ccfd609e, v0.4.3)",
        SO_WHY,
    ),
    Robot(
        ("so100_follower", "so101_follower"),
        True,
        False,
        "`gripper.pos`",
        "0..100 % of the calibrated travel",
        "src/lerobot/robots/so100_follower/so100_follower.py:43-57 @f25ac02e (v0.4.0; "
        "v0.3.2 .. v0.4.2)",
        SO_WHY,
    ),
    Robot(
        ("bi_so_follower",),
        True,
        False,
        "`left_gripper.pos`, `right_gripper.pos`",
        "0..100 % per arm",
        "src/lerobot/robots/bi_so_follower/bi_so_follower.py:37,90-97 @7427f318",
        SO_WHY,
    ),
    Robot(
        ("bi_so100_follower",),
        True,
        False,
        "`left_gripper.pos`, `right_gripper.pos`",
        "0..100 % per arm",
        "src/lerobot/robots/bi_so100_follower/bi_so100_follower.py:38 @473f1bd0 (d791a431^)",
        SO_WHY,
    ),
    Robot(
        ("so100", "so101", "moss"),
        True,
        True,
        "`main_gripper`",
        "0..100 %, 0 = the closed zero pose (LINEAR calibration)",
        "lerobot/common/robot_devices/robots/configs.py:371-517, "
        "lerobot/common/robot_devices/motors/feetech.py:42-47 @b536f47e (before v0.3.2)",
    ),
    Robot(
        ("koch_follower",),
        True,
        False,
        "`gripper.pos`",
        "0..100 % of the calibrated travel (Dynamixel)",
        "src/lerobot/robots/koch_follower/koch_follower.py:45-67 @7427f318",
        "unverified: LeRobot states no direction for Koch's 0..100 (it follows how the motor "
        "turns; calibration sets drive_mode 0); the older Koch API opened towards larger values",
    ),
    Robot(
        ("koch", "koch_bimanual"),
        True,
        True,
        "`main_gripper`; `left_gripper`, `right_gripper`",
        "degrees, 0 at the closed zero pose, about +90 open (DEGREE calibration)",
        "lerobot/common/robot_devices/robots/configs.py:211-366, "
        "lerobot/common/robot_devices/robots/dynamixel_calibration.py:127-134 @b536f47e",
    ),
    Robot(
        ("lekiwi", "lekiwi_client"),
        True,
        False,
        "`arm_gripper.pos` (before v0.3.2: `gripper`)",
        "0..100 % of the calibrated travel (the SO arm's Feetech gripper)",
        "src/lerobot/robots/lekiwi/lekiwi.py:50-69,92, "
        "src/lerobot/robots/lekiwi/lekiwi_client.py:35 @7427f318",
        SO_WHY,
    ),
    Robot(
        ("omx_follower",),
        True,
        True,
        "`gripper.pos`",
        "0..100 % of the full encoder range: in practice about 50 (closed) .. 80 (open)",
        "src/lerobot/robots/omx_follower/omx_follower.py:45-59, "
        "examples/omx/reset_environment.py:13 @7427f318",
    ),
    Robot(
        ("openarm_follower", "bi_openarm_follower"),
        False,
        True,
        "`gripper.pos`; `left_gripper.pos`, `right_gripper.pos`",
        "degrees, 0 = closed .. -65 = open (default limits)",
        "src/lerobot/robots/openarm_follower/config_openarm_follower.py:31,42, "
        "src/lerobot/teleoperators/openarm_mini/openarm_mini.py:228 @7427f318",
    ),
    Robot(
        ("rebot_b601_follower", "bi_rebot_b601_follower"),
        False,
        False,
        "`gripper.pos`; `left_gripper.pos`, `right_gripper.pos`",
        "degrees, 0 = closed, limit -270",
        "src/lerobot/robots/rebot_b601_follower/rebot_b601_follower.py:66, "
        "config_rebot_b601_follower.py:90-99, docs/source/rebot_b601.mdx:61 @7427f318",
        "inferred from the joint limit (-270, 0) and the zero pose 'gripper fully closed'; "
        "the code does not state it",
    ),
    Robot(
        ("reachy2",),
        None,
        False,
        "`r_gripper.pos`, `l_gripper.pos`",
        "degrees (reachy2_sdk present_position); direction unverified",
        "src/lerobot/robots/reachy2/robot_reachy2.py:54,65,81 @7427f318",
    ),
    Robot(
        ("aloha",),
        True,
        True,
        '`left_gripper`, `right_gripper` (`{"motors": [...]}`)',
        "official lerobot/aloha_* (14 values): 0 = closed .. 1 = open (gym-aloha's "
        "normalisation; the real sets' ACT constants unverified first-hand); recorded with "
        "LeRobot itself (18 values, with `*_shadow` joints): 0..100 %, read from the stats",
        "lerobot/common/datasets/v2/convert_dataset_v1_to_v2.py:155-224 @32eb0cec; "
        "huggingface/gym-aloha gym_aloha/constants.py:72-96 @fa65a75; "
        "lerobot/common/robot_devices/motors/dynamixel.py:42-44 @b536f47e",
        gripper_range=(0.0, 1.0),
    ),
    Robot(
        ("franka",),
        False,
        False,
        "`observation.state.gripper_position`, `gripper`",
        "0 = open .. 1 = closed (DROID: 1 - width / max width)",
        "examples/port_datasets/port_droid.py:30,68-94 @7427f318; "
        "droid-dataset/droid droid/franka/robot.py @75aa4f41",
        "that is LeRobot's DROID port; other Franka datasets store an opening width, "
        "larger = more open",
    ),
    Robot(
        ("panda",),
        None,
        False,
        "`observation.state[6]`, `[7]` (the two fingers)",
        "finger joint positions, 0..0.04 each: finger 1 (index 6) larger = more open, "
        "finger 2 (index 7) larger = more closed",
        "docs/source/libero.mdx:113, src/lerobot/envs/libero.py:294-313 @7427f318; "
        "ARISE-Initiative/robosuite robosuite/models/grippers/panda_gripper.py @022f723f",
        "LIBERO's 8-value state is assumed (eef position, axis-angle, two fingers); "
        "'panda' is the robot type on the lerobot/libero_10 dataset card (unverified "
        "first-hand), not in LeRobot's code",
        fingers=((6, True), (7, False)),
    ),
    Robot(
        ("hope_jr_arm", "hope_jr_hand", "unitree_g1"),
        None,
        True,
        "none (a hand of finger joints; a humanoid's joints)",
        "-",
        "src/lerobot/robots/hope_jr/hope_jr_arm.py:39, hope_jr_hand.py:63, "
        "src/lerobot/robots/unitree_g1/unitree_g1.py:150 @7427f318",
        has_gripper=False,
    ),
    Robot(
        ("unknown",),
        None,
        True,
        "unnamed: `motor_0 ... motor_N`",
        "-",
        "lerobot/common/datasets/v2/convert_dataset_v1_to_v2.py:206-224,535-538 @32eb0cec "
        "(pusht, xarm, UMI and the Open-X ports); see the profiles",
    ),
)


def robot_for(robot_type: str) -> Robot | None:
    """The table row for a robot_type: an exact match (ignoring case), else the longest type
    it starts with followed by `_` or `-` (`aloha_sim`, `aloha-stationary` are ALOHA)."""
    rt = robot_type.strip().lower()
    if not rt:
        return None
    best: tuple[int, Robot] | None = None
    for robot in ROBOTS:
        for name in robot.types:
            if rt == name:
                return robot
            longer = best is None or len(name) > best[0]
            if longer and rt.startswith(name) and rt[len(name)] in "_-":
                best = (len(name), robot)
    return best[1] if best else None


@dataclass(frozen=True)
class Profile:
    """The state layout of a dataset LeRobot converted without names (`motor_i`)."""

    name: str  # what --profile takes
    datasets: tuple[str, ...]  # dataset folder names it applies to on its own
    size: int  # how many values observation.state has
    gripper: int | None  # index of the gripper in observation.state
    open_high: bool | None
    ee: tuple[int, int, int] | None  # indices of end-effector x, y, z (metres)
    units: str
    source: str


PROFILES: tuple[Profile, ...] = (
    Profile(
        "umi",
        ("umi_cup_in_the_wild",),
        7,
        6,
        True,
        (0, 1, 2),
        "motor_0..2 = robot0_eef_pos; motor_6 = robot0_gripper_width (the distance between "
        "the fingers, larger = more open; metres per UMI, unverified first-hand)",
        "lerobot/common/datasets/push_dataset_to_hub/umi_zarr_format.py:49-51,81-86,144-152 "
        "@32eb0cec",
    ),
    Profile(
        "droid_100",
        ("droid_100",),
        7,
        6,
        False,
        (0, 1, 2),
        "motor_0..5 = cartesian_position (x, y, z, roll, pitch, yaw); motor_6 = "
        "gripper_position, 0 = open .. 1 = closed",
        "lerobot/common/datasets/push_dataset_to_hub/openx/droid_utils.py:107-113, "
        "openx/configs.yaml:576-585 @32eb0cec",
    ),
)


def profile_named(name: str) -> Profile | None:
    return next((p for p in PROFILES if p.name == name.strip().lower()), None)


def profile_for(dataset: str, robot_type: str, size: int) -> Profile | None:
    """The profile a dataset gets without --profile: its folder is named as one of the
    profile's datasets, its robot type is "unknown" (or not given), and its
    observation.state has the profile's size."""
    if robot_type.strip().lower() not in ("", "unknown"):
        return None
    return next((p for p in PROFILES if dataset in p.datasets and size == p.size), None)


def _direction(robot: Robot) -> str:
    if robot.fingers:
        return "per finger (see units)"
    if robot.open_high is None:
        return "not known: pass `--state-map`" if robot.has_gripper else "-"
    word = "larger = more open" if robot.open_high else "larger = more closed"
    return word + ("" if robot.sure else " (likely)")


def markdown_table() -> str:
    """The README's tables of robot types and profiles, generated from ROBOTS and PROFILES."""
    lines = [
        "| robot_type | gripper state | units | direction | source |",
        "|---|---|---|---|---|",
    ]
    for r in ROBOTS:
        types = ", ".join(f"`{t}`" for t in r.types)
        cells = (types, r.gripper, r.units, _direction(r), r.source)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", "Why a direction is only likely (recap uses it and says so on the clips):", ""]
    reasons: dict[str, list[str]] = {}
    for r in ROBOTS:
        if r.why:
            reasons.setdefault(r.why, []).extend(r.types)
    lines += [f"- {', '.join(f'`{t}`' for t in ts)}: {why}." for why, ts in reasons.items()]
    lines += [
        "",
        "| profile | matches datasets | state layout | source |",
        "|---|---|---|---|",
    ]
    for p in PROFILES:
        cells = (f"`{p.name}`", ", ".join(f"`{d}`" for d in p.datasets), p.units, p.source)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
