"""Reading what a server says it cannot do, from each server's own message, and taking a
model's thinking out of its answer."""

from __future__ import annotations

import json

import pytest

from agent.drafting._capability import Missing, capability_error, split_thinking
from tests.fake_openai import (
    llamacpp_error,
    ollama_error,
    sglang_error,
    vllm_error,
)

# (server, status and body as the fake writes them, what is missing, a word of the hint)
CASES = [
    (
        "vllm auto tool choice",
        vllm_error(
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
        ),
        Missing.TOOLS,
        "RECAP_MODE=auto",
    ),
    (
        "vllm named tool choice",
        vllm_error('tool_choice=function "Draft" requires --tool-call-parser to be set'),
        Missing.TOOLS,
        "--tool-call-parser",
    ),
    (
        "vllm text-only model",
        vllm_error("Qwen/Qwen2.5-7B-Instruct is not a multimodal model"),
        Missing.IMAGES,
        "Qwen2.5-VL",
    ),
    (
        "vllm image limit",
        vllm_error(
            "At most 4 image(s) may be provided in one prompt. Set `--limit-mm-per-prompt` to "
            "increase this limit. (parameter=image)",
            param="image",
        ),
        Missing.IMAGE_COUNT,
        "--limit-mm-per-prompt",
    ),
    (
        "vllm limit of none",
        vllm_error("At most 0 image(s) may be provided in one prompt."),
        Missing.IMAGES,
        "vision",
    ),
    (
        "vllm context",
        vllm_error(
            "This model's maximum context length is 4096 tokens. However, your prompt contains "
            "5000 input tokens, which exceeds this limit even without any output tokens. Please "
            "reduce the length of the input prompt. (parameter=input_tokens, value=5000)",
            param="input_tokens",
        ),
        Missing.CONTEXT,
        "--max-model-len",
    ),
    (
        "llama.cpp without mmproj",
        llamacpp_error(
            500,
            "image input is not supported - hint: if this is unexpected, you may need to "
            "provide the mmproj",
            "server_error",
        ),
        Missing.IMAGES,
        "--mmproj",
    ),
    (
        "llama.cpp without jinja",
        llamacpp_error(500, "tools param requires --jinja flag", "server_error"),
        Missing.TOOLS,
        "--jinja",
    ),
    (
        "llama.cpp context",
        llamacpp_error(
            400,
            "the request exceeds the available context size, try increasing it",
            "exceed_context_size_error",
            n_prompt_tokens=5000,
            n_ctx=4096,
        ),
        Missing.CONTEXT,
        "-c 32768 --parallel 4",
    ),
    (
        "llama.cpp response format",
        llamacpp_error(
            400,
            'response_format type must be one of "text" or "json_object", but got: json_schema',
            "invalid_request_error",
        ),
        Missing.RESPONSE_FORMAT,
        "md_json",
    ),
    (
        "ollama without tools",
        ollama_error("registry.ollama.ai/library/gemma2:2b does not support tools"),
        Missing.TOOLS,
        "json_schema",
    ),
    (
        "sglang text-only model",
        sglang_error(
            "Model only supports text input; received unsupported content type 'image_url'."
        ),
        Missing.IMAGES,
        "vision",
    ),
    (
        "sglang context",
        sglang_error(
            "The input (9000 tokens) is longer than the model's context length (8192 tokens)."
        ),
        Missing.CONTEXT,
        "--context-length",
    ),
]


def message_of(body: bytes) -> str:
    data = json.loads(body)
    return data.get("message") or data["error"]["message"]


@pytest.mark.parametrize(("server", "answer", "missing", "hint"), CASES, ids=[c[0] for c in CASES])
def test_each_servers_own_words_name_what_is_missing(
    server: str, answer: tuple[int, bytes], missing: Missing, hint: str
) -> None:
    status, body = answer
    found = capability_error(status, message_of(body) + " " + body.decode())
    assert found is not None, server
    assert found.missing is missing
    assert hint in found.hint()
    assert found.changes_mode == (missing in (Missing.TOOLS, Missing.RESPONSE_FORMAT))


def test_the_image_limit_is_read_from_vllms_message() -> None:
    found = capability_error(400, "At most 4 image(s) may be provided in one prompt.")
    assert found is not None and found.image_limit == 4 and "RECAP_FRAMES to 4" in found.hint()


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (429, "image input is not supported"),  # a rate limit is never a capability
        (503, "the request exceeds the available context size"),  # nor is an overloaded server
        (500, "boom"),  # a 500 that names nothing stays a transient error
        (400, "messages[1].content is malformed"),
    ],
)
def test_what_names_no_capability_is_none(status: int, text: str) -> None:
    assert capability_error(status, text) is None


def test_ollama_errors_end_with_a_newline_like_gos_encoder() -> None:
    assert ollama_error("x")[1].endswith(b"}\n")
    assert llamacpp_error(500, "m", "server_error")[1].startswith(b'{"error":{"code":500,')


@pytest.mark.parametrize(
    ("content", "fields", "text", "thought", "unfinished"),
    [
        ('<think>\nhmm\n</think>\n\n{"a": 1}', {}, '{"a": 1}', True, False),
        ('<THINKING>x</THINKING>{"a": 1}', {}, '{"a": 1}', True, False),
        ('hmm, let me see</think>{"a": 1}', {}, '{"a": 1}', True, False),  # opened by the template
        ("<think>still thinking when the budget ran out", {}, "", True, True),
        ('{"a": 1}', {"reasoning": "first I look"}, '{"a": 1}', True, False),
        (None, {"reasoning_content": "first I look"}, "", True, False),
        ('{"a": 1}', {}, '{"a": 1}', False, False),
    ],
)
def test_thinking_is_taken_out_of_the_answer(
    content: str | None, fields: dict[str, str], text: str, thought: bool, unfinished: bool
) -> None:
    answer = split_thinking(content, {"content": content, **fields})
    assert answer.text == text
    assert bool(answer.thought) is thought
    assert answer.unfinished is unfinished
