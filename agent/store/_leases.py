"""Leases: a clip claimed by one owner (a drafting process, a reviewer's browser) until it is
done or the lease expires, so no two owners work on the same clip."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.store._engine import Repository
from agent.store._tables import Lease, as_utc, now


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """A lease owner on this host whose process is gone can be taken over at once."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine, or a browser: trust the expiry time
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release(s: Session, run: str, owner: str, clip_ids: Sequence[str] | None = None) -> None:
    """Drop `owner`'s leases in `run` (all, or these clips), inside the caller's transaction
    (a draft is written in the same one as its lease is dropped)."""
    q = delete(Lease).where(Lease.run == run, Lease.owner == owner)
    if clip_ids is not None:
        q = q.where(Lease.clip_id.in_(list(clip_ids)))
    s.execute(q)


class Leases(Repository):
    """Who works on which clip: drafting processes (keyed by run) and reviewers' browsers
    (keyed by `review:<run>`)."""

    def claim(
        self,
        run: str,
        clip_ids: Sequence[str],
        owner: str,
        ttl_s: float,
        *,
        tab: str | None = None,
        purpose: str | None = None,
    ) -> list[str]:
        """Lease clips to `owner`; the ones it got. A clip leased to a live owner is skipped;
        an expired lease, or one whose owner process on this host is gone, is taken over; the
        owner's own lease is renewed. `tab` and `purpose` (a reviewer's browser: which of its
        tabs holds the clip, and why it is on screen) are written with it; a purpose of None
        keeps the one the lease had."""
        got: list[str] = []
        expires = now() + timedelta(seconds=ttl_s)
        for clip_id in clip_ids:
            with self.session() as s:
                try:
                    s.add(
                        Lease(
                            run=run,
                            clip_id=clip_id,
                            owner=owner,
                            expires_at=expires,
                            tab=tab,
                            purpose=purpose,
                        )
                    )
                    s.commit()
                    got.append(clip_id)
                    continue
                except IntegrityError:
                    s.rollback()
                held = s.get(Lease, (run, clip_id))
                if held is None:
                    continue
                stale = as_utc(held.expires_at) < now() or not owner_alive(held.owner)
                if stale or held.owner == owner:
                    values: dict[str, Any] = {"owner": owner, "expires_at": expires, "tab": tab}
                    if purpose is not None or held.owner != owner:
                        values["purpose"] = purpose
                    res = s.execute(
                        update(Lease)
                        .where(
                            Lease.run == run,
                            Lease.clip_id == clip_id,
                            Lease.owner == held.owner,
                            Lease.expires_at == held.expires_at,
                        )
                        .values(**values)
                    )
                    s.commit()
                    if res.rowcount == 1:  # type: ignore[attr-defined]
                        got.append(clip_id)
        return got

    def renew(self, run: str, clip_id: str, owner: str, tab: str | None, ttl_s: float) -> bool:
        """Extend `owner`'s unexpired lease on a clip, held by `tab`, by `ttl_s` from now (a
        reviewer's heartbeat); False when the lease is gone, expired or held by another tab."""
        with self.session.begin() as s:
            res = s.execute(
                update(Lease)
                .where(
                    Lease.run == run,
                    Lease.clip_id == clip_id,
                    Lease.owner == owner,
                    Lease.expires_at > now(),
                    Lease.tab.is_(None) if tab is None else Lease.tab == tab,
                )
                .values(expires_at=now() + timedelta(seconds=ttl_s))
            )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def release(self, run: str, owner: str, clip_ids: Sequence[str] | None = None) -> None:
        """Drop `owner`'s leases in `run`: all of them, or these clips'."""
        with self.session.begin() as s:
            release(s, run, owner, clip_ids)

    def held(self, run: str, owner: str) -> list[str]:
        """Clips `owner` holds unexpired leases on, in clip order."""
        return [lease.clip_id for lease in self.holding(run, owner)]

    def holding(self, run: str, owner: str) -> list[Lease]:
        """`owner`'s unexpired leases in `run` (with their tab and purpose), in clip order."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(Lease)
                    .where(Lease.run == run, Lease.owner == owner, Lease.expires_at > now())
                    .order_by(Lease.clip_id)
                )
            )

    def get(self, run: str, clip_id: str) -> Lease | None:
        """The lease on a clip, expired or not, or None."""
        with self.session() as s:
            return s.get(Lease, (run, clip_id))
