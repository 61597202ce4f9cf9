from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from agent.data import export, export_pairs
from agent.errors import RecapError
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Review, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "r.db")
    s.runs.ensure(
        "r1", drafter="llm", model="m", prompt_name="p", prompt_hash="b" * 64, settings={}
    )
    for i, text in enumerate(["The robot picks the blue cube.", "The robot opens the door."]):
        s.clips.upsert(Clip(id=f"c{i}", video="v.mp4", content_hash=str(i)), text)
        draft = Draft(
            hallucinations=[{"span": "blue", "type": "attribute", "explanation": "red"}]
            if i == 0
            else [],
            rewrite="The robot picks the red cube." if i == 0 else text,
            verdict="needs_edit" if i == 0 else "accurate",
        )
        s.runs.save_draft(
            "r1",
            DraftResult(
                clip=f"c{i}",
                caption=text,
                draft=draft,
                model="m",
                prompt=PromptRef(name="p", hash="b" * 64),
            ),
        )
    return s


def test_export_jsonl_uses_reviews_where_they_exist(store: Store, tmp_path: Path) -> None:
    store.reviews.add(
        Review(
            clip_id="c0",
            run="r1",
            reviewer="ann",
            decision="edited",
            final_caption="The robot picks up the red cube.",
        )
    )
    assert export(store, "r1", tmp_path / "out.jsonl") == 2
    rows = {r["clip_id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").open())}
    assert rows["c0"]["caption"] == "The robot picks up the red cube."
    assert (rows["c0"]["source"], rows["c0"]["reviewer"]) == ("review", "ann")
    assert rows["c1"]["caption"] == "The robot opens the door." and rows["c1"]["source"] == "draft"
    assert rows["c0"]["prompt_version"] == "p@bbbbbbbbbbbb" and rows["c0"]["hallucinations"] == 1


def test_export_parquet_and_undo(store: Store, tmp_path: Path) -> None:
    r = store.reviews.add(
        Review(clip_id="c0", run="r1", reviewer="ann", decision="edited", final_caption="x")
    )
    store.reviews.add(Review(clip_id="c0", run="r1", reviewer="ann", decision="undo", undoes=r.id))
    export(store, "r1", tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert {t["clip_id"]: t["caption"] for t in table}["c0"] == "The robot picks the red cube."


def test_export_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(RecapError, match="No run named 'nope'"):
        export(store, "nope", tmp_path / "o.jsonl")
    with pytest.raises(RecapError, match=r"\.jsonl or \.parquet"):
        export(store, "r1", tmp_path / "o.csv")


def test_pairs_export_gives_preference_pairs_and_critiques(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # local files only, never the Hub
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    final = "The robot lifts the red cube."
    store.reviews.add(
        Review(
            clip_id="c0",
            run="r1",
            reviewer="ann",
            decision="edited",
            final_caption=final,
            agreed={"hallucinations": {"0": True}, "omissions": {}},
        )
    )
    store.reviews.add(
        Review(
            clip_id="c1",
            run="r1",
            reviewer="ann",
            decision="accepted",
            final_caption="The robot opens the door.",
        )
    )
    assert export_pairs(store, "r1", tmp_path / "pairs") == (2, 2)
    pairs = [json.loads(x) for x in (tmp_path / "pairs" / "pairs.jsonl").open()]
    assert {(p["chosen"], p["rejected"], p["rejected_is"]) for p in pairs} == {
        (final, "The robot picks the blue cube.", "original"),
        (final, "The robot picks the red cube.", "draft"),
    }
    crit = {
        r["clip_id"]: r for r in pq.read_table(tmp_path / "pairs" / "critiques.parquet").to_pylist()
    }
    assert crit["c0"]["critique"] == ['"blue" (attribute): red'] and crit["c0"]["final"] == final
    assert crit["c1"]["critique"] == [] and crit["c1"]["caption"] == crit["c1"]["final"]
    datasets = pytest.importorskip("datasets", reason="the optional `datasets` package is missing")
    for kind in ("json", "parquet"):
        suffix = "jsonl" if kind == "json" else "parquet"
        ds = datasets.load_dataset(
            kind,
            data_files=str(tmp_path / "pairs" / f"pairs.{suffix}"),
            split="train",
            cache_dir=str(tmp_path / "hf"),
        )
        assert sorted(ds["rejected_is"]) == ["draft", "original"]
