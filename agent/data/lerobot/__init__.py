"""LeRobot datasets in and out: layout and metadata (v2.1, v3.0), named state -> telemetry,
captions files -> clip windows, a streaming data reader, and the write-back of reviewed captions.

Modules: `layout` (meta/info.json, episodes, tasks), `robots` (the robot-type table: gripper
direction and units per robot type, with sources; profiles for unnamed datasets), `state` (which
state dims are grippers and end-effector position, and what a dataset lacks), `captions` (a
captioning run's JSONL/CSV/Parquet), `reader` (episodes -> clip rows, each data file read once)
and `writer` (`recap export --format lerobot`).
"""

from agent.data.lerobot._layout import Episode, Layout, LeRobotError, is_lerobot
from agent.data.lerobot._reader import DEFAULT_WINDOW_S, LeRobotReader

__all__ = ["DEFAULT_WINDOW_S", "Episode", "Layout", "LeRobotError", "LeRobotReader", "is_lerobot"]
