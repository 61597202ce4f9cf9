"""Client-side rate limiting: keep the endpoint busy up to its limit, never past it.

Every HTTP request (first tries, retries and re-asks alike) passes `RateLimiter.acquire` in the
transport, so the limit holds whatever the retry layers do. Requests are spaced evenly at the
requests-per-minute limit and capped by a sliding 60 s window, as servers count them; tokens
per minute are capped the same way with each request's estimate. The limiter slows down when
the endpoint says so (429, `x-ratelimit-remaining-*` at zero) and recovers gradually.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from agent.drafting._sdkhttp import httpx

WINDOW_S = 60.0
MARGIN_S = 1.0  # clock, network and server-queue skew between our window and the server's
BURST_S = 2.0  # missed request slots that may be caught up
request_tokens: ContextVar[int] = ContextVar("request_tokens", default=1000)

_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
    r"(?:(\d+(?:\.\d+)?)ms)?$"
)


def parse_reset(value: str | None) -> float | None:
    """OpenAI's reset headers ('1s', '6m0s', '20ms', '0.5') as seconds."""
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    m = _DURATION.match(value)
    if not m or not any(m.groups()):
        return None
    h, mi, s, ms = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s + ms / 1000


class RateLimiter:
    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.clock = clock
        self.factor = 1.0  # slowed below 1 after 429s, recovers on success
        self.paused_until = 0.0
        self.next_slot = 0.0
        self.sent: deque[float] = deque()
        self.tokens: deque[tuple[float, int]] = deque()
        self.seen_429 = 0
        self._lock = asyncio.Lock()

    @property
    def effective_rpm(self) -> float | None:
        return self.rpm * self.factor if self.rpm else None

    def _trim(self, now: float) -> None:
        horizon = now - WINDOW_S - MARGIN_S
        while self.sent and self.sent[0] <= horizon:
            self.sent.popleft()
        while self.tokens and self.tokens[0][0] <= horizon:
            self.tokens.popleft()

    def _wait_for(self, now: float, tokens: int) -> float:
        waits = [self.paused_until - now]
        rpm = self.effective_rpm
        if rpm:
            waits.append(self.next_slot - now)
            if len(self.sent) >= int(rpm):
                waits.append(self.sent[len(self.sent) - int(rpm)] + WINDOW_S + MARGIN_S - now)
        if self.tpm:
            budget = self.tpm * self.factor
            used = sum(n for _, n in self.tokens)
            if used + tokens > budget and self.tokens:
                need, acc = used + tokens - budget, 0
                for t, n in self.tokens:
                    acc += n
                    if acc >= need:
                        waits.append(t + WINDOW_S + MARGIN_S - now)
                        break
        return max(0.0, *waits)

    async def acquire(self, tokens: int | None = None) -> None:
        """Wait until one more request of `tokens` estimated tokens fits the limits."""
        if not self.rpm and not self.tpm:
            return
        n = request_tokens.get() if tokens is None else tokens
        async with self._lock:
            while True:
                now = self.clock()
                self._trim(now)
                wait = self._wait_for(now, n)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            now = self.clock()
            rpm = self.effective_rpm
            if rpm:
                # A request that comes late may use the slots missed meanwhile (up to BURST_S
                # worth); the sliding window above still caps any minute at the limit.
                self.next_slot = max(now - BURST_S, self.next_slot) + WINDOW_S / rpm
                self.sent.append(now)
            if self.tpm:
                self.tokens.append((now, n))

    def observe(self, status: int, headers: Any) -> None:
        """Adapt to what the endpoint says about its limits."""
        now = self.clock()
        limit = headers.get("x-ratelimit-limit-requests")
        if limit and limit.isdigit() and (self.rpm is None or int(limit) < self.rpm):
            self.rpm = float(limit)  # the server knows its limit better than a default
        if status == 429:
            self.seen_429 += 1
            self.factor = max(0.25, self.factor * 0.8)
            wait = parse_reset(headers.get("retry-after-ms"))
            wait = wait / 1000 if wait is not None else parse_reset(headers.get("retry-after"))
            self.paused_until = max(self.paused_until, now + (wait if wait is not None else 1.0))
            return
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            if remaining is not None and remaining.strip() == "0":
                # Without a reset time our own sliding window already waits the right amount.
                reset = parse_reset(headers.get(f"x-ratelimit-reset-{kind}"))
                if reset:
                    self.paused_until = max(self.paused_until, now + reset)
        if status < 400:
            self.factor = min(1.0, self.factor + 0.01)


class LimitedTransport(httpx.AsyncBaseTransport):  # type: ignore[misc,name-defined]
    """An httpx transport that passes every request through a RateLimiter."""

    def __init__(self, limiter: RateLimiter, inner: Any = None) -> None:
        self.limiter = limiter
        self.inner = inner or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=200)
        )

    async def handle_async_request(self, request: Any) -> Any:
        await self.limiter.acquire()
        response = await self.inner.handle_async_request(request)
        self.limiter.observe(response.status_code, response.headers)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
