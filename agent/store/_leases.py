"""Leases: a clip claimed by one owner (a drafting process, a reviewer's browser) until it is
done or the lease expires, so no two owners work on the same clip."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import timedelta

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

    def claim(self, run: str, clip_ids: Sequence[str], owner: str, ttl_s: float) -> list[str]:
        """Lease clips to `owner`; the ones it got. A clip leased to a live owner is skipped;
        an expired lease, or one whose owner process on this host is gone, is taken over."""
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
                stale = as_utc(held.expires_at) < now() or not owner_alive(held.owner)
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
        """Drop `owner`'s leases in `run`: all of them, or these clips'."""
        with self.session.begin() as s:
            release(s, run, owner, clip_ids)

    def held(self, run: str, owner: str) -> list[str]:
        """Clips `owner` holds unexpired leases on, in clip order."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(Lease.clip_id)
                    .where(Lease.run == run, Lease.owner == owner, Lease.expires_at > now())
                    .order_by(Lease.clip_id)
                )
            )
