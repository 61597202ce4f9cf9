"""Keeps API keys and database passwords out of everything recap writes: logs, errors,
cassettes, the database.

Two tools. `redact_url` is the one way a URL is printed (a database URL in banners, `recap
runs`, `recap ingest`, `recap settings`; a model endpoint): SQLAlchemy's own URL parser finds the
password, however it is spelled, and secrets in the query string are masked too. `redact`
scrubs free text (error messages): key-shaped strings, every registered secret's exact value
(the configured key, the database password, the sign-in secrets) and passwords in URLs it can
still recognise in passing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

# OpenAI-style keys, bearer tokens and Azure-style 32-hex keys.
_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-*]{6,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(://[^/\s:@]*:)[^@\s]+(?=@)"),  # a password in a URL (empty user too)
    re.compile(r"(?i)([?&;](?:[\w.-]*(?:pass|pwd|secret|token|key|sig|auth)[\w.-]*)=)[^&;\s#]+"),
]
_known_secrets: set[str] = set()
REDACTED = "[REDACTED]"


def register_secret(value: str | None) -> None:
    """Remember a secret's exact value so it is scrubbed even when it matches no pattern."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


MASK = "***"
# Query-string parameters whose values are credentials: password=, sslpassword=, api-key=,
# access_token=, sig= (Azure SAS), client_secret=, ...
_SECRET_PARAM = re.compile(r"(?i)pass|pwd|secret|token|key|sig|auth|credential")


def redact_url(url: str) -> str:
    """A URL as it may be printed: its password and any credential in its query string masked
    (`postgresql://ann:***@db/recap`, `?password=***`). Parsed by SQLAlchemy (`make_url`,
    `render_as_string(hide_password=True)`), so a password with `/`, `?`, `:`, spaces or a raw
    `@` in it, and an empty user name, are all found. A URL with nothing to mask comes back as
    it was; text that is not a URL goes through `redact`."""
    parsed = _parse(url)
    if parsed is None:
        return redact(url)
    if parsed.password is not None:
        register_secret(parsed.password)
    secret_keys = [k for k in parsed.query if _SECRET_PARAM.search(k)]
    if parsed.password is None and not secret_keys:
        return url
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = []
    for key, values in parsed.query.items():
        for value in values if isinstance(values, tuple) else (values,):
            pairs.append(f"{quote(key)}={MASK if key in secret_keys else quote(value)}")
    return shown + ("?" + "&".join(pairs) if pairs else "")


def url_password(url: str) -> str | None:
    """The password in a URL, decoded, or None: for registering it as a secret."""
    parsed = _parse(url)
    return parsed.password if parsed is not None else None


def _parse(url: str) -> URL | None:
    """SQLAlchemy's reading of a URL, or None for text that is not one. A raw `@` inside the
    password makes SQLAlchemy end the password at the first one: the last `@` ends it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return None
    if parsed.host and "@" in parsed.host:
        extra, _, host = parsed.host.rpartition("@")
        parsed = parsed.set(password=f"{parsed.password or ''}@{extra}", host=host)
    return parsed


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
