"""The clips repository: clips and their original captions, added and updated by ingest (one
at a time or in bulk), read by drafting, review, export and the evals.

A clip's gold caption also decides whether it is in the gold pool (`gold_clips`), kept in the
same transaction, so the queue finds gold clips by key instead of reading every clip's JSON.
One code path writes both one clip and a batch (ingest's chunks), so every ingest path keeps
the pool. Ingest names the set the clips go into (`into`): membership is written in the same
transaction too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from agent.store._engine import Repository
from agent.store._sets import add_members
from agent.store._tables import Caption, Clip, GoldClip, now

# The attributes ingest sets, copied onto a stored clip when its content changes.
CLIP_FIELDS = (
    "video",
    "root",
    "start_s",
    "end_s",
    "telemetry_json",
    "gold_json",
    "meta",
    "source",
    "content_hash",
)
ORIGINAL = "original"  # the caption kind under review


def _column(attr: str) -> str:
    """The table column behind a Clip attribute (`telemetry_json` is kept in `telemetry_z`)."""
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


class Clips(Repository):
    """Clips and their captions."""

    def upsert(self, clip: Clip, caption: str, *, into: str | None = None) -> str:
        """Insert or update one clip and its caption, and put it in set `into` (which must
        exist); 'added', 'updated' or 'unchanged'. The same code path as `upsert_many` (a batch
        of one), gold pool included."""
        return self.upsert_many([(clip, caption)], into=into)[0]

    def upsert_many(
        self, items: Sequence[tuple[Clip, str]], *, into: str | None = None
    ) -> list[str]:
        """Insert or update many clips and their captions in one transaction (bulk statements,
        not a round trip per row), and put every one of them in set `into` (which must exist);
        one outcome per item, in order, with `upsert`'s meaning: 'added', 'updated' (content
        hash changed) or 'unchanged'. Ids must be distinct. A clip inserted meanwhile by another
        process makes the batch start over, seeing it. The gold pool (`gold_clips`) follows each
        added or changed clip's gold caption in the same transaction."""
        ids = [c.id for c, _ in items]
        if len(set(ids)) != len(ids):
            raise ValueError("upsert_many: the same clip id twice in one batch")
        if not items:
            return []
        for attempt in range(3):
            try:
                return self._upsert_many_once(items, into)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _upsert_many_once(self, items: Sequence[tuple[Clip, str]], into: str | None) -> list[str]:
        clips, captions, pool = Clip.__table__, Caption.__table__, GoldClip.__table__
        stamp = now()
        with self.session.begin() as s:
            conn = s.connection()
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
                        {"clip_id": c.id, "kind": ORIGINAL, "text": t, "created_at": stamp}
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
                            captions.c.kind == ORIGINAL,
                        )
                    ).scalars()
                )
                if has_caption:
                    conn.execute(
                        update(captions)
                        .where(
                            captions.c.clip_id == bindparam("b_id"),
                            captions.c.kind == ORIGINAL,
                        )
                        .values(text=bindparam("b_text")),
                        [{"b_id": c.id, "b_text": t} for c, t in changed if c.id in has_caption],
                    )
                missing = [(c, t) for c, t in changed if c.id not in has_caption]
                if missing:
                    conn.execute(
                        insert(captions),
                        [
                            {"clip_id": c.id, "kind": ORIGINAL, "text": t, "created_at": stamp}
                            for c, t in missing
                        ],
                    )
                conn.execute(delete(pool).where(pool.c.clip_id.in_([c.id for c, _ in changed])))
            gold = [
                {"clip_id": c.id}
                for (c, _), o in zip(items, outcomes, strict=True)
                if o != "unchanged" and c.gold_caption is not None
            ]
            if gold:
                conn.execute(insert(pool), gold)
            if into is not None:
                add_members(s, into, ids)
        return outcomes

    def get(self, clip_id: str) -> Clip | None:
        with self.session() as s:
            return s.get(Clip, clip_id)

    def caption(self, clip_id: str) -> str | None:
        """The clip's original caption (the one under review)."""
        with self.session() as s:
            return s.scalar(
                select(Caption.text).where(Caption.clip_id == clip_id, Caption.kind == ORIGINAL)
            )

    def with_captions(self, ids: Sequence[str] | None = None) -> list[tuple[Clip, str]]:
        """Clips (all, or these) with their original captions, in id order."""
        with self.session() as s:
            q = select(Clip, Caption.text).join(
                Caption, (Caption.clip_id == Clip.id) & (Caption.kind == ORIGINAL)
            )
            if ids is not None:
                q = q.where(Clip.id.in_(list(ids)))
            return [(c, t) for c, t in s.execute(q.order_by(Clip.id))]

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are clips in the database."""
        found: set[str] = set()
        unique = list(dict.fromkeys(ids))
        with self.session() as s:
            for i in range(0, len(unique), 5000):
                found.update(s.scalars(select(Clip.id).where(Clip.id.in_(unique[i : i + 5000]))))
        return found

    def count(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Clip)) or 0
