"""Structured-output modes: the order `RECAP_MODE=auto` tries them in, what a trial of one
found, and where the mode that works at an endpoint is remembered.

A mode is how the answer is asked for: `tools` (a forced tool call), `json_schema` (a JSON-schema
response format), `json` (a JSON-object response format, the schema in the prompt) and `md_json`
(no response format: JSON in a markdown block, for servers that ignore both). Auto mode tries
them in that order on the first request to an endpoint and model and moves on only when the
server cannot do one (a capability error naming tools or the response format) or ignores it (no
tool call; text that is not JSON). The one that works is kept in a `ModeMemory` (the store's
`endpoints` repository) with when it was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

AUTO = "auto"
ORDER = ("tools", "json_schema", "json", "md_json")


class ModeMemory(Protocol):
    """Where the mode that works at an endpoint for a model is kept between processes."""

    def recall(self, endpoint: str, model: str) -> str | None: ...

    def remember(self, endpoint: str, model: str, mode: str) -> None: ...

    def forget(self, endpoint: str, model: str) -> None: ...


class Outcome(StrEnum):
    """What one mode's trial found."""

    WORKS = "works"  # a valid answer in this mode
    INVALID = "invalid"  # the server honoured the mode; the answers failed the Draft contract
    REJECTED = "rejected"  # the server refused the mode (a capability error)
    IGNORED = "ignored"  # the server answered, but not in this mode
    FAILED = "failed"  # something no mode changes (images, context, the key, the network)
    NOT_TRIED = "not tried"


@dataclass
class ModeTrial:
    """One mode tried on one request: the outcome, the server's words, and the answer."""

    mode: str
    outcome: Outcome
    detail: str = ""
    value: Any = None  # the validated answer when it works
    stats: Any = None  # the call's CallStats
    error: BaseException | None = field(default=None, repr=False)
    honoured: bool = False  # the server answered in this mode (valid or not)


class ModeIgnored(Exception):
    """The server answered with HTTP 200, but not in the mode asked for: no tool call in tools
    mode, text that is not JSON in a JSON mode. Raised while a mode is on trial."""

    def __init__(self, mode: str, reason: str) -> None:
        self.mode = mode
        self.reason = reason
        super().__init__(f"{mode}: {reason}")
