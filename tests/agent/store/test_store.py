"""The store on SQLite and on a real PostgreSQL: same code, same tests."""

from __future__ import annotations

import json
import shutil
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from agent.data import export
from agent.decisions import Arm, Decision, Purpose, Status
from agent.errors import RecapError
from agent.schema import Draft, DraftResult, GoldLabels, HallucinationLabel, PromptRef, Usage
from agent.store import MIGRATIONS, Base, Clip, Lease, Review, Store, now
from agent.telemetry import Telemetry

DATA = Path(__file__).resolve().parents[2] / "data"


def clip(i: int, caption_hash: str = "h") -> Clip:
    return Clip(
        id=f"c{i}", video=f"/data/c{i}.mp4", root="/data", content_hash=f"{caption_hash}{i}"
    )


def result(
    clip_id: str, rewrite: str = "The robot pushes the block.", cost_usd: float | None = None
) -> DraftResult:
    draft = Draft(hallucinations=[], omissions=[], rewrite=rewrite, verdict="accurate")
    return DraftResult(
        clip=clip_id,
        caption=rewrite,
        draft=draft,
        model="m",
        prompt=PromptRef(name="p", hash="a" * 64),
        usage=Usage(prompt_tokens=100, completion_tokens=20, total_tokens=120),
        cost_usd=cost_usd,
    )


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store(db_url)
    yield s
    s.close()


def run(store: Store, name: str = "r1", model: str = "m") -> None:
    store.runs.ensure(
        name,
        drafter="llm",
        model=model,
        prompt_name="p",
        prompt_hash="a" * 64,
        settings={"frames": 8},
    )


def test_fresh_database_gets_every_migration(store: Store) -> None:
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    tables = set(inspect(store.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert Store(store.url).migrate() == []  # reopening applies nothing


def test_migrations_build_exactly_the_schema_the_code_reads(store: Store) -> None:
    """The frozen migrations and today's ORM classes describe the same tables and columns."""
    insp = inspect(store.engine)
    for name, table in Base.metadata.tables.items():
        migrated = {c["name"]: c for c in insp.get_columns(name)}
        assert set(migrated) == set(table.columns.keys()), name
        for col in table.columns:
            assert migrated[col.name]["nullable"] == col.nullable, (name, col.name)
        indexed = {tuple(ix["column_names"]) for ix in insp.get_indexes(name)}
        for ix in table.indexes:
            assert tuple(c.name for c in ix.columns) in indexed, (name, ix.name)


def test_a_database_written_by_release_0_1_0_keeps_its_data(tmp_path: Path) -> None:
    """tests/data/recap-0.1.0.sqlite was written by release 0.1.0 (4 sample clips drafted
    offline, reviews by alice and bob including an undo, an edit buffer, a batch record);
    recap-0.1.0-export.jsonl is what 0.1.0's `recap export` wrote from it."""
    db = tmp_path / "old.sqlite"
    shutil.copy(DATA / "recap-0.1.0.sqlite", db)
    store = Store(db)
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    out = tmp_path / "export.jsonl"
    assert export(store, "old-offline", out) == 4
    want = [json.loads(line) for line in (DATA / "recap-0.1.0-export.jsonl").open()]
    got = [json.loads(line) for line in out.open()]
    assert got == want
    assert {r.reviewer for r in store.reviews.all()} == {"alice", "bob"}
    assert store.reviews.buffer("bob:cli", want[-2]["clip_id"]) == "half-typed text"
    assert [b.id for b in store.batches.of_run("old-offline", open_only=False)] == ["batch_old"]
    records = store.runs.drafts("old-offline")
    assert all(r.draft.rewrite == r.rewrite for r in records)  # old JSON reads as a Draft
    # and it takes new work: a new run's draft and a new decision
    run(store, "r-new")
    assert store.runs.save_draft("r-new", result(records[0].clip_id, cost_usd=0.02))
    store.reviews.add(
        Review(
            clip_id=records[0].clip_id,
            run="r-new",
            reviewer="cy",
            decision="accepted",
            final_caption="ok",
        )
    )
    assert store.runs.draft("r-new", records[0].clip_id).cost_usd == 0.02
    assert store.reviews.in_force_by_clip()[records[0].clip_id].reviewer == "cy"


def test_a_database_written_by_release_0_2_keeps_its_data(tmp_path: Path) -> None:
    """tests/data/recap-0.2.0.sqlite was written by release 0.2's own code
    (tests/data/make_recap_0_2_0.py): 30 sample clips drafted offline, a run with only an error,
    single, double and gold reviews, a lead's settlement, approval and send-back, accounts and an
    edit buffer; recap-0.2.0-export.jsonl is what 0.2's export wrote from it."""
    db = tmp_path / "old.sqlite"
    shutil.copy(DATA / "recap-0.2.0.sqlite", db)
    store = Store(db)
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    out = tmp_path / "export.jsonl"
    assert export(store, "old-offline", out) == 30
    want = [json.loads(line) for line in (DATA / "recap-0.2.0-export.jsonl").open()]
    assert [json.loads(line) for line in out.open()] == want
    rows = store.reviews.all()
    assert len(rows) == 29 and {r.reviewer for r in rows} >= {"alice", "bob", "cy", "dan"}
    assert {r.purpose for r in rows} == {
        Purpose.QUEUE,
        Purpose.DOUBLE,
        Purpose.GOLD,
        Purpose.SETTLE,
        Purpose.LEAD,
    }
    assert store.runs.totals("old-offline").drafted == 30
    assert [e.kind for e in store.runs.errors("old-partial")] == ["endpoint"]
    assert store.reviews.buffer("alice:b1", next(iter(_buffers(store)))) == "half-typed text"
    users = {u.email: (u.role, u.active) for u in store.users.all()}
    assert users == {
        "lee@example.org": ("lead", True),
        "bob@example.org": ("reviewer", True),
        "gone@example.org": ("reviewer", False),
    }
    # and it takes new work: a new run's draft and a new decision on an old clip
    clip_id = want[0]["clip_id"]
    run(store, "r-new")
    assert store.runs.save_draft("r-new", result(clip_id, cost_usd=0.02))
    store.reviews.add(
        Review(
            clip_id=clip_id, run="r-new", reviewer="eve", decision="accepted", final_caption="ok"
        )
    )
    assert store.runs.draft("r-new", clip_id).cost_usd == 0.02


def _buffers(store: Store) -> list[str]:
    """Clip ids with unsaved text, read straight from the table (no repository lists them)."""
    with store.session() as s:
        return [row[0] for row in s.execute(text("SELECT clip_id FROM edit_buffers"))]


def test_older_database_opens_in_newer_version(db_url: str) -> None:
    old = Store(db_url, migrate=False)
    assert old.migrate(upto="0001_initial") == ["0001_initial"]
    assert "batches" not in inspect(old.engine).get_table_names()
    telemetry = {"t": [0.0, 0.5], "gripper": [1.0, 0.2], "success": True}
    with old.engine.begin() as conn:  # rows as 0.1.0 wrote them: telemetry and responses inline
        conn.execute(
            text(
                "INSERT INTO clips (id, video, telemetry, content_hash, created_at, updated_at) "
                "VALUES ('c1', '/data/c1.mp4', :t, 'h1', :now, :now)"
            ),
            {"t": json.dumps(telemetry), "now": now()},
        )
        conn.execute(
            text(
                "INSERT INTO captions (clip_id, kind, text, created_at) "
                "VALUES ('c1', 'original', 'The robot waves.', :now)"
            ),
            {"now": now()},
        )
        conn.execute(
            text("INSERT INTO runs (name, drafter, started_at) VALUES ('r0', 'llm', :now)"),
            {"now": now()},
        )
        conn.execute(
            text(
                "INSERT INTO drafts (run, clip_id, caption, draft, verdict, rewrite, drafter, "
                "prompt_tokens, completion_tokens, cached_tokens, latency_s, attempts, reasks, "
                "retries, image_tokens, from_cache, raw_response, created_at) VALUES ('r0', "
                "'c1', 'The robot waves.', :d, 'accurate', 'The robot waves.', 'llm', 0, 0, 0, "
                '0, 1, 0, 0, 0, false, \'{"id": "resp-1"}\', :now)'
            ),
            {
                "d": json.dumps(result("c1", "The robot waves.").draft.model_dump(mode="json")),
                "now": now(),
            },
        )
    old.close()
    new = Store(db_url)  # a newer recap opening the same database
    assert new.applied_migrations()[-1] == MIGRATIONS[-1][0]
    assert "batches" in inspect(new.engine).get_table_names()
    assert new.clips.caption("c1") == "The robot waves."
    assert new.clips.get("c1").telemetry_json == telemetry  # moved into the compressed column
    (record,) = new.runs.drafts("r0")
    assert json.loads(new.runs.raw_response(record.id)) == {"id": "resp-1"}
    # 0010: a clip without a source goes to set `ingested`; the run keeps the clip it drafted
    assert [(x.name, x.clips) for x in new.sets.all()] == [("ingested", 1)]
    assert new.runs.get("r0").selection.count == 1 and new.runs.size("r0") == 1


def test_upsert_is_idempotent_and_updates_changes(store: Store) -> None:
    assert store.clips.upsert(clip(1), "a") == "added"
    assert store.clips.upsert(clip(1), "a") == "unchanged"
    assert store.clips.upsert(clip(1, caption_hash="other"), "b") == "updated"
    assert store.clips.caption("c1") == "b" and store.clips.count() == 1


def full_clip(i: int, content: str = "v1") -> Clip:
    return Clip(
        id=f"c{i}",
        video=f"/data/c{i}.mp4",
        root="/data",
        start_s=None if i % 2 else 1.5,
        end_s=None if i % 2 else 3.0,
        telemetry_json=None if i % 3 else {"t": [0.0, 1.0], "success": True},
        gold_json={"caption": f"gold {i}"} if i % 2 else None,
        meta={"i": i, "content": content},
        source=f"m.jsonl:{i}",
        content_hash=f"{content}-{i}",
    )


def stored_rows(store: Store) -> list[tuple]:
    """Every clip and caption column except times and ids, as the database holds them (JSON
    null and SQL NULL told apart)."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        clips = conn.execute(
            text(
                "SELECT id, video, root, start_s, end_s, telemetry_z IS NULL, gold IS NULL, "
                "meta IS NULL, source, content_hash FROM clips ORDER BY id"
            )
        ).all()
        caps = conn.execute(text("SELECT clip_id, kind, text FROM captions ORDER BY clip_id"))
        return [tuple(r) for r in clips] + [tuple(r) for r in caps]


def test_upsert_clips_in_bulk_matches_one_by_one(db_url: str, tmp_path: Path) -> None:
    bulk, single = Store(db_url), Store(tmp_path / "single.db")
    first = [(full_clip(i), f"caption {i}") for i in range(6)]
    assert bulk.clips.upsert_many(first) == ["added"] * 6
    for i in range(6):
        single.clips.upsert(full_clip(i), f"caption {i}")
    # a second batch: two unchanged, two changed (content and caption), two new
    second = [
        (full_clip(0), "caption 0"),
        (full_clip(1), "caption 1"),
        (full_clip(2, "v2"), "caption 2 edited"),
        (full_clip(3, "v2"), "caption 3"),
        (full_clip(6), "caption 6"),
        (full_clip(7), "caption 7"),
    ]
    assert bulk.clips.upsert_many(second) == ["unchanged"] * 2 + ["updated"] * 2 + ["added"] * 2
    for c, t in [
        (full_clip(2, "v2"), "caption 2 edited"),
        (full_clip(3, "v2"), "caption 3"),
        (full_clip(6), "caption 6"),
        (full_clip(7), "caption 7"),
    ]:
        single.clips.upsert(c, t)
    assert stored_rows(bulk) == stored_rows(single)
    for i in range(8):  # the compressed telemetry reads back the same
        assert bulk.clips.get(f"c{i}").telemetry_json == single.clips.get(f"c{i}").telemetry_json
    assert bulk.clips.get("c2").meta == {"i": 2, "content": "v2"} and bulk.clips.caption("c2") == (
        "caption 2 edited"
    )
    assert bulk.clips.get("c3").updated_at > bulk.clips.get("c3").created_at
    with pytest.raises(ValueError, match="same clip id twice"):
        bulk.clips.upsert_many([(full_clip(8), "a"), (full_clip(8), "b")])
    assert bulk.clips.upsert_many([]) == []


def _pool(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(row[0] for row in s.execute(text("SELECT clip_id FROM gold_clips")))


def test_every_upsert_path_keeps_the_gold_pool(db_url: str, tmp_path: Path) -> None:
    """Issue 20 item 1: the bulk path (what `recap ingest` writes with) and the single one are
    one code path, so both keep `gold_clips` in step with each clip's gold caption."""
    bulk, single = Store(db_url), Store(tmp_path / "single.db")
    bulk.clips.upsert_many([(full_clip(i), f"caption {i}") for i in range(6)])
    for i in range(6):
        single.clips.upsert(full_clip(i), f"caption {i}")
    assert _pool(bulk) == _pool(single) == ["c1", "c3", "c5"]  # the odd ones have gold
    lost_gold = full_clip(1, "v2")
    lost_gold.gold = None
    gained = full_clip(2, "v2")
    gained.gold = GoldLabels(caption="gold 2")
    bulk.clips.upsert_many([(lost_gold, "caption 1"), (gained, "caption 2"), (full_clip(3), "x")])
    single.clips.upsert(lost_gold, "caption 1")
    single.clips.upsert(gained, "caption 2")
    assert _pool(bulk) == _pool(single) == ["c2", "c3", "c5"]


def test_run_identity_is_checked_on_resume(store: Store) -> None:
    run(store)
    run(store)  # same model and prompt: fine
    with pytest.raises(RecapError, match="was made with model 'm'"):
        run(store, model="other")


def test_pending_claim_and_save(store: Store) -> None:
    for i in range(3):
        store.clips.upsert(clip(i), f"caption {i}")
    run(store)
    assert store.runs.pending("r1") == ["c0", "c1", "c2"]
    assert store.leases.claim("r1", ["c0", "c1"], "host-a:1", 60) == ["c0", "c1"]
    assert store.leases.claim("r1", ["c0", "c1", "c2"], "host-b:2", 60) == ["c2"]  # no sharing
    assert store.runs.save_draft("r1", result("c0", cost_usd=0.01), owner="host-a:1")
    assert not store.runs.save_draft("r1", result("c0"), owner="host-a:1")  # never twice
    store.runs.save_error("r1", "c1", "video", "Cannot use video: truncated", owner="host-a:1")
    assert store.runs.pending("r1") == ["c2"]
    assert store.runs.pending("r1", retry_failed=True) == ["c1", "c2"]
    totals = store.runs.totals("r1")
    assert (totals.drafted, totals.failed, totals.prompt_tokens) == (1, 1, 100)
    with store.session() as s:
        assert {lease.clip_id for lease in s.query(Lease)} == {"c2"}  # finished ones dropped


def test_expired_or_dead_leases_are_taken_over(store: Store) -> None:
    store.clips.upsert(clip(1), "x")
    store.clips.upsert(clip(2), "y")
    run(store)
    assert store.leases.claim("r1", ["c1"], "elsewhere:1", ttl_s=-1) == ["c1"]  # already expired
    assert store.leases.claim("r1", ["c1"], "me:2", 60) == ["c1"]
    dead = f"{socket.gethostname()}:999999999"  # this host, no such process
    assert store.leases.claim("r1", ["c2"], dead, 600) == ["c2"]
    assert store.leases.claim("r1", ["c2"], "me:2", 60) == ["c2"]
    alive = f"{socket.gethostname()}:1"  # pid 1 exists
    store.clips.upsert(clip(3), "z")
    assert store.leases.claim("r1", ["c3"], alive, 600) == ["c3"]
    assert store.leases.claim("r1", ["c3"], "me:2", 60) == []


def test_errors_show_only_unresolved_latest(store: Store) -> None:
    store.clips.upsert(clip(1), "x")
    run(store)
    store.runs.save_error("r1", "c1", "endpoint", "first")
    store.runs.save_error("r1", "c1", "endpoint", "second")
    assert [e.message for e in store.runs.errors("r1")] == ["second"]
    store.runs.save_draft("r1", result("c1"))
    assert store.runs.errors("r1") == [] and len(store.runs.errors("r1", unresolved=False)) == 2


def test_secrets_are_scrubbed_from_stored_errors(store: Store) -> None:
    store.clips.upsert(clip(1), "x")
    run(store)
    store.runs.save_error("r1", "c1", "endpoint", "refused key sk-live-abcdefghijklmnop")
    assert "abcdefghijklmnop" not in store.runs.errors("r1")[0].message


def test_cache_round_trip(store: Store) -> None:
    assert store.runs.cache_get("k") is None
    store.runs.cache_put("k", result("c1", "The robot lifts it."))
    store.runs.cache_put("k", result("c1", "ignored duplicate"))
    assert store.runs.cache_get("k").draft.rewrite == "The robot lifts it."


def test_reviews_are_append_only_and_undo_restores(store: Store) -> None:
    store.clips.upsert(clip(1), "x")
    first = store.reviews.add(
        Review(clip_id="c1", reviewer="ann", decision="accepted", final_caption="x")
    )
    second = store.reviews.add(
        Review(clip_id="c1", reviewer="ann", decision="edited", final_caption="y")
    )
    assert store.reviews.in_force_by_clip()["c1"].id == second.id
    store.reviews.add(Review(clip_id="c1", reviewer="ann", decision="undo", undoes=second.id))
    assert store.reviews.in_force_by_clip()["c1"].id == first.id
    assert len(store.reviews.all("c1")) == 3


def test_unreachable_database_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(RecapError, match="Cannot open database"):
        Store(f"sqlite:///{tmp_path}/no/such/dir/x.db")


def test_lease_expiry_is_timezone_safe(store: Store) -> None:
    store.clips.upsert(clip(1), "x")
    run(store)
    with store.session.begin() as s:
        s.add(Lease(run="r1", clip_id="c1", owner="far:1", expires_at=now() - timedelta(hours=1)))
    assert store.leases.claim("r1", ["c1"], "me:2", 60) == ["c1"]


def test_gold_labels_and_telemetry_are_typed_on_the_clip(store: Store) -> None:
    """Handed out as `GoldLabels` and `Telemetry` (like a record's `Draft`), kept as JSON in
    the columns 0.1.0 named (`gold`, `telemetry_z` since migration 0005): no migration."""
    tel = Telemetry(t=[0.0, 0.5, 1.0], gripper=[1.0, 0.3, 0.3], success=True)
    gold = GoldLabels(
        caption="The robot grasps the cube.",
        hallucinations=[HallucinationLabel(span="drops", type="outcome")],
    )
    c = Clip(id="c1", video="/v.mp4", content_hash="h", telemetry=tel, gold=gold)
    assert c.telemetry_json == {"t": [0.0, 0.5, 1.0], "gripper": [1.0, 0.3, 0.3], "success": True,
                                "events": []}  # fmt: skip
    assert c.gold_json == {"caption": gold.caption, "hallucinations": [{"span": "drops",
                           "type": "outcome"}]}  # fmt: skip
    store.clips.upsert(c, "The robot drops the cube.")
    got = store.clips.get("c1")
    assert isinstance(got.telemetry, Telemetry) and got.telemetry == tel
    assert isinstance(got.gold, GoldLabels) and got.gold == gold
    assert got.gold_caption == "The robot grasps the cube." and got.telemetry.success is True
    assert {"gold", "telemetry_z"} <= {
        c["name"] for c in inspect(store.engine).get_columns("clips")
    }
    got.gold = None  # setting replaces the JSON, and what is handed out follows
    assert got.gold_json is None and got.gold is None and got.gold_caption is None
    with pytest.raises(TypeError, match="GoldLabels"):
        Clip(id="x", video="/v.mp4", content_hash="x", gold={"caption": "untyped"})
    with pytest.raises(TypeError, match="Telemetry"):
        Clip(id="x", video="/v.mp4", content_hash="x", telemetry={"t": [0.0]})
    bare = Clip(id="c2", video="/v.mp4", content_hash="h2")
    assert bare.gold is None and bare.telemetry is None and bare.gold_caption is None


def test_stored_gold_or_telemetry_that_no_longer_validates_costs_that_field(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import update

    store.clips.upsert(Clip(id="c1", video="/v.mp4", content_hash="h"), "x")
    with store.engine.begin() as conn:  # as a row changed outside recap might read
        conn.execute(
            update(Clip.__table__).values(
                gold={"hallucinations": "not a list"},
                telemetry_z={"t": [1.0, 0.0]},  # t not increasing
            )
        )
    got = store.clips.get("c1")
    with caplog.at_level("WARNING", logger="agent.store._tables"):
        assert got.gold is None and got.telemetry is None and got.gold_caption is None
    assert "'c1': stored gold labels left out (" in caplog.text
    assert "'c1': stored telemetry left out (" in caplog.text
    assert got.gold_json == {"hallucinations": "not a list"}  # the stored data is kept


def test_review_values_are_stored_as_their_strings_and_read_back_as_enums(store: Store) -> None:
    store.clips.upsert(clip(1), "x")
    run(store)
    store.runs.save_draft("r1", result("c1"))
    store.reviews.add(
        Review(clip_id="c1", run="r1", reviewer="ann", decision=Decision.EDITED,
               final_caption="y", purpose=Purpose.DOUBLE, arm=Arm.CONTROL)
    )  # fmt: skip
    with store.engine.connect() as conn:
        raw = conn.execute(text("SELECT decision, purpose, arm FROM reviews")).one()
        state = conn.execute(text("SELECT status FROM review_state")).scalar_one()
    assert (tuple(raw), state) == (("edited", "double", "control"), "awaiting_second")
    (r,) = store.reviews.all()
    assert (r.decision, r.purpose, r.arm) == (Decision.EDITED, Purpose.DOUBLE, Arm.CONTROL)
    assert isinstance(r.decision, Decision) and isinstance(r.arm, Arm)
    assert store.reviews.status("r1", "c1") is Status.AWAITING_SECOND
    with store.engine.begin() as conn:  # a value a newer release might write
        conn.execute(text("UPDATE reviews SET decision = 'auto_accepted'"))
    assert store.reviews.all()[0].decision == "auto_accepted"  # read as its string


def test_endpoint_modes_are_remembered_with_when_they_were_found(store: Store) -> None:
    e = store.endpoints
    assert e.recall("http://gpu:8000/v1", "qwen") is None
    e.remember("http://gpu:8000/v1", "qwen", "tools")
    e.remember("http://gpu:8000/v1", "qwen", "json_schema")  # found again: replaced
    e.remember("http://gpu:8000/v1", "llava", "md_json")
    assert e.recall("http://gpu:8000/v1", "qwen") == "json_schema"
    assert e.recall("http://other:8000/v1", "qwen") is None
    rows = e.all()
    assert {(r.model, r.mode) for r in rows} == {("qwen", "json_schema"), ("llava", "md_json")}
    assert all(r.found_at is not None for r in rows)
    e.forget("http://gpu:8000/v1", "qwen")
    assert e.recall("http://gpu:8000/v1", "qwen") is None


def test_a_draft_keeps_the_mode_its_answer_came_in(store: Store) -> None:
    store.clips.upsert(clip(1), "The robot pushes the block.")
    run(store)
    assert store.runs.save_draft("r1", result("c1").model_copy(update={"mode": "md_json"}))
    record = store.runs.draft("r1", "c1")
    assert record is not None and record.mode == "md_json"
