"""The review queue and its decisions: everything the review page does, without the page.

One clip at a time from the clips with a draft and no decision in force. The clip on screen is
leased to the reviewer's browser, so two reviewers never work on the same clip. Every decision
is an append-only row (undo appends too), with the seconds spent, the final caption, its word
edit distance from the draft and which findings the reviewer agreed with.
"""

from __future__ import annotations

import getpass
import hashlib
import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.decisions import (
    FINAL,
    REVIEWER_DECISIONS,
    STATUSES,
    TEAM_STATES,
    Arm,
    Decision,
    Purpose,
    Status,
)
from agent.errors import RecapError
from agent.review._textdiff import edit_rate, word_edit_distance
from agent.schema import Draft
from agent.store import Clip, DraftRecord, Review, Store, as_utc

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
    its arm: `draft` (the draft is shown) or `control` (the original caption alone)."""

    clip: Clip
    caption: str
    record: DraftRecord
    status: Status
    arm: Arm = Arm.DRAFT
    shown_at: float = field(default_factory=time.monotonic)
    # queue, gold (a gold check: never shown as such) or double (one of two blind reviews)
    purpose: Purpose = Purpose.QUEUE
    feedback: str | None = None  # a lead's comment when the clip was sent back to this reviewer

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
    """One reviewer in one browser, on one run."""

    def __init__(
        self,
        store: Store,
        reviewer: str,
        run: str,
        *,
        browser: str = "cli",
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
        self.lease_s = lease_s
        self.lease_run = f"review:{run}"
        self.control_share = control_share
        self.gold_rate = gold_rate
        self.overlap = overlap

    # --- queue --------------------------------------------------------------------------------
    def counts(self) -> dict[Status, int]:
        """Clips per status, from the run's running tallies (pending: the drafts left over)."""
        tallies = self.store.reviews.tallies(self.run)
        out = {s: tallies.clips(s) for s in STATUSES}
        for s in TEAM_STATES:  # listed only while some clip is in them
            if tallies.clips(s):
                out[s] = tallies.clips(s)
        gold = self.store.reviews.gold_pool(self.run) if self.gold_rate > 0 else 0
        drafted = self.store.runs.count_drafts(self.run)
        out[Status.PENDING] = max(drafted - gold - sum(out.values()), 0)
        return out

    def next_item(
        self, status: Status = Status.PENDING, after: str | None = None
    ) -> QueueItem | None:
        """Lease and return the next clip with this status: the one this browser already holds
        first, else the first free one after `after` in clip order (wrapping round).

        Every step is an indexed query over a few rows, whatever the size of the run."""
        if status not in STATUSES:
            raise RecapError(f"Unknown status {status!r}.", hint="One of: " + ", ".join(STATUSES))
        status = Status(status)
        leases, reviews = self.store.leases, self.store.reviews
        if after is not None:  # moving on: let go of the current clip, then look past it
            leases.release(self.lease_run, self.owner, [after])
            held: list[str] = []
        else:
            held = leases.held(self.lease_run, self.owner)
            states = reviews.statuses(self.run, held) if held else {}
            held = [c for c in held if self._matches(states.get(c, Status.PENDING), status)]
        passes = [(None, None)] if after is None else [(after, None), (None, after)]
        for clip_id in held:
            if self.take(clip_id):
                return self.item(clip_id, status)
        if status == Status.PENDING:
            # a clip a lead sent back comes first; then a gold check when one is due
            for clip_id in reviews.with_status(self.run, Status.SENT_BACK, self.reviewer, 4):
                if self.take(clip_id):
                    return self.item(clip_id)
            if self.gold_rate > 0:
                gold, done = reviews.gold_counts(self.run, self.reviewer)
                if gold_due(self.run, self.reviewer, done, gold, self.gold_rate):
                    for clip_id in reviews.gold_candidates(self.run, self.reviewer, 2):
                        if clip_id != after:  # "Next" on a gold check moves on from it
                            return self.item(clip_id, Status.PENDING)
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
                    exclude_gold=self.gold_rate > 0,
                )
                for clip_id in found:
                    if self.take(clip_id):
                        return self.item(clip_id, status)
                if len(found) < 16:
                    break
                cursor = found[-1]  # all taken by others a moment ago: look further on
        return None

    def _matches(self, state: Status, wanted: Status) -> bool:
        """Whether a clip in `state` belongs in this reviewer's `wanted` list (a clip awaiting a
        second reviewer is pending for everyone but the first)."""
        if wanted == Status.PENDING and state in (Status.AWAITING_SECOND, Status.SENT_BACK):
            return True
        return state == wanted

    def take(self, clip_id: str) -> bool:
        """Lease this clip to this browser and let go of any other it held."""
        leases = self.store.leases
        if not leases.claim(self.lease_run, [clip_id], self.owner, self.lease_s):
            return False
        others = [c for c in leases.held(self.lease_run, self.owner) if c != clip_id]
        if others:
            leases.release(self.lease_run, self.owner, others)
        return True

    def item(self, clip_id: str, status: Status | None = None) -> QueueItem:
        """The one clip on screen, loaded in full (clip, caption, draft, status, purpose) in one
        query.

        The status shown never gives away a gold check or another reviewer's first decision:
        both read as pending."""
        found = self.store.reviews.on_screen(self.run, clip_id)
        if found is None:
            raise RecapError(f"Clip {clip_id!r} has no draft in run {self.run!r}.")
        clip = found.clip
        gold = self.gold_rate > 0 and clip.gold_caption is not None
        purpose = (
            Purpose.GOLD
            if gold
            else Purpose.DOUBLE
            if in_overlap(self.run, clip_id, self.overlap)
            else Purpose.QUEUE
        )
        feedback = None
        if gold:
            shown_status = status or Status.PENDING
        else:
            behind = found.behind
            raw = status or found.status
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
    ) -> Review:
        """Record a decision. accepted keeps the text shown (the draft's rewrite, or in the
        control arm the caption); edited and rejected need text, and to reject the reviewer
        writes their own (the text shown unchanged is refused). Edits are measured from what
        was shown, and the arm is kept with the decision."""
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
        n = len(item.draft.hallucinations)
        m = len(item.draft.omissions)
        if item.control:
            agreed = None  # no findings were shown
        elif agreed is None and decision == Decision.ACCEPTED:
            agreed = {
                "hallucinations": {str(i): True for i in range(n)},
                "omissions": {str(i): True for i in range(m)},
            }
        dist = word_edit_distance(rewrite, final_caption) if final_caption else None
        review = self.store.reviews.add(
            Review(
                clip_id=item.clip_id,
                run=self.run,
                draft_id=item.record.id,
                reviewer=self.reviewer,
                decision=decision,
                final_caption=final_caption,
                seconds=seconds if seconds is not None else time.monotonic() - item.shown_at,
                edit_distance=dist,
                edit_rate=edit_rate(rewrite, final_caption) if final_caption else None,
                agreed=agreed,
                arm=item.arm,
                purpose=item.purpose,
            )
        )
        self.store.reviews.drop_buffer(self.owner, item.clip_id)
        self.store.leases.release(self.lease_run, self.owner, [item.clip_id])
        return review

    def undo(self) -> Review | None:
        """Withdraw this reviewer's last decision still in force; its clip returns to the queue."""
        r = self.store.reviews.last_undoable(self.run, self.reviewer)
        if r is None:
            return None
        return self.store.reviews.add(
            Review(
                clip_id=r.clip_id,
                run=self.run,
                reviewer=self.reviewer,
                decision=Decision.UNDO,
                undoes=r.id,
                purpose=r.purpose,  # undoing a gold check moves no clip either
            )
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


def active_hours(times: list[datetime]) -> float:
    """Hours spent reviewing: gaps longer than 10 minutes count as breaks, not work."""
    if len(times) < 2:
        return len(times) * (1 / 60)  # one decision: count a minute
    ts = sorted(times)
    total = sum(min((b - a).total_seconds(), 600) for a, b in itertools.pairwise(ts))
    return max(total, 60) / 3600
