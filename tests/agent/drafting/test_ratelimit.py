from __future__ import annotations

import asyncio
import time

import pytest

from agent.drafting._ratelimit import BURST_S, MARGIN_S, WINDOW_S, RateLimiter, parse_reset
from agent.drafting._sdkhttp import httpx


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_spacing_and_window_at_the_request_limit() -> None:
    clock = Clock()
    lim = RateLimiter(rpm=60, clock=clock)
    lim.sent.extend(clock.t - 59 + i * 0.01 for i in range(60))  # 60 sent in the last minute
    lim.next_slot = clock.t
    wait = lim._wait_for(clock.t, 1)
    assert wait == pytest.approx(-59 + WINDOW_S + MARGIN_S, abs=0.01)  # oldest leaves


def test_token_budget_waits_for_enough_tokens_to_expire() -> None:
    clock = Clock()
    lim = RateLimiter(tpm=10_000, clock=clock)
    lim.tokens.extend([(clock.t - 50, 6000), (clock.t - 10, 3000)])
    assert lim._wait_for(clock.t, 500) == 0
    assert lim._wait_for(clock.t, 2000) == pytest.approx(10 + MARGIN_S)  # first must expire


def test_real_spacing_at_600_rpm_after_the_catch_up_burst() -> None:
    lim = RateLimiter(rpm=600)

    async def go() -> float:
        t0 = time.perf_counter()
        for _ in range(40):
            await lim.acquire(1)
        return time.perf_counter() - t0

    # up to BURST_S (2 s) of missed slots may go at once, the rest are 0.1 s apart
    burst = int(BURST_S * 600 / 60)
    assert (40 - burst - 1) * 0.1 - 0.05 <= asyncio.run(go()) <= 4.0


def test_429_slows_and_pauses_then_recovers() -> None:
    clock = Clock()
    lim = RateLimiter(rpm=600, clock=clock)
    lim.observe(429, httpx.Headers({"retry-after-ms": "1500"}))
    assert lim.factor == pytest.approx(0.8) and lim.seen_429 == 1
    assert lim.paused_until == pytest.approx(clock.t + 1.5)
    for _ in range(30):
        lim.observe(200, httpx.Headers({}))
    assert lim.factor == 1.0


def test_headers_teach_the_limit_and_pause_at_zero() -> None:
    clock = Clock()
    lim = RateLimiter(rpm=None, clock=clock)
    lim.observe(200, httpx.Headers({"x-ratelimit-limit-requests": "500"}))
    assert lim.rpm == 500
    lim.observe(
        200,
        httpx.Headers({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}),
    )
    assert lim.paused_until == pytest.approx(clock.t + 2)


def test_no_limits_means_no_waiting() -> None:
    lim = RateLimiter()
    asyncio.run(lim.acquire(10**9))
    assert not lim.sent


@pytest.mark.parametrize(
    "text,seconds",
    [("1s", 1), ("6m0s", 360), ("20ms", 0.02), ("0.5", 0.5), ("1h2m3s", 3723), ("soon", None)],
)
def test_parse_reset(text: str, seconds: float | None) -> None:
    assert parse_reset(text) == seconds
