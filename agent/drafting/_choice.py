"""Which drafter a command gets: the model-backed one, or the offline one (telemetry rules)."""

from __future__ import annotations

from agent.drafting._modes import ModeMemory
from agent.drafting._protocol import Drafter
from agent.errors import RecapError
from agent.settings import Settings

DRAFTERS = ("llm", "offline")


def make_drafter(
    kind: str,
    settings: Settings,
    *,
    rpm: float | None = None,
    tpm: float | None = None,
    modes: ModeMemory | None = None,
) -> Drafter:
    """The LLM drafter (needs an endpoint; rate-limited at rpm/tpm; `modes` remembers which
    structured-output mode works at the endpoint, e.g. `store.endpoints`) or the offline one.
    Each is imported only when asked for, so choosing the offline drafter loads no HTTP
    library. With `settings.samples` K > 1 the model drafter is asked K times per clip
    (`agent.drafting._sampled`); refused for the offline drafter and at temperature 0."""
    from agent.drafting._sampled import check_sampling

    check_sampling(settings, kind)
    if kind == "offline":
        from agent.drafting._offline import OfflineDrafter

        return OfflineDrafter(settings)
    if kind != "llm":
        raise RecapError(f"Unknown drafter {kind!r}.", hint="Use --drafter llm or offline.")
    settings.check_endpoint()
    from agent.drafting._model import ModelDrafter
    from agent.drafting._ratelimit import RateLimiter

    drafter = ModelDrafter(settings, limiter=RateLimiter(rpm=rpm, tpm=tpm), modes=modes)
    if settings.samples > 1:
        from agent.drafting._sampled import SampledDrafter

        return SampledDrafter(drafter, settings.samples)
    return drafter


def default_drafter_kind(settings: Settings) -> str:
    """`llm` when an endpoint is configured, else `offline`."""
    try:
        settings.check_endpoint()
    except RecapError:
        return "offline"
    return "llm"
