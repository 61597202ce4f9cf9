"""Drafting: one clip and its caption in, a `DraftResult` out, by a model (any
OpenAI-compatible endpoint) or by the offline drafter (the caption's claims checked against
telemetry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.drafting._choice import DRAFTERS, default_drafter_kind, make_drafter
    from agent.drafting._client import ModelClient
    from agent.drafting._model import Drafter, draft, draft_sync
    from agent.drafting._offline import OfflineDrafter, rewrite_problems
    from agent.drafting._prompts import BUILTIN_DIR, Prompt, list_prompts, load_prompt
    from agent.drafting._ratelimit import RateLimiter

_WHERE = {
    "Drafter": "agent.drafting._model",
    "draft": "agent.drafting._model",
    "draft_sync": "agent.drafting._model",
    "OfflineDrafter": "agent.drafting._offline",
    "rewrite_problems": "agent.drafting._offline",
    "DRAFTERS": "agent.drafting._choice",
    "default_drafter_kind": "agent.drafting._choice",
    "make_drafter": "agent.drafting._choice",
    "ModelClient": "agent.drafting._client",
    "BUILTIN_DIR": "agent.drafting._prompts",
    "Prompt": "agent.drafting._prompts",
    "list_prompts": "agent.drafting._prompts",
    "load_prompt": "agent.drafting._prompts",
    "RateLimiter": "agent.drafting._ratelimit",
}
__all__ = [
    "BUILTIN_DIR",
    "DRAFTERS",
    "Drafter",
    "ModelClient",
    "OfflineDrafter",
    "Prompt",
    "RateLimiter",
    "default_drafter_kind",
    "draft",
    "draft_sync",
    "list_prompts",
    "load_prompt",
    "make_drafter",
    "rewrite_problems",
]
__getattr__ = lazy_exports(__name__, _WHERE)
