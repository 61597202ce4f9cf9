"""The `Store`: one database engine and the repositories over it, the one way in to recap's
data (`Store(db)` in commands, pages and tests alike).

Each repository is one concept and each of its methods is its query, returning typed rows:
`store.clips` (clips and captions), `store.runs` (runs, drafts, errors, the response cache),
`store.leases` (who works on which clip), `store.reviews` (decisions, clip states, tallies,
the gold pool, edit buffers), `store.users` (the review page's accounts) and `store.batches`
(OpenAI Batch API jobs). Opening a store applies any pending migration.
"""

from __future__ import annotations

import os

from sqlalchemy.exc import OperationalError

from agent.errors import RecapError
from agent.redact import redact_url
from agent.store import _migrations
from agent.store._accounts import Users
from agent.store._batches import Batches
from agent.store._clips import Clips
from agent.store._engine import database_url, open_engine
from agent.store._leases import Leases
from agent.store._queue import Reviews
from agent.store._runs import Runs


class Store:
    """recap's database: its engine, its migrations and its repositories."""

    def __init__(self, db: str | os.PathLike[str] | None = None, *, migrate: bool = True) -> None:
        self.url = database_url(db)
        self.engine, self.session = open_engine(self.url)
        self.clips = Clips(self.session)
        self.leases = Leases(self.session)
        self.runs = Runs(self.session, self.leases)
        self.reviews = Reviews(self.session)
        self.users = Users(self.session)
        self.batches = Batches(self.session)
        if migrate:
            self.migrate()

    @property
    def display_url(self) -> str:
        """The URL as it may be printed: its password and query-string secrets masked."""
        return redact_url(self.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def applied_migrations(self) -> list[str]:
        return _migrations.applied(self.engine)

    def migrate(self, upto: str | None = None) -> list[str]:
        """Apply pending migrations in order (up to and including `upto`); return their names."""
        try:
            return _migrations.migrate(self.engine, upto)
        except OperationalError as e:
            raise RecapError(
                f"Cannot open database {redact_url(self.url)}: {e.orig}",
                hint="Check the path or URL, and that the server is running.",
            ) from None
