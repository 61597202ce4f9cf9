"""The `Store` facade: every read and write of recap's data goes through it.

Callers never hold a session across awaits, and every write is one short transaction, so a
process killed mid-job leaves whole rows or none. Rows come back typed: a `DraftRecord` hands
out its `Draft`, never the JSON it is kept as.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from agent.errors import RecapError
from agent.redact import redact
from agent.schema import DraftResult
from agent.settings import Settings
from agent.store import _leases, _migrations, _queue
from agent.store._tables import (
    BatchJob,
    CacheEntry,
    Caption,
    Clip,
    DraftRecord,
    DraftResponse,
    EditBuffer,
    ErrorRecord,
    GoldClip,
    Review,
    Run,
    User,
    now,
)

FINAL_DECISIONS = frozenset({"accepted", "edited", "rejected"})
CLIP_FIELDS = (
    "video",
    "root",
    "start_s",
    "end_s",
    "telemetry",
    "gold",
    "meta",
    "source",
    "content_hash",
)


def _column(attr: str) -> str:
    """The table column behind a Clip attribute (`telemetry` is kept in `telemetry_z`)."""
    return Clip.__mapper__.get_property(attr).columns[0].key


def _clip_row(
    clip: Clip, stamp: datetime, fields: Sequence[str] = ("id", *CLIP_FIELDS, "created_at")
) -> dict[str, Any]:
    """A clip's column values for a bulk statement, keyed by column; `updated_at` is always the
    batch's time."""
    row = {_column(attr): getattr(clip, attr) for attr in fields}
    if "created_at" in row:
        row["created_at"] = stamp
    row["updated_at"] = stamp
    return row


def database_url(db: str | os.PathLike[str] | None = None) -> str:
    """A path or SQLAlchemy URL; None means the `db` setting (RECAP_DB, default ./recap.db)."""
    value = str(db) if db is not None else Settings().db
    if "://" not in value:
        value = f"sqlite:///{Path(value).expanduser()}"
    return value


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Store:
    """All persistence goes through here."""

    def __init__(self, db: str | os.PathLike[str] | None = None, *, migrate: bool = True) -> None:
        self.url = database_url(db)
        try:
            self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        except Exception as e:
            raise RecapError(
                f"Cannot open database {redact(self.url)}: {e}",
                hint="Pass --db PATH for SQLite or a SQLAlchemy URL such as "
                "postgresql+psycopg://user@host/db",
            ) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    @property
    def display_url(self) -> str:
        """The URL as it may be printed: any password masked."""
        return redact(self.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # --- schema -------------------------------------------------------------------------------
    def applied_migrations(self) -> list[str]:
        return _migrations.applied(self.engine)

    def migrate(self, upto: str | None = None) -> list[str]:
        """Apply pending migrations in order (up to and including `upto`); return their names."""
        try:
            return _migrations.migrate(self.engine, upto)
        except OperationalError as e:
            raise RecapError(
                f"Cannot open database {redact(self.url)}: {e.orig}",
                hint="Check the path or URL, and that the server is running.",
            ) from None

    # --- clips --------------------------------------------------------------------------------
    def upsert_clip(self, clip: Clip, caption: str) -> str:
        """Insert or update one clip and its caption; 'added', 'updated' or 'unchanged'. The
        gold pool (`gold_clips`) follows the clip's gold caption in the same transaction."""
        with self.session.begin() as s:
            existing = s.get(Clip, clip.id)
            has_gold = bool((clip.gold or {}).get("caption"))
            if existing is None:
                s.add(clip)
                s.flush()  # the clip row must exist before its caption's foreign key
                s.add(Caption(clip_id=clip.id, kind="original", text=caption))
                if has_gold:
                    s.add(GoldClip(clip_id=clip.id))
                return "added"
            if existing.content_hash == clip.content_hash:
                return "unchanged"
            for col in CLIP_FIELDS:
                setattr(existing, col, getattr(clip, col))
            existing.updated_at = now()
            pooled = s.get(GoldClip, clip.id)
            if has_gold and pooled is None:
                s.add(GoldClip(clip_id=clip.id))
            elif not has_gold and pooled is not None:
                s.delete(pooled)
            cap = s.scalar(
                select(Caption).where(Caption.clip_id == clip.id, Caption.kind == "original")
            )
            if cap is None:
                s.add(Caption(clip_id=clip.id, kind="original", text=caption))
            else:
                cap.text = caption
            return "updated"

    def upsert_clips(self, items: Sequence[tuple[Clip, str]]) -> list[str]:
        """Insert or update many clips and their captions in one transaction (bulk statements,
        not a round trip per row); one outcome per item, in order, with `upsert_clip`'s meaning:
        'added', 'updated' (content hash changed) or 'unchanged'. Ids must be distinct. A clip
        inserted meanwhile by another process makes the batch start over, seeing it."""
        ids = [c.id for c, _ in items]
        if len(set(ids)) != len(ids):
            raise ValueError("upsert_clips: the same clip id twice in one batch")
        if not items:
            return []
        for attempt in range(3):
            try:
                return self._upsert_clips_once(items)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _upsert_clips_once(self, items: Sequence[tuple[Clip, str]]) -> list[str]:
        clips, captions = Clip.__table__, Caption.__table__
        stamp = now()
        with self.engine.begin() as conn:
            ids = [c.id for c, _ in items]
            known = {
                row[0]: row[1]
                for row in conn.execute(
                    select(clips.c.id, clips.c.content_hash).where(clips.c.id.in_(ids))
                )
            }
            outcomes: list[str] = []
            added: list[dict[str, Any]] = []
            changed: list[tuple[Clip, str]] = []
            for clip, caption in items:
                old = known.get(clip.id)
                if old is None:
                    outcomes.append("added")
                    added.append(_clip_row(clip, stamp))
                elif old == clip.content_hash:
                    outcomes.append("unchanged")
                else:
                    outcomes.append("updated")
                    changed.append((clip, caption))
            if added:
                conn.execute(insert(clips), added)
                conn.execute(
                    insert(captions),
                    [
                        {"clip_id": c.id, "kind": "original", "text": t, "created_at": stamp}
                        for (c, t), o in zip(items, outcomes, strict=True)
                        if o == "added"
                    ],
                )
            if changed:
                conn.execute(
                    update(clips)
                    .where(clips.c.id == bindparam("b_id"))
                    .values(
                        {
                            _column(attr): bindparam(f"v_{_column(attr)}")
                            for attr in (*CLIP_FIELDS, "updated_at")
                        }
                    ),
                    [
                        {"b_id": c.id}
                        | {f"v_{k}": v for k, v in _clip_row(c, stamp, CLIP_FIELDS).items()}
                        for c, _ in changed
                    ],
                )
                has_caption = set(
                    conn.execute(
                        select(captions.c.clip_id).where(
                            captions.c.clip_id.in_([c.id for c, _ in changed]),
                            captions.c.kind == "original",
                        )
                    ).scalars()
                )
                if has_caption:
                    conn.execute(
                        update(captions)
                        .where(
                            captions.c.clip_id == bindparam("b_id"),
                            captions.c.kind == "original",
                        )
                        .values(text=bindparam("b_text")),
                        [{"b_id": c.id, "b_text": t} for c, t in changed if c.id in has_caption],
                    )
                missing = [(c, t) for c, t in changed if c.id not in has_caption]
                if missing:
                    conn.execute(
                        insert(captions),
                        [
                            {"clip_id": c.id, "kind": "original", "text": t, "created_at": stamp}
                            for c, t in missing
                        ],
                    )
        return outcomes

    def clip(self, clip_id: str) -> Clip | None:
        with self.session() as s:
            return s.get(Clip, clip_id)

    def caption(self, clip_id: str) -> str | None:
        with self.session() as s:
            return s.scalar(
                select(Caption.text).where(Caption.clip_id == clip_id, Caption.kind == "original")
            )

    def clips_with_captions(self, ids: Sequence[str] | None = None) -> list[tuple[Clip, str]]:
        with self.session() as s:
            q = select(Clip, Caption.text).join(
                Caption, (Caption.clip_id == Clip.id) & (Caption.kind == "original")
            )
            if ids is not None:
                q = q.where(Clip.id.in_(list(ids)))
            return [(c, t) for c, t in s.execute(q.order_by(Clip.id))]

    def count_clips(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Clip)) or 0

    # --- runs ---------------------------------------------------------------------------------
    def ensure_run(
        self,
        name: str,
        *,
        drafter: str,
        model: str | None,
        prompt_name: str | None,
        prompt_hash: str | None,
        settings: dict[str, Any],
    ) -> Run:
        """Create the run, or check an existing one was made with the same model and prompt."""
        with self.session.begin() as s:
            run = s.get(Run, name)
            if run is None:
                run = Run(
                    name=name,
                    drafter=drafter,
                    model=model,
                    prompt_name=prompt_name,
                    prompt_hash=prompt_hash,
                    settings=settings,
                )
                s.add(run)
                try:
                    s.flush()
                except IntegrityError:  # created by another process a moment ago
                    s.rollback()
                    return self.ensure_run(
                        name,
                        drafter=drafter,
                        model=model,
                        prompt_name=prompt_name,
                        prompt_hash=prompt_hash,
                        settings=settings,
                    )
                return run
            pairs = (
                ("drafter", run.drafter, drafter),
                ("model", run.model, model),
                ("prompt hash", run.prompt_hash, prompt_hash),
            )
            mismatch = [f"{what} {old!r} (now {new!r})" for what, old, new in pairs if old != new]
            if mismatch:
                raise RecapError(
                    f"Run {name!r} was made with " + ", ".join(mismatch) + ".",
                    hint="A run holds one model and prompt version. Resume it with the same "
                    "settings, or start another with --run NEW_NAME.",
                )
            run.finished_at = None
            return run

    def finish_run(self, name: str) -> None:
        with self.session.begin() as s:
            s.execute(update(Run).where(Run.name == name).values(finished_at=now()))

    def runs(self) -> list[Run]:
        with self.session() as s:
            return list(s.scalars(select(Run).order_by(Run.started_at)))

    def run(self, name: str) -> Run | None:
        with self.session() as s:
            return s.get(Run, name)

    def run_or_latest(self, name: str | None, purpose: str) -> str:
        """`name`, or the latest run's name when none is given; an error when there is none."""
        if name is not None:
            return name
        runs = self.runs()
        if not runs:
            raise RecapError(f"There are no runs to {purpose}.", hint="Run `recap draft` first.")
        return runs[-1].name

    def require_run(self, name: str) -> Run:
        """The run, or an error listing the runs there are."""
        run = self.run(name)
        if run is None:
            known = ", ".join(r.name for r in self.runs()) or "none yet"
            raise RecapError(f"No run named {name!r}.", hint=f"Runs in this database: {known}.")
        return run

    # --- leases -------------------------------------------------------------------------------
    def claim(self, run: str, clip_ids: Sequence[str], owner: str, ttl_s: float) -> list[str]:
        """Lease clips to `owner`; see `agent.store._leases.claim`."""
        return _leases.claim(self.session, run, clip_ids, owner, ttl_s)

    def release(self, run: str, owner: str, clip_ids: Sequence[str] | None = None) -> None:
        with self.session.begin() as s:
            _leases.release(s, run, owner, clip_ids)

    def held(self, run: str, owner: str) -> set[str]:
        return _leases.held(self.session, run, owner)

    # --- drafting -----------------------------------------------------------------------------
    def pending(self, run: str, *, retry_failed: bool = False) -> list[str]:
        """Clips with no draft in `run` (and, unless retrying, no recorded error)."""
        with self.session() as s:
            drafted = select(DraftRecord.clip_id).where(DraftRecord.run == run)
            q = select(Clip.id).where(Clip.id.not_in(drafted))
            if not retry_failed:
                failed = select(ErrorRecord.clip_id).where(ErrorRecord.run == run)
                q = q.where(Clip.id.not_in(failed))
            return list(s.scalars(q.order_by(Clip.id)))

    def claim_one(
        self, run: str, clip_id: str, owner: str, ttl_s: float
    ) -> tuple[Clip, str] | None:
        """Lease one clip still without a draft and load it with its caption, or None."""
        if not self.claim(run, [clip_id], owner, ttl_s):
            return None
        with self.session() as s:
            drafted = s.scalar(
                select(DraftRecord.id).where(DraftRecord.run == run, DraftRecord.clip_id == clip_id)
            )
            row = (
                None
                if drafted is not None
                else s.execute(
                    select(Clip, Caption.text)
                    .join(Caption, (Caption.clip_id == Clip.id) & (Caption.kind == "original"))
                    .where(Clip.id == clip_id)
                ).first()
            )
        if row is None:
            self.release(run, owner, [clip_id])
            return None
        return row[0], row[1]

    def save_draft(
        self,
        run: str,
        result: DraftResult,
        *,
        from_cache: bool = False,
        owner: str | None = None,
        replace: bool = False,
    ) -> bool:
        """Store a draft and drop its lease, in one transaction. False if one already exists
        (unless `replace`, which supersedes the clip's earlier draft in this run)."""
        row = DraftRecord(
            run=run,
            clip_id=result.clip,
            caption=result.caption,
            draft_json=result.draft.model_dump(mode="json"),
            verdict=result.draft.verdict.value,
            rewrite=result.draft.rewrite,
            drafter=result.drafter,
            model=result.model,
            prompt_version=result.prompt.version if result.prompt else None,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            cached_tokens=result.usage.cached_tokens,
            cost_usd=result.cost_usd,
            latency_s=result.latency_s,
            attempts=result.attempts,
            reasks=result.reasks,
            retries=result.retries,
            image_tokens=result.image_tokens_estimate,
            from_cache=from_cache,
        )
        with self.session() as s:
            try:
                if owner is not None:
                    _leases.release(s, run, owner, [result.clip])
                if replace:
                    s.execute(
                        delete(DraftRecord).where(
                            DraftRecord.run == run, DraftRecord.clip_id == result.clip
                        )
                    )
                s.add(row)
                if result.raw_response is not None:
                    s.flush()
                    s.add(DraftResponse(draft_id=row.id, body=result.raw_response))
                s.commit()
                return True
            except IntegrityError:
                s.rollback()
            if owner is not None:  # drafted elsewhere already: still let go of the lease
                _leases.release(s, run, owner, [result.clip])
                s.commit()
            return False

    def save_error(
        self,
        run: str,
        clip_id: str,
        kind: str,
        message: str,
        *,
        attempts: int = 0,
        owner: str | None = None,
    ) -> None:
        with self.session.begin() as s:
            s.add(
                ErrorRecord(
                    run=run, clip_id=clip_id, kind=kind, message=redact(message), attempts=attempts
                )
            )
            if owner is not None:
                _leases.release(s, run, owner, [clip_id])

    def drafts(self, run: str) -> list[DraftRecord]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(DraftRecord).where(DraftRecord.run == run).order_by(DraftRecord.clip_id)
                )
            )

    def draft_for(self, run: str, clip_id: str) -> DraftRecord | None:
        with self.session() as s:
            return s.scalar(
                select(DraftRecord).where(DraftRecord.run == run, DraftRecord.clip_id == clip_id)
            )

    def raw_response(self, draft_id: int) -> str | None:
        """The model's raw response to a stored draft (kept compressed, apart from the draft)."""
        with self.session() as s:
            row = s.get(DraftResponse, draft_id)
            return row.body if row else None

    def errors(self, run: str, *, unresolved: bool = True) -> list[ErrorRecord]:
        """Errors of a run; by default only for clips still without a draft (latest each)."""
        with self.session() as s:
            q = select(ErrorRecord).where(ErrorRecord.run == run).order_by(ErrorRecord.id)
            rows = list(s.scalars(q))
            if not unresolved:
                return rows
            drafted = set(s.scalars(select(DraftRecord.clip_id).where(DraftRecord.run == run)))
            latest: dict[str, ErrorRecord] = {}
            for r in rows:
                if r.clip_id not in drafted:
                    latest[r.clip_id] = r
            return list(latest.values())

    def run_totals(self, run: str) -> dict[str, Any]:
        with self.session() as s:
            row = s.execute(
                select(
                    func.count(DraftRecord.id),
                    func.coalesce(func.sum(DraftRecord.prompt_tokens), 0),
                    func.coalesce(func.sum(DraftRecord.completion_tokens), 0),
                    func.sum(DraftRecord.cost_usd),
                    func.coalesce(func.sum(DraftRecord.retries), 0),
                    func.coalesce(func.sum(DraftRecord.reasks), 0),
                ).where(DraftRecord.run == run)
            ).one()
        return {
            "drafted": row[0],
            "prompt_tokens": row[1],
            "completion_tokens": row[2],
            "cost_usd": row[3],
            "retries": row[4],
            "reasks": row[5],
            "failed": len(self.errors(run)),
        }

    # --- response cache -----------------------------------------------------------------------
    def cache_get_json(self, key: str) -> dict[str, Any] | None:
        with self.session() as s:
            entry = s.get(CacheEntry, key)
            return entry.result if entry else None

    def cache_put_json(self, key: str, value: dict[str, Any]) -> None:
        with self.session() as s:
            s.add(CacheEntry(key=key, result=value))
            try:
                s.commit()
            except IntegrityError:  # stored by another worker meanwhile: same answer
                s.rollback()

    def cache_get(self, key: str) -> DraftResult | None:
        value = self.cache_get_json(key)
        return DraftResult.model_validate(value) if value is not None else None

    def cache_put(self, key: str, result: DraftResult) -> None:
        self.cache_put_json(key, result.model_dump(mode="json"))

    # --- reviews ------------------------------------------------------------------------------
    def add_review(self, review: Review) -> Review:
        """Append a decision (or an undo), moving its clip's state and the run's tallies in the
        same transaction, so no reader ever sees one without the other."""
        for attempt in range(5):
            try:
                with self.session.begin() as s:
                    _queue.record(s, review)
                return review
            except IntegrityError:  # another server created the run's first tally row
                if attempt == 4:
                    raise
        return review

    def review_candidates(
        self,
        run: str,
        status: str,
        *,
        lease_run: str,
        owner: str,
        after: str | None = None,
        upto: str | None = None,
        limit: int = 16,
        reviewer: str | None = None,
        exclude_gold: bool = False,
    ) -> list[str]:
        """Clips with this review status not leased to another owner; see `_queue.candidates`."""
        with self.session() as s:
            return _queue.candidates(
                s,
                run,
                status,
                lease_run=lease_run,
                owner=owner,
                after=after,
                upto=upto,
                limit=limit,
                reviewer=reviewer,
                exclude_gold=exclude_gold,
            )

    def gold_candidates(self, run: str, reviewer: str, limit: int = 4) -> list[str]:
        """Gold clips of the run this reviewer has not checked yet; see `_queue`."""
        with self.session() as s:
            return _queue.gold_candidates(s, run, reviewer, limit)

    def gold_counts(self, run: str, reviewer: str) -> tuple[int, int]:
        """(gold checks, all final decisions) of this reviewer in this run."""
        with self.session() as s:
            return _queue.gold_counts(s, run, reviewer)

    def gold_pool(self, run: str) -> int:
        with self.session() as s:
            return _queue.gold_pool(s, run)

    def clips_with_status(
        self, run: str, status: str, reviewer: str | None = None, limit: int = 50
    ) -> list[str]:
        """Clips in this state (sent back to `reviewer`, disputed, ...), in clip order."""
        with self.session() as s:
            return _queue.with_status(s, run, status, reviewer, limit)

    def state_review(self, run: str, clip_id: str) -> Review | None:
        """The review row behind a clip's state (a sent-back clip's: the lead's comment)."""
        with self.session() as s:
            return _queue.state_review(s, run, clip_id)

    def clip_reviews(self, run: str, clip_id: str) -> list[Review]:
        """Every review row of one clip in one run, oldest first."""
        with self.session() as s:
            return _queue.clip_reviews(s, run, clip_id)

    def review_status(self, run: str, clip_id: str) -> str:
        """'pending' or the decision in force on this clip in this run."""
        with self.session() as s:
            return _queue.status(s, run, clip_id)

    def review_statuses(self, run: str, clip_ids: Sequence[str]) -> dict[str, str]:
        with self.session() as s:
            return _queue.statuses_of(s, run, clip_ids)

    def review_tallies(self, run: str) -> dict[str, tuple[int, float]]:
        """The run's running review sums by name: (count, sum)."""
        with self.session() as s:
            return _queue.tallies(s, run)

    def count_drafts(self, run: str) -> int:
        with self.session() as s:
            return _queue.drafted(s, run)

    def decided_by(self, run: str, reviewer: str) -> list[tuple[Any, float | None]]:
        """(time, seconds) of each final decision in force by `reviewer` in `run`."""
        with self.session() as s:
            return _queue.decided_by(s, run, reviewer)

    def last_undoable(self, run: str, reviewer: str) -> Review | None:
        with self.session() as s:
            return _queue.last_undoable(s, run, reviewer)

    def held_in_order(self, run: str, owner: str) -> list[str]:
        """Clips `owner` holds unexpired leases on, in clip order."""
        with self.session() as s:
            return _queue.held(s, run, owner)

    def reviews(self, clip_id: str | None = None) -> list[Review]:
        with self.session() as s:
            q = select(Review).order_by(Review.id)
            if clip_id is not None:
                q = q.where(Review.clip_id == clip_id)
            return list(s.scalars(q))

    def reviews_by_id(self, ids: Sequence[int]) -> list[Review]:
        with self.session() as s:
            return list(s.scalars(select(Review).where(Review.id.in_(list(ids)))))

    def recent_reviews(self, run: str, reviewer: str, limit: int = 200) -> list[Review]:
        """A reviewer's newest review rows in a run, newest first (index on run, reviewer, id)."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(Review)
                    .where(Review.run == run, Review.reviewer == reviewer)
                    .order_by(Review.id.desc())
                    .limit(limit)
                )
            )

    def judged(self, run: str, review_ids: Sequence[int]) -> set[int]:
        """Which of these decisions a lead has approved or sent back."""
        if not review_ids:
            return set()
        with self.session() as s:
            return set(
                s.scalars(
                    select(Review.about).where(
                        Review.run == run,
                        Review.purpose == "lead",
                        Review.about.in_(list(review_ids)),
                    )
                )
            )

    def latest_reviews(self) -> dict[str, Review]:
        """The decision in force per clip (the newest run's, where several runs decided it), as
        the queue resolves it: a lead's settlement wins over the two reviewers it settled; a
        clip still disputed or sent back has none (its draft stands until it is decided); gold
        checks and a lead's feedback rows are never a clip's decision."""
        groups: dict[tuple[str | None, str], list[Review]] = {}
        for r in self.reviews():
            groups.setdefault((r.run, r.clip_id), []).append(r)
        latest: dict[str, Review] = {}
        for (_, clip_id), rows in groups.items():
            resolved = _queue.resolve(rows)
            if resolved is None or resolved[0] in ("disputed", "sent_back"):
                continue
            review = resolved[1]
            if clip_id not in latest or latest[clip_id].id < review.id:
                latest[clip_id] = review
        return latest

    def save_buffer(self, owner: str, clip_id: str, text: str) -> None:
        with self.session.begin() as s:
            s.merge(EditBuffer(owner=owner, clip_id=clip_id, text=text, updated_at=now()))

    def buffer(self, owner: str, clip_id: str) -> str | None:
        with self.session() as s:
            row = s.get(EditBuffer, (owner, clip_id))
            return row.text if row else None

    def drop_buffer(self, owner: str, clip_id: str) -> None:
        with self.session.begin() as s:
            s.execute(
                delete(EditBuffer).where(EditBuffer.owner == owner, EditBuffer.clip_id == clip_id)
            )

    # --- batches ------------------------------------------------------------------------------
    def save_batch(self, batch: BatchJob) -> None:
        with self.session.begin() as s:
            s.merge(batch)

    def batches(self, run: str, *, open_only: bool = True) -> list[BatchJob]:
        with self.session() as s:
            q = select(BatchJob).where(BatchJob.run == run)
            if open_only:
                q = q.where(BatchJob.ingested.is_(False))
            return list(s.scalars(q.order_by(BatchJob.created_at)))

    # --- users --------------------------------------------------------------------------------
    def user(self, email: str) -> User | None:
        """The account with this (already normalised) e-mail, revoked or not."""
        with self.session() as s:
            return s.get(User, email)

    def users(self) -> list[User]:
        with self.session() as s:
            return list(s.scalars(select(User).order_by(User.email)))

    def save_user(self, user: User) -> User:
        with self.session.begin() as s:
            s.merge(user)
        return user
