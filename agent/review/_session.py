"""The review queue and its decisions: everything the review page does, without the page.

One clip at a time from the clips with a draft still open to a decision. The clip on screen is
leased to the reviewer's browser and held by one of its tabs, so two reviewers (or two tabs)
never work on the same clip; a decision names the clip and the state it was shown in, and is
refused, never recorded, when either has gone. Every decision is an append-only row (undo
appends too), with the seconds spent, the final caption, its word edit distance from the draft
and which findings the reviewer agreed with.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent.decisions import (
    FINAL,
    OPEN_STATUSES,
    REVIEWER_DECISIONS,
    STATUSES,
    TEAM_STATES,
    Arm,
    Decision,
    Purpose,
    Status,
    in_force,
    purpose_of,
    refusal,
)
from agent.errors import RecapError, Refused
from agent.review._textdiff import compare
from agent.schema import Draft
from agent.store import Clip, DraftRecord, Guard, Lease, Review, ScoreSheet, Store, as_utc, now

if TYPE_CHECKING:
    from agent.guidelines import Guidelines

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def default_reviewer(configured: str | None, address: str | None) -> str | None:
    """Who the page records decisions under when the URL names nobody.

    The configured name (`recap review --reviewer`) wins; a page that only this machine can
    reach (bound to loopback) falls back to the local user name, so it opens on the first clip.
    A page on a shared address asks each reviewer for a name instead.
    """
    if configured and configured.strip():
        return configured.strip()
    if address not in LOOPBACK:
        return None
    try:
        return getpass.getuser() or None
    except (KeyError, OSError):  # no name for this uid (some containers)
        return None


def in_control_arm(run: str, clip_id: str, share: float) -> bool:
    """Whether a clip is reviewed without its draft. A hash of run and clip, uniform on [0, 1):
    random across clips, the same on every reload, browser and page server."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"recap-control\0{run}\0{clip_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _unit(*parts: str) -> float:
    """A hash of the parts, uniform on [0, 1)."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_overlap(run: str, clip_id: str, share: float) -> bool:
    """Whether a clip is reviewed twice (double review): like the control arm, a hash of run and
    clip, so every page server agrees without asking the database."""
    return share > 0 and _unit("recap-overlap", run, clip_id) < share


def gold_due(run: str, reviewer: str, done: int, gold: int, rate: float) -> bool:
    """Whether this reviewer's next clip should be a gold check: their gold checks so far
    trail `rate` times their decisions (the next one included), with a hashed offset so the
    checks fall at unpredictable places yet stay within one of the rate at every point."""
    if rate <= 0:
        return False
    return gold < int(rate * (done + 1) + _unit("recap-gold", run, reviewer, str(done)))


@dataclass
class QueueItem:
    """The clip on a reviewer's screen: the clip, its caption, its stored draft and status, and
    its arm: `draft` (the draft is shown) or `control` (the original caption alone).

    `version` (the newest review row on the clip when it was loaded) and `state` (its actual
    state, which `status` may hide) are what it was shown in: a decision is recorded only while
    the clip is still in that state."""

    clip: Clip
    caption: str
    record: DraftRecord
    status: Status
    arm: Arm = Arm.DRAFT
    shown_at: float = field(default_factory=time.monotonic)
    # queue, gold (a gold check: never shown as such) or double (one of two blind reviews)
    purpose: Purpose = Purpose.QUEUE
    feedback: str | None = None  # a lead's comment when the clip was sent back to this reviewer
    version: int = 0
    state: Status = Status.PENDING
    owner: str | None = None  # whose queue `state` puts the clip in (None: pending)

    @property
    def control(self) -> bool:
        return self.arm == Arm.CONTROL

    @property
    def shown(self) -> str:
        """The text the reviewer starts from: the draft's rewrite, or in the control arm the
        original caption."""
        return self.caption if self.control else self.record.draft.rewrite

    @property
    def clip_id(self) -> str:
        return self.clip.id

    @property
    def draft(self) -> Draft:
        return self.record.draft


class ReviewSession:
    """One reviewer in one browser (and, on the page, one tab of it), on one run.

    The clip on screen is leased to the browser and held by one tab: decisions need the lease,
    which the page renews while the reviewer stays on the clip. A gold clip is a gold check
    only when one is due for this reviewer by the gold rate (and they have not seen it); else
    it is ordinary work for whoever gets it first."""

    def __init__(
        self,
        store: Store,
        reviewer: str,
        run: str,
        *,
        browser: str = "cli",
        tab: str | None = None,
        lease_s: float = 900.0,
        control_share: float = 0.0,
        gold_rate: float = 0.0,
        overlap: float = 0.0,
    ) -> None:
        for name, value in (
            ("control share", control_share),
            ("gold rate", gold_rate),
            ("overlap", overlap),
        ):
            if not 0.0 <= value <= 1.0:
                raise RecapError(f"The {name} must be between 0 and 1, not {value}.")
        if not reviewer.strip():
            raise RecapError("A reviewer name is needed to record decisions.")
        if store.runs.get(run) is None:
            known = ", ".join(r.name for r in store.runs.all()) or "none yet"
            raise RecapError(f"No run named {run!r} to review.", hint=f"Runs: {known}.")
        self.store = store
        self.reviewer = reviewer.strip()
        self.run = run
        self.owner = f"{self.reviewer}:{browser}"
        self.tab = tab
        self.lease_s = lease_s
        self.lease_run = f"review:{run}"
        self.control_share = control_share
        self.gold_rate = gold_rate
        self.overlap = overlap

    # --- queue --------------------------------------------------------------------------------
    @functools.cached_property
    def routed(self) -> bool:
        """Whether a policy accepted any clip of this run (asked once per session: a page run
        builds its own session)."""
        return self.store.routing.routed(self.run)

    def counts(self) -> dict[Status, int]:
        """Clips per status, from the run's running tallies (pending: the drafts left over,
        less those recap's policy accepted, which are in no one's queue unless audited; gold
        clips are work like any other)."""
        tallies = self.store.reviews.tallies(self.run)
        out = {s: tallies.clips(s) for s in STATUSES}
        for s in TEAM_STATES:  # listed only while some clip is in them
            if tallies.clips(s):
                out[s] = tallies.clips(s)
        drafted = self.store.runs.count_drafts(self.run)
        routed = self.store.routing.out_of_queue(self.run) if self.routed else 0
        out[Status.PENDING] = max(drafted - routed - sum(out.values()), 0)
        return out

    def next_item(
        self, status: Status = Status.PENDING, after: str | None = None
    ) -> QueueItem | None:
        """Lease and return the next clip with this status that this reviewer may decide: the
        one this browser already holds first, else a clip a lead sent back to them, else a
        gold check when one is due, else the first free one after `after` in clip order
        (wrapping round).

        Every step is an indexed query over a few rows, whatever the size of the run."""
        if status not in OPEN_STATUSES:
            raise RecapError(
                f"{status!r} is not a list to review.",
                hint="Pending, flagged and skipped clips are open; accepted, edited and rejected "
                "clips are final (a lead who took no part can reopen one).",
            )
        status = Status(status)
        leases, reviews = self.store.leases, self.store.reviews
        cursor = after
        if after is not None:  # moving on: let go of the current clip, then look past it
            if self.gold_rate > 0:
                cursor = self._cursor(after)
            leases.release(self.lease_run, self.owner, [after])
        else:
            for lease in leases.holding(self.lease_run, self.owner):
                item = self._offer(lease.clip_id, lease.purpose, status)
                if item is not None:
                    return item
        if status == Status.PENDING:
            # a clip a lead sent back comes first; then a gold check when one is due
            for clip_id in reviews.with_status(self.run, Status.SENT_BACK, self.reviewer, 4):
                item = self._offer(clip_id, None, status)
                if item is not None:
                    return item
            if self.gold_rate > 0:
                gold, done = reviews.gold_counts(self.run, self.reviewer)
                if gold_due(self.run, self.reviewer, done, gold, self.gold_rate):
                    for clip_id in reviews.gold_candidates(
                        self.run, self.reviewer, 4, lease_run=self.lease_run, owner=self.owner
                    ):
                        if clip_id == after:  # "Next" on a gold check moves on from it
                            continue
                        item = self._offer(clip_id, Purpose.GOLD, status)
                        if item is not None:
                            return item
        passes = [(None, None)] if cursor is None else [(cursor, None), (None, cursor)]
        for start, upto in passes:
            cursor = start
            while True:
                found = reviews.candidates(
                    self.run,
                    status,
                    lease_run=self.lease_run,
                    owner=self.owner,
                    after=cursor,
                    upto=upto,
                    reviewer=self.reviewer,
                )
                for clip_id in found:
                    item = self._offer(clip_id, None, status)
                    if item is not None:
                        return item
                if len(found) < 16:
                    break
                cursor = found[-1]  # all taken by others a moment ago: look further on
        return None

    def _cursor(self, after: str) -> str | None:
        """Where the queue goes on from after `after`: `after` itself, unless it was a gold
        check, which takes no place in the queue: then the clip of this reviewer's newest
        decision that was not one (None: the top), so the queue keeps its order."""
        lease = self.store.leases.get(self.lease_run, after)
        if lease is not None and lease.owner == self.owner:
            gold = lease.purpose == Purpose.GOLD
        else:  # already decided (the decision dropped the lease): what was it?
            mine = self.store.reviews.recent(self.run, self.reviewer, 1)
            gold = bool(mine) and mine[0].clip_id == after and purpose_of(mine[0]) == Purpose.GOLD
        if not gold:
            return after
        recent = self.store.reviews.recent(self.run, self.reviewer, 200)
        return next((r.clip_id for r in recent if purpose_of(r) != Purpose.GOLD), None)

    def _offer(
        self, clip_id: str, purpose: Purpose | str | None, wanted: Status
    ) -> QueueItem | None:
        """The clip leased to this browser and loaded, if this reviewer may decide it and it
        belongs in the `wanted` list; else None, with the lease let go."""
        if not self.take(clip_id, purpose):
            return None
        item = self.item(clip_id, purpose)
        fits = item.purpose == Purpose.GOLD or self._matches(item.state, wanted)
        if fits and self.why_not(item) is None:
            return item
        self.store.leases.release(self.lease_run, self.owner, [clip_id])
        return None

    def _matches(self, state: Status, wanted: Status) -> bool:
        """Whether a clip in `state` belongs in this reviewer's `wanted` list (a clip awaiting a
        second reviewer, or sent back, is pending for the reviewer it waits for)."""
        if wanted == Status.PENDING and state in (Status.AWAITING_SECOND, Status.SENT_BACK):
            return True
        return state == wanted

    def why_not(self, item: QueueItem) -> str | None:
        """Why this reviewer may not decide `item` as it was loaded, or None when they may
        (`agent.decisions.refusal`)."""
        return refusal(item.purpose, item.state, item.owner, self.reviewer)

    def take(self, clip_id: str, purpose: Purpose | str | None = None) -> bool:
        """Lease this clip to this browser (held by this tab, on screen for `purpose`) and let
        go of any other it held: one clip per browser at a time."""
        leases = self.store.leases
        got = leases.claim(
            self.lease_run, [clip_id], self.owner, self.lease_s, tab=self.tab, purpose=purpose
        )
        if not got:
            return False
        others = [c for c in leases.held(self.lease_run, self.owner) if c != clip_id]
        if others:
            leases.release(self.lease_run, self.owner, others)
        return True

    def renew(self, clip_id: str) -> bool:
        """The heartbeat: extend this tab's hold on the clip on screen; False when the hold is
        gone (expired, taken over, or held by another tab)."""
        return self.store.leases.renew(self.lease_run, clip_id, self.owner, self.tab, self.lease_s)

    def holder(self) -> Lease | None:
        """The unexpired lease this browser holds in the run, with the tab that holds it: what
        a second tab of the same browser finds (None: this browser holds no clip)."""
        held = self.store.leases.holding(self.lease_run, self.owner)
        return held[0] if held else None

    def since_renewed(self, lease: Lease) -> float:
        """Seconds since a lease of this run's length was last taken or renewed."""
        return (now() - as_utc(lease.expires_at)).total_seconds() + self.lease_s

    def resume(self, clip_id: str, purpose: Purpose | str | None = None) -> QueueItem:
        """The clip this tab had on screen, leased again (the lease renewed), as it is now;
        `Refused`, with why, when this reviewer can no longer work on it (another reviewer has
        it, or it is no longer open to them). Why it is on screen comes from the lease, or
        `purpose` for a clip this browser did not hold."""
        lease = self.store.leases.get(self.lease_run, clip_id)
        if lease is not None and lease.owner == self.owner and lease.purpose is not None:
            purpose = lease.purpose
        if not self.renew(clip_id) and not self.take(clip_id, purpose):  # renewed, else taken
            raise Refused(clip_id, "another reviewer has it now (your hold on it had expired)")
        try:
            item = self.item(clip_id, purpose)
        except RecapError:  # not a clip of this run (a link to another run's clip): let go
            self.store.leases.release(self.lease_run, self.owner, [clip_id])
            raise
        why = self.why_not(item)
        if why is not None:
            self.store.leases.release(self.lease_run, self.owner, [clip_id])
            raise Refused(clip_id, why)
        return item

    def item(self, clip_id: str, purpose: Purpose | str | None = None) -> QueueItem:
        """The one clip on screen, loaded in full (clip, caption, draft, status, version) in one
        query, shown for `purpose` (None: double review when the clip is in the overlap or
        already has a first review, else the queue).

        The status shown never gives away a gold check or another reviewer's first decision:
        both read as pending."""
        found = self.store.reviews.on_screen(self.run, clip_id)
        if found is None:
            raise RecapError(f"Clip {clip_id!r} has no draft in run {self.run!r}.")
        clip = found.clip
        raw = found.status
        if purpose is None:
            double = raw == Status.AWAITING_SECOND or in_overlap(self.run, clip_id, self.overlap)
            purpose = Purpose.DOUBLE if double else Purpose.QUEUE
        purpose = Purpose(purpose)
        feedback = None
        if purpose == Purpose.GOLD:
            shown_status = Status.PENDING
        else:
            behind = found.behind
            shown_status = raw
            if raw in (Status.AWAITING_SECOND, Status.DISPUTED) and (
                behind is None or behind.reviewer != self.reviewer
            ):
                shown_status = Status.PENDING  # blind: the other reviewer's decision stays hidden
            if raw == Status.SENT_BACK and behind is not None:
                feedback = behind.comment
        # gold checks and double reviews show the draft: they measure how it is judged
        control = purpose == Purpose.QUEUE and in_control_arm(self.run, clip_id, self.control_share)
        return QueueItem(
            clip,
            found.caption,
            found.record,
            Status(shown_status),
            Arm.CONTROL if control else Arm.DRAFT,
            purpose=purpose,
            feedback=feedback,
            version=found.version,
            state=raw,
            owner=found.owner,
        )

    # --- decisions ----------------------------------------------------------------------------
    def decide(
        self,
        item: QueueItem,
        decision: Decision,
        final_caption: str | None = None,
        *,
        agreed: dict[str, dict[str, bool]] | None = None,
        seconds: float | None = None,
        scores: Mapping[str, int] | None = None,
        guidelines: Guidelines | None = None,
    ) -> Review:
        """Record a decision on `item` as it was shown. accepted keeps the text shown (the
        draft's rewrite, or in the control arm the caption); edited and rejected need text,
        and to reject the reviewer writes their own (the text shown unchanged is refused).
        Edits are measured from what was shown (once), and the arm is kept with the decision.

        `Refused` (nothing recorded) when this reviewer may not decide the clip (final,
        disputed, someone else's), when it changed since it was shown, or when this browser's
        tab no longer holds its lease: checked in the decision's own transaction.

        `scores` (dimension -> score) rate the caption under review on the rubric of
        `guidelines` (the guideline in force) and are kept with the decision, in its
        transaction; scores that do not fit that rubric refuse the whole decision with the
        reason (`score_sheet`), nothing recorded."""
        if decision not in REVIEWER_DECISIONS:
            raise RecapError(f"Unknown decision {decision!r}.")
        decision = Decision(decision)
        rewrite = item.shown
        if decision == Decision.ACCEPTED:
            final_caption = rewrite
        if decision in (Decision.EDITED, Decision.REJECTED):
            if not final_caption or not final_caption.strip():
                raise RecapError("Write the caption before saving: it is empty.")
            final_caption = final_caption.strip()
        if decision == Decision.EDITED and final_caption == rewrite:
            raise RecapError(
                "Nothing was edited: press A to accept the draft as it is, or "
                "change the text first (Tab or Ctrl+Enter applies it)."
            )
        if decision == Decision.REJECTED and final_caption == rewrite:
            raise RecapError("To reject, write your own caption in the box first.")
        sheet = score_sheet(item.clip_id, scores, guidelines)
        why = self.why_not(item)
        if why is not None:
            raise Refused(item.clip_id, why)
        n = len(item.draft.hallucinations)
        m = len(item.draft.omissions)
        if item.control:
            agreed = None  # no findings were shown
        elif agreed is None and decision == Decision.ACCEPTED:
            agreed = {
                "hallucinations": {str(i): True for i in range(n)},
                "omissions": {str(i): True for i in range(m)},
            }
        edit = compare(rewrite, final_caption) if final_caption else None
        return self.store.reviews.add(
            Review(
                clip_id=item.clip_id,
                run=self.run,
                draft_id=item.record.id,
                reviewer=self.reviewer,
                decision=decision,
                final_caption=final_caption,
                seconds=seconds if seconds is not None else time.monotonic() - item.shown_at,
                edit_distance=edit.distance if edit else None,
                edit_rate=edit.rate if edit else None,
                agreed=agreed,
                arm=item.arm,
                purpose=item.purpose,
            ),
            Guard(item.version, self.lease_run, self.owner, self.tab),
            sheet,
        )

    def undoable(self) -> Review | None:
        """This reviewer's last decision still in force in the run (what Z would undo)."""
        return self.store.reviews.last_undoable(self.run, self.reviewer)

    def undo(self, expect: int | None = None) -> Review | None:
        """Withdraw this reviewer's last decision still in force; its clip returns to the queue.
        None when there is nothing to undo.

        Only their own last decision, never a lead's settlement, and only while nobody else has
        acted on the clip since (a second review, a lead's verdict, a reopening) or has it on
        screen: `Refused` otherwise. With `expect` (the id of the decision the page offered to
        undo), anything else is refused, so a second press never undoes a second decision."""
        r = self.undoable()
        if expect is not None and (r is None or r.id != expect):
            raise Refused(
                r.clip_id if r is not None else "your last decision",
                "the decision shown for undo was already undone or is no longer your last",
                outcome="Nothing undone",
            )
        if r is None:
            return None
        rows = self.store.reviews.of_clip(self.run, r.clip_id)
        if purpose_of(r) != Purpose.GOLD:
            later = [x for x in in_force(rows) if x.id > r.id and purpose_of(x) != Purpose.GOLD]
            if later:
                raise Refused(
                    r.clip_id,
                    f"{later[-1].reviewer} has acted on the clip since your decision",
                    outcome="Nothing undone",
                )
            lease = self.store.leases.get(self.lease_run, r.clip_id)
            if lease is not None and lease.owner != self.owner and as_utc(lease.expires_at) > now():
                raise Refused(
                    r.clip_id, "another reviewer has the clip open now", outcome="Nothing undone"
                )
        version = max((x.id for x in rows), default=0)
        return self.store.reviews.add(
            Review(
                clip_id=r.clip_id,
                run=self.run,
                reviewer=self.reviewer,
                decision=Decision.UNDO,
                undoes=r.id,
                purpose=r.purpose,  # undoing a gold check moves no clip either
            ),
            Guard(version),
        )

    # --- unsaved text -------------------------------------------------------------------------
    def save_buffer(self, clip_id: str, text: str) -> None:
        self.store.reviews.save_buffer(self.owner, clip_id, text)

    def buffer(self, clip_id: str) -> str | None:
        return self.store.reviews.buffer(self.owner, clip_id)

    # --- progress -----------------------------------------------------------------------------
    def progress(self) -> dict[str, Any]:
        """Reviewed/total, clips per hour, accept-as-is rate, mean edit rate, agreement by type.

        Run-wide figures come from the tallies each decision keeps; this reviewer's from their
        own decisions in force (an indexed range), never from the whole reviews table."""
        tallies = self.store.reviews.tallies(self.run)
        counts = self.counts()
        reviewed = sum(counts[Status(d)] for d in FINAL)
        mine = self.store.reviews.decided_by(self.run, self.reviewer)
        hours = active_hours([as_utc(t) for t, _ in mine])
        return {
            "reviewed": reviewed,
            "total": sum(counts.values()),
            "by_status": counts,
            "my_reviewed": len(mine),
            "clips_per_hour": len(mine) / hours if hours else None,
            "accept_rate": counts[Status.ACCEPTED] / reviewed if reviewed else None,
            "mean_edit_rate": tallies.mean_edit_rate,
            "agreement_by_type": tallies.agreement_by_type(),
            "mean_seconds": (sum(sec or 0 for _, sec in mine) / len(mine)) if mine else None,
        }


def score_sheet(
    clip_id: str, scores: Mapping[str, int] | None, guidelines: Guidelines | None
) -> ScoreSheet | None:
    """The rubric scores to keep with a decision on `clip_id`, checked against the rubric of
    the guideline in force; None when there are none. `RecapError` naming every score that
    does not fit (an unknown dimension, off the scale, not a whole number), or saying the
    guideline has no rubric: the caller records nothing."""
    if not scores:
        return None
    rubric = guidelines.rubric if guidelines is not None else None
    version = guidelines.version if guidelines is not None else "none"
    if guidelines is None or rubric is None:
        raise RecapError(
            f"Not recorded: {clip_id} — the guideline in force ({version}) has no rubric, so "
            "its scores cannot be kept.",
            hint="Clear the scores, or use a guideline with a [rubric] section.",
        )
    problems = rubric.problems(scores)
    if problems:
        raise RecapError(
            f"Not recorded: {clip_id} — the scores do not fit the rubric of {version}: "
            + "; ".join(problems)
            + ".",
            hint=f"Scores are whole numbers {rubric.low}-{rubric.high} on the rubric's "
            "dimensions; correct them and decide again.",
        )
    return ScoreSheet(guidelines.version, rubric.low, rubric.high, dict(scores))


def active_hours(times: list[datetime]) -> float:
    """Hours spent reviewing: gaps longer than 10 minutes count as breaks, not work."""
    if len(times) < 2:
        return len(times) * (1 / 60)  # one decision: count a minute
    ts = sorted(times)
    total = sum(min((b - a).total_seconds(), 600) for a, b in itertools.pairwise(ts))
    return max(total, 60) / 3600
