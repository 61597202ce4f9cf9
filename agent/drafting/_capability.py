"""What an OpenAI-compatible server says it cannot do, read from its own answer.

vLLM, SGLang, llama.cpp and Ollama each word a missing capability their own way, with their own
status codes: llama.cpp answers an image it cannot see with HTTP 500, which is no transient
fault to retry. `capability_error` reads a failed answer's status and text and says which
capability is missing (tool calling, a response format, images, enough images per prompt,
enough context, thinking, token log-probabilities) and what to change, quoting the server. A
missing tool parser or response format is a reason to try another structured-output mode; the
others stop a job, since every clip would hit them (a server that refuses `logprobs` refuses
it in every mode, so `--logprobs` is what to drop, not the mode).

Also here: reading a model's thinking (`<think>…</think>` in the content, `reasoning` or
`reasoning_content` beside it) so that it is never parsed as the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Missing(StrEnum):
    """A capability a server lacks."""

    TOOLS = "tools"  # tool calling (no tool parser, no --jinja, a model without tools)
    RESPONSE_FORMAT = "response_format"  # a JSON schema or JSON response format
    IMAGES = "images"  # the server or model cannot take images at all
    IMAGE_COUNT = "image_count"  # fewer images per prompt than recap sends
    CONTEXT = "context"  # the prompt does not fit the context window
    THINKING = "thinking"  # thinking was asked of a model without it
    LOGPROBS = "logprobs"  # token log-probabilities were asked of a server or model without them


# Kinds that make another structured-output mode worth trying; the rest stop a job.
MODE_PROBLEMS = frozenset({Missing.TOOLS, Missing.RESPONSE_FORMAT})

# Lower-cased substrings of the servers' own messages (vLLM 0.33, SGLang 0.5, llama.cpp,
# Ollama; older wordings kept where they differ), in the order they are tried.
_SIGNS: tuple[tuple[Missing, tuple[str, ...]], ...] = (
    (
        Missing.IMAGE_COUNT,
        ("image(s) may be provided in one prompt", "only supports one image"),
    ),
    (
        Missing.IMAGES,
        (
            "image input is not supported",
            "is not a multimodal model",
            "model only supports text input",
            "does not support multimodal",
            "unsupported content part type",
            "missing data required for image input",
            "image urls are not currently supported",
        ),
    ),
    (
        Missing.CONTEXT,
        (
            "maximum context length",
            "maximum model length",
            "exceeds the available context size",
            "exceed_context_size_error",
            "larger than the max context size",
            "longer than the model's context length",
            "requested token count exceeds",
            "the prompt is longer than the context length",
            "input length (",
        ),
    ),
    (
        Missing.TOOLS,
        (
            "requires --enable-auto-tool-choice",
            "requires --tool-call-parser",
            "tools param requires --jinja",
            "tool_choice param requires --jinja",
            "does not support tools",
            "unsupported param: tool_choice",
            "cannot use tools with stream",
            "tool calling is not supported",
            "tools are not supported",
        ),
    ),
    (
        Missing.RESPONSE_FORMAT,
        (
            "response_format type must be one of",
            "not supported by xgrammar",
            "failed to transform json schema",
            "schema_ is required",
            "'json_schema' field must be provided",
            "response_format is not supported",
        ),
    ),
    (Missing.THINKING, ("does not support thinking",)),
    (
        # OpenAI ("This model does not support the 'logprobs' parameter.", older models:
        # "Unrecognized request argument supplied: logprobs"), vLLM on hardware without them
        # ("doesn't support logprobs. Please remove 'logprobs'"), Gemini's compatible endpoint
        # ("Logprobs is not supported for this model").
        Missing.LOGPROBS,
        (
            "support the 'logprobs' parameter",
            "argument supplied: logprobs",
            "support logprobs",
            "logprobs is not supported",
            "logprobs are not supported",
            "remove 'logprobs'",
        ),
    ),
)
# Statuses a capability error comes with; 429, 503 and timeouts never are one.
_STATUSES = frozenset({400, 422, 500, 501})
_IMAGE_LIMIT = re.compile(r"at most (\d+) image\(s\) may be provided")


@dataclass(frozen=True)
class CapabilityError:
    """A missing capability, in the server's own words, and what to change."""

    missing: Missing
    words: str  # the server's message
    status: int | None

    @property
    def changes_mode(self) -> bool:
        """Whether another structured-output mode may work where this one did not."""
        return self.missing in MODE_PROBLEMS

    @property
    def image_limit(self) -> int | None:
        """The images per prompt the server takes, when it said (vLLM's limit message)."""
        m = _IMAGE_LIMIT.search(self.words.lower())
        return int(m.group(1)) if m else None

    def summary(self, where: str, model: str) -> str:
        """One line: what cannot be done, then the server's words."""
        what = {
            Missing.TOOLS: f"The server at {where} offers no tool calling for {model}",
            Missing.RESPONSE_FORMAT: f"The server at {where} refuses the response format for "
            f"{model}",
            Missing.IMAGES: f"The server at {where} cannot take images with {model}",
            Missing.IMAGE_COUNT: f"The server at {where} takes fewer images per prompt than "
            "recap sends",
            Missing.CONTEXT: f"The prompt does not fit the context window of {model} at {where}",
            Missing.THINKING: f"{model} at {where} does not think",
            Missing.LOGPROBS: f"The server at {where} refuses token log-probabilities "
            f"(--logprobs) for {model}",
        }[self.missing]
        status = f"HTTP {self.status}" if self.status else "the server"
        return f"{what}: {status} said {self.words!r}"

    def hint(self) -> str:
        """What to change, for the server the words come from where they tell."""
        w = self.words.lower()
        if self.missing is Missing.IMAGES:
            if "mmproj" in w or "multimodal data provided" in w:
                return (
                    "llama.cpp needs the model's vision projector: start llama-server with "
                    "--mmproj mmproj.gguf, or with -hf REPO (which fetches it), e.g. "
                    "llama-server -hf ggml-org/Qwen2.5-VL-7B-Instruct-GGUF."
                )
            if "is not a multimodal model" in w or "at most 0 image" in w:
                return (
                    "Serve a vision-language model (vLLM: vllm serve "
                    "Qwen/Qwen2.5-VL-7B-Instruct), and no --language-model-only; or point "
                    "RECAP_MODEL at one."
                )
            if "missing data required for image input" in w:
                return "Pull a vision model with Ollama (ollama pull qwen2.5vl) and use it."
            return "Serve a vision-language model (one that takes images) and set RECAP_MODEL."
        if self.missing is Missing.IMAGE_COUNT:
            n = self.image_limit
            return (
                "recap sends one contact sheet per clip with RECAP_LAYOUT=sheet (the default); "
                "with RECAP_LAYOUT=frames it sends RECAP_FRAMES images. Use the sheet, lower "
                "RECAP_FRAMES" + (f" to {n}" if n else "") + ", or raise the server's limit "
                "(vLLM: --limit-mm-per-prompt '{\"image\": 8}')."
            )
        if self.missing is Missing.CONTEXT:
            shrink = (
                "or send less: lower RECAP_FRAMES or RECAP_MAX_SIDE, or RECAP_IMAGE_DETAIL=low."
            )
            if "exceed_context_size_error" in w or "available context size" in w:
                return (
                    "Give llama-server more context per slot: -c is divided between the "
                    "--parallel slots (-c 32768 --parallel 4 gives each 8192 tokens); "
                    f"{shrink}"
                )
            if "context length currently available" in w:
                return f"Raise the model's context (OLLAMA_CONTEXT_LENGTH=16384); {shrink}"
            if "longer than the model's context length" in w or "requested token count" in w:
                return f"Start SGLang with a longer --context-length; {shrink}"
            return f"Start vLLM with a longer --max-model-len (e.g. 32768); {shrink}"
        if self.missing is Missing.TOOLS:
            return (
                "Use RECAP_MODE=auto (the default) or json_schema; or give the server a tool "
                "parser (vLLM: --enable-auto-tool-choice --tool-call-parser hermes; SGLang: "
                "--tool-call-parser qwen; llama.cpp: --jinja)."
            )
        if self.missing is Missing.RESPONSE_FORMAT:
            return "Use RECAP_MODE=auto (the default), tools or md_json."
        if self.missing is Missing.LOGPROBS:
            return (
                "Drop --logprobs (RECAP_LOGPROBS=0): drafts are scored without the token part "
                "(another run identity, so calibrate a policy for that run)."
            )
        return "Do not ask this model to think, or serve one that does."


def capability_error(status: int | None, text: str) -> CapabilityError | None:
    """The capability a failed answer says is missing, or None when it says no such thing."""
    if status is not None and status not in _STATUSES:
        return None
    low = text.lower()
    for missing, signs in _SIGNS:
        if any(s in low for s in signs):
            if missing is Missing.IMAGE_COUNT and "at most 0 image" in low:
                missing = Missing.IMAGES  # a limit of none: the server takes no images
            return CapabilityError(missing=missing, words=text.strip(), status=status)
    return None


# --- thinking -------------------------------------------------------------------------------
_THINK = re.compile(r"<(think|thinking)>.*?</\1>", re.DOTALL | re.IGNORECASE)
_OPEN_THINK = re.compile(r"<(think|thinking)>", re.IGNORECASE)
_CLOSE_THINK = re.compile(r"</(think|thinking)>", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """A message's answer with its thinking taken out."""

    text: str  # what is left to parse
    thought: str  # the thinking, from the content's tags or the reasoning fields
    unfinished: bool  # thinking was cut off before its end tag


def split_thinking(content: str | None, message: Any = None) -> Answer:
    """The content without `<think>…</think>` (a thought left unclosed takes the rest), and the
    thinking itself, read from those tags and from `reasoning` / `reasoning_content` (vLLM and
    Ollama write the first, llama.cpp, SGLang and older vLLM the second)."""
    text = content or ""
    thought = [m.group(0) for m in _THINK.finditer(text)]
    text = _THINK.sub("", text)
    unfinished = False
    closed = _CLOSE_THINK.search(text)
    if closed and not _OPEN_THINK.search(text[: closed.start()]):
        # A chat template that opens the tag in the prompt leaves only the closing one.
        thought.append(text[: closed.start()])
        text = text[closed.end() :]
    opened = _OPEN_THINK.search(text)
    if opened:
        thought.append(text[opened.start() :])
        text = text[: opened.start()]
        unfinished = True
    for name in ("reasoning", "reasoning_content"):
        value = _field(message, name)
        if isinstance(value, str) and value.strip():
            thought.append(value)
            break
    joined = "\n".join(t for t in thought if t)
    return Answer(text=text.strip(), thought=joined, unfinished=unfinished)


def _field(message: Any, name: str) -> Any:
    if message is None:
        return None
    if isinstance(message, dict):
        return message.get(name)
    extra = getattr(message, "model_extra", None) or {}
    return extra.get(name, getattr(message, name, None))
