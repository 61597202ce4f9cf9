"""What a drafter is: the one interface every engine, command and eval drafts through.

A drafter turns one clip and its caption into a `DraftResult`. It declares everything a caller
needs to know about it: its name, its run identity (what decides its answers, recorded with a
run and hashed into cache keys), where its drafts come from (for a banner), and what it can do
beyond drafting one clip at a time (the OpenAI Batch API, rebuilding itself on a Ray worker).
Nobody inspects a drafter's other attributes. The model drafter (`agent.drafting._model`) and
the offline drafter (`agent.drafting._offline`) both fit.

This module imports no HTTP, database or video library, so neither does the offline drafter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from agent.errors import RecapError
from agent.schema import DraftResult, prompt_version

if TYPE_CHECKING:
    from os import PathLike

    from agent.drafting._client import BatchStatus
    from agent.drafting._ratelimit import RateLimiter
    from agent.media._frames import Frames
    from agent.settings import Settings
    from agent.telemetry import Telemetry


class RunIdentity(BaseModel):
    """Everything that decides a drafter's answer: recorded with a run, part of the cache key."""

    drafter: str
    model: str | None = None
    prompt_name: str | None = None
    prompt_hash: str | None = None
    output: dict[str, Any] = Field(
        default_factory=dict,
        description="The settings parts that shape a draft (output format, frame spec).",
    )

    @property
    def prompt_version(self) -> str | None:
        return prompt_version(self.prompt_name, self.prompt_hash)

    def short_name(self) -> str:
        """Who drafts, in a few readable characters, for default run names: the model (its
        last path part) and the prompt's name (`gpt-4.1-mini-review-v1`), or the drafter and
        its version when there is no model (`offline-r3`)."""
        if self.model:
            head, tail = self.model.rsplit("/", 1)[-1], self.prompt_name
        else:
            head, tail = self.drafter, self.prompt_hash or self.prompt_name
        if tail and tail.startswith(f"{head}-"):
            return tail
        return "-".join(p for p in (head, tail) if p)

    def recorded(self) -> dict[str, Any]:
        """The identity as stored with the run and hashed into cache keys."""
        return {
            "drafter": self.drafter,
            "model": self.model,
            "prompt_name": self.prompt_name,
            "prompt_hash": self.prompt_hash,
            **self.output,
        }


@dataclass(frozen=True)
class Capabilities:
    """What a drafter can do beyond drafting one clip at a time, so engines and commands ask
    instead of guessing from its type."""

    batch: bool = False  # can draft through the OpenAI Batch API (it is a `BatchDrafter`)
    ray: bool = False  # can be rebuilt from its name and settings on a Ray worker


def check_caption(caption: str | None, where: str = "caption") -> str:
    """The caption under review, stripped; an empty one is refused the same way by every
    drafter."""
    if caption is None or not caption.strip():
        raise RecapError(f"The {where} is empty: there is nothing to review.")
    return caption.strip()


class Drafter(Protocol):
    """One clip and its caption in, a `DraftResult` out. Reuse one across many clips."""

    name: str  # what `DraftResult.drafter` says: "llm" or "offline"
    settings: Settings  # what it was made with (engines that rebuild it elsewhere read them)
    capabilities: Capabilities

    @property
    def where(self) -> str:
        """Where drafts come from, for a one-line banner (the endpoint's URL, or a phrase)."""
        ...

    @property
    def limiter(self) -> RateLimiter | None:
        """The rate limiter its requests pass (for the job summary), None when there is none."""
        ...

    def describe(self) -> str:
        """Who drafts, in a phrase: "the model M at URL"."""
        ...

    def identity(self) -> RunIdentity:
        """Everything that decides the answer: recorded with a run, part of the cache key."""
        ...

    async def draft(
        self,
        video: str | PathLike[str],
        caption: str,
        *,
        telemetry: Telemetry | None = None,
        clip_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        frames: Frames | None = None,
    ) -> DraftResult:
        """Review `caption` against the clip. Raises a `RecapError` naming what went wrong."""
        ...

    async def aclose(self) -> None:
        """Let go of connections; the drafter is not used afterwards."""
        ...


class BatchDrafter(Drafter, Protocol):
    """A drafter whose requests can go through the OpenAI Batch API (`capabilities.batch`):
    it builds each request, submits and polls batches, and turns each answer line into a
    `DraftResult`, so the batch engine only schedules and records."""

    def sample(
        self,
        video: str | PathLike[str],
        start: float | None = None,
        end: float | None = None,
        telemetry: Telemetry | None = None,
    ) -> Frames:
        """What the model is shown of a clip (its telemetry's moments may place the frames)."""
        ...

    def batch_request(
        self, clip_id: str, caption: str, frames: Frames, telemetry: Telemetry | None
    ) -> dict[str, Any]:
        """One line of a batch input file: the request online drafting would send."""
        ...

    def batch_result(
        self, item: dict[str, Any], caption: str, duration: float | None, batch_id: str
    ) -> DraftResult:
        """The result of one batch output line. Raises EndpointError (the request failed) or
        DraftError (the answer fails the Draft contract)."""
        ...

    async def submit_batch(self, lines: list[dict[str, Any]], name: str) -> BatchStatus:
        """Upload the request lines and create a batch."""
        ...

    async def batch_status(self, batch_id: str) -> BatchStatus:
        """Where a submitted batch stands."""
        ...

    async def batch_file(self, file_id: str) -> str:
        """The text of a batch's output or error file."""
        ...
