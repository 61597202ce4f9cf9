"""LeRobot v3.0 ingest at dataset scale: episodes/s and peak memory, 2,000 vs 50,000 episodes.

Builds synthetic v3.0 datasets in a temporary folder: one shared short video, every episode a
window of it, and all episodes' rows (10 frames each, SO-100-style 6-dim named state with a
gripper that closes and opens) in ONE data parquet file. Each size runs in a fresh process, so
peak memory (ru_maxrss) is that size's own. Prints a markdown table.

    python benchmarks/ingest_lerobot.py [--sizes 2000 50000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FRAMES = 10
FPS = 10


def build(root: Path, episodes: int) -> Path:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.clips import make_clip

    key = "observation.images.front"
    names = [f"main_{j}" for j in ("pan", "lift", "elbow", "wrist_flex", "wrist_roll")]
    names.append("main_gripper")
    feats = {
        "observation.state": {"dtype": "float32", "shape": [6], "names": names},
        "action": {"dtype": "float32", "shape": [6], "names": names},
        key: {"dtype": "video", "shape": [240, 320, 3], "names": ["height", "width", "channels"]},
        **{
            k: {"dtype": d, "shape": [1], "names": None}
            for k, d in (
                ("timestamp", "float32"),
                ("frame_index", "int64"),
                ("episode_index", "int64"),
                ("index", "int64"),
                ("task_index", "int64"),
            )
        },
    }
    (root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    info = {
        "codebase_version": "v3.0",
        "robot_type": "so100",
        "fps": FPS,
        "total_episodes": episodes,
        "total_frames": episodes * FRAMES,
        "total_tasks": 1,
        "chunks_size": 1000,
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": feats,
    }
    (root / "meta" / "info.json").write_text(json.dumps(info))
    vdir = root / "videos" / key / "chunk-000"
    vdir.mkdir(parents=True)
    make_clip(vdir / "file-000.mp4", seconds=FRAMES / FPS, fps=FPS)  # shared by every episode
    n = episodes * FRAMES
    state = np.tile(np.linspace(0, 1, FRAMES, dtype=np.float32)[:, None], (episodes, 6))
    grip = np.tile(np.array([40.0] * 3 + [1.0] * 4 + [40.0] * 3, dtype=np.float32), episodes)
    state[:, 5] = grip
    flat = pa.array(state.reshape(-1))
    vec = pa.FixedSizeListArray.from_arrays(flat, 6)
    table = pa.table(
        {
            "observation.state": vec,
            "action": vec,
            "timestamp": pa.array(np.tile(np.arange(FRAMES) / FPS, episodes), pa.float32()),
            "frame_index": pa.array(np.tile(np.arange(FRAMES), episodes), pa.int64()),
            "episode_index": pa.array(np.repeat(np.arange(episodes), FRAMES), pa.int64()),
            "index": pa.array(np.arange(n), pa.int64()),
            "task_index": pa.array(np.zeros(n, dtype=np.int64)),
        }
    )
    (root / "data" / "chunk-000").mkdir(parents=True)
    pq.write_table(table, root / "data" / "chunk-000" / "file-000.parquet")
    pd.DataFrame(
        {"task_index": [0]}, index=pd.Index(["Pick up the cube."], name="task")
    ).to_parquet(root / "meta" / "tasks.parquet")
    idx = np.arange(episodes)
    meta = pa.table(
        {
            "episode_index": idx,
            "tasks": [["Pick up the cube."]] * episodes,
            "length": np.full(episodes, FRAMES),
            "data/chunk_index": np.zeros(episodes, dtype=np.int64),
            "data/file_index": np.zeros(episodes, dtype=np.int64),
            "dataset_from_index": idx * FRAMES,
            "dataset_to_index": (idx + 1) * FRAMES,
            f"videos/{key}/chunk_index": np.zeros(episodes, dtype=np.int64),
            f"videos/{key}/file_index": np.zeros(episodes, dtype=np.int64),
            f"videos/{key}/from_timestamp": np.zeros(episodes),
            f"videos/{key}/to_timestamp": np.full(episodes, FRAMES / FPS),
            "stats/observation.state/min": [[0.0] * 6] * episodes,
            "stats/observation.state/max": [[1.0] * 5 + [40.0]] * episodes,
        }
    )
    pq.write_table(meta, root / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    (root / "meta" / "stats.json").write_text(
        json.dumps({"observation.state": {"min": [0.0] * 5 + [1.0], "max": [1.0] * 5 + [40.0]}})
    )
    return root


def child(episodes: int) -> None:
    """One size in this process: build, then time the reader alone and the full ingest."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from agent.data import ingest
    from agent.data.lerobot import LeRobotReader
    from agent.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = build(Path(tmp) / "bench", episodes)
        t0 = time.perf_counter()
        rows = sum(1 for _ in LeRobotReader(root).rows())
        read_s = time.perf_counter() - t0
        store = Store(Path(tmp) / "r.db")
        t0 = time.perf_counter()
        report = ingest(store, root)
        ingest_s = time.perf_counter() - t0
        assert rows == episodes and report.added == episodes and not report.skipped
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps(
                {"episodes": episodes, "read_s": read_s, "ingest_s": ingest_s, "peak_mib": peak_mib}
            )
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 50000])
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    results = []
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    base = results[0]["ingest_s"] / results[0]["episodes"]
    print(
        "| episodes (one data file) | rows | reader only, episodes/s | ingest s | "
        "ingest episodes/s | ms per episode | vs smallest | peak RSS MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        per = r["ingest_s"] / r["episodes"]
        print(
            f"| {r['episodes']:,} | {r['episodes'] * FRAMES:,} | "
            f"{r['episodes'] / r['read_s']:,.0f} | {r['ingest_s']:.1f} | "
            f"{r['episodes'] / r['ingest_s']:,.0f} | {per * 1000:.2f} | {per / base:.2f}x | "
            f"{r['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
