"""The token log-probabilities of a model's answer, read from its stored raw response.

With `RECAP_LOGPROBS` on, each request asks for `logprobs: true`. OpenAI, vLLM, SGLang,
llama.cpp's server and Ollama (0.12.11 on) answer in the OpenAI shape: one entry per generated
token under `choices[0].logprobs.content`, each with its `logprob` (`top_logprobs` are not
asked for). The mean of those is the answer's mean token log-probability; exp of it, the
per-token geometric mean probability, is the confidence's token part.

They are often missing, and that is no error: a tool-call answer usually carries none (OpenAI
and Ollama give log-probabilities of message content only, and a tool call has none), an
older server ignores the parameter, and a Batch API line or a response read back may lack
them. `token_logprobs` says which, in words, for the confidence's notes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TokenLogprobs:
    """The answer's mean token log-probability over `tokens` tokens, or why there is none."""

    mean: float | None
    tokens: int = 0
    missing: str | None = None  # why there is no mean, in words


def token_logprobs(raw_response: str | None) -> TokenLogprobs:
    """The mean token log-probability of the chat completion `raw_response` (its JSON as
    stored with the draft), or why it has none."""
    if raw_response is None:
        return TokenLogprobs(None, missing="no raw response is stored for this draft")
    try:
        body = json.loads(raw_response)
    except (ValueError, RecursionError):
        return TokenLogprobs(None, missing="the stored response is not JSON")
    choices = body.get("choices") if isinstance(body, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list) or not content:
        return TokenLogprobs(None, missing=_why_none(choice))
    values = [_logprob(entry) for entry in content]
    if any(v is None for v in values):
        return TokenLogprobs(
            None, missing="the server returned a token without a finite log-probability"
        )
    finite = [v for v in values if v is not None]
    return TokenLogprobs(math.fsum(finite) / len(finite), tokens=len(finite))


def _logprob(entry: Any) -> float | None:
    value = entry.get("logprob") if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _why_none(choice: Any) -> str:
    message = choice.get("message") if isinstance(choice, dict) else None
    if isinstance(message, dict) and message.get("tool_calls"):
        return (
            "logprobs asked but the server returned none: the answer is a tool call, which "
            "usually carries none (--mode json_schema answers in content)"
        )
    return "logprobs asked but the server returned none"
