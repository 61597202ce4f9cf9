"""LeRobot ingest: named state -> telemetry facts, captions files -> windows, long episodes,
bad datasets; on fixtures that follow the published v2.1 and v3.0 layouts."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from agent.data import ingest
from agent.data.lerobot._layout import LeRobotError
from agent.errors import RecapError
from agent.media import sample_frames
from agent.store import Store
from agent.telemetry import GRIPPER_HOLD_ABOVE
from recap.main import app
from tests.lerobot_data import ALOHA_NAMES, Ep, aloha_state, make_dataset, so100_state

FPS = 10
VERSIONS = ["v2.1", "v3.0"]
# Episode 0 closes fully at frame 15 and opens at 40; episode 1 closes on something at 20.
CLOSE0, OPEN0, CLOSE1, HELD = 15, 40, 20, 12.0


def so100(root: Path, version: str, **kw) -> Path:
    eps = [
        Ep("Pick up the cube.", so100_state(50, CLOSE0, OPEN0), success=False),
        Ep("Pick up the cube.", so100_state(50, CLOSE1, None, closed=HELD), success=True),
    ]
    return make_dataset(root, eps, version=version, fps=FPS, **kw)


def offset(version: str, episode: int, length: int = 50) -> float:
    """Where an episode starts on its video's clock: v3.0 episodes share one file."""
    return episode * length / FPS if version.startswith("v3") else 0.0


@pytest.mark.parametrize("version", VERSIONS)
def test_so100_named_state_gives_gripper_facts(tmp_path: Path, version: str) -> None:
    root = so100(tmp_path / "so100", version)
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert (report.added, report.skipped) == (2, [])
    facts0 = store.clips.get("so100/episode_000000").telemetry.facts()
    t_close, t_open = offset(version, 0) + CLOSE0 / FPS, offset(version, 0) + OPEN0 / FPS
    assert f"t={t_close:.1f}s: the gripper closes" in facts0
    assert f"t={t_open:.1f}s: the gripper opens" in facts0
    assert "outcome: the task FAILED" in facts0
    clip1 = store.clips.get("so100/episode_000001")
    facts1 = clip1.telemetry.facts()
    # Normalised on the dataset's own range (meta/stats.json): 1 deg closed .. 40 deg open.
    held = (HELD - 1.0) / (40.0 - 1.0)
    assert held >= GRIPPER_HOLD_ABOVE
    t1 = offset(version, 1) + CLOSE1 / FPS
    assert (
        f"t={t1:.1f}s: the gripper closes but stops part-way ({held:.0%} open): "
        "likely holding something"
    ) in facts1
    assert "outcome: the task SUCCEEDED" in facts1
    assert store.clips.caption(clip1.id) == "Pick up the cube."
    assert clip1.meta["frames"] == [0, 50] and clip1.meta["caption_source"] == "task"
    assert clip1.meta["robot_type"] == "so100"  # the captioner feedback report's robot facet
    assert "gripper=main_gripper:open_high" in report.source
    assert ingest(store, root).unchanged == 2


def test_two_arm_layout_names_each_gripper(tmp_path: Path) -> None:
    n, left, right = 40, 10, 25
    eps = [Ep("Hand over the cup.", aloha_state(n, left, right))]
    root = make_dataset(tmp_path / "aloha", eps, robot_type="aloha", names=ALOHA_NAMES, fps=FPS)
    store = Store(tmp_path / "r.db")
    assert ingest(store, root).added == 1
    tel = store.clips.get("aloha/episode_000000").telemetry
    assert tel.gripper is None and set(tel.grippers or {}) == {"left", "right"}
    facts = tel.facts()
    assert f"t={left / FPS:.1f}s: the left gripper closes" in facts
    assert any(
        f.startswith(f"t={right / FPS:.1f}s: the right gripper closes but stops part-way")
        for f in facts
    )


def test_unknown_robot_needs_a_state_map(tmp_path: Path) -> None:
    eps = [Ep("Pick.", so100_state(30, 10, 20))]
    root = make_dataset(tmp_path / "mystery", eps, robot_type="mystery_arm", fps=FPS)
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert store.clips.get("mystery/episode_000000").telemetry.gripper is None
    assert any("--state-map gripper=main_gripper:open_high" in n for n in report.notes)
    # open_low on purpose: then the high values read as closed and the gripper "closes" at 0
    report = ingest(store, root, state_map=["gripper=main_gripper:open_low"])
    tel = store.clips.get("mystery/episode_000000").telemetry
    assert tel.gripper is not None and tel.gripper[0] == 0.0 and report.updated == 1
    ingest(store, root, state_map=["gripper=main_gripper:open_high:1:40"])
    tel = store.clips.get("mystery/episode_000000").telemetry
    assert f"t={10 / FPS:.1f}s: the gripper closes" in tel.facts()
    with pytest.raises(RecapError, match="no state dimension named 'claw'"):
        ingest(store, root, state_map=["gripper=claw:open_high"])
    with pytest.raises(RecapError, match="direction must be open_high or open_low"):
        ingest(store, root, state_map=["gripper=main_gripper:up"])
    with pytest.raises(RecapError, match="unknown signal 'wrist'"):
        ingest(store, root, state_map=["wrist=main_gripper"])


@pytest.mark.parametrize("version", VERSIONS)
def test_long_episode_is_reviewed_as_windows(tmp_path: Path, version: str) -> None:
    seconds = 40
    eps = [
        Ep("Short one.", so100_state(20, None, None)),
        Ep("Fold the towel.", so100_state(seconds * FPS, 120, 300)),
    ]
    root = make_dataset(tmp_path / "long", eps, version=version, fps=FPS)
    store = Store(tmp_path / "r.db")
    report = ingest(store, root, window=5.0)
    k = math.ceil(seconds / 5.0)
    assert report.added == 1 + k and not report.skipped
    assert any(f"reviewed as {k} windows" in n for n in report.notes)
    windows = sorted(
        (c for c, _ in store.clips.with_captions() if c.meta["episode_index"] == 1),
        key=lambda c: c.start_s,
    )
    assert len(windows) == k
    base = offset(version, 1, length=20)
    for i, c in enumerate(windows):
        assert c.start_s == pytest.approx(base + i * 5.0) and c.end_s == pytest.approx(
            base + (i + 1) * 5.0
        )
        tel = c.telemetry
        assert tel.t[0] >= c.start_s - 1e-6 and tel.t[-1] < c.end_s
        assert len(tel.t) == 5 * FPS and len(tel.gripper) == 5 * FPS
        fr = sample_frames(c.video, 8, start=c.start_s, end=c.end_s)
        assert all(c.start_s - 0.05 <= t <= c.end_s for t in fr.times)  # the window, not 40 s
    close_window = windows[int(120 / FPS // 5)]
    facts = close_window.telemetry.facts()
    assert f"t={base + 120 / FPS:.1f}s: the gripper closes" in facts
    # --window 0: whole episodes, as before
    store0 = Store(tmp_path / "r0.db")
    assert ingest(store0, root, window=0).added == 2


def write_captions(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif path.suffix == ".csv":
        keys = sorted({k for r in rows for k in r})
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            for r in rows:
                w.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()})
    else:
        keys = sorted({k for r in rows for k in r})
        table = {
            k: [json.dumps(r[k]) if isinstance(r.get(k), list) else r.get(k) for r in rows]
            for k in keys
        }
        pq.write_table(pa.table(table), path)
    return path


@pytest.mark.parametrize(
    ("version", "suffix"), [("v2.1", ".jsonl"), ("v3.0", ".csv"), ("v3.0", ".parquet")]
)
def test_captions_file_rows_become_windows(tmp_path: Path, version: str, suffix: str) -> None:
    root = so100(tmp_path / "so100", version)
    rows = [
        {
            "episode_index": 0,
            "start": 1.0,
            "end": 4.5,
            "caption": "The arm grasps the cube and lets it go.",
            "gold_caption": "The arm closes its gripper and opens it again.",
            "gold_hallucinations": [
                {"span": "grasps the cube", "type": "gripper_or_grasp", "explanation": "empty"}
            ],
        },
        {"episode_index": 0, "start": 4.5, "caption": "The arm rests."},
        {"episode_index": 7, "caption": "No such episode."},
        {"episode_index": 0, "start": 2.0, "end": 9.0, "caption": "Too long."},
        {"episode_index": 0, "start": 3.0, "end": 2.0, "caption": "Backwards."},
        {"episode_index": 0, "caption": ""},
    ]
    captions = write_captions(tmp_path / f"caps{suffix}", rows)
    store = Store(tmp_path / "r.db")
    report = ingest(store, root, captions=captions)
    assert report.added == 2
    reasons = {p.line: p.reason for p in report.skipped}
    first = 2 if suffix == ".csv" else 1  # a CSV's first row is on line 2
    assert "episode 7 is not in the dataset" in reasons[first + 2]
    assert "end 9 s is past the end of episode 0" in reasons[first + 3]
    assert "end 2.0 is not after start 3.0" in reasons[first + 4]
    assert "empty caption" in reasons[first + 5]
    assert any("1 episode(s) have no row" in n for n in report.notes)
    clips = {c.meta["window"][0]: c for c, _ in store.clips.with_captions()}
    c = clips[1.0]
    assert store.clips.caption(c.id) == rows[0]["caption"]
    assert c.gold.caption == rows[0]["gold_caption"]
    assert c.meta["frames"] == [10, 45] and c.meta["caption_source"] == "captions"
    assert (c.start_s, c.end_s) == (offset(version, 0) + 1.0, offset(version, 0) + 4.5)
    facts = c.telemetry.facts()
    assert f"t={offset(version, 0) + CLOSE0 / FPS:.1f}s: the gripper closes" in facts
    assert "outcome: the task FAILED" not in facts  # the outcome is at the episode's end
    assert clips[4.5].meta["frames"] == [45, 50]
    assert "outcome: the task FAILED" in clips[4.5].telemetry.facts()


def test_dataset_without_video_is_a_clear_error(tmp_path: Path) -> None:
    root = so100(tmp_path / "novideo", "v2.1", video=False)
    with pytest.raises(LeRobotError, match=r"info\.json: declares no video features"):
        ingest(Store(tmp_path / "r.db"), root)


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_datasets_name_the_file(tmp_path: Path, version: str) -> None:
    store = Store(tmp_path / "r.db")
    root = so100(tmp_path / "a", version)
    with pytest.raises(RecapError, match=r"No camera 'wrist'.*observation\.images\.laptop"):
        ingest(store, root, camera="wrist")
    # corrupt data parquet: its episodes are skipped with the file named
    data = sorted((root / "data").rglob("*.parquet"))
    data[0].write_bytes(b"PAR1 not really")
    report = ingest(store, root)
    assert report.skipped and all(
        "is not a readable parquet file" in p.reason and data[0].name in p.reason
        for p in report.skipped
    )
    # missing episode metadata
    root = so100(tmp_path / "b", version)
    meta = root / "meta" / ("episodes" if version.startswith("v3") else "episodes.jsonl")
    shutil.rmtree(meta) if meta.is_dir() else meta.unlink()
    with pytest.raises(LeRobotError, match="episodes"):
        ingest(store, root)
    # mismatched lengths: metadata says one more frame than the data has
    root = so100(tmp_path / "c", version)
    if version.startswith("v3"):
        f = next((root / "meta" / "episodes").rglob("*.parquet"))
        t = pq.read_table(f)
        t = t.set_column(t.schema.get_field_index("length"), "length", pa.array([51, 50]))
        pq.write_table(t, f)
    else:
        f = root / "meta" / "episodes.jsonl"
        lines = f.read_text().splitlines()
        lines[0] = lines[0].replace('"length": 50', '"length": 51')
        f.write_text("\n".join(lines) + "\n")
    report = ingest(store, root)
    assert report.added == 1
    assert "metadata says 51 frames but data/chunk-000/" in report.skipped[0].reason
    # corrupt episode metadata / info
    root = so100(tmp_path / "d", version)
    if version.startswith("v3"):
        f = next((root / "meta" / "episodes").rglob("*.parquet"))
        f.write_bytes(b"garbage")
        with pytest.raises(LeRobotError, match=f"{f.name}: not a readable parquet file"):
            ingest(store, root)
    (root / "meta" / "info.json").write_text("{nope")
    with pytest.raises(LeRobotError, match=r"info\.json: not valid JSON"):
        ingest(store, root)


def test_ingest_command_takes_captions_window_and_state_map(tmp_path: Path) -> None:
    root = so100(tmp_path / "so100", "v3.0", robot_type="mystery_arm")
    caps = write_captions(
        tmp_path / "c.jsonl", [{"episode_index": 1, "start": 1.0, "end": 3.0, "caption": "Grab."}]
    )
    db = tmp_path / "r.db"
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            str(root),
            "--db",
            str(db),
            "--captions",
            str(caps),
            "--state-map",
            "gripper=main_gripper:open_high",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "have no row" in result.output
    (clip,) = [c for c, _ in Store(db).clips.with_captions()]
    assert clip.telemetry.gripper is not None
    bad = CliRunner().invoke(app, ["ingest", str(root), "--db", str(db), "--state-map", "nope"])
    assert bad.exit_code == 1 and "expected SIGNAL=SPEC" in bad.output


GOOD_CAPTION = b'{"episode_index": 0, "start": 1.0, "end": 3.0, "caption": "Grab."}\n'
CSV_HEADER = b"episode_index,start,end,caption\n0,1.0,3.0,Grab.\n"


@pytest.mark.parametrize(
    ("name", "body", "want"),
    [
        (
            "inf.jsonl",
            GOOD_CAPTION + b'{"episode_index": 1, "start": 1.0, "end": Infinity, "caption": "x"}\n',
            "end must be a finite, non-negative number of seconds: inf",
        ),
        (
            "byte.jsonl",
            GOOD_CAPTION + b'{"episode_index": 1, "caption": "caf\xe9"}\n',
            "not valid UTF-8 (byte 0xe9 at column 37); save the captions file as UTF-8",
        ),
        (
            "byte.csv",
            CSV_HEADER + b"1,0,2.0,caf\xe9\n",
            "not valid UTF-8 (byte 0xe9); save the captions file as UTF-8",
        ),
        (
            "fields.csv",
            CSV_HEADER + b"1,0,2.0,The arm picks, then places.\n",
            "5 fields but the header has 4 (an unquoted comma in a value?)",
        ),
        (
            "episode.jsonl",
            GOOD_CAPTION + b'{"episode_index": -1, "caption": "x"}\n',
            "episode_index -1 is not a whole number >= 0",
        ),
        (
            "huge.jsonl",
            GOOD_CAPTION + b'{"episode_index": 1, "start": 1' + b"0" * 400 + b', "caption": "x"}\n',
            "start must be a finite, non-negative number of seconds: 1000",
        ),
    ],
)
def test_a_bad_captions_row_costs_that_row_through_the_cli(
    tmp_path: Path, name: str, body: bytes, want: str
) -> None:
    """The captions reader has the manifest's rules: each of these once escaped as a
    traceback or was let through (Infinity, a row with a field too many)."""
    root = so100(tmp_path / "so100", "v2.1")
    caps = tmp_path / name
    caps.write_bytes(body)
    db = tmp_path / "r.db"
    r = CliRunner().invoke(
        app, ["ingest", str(root), "--db", str(db), "--captions", str(caps)], env={"COLUMNS": "300"}
    )
    assert r.exit_code == 0, r.output
    line = 3 if name.endswith(".csv") else 2
    skipped = [s for s in r.stderr.splitlines() if s.startswith("skipped")]
    assert len(skipped) == 1 and skipped[0].startswith(f"skipped line {line}: {caps}: {want}")
    assert "1 added" in r.stdout and "1 skipped" in r.stdout
    (clip,) = [c for c, _ in Store(db).clips.with_captions()]
    assert clip.meta["window"] == [1.0, 3.0]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_utf16_captions_file_is_refused_with_what_to_do(tmp_path: Path, suffix: str) -> None:
    root = so100(tmp_path / "so100", "v2.1")
    caps = tmp_path / f"c{suffix}"
    text = GOOD_CAPTION if suffix == ".jsonl" else CSV_HEADER
    caps.write_bytes(text.decode().encode("utf-16"))
    r = CliRunner().invoke(
        app,
        ["ingest", str(root), "--db", str(tmp_path / "r.db"), "--captions", str(caps)],
        env={"COLUMNS": "300"},
    )
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit)  # an error, not a crash
    assert f"Cannot read captions {caps}: it is UTF-16 text." in r.output
    assert "Save the captions file as UTF-8" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("bad", "want"),
    [
        (b'{"episode_index": 1, "tasks": ["caf\xe9"]}', "line 2: not valid UTF-8 (byte 0xe9"),
        (b'{"episode_index": 1, nope', "line 2: invalid JSON"),
        (b"[1, 2]", "line 2: not a JSON object"),
    ],
)
def test_a_corrupt_meta_file_fails_as_a_whole_with_the_file_named(
    tmp_path: Path, bad: bytes, want: str
) -> None:
    root = so100(tmp_path / "so100", "v2.1")
    episodes = root / "meta" / "episodes.jsonl"
    first = episodes.read_bytes().splitlines()[0]
    episodes.write_bytes(first + b"\n" + bad + b"\n")
    with pytest.raises(LeRobotError, match=r"episodes\.jsonl") as e:
        ingest(Store(tmp_path / "r.db"), root)
    assert e.value.path == str(episodes) and e.value.reason.startswith(want)
