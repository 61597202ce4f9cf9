"""The users repository: the accounts of the review page (an e-mail address and a role). What
an account may do is decided in `agent.review._users`; this only keeps the rows."""

from __future__ import annotations

from sqlalchemy import select

from agent.store._engine import Repository
from agent.store._tables import User


class Users(Repository):
    """Accounts, revoked ones included (removing revokes, it never deletes)."""

    def get(self, email: str) -> User | None:
        """The account with this (already normalised) e-mail, revoked or not."""
        with self.session() as s:
            return s.get(User, email)

    def all(self) -> list[User]:
        """Every account, by e-mail."""
        with self.session() as s:
            return list(s.scalars(select(User).order_by(User.email)))

    def save(self, user: User) -> User:
        with self.session.begin() as s:
            s.merge(user)
        return user
