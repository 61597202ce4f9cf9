"""Frozen, named migrations: each one is a fixed script, applied once, in order.

A migration spells out its own tables and columns here instead of reading today's ORM classes,
so its meaning never changes when a class gains a column: a database made by 0.1.0 and one made
today pass through the same steps and end with the same schema. Append new migrations at the
end; never edit, rename or reorder one that has shipped.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import zlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine

from agent.store._tables import now


def _ts(name: str, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _migrations_table(md: MetaData) -> Table:
    return Table(
        "recap_migrations",
        md,
        Column("name", String(255), primary_key=True),
        _ts("applied_at"),
    )


def m0001_initial(conn: Connection) -> None:
    """Release 0.1.0: clips, captions, runs, drafts, errors, reviews, leases, response cache."""
    md = MetaData()
    Table(
        "clips",
        md,
        Column("id", String(255), primary_key=True),
        Column("video", Text, nullable=False),
        Column("root", Text),
        Column("start_s", Float),
        Column("end_s", Float),
        Column("telemetry", JSON),
        Column("gold", JSON),
        Column("meta", JSON),
        Column("source", Text),
        Column("content_hash", String(64), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
    )
    Table(
        "captions",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "clip_id",
            String(255),
            ForeignKey("clips.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("kind", String(32), nullable=False),
        Column("text", Text, nullable=False),
        _ts("created_at"),
        UniqueConstraint("clip_id", "kind"),
    )
    Table(
        "runs",
        md,
        Column("name", String(255), primary_key=True),
        Column("drafter", String(32), nullable=False),
        Column("model", Text),
        Column("prompt_name", Text),
        Column("prompt_hash", String(64)),
        Column("settings", JSON),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
    )
    Table(
        "drafts",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "run",
            String(255),
            ForeignKey("runs.name", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column(
            "clip_id",
            String(255),
            ForeignKey("clips.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("caption", Text, nullable=False),
        Column("draft", JSON, nullable=False),
        Column("verdict", String(32), nullable=False),
        Column("rewrite", Text, nullable=False),
        Column("drafter", String(32), nullable=False),
        Column("model", Text),
        Column("prompt_version", Text),
        Column("prompt_tokens", Integer, nullable=False),
        Column("completion_tokens", Integer, nullable=False),
        Column("cached_tokens", Integer, nullable=False),
        Column("cost_usd", Float),
        Column("latency_s", Float, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("reasks", Integer, nullable=False),
        Column("retries", Integer, nullable=False),
        Column("image_tokens", Integer, nullable=False),
        Column("from_cache", Boolean, nullable=False),
        Column("raw_response", Text),
        _ts("created_at"),
        UniqueConstraint("run", "clip_id"),
    )
    Table(
        "errors",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "run",
            String(255),
            ForeignKey("runs.name", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column(
            "clip_id",
            String(255),
            ForeignKey("clips.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("kind", String(32), nullable=False),
        Column("message", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        _ts("created_at"),
    )
    Table(
        "reviews",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "clip_id",
            String(255),
            ForeignKey("clips.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("run", Text, index=True),
        Column("draft_id", Integer),
        Column("reviewer", Text, nullable=False),
        Column("decision", String(32), nullable=False),
        Column("final_caption", Text),
        Column("seconds", Float),
        Column("edit_distance", Integer),
        Column("edit_rate", Float),
        Column("agreed", JSON),
        Column("undoes", Integer),
        _ts("created_at"),
    )
    Table(
        "leases",
        md,
        Column("run", String(255), primary_key=True),
        Column("clip_id", String(255), primary_key=True),
        Column("owner", Text, nullable=False),
        _ts("expires_at"),
    )
    Table(
        "response_cache",
        md,
        Column("key", String(64), primary_key=True),
        Column("result", JSON, nullable=False),
        _ts("created_at"),
    )
    md.create_all(conn)


def m0002_batches(conn: Connection) -> None:
    """Batch API jobs and the clips each one carries."""
    md = MetaData()
    Table(
        "batches",
        md,
        Column("id", String(255), primary_key=True),
        Column("run", String(255), nullable=False, index=True),
        Column("status", String(32), nullable=False),
        Column("input_file_id", Text),
        Column("output_file_id", Text),
        Column("error_file_id", Text),
        Column("clip_ids", JSON, nullable=False),
        Column("context", JSON),
        Column("ingested", Boolean, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
    )
    md.create_all(conn)


def m0003_edit_buffers(conn: Connection) -> None:
    """Unsaved text per reviewer and clip."""
    md = MetaData()
    Table(
        "edit_buffers",
        md,
        Column("owner", String(255), primary_key=True),
        Column("clip_id", String(255), primary_key=True),
        Column("text", Text, nullable=False),
        _ts("updated_at"),
    )
    md.create_all(conn)


def m0004_review_arm(conn: Connection) -> None:
    """Which arm a decision was made in: `draft` (the reviewer saw the draft) or `control` (the
    original caption alone). Older decisions were all made with the draft."""
    conn.execute(text("ALTER TABLE reviews ADD COLUMN arm VARCHAR(16)"))
    conn.execute(text("UPDATE reviews SET arm = 'draft' WHERE decision <> 'undo'"))


_FINAL = ("accepted", "edited", "rejected")


def _drop_column(conn: Connection, table: str, column: str) -> None:
    """Drop a column; SQLite before 3.35 cannot, so there it is emptied instead."""
    if conn.dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        conn.execute(text(f"UPDATE {table} SET {column} = NULL"))
    else:
        conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))


def m0005_review_queue(conn: Connection) -> None:
    """Review at team scale: the decision in force per (run, clip) and running tallies per run,
    kept with each decision (backfilled here from the reviews); telemetry compressed in
    `clips.telemetry_z`; raw model responses compressed in `draft_responses`, out of `drafts`."""
    md = MetaData()
    drafts = Table(
        "drafts",
        md,
        Column("id", Integer, primary_key=True),
        Column("run", String(255)),
        Column("clip_id", String(255)),
        Column("draft", JSON),
        Column("raw_response", Text),
    )
    responses = Table(
        "draft_responses",
        md,
        Column(
            "draft_id",
            Integer,
            ForeignKey("drafts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("body", LargeBinary, nullable=False),
    )
    state = Table(
        "review_state",
        md,
        Column("run", String(255), primary_key=True),
        Column("clip_id", String(255), primary_key=True),
        Column("status", String(32), nullable=False),
        Column("review_id", Integer, nullable=False),
        Column("reviewer", String(255), nullable=False),
        Column("seconds", Float),
        _ts("decided_at"),
        Index("ix_review_state_status", "run", "status", "clip_id"),
        Index("ix_review_state_reviewer", "run", "reviewer", "decided_at"),
    )
    tally = Table(
        "review_tally",
        md,
        Column("run", String(255), primary_key=True),
        Column("name", String(255), primary_key=True),
        Column("n", Integer, nullable=False),
        Column("total", Float, nullable=False),
    )
    md.create_all(conn, tables=[responses, state, tally])
    conn.execute(text("CREATE INDEX ix_reviews_run_reviewer_id ON reviews (run, reviewer, id)"))
    conn.execute(text("CREATE INDEX ix_reviews_undoes ON reviews (undoes)"))

    # telemetry, compressed, into its own column
    blob = LargeBinary().compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE clips ADD COLUMN telemetry_z {blob}"))
    old = MetaData()
    clips = Table(
        "clips",
        old,
        Column("id", String(255)),
        Column("telemetry", JSON),
        Column("telemetry_z", LargeBinary),
    )
    rows = conn.execute(select(clips.c.id, clips.c.telemetry).where(clips.c.telemetry.is_not(None)))
    for clip_id, value in rows.all():
        packed = zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 6)
        conn.execute(clips.update().where(clips.c.id == clip_id).values(telemetry_z=packed))
    _drop_column(conn, "clips", "telemetry")

    # raw responses out of the drafts table
    for draft_id, body in conn.execute(
        select(drafts.c.id, drafts.c.raw_response).where(drafts.c.raw_response.is_not(None))
    ).all():
        conn.execute(
            responses.insert().values(draft_id=draft_id, body=zlib.compress(body.encode(), 6))
        )
    _drop_column(conn, "drafts", "raw_response")

    # the decision in force per (run, clip), and the tallies, from the reviews so far
    reviews = Table(
        "reviews",
        old,
        Column("id", Integer),
        Column("clip_id", String(255)),
        Column("run", Text),
        Column("draft_id", Integer),
        Column("reviewer", Text),
        Column("decision", String(32)),
        Column("seconds", Float),
        Column("edit_rate", Float),
        Column("agreed", JSON),
        Column("undoes", Integer),
        _ts("created_at"),
    )
    rows = conn.execute(
        select(reviews).where(reviews.c.run.is_not(None)).order_by(reviews.c.id)
    ).all()
    undone = {r.undoes for r in rows if r.decision == "undo" and r.undoes is not None}
    latest: dict[tuple[str, str], Any] = {}
    for r in rows:
        if r.decision != "undo" and r.id not in undone:
            latest[(r.run, r.clip_id)] = r
    drafted = {
        (run, clip): (draft_id, draft)
        for draft_id, run, clip, draft in conn.execute(
            select(drafts.c.id, drafts.c.run, drafts.c.clip_id, drafts.c.draft)
        )
    }
    sums: dict[tuple[str, str], list[float]] = {}

    def add(run: str, name: str, n: int, total: float) -> None:
        acc = sums.setdefault((run, name), [0, 0.0])
        acc[0] += n
        acc[1] += total

    for (run, clip), r in latest.items():
        if (run, clip) not in drafted:
            continue  # a decision on a clip this run never drafted: not part of its queue
        conn.execute(
            state.insert().values(
                run=run,
                clip_id=clip,
                status=r.decision,
                review_id=r.id,
                reviewer=r.reviewer,
                seconds=r.seconds,
                decided_at=r.created_at,
            )
        )
        add(run, f"status:{r.decision}", 1, 0.0)
        if r.decision not in _FINAL:
            continue
        if r.edit_rate is not None:
            add(run, "edit_rate", 1, r.edit_rate)
        draft = drafted[(run, clip)][1] or {}
        for kind in ("hallucinations", "omissions"):
            marks = (r.agreed or {}).get(kind, {}) or {}
            for i, finding in enumerate(draft.get(kind) or []):
                add(run, f"agree:{finding.get('type', 'other')}", 1, float(bool(marks.get(str(i)))))
    for (run, name), (n, total) in sums.items():
        conn.execute(tally.insert().values(run=run, name=name, n=n, total=total))


def m0006_users(conn: Connection) -> None:
    """Accounts for sign-in: e-mail, role (reviewer, lead, admin), who added it, revocation."""
    md = MetaData()
    Table(
        "users",
        md,
        Column("email", String(320), primary_key=True),
        Column("role", String(16), nullable=False),
        Column("added_by", Text),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("revoked_at", nullable=True),
    )
    md.create_all(conn)


def m0007_team_review(conn: Connection) -> None:
    """Review as a team: why a decision was made (`purpose`: queue, gold, double, settle, lead),
    a lead's comment and the decision it is about, and the clips with a gold caption (the pool
    gold checks are drawn from), filled here from the clips ingested so far."""
    conn.execute(text("ALTER TABLE reviews ADD COLUMN purpose VARCHAR(16)"))
    conn.execute(text("ALTER TABLE reviews ADD COLUMN comment TEXT"))
    conn.execute(text("ALTER TABLE reviews ADD COLUMN about INTEGER"))
    conn.execute(text("CREATE INDEX ix_reviews_run_clip_id ON reviews (run, clip_id, id)"))
    conn.execute(text("CREATE INDEX ix_reviews_about ON reviews (about)"))
    conn.execute(
        text(
            "CREATE TABLE gold_clips (clip_id VARCHAR(255) NOT NULL PRIMARY KEY "
            "REFERENCES clips (id) ON DELETE CASCADE)"
        )
    )
    md = MetaData()
    clips = Table("clips", md, Column("id", String(255)), Column("gold", JSON))
    gold = Table("gold_clips", md, Column("clip_id", String(255)))
    for clip_id, value in conn.execute(select(clips.c.id, clips.c.gold)):
        if isinstance(value, str):  # some drivers hand JSON back as text
            value = json.loads(value)
        if isinstance(value, dict) and value.get("caption"):
            conn.execute(gold.insert().values(clip_id=clip_id))


def m0008_review_integrity(conn: Connection) -> None:
    """Decisions that count once, by someone entitled to make them: the columns holding a
    reviewer's name or a browser's owner take any address `recap users add` accepts (320
    characters, plus the browser's id), and a reviewer's lease says which tab of the browser
    holds the clip and why it is on screen (queue, gold or double)."""
    if conn.dialect.name != "sqlite":  # SQLite keeps text of any length in a VARCHAR column
        conn.execute(text("ALTER TABLE review_state ALTER COLUMN reviewer TYPE TEXT"))
        conn.execute(text("ALTER TABLE edit_buffers ALTER COLUMN owner TYPE TEXT"))
    conn.execute(text("ALTER TABLE leases ADD COLUMN tab TEXT"))
    conn.execute(text("ALTER TABLE leases ADD COLUMN purpose VARCHAR(16)"))


def m0009_endpoint_modes(conn: Connection) -> None:
    """RECAP_MODE=auto: the structured-output mode found to work per endpoint and model, with
    when it was found; and the mode each draft's answer came in (empty for older drafts)."""
    md = MetaData()
    Table(
        "endpoint_modes",
        md,
        Column("endpoint", String(1024), primary_key=True),
        Column("model", String(512), primary_key=True),
        Column("mode", String(16), nullable=False),
        _ts("found_at"),
    )
    md.create_all(conn)
    conn.execute(text("ALTER TABLE drafts ADD COLUMN mode VARCHAR(16)"))


def _legacy_set(source: str | None) -> tuple[str, str]:
    """The set (name, kind) migration 0010 puts a clip in, from the `source` ingest wrote:
    `manifest.jsonl:12` goes to set `manifest`, `lerobot:3` to `lerobot`, `draft-one` to the
    one-off set `draft-one`, a clip without a source to `ingested`."""
    if source == "draft-one":
        return "draft-one", "one-off"
    tag = source or ""
    head, sep, tail = tag.rpartition(":")
    if sep and tail.isdigit():
        tag = head
    for ext in (".jsonl", ".ndjson", ".json", ".csv"):
        if tag.lower().endswith(ext):
            tag = tag[: -len(ext)]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", tag).strip("-._")[:100]
    return name or "ingested", "production"


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):  # some drivers hand JSON back as text
        value = json.loads(value)
    return value if isinstance(value, list) else []


def m0010_clip_sets(conn: Connection) -> None:
    """Clip sets and what a run covers. Every clip goes into a set named from the source it was
    ingested from (`_legacy_set`); each run made before sets covers, frozen, the clips it
    drafted, failed or has in a batch (`run_clips`), so it keeps exactly what it had."""
    md = MetaData()
    Table("clips", md, Column("id", String(255), primary_key=True))  # referred to, not created
    Table("runs", md, Column("name", String(255), primary_key=True))
    sets = Table(
        "clip_sets",
        md,
        Column("name", String(255), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("source", Text),
        _ts("created_at"),
    )
    members = Table(
        "clip_set_members",
        md,
        Column(
            "set_name",
            String(255),
            ForeignKey("clip_sets.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column(
            "clip_id",
            String(255),
            ForeignKey("clips.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )
    run_clips = Table(
        "run_clips",
        md,
        Column("run", String(255), ForeignKey("runs.name", ondelete="CASCADE"), primary_key=True),
        Column(
            "clip_id", String(255), ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    md.create_all(conn, tables=[sets, members, run_clips])
    json_type = JSON().compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE runs ADD COLUMN selection {json_type}"))

    old = MetaData()
    clips = Table("clips", old, Column("id", String(255)), Column("source", Text))
    runs = Table("runs", old, Column("name", String(255)), Column("selection", JSON))
    drafts = Table("drafts", old, Column("run", String(255)), Column("clip_id", String(255)))
    errors = Table("errors", old, Column("run", String(255)), Column("clip_id", String(255)))
    batches = Table("batches", old, Column("run", String(255)), Column("clip_ids", JSON))

    stamp = now()
    grouped: dict[tuple[str, str], list[str]] = {}
    tags: dict[tuple[str, str], str] = {}
    for clip_id, source in conn.execute(select(clips.c.id, clips.c.source).order_by(clips.c.id)):
        key = _legacy_set(source)
        grouped.setdefault(key, []).append(clip_id)
        tags.setdefault(key, (source or "").rpartition(":")[0] or source or "unknown")
    for (name, kind), ids in sorted(grouped.items()):
        if conn.execute(select(sets.c.name).where(sets.c.name == name)).first() is None:
            conn.execute(
                sets.insert().values(
                    name=name,
                    kind=kind,
                    source=f"{tags[(name, kind)]} (ingested before clip sets)",
                    created_at=stamp,
                )
            )
        for start in range(0, len(ids), 5000):
            conn.execute(
                members.insert(),
                [{"set_name": name, "clip_id": c} for c in ids[start : start + 5000]],
            )

    known = {c for (c,) in conn.execute(select(clips.c.id))}
    names = {name for (name,) in conn.execute(select(runs.c.name))}
    covered: dict[str, set[str]] = {name: set() for name in names}
    for table in (drafts, errors):
        for run, clip_id in conn.execute(select(table.c.run, table.c.clip_id)):
            covered.setdefault(run, set()).add(clip_id)
    for run, ids in conn.execute(select(batches.c.run, batches.c.clip_ids)):
        covered.setdefault(run, set()).update(str(c) for c in _as_list(ids))
    for run, ids in covered.items():
        if run not in names:
            continue  # a batch of a run that is gone
        frozen = sorted(ids & known)
        digest = hashlib.sha256("\n".join(frozen).encode()).hexdigest()
        selection = {
            "kind": "ids",
            "file": None,
            "count": len(frozen),
            "digest": digest,
            "note": "drafted or failed before clip sets",
        }
        conn.execute(runs.update().where(runs.c.name == run).values(selection=selection))
        for start in range(0, len(frozen), 5000):
            conn.execute(
                run_clips.insert(),
                [{"run": run, "clip_id": c} for c in frozen[start : start + 5000]],
            )


def m0011_routing(conn: Connection) -> None:
    """Routing (auto-acceptance with a guarantee): each draft's confidence (the score, and the
    parts it is made of as JSON, empty for older drafts until they are scored), the calibrated
    policies (threshold, alpha, delta, the figures behind them, the run identity and prompt
    version they hold for, and why one was suspended), the labelled clips each policy was
    calibrated on, and the clips a policy accepted without a person (with the confidence, and
    whether the clip is also audited by a person)."""
    json_type = JSON().compile(dialect=conn.dialect)
    conn.execute(text("ALTER TABLE drafts ADD COLUMN confidence FLOAT"))
    conn.execute(text(f"ALTER TABLE drafts ADD COLUMN confidence_parts {json_type}"))
    md = MetaData()
    Table("clips", md, Column("id", String(255), primary_key=True))  # referred to, not created
    Table("runs", md, Column("name", String(255), primary_key=True))
    Table("drafts", md, Column("id", Integer, primary_key=True))
    policies = Table(
        "routing_policies",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run", String(255), nullable=False, index=True),
        Column("identity", String(64), nullable=False, index=True),
        Column("prompt_version", Text),
        Column("scorer", String(64), nullable=False),
        Column("labels", String(16), nullable=False),
        Column("threshold", Float),
        Column("alpha", Float, nullable=False),
        Column("delta", Float, nullable=False),
        Column("n", Integer, nullable=False),
        Column("accepted", Integer, nullable=False),
        Column("errors", Integer, nullable=False),
        Column("error", Float),
        Column("bound", Float),
        Column("coverage", Float, nullable=False),
        Column("min_n", Integer, nullable=False),
        Column("rule", JSON),
        Column("reason", Text),
        _ts("created_at"),
        _ts("suspended_at", nullable=True),
        Column("suspended_reason", Text),
    )
    labels = Table(
        "routing_labels",
        md,
        Column(
            "policy_id",
            Integer,
            ForeignKey("routing_policies.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("clip_id", String(255), primary_key=True),
        Column("confidence", Float, nullable=False),
        Column("error", Boolean, nullable=False),
    )
    accepted = Table(
        "auto_acceptances",
        md,
        Column("run", String(255), ForeignKey("runs.name", ondelete="CASCADE"), primary_key=True),
        Column(
            "clip_id", String(255), ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True
        ),
        Column(
            "draft_id",
            Integer,
            ForeignKey("drafts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column(
            "policy_id",
            Integer,
            ForeignKey("routing_policies.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("confidence", Float, nullable=False),
        Column("audit", Boolean, nullable=False),
        _ts("created_at"),
    )
    md.create_all(conn, tables=[policies, labels, accepted])


def m0012_draft_samples(conn: Connection) -> None:
    """K samples per clip (`recap draft --samples K`): each sample a draft was chosen from, its
    draft as JSON or why it failed, dropped with its draft."""
    md = MetaData()
    Table("drafts", md, Column("id", Integer, primary_key=True))  # referred to, not created
    samples = Table(
        "draft_samples",
        md,
        Column("draft_id", Integer, ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True),
        Column("idx", Integer, primary_key=True),
        Column("draft", JSON),
        Column("error", Text),
    )
    md.create_all(conn, tables=[samples])


def m0013_rubric_scores(conn: Connection) -> None:
    """Rubric scores: a reviewer's or lead's score of the caption on each dimension of the
    guideline's rubric, kept with the decision they came with (one row per dimension), with
    the scale they were given on and the guideline version in force. Dropped with the
    decision's undo; older databases have none."""
    md = MetaData()
    Table("reviews", md, Column("id", Integer, primary_key=True))  # referred to, not created
    scores = Table(
        "rubric_scores",
        md,
        Column(
            "review_id",
            Integer,
            ForeignKey("reviews.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("dimension", String(255), primary_key=True),
        Column("score", Integer, nullable=False),
        Column("low", Integer, nullable=False),
        Column("high", Integer, nullable=False),
        Column("guideline", Text, nullable=False),
    )
    md.create_all(conn, tables=[scores])


def m0014_stated_confidence(conn: Connection) -> None:
    """The model's own confidence in a draft, where its prompt asked for one (a prompt.toml's
    `[draft] stated_confidence = true`); None for every older draft and the offline drafter's."""
    conn.execute(text("ALTER TABLE drafts ADD COLUMN stated_confidence FLOAT"))


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial", m0001_initial),
    ("0002_batches", m0002_batches),
    ("0003_edit_buffers", m0003_edit_buffers),
    ("0004_review_arm", m0004_review_arm),
    ("0005_review_queue", m0005_review_queue),
    ("0006_users", m0006_users),
    ("0007_team_review", m0007_team_review),
    ("0008_review_integrity", m0008_review_integrity),
    ("0009_endpoint_modes", m0009_endpoint_modes),
    ("0010_clip_sets", m0010_clip_sets),
    ("0011_routing", m0011_routing),
    ("0012_draft_samples", m0012_draft_samples),
    ("0013_rubric_scores", m0013_rubric_scores),
    ("0014_stated_confidence", m0014_stated_confidence),
]


def applied(engine: Engine) -> list[str]:
    if not inspect(engine).has_table("recap_migrations"):
        return []
    table = _migrations_table(MetaData())
    with engine.connect() as conn:
        return sorted(conn.scalars(select(table.c.name)))


def migrate(engine: Engine, upto: str | None = None) -> list[str]:
    """Apply pending migrations in order (up to and including `upto`); return their names.

    Each migration and its record commit together, so a crash leaves it fully applied or not.
    """
    table = _migrations_table(MetaData())
    with engine.begin() as conn:
        table.create(conn, checkfirst=True)
    done = set(applied(engine))
    names: list[str] = []
    for name, apply in MIGRATIONS:
        if name not in done:
            with engine.begin() as conn:
                apply(conn)
                conn.execute(table.insert().values(name=name, applied_at=now()))
            names.append(name)
        if name == upto:
            break
    return names
