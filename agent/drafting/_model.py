"""The model drafter: one clip and its caption in, a validated Draft with its provenance out,
from any OpenAI-compatible endpoint. It implements `agent.drafting._protocol.BatchDrafter`:
online one clip at a time, or through the OpenAI Batch API."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from agent.cost import BATCH_DISCOUNT, image_tokens, text_tokens_estimate
from agent.drafting._client import BatchStatus, ModelClient, ResponseHook
from agent.drafting._modes import ModeMemory
from agent.drafting._prompts import Prompt, prompt_for
from agent.drafting._protocol import Capabilities, RunIdentity, check_caption
from agent.drafting._ratelimit import RateLimiter, request_tokens
from agent.drafting._result import Provenance
from agent.media._frames import Frames, VideoLimits, sample_for_model, sheet_size
from agent.schema import Draft, DraftResult, StatedDraft
from agent.settings import Settings
from agent.telemetry import Telemetry, arm_count

T = TypeVar("T")
SCHEMA_TOKENS = 750  # the Draft JSON schema sent with every request
OUTPUT_TOKENS = 400  # a typical draft's length, for rate-limit budgeting


def estimate_image_tokens(frames: Frames, settings: Settings) -> int:
    """Image input tokens the request will be billed for, under OpenAI's accounting."""
    if settings.layout == "sheet":
        width, height = sheet_size(frames.images, settings.columns)
        return image_tokens(width, height, settings.image_detail)
    return sum(image_tokens(im.width, im.height, settings.image_detail) for im in frames.images)


class ModelDrafter:
    """Drafts reviews with one endpoint, model and prompt. Reuse one across many clips."""

    name = "llm"
    capabilities = Capabilities(batch=True, ray=True)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: ModelClient | None = None,
        prompt: Prompt | None = None,
        on_response: ResponseHook | None = None,
        limiter: RateLimiter | None = None,
        modes: ModeMemory | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.prompt = prompt or prompt_for(self.settings)
        self.client = client or ModelClient(
            self.settings, on_response=on_response, limiter=limiter, modes=modes
        )
        self._system_tokens = text_tokens_estimate(self.prompt.system) + SCHEMA_TOKENS
        self._provenance = Provenance(
            drafter="llm",
            model=self.client.model,
            prompt=self.prompt.ref,
            price=self.settings.price,
            settings={**self.settings.public(), "guideline_version": self.prompt.rules.version},
        )

    @property
    def where(self) -> str:
        return self.client.endpoint

    @property
    def limiter(self) -> RateLimiter | None:
        return self.client.limiter

    def describe(self) -> str:
        return f"the model {self.client.model} at {self.client.endpoint}"

    def identity(self) -> RunIdentity:
        """The model, the prompt version and the settings parts that shape a draft."""
        return RunIdentity(
            drafter=self.name,
            model=self.client.model,
            prompt_name=self.prompt.name,
            prompt_hash=self.prompt.ref.hash,
            output=self.settings.draft_shape(),
        )

    def rule_errors(self, rewrite: str, arms: int | None = None) -> list[str]:
        """The rewrite's breaks of the guideline's error-severity rules, each worded as what
        to fix: the validator asks the model again with them, as for any bad rewrite. `arms`:
        the clip's number of arms where its telemetry tells it (the arm-name rule applies to
        multi-arm robots only)."""
        return [
            f"the rewrite breaks the guideline ({w.kind}: {w.message}); fix it in the rewrite "
            "(when the caption itself breaks it, the verdict is needs_edit)"
            for w in self.prompt.rules.errors(rewrite, arms=arms)
        ]

    def context(
        self, caption: str, duration: float | None, arms: int | None = None
    ) -> dict[str, Any]:
        """What the Draft validator checks an answer against: the caption, the clip's length
        and the guideline's error-severity rules (for a robot of `arms` arms, when known)."""
        return {
            "caption": caption,
            "duration": duration,
            "rewrite_rules": functools.partial(self.rule_errors, arms=arms),
        }

    def sample(
        self,
        video: str | os.PathLike[str],
        start: float | None = None,
        end: float | None = None,
        telemetry: Telemetry | None = None,
    ) -> Frames:
        """What the model is shown of a clip under these settings: with telemetry and
        RECAP_SAMPLING=events, frames at its moments plus even coverage."""
        s = self.settings
        return sample_for_model(
            video,
            s.frame_spec,
            start=start,
            end=end,
            limits=VideoLimits.of(s.video_limits),
            moments=[m.t for m in telemetry.moments()] if telemetry else None,
        )

    def messages(
        self, caption: str, frames: Frames, telemetry: Telemetry | None = None
    ) -> list[dict[str, Any]]:
        s = self.settings
        return self.prompt.messages(
            caption,
            frames,
            facts=telemetry.facts() if telemetry else None,
            layout=s.layout,
            detail=s.image_detail,
            columns=s.columns,
        )

    def estimate_tokens(
        self, caption: str, image_tokens_est: int, telemetry: Telemetry | None = None
    ) -> int:
        """Tokens one request is expected to count against a tokens-per-minute limit."""
        text = caption + "\n".join(telemetry.facts() if telemetry else [])
        return self._system_tokens + text_tokens_estimate(text) + image_tokens_est + OUTPUT_TOKENS

    async def draft(
        self,
        video: str | os.PathLike[str],
        caption: str,
        *,
        telemetry: Telemetry | None = None,
        clip_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        frames: Frames | None = None,
    ) -> DraftResult:
        """Review `caption` against the clip. Raises VideoError, EndpointError or DraftError."""
        caption = check_caption(caption)
        if frames is None:
            frames = await asyncio.to_thread(self.sample, video, start, end, telemetry)
        messages = self.messages(caption, frames, telemetry)
        image_tokens_est = estimate_image_tokens(frames, self.settings)
        request_tokens.set(self.estimate_tokens(caption, image_tokens_est, telemetry))
        answer, stats = await self.client.structured(
            messages,
            self.prompt.response_model,
            context=self.context(caption, frames.duration, arm_count(telemetry, None)),
        )
        draft, stated = split_stated(answer)
        return self._provenance.result(
            clip=clip_id or str(video),
            caption=caption,
            draft=draft,
            stated_confidence=stated,
            usage=stats.usage,
            latency_s=stats.latency_s,
            attempts=stats.attempts,
            reasks=stats.reasks,
            retries=stats.retries,
            image_tokens_estimate=image_tokens_est,
            raw_response=stats.raw_response,
            mode=stats.mode,
        )

    # --- the OpenAI Batch API -------------------------------------------------------------
    def batch_request(
        self, clip_id: str, caption: str, frames: Frames, telemetry: Telemetry | None
    ) -> dict[str, Any]:
        return self.client.batch_request(
            clip_id, self.messages(caption, frames, telemetry), self.prompt.response_model
        )

    def batch_result(
        self, item: dict[str, Any], caption: str, duration: float | None, batch_id: str
    ) -> DraftResult:
        answer, stats = self.client.parse_batch_result(
            item, self.prompt.response_model, context=self.context(caption, duration)
        )
        draft, stated = split_stated(answer)
        return self._provenance.result(
            clip=item["custom_id"],
            caption=caption,
            draft=draft,
            stated_confidence=stated,
            usage=stats.usage,
            attempts=stats.attempts,
            raw_response=stats.raw_response,
            mode=self.client.batch_mode,
            discount=BATCH_DISCOUNT,
            extra_settings={"batch": batch_id},
        )

    async def submit_batch(self, lines: list[dict[str, Any]], name: str) -> BatchStatus:
        return await self.client.submit_batch(lines, name)

    async def batch_status(self, batch_id: str) -> BatchStatus:
        return await self.client.batch_status(batch_id)

    async def batch_file(self, file_id: str) -> str:
        return await self.client.batch_file(file_id)

    async def aclose(self) -> None:
        await self.client.aclose()


def split_stated(answer: Draft) -> tuple[Draft, float | None]:
    """The draft and the model's stated confidence in it (None where the prompt asked for
    none): the draft goes on as a plain `Draft`, the number beside it."""
    if isinstance(answer, StatedDraft):
        return answer.as_draft(), answer.confidence
    return answer, None


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def draft(
    video: str | os.PathLike[str],
    caption: str,
    *,
    telemetry: Telemetry | str | Path | None = None,
    settings: Settings | None = None,
    start: float | None = None,
    end: float | None = None,
) -> DraftResult:
    """Draft one clip with a throwaway ModelDrafter. For many clips, keep one instead."""
    if isinstance(telemetry, (str, Path)):
        telemetry = Telemetry.load(telemetry)
    drafter = ModelDrafter(settings)
    try:
        return await drafter.draft(video, caption, telemetry=telemetry, start=start, end=end)
    finally:
        await drafter.aclose()


def draft_sync(
    video: str | os.PathLike[str],
    caption: str,
    **kwargs: Any,
) -> DraftResult:
    """`draft` for code that is not async."""
    return _run(draft(video, caption, **kwargs))
