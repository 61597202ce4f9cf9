"""Sign-in end to end: `recap review` with RECAP_AUTH_* set, a mock OpenID Connect provider
(oidc-provider-mock) on 127.0.0.1, and Debian's headless Chromium driven by Playwright.

Signed out sees no clip; a stranger is refused; a reviewer reviews under their account and
cannot open the team page; a lead can; a removed reviewer is refused on the next request.
Skipped with the reason when Chromium, Playwright or oidc-provider-mock is missing, except
under RECAP_REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

from agent.review import add_user, remove_user
from agent.store import Store
from tests.ui.patience import SAFETY_MS, SAFETY_S, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(os.environ.get("RECAP_SCREENSHOTS", "/tmp"))


def _require() -> None:
    missing = []
    if CHROMIUM is None:
        missing.append("Chromium (apt-get install chromium)")
    for module, what in (
        ("playwright", "Playwright (pip install playwright)"),
        ("oidc_provider_mock", "oidc-provider-mock (pip install oidc-provider-mock)"),
        ("authlib", "Authlib (pip install Authlib)"),
    ):
        try:
            __import__(module)
        except ImportError:
            missing.append(what)
    if missing:
        if os.environ.get("RECAP_REQUIRE_BROWSER") == "1":
            pytest.fail("missing " + ", ".join(missing))
        pytest.skip("missing " + ", ".join(missing))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, what: str) -> None:
    """Until the server answers `url` (or exits); the bound is only a safety net."""
    deadline = time.monotonic() + SAFETY_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {proc.stdout.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{what} did not start in {SAFETY_S:.0f} s")


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    """In a session of its own, so stopping it stops what it started (recap -> streamlit)."""
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# People the mock provider knows, with the claims it puts in their ID token: an address it
# verified (as real providers say, `email_verified: true`), and one it did not.
def shown(text: str) -> re.Pattern[str]:
    """`text` as the page shows it: an address carries an invisible word joiner after its `@`
    (ui/markup.py), so that Markdown does not make it a mailto link."""
    return re.compile(re.escape(text).replace("@", "@\u2060?"))


VERIFIED = ("ann@example.com", "lee@example.com", "stranger@example.com")
UNVERIFIED = "unverified@example.com"
COOKIE_SECRET = "tC4n0Xb7Qe2Wm9Lk5Rz1Vy8Hd3Jf6Gs0Pq-Ua_Nw7Ei"  # 32 random bytes, base64url


def provider_users() -> list[str]:
    args = []
    for email in VERIFIED:
        args += [
            "--user-claims",
            json.dumps({"sub": email, "email": email, "email_verified": True}),
        ]
    args += ["--user-claims", json.dumps({"sub": UNVERIFIED, "email": UNVERIFIED})]
    return args


@pytest.fixture
def provider() -> Iterator[str]:
    _require()
    port = free_port()
    cmd = [sys.executable, "-m", "oidc_provider_mock", "-p", str(port), *provider_users()]
    proc = start(cmd, dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{url}/.well-known/openid-configuration", proc, "oidc-provider-mock")
        yield url
    finally:
        stop(proc)


@pytest.fixture
def signed_in_page(review_db: str, provider: str, tmp_path: Path) -> Iterator[str]:
    """`recap review` on 127.0.0.1 with sign-in configured through recap's settings."""
    store = Store(review_db)
    add_user(store, "ann@example.com", "reviewer")
    add_user(store, "lee@example.com", "lead")
    store.close()
    port = free_port()
    env = dict(
        os.environ,
        RECAP_CACHE_DIR=str(tmp_path / "cache"),
        RECAP_AUTH_SERVER_METADATA_URL=f"{provider}/.well-known/openid-configuration",
        RECAP_AUTH_CLIENT_ID="recap-test",
        RECAP_AUTH_CLIENT_SECRET="test-client-secret",
        RECAP_AUTH_COOKIE_SECRET=COOKIE_SECRET,
        # the checkout under test, not whatever `agent` the environment has installed
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    cmd = [sys.executable, "-m", "recap", "review", "--db", review_db, "--run", "r1"]
    proc = start([*cmd, "--port", str(port), "--host", "127.0.0.1"], env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{url}/_stcore/health", proc, "recap review")
        yield url
    finally:
        stop(proc)


def sign_in(page, url: str, email: str) -> None:
    """Click Sign in, give the mock provider an address, and come back signed in."""
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.locator('input[name="sub"]').fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(re.compile(re.escape(url) + r"/?(\?.*)?$"))


@pytest.mark.slow
def test_sign_in_roles_and_removal_in_a_real_browser(signed_in_page: str, review_db: str) -> None:
    from playwright.sync_api import sync_playwright

    url = signed_in_page
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )

        def person():
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(SAFETY_MS)
            return context.new_page()

        # signed out: a sign-in button, no clip
        out = person()
        out.goto(url)
        out.get_by_role("button", name="Sign in").wait_for()
        assert "c1" not in out.locator("body").inner_text()
        assert out.locator("textarea").count() == 0

        # signed in, but not a recap user: refused
        stranger = person()
        sign_in(stranger, url, "stranger@example.com")
        stranger.get_by_text(shown("stranger@example.com is not a recap user.")).wait_for()
        assert stranger.locator("h3").count() == 0 and stranger.locator("textarea").count() == 0

        # a reviewer reviews under their account, and cannot open the team page
        ann = person()
        sign_in(ann, url, "ann@example.com")
        ann.locator("h3", has_text="c1").wait_for()
        ann.get_by_text(shown("Signed in as ann@example.com (reviewer)")).wait_for()
        ann.screenshot(path=str(SHOTS / "recap-signed-in.png"), full_page=True)
        ann.get_by_role("button", name="Accept").first.click()
        wait_for(lambda: [(r.clip_id, r.reviewer) for r in Store(review_db).reviews.all()])
        assert [(r.clip_id, r.reviewer) for r in Store(review_db).reviews.all()] == [
            ("c1", "ann@example.com")
        ]
        team = person()
        team.context.add_cookies(ann.context.cookies())  # ann's session, on the lead page
        team.goto(f"{url}/team")
        team.get_by_text("This page is for leads and admins.").wait_for()
        assert team.locator("[data-testid=stDataFrame]").count() == 0

        # a lead sees the team page with ann's decision on it
        lee = person()
        sign_in(lee, url, "lee@example.com")
        lee.goto(f"{url}/team")
        lee.get_by_role("heading", name="Team", exact=True).wait_for()
        lee.locator("[data-testid=stDataFrame]").first.wait_for()
        lee.get_by_text("What the figures mean").wait_for()
        lee.screenshot(path=str(SHOTS / "recap-team-page.png"), full_page=True)

        # the clip's video: served to ann's session, not to a browser without one (issue 21)
        src = urljoin(url + "/", ann.locator("video").first.get_attribute("src") or "")
        assert "/media/" in src, src
        assert ann.context.request.get(src).status == 200
        assert out.context.request.get(src).status == 403
        assert stranger.context.request.get(src).status == 403

        # an address the provider did not verify is refused
        unverified = person()
        sign_in(unverified, url, UNVERIFIED)
        unverified.get_by_text("The identity provider has not verified").wait_for()
        assert unverified.locator("textarea").count() == 0

        # ann is removed: refused on her next request
        ann.locator("h3").first.wait_for()
        remove_user(Store(review_db), "ann@example.com")
        ann.get_by_role("button", name="Next").click()
        ann.get_by_text(shown("ann@example.com is not a recap user.")).wait_for()
        assert ann.locator("textarea").count() == 0
        ann_media_after_removal = ann.context.request.get(src).status
        browser.close()
    assert (SHOTS / "recap-signed-in.png").stat().st_size > 10_000
    assert ann_media_after_removal == 403


def answer(url: str, **headers: str) -> tuple[int, dict[str, str]]:
    """The status and headers (names lower-cased) of a plain request, with `headers` sent."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


@pytest.mark.slow
def test_the_signed_in_server_answers_only_its_host_and_forbids_framing(
    signed_in_page: str,
) -> None:
    url = signed_in_page
    status, headers = answer(url + "/")
    assert status == 200
    assert headers["content-security-policy"] == "frame-ancestors 'none'"
    assert headers["x-frame-options"] == "DENY"
    port = url.rsplit(":", 1)[1]
    assert answer(url + "/", Host=f"localhost:{port}")[0] == 200
    assert answer(url + "/", Host=f"rebind.attacker.test:{port}")[0] == 421
    assert answer(url + "/_stcore/health", Host="rebind.attacker.test")[0] == 421
    assert answer(url + "/_stcore/metrics")[0] == 404
    assert answer(url + "/media/0123456789abcdef.mp4")[0] == 403
