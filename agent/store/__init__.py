"""The store: clips, runs, drafts, errors, reviews, leases and the response cache.

SQLite (`./recap.db`, WAL) by default, PostgreSQL for teams: the same code, chosen by `--db` or
`RECAP_DB` (a path or any SQLAlchemy URL). The package is split by concept: `_tables` (the ORM
classes), `_migrations` (frozen, named schema steps), `_leases` (who works on which clip),
`_queue` (the review queue and its running tallies) and `_store` (the `Store` facade everything
else calls).
"""

from agent.store._leases import owner_alive, worker_id
from agent.store._migrations import MIGRATIONS
from agent.store._queue import same_outcome
from agent.store._store import FINAL_DECISIONS, Store, database_url
from agent.store._tables import (
    Base,
    BatchJob,
    CacheEntry,
    Caption,
    Clip,
    DraftRecord,
    DraftResponse,
    EditBuffer,
    ErrorRecord,
    GoldClip,
    Lease,
    MigrationRecord,
    Review,
    ReviewState,
    ReviewTally,
    Run,
    User,
    as_utc,
    now,
)

__all__ = [
    "FINAL_DECISIONS",
    "MIGRATIONS",
    "Base",
    "BatchJob",
    "CacheEntry",
    "Caption",
    "Clip",
    "DraftRecord",
    "DraftResponse",
    "EditBuffer",
    "ErrorRecord",
    "GoldClip",
    "Lease",
    "MigrationRecord",
    "Review",
    "ReviewState",
    "ReviewTally",
    "Run",
    "Store",
    "User",
    "as_utc",
    "database_url",
    "now",
    "owner_alive",
    "same_outcome",
    "worker_id",
]
