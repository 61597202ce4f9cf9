"""Write reviewed captions back into a copy of a LeRobot dataset, as language it carries.

Each caption becomes a task: appended to the tasks table (v2.1 `meta/tasks.jsonl`, v3.0
`meta/tasks.parquet`), and the frames of its clip point to it through `task_index`, so LeRobot's
loader returns the caption as those frames' `task`. What that touches is regenerated the way
LeRobot computes it: the data files' `task_index` column (every other column and the file's
schema metadata kept), each affected episode's `tasks` list, its `task_index` stats
(min/max/mean/std/count over its frames, and any qNN quantiles), the dataset's aggregated
`task_index` stats (v3.0 `meta/stats.json`: count-weighted mean and pooled variance, as
LeRobot's aggregate_stats) and `total_tasks` in `meta/info.json`. Untouched lines of the JSONL
files and every other file (videos, other stats, README) are copied byte for byte. The original
dataset is never written to.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.data.lerobot._layout import Layout, LeRobotError, read_parquet
from agent.errors import RecapError


@dataclass(frozen=True)
class Assignment:
    """Frames [frame_from, frame_to) of an episode get `text` as their task."""

    episode: int
    frame_from: int
    frame_to: int
    text: str


@dataclass
class WriteReport:
    out: Path
    clips: int = 0
    frames: int = 0
    new_tasks: int = 0
    changed_files: list[str] = field(default_factory=list)


def _check_paths(src: Path, out: Path) -> None:
    s, o = src.resolve(), out.resolve()
    if o == s or s in o.parents or o in s.parents:
        raise RecapError(
            f"Cannot write the copy to {out}: it overlaps the source dataset {src}.",
            hint="Pass --out a new folder outside the dataset.",
        )
    if out.exists() and any(out.iterdir()):
        raise RecapError(f"Cannot write the copy to {out}: the folder is not empty.")


def _stats(values: np.ndarray, keys: Iterable[str]) -> dict[str, list[float] | list[int]]:
    """A 1-d feature's stats as LeRobot's get_feature_stats (keepdims for 1-d data)."""
    arr = values.astype(np.float64)
    out: dict[str, Any] = {}
    for k in keys:
        if k == "min":
            out[k] = [int(arr.min())]
        elif k == "max":
            out[k] = [int(arr.max())]
        elif k == "mean":
            out[k] = [float(arr.mean())]
        elif k == "std":
            out[k] = [float(arr.std())]
        elif k == "count":
            out[k] = [len(arr)]
        elif k.startswith("q") and k[1:].isdigit():
            out[k] = [float(np.quantile(arr, int(k[1:]) / 100))]
    return out


def _aggregate(per_episode: list[dict[str, Any]]) -> dict[str, Any]:
    """LeRobot's aggregate_feature_stats for a 1-d feature; quantiles count-weighted."""
    counts = np.array([s["count"][0] for s in per_episode], dtype=np.float64)
    total = counts.sum()
    means = np.array([s["mean"][0] for s in per_episode])
    var = np.array([s["std"][0] ** 2 for s in per_episode])
    mean = float((means * counts).sum() / total)
    variance = float(((var + (means - mean) ** 2) * counts).sum() / total)
    out: dict[str, Any] = {
        "min": [min(s["min"][0] for s in per_episode)],
        "max": [max(s["max"][0] for s in per_episode)],
        "mean": [mean],
        "std": [float(np.sqrt(variance))],
        "count": [int(total)],
    }
    for k in per_episode[0]:
        if k.startswith("q") and k[1:].isdigit():
            out[k] = [
                float(sum(s[k][0] * c for s, c in zip(per_episode, counts, strict=True)) / total)
            ]
    return out


def write_copy(src: Path, out: Path, assignments: list[Assignment]) -> WriteReport:
    """Copy the dataset at `src` to `out` with `assignments` written in; see the module doc."""
    layout = Layout(src)
    _check_paths(src, out)
    tasks = layout.tasks()
    by_text = {t: i for i, t in sorted(tasks.items())}
    added: list[tuple[int, str]] = []
    for a in sorted(assignments, key=lambda a: (a.episode, a.frame_from)):
        if a.text not in by_text:
            index = max(by_text.values(), default=-1) + 1
            by_text[a.text] = index
            added.append((index, a.text))
    per_episode: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        per_episode[a.episode].append(a)

    if out.exists():
        out.rmdir()
    shutil.copytree(src, out)
    report = WriteReport(out=out, clips=len(assignments), new_tasks=len(added))
    copy = Layout(out)
    texts = {i: t for t, i in by_text.items()}
    episodes = list(copy.episodes(None))
    touched = {e.index: e for e in episodes if e.index in per_episode}
    # 1. data files: task_index of the assigned frames
    ep_frames: dict[int, np.ndarray] = {}  # task_index per frame of each touched episode
    for rel in sorted({e.data_rel for e in touched.values()}):
        report.frames += _rewrite_data(out / rel, per_episode, by_text, ep_frames)
        report.changed_files.append(rel)
    for e in touched.values():
        if e.index not in ep_frames:
            raise LeRobotError(out / e.data_rel, f"has no rows of episode {e.index}")
    # 2. metadata
    if copy.v3:
        report.changed_files += _meta_v3(copy, touched, ep_frames, texts, added)
    else:
        report.changed_files += _meta_v21(copy, touched, ep_frames, texts, added)
    if added:
        info = dict(copy.info)
        info["total_tasks"] = len(by_text)
        (out / "meta" / "info.json").write_text(json.dumps(info, indent=4, ensure_ascii=False))
        report.changed_files.append("meta/info.json")
    return report


def _rewrite_data(
    path: Path,
    per_episode: dict[int, list[Assignment]],
    by_text: dict[str, int],
    ep_frames: dict[int, np.ndarray],
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = read_parquet(path)
    for col in ("episode_index", "frame_index", "task_index"):
        if col not in table.column_names:
            raise LeRobotError(path, f"has no {col} column")
    eps = table["episode_index"].to_numpy()
    frames = table["frame_index"].to_numpy()
    task = table["task_index"].to_numpy().copy()
    changed = 0
    for ep, assigned in per_episode.items():
        rows = eps == ep
        if not rows.any():
            continue
        for a in assigned:
            sel = rows & (frames >= a.frame_from) & (frames < a.frame_to)
            task[sel] = by_text[a.text]
            changed += int(sel.sum())
        ep_frames[ep] = task[rows]
    field_ = table.schema.field("task_index")
    i = table.schema.get_field_index("task_index")
    table = table.set_column(i, field_, pa.array(task, type=field_.type))
    pq.write_table(table, path)
    return changed


def _episode_tasks(values: np.ndarray, texts: dict[int, str]) -> list[str]:
    """An episode's task strings, in the order its frames first use them."""
    seen: list[str] = []
    for v in dict.fromkeys(int(x) for x in values):
        seen.append(texts[v])
    return seen


def _meta_v21(
    layout: Layout,
    touched: dict[int, Any],
    ep_frames: dict[int, np.ndarray],
    texts: dict[int, str],
    added: list[tuple[int, str]],
) -> list[str]:
    meta = layout.root / "meta"
    changed = []
    if added:
        with (meta / "tasks.jsonl").open("a", encoding="utf-8") as fh:
            for i, t in added:
                fh.write(json.dumps({"task_index": i, "task": t}, ensure_ascii=False) + "\n")
        changed.append("meta/tasks.jsonl")
    for name, key in (("episodes.jsonl", "tasks"), ("episodes_stats.jsonl", "stats")):
        path = meta / name
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for n, line in enumerate(lines):
            if not line.strip():
                continue
            row = json.loads(line)
            ep = row.get("episode_index")
            if ep not in touched:
                continue
            if key == "tasks":
                row["tasks"] = _episode_tasks(ep_frames[ep], texts)
            else:
                stats = row.get("stats") or {}
                if "task_index" not in stats:
                    continue
                stats["task_index"] = _stats(ep_frames[ep], stats["task_index"].keys())
            lines[n] = json.dumps(row, ensure_ascii=False) + "\n"
        path.write_text("".join(lines), encoding="utf-8")
        changed.append(f"meta/{name}")
    return changed


def _meta_v3(
    layout: Layout,
    touched: dict[int, Any],
    ep_frames: dict[int, np.ndarray],
    texts: dict[int, str],
    added: list[tuple[int, str]],
) -> list[str]:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = layout.root / "meta"
    changed = []
    if added:
        ordered = sorted(texts.items())
        df = pd.DataFrame(
            {"task_index": [i for i, _ in ordered]},
            index=pd.Index([t for _, t in ordered], name="task"),
        )
        df.to_parquet(meta / "tasks.parquet")
        changed.append("meta/tasks.parquet")
    all_stats: list[dict[str, Any]] = []
    stat_keys: list[str] = []
    for path in layout.episode_files():
        table = read_parquet(path)
        names = table.column_names
        stat_keys = [c.split("/")[-1] for c in names if c.startswith("stats/task_index/")]
        index = table["episode_index"].to_pylist()
        hit = [i for i, e in enumerate(index) if e in touched]
        if hit:
            tasks_col = table["tasks"].to_pylist()
            for i in hit:
                tasks_col[i] = _episode_tasks(ep_frames[index[i]], texts)
            j = names.index("tasks")
            table = table.set_column(
                j, table.schema.field(j), pa.array(tasks_col, table.schema.field(j).type)
            )
        if stat_keys:
            cols = {k: table[f"stats/task_index/{k}"].to_pylist() for k in stat_keys}
            for i in hit:
                new = _stats(ep_frames[index[i]], stat_keys)
                for k in stat_keys:
                    cols[k][i] = new[k]
            for k in stat_keys:
                name = f"stats/task_index/{k}"
                j = names.index(name)
                if hit:
                    table = table.set_column(
                        j, table.schema.field(j), pa.array(cols[k], table.schema.field(j).type)
                    )
            all_stats += [{k: cols[k][i] for k in stat_keys} for i in range(len(index))]
        if hit:
            pq.write_table(table, path)
            changed.append(str(path.relative_to(layout.root)))
    stats_path = meta / "stats.json"
    if (
        touched
        and stat_keys
        and stats_path.is_file()
        and {"mean", "std", "count"} <= set(stat_keys)
    ):
        stats = json.loads(stats_path.read_text())
        if "task_index" in stats:
            stats["task_index"] = _aggregate(all_stats)
            stats_path.write_text(json.dumps(stats, indent=4, ensure_ascii=False))
            changed.append("meta/stats.json")
    return changed


def frame_tasks(root: Path) -> dict[tuple[int, int], str]:
    """(episode_index, frame_index) -> the task string a loader gives that frame; for reading a
    written copy back."""
    layout = Layout(root)
    tasks = layout.tasks()
    out: dict[tuple[int, int], str] = {}
    rels = dict.fromkeys(e.data_rel for e in layout.episodes(None))
    for rel in rels:
        t = read_parquet(root / rel, columns=["episode_index", "frame_index", "task_index"])
        for e, f, k in zip(
            t["episode_index"].to_pylist(),
            t["frame_index"].to_pylist(),
            t["task_index"].to_pylist(),
            strict=True,
        ):
            out[(e, f)] = tasks[k]
    return out
