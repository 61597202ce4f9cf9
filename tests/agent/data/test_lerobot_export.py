"""Write-back: reviewed captions become the task of their frames in a copy of the dataset
(v2.1 in, v2.1 out; v3.0 in, v3.0 out), everything else unchanged; read back with recap's
reader and, where installed, LeRobot's own loader."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from agent.data import export_lerobot, ingest
from agent.data.lerobot._layout import Layout
from agent.data.lerobot._writer import frame_tasks
from agent.errors import RecapError
from agent.store import Review, Store
from recap.main import app
from tests.lerobot_data import Ep, make_dataset, so100_state

FPS = 10
TASK = "Pick up the cube."
REVIEWED = "The arm closes its gripper on nothing and opens it again."


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def reviewed_run(tmp_path: Path, version: str) -> tuple[Path, Store, dict[str, str]]:
    """A dataset ingested with a captions file, drafted offline, one clip reviewed."""
    eps = [
        Ep(TASK, so100_state(50, 15, 40), success=False),
        Ep(TASK, so100_state(50, 20, None, closed=12.0), success=True),
        Ep("Wave.", so100_state(30, None, None), success=False),
    ]
    src = make_dataset(tmp_path / "src", eps, version=version, fps=FPS)
    caps = tmp_path / "caps.jsonl"
    caps.write_text(
        json.dumps({"episode_index": 0, "start": 1.0, "end": 4.5, "caption": "The arm grasps."})
        + "\n"
        + json.dumps({"episode_index": 1, "caption": "The arm picks up the cube and succeeds."})
        + "\n"
    )
    db = tmp_path / "r.db"
    store = Store(db)
    assert ingest(store, src, captions=caps).added == 2
    result = CliRunner().invoke(
        app, ["draft", "--drafter", "offline", "--run", "r1", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    clip0 = next(c for c, _ in store.clips.with_captions() if c.meta["episode_index"] == 0)
    store.reviews.add(
        Review(
            clip_id=clip0.id, run="r1", reviewer="ann", decision="edited", final_caption=REVIEWED
        )
    )
    return src, store, tree(src)


@pytest.mark.parametrize("version", ["v2.1", "v3.0"])
def test_reviewed_captions_become_frame_tasks(tmp_path: Path, version: str) -> None:
    src, store, before = reviewed_run(tmp_path, version)
    draft1 = next(d for d in store.runs.drafts("r1") if "episode_000001" in d.clip_id).rewrite
    out = tmp_path / "out"
    report = export_lerobot(store, "r1", out)
    assert tree(src) == before  # the original is never written to
    assert Layout(out).version == version
    tasks = frame_tasks(out)
    assert [tasks[(0, f)] for f in range(50)] == [TASK] * 10 + [REVIEWED] * 35 + [TASK] * 5
    assert {tasks[(1, f)] for f in range(50)} == {draft1}  # not reviewed: the draft's text
    assert {tasks[(2, f)] for f in range(30)} == {"Wave."}
    assert report.frames == 35 + 50
    # every file but the ones the writer lists is byte-identical
    after = tree(out)
    changed = set(report.changed_files)
    assert {k for k in after if after[k] != before.get(k)} <= changed
    assert set(after) == set(before)
    # data files: only task_index differs, schema metadata kept
    for rel in (r for r in changed if r.startswith("data/")):
        a, b = pq.read_table(src / rel), pq.read_table(out / rel)
        assert a.schema == b.schema and a.schema.metadata == b.schema.metadata
        assert a.drop_columns(["task_index"]).equals(b.drop_columns(["task_index"]))
    # metadata regenerated from the frames
    layout = Layout(out)
    table = layout.tasks()
    info = json.loads((out / "meta" / "info.json").read_text())
    assert info["total_tasks"] == len(table) and REVIEWED in table.values()
    ep_tasks = {e.index: e.tasks for e in layout.episodes(None)}
    assert ep_tasks[0] == [TASK, REVIEWED] and ep_tasks[1] == [draft1]
    all_idx = np.concatenate(
        [
            pq.read_table(out / rel, columns=["task_index"])["task_index"].to_numpy()
            for rel in dict.fromkeys(e.data_rel for e in layout.episodes(None))
        ]
    ).astype(float)
    if version == "v3.0":
        stats = json.loads((out / "meta" / "stats.json").read_text())["task_index"]
        assert stats["min"] == [all_idx.min()] and stats["max"] == [all_idx.max()]
        assert stats["mean"][0] == pytest.approx(all_idx.mean())
        assert stats["std"][0] == pytest.approx(all_idx.std())
        assert stats["count"] == [len(all_idx)]
    else:
        lines = (out / "meta" / "episodes_stats.jsonl").read_text().splitlines()
        st = json.loads(lines[0])["stats"]["task_index"]
        by_text = {v: k for k, v in table.items()}
        idx0 = np.array([by_text[tasks[(0, f)]] for f in range(50)], dtype=float)
        assert st["mean"][0] == pytest.approx(idx0.mean()) and st["count"] == [50]
        assert lines[2] == (src / "meta" / "episodes_stats.jsonl").read_text().splitlines()[2]
    # recap's reader takes the copy like any dataset
    assert not ingest(Store(tmp_path / "back.db"), out).skipped
    # --only-reviewed: unreviewed clips keep the dataset's text
    out2 = tmp_path / "out2"
    export_lerobot(store, "r1", out2, only_reviewed=True)
    tasks2 = frame_tasks(out2)
    assert {tasks2[(1, f)] for f in range(50)} == {TASK}
    assert tasks2[(0, 20)] == REVIEWED


def test_lerobot_loader_reads_the_copy(tmp_path: Path) -> None:
    lerobot_dataset = pytest.importorskip(
        "lerobot.datasets.lerobot_dataset",
        reason="the optional `lerobot` package (pip install 'recap-agent[lerobot]') is missing",
    )
    _, store, _ = reviewed_run(tmp_path, "v3.0")
    out = tmp_path / "out"
    export_lerobot(store, "r1", out)
    ds = lerobot_dataset.LeRobotDataset("local/copy", root=out)
    assert ds[20]["task"] == REVIEWED and ds[5]["task"] == TASK


def test_export_lerobot_errors_and_command(tmp_path: Path) -> None:
    src, store, _ = reviewed_run(tmp_path, "v2.1")
    with pytest.raises(RecapError, match="overlaps the source dataset"):
        export_lerobot(store, "r1", src / "copy")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(RecapError, match="not empty"):
        export_lerobot(store, "r1", tmp_path / "full")
    db = tmp_path / "r.db"
    result = CliRunner().invoke(
        app,
        ["export", "--format", "lerobot", "--out", str(tmp_path / "o"), "--db", str(db)],
    )
    assert result.exit_code == 0, result.output
    assert "every other file copied as is" in result.output
    assert frame_tasks(tmp_path / "o")[(0, 20)] == REVIEWED
    bad = CliRunner().invoke(
        app, ["export", "--format", "csv", "--out", str(tmp_path / "o.csv"), "--db", str(db)]
    )
    assert bad.exit_code == 1 and "Unknown export format 'csv'" in bad.output
