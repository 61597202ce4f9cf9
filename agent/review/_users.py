"""Who may use the review page, and as what: accounts and roles, kept in recap's database.

An account is an e-mail address and one role. Addresses are compared in one normal form,
Unicode NFKC with case folding (so "Ann@Example.com", "ａｎｎ@example.com" and "ann@example.com"
are one account), the form `recap users add` stores; an account written by an older release
(trimmed and lower-cased only) is still found under it. Nothing a person signs in with is
stored: the identity provider (OpenID Connect) proves who someone is, and only a sign-in whose
address the provider says it verified, made within the session lifetime, counts; recap only
decides what that person may do. Removing an account revokes it: the row stays, so past
decisions keep naming a known account, and adding the address again restores it.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.errors import RecapError
from agent.store import Store, User, now

# Each role may do everything the roles before it may: reviewers review; leads also see the
# team pages; admins also manage runs and users.
ROLES = ("reviewer", "lead", "admin")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccessDenied(RecapError):
    """A person who may not do what they asked: unknown, revoked, or without the role."""


def fold(email: str) -> str:
    """An address in its one comparable form: trimmed, NFKC-normalised and case-folded (NFKC
    again after folding, which can undo it: Unicode's NFKC_Casefold, as near as Python has)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email.strip()).casefold())


def normalize_email(email: str) -> str:
    """The form an address is kept and looked up in (`fold`), checked to be an address."""
    value = fold(email)
    if len(value) > 320 or not _EMAIL.match(value):
        raise RecapError(
            f"{email!r} is not an e-mail address.",
            hint="Accounts are the e-mail addresses people sign in with, e.g. ann@example.com.",
        )
    return value


def check_role(role: str) -> str:
    value = role.strip().lower()
    if value not in ROLES:
        raise RecapError(f"Unknown role {role!r}.", hint="One of: " + ", ".join(ROLES) + ".")
    return value


def allows(role: str, need: str) -> bool:
    """Whether `role` may do what `need` may (admin ⊇ lead ⊇ reviewer)."""
    return ROLES.index(check_role(role)) >= ROLES.index(check_role(need))


def add_user(store: Store, email: str, role: str, *, by: str | None = None) -> tuple[User, str]:
    """Add an account, change its role, or restore a revoked one.

    Returns the account and what happened: 'added', 'updated', 'restored' or 'unchanged'.
    """
    address, role = normalize_email(email), check_role(role)
    user = find_user(store, address)
    if user is None:
        return store.users.save(User(email=address, role=role, added_by=by)), "added"
    if user.active and user.role == role:
        return user, "unchanged"
    what = "updated" if user.active else "restored"
    user.role, user.revoked_at, user.updated_at = role, None, now()
    return store.users.save(user), what


def remove_user(store: Store, email: str) -> User:
    """Revoke an account: from the next request on, its holder is refused."""
    address = normalize_email(email)
    user = find_user(store, address)
    if user is None or not user.active:
        raise RecapError(
            f"{address} is not an active recap user.",
            hint="`recap users list` shows the accounts there are.",
        )
    user.revoked_at = user.updated_at = now()
    return store.users.save(user)


def find_user(store: Store, address: str) -> User | None:
    """The account for a normalised address: one key lookup; only when that misses, the
    accounts an older release kept in another form (lower-cased, not folded: "straße@..." for
    what is now "strasse@...") are folded and compared. Accounts are a team's, a few rows."""
    user = store.users.get(address)
    if user is not None:
        return user
    return next((u for u in store.users.all() if fold(u.email) == address), None)


def list_users(store: Store, *, revoked: bool = False) -> list[User]:
    """Active accounts, by e-mail; with `revoked`, the revoked ones too."""
    return [u for u in store.users.all() if revoked or u.active]


@dataclass(frozen=True)
class Person:
    """Who is using the page: the name decisions are recorded under, and their role."""

    reviewer: str
    role: str
    signed_in: bool


def authorize(store: Store, email: str | None, need: str = "reviewer") -> Person:
    """The signed-in person with this address, if their account is active and has the role.

    One primary-key lookup, so the page can afford it on every request: a revoked account is
    refused on its next click, not when its cookie expires.
    """
    if not email:
        raise AccessDenied(
            "The identity provider did not say which e-mail address you signed in with.",
            hint="recap needs the `email` claim: ask for the `email` scope at the provider.",
        )
    try:
        address = normalize_email(email)
    except RecapError:
        raise AccessDenied(f"{email!r} is not an e-mail address recap knows.") from None
    user = find_user(store, address)
    if user is None or not user.active:
        raise AccessDenied(
            f"{address} is not a recap user.",
            hint=f"An admin can add you: recap users add {address} --role reviewer",
        )
    if not allows(user.role, need):
        raise AccessDenied(
            f"This page is for {need}s" + (" and admins." if need != "admin" else "."),
            hint=f"{address} is a {user.role}.",
        )
    return Person(reviewer=user.email, role=user.role, signed_in=True)


UNVERIFIED = "The identity provider has not verified this e-mail address."
EXPIRED = "Your sign-in has expired."


def authorize_sign_in(
    store: Store,
    claims: Mapping[str, Any],
    need: str = "reviewer",
    *,
    lifetime_s: float,
    now: float | None = None,
) -> Person:
    """The person a sign-in's identity claims (OpenID Connect: `email`, `email_verified`, `iat`)
    stand for, if they may do what `need` may. Checked on every request, by the page and by the
    media route alike.

    The address counts only when the provider says it verified it (`email_verified` exactly
    true: absent, "false", 0 or "true" are all refused), and the sign-in only for `lifetime_s`
    seconds from when the provider issued the token (`iat`), whatever the cookie's own age.
    """
    email = claims.get("email")
    if not email:
        return authorize(store, None, need)  # refused: says which claim is missing
    if claims.get("email_verified") is not True:
        raise AccessDenied(UNVERIFIED)
    issued = claims.get("iat")
    age = (time.time() if now is None else now) - issued if _is_time(issued) else None
    if age is None or age > lifetime_s or age < -300:  # 5 minutes of clock skew
        raise AccessDenied(EXPIRED, hint="Sign out, then sign in again.")
    return authorize(store, str(email), need)


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value
