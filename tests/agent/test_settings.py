"""Settings in parts: each field in exactly one part, the environment names unchanged, a run's
identity and recorded settings derived from the parts, and no video library loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from agent.errors import ConfigError
from agent.settings import (
    MAKES_RUN,
    PARTS,
    SHAPES_DRAFT,
    FrameSpec,
    OutputSettings,
    Settings,
    SignInSettings,
)


def test_every_field_belongs_to_exactly_one_part() -> None:
    owners = Counter(name for part in PARTS for name in part.model_fields)
    assert set(owners) == set(Settings.model_fields)
    assert [name for name, n in owners.items() if n != 1] == []


def test_environment_names_are_those_of_the_configuration_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "OPENAI_API_KEY": "sk-from-env-000000000000",
        "OPENAI_BASE_URL": "http://localhost:11434/v1",
        "RECAP_MODEL": "qwen",
        "RECAP_DB": "x.db",
        "RECAP_MODE": "json_schema",
        "RECAP_IMAGE_DETAIL": "low",
        "RECAP_FRAMES": "6",
        "RECAP_MAX_SIDE": "256",
        "RECAP_LAYOUT": "frames",
        "RECAP_PROMPT": "review-v2",
        "RECAP_MAX_RETRIES": "3",
        "RECAP_MAX_REASKS": "1",
        "RECAP_TIMEOUT_S": "9",
        "RECAP_PRICE_INPUT": "1.5",
        "RECAP_PRICE_OUTPUT": "2.5",
        "RECAP_CACHE_DIR": "/tmp/c",
        "RECAP_REVIEW_RUN": "r1",
        "RECAP_REVIEWER": "ann",
        "RECAP_GOLD_RATE": "0.1",
        "RECAP_OVERLAP": "0.2",
        "RECAP_CONTROL_SHARE": "0",
        "RECAP_AUTH_CLIENT_ID": "cid",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = Settings()
    assert s.api_key_value == "sk-from-env-000000000000" and s.base_url == env["OPENAI_BASE_URL"]
    assert (s.model, s.db, s.mode, s.image_detail) == ("qwen", "x.db", "json_schema", "low")
    assert (s.frames, s.max_side, s.layout, s.prompt) == (6, 256, "frames", "review-v2")
    assert (s.max_retries, s.max_reasks, s.timeout_s) == (3, 1, 9.0)
    assert (s.price_input, s.price_output, str(s.cache_dir)) == (1.5, 2.5, "/tmp/c")
    assert (s.review_run, s.reviewer, s.gold_rate, s.overlap) == ("r1", "ann", 0.1, 0.2)
    assert (s.control_share, s.auth_client_id) == (0.0, "cid")
    assert Settings(frames=3).frames == 3  # a flag (keyword) wins over the environment


def test_a_runs_identity_is_the_parts_that_shape_a_draft() -> None:
    s = Settings(frames=3, mode="json_schema", reviewer="ann", db="secret-place.db")
    shape = s.draft_shape()
    # one sample per clip and no log-probabilities (the defaults) are left out, so identities
    # made before either existed are unchanged
    defaults = {"samples", "logprobs"}
    assert set(shape) == {name for part in SHAPES_DRAFT for name in part.model_fields} - defaults
    parts = {**s.part(OutputSettings).model_dump(), **s.part(FrameSpec).model_dump()}
    assert shape == {k: v for k, v in parts.items() if k not in defaults}
    sampled = Settings(samples=3, temperature=0.7).draft_shape()
    assert set(sampled) == set(shape) | {"samples"} and sampled["samples"] == 3
    with_logprobs = Settings(frames=3, mode="json_schema", logprobs=True).draft_shape()
    assert with_logprobs == {**shape, "logprobs": True}
    # the keys from before the settings were split, and the frame sampling (which decides
    # which pictures the model sees)
    assert set(shape) == {
        "sampling",
        "mode",
        "temperature",
        "max_tokens",
        "frames",
        "max_side",
        "layout",
        "columns",
        "image_detail",
        "jpeg_quality",
    }
    assert shape["frames"] == 3 and shape["mode"] == "json_schema"
    assert Settings().draft_shape()["sampling"] == "events"
    assert Settings().draft_shape()["mode"] == "auto"
    assert Settings(sampling="uniform").draft_shape() != Settings().draft_shape()


def test_recorded_settings_are_the_parts_that_make_a_run_without_secrets() -> None:
    s = Settings(api_key="sk-never-recorded-0000000", auth_client_secret="also-never")
    public = s.public()
    made_by = {name for part in MAKES_RUN for name in part.model_fields}
    assert set(public) == made_by - {"api_key"}
    assert not set(public) & set(SignInSettings.model_fields)
    assert "db" not in public and "cache_dir" not in public
    assert "sk-never" not in json.dumps(public) and "also-never" not in json.dumps(public)


def test_a_part_is_handed_out_on_its_own() -> None:
    s = Settings(frames=5, jpeg_quality=70)
    spec = s.frame_spec
    assert type(spec) is FrameSpec and (spec.frames, spec.jpeg_quality) == (5, 70)
    assert s.video_limits.max_video_seconds == 3600.0


def test_loading_settings_loads_no_video_library() -> None:
    code = "import agent.settings, sys; print([m for m in ('av', 'PIL') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the sign-in cookie's secret (issue 21 item 7) ---------------------------------------------
@pytest.mark.parametrize(
    "secret",
    [
        "x",
        "x" * 40,
        "cookie-secret-value-456",
        "correct horse battery staple correct horse",  # a phrase: long, not random
        "ab" * 20,
        "Zm9vYmFyYmF6cXV1eGNvcmdlZ3JhdWx0",  # 24 random-looking bytes in base64: too few
    ],
)
def test_a_short_or_regular_cookie_secret_is_refused_with_how_to_make_one(secret: str) -> None:
    from agent.settings import MAKE_COOKIE_SECRET, check_cookie_secret

    with pytest.raises(ConfigError) as refused:
        check_cookie_secret(secret, "RECAP_AUTH_COOKIE_SECRET")
    assert refused.value.message.startswith("RECAP_AUTH_COOKIE_SECRET ")
    assert secret not in refused.value.message or secret == "x"
    assert MAKE_COOKIE_SECRET in (refused.value.hint or "")


def test_generated_cookie_secrets_are_accepted() -> None:
    import secrets

    from agent.settings import check_cookie_secret

    for _ in range(200):  # token_urlsafe(32) scores about 208 bits, far above the floor
        check_cookie_secret(secrets.token_urlsafe(32), "RECAP_AUTH_COOKIE_SECRET")
        check_cookie_secret(secrets.token_hex(32), "RECAP_AUTH_COOKIE_SECRET")
