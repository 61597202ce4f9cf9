"""The model client against the fake server: real HTTP, real retries, real re-asks."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agent.drafting import ModelDrafter
from agent.errors import DraftError, EndpointError
from agent.schema import DraftResult
from agent.settings import Settings
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, Reply

CAPTION = "The robot pushes the blue block to the left."
GOOD = {
    "observations": "a red block is pushed to the right between 0.3 s and 4.7 s",
    "hallucinations": [
        {
            "span": "blue",
            "type": "attribute",
            "explanation": "the block is red",
            "evidence_times": [0.3],
        },
        {
            "span": "to the left",
            "type": "direction_or_spatial",
            "explanation": "it moves right",
            "evidence_times": [0.3, 4.7],
        },
    ],
    "omissions": [],
    "rewrite": "The robot pushes the red block to the right.",
    "verdict": "needs_edit",
}


def run(settings: Settings, clip: Path, caption: str = CAPTION) -> DraftResult:
    async def go() -> DraftResult:
        drafter = ModelDrafter(settings)
        try:
            return await drafter.draft(clip, caption)
        finally:
            await drafter.aclose()

    return asyncio.run(go())


def test_draft_round_trip(fake: FakeOpenAI, settings_for, clip: Path) -> None:
    fake.enqueue(Reply.draft(GOOD))
    result = run(settings_for(), clip)
    assert result.draft.rewrite == GOOD["rewrite"]
    assert (result.attempts, result.reasks, result.retries) == (1, 0, 0)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.latency_s > 0
    assert result.prompt is not None and result.prompt.version.startswith("review-v1@")
    assert json.loads(result.raw_response)["model"] == "fake-vlm"
    sent = fake.requests[0]
    assert sent["model"] == "fake-vlm" and sent["temperature"] == 0.0
    assert sent["tool_choice"]["function"]["name"] == "Draft"
    assert fake.headers[0]["authorization"] == f"Bearer {TEST_KEY}"


def test_sdk_retries_are_off_so_tenacity_is_the_only_policy(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.error(500), Reply.error(500), Reply.error(500))
    with pytest.raises(EndpointError) as info:
        run(settings_for(max_retries=2), clip)
    assert len(fake.requests) == 3  # 1 + 2 retries, none added by the SDK
    assert info.value.status_code == 500 and info.value.retryable


def test_429_waits_for_retry_after_then_succeeds(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.error(429, "slow down", retry_after_ms="400"), Reply.draft(GOOD))
    t0 = time.perf_counter()
    result = run(settings_for(retry_max_wait_s=5), clip)
    assert time.perf_counter() - t0 >= 0.4
    assert (result.retries, result.attempts) == (1, 2)  # attempts counts every request


def test_retry_after_in_seconds_is_honoured(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.error(429, retry_after="1"), Reply.draft(GOOD))
    t0 = time.perf_counter()
    run(settings_for(retry_max_wait_s=5), clip)
    assert time.perf_counter() - t0 >= 1.0


@pytest.mark.parametrize(
    "fault",
    [Reply.error(500), Reply.error(502), Reply.error(503), Reply.dropped()],
    ids=["500", "502", "503", "dropped"],
)
def test_transient_faults_are_retried(fake, settings_for, clip, fault: Reply) -> None:
    fake.enqueue(fault, Reply.draft(GOOD))
    result = run(settings_for(), clip)
    assert result.retries == 1 and len(fake.requests) == 2


def test_timeout_is_retried(fake, settings_for, clip) -> None:
    """The first request is held unanswered (it can only time out); the retry is answered."""
    fake.enqueue(Reply.draft(GOOD), Reply.draft(GOOD))
    fake.hold(after=0)
    released = threading.Thread(
        target=lambda: (fake.wait_until(lambda f: len(f.requests) >= 2), fake.release())
    )
    released.start()
    result = run(settings_for(timeout_s=2.0), clip)
    released.join()
    assert result.retries == 1 and len(fake.requests) == 2


def test_malformed_json_is_reasked(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.raw('{"hallucinations": [ oops'), Reply.draft(GOOD))
    result = run(settings_for(), clip)
    assert (result.attempts, result.reasks, result.retries) == (2, 1, 0)
    assert result.usage.completion_tokens > 0


def test_schema_violation_is_reasked_with_the_validator_message(fake, settings_for, clip) -> None:
    bad = json.loads(json.dumps(GOOD))
    bad["hallucinations"][0]["span"] = "green"  # not in the caption
    bad["hallucinations"][1]["evidence_times"] = [9.0]  # past the 5 s clip
    fake.enqueue(Reply.draft(bad), Reply.draft(GOOD))
    result = run(settings_for(), clip)
    assert result.reasks == 1 and result.draft.hallucinations[0].span == "blue"
    reask = json.dumps(fake.requests[1]["messages"][2:])
    assert "is not an exact substring of the original caption" in reask
    assert "outside the clip" in reask


def test_reasks_are_bounded_and_the_error_carries_attempts_usage_response(
    fake, settings_for, clip
) -> None:
    bad = dict(GOOD, verdict="accurate")
    fake.enqueue(*[Reply.draft(bad)] * 5)
    with pytest.raises(DraftError) as info:
        run(settings_for(max_reasks=2), clip)
    err = info.value
    assert err.attempts == 3 and len(fake.requests) == 3
    assert err.usage["prompt_tokens"] > 0
    assert "accurate" in err.last_response
    assert "failed validation after 3 attempt(s)" in err.message


def test_refused_key_is_not_retried_and_not_echoed(fake, settings_for, clip) -> None:
    wrong = "sk-wrong-key-abcdefghijklmnop"
    with pytest.raises(EndpointError) as info:
        run(settings_for(api_key=wrong), clip)
    assert len(fake.requests) == 1
    assert info.value.status_code == 401
    assert "refused the API key" in str(info.value)
    assert wrong not in str(info.value) and wrong not in repr(info.value.__dict__)


def test_unreachable_endpoint(clip: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    settings = Settings(
        base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=1, retry_max_wait_s=0.05
    )
    with pytest.raises(EndpointError) as info:
        run(settings, clip)
    assert "Could not reach the model endpoint" in str(info.value)
    assert info.value.attempts == 2


def test_a_bad_request_naming_no_capability_fails_the_clip_alone(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.error(400, "messages[1].content is malformed"))
    with pytest.raises(EndpointError) as info:
        run(settings_for(), clip)
    assert "messages[1].content is malformed" in info.value.message
    assert "recap check" in info.value.hint and len(fake.requests) == 1
    assert not info.value.stops_job


def test_a_server_without_tools_is_asked_in_the_next_mode(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.error(400, "tools are not supported by this model"), Reply.draft(GOOD))
    result = run(settings_for(), clip)
    assert result.mode == "json_schema" and len(fake.requests) == 2
    assert "tools" not in fake.requests[1] and "response_format" in fake.requests[1]


@pytest.mark.parametrize("mode", ["json_schema", "json", "md_json"])
def test_modes_for_servers_without_tool_calling(fake, settings_for, clip, mode: str) -> None:
    fake.enqueue(Reply.draft(GOOD))
    result = run(settings_for(mode=mode), clip)
    assert result.draft.verdict.value == "needs_edit"
    sent: dict[str, Any] = fake.requests[0]
    assert "tools" not in sent
    if mode == "json_schema":
        assert sent["response_format"]["type"] == "json_schema"


def test_image_detail_and_layout_reach_the_request(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.draft(GOOD))
    run(settings_for(image_detail="low", layout="frames", frames=6), clip)
    images = [p for p in fake.requests[0]["messages"][1]["content"] if p["type"] == "image_url"]
    assert len(images) == 6 and {i["image_url"]["detail"] for i in images} == {"low"}


def test_cancellation_is_not_turned_into_an_endpoint_error(fake, settings_for, clip) -> None:
    fake.enqueue(Reply.draft(GOOD))
    fake.hold()  # the request stays in flight until the test is done

    async def go() -> None:
        drafter = ModelDrafter(settings_for())
        task = asyncio.create_task(drafter.draft(clip, CAPTION))
        await asyncio.to_thread(fake.wait_until, lambda f: f.held == 1)
        task.cancel()
        try:
            await task
        finally:
            await drafter.aclose()

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(go())
