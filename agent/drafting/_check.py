"""What the configured endpoint can do for recap, found by asking it (`recap check`).

Three probes: a plain text question; the same question with the images one clip's request
carries (so their difference is the clip's image tokens at this server); then one real clip
drafted in each structured-output mode (tools, json_schema, json, md_json), each classified as
working, answering but invalid, refused (the server's words) or ignored. The report gives what
works, the mode chosen (the first that works, in auto mode's order, remembered for later
requests), one clip's latency, tokens and cost, the cost per hour of video at the configured
prices, and the settings that suit the server. No valid draft in any mode is a failed check.
"""

from __future__ import annotations

import ipaddress
import os
import time
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, Field

from agent.cost import cost_usd
from agent.drafting._client import CallStats, PlainAnswer
from agent.drafting._model import ModelDrafter, estimate_image_tokens
from agent.drafting._modes import ORDER, ModeTrial, Outcome
from agent.drafting._protocol import check_caption
from agent.errors import RecapError
from agent.telemetry import Telemetry

QUESTION = "Reply with the one word: ready."
LOCAL_CONCURRENCY = 8  # requests in flight that keep one GPU busy (vLLM, SGLang, llama.cpp)


class Probe(BaseModel):
    """One plain request: did it work, what the server said, how long and how many tokens."""

    ok: bool
    detail: str = Field(default="", description="The server's words when it failed.")
    latency_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    thought: bool = Field(default=False, description="The model thought before answering.")


class ModeResult(BaseModel):
    """One structured-output mode tried on the clip."""

    mode: str
    outcome: Outcome
    detail: str = ""
    requests: int = 0
    latency_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ClipFigures(BaseModel):
    """One clip drafted in the chosen mode: what it took and what it costs."""

    clip: str
    duration_s: float
    frames: int
    layout: str
    sampling: str
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    image_tokens: int | None = Field(
        default=None, description="Measured: the image probe's input tokens minus the text's."
    )
    image_tokens_estimate: int = Field(description="Under OpenAI's image accounting.")
    cost_usd: float | None = Field(default=None, description="None: no price configured.")
    cost_per_hour_usd: float | None = Field(default=None, description="Per hour of video.")


class EndpointReport(BaseModel):
    """Everything `recap check` found, as printed and as `--json` writes it."""

    endpoint: str
    model: str
    setting: str = Field(description="RECAP_MODE in force.")
    text: Probe
    images: Probe | None = None
    modes: list[ModeResult] = Field(default_factory=list)
    chosen: str | None = None
    clip: ClipFigures | None = None
    recommended: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether a valid draft can be had from this endpoint."""
        return self.chosen is not None and not self.problems


def _failed(e: RecapError) -> Probe:
    return Probe(ok=False, detail=e.message)


def _answered(answer: PlainAnswer, budget: int) -> Probe:
    """A probe the server answered; an empty answer cut at max_tokens is said so."""
    detail = ""
    if answer.finish_reason == "length" and not answer.text:
        detail = (
            f"answered nothing: {'thinking used' if answer.thought else 'it stopped at'} the "
            f"whole output budget (max_tokens={budget})"
        )
    return Probe(
        ok=True,
        detail=detail,
        latency_s=answer.latency_s,
        prompt_tokens=answer.usage.prompt_tokens,
        completion_tokens=answer.usage.completion_tokens,
        thought=answer.thought,
    )


def _stats_probe(stats: CallStats | None) -> dict[str, Any]:
    if stats is None:
        return {}
    return {
        "requests": stats.attempts,
        "prompt_tokens": stats.usage.prompt_tokens,
        "completion_tokens": stats.usage.completion_tokens,
    }


def is_local(url: str) -> bool:
    """Whether the endpoint is a server of one's own (this machine or a private network)."""
    host = urlparse(url).hostname or ""
    if host in ("localhost", "host.docker.internal") or host.endswith(".local"):
        return True
    try:
        return ipaddress.ip_address(host).is_private or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def probe_endpoint(
    drafter: ModelDrafter,
    video: str | os.PathLike[str],
    caption: str,
    *,
    telemetry: Telemetry | None = None,
    start: float | None = None,
    end: float | None = None,
    remember: bool = True,
) -> EndpointReport:
    """Probe the drafter's endpoint with text, images and one clip in every mode."""
    client = drafter.client
    settings = drafter.settings
    caption = check_caption(caption)
    report = EndpointReport(
        endpoint=client.endpoint, model=client.model, setting=settings.mode, text=Probe(ok=False)
    )
    try:
        said = await client.ask([{"role": "user", "content": QUESTION}])
        report.text = _answered(said, settings.max_tokens)
    except RecapError as e:
        report.text = _failed(e)
        report.problems.append(str(e))
        return report

    frames = drafter.sample(video, start, end, telemetry)
    messages = drafter.messages(caption, frames, telemetry)
    images = [p for m in messages for p in _parts(m) if p.get("type") == "image_url"]
    try:
        seen = await client.ask(
            [{"role": "user", "content": [{"type": "text", "text": QUESTION}, *images]}]
        )
        report.images = _answered(seen, settings.max_tokens)
    except RecapError as e:
        report.images = _failed(e)
        report.problems.append(str(e))
        report.modes = [ModeResult(mode=m, outcome=Outcome.NOT_TRIED) for m in ORDER]
        return report

    context = drafter.context(caption, frames.duration)
    chosen: ModeTrial | None = None
    chosen_latency = 0.0
    stop: RecapError | None = None
    for mode in ORDER:
        if stop is not None:
            report.modes.append(ModeResult(mode=mode, outcome=Outcome.NOT_TRIED))
            continue
        began = time.perf_counter()
        trial = await client.try_mode(mode, messages, drafter.prompt.response_model, context)
        latency = time.perf_counter() - began
        report.modes.append(
            ModeResult(
                mode=mode,
                outcome=trial.outcome,
                detail=trial.detail,
                latency_s=latency,
                **_stats_probe(trial.stats),
            )
        )
        if trial.outcome is Outcome.WORKS and chosen is None:
            chosen, chosen_latency = trial, latency
        if trial.outcome is Outcome.FAILED and isinstance(trial.error, RecapError):
            stop = trial.error  # nothing another mode changes: images, context, the network
    if stop is not None and chosen is None:
        report.problems.append(str(stop))
    if chosen is None:
        if stop is None:
            invalid = [m for m in report.modes if m.outcome is Outcome.INVALID]
            report.problems.append(
                "No mode gave a valid draft of the clip: "
                + "; ".join(f"{m.mode}: {m.outcome.value} ({m.detail})" for m in report.modes)
                + (
                    ". The server answers in "
                    + ", ".join(m.mode for m in invalid)
                    + " but the model's drafts fail the Draft contract: try a stronger model."
                    if invalid
                    else "."
                )
            )
        return report

    report.chosen = chosen.mode
    if remember and settings.mode == "auto":
        await client.remember_mode(chosen.mode)
    stats: CallStats = chosen.stats
    measured = (
        report.images.prompt_tokens - report.text.prompt_tokens
        if report.images.prompt_tokens and report.text.prompt_tokens
        else None
    )
    price = settings.price
    cost = cost_usd(stats.usage.prompt_tokens, stats.usage.completion_tokens, price)
    duration = frames.window[1] - frames.window[0]
    report.clip = ClipFigures(
        clip=str(video),
        duration_s=duration,
        frames=len(frames),
        layout=settings.layout,
        sampling=settings.sampling if telemetry is not None else "uniform",
        latency_s=chosen_latency,
        prompt_tokens=stats.usage.prompt_tokens,
        completion_tokens=stats.usage.completion_tokens,
        image_tokens=measured,
        image_tokens_estimate=estimate_image_tokens(frames, settings),
        cost_usd=cost,
        cost_per_hour_usd=cost * 3600 / duration if cost is not None and duration > 0 else None,
    )
    report.recommended = recommend(report, thought=report.text.thought or stats.thought)
    return report


def _parts(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return content if isinstance(content, list) else []


def recommend(report: EndpointReport, *, thought: bool) -> list[str]:
    """The settings that suit what was found: the mode, the output budget for a model that
    thinks, the rate and concurrency for this kind of server, prices to set."""
    lines: list[str] = []
    clip = report.clip
    if report.chosen is not None:
        lines.append(
            f"export RECAP_MODE={report.chosen}   # found now and remembered; auto (the "
            "default) uses it too"
        )
    if clip is not None and thought:
        budget = max(4096, -(-clip.completion_tokens * 3 // 1024) * 1024)
        lines.append(
            f"export RECAP_MAX_TOKENS={budget}   # the model thinks first: leave room for it"
        )
    if clip is not None and clip.latency_s > 0:
        if is_local(report.endpoint):
            j = LOCAL_CONCURRENCY
            rpm = max(1, int(j * 60 / clip.latency_s * 0.9))
            lines.append(
                f"recap draft -j {j} --rpm {rpm}   # one GPU: {j} requests in flight, each "
                f"clip ~{clip.latency_s:.1f} s"
            )
        else:
            tokens = clip.prompt_tokens + clip.completion_tokens
            lines.append(
                "recap draft --rpm RPM --tpm TPM   # your account's limits; "
                f"one clip is ~{tokens} tokens"
            )
    if clip is not None and clip.cost_usd is None:
        lines.append(
            "export RECAP_PRICE_INPUT=... RECAP_PRICE_OUTPUT=...   # USD per million tokens, "
            "for cost figures"
        )
    return lines
