"""Streaming reader: a LeRobot dataset's episodes -> clip rows, each data file read once.

v3.0 concatenates thousands of episodes into one data parquet. Reading it once per episode
makes ingest grow with episodes x file size; here each data file is streamed once, in record
batches, and cut into episodes as their rows go by, so memory is bounded by one record batch plus
one episode, not by the file or the dataset. v2.1 has one small file per episode, read once each.

Rows come out as `(number, row | RowError)`: a row is what `agent.data._rows.RowChecker`
checks (id, video, caption, telemetry, start, end, meta, gold fields). Times in the telemetry
are on the video file's clock, the same clock as sampled frame times and evidence times, so for
a v3.0 episode that starts 812 s into its shared video the telemetry starts at 812 s too.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.data._rows import safe_id_part
from agent.data.lerobot._captions import CaptionRow, read_captions
from agent.data.lerobot._layout import Episode, Layout
from agent.data.lerobot._state import (
    StateMap,
    coverage,
    parse_state_map,
    resolve,
    telemetry_from_state,
)
from agent.errors import RecapError, RowError
from agent.telemetry import NOTE_META_KEY

DEFAULT_WINDOW_S = 5.0
RECORD_BATCH_ROWS = 65_536  # rows per pyarrow record batch streamed from a data file
# Columns that say whether an episode succeeded, in the order they are trusted: `next.success`
# (lerobot-eval recordings, PushT), `is_episode_successful` (LeRobot's DROID port, the same on
# every frame), then success in the episode metadata, then `next.reward` read as a 0/1 success
# signal: HIL-SERL's gym_manipulator records reward = float(success), 1.0 on the frame where
# success is signalled (src/lerobot/processor/hil_processor.py:517 @7427f318), so an episode
# whose rewards are all 0 or 1 succeeded when one is 1; any other reward is a dense reward, not
# read as success.
SUCCESS_COLUMNS = ("next.success", "is_episode_successful")
REWARD_COLUMN = "next.reward"
BASE_COLUMNS = (
    "episode_index",
    "timestamp",
    "frame_index",
    "index",
    "task_index",
    *SUCCESS_COLUMNS,
    REWARD_COLUMN,
)
RAW_COLUMNS = ("observation.state", "action")


@dataclass
class EpisodeFrames:
    """One episode's rows as arrays: its clock, frame numbers, and the columns recap uses."""

    timestamp: np.ndarray
    frame_index: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    success: bool | None = None  # from a success column
    rewarded: bool | None = None  # from next.reward, when its values are all 0 or 1
    dense_reward: bool = False  # next.reward holds other values: not a success signal


def _matrix(arr: Any) -> np.ndarray:
    """An Arrow column (scalars or lists of numbers) as an (n, dim) float array."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if pa.types.is_list(arr.type) or pa.types.is_fixed_size_list(arr.type):
        flat = arr.flatten().to_numpy(zero_copy_only=False)
        return flat.reshape(n, -1) if n else flat.reshape(0, 0)
    return arr.to_numpy(zero_copy_only=False).reshape(n, 1)


def _frames(table: Any, columns: list[str], fps: float) -> EpisodeFrames:
    names = table.column_names
    n = table.num_rows
    if "timestamp" in names:
        ts = np.asarray(table["timestamp"].to_numpy(), dtype=float)
    elif "frame_index" in names:
        ts = np.asarray(table["frame_index"].to_numpy(), dtype=float) / fps
    else:
        ts = np.arange(n, dtype=float) / fps
    fi = (
        np.asarray(table["frame_index"].to_numpy(), dtype=np.int64)
        if "frame_index" in names
        else np.arange(n, dtype=np.int64)
    )
    cols = {c: _matrix(table[c]) for c in columns if c in names}
    fr = EpisodeFrames(ts, fi, cols)
    column = next((c for c in SUCCESS_COLUMNS if c in names), None)
    if column is not None:
        fr.success = bool(np.any(_matrix(table[column])))
    if REWARD_COLUMN in names:
        reward = _matrix(table[REWARD_COLUMN]).astype(float)
        if np.all(np.isin(reward, (0.0, 1.0))):
            fr.rewarded = bool(np.any(reward == 1.0))
        else:
            fr.dense_reward = True
    return fr


class LeRobotReader:
    """Turns a dataset (plus optional captions file) into clip rows; see the module doc."""

    def __init__(
        self,
        root: Path,
        *,
        camera: str | None = None,
        captions: Path | None = None,
        window: float | None = DEFAULT_WINDOW_S,
        state_map: list[str] | tuple[str, ...] | None = None,
        profile: str | None = None,
    ) -> None:
        self.layout = Layout(root)
        self.key = self.layout.video_key(camera)
        self.smap: StateMap = resolve(self.layout, parse_state_map(state_map), profile)
        coverage(self.smap, self.layout, self._success_source())
        self.captions_path = captions
        self.captions = read_captions(captions) if captions else None
        if window is not None and window < 0:
            raise RecapError(f"--window {window}: must be 0 (whole episodes) or more seconds")
        self.window = window or None
        self.notes: list[str] = list(self.smap.notes)
        self.columns = sorted(self.smap.columns | set(RAW_COLUMNS))
        self._split = 0
        self._split_windows = 0
        self._uncaptioned = 0
        self._dense_reward = 0

    def _success_source(self) -> str | None:
        """Where this dataset's success comes from, judged from its declared features, the
        columns of its first data file and its first episode's metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = set(self.layout.features)
        episodes = self.layout.episodes(self.key)
        try:
            first = next(iter(episodes), None)
        finally:
            episodes.close()  # type: ignore[attr-defined]
        if first is not None:
            with contextlib.suppress(pa.ArrowException, OSError):  # the rows report the file
                columns |= set(pq.read_schema(self.layout.root / first.data_rel).names)
        column = next((c for c in SUCCESS_COLUMNS if c in columns), None)
        if column is not None:
            return column
        if first is not None and first.success is not None:
            return "episode metadata"
        if REWARD_COLUMN in columns:
            return f"{REWARD_COLUMN}, 1 = success"
        return None

    def describe(self) -> str:
        extra = f", captions {self.captions_path.name}" if self.captions_path else ""
        return (
            f"{self.layout.root} (LeRobot {self.layout.version}, camera {self.key}, "
            f"{self.smap.describe()}{extra})"
        )

    # --- data ---------------------------------------------------------------------------------
    def _wanted(self, schema_names: list[str]) -> list[str]:
        want = [*BASE_COLUMNS, *self.columns]
        return [c for c in want if c in schema_names]

    def episode_frames(
        self, episodes: Iterable[Episode]
    ) -> Iterator[tuple[Episode, EpisodeFrames | RowError]]:
        """Each episode with its rows, reading every data file once, front to back."""
        if self.layout.v3:
            yield from self._frames_v3(episodes)
        else:
            yield from self._frames_v2(episodes)

    def _frames_v2(
        self, episodes: Iterable[Episode]
    ) -> Iterator[tuple[Episode, EpisodeFrames | RowError]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        for ep in episodes:
            path = self.layout.root / ep.data_rel
            if not path.is_file():
                yield ep, RowError(f"data file {ep.data_rel} is missing")
                continue
            try:
                pf = pq.ParquetFile(path)
                table = pf.read(columns=self._wanted(pf.schema_arrow.names))
            except (pa.ArrowException, OSError) as e:
                yield ep, RowError(f"data file {ep.data_rel} is not a readable parquet file ({e})")
                continue
            yield ep, _frames(table, self.columns, self.layout.fps)

    def _frames_v3(
        self, episodes: Iterable[Episode]
    ) -> Iterator[tuple[Episode, EpisodeFrames | RowError]]:
        run: list[Episode] = []
        for ep in episodes:
            if run and ep.data_rel != run[0].data_rel:
                yield from self._stream_file(run)
                run = []
            run.append(ep)
        if run:
            yield from self._stream_file(run)

    def _stream_file(
        self, run: list[Episode]
    ) -> Iterator[tuple[Episode, EpisodeFrames | RowError]]:
        """Stream one shared data file once and cut it into the episodes of `run`."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rel = run[0].data_rel
        path = self.layout.root / rel
        wanted = {ep.index: ep for ep in run}
        done: set[int] = set()

        def fail(reason: str) -> Iterator[tuple[Episode, RowError]]:
            for ep in run:
                if ep.index not in done:
                    yield ep, RowError(reason)

        if not path.is_file():
            yield from fail(f"data file {rel} is missing")
            return
        try:
            pf = pq.ParquetFile(path)
            names = pf.schema_arrow.names
            if "episode_index" not in names:
                yield from fail(f"data file {rel} has no episode_index column")
                return
            cols = self._wanted(names)
            current: int | None = None
            pieces: list[Any] = []

            def finish() -> tuple[Episode, EpisodeFrames | RowError] | None:
                if current is None or current not in wanted:
                    return None
                done.add(current)
                table = pa.Table.from_batches(pieces)
                return wanted[current], _frames(table, self.columns, self.layout.fps)

            for batch in pf.iter_batches(batch_size=RECORD_BATCH_ROWS, columns=cols):
                eps = batch.column("episode_index").to_numpy(zero_copy_only=False)
                if not len(eps):
                    continue
                cuts = [0, *(np.flatnonzero(np.diff(eps)) + 1).tolist(), len(eps)]
                for a, b in itertools.pairwise(cuts):
                    value = int(eps[a])
                    if value != current:
                        out = finish()
                        if out is not None:
                            yield out
                        if value in done:
                            raise RowError(
                                f"data file {rel}: rows of episode {value} are not contiguous"
                            )
                        current, pieces = value, []
                    if value in wanted:
                        pieces.append(batch.slice(a, b - a))
            out = finish()
            if out is not None:
                yield out
        except RowError as e:
            yield from fail(str(e))
            return
        except (pa.ArrowException, OSError) as e:
            yield from fail(f"data file {rel} is not a readable parquet file ({e})")
            return
        for ep in run:
            if ep.index not in done:
                yield ep, RowError(f"data file {rel} has no rows of episode {ep.index}")

    # --- rows ---------------------------------------------------------------------------------
    def rows(self) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        """(line or episode number, clip row | RowError) for every clip of the dataset."""
        seen_eps: set[int] = set()
        captions = self.captions
        if captions is not None:
            for bad in captions.bad:
                yield bad.line, RowError(f"{self.captions_path}: {bad.reason}")
        n = 0
        for ep, frames in self.episode_frames(self.layout.episodes(self.key)):
            n += 1
            seen_eps.add(ep.index)
            rows_for = captions.by_episode.get(ep.index) if captions is not None else None
            if captions is not None and not rows_for:
                self._uncaptioned += 1
                continue
            if isinstance(frames, RowError):
                if rows_for:
                    for r in rows_for:
                        yield r.line, RowError(f"episode {ep.index}: {frames}")
                else:
                    yield n, RowError(f"episode {ep.index}: {frames}")
                continue
            yield from self._episode_rows(n, ep, frames, rows_for)
        if captions is not None:
            for episode, rows in sorted(captions.by_episode.items()):
                if episode not in seen_eps:
                    for r in rows:
                        yield (
                            r.line,
                            RowError(
                                f"{self.captions_path}: episode {episode} is not in the dataset"
                            ),
                        )
        self._summarise()

    def _summarise(self) -> None:
        for g in self.smap.grippers:
            if g.outside:
                self.notes.append(
                    f"gripper {g.dim.name}: {g.outside} episode(s) ran outside {g.range_from} "
                    f"({g.closed:g} closed .. {g.opened:g} open) and were normalised on their "
                    "own range"
                )
        if self._dense_reward:
            self.notes.append(
                f"{self._dense_reward} episode(s) have {REWARD_COLUMN} values other than 0 and "
                "1: a dense reward, not read as success"
            )
        if self._split:
            self.notes.append(
                f"{self._split} episode(s) longer than the {self.window:g} s window were "
                f"reviewed as {self._split_windows} windows, each captioned with its episode's "
                "task (pass --captions for per-window captions, or --window 0 to keep whole "
                "episodes)"
            )
        if self._uncaptioned:
            self.notes.append(
                f"{self._uncaptioned} episode(s) have no row in {self.captions_path} and were "
                "not ingested"
            )

    def _episode_rows(
        self, n: int, ep: Episode, fr: EpisodeFrames, rows_for: list[CaptionRow] | None
    ) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        fps = self.layout.fps
        count = len(fr.timestamp)
        if count == 0:
            yield n, RowError(f"episode {ep.index}: no rows in {ep.data_rel}")
            return
        if ep.length is not None and ep.length != count:
            reason = (
                f"episode {ep.index}: metadata says {ep.length} frames but {ep.data_rel} has "
                f"{count}"
            )
            for r in rows_for or [None]:
                yield (r.line if r else n), RowError(reason)
            return
        ts = fr.timestamp
        duration = round(float(ts[-1] - ts[0]) + 1.0 / fps, 4)  # float32 clocks: 39.900002
        t0 = float(ts[0])
        base = f"{safe_id_part(self.layout.name)}/episode_{ep.index:06d}"  # ids' safe set
        if ep.video_to is not None and ep.video_to - ep.video_from < duration - 1.5 / fps:
            yield (
                n,
                RowError(
                    f"episode {ep.index}: its video window "
                    f"({ep.video_to - ep.video_from:.2f} s) is "
                    f"shorter than its {count} frames at {fps:g} fps ({duration:.2f} s)"
                ),
            )
            return
        outcome = fr.success if fr.success is not None else ep.success
        if outcome is None:
            outcome = fr.rewarded
            self._dense_reward += fr.dense_reward
        # The whole episode's signals first: grippers are normalised over the episode.
        rel_t = ts - t0
        signals = telemetry_from_state(self.smap, fr.columns, rel_t.tolist())
        windows: list[tuple[int, float, float, str, str | None, dict[str, Any], str]] = []
        task_text = " ".join(ep.tasks).strip()
        if rows_for is not None:
            for r in rows_for:
                start = r.start or 0.0
                end = r.end if r.end is not None else duration
                if end > duration + 1.0 / fps:
                    yield (
                        r.line,
                        RowError(
                            f"end {end:g} s is past the end of episode {ep.index} "
                            f"({duration:.2f} s)"
                        ),
                    )
                    continue
                if start >= duration:
                    yield (
                        r.line,
                        RowError(
                            f"start {start:g} s is past the end of episode {ep.index} "
                            f"({duration:.2f} s)"
                        ),
                    )
                    continue
                windows.append(
                    (r.line, start, min(end, duration), r.caption, r.id, r.gold, "captions")
                )
        elif self.window and duration > self.window + 0.5 / fps:
            k = math.ceil((duration - 0.5 / fps) / self.window)
            step = duration / k
            self._split += 1
            self._split_windows += k
            for i in range(k):
                end = duration if i == k - 1 else (i + 1) * step
                windows.append((n, i * step, end, task_text, None, {}, "task"))
        else:
            windows.append((n, 0.0, duration, task_text, None, {}, "task"))
        whole = len(windows) == 1 and rows_for is None
        for line, start, end, caption, given_id, gold, source in windows:
            mask = (rel_t >= start - 1e-6) & (rel_t < end - 1e-6)
            idx = np.flatnonzero(mask)
            if len(idx) < 2:
                yield (
                    line,
                    RowError(
                        f"episode {ep.index} window {start:g}-{end:g} s holds {len(idx)} frame(s); "
                        "a clip needs at least 2"
                    ),
                )
                continue
            a, b = int(idx[0]), int(idx[-1]) + 1
            clock = ep.video_from + rel_t[a:b]
            tel: dict[str, Any] = {"t": np.round(clock, 4).tolist()}
            for col, name in (("observation.state", "state"), ("action", "action")):
                if col in fr.columns:
                    tel[name] = fr.columns[col][a:b].tolist()
            for name in ("gripper", "ee_pos"):
                if name in signals:
                    tel[name] = signals[name][a:b]
            if "grippers" in signals:
                tel["grippers"] = {k: v[a:b] for k, v in signals["grippers"].items()}
            if outcome is not None and b == count:  # the outcome belongs to the episode's end
                tel["success"] = outcome
            if self.smap.clip_note:
                tel["note"] = self.smap.clip_note
            if whole and not self.layout.v3:
                v_start = v_end = None  # one video per episode: the whole file
            elif whole:
                v_start, v_end = ep.video_from, ep.video_to  # the episode's own window
            else:
                v_start = round(ep.video_from + start, 4)
                v_end = round(ep.video_from + end, 4)
            clip_id = given_id or (base if whole else f"{base}@{start:.2f}-{end:.2f}")
            row: dict[str, Any] = {
                "id": clip_id,
                "video": ep.video_rel,
                "caption": caption,
                "telemetry": tel,
                "start": v_start,
                "end": v_end,
                "meta": {
                    "episode_index": ep.index,
                    "tasks": ep.tasks,
                    "lerobot": self.layout.version,
                    **({"robot_type": self.layout.robot_type} if self.layout.robot_type else {}),
                    "length": ep.length,
                    "window": [round(start, 4), round(end, 4)],
                    "frames": [int(fr.frame_index[a]), int(fr.frame_index[b - 1]) + 1],
                    "caption_source": source,
                    **({NOTE_META_KEY: self.smap.clip_note} if self.smap.clip_note else {}),
                },
                **gold,
            }
            yield line, row
