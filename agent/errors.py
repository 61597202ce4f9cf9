"""The one error type users see, with subclasses that say what went wrong and what to do next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.redact import redact


class RecapError(Exception):
    """A failure the user can act on. `hint` says what to do next; the message never holds a key.

    `stops_job` marks a failure every clip of a job would meet alike (a refused key, a server
    that cannot take images): a bulk job stops at once instead of failing clip after clip."""

    exit_code = 1
    stops_job = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = redact(message)
        self.hint = redact(hint) if hint else None
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class RowError(ValueError):
    """One input row that cannot be used: costs that row, never the rest of the file."""


class ConfigError(RecapError):
    """Settings are missing or contradictory (no endpoint, no model, bad value)."""

    exit_code = 2


class VideoError(RecapError):
    """A clip that cannot be used: names the file and the reason, never a decoder traceback."""

    def __init__(self, path: str | Path, reason: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot use video {self.path}: {reason}", hint=hint)


class TelemetryError(RecapError):
    """Telemetry that accompanies a clip is unreadable or inconsistent."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot use telemetry {self.path}: {reason}")


class EndpointError(RecapError):
    """The model endpoint is unreachable, refused the key, or kept failing after retries."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status_code: int | None = None,
        attempts: int = 0,
        retryable: bool = False,
        capability: str | None = None,
        stops_job: bool = False,
    ) -> None:
        self.status_code = status_code
        self.attempts = attempts
        self.retryable = retryable
        self.capability = capability  # what the server lacks (images, context, tools, ...)
        self.stops_job = stops_job
        super().__init__(message, hint=hint)


class DraftError(RecapError):
    """The model kept answering with output that fails the Draft contract.

    Like instructor's own retry exception it carries what a caller needs to account for the
    spend and to debug: the number of attempts, the tokens used and the last raw response.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        usage: dict[str, int] | None = None,
        last_response: Any = None,
        hint: str | None = None,
        stops_job: bool = False,
    ) -> None:
        self.attempts = attempts
        self.usage = usage or {}
        self.last_response = last_response
        self.stops_job = stops_job
        super().__init__(message, hint=hint)


def first_line(e: BaseException, limit: int = 200) -> str:
    """An exception's first line for a one-line report, cut to `limit` characters; for a
    database error, the driver's own message rather than SQLAlchemy's wrapper."""
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    first = text[0] if text else type(e).__name__
    return first if len(first) <= limit else first[:limit] + "…"


class Refused(RecapError):
    """A decision (or undo) that would act on something other than what the person saw, or
    that they may not make: never recorded. Names the clip and says why."""

    def __init__(
        self, clip_id: str, reason: str, *, outcome: str = "Not recorded", hint: str | None = None
    ) -> None:
        self.clip_id = clip_id
        self.reason = reason
        super().__init__(f"{outcome}: {clip_id} — {reason}.", hint=hint)
