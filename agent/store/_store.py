"""The `Store`: one database engine and the repositories over it, the one way in to recap's
data (`Store(db)` in commands, pages and tests alike).

Each repository is one concept and each of its methods is its query, returning typed rows:
`store.clips` (clips and captions), `store.sets` (clip sets and what a run's selection covers),
`store.runs` (runs, drafts, errors, the response cache),
`store.leases` (who works on which clip), `store.reviews` (decisions, clip states, tallies,
the gold pool, edit buffers), `store.users` (the review page's accounts), `store.batches`
(OpenAI Batch API jobs), `store.endpoints` (the structured-output mode that works per
endpoint and model) and `store.routing` (draft confidences, auto-acceptance policies and the
clips they accepted). Opening a store applies any pending migration.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from agent.errors import RecapError
from agent.redact import redact_url
from agent.store import _migrations
from agent.store._accounts import Users
from agent.store._batches import Batches
from agent.store._clips import Clips
from agent.store._endpoints import Endpoints
from agent.store._engine import database_url, open_engine
from agent.store._leases import Leases
from agent.store._queue import Reviews
from agent.store._routing import Routing
from agent.store._runs import Runs
from agent.store._sets import ClipSets


class Store:
    """recap's database: its engine, its migrations and its repositories."""

    def __init__(
        self,
        db: str | os.PathLike[str] | None = None,
        *,
        migrate: bool = True,
        create: bool = True,
    ) -> None:
        """`create=False` is for commands that only read: a SQLite file that does not exist is
        an error naming it, never a new empty database left behind."""
        self.url = database_url(db)
        if not create:
            _require_existing(self.url)
        self.engine, self.session = open_engine(self.url)
        self.clips = Clips(self.session)
        self.sets = ClipSets(self.session)
        self.leases = Leases(self.session)
        self.runs = Runs(self.session, self.leases)
        self.reviews = Reviews(self.session)
        self.users = Users(self.session)
        self.batches = Batches(self.session)
        self.endpoints = Endpoints(self.session)
        self.routing = Routing(self.session)
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


def _require_existing(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist (a server database is the server's to
    refuse)."""
    try:
        parsed = make_url(url)
    except Exception:
        return  # open_engine names what is wrong with the URL
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if parsed.query.get("uri") or path.startswith("file:"):
        return
    if not Path(path).expanduser().exists():
        raise RecapError(
            f"No database at {Path(path).expanduser().resolve()}: nothing to read.",
            hint="Pass --db PATH (or export RECAP_DB=PATH) for the database you mean; "
            "`recap ingest MANIFEST` creates one, and `recap demo` prints the commands that "
            "look at its own.",
        )
