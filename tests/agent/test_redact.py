"""Secrets kept out of what recap prints and keeps: key-shaped strings, registered values, and
every URL through one redactor built on SQLAlchemy's URL parser."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.errors import RecapError
from agent.redact import REDACTED, redact, redact_url, register_secret


def test_patterns_and_registered_values_are_scrubbed() -> None:
    assert redact("key sk-proj-abcdefgh123456 refused") == f"key {REDACTED} refused"
    assert redact("Authorization: Bearer abc.def-123456789") == f"Authorization: Bearer {REDACTED}"
    register_secret("plainsecretvalue42")
    assert "plainsecretvalue42" not in redact("token=plainsecretvalue42")


def test_errors_never_carry_a_key() -> None:
    e = RecapError(
        "Incorrect API key provided: sk-live-ABCDEFGHIJKLMN", hint="api_key=sk-live-ABCDEFGHIJKLMN"
    )
    assert "ABCDEFGHIJ" not in str(e)


# --- one URL redactor (issue 21 item 4) --------------------------------------------------------
URLS = [  # (url, as printed, what must never show)
    (
        "postgresql+psycopg://ann:pa/ss@db:5432/recap",
        "postgresql+psycopg://ann:***@db:5432/recap",
        "pa/ss",
    ),
    ("postgresql://ann:two words@db/recap", "postgresql://ann:***@db/recap", "two words"),
    ("postgresql://:only-a-password@db/recap", "postgresql://:***@db/recap", "only-a-password"),
    ("postgresql://ann:p@ss@db/recap", "postgresql://ann:***@db/recap", "ss@db"),
    ("postgresql://ann:p%40ss@db/recap", "postgresql://ann:***@db/recap", "p%40ss"),
    (
        "postgresql://ann@db/recap?password=hunter22&sslmode=require",
        "postgresql://ann@db/recap?password=***&sslmode=require",
        "hunter22",
    ),
    (
        "postgresql://ann@db/recap?sslpassword=keyphrase9",
        "postgresql://ann@db/recap?sslpassword=***",
        "keyphrase9",
    ),
    (
        "https://u:tok3n-value@llm.example/v1?api-key=azure-key-77",
        "https://u:***@llm.example/v1?api-key=***",
        "azure-key-77",
    ),
    (
        "https://llm.example/v1?access_token=tok-88",
        "https://llm.example/v1?access_token=***",
        "tok-88",
    ),
]


@pytest.mark.parametrize(("url", "printed", "secret"), URLS)
def test_a_url_is_printed_with_every_secret_masked(url: str, printed: str, secret: str) -> None:
    assert redact_url(url) == printed
    assert secret not in redact_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////tmp/recap.db",
        "sqlite:///recap.db",
        "http://localhost:8000/v1",
        "postgresql://ann@db/recap",
    ],
)
def test_a_url_with_nothing_to_mask_is_printed_as_it_is(url: str) -> None:
    assert redact_url(url) == url


def test_the_database_password_is_scrubbed_from_any_message_once_the_url_is_opened() -> None:
    from agent.store import Store

    store = Store("postgresql+psycopg://ann:s3cret/with space@127.0.0.1:1/recap", migrate=False)
    assert store.display_url == "postgresql+psycopg://ann:***@127.0.0.1:1/recap"
    assert "s3cret/with space" not in redact("FATAL: s3cret/with space was refused")


@pytest.mark.parametrize("db", [u for u, _, _ in URLS[:6]])
def test_commands_that_print_the_database_url_mask_it(db: str, monkeypatch, tmp_path) -> None:
    """`recap settings` prints the URL; `recap runs` and `recap ingest` name it when they
    cannot open it: none of them shows the password (on 127.0.0.1:1 nothing listens)."""
    from recap.main import app

    secret = next(s for u, _, s in URLS if u == db)
    local = db.replace("@db/", "@127.0.0.1:1/").replace("@db:5432/", "@127.0.0.1:1/")
    monkeypatch.setenv("RECAP_DB", local)
    runner = CliRunner()
    shown = runner.invoke(app, ["settings"]).output
    assert '"db": "' in shown and secret not in shown
    (tmp_path / "m.jsonl").write_text("")
    for argv in (["runs"], ["ingest", str(tmp_path / "m.jsonl")]):
        r = runner.invoke(app, argv)
        assert r.exit_code != 0 and "Cannot open database" in r.output, r.output
        assert secret not in r.output and "Traceback" not in r.output
