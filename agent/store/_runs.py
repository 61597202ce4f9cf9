"""The runs repository: drafting runs, their drafts and errors, and the response cache.

A run is opened over a selection of clips (`agent.sets.Selection`, fixed when it is created)
or checked against the identity and selection it was made with; its work is the clips of its
selection with no draft in it, each draft is written in one transaction with its clip's lease
dropped, and it is finished when nothing is pending. Drafts come back typed: a `DraftRecord`
hands out its `Draft`, never the JSON it is kept as.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from agent.errors import RecapError
from agent.redact import redact
from agent.schema import DraftResult, Sample
from agent.sets import Selection, SelectionKind, SetKind
from agent.store._clips import ORIGINAL
from agent.store._engine import Repository
from agent.store._leases import Leases, release
from agent.store._sets import CHUNK, add_run_clips, check_selection, selected_clips
from agent.store._tables import (
    CacheEntry,
    Caption,
    Clip,
    ClipSet,
    DraftRecord,
    DraftResponse,
    DraftSample,
    ErrorRecord,
    Run,
    now,
)

LATEST = "latest"  # the run name that means the newest run of any kind


@dataclass(frozen=True)
class RunTotals:
    """What a run has drafted so far and what it cost (`recap runs`)."""

    drafted: int
    failed: int  # clips whose latest error is not followed by a draft
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None  # None when no draft had a price
    retries: int
    reasks: int


class Runs(Repository):
    """Runs, drafts, errors and the response cache."""

    def __init__(self, session: sessionmaker[Session], leases: Leases) -> None:
        super().__init__(session)
        self.leases = leases

    # --- runs ---------------------------------------------------------------------------------
    def ensure(
        self,
        name: str,
        *,
        drafter: str,
        model: str | None,
        prompt_name: str | None,
        prompt_hash: str | None,
        settings: dict[str, Any],
        selection: Selection | None = None,
        require_clips: bool = False,
    ) -> Run:
        """Create the run over `selection` (None: the production sets), or check that an
        existing one was made with the same model and prompt and, when `selection` is given,
        over the same clips. An unknown set or ids the database lacks (and, with
        `require_clips`, as every drafting job asks, an empty selection) are refused before
        the run is written."""
        with self.session.begin() as s:
            run = s.get(Run, name)
            if run is None:
                if name == LATEST:
                    raise RecapError(
                        f"{LATEST!r} cannot name a run: commands read it as the newest run.",
                        hint="Pick another name with --run NAME.",
                    )
                chosen = selection or Selection.production()
                check_selection(s, chosen, require_clips=require_clips)
                run = Run(
                    name=name,
                    drafter=drafter,
                    model=model,
                    prompt_name=prompt_name,
                    prompt_hash=prompt_hash,
                    settings=settings,
                    selection_json=chosen.to_json(),
                )
                s.add(run)
                try:
                    s.flush()
                    if chosen.kind == SelectionKind.IDS:
                        add_run_clips(s, name, chosen.ids)
                except IntegrityError:  # created by another process a moment ago
                    s.rollback()
                    return self.ensure(
                        name,
                        drafter=drafter,
                        model=model,
                        prompt_name=prompt_name,
                        prompt_hash=prompt_hash,
                        settings=settings,
                        selection=selection,
                        require_clips=require_clips,
                    )
                return run
            pairs = (
                ("drafter", run.drafter, drafter),
                ("model", run.model, model),
                ("prompt hash", run.prompt_hash, prompt_hash),
                # one sample per clip is recorded as no samples setting (runs made before it)
                (
                    "samples per clip",
                    run.samples,
                    settings.get("samples", 1),
                ),
            )
            mismatch = [f"{what} {old!r} (now {new!r})" for what, old, new in pairs if old != new]
            if mismatch:
                raise RecapError(
                    f"Run {name!r} was made with " + ", ".join(mismatch) + ".",
                    hint="A run holds one model and prompt version. Resume it with the same "
                    "settings, or start another with --run NEW_NAME.",
                )
            if selection is not None:
                refuse_other_selection(run, selection)
            run.finished_at = None
            return run

    def plan(self, name: str, selection: Selection | None) -> tuple[Selection, int, bool]:
        """What opening `name` over `selection` would cover, without writing anything: (the
        selection in force, how many clips it covers now, whether the run exists already).
        Raises what `ensure` would: an unknown set, missing ids, an empty selection, or a
        selection other than the existing run's."""
        with self.session() as s:
            run = s.get(Run, name)
            if run is None:
                chosen = selection or Selection.production()
                return chosen, check_selection(s, chosen), False
            if selection is not None:
                refuse_other_selection(run, selection)
            return run.selection, self._size(s, run), True

    def finish(self, name: str) -> None:
        with self.session.begin() as s:
            s.execute(update(Run).where(Run.name == name).values(finished_at=now()))

    def all(self) -> list[Run]:
        """Every run, oldest first."""
        with self.session() as s:
            return list(s.scalars(select(Run).order_by(Run.started_at)))

    def get(self, name: str) -> Run | None:
        with self.session() as s:
            return s.get(Run, name)

    def pick(self, name: str | None, purpose: str) -> tuple[str, str | None]:
        """The run a command works on, and why when it was not named: `name` as given (why
        None); `latest`, the newest run of any kind; or, with no name, the newest run that
        covers production clips (runs over evaluation or one-off sets only are never picked
        for you). An error when there is none."""
        runs = self.all()
        if name is not None and name != LATEST:
            return self.require(name).name, None
        if not runs:
            raise RecapError(f"There are no runs to {purpose}.", hint="Run `recap draft` first.")
        if name == LATEST:
            return runs[-1].name, "the latest run"
        kinds = self._set_kinds()
        for run in reversed(runs):
            if covers_production(run.selection, kinds):
                return run.name, "the latest production run"
        listed = ", ".join(f"{r.name} ({r.selection.short()})" for r in runs)
        raise RecapError(
            f"No production run to {purpose}: every run here covers evaluation or one-off "
            "sets only.",
            hint=f"Name one with --run NAME (or --run {LATEST} for the newest): {listed}.",
        )

    def _set_kinds(self) -> dict[str, SetKind]:
        with self.session() as s:
            return {n: SetKind(k) for n, k in s.execute(select(ClipSet.name, ClipSet.kind))}

    def require(self, name: str) -> Run:
        """The run, or an error listing the runs there are."""
        run = self.get(name)
        if run is None:
            known = ", ".join(r.name for r in self.all()) or "none yet"
            raise RecapError(f"No run named {name!r}.", hint=f"Runs in this database: {known}.")
        return run

    # --- work ---------------------------------------------------------------------------------
    def pending(self, run: str, *, retry_failed: bool = False) -> list[str]:
        """The run's clips with no draft in it (and, unless retrying, no recorded error). A set
        selection is resolved by membership now, so clips ingested since into a covered set
        are pending too."""
        with self.session() as s:
            row = s.get(Run, run)
            if row is None:
                return []
            drafted = select(DraftRecord.clip_id).where(DraftRecord.run == run)
            q = select(Clip.id).where(selected_clips(run, row.selection), Clip.id.not_in(drafted))
            if not retry_failed:
                failed = select(ErrorRecord.clip_id).where(ErrorRecord.run == run)
                q = q.where(Clip.id.not_in(failed))
            return list(s.scalars(q.order_by(Clip.id)))

    def size(self, run: str) -> int:
        """How many clips the run covers now (its selection, resolved)."""
        with self.session() as s:
            row = s.get(Run, run)
            return self._size(s, row) if row is not None else 0

    def _size(self, s: Session, row: Run) -> int:
        q = select(func.count()).select_from(Clip).where(selected_clips(row.name, row.selection))
        return s.scalar(q) or 0

    def covered(self, run: str, clip_ids: Sequence[str]) -> set[str]:
        """Which of `clip_ids` the run covers."""
        with self.session() as s:
            row = s.get(Run, run)
            if row is None:
                return set()
            found: set[str] = set()
            ids = list(dict.fromkeys(clip_ids))
            for i in range(0, len(ids), CHUNK):
                chunk = ids[i : i + CHUNK]
                found.update(
                    s.scalars(
                        select(Clip.id).where(
                            Clip.id.in_(chunk), selected_clips(run, row.selection)
                        )
                    )
                )
            return found

    def claim_one(
        self, run: str, clip_id: str, owner: str, ttl_s: float
    ) -> tuple[Clip, str] | None:
        """Lease one clip still without a draft and load it with its caption, or None."""
        if not self.leases.claim(run, [clip_id], owner, ttl_s):
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
                    .join(Caption, (Caption.clip_id == Clip.id) & (Caption.kind == ORIGINAL))
                    .where(Clip.id == clip_id)
                ).first()
            )
        if row is None:
            self.leases.release(run, owner, [clip_id])
            return None
        return row[0], row[1]

    # --- drafts and errors --------------------------------------------------------------------
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
            mode=result.mode,
            stated_confidence=result.stated_confidence,
        )
        with self.session() as s:
            try:
                if owner is not None:
                    release(s, run, owner, [result.clip])
                if replace:
                    s.execute(
                        delete(DraftRecord).where(
                            DraftRecord.run == run, DraftRecord.clip_id == result.clip
                        )
                    )
                s.add(row)
                if result.raw_response is not None or result.samples:
                    s.flush()
                if result.raw_response is not None:
                    s.add(DraftResponse(draft_id=row.id, body=result.raw_response))
                for i, sample in enumerate(result.samples):
                    s.add(
                        DraftSample(
                            draft_id=row.id,
                            idx=i,
                            draft_json=(
                                sample.draft.model_dump(mode="json") if sample.draft else None
                            ),
                            error=None if sample.error is None else redact(sample.error),
                        )
                    )
                s.commit()
                return True
            except IntegrityError:
                s.rollback()
            if owner is not None:  # drafted elsewhere already: still let go of the lease
                release(s, run, owner, [result.clip])
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
        """Record why a clip could not be drafted (secrets scrubbed) and drop its lease."""
        with self.session.begin() as s:
            s.add(
                ErrorRecord(
                    run=run, clip_id=clip_id, kind=kind, message=redact(message), attempts=attempts
                )
            )
            if owner is not None:
                release(s, run, owner, [clip_id])

    def drafts(self, run: str) -> list[DraftRecord]:
        """The run's drafts, in clip order."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(DraftRecord).where(DraftRecord.run == run).order_by(DraftRecord.clip_id)
                )
            )

    def draft(self, run: str, clip_id: str) -> DraftRecord | None:
        """One clip's draft in `run`."""
        with self.session() as s:
            return s.scalar(
                select(DraftRecord).where(DraftRecord.run == run, DraftRecord.clip_id == clip_id)
            )

    def count_drafts(self, run: str) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).where(DraftRecord.run == run)) or 0

    def samples(self, draft_ids: Sequence[int]) -> dict[int, list[Sample]]:
        """The K samples each of `draft_ids` was chosen from, in the order drawn (drafts of one
        sample are absent)."""
        out: dict[int, list[Sample]] = {}
        ids = list(draft_ids)
        with self.session() as s:
            for start in range(0, len(ids), CHUNK):
                q = (
                    select(DraftSample)
                    .where(DraftSample.draft_id.in_(ids[start : start + CHUNK]))
                    .order_by(DraftSample.draft_id, DraftSample.idx)
                )
                for row in s.scalars(q):
                    out.setdefault(row.draft_id, []).append(row.sample)
        return out

    def raw_response(self, draft_id: int) -> str | None:
        """The model's raw response to a stored draft (kept compressed, apart from the draft)."""
        with self.session() as s:
            row = s.get(DraftResponse, draft_id)
            return row.body if row else None

    def raw_responses(self, draft_ids: Sequence[int]) -> dict[int, str]:
        """The raw responses of `draft_ids` (those that have one), in one read per chunk: what
        scoring their token log-probabilities needs."""
        out: dict[int, str] = {}
        ids = list(draft_ids)
        with self.session() as s:
            for start in range(0, len(ids), CHUNK):
                q = select(DraftResponse).where(
                    DraftResponse.draft_id.in_(ids[start : start + CHUNK])
                )
                out.update((row.draft_id, row.body) for row in s.scalars(q))
        return out

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

    def totals(self, run: str) -> RunTotals:
        """Drafts, failures, tokens, cost, retries and re-asks of a run."""
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
        return RunTotals(
            drafted=row[0],
            failed=len(self.errors(run)),
            prompt_tokens=row[1],
            completion_tokens=row[2],
            cost_usd=row[3],
            retries=row[4],
            reasks=row[5],
        )

    def confidence_median(self, run: str) -> tuple[int, float | None]:
        """(drafts of `run` with a stored confidence, the median of their scores; None when
        none is scored). Two indexed-by-run queries, whatever the run's size."""
        score = DraftRecord.confidence_score
        where = (DraftRecord.run == run, score.is_not(None))
        with self.session() as s:
            scored = s.scalar(select(func.count(score)).where(*where)) or 0
            if not scored:
                return 0, None
            middle = list(
                s.scalars(
                    select(score)
                    .where(*where)
                    .order_by(score)
                    .offset((scored - 1) // 2)
                    .limit(1 if scored % 2 else 2)
                )
            )
        return scored, sum(middle) / len(middle)

    def confidences(self, run: str) -> list[float]:
        """Every stored confidence score of `run`'s drafts (`recap runs RUN`'s distribution)."""
        score = DraftRecord.confidence_score
        with self.session() as s:
            return list(s.scalars(select(score).where(DraftRecord.run == run, score.is_not(None))))

    # --- response cache -----------------------------------------------------------------------
    def cache_get_json(self, key: str) -> dict[str, Any] | None:
        """A cached answer as JSON (the judges keep their own answers here)."""
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


def refuse_other_selection(run: Run, selection: Selection) -> None:
    """A run's clips are fixed when it is created: asking for others is an error that says
    how to start a new run."""
    have = run.selection
    if have.same_as(selection):
        return
    raise RecapError(
        f"Run {run.name!r} covers {have.describe()}, fixed when it was created; this asks for "
        f"{selection.describe()}.",
        hint=f"Start a new run for those clips: --run NEW_NAME {selection.flags()}. Or resume "
        f"{run.name!r} as it is, without --set or --ids.",
    )


def covers_production(selection: Selection, kinds: dict[str, SetKind]) -> bool:
    """Whether a run over `selection` covers production clips: the production sets, an ids
    list, or named sets of which one is a production set."""
    if selection.kind == SelectionKind.SETS:
        return any(kinds.get(n) == SetKind.PRODUCTION for n in selection.sets)
    return True
