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
    library."""
    if kind == "offline":
        from agent.drafting._offline import OfflineDrafter

        return OfflineDrafter(settings)
    if kind != "llm":
        raise RecapError(f"Unknown drafter {kind!r}.", hint="Use --drafter llm or offline.")
    settings.check_endpoint()
    from agent.drafting._model import ModelDrafter
    from agent.drafting._ratelimit import RateLimiter

    return ModelDrafter(settings, limiter=RateLimiter(rpm=rpm, tpm=tpm), modes=modes)


def default_drafter_kind(settings: Settings) -> str:
    """`llm` when an endpoint is configured, else `offline`."""
    try:
        settings.check_endpoint()
    except RecapError:
        return "offline"
    return "llm"
