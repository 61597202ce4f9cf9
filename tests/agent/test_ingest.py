from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from agent.errors import RecapError
from agent.ingest import ingest
from agent.store import Store
from tests.clips import make_clip


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "dataset"
    (root / "videos").mkdir(parents=True)
    for i in range(3):
        make_clip(root / "videos" / f"ep{i}.mp4", seconds=1, fps=10)
    (root / "videos" / "empty.mp4").write_bytes(b"")
    (root / "tel.json").write_text(json.dumps({"t": [0, 0.5], "gripper": [1, 0], "success": False}))
    return root


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def good_rows() -> list[dict]:
    return [
        {
            "id": "ep0",
            "video": "videos/ep0.mp4",
            "caption": "The robot picks up the red cube.",
            "gold_caption": "The robot pushes the red cube.",
            "gold_hallucinations": [
                {"span": "picks up", "type": "action", "explanation": "it pushes"}
            ],
            "gold_omissions": [{"description": "the cube falls", "type": "outcome"}],
            "telemetry": "tel.json",
            "meta": {"task": "push"},
        },
        {
            "id": "ep1",
            "video": "videos/ep1.mp4",
            "caption": "The robot opens the drawer.",
            "telemetry": {"t": [0, 1], "success": True},
        },
    ]


def test_manifest_rows_go_in_and_bad_rows_are_reported_by_line(tmp_path: Path, data: Path):
    rows = [
        *good_rows(),
        {"id": "ep1", "video": "videos/ep2.mp4", "caption": "dup"},
        {"id": "esc", "video": "../outside.mp4", "caption": "x"},
        {"id": "miss", "video": "videos/none.mp4", "caption": "x"},
        {"id": "empty", "video": "videos/empty.mp4", "caption": "x"},
        {"id": "nocap", "video": "videos/ep2.mp4", "caption": "  "},
        {"video": "videos/ep2.mp4", "caption": "no id"},
        "{not json",
        {
            "id": "badgold",
            "video": "videos/ep2.mp4",
            "caption": "The arm waves.",
            "gold_hallucinations": [{"span": "jumps", "type": "action", "explanation": "e"}],
        },
        {
            "id": "badtel",
            "video": "videos/ep2.mp4",
            "caption": "The arm waves.",
            "telemetry": {"t": [0, 1], "gripper": [1]},
        },
    ]
    manifest = write_jsonl(data / "manifest.jsonl", rows)
    store = Store(tmp_path / "r.db")
    report = ingest(store, manifest)
    assert (report.added, report.updated, report.unchanged) == (2, 0, 0)
    reasons = {p.line: p.reason for p in report.skipped}
    assert reasons[3] == "duplicate id 'ep1' (first on line 2)"
    assert "escapes the dataset root" in reasons[4]
    assert reasons[5].startswith("video file not found")
    assert reasons[6].startswith("video file is empty")
    assert reasons[7] == "empty caption"
    assert reasons[8] == "missing id"
    assert reasons[9].startswith("invalid JSON")
    assert "not an exact substring" in reasons[10]
    assert "gripper has 1 steps" in reasons[11]
    c = store.clip("ep0")
    assert c.gold["caption"] == "The robot pushes the red cube."
    assert c.gold["hallucinations"][0]["span"] == "picks up"
    assert c.telemetry["success"] is False and c.meta == {"task": "push"}
    assert Path(c.video).is_absolute() and store.caption("ep1") == "The robot opens the drawer."


def test_reingest_changes_nothing_and_edits_update(tmp_path: Path, data: Path) -> None:
    manifest = write_jsonl(data / "m.jsonl", good_rows())
    store = Store(tmp_path / "r.db")
    ingest(store, manifest)
    again = ingest(store, manifest)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    rows = good_rows()
    rows[1]["caption"] = "The robot closes the drawer."
    write_jsonl(manifest, rows)
    third = ingest(store, manifest)
    assert (third.updated, third.unchanged) == (1, 1)
    assert store.caption("ep1") == "The robot closes the drawer."


def test_csv_manifest(tmp_path: Path, data: Path) -> None:
    path = data / "m.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "video", "caption", "gold_hallucinations"])
        w.writeheader()
        w.writerow(
            {
                "id": "a",
                "video": "videos/ep0.mp4",
                "caption": "The robot lifts the cup.",
                "gold_hallucinations": json.dumps(
                    [{"span": "cup", "type": "object", "explanation": "a bowl"}]
                ),
            }
        )
        w.writerow({"id": "b", "video": "videos/ep1.mp4", "caption": "", "gold_hallucinations": ""})
    report = ingest(Store(tmp_path / "r.db"), path)
    assert report.added == 1
    assert [(p.line, p.reason) for p in report.skipped] == [(3, "empty caption")]


def test_unknown_sources_are_clear_errors(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    with pytest.raises(RecapError, match="does not exist"):
        ingest(store, tmp_path / "nope.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(RecapError, match=r"expected \.jsonl or \.csv"):
        ingest(store, tmp_path / "x.txt")
    with pytest.raises(RecapError, match="must be a LeRobot dataset"):
        ingest(store, tmp_path)


# --- LeRobot ------------------------------------------------------------------------------------


def lerobot_v2(root: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (root / "meta").mkdir(parents=True)
    info = {
        "codebase_version": "v2.1",
        "fps": 10,
        "chunks_size": 1000,
        "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
        "video_path": "videos/chunk-{episode_chunk:03d}/{video_key}/"
        "episode_{episode_index:06d}.mp4",
        "features": {
            "observation.images.top": {"dtype": "video"},
            "observation.state": {"dtype": "float32"},
        },
    }
    (root / "meta" / "info.json").write_text(json.dumps(info))
    eps = [
        {"episode_index": 0, "tasks": ["Pick up the cube."], "length": 10},
        {"episode_index": 1, "tasks": ["Open the drawer."], "length": 10},
    ]
    (root / "meta" / "episodes.jsonl").write_text("\n".join(json.dumps(e) for e in eps))
    for e in eps:
        i = e["episode_index"]
        vdir = root / "videos" / "chunk-000" / "observation.images.top"
        vdir.mkdir(parents=True, exist_ok=True)
        make_clip(vdir / f"episode_{i:06d}.mp4", seconds=1, fps=10)
        ddir = root / "data" / "chunk-000"
        ddir.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.table(
                {
                    "timestamp": [t / 10 for t in range(10)],
                    "observation.state": [[0.1 * t, 0.0] for t in range(10)],
                    "action": [[0.0, 1.0]] * 10,
                    "episode_index": [i] * 10,
                    "next.success": [False] * 9 + [i == 0],
                }
            ),
            ddir / f"episode_{i:06d}.parquet",
        )
    return root


def lerobot_v3(root: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    info = {
        "codebase_version": "v3.0",
        "fps": 10,
        "chunks_size": 1000,
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": {"observation.images.front": {"dtype": "video"}},
    }
    (root / "meta" / "info.json").write_text(json.dumps(info))
    key = "observation.images.front"
    vdir = root / "videos" / key / "chunk-000"
    vdir.mkdir(parents=True)
    make_clip(vdir / "file-000.mp4", seconds=4, fps=10)  # two 2 s episodes in one file
    ddir = root / "data" / "chunk-000"
    ddir.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "timestamp": [t / 10 for t in range(10)] * 2,
                "observation.state": [[float(t)] for t in range(20)],
                "episode_index": [0] * 10 + [1] * 10,
            }
        ),
        ddir / "file-000.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "episode_index": [0, 1],
                "tasks": [["Push the puck left."], ["Press the button."]],
                "length": [10, 10],
                "data/chunk_index": [0, 0],
                "data/file_index": [0, 0],
                f"videos/{key}/chunk_index": [0, 0],
                f"videos/{key}/file_index": [0, 0],
                f"videos/{key}/from_timestamp": [0.0, 2.0],
                f"videos/{key}/to_timestamp": [2.0, 4.0],
            }
        ),
        root / "meta" / "episodes" / "chunk-000" / "file-000.parquet",
    )
    return root


def test_lerobot_v2_episodes_become_clips(tmp_path: Path) -> None:
    root = lerobot_v2(tmp_path / "ds2")
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert report.added == 2 and not report.skipped
    c = store.clip("ds2/episode_000000")
    assert store.caption(c.id) == "Pick up the cube."
    assert c.telemetry["t"][:2] == [0.0, 0.1] and len(c.telemetry["state"]) == 10
    assert c.telemetry["success"] is True
    assert store.clip("ds2/episode_000001").telemetry["success"] is False
    assert ingest(store, root).unchanged == 2


def test_lerobot_v3_episodes_are_windows_of_shared_files(tmp_path: Path) -> None:
    root = lerobot_v3(tmp_path / "ds3")
    store = Store(tmp_path / "r.db")
    assert ingest(store, root).added == 2
    c = store.clip("ds3/episode_000001")
    assert (c.start_s, c.end_s) == (2.0, 4.0)
    assert store.caption(c.id) == "Press the button."
    assert c.telemetry["state"][0] == [10.0]  # only episode 1's rows
    assert c.telemetry["t"][0] == 2.0  # on the video file's clock, like the sampled frames
    with pytest.raises(RecapError, match="No camera 'wrist'"):
        ingest(store, root, camera="wrist")
