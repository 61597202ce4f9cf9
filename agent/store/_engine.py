"""The one database engine a `Store` opens, and the base its repositories share.

Every repository gets the same session factory: callers never hold a session across awaits,
and every write is one short transaction, so a process killed mid-job leaves whole rows or
none.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent.errors import RecapError
from agent.redact import redact_url, register_secret, url_password
from agent.settings import Settings


def database_url(db: str | os.PathLike[str] | None = None) -> str:
    """A path or SQLAlchemy URL; None means the `db` setting (RECAP_DB, default ./recap.db)."""
    value = str(db) if db is not None else Settings().db
    if "://" not in value:
        value = f"sqlite:///{Path(value).expanduser()}"
    return value


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def open_engine(url: str) -> tuple[Engine, sessionmaker[Session]]:
    """The engine for `url` (SQLite in WAL mode, or any SQLAlchemy URL) and its sessions. The
    URL's password is registered as a secret first, so no error message can carry it."""
    register_secret(url_password(url))
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except Exception as e:
        raise RecapError(
            f"Cannot open database {redact_url(url)}: {e}",
            hint="Pass --db PATH for SQLite or a SQLAlchemy URL such as "
            "postgresql+psycopg://user@host/db",
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine, sessionmaker(engine, expire_on_commit=False)


class Repository:
    """One concept's reads and writes (clips, runs, leases, reviews, ...): each method is its
    query, in its own short session, returning typed rows."""

    def __init__(self, session: sessionmaker[Session]) -> None:
        self.session = session
