"""`recap draft` with default settings against servers that answer the way vLLM, Ollama and
llama.cpp do where a capability is missing: real HTTP to the fake server's personalities."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner, Result

from agent.store import DraftRecord, Store
from recap.main import app
from tests.agent.runs.test_jobs import make_dataset
from tests.conftest import TEST_KEY, recap_env
from tests.fake_openai import FakeOpenAI, Personality, VLLMTextOnly

runner = CliRunner()
CLIPS = 19  # as many as the report


def draft(
    tmp_path: Path, personality: str | Personality, *args: str, fake: FakeOpenAI | None = None
) -> tuple[Result, FakeOpenAI, Store]:
    """Ingest CLIPS clips (once) and `recap draft` them; the server is stopped afterwards
    unless one was given."""
    db = tmp_path / "r.db"
    own = fake is None
    fake = fake or FakeOpenAI(expect_key=TEST_KEY, personality=personality).start()
    env = recap_env(fake, db)
    if not (tmp_path / "ds").exists():
        r = runner.invoke(app, ["ingest", str(make_dataset(tmp_path / "ds", CLIPS))], env=env)
        assert r.exit_code == 0, r.output
    result = runner.invoke(app, ["draft", "--run", "r", *args], env=env)
    if own:
        fake.stop()
    return result, fake, Store(db)


def modes_of(store: Store, run: str = "r") -> set[str | None]:
    with store.session() as s:
        return set(s.scalars(select(DraftRecord.mode).where(DraftRecord.run == run)))


def test_vllm_without_a_tool_parser_drafts_every_clip(tmp_path: Path) -> None:
    r, fake, store = draft(tmp_path, "vllm_no_tool_parser")
    assert r.exit_code == 0, r.output
    assert store.runs.count_drafts("r") == CLIPS and store.runs.errors("r") == []
    assert modes_of(store) == {"json_schema"}
    assert len(fake.requests) == CLIPS + 1  # one refused tools request, then json_schema
    assert store.endpoints.recall(fake.url, "fake-vlm") == "json_schema"


def test_ollama_prose_and_fence_drafts_every_clip(tmp_path: Path) -> None:
    r, fake, store = draft(tmp_path, "ollama_prose")
    assert r.exit_code == 0, r.output
    assert store.runs.count_drafts("r") == CLIPS and store.runs.errors("r") == []
    assert modes_of(store) == {"md_json"}
    assert len(fake.requests) == CLIPS + 3  # tools, json_schema and json ignored once each


def test_a_second_run_uses_the_remembered_mode_from_its_first_request(tmp_path: Path) -> None:
    with FakeOpenAI(expect_key=TEST_KEY, personality="ollama_prose") as fake:
        draft(tmp_path, "ollama_prose", "--limit", "2", fake=fake)
        fake.requests.clear()
        r, _, store = draft(tmp_path, "ollama_prose", "--run", "r2", "--no-cache", fake=fake)
        assert r.exit_code == 0, r.output
        assert len(fake.requests) == CLIPS and not any(q.get("tools") for q in fake.requests)
        assert "response_format" not in fake.requests[0]  # md_json straight away
    assert modes_of(store, "r2") == {"md_json"}


def test_llamacpp_without_mmproj_stops_after_one_request_and_says_why(tmp_path: Path) -> None:
    r, fake, store = draft(tmp_path, "llamacpp_no_mmproj")
    assert r.exit_code == 1
    assert len(fake.requests) == 1  # the first request goes alone; the rest never go
    said = " ".join(r.stderr.split())
    assert "Stopped:" in said and "cannot take images" in said
    assert (
        "image input is not supported - hint: if this is unexpected, you may need to provide "
        "the mmproj" in said
    )
    assert "--mmproj" in said and "-hf" in said
    # no clip is blamed: they are all still there to draft once the server can see
    assert store.runs.errors("r") == [] and len(store.runs.pending("r")) == CLIPS


def test_a_context_too_short_stops_with_the_flag_to_change(tmp_path: Path) -> None:
    r, fake, store = draft(tmp_path, "vllm_context")
    assert r.exit_code == 1 and len(fake.requests) <= 3
    said = " ".join(r.stderr.split())
    assert "This model's maximum context length is 2048 tokens" in said
    assert "--max-model-len" in said and store.runs.errors("r") == []


def test_too_many_images_per_prompt_stops_with_the_limit_to_raise(tmp_path: Path) -> None:
    r, fake, _ = draft(tmp_path, "vllm_image_limit", "--layout", "frames", "--frames", "8")
    assert r.exit_code == 1 and len(fake.requests) <= 3
    said = " ".join(r.stderr.split())
    assert "At most 4 image(s) may be provided in one prompt" in said
    assert "--limit-mm-per-prompt" in said and "RECAP_LAYOUT=sheet" in said


def test_a_text_only_model_on_vllm_without_tools_stops_within_three_requests(
    tmp_path: Path,
) -> None:
    r, fake, _ = draft(tmp_path, VLLMTextOnly(tool_parser=False))
    assert r.exit_code == 1 and len(fake.requests) == 2  # tools refused, then the images
    assert "fake-vlm is not a multimodal model" in " ".join(r.stderr.split())
