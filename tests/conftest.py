"""Shared fixtures: a clean environment in a temp dir, generated clips, the fake endpoint."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from agent.settings import Settings
from tests.clips import make_clip
from tests.fake_openai import FakeOpenAI

TEST_KEY = "sk-test-0123456789abcdefSECRET"

# In CI the property tests draw the same examples every run (a failure there reproduces);
# elsewhere they explore new ones each run.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def recap_env(fake: FakeOpenAI, db: Path) -> dict[str, str]:
    """Environment for running `recap` commands against the fake server and a database."""
    return {
        "OPENAI_BASE_URL": fake.url,
        "OPENAI_API_KEY": TEST_KEY,
        "RECAP_MODEL": "fake-vlm",
        "RECAP_DB": str(db),
        "RECAP_FRAMES": "2",
        "COLUMNS": "160",
    }


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own directory with no endpoint configured from the outside."""
    for name in list(os.environ):
        if name.startswith(("RECAP_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5 s, 10 fps, 320x240 H.264 clip: a red square moving left to right."""
    return make_clip(tmp_path_factory.mktemp("clips") / "push.mp4")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(expect_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def settings_for(fake: FakeOpenAI) -> Callable[..., Settings]:
    """Settings pointing at the fake server, with short waits so retries run fast."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "base_url": fake.url,
            "api_key": TEST_KEY,
            "model": "fake-vlm",
            "retry_max_wait_s": 0.2,
            "timeout_s": 5.0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str | None]:
    from tests.pg import PgUnavailable, postgres_server

    try:
        with postgres_server() as url:
            yield url
    except PgUnavailable as e:
        if os.environ.get("RECAP_REQUIRE_PG") == "1":
            raise
        _PG_REASON.append(str(e))
        yield None


_PG_REASON: list[str] = []


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same store tests on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'recap.db'}"
        return
    server = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip(f"no PostgreSQL: {_PG_REASON[0] if _PG_REASON else 'unavailable'}")
    from tests.pg import fresh_database

    with fresh_database(server) as url:
        yield url
