"""The guard in front of the page's server (ui/serve.py), driven over ASGI in front of a stand-in
for Streamlit that answers every request it is handed: which requests reach the page, and which
headers every answer carries. The real server, with a real sign-in cookie, is in
test_signin_e2e.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from ui import serve

REACHED: list[str] = []


async def page(scope, receive, send) -> None:
    """Stands for Streamlit: answers 200 and notes the path."""
    REACHED.append(scope["path"])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"page"})


def policy(**given: object) -> serve.Policy:
    base = dict(
        hosts=serve.allowed_hosts("127.0.0.1", None, None),
        sign_in=False,
        single_user=True,
        origin=None,
        lifetime_s=3600.0,
        db=None,
    )
    return serve.Policy(**(base | given))


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    REACHED.clear()
    monkeypatch.setattr(serve, "_base_path", lambda: "")
    yield


def get(rules: serve.Policy, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        serve._policy = rules
        try:
            transport = httpx.ASGITransport(app=serve.Guard(page))
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                return await client.get(path, headers=headers)
        finally:
            serve._policy = None

    return asyncio.run(go())


def test_only_the_bound_address_and_named_hosts_are_answered(rules) -> None:
    loop = policy()
    for host in ("127.0.0.1:8501", "localhost:8501", "[::1]:8501", "LOCALHOST."):
        assert get(loop, "/", host=host).status_code == 200, host
    for host in ("rebind.attacker.test:8501", "127.0.0.1.nip.io", "", "a b", "127.0.0.1:x"):
        r = get(loop, "/", host=host)
        assert r.status_code == 421 and "host name" in r.text, host
    named = policy(hosts=serve.allowed_hosts("0.0.0.0", "https://r.example/oauth2callback", "x.y"))
    assert named.hosts == {"r.example", "x.y"}
    assert get(named, "/", host="x.y").status_code == 200
    assert get(named, "/", host="10.0.0.5:8501").status_code == 421
    assert serve.allowed_hosts("0.0.0.0", None, None) is None  # --no-auth on every interface
    assert REACHED == ["/"] * 5


def test_every_answer_forbids_framing(rules) -> None:
    for r in (get(policy(), "/", host="127.0.0.1"), get(policy(), "/", host="evil.test")):
        assert r.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert r.headers["x-frame-options"] == "DENY"


def test_single_user_mode_is_not_served_through_a_proxy(rules) -> None:
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"):
        r = get(policy(), "/", host="127.0.0.1", **{header: "203.0.113.9"})
        assert r.status_code == 403 and "proxy" in r.text, header
    signed = policy(single_user=False, sign_in=True)
    assert get(signed, "/", host="127.0.0.1", **{"X-Forwarded-For": "1.2.3.4"}).status_code == 200


def test_metrics_are_not_served(rules) -> None:
    assert get(policy(), "/_stcore/metrics", host="127.0.0.1").status_code == 404
    assert REACHED == []


def test_media_needs_a_signed_in_session_when_sign_in_is_on(rules, monkeypatch) -> None:
    signed = policy(single_user=False, sign_in=True)
    monkeypatch.setattr(serve, "media_allowed", lambda cookies, rules: cookies.get("k") == "ok")
    assert get(signed, "/media/abc.mp4", host="127.0.0.1").status_code == 403
    assert get(signed, "/media/abc.mp4", host="127.0.0.1", cookie="k=ok").status_code == 200
    assert get(policy(), "/media/abc.mp4", host="127.0.0.1").status_code == 200  # one person

    def down(cookies, rules):
        raise OSError("database unreachable")

    monkeypatch.setattr(serve, "media_allowed", down)
    assert get(signed, "/media/abc.mp4", host="127.0.0.1").status_code == 503
    assert REACHED == ["/media/abc.mp4"] * 2
