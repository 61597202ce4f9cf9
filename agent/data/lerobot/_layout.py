"""A LeRobot dataset's layout and metadata, v2.1 and v3.0, read without touching frame data.

v2.1 keeps one data parquet and one video per episode (`meta/episodes.jsonl`, `meta/tasks.jsonl`);
v3.0 concatenates episodes into shared data and video files and indexes them from
`meta/episodes/chunk-*/file-*.parquet` (`meta/tasks.parquet`). Everything here names the file it
could not use, so a broken dataset is one clear message, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.data._lines import LineReader
from agent.errors import RecapError, RowError

SUPPORTED = ("v2.0", "v2.1", "v3.0")


class LeRobotError(RecapError):
    """A dataset file recap cannot use: names the file and the reason."""

    def __init__(self, path: str | Path, reason: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot read LeRobot dataset file {self.path}: {reason}", hint=hint)


@dataclass
class Episode:
    """One episode's metadata: where its rows and video are, and its task strings."""

    index: int
    tasks: list[str]
    length: int | None
    data_rel: str
    video_rel: str | None = None
    video_from: float = 0.0  # where the episode starts in its video file (v3.0), seconds
    video_to: float | None = None
    success: bool | None = None  # from episode metadata, when the dataset records it
    data_from: int | None = None  # v3.0: global `index` range of its rows
    data_to: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def is_lerobot(path: Path) -> bool:
    return path.is_dir() and (path / "meta" / "info.json").is_file()


def read_parquet(path: Path, columns: list[str] | None = None) -> Any:
    """A parquet file as a pyarrow Table, or a LeRobotError naming it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        raise LeRobotError(path, "file is missing")
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as e:
        raise LeRobotError(path, f"not a readable parquet file ({e})") from None


def _names(spec: Any) -> list[str] | None:
    """A feature's `names` in each shape LeRobot writes: a flat list; a list of lists (ALOHA);
    a category dict, {"motors": [...]} (v1 -> v2 conversions) or {"axes": [...]} (the DROID
    port); a name -> index dict ({"delta_x": 0, ...}, teleoperator actions); or null."""
    if isinstance(spec, dict):
        if spec and all(isinstance(v, int) and not isinstance(v, bool) for v in spec.values()):
            by_index = sorted(spec.items(), key=lambda kv: kv[1])
            if [i for _, i in by_index] == list(range(len(by_index))):
                return [str(k) for k, _ in by_index]
            return None
        for value in spec.values():
            got = _names(value)
            if got:
                return got
        return None
    if isinstance(spec, list):
        if spec and all(isinstance(x, list) for x in spec):
            return [str(n) for sub in spec for n in sub]
        if all(isinstance(x, str) for x in spec):
            return list(spec)
    return None


class Layout:
    """The dataset at `root`: info, features, tasks, and episodes as `Episode`s."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        info_path = self.root / "meta" / "info.json"
        if not info_path.is_file():
            raise LeRobotError(info_path, "file is missing (not a LeRobot dataset?)")
        try:
            self.info: dict[str, Any] = json.loads(info_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise LeRobotError(info_path, f"not valid JSON ({e})") from None
        if not isinstance(self.info, dict):
            raise LeRobotError(info_path, "not a JSON object")
        self.version = str(self.info.get("codebase_version", "v2.1"))
        if self.version not in SUPPORTED:
            raise LeRobotError(
                info_path,
                f"codebase_version {self.version!r} is not supported "
                f"(recap reads {', '.join(SUPPORTED)})",
            )
        self.v3 = self.version.startswith("v3")
        for key in ("data_path", "fps"):
            if key not in self.info:
                raise LeRobotError(info_path, f"has no {key!r}")
        self.fps = float(self.info["fps"])
        self.features: dict[str, dict[str, Any]] = dict(self.info.get("features") or {})
        self.robot_type = str(self.info.get("robot_type") or "")
        self.chunks_size = int(self.info.get("chunks_size", 1000))
        self.info_path = info_path

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def video_keys(self) -> list[str]:
        return [k for k, v in self.features.items() if v.get("dtype") == "video"]

    def video_key(self, camera: str | None) -> str:
        """The camera to review: `camera` (full key or its last part) or the first video."""
        keys = self.video_keys
        if not keys:
            image_keys = [k for k, v in self.features.items() if v.get("dtype") == "image"]
            what = f" (it stores images: {', '.join(image_keys)})" if image_keys else ""
            raise LeRobotError(
                self.info_path,
                f"declares no video features{what}; recap reviews video clips",
                hint="Encode the camera frames as videos (LeRobot's encode_videos), then ingest.",
            )
        if "video_path" not in self.info:
            raise LeRobotError(self.info_path, "has video features but no 'video_path'")
        if camera:
            match = [k for k in keys if k == camera or k.endswith("." + camera)]
            if not match:
                raise RecapError(
                    f"No camera {camera!r} in the dataset; it has: {', '.join(keys)}",
                    hint="Pass one of those to --camera.",
                )
            return match[0]
        return keys[0]

    def names(self, feature: str) -> list[str] | None:
        """A vector feature's dimension names, trusted only when there is one per dimension
        (LeRobot's own rule; e.g. LIBERO copies name all 8 values ["state"])."""
        spec = self.features.get(feature) or {}
        names = _names(spec.get("names"))
        shape = self.shape(feature)
        if names is not None and len(shape) == 1 and len(names) != shape[0]:
            return None
        return names

    def shape(self, feature: str) -> list[int]:
        shape = (self.features.get(feature) or {}).get("shape") or []
        return [int(x) for x in shape]

    # --- tasks --------------------------------------------------------------------------------
    def tasks(self) -> dict[int, str]:
        """task_index -> task string."""
        if self.v3:
            path = self.root / "meta" / "tasks.parquet"
            table = read_parquet(path)
            cols = table.column_names
            if "task_index" not in cols:
                raise LeRobotError(path, "has no task_index column")
            # Written from a DataFrame indexed by the task: the index is a column here.
            text_col = (
                "task" if "task" in cols else next((c for c in cols if c != "task_index"), None)
            )
            if text_col is None:
                raise LeRobotError(path, "has no task column")
            return {
                int(i): str(t)
                for i, t in zip(
                    table["task_index"].to_pylist(), table[text_col].to_pylist(), strict=True
                )
            }
        path = self.root / "meta" / "tasks.jsonl"
        out: dict[int, str] = {}
        for n, row in _jsonl(path):
            try:
                out[int(row["task_index"])] = str(row["task"])
            except (KeyError, TypeError, ValueError):
                raise LeRobotError(path, f"line {n} lacks task_index or task") from None
        return out

    # --- episodes -----------------------------------------------------------------------------
    def episodes(self, video_key: str | None) -> Iterator[Episode]:
        """Episodes in the order their rows are stored."""
        if self.v3:
            yield from self._episodes_v3(video_key)
        else:
            yield from self._episodes_v2(video_key)

    def _episodes_v2(self, key: str | None) -> Iterator[Episode]:
        path = self.root / "meta" / "episodes.jsonl"
        for n, row in _jsonl(path):
            try:
                index = int(row["episode_index"])
            except (KeyError, TypeError, ValueError):
                raise LeRobotError(path, f"line {n} has no episode_index") from None
            chunk = index // self.chunks_size
            fmt = {"episode_chunk": chunk, "episode_index": index, "chunk_index": chunk}
            try:
                data_rel = self.info["data_path"].format(**fmt)
                video_rel = self.info["video_path"].format(video_key=key, **fmt) if key else None
            except (KeyError, IndexError) as e:
                raise LeRobotError(self.info_path, f"path template needs {e}") from None
            yield Episode(
                index=index,
                tasks=[str(t) for t in row.get("tasks") or []],
                length=int(row["length"]) if row.get("length") is not None else None,
                data_rel=data_rel,
                video_rel=video_rel,
                success=_success(row),
            )

    def episode_files(self) -> list[Path]:
        files = sorted((self.root / "meta" / "episodes").rglob("*.parquet"))
        if not files:
            raise LeRobotError(
                self.root / "meta" / "episodes", "no episode metadata (chunk-*/file-*.parquet)"
            )
        return files

    def _episodes_v3(self, key: str | None) -> Iterator[Episode]:
        import pyarrow.parquet as pq

        for path in self.episode_files():
            try:
                pf = pq.ParquetFile(path)
            except Exception as e:
                raise LeRobotError(path, f"not a readable parquet file ({e})") from None
            names = pf.schema_arrow.names
            wanted = [c for c in names if not c.startswith("stats/")]
            need = ["episode_index", "data/chunk_index", "data/file_index"]
            if key:
                need += [f"videos/{key}/{s}" for s in ("chunk_index", "file_index")]
                need += [f"videos/{key}/{s}" for s in ("from_timestamp", "to_timestamp")]
            missing = [c for c in need if c not in names]
            if missing:
                raise LeRobotError(path, f"has no column {missing[0]!r}")
            try:
                for record_batch in pf.iter_batches(columns=wanted, batch_size=8192):
                    for row in record_batch.to_pylist():
                        yield self._episode_v3(row, key)
            except LeRobotError:
                raise
            except Exception as e:
                raise LeRobotError(path, f"not a readable parquet file ({e})") from None

    def _episode_v3(self, row: dict[str, Any], key: str | None) -> Episode:
        data_rel = self.info["data_path"].format(
            chunk_index=int(row["data/chunk_index"]), file_index=int(row["data/file_index"])
        )
        video_rel = None
        v_from, v_to = 0.0, None
        if key:
            video_rel = self.info["video_path"].format(
                video_key=key,
                chunk_index=int(row[f"videos/{key}/chunk_index"]),
                file_index=int(row[f"videos/{key}/file_index"]),
            )
            v_from = float(row[f"videos/{key}/from_timestamp"])
            v_to = float(row[f"videos/{key}/to_timestamp"])
        d_from = row.get("dataset_from_index")
        d_to = row.get("dataset_to_index")
        return Episode(
            index=int(row["episode_index"]),
            tasks=[str(t) for t in row.get("tasks") or []],
            length=int(row["length"]) if row.get("length") is not None else None,
            data_rel=data_rel,
            video_rel=video_rel,
            video_from=v_from,
            video_to=v_to,
            success=_success(row),
            data_from=int(d_from) if d_from is not None else None,
            data_to=int(d_to) if d_to is not None else None,
        )

    # --- stats --------------------------------------------------------------------------------
    def feature_range(self, feature: str, dim: int) -> tuple[float, float, str] | None:
        """Dataset-wide (low, high, where from) of one state dimension: the 1st and 99th
        percentiles where the stats have them (LeRobot since v0.4.0; outliers and un-clipped
        simulated grippers then do not stretch the range), else min and max; from
        meta/stats.json, or (v2.1) meta/episodes_stats.jsonl aggregated as LeRobot does
        (min of the lows, max of the highs)."""
        path = self.root / "meta" / "stats.json"
        if path.is_file():
            try:
                stats = json.loads(path.read_text()).get(feature) or {}
                lo_key, hi_key = _range_keys(stats)
                lo, hi = float(stats[lo_key][dim]), float(stats[hi_key][dim])
            except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError):
                return None
            return lo, hi, f"meta/stats.json {lo_key}/{hi_key}"
        path = self.root / "meta" / "episodes_stats.jsonl"
        if not path.is_file():
            return None
        lo, hi = float("inf"), float("-inf")
        keys: set[tuple[str, str]] = set()
        try:
            for _, row in _jsonl(path):
                st = (row.get("stats") or {}).get(feature) or {}
                lo_key, hi_key = _range_keys(st)
                keys.add((lo_key, hi_key))
                lo = min(lo, float(st[lo_key][dim]))
                hi = max(hi, float(st[hi_key][dim]))
        except (LeRobotError, KeyError, IndexError, TypeError, ValueError):
            return None
        if not lo <= hi:
            return None
        used = "/".join(next(iter(keys))) if len(keys) == 1 else "q01/q99 or min/max"
        return lo, hi, f"meta/episodes_stats.jsonl {used}"


def _range_keys(stats: dict[str, Any]) -> tuple[str, str]:
    return ("q01", "q99") if "q01" in stats and "q99" in stats else ("min", "max")


def _success(row: dict[str, Any]) -> bool | None:
    for key in ("success", "is_success", "next.success"):
        value = row.get(key)
        if isinstance(value, bool):
            return value
    return None


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """A JSONL meta file's rows, through the line reader; a line that cannot be read fails the
    whole file with the file and the line named (metadata is all or nothing)."""
    if not path.is_file():
        raise LeRobotError(path, "file is missing")

    def refuse(reason: str, hint: str | None) -> LeRobotError:
        return LeRobotError(path, reason, hint=hint)

    for n, row in LineReader(path, what="file", refuse=refuse):
        if isinstance(row, RowError):
            raise LeRobotError(path, f"line {n}: {row}")
        yield n, row
