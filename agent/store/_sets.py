"""The clip sets repository: named sets of clips and their kinds, what a run's selection
resolves to in SQL, and the figures of a run broken down by set.

A selection (`agent.sets.Selection`) becomes a filter on `clips.id` (`selected_clips`): set
selections by membership at the moment the query runs, so a later ingest into a covered set is
picked up; an ids selection through its frozen `run_clips` rows. `check_selection` refuses an
unknown set, ids the database lacks and an empty selection before a run is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from agent.decisions import FINAL
from agent.errors import RecapError
from agent.sets import Selection, SelectionKind, SetKind, check_set_name
from agent.store._engine import Repository
from agent.store._tables import (
    Clip,
    ClipSet,
    ClipSetMember,
    DraftRecord,
    ErrorRecord,
    ReviewState,
    Run,
    RunClip,
    now,
)

CHUNK = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
SHOWN = 10  # ids named in an error


@dataclass(frozen=True)
class SetSize:
    """One set as `recap sets` lists it."""

    name: str
    kind: SetKind
    clips: int
    source: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class SetFigures:
    """A run's clips in one set: how many the run covers, drafted, failed (latest error not
    followed by a draft) and decided by a reviewer (a final decision in force)."""

    name: str
    kind: SetKind | None  # None: the clips in no set
    clips: int
    drafted: int
    failed: int
    decided: int


def selected_clips(run: str, sel: Selection) -> ColumnElement[bool]:
    """SQL: `clips.id` is one of the clips that run `run`, over `sel`, covers."""
    if sel.kind == SelectionKind.SETS:
        return Clip.id.in_(
            select(ClipSetMember.clip_id).where(ClipSetMember.set_name.in_(list(sel.sets)))
        )
    if sel.kind == SelectionKind.IDS:
        return Clip.id.in_(select(RunClip.clip_id).where(RunClip.run == run))
    production = (
        select(ClipSetMember.clip_id)
        .join(ClipSet, ClipSet.name == ClipSetMember.set_name)
        .where(ClipSet.kind == SetKind.PRODUCTION)
    )
    in_no_set = ~exists().where(ClipSetMember.clip_id == Clip.id)
    return or_(Clip.id.in_(production), in_no_set)


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def check_selection(s: Session, selection: Selection, *, require_clips: bool = True) -> int:
    """How many clips `selection` covers now; an error for an unknown set, ids the database
    lacks (the first ten named) or, with `require_clips`, an empty selection. Reads only."""
    if selection.kind == SelectionKind.SETS:
        found = dict(
            s.execute(
                select(ClipSet.name, ClipSet.kind).where(ClipSet.name.in_(list(selection.sets)))
            ).all()
        )
        unknown = [n for n in selection.sets if n not in found]
        if unknown:
            known = [n for (n,) in s.execute(select(ClipSet.name).order_by(ClipSet.name))]
            raise RecapError(
                ("No set named " if len(unknown) == 1 else "No sets named ")
                + ", ".join(repr(n) for n in unknown)
                + ".",
                hint="Sets in this database: "
                + (", ".join(known) or "none yet (ingest with `recap ingest SOURCE --set NAME`)")
                + ". `recap sets` lists them with their sizes.",
            )
        n = (
            s.scalar(
                select(func.count(func.distinct(ClipSetMember.clip_id))).where(
                    ClipSetMember.set_name.in_(list(selection.sets))
                )
            )
            or 0
        )
        if n == 0 and require_clips:
            raise RecapError(
                f"The selection is empty: {selection.describe()} holds no clips.",
                hint="Ingest into it first: recap ingest SOURCE --set NAME.",
            )
        return n
    if selection.kind == SelectionKind.IDS:
        present: set[str] = set()
        for chunk in _chunks(selection.ids):
            present.update(s.scalars(select(Clip.id).where(Clip.id.in_(chunk))))
        missing = [c for c in selection.ids if c not in present]
        if missing:
            shown = ", ".join(missing[:SHOWN])
            if len(missing) > SHOWN:
                shown += f" and {len(missing) - SHOWN} more"
            where = selection.file or "The ids list"
            raise RecapError(
                f"{where} names {len(missing)} clip(s) not in the database: {shown}.",
                hint="Ingest those clips first, or remove them from the file.",
            )
        return len(present)
    n = s.scalar(select(func.count()).select_from(Clip).where(selected_clips("", selection))) or 0
    if n == 0 and require_clips:
        others = s.scalar(select(func.count()).select_from(ClipSetMember)) or 0
        raise RecapError(
            "The selection is empty: the production sets hold no clips.",
            hint="Ingest clips with `recap ingest SOURCE`"
            + (
                "; evaluation and one-off sets are left out of a plain run: pass --set NAME to "
                "draft one of them (`recap sets` lists them)."
                if others
                else "."
            ),
        )
    return n


class ClipSets(Repository):
    """Named sets of clips, their kinds and members."""

    def ensure(self, name: str, kind: SetKind, source: str | None = None) -> ClipSet:
        """The set, created with `kind` if new; an error if it exists with another kind."""
        check_set_name(name)
        with self.session.begin() as s:
            found = s.get(ClipSet, name)
            if found is None:
                found = ClipSet(name=name, kind=kind, source=source, created_at=now())
                s.add(found)
                try:
                    s.flush()
                except IntegrityError:  # made by another process a moment ago
                    s.rollback()
                    return self.ensure(name, kind, source)
                return found
        check_kind(found, kind)
        return found

    def check(self, name: str, kind: SetKind) -> None:
        """Refuse, before anything is written, an ingest of `kind` into a set of another."""
        check_set_name(name)
        found = self.get(name)
        if found is not None:
            check_kind(found, kind)

    def get(self, name: str) -> ClipSet | None:
        with self.session() as s:
            return s.get(ClipSet, name)

    def kinds(self) -> dict[str, SetKind]:
        """Every set's kind, by name."""
        with self.session() as s:
            return {n: SetKind(k) for n, k in s.execute(select(ClipSet.name, ClipSet.kind))}

    def set_kind(self, name: str, kind: SetKind) -> ClipSet:
        """Change what a set is for (e.g. a set made before sets had kinds that holds gold
        rows: evaluation)."""
        with self.session.begin() as s:
            found = s.get(ClipSet, name)
            if found is None:
                known = ", ".join(sorted(self._names(s))) or "none yet"
                raise RecapError(f"No set named {name!r}.", hint=f"Sets: {known}.")
            found.kind = kind
            return found

    def covered_by_production_runs(self, name: str) -> dict[str, SetFigures]:
        """Per run over the production sets, its figures for set `name`'s clips (absent: the
        run covers none of them). Such a run selects by kind, so changing a set's kind moves
        its clips into or out of every one of them; `recap sets --kind` says which."""
        out: dict[str, SetFigures] = {}
        for run in self._production_runs():
            for found in self.breakdown(run, only=name):
                out[run] = found
        return out

    def _production_runs(self) -> list[str]:
        with self.session() as s:
            rows = s.scalars(select(Run).order_by(Run.started_at))
            return [r.name for r in rows if r.selection.kind == SelectionKind.PRODUCTION]

    def _names(self, s: Session) -> list[str]:
        return list(s.scalars(select(ClipSet.name)))

    def all(self) -> list[SetSize]:
        """Every set with its size, by name."""
        with self.session() as s:
            sizes = dict(
                s.execute(
                    select(ClipSetMember.set_name, func.count()).group_by(ClipSetMember.set_name)
                ).all()
            )
            rows = s.scalars(select(ClipSet).order_by(ClipSet.name))
            return [
                SetSize(r.name, SetKind(r.kind), sizes.get(r.name, 0), r.source, r.created_at)
                for r in rows
            ]

    def unsorted(self) -> int:
        """Clips in no set (added through the library without one): production by default."""
        with self.session() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(Clip)
                    .where(~exists().where(ClipSetMember.clip_id == Clip.id))
                )
                or 0
            )

    def add(self, name: str, clip_ids: Sequence[str]) -> int:
        """Put clips in a set (those already in it stay); returns how many joined."""
        with self.session.begin() as s:
            return add_members(s, name, clip_ids)

    def clip_ids(self, name: str) -> list[str]:
        """The clips of one set, in id order."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(ClipSetMember.clip_id)
                    .where(ClipSetMember.set_name == name)
                    .order_by(ClipSetMember.clip_id)
                )
            )

    def sets_of(self, clip_ids: Sequence[str]) -> dict[str, list[str]]:
        """The sets each clip is in (a clip in none maps to an empty list)."""
        out: dict[str, list[str]] = {c: [] for c in clip_ids}
        with self.session() as s:
            for chunk in _chunks(list(out)):
                for clip_id, name in s.execute(
                    select(ClipSetMember.clip_id, ClipSetMember.set_name)
                    .where(ClipSetMember.clip_id.in_(chunk))
                    .order_by(ClipSetMember.set_name)
                ):
                    out[clip_id].append(name)
        return out

    def overlap(self, a: str, b: str) -> tuple[int, int, int]:
        """(clips only in `a`, in both, only in `b`): whether two sets can be compared as
        apart, or share clips."""
        with self.session() as s:
            for name in (a, b):
                if s.get(ClipSet, name) is None:
                    raise RecapError(f"No set named {name!r}.")
            size = dict(
                s.execute(
                    select(ClipSetMember.set_name, func.count())
                    .where(ClipSetMember.set_name.in_([a, b]))
                    .group_by(ClipSetMember.set_name)
                ).all()
            )
            other = ClipSetMember.__table__.alias("other")
            both = (
                s.scalar(
                    select(func.count())
                    .select_from(ClipSetMember)
                    .join(other, other.c.clip_id == ClipSetMember.clip_id)
                    .where(ClipSetMember.set_name == a, other.c.set_name == b)
                )
                or 0
            )
        if a == b:
            return 0, size.get(a, 0), 0
        return size.get(a, 0) - both, both, size.get(b, 0) - both

    def breakdown(self, run: str, only: str | None = None) -> list[SetFigures]:
        """The run's clips per set they are in (a clip in two sets counts in both; clips in no
        set are one row, `kind` None): covered, drafted, failed, decided. `only`: that set's
        row alone (none when the run covers none of its clips)."""
        with self.session() as s:
            row = s.get(Run, run)
            if row is None:
                raise RecapError(f"No run named {run!r}.")
            mine = select(Clip.id).where(selected_clips(run, row.selection)).subquery()
            drafted = select(DraftRecord.clip_id).where(DraftRecord.run == run)
            errored = select(ErrorRecord.clip_id).where(ErrorRecord.run == run)
            decided = select(ReviewState.clip_id).where(
                ReviewState.run == run, ReviewState.status.in_(FINAL)
            )

            def figures(ids: ColumnElement[bool] | None) -> tuple[int, int, int, int]:
                base = select(mine.c.id)
                if ids is not None:
                    base = base.where(ids)
                ids_q = base.subquery()
                col = ids_q.c.id
                count = select(func.count()).select_from(ids_q)
                return (
                    s.scalar(count) or 0,
                    s.scalar(count.where(col.in_(drafted))) or 0,
                    s.scalar(count.where(col.in_(errored), col.not_in(drafted))) or 0,
                    s.scalar(count.where(col.in_(decided))) or 0,
                )

            out: list[SetFigures] = []
            named = select(ClipSet.name, ClipSet.kind).order_by(ClipSet.name)
            if only is not None:
                named = named.where(ClipSet.name == only)
            for name, kind in s.execute(named):
                member = mine.c.id.in_(
                    select(ClipSetMember.clip_id).where(ClipSetMember.set_name == name)
                )
                n, d, f, r = figures(member)
                if n:
                    out.append(SetFigures(name, SetKind(kind), n, d, f, r))
            if only is not None:
                return out
            n, d, f, r = figures(~exists().where(ClipSetMember.clip_id == mine.c.id))
            if n:
                out.append(SetFigures("(no set)", None, n, d, f, r))
            return out


def check_kind(found: ClipSet, kind: SetKind) -> None:
    if SetKind(found.kind) != kind:
        raise RecapError(
            f"Set {found.name!r} is a{'n' if found.kind == SetKind.EVALUATION else ''} "
            f"{found.kind} set; this would add {kind} clips to it.",
            hint="Name another set with --set NAME, or change the set's kind with "
            f"`recap sets {found.name} --kind {kind}`.",
        )


def add_members(s: Session, name: str, clip_ids: Sequence[str]) -> int:
    """Put clips in set `name` inside the caller's transaction; returns how many joined."""
    added = 0
    for chunk in _chunks(list(dict.fromkeys(clip_ids))):
        have = set(
            s.scalars(
                select(ClipSetMember.clip_id).where(
                    ClipSetMember.set_name == name, ClipSetMember.clip_id.in_(chunk)
                )
            )
        )
        new = [{"set_name": name, "clip_id": c} for c in chunk if c not in have]
        if new:
            s.execute(insert(ClipSetMember), new)
            added += len(new)
    return added


def add_run_clips(s: Session, run: str, clip_ids: Sequence[str]) -> None:
    """The frozen clips of an ids selection, inside the caller's transaction."""
    for chunk in _chunks(list(dict.fromkeys(clip_ids))):
        s.execute(insert(RunClip), [{"run": run, "clip_id": c} for c in chunk])
