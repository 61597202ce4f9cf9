"""Clip set names and selections, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import RecapError
from agent.sets import Selection, SelectionKind, set_name_for


def test_a_set_is_named_after_its_manifest_or_dataset(tmp_path: Path) -> None:
    (tmp_path / "so100 pick").mkdir()
    (tmp_path / "sample").mkdir()
    assert set_name_for(tmp_path / "batch-07.jsonl") == "batch-07"
    assert set_name_for(tmp_path / "sample" / "manifest.jsonl") == "sample"  # a generic file
    assert set_name_for(tmp_path / "sample" / "gold.csv") == "sample"
    assert set_name_for(tmp_path / "so100 pick") == "so100-pick"  # a LeRobot folder
    assert set_name_for(tmp_path / "ünïcode ids!.jsonl") == "n-code-ids"


def test_selections_round_trip_and_compare_by_what_they_cover() -> None:
    a = Selection.of_sets(["b", "a", "a"])
    assert a.sets == ("a", "b") and Selection.from_json(a.to_json()) == a
    assert a.same_as(Selection.of_sets(["a", "b"])) and not a.same_as(Selection.of_sets(["a"]))
    ids = Selection.of_ids(["x", "y", "x"], "picked.txt")
    stored = Selection.from_json(ids.to_json())
    assert stored.kind == SelectionKind.IDS and stored.count == 2 and stored.ids == ()
    assert stored.same_as(Selection.of_ids(["y", "x"], "other.txt"))
    assert Selection.from_json(None).same_as(Selection.production())
    assert [s.short() for s in (a, ids, Selection.production())] == ["a,b", "ids:2", "production"]
    assert [s.name_prefix() for s in (a, ids, Selection.production())] == ["a+b", "picked", None]
    many = Selection.of_sets([f"set-{i:02d}" for i in range(5)])
    assert many.name_prefix() == "set-00+4"
    with pytest.raises(RecapError, match="not a usable set name"):
        Selection.of_sets(["../etc"])


def test_an_ids_file_is_one_id_per_line(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(" c1 \n\nc2\r\nc1\n", encoding="utf-8")
    assert Selection.from_ids_file(path).ids == ("c1", "c2")
    path.write_bytes(b"c1\n\xff\xfe")
    with pytest.raises(RecapError, match="byte 3 is not UTF-8"):
        Selection.from_ids_file(path)
    with pytest.raises(RecapError, match="it does not exist"):
        Selection.from_ids_file(tmp_path / "none.txt")
