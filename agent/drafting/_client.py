"""The model client: any OpenAI-compatible endpoint, structured output through instructor.

Two retry layers, each with one job. instructor re-asks the model when its output fails the
`Draft` validators (bounded by `max_reasks`). tenacity, outside it, retries the transport:
429 (honouring Retry-After), 5xx, timeouts and dropped connections, with jittered backoff
(bounded by `max_retries`). The OpenAI SDK's own retries are off, so nothing retries twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import instructor
import openai
from instructor.core import InstructorRetryException
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from agent.drafting._ratelimit import LimitedTransport, RateLimiter
from agent.drafting._sdkhttp import httpx
from agent.errors import DraftError, EndpointError, RecapError
from agent.redact import redact
from agent.schema import Usage
from agent.settings import Settings

# instructor logs every failed call at ERROR; recap reports failures itself.
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = False
log = logging.getLogger("recap.client")

MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
T = TypeVar("T", bound=BaseModel)
ResponseHook = Callable[[Any], Awaitable[None] | None]


@dataclass
class CallStats:
    """What one structured call cost: requests, re-asks, retries, time and tokens."""

    attempts: int = 0
    reasks: int = 0
    retries: int = 0
    latency_s: float = 0.0
    usage: Usage = field(default_factory=Usage)
    raw_response: str | None = None


def _usage(obj: Any) -> Usage:
    if obj is None:
        return Usage()
    details = getattr(obj, "prompt_tokens_details", None)
    return Usage(
        prompt_tokens=getattr(obj, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(obj, "completion_tokens", 0) or 0,
        total_tokens=getattr(obj, "total_tokens", 0) or 0,
        cached_tokens=(getattr(details, "cached_tokens", 0) or 0) if details else 0,
    )


def _root_cause(exc: BaseException) -> BaseException:
    """instructor wraps transport errors in InstructorRetryException; find the original."""
    seen = exc
    while isinstance(seen, InstructorRetryException) and seen.__cause__ is not None:
        seen = seen.__cause__
    return seen


def is_transient(exc: BaseException) -> bool:
    cause = _root_cause(exc)
    if isinstance(cause, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(cause, openai.APIStatusError):
        return cause.status_code in (408, 409, 429) or cause.status_code >= 500
    return isinstance(cause, httpx.TransportError)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's own wait, from `retry-after-ms` or `retry-after` (seconds) headers."""
    cause = _root_cause(exc)
    response = getattr(cause, "response", None)
    if response is None:
        return None
    headers = response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue  # an HTTP date; fall back to backoff
    return None


class _Wait:
    """Server-given Retry-After when present (plus a little jitter), else exponential jitter."""

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait
        self.backoff = wait_exponential_jitter(max=max_wait, jitter=1.0)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        server = retry_after_seconds(exc) if exc else None
        if server is not None:
            return min(self.max_wait, server + random.uniform(0, 0.25))
        return self.backoff(state)


def _is_parse_error(exc: BaseException) -> bool:
    return isinstance(exc, (PydanticValidationError, json.JSONDecodeError, ValueError)) and not (
        isinstance(exc, openai.OpenAIError)
    )


class ModelClient:
    """An async client for one endpoint and model. Safe to share across concurrent drafts."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_response: ResponseHook | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        settings.check_endpoint()
        self.settings = settings
        self.model = settings.resolved_model
        self.limiter = limiter
        self._on_response = on_response
        transport = LimitedTransport(limiter) if limiter is not None else None
        http = openai.DefaultAsyncHttpxClient(
            event_hooks={"response": [self._response_hook]}, transport=transport
        )
        self._openai = openai.AsyncOpenAI(
            api_key=settings.api_key_value or "not-needed",
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout_s,
            http_client=http,
        )
        self._client = instructor.from_openai(self._openai, mode=MODES[settings.mode])

    @property
    def endpoint(self) -> str:
        return str(self._openai.base_url).rstrip("/")

    async def _response_hook(self, response: Any) -> None:
        if self._on_response is not None:
            result = self._on_response(response)
            if result is not None:
                await result

    async def aclose(self) -> None:
        await self._openai.close()

    async def structured(
        self,
        messages: list[dict[str, Any]],
        response_model: type[T],
        *,
        context: dict[str, Any] | None = None,
    ) -> tuple[T, CallStats]:
        """One validated object from the model, with what it cost. Raises RecapError subclasses."""
        s = self.settings
        stats = CallStats()
        started = time.perf_counter()
        transport = AsyncRetrying(
            stop=stop_after_attempt(s.max_retries + 1),
            wait=_Wait(s.retry_max_wait_s),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        try:
            async for attempt in transport:
                with attempt:
                    stats.retries = attempt.retry_state.attempt_number - 1
                    reask = AsyncRetrying(
                        stop=stop_after_attempt(s.max_reasks + 1),
                        retry=retry_if_exception(_is_parse_error),
                        reraise=True,
                    )
                    try:
                        create = self._client.chat.completions.create_with_completion
                        obj, completion = await create(
                            model=self.model,
                            messages=messages,  # type: ignore[arg-type]
                            response_model=response_model,
                            context=context,
                            max_retries=reask,
                            temperature=s.temperature,
                            max_tokens=s.max_tokens,
                        )
                    except InstructorRetryException as e:
                        n = reask.statistics.get("attempt_number", 1)
                        stats.attempts += n
                        stats.reasks += max(0, n - 1)
                        stats.usage = stats.usage + _usage(e.total_usage)
                        if e.last_completion is not None:
                            stats.raw_response = _dump(e.last_completion)
                        raise
                    n = reask.statistics.get("attempt_number", 1)
                    stats.attempts += n
                    stats.reasks += n - 1
                    stats.usage = stats.usage + _usage(
                        getattr(obj, "_total_usage", None) or completion.usage
                    )
                    stats.raw_response = _dump(completion)
        except BaseException as exc:
            stats.latency_s = time.perf_counter() - started
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise  # an interrupted call is no failure of the clip
            if isinstance(exc, RecapError):
                raise
            raise self._translate(exc, stats) from None
        stats.latency_s = time.perf_counter() - started
        return obj, stats

    def _translate(self, exc: BaseException, stats: CallStats) -> RecapError:
        cause = _root_cause(exc)
        where = self.endpoint
        n = stats.retries + 1
        if isinstance(cause, openai.AuthenticationError):
            return EndpointError(
                f"The endpoint at {where} refused the API key (HTTP 401).",
                hint="Check OPENAI_API_KEY (or --api-key); for a local server any value works.",
                status_code=401,
                attempts=n,
            )
        if isinstance(cause, openai.PermissionDeniedError):
            return EndpointError(
                f"The endpoint at {where} denied access (HTTP 403): {_message(cause)}",
                hint="The key lacks access to this model or project.",
                status_code=403,
                attempts=n,
            )
        if isinstance(cause, openai.NotFoundError):
            return EndpointError(
                f"Model {self.model!r} or the API path was not found at {where} (HTTP 404).",
                hint="Check RECAP_MODEL against the models the server lists, and that "
                "OPENAI_BASE_URL ends with /v1 where the server expects it.",
                status_code=404,
                attempts=n,
            )
        if isinstance(cause, openai.BadRequestError):
            return EndpointError(
                f"The endpoint at {where} rejected the request (HTTP 400): {_message(cause)}",
                hint="If the server has no tool calling, try --mode json_schema or --mode "
                "md_json; the model must accept images.",
                status_code=400,
                attempts=n,
            )
        if isinstance(cause, openai.APITimeoutError):
            return EndpointError(
                f"The endpoint at {where} timed out on {n} attempt(s) "
                f"(timeout {self.settings.timeout_s:.0f} s).",
                hint="Raise RECAP_TIMEOUT_S, or check the server's load.",
                attempts=n,
                retryable=True,
            )
        if isinstance(cause, (openai.APIConnectionError, httpx.TransportError)):
            return EndpointError(
                f"Could not reach the model endpoint at {where} after {n} attempt(s).",
                hint="Is the server running and OPENAI_BASE_URL right?",
                attempts=n,
                retryable=True,
            )
        if isinstance(cause, openai.APIStatusError):
            return EndpointError(
                f"The endpoint at {where} kept failing: HTTP {cause.status_code} after {n} "
                f"attempt(s): {_message(cause)}",
                hint="Lower the request rate (--rpm) or retry later.",
                status_code=cause.status_code,
                attempts=n,
                retryable=True,
            )
        if isinstance(exc, InstructorRetryException):
            return DraftError(
                f"The model's output failed validation after {stats.attempts} attempt(s): "
                f"{_short(cause)}",
                attempts=stats.attempts,
                usage=stats.usage.model_dump(),
                last_response=stats.raw_response,
                hint="Try a stronger model, more --max-reasks, or --mode json_schema.",
            )
        return EndpointError(f"Model call failed: {type(cause).__name__}: {_short(cause)}")


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        msg = body.get("message") or (body.get("error") or {}).get("message")
        if msg:
            return redact(str(msg))
    return redact(str(exc.message))


def _short(exc: BaseException, limit: int = 500) -> str:
    text = redact(str(exc)).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dump(completion: Any) -> str | None:
    try:
        return completion.model_dump_json()
    except Exception:
        return None
