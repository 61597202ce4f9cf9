"""The store: clips, runs, drafts, errors, reviews, leases and the response cache, on SQLAlchemy 2.

SQLite (`./recap.db`, WAL) by default, PostgreSQL for teams: the same code, chosen by `--db` or
`RECAP_DB` (a path or any SQLAlchemy URL). The schema grows by named migrations applied in
order and recorded in `recap_migrations`, so a database made by an older recap opens in a newer
one. Every write is a short transaction: a process killed mid-job leaves whole rows or none.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from agent.errors import RecapError
from agent.redact import redact
from agent.schema import Draft, DraftResult

DEFAULT_DB = "sqlite:///recap.db"


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Clip(Base):
    """A video to review, with its telemetry, gold labels and where it came from."""

    __tablename__ = "clips"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    video: Mapped[str] = mapped_column(Text)
    root: Mapped[str | None] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    telemetry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    gold: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Caption(Base):
    """A caption of a clip; `kind` 'original' is the AI caption under review."""

    __tablename__ = "captions"
    __table_args__ = (UniqueConstraint("clip_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="original")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Run(Base):
    """A named drafting pass: one drafter, model, prompt version and settings."""

    __tablename__ = "runs"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    drafter: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(Text)
    prompt_name: Mapped[str | None] = mapped_column(Text)
    prompt_hash: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DraftRow(Base):
    """One clip drafted in one run, with what it cost. At most one per (run, clip)."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("run", "clip_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run: Mapped[str] = mapped_column(ForeignKey("runs.name", ondelete="CASCADE"), index=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    caption: Mapped[str] = mapped_column(Text)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(32))
    rewrite: Mapped[str] = mapped_column(Text)
    drafter: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(Text)
    prompt_version: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    reasks: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    image_tokens: Mapped[int] = mapped_column(Integer, default=0)
    from_cache: Mapped[bool] = mapped_column(Boolean, default=False)
    raw_response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    def result(self) -> DraftResult:
        return DraftResult(
            clip=self.clip_id,
            caption=self.caption,
            draft=Draft.model_validate(self.draft),
            drafter=self.drafter,  # type: ignore[arg-type]
            model=self.model,
            latency_s=self.latency_s,
            attempts=self.attempts,
            reasks=self.reasks,
            retries=self.retries,
            image_tokens_estimate=self.image_tokens,
            raw_response=self.raw_response,
            created_at=self.created_at,
        )


class ErrorRow(Base):
    """Why a clip could not be drafted in a run. Kept after a later success, for the record."""

    __tablename__ = "errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run: Mapped[str] = mapped_column(ForeignKey("runs.name", ondelete="CASCADE"), index=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Review(Base):
    """A reviewer's decision on a clip. Append-only: a later row supersedes, never overwrites."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    run: Mapped[str | None] = mapped_column(Text, index=True)
    draft_id: Mapped[int | None] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(32))
    final_caption: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float | None] = mapped_column(Float)
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    edit_rate: Mapped[float | None] = mapped_column(Float)
    agreed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    undoes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Lease(Base):
    """A clip claimed by one worker process, so two `recap draft` processes never share one."""

    __tablename__ = "leases"
    run: Mapped[str] = mapped_column(String(255), primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CacheEntry(Base):
    """A model answer keyed by model + prompt hash + frames + caption + output settings."""

    __tablename__ = "response_cache"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Batch(Base):
    """An OpenAI Batch API job: polled until done, its results ingested into drafts."""

    __tablename__ = "batches"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    run: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(32))
    input_file_id: Mapped[str | None] = mapped_column(Text)
    output_file_id: Mapped[str | None] = mapped_column(Text)
    error_file_id: Mapped[str | None] = mapped_column(Text)
    clip_ids: Mapped[list[Any]] = mapped_column(JSON)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ingested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class EditBuffer(Base):
    """Text a reviewer typed but has not decided on yet, so a reload or crash loses nothing."""

    __tablename__ = "edit_buffers"
    owner: Mapped[str] = mapped_column(String(255), primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


# --- migrations ---------------------------------------------------------------------------------
# Each migration creates the tables it introduced and adds columns later versions added, so it
# brings any older database to the current shape. Append new ones; never edit or reorder.


def _create(*models: type[Base]) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        Base.metadata.create_all(conn, tables=[m.__table__ for m in models])  # type: ignore[attr-defined]

    return apply


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial", _create(Clip, Caption, Run, DraftRow, ErrorRow, Review, Lease, CacheEntry)),
    ("0002_batches", _create(Batch)),
    ("0003_edit_buffers", _create(EditBuffer)),
]


class Migration(Base):
    __tablename__ = "recap_migrations"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


def database_url(db: str | os.PathLike[str] | None = None) -> str:
    """A path or SQLAlchemy URL; None means RECAP_DB, then ./recap.db."""
    value = str(db) if db is not None else os.environ.get("RECAP_DB", DEFAULT_DB)
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


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    """A lease owner on this host whose process is gone can be taken over at once."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine: trust the expiry time
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """All persistence goes through here; callers never hold a session across awaits."""

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
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # --- schema -------------------------------------------------------------------------------
    def applied_migrations(self) -> list[str]:
        if not inspect(self.engine).has_table(Migration.__tablename__):
            return []
        with self.session() as s:
            return list(s.scalars(select(Migration.name).order_by(Migration.name)))

    def migrate(self, upto: str | None = None) -> list[str]:
        """Apply pending migrations in order (up to and including `upto`); return their names."""
        try:
            with self.engine.begin() as conn:
                Migration.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]
            done = set(self.applied_migrations())
            applied: list[str] = []
            for name, apply in MIGRATIONS:
                if name not in done:
                    with self.engine.begin() as conn:
                        apply(conn)
                        record = Migration.__table__.insert()  # type: ignore[attr-defined]
                        conn.execute(record.values(name=name, applied_at=now()))
                    applied.append(name)
                if name == upto:
                    break
            return applied
        except OperationalError as e:
            raise RecapError(
                f"Cannot open database {redact(self.url)}: {e.orig}",
                hint="Check the path or URL, and that the server is running.",
            ) from None

    # --- clips --------------------------------------------------------------------------------
    def upsert_clip(self, clip: Clip, caption: str) -> str:
        """Insert or update one clip and its caption; 'added', 'updated' or 'unchanged'."""
        with self.session.begin() as s:
            existing = s.get(Clip, clip.id)
            if existing is None:
                s.add(clip)
                s.flush()  # the clip row must exist before its caption's foreign key
                s.add(Caption(clip_id=clip.id, kind="original", text=caption))
                return "added"
            if existing.content_hash == clip.content_hash:
                return "unchanged"
            for col in (
                "video",
                "root",
                "start_s",
                "end_s",
                "telemetry",
                "gold",
                "meta",
                "source",
                "content_hash",
            ):
                setattr(existing, col, getattr(clip, col))
            existing.updated_at = now()
            cap = s.scalar(
                select(Caption).where(Caption.clip_id == clip.id, Caption.kind == "original")
            )
            if cap is None:
                s.add(Caption(clip_id=clip.id, kind="original", text=caption))
            else:
                cap.text = caption
            return "updated"

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

    # --- drafting -----------------------------------------------------------------------------
    def pending(self, run: str, *, retry_failed: bool = False) -> list[str]:
        """Clips with no draft in `run` (and, unless retrying, no recorded error)."""
        with self.session() as s:
            drafted = select(DraftRow.clip_id).where(DraftRow.run == run)
            q = select(Clip.id).where(Clip.id.not_in(drafted))
            if not retry_failed:
                failed = select(ErrorRow.clip_id).where(ErrorRow.run == run)
                q = q.where(Clip.id.not_in(failed))
            return list(s.scalars(q.order_by(Clip.id)))

    def claim(self, run: str, clip_ids: Sequence[str], owner: str, ttl_s: float) -> list[str]:
        """Lease clips to `owner`. A clip leased to a live worker is skipped; an expired lease,
        or one whose owner process on this host is gone, is taken over."""
        got: list[str] = []
        expires = now() + timedelta(seconds=ttl_s)
        for clip_id in clip_ids:
            with self.session() as s:
                try:
                    s.add(Lease(run=run, clip_id=clip_id, owner=owner, expires_at=expires))
                    s.commit()
                    got.append(clip_id)
                    continue
                except IntegrityError:
                    s.rollback()
                held = s.get(Lease, (run, clip_id))
                if held is None:
                    continue
                stale = _as_utc(held.expires_at) < now() or not _owner_alive(held.owner)
                if stale or held.owner == owner:
                    res = s.execute(
                        update(Lease)
                        .where(
                            Lease.run == run,
                            Lease.clip_id == clip_id,
                            Lease.owner == held.owner,
                            Lease.expires_at == held.expires_at,
                        )
                        .values(owner=owner, expires_at=expires)
                    )
                    s.commit()
                    if res.rowcount == 1:  # type: ignore[attr-defined]
                        got.append(clip_id)
        return got

    def release(self, run: str, owner: str, clip_ids: Sequence[str] | None = None) -> None:
        with self.session.begin() as s:
            q = delete(Lease).where(Lease.run == run, Lease.owner == owner)
            if clip_ids is not None:
                q = q.where(Lease.clip_id.in_(list(clip_ids)))
            s.execute(q)

    def claim_one(
        self, run: str, clip_id: str, owner: str, ttl_s: float
    ) -> tuple[Clip, str] | None:
        """Lease one clip still without a draft and load it with its caption, or None."""
        if not self.claim(run, [clip_id], owner, ttl_s):
            return None
        with self.session() as s:
            drafted = s.scalar(
                select(DraftRow.id).where(DraftRow.run == run, DraftRow.clip_id == clip_id)
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
        cost_usd: float | None = None,
        from_cache: bool = False,
        owner: str | None = None,
    ) -> bool:
        """Store a draft and drop its lease, in one transaction. False if one already exists."""
        row = DraftRow(
            run=run,
            clip_id=result.clip,
            caption=result.caption,
            draft=result.draft.model_dump(mode="json"),
            verdict=result.draft.verdict.value,
            rewrite=result.draft.rewrite,
            drafter=result.drafter,
            model=result.model,
            prompt_version=result.prompt.version if result.prompt else None,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            cached_tokens=result.usage.cached_tokens,
            cost_usd=cost_usd,
            latency_s=result.latency_s,
            attempts=result.attempts,
            reasks=result.reasks,
            retries=result.retries,
            image_tokens=result.image_tokens_estimate,
            from_cache=from_cache,
            raw_response=result.raw_response,
        )
        with self.session() as s:
            try:
                if owner is not None:
                    s.execute(
                        delete(Lease).where(
                            Lease.run == run, Lease.clip_id == result.clip, Lease.owner == owner
                        )
                    )
                s.add(row)
                s.commit()
                return True
            except IntegrityError:
                s.rollback()
            if owner is not None:  # drafted elsewhere already: still let go of the lease
                s.execute(
                    delete(Lease).where(
                        Lease.run == run, Lease.clip_id == result.clip, Lease.owner == owner
                    )
                )
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
                ErrorRow(
                    run=run, clip_id=clip_id, kind=kind, message=redact(message), attempts=attempts
                )
            )
            if owner is not None:
                s.execute(
                    delete(Lease).where(
                        Lease.run == run, Lease.clip_id == clip_id, Lease.owner == owner
                    )
                )

    def drafts(self, run: str) -> list[DraftRow]:
        with self.session() as s:
            return list(
                s.scalars(select(DraftRow).where(DraftRow.run == run).order_by(DraftRow.clip_id))
            )

    def draft_for(self, run: str, clip_id: str) -> DraftRow | None:
        with self.session() as s:
            return s.scalar(
                select(DraftRow).where(DraftRow.run == run, DraftRow.clip_id == clip_id)
            )

    def errors(self, run: str, *, unresolved: bool = True) -> list[ErrorRow]:
        """Errors of a run; by default only for clips still without a draft (latest each)."""
        with self.session() as s:
            q = select(ErrorRow).where(ErrorRow.run == run).order_by(ErrorRow.id)
            rows = list(s.scalars(q))
            if not unresolved:
                return rows
            drafted = set(s.scalars(select(DraftRow.clip_id).where(DraftRow.run == run)))
            latest: dict[str, ErrorRow] = {}
            for r in rows:
                if r.clip_id not in drafted:
                    latest[r.clip_id] = r
            return list(latest.values())

    def run_totals(self, run: str) -> dict[str, Any]:
        with self.session() as s:
            row = s.execute(
                select(
                    func.count(DraftRow.id),
                    func.coalesce(func.sum(DraftRow.prompt_tokens), 0),
                    func.coalesce(func.sum(DraftRow.completion_tokens), 0),
                    func.sum(DraftRow.cost_usd),
                    func.coalesce(func.sum(DraftRow.retries), 0),
                    func.coalesce(func.sum(DraftRow.reasks), 0),
                ).where(DraftRow.run == run)
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

    def log_one_off(
        self,
        video: str,
        caption: str,
        run: str,
        identity: dict[str, Any],
        *,
        result: DraftResult | None = None,
        error: tuple[str, str] | None = None,
        cost_usd: float | None = None,
    ) -> str:
        """Keep a `draft-one` call like any other: the clip, the run, the draft or the error."""
        import hashlib

        path = str(Path(video).resolve())
        clip_id = "one:" + hashlib.sha256(f"{path}\0{caption}".encode()).hexdigest()[:16]
        self.upsert_clip(
            Clip(
                id=clip_id,
                video=path,
                root=str(Path(path).parent),
                source="draft-one",
                content_hash=clip_id,
            ),
            caption,
        )
        self.ensure_run(
            run,
            drafter=identity["drafter"],
            model=identity.get("model"),
            prompt_name=identity.get("prompt_name"),
            prompt_hash=identity.get("prompt_hash"),
            settings=identity,
        )
        with self.session.begin() as s:  # a re-run of the same clip replaces its last draft
            s.execute(delete(DraftRow).where(DraftRow.run == run, DraftRow.clip_id == clip_id))
        if result is not None:
            self.save_draft(run, result.model_copy(update={"clip": clip_id}), cost_usd=cost_usd)
        if error is not None:
            self.save_error(run, clip_id, error[0], error[1])
        return clip_id

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
        with self.session.begin() as s:
            s.add(review)
        return review

    def reviews(self, clip_id: str | None = None) -> list[Review]:
        with self.session() as s:
            q = select(Review).order_by(Review.id)
            if clip_id is not None:
                q = q.where(Review.clip_id == clip_id)
            return list(s.scalars(q))

    def latest_reviews(self) -> dict[str, Review]:
        """The decision in force per clip: the newest review not undone by a later one."""
        undone: set[int] = set()
        latest: dict[str, Review] = {}
        for r in self.reviews():
            if r.decision == "undo" and r.undoes is not None:
                undone.add(r.undoes)
        for r in self.reviews():
            if r.decision == "undo" or r.id in undone:
                continue
            latest[r.clip_id] = r
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
    def save_batch(self, batch: Batch) -> None:
        with self.session.begin() as s:
            s.merge(batch)

    def batches(self, run: str, *, open_only: bool = True) -> list[Batch]:
        with self.session() as s:
            q = select(Batch).where(Batch.run == run)
            if open_only:
                q = q.where(Batch.ingested.is_(False))
            return list(s.scalars(q.order_by(Batch.created_at)))


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
