"""A fake OpenAI-compatible server: real HTTP on 127.0.0.1, scripted answers and faults.

Tests enqueue replies (a draft, malformed JSON, 429 with Retry-After, 500, a delay, a dropped
connection); when the script is empty the `responder` answers. Every request body is kept so a
test can check what recap actually sent (re-ask messages, images, headers). A test that must act
while a job is still running holds requests behind a gate (`hold`, `release`) and waits on what
the server saw (`wait_until`), never on the clock.
"""

from __future__ import annotations

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

Responder = Callable[[dict[str, Any]], dict[str, Any]]


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
    ) -> None:
        self.responder = responder or accurate_responder
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


def completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """A chat.completion in the shape the request asked for (tool call or plain content)."""
    text = reply.content if reply.content is not None else json.dumps(reply.payload)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    finish = "stop"
    tool_choice = request.get("tool_choice")
    if request.get("tools"):
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
    prompt_tokens = len(json.dumps(request.get("messages", []))) // 4
    completion_tokens = max(1, len(text) // 4)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
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
            with fake._lock:
                fake.stats["ok"] += 1
            self._send(200, completion(request, reply), reply.headers)

    return Handler
