"""The page's door: who is here, and may they see this page. Every page calls `gate` first.

Decided on every request (a rerun), so a removed account is refused on its next click:
- sign-in configured (an `[auth]` section in Streamlit's secrets, which `recap review` writes
  from RECAP_AUTH_*): a person signs in with the identity provider (`st.login`) and must be an
  active recap user (`recap users`) with the role the page needs, with an address the provider
  verified, within the session lifetime (RECAP_AUTH_SESSION_HOURS; `authorize_sign_in`);
- no sign-in, served on loopback: one person at this machine, as before sign-in existed;
- no sign-in, served beyond loopback: refused, unless `recap review --no-auth` started it.
"""

from __future__ import annotations

import getpass
from typing import NoReturn

import streamlit as st

from agent.review import AccessDenied, Person, authorize_sign_in
from agent.settings import Settings
from agent.store import Store
from agent.untrusted import visible
from ui.commands import is_loopback
from ui.markup import md

CLAIMS = ("email", "email_verified", "iat")  # what a sign-in is judged on


def auth_configured() -> bool:
    """Whether Streamlit has an `[auth]` section to sign people in with."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises instead of answering False
        return False


def refuse(message: str, hint: str | None = None, *, signed_in: bool = False) -> NoReturn:
    """Show only why, and how to get in; nothing of the page is drawn."""
    st.title("recap review")
    st.error(md(message))  # an address from the provider is text, never Markdown
    if hint:
        st.text(visible(hint))  # plain text
    if signed_in:
        st.button("Sign out", on_click=st.logout, key="auth-sign-out")
    st.stop()


def gate(store: Store, settings: Settings, *, need: str = "reviewer") -> Person:
    """The person using the page, or stop the script with the sign-in button or a refusal."""
    if auth_configured():
        return _signed_in(store, need, settings.auth_session_hours * 3600)
    if settings.review_no_auth:
        st.sidebar.warning("Served without sign-in (--no-auth): anyone on the network can use it.")
        return Person(reviewer=st.query_params.get("reviewer", ""), role="admin", signed_in=False)
    if not is_loopback(st.get_option("server.address")):
        refuse(
            "This page is reachable beyond this machine and sign-in is not configured.",
            "Start it with `recap review`, which says what to set, or bind it to 127.0.0.1.",
        )
    name = settings.reviewer or getpass.getuser()
    if "reviewer" not in st.query_params:  # the sidebar's name box starts with it
        st.query_params["reviewer"] = name
    return Person(reviewer=name, role="admin", signed_in=False)


def _signed_in(store: Store, need: str, lifetime_s: float) -> Person:
    if not st.user.get("is_logged_in", False):
        st.title("recap review")
        st.info("Sign in to review.")
        st.button("Sign in", on_click=st.login, type="primary", key="auth-sign-in")
        st.stop()
    claims = {k: st.user.get(k) for k in CLAIMS}
    try:
        person = authorize_sign_in(store, claims, need, lifetime_s=lifetime_s)
    except AccessDenied as e:
        refuse(e.message, e.hint, signed_in=True)
    st.query_params["reviewer"] = person.reviewer  # what the sidebar shows; decisions use it
    st.sidebar.text(f"Signed in as {visible(person.reviewer)} ({person.role})")
    st.sidebar.button("Sign out", on_click=st.logout, key="auth-sign-out")
    return person
