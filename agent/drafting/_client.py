"""The model client: any OpenAI-compatible endpoint, structured output through instructor.

Two retry layers, each with one job. instructor re-asks the model when its output fails the
`Draft` validators (bounded by `max_reasks`). tenacity, outside it, retries the transport:
429 (honouring Retry-After), 5xx, timeouts and dropped connections, with jittered backoff
(bounded by `max_retries`). The OpenAI SDK's own retries are off, so nothing retries twice.
A server's answer that names a capability it lacks (`agent.drafting._capability`) is never
retried, even as a 500: llama.cpp without a vision projector answers every image so.

The structured-output mode is `RECAP_MODE`, or with `auto` (the default) the first one that
works at this endpoint for this model (`agent.drafting._modes`): remembered in the store, else
found on the first request by trying tools, json_schema, json and md_json in turn. The first
request of a client goes alone; the others wait for it, so a server that cannot take images, a
prompt too long for its context or an endpoint with no working mode stops a job after a few
requests, with the server's own words and what to change, not one failure per clip. Thinking
(`<think>…</think>` in the answer, `reasoning` fields beside it) is taken out before parsing,
and a model that spent its whole output budget thinking is told apart from a bad answer.

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
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import instructor
import openai
from instructor import openai_schema
from instructor.core import IncompleteOutputException, InstructorRetryException
from instructor.utils import extract_json_from_codeblock
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from agent.drafting._capability import CapabilityError, capability_error, split_thinking
from agent.drafting._modes import AUTO, ORDER, ModeIgnored, ModeMemory, ModeTrial, Outcome
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
    mode: str | None = None  # the structured-output mode the answer came in
    thought: bool = False  # the model thought before answering (tags or reasoning fields)


@dataclass(frozen=True)
class PlainAnswer:
    """A plain chat answer, its thinking taken out, with what it cost."""

    text: str
    thought: bool
    finish_reason: str
    usage: Usage
    latency_s: float


class OutputCutOff(Exception):
    """The answer stopped at max_tokens (finish_reason "length") with nothing left to parse:
    a thinking model that spent its budget thinking, or an answer cut off before it began."""

    def __init__(self, thought: bool) -> None:
        self.thought = thought
        super().__init__("thinking used the whole output budget" if thought else "no output")


@dataclass
class _Trial:
    """The mode on trial in this task, and whether the server has answered in it yet."""

    mode: str
    honoured: bool = False


_trial: ContextVar[_Trial | None] = ContextVar("recap_mode_trial", default=None)
_stats: ContextVar[CallStats | None] = ContextVar("recap_call_stats", default=None)


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
    """The structured answer in a chat completion: the tool call's arguments, else the text
    without its thinking."""
    message = body["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    if calls:
        return calls[0]["function"]["arguments"]
    return split_thinking(message.get("content"), message).text


def _json_in(text: str) -> bool:
    """Whether the text holds a JSON object or array somewhere (a code block, prose around)."""
    try:
        json.loads(extract_json_from_codeblock(text))
    except (ValueError, RecursionError):
        return False
    return True


def _is_json(text: str) -> bool:
    """Whether the text is a JSON object and nothing else, as a JSON response format gives."""
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _not_in_mode(mode: str, text: str, calls: list[Any]) -> str | None:
    """Why an HTTP 200 answer is not in the mode asked for, or None when it is."""
    if mode == "tools":
        if calls:
            return None
        return "answered without calling the tool" + (
            ", with JSON in its text" if _json_in(text) else ""
        )
    if mode == "md_json":
        return None if _json_in(text) else "answered without any JSON"
    if calls or _is_json(text):
        return None
    return "answered text that is not JSON" + (
        " (JSON inside it: the response format was ignored)" if _json_in(text) else ""
    )


def _capability(exc: BaseException) -> CapabilityError | None:
    """The capability a failed request says the server lacks (read from its message and whole
    body), or None."""
    if isinstance(exc, openai.APIStatusError):
        found = capability_error(exc.status_code, f"{_message(exc)} {exc}")
        return replace(found, words=_message(exc)) if found is not None else None
    return None


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
        if _capability(cause) is not None:
            return False  # the same request gets the same answer, even as a 500
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
    """An async client for one endpoint and model. Safe to share across concurrent drafts.

    `modes` remembers which structured-output mode works here (the store's `endpoints`); without
    it, auto mode finds the mode once per client."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_response: ResponseHook | None = None,
        limiter: RateLimiter | None = None,
        modes: ModeMemory | None = None,
    ) -> None:
        settings.check_endpoint()
        self.settings = settings
        self.model = settings.resolved_model
        self.limiter = limiter
        self.modes = modes
        self.auto = settings.mode == AUTO
        # The mode requests go out in: the setting, or (auto) the one found; None until then.
        self.mode: str | None = None if self.auto else settings.mode
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
        self._instructors: dict[str, Any] = {}
        self._ready = False  # the first request was answered (and, with auto, a mode found)
        self._stopped: RecapError | None = None  # why every request would fail, once known
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

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

    def _instructor(self, mode: str) -> Any:
        """The instructor client for one mode, over the one OpenAI client and `_create`."""
        if mode not in self._instructors:
            kind = MODES[mode]
            self._instructors[mode] = instructor.AsyncInstructor(
                client=self._openai,
                create=instructor.patch(create=self._create, mode=kind),
                mode=kind,
                provider=instructor.Provider.OPENAI,
            )
        return self._instructors[mode]

    async def _create(self, *args: Any, **kwargs: Any) -> Any:
        """The chat completion instructor parses, with the thinking taken out of its answer.

        Raises OutputCutOff when the answer stopped at max_tokens with nothing to parse, and,
        while a mode is on trial, ModeIgnored when the server answered but not in that mode."""
        completion = await self._openai.chat.completions.create(*args, **kwargs)
        stats = _stats.get()
        if stats is not None:  # every answer's tokens, counted once, whatever comes of it
            stats.usage = stats.usage + _usage(getattr(completion, "usage", None))
        choices = getattr(completion, "choices", None) or []
        if not choices:
            return completion
        choice = choices[0]
        message = choice.message
        answer = split_thinking(message.content, message)
        if message.content is not None:
            message.content = answer.text
        if stats is not None and answer.thought:
            stats.thought = True
        calls = list(message.tool_calls or [])
        if choice.finish_reason == "length" and not answer.text and not calls:
            raise OutputCutOff(thought=bool(answer.thought))
        trial = _trial.get()
        if trial is not None and not trial.honoured:
            reason = _not_in_mode(trial.mode, answer.text, calls)
            if reason is not None:
                raise ModeIgnored(trial.mode, reason)
            trial.honoured = True
        return completion

    def _first_lock(self) -> asyncio.Lock:
        """The lock the first request holds (one per event loop: a client may outlive one)."""
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, asyncio.Lock())
        return self._gate[1]

    async def structured(
        self,
        messages: list[dict[str, Any]],
        response_model: type[T],
        *,
        context: dict[str, Any] | None = None,
    ) -> tuple[T, CallStats]:
        """One validated object from the model, with what it cost. Raises RecapError subclasses."""
        stats = CallStats()
        started = time.perf_counter()
        token = _stats.set(stats)
        try:
            obj = await self._answer(messages, response_model, context, stats)
        except BaseException as exc:
            stats.latency_s = time.perf_counter() - started
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise  # an interrupted call is no failure of the clip
            raise self._recap(exc, stats) from None
        finally:
            _stats.reset(token)
        stats.latency_s = time.perf_counter() - started
        return obj, stats

    async def _answer(
        self,
        messages: list[dict[str, Any]],
        response_model: type[T],
        context: dict[str, Any] | None,
        stats: CallStats,
    ) -> T:
        if not self._ready:
            async with self._first_lock():
                if self._stopped is not None:
                    raise self._stopped
                if not self._ready:
                    return await self._first(messages, response_model, context, stats)
        assert self.mode is not None
        try:
            return await self._call(self.mode, messages, response_model, context, stats)
        except Exception as exc:
            found = _capability(_root_cause(exc))
            if not (self.auto and found is not None and found.changes_mode):
                raise
        # The mode that worked is refused now (the server was restarted otherwise): find again.
        log.info("mode %s no longer works at %s; finding another", self.mode, self.endpoint)
        self._ready, self.mode = False, None
        await self._memory("forget")
        return await self._answer(messages, response_model, context, stats)

    async def _first(
        self,
        messages: list[dict[str, Any]],
        response_model: type[T],
        context: dict[str, Any] | None,
        stats: CallStats,
    ) -> T:
        """The first request: in the mode set, remembered or found. A failure every request
        would meet is kept, so the requests waiting behind this one fail without being sent."""
        try:
            if self.mode is None:
                remembered = await self._memory("recall")
                if remembered in ORDER:
                    obj = await self._remembered(
                        remembered, messages, response_model, context, stats
                    )
                else:
                    obj = await self._discover(messages, response_model, context, stats)
            else:
                obj = await self._call(self.mode, messages, response_model, context, stats)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise
            error = self._recap(exc, stats)
            if error.stops_job:
                self._stopped = error
            elif self.mode is not None and not getattr(error, "retryable", False):
                self._ready = True  # the server answers in this mode; this clip failed alone
            raise error from None
        self._ready = True
        return obj

    async def _remembered(
        self,
        mode: str,
        messages: list[dict[str, Any]],
        response_model: type[T],
        context: dict[str, Any] | None,
        stats: CallStats,
    ) -> T:
        """A request in the mode remembered for this endpoint, on trial: found anew if the
        server refuses or ignores it now (it was restarted with other flags)."""
        trial = await self.try_mode(mode, messages, response_model, context, stats)
        if trial.honoured:
            self.mode = mode
        if trial.outcome is Outcome.WORKS:
            return trial.value  # type: ignore[no-any-return]
        if trial.outcome not in (Outcome.REJECTED, Outcome.IGNORED):
            assert trial.error is not None
            raise trial.error
        log.info("remembered mode %s no longer works at %s", mode, self.endpoint)
        await self._memory("forget")
        return await self._discover(messages, response_model, context, stats, [trial])

    async def _discover(
        self,
        messages: list[dict[str, Any]],
        response_model: type[T],
        context: dict[str, Any] | None,
        stats: CallStats,
        tried: list[ModeTrial] | None = None,
    ) -> T:
        """Try each mode in order on this request (but those `tried` already); keep the first
        the server answers in."""
        trials: list[ModeTrial] = list(tried or [])
        for mode in ORDER:
            if any(t.mode == mode for t in trials):
                continue
            trial = await self.try_mode(mode, messages, response_model, context, stats)
            trials.append(trial)
            if trial.honoured:
                self.mode = mode
                await self._memory("remember", mode)
                if trial.outcome is Outcome.WORKS:
                    return trial.value  # type: ignore[no-any-return]
            if trial.error is not None and trial.outcome is not Outcome.REJECTED:
                raise trial.error
        trials.sort(key=lambda t: ORDER.index(t.mode))
        said = "; ".join(f"{t.mode}: {t.outcome.value} ({t.detail})" for t in trials)
        raise EndpointError(
            f"No structured-output mode works at {self.endpoint} for {self.model} after "
            f"{stats.attempts} request(s): {said}.",
            hint="`recap check` shows what the server answers in each mode. A model that "
            "follows instructions (an instruction-tuned or larger one), or a server with a tool "
            "parser or JSON-schema support, gives drafts.",
            attempts=stats.attempts,
            stops_job=True,
        )

    async def try_mode(
        self,
        mode: str,
        messages: list[dict[str, Any]],
        response_model: type[T],
        context: dict[str, Any] | None = None,
        stats: CallStats | None = None,
    ) -> ModeTrial:
        """One request in `mode` (re-asked as usual once the server answers in it), and what it
        found: a valid answer, an invalid one, the mode refused or ignored, or a failure no
        mode changes."""
        stats = stats if stats is not None else CallStats()
        trial = _Trial(mode)
        token = _trial.set(trial)
        counted = _stats.set(stats)
        try:
            obj = await self._call(mode, messages, response_model, context, stats)
        except Exception as exc:
            cause = _root_cause(exc)
            error = self._recap(exc, stats)
            if trial.honoured:
                outcome = Outcome.INVALID if isinstance(error, DraftError) else Outcome.FAILED
                detail = _short(cause, 300)
                return ModeTrial(mode, outcome, detail, stats=stats, error=error, honoured=True)
            if isinstance(cause, ModeIgnored):
                return ModeTrial(mode, Outcome.IGNORED, cause.reason, stats=stats)
            found = _capability(cause)
            if found is not None and found.changes_mode:
                return ModeTrial(mode, Outcome.REJECTED, found.words, stats=stats, error=error)
            return ModeTrial(mode, Outcome.FAILED, error.message, stats=stats, error=error)
        finally:
            _stats.reset(counted)
            _trial.reset(token)
        return ModeTrial(mode, Outcome.WORKS, value=obj, stats=stats, honoured=True)

    async def remember_mode(self, mode: str) -> None:
        """Keep `mode` as the one that works here (what `recap check` found)."""
        self.mode = mode
        await self._memory("remember", mode)

    async def ask(self, messages: list[dict[str, Any]]) -> PlainAnswer:
        """One plain chat request (no structured output), through the transport retries: the
        probes of `recap check`. Raises RecapError subclasses, capability errors included."""
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
                    stats.attempts += 1
                    stats.retries = attempt.retry_state.attempt_number - 1
                    completion = await self._openai.chat.completions.create(
                        model=self.model,
                        messages=messages,  # type: ignore[arg-type]
                        temperature=s.temperature,
                        max_tokens=s.max_tokens,
                    )
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise
            raise self._recap(exc, stats) from None
        choice = completion.choices[0]
        answer = split_thinking(choice.message.content, choice.message)
        return PlainAnswer(
            text=answer.text,
            thought=bool(answer.thought),
            finish_reason=str(choice.finish_reason),
            usage=_usage(completion.usage),
            latency_s=time.perf_counter() - started,
        )

    async def _memory(self, what: str, mode: str | None = None) -> str | None:
        """Recall, remember or forget this endpoint's mode; a store that fails costs only the
        memory (the mode is found again next time), never the draft."""
        if self.modes is None:
            return None
        try:
            if what == "recall":
                return await asyncio.to_thread(self.modes.recall, self.endpoint, self.model)
            if what == "remember" and mode is not None:
                await asyncio.to_thread(self.modes.remember, self.endpoint, self.model, mode)
            elif what == "forget":
                await asyncio.to_thread(self.modes.forget, self.endpoint, self.model)
        except Exception as e:  # a locked or read-only database
            log.warning("could not %s the mode of %s: %s", what, self.endpoint, e)
        return None

    async def _call(
        self,
        mode: str,
        messages: list[dict[str, Any]],
        response_model: type[T],
        context: dict[str, Any] | None,
        stats: CallStats,
    ) -> T:
        """One answer in one mode: transport retries around instructor's re-asks. Raises what
        failed, untranslated."""
        s = self.settings
        transport = AsyncRetrying(
            stop=stop_after_attempt(s.max_retries + 1),
            wait=_Wait(s.retry_max_wait_s),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        async for attempt in transport:
            with attempt:
                stats.retries += 1 if attempt.retry_state.attempt_number > 1 else 0
                reask = AsyncRetrying(
                    stop=stop_after_attempt(s.max_reasks + 1),
                    retry=retry_if_exception(_is_parse_error),
                    reraise=True,
                )
                try:
                    create = self._instructor(mode).chat.completions.create_with_completion
                    obj, completion = await create(
                        model=self.model,
                        messages=messages,  # type: ignore[arg-type]
                        response_model=response_model,
                        context=context,
                        max_retries=reask,
                        temperature=s.temperature,
                        max_tokens=s.max_tokens,
                        **self._asked(),
                    )
                except InstructorRetryException as e:
                    n = reask.statistics.get("attempt_number", 1)
                    stats.attempts += n
                    stats.reasks += max(0, n - 1)
                    if e.last_completion is not None:
                        stats.raw_response = _dump(e.last_completion)
                    raise
                except IncompleteOutputException as e:
                    stats.attempts += reask.statistics.get("attempt_number", 1)
                    stats.raw_response = _dump(getattr(e, "last_completion", None))
                    raise
                n = reask.statistics.get("attempt_number", 1)
                stats.attempts += n
                stats.reasks += n - 1
                stats.raw_response = _dump(completion)
                stats.mode = mode
                return obj  # type: ignore[no-any-return]
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _asked(self) -> dict[str, Any]:
        """Request fields beyond the answer itself: token log-probabilities when asked for
        (`RECAP_LOGPROBS`); none otherwise, so a request is what it was before they existed."""
        return {"logprobs": True} if self.settings.logprobs else {}

    def _recap(self, exc: BaseException, stats: CallStats) -> RecapError:
        return exc if isinstance(exc, RecapError) else self._translate(exc, stats)

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
            **self._asked(),
            **structured_fields(self.batch_mode, response_model),
        }
        return {"custom_id": custom_id, "method": "POST", "url": BATCH_ENDPOINT, "body": body}

    @property
    def batch_mode(self) -> str:
        """The mode batch requests are written in: the Batch API (OpenAI's) takes tool calls
        and JSON-schema response formats; auto uses the mode found, else tools."""
        if self.auto:
            return self.mode if self.mode in ("tools", "json_schema") else "tools"
        return self.settings.mode

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
        found = _capability(cause)
        if found is not None and isinstance(cause, openai.APIStatusError):
            return EndpointError(
                found.summary(where, self.model)
                + f" (after {max(1, stats.attempts)} request(s); not retried).",
                hint=found.hint(),
                status_code=cause.status_code,
                attempts=max(1, stats.attempts),
                capability=found.missing.value,
                stops_job=True,
            )
        if isinstance(cause, OutputCutOff):
            budget = self.settings.max_tokens
            if cause.thought:
                what = (
                    f"{self.model} spent its whole output budget (max_tokens={budget}) thinking "
                    'and stopped before answering (finish_reason "length", no content).'
                )
                hint = (
                    f"Raise RECAP_MAX_TOKENS (e.g. {max(8192, budget * 4)}), or turn thinking off "
                    "on the server (vLLM and SGLang: a non-thinking chat template or "
                    "enable_thinking false; llama.cpp: --reasoning-budget 0; Ollama: a model "
                    "without thinking)."
                )
            else:
                what = (
                    f"{self.model} stopped at max_tokens={budget} before writing any answer "
                    '(finish_reason "length").'
                )
                hint = f"Raise RECAP_MAX_TOKENS (e.g. {max(4096, budget * 2)})."
            return DraftError(
                what,
                attempts=max(1, stats.attempts),
                usage=stats.usage.model_dump(),
                last_response=stats.raw_response,
                hint=hint,
                stops_job=not self._ready,
            )
        if isinstance(cause, IncompleteOutputException):
            return DraftError(
                f"The answer was cut off at max_tokens={self.settings.max_tokens} before it was "
                'complete (finish_reason "length").',
                attempts=max(1, stats.attempts),
                usage=stats.usage.model_dump(),
                last_response=stats.raw_response,
                hint=f"Raise RECAP_MAX_TOKENS (e.g. {max(4096, self.settings.max_tokens * 2)}).",
            )
        if isinstance(cause, ModeIgnored):
            return EndpointError(
                f"The endpoint at {where} answered, but not in mode {cause.mode}: {cause.reason}.",
                hint="Use RECAP_MODE=auto (the default) to find a mode that works.",
                attempts=max(1, stats.attempts),
            )
        if isinstance(cause, openai.AuthenticationError):
            return EndpointError(
                f"The endpoint at {where} refused the API key (HTTP 401).",
                hint="Check OPENAI_API_KEY (or --api-key); for a local server any value works.",
                status_code=401,
                attempts=n,
                stops_job=True,
            )
        if isinstance(cause, openai.PermissionDeniedError):
            return EndpointError(
                f"The endpoint at {where} denied access (HTTP 403): {_message(cause)}",
                hint="The key lacks access to this model or project.",
                status_code=403,
                attempts=n,
                stops_job=True,
            )
        if isinstance(cause, openai.NotFoundError):
            return EndpointError(
                f"Model {self.model!r} or the API path was not found at {where} (HTTP 404).",
                hint="Check RECAP_MODEL against the models the server lists, and that "
                "OPENAI_BASE_URL ends with /v1 where the server expects it.",
                status_code=404,
                attempts=n,
                stops_job=True,
            )
        if isinstance(cause, openai.BadRequestError):
            return EndpointError(
                f"The endpoint at {where} rejected the request (HTTP 400): {_message(cause)}",
                hint="`recap check` shows what this server can do (images, each structured-"
                "output mode); the model must accept images.",
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
