"""vcrpy set-up for recap: keys filtered, frames replaced by their digest before record and match.

Cassettes stay small (a digest instead of ~100 kB of base64 per request), hold no secret, and a
request with other frames has another digest, so it cannot match a recording by accident.
Record mode is "none" unless RECAP_RECORD names another (e.g. RECAP_RECORD=once).
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import vcr

CASSETTES = Path(__file__).parent / "cassettes"
# Read at import: the autouse fixture clears RECAP_* variables before each test runs.
RECORD_MODE = os.environ.get("RECAP_RECORD", "none")
_IMAGE = re.compile(rb"data:image/(\w+);base64,([A-Za-z0-9+/=]+)")


def digest_images(body: bytes) -> bytes:
    def sub(m: re.Match[bytes]) -> bytes:
        h = hashlib.sha256(m.group(2)).hexdigest()[:32]
        return b"data:image/" + m.group(1) + b";sha256," + h.encode()

    return _IMAGE.sub(sub, body)


def scrub_request(request: Any) -> Any:
    request = copy.deepcopy(request)
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if body:
        request.body = digest_images(body)
    return request


def recap_vcr() -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=RECORD_MODE,
        filter_headers=[
            "authorization",
            "api-key",
            "openai-organization",
            "openai-project",
            "cookie",
            "set-cookie",
        ],
        before_record_request=scrub_request,
        match_on=["method", "path", "body"],
        decode_compressed_response=True,
    )
