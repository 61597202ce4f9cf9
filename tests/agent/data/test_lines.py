"""The line reader on its own: what a bad line becomes, how a whole file is refused, and the
wording each kind of file gets (manifests, captions files and meta files share the reader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.data import _lines
from agent.data._lines import LineReader
from agent.errors import RecapError, RowError


def read(path: Path, **kw) -> list[tuple[int, object]]:
    return [(n, str(r) if isinstance(r, RowError) else r) for n, r in LineReader(path, **kw)]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_an_over_long_line_is_skipped_unread_and_the_next_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setattr(_lines, "MAX_LINE_BYTES", 2**20)  # 1 MiB, so the test file stays small
    path = tmp_path / f"m{suffix}"
    long = b"x" * (2**20 + 10)
    if suffix == ".jsonl":
        path.write_bytes(b'{"id": "a"}\n{"id": "' + long + b'"}\n{"id": "c"}\n')
        first = 1
    else:
        path.write_bytes(b"id\na\n" + long + b"\nc\n")
        first = 2
    reader = LineReader(path)
    got = [(n, str(r) if isinstance(r, RowError) else r) for n, r in reader]
    assert got == [
        (first, {"id": "a"}),
        (first + 1, "line is longer than 1 MiB"),
        (first + 2, {"id": "c"}),
    ]
    assert reader.done == reader.size == path.stat().st_size  # every byte counted, for progress


def test_a_utf8_byte_order_mark_is_dropped_and_blank_lines_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a"}\n\n  \n{"id": "b"}\n')
    assert read(path) == [(1, {"id": "a"}), (4, {"id": "b"})]


def test_each_kind_of_file_is_named_in_what_to_do(tmp_path: Path) -> None:
    class Refused(RecapError):
        pass

    def refuse(reason: str, hint: str | None) -> Exception:
        return Refused(f"Cannot read captions: {reason}", hint=hint)

    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"caption": "caf\xe9"}\n')
    assert read(path, what="captions file") == [
        (1, "not valid UTF-8 (byte 0xe9 at column 17); save the captions file as UTF-8")
    ]
    path.write_bytes('{"caption": "x"}\n'.encode("utf-16"))
    with pytest.raises(Refused, match="it is UTF-16 text") as e:
        read(path, what="captions file", refuse=refuse)
    assert e.value.hint == "Save the captions file as UTF-8 and ingest it again."
    with pytest.raises(RecapError, match=f"Cannot ingest {path}: it is UTF-16 text"):
        read(path)  # a manifest, by default


def test_a_csv_header_that_is_not_utf8_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"id,capti\xf3n\na,x\n")
    with pytest.raises(RecapError, match="its header line is not valid UTF-8") as e:
        read(path)
    assert e.value.hint == "Save the manifest as UTF-8 and ingest it again."


def test_a_file_that_cannot_be_opened_is_refused_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    with pytest.raises(RecapError, match=r"it cannot be opened \(Is a directory\)"):
        read(folder)
