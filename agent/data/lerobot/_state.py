"""Named robot state -> telemetry: which dimensions are grippers and end-effector position.

LeRobot datasets name each state dimension in `meta/info.json` (`features[...]["names"]`). From
those names recap finds:

- the gripper(s): a dimension named `gripper`, `main_gripper` (SO-100/SO-101, Koch),
  `left_gripper`/`right_gripper` (ALOHA and other two-arm robots: two grippers), or
  `gripper_position` / a feature `observation.state.gripper_position` (DROID);
- the end-effector position: dimensions `x, y, z`, `ee_x, ee_y, ee_z`, `eef_pos_x...`, or the
  first three of a feature `observation.state.cartesian_position` / `observation.ee_pos`
  (DROID-style);
- success: a `next.success` column, or `success` in the episode metadata.

Each gripper is normalised per episode to an opening fraction, 0 = closed .. 1 = open. Units
differ by robot (degrees on SO-100, a 0..1 position on ALOHA and DROID) and so does direction:
on SO-100/SO-101, Koch and ALOHA a larger value is more open (`open_high`); on DROID a larger
value is more closed (`open_low`). The direction comes from `ROBOT_DIRECTIONS` by
`info.json`'s `robot_type`, or from `--state-map`; an unknown robot's gripper is left out, and
ingest says so, rather than guessed. The closed and open values are, in order of preference,
given in `--state-map`, known for the robot type (`ROBOT_GRIPPER_RANGES`), the dataset's own
min/max (meta/stats.json, or v2.1's meta/episodes_stats.jsonl), or the episode's min/max.

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
from agent.errors import RecapError

# robot_type prefix -> True when a larger gripper value means more open.
ROBOT_DIRECTIONS: dict[str, bool] = {
    "so100": True,
    "so101": True,
    "so_100": True,
    "so_101": True,
    "bi_so100": True,
    "bi_so101": True,
    "koch": True,
    "moss": True,
    "lekiwi": True,
    "aloha": True,
    "trossen": True,
    "droid": False,
    "franka": False,
    "panda": False,
}
# robot_type prefix -> (fully closed, fully open) gripper values, where the robot's datasets
# store a known scale: ALOHA's gripper positions are normalised 0 (closed) .. 1 (open).
ROBOT_GRIPPER_RANGES: dict[str, tuple[float, float]] = {"aloha": (0.0, 1.0)}
GRIPPER_NAMES = ("gripper", "main_gripper", "gripper_position", "gripper_pos", "gripper_state")
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


@dataclass
class StateMap:
    """Where the telemetry signals are in a dataset's columns."""

    grippers: list[GripperSpec] = field(default_factory=list)
    ee: list[Dim] | None = None
    notes: list[str] = field(default_factory=list)

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
        return "; ".join(parts) or "no named state used"


def state_features(layout: Layout) -> list[str]:
    """Float vector features that hold robot state (observation.state and its sub-features)."""
    return [
        k
        for k, v in layout.features.items()
        if k.startswith("observation.state") and v.get("dtype") not in ("video", "image", "string")
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


def robot_direction(robot_type: str) -> bool | None:
    rt = robot_type.lower()
    for prefix, open_high in ROBOT_DIRECTIONS.items():
        if rt.startswith(prefix):
            return open_high
    return None


def resolve(layout: Layout, overrides: dict[str, str] | None = None) -> StateMap:
    """The state map for a dataset: its named dims, the robot's direction, and overrides."""
    overrides = overrides or {}
    dims = all_dims(layout)
    smap = StateMap()
    if "gripper" in overrides:
        smap.grippers = [_gripper_override(dims, "gripper", overrides["gripper"])]
    elif "left_gripper" in overrides or "right_gripper" in overrides:
        smap.grippers = [
            _gripper_override(dims, k, overrides[k])
            for k in ("left_gripper", "right_gripper")
            if k in overrides
        ]
    else:
        single = [d for d in dims if d.name.lower() in GRIPPER_NAMES]
        sides = {
            side: next(
                (
                    d
                    for d in dims
                    if d.name.lower().startswith(side) and d.name.lower().endswith("gripper")
                ),
                None,
            )
            for side in ("left", "right")
        }
        if sides["left"] and sides["right"]:
            smap.grippers = [
                GripperSpec(d, side, None) for side, d in sides.items() if d is not None
            ]
        elif single:
            smap.grippers = [GripperSpec(single[0], "", None)]
    direction = robot_direction(layout.robot_type)
    for g in smap.grippers:
        if g.open_high is None:
            g.open_high = direction
    unknown = [g for g in smap.grippers if g.open_high is None]
    if unknown:
        names = ", ".join(g.dim.name for g in unknown)
        smap.notes.append(
            f"gripper {names} left out: which way it opens is not known for robot type "
            f"{layout.robot_type or '(none)'!r}; pass --state-map gripper={unknown[0].dim.name}:"
            "open_high (larger = more open) or :open_low"
        )
        smap.grippers = [g for g in smap.grippers if g.open_high is not None]
    known = next(
        (r for k, r in ROBOT_GRIPPER_RANGES.items() if layout.robot_type.lower().startswith(k)),
        None,
    )
    for g in smap.grippers:
        if g.closed is None and known is not None:
            g.closed, g.opened = known
        if g.closed is None:
            rng = layout.feature_range(g.dim.feature, g.dim.index)
            if rng is not None and rng[1] > rng[0]:
                lo, hi = rng
                g.closed, g.opened = (lo, hi) if g.open_high else (hi, lo)
    if "ee" in overrides:
        names = [n.strip() for n in overrides["ee"].split(",")]
        if len(names) != 3:
            raise RecapError(f"--state-map ee={overrides['ee']}: give three dims: x,y,z")
        smap.ee = [_find(dims, n, f"ee={overrides['ee']}") for n in names]
    else:
        by_name = {d.name.lower(): d for d in dims}
        for triple in EE_TRIPLES:
            if all(n in by_name for n in triple):
                smap.ee = [by_name[n] for n in triple]
                break
        else:
            for feat in EE_FEATURES:
                if feat in layout.features and (layout.shape(feat) or [0])[0] >= 3:
                    names = layout.names(feat) or [f"{feat}[{i}]" for i in range(3)]
                    smap.ee = [Dim(feat, i, names[i]) for i in range(3)]
                    break
    return smap


def opening(values: np.ndarray, spec: GripperSpec) -> np.ndarray:
    """Raw gripper values -> opening fraction 0 (closed) .. 1 (open), clipped."""
    if spec.closed is not None and spec.opened is not None and spec.opened != spec.closed:
        closed, opened = spec.closed, spec.opened
    else:  # no dataset range: the episode's own
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
