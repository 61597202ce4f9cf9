"""A fake OpenAI-compatible server: real HTTP on 127.0.0.1, scripted answers and faults.

Tests enqueue replies (a draft, malformed JSON, 429 with Retry-After, 500, a delay, a dropped
connection); when the script is empty the `responder` answers. Every request body is kept so a
test can check what recap actually sent (re-ask messages, images, headers). A test that must act
while a job is still running holds requests behind a gate (`hold`, `release`) and waits on what
the server saw (`wait_until`), never on the clock.

A `personality` makes it answer the way a real server does where a capability is missing:
vLLM without a tool parser, Ollama answering prose around a JSON code block, llama.cpp
without a vision projector, thinking models, a model that ignores the schema's spelling, and
more (`PERSONALITIES`). Their error bodies are byte for byte what each server's source writes
(see each class); the prompt-token count bills images as OpenAI does, so a test can check
image-token figures.

A request with `logprobs: true` gets token log-probabilities with an answer in content (none
with a tool call, as OpenAI and Ollama answer): the text cut into 4-character tokens, their
log-probabilities -0.1 and -0.3 in turn and -0.2 for an odd last one, so the mean is exactly
-0.2 whatever the answer (`LOGPROB_MEAN`). `FakeOpenAI(logprobs="ignores")` answers without
them (a server that drops the parameter), `logprobs="refuses"` refuses the request with
OpenAI's own 400 for a model without them.
"""

from __future__ import annotations

import base64
import io
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

from agent.cost import image_tokens

Responder = Callable[[dict[str, Any]], dict[str, Any]]
LOGPROB_MEAN = -0.2  # the mean token log-probability of every answer given with them
LOGPROBS_REFUSED = {  # OpenAI's answer to `logprobs` for a model without them
    "error": {
        "message": "This model does not support the 'logprobs' parameter.",
        "type": "invalid_request_error",
        "param": "logprobs",
        "code": None,
    }
}


@dataclass
class Reply:
    """One scripted answer. `payload` is the object the model 'returns' as its structured output;
    `content` sends raw text instead (for malformed output)."""

    status: int = 200
    payload: dict[str, Any] | None = None
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    body: dict[str, Any] | None = None

    @classmethod
    def draft(cls, payload: dict[str, Any], delay: float = 0.0) -> Reply:
        return cls(payload=payload, delay=delay)

    @classmethod
    def raw(cls, content: str) -> Reply:
        return cls(content=content)

    @classmethod
    def error(cls, status: int, message: str = "error", **headers: str) -> Reply:
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
        return cls(status=status, headers=hdrs, body={"error": {"message": message, "type": "x"}})

    @classmethod
    def dropped(cls) -> Reply:
        return cls(drop=True)


def caption_of(request: dict[str, Any]) -> str:
    """The caption recap fenced into its last user message."""
    for message in reversed(request.get("messages", [])):
        content = message.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        for part in reversed(parts):
            text = part.get("text") or ""
            if "<caption>" in text:
                return text.split("<caption>\n", 1)[1].rsplit("\n</caption>", 1)[0]
    raise ValueError("no <caption> block in the request")


def has_caption(request: dict[str, Any]) -> bool:
    """Whether the request is a draft (recap's caption block), not a plain question."""
    try:
        caption_of(request)
    except ValueError:
        return False
    return True


def accurate_responder(request: dict[str, Any]) -> dict[str, Any]:
    """Calls every caption accurate: the cheapest valid answer."""
    caption = caption_of(request)
    return {
        "observations": "as captioned",
        "hallucinations": [],
        "omissions": [],
        "rewrite": caption,
        "verdict": "accurate",
    }


class NoisyResponder:
    """A model that answers right with probability 1 − p, per request, as sampling at a
    temperature above 0 does: the caption is right as written, and the right answer calls it
    accurate; the wrong one flags its second word as a wrong action. The n-th request for a
    caption draws from its own generator, seeded with (seed, caption, n), so the answers a
    caption gets are the same on every run whatever order its requests arrive in; `given`
    keeps, per caption, what each answer was ("right" or "wrong")."""

    def __init__(self, p: float, seed: int = 0) -> None:
        self.p, self.seed = p, seed
        self.given: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        caption = caption_of(request)
        with self._lock:
            given = self.given.setdefault(caption, [])
            rng = random.Random(f"{self.seed}:{caption}:{len(given)}")
            wrong = rng.random() < self.p
            given.append("wrong" if wrong else "right")
        if not wrong:
            return accurate_responder(request)
        word = caption.split()[1]
        return {
            "observations": "the arm moves the other way",
            "hallucinations": [
                {"span": word, "type": "action", "explanation": "It does something else."}
            ],
            "omissions": [],
            "rewrite": caption.replace(word, "nudges", 1),
            "verdict": "needs_edit",
        }


class FakeOpenAI:
    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: tuple[float, float] = (0.0, 0.0),
        rpm_limit: int | None = None,
        fault_rate: float = 0.0,
        fault_delay: float | None = None,
        seed: int = 0,
        expect_key: str | None = None,
        personality: str | Personality = "openai",
        logprobs: str = "returns",
    ) -> None:
        if logprobs not in ("returns", "ignores", "refuses"):
            raise ValueError(f"logprobs must be returns, ignores or refuses, not {logprobs!r}")
        self.logprobs = logprobs
        self.responder = responder or accurate_responder
        self.personality = (
            PERSONALITIES[personality]() if isinstance(personality, str) else personality
        )
        self.latency = latency
        self.rpm_limit = rpm_limit
        self.fault_rate = fault_rate
        self.fault_delay = fault_delay
        self.expect_key = expect_key
        self.script: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.stats = {"ok": 0, "429": 0, "injected": 0}
        self._times: deque[float] = deque()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_polls = 1  # polls a batch stays in progress before it completes
        self.batch_line_error: Callable[[dict[str, Any]], bool] = lambda _body: False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified on every chat request
        self._hold_after: int | None = None  # answer this many more, then hold the rest
        self._gate = threading.Event()
        self._gate.set()
        self.held = 0  # chat requests waiting behind the gate now
        self.answered = 0  # chat requests answered (any status), since the start
        self._rng = random.Random(seed)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()  # held handler threads finish (their clients may be gone)
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def enqueue(self, *replies: Reply) -> None:
        self.script.extend(replies)

    # --- explicit signals for tests: hold requests, wait for what the server saw -------------
    def hold(self, after: int = 0) -> None:
        """Answer `after` more chat requests, then hold every later one (unanswered, its client
        waiting) until `release()`: a job provably still running, for a test to interrupt."""
        with self._changed:
            self._hold_after = after
            self._gate.clear()

    def release(self) -> None:
        """Answer the held requests and every later one."""
        with self._changed:
            self._hold_after = None
            self._gate.set()
            self._changed.notify_all()

    def wait_until(self, condition: Callable[[FakeOpenAI], bool], timeout: float = 300) -> None:
        """Block until `condition(self)` holds, checked whenever a chat request arrives or is
        answered. The timeout is a safety net for a broken test, never the expected outcome."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self), timeout):
                raise AssertionError(
                    f"fake server: condition not met after {timeout} s "
                    f"({len(self.requests)} requests, {self.answered} answered, {self.held} held)"
                )

    def _pass_gate(self) -> None:
        with self._changed:
            if self._hold_after is not None and self._hold_after > 0:
                self._hold_after -= 1
                return
            if self._gate.is_set():
                return
            self.held += 1
            self._changed.notify_all()
        self._gate.wait()
        with self._changed:
            self.held -= 1

    def _answered(self) -> None:
        with self._changed:
            self.answered += 1
            self._changed.notify_all()

    # --- answering ----------------------------------------------------------------------------
    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            if self.script:
                return self.script.popleft()
            now = time.monotonic()
            if self.rpm_limit is not None:
                while self._times and now - self._times[0] > 60:
                    self._times.popleft()
                if len(self._times) >= self.rpm_limit:
                    self.stats["429"] += 1
                    wait = 60 - (now - self._times[0])
                    return Reply.error(429, "rate limited", retry_after_ms=str(int(wait * 1000)))
                self._times.append(now)
            if self.fault_rate and self._rng.random() < self.fault_rate:
                self.stats["injected"] += 1
                faults = [Reply.error(500, "boom"), Reply.error(503, "busy"), Reply.dropped()]
                if self.fault_delay is not None:  # a reply slower than the client's timeout
                    faults.append(Reply(payload=self.responder(request), delay=self.fault_delay))
                return self._rng.choice(faults)
            delay = self._rng.uniform(*self.latency) if self.latency[1] else 0.0
        if not has_caption(request):  # a plain question (`recap check`'s probes)
            return Reply(content="ready", delay=delay)
        return Reply(payload=self.responder(request), delay=delay)

    # --- Batch API ----------------------------------------------------------------------------
    def add_file(self, data: bytes, purpose: str = "batch", name: str = "f") -> dict[str, Any]:
        with self._lock:
            fid = f"file-{len(self.files) + 1}"
            self.files[fid] = data
        return {
            "id": fid,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }

    def create_batch(self, req: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            bid = f"batch_{len(self.batches) + 1}"
            batch = {
                "id": bid,
                "object": "batch",
                "endpoint": req["endpoint"],
                "input_file_id": req["input_file_id"],
                "completion_window": "24h",
                "status": "validating",
                "created_at": int(time.time()),
                "output_file_id": None,
                "error_file_id": None,
                "polls": 0,
                "metadata": req.get("metadata"),
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
            }
            self.batches[bid] = batch
        return self._public(batch)

    def poll_batch(self, bid: str) -> dict[str, Any] | None:
        batch = self.batches.get(bid)
        if batch is None:
            return None
        batch["polls"] += 1
        if batch["status"] != "completed" and batch["polls"] > self.batch_polls:
            out, errs = [], []
            for line in self.files[batch["input_file_id"]].decode().splitlines():
                item = json.loads(line)
                body = item["body"]
                if self.batch_line_error(body):
                    errs.append(
                        {
                            "id": "r",
                            "custom_id": item["custom_id"],
                            "response": None,
                            "error": {"code": "server_error", "message": "failed"},
                        }
                    )
                    continue
                reply = Reply(payload=self.responder(body))
                out.append(
                    {
                        "id": "r",
                        "custom_id": item["custom_id"],
                        "error": None,
                        "response": {
                            "status_code": 200,
                            "request_id": "x",
                            "body": completion(body, reply),
                        },
                    }
                )
            batch["output_file_id"] = self.add_file(
                "\n".join(json.dumps(o) for o in out).encode(), "batch_output"
            )["id"]
            if errs:
                batch["error_file_id"] = self.add_file(
                    "\n".join(json.dumps(e) for e in errs).encode(), "batch_output"
                )["id"]
            batch["status"] = "completed"
            batch["request_counts"] = {
                "total": len(out) + len(errs),
                "completed": len(out),
                "failed": len(errs),
            }
        elif batch["status"] == "validating":
            batch["status"] = "in_progress"
        return self._public(batch)

    @staticmethod
    def _public(batch: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in batch.items() if k != "polls"}

    def ratelimit_headers(self) -> dict[str, str]:
        if self.rpm_limit is None:
            return {}
        with self._lock:
            now = time.monotonic()
            while self._times and now - self._times[0] > 60:
                self._times.popleft()
            remaining = max(0, self.rpm_limit - len(self._times))
            reset = 60 - (now - self._times[0]) if self._times else 0.0
        return {
            "x-ratelimit-limit-requests": str(self.rpm_limit),
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": f"{max(0.0, reset):.3f}s",
        }


def image_parts(request: dict[str, Any]) -> list[str]:
    """The image URLs of a request's messages."""
    urls: list[str] = []
    for message in request.get("messages", []):
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                image = part["image_url"]
                urls.append(image["url"] if isinstance(image, dict) else image)
    return urls


def prompt_tokens(request: dict[str, Any]) -> int:
    """Text at 4 characters a token, each image billed as OpenAI bills it (high detail)."""
    text = 0
    for message in request.get("messages", []):
        content = message.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        for part in parts:
            text += len(str(part.get("text") or "")) if part.get("type") == "text" else 0
    tools = json.dumps(request.get("tools") or request.get("response_format") or "")
    images = 0
    for url in image_parts(request):
        data = base64.b64decode(url.split(",", 1)[1]) if url.startswith("data:") else b""
        try:
            with Image.open(io.BytesIO(data)) as im:
                images += image_tokens(im.width, im.height, "high")
        except Exception:
            images += 85
    return (text + len(tools)) // 4 + images


def completion(
    request: dict[str, Any],
    reply: Reply,
    *,
    tools: bool = True,
    text: str | None = None,
    finish: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A chat.completion in the shape the request asked for (tool call or plain content).
    `tools=False` answers in content whatever was asked; `text` replaces the answer's text;
    `extra` adds fields to the message (reasoning)."""
    if text is None:
        text = reply.content if reply.content is not None else json.dumps(reply.payload)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    finish = finish or "stop"
    tool_choice = request.get("tool_choice")
    if tools and request.get("tools"):
        name = (
            tool_choice["function"]["name"]
            if isinstance(tool_choice, dict)
            else request["tools"][0]["function"]["name"]
        )
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}
            ],
        }
        finish = "tool_calls"
    message.update(extra or {})
    choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish}
    if request.get("logprobs"):
        choice["logprobs"] = None if message.get("tool_calls") else token_logprobs(text or "")
    n_prompt = prompt_tokens(request)
    thought = sum(len(str(v)) for v in (extra or {}).values() if isinstance(v, str))
    n_completion = max(1, (len(text or "") + thought) // 4)
    if finish == "length":
        n_completion = int(request.get("max_tokens") or n_completion)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
        "choices": [choice],
        "usage": {
            "prompt_tokens": n_prompt,
            "completion_tokens": n_completion,
            "total_tokens": n_prompt + n_completion,
        },
    }


def token_logprobs(text: str) -> dict[str, Any]:
    """`choices[0].logprobs` for `text`: 4-character tokens at -0.1 and -0.3 in turn, an odd
    last one at -0.2, so that the mean is `LOGPROB_MEAN` exactly."""
    tokens = [text[i : i + 4] for i in range(0, len(text), 4)] or [""]
    values = [-0.1 if i % 2 == 0 else -0.3 for i in range(len(tokens))]
    if len(tokens) % 2:
        values[-1] = -0.2
    return {
        "content": [
            {"token": t, "logprob": v, "bytes": list(t.encode()), "top_logprobs": []}
            for t, v in zip(tokens, values, strict=True)
        ],
        "refusal": None,
    }


# --- personalities: how real servers answer where a capability is missing ----------------------
def compact(body: Any) -> bytes:
    """JSON as vLLM (Starlette), SGLang (orjson) and llama.cpp (nlohmann) write it: no spaces."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def vllm_error(message: str, param: str | None = None) -> tuple[int, bytes]:
    """vLLM >= 0.10.1 (`create_error_response`): 400, `{"error":{...}}`."""
    body = {"error": {"message": message, "type": "BadRequestError", "param": param, "code": 400}}
    return 400, compact(body)


def llamacpp_error(code: int, message: str, kind: str, **more: int) -> tuple[int, bytes]:
    """llama.cpp's `ex_wrapper` and `format_error_response`: code first (ordered_json)."""
    return code, compact({"error": {"code": code, "message": message, "type": kind, **more}})


def ollama_error(message: str) -> tuple[int, bytes]:
    """Ollama's /v1 `BaseWriter.writeError`: Go's json.Encoder, with its trailing newline."""
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    body["error"]["code"] = None
    return 400, compact(body) + b"\n"


def sglang_error(message: str) -> tuple[int, bytes]:
    """SGLang's `create_error_response`: the flat, old-vLLM shape."""
    body = {"object": "error", "message": message, "type": "BadRequestError", "param": None}
    body["code"] = 400
    return 400, compact(body)


def payload_text(reply: Reply) -> str:
    return reply.content if reply.content is not None else json.dumps(reply.payload)


class Personality:
    """OpenAI itself: tools, response formats and images all work."""

    name = "openai"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        return 200, json.dumps(completion(request, reply)).encode()


class VLLMNoToolParser(Personality):
    """`vllm serve` without --enable-auto-tool-choice/--tool-call-parser (0.33,
    `renderers/online_renderer.py`): any request with tools is refused; response_format
    (json_schema, json_object) is grammar-constrained and works."""

    name = "vllm_no_tool_parser"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if request.get("tools"):
            choice = request.get("tool_choice", "auto")
            if isinstance(choice, dict):
                name = choice["function"]["name"]
                return vllm_error(
                    f'tool_choice=function "{name}" requires --tool-call-parser to be set'
                )
            if choice == "required":
                return vllm_error('tool_choice="required" requires --tool-call-parser to be set')
            if choice != "none":
                return vllm_error(
                    '"auto" tool choice requires --enable-auto-tool-choice and '
                    "--tool-call-parser to be set"
                )
        return 200, compact(completion(request, reply, tools=False))


class VLLMTextOnly(Personality):
    """vLLM serving a text-only model (`MultiModalRegistry.create_processor`): 400; with
    `tool_parser=False` started without a tool parser too (tools are checked first)."""

    name = "vllm_text_only"

    def __init__(self, tool_parser: bool = True) -> None:
        self.tool_parser = tool_parser

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if not self.tool_parser and request.get("tools"):
            return VLLMNoToolParser().answer(request, reply)
        if image_parts(request):
            return vllm_error(f"{request.get('model')} is not a multimodal model")
        return 200, compact(completion(request, reply))


class VLLMImageLimit(Personality):
    """vLLM with --limit-mm-per-prompt '{"image": 4}' (`validate_num_items`)."""

    name = "vllm_image_limit"
    limit = 4

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if len(image_parts(request)) > self.limit:
            return vllm_error(
                f"At most {self.limit} image(s) may be provided in one prompt. Set "
                "`--limit-mm-per-prompt` to increase this limit. (parameter=image)",
                param="image",
            )
        return 200, compact(completion(request, reply))


class VLLMContext(Personality):
    """vLLM started with --max-model-len 2048, shorter than recap's prompt
    (`_token_len_check`): a short question is answered, a clip's request is refused."""

    name = "vllm_context"
    max_model_len = 2048

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        n = prompt_tokens(request)
        if n <= self.max_model_len:
            return 200, compact(completion(request, reply))
        return vllm_error(
            f"This model's maximum context length is {self.max_model_len} tokens. However, your "
            "prompt "
            f"contains {n} input tokens, which exceeds this limit even without any output "
            f"tokens. Please reduce the length of the input prompt. (parameter=input_tokens, "
            f"value={n})",
            param="input_tokens",
        )


class OllamaProse(Personality):
    """An Ollama-style model that ignores tools, tool_choice and response_format and answers
    in prose with the JSON in a ```json block (`finish_reason` stop, `fp_ollama`)."""

    name = "ollama_prose"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        text = (
            "Here is my review of the clip.\n\n```json\n"
            + json.dumps(reply.payload, indent=2)
            + "\n```\n\nLet me know if you need anything else."
            if reply.content is None
            else reply.content
        )
        body = completion(request, reply, tools=False, text=text)
        body["system_fingerprint"] = "fp_ollama"
        return 200, compact(body) + b"\n"


class OllamaNoTools(Personality):
    """Ollama with a model lacking the tools capability (`CheckCapabilities`): 400 for tools;
    response_format works (grammar-constrained since 0.5)."""

    name = "ollama_no_tools"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if request.get("tools"):
            return ollama_error(
                f"registry.ollama.ai/library/{request.get('model')} does not support tools"
            )
        return 200, compact(completion(request, reply, tools=False)) + b"\n"


class LlamaCppNoMmproj(Personality):
    """`llama-server -m model.gguf` without --mmproj (`oaicompat_chat_params_parse`): every
    image is a 500 server_error; a named tool_choice is read as "auto"."""

    name = "llamacpp_no_mmproj"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if image_parts(request):
            return llamacpp_error(
                500,
                "image input is not supported - hint: if this is unexpected, you may need to "
                "provide the mmproj",
                "server_error",
            )
        return 200, compact(completion(request, reply))


class LlamaCppNoJinja(Personality):
    """`llama-server --no-jinja`: tools are a 500; response_format works."""

    name = "llamacpp_no_jinja"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if request.get("tools"):
            return llamacpp_error(500, "tools param requires --jinja flag", "server_error")
        return 200, compact(completion(request, reply, tools=False))


class LlamaCppContext(Personality):
    """llama-server whose per-slot context (-c / --parallel) is 2048 tokens: a clip's request
    is refused with 400 exceed_context_size_error."""

    name = "llamacpp_context"

    n_ctx = 2048

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        n = prompt_tokens(request)
        if n <= self.n_ctx:
            return 200, compact(completion(request, reply))
        return llamacpp_error(
            400,
            "the request exceeds the available context size, try increasing it",
            "exceed_context_size_error",
            n_prompt_tokens=n,
            n_ctx=self.n_ctx,
        )


class SGLangTextOnly(Personality):
    """SGLang serving a text-only model (`_validate_media_content`): 400, flat body."""

    name = "sglang_text_only"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if image_parts(request):
            return sglang_error(
                "Model only supports text input; received unsupported content type 'image_url'."
            )
        return 200, compact(completion(request, reply))


class SGLangNoParser(Personality):
    """SGLang without --tool-call-parser: a named tool_choice is constrained to a JSON array
    of calls, returned as content with no tool_calls (`_build_chat_response`)."""

    name = "sglang_no_parser"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if request.get("tools"):
            name = request["tools"][0]["function"]["name"]
            calls = json.dumps([{"name": name, "parameters": reply.payload}])
            return 200, compact(completion(request, reply, tools=False, text=calls))
        return 200, compact(completion(request, reply))


class Thinking(Personality):
    """A thinking model. `variant`: "reasoning" (vLLM --reasoning-parser, Ollama: a
    `reasoning` field), "reasoning_content" (llama.cpp, SGLang), or "think_tags" (no reasoning
    parser: `<think>…</think>` before the answer in content, and no tool parser either).
    `cutoff`: the thinking uses the whole max_tokens budget, finish_reason "length" and no
    content (null on vLLM, "" on llama.cpp and Ollama)."""

    name = "thinking"
    THOUGHT = "The caption says the gripper grasps the block. Let me check each frame in turn."

    def __init__(self, variant: str = "reasoning", cutoff: bool = False) -> None:
        self.variant = variant
        self.cutoff = cutoff

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        thought = self.THOUGHT * (40 if self.cutoff else 1)
        field_name = "reasoning_content" if self.variant == "reasoning_content" else "reasoning"
        if self.cutoff:
            if self.variant == "think_tags":
                body = completion(
                    request, reply, tools=False, text=f"<think>{thought}", finish="length"
                )
            else:
                empty = None if self.variant == "reasoning" else ""
                body = completion(
                    request,
                    reply,
                    tools=False,
                    text="",
                    finish="length",
                    extra={field_name: thought},
                )
                body["choices"][0]["message"]["content"] = empty
            return 200, compact(body)
        if self.variant == "think_tags":
            text = f"<think>\n{thought}\n</think>\n\n{payload_text(reply)}"
            return 200, compact(completion(request, reply, tools=False, text=text))
        return 200, compact(completion(request, reply, extra={field_name: thought}))


class SchemaIgnoring(Personality):
    """A model that follows the modes but not the schema's spelling: enum values in another
    case ("NEEDS_EDIT", "Attribute"), and keys the schema does not have."""

    name = "schema_ignoring"

    def answer(self, request: dict[str, Any], reply: Reply) -> tuple[int, bytes]:
        if reply.payload is not None:
            payload = json.loads(json.dumps(reply.payload))
            payload["verdict"] = str(payload.get("verdict", "")).upper()
            payload["confidence"] = 0.87
            payload["summary"] = "reviewed"
            for item in payload.get("hallucinations", []) + payload.get("omissions", []):
                item["type"] = str(item.get("type", "")).replace("_", " ").title()
                item["severity"] = "high"
            reply = Reply(payload=payload)
        return 200, compact(completion(request, reply))


PERSONALITIES: dict[str, Callable[[], Personality]] = {
    p.name: p
    for p in (
        Personality,
        VLLMNoToolParser,
        VLLMTextOnly,
        VLLMImageLimit,
        VLLMContext,
        OllamaProse,
        OllamaNoTools,
        LlamaCppNoMmproj,
        LlamaCppNoJinja,
        LlamaCppContext,
        SGLangTextOnly,
        SGLangNoParser,
        Thinking,
        SchemaIgnoring,
    )
}


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in {**fake.ratelimit_headers(), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _send_raw(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in {**fake.ratelimit_headers(), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path.startswith("/v1/batches/"):
                batch = fake.poll_batch(path.rsplit("/", 1)[1])
                if batch is None:
                    self._send(404, {"error": {"message": "no such batch"}}, {})
                else:
                    self._send(200, batch, {})
                return
            if path.startswith("/v1/files/") and path.endswith("/content"):
                data = fake.files.get(path.split("/")[3])
                if data is None:
                    self._send(404, {"error": {"message": "no such file"}}, {})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self._send(404, {"error": {"message": f"no route {path}"}}, {})

        def _multipart(self, raw: bytes) -> dict[str, bytes]:
            ctype = self.headers.get("Content-Type", "")
            msg = BytesParser().parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            return {
                part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                for part in msg.get_payload()
            }

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.endswith("/files"):
                fields = self._multipart(raw)
                self._send(200, fake.add_file(fields["file"], fields["purpose"].decode()), {})
                return
            if self.path.endswith("/batches"):
                self._send(200, fake.create_batch(json.loads(raw)), {})
                return
            try:
                request = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, {"error": {"message": "bad json"}}, {})
                return
            with fake._changed:
                fake.requests.append(request)
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                fake._changed.notify_all()
            if fake.expect_key is not None:
                auth = self.headers.get("Authorization", "")
                if auth != f"Bearer {fake.expect_key}":
                    self._send(
                        401, {"error": {"message": f"Incorrect API key provided: {auth[7:]}"}}, {}
                    )
                    return
            if not self.path.endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                return
            fake._pass_gate()
            try:
                self._answer(request)
            except OSError:  # a held request's client gave up (or its process was killed)
                pass
            finally:
                fake._answered()

        def _answer(self, request: dict[str, Any]) -> None:
            reply = fake._next(request)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if reply.status != 200:
                self._send(
                    reply.status, reply.body or {"error": {"message": "error"}}, reply.headers
                )
                return
            if request.get("logprobs") and fake.logprobs == "refuses":
                self._send(400, LOGPROBS_REFUSED, {})
                return
            status, data = fake.personality.answer(request, reply)
            if status == 200 and fake.logprobs == "ignores":
                body = json.loads(data)
                for choice in body.get("choices", []):
                    choice.pop("logprobs", None)
                data = json.dumps(body).encode()
            with fake._lock:
                fake.stats["ok" if status == 200 else "refused"] = (
                    fake.stats.get("ok" if status == 200 else "refused", 0) + 1
                )
            self._send_raw(status, data, reply.headers)

    return Handler
