"""The one way a `DraftResult` is made, so every drafter and engine records the same provenance.

A drafter declares its `Provenance` once (who drafts, with which model and prompt version, at
what price, under which recorded settings); each result is then stamped from it with what that
one call cost. The cost is computed here, once, from the price and the tokens; nothing else
builds a `DraftResult` (the store and Ray only load one back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agent.cost import Price
from agent.schema import Draft, DraftResult, PromptRef, Usage

FREE = Price(0.0, 0.0)  # a drafter that calls no model


@dataclass(frozen=True)
class Provenance:
    """Who makes a drafter's results: recorded with every one of them."""

    drafter: Literal["llm", "offline"]
    model: str | None = None
    prompt: PromptRef | None = None
    price: Price | None = None  # None: unknown (a local server), so costs are unknown too
    settings: dict[str, Any] = field(default_factory=dict)  # recorded with each result

    def result(
        self,
        *,
        clip: str,
        caption: str,
        draft: Draft,
        usage: Usage | None = None,
        latency_s: float = 0.0,
        attempts: int = 1,
        reasks: int = 0,
        retries: int = 0,
        image_tokens_estimate: int = 0,
        raw_response: str | None = None,
        stated_confidence: float | None = None,
        mode: str | None = None,
        discount: float = 1.0,
        extra_settings: dict[str, Any] | None = None,
    ) -> DraftResult:
        """One call's result. `discount` scales the price (the Batch API's half price);
        `extra_settings` adds to what is recorded (which batch an answer came from)."""
        usage = usage or Usage()
        return DraftResult(
            clip=clip,
            caption=caption,
            draft=draft,
            drafter=self.drafter,
            model=self.model,
            prompt=self.prompt,
            usage=usage,
            latency_s=latency_s,
            attempts=attempts,
            reasks=reasks,
            retries=retries,
            image_tokens_estimate=image_tokens_estimate,
            mode=mode,
            cost_usd=usage.cost(self.price, discount),
            raw_response=raw_response,
            stated_confidence=stated_confidence,
            settings={**self.settings, **(extra_settings or {})},
        )
