"""RECAP_MODE=auto and capability errors, against servers that answer the way vLLM, Ollama,
llama.cpp and SGLang do where a capability is missing (the fake server's personalities)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agent.drafting import ModelDrafter
from agent.errors import DraftError, EndpointError
from agent.schema import DraftResult, Verdict
from agent.settings import Settings
from agent.store import Store
from tests.agent.drafting.test_client import CAPTION, GOOD
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, Personality, Reply, Thinking


def settings(fake: FakeOpenAI, **kw: object) -> Settings:
    values: dict[str, object] = {
        "base_url": fake.url,
        "api_key": TEST_KEY,
        "model": "fake-vlm",
        "retry_max_wait_s": 0.05,
        "timeout_s": 5.0,
        "frames": 2,
        **kw,
    }
    return Settings(**values)


def draft_all(s: Settings, clip: Path, n: int = 1, modes: object = None) -> list[object]:
    """Draft `n` clips at once with one drafter; each result or the error it raised."""

    async def go() -> list[object]:
        drafter = ModelDrafter(s, modes=modes)  # type: ignore[arg-type]
        try:
            return await asyncio.gather(
                *(drafter.draft(clip, CAPTION) for _ in range(n)), return_exceptions=True
            )
        finally:
            await drafter.aclose()

    return asyncio.run(go())


def one(s: Settings, clip: Path, modes: object = None) -> DraftResult:
    (result,) = draft_all(s, clip, 1, modes)
    if isinstance(result, BaseException):
        raise result
    assert isinstance(result, DraftResult)
    return result


def asked(fake: FakeOpenAI) -> list[str]:
    """The mode each request was made in, read from what was sent."""
    modes = []
    for r in fake.requests:
        fmt = (r.get("response_format") or {}).get("type")
        modes.append(
            "tools"
            if r.get("tools")
            else {"json_schema": "json_schema", "json_object": "json"}.get(fmt, "md_json")
        )
    return modes


def test_openai_answers_in_tools_at_once(clip: Path) -> None:
    with FakeOpenAI(expect_key=TEST_KEY, responder=lambda _r: GOOD) as fake:
        result = one(settings(fake), clip)
        assert asked(fake) == ["tools"]
    assert result.mode == "tools" and result.attempts == 1


def test_vllm_without_a_tool_parser_moves_on_to_json_schema(clip: Path) -> None:
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="vllm_no_tool_parser"
    ) as fake:
        result = one(settings(fake), clip)
        assert asked(fake) == ["tools", "json_schema"]
    assert result.mode == "json_schema" and result.attempts == 2
    assert result.draft.verdict is Verdict.NEEDS_EDIT


def test_ollama_prose_and_fence_is_read_in_md_json(clip: Path) -> None:
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="ollama_prose"
    ) as fake:
        result = one(settings(fake), clip)
        assert asked(fake) == ["tools", "json_schema", "json", "md_json"]
    assert result.mode == "md_json" and result.draft.rewrite == GOOD["rewrite"]


@pytest.mark.parametrize(
    ("personality", "mode"),
    [
        ("ollama_no_tools", "json_schema"),
        ("llamacpp_no_jinja", "json_schema"),
        ("sglang_no_parser", "json_schema"),  # the call comes back as content: not a tool call
        ("schema_ignoring", "tools"),
    ],
)
def test_other_servers_find_their_mode(clip: Path, personality: str, mode: str) -> None:
    with FakeOpenAI(expect_key=TEST_KEY, responder=lambda _r: GOOD, personality=personality) as f:
        result = one(settings(f), clip)
    assert result.mode == mode and result.draft.rewrite == GOOD["rewrite"]


def test_the_mode_found_is_remembered_per_endpoint_and_model_and_used_directly(
    tmp_path: Path, clip: Path
) -> None:
    store = Store(tmp_path / "r.db")
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="vllm_no_tool_parser"
    ) as fake:
        one(settings(fake), clip, store.endpoints)
        assert store.endpoints.recall(fake.url, "fake-vlm") == "json_schema"
        (row,) = store.endpoints.all()
        assert row.found_at is not None
        assert store.endpoints.recall(fake.url, "another-model") is None
        fake.requests.clear()
        # a later process (a new drafter) reads it from the database: no tools request
        result = one(settings(fake), clip, Store(tmp_path / "r.db").endpoints)
        assert asked(fake) == ["json_schema"] and result.mode == "json_schema"


def test_a_remembered_mode_the_server_refuses_now_is_found_again(
    tmp_path: Path, clip: Path
) -> None:
    store = Store(tmp_path / "r.db")
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="ollama_no_tools"
    ) as fake:
        store.endpoints.remember(fake.url, "fake-vlm", "tools")  # the server had tools before
        result = one(settings(fake), clip, store.endpoints)
        assert asked(fake) == ["tools", "json_schema"]  # remembered, refused, found anew
    assert result.mode == "json_schema"
    assert store.endpoints.recall(fake.url, "fake-vlm") == "json_schema"


def test_a_remembered_mode_the_server_ignores_now_is_found_again(
    tmp_path: Path, clip: Path
) -> None:
    store = Store(tmp_path / "r.db")
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="ollama_prose"
    ) as fake:
        store.endpoints.remember(fake.url, "fake-vlm", "json_schema")
        result = one(settings(fake), clip, store.endpoints)
        # json_schema on trial (ignored now), then the others in order, json_schema not again
        assert asked(fake) == ["json_schema", "tools", "json", "md_json"]
    assert result.mode == "md_json" and result.reasks == 0
    assert store.endpoints.recall(fake.url, "fake-vlm") == "md_json"


def test_clips_drafted_together_find_the_mode_once(clip: Path) -> None:
    """The first request goes alone; the others wait and use the mode it found."""
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="ollama_prose"
    ) as fake:
        results = draft_all(settings(fake), clip, 6)
        assert asked(fake) == ["tools", "json_schema", "json"] + ["md_json"] * 6
    assert all(isinstance(r, DraftResult) and r.mode == "md_json" for r in results)


def test_an_explicit_mode_is_never_changed(clip: Path) -> None:
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="vllm_no_tool_parser"
    ) as fake:
        with pytest.raises(EndpointError) as info:
            one(settings(fake, mode="tools"), clip)
        assert len(fake.requests) == 1
    e = info.value
    assert e.stops_job and e.capability == "tools" and e.status_code == 400
    assert 'tool_choice=function "Draft" requires --tool-call-parser' in e.message
    assert "RECAP_MODE=auto" in (e.hint or "")


@pytest.mark.parametrize(
    ("personality", "settings_kw", "missing", "words", "hint"),
    [
        (
            "llamacpp_no_mmproj",
            {},
            "images",
            "image input is not supported - hint: if this is unexpected, you may need to "
            "provide the mmproj",
            "--mmproj",
        ),
        ("vllm_text_only", {}, "images", "fake-vlm is not a multimodal model", "Qwen2.5-VL"),
        (
            "sglang_text_only",
            {},
            "images",
            "Model only supports text input; received unsupported content type 'image_url'.",
            "vision-language",
        ),
        (
            "vllm_image_limit",
            {"layout": "frames", "frames": 8},
            "image_count",
            "At most 4 image(s) may be provided in one prompt.",
            "--limit-mm-per-prompt",
        ),
        ("vllm_context", {}, "context", "maximum context length is 2048 tokens", "--max-model-len"),
        (
            "llamacpp_context",
            {},
            "context",
            "the request exceeds the available context size, try increasing it",
            "-c 32768 --parallel 4",
        ),
    ],
)
def test_capability_errors_stop_at_once_with_the_servers_words(
    clip: Path, personality: str, settings_kw: dict, missing: str, words: str, hint: str
) -> None:
    with FakeOpenAI(expect_key=TEST_KEY, personality=personality) as fake:
        results = draft_all(settings(fake, **settings_kw), clip, 8)
        assert len(fake.requests) == 1  # not retried (llama.cpp's is a 500), nobody else sent
    for r in results:  # every waiting clip gets the same error, without a request of its own
        assert isinstance(r, EndpointError) and r.stops_job and r.capability == missing
        assert words in r.message and hint in (r.hint or "")


def test_the_sheet_layout_fits_a_server_that_takes_few_images(clip: Path) -> None:
    with FakeOpenAI(expect_key=TEST_KEY, personality="vllm_image_limit") as fake:
        result = one(settings(fake, frames=8), clip)  # one contact sheet per clip
        assert len(fake.requests) == 1
    assert result.mode == "tools"


@pytest.mark.parametrize("variant", ["reasoning", "reasoning_content", "think_tags"])
def test_thinking_is_stripped_before_parsing(clip: Path, variant: str) -> None:
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality=Thinking(variant)
    ) as fake:
        result = one(settings(fake), clip)
        body = json.loads(fake_raw(result))
    assert result.draft.rewrite == GOOD["rewrite"] and result.reasks == 0
    # think-tag models have no tool parser here: the answer comes in a JSON mode
    assert result.mode == ("json_schema" if variant == "think_tags" else "tools")
    assert "<think>" not in (body["choices"][0]["message"]["content"] or "")


def fake_raw(result: DraftResult) -> str:
    assert result.raw_response is not None
    return result.raw_response


@pytest.mark.parametrize("variant", ["reasoning", "reasoning_content", "think_tags"])
def test_a_model_that_thinks_through_its_budget_is_told_to_raise_max_tokens(
    clip: Path, variant: str
) -> None:
    with FakeOpenAI(expect_key=TEST_KEY, personality=Thinking(variant, cutoff=True)) as fake:
        results = draft_all(settings(fake, max_tokens=512), clip, 3)
        assert len(fake.requests) == 1  # not re-asked, not tried in other modes
    for e in results:
        assert isinstance(e, DraftError) and e.stops_job
        assert "spent its whole output budget (max_tokens=512) thinking" in e.message
        assert "RECAP_MAX_TOKENS" in (e.hint or "")


def test_after_a_first_answer_a_cut_off_clip_fails_alone(clip: Path) -> None:
    with FakeOpenAI(expect_key=TEST_KEY, responder=lambda _r: GOOD) as fake:

        async def go() -> tuple[object, object]:
            drafter = ModelDrafter(settings(fake))
            try:
                first = await drafter.draft(clip, CAPTION)
                thinking = Thinking("reasoning", cutoff=True)
                fake.personality = thinking
                try:
                    await drafter.draft(clip, CAPTION)
                except DraftError as e:
                    return first, e
                raise AssertionError("the cut-off answer was accepted")
            finally:
                await drafter.aclose()

        first, error = asyncio.run(go())
    assert isinstance(first, DraftResult)
    assert isinstance(error, DraftError) and not error.stops_job


def test_no_working_mode_stops_with_what_each_mode_did(clip: Path) -> None:
    class Prose(Personality):
        """A model that ignores every mode and never writes JSON."""

        def answer(self, request: dict, reply: Reply) -> tuple[int, bytes]:
            from tests.fake_openai import compact, completion

            return 200, compact(completion(request, reply, tools=False, text="A nice video."))

    with FakeOpenAI(expect_key=TEST_KEY, personality=Prose()) as fake:
        (e,) = draft_all(settings(fake, max_reasks=2), clip)
        # md_json is honoured or not on its first answer: no re-asks of prose without JSON
        assert len(fake.requests) == 4
    assert isinstance(e, EndpointError) and e.stops_job
    assert "No structured-output mode works" in e.message
    for mode in ("tools: ignored", "json_schema: ignored", "json: ignored", "md_json: ignored"):
        assert mode in e.message
    assert "recap check" in (e.hint or "")


def test_schema_ignoring_answers_are_read_in_the_contracts_spelling(clip: Path) -> None:
    with FakeOpenAI(
        expect_key=TEST_KEY, responder=lambda _r: GOOD, personality="schema_ignoring"
    ) as fake:
        result = one(settings(fake), clip)
        sent = fake.requests[0]["tools"][0]["function"]["parameters"]
    assert "confidence" not in json.dumps(sent)  # the keys it adds are not the schema's
    assert result.reasks == 0 and result.draft.verdict is Verdict.NEEDS_EDIT
    assert [h.type.value for h in result.draft.hallucinations] == [
        "attribute",
        "direction_or_spatial",
    ]
    dumped = result.draft.model_dump()
    assert "confidence" not in dumped and "severity" not in json.dumps(dumped)
