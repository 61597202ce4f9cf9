"""The store's tables as SQLAlchemy 2 ORM classes: what the code reads and writes today.

The schema a database actually has comes from the frozen migrations (`_migrations.py`), never
from these classes; a test checks that the two agree.
"""

from __future__ import annotations

import json
import logging
import zlib
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from agent.decisions import Arm, Decision, Purpose, Status
from agent.routing._confidence import Confidence
from agent.schema import Draft, GoldLabels, Sample
from agent.sets import Selection, SetKind
from agent.telemetry import Telemetry

log = logging.getLogger(__name__)
E = TypeVar("E", bound=StrEnum)
M = TypeVar("M", bound=BaseModel)


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


def zpack(value: Any) -> bytes:
    """JSON, zlib-compressed: robot telemetry (long runs of similar floats) shrinks about 5x."""
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 6)


def zunpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


class ZJSON(TypeDecorator[Any]):
    """A JSON value stored compressed, so bulky fields do not bloat the rows around them."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else zpack(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        return None if value is None else zunpack(value)


class ZText(TypeDecorator[str]):
    """Text stored zlib-compressed (raw model responses)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else zlib.compress(value.encode(), 6)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else zlib.decompress(value).decode()


class Named(TypeDecorator[E]):
    """A string column whose values are one of recap's enums (decision, purpose, status, arm):
    written as the member's value, handed back as the member. A value this release does not
    know (written by a newer one) reads as its plain string rather than failing the read."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value


def _typed(row: Any, attr: str, model: type[M], what: str) -> M | None:
    """The JSON kept in `row.<attr>` as a `model`, validated once per stored value. A value
    that no longer validates costs that field (None, with a warning), never the read."""
    raw = getattr(row, attr)
    if raw is None:
        return None
    cache: dict[str, tuple[Any, Any]] = row.__dict__.setdefault("_typed_cache", {})
    hit = cache.get(attr)
    if hit is not None and hit[0] is raw:
        return hit[1]
    try:
        value: M | None = model.model_validate(raw)
    except ValidationError as e:
        log.warning("clip %r: stored %s left out (%s)", row.id, what, e.errors()[0]["msg"])
        value = None
    cache[attr] = (raw, value)
    return value


class Clip(Base):
    """A video to review, with its telemetry, gold labels and where it came from.

    Telemetry and gold labels are kept as JSON (`telemetry_json`, `gold_json`) and handed out
    typed, as `clip.telemetry` (a `Telemetry`) and `clip.gold` (`GoldLabels`), the way a
    `DraftRecord` hands out its `Draft`; setting either stores its JSON.
    """

    __tablename__ = "clips"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    video: Mapped[str] = mapped_column(Text)
    root: Mapped[str | None] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    # kept compressed (column telemetry_z): it is most of a clip's bytes and only the one clip
    # being drafted or shown is ever read
    telemetry_json: Mapped[dict[str, Any] | None] = mapped_column("telemetry_z", ZJSON)
    gold_json: Mapped[dict[str, Any] | None] = mapped_column("gold", JSON)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    @property
    def telemetry(self) -> Telemetry | None:
        """The robot's telemetry over the clip, or None."""
        return _typed(self, "telemetry_json", Telemetry, "telemetry")

    @telemetry.setter
    def telemetry(self, value: Telemetry | None) -> None:
        if value is not None and not isinstance(value, Telemetry):
            raise TypeError(f"Clip.telemetry takes a Telemetry, not {type(value).__name__}")
        self.telemetry_json = (
            None if value is None else value.model_dump(mode="json", exclude_none=True)
        )

    @property
    def gold(self) -> GoldLabels | None:
        """What a gold set says about the clip, or None."""
        return _typed(self, "gold_json", GoldLabels, "gold labels")

    @gold.setter
    def gold(self, value: GoldLabels | None) -> None:
        if value is not None and not isinstance(value, GoldLabels):
            raise TypeError(f"Clip.gold takes GoldLabels, not {type(value).__name__}")
        self.gold_json = (
            None if value is None else value.model_dump(mode="json", exclude_unset=True)
        )

    @property
    def gold_caption(self) -> str | None:
        """The gold caption, when the clip has one: what makes it a gold clip."""
        gold = self.gold
        return gold.caption if gold is not None and gold.caption else None


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
    """A named drafting pass: one drafter, model, prompt version and settings, over one
    selection of clips (migration 0010), fixed when the run is created.

    The selection is kept as JSON (`selection_json`, column `selection`) and handed out typed,
    as `run.selection` (an `agent.sets.Selection`); an ids selection's ids are `RunClip` rows.
    """

    __tablename__ = "runs"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    drafter: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(Text)
    prompt_name: Mapped[str | None] = mapped_column(Text)
    prompt_hash: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    selection_json: Mapped[dict[str, Any] | None] = mapped_column("selection", JSON)

    @property
    def samples(self) -> int:
        """Drafts per clip (`--samples`; one sample is recorded as no setting, as runs made
        before sampling are)."""
        return int((self.settings or {}).get("samples", 1))

    @property
    def asks_logprobs(self) -> bool:
        """Whether the run's requests asked for token log-probabilities (`--logprobs`; its
        settings record it only when they did)."""
        return (self.settings or {}).get("logprobs") is True

    @property
    def selection(self) -> Selection:
        """Which clips the run covers (a run without one, as no release writes, covers the
        production sets)."""
        return Selection.from_json(self.selection_json)


class ClipSet(Base):
    """A named set of clips: what one ingest brought in (or `draft-one` kept), and its kind."""

    __tablename__ = "clip_sets"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[SetKind] = mapped_column(Named(SetKind, 16))
    source: Mapped[str | None] = mapped_column(Text)  # where it was first ingested from
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class ClipSetMember(Base):
    """One clip in one set; a clip may be in several."""

    __tablename__ = "clip_set_members"
    set_name: Mapped[str] = mapped_column(
        ForeignKey("clip_sets.name", ondelete="CASCADE"), primary_key=True
    )
    clip_id: Mapped[str] = mapped_column(
        ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RunClip(Base):
    """One clip of a run whose selection is a frozen list of ids (`--ids FILE`, and the runs
    made before clip sets)."""

    __tablename__ = "run_clips"
    run: Mapped[str] = mapped_column(ForeignKey("runs.name", ondelete="CASCADE"), primary_key=True)
    clip_id: Mapped[str] = mapped_column(
        ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True
    )


class DraftRecord(Base):
    """A stored draft: one clip drafted in one run, with what it cost. One per (run, clip).

    The model's answer is kept as JSON in the `draft` column and handed out typed, as
    `record.draft` (a `Draft`); nothing outside the store sees the JSON.
    """

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("run", "clip_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run: Mapped[str] = mapped_column(ForeignKey("runs.name", ondelete="CASCADE"), index=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    caption: Mapped[str] = mapped_column(Text)
    draft_json: Mapped[dict[str, Any]] = mapped_column("draft", JSON)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # migration 0010: the structured-output mode the answer came in (None: older drafts and
    # offline ones)
    mode: Mapped[str | None] = mapped_column(String(16))
    # migration 0011: the draft's confidence (`agent.routing`), its score and all of it as
    # JSON (parts and formula version); None until the draft is scored
    confidence_score: Mapped[float | None] = mapped_column("confidence", Float)
    confidence_json: Mapped[dict[str, Any] | None] = mapped_column("confidence_parts", JSON)
    # migration 0014: the model's own confidence, where the prompt asked for it
    stated_confidence: Mapped[float | None] = mapped_column(Float)

    @cached_property
    def draft(self) -> Draft:
        """The model's answer, validated (without the caption context: it was checked then)."""
        return Draft.model_validate(self.draft_json)

    @property
    def confidence(self) -> Confidence | None:
        """The draft's confidence with its parts, or None (not scored yet, or a stored value
        that no longer validates)."""
        return _typed(self, "confidence_json", Confidence, "confidence")


class RoutingPolicy(Base):
    """A calibrated auto-acceptance policy (`agent.routing.Policy`) as stored: the threshold
    and the figures behind it, the run it was calibrated on, the run identity (a hash of the
    drafter, model, prompt and settings that shape a draft) and prompt version it holds for,
    which labels it came from (`gold` or `reviewed`), the error rule, and, once its audit
    fails, when and why it was suspended."""

    __tablename__ = "routing_policies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run: Mapped[str] = mapped_column(String(255), index=True)
    identity: Mapped[str] = mapped_column(String(64), index=True)
    prompt_version: Mapped[str | None] = mapped_column(Text)
    scorer: Mapped[str] = mapped_column(String(64))
    labels: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[float | None] = mapped_column(Float)
    alpha: Mapped[float] = mapped_column(Float)
    delta: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    error: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    min_n: Mapped[int] = mapped_column(Integer)
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_reason: Mapped[str | None] = mapped_column(Text)


class RoutingLabel(Base):
    """One labelled clip a policy was calibrated on: its draft's confidence and whether the
    draft was wrong. Those clips are never routed by the policy."""

    __tablename__ = "routing_labels"
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("routing_policies.id", ondelete="CASCADE"), primary_key=True
    )
    clip_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    confidence: Mapped[float] = mapped_column(Float)
    error: Mapped[bool] = mapped_column(Boolean)


class AutoAcceptance(Base):
    """A draft accepted by recap's policy, without a person (`Decision.AUTO_ACCEPTED`): never a
    review row, so it is no one's decision, and any person's decision on the clip outranks it.
    `audit`: the clip also stays in the human queue, looking like any other clip. Dropped with
    its draft (a redrafted clip is routed again)."""

    __tablename__ = "auto_acceptances"
    run: Mapped[str] = mapped_column(ForeignKey("runs.name", ondelete="CASCADE"), primary_key=True)
    clip_id: Mapped[str] = mapped_column(
        ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True
    )
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("routing_policies.id", ondelete="CASCADE"), index=True
    )
    confidence: Mapped[float] = mapped_column(Float)
    audit: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class DraftResponse(Base):
    """The model's raw response to a draft, compressed and out of the drafts table: kept for
    the record and debugging, never read by the queue, the page or the evals."""

    __tablename__ = "draft_responses"
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True
    )
    body: Mapped[str] = mapped_column(ZText)


class DraftSample(Base):
    """One of the K samples a draft was chosen from (`recap draft --samples K`): its draft as
    JSON, or why it failed. Drafts of one sample have none. Dropped with its draft."""

    __tablename__ = "draft_samples"
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_json: Mapped[dict[str, Any] | None] = mapped_column("draft", JSON)
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def sample(self) -> Sample:
        """The sample, typed; a stored draft that no longer validates reads as a failed one."""
        if self.draft_json is None:
            return Sample(error=self.error or "no draft")
        try:
            return Sample(draft=Draft.model_validate(self.draft_json))
        except ValidationError as e:
            log.warning("sample %s of draft %s no longer validates: %s", self.idx, self.draft_id, e)
            return Sample(error=f"stored sample no longer validates: {e.error_count()} error(s)")


class ErrorRecord(Base):
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
    __table_args__ = (
        Index("ix_reviews_run_reviewer_id", "run", "reviewer", "id"),
        Index("ix_reviews_undoes", "undoes"),
        Index("ix_reviews_run_clip_id", "run", "clip_id", "id"),
        Index("ix_reviews_about", "about"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    run: Mapped[str | None] = mapped_column(Text, index=True)
    draft_id: Mapped[int | None] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(Text)
    decision: Mapped[Decision] = mapped_column(Named(Decision, 32))
    final_caption: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float | None] = mapped_column(Float)
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    edit_rate: Mapped[float | None] = mapped_column(Float)
    agreed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    undoes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    arm: Mapped[Arm | None] = mapped_column(Named(Arm, 16))  # migration 0004; None is draft
    # migration 0007: why the clip was on screen (None is queue), a lead's comment, and the
    # decision a lead's approval or send-back is about
    purpose: Mapped[Purpose | None] = mapped_column(Named(Purpose, 16))
    comment: Mapped[str | None] = mapped_column(Text)
    about: Mapped[int | None] = mapped_column(Integer)


class RubricScore(Base):
    """One rubric score given with a decision (migration 0013): the dimension, the score, the
    scale it was given on and the guideline version in force. Written in the decision's own
    transaction, deleted in its undo's."""

    __tablename__ = "rubric_scores"
    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(255), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    low: Mapped[int] = mapped_column(Integer)
    high: Mapped[int] = mapped_column(Integer)
    guideline: Mapped[str] = mapped_column(Text)


class ReviewState(Base):
    """The decision in force on one drafted clip of a run, kept in the same transaction as each
    review row: the queue and the progress figures read this, never the whole reviews table.
    A clip with no row is pending."""

    __tablename__ = "review_state"
    __table_args__ = (
        Index("ix_review_state_status", "run", "status", "clip_id"),
        Index("ix_review_state_reviewer", "run", "reviewer", "decided_at"),
    )
    run: Mapped[str] = mapped_column(String(255), primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[Status] = mapped_column(Named(Status, 32))
    review_id: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(Text)  # migration 0008: any account's address
    seconds: Mapped[float | None] = mapped_column(Float)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewTally(Base):
    """Running sums per run (clips per status, edit rates, finding agreement per type), moved
    by each decision and undo in its own transaction, so progress costs the same at any size.
    `n` counts, `total` sums (the edit rates, or the findings agreed with)."""

    __tablename__ = "review_tally"
    run: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)


class GoldClip(Base):
    """A clip whose gold labels include a caption: the pool gold checks are drawn from. Kept by
    every `store.clips` upsert (one clip or a batch) with the clip, so the queue finds gold
    clips by key, not by reading every clip's JSON."""

    __tablename__ = "gold_clips"
    clip_id: Mapped[str] = mapped_column(
        ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True
    )


class Lease(Base):
    """A clip claimed by one worker, so two processes (or two reviewers) never share one.

    For a reviewer's browser (migration 0008) the lease also says which tab of that browser
    holds the clip (`tab`: one clip per browser at a time, shown in one tab) and why the clip
    is on screen (`purpose`: queue, gold or double), so a reload shows it the same way."""

    __tablename__ = "leases"
    run: Mapped[str] = mapped_column(String(255), primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tab: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[Purpose | None] = mapped_column(Named(Purpose, 16))


class CacheEntry(Base):
    """A model answer keyed by model + prompt hash + frames + caption + output settings."""

    __tablename__ = "response_cache"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class BatchJob(Base):
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


class EndpointMode(Base):
    """The structured-output mode found to work at an endpoint for a model (RECAP_MODE=auto),
    and when: later requests there use it directly."""

    __tablename__ = "endpoint_modes"
    endpoint: Mapped[str] = mapped_column(String(1024), primary_key=True)
    model: Mapped[str] = mapped_column(String(512), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class EditBuffer(Base):
    """Text a reviewer typed but has not decided on yet, so a reload or crash loses nothing."""

    __tablename__ = "edit_buffers"
    owner: Mapped[str] = mapped_column(Text, primary_key=True)  # migration 0008: any address
    clip_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class User(Base):
    """A person who may use the review page: an e-mail address (kept lower-case) and a role.

    Nothing a person signs in with is kept: the identity provider proves who they are, this row
    says what they may do. Removing revokes (`revoked_at`) instead of deleting, so past
    decisions keep naming a known account and a later add restores it.
    """

    __tablename__ = "users"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class MigrationRecord(Base):
    """One applied migration, by name."""

    __tablename__ = "recap_migrations"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
