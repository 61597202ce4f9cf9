"""The endpoints repository: which structured-output mode works at an endpoint for a model.

`RECAP_MODE=auto` finds the mode on the first request to an endpoint and model and keeps it
here with when it was found, so later requests, and later processes, use it directly. It
implements the drafting client's `ModeMemory`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agent.store._engine import Repository
from agent.store._tables import EndpointMode, now


class Endpoints(Repository):
    """Structured-output modes by (endpoint, model)."""

    def recall(self, endpoint: str, model: str) -> str | None:
        """The mode found for this endpoint and model, or None when none is known."""
        with self.session() as s:
            row = s.get(EndpointMode, (endpoint, model))
            return row.mode if row else None

    def remember(self, endpoint: str, model: str, mode: str) -> None:
        """Keep the mode found now (replacing what was known)."""
        for _ in range(2):  # another process may insert the same key in between
            with self.session() as s:
                row = s.get(EndpointMode, (endpoint, model))
                if row is None:
                    s.add(EndpointMode(endpoint=endpoint, model=model, mode=mode, found_at=now()))
                else:
                    row.mode, row.found_at = mode, now()
                try:
                    s.commit()
                    return
                except IntegrityError:
                    s.rollback()

    def forget(self, endpoint: str, model: str) -> None:
        """Drop what is known (the mode stopped working: the server was restarted otherwise)."""
        with self.session.begin() as s:
            row = s.get(EndpointMode, (endpoint, model))
            if row is not None:
                s.delete(row)

    def all(self) -> list[EndpointMode]:
        """Every endpoint and model with its mode, most recently found first."""
        with self.session() as s:
            return list(s.scalars(select(EndpointMode).order_by(EndpointMode.found_at.desc())))
