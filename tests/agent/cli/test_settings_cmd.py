"""`recap settings` prints every field of `Settings`, and secrets only as set / not set."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.settings import Settings
from recap.main import app
from tests.conftest import TEST_KEY

runner = CliRunner()
SECRETS = {"api_key", "auth_client_secret", "auth_cookie_secret"}


def test_settings_prints_every_field_of_the_model() -> None:
    r = runner.invoke(app, ["settings"])
    assert r.exit_code == 0, r.output
    printed = json.loads(r.stdout)
    assert list(printed) == list(Settings.model_fields)  # every field, in the model's order
    assert {k for k in printed if printed[k] in ("set", "not set")} == SECRETS
    assert all(printed[k] == "not set" for k in SECRETS)


def test_secrets_show_as_set_never_their_value() -> None:
    env = {
        "OPENAI_API_KEY": TEST_KEY,
        "RECAP_AUTH_CLIENT_SECRET": "client-secret-value-789",
        "RECAP_AUTH_COOKIE_SECRET": "cookie-secret-value-012",
        "RECAP_DB": "postgresql+psycopg://ann:db-password-345@db.example/recap",
        "RECAP_GOLD_RATE": "0.2",
        "RECAP_REVIEW_NO_AUTH": "1",
    }
    r = runner.invoke(app, ["settings"], env=env)
    assert r.exit_code == 0, r.output
    printed = json.loads(r.stdout)
    assert {k: printed[k] for k in SECRETS} == dict.fromkeys(SECRETS, "set")
    assert printed["gold_rate"] == 0.2 and printed["review_no_auth"] is True
    for value in (TEST_KEY, "client-secret-value-789", "cookie-secret-value-012", "db-password"):
        assert value not in r.output
    assert printed["db"].startswith("postgresql+psycopg://ann:") and "db.example" in printed["db"]
