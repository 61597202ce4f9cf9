"""The review queue and its decisions: everything the review page does, without the page.

One clip at a time from the clips with a draft and no decision in force. The clip on screen is
leased to the reviewer's browser, so two reviewers never work on the same clip. Every decision
is an append-only row (undo appends too), with the seconds spent, the final caption, its word
edit distance from the draft and which findings the reviewer agreed with.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.errors import RecapError
from agent.schema import Draft
from agent.store import FINAL_DECISIONS, Clip, DraftRecord, Review, Store
from agent.textdiff import edit_rate, word_edit_distance

DECISIONS = ("accepted", "edited", "rejected", "flagged", "skipped")
STATUSES = ("pending", *DECISIONS)


@dataclass
class QueueItem:
    """The clip on a reviewer's screen: the clip, its caption, its stored draft and status."""

    clip: Clip
    caption: str
    record: DraftRecord
    status: str
    shown_at: float = field(default_factory=time.monotonic)

    @property
    def clip_id(self) -> str:
        return self.clip.id

    @property
    def draft(self) -> Draft:
        return self.record.draft


class ReviewSession:
    """One reviewer in one browser, on one run."""

    def __init__(
        self, store: Store, reviewer: str, run: str, *, browser: str = "cli", lease_s: float = 900.0
    ) -> None:
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

    # --- queue --------------------------------------------------------------------------------
    def statuses(self) -> dict[str, str]:
        """Status of every drafted clip of the run: pending or the decision in force."""
        latest = self.store.latest_reviews()
        return {
            d.clip_id: (latest[d.clip_id].decision if d.clip_id in latest else "pending")
            for d in self.store.drafts(self.run)
        }

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for s in self.statuses().values():
            out[s] = out.get(s, 0) + 1
        return out

    def next_item(self, status: str = "pending", after: str | None = None) -> QueueItem | None:
        """Lease and return the next clip with this status (the one already held comes first)."""
        if status not in STATUSES:
            raise RecapError(f"Unknown status {status!r}.", hint="One of: " + ", ".join(STATUSES))
        statuses = self.statuses()
        candidates = sorted(c for c, s in statuses.items() if s == status)
        if after is not None:
            candidates = [c for c in candidates if c > after] + [
                c for c in candidates if c <= after
            ]
        if after is not None:  # moving on: let go of the current clip, then look past it
            self.store.release(self.lease_run, self.owner, [after])
        held = set() if after is not None else self._held()
        for clip_id in sorted(candidates, key=lambda c: c not in held):
            if self.store.claim(self.lease_run, [clip_id], self.owner, self.lease_s):
                for other in held - {clip_id}:
                    self.store.release(self.lease_run, self.owner, [other])
                return self.item(clip_id, statuses[clip_id])
        return None

    def _held(self) -> set[str]:
        return self.store.held(self.lease_run, self.owner)

    def item(self, clip_id: str, status: str | None = None) -> QueueItem:
        clip = self.store.clip(clip_id)
        record = self.store.draft_for(self.run, clip_id)
        caption = self.store.caption(clip_id)
        if clip is None or record is None or caption is None:
            raise RecapError(f"Clip {clip_id!r} has no draft in run {self.run!r}.")
        return QueueItem(clip, caption, record, status or self.statuses().get(clip_id, "pending"))

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
        """Record a decision. accepted keeps the draft's rewrite; edited and rejected need text."""
        if decision not in DECISIONS:
            raise RecapError(f"Unknown decision {decision!r}.")
        rewrite = item.draft.rewrite
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
        if agreed is None and decision == "accepted":
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
            )
        )
        self.store.drop_buffer(self.owner, item.clip_id)
        self.store.release(self.lease_run, self.owner, [item.clip_id])
        return review

    def undo(self) -> Review | None:
        """Withdraw this reviewer's last decision still in force; its clip returns to the queue."""
        mine = [
            r for r in self.store.reviews() if r.reviewer == self.reviewer and r.run == self.run
        ]
        undone = {r.undoes for r in mine if r.decision == "undo"}
        for r in reversed(mine):
            if r.decision != "undo" and r.id not in undone:
                return self.store.add_review(
                    Review(
                        clip_id=r.clip_id,
                        run=self.run,
                        reviewer=self.reviewer,
                        decision="undo",
                        undoes=r.id,
                    )
                )
        return None

    # --- unsaved text -------------------------------------------------------------------------
    def save_buffer(self, clip_id: str, text: str) -> None:
        self.store.save_buffer(self.owner, clip_id, text)

    def buffer(self, clip_id: str) -> str | None:
        return self.store.buffer(self.owner, clip_id)

    # --- progress -----------------------------------------------------------------------------
    def progress(self) -> dict[str, Any]:
        """Reviewed/total, clips per hour, accept-as-is rate, mean edit rate, agreement by type."""
        latest = self.store.latest_reviews()
        drafts = {d.clip_id: d for d in self.store.drafts(self.run)}
        final = [r for c, r in latest.items() if c in drafts and r.decision in FINAL_DECISIONS]
        mine = [r for r in final if r.reviewer == self.reviewer]
        hours = _active_hours([r.created_at for r in mine])
        agree: dict[str, list[int]] = {}
        for r in final:
            draft = drafts[r.clip_id].draft
            for kind, findings in (
                ("hallucinations", draft.hallucinations),
                ("omissions", draft.omissions),
            ):
                marks = (r.agreed or {}).get(kind, {})
                for i, f in enumerate(findings):
                    a = agree.setdefault(f.type.value, [0, 0])
                    a[0] += bool(marks.get(str(i), False))
                    a[1] += 1
        rates = [r.edit_rate for r in final if r.edit_rate is not None]
        return {
            "reviewed": len(final),
            "total": len(drafts),
            "by_status": self.counts(),
            "my_reviewed": len(mine),
            "clips_per_hour": len(mine) / hours if hours else None,
            "accept_rate": (sum(r.decision == "accepted" for r in final) / len(final))
            if final
            else None,
            "mean_edit_rate": sum(rates) / len(rates) if rates else None,
            "agreement_by_type": {t: a / n for t, (a, n) in sorted(agree.items()) if n},
            "mean_seconds": (sum(r.seconds or 0 for r in mine) / len(mine)) if mine else None,
        }


def _active_hours(times: list[datetime]) -> float:
    """Hours spent reviewing: gaps longer than 10 minutes count as breaks, not work."""
    if len(times) < 2:
        return len(times) * (1 / 60)  # one decision: count a minute
    ts = sorted(times)
    total = sum(min((b - a).total_seconds(), 600) for a, b in itertools.pairwise(ts))
    return max(total, 60) / 3600
