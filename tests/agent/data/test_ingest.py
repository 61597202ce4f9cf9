from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.data._ingest import IngestInterrupted, IngestReport, ingest, ingest_rows
from agent.errors import RecapError
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


def test_manifest_rows_go_in_and_bad_rows_are_reported_by_line(db_url: str, data: Path):
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
    store = Store(db_url)
    report = ingest(store, manifest)
    assert (report.added, report.updated, report.unchanged) == (4, 0, 0)
    reasons = {p.line: p.reason for p in report.skipped}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert reasons[3] == "duplicate id 'ep1' (first on line 2)"
    assert "escapes the dataset root" in reasons[4]
    assert reasons[5].startswith("video file not found")
    assert reasons[6].startswith("video file is empty")
    assert reasons[7] == "empty caption"
    assert reasons[8] == "missing id"
    assert reasons[9].startswith("invalid JSON")
    # a bad optional field costs that field: the clip goes in without it
    dropped = {p.line: (p.field, p.reason) for p in report.dropped}
    assert dropped[10][0] == "gold" and "not an exact substring" in dropped[10][1]
    assert dropped[11] == ("telemetry", "telemetry: gripper has 1 steps but t has 2")
    assert (
        store.clips.get("badgold").gold is None
        and store.clips.caption("badgold") == "The arm waves."
    )
    assert store.clips.get("badtel").telemetry is None
    c = store.clips.get("ep0")
    assert c.gold.caption == "The robot pushes the red cube."
    assert c.gold.hallucinations[0].span == "picks up"
    assert c.telemetry.success is False and c.meta == {"task": "push"}
    assert (
        Path(c.video).is_absolute() and store.clips.caption("ep1") == "The robot opens the drawer."
    )


def test_reingest_changes_nothing_and_edits_update(db_url: str, data: Path) -> None:
    manifest = write_jsonl(data / "m.jsonl", good_rows())
    store = Store(db_url)
    ingest(store, manifest)
    again = ingest(store, manifest)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    rows = good_rows()
    rows[1]["caption"] = "The robot closes the drawer."
    write_jsonl(manifest, rows)
    third = ingest(store, manifest)
    assert (third.updated, third.unchanged) == (1, 1)
    assert store.clips.caption("ep1") == "The robot closes the drawer."


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


# --- bad input: a bad row costs that row, a bad optional field that field -------------------


def test_a_bad_optional_field_costs_that_field_not_the_clip(db_url: str, data: Path) -> None:
    (data / "bad_bytes.json").write_bytes(b'{"t": [0, 1], "task": "caf\xe9"}')
    base = {"video": "videos/ep0.mp4", "caption": "The robot picks up the cube."}
    rows = [
        {**base, "id": "tel-missing", "telemetry": "nope.json"},
        {**base, "id": "tel-escapes", "telemetry": "../../etc/passwd"},
        {**base, "id": "tel-bytes", "telemetry": "bad_bytes.json"},
        {**base, "id": "tel-type", "telemetry": [1, 2, 3]},
        '{"id": "tel-nan", "video": "videos/ep0.mp4", "caption": "The robot picks up the cube.",'
        ' "telemetry": {"t": [0, NaN]}}',
        {**base, "id": "gold-bad", "gold_caption": "ok", "gold_omissions": [{"type": "step"}]},
        {**base, "id": "gold-type", "gold_caption": {"not": "text"}},
        {**base, "id": "meta-list", "meta": [1, 2]},
        {**base, "id": "all-good", "meta": {"k": 1}, "telemetry": "tel.json"},
    ]
    store = Store(db_url)
    report = ingest(store, write_jsonl(data / "m.jsonl", rows))
    assert (report.added, report.skipped) == (9, [])
    got = {p.clip_id: (p.line, p.field, p.reason) for p in report.dropped}
    assert got == {
        "tel-missing": (
            1,
            "telemetry",
            f"telemetry: Cannot use telemetry {data / 'nope.json'}: file does not exist",
        ),
        "tel-escapes": (
            2,
            "telemetry",
            f"telemetry path '../../etc/passwd' escapes the dataset root {data}",
        ),
        "tel-bytes": (
            3,
            "telemetry",
            f"telemetry: Cannot use telemetry {data / 'bad_bytes.json'}"
            ": not valid UTF-8 (byte 0xe9)",
        ),
        "tel-type": (
            4,
            "telemetry",
            "telemetry: Input should be a valid dictionary or instance of Telemetry",
        ),
        "tel-nan": (5, "telemetry", "telemetry: numbers must be finite (found NaN or Infinity)"),
        "gold-bad": (6, "gold", "gold_omissions: 0.description: Field required"),
        "gold-type": (7, "gold", "gold_caption must be a string, not dict"),
        "meta-list": (8, "meta", "meta must be a JSON object, not list"),
    }
    for clip_id in got:
        assert store.clips.caption(clip_id) == "The robot picks up the cube."
    assert (
        store.clips.get("tel-missing").telemetry is None
        and store.clips.get("gold-bad").gold is None
    )
    assert store.clips.get("all-good").telemetry.success is False
    again = ingest(store, data / "m.jsonl")
    assert (again.unchanged, again.added, again.updated, len(again.dropped)) == (9, 0, 0, 8)


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_bytes_that_are_not_utf8_cost_that_line(tmp_path: Path, data: Path, kind: str) -> None:
    if kind == "jsonl":
        lines = [
            b'{"id": "a", "video": "videos/ep0.mp4", "caption": "The robot picks."}',
            b'{"id": "b", "video": "videos/ep1.mp4", "caption": "caf\xe9 au lait"}',
            b'{"id": "c", "video": "videos/ep2.mp4", "caption": "The robot places."}',
        ]
        want = "not valid UTF-8 (byte 0xe9 at column 55); save the manifest as UTF-8"
    else:
        lines = [
            b"id,video,caption",
            b"a,videos/ep0.mp4,The robot picks.",
            b'b,videos/ep1.mp4,"caf\xe9, au lait"',
            b"c,videos/ep2.mp4,The robot places.",
        ]
        want = "not valid UTF-8 (byte 0xe9); save the manifest as UTF-8"
    path = data / f"m.{kind}"
    path.write_bytes(b"\n".join(lines) + b"\n")
    store = Store(tmp_path / "r.db")
    report = ingest(store, path)
    assert report.added == 2 and store.clips.caption("c") == "The robot places."
    assert [(p.line, p.reason) for p in report.skipped] == [(len(lines) - 1, want)]


def test_a_utf16_manifest_is_refused_with_what_to_do(tmp_path: Path, data: Path) -> None:
    path = data / "m.csv"
    path.write_bytes("id,video,caption\na,videos/ep0.mp4,x\n".encode("utf-16"))
    with pytest.raises(RecapError, match="UTF-16") as e:
        ingest(Store(tmp_path / "r.db"), path)
    assert "Save the manifest as UTF-8" in str(e.value)


def test_a_stray_byte_order_mark_pair_costs_its_line_not_the_file(
    tmp_path: Path, data: Path
) -> None:
    """Found by the property test: b'\\xfe\\xff' as a line of a UTF-8 manifest is not UTF-16."""
    path = data / "m.jsonl"
    good = json.dumps({"id": "a", "video": "videos/ep0.mp4", "caption": "The robot waves."})
    path.write_bytes(b"\xfe\xff\n" + good.encode() + b"\n")
    report = ingest(Store(tmp_path / "r.db"), path)
    assert report.added == 1 and [p.line for p in report.skipped] == [1]


def test_wrong_types_and_values_cost_the_row_with_a_reason(db_url: str, data: Path) -> None:
    base = {"video": "videos/ep0.mp4", "caption": "The robot waves."}
    rows = [
        {**base, "id": 0},  # a number is a fine id, zero too
        {**base, "id": ["a"]},
        {**base, "id": "x" * 300},
        {**base, "id": "nul", "caption": "The robot\u0000 waves."},
        {**base, "id": "surrogate", "caption": "The robot \ud800 waves."},
        {**base, "id": "capnum", "caption": 5},
        {**base, "id": "vid", "video": {"path": "videos/ep0.mp4"}},
        {**base, "id": "start", "start": "soon"},
        {**base, "id": "window", "start": 2, "end": 1},
        {**base, "id": "dir", "video": "videos"},
        "[1, 2]",
        '{"id": "big", "video": "videos/ep0.mp4", "caption": "x", "n": 1' + "0" * 5000 + "}",
        "[" * 100_000,
    ]
    report = ingest(Store(db_url), write_jsonl(data / "m.jsonl", rows))
    assert report.added == 1
    reasons = [p.reason for p in report.skipped]
    assert reasons[:10] == [
        "id must be a string or a number, not list",
        "id is 300 characters long; at most 255",
        "caption contains a NUL character",
        "caption contains text that is not valid UTF-8 (an unpaired surrogate)",
        "caption must be a string, not int",
        "video must be a string, not dict",
        "start is not a number of seconds: 'soon'",
        "end (1 s) is not after start (2 s)",
        f"video file not found: {data / 'videos'} (not a regular file)",
        "not a JSON object",
    ]
    assert reasons[10].startswith("unusable JSON (Exceeds the limit")
    assert reasons[11].startswith("unusable JSON (maximum recursion depth")
    assert [p.line for p in report.skipped] == list(range(2, 14))


def test_a_number_too_large_for_seconds_costs_the_row(tmp_path: Path, data: Path) -> None:
    """An integer start too large for a float once escaped as an OverflowError."""
    base = {"video": "videos/ep0.mp4", "caption": "The robot waves."}
    path = data / "m.jsonl"
    path.write_text(
        json.dumps({**base, "id": "a"})
        + "\n"
        + '{"id": "b", "video": "videos/ep0.mp4", "caption": "x", "start": 1'
        + "0" * 400
        + "}\n"
    )
    report = ingest(Store(tmp_path / "r.db"), path)
    assert report.added == 1
    ((line, reason),) = [(p.line, p.reason) for p in report.skipped]
    assert line == 2
    assert reason == f"start must be a finite, non-negative number of seconds: 1{'0' * 39}…"


def test_csv_rows_with_more_fields_than_the_header_are_skipped(tmp_path: Path, data: Path):
    path = data / "m.csv"
    path.write_text(
        "\ufeffid,video,caption\n"  # a BOM, as spreadsheets write it
        'a,videos/ep0.mp4,"The robot picks, then places."\n'
        "b,videos/ep1.mp4,The robot picks, then places.\n"
        '"c,videos/ep2.mp4,unterminated\n'
    )
    report = ingest(Store(tmp_path / "r.db"), path)
    assert report.added == 1
    assert [(p.line, p.reason) for p in report.skipped] == [
        (3, "4 fields but the header has 3 (an unquoted comma in a value?)"),
        (4, "unreadable CSV record (unexpected end of data)"),
    ]


def test_the_cli_reports_skipped_rows_and_dropped_fields_by_line(tmp_path: Path, data: Path):
    from typer.testing import CliRunner

    from recap.main import app

    rows = [
        good_rows()[1],
        {"id": "t", "video": "videos/ep2.mp4", "caption": "The arm waves.", "telemetry": "x.json"},
        {"id": "v", "video": "videos/none.mp4", "caption": "The arm waves."},
    ]
    manifest = write_jsonl(data / "m.jsonl", rows)
    with manifest.open("ab") as fh:
        fh.write(b'{"id": "u", "video": "videos/ep0.mp4", "caption": "\xff"}\n')
    r = CliRunner().invoke(
        app, ["ingest", str(manifest), "--db", str(tmp_path / "r.db")], env={"COLUMNS": "300"}
    )
    assert r.exit_code == 0, r.output
    assert "2 added, 0 updated, 0 unchanged, 2 skipped, 1 field(s) dropped (4 rows)" in r.stdout
    assert r.stderr.splitlines() == [
        f"kept without telemetry line 2 (t): telemetry: Cannot use telemetry {data / 'x.json'}: "
        "file does not exist",
        f"skipped line 3 (v): video file not found: {data / 'videos' / 'none.mp4'}",
        "skipped line 4: not valid UTF-8 (byte 0xff at column 52); save the manifest as UTF-8",
    ]


def test_an_over_long_caption_costs_its_row_reported_by_line(tmp_path: Path, data: Path) -> None:
    """Issue 20 item 5: captions are bounded (2,000 characters, as a degenerate captioning model
    repeating itself runs past); a longer one is skipped and reported with its line, an
    over-long gold caption drops the gold labels, and a caption at the limit goes in."""
    from typer.testing import CliRunner

    from agent.data._rows import MAX_CAPTION_CHARS
    from recap.main import app

    assert MAX_CAPTION_CHARS == 2000
    repeated = "The robot picks up the red cube. " * 100  # 3,299 characters once trimmed
    at_limit = ("x" * 1999) + "."
    rows = [
        {"id": "ok", "video": "videos/ep0.mp4", "caption": at_limit},
        {"id": "long", "video": "videos/ep1.mp4", "caption": repeated},
        {"id": "gold", "video": "videos/ep2.mp4", "caption": "The arm waves.",
         "gold_caption": repeated},
    ]  # fmt: skip
    manifest = write_jsonl(data / "m.jsonl", rows)
    db = tmp_path / "r.db"
    r = CliRunner().invoke(app, ["ingest", str(manifest), "--db", str(db)], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [
        "skipped line 2 (long): caption is 3,299 characters long; at most 2,000 (is the "
        "captioning model repeating itself?)",
        "kept without gold line 3 (gold): gold_caption is 3,299 characters long; at most 2,000",
    ]
    store = Store(db)
    assert [c.id for c, _ in store.clips.with_captions()] == ["gold", "ok"]
    assert store.clips.get("gold").gold is None


# --- the chunked pipeline ----------------------------------------------------------------------


def many_rows(n: int) -> list[dict]:
    return [
        {"id": f"c{i:03d}", "video": "videos/ep0.mp4", "caption": f"The robot waves {i} times."}
        for i in range(n)
    ]


def test_rows_are_written_in_chunks_and_reported_after_each(db_url: str, data: Path) -> None:
    rows = many_rows(7)
    seen: list[tuple[int, int]] = []
    store = Store(db_url)

    def on_chunk(report: IngestReport) -> None:
        seen.append((report.added, store.clips.count()))

    report = ingest_rows(
        store, "test", enumerate(rows, 1), data, tag="t", chunk_rows=3, on_chunk=on_chunk
    )
    assert report.added == 7 and seen == [(3, 3), (6, 6), (7, 7)]
    rows[4]["caption"] = "The robot waves twice."
    again = ingest_rows(store, "test", enumerate(rows, 1), data, tag="t", chunk_rows=3)
    assert (again.added, again.updated, again.unchanged) == (0, 1, 6)
    assert store.clips.caption("c004") == "The robot waves twice."


def test_ctrl_c_keeps_committed_chunks_and_a_rerun_continues(db_url: str, data: Path) -> None:
    rows = many_rows(10)

    def interrupted() -> Iterator[tuple[int, dict]]:
        for n, row in enumerate(rows, 1):
            if n == 8:
                raise KeyboardInterrupt
            yield n, row

    store = Store(db_url)
    with pytest.raises(IngestInterrupted) as e:
        ingest_rows(store, "test", interrupted(), data, tag="t", chunk_rows=3)
    assert e.value.report.interrupted and e.value.report.added == 6
    assert store.clips.count() == 6  # two whole chunks; the third was rolled back
    rerun = ingest_rows(store, "test", enumerate(rows, 1), data, tag="t", chunk_rows=3)
    assert (rerun.added, rerun.unchanged) == (4, 6) and store.clips.count() == 10


def test_a_row_the_database_refuses_costs_that_row(tmp_path: Path, data: Path) -> None:
    from sqlalchemy.exc import DataError

    from agent.store._clips import Clips

    class Picky(Clips):
        """A database with a rule recap does not know about: no clip named 'c003'."""

        def upsert_many(self, items, **kw):
            if any(c.id == "c003" for c, _ in items):
                raise DataError("INSERT", {}, Exception("value refused by a trigger"))
            return super().upsert_many(items, **kw)

    store = Store(tmp_path / "r.db")
    store.clips = Picky(store.session)
    report = ingest_rows(store, "test", enumerate(many_rows(5), 1), data, tag="t")
    assert report.added == 4 and store.clips.get("c003") is None
    assert [str(p) for p in report.skipped] == [
        "line 4 (c003): the database refused the row: value refused by a trigger"
    ]


def test_a_progress_bar_appears_only_on_long_ingests(tmp_path: Path, data: Path) -> None:
    import io

    from rich.console import Console

    from agent.cli._progress import IngestProgress

    manifest = write_jsonl(data / "m.jsonl", many_rows(7))
    drawn: dict[int, str] = {}
    for show_from in (3, 2000):
        buf = io.StringIO()
        with IngestProgress(Console(file=buf, width=200), show_from=show_from) as bar:
            ingest(Store(tmp_path / f"{show_from}.db"), manifest, on_progress=bar)
        drawn[show_from] = buf.getvalue()
    assert "ingesting" in drawn[3] and "100%" in drawn[3]
    assert "7 rows · 7 added · 0 updated · 0 unchanged · 0 skipped" in drawn[3]
    assert drawn[2000] == ""


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
    c = store.clips.get("ds2/episode_000000")
    assert store.clips.caption(c.id) == "Pick up the cube."
    assert c.telemetry.t[:2] == [0.0, 0.1] and len(c.telemetry.state) == 10
    assert c.telemetry.success is True
    assert store.clips.get("ds2/episode_000001").telemetry.success is False
    assert ingest(store, root).unchanged == 2


def test_lerobot_v3_episodes_are_windows_of_shared_files(tmp_path: Path) -> None:
    root = lerobot_v3(tmp_path / "ds3")
    store = Store(tmp_path / "r.db")
    assert ingest(store, root).added == 2
    c = store.clips.get("ds3/episode_000001")
    assert (c.start_s, c.end_s) == (2.0, 4.0)
    assert store.clips.caption(c.id) == "Press the button."
    assert c.telemetry.state[0] == [10.0]  # only episode 1's rows
    assert c.telemetry.t[0] == 2.0  # on the video file's clock, like the sampled frames
    with pytest.raises(RecapError, match="No camera 'wrist'"):
        ingest(store, root, camera="wrist")


def test_clip_ids_outside_the_safe_set_cost_the_row_named_by_line(db_url: str, data: Path) -> None:
    """An id is shown on every page and put into the page's scripts: only ASCII letters,
    digits and . _ : / @ + - go in (issue 21: a `</script>` in an id ran as the reviewer)."""
    base = {"video": "videos/ep0.mp4", "caption": "The robot waves."}
    good = ["ep-1", "so100_pick/episode_000017@0.00-5.00", "one:ab12", "a+b.c", "ep:7"]
    bad = {
        "x</script><script>alert(1)</script>": "U+0028 '(', U+0029 ')', U+003C '<', U+003E '>'",
        'say "hi"': "U+0020 ' ', U+0022 '\"'",
        "it's": 'U+0027 "\'"',
        "line\u2028sep": "U+2028",
        "tab\there": "U+0009",
        "[a](http://x)": "U+0028 '(', U+0029 ')', U+005B '[', U+005D ']'",
        "caf\u00e9": "U+00E9 'é'",
        "back\\slash": "U+005C '\\\\'",
    }
    rows = [{**base, "id": i} for i in good] + [{**base, "id": i} for i in bad]
    report = ingest(Store(db_url), write_jsonl(data / "m.jsonl", rows))
    assert report.added == len(good)
    assert [p.line for p in report.skipped] == list(range(len(good) + 1, len(rows) + 1))
    for problem, named in zip(report.skipped, bad.values(), strict=True):
        assert problem.reason == (
            f"id may hold only ASCII letters, digits and . _ : / @ + -; it has {named}"
        )
    assert sorted(c.id for c, _ in Store(db_url).clips.with_captions()) == sorted(good)


def test_a_lerobot_folder_name_outside_the_safe_set_still_makes_good_ids(tmp_path: Path) -> None:
    """A dataset's folder name is part of its clips' ids: characters outside the safe set
    become `_`, so a folder called "so100 pick (v2)" still ingests."""
    from tests.agent.data.test_lerobot import so100

    root = so100(tmp_path / "so100 pick (v2)", "v2.1")
    store = Store(tmp_path / "r.db")
    report = ingest(store, root)
    assert (report.added, report.skipped) == (2, [])
    assert store.clips.get("so100_pick__v2_/episode_000000") is not None
