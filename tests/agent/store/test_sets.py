"""Clip sets and what a run covers, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.errors import RecapError
from agent.sets import Selection, SelectionKind, SetKind
from agent.store import ClipSet, Review, Run, RunClip, Store
from tests.agent.store.test_store import DATA, clip, result


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store(db_url)
    yield s
    s.close()


def fill(store: Store, name: str, ids: range, kind: SetKind = SetKind.PRODUCTION) -> None:
    store.sets.ensure(name, kind, source=f"{name}.jsonl")
    for i in ids:
        store.clips.upsert(clip(i), f"caption {i}", into=name)


def open_run(store: Store, name: str, selection: Selection | None = None, **kw) -> Run:
    return store.runs.ensure(
        name,
        drafter="llm",
        model="m",
        prompt_name="p",
        prompt_hash="a" * 64,
        settings={},
        selection=selection,
        **kw,
    )


def runs_written(store: Store) -> int:
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(Run)) or 0) + (
            s.scalar(select(func.count()).select_from(RunClip)) or 0
        )


def test_sets_have_kinds_sizes_and_shared_clips(store: Store) -> None:
    fill(store, "prod", range(0, 4))
    fill(store, "gold", range(3, 6), SetKind.EVALUATION)
    store.clips.upsert(clip(9), "loose")  # through the library, without a set
    sizes = {s.name: (s.kind, s.clips, s.source) for s in store.sets.all()}
    assert sizes == {
        "gold": (SetKind.EVALUATION, 3, "gold.jsonl"),
        "prod": (SetKind.PRODUCTION, 4, "prod.jsonl"),
    }
    assert store.sets.unsorted() == 1
    assert store.sets.sets_of(["c3", "c0", "c9"]) == {"c3": ["gold", "prod"], "c0": ["prod"],
                                                       "c9": []}  # fmt: skip
    assert store.sets.overlap("prod", "gold") == (3, 1, 2)  # only prod, both, only gold
    assert store.sets.clip_ids("gold") == ["c3", "c4", "c5"]
    with pytest.raises(RecapError, match="'gold' is an evaluation set; this would add "):
        store.sets.ensure("gold", SetKind.PRODUCTION)
    store.sets.set_kind("gold", SetKind.PRODUCTION)
    assert store.sets.kinds()["gold"] == SetKind.PRODUCTION
    with pytest.raises(RecapError, match="not a usable set name"):
        store.sets.ensure("no spaces", SetKind.PRODUCTION)


def test_a_set_run_picks_up_new_clips_of_its_sets_and_nothing_else(store: Store) -> None:
    fill(store, "a", range(0, 3))
    fill(store, "b", range(3, 5))
    open_run(store, "ra", Selection.of_sets(["a"]))
    assert store.runs.pending("ra") == ["c0", "c1", "c2"] and store.runs.size("ra") == 3
    store.runs.save_draft("ra", result("c0"))
    store.runs.finish("ra")
    fill(store, "a", range(7, 8))  # a later ingest into the run's set
    fill(store, "b", range(8, 9))  # and into another one
    assert store.runs.pending("ra") == ["c1", "c2", "c7"] and store.runs.size("ra") == 4
    assert open_run(store, "ra", Selection.of_sets(["a"])).finished_at is None  # re-opened
    assert store.runs.covered("ra", ["c0", "c3", "c7", "nope"]) == {"c0", "c7"}


def test_the_default_selection_is_production_sets_and_clips_in_no_set(store: Store) -> None:
    fill(store, "prod", range(0, 2))
    fill(store, "gold", range(2, 4), SetKind.EVALUATION)
    fill(store, "draft-one", range(4, 5), SetKind.ONE_OFF)
    store.clips.upsert(clip(5), "loose")
    run = open_run(store, "bulk")
    assert run.selection.kind == SelectionKind.PRODUCTION
    assert store.runs.pending("bulk") == ["c0", "c1", "c5"]
    fill(store, "batch2", range(6, 7))  # a new production set joins the default run
    assert store.runs.pending("bulk") == ["c0", "c1", "c5", "c6"]
    store.clips.upsert(clip(3), "caption 3", into="prod")  # a gold clip also in production
    assert "c3" in store.runs.pending("bulk")


def test_an_ids_selection_is_frozen_and_must_match_to_resume(store: Store) -> None:
    fill(store, "a", range(0, 5))
    open_run(store, "picked", Selection.of_ids(["c3", "c1", "c3"], "ids.txt"))
    assert store.runs.pending("picked") == ["c1", "c3"] and store.runs.size("picked") == 2
    fill(store, "a", range(5, 6))
    assert store.runs.pending("picked") == ["c1", "c3"]  # frozen: new clips stay out
    open_run(store, "picked", Selection.of_ids(["c1", "c3"], "other.txt"))  # same ids: fine
    open_run(store, "picked")  # no selection asked: the run's own
    with pytest.raises(RecapError) as e:
        open_run(store, "picked", Selection.of_ids(["c1", "c2"], "new.txt"))
    assert "covers the 2 clips listed in ids.txt, fixed when it was created" in e.value.message
    assert e.value.hint == (
        "Start a new run for those clips: --run NEW_NAME --ids new.txt. Or resume 'picked' as "
        "it is, without --set or --ids."
    )
    with pytest.raises(RecapError, match="asks for set a"):
        open_run(store, "picked", Selection.of_sets(["a"]))


def test_bad_selections_are_refused_before_anything_is_written(store: Store) -> None:
    fill(store, "a", range(0, 2))
    store.sets.ensure("empty", SetKind.PRODUCTION)
    before = runs_written(store)
    with pytest.raises(RecapError) as e:
        open_run(store, "r", Selection.of_sets(["a", "nope"]))
    assert e.value.message == "No set named 'nope'."
    assert "Sets in this database: a, empty." in (e.value.hint or "")
    missing = [f"x{i:02d}" for i in range(13)]
    with pytest.raises(RecapError) as e:
        open_run(store, "r", Selection.of_ids(["c0", *missing], "ids.txt"))
    assert e.value.message == (
        "ids.txt names 13 clip(s) not in the database: " + ", ".join(missing[:10]) + " and 3 more."
    )
    with pytest.raises(RecapError, match="The selection is empty: set empty holds no clips"):
        open_run(store, "r", Selection.of_sets(["empty"]), require_clips=True)
    with pytest.raises(RecapError, match=r"no clip ids in ids\.txt"):
        Selection.of_ids([], "ids.txt")
    store.sets.set_kind("a", SetKind.EVALUATION)  # now no production clip is left
    with pytest.raises(RecapError, match="the production sets hold no clips") as e:
        store.runs.plan("r", None)
    assert "evaluation and one-off sets are left out of a plain run" in (e.value.hint or "")
    assert runs_written(store) == before == 0


def test_a_command_picks_the_latest_production_run_unless_told_latest(store: Store) -> None:
    fill(store, "prod", range(0, 2))
    fill(store, "gold", range(2, 4), SetKind.EVALUATION)
    with pytest.raises(RecapError, match="There are no runs to export"):
        store.runs.pick(None, "export")
    open_run(store, "eval-only", Selection.of_sets(["gold"]))
    with pytest.raises(RecapError) as e:
        store.runs.pick(None, "export")
    assert "every run here covers evaluation or one-off sets only" in e.value.message
    assert "eval-only (gold)" in (e.value.hint or "")
    open_run(store, "bulk")
    open_run(store, "eval-later", Selection.of_sets(["gold"]))
    assert store.runs.pick(None, "export") == ("bulk", "the latest production run")
    assert store.runs.pick("latest", "export") == ("eval-later", "the latest run")
    assert store.runs.pick("eval-only", "export") == ("eval-only", None)
    with pytest.raises(RecapError, match="No run named 'nope'"):
        store.runs.pick("nope", "export")
    with pytest.raises(RecapError, match="'latest' cannot name a run"):
        open_run(store, "latest")


def test_a_run_broken_down_by_set(store: Store) -> None:
    fill(store, "a", range(0, 3))
    fill(store, "b", range(2, 5))
    store.clips.upsert(clip(9), "loose")
    open_run(store, "bulk")
    store.runs.save_draft("bulk", result("c0"))
    store.runs.save_draft("bulk", result("c2"))
    store.runs.save_error("bulk", "c3", "video", "broken")
    store.reviews.add(
        Review(clip_id="c2", run="bulk", reviewer="ann", decision="accepted", final_caption="x")
    )
    rows = {f.name: (f.kind, f.clips, f.drafted, f.failed, f.decided) for f in
            store.sets.breakdown("bulk")}  # fmt: skip
    assert rows == {
        "a": (SetKind.PRODUCTION, 3, 2, 0, 1),
        "b": (SetKind.PRODUCTION, 3, 1, 1, 1),
        "(no set)": (None, 1, 0, 0, 0),
    }


@pytest.mark.parametrize("release", ["0.1.0", "0.2.0"])
def test_runs_of_older_releases_keep_the_clips_they_drafted(tmp_path: Path, release: str) -> None:
    """Migration 0010 puts every old clip in a set named from its source and freezes each old
    run to the clips it drafted, failed or has in a batch."""
    db = tmp_path / "old.sqlite"
    shutil.copy(DATA / f"recap-{release}.sqlite", db)
    store = Store(db)
    n = {"0.1.0": 4, "0.2.0": 30}[release]
    assert [(s.name, s.kind, s.clips) for s in store.sets.all()] == [
        ("manifest", SetKind.PRODUCTION, n)
    ]
    old = store.runs.get("old-offline")
    assert old.selection.kind == SelectionKind.IDS and old.selection.count == n
    assert store.runs.size("old-offline") == n == store.runs.totals("old-offline").drafted
    assert store.runs.pending("old-offline") == []
    if release == "0.2.0":  # a run with one error and no draft: that clip is its selection
        assert store.runs.size("old-partial") == 1
        assert store.runs.pending("old-partial", retry_failed=True) == ["button-press-004"]
    with store.session() as s:
        assert s.get(ClipSet, "manifest").source == "manifest.jsonl (ingested before clip sets)"
    # new clips in the old set join a new default run, never the old ones
    store.clips.upsert(clip(100), "new", into="manifest")
    assert store.runs.pending("old-offline") == []
    open_run(store, "r-new")
    assert "c100" in store.runs.pending("r-new") and len(store.runs.pending("r-new")) == n + 1
