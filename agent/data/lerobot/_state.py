"""Named robot state -> telemetry: which dimensions are grippers and end-effector position.

LeRobot datasets name each state dimension in `meta/info.json` (`features[...]["names"]`, in
any shape LeRobot writes: see `Layout.names`). Each name is normalised first (`canonical`):
lower-cased, a trailing `.pos` and a leading `ee.` dropped, then an arm marker (`left_`,
`right_`, `l_`, `r_`; and `arm_`, `main_`) split off. So `gripper.pos` (SO followers since
v0.3.2), `main_gripper` (before), `left_gripper.pos` (two-arm rigs), `r_gripper.pos` (Reachy2),
`arm_gripper.pos` (LeKiwi) and `ee.gripper_pos` are all grippers, while `gripper.vel`,
`gripper.torque` and `r_antenna.pos` are not: a dim is a gripper only when what is left is
exactly one of GRIPPER_NAMES. A left and a right gripper make two named grippers.

- end-effector position: dims whose normalised names are `x, y, z` (so `ee.x, ee.y, ee.z`),
  `ee_x ...`, `eef_pos_x ...` (EE_TRIPLES), or the first three of a feature such as
  `observation.state.cartesian_position` (the DROID port);
- datasets without names (`motor_0 ... motor_N`): a profile (`_robots.PROFILES`) names their
  gripper and end-effector dims, matched by the dataset's folder name or `--profile`;
- success is read by the reader (`next.success`, `is_episode_successful`, `next.reward`,
  episode metadata).

Each gripper is normalised per episode to an opening fraction, 0 = closed .. 1 = open. Which way
a robot's gripper runs comes from the robot table (`_robots.ROBOTS`, by `robot_type`), a
profile, or `--state-map`; a gripper whose direction is not known is left out, and ingest says
so with the `--state-map` line to pass. A direction the table marks as not sure (the SO
followers: LeRobot's own code disagrees about it) is used, and the clips carry a note saying it
was assumed. The closed and open values are, in order: given in `--state-map`; the robot type's
fixed scale (ALOHA 0..1) unless the dataset's stats run well outside it (ALOHA recorded with
LeRobot itself: 0..100); the dataset's own range (meta/stats.json q01/q99, else min/max; v2.1's
meta/episodes_stats.jsonl); or the episode's min/max.

`coverage` writes what a dataset's telemetry has and lacks: one note for `recap ingest` to print
(with the `--state-map` line to pass) and one short note stored with every clip
(`meta["telemetry_note"]` and the telemetry's `note`, which the draft's facts include).

`--state-map` entries (repeat the flag or separate with `;`):

    gripper=main_gripper:open_high           the gripper dim and its direction
    gripper=main_gripper:open_high:2:45      ... with its fully closed and fully open values
    left_gripper=left_gripper:open_high      a two-arm robot's grippers
    ee=ee_x,ee_y,ee_z                        end-effector position dims (metres)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.data.lerobot._layout import Layout
from agent.data.lerobot._robots import (
    PROFILES,
    RANGE_TOLERANCE,
    Profile,
    Robot,
    profile_for,
    profile_named,
    robot_for,
)
from agent.errors import RecapError

SIDE_MARKERS = (("left_", "left"), ("right_", "right"), ("l_", "left"), ("r_", "right"))
ARM_MARKERS = ("arm_", "main_")
GRIPPER_NAMES = ("gripper", "gripper_pos", "gripper_position", "gripper_width", "gripper_state")
EE_TRIPLES = (
    ("x", "y", "z"),
    ("ee_x", "ee_y", "ee_z"),
    ("eef_x", "eef_y", "eef_z"),
    ("eef_pos_x", "eef_pos_y", "eef_pos_z"),
    ("ee_pos_x", "ee_pos_y", "ee_pos_z"),
    ("cartesian_position_0", "cartesian_position_1", "cartesian_position_2"),
)
EE_FEATURES = (
    "observation.state.cartesian_position",
    "observation.state.ee_pos",
    "observation.ee_pos",
    "observation.eef_pos",
)
STATE = "observation.state"


def canonical(name: str) -> tuple[str, str]:
    """(side, core) of a state name: `left_gripper.pos` -> ("left", "gripper"),
    `ee.gripper_pos` -> ("", "gripper_pos"), `gripper.vel` -> ("", "gripper.vel")."""
    core = name.strip().lower().removesuffix(".pos").removeprefix("ee.")
    side = ""
    for marker, which in SIDE_MARKERS:
        if core.startswith(marker):
            side, core = which, core[len(marker) :]
            break
    for marker in ARM_MARKERS:
        if core.startswith(marker):
            core = core[len(marker) :]
            break
    return side, core


@dataclass(frozen=True)
class Dim:
    """One state dimension: a feature column and an index into its vector."""

    feature: str
    index: int
    name: str


@dataclass
class GripperSpec:
    dim: Dim
    label: str  # "" for a single gripper, "left"/"right" for two arms
    open_high: bool | None
    closed: float | None = None
    opened: float | None = None
    range_from: str = "each episode's min/max"
    fixed: bool = False  # closed/opened are the robot type's scale, not the dataset's
    outside: int = 0  # episodes whose values ran outside that fixed scale


@dataclass
class StateMap:
    """Where the telemetry signals are in a dataset's columns, and what is missing."""

    grippers: list[GripperSpec] = field(default_factory=list)
    ee: list[Dim] | None = None
    notes: list[str] = field(default_factory=list)
    robot: Robot | None = None
    profile: Profile | None = None
    undirected: list[GripperSpec] = field(default_factory=list)  # found, direction unknown
    assumed: list[GripperSpec] = field(default_factory=list)  # direction not sure
    dims: list[Dim] = field(default_factory=list)
    clip_note: str | None = None  # what every clip of the dataset carries

    @property
    def columns(self) -> set[str]:
        cols = {g.dim.feature for g in self.grippers}
        cols |= {d.feature for d in self.ee or []}
        return cols

    def describe(self) -> str:
        parts = [
            f"{g.label + ' ' if g.label else ''}gripper={g.dim.name}:"
            f"{'open_high' if g.open_high else 'open_low'}"
            for g in self.grippers
        ]
        if self.ee:
            parts.append("ee=" + ",".join(d.name for d in self.ee))
        if self.profile:
            parts.append(f"profile {self.profile.name}")
        return "; ".join(parts) or "no named state used"


def state_features(layout: Layout) -> list[str]:
    """Float vector features that hold robot state (observation.state and its sub-features)."""
    return [
        k
        for k, v in layout.features.items()
        if k.startswith(STATE) and v.get("dtype") not in ("video", "image", "string", "bool")
    ]


def all_dims(layout: Layout) -> list[Dim]:
    dims: list[Dim] = []
    for feat in state_features(layout):
        names = layout.names(feat)
        shape = layout.shape(feat)
        size = shape[0] if shape else (len(names) if names else 0)
        if names:
            dims += [Dim(feat, i, n) for i, n in enumerate(names)]
        elif size == 1:  # e.g. DROID's observation.state.gripper_position
            dims.append(Dim(feat, 0, feat.rsplit(".", 1)[-1]))
        else:
            dims += [Dim(feat, i, f"{feat}[{i}]") for i in range(size)]
    return dims


def _find(dims: list[Dim], name: str, where: str) -> Dim:
    for d in dims:
        if name in (d.name, f"{d.feature}[{d.index}]", f"{d.feature}.{d.name}"):
            return d
    known = ", ".join(d.name for d in dims) or "none"
    raise RecapError(
        f"--state-map {where}: no state dimension named {name!r}.",
        hint=f"Named dimensions in meta/info.json: {known}.",
    )


def parse_state_map(entries: list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """`--state-map` values as {signal: spec}; a malformed entry is a RecapError."""
    out: dict[str, str] = {}
    for entry in entries or ():
        for part in str(entry).split(";"):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or not value.strip():
                raise RecapError(
                    f"--state-map {part!r}: expected SIGNAL=SPEC, "
                    "e.g. gripper=main_gripper:open_high"
                )
            if key not in ("gripper", "left_gripper", "right_gripper", "ee"):
                raise RecapError(
                    f"--state-map {part!r}: unknown signal {key!r}",
                    hint="Signals: gripper, left_gripper, right_gripper, ee.",
                )
            out[key] = value.strip()
    return out


def _gripper_override(dims: list[Dim], key: str, spec: str) -> GripperSpec:
    name, *rest = spec.split(":")
    dim = _find(dims, name.strip(), f"{key}={spec}")
    open_high: bool | None = None
    closed = opened = None
    if rest:
        direction = rest[0].strip()
        if direction not in ("open_high", "open_low"):
            raise RecapError(
                f"--state-map {key}={spec}: direction must be open_high or open_low, "
                f"not {direction!r}"
            )
        open_high = direction == "open_high"
    if len(rest) == 3:
        try:
            closed, opened = float(rest[1]), float(rest[2])
        except ValueError:
            raise RecapError(
                f"--state-map {key}={spec}: closed and open values must be numbers"
            ) from None
    elif len(rest) not in (0, 1):
        raise RecapError(
            f"--state-map {key}={spec}: expected NAME[:open_high|open_low[:CLOSED:OPEN]]"
        )
    label = key.removesuffix("_gripper") if key != "gripper" else ""
    return GripperSpec(dim, label, open_high, closed, opened)


def _named_grippers(dims: list[Dim]) -> list[GripperSpec]:
    """Grippers found by name: a left and a right one, else a single one (the first)."""
    plain: Dim | None = None
    sides: dict[str, Dim] = {}
    for d in dims:
        side, core = canonical(d.name)
        if core not in GRIPPER_NAMES:
            continue
        if side:
            sides.setdefault(side, d)
        elif plain is None:
            plain = d
    if "left" in sides and "right" in sides:
        return [GripperSpec(sides[side], side, None) for side in ("left", "right")]
    if plain is not None:
        return [GripperSpec(plain, "", None)]
    return [GripperSpec(d, side, None) for side, d in sides.items()]


def _named_ee(layout: Layout, dims: list[Dim]) -> list[Dim] | None:
    by_name: dict[str, Dim] = {}
    for d in dims:
        side, core = canonical(d.name)
        if not side:
            by_name.setdefault(core, d)
    for triple in EE_TRIPLES:
        if all(n in by_name for n in triple):
            return [by_name[n] for n in triple]
    for feat in EE_FEATURES:
        if feat in layout.features and (layout.shape(feat) or [0])[0] >= 3:
            names = layout.names(feat) or [f"{feat}[{i}]" for i in range(3)]
            return [Dim(feat, i, names[i]) for i in range(3)]
    return None


def _profile(layout: Layout, name: str | None) -> Profile | None:
    size = (layout.shape(STATE) or [0])[0]
    if name is None:
        return profile_for(layout.name, layout.robot_type, size)
    prof = profile_named(name)
    if prof is None:
        raise RecapError(
            f"--profile {name!r}: no such profile",
            hint="Profiles: " + ", ".join(p.name for p in PROFILES) + ".",
        )
    if size != prof.size:
        raise RecapError(
            f"--profile {prof.name}: expects observation.state with {prof.size} values, "
            f"the dataset's has {size or 'none'}"
        )
    return prof


def _outside(stats: tuple[float, float], scale: tuple[float, float]) -> bool:
    lo, hi = min(scale), max(scale)
    slack = RANGE_TOLERANCE * (hi - lo)
    return stats[0] < lo - slack or stats[1] > hi + slack


def _set_range(g: GripperSpec, layout: Layout, robot: Robot | None, notes: list[str]) -> None:
    """The gripper's closed and open values; see the module doc for the order."""
    stats = layout.feature_range(g.dim.feature, g.dim.index)
    scale = robot.gripper_range if robot is not None else None
    if robot is not None and scale is not None:
        if stats is None or not _outside(stats[:2], scale):
            g.closed, g.opened = scale
            g.range_from, g.fixed = f"the {robot.types[0]} scale", True
            return
        notes.append(
            f"gripper {g.dim.name}: values run {stats[0]:g}..{stats[1]:g} ({stats[2]}), "
            f"outside the {scale[0]:g} (closed) .. {scale[1]:g} (open) assumed for robot type "
            f"{layout.robot_type!r}: normalised on the dataset's own range"
        )
    if stats is not None and stats[1] > stats[0]:
        lo, hi, where = stats
        g.closed, g.opened = (lo, hi) if g.open_high else (hi, lo)
        g.range_from = where


def resolve(
    layout: Layout, overrides: dict[str, str] | None = None, profile: str | None = None
) -> StateMap:
    """The state map for a dataset: its named dims (or profile), the robot's direction, and
    overrides."""
    overrides = overrides or {}
    dims = all_dims(layout)
    robot = robot_for(layout.robot_type)
    smap = StateMap(robot=robot, dims=dims)
    prof = smap.profile = _profile(layout, profile)
    by_index = {d.index: d for d in dims if d.feature == STATE}
    if "gripper" in overrides:
        smap.grippers = [_gripper_override(dims, "gripper", overrides["gripper"])]
    elif "left_gripper" in overrides or "right_gripper" in overrides:
        smap.grippers = [
            _gripper_override(dims, k, overrides[k])
            for k in ("left_gripper", "right_gripper")
            if k in overrides
        ]
    elif prof is not None and prof.gripper is not None:
        smap.grippers = [GripperSpec(by_index[prof.gripper], "", prof.open_high)]
    else:
        smap.grippers = _named_grippers(dims)
    for g in smap.grippers:
        if g.open_high is None and robot is not None:
            g.open_high = robot.direction(g.dim.feature, g.dim.index)
            if g.open_high is not None and not robot.sure:
                smap.assumed.append(g)
    smap.undirected = [g for g in smap.grippers if g.open_high is None]
    smap.grippers = [g for g in smap.grippers if g.open_high is not None]
    for g in smap.grippers:
        if g.closed is None:
            _set_range(g, layout, robot if prof is None else None, smap.notes)
        else:
            g.range_from = "--state-map"
    if "ee" in overrides:
        names = [n.strip() for n in overrides["ee"].split(",")]
        if len(names) != 3:
            raise RecapError(f"--state-map ee={overrides['ee']}: give three dims: x,y,z")
        smap.ee = [_find(dims, n, f"ee={overrides['ee']}") for n in names]
    elif prof is not None and prof.ee is not None:
        smap.ee = [by_index[i] for i in prof.ee]
    else:
        smap.ee = _named_ee(layout, dims)
    if prof is not None:
        smap.notes.append(
            f"profile {prof.name} ({'given' if profile else 'dataset ' + layout.name}): "
            f"{prof.units} [{prof.source}]"
        )
    return smap


SIGNALS = {"": "gripper", "left": "left_gripper", "right": "right_gripper"}


def _ref(dim: Dim, dims: list[Dim]) -> str:
    """How --state-map names a dim: its name, or feature[index] where the name repeats."""
    if sum(d.name == dim.name for d in dims) > 1:
        return f"{dim.feature}[{dim.index}]"
    return dim.name


def _state_map_line(specs: list[GripperSpec], dims: list[Dim], direction: str) -> str:
    return " ".join(
        f"--state-map {SIGNALS[g.label]}={_ref(g.dim, dims)}:{direction}" for g in specs
    )


def _names_list(dims: list[Dim], limit: int = 12) -> str:
    names = [d.name for d in dims if d.feature == STATE] or [d.name for d in dims]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "") or "none"


def coverage(smap: StateMap, layout: Layout, success_from: str | None) -> None:
    """What the dataset's telemetry has and lacks: one note for ingest to print (the robot
    type seen, the --state-map line to pass) and `smap.clip_note`, stored with every clip."""
    rt = layout.robot_type or "(none)"
    found: list[str] = []
    short: list[str] = []
    missing: list[str] = []
    if smap.grippers:
        found.append(
            "gripper " + ", ".join(f"{g.dim.name} ({g.range_from})" for g in smap.grippers)
        )
        short.append("the gripper" if len(smap.grippers) == 1 else "both grippers")
    else:
        missing.append("gripper")
    if smap.ee:
        found.append("end-effector position " + ",".join(d.name for d in smap.ee))
        short.append("the end-effector position")
    else:
        missing.append("end-effector position")
    if success_from:
        found.append(f"success ({success_from})")
        short.append("the outcome")
    else:
        missing.append("success")
    if missing:
        hints: list[str] = []
        if smap.undirected:
            names = ", ".join(g.dim.name for g in smap.undirected)
            hints.append(
                f"found {names} but not which way "
                f"{'they open' if len(smap.undirected) > 1 else 'it opens'} for robot type "
                f"{rt!r}: pass {_state_map_line(smap.undirected, smap.dims, 'open_high')} "
                "(larger = more open; :open_low if larger = more closed)"
            )
        elif "gripper" in missing and smap.robot is not None and not smap.robot.has_gripper:
            hints.append(f"robot type {rt!r} records no gripper")
        elif "gripper" in missing:
            state = [d for d in smap.dims if d.feature == STATE]
            example = state[-1].name if state else "NAME"
            hints.append(
                f"no state dim is named as a gripper (state: {_names_list(smap.dims)}); if one "
                f"is, pass --state-map gripper={example}:open_high (larger = more open) or "
                ":open_low"
            )
        if "end-effector position" in missing and not smap.grippers:
            hints.append("pass --state-map ee=X,Y,Z if three dims are its position in metres")
        if "success" in missing:
            hints.append(
                "success is read from next.success, is_episode_successful, next.reward (0/1) "
                "or success in the episode metadata"
            )
        smap.notes.append(
            f"telemetry of {layout.name} (robot type {rt!r}): found "
            f"{'; '.join(found) if found else 'nothing usable'}; not found: "
            f"{', '.join(missing)}. " + "; ".join(hints)
        )
    if smap.assumed:
        assert smap.robot is not None
        way = "larger = more open" if smap.assumed[0].open_high else "larger = more closed"
        flip = "open_low" if smap.assumed[0].open_high else "open_high"
        names = ", ".join(g.dim.name for g in smap.assumed)
        smap.notes.append(
            f"gripper {names}: direction assumed for robot type {rt!r} ({way}): "
            f"{smap.robot.why}; if the gripper facts contradict the video, pass "
            f"{_state_map_line(smap.assumed, smap.dims, flip)}"
        )
    parts: list[str] = []
    if not found:
        parts.append(
            f"No telemetry for this dataset: no gripper, end-effector position or success "
            f"was found in its state (robot type {rt!r}); grasps and the outcome can only be "
            "checked against the video."
        )
    elif set(missing) - {"end-effector position"}:  # what the facts are about: grasps, outcome
        lacks = [{"success": "success flag"}.get(m, m) for m in missing]
        lacks = [m for m in lacks if m != "end-effector position"]
        has = [h for h in short if h != "the end-effector position"] or short
        parts.append(f"This dataset's telemetry has {_join(has)} but no {_join(lacks, 'or')}.")
    if smap.assumed:
        way = "larger = more open" if smap.assumed[0].open_high else "larger = more closed"
        parts.append(
            f"The gripper direction is assumed for robot type {rt!r} ({way}; a dataset can "
            "be inverted): where the telemetry's closings contradict the video, trust the video."
        )
    smap.clip_note = " ".join(parts) or None


def _join(items: list[str], word: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def opening(values: np.ndarray, spec: GripperSpec) -> np.ndarray:
    """Raw gripper values -> opening fraction 0 (closed) .. 1 (open), clipped. A robot type's
    fixed scale that an episode's values run well outside gives way to the episode's range
    (counted in `spec.outside`, for a note)."""
    closed, opened = spec.closed, spec.opened
    if (
        spec.fixed
        and closed is not None
        and opened is not None
        and len(values)
        and _outside((float(np.min(values)), float(np.max(values))), (closed, opened))
    ):
        spec.outside += 1
        closed = opened = None
    if closed is None or opened is None or opened == closed:  # no dataset range: the episode's
        lo, hi = float(np.min(values)), float(np.max(values))
        closed, opened = (lo, hi) if spec.open_high else (hi, lo)
        if hi - lo < 1e-9:
            return np.ones_like(values, dtype=float)
    return np.clip((values - closed) / (opened - closed), 0.0, 1.0)


def telemetry_from_state(
    smap: StateMap, columns: dict[str, np.ndarray], t: list[float]
) -> dict[str, Any]:
    """Telemetry fields (gripper / grippers, ee_pos) from an episode window's state columns,
    each column an (n, dim) array."""
    out: dict[str, Any] = {}
    named: dict[str, list[float]] = {}
    for g in smap.grippers:
        col = columns.get(g.dim.feature)
        if col is None:
            continue
        values = np.asarray(col, dtype=float).reshape(len(t), -1)[:, g.dim.index]
        series = [round(float(v), 4) for v in opening(values, g)]
        if g.label:
            named[g.label] = series
        else:
            out["gripper"] = series
    if named:
        out["grippers"] = named
    if smap.ee and all(d.feature in columns for d in smap.ee):
        xyz = [
            np.asarray(columns[d.feature], dtype=float).reshape(len(t), -1)[:, d.index]
            for d in smap.ee
        ]
        out["ee_pos"] = [
            [round(float(a), 5), round(float(b), 5), round(float(c), 5)]
            for a, b, c in zip(*xyz, strict=True)
        ]
    return out
