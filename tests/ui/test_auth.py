"""Who may use the page: the sign-in gate through AppTest, and `recap review`'s refusal to
serve beyond loopback without sign-in. The real browser against a real OpenID provider is in
test_signin_e2e.py."""

from __future__ import annotations

import html
import stat
import time
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from agent.errors import ConfigError
from agent.review import add_user, remove_user
from agent.settings import Settings
from agent.store import Store
from recap.main import app as cli
from tests.ui.conftest import button
from ui.commands import is_loopback, plan_auth, write_secrets

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")
COOKIE_SECRET = "Qm3rV8kZ1xT5yW7pL0sD2fG4hJ6nB9cE-aU_oIqHtRe"  # 32 random bytes, base64url
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": COOKIE_SECRET,
    "client_id": "recap",
    "client_secret": "s" * 16,
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
SECRET_ENV = {
    "RECAP_AUTH_SERVER_METADATA_URL": AUTH["server_metadata_url"],
    "RECAP_AUTH_CLIENT_ID": "recap",
    "RECAP_AUTH_CLIENT_SECRET": "client-secret-value-123",
    "RECAP_AUTH_COOKIE_SECRET": "cookie-secret-value-456-" + COOKIE_SECRET,
}


def signed_in(email: str, **claims: object) -> dict[str, object]:
    """What Streamlit's st.user holds after a sign-in: the ID token's claims (the address the
    provider verified, issued now) and is_logged_in."""
    return {
        "is_logged_in": True,
        "email": email,
        "email_verified": True,
        "iat": time.time(),
    } | claims


@pytest.fixture
def team_db(review_db: str) -> str:
    store = Store(review_db)
    add_user(store, "ann@example.com", "reviewer")
    add_user(store, "lee@example.com", "lead")
    store.close()
    return review_db


@pytest.fixture
def page(team_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("RECAP_DB", team_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    return at


def shown(at: AppTest) -> str:
    """Everything the page wrote, as one string, as a reader sees it (Markdown's character
    references turned back into characters, and the invisible word joiners that keep addresses
    from being linked dropped: the page writes data as text, ui/markup.py)."""
    parts = [e.value for kind in (at.markdown, at.title, at.info, at.error, at.text) for e in kind]
    return "\n".join(html.unescape(str(p)).replace("\u2060", "") for p in parts)


def test_signed_out_sees_a_sign_in_button_and_no_clip(page: AppTest) -> None:
    page.user = {"is_logged_in": False}
    page.run()
    assert not page.exception
    assert [b.label for b in page.button] == ["Sign in"]
    assert "c1" not in shown(page) and not page.text_area


def test_a_signed_in_stranger_is_refused(page: AppTest) -> None:
    page.user = signed_in("stranger@example.com")
    page.run()
    assert "stranger@example.com is not a recap user." in shown(page)
    assert "c1" not in shown(page) and not page.text_area
    assert [b.label for b in page.button] == ["Sign out"]


def test_an_unverified_address_is_refused(page: AppTest) -> None:
    page.user = signed_in("ann@example.com", email_verified=False)
    page.run()
    assert "has not verified" in shown(page) and not page.text_area


def test_a_reviewer_reviews_under_their_account_and_cannot_open_the_team_page(
    page: AppTest, team_db: str
) -> None:
    page.user = signed_in("Ann@Example.com")
    page.query_params["reviewer"] = "someone-else"  # a typed name does not count
    page.run()
    assert "c1" in page.markdown[0].value
    button(page, "accept").click().run()
    assert [(r.clip_id, r.reviewer) for r in Store(team_db).reviews.all()] == [
        ("c1", "ann@example.com")
    ]
    page.switch_page("pages/team.py").run()
    assert "This page is for leads and admins." in shown(page)
    assert not page.dataframe


def test_a_lead_sees_the_team_page(page: AppTest, team_db: str) -> None:
    page.user = signed_in("ann@example.com")
    page.run()
    button(page, "accept").click().run()
    page.user = signed_in("lee@example.com")
    page.switch_page("pages/team.py").run()
    assert not page.exception
    rows = page.dataframe[0].value
    assert list(rows["reviewer"]) == ["ann@example.com"] and list(rows["clips"]) == [1]


def test_a_removed_reviewer_is_refused_on_the_next_request(page: AppTest, team_db: str) -> None:
    page.user = signed_in("ann@example.com")
    page.run()
    assert "c1" in page.markdown[0].value
    remove_user(Store(team_db), "ann@example.com")
    button(page, "next").click().run()
    assert "ann@example.com is not a recap user." in shown(page)
    assert not page.text_area and not Store(team_db).reviews.all()


def test_a_decision_pressed_after_removal_is_refused_not_recorded(
    page: AppTest, team_db: str
) -> None:
    """Buttons only note what was pressed; the page acts on it after the sign-in gate, so the
    press that follows a removal records nothing."""
    page.user = signed_in("ann@example.com")
    page.run()
    remove_user(Store(team_db), "ann@example.com")
    button(page, "accept").click().run()
    assert "ann@example.com is not a recap user." in shown(page)
    assert Store(team_db).reviews.all() == []


def test_the_page_itself_refuses_beyond_loopback_without_sign_in(
    review_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit import config

    monkeypatch.setenv("RECAP_DB", review_db)
    config.set_option("server.address", "0.0.0.0")  # `streamlit run` by hand, bound widely
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "sign-in is not configured" in shown(at) and not at.text_area
    monkeypatch.setenv("RECAP_REVIEW_NO_AUTH", "1")  # what `recap review --no-auth` sets
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.run()
    assert "c1" in at.markdown[0].value
    assert any("without sign-in" in w.value for w in at.sidebar.warning)


# --- recap review ----------------------------------------------------------------------------
def test_review_refuses_a_public_address_without_sign_in_and_names_what_to_set(
    review_db: str,
) -> None:
    r = CliRunner().invoke(cli, ["review", "--db", review_db, "--host", "0.0.0.0"])
    assert r.exit_code == 2
    assert "Refusing to serve the review page on 0.0.0.0 without sign-in" in r.output
    for name in (
        "RECAP_AUTH_SERVER_METADATA_URL",
        "RECAP_AUTH_CLIENT_ID",
        "RECAP_AUTH_CLIENT_SECRET",
        "RECAP_AUTH_COOKIE_SECRET",
        "RECAP_AUTH_REDIRECT_URI",
        ".streamlit/secrets.toml",
        "--no-auth",
    ):
        assert name in r.output, name
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("", False),
        ("10.1.2.3", False),
        ("review.example.com", False),
    ],
)
def test_what_counts_as_loopback(host: str, local: bool) -> None:
    assert is_loopback(host) is local


def test_how_the_page_is_guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    none: list[Path] = []
    assert plan_auth(Settings(), host="127.0.0.1", port=1, no_auth=False, secrets_files=none) == (
        None,
        "local",
    )
    assert plan_auth(Settings(), host="0.0.0.0", port=1, no_auth=True, secrets_files=none) == (
        None,
        "open",
    )
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in AUTH.items()))
    _, mode = plan_auth(Settings(), host="0.0.0.0", port=1, no_auth=False, secrets_files=[secrets])
    assert mode == "secrets"
    secrets.write_text('[auth]\nclient_id = "x"\n')
    with pytest.raises(ConfigError, match="lacks redirect_uri, cookie_secret"):
        plan_auth(Settings(), host="0.0.0.0", port=1, no_auth=False, secrets_files=[secrets])
    for k, v in SECRET_ENV.items():
        monkeypatch.setenv(k, v)
    section, mode = plan_auth(
        Settings(), host="127.0.0.1", port=8600, no_auth=False, secrets_files=none
    )
    assert mode == "settings"
    assert section["redirect_uri"] == "http://127.0.0.1:8600/oauth2callback"
    with pytest.raises(ConfigError, match="RECAP_AUTH_REDIRECT_URI not set"):
        plan_auth(Settings(), host="0.0.0.0", port=8600, no_auth=False, secrets_files=none)
    monkeypatch.delenv("RECAP_AUTH_COOKIE_SECRET")
    with pytest.raises(ConfigError, match="half configured: RECAP_AUTH_COOKIE_SECRET"):
        plan_auth(Settings(), host="127.0.0.1", port=1, no_auth=False, secrets_files=none)


def test_secrets_reach_only_a_private_file_never_the_printed_or_recorded_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for k, v in SECRET_ENV.items():
        monkeypatch.setenv(k, v)
    settings = Settings()
    section = settings.auth_section("http://127.0.0.1:1/oauth2callback")
    path = write_secrets(section)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert tomllib.loads(path.read_text())["auth"] == section
    finally:
        path.unlink()
        path.parent.rmdir()
    recorded = str(settings.public())
    printed = CliRunner().invoke(cli, ["settings"]).output
    for secret in ("client-secret-value-123", "cookie-secret-value-456"):
        assert secret not in recorded and secret not in printed
        assert secret not in repr(settings)


def test_review_refuses_a_weak_cookie_secret_before_serving(
    review_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import commands

    launched: list[list[str]] = []
    monkeypatch.setattr(commands, "run_page_server", lambda cmd, env, **_: launched.append(cmd))
    for k, v in SECRET_ENV.items():
        monkeypatch.setenv(k, v)
    add_user(Store(review_db), "ann@example.com", "reviewer")
    monkeypatch.setenv("RECAP_AUTH_COOKIE_SECRET", "x")
    r = CliRunner().invoke(cli, ["review", "--db", review_db])
    assert r.exit_code != 0 and "RECAP_AUTH_COOKIE_SECRET is 1 bytes long" in r.output
    assert "secrets.token_urlsafe(32)" in r.output and "Traceback" not in r.output
    assert launched == []
