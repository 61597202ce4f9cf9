"""`recap check` against the fake server's personalities: what each kind of server can do,
the mode chosen, one clip's figures and the settings recommended (real HTTP, the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from agent.cost import Price, cost_usd
from agent.store import Store
from recap.main import app
from tests.conftest import TEST_KEY, recap_env
from tests.fake_openai import FakeOpenAI, Personality, Thinking

runner = CliRunner()


def check(
    tmp_path: Path, personality: str | Personality, *args: str, **env: str
) -> tuple[Result, FakeOpenAI]:
    with FakeOpenAI(expect_key=TEST_KEY, personality=personality) as fake:
        e = {**recap_env(fake, tmp_path / "r.db"), "RECAP_FRAMES": "8", "COLUMNS": "220", **env}
        return runner.invoke(app, ["check", *args], env=e), fake


def report(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)


def outcomes(data: dict[str, Any]) -> dict[str, str]:
    return {m["mode"]: m["outcome"] for m in data["modes"]}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_openai_every_mode_works_and_tools_is_chosen(tmp_path: Path) -> None:
    r, fake = check(tmp_path, "openai", "--json")
    assert r.exit_code == 0, r.output
    data = report(r)
    assert data["ok"] and data["chosen"] == "tools"
    assert data["text"]["ok"] and data["images"]["ok"]
    assert outcomes(data) == dict.fromkeys(("tools", "json_schema", "json", "md_json"), "works")
    clip = data["clip"]
    assert clip["clip"].endswith("pick-place-000.mp4") and clip["frames"] == 8
    assert clip["sampling"] == "events" and clip["layout"] == "sheet"
    # the fake bills images as OpenAI does: measured and estimated image tokens agree
    assert clip["image_tokens"] == clip["image_tokens_estimate"] > 0
    assert clip["cost_usd"] is None  # no price for a local model
    assert len(fake.requests) == 6  # text, images, one clip per mode
    assert Store(tmp_path / "r.db").endpoints.recall(fake.url, "fake-vlm") == "tools"


def test_vllm_without_a_tool_parser(tmp_path: Path) -> None:
    r, _ = check(tmp_path, "vllm_no_tool_parser")
    assert r.exit_code == 0, r.output
    out = flat(r.stdout)
    assert "mode tools │ rejected" in out
    assert 'tool_choice=function "Draft" requires --tool-call-parser to be set' in out
    assert "mode json_schema │ works" in out and "mode chosen: json_schema" in out
    assert "export RECAP_MODE=json_schema" in out
    assert "recap draft -j 8 --rpm" in out  # a server of one's own: one GPU's concurrency


def test_ollama_prose_and_fence(tmp_path: Path) -> None:
    r, _ = check(tmp_path, "ollama_prose", "--json")
    assert r.exit_code == 0, r.output
    data = report(r)
    assert outcomes(data) == {
        "tools": "ignored",
        "json_schema": "ignored",
        "json": "ignored",
        "md_json": "works",
    }
    details = {m["mode"]: m["detail"] for m in data["modes"]}
    assert details["tools"] == "answered without calling the tool, with JSON in its text"
    assert "the response format was ignored" in details["json_schema"]
    assert data["chosen"] == "md_json"


def test_llamacpp_without_mmproj_fails_with_what_to_change(tmp_path: Path) -> None:
    r, fake = check(tmp_path, "llamacpp_no_mmproj")
    assert r.exit_code == 1
    out = flat(r.stdout)
    assert "images │ failed" in out
    assert "image input is not supported - hint: if this is unexpected, you may need to" in out
    assert "mode chosen: none" in out and "cannot draft:" in out and "--mmproj" in out
    assert len(fake.requests) == 2  # the text probe and the image probe, nothing more


def test_a_text_only_model_on_sglang(tmp_path: Path) -> None:
    r, _ = check(tmp_path, "sglang_text_only", "--json")
    assert r.exit_code == 1
    data = report(r)
    assert not data["ok"] and not data["images"]["ok"]
    assert "Model only supports text input" in data["images"]["detail"]
    assert set(outcomes(data).values()) == {"not tried"}


@pytest.mark.parametrize("variant", ["reasoning", "reasoning_content", "think_tags"])
def test_a_thinking_model_gets_room_to_think(tmp_path: Path, variant: str) -> None:
    r, _ = check(tmp_path, Thinking(variant), "--json")
    assert r.exit_code == 0, r.output
    data = report(r)
    assert data["text"]["thought"] and data["chosen"] in ("tools", "json_schema")
    assert any(line.startswith("export RECAP_MAX_TOKENS=") for line in data["recommended"])


def test_a_thinking_model_that_runs_out_of_tokens(tmp_path: Path) -> None:
    r, _ = check(tmp_path, Thinking("reasoning", cutoff=True), "--json")
    assert r.exit_code == 1
    data = report(r)
    assert data["text"]["detail"].startswith("answered nothing: thinking used the whole")
    assert outcomes(data)["tools"] == "failed"
    assert "spent its whole output budget (max_tokens=2048) thinking" in data["problems"][0]
    assert "RECAP_MAX_TOKENS" in data["problems"][0]


def test_a_schema_ignoring_model_still_drafts(tmp_path: Path) -> None:
    r, _ = check(tmp_path, "schema_ignoring", "--json")
    assert r.exit_code == 0, r.output
    assert outcomes(report(r))["tools"] == "works"


def test_cost_per_clip_and_per_hour_at_the_configured_prices(tmp_path: Path) -> None:
    r, _ = check(tmp_path, "openai", "--json", RECAP_PRICE_INPUT="0.40", RECAP_PRICE_OUTPUT="1.60")
    assert r.exit_code == 0, r.output
    clip = report(r)["clip"]
    want = cost_usd(clip["prompt_tokens"], clip["completion_tokens"], Price(0.40, 1.60))
    assert clip["cost_usd"] == pytest.approx(want)
    assert clip["cost_per_hour_usd"] == pytest.approx(want * 3600 / clip["duration_s"])
    r, _ = check(tmp_path, "openai", RECAP_PRICE_INPUT="0.40", RECAP_PRICE_OUTPUT="1.60")
    assert "per hour of video" in flat(r.stdout)


def test_a_clip_of_ones_own(tmp_path: Path, clip: Path) -> None:
    r, fake = check(tmp_path, "openai", "--clip", str(clip), "--caption", "A red square.", "--json")
    assert r.exit_code == 0, r.output
    data = report(r)
    assert data["clip"]["clip"] == str(clip) and data["clip"]["sampling"] == "uniform"
    assert "A red square." in json.dumps(fake.requests[-1]["messages"])


def test_a_clip_needs_its_caption(tmp_path: Path, clip: Path) -> None:
    r, fake = check(tmp_path, "openai", "--clip", str(clip))
    assert r.exit_code == 1 and "--clip needs --caption" in r.stderr and fake.requests == []


def test_a_context_too_short_for_a_clip(tmp_path: Path) -> None:
    r, fake = check(tmp_path, "llamacpp_context", "--json")
    assert r.exit_code == 1
    data = report(r)
    assert data["text"]["ok"] and data["images"]["ok"]  # short requests fit
    assert outcomes(data) == {
        "tools": "failed",
        "json_schema": "not tried",
        "json": "not tried",
        "md_json": "not tried",
    }
    assert "exceeds the available context size" in data["problems"][0]
    assert "-c 32768 --parallel 4" in data["problems"][0]
    assert len(fake.requests) == 3
