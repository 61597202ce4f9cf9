"""The model client: any OpenAI-compatible endpoint, structured output through instructor.

Two retry layers, each with one job. instructor re-asks the model when its output fails the
`Draft` validators (bounded by `max_reasks`). tenacity, outside it, retries the transport:
429 (honouring Retry-After), 5xx, timeouts and dropped connections, with jittered backoff
(bounded by `max_retries`). The OpenAI SDK's own retries are off, so nothing retries twice.

The same client speaks the OpenAI Batch API: it writes each request as online drafting would
send it (the structured-output fields instructor adds), uploads and polls batches, and reads
an answer line back into a validated object with its usage. Output that fails validation
cannot be re-asked inside a batch; it is a `DraftError` like an online draft that ran out of
re-asks.
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
from instructor import openai_schema
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
from agent.errors import ConfigError, DraftError, EndpointError, RecapError
from agent.redact import redact, redact_url
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
BATCH_DONE = frozenset({"completed", "failed", "expired", "cancelled"})
BATCH_ENDPOINT = "/v1/chat/completions"
ResponseHook = Callable[[Any], Awaitable[None] | None]


@dataclass(frozen=True)
class BatchStatus:
    """Where a Batch API job stands, as the endpoint reports it."""

    id: str
    status: str
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None

    @property
    def done(self) -> bool:
        return self.status in BATCH_DONE


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


def _usage_dict(u: dict[str, Any] | None) -> Usage:
    """Usage from a response body read as JSON (a batch output line)."""
    u = u or {}
    return Usage(
        prompt_tokens=u.get("prompt_tokens", 0) or 0,
        completion_tokens=u.get("completion_tokens", 0) or 0,
        total_tokens=u.get("total_tokens", 0) or 0,
        cached_tokens=(u.get("prompt_tokens_details") or {}).get("cached_tokens", 0) or 0,
    )


def structured_fields(mode: str, response_model: type[BaseModel]) -> dict[str, Any]:
    """The request fields that ask for `response_model`, as instructor sends them online.
    Batch requests support tool calling and a JSON-schema response format."""
    if mode == "tools":
        schema = openai_schema(response_model).openai_schema
        return {
            "tools": [{"type": "function", "function": schema}],
            "tool_choice": {"type": "function", "function": {"name": schema["name"]}},
        }
    if mode == "json_schema":
        name = response_model.__name__
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": response_model.model_json_schema()},
            }
        }
    raise ConfigError(f"Batch mode supports --mode tools or json_schema, not {mode!r}.")


def _answer_text(body: dict[str, Any]) -> str:
    """The structured answer in a chat completion: the tool call's arguments, else the text."""
    message = body["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    if calls:
        return calls[0]["function"]["arguments"]
    return message.get("content") or ""


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
        """Where the model is, as it may be printed (credentials in the URL masked)."""
        return redact_url(str(self._openai.base_url).rstrip("/"))

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

    # --- the OpenAI Batch API -------------------------------------------------------------
    def batch_request(
        self, custom_id: str, messages: list[dict[str, Any]], response_model: type[BaseModel]
    ) -> dict[str, Any]:
        """One line of a batch input file: the request `structured` would send online."""
        s = self.settings
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
            **structured_fields(s.mode, response_model),
        }
        return {"custom_id": custom_id, "method": "POST", "url": BATCH_ENDPOINT, "body": body}

    def parse_batch_result(
        self,
        item: dict[str, Any],
        response_model: type[T],
        *,
        context: dict[str, Any] | None = None,
    ) -> tuple[T, CallStats]:
        """One batch output line as a validated object with what it cost. Raises EndpointError
        when the request failed, DraftError when the answer fails validation."""
        response = item.get("response") or {}
        if item.get("error") or response.get("status_code", 200) != 200:
            detail = item.get("error") or response.get("body")
            raise EndpointError(f"batch request failed: {detail}")
        body = response["body"]
        stats = CallStats(attempts=1, usage=_usage_dict(body.get("usage")))
        stats.raw_response = json.dumps(body)
        try:
            obj = response_model.model_validate_json(_answer_text(body), context=context)
        except PydanticValidationError as e:
            raise DraftError(
                f"batch output failed validation: {e}",
                attempts=1,
                usage=stats.usage.model_dump(),
                last_response=stats.raw_response,
            ) from None
        return obj, stats

    @property
    def _batch_api(self) -> openai.AsyncOpenAI:
        return self._openai.with_options(max_retries=3)

    async def submit_batch(self, lines: list[dict[str, Any]], name: str) -> BatchStatus:
        """Upload request lines as JSONL and create a batch for them (24 h window)."""
        api = self._batch_api
        try:
            upload = await api.files.create(
                file=(f"recap-{name}.jsonl", "\n".join(json.dumps(x) for x in lines).encode()),
                purpose="batch",
            )
            batch = await api.batches.create(
                input_file_id=upload.id,
                endpoint=BATCH_ENDPOINT,
                completion_window="24h",
                metadata={"recap_run": name[:512]},
            )
        except openai.APIError as e:
            raise EndpointError(
                f"Could not submit the batch: {e}",
                hint="Check that the endpoint offers /files and /batches "
                "(OpenAI does; most local servers do not).",
            ) from None
        return BatchStatus(id=batch.id, status=batch.status, input_file_id=upload.id)

    async def batch_status(self, batch_id: str) -> BatchStatus:
        info = await self._batch_api.batches.retrieve(batch_id)
        return BatchStatus(
            id=info.id,
            status=info.status,
            input_file_id=info.input_file_id,
            output_file_id=info.output_file_id,
            error_file_id=info.error_file_id,
        )

    async def batch_file(self, file_id: str) -> str:
        return (await self._batch_api.files.content(file_id)).text

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
