"""The store: clips, runs, drafts, errors, reviews, leases and the response cache.

SQLite (`./recap.db`, WAL) by default, PostgreSQL for teams: the same code, chosen by `--db` or
`RECAP_DB` (a path or any SQLAlchemy URL). `Store(db)` opens one engine and hands out small
repositories over it, one per concept, each returning typed rows: `store.clips` (`_clips`),
`store.sets` (clip sets, what a run's selection covers, a run's figures per set: `_sets`),
`store.runs` (runs, drafts, errors, the response cache: `_runs`), `store.leases` (`_leases`),
`store.reviews` (the review queue in SQL: `_queue`), `store.users` (`_accounts`),
`store.batches` (`_batches`), `store.endpoints` (`_endpoints`) and `store.routing`
(confidences, policies, auto-acceptances: `_routing`). Beside them: `_tables`
(the ORM classes), `_migrations` (frozen, named schema steps) and `_engine` (the engine and the
repositories' base).
"""

from agent.store._engine import database_url
from agent.store._leases import owner_alive, worker_id
from agent.store._migrations import MIGRATIONS
from agent.store._queue import Guard, OnScreen, ScoreSheet
from agent.store._routing import Audited, as_policy, rule_of, run_identity
from agent.store._runs import LATEST, RunTotals
from agent.store._sets import SetFigures, SetSize
from agent.store._store import Store
from agent.store._tables import (
    AutoAcceptance,
    Base,
    BatchJob,
    CacheEntry,
    Caption,
    Clip,
    ClipSet,
    ClipSetMember,
    DraftRecord,
    DraftResponse,
    DraftSample,
    EditBuffer,
    EndpointMode,
    ErrorRecord,
    GoldClip,
    Lease,
    MigrationRecord,
    Review,
    ReviewState,
    ReviewTally,
    RoutingLabel,
    RoutingPolicy,
    RubricScore,
    Run,
    RunClip,
    User,
    as_utc,
    now,
)

__all__ = [
    "LATEST",
    "MIGRATIONS",
    "Audited",
    "AutoAcceptance",
    "Base",
    "BatchJob",
    "CacheEntry",
    "Caption",
    "Clip",
    "ClipSet",
    "ClipSetMember",
    "DraftRecord",
    "DraftResponse",
    "DraftSample",
    "EditBuffer",
    "EndpointMode",
    "ErrorRecord",
    "GoldClip",
    "Guard",
    "Lease",
    "MigrationRecord",
    "OnScreen",
    "Review",
    "ReviewState",
    "ReviewTally",
    "RoutingLabel",
    "RoutingPolicy",
    "RubricScore",
    "Run",
    "RunClip",
    "RunTotals",
    "ScoreSheet",
    "SetFigures",
    "SetSize",
    "Store",
    "User",
    "as_policy",
    "as_utc",
    "database_url",
    "now",
    "owner_alive",
    "rule_of",
    "run_identity",
    "worker_id",
]
