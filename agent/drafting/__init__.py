"""Drafting: one clip and its caption in, a `DraftResult` out, by a model (any
OpenAI-compatible endpoint) or by the offline drafter (the caption's claims checked against
telemetry). Both implement the `Drafter` protocol; `make_drafter` picks one. `probe_endpoint`
finds what an endpoint can do (`recap check`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.drafting._check import EndpointReport, probe_endpoint
    from agent.drafting._choice import DRAFTERS, default_drafter_kind, make_drafter
    from agent.drafting._client import BatchStatus, ModelClient
    from agent.drafting._model import ModelDrafter, draft, draft_sync
    from agent.drafting._offline import OfflineDrafter, rewrite_problems
    from agent.drafting._prompts import (
        BUILTIN_DIR,
        Prompt,
        list_prompts,
        load_prompt,
        prompt_for,
    )
    from agent.drafting._protocol import (
        BatchDrafter,
        Capabilities,
        Drafter,
        RunIdentity,
        check_caption,
    )
    from agent.drafting._ratelimit import RateLimiter
    from agent.drafting._result import Provenance
    from agent.drafting._sampled import SampledDrafter, check_sampling

_WHERE = {
    "EndpointReport": "agent.drafting._check",
    "probe_endpoint": "agent.drafting._check",
    "BatchDrafter": "agent.drafting._protocol",
    "Capabilities": "agent.drafting._protocol",
    "Drafter": "agent.drafting._protocol",
    "RunIdentity": "agent.drafting._protocol",
    "check_caption": "agent.drafting._protocol",
    "Provenance": "agent.drafting._result",
    "ModelDrafter": "agent.drafting._model",
    "draft": "agent.drafting._model",
    "draft_sync": "agent.drafting._model",
    "OfflineDrafter": "agent.drafting._offline",
    "rewrite_problems": "agent.drafting._offline",
    "DRAFTERS": "agent.drafting._choice",
    "default_drafter_kind": "agent.drafting._choice",
    "make_drafter": "agent.drafting._choice",
    "BatchStatus": "agent.drafting._client",
    "ModelClient": "agent.drafting._client",
    "BUILTIN_DIR": "agent.drafting._prompts",
    "Prompt": "agent.drafting._prompts",
    "list_prompts": "agent.drafting._prompts",
    "load_prompt": "agent.drafting._prompts",
    "prompt_for": "agent.drafting._prompts",
    "RateLimiter": "agent.drafting._ratelimit",
    "SampledDrafter": "agent.drafting._sampled",
    "check_sampling": "agent.drafting._sampled",
}
__all__ = [
    "BUILTIN_DIR",
    "DRAFTERS",
    "BatchDrafter",
    "BatchStatus",
    "Capabilities",
    "Drafter",
    "EndpointReport",
    "ModelClient",
    "ModelDrafter",
    "OfflineDrafter",
    "Prompt",
    "Provenance",
    "RateLimiter",
    "RunIdentity",
    "SampledDrafter",
    "check_caption",
    "check_sampling",
    "default_drafter_kind",
    "draft",
    "draft_sync",
    "list_prompts",
    "load_prompt",
    "make_drafter",
    "probe_endpoint",
    "prompt_for",
    "rewrite_problems",
]
__getattr__ = lazy_exports(__name__, _WHERE)
