"""LeRobot datasets built by the tests, following the published v2.1 and v3.0 layouts.

Videos are rendered with tests/clips.py; state, stats and metadata are written the way
LeRobot writes them (per-episode stats min/max/mean/std/count, v3.0 tasks.parquet from a
DataFrame indexed by the task string, v3.0 episodes concatenated into shared files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.clips import make_clip

# Names as LeRobot writes them today (src/lerobot/robots/*/ @7427f318): `<motor>.pos`.
SO_JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
SO_NAMES = [f"{j}.pos" for j in SO_JOINTS]  # so_follower, koch_follower, omx_follower
BI_SO_NAMES = [f"{side}_{n}" for side in ("left", "right") for n in SO_NAMES]
LEKIWI_NAMES = [f"arm_{n}" for n in SO_NAMES] + ["x.vel", "y.vel", "theta.vel"]
EE_NAMES = ["ee.x", "ee.y", "ee.z", "ee.wx", "ee.wy", "ee.wz", "ee.gripper_pos"]
# with use_velocity_and_torque: pos, vel, torque per motor (openarm_follower.py:90-99)
OPENARM_NAMES = [
    f"{m}.{k}"
    for m in [*(f"joint_{i}" for i in range(1, 8)), "gripper"]
    for k in ("pos", "vel", "torque")
]
REBOT_NAMES = [
    f"{j}.pos"
    for j in (
        "shoulder_pan",
        "shoulder_lift",
        "elbow_flex",
        "wrist_flex",
        "wrist_yaw",
        "wrist_roll",
        "gripper",
    )
]
REACHY2_NAMES = (
    ["neck_yaw.pos", "neck_pitch.pos", "neck_roll.pos", "l_antenna.pos", "r_antenna.pos"]
    + [
        f"{side}_{j}.pos"
        for side in ("r", "l")
        for j in (
            "shoulder_pitch",
            "shoulder_roll",
            "elbow_yaw",
            "elbow_pitch",
            "wrist_roll",
            "wrist_pitch",
            "wrist_yaw",
            "gripper",
        )
    ]
    + ["mobile_base.vx", "mobile_base.vy", "mobile_base.vtheta"]
)
HOPE_JR_HAND_NAMES = [
    f"{j}.pos"
    for j in (
        "thumb_cmc",
        "thumb_mcp",
        "thumb_pip",
        "thumb_dip",
        "index_radial_flexor",
        "index_ulnar_flexor",
        "index_pip_dip",
        "pinky_pip_dip",
    )
]
# ALOHA recorded with LeRobot itself (before v0.3.2): 9 motors per arm, with shadow joints
# (lerobot/common/robot_devices/robots/configs.py:84-170 @b536f47e), gripper 0..100 %.
ALOHA18_NAMES = [
    f"{side}_{j}"
    for side in ("left", "right")
    for j in (
        "waist",
        "shoulder",
        "shoulder_shadow",
        "elbow",
        "elbow_shadow",
        "forearm_roll",
        "wrist_angle",
        "wrist_rotate",
        "gripper",
    )
]
DROID_STATE_NAMES = [f"joint_{i}" for i in range(7)] + ["gripper"]
MOTOR_NAMES = [f"motor_{i}" for i in range(7)]

SO100_NAMES = [
    "main_shoulder_pan",
    "main_shoulder_lift",
    "main_elbow_flex",
    "main_wrist_flex",
    "main_wrist_roll",
    "main_gripper",
]
ALOHA_NAMES = [
    f"{side}_{j}"
    for side in ("left", "right")
    for j in (
        "waist",
        "shoulder",
        "elbow",
        "forearm_roll",
        "wrist_angle",
        "wrist_rotate",
        "gripper",
    )
]


@dataclass
class Ep:
    task: str
    state: np.ndarray  # (n, dim)
    success: bool | None = None
    extra_tasks: list[str] = field(default_factory=list)
    # further per-frame columns, (n,) or (n, k): is_episode_successful, next.reward, a
    # sub-feature such as observation.state.cartesian_position
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return len(self.state)


def so100_state(
    n: int, close_at: int | None, open_at: int | None, closed: float = 1.0, opened: float = 40.0
) -> np.ndarray:
    """SO-100 state: 5 joints drifting, gripper in degrees (larger = more open)."""
    state = np.zeros((n, 6), dtype=np.float32)
    state[:, :5] = np.linspace(0, 1, n)[:, None] * np.arange(1, 6)
    g = np.full(n, opened, dtype=np.float32)
    if close_at is not None:
        end = open_at if open_at is not None else n
        g[close_at:end] = closed
    state[:, 5] = g
    return state


def aloha_state(n: int, left_close: int, right_close: int) -> np.ndarray:
    """ALOHA: 14 dims, gripper positions 0..1 (larger = more open)."""
    state = np.zeros((n, 14), dtype=np.float32)
    state[:, 6] = 1.0
    state[left_close:, 6] = 0.0
    state[:, 13] = 1.0
    state[right_close:, 13] = 0.3  # stops part-way: holding something
    return state


def gripper_series(
    n: int, opened: float, closed: float, close_at: int | None, open_at: int | None = None
) -> np.ndarray:
    """A gripper's raw values: `opened`, then `closed` from `close_at` until `open_at`."""
    g = np.full(n, opened, dtype=np.float32)
    if close_at is not None:
        g[close_at : open_at if open_at is not None else n] = closed
    return g


def robot_state(n: int, size: int, grippers: dict[int, np.ndarray]) -> np.ndarray:
    """`size` joints drifting, with the given gripper series at their indices."""
    state = np.zeros((n, size), dtype=np.float32)
    state[:] = np.linspace(0, 1, n)[:, None] * np.arange(1, size + 1)
    for i, series in grippers.items():
        state[:, i] = series
    return state


def _stats(arr: np.ndarray, quantiles: bool = False) -> dict[str, Any]:
    keep = arr.ndim == 1
    out = {
        "min": np.min(arr, axis=0, keepdims=keep).tolist(),
        "max": np.max(arr, axis=0, keepdims=keep).tolist(),
        "mean": np.mean(arr, axis=0, keepdims=keep).tolist(),
        "std": np.std(arr, axis=0, keepdims=keep).tolist(),
        "count": [len(arr)],
    }
    if quantiles:  # LeRobot since v0.4.0 (src/lerobot/datasets/compute_stats.py:28)
        for q in (1, 10, 50, 90, 99):
            out[f"q{q:02d}"] = np.quantile(arr, q / 100, axis=0, keepdims=keep).tolist()
    return out


def _features(dim: int, names: Any, video_key: str | None, fps: int) -> dict:
    feats: dict[str, Any] = {
        "observation.state": {"dtype": "float32", "shape": [dim], "names": names},
        "action": {"dtype": "float32", "shape": [dim], "names": names},
    }
    if video_key:
        feats[video_key] = {
            "dtype": "video",
            "shape": [240, 320, 3],
            "names": ["height", "width", "channels"],
            "info": {"video.fps": fps, "video.codec": "h264", "video.pix_fmt": "yuv420p"},
        }
    for name, dtype in (
        ("timestamp", "float32"),
        ("frame_index", "int64"),
        ("episode_index", "int64"),
        ("index", "int64"),
        ("task_index", "int64"),
    ):
        feats[name] = {"dtype": dtype, "shape": [1], "names": None}
    return feats


def _episode_table(ep: Ep, i: int, start_index: int, task_index: int, fps: int) -> pa.Table:
    n = ep.length
    cols: dict[str, Any] = {
        "observation.state": pa.array(ep.state.tolist(), type=pa.list_(pa.float32())),
        "action": pa.array(ep.state.tolist(), type=pa.list_(pa.float32())),
        "timestamp": pa.array(np.arange(n, dtype=np.float32) / fps, type=pa.float32()),
        "frame_index": pa.array(np.arange(n), type=pa.int64()),
        "episode_index": pa.array([i] * n, type=pa.int64()),
        "index": pa.array(np.arange(start_index, start_index + n), type=pa.int64()),
        "task_index": pa.array([task_index] * n, type=pa.int64()),
    }
    if ep.success is not None:
        cols["next.success"] = pa.array([False] * (n - 1) + [ep.success])
    for name, values in ep.columns.items():
        arr = np.asarray(values)
        if arr.ndim == 2:
            cols[name] = pa.array(arr.astype(np.float32).tolist(), type=pa.list_(pa.float32()))
        elif arr.dtype == bool:
            cols[name] = pa.array(arr.tolist(), type=pa.bool_())
        else:
            cols[name] = pa.array(arr.astype(np.float32), type=pa.float32())
    return pa.table(cols)


def _column_feature(values: np.ndarray) -> dict[str, Any]:
    arr = np.asarray(values)
    dtype = "bool" if arr.dtype == bool else "float32"
    return {"dtype": dtype, "shape": [arr.shape[1] if arr.ndim == 2 else 1], "names": None}


def _frame_stats(table: pa.Table, features: dict, quantiles: bool = False) -> dict[str, Any]:
    out = {}
    for k, v in features.items():
        if v["dtype"] in ("video", "image", "string") or k not in table.column_names:
            continue
        col = table[k].to_pylist()
        out[k] = _stats(np.asarray(col, dtype=np.float64), quantiles)
    return out


def make_dataset(
    root: Path,
    episodes: list[Ep],
    *,
    version: str = "v2.1",
    robot_type: str | None = "so100",
    names: Any = SO100_NAMES,
    fps: int = 10,
    video: bool = True,
    video_key: str = "observation.images.laptop",
    features: dict[str, Any] | None = None,
    stats: bool = True,
) -> Path:
    """Write a dataset; returns its root. `names` is written as given (a list, a
    {"motors": [...]} or {"axes": [...]} dict, a name -> index dict, or None); `features`
    overrides or adds feature declarations (e.g. the names of a sub-feature); v3.0 stats have
    quantiles, as LeRobot has written since v0.4.0; `stats=False` writes none."""
    root = Path(root)
    (root / "meta").mkdir(parents=True)
    dim = episodes[0].state.shape[1]
    key = video_key if video else None
    feats = _features(dim, names, key, fps)
    if any(ep.success is not None for ep in episodes):
        feats["next.success"] = {"dtype": "bool", "shape": [1], "names": None}
    for name, values in episodes[0].columns.items():
        feats[name] = _column_feature(values)
    feats |= features or {}
    features = feats
    quantiles = version.startswith("v3")
    tasks: list[str] = []
    for ep in episodes:
        for t in [ep.task, *ep.extra_tasks]:
            if t not in tasks:
                tasks.append(t)
    total = sum(ep.length for ep in episodes)
    info: dict[str, Any] = {
        "codebase_version": version,
        "robot_type": robot_type,
        "total_episodes": len(episodes),
        "total_frames": total,
        "total_tasks": len(tasks),
        "chunks_size": 1000,
        "fps": fps,
        "splits": {"train": f"0:{len(episodes)}"},
        "features": features,
    }
    tables = []
    start = 0
    for i, ep in enumerate(episodes):
        tables.append(_episode_table(ep, i, start, tasks.index(ep.task), fps))
        start += ep.length
    if version.startswith("v3"):
        info["data_path"] = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
        info["video_path"] = (
            "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4" if key else None
        )
        info["data_files_size_in_mb"] = 100
        info["video_files_size_in_mb"] = 500
        _write_v3(root, episodes, tables, tasks, features, key, fps, quantiles)
    else:
        info["data_path"] = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
        info["video_path"] = (
            "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
            if key
            else None
        )
        info["total_chunks"] = 1
        info["total_videos"] = len(episodes) if key else 0
        _write_v21(root, episodes, tables, tasks, features, key, fps)
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=4))
    if not stats:
        for name in ("stats.json", "episodes_stats.jsonl"):
            (root / "meta" / name).unlink(missing_ok=True)
    return root


def _write_v21(root, episodes, tables, tasks, features, key, fps) -> None:
    ddir = root / "data" / "chunk-000"
    ddir.mkdir(parents=True)
    with (root / "meta" / "tasks.jsonl").open("w") as fh:
        for i, t in enumerate(tasks):
            fh.write(json.dumps({"task_index": i, "task": t}) + "\n")
    ep_lines, stat_lines = [], []
    for i, (ep, table) in enumerate(zip(episodes, tables, strict=True)):
        pq.write_table(table, ddir / f"episode_{i:06d}.parquet")
        if key:
            vdir = root / "videos" / "chunk-000" / key
            vdir.mkdir(parents=True, exist_ok=True)
            make_clip(vdir / f"episode_{i:06d}.mp4", seconds=ep.length / fps, fps=fps)
        row: dict[str, Any] = {"episode_index": i, "tasks": [ep.task], "length": ep.length}
        ep_lines.append(json.dumps(row))
        stat_lines.append(json.dumps({"episode_index": i, "stats": _frame_stats(table, features)}))
    (root / "meta" / "episodes.jsonl").write_text("\n".join(ep_lines) + "\n")
    (root / "meta" / "episodes_stats.jsonl").write_text("\n".join(stat_lines) + "\n")


def _write_v3(root, episodes, tables, tasks, features, key, fps, quantiles) -> None:
    import pandas as pd

    ddir = root / "data" / "chunk-000"
    ddir.mkdir(parents=True)
    whole = pa.concat_tables(tables)
    pq.write_table(whole, ddir / "file-000.parquet")
    seconds = sum(ep.length for ep in episodes) / fps
    if key:
        vdir = root / "videos" / key / "chunk-000"
        vdir.mkdir(parents=True)
        make_clip(vdir / "file-000.mp4", seconds=seconds, fps=fps)
    df = pd.DataFrame({"task_index": range(len(tasks))}, index=pd.Index(tasks, name="task"))
    df.to_parquet(root / "meta" / "tasks.parquet")
    rows = []
    start = 0
    t = 0.0
    for i, (ep, table) in enumerate(zip(episodes, tables, strict=True)):
        row: dict[str, Any] = {
            "episode_index": i,
            "tasks": [ep.task],
            "length": ep.length,
            "data/chunk_index": 0,
            "data/file_index": 0,
            "dataset_from_index": start,
            "dataset_to_index": start + ep.length,
        }
        if key:
            row |= {
                f"videos/{key}/chunk_index": 0,
                f"videos/{key}/file_index": 0,
                f"videos/{key}/from_timestamp": t,
                f"videos/{key}/to_timestamp": t + ep.length / fps,
            }
        for feat, st in _frame_stats(table, features, quantiles).items():
            for s, v in st.items():
                row[f"stats/{feat}/{s}"] = v
        rows.append(row)
        start += ep.length
        t += ep.length / fps
    edir = root / "meta" / "episodes" / "chunk-000"
    edir.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), edir / "file-000.parquet")
    whole_stats = _frame_stats(whole, features, quantiles)
    (root / "meta" / "stats.json").write_text(json.dumps(whole_stats, indent=4))
