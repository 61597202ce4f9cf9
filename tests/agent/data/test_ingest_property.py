"""Property: whatever a manifest holds, every line ends as an ingested clip or a line-numbered
reason, never an exception; and ingesting the same file again changes nothing."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.data import ingest
from agent.errors import RecapError
from agent.store import Store

ROOT_FILES = {
    "clip.mp4": b"a stand-in video: ingest checks only that it is a non-empty file",
    "empty.mp4": b"",
    "tel.json": json.dumps({"t": [0, 0.5, 1], "gripper": [1, 0, 0], "success": True}).encode(),
    "tel_bad.json": b'{"t": [0, 1], "gripper": [1]}',
    "tel_bytes.json": b'{"t": [0], "task": "\xff"}',
    "tel_text.json": b"not json at all",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
texts = st.text(max_size=30) | st.sampled_from(["", "  ", "\x00", "\ud800", "x" * 300])
paths = st.sampled_from(
    [
        "clip.mp4",
        "empty.mp4",
        "missing.mp4",
        "../clip.mp4",
        "/etc/passwd",
        "sub/../clip.mp4",
        "clip.mp4\x00",
        ".",
        "\udcff.mp4",
        "a" * 5000,
    ]
)
telemetry = (
    st.sampled_from(["tel.json", "tel_bad.json", "tel_bytes.json", "tel_text.json", "../tel.json"])
    | st.fixed_dictionaries(
        {"t": st.lists(st.floats(), max_size=4)},
        optional={"gripper": st.lists(st.floats(0, 1), max_size=4), "success": st.booleans()},
    )
    | json_values
)
hallucinations = st.lists(
    st.fixed_dictionaries(
        {"span": st.sampled_from(["robot", "cube", "nothere", ""]) | texts},
        optional={"type": st.sampled_from(["object", "action", "bogus"]), "explanation": texts},
    ),
    max_size=3,
)
optional_fields = {
    "telemetry": telemetry,
    "gold_caption": texts | json_values,
    "gold_hallucinations": hallucinations | json_values,
    "gold_omissions": json_values,
    "meta": json_values,
    "start": json_values | st.sampled_from(["1.5", "soon", "-1"]),
    "end": json_values | st.sampled_from(["2", "nan"]),
}
# rows that could go in (good id, video, caption) with random optional fields ...
good_rows = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True),
        "video": st.just("clip.mp4"),
        "caption": st.just("The robot picks up the cube."),
    },
    optional=optional_fields,
)
# ... and the same with any of the required fields replaced by anything at all
broken_required = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | texts | json_values,
        "video": paths | json_values,
        "caption": texts | json_values,
    },
)
rows = good_rows | st.builds(lambda good, bad: {**good, **bad}, good_rows, broken_required)


def row_bytes(row: dict[str, Any]) -> bytes:
    return json.dumps(row).encode()


mangled = st.one_of(
    rows.map(row_bytes),
    rows.map(row_bytes).map(lambda b: b[: len(b) // 2]),  # cut short
    st.tuples(rows.map(row_bytes), st.integers(0, 200), st.binary(min_size=1, max_size=3)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]  # stray bytes spliced in
    ),
    st.binary(max_size=60),
    st.just(b"[" * 5000),
    st.just(b'{"id": "big", "n": 1' + b"0" * 5000 + b"}"),
)


def csv_bytes(lines: list[dict[str, Any]], stray: list[bytes]) -> bytes:
    names = ["id", "video", "caption", "telemetry", "gold_hallucinations", "meta", "start"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(names)
    for row in lines:
        w.writerow(
            [
                v if isinstance(v, str) else json.dumps(v) if k in row else ""
                for k, v in ((k, row.get(k, "")) for k in names)
            ]
        )
    body = buf.getvalue().encode("utf-8", "surrogatepass")
    return body + b"".join(stray)


def check(manifest: Path, root: Path) -> set[int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "r.db")
        first = ingest(store, manifest, root=root)
        ingested = store.clips.with_captions()
        lines = {int(c.source.rsplit(":", 1)[1]) for c, _ in ingested}
        skipped = {p.line for p in first.skipped}
        assert not lines & skipped
        assert first.added == len(ingested) == len(lines)
        for p in first.problems:
            assert p.line >= 1 and p.reason
            str(p).encode("utf-8")  # printable, whatever the input held
        assert {p.line for p in first.dropped} <= lines
        again = ingest(store, manifest, root=root)
        assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)
        assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
        store.close()
    return lines | skipped


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(mangled, max_size=12))
def test_any_jsonl_manifest_ingests_or_explains_every_line(
    tmp_path_factory: Any, lines: list[bytes]
) -> None:
    root = dataset(tmp_path_factory)
    manifest = root / "m.jsonl"
    # a line is what lies between newlines: newlines inside the generated bytes split it too
    manifest.write_bytes(b"\n".join(lines) + b"\n")
    data = manifest.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in data[2:64]:
        with pytest.raises(RecapError, match="UTF-16"):  # the one whole-file refusal
            check(manifest, root)
        return
    physical = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")  # a UTF-8 BOM is no content
    expected = {n for n, raw in enumerate(physical, 1) if raw.strip(b" \t\r\n\x0b\x0c")}
    seen = check(manifest, root)
    assert seen == expected  # every line with content is a clip or a reason


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(rows, max_size=8), st.lists(st.binary(max_size=40), max_size=3))
def test_any_csv_manifest_ingests_or_explains_every_record(
    tmp_path_factory: Any, lines: list[dict[str, Any]], stray: list[bytes]
) -> None:
    root = dataset(tmp_path_factory)
    manifest = root / "m.csv"
    manifest.write_bytes(csv_bytes(lines, stray))
    check(manifest, root)


_DATASET: list[Path] = []


def dataset(factory: Any) -> Path:
    """One dataset folder for every example: a stand-in video and telemetry files good and bad."""
    if not _DATASET:
        root = factory.mktemp("prop")
        for name, data in ROOT_FILES.items():
            (root / name).write_bytes(data)
        _DATASET.append(root)
    return _DATASET[0]
