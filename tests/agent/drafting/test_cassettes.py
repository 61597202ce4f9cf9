"""Recorded round trips replayed with no server at all (record_mode none).

The cassette in tests/cassettes was recorded against the fake server (RECAP_RECORD=once
recreates it); no real endpoint is reachable from CI. What it checks is the whole request and
response path through the OpenAI SDK and instructor, and the cassette hygiene rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import vcr.errors

from agent.drafting import ModelDrafter
from agent.errors import EndpointError
from agent.settings import Settings
from tests.clips import make_clip
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, Reply
from tests.vcr_config import CASSETTES, RECORD_MODE, recap_vcr

CAPTION = "The robot lifts the blue block and drops it on the left."
DRAFT = {
    "observations": "the gripper stays open; a red square slides right",
    "hallucinations": [
        {
            "span": "lifts",
            "type": "action",
            "explanation": "it is pushed along the table",
            "evidence_times": [1.6],
        },
        {
            "span": "blue",
            "type": "attribute",
            "explanation": "the block is red",
            "evidence_times": [0.3],
        },
        {
            "span": "drops it on the left",
            "type": "direction_or_spatial",
            "explanation": "it ends on the right",
            "evidence_times": [4.7],
        },
    ],
    "omissions": [],
    "rewrite": "The robot pushes the red block to the right.",
    "verdict": "needs_edit",
}
NAME = "draft_round_trip.yaml"
RECORDING = RECORD_MODE != "none"


@pytest.fixture(scope="module")
def cassette_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Deterministic encode: same pixels, same JPEG bytes, same digest on every machine.
    return make_clip(tmp_path_factory.mktemp("cas") / "cassette.mp4")


def draft(base_url: str, clip: Path):
    import asyncio

    settings = Settings(base_url=base_url, api_key=TEST_KEY, model="fake-vlm", max_retries=0)

    async def go():
        d = ModelDrafter(settings)
        try:
            return await d.draft(clip, CAPTION)
        finally:
            await d.aclose()

    return asyncio.run(go())


def test_replay_round_trip_without_a_server(cassette_clip: Path) -> None:
    if RECORDING:
        with FakeOpenAI(expect_key=TEST_KEY) as fake, recap_vcr().use_cassette(NAME):
            fake.enqueue(Reply.draft(DRAFT))
            draft(fake.url, cassette_clip)
    with recap_vcr().use_cassette(NAME) as cassette:
        # port 9 (discard): nothing answers there, so only the cassette can
        result = draft("http://127.0.0.1:9/v1", cassette_clip)
        assert cassette.play_count == 1
    assert result.draft.rewrite == DRAFT["rewrite"]
    assert [h.span for h in result.draft.hallucinations] == [
        "lifts",
        "blue",
        "drops it on the left",
    ]
    assert result.usage.total_tokens > 0


def test_cassette_holds_no_key_and_no_frames() -> None:
    text = (CASSETTES / NAME).read_text()
    assert TEST_KEY not in text and "sk-test" not in text
    assert "authorization" not in text.lower()
    assert "base64," not in text
    assert "data:image/jpeg;sha256," in text
    assert (CASSETTES / NAME).stat().st_size < 40_000


def test_other_frames_do_not_match_the_recording(tmp_path: Path) -> None:
    other = make_clip(tmp_path / "other.mp4", fps=12)
    with recap_vcr().use_cassette(NAME) as cassette, pytest.raises(EndpointError):
        draft("http://127.0.0.1:9/v1", other)
    assert cassette.play_count == 0


@pytest.mark.skipif(RECORDING, reason="recording on purpose")
def test_record_mode_is_none_by_default(cassette_clip: Path) -> None:
    assert recap_vcr().record_mode == "none"
    with (
        recap_vcr().use_cassette("does_not_exist.yaml"),
        pytest.raises((EndpointError, vcr.errors.CannotOverwriteExistingCassetteException)),
    ):
        draft("http://127.0.0.1:9/v1", cassette_clip)
    assert not (CASSETTES / "does_not_exist.yaml").exists()
