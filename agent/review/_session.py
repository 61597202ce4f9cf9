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

from agent.errors import RecapError
from agent.review._textdiff import edit_rate, word_edit_distance
from agent.schema import Draft
from agent.store import FINAL_DECISIONS, Clip, DraftRecord, Review, Store, as_utc

DECISIONS = ("accepted", "edited", "rejected", "flagged", "skipped")
STATUSES = ("pending", *DECISIONS)
# states a clip can be in besides its decision: decided once and waiting for a second reviewer
# (double review), two decisions that differ (a lead settles), sent back by a lead
TEAM_STATES = ("awaiting_second", "disputed", "sent_back")
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
    status: str
    arm: str = "draft"
    shown_at: float = field(default_factory=time.monotonic)
    # queue, gold (a gold check: never shown as such) or double (one of two blind reviews)
    purpose: str = "queue"
    feedback: str | None = None  # a lead's comment when the clip was sent back to this reviewer

    @property
    def control(self) -> bool:
        return self.arm == "control"

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
        if store.run(run) is None:
            known = ", ".join(r.name for r in store.runs()) or "none yet"
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
    def statuses(self, clip_ids: list[str]) -> dict[str, str]:
        """Status of these clips in the run: pending or the decision in force."""
        return self.store.review_statuses(self.run, clip_ids)

    def counts(self) -> dict[str, int]:
        """Clips per status, from the run's running tallies (pending: the drafts left over)."""
        tallies = self.store.review_tallies(self.run)
        out = dict.fromkeys(STATUSES, 0)
        for s in (*DECISIONS, *TEAM_STATES):
            n = tallies.get(f"status:{s}", (0, 0.0))[0]
            if n or s in DECISIONS:
                out[s] = n
        gold = self.store.gold_pool(self.run) if self.gold_rate > 0 else 0
        out["pending"] = max(self.store.count_drafts(self.run) - gold - sum(out.values()), 0)
        return out

    def next_item(self, status: str = "pending", after: str | None = None) -> QueueItem | None:
        """Lease and return the next clip with this status: the one this browser already holds
        first, else the first free one after `after` in clip order (wrapping round).

        Every step is an indexed query over a few rows, whatever the size of the run."""
        if status not in STATUSES:
            raise RecapError(f"Unknown status {status!r}.", hint="One of: " + ", ".join(STATUSES))
        if after is not None:  # moving on: let go of the current clip, then look past it
            self.store.release(self.lease_run, self.owner, [after])
            held: list[str] = []
        else:
            held = self.store.held_in_order(self.lease_run, self.owner)
            states = self.statuses(held) if held else {}
            held = [c for c in held if self._matches(states.get(c, "pending"), status)]
        passes = [(None, None)] if after is None else [(after, None), (None, after)]
        for clip_id in held:
            if self.take(clip_id):
                return self.item(clip_id, status)
        if status == "pending":
            # a clip a lead sent back comes first; then a gold check when one is due
            for clip_id in self.store.clips_with_status(self.run, "sent_back", self.reviewer, 4):
                if self.take(clip_id):
                    return self.item(clip_id)
            if self.gold_rate > 0:
                gold, done = self.store.gold_counts(self.run, self.reviewer)
                if gold_due(self.run, self.reviewer, done, gold, self.gold_rate):
                    for clip_id in self.store.gold_candidates(self.run, self.reviewer, 2):
                        if clip_id != after:  # "Next" on a gold check moves on from it
                            return self.item(clip_id, "pending")
        for start, upto in passes:
            cursor = start
            while True:
                found = self.store.review_candidates(
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

    def _matches(self, state: str, wanted: str) -> bool:
        """Whether a clip in `state` belongs in this reviewer's `wanted` list (a clip awaiting a
        second reviewer is pending for everyone but the first)."""
        if wanted == "pending" and state in ("awaiting_second", "sent_back"):
            return True
        return state == wanted

    def take(self, clip_id: str) -> bool:
        """Lease this clip to this browser and let go of any other it held."""
        if not self.store.claim(self.lease_run, [clip_id], self.owner, self.lease_s):
            return False
        others = [c for c in self.store.held_in_order(self.lease_run, self.owner) if c != clip_id]
        if others:
            self.store.release(self.lease_run, self.owner, others)
        return True

    def item(self, clip_id: str, status: str | None = None) -> QueueItem:
        """The one clip on screen, loaded in full (clip, caption, draft, status, purpose).

        The status shown never gives away a gold check or another reviewer's first decision:
        both read as pending."""
        clip = self.store.clip(clip_id)
        record = self.store.draft_for(self.run, clip_id)
        caption = self.store.caption(clip_id)
        if clip is None or record is None or caption is None:
            raise RecapError(f"Clip {clip_id!r} has no draft in run {self.run!r}.")
        gold = self.gold_rate > 0 and bool((clip.gold or {}).get("caption"))
        purpose = (
            "gold" if gold else "double" if in_overlap(self.run, clip_id, self.overlap) else "queue"
        )
        feedback = None
        if gold:
            shown_status = status or "pending"
        else:
            behind = self.store.state_review(self.run, clip_id)
            raw = status or self.store.review_status(self.run, clip_id)
            shown_status = raw
            if raw in ("awaiting_second", "disputed") and (
                behind is None or behind.reviewer != self.reviewer
            ):
                shown_status = "pending"  # blind: the other reviewer's decision stays hidden
            if raw == "sent_back" and behind is not None:
                feedback = behind.comment
        # gold checks and double reviews show the draft: they measure how it is judged
        control = purpose == "queue" and in_control_arm(self.run, clip_id, self.control_share)
        return QueueItem(
            clip,
            caption,
            record,
            shown_status,
            "control" if control else "draft",
            purpose=purpose,
            feedback=feedback,
        )

    # --- decisions ----------------------------------------------------------------------------
    def decide(
        self,
        item: QueueItem,
        decision: str,
        final_caption: str | None = None,
        *,
        agreed: dict[str, dict[str, bool]] | None = None,
        seconds: float | None = None,
    ) -> Review:
        """Record a decision. accepted keeps the text shown (the draft's rewrite, or in the
        control arm the caption); edited and rejected need text. Edits are measured from what
        was shown, and the arm is kept with the decision."""
        if decision not in DECISIONS:
            raise RecapError(f"Unknown decision {decision!r}.")
        rewrite = item.shown
        if decision == "accepted":
            final_caption = rewrite
        if decision in ("edited", "rejected"):
            if not final_caption or not final_caption.strip():
                raise RecapError("Write the caption before saving: it is empty.")
            final_caption = final_caption.strip()
        if decision == "edited" and final_caption == rewrite:
            raise RecapError(
                "Nothing was edited: press A to accept the draft as it is, or "
                "change the text first (Tab or Ctrl+Enter applies it)."
            )
        n = len(item.draft.hallucinations)
        m = len(item.draft.omissions)
        if item.control:
            agreed = None  # no findings were shown
        elif agreed is None and decision == "accepted":
            agreed = {
                "hallucinations": {str(i): True for i in range(n)},
                "omissions": {str(i): True for i in range(m)},
            }
        dist = word_edit_distance(rewrite, final_caption) if final_caption else None
        review = self.store.add_review(
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
        self.store.drop_buffer(self.owner, item.clip_id)
        self.store.release(self.lease_run, self.owner, [item.clip_id])
        return review

    def undo(self) -> Review | None:
        """Withdraw this reviewer's last decision still in force; its clip returns to the queue."""
        r = self.store.last_undoable(self.run, self.reviewer)
        if r is None:
            return None
        return self.store.add_review(
            Review(
                clip_id=r.clip_id,
                run=self.run,
                reviewer=self.reviewer,
                decision="undo",
                undoes=r.id,
                purpose=r.purpose,  # undoing a gold check moves no clip either
            )
        )

    # --- unsaved text -------------------------------------------------------------------------
    def save_buffer(self, clip_id: str, text: str) -> None:
        self.store.save_buffer(self.owner, clip_id, text)

    def buffer(self, clip_id: str) -> str | None:
        return self.store.buffer(self.owner, clip_id)

    # --- progress -----------------------------------------------------------------------------
    def progress(self) -> dict[str, Any]:
        """Reviewed/total, clips per hour, accept-as-is rate, mean edit rate, agreement by type.

        Run-wide figures come from the tallies each decision keeps; this reviewer's from their
        own decisions in force (an indexed range), never from the whole reviews table."""
        tallies = self.store.review_tallies(self.run)
        counts = self.counts()
        reviewed = sum(counts[s] for s in FINAL_DECISIONS)
        mine = self.store.decided_by(self.run, self.reviewer)
        hours = active_hours([as_utc(t) for t, _ in mine])
        rates_n, rates_sum = tallies.get("edit_rate", (0, 0.0))
        agreement = {
            name.removeprefix("agree:"): total / n
            for name, (n, total) in sorted(tallies.items())
            if name.startswith("agree:") and n
        }
        return {
            "reviewed": reviewed,
            "total": sum(counts.values()),
            "by_status": counts,
            "my_reviewed": len(mine),
            "clips_per_hour": len(mine) / hours if hours else None,
            "accept_rate": counts["accepted"] / reviewed if reviewed else None,
            "mean_edit_rate": rates_sum / rates_n if rates_n else None,
            "agreement_by_type": agreement,
            "mean_seconds": (sum(sec or 0 for _, sec in mine) / len(mine)) if mine else None,
        }


def active_hours(times: list[datetime]) -> float:
    """Hours spent reviewing: gaps longer than 10 minutes count as breaks, not work."""
    if len(times) < 2:
        return len(times) * (1 / 60)  # one decision: count a minute
    ts = sorted(times)
    total = sum(min((b - a).total_seconds(), 600) for a, b in itertools.pairwise(ts))
    return max(total, 60) / 3600
