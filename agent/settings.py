"""Every setting recap reads, documented in one place, in parts that say what each shapes.

Values come from, in rising priority: defaults, environment variables (`RECAP_*`, plus the
OpenAI SDK's own `OPENAI_API_KEY` / `OPENAI_BASE_URL`), then command-line flags.

Each part is a plain model: the endpoint, the prompt, the frame spec (what the model is shown
of a clip), the output format, the video limits, storage, the review page and sign-in.
`Settings` is all of them at once, read from the environment with the variable names each
field has always had; `Settings.part(FrameSpec)` hands one part out on its own. Which parts
matter where is written once here: a run's identity is the parts that shape a draft
(`SHAPES_DRAFT`: output format and frame spec, with the model and the prompt version), and the
settings recorded with a result are the parts that make a run (`MAKES_RUN`), never a secret.
A field added to a part is therefore in the identity, or the recorded settings, by where it is
put. This module loads no video library: the frame sampler takes a `FrameSpec`.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.cost import Price, price_for
from agent.errors import ConfigError
from agent.redact import redact_url, register_secret

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
DEFAULT_FRAMES = 8
DEFAULT_MAX_SIDE = 384
DEFAULT_COLUMNS = 4
P = TypeVar("P", bound=BaseModel)


class EndpointSettings(BaseModel):
    """Where drafts are asked for, how hard to try, and what they cost."""

    model: str | None = Field(
        default=None,
        description="Model name at the endpoint (RECAP_MODEL). Required for a custom base URL; "
        f"with OpenAI itself it defaults to {DEFAULT_OPENAI_MODEL}.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("api_key", "RECAP_API_KEY", "OPENAI_API_KEY"),
        description="API key (OPENAI_API_KEY). Local servers usually need none.",
    )
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("base_url", "RECAP_BASE_URL", "OPENAI_BASE_URL"),
        description="OpenAI-compatible endpoint (OPENAI_BASE_URL), e.g. "
        "http://localhost:8000/v1 for vLLM or http://localhost:11434/v1 for Ollama.",
    )
    timeout_s: float = Field(default=120.0, description="Seconds before one HTTP call times out.")
    max_retries: int = Field(
        default=5,
        ge=0,
        description="Transport retries per draft on 429, 5xx, timeouts and dropped connections.",
    )
    retry_max_wait_s: float = Field(
        default=60.0, description="Longest single wait between transport retries, in seconds."
    )
    max_reasks: int = Field(
        default=2, ge=0, description="Times the model is asked to fix output that fails validation."
    )
    price_input: float | None = Field(
        default=None, description="USD per million input tokens, for models recap has no price for."
    )
    price_output: float | None = Field(
        default=None, description="USD per million output tokens, with price_input."
    )

    @property
    def resolved_model(self) -> str:
        return self.model or DEFAULT_OPENAI_MODEL

    @property
    def api_key_value(self) -> str | None:
        value = self.api_key.get_secret_value() if self.api_key else None
        register_secret(value)
        return value

    @property
    def price(self) -> Price | None:
        override = None
        if self.price_input is not None and self.price_output is not None:
            override = Price(self.price_input, self.price_output)
        return price_for(self.resolved_model, override)

    def check_endpoint(self, without_model: str = "recap draft --drafter offline") -> None:
        """Fail with instructions when no endpoint is configured; `without_model` is the
        command that works without one, for the hint."""
        if self.base_url is None and self.api_key is None:
            raise ConfigError(
                "No model endpoint is configured.",
                hint=(
                    "Either use OpenAI:  export OPENAI_API_KEY=sk-...  (model defaults to "
                    f"{DEFAULT_OPENAI_MODEL}; set RECAP_MODEL to change it)\n"
                    "or a local OpenAI-compatible server (vLLM, Ollama, llama.cpp):\n"
                    "  export OPENAI_BASE_URL=http://localhost:8000/v1\n"
                    "  export RECAP_MODEL=<model name the server serves>\n"
                    "Flags --base-url and --model do the same for one command. "
                    f"Without a model, `{without_model}` checks captions against telemetry "
                    "alone."
                ),
            )
        if self.base_url is not None and not self.model:
            raise ConfigError(
                f"OPENAI_BASE_URL is set ({redact_url(self.base_url)}) but no model is named.",
                hint="Set RECAP_MODEL (or pass --model) to a model that server serves.",
            )
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"OPENAI_BASE_URL {redact_url(self.base_url)!r} is not an http(s) URL.",
                hint="Use a URL such as http://localhost:8000/v1",
            )


class OutputSettings(BaseModel):
    """How the answer is asked for: part of a run's identity."""

    mode: Literal["auto", "tools", "json_schema", "json", "md_json"] = Field(
        default="auto",
        description="How structured output is requested: auto (the first request to an "
        "endpoint and model tries tool calling, a JSON-schema response format, plain JSON mode "
        "and JSON in a markdown block, in that order, and the one that works is remembered in "
        "the database), or one of them always.",
    )
    temperature: float = Field(default=0.0, ge=0.0, description="Sampling temperature.")
    max_tokens: int = Field(default=2048, description="Cap on output tokens per call.")
    samples: int = Field(
        default=1,
        ge=1,
        le=20,
        description="Independent drafts per clip (RECAP_SAMPLES; `recap draft --samples K`): "
        "with K > 1 each clip is drafted K times (K requests, none from the response cache), "
        "the majority draft is kept and the share agreeing goes into its confidence. Needs a "
        "temperature above 0.",
    )
    logprobs: bool = Field(
        default=False,
        description="Ask the endpoint for token log-probabilities (RECAP_LOGPROBS; `recap "
        "draft --logprobs`): the draft's confidence then takes exp(mean token log-probability) "
        "of the answer where the server returns them (answers in a JSON mode; tool-call "
        "answers usually carry none). A server that refuses the parameter stops the run.",
    )


class PromptSettings(BaseModel):
    """Which prompt version asks; a run's identity holds the version's name and hash."""

    prompt: str = Field(default="review-v1", description="Prompt folder name under prompts_dir.")
    prompts_dir: Path | None = Field(
        default=None, description="Folder of prompt templates; defaults to the built-in prompts/."
    )
    guidelines: Path | None = Field(
        default=None,
        description="Caption guideline file (TOML) the prompt, the offline drafter and the "
        "checks follow; default: a guidelines.toml beside the prompts, else the built-in.",
    )


class FrameSpec(BaseModel):
    """What the model is shown of a clip: the sampler takes this, and it is part of a run's
    identity (the same file under the same spec gives the same pictures)."""

    frames: int = Field(default=DEFAULT_FRAMES, ge=1, le=64, description="Frames sampled per clip.")
    max_side: int = Field(
        default=DEFAULT_MAX_SIDE, ge=64, le=2048, description="Longest side of a frame, in px."
    )
    layout: Literal["sheet", "frames"] = Field(
        default="sheet",
        description="Send one contact sheet (grid of timestamped frames) or separate frames.",
    )
    columns: int = Field(default=DEFAULT_COLUMNS, ge=1, description="Contact-sheet columns.")
    image_detail: Literal["low", "high", "auto"] = Field(
        default="high", description="OpenAI image detail level for every image sent."
    )
    jpeg_quality: int = Field(default=85, ge=30, le=95, description="JPEG quality of frames.")
    sampling: Literal["events", "uniform"] = Field(
        default="events",
        description="Where the frames fall: events (when the clip has telemetry, frames at its "
        "moments: the gripper closing or opening, the object lifting off or landing, the "
        "outcome; the rest spread evenly) or uniform (evenly over the clip, always). Same "
        "number of frames and contact-sheet size either way.",
    )


class VideoLimitSettings(BaseModel):
    """Which files are refused before they are decoded: they decide whether a clip is drafted,
    not what its draft says."""

    max_video_bytes: int = Field(
        default=2 * 1024**3, description="Clips larger than this are refused, not decoded."
    )
    max_video_seconds: float = Field(
        default=3600.0, description="Clips longer than this are refused unless windowed."
    )


class StorageSettings(BaseModel):
    """Where things are kept."""

    db: str = Field(
        default="recap.db",
        description="Database: a SQLite path or any SQLAlchemy URL (RECAP_DB), e.g. "
        "postgresql+psycopg://user@host/db.",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "recap",
        description="Where browser-playable copies of clips are kept for the review page "
        "(RECAP_CACHE_DIR).",
    )


class ReviewPageSettings(BaseModel):
    """What the review page serves: the run, the control arm, gold checks, double review."""

    control_share: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="Share of clips the review page shows without the draft (the control arm, "
        "RECAP_CONTROL_SHARE; `recap review --control-share`): the box holds the original "
        "caption and no findings are shown, so `recap report` can compare reviewing with and "
        "without drafts. 0 turns it off.",
    )
    review_run: str | None = Field(
        default=None,
        description="Run the review page opens on (RECAP_REVIEW_RUN); `recap review --run` "
        "sets it. Default: the latest production run (one that covers production clips).",
    )
    gold_rate: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of each reviewer's clips that are gold checks (RECAP_GOLD_RATE; "
        "`recap review --gold-rate`): drafted clips with a gold caption, mixed into every "
        "reviewer's queue and looking like any other, so `recap team` can measure each "
        "reviewer against gold. 0 (the default) turns it off and gold clips are reviewed once "
        "like any other.",
    )
    overlap: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of clips decided by two reviewers, blind to each other (RECAP_OVERLAP; "
        "`recap review --overlap`), chosen by a hash of run and clip; two decisions that "
        "differ go to a lead to settle. 0 (the default) turns it off.",
    )
    review_lease_s: float = Field(
        default=300.0,
        gt=0,
        description="Seconds the clip on a reviewer's screen stays reserved for them without a "
        "sign of life from their tab (RECAP_REVIEW_LEASE_S); the page renews it while they "
        "stay on the clip, and a decision after it ran out and someone else took the clip is "
        "refused.",
    )
    review_heartbeat_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between the review page's renewals of the clip on screen while "
        "the tab is open (RECAP_REVIEW_HEARTBEAT_S); every click renews it too. Keep it well "
        "under RECAP_REVIEW_LEASE_S.",
    )


class SignInSettings(BaseModel):
    """Who may use the review page: single-user mode on this machine, or OpenID Connect."""

    reviewer: str | None = Field(
        default=None,
        description="Name decisions are recorded under in single-user mode (no sign-in, page on "
        "this machine only) (RECAP_REVIEWER); `recap review --reviewer` sets it. Default: the "
        "local user name.",
    )
    review_no_auth: bool = Field(
        default=False,
        description="Set by `recap review --no-auth` for the page it starts: serve beyond this "
        "machine without sign-in. `recap review` itself only honours the flag.",
    )
    auth_server_metadata_url: str | None = Field(
        default=None,
        description="OpenID Connect discovery URL of the identity provider "
        "(RECAP_AUTH_SERVER_METADATA_URL), e.g. "
        "https://accounts.google.com/.well-known/openid-configuration.",
    )
    auth_client_id: str | None = Field(
        default=None, description="Client id recap is registered under at the provider."
    )
    auth_client_secret: SecretStr | None = Field(
        default=None,
        description="Client secret from the provider (RECAP_AUTH_CLIENT_SECRET); never printed "
        "or stored in the database.",
    )
    auth_cookie_secret: SecretStr | None = Field(
        default=None,
        description="At least 32 random bytes that sign the sign-in cookie "
        "(RECAP_AUTH_COOKIE_SECRET), e.g. the output of "
        '`python -c "import secrets; print(secrets.token_urlsafe(32))"`; a shorter or '
        "repetitive one is refused. Never printed or stored in the database.",
    )
    auth_redirect_uri: str | None = Field(
        default=None,
        description="The page's public URL + /oauth2callback, as registered at the provider "
        "(RECAP_AUTH_REDIRECT_URI). Default on this machine: http://HOST:PORT/oauth2callback.",
    )
    auth_session_hours: float = Field(
        default=12.0,
        gt=0,
        description="How long a sign-in lasts, in hours from when the identity provider issued "
        "it (RECAP_AUTH_SESSION_HOURS); after that the page and its media refuse the session "
        "until the person signs in again, whatever the cookie's own lifetime.",
    )
    allowed_hosts: str | None = Field(
        default=None,
        description="Host names the page answers to besides its bound address and the redirect "
        "URI's host, comma-separated (RECAP_ALLOWED_HOSTS; `recap review --allowed-host`). "
        "Requests naming any other host are refused (DNS rebinding).",
    )

    def auth_section(self, default_redirect: str | None = None) -> dict[str, str] | None:
        """Streamlit's `[auth]` section from the RECAP_AUTH_* settings; None when none is set.

        Half a configuration is an error naming what is missing, never a silent open page.
        `default_redirect` stands in for an unset redirect URI (the page on this machine).
        """
        values = {
            "server_metadata_url": self.auth_server_metadata_url,
            "client_id": self.auth_client_id,
            "client_secret": _secret(self.auth_client_secret),
            "cookie_secret": _secret(self.auth_cookie_secret),
            "redirect_uri": self.auth_redirect_uri or default_redirect,
        }
        given = {k: v for k, v in values.items() if v}
        if not given or (set(given) == {"redirect_uri"} and not self.auth_redirect_uri):
            return None
        missing = [f"RECAP_AUTH_{k.upper()}" for k, v in values.items() if not v]
        if missing:
            raise ConfigError(
                "Sign-in is half configured: " + ", ".join(missing) + " not set.",
                hint="Set all of RECAP_AUTH_SERVER_METADATA_URL, RECAP_AUTH_CLIENT_ID, "
                "RECAP_AUTH_CLIENT_SECRET, RECAP_AUTH_COOKIE_SECRET (and RECAP_AUTH_REDIRECT_URI "
                "when the page is reached by another address than this machine's).",
            )
        for key in ("server_metadata_url", "redirect_uri"):
            if not given[key].startswith(("http://", "https://")):
                raise ConfigError(f"RECAP_AUTH_{key.upper()} {given[key]!r} is not an http(s) URL.")
        check_cookie_secret(given["cookie_secret"], "RECAP_AUTH_COOKIE_SECRET")
        if not given["redirect_uri"].endswith("/oauth2callback"):
            raise ConfigError(
                f"RECAP_AUTH_REDIRECT_URI {given['redirect_uri']!r} must end in /oauth2callback.",
                hint="That is the path Streamlit's sign-in listens on; register the same URL "
                "at the provider.",
            )
        return given


MIN_COOKIE_SECRET_BYTES = 32
MAKE_COOKIE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def check_cookie_secret(secret: str, where: str) -> None:
    """Refuse a cookie secret that could be guessed: whoever knows it can sign a cookie as any
    account. It must be at least 32 bytes long and score at least 160 bits as length times
    the entropy of its characters' frequencies: 32 random bytes written by
    `secrets.token_urlsafe(32)` score 180-240 (about 208 on average; hex or base64, more),
    while "x" * 40, a word repeated, an English phrase of 40 letters (about 140) or 24 random
    bytes in base64 (about 145) fall short. A frequency count is a floor, not a proof of
    randomness: use a generator."""
    size = len(secret.encode())
    bits = len(secret) * _char_entropy(secret)
    if size >= MIN_COOKIE_SECRET_BYTES and bits >= 160:
        return
    why = (
        f"is {size} bytes long" if size < MIN_COOKIE_SECRET_BYTES else "is too regular to be random"
    )
    raise ConfigError(
        f"{where} {why}: a cookie secret must be at least {MIN_COOKIE_SECRET_BYTES} random "
        "bytes, since anyone who can guess it can sign in as any account.",
        hint=f"Make one with:  {MAKE_COOKIE_SECRET}",
    )


def _char_entropy(text: str) -> float:
    """Shannon entropy, in bits per character, of the characters' frequencies in `text`."""
    n = len(text)
    counts = Counter(text).values()
    return -sum(c / n * math.log2(c / n) for c in counts) if n else 0.0


# What each part is for, written once (a test checks every field is in exactly one part).
PARTS: tuple[type[BaseModel], ...] = (
    EndpointSettings,
    OutputSettings,
    PromptSettings,
    FrameSpec,
    VideoLimitSettings,
    StorageSettings,
    ReviewPageSettings,
    SignInSettings,
)
SHAPES_DRAFT: tuple[type[BaseModel], ...] = (OutputSettings, FrameSpec)
MAKES_RUN: tuple[type[BaseModel], ...] = (
    EndpointSettings,
    OutputSettings,
    PromptSettings,
    FrameSpec,
    VideoLimitSettings,
)


class Settings(  # parts listed last to first: pydantic orders fields from the last base
    BaseSettings,
    SignInSettings,
    ReviewPageSettings,
    StorageSettings,
    VideoLimitSettings,
    FrameSpec,
    PromptSettings,
    OutputSettings,
    EndpointSettings,
):
    """All the parts, read from defaults, the environment and flags. Fields are flat, so every
    environment variable keeps its name (RECAP_FRAMES, OPENAI_BASE_URL, ...)."""

    model_config = SettingsConfigDict(
        env_prefix="RECAP_", populate_by_name=True, extra="ignore", validate_default=True
    )

    def part(self, kind: type[P]) -> P:
        """One part on its own, e.g. `settings.part(FrameSpec)`."""
        return kind.model_validate({name: getattr(self, name) for name in kind.model_fields})

    @property
    def frame_spec(self) -> FrameSpec:
        """What the model is shown of a clip (the frame sampler takes it)."""
        return self.part(FrameSpec)

    @property
    def video_limits(self) -> VideoLimitSettings:
        return self.part(VideoLimitSettings)

    def draft_shape(self) -> dict[str, Any]:
        """The parts that shape a draft, as recorded in a run's identity and its cache keys.
        One sample per clip and no log-probabilities (the defaults) are left out, so runs and
        cache keys made before either existed keep their identity."""
        shape = self.model_dump(mode="json", include=_fields(SHAPES_DRAFT))
        if shape.get("samples") == 1:
            del shape["samples"]
        if not shape.get("logprobs"):
            shape.pop("logprobs", None)
        return shape

    def shown(self) -> dict[str, object]:
        """Every field, as `recap settings` prints it: each secret as "set" or "not set", never
        its value (the caller masks a password in the database URL)."""
        data = self.model_dump(mode="json")
        for name in _SECRETS:
            data[name] = "set" if getattr(self, name) is not None else "not set"
        return data

    def public(self) -> dict[str, object]:
        """Settings as recorded with a run: the parts that make one, without secrets (not where
        things are kept either: a database URL can hold a password; an endpoint's credentials,
        in its URL or query string, are masked)."""
        data = self.model_dump(mode="json", include=_fields(MAKES_RUN) - _SECRETS)
        if data.get("base_url"):
            data["base_url"] = redact_url(data["base_url"])
        return data


def _fields(parts: tuple[type[BaseModel], ...]) -> set[str]:
    return {name for part in parts for name in part.model_fields}


_SECRETS = {
    name
    for part in PARTS
    for name, info in part.model_fields.items()
    if "SecretStr" in str(info.annotation)
}


def _secret(value: SecretStr | None) -> str | None:
    """A secret's value, registered so that no error message or log line can carry it."""
    if value is None:
        return None
    register_secret(value.get_secret_value())
    return value.get_secret_value()
