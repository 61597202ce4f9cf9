"""The review page's server: Streamlit's own (`st.App` over ui/review.py), with recap's guard in
front of every request and a plain error page behind every script.

`recap review` runs it as `python -m streamlit run ui/serve.py [streamlit options]` (Streamlit
finds `app` below and serves it with uvicorn). What it adds to Streamlit:
- **Host check** (DNS rebinding): a request, HTTP or WebSocket, naming a host other than the
  bound address (and, on loopback, `localhost`), the sign-in redirect URI's host or an
  `--allowed-host` is refused. Bound to every interface without sign-in (`--no-auth`), no name
  is known and any is accepted.
- **No framing**: every response carries `Content-Security-Policy: frame-ancestors 'none'` and
  `X-Frame-Options: DENY`, so no other site can put the page in a frame and click for a
  reviewer.
- **Media behind sign-in**: with sign-in on, `/media/...` (the clip, its frames, the team CSV)
  is served only to a request carrying a valid sign-in cookie whose account is active, whose
  address was verified and whose sign-in is within the session lifetime: the same
  `authorize_sign_in` the page runs, not just knowledge of the URL.
- **Single-user mode stays single-user**: without sign-in on loopback, a request that came
  through a proxy (`Forwarded`, `X-Forwarded-For`, `X-Forwarded-Host`, `X-Real-IP`) is refused.
- **No metrics**: `/_stcore/metrics` answers 404.
- **Friendly errors**: an exception in a page (the database down, say) shows a short message;
  the traceback goes only to the server's log (`client.showErrorDetails` is also `none`).
- **Warm start**: the page's modules are imported and the guideline in force is loaded before
  the server answers, so the first reviewer does not wait for them (about 1 s on a 2-core
  machine).
- A cookie secret too weak to keep cookies unforgeable stops the server at start.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import streamlit as st
from starlette.middleware import Middleware

PAGE = Path(__file__).resolve().parent / "review.py"
PAGE_MODULES = (
    "agent.media._frames",
    "agent.media._playable",
    "agent.review._session",
    "agent.store",
    "agent.review._textdiff",
)
FRAMING_HEADERS = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
PROXY_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-forwarded-host", b"x-real-ip")
WILDCARD = {"", "0.0.0.0", "::", "[::]"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def warm() -> None:
    """Import what the page imports, and load the guideline in force and build its linter
    once (a file that cannot be used loads the built-in, as the page then does)."""
    for name in (*PAGE_MODULES, "ui.auth", "ui.guideline_panel"):
        importlib.import_module(name)
    from agent.settings import Settings
    from ui.guideline_panel import page_guideline

    page_guideline(Settings()).guidelines.lint("The robot grasps the cube.")


def host_name(header: str | None) -> str | None:
    """The host name a Host header names (lower case, no port, no trailing dot), or None when
    it is missing or malformed."""
    if not header:
        return None
    try:
        parsed = urlparse(f"//{header}")
        _ = parsed.port  # a port that is not a number is malformed
    except ValueError:
        return None
    if parsed.hostname is None or parsed.username is not None or parsed.path:
        return None
    return parsed.hostname.lower().rstrip(".")


def allowed_hosts(bound: str, redirect_uri: str | None, extra: str | None) -> frozenset[str] | None:
    """The host names the page answers to, or None for any (bound to every interface with no
    name known: `--no-auth` without `--allowed-host`)."""
    from ui.commands import is_loopback

    names = {n.strip().lower().rstrip(".") for n in (extra or "").split(",") if n.strip()}
    if redirect_uri and urlparse(redirect_uri).hostname:
        names.add(str(urlparse(redirect_uri).hostname).lower())
    bound = (bound or "").strip()
    if is_loopback(bound):
        names |= {bound.strip("[]").lower(), "localhost", "127.0.0.1", "::1"}
    elif bound not in WILDCARD:
        names.add(bound.strip("[]").lower())
    elif not names:
        return None
    return frozenset(names)


@dataclass(frozen=True)
class Policy:
    """What the guard enforces, decided once the server's settings and secrets are loaded."""

    hosts: frozenset[str] | None
    sign_in: bool
    single_user: bool
    origin: str | None  # where sign-in cookies are issued for (the redirect URI's origin)
    lifetime_s: float
    db: str | None

    @classmethod
    def current(cls) -> Policy:
        from streamlit import config

        from agent.settings import Settings
        from ui.auth import auth_configured
        from ui.commands import is_loopback

        settings = Settings()
        bound = config.get_option("server.address") or ""
        auth = st.secrets.get("auth") if auth_configured() else None
        redirect = str(auth.get("redirect_uri")) if auth and auth.get("redirect_uri") else None
        origin = None
        if redirect:
            parts = urlparse(redirect)
            origin = f"{parts.scheme}://{parts.netloc}"
        return cls(
            hosts=allowed_hosts(bound, redirect, settings.allowed_hosts),
            sign_in=auth is not None,
            single_user=auth is None and not settings.review_no_auth and is_loopback(bound),
            origin=origin,
            lifetime_s=settings.auth_session_hours * 3600,
            db=settings.db,
        )


_policy: Policy | None = None


def policy() -> Policy:
    global _policy
    if _policy is None:
        _policy = Policy.current()
    return _policy


@cache
def _store(db: str | None) -> Any:
    from agent.store import Store

    return Store(db)


def signed_in_claims(cookies: dict[str, str], origin: str | None) -> dict[str, Any] | None:
    """The identity claims in Streamlit's sign-in cookie, checked as Streamlit checks it (its
    signature, its age, the origin it was issued for), or None."""
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

    secret = get_cookie_secret()

    def one(name: str) -> bytes | None:
        value = cookies.get(name)
        return None if value is None else decode_signed_value(secret, name, value.encode("latin-1"))

    raw = get_cookie_with_chunks(one, USER_COOKIE_NAME)
    if not raw:
        return None
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("is_logged_in") is not True:
        return None
    if origin is not None and payload.get("origin") != origin:
        return None
    return payload


def media_allowed(cookies: dict[str, str], rules: Policy) -> bool:
    """Whether a media request comes from a signed-in person the page itself would serve."""
    from agent.review import AccessDenied, authorize_sign_in

    claims = signed_in_claims(cookies, rules.origin)
    if claims is None:
        return False
    try:
        authorize_sign_in(_store(rules.db), claims, "reviewer", lifetime_s=rules.lifetime_s)
    except AccessDenied:
        return False
    return True


class Guard:
    """ASGI middleware in front of Streamlit: the checks in this module's docstring."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rules = policy()
        headers = dict(scope.get("headers") or [])
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        if rules.hosts is not None and host not in rules.hosts:
            await refuse(scope, send, 421, "This page does not answer to that host name.")
            return
        if rules.single_user and any(h in headers for h in PROXY_HEADERS):
            await refuse(
                scope,
                send,
                403,
                "This page runs without sign-in for the person at this machine; it is not "
                "served through a proxy. Configure sign-in (see `recap review --help`).",
            )
            return
        path = scope.get("path", "")
        base = "/" + (_base_path() + "/" if _base_path() else "")
        if path.rstrip("/") == f"{base}_stcore/metrics":
            await refuse(scope, send, 404, "Not found.")
            return
        if rules.sign_in and path.startswith(f"{base}media/"):
            from anyio import to_thread
            from starlette.requests import HTTPConnection

            cookies = HTTPConnection(scope).cookies
            try:
                allowed = await to_thread.run_sync(media_allowed, cookies, rules)
            except Exception:  # the database unreachable, say: refuse rather than serve
                await refuse(scope, send, 503, "Try again in a moment.")
                return
            if not allowed:
                await refuse(scope, send, 403, "Sign in to see this.")
                return

        async def framed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *FRAMING_HEADERS]
            await send(message)

        await self.app(scope, receive, framed)


def _base_path() -> str:
    from streamlit import config

    return (config.get_option("server.baseUrlPath") or "").strip("/")


async def refuse(scope: Scope, send: Send, status: int, text: str) -> None:
    """Answer with a short plain-text refusal (an HTTP response, or a closed WebSocket)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *FRAMING_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def friendly_error(exc: Exception) -> bool:
    """Streamlit's `on_script_error`: instead of the traceback (install paths, SQL, a database
    host), a short message; Streamlit has already written the traceback to the log."""
    from sqlalchemy.exc import SQLAlchemyError

    from agent.errors import RecapError

    database = isinstance(exc, SQLAlchemyError) or (
        isinstance(exc, RecapError) and "database" in exc.message.lower()
    )
    if database:
        st.error(
            "recap cannot reach its database right now. Try again in a minute; if this "
            "persists, tell whoever runs `recap review` (the details are in its log)."
        )
    else:
        st.error(
            "Something went wrong on the server. Try again; if this persists, tell whoever "
            "runs `recap review` (the details are in its log)."
        )
    return True  # nothing more in the browser


def check_secrets() -> None:
    """Refuse to serve with a cookie secret anyone could guess (ui.commands checks it too, but
    the page can be started by hand)."""
    from agent.errors import ConfigError
    from agent.settings import check_cookie_secret
    from ui.auth import auth_configured

    if not auth_configured():
        return
    try:
        check_cookie_secret(str(st.secrets["auth"].get("cookie_secret") or ""), "cookie_secret")
    except ConfigError as e:
        print(f"Error: {e.message}\n{e.hint}", file=sys.stderr)
        raise SystemExit(2) from None


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Before the server answers: check the secrets, decide the policy, load the modules."""
    check_secrets()
    policy()
    warm()
    yield


app = st.App(
    str(PAGE),
    middleware=[Middleware(Guard)],
    lifespan=lifespan,
    on_script_error=friendly_error,
)
