"""Keeps API keys and database passwords out of everything recap writes: logs, errors,
cassettes, the database."""

from __future__ import annotations

import re

# OpenAI-style keys, bearer tokens and Azure-style 32-hex keys.
_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-*]{6,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(://[^/\s:@]+:)[^@\s/]+(?=@)"),  # the password in a database URL
]
_known_secrets: set[str] = set()
REDACTED = "[REDACTED]"


def register_secret(value: str | None) -> None:
    """Remember a secret's exact value so it is scrubbed even when it matches no pattern."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def redact(text: str) -> str:
    """Replace anything that looks like a credential with a fixed marker."""
    for secret in sorted(_known_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text
