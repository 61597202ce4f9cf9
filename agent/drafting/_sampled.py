"""K independent drafts of each clip (`recap draft --samples K`), the majority one kept.

The model is asked K times, independently, about the same frames (sampled once) and caption, at
the run's temperature; the draft kept is the majority's (`agent.routing._consensus`), and the K
answers travel with it (`DraftResult.samples`) for the store to keep and the confidence to read
its agreement from. Usage, cost and attempts count all K requests. The raw response kept with
the draft is the kept sample's, so its token log-probabilities (`--logprobs`) are those of the
answer the draft is; so is the stated confidence, where the prompt asks for one. A sample
that fails (an answer that fails the Draft contract after its re-asks, a server error after
its retries) is kept as a failed sample, the way a failed draft is kept as an error; the clip
fails only when every sample does (with the first one's error). An error every clip would
meet alike (a refused key, an unknown model) stops the clip at once, as it stops a one-sample
run.

A drafter like any other: engines draft through it unchanged (the local engine, Ray, which
rebuilds it from its settings), and its identity is the model drafter's, whose settings carry
K. The response cache is not used for sampled runs (`agent.runs._job`): a cached answer is one
earlier sample, not K fresh ones. The Batch API engine does not take it (one request per clip).
"""

from __future__ import annotations

import asyncio
import functools
import operator
import os
from typing import TYPE_CHECKING

from agent.drafting._protocol import Capabilities, RunIdentity, check_caption
from agent.errors import ConfigError, DraftError, EndpointError, RecapError
from agent.routing._consensus import consensus
from agent.schema import Draft, DraftResult, Sample

if TYPE_CHECKING:
    from agent.drafting._model import ModelDrafter
    from agent.drafting._ratelimit import RateLimiter
    from agent.media._frames import Frames
    from agent.settings import Settings
    from agent.telemetry import Telemetry


def check_sampling(settings: Settings, kind: str) -> None:
    """Refuse K > 1 samples where they cannot mean anything: the offline drafter (its rules
    answer the same every time) and temperature 0 (a model answers the same, or nearly, every
    time: K times the cost for agreement that says nothing)."""
    k = settings.samples
    if k <= 1:
        return
    if kind != "llm":
        raise ConfigError(
            f"--samples {k} needs the model drafter: the {kind} drafter answers the same every "
            "time, so its samples would always agree.",
            hint="Drop --samples (or set RECAP_SAMPLES=1), or use --drafter llm.",
        )
    if settings.temperature <= 0:
        raise ConfigError(
            f"--samples {k} at temperature 0: the model would give (nearly) the same answer "
            f"every time, so the {k} samples would agree trivially, at {k} times the cost.",
            hint="Sample at a temperature above 0, e.g. --temperature 0.7 (RECAP_TEMPERATURE), "
            "or drop --samples.",
        )


def _fatal(exc: BaseException) -> bool:
    """An error every sample (and every clip) would meet alike."""
    if isinstance(exc, RecapError) and exc.stops_job:
        return True
    return isinstance(exc, EndpointError) and exc.status_code in (401, 403, 404)


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, RecapError) else f"{type(exc).__name__}: {exc}"


class SampledDrafter:
    """The model drafter, asked K times per clip; the majority's draft kept."""

    def __init__(self, inner: ModelDrafter, k: int) -> None:
        if k < 2:
            raise ValueError(f"a sampled drafter needs K >= 2 samples, got {k}")
        self.inner = inner
        self.k = k
        self.name = inner.name
        self.settings = inner.settings
        # Ray rebuilds it from its settings (which carry K); the Batch API sends one request
        # per clip, so it is not offered.
        self.capabilities = Capabilities(batch=False, ray=inner.capabilities.ray)

    @property
    def where(self) -> str:
        return self.inner.where

    @property
    def limiter(self) -> RateLimiter | None:
        return self.inner.limiter

    def describe(self) -> str:
        return f"{self.inner.describe()}, {self.k} samples per clip"

    def identity(self) -> RunIdentity:
        """The model drafter's: its settings' draft shape records K and the temperature."""
        return self.inner.identity()

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
        """K drafts of the clip, the majority's kept, all K in `samples`."""
        caption = check_caption(caption)
        if frames is None:
            frames = await asyncio.to_thread(self.inner.sample, video, start, end, telemetry)
        outcomes = await asyncio.gather(
            *(
                self.inner.draft(
                    video, caption, telemetry=telemetry, clip_id=clip_id, frames=frames
                )
                for _ in range(self.k)
            ),
            return_exceptions=True,
        )
        results: list[DraftResult] = []
        failures: list[BaseException] = []
        samples: list[Sample] = []
        for outcome in outcomes:
            if isinstance(outcome, DraftResult):
                results.append(outcome)
                samples.append(Sample(draft=outcome.draft))
            elif isinstance(outcome, Exception):
                if _fatal(outcome):
                    raise outcome
                failures.append(outcome)
                samples.append(Sample(error=_message(outcome)))
            else:  # a cancellation or an interrupt: not a sample's failure
                raise outcome
        failed_attempts = sum(getattr(e, "attempts", 0) or 0 for e in failures)
        if not results:
            first = failures[0]
            if isinstance(first, DraftError):
                first.attempts = failed_attempts  # every sample's requests count
            raise first
        drafts: list[Draft] = [r.draft for r in results]
        kept = results[consensus(drafts, failed=len(failures)).kept_index]
        costs = [r.cost_usd for r in results]
        return kept.model_copy(
            update={
                "usage": functools.reduce(operator.add, (r.usage for r in results)),
                "cost_usd": None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
                "attempts": sum(r.attempts for r in results) + failed_attempts,
                "reasks": sum(r.reasks for r in results),
                "retries": sum(r.retries for r in results),
                "latency_s": max(r.latency_s for r in results),
                "image_tokens_estimate": sum(r.image_tokens_estimate for r in results),
                "samples": samples,
            }
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
