"""What a draft costs: image input tokens under OpenAI's published accounting, and money."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Detail = Literal["low", "high", "auto"]

LOW_DETAIL_TOKENS = 85
TILE_TOKENS = 170
TILE_SIDE = 512


def image_tokens(width: int, height: int, detail: Detail = "high") -> int:
    """Input tokens OpenAI bills for one image (GPT-4o-family accounting).

    low: a flat 85. high: the image is scaled down to fit 2048x2048, then down so its shorter
    side is at most 768, then billed 85 plus 170 per 512 px tile. `auto` is billed as high, the
    upper bound (the server may pick low for small images).
    """
    if detail == "low":
        return LOW_DETAIL_TOKENS
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        s = 2048 / max(w, h)
        w, h = w * s, h * s
    if min(w, h) > 768:
        s = 768 / min(w, h)
        w, h = w * s, h * s
    tiles = math.ceil(int(w) / TILE_SIDE) * math.ceil(int(h) / TILE_SIDE)
    return LOW_DETAIL_TOKENS + TILE_TOKENS * tiles


def text_tokens_estimate(text: str) -> int:
    """A tokenizer-free estimate (about 4 characters a token) for rate limiting and budgeting."""
    return max(1, math.ceil(len(text) / 4))


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cached_input: float | None = None


BATCH_DISCOUNT = 0.5  # the OpenAI Batch API bills half the online price

# Published list prices at the time of writing; override with RECAP_PRICE_INPUT/OUTPUT.
PRICES: dict[str, Price] = {
    "gpt-4o": Price(2.50, 10.00, 1.25),
    "gpt-4o-mini": Price(0.15, 0.60, 0.075),
    "gpt-4.1": Price(2.00, 8.00, 0.50),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
    "gpt-4.1-nano": Price(0.10, 0.40, 0.025),
}


def price_for(model: str | None, override: Price | None = None) -> Price | None:
    if override is not None:
        return override
    if not model:
        return None
    if model in PRICES:
        return PRICES[model]
    # Dated snapshots ("gpt-4o-2024-08-06") cost what their family costs.
    for name in sorted(PRICES, key=len, reverse=True):
        if model.startswith(name + "-"):
            return PRICES[name]
    return None


def cost_usd(
    prompt_tokens: int,
    completion_tokens: int,
    price: Price | None,
    cached_tokens: int = 0,
) -> float | None:
    """Dollar cost of a call, or None when the model's price is unknown (a local server)."""
    if price is None:
        return None
    cached = min(cached_tokens, prompt_tokens)
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    return (
        (prompt_tokens - cached) * price.input
        + cached * cached_rate
        + completion_tokens * price.output
    ) / 1_000_000
