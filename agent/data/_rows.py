"""Checking one ingest row and building its clip: the rules every reader's rows (manifest or
LeRobot) go through before they reach the store.

A row is a manifest-shaped dict (id, video, caption, start, end, telemetry, gold_*, meta). A
problem with id, caption, video or start/end costs the row (RowError); a bad optional field
(telemetry, the gold fields, meta) is left out of the clip and named, with why. The clip's
content hash is taken over everything it holds, so an unchanged row is recognised on re-ingest.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.errors import RecapError, RowError, first_line
from agent.schema import GoldLabels
from agent.store import Clip
from agent.telemetry import Telemetry

MAX_ID_CHARS = 255  # the clips.id column's width (PostgreSQL enforces it)
# A caption is a sentence or a few: this many characters is over 300 words. Longer text is
# usually a captioning model repeating itself, and every decision's diff would carry it.
MAX_CAPTION_CHARS = 2000
# A clip id is shown on every page and in every table, and names the clip in URLs, keys and
# scripts: only characters that mean nothing to HTML, Markdown, JavaScript, a shell or a
# terminal (no quotes, brackets, angle brackets, spaces, backslashes or control characters).
CLIP_ID_CHARS = "ASCII letters, digits and . _ : / @ + -"
_CLIP_ID = re.compile(r"[A-Za-z0-9._:/@+\-]+")
_NOT_ID = re.compile(r"[^A-Za-z0-9._:/@+\-]")
_VIDEO_CACHE = 4096  # recently resolved video paths kept (rows often share a video)


def _canonical(data: dict[str, Any]) -> str:
    """The text a clip's content hash is taken over, refusing NaN and Infinity (ValueError)."""
    return json.dumps(data, sort_keys=True, default=str, allow_nan=False)


def _text_problem(text: str) -> str | None:
    """Why a string cannot be stored as text (both backends), or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains text that is not valid UTF-8 (an unpaired surrogate)"
    return None


def _storable(name: str, value: Any) -> Any:
    """`value` if both backends can keep it as JSON: finite numbers, valid UTF-8."""
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise RowError(f"{name}: contains text that is not valid UTF-8") from None
    except ValueError:
        raise RowError(f"{name}: numbers must be finite (found NaN or Infinity)") from None
    return value


def _json_field(row: dict[str, Any], name: str) -> Any:
    value = row.get(name)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as e:
            raise RowError(f"{name} is not valid JSON ({e.msg})") from None
        except (ValueError, RecursionError) as e:  # huge integers, absurd nesting
            raise RowError(f"{name} is not usable JSON ({first_line(e)})") from None
    return value


def _pydantic_reason(e: ValidationError, skip: int = 0) -> str:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"][skip:])
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def seconds_of(row: dict[str, Any], name: str) -> float | None:
    """The row's `name` field as seconds; None when absent or blank. RowError unless it is a
    finite, non-negative number (or text that reads as one)."""
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(f"{name} must be a number of seconds, not {type(value).__name__}")
    try:
        out = float(value)
    except ValueError:
        raise RowError(f"{name} is not a number of seconds: {str(value)[:40]!r}") from None
    except OverflowError:  # an integer too large for a float
        out = math.inf
    if not math.isfinite(out) or out < 0:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise RowError(f"{name} must be a finite, non-negative number of seconds: {shown}")
    return out


def _required_text(row: dict[str, Any], name: str, missing: str) -> str:
    value = row.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and name == "id":
        value = str(value)
    if value is None or value == "":
        raise RowError(missing)
    if not isinstance(value, str):
        kind = "a string or a number" if name == "id" else "a string"
        raise RowError(f"{name} must be {kind}, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise RowError(missing)
    problem = _text_problem(value)
    if problem:
        raise RowError(f"{name} {problem}")
    return value


def id_problem(clip_id: str) -> str:
    """Why an id is refused: the characters outside the safe set, each named by code point."""
    bad = sorted(set(_NOT_ID.findall(clip_id)))
    named = ", ".join(f"U+{ord(c):04X}" + (f" {c!r}" if c.isprintable() else "") for c in bad[:8])
    more = f" and {len(bad) - 8} more" if len(bad) > 8 else ""
    return f"id may hold only {CLIP_ID_CHARS}; it has {named}{more}"


def safe_id_part(text: str) -> str:
    """`text` (a folder name, say) usable inside a clip id: each character outside the safe
    set becomes `_`."""
    return _NOT_ID.sub("_", text)


def shown_id(row: dict[str, Any] | RowError) -> str | None:
    """The row's id as far as it can be shown in a report, before the row is checked."""
    if isinstance(row, RowError):
        return None
    value = row.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip()[:80] or None


@dataclass
class CheckedRow:
    """A row that can go in: its clip, its caption and the optional fields left out, with why."""

    clip: Clip
    caption: str
    dropped: list[tuple[str, str]]


class RowChecker:
    """Checks ingest rows (a manifest's or a LeRobot reader's) against one dataset root. Holds
    what is worth computing once per ingest rather than once per row: the resolved root and
    recently resolved videos."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._videos: dict[str, Path | str] = {}

    def inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)

    def video(self, value: str) -> Path:
        """A video path, which must name a non-empty file inside the dataset root."""
        known = self._videos.get(value)
        if known is None:
            try:
                known = self._resolve(value)
            except RowError as e:
                known = str(e)
            if len(self._videos) >= _VIDEO_CACHE:
                self._videos.clear()
            self._videos[value] = known
        if isinstance(known, str):
            raise RowError(known)
        return known

    def _resolve(self, value: str) -> Path:
        problem = _text_problem(value)
        if problem:
            raise RowError(f"video path {problem}")
        p = Path(value)
        full = p if p.is_absolute() else self.root / p
        if not self.inside(full):
            raise RowError(f"video path {value!r} escapes the dataset root {self.root}")
        try:
            st = full.stat()
        except FileNotFoundError:
            raise RowError(f"video file not found: {full}") from None
        except OSError as e:
            raise RowError(f"video file cannot be read: {full} ({e.strerror})") from None
        if not stat.S_ISREG(st.st_mode):
            raise RowError(f"video file not found: {full} (not a regular file)")
        if st.st_size == 0:
            raise RowError(f"video file is empty: {full}")
        return full.resolve()

    def telemetry(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The row's telemetry: a path to a JSON file inside the root, or the object inline."""
        raw = row.get("telemetry")
        if isinstance(raw, str) and raw.strip() and not raw.strip().startswith("{"):
            return self._telemetry_file(raw.strip())
        value = _json_field(row, "telemetry")
        if value is None:
            return None
        try:
            tel = Telemetry.model_validate(value)
        except ValidationError as e:
            raise RowError(f"telemetry: {_pydantic_reason(e)}") from None
        return tel.model_dump(mode="json", exclude_none=True)

    def _telemetry_file(self, value: str) -> dict[str, Any]:
        problem = _text_problem(value)
        if problem:
            raise RowError(f"telemetry path {problem}")
        path = self.root / value
        if not self.inside(path):
            raise RowError(f"telemetry path {value!r} escapes the dataset root {self.root}")
        try:
            tel = Telemetry.load(path)
        except RecapError as e:
            raise RowError(f"telemetry: {e.message}") from None
        return tel.model_dump(mode="json", exclude_none=True)

    def check(self, row: dict[str, Any], source: str) -> CheckedRow:
        """Validate one row. Raises RowError when the clip cannot go in (id, caption, video,
        start/end); a bad optional field is left out and listed in `dropped` instead."""
        clip_id = _required_text(row, "id", "missing id")
        if len(clip_id) > MAX_ID_CHARS:
            raise RowError(f"id is {len(clip_id)} characters long; at most {MAX_ID_CHARS}")
        if not _CLIP_ID.fullmatch(clip_id):
            raise RowError(id_problem(clip_id))
        caption = _required_text(row, "caption", "empty caption")
        if len(caption) > MAX_CAPTION_CHARS:
            raise RowError(
                f"caption is {len(caption):,} characters long; at most {MAX_CAPTION_CHARS:,} "
                "(is the captioning model repeating itself?)"
            )
        video = self.video(_required_text(row, "video", "missing video"))
        start, end = seconds_of(row, "start"), seconds_of(row, "end")
        if start is not None and end is not None and end <= start:
            raise RowError(f"end ({end:g} s) is not after start ({start:g} s)")
        dropped: list[tuple[str, str]] = []
        telemetry = gold = meta = None
        try:
            telemetry = self.telemetry(row)
        except RowError as e:
            dropped.append(("telemetry", str(e)))
        try:
            gold = stored_gold(read_gold(row, caption))
        except RowError as e:
            dropped.append(("gold", str(e)))
        try:
            meta = _json_field(row, "meta")
            if meta is not None and not isinstance(meta, dict):
                raise RowError(f"meta must be a JSON object, not {type(meta).__name__}")
        except RowError as e:
            meta = None
            dropped.append(("meta", str(e)))
        payload = {
            "video": str(video),
            "caption": caption,
            "telemetry": telemetry,
            "gold": gold,
            "meta": meta,
            "start": start,
            "end": end,
        }
        try:  # one encoding serves as the content hash and as the check that both backends
            # can keep the JSON fields (finite numbers; no unpaired surrogate: these and any
            # character beyond the BMP are the only ways "\ud" gets into the ASCII text)
            text = _canonical(payload)
            suspect = "\\ud" in text
        except ValueError:
            suspect = True
        if suspect:
            for name in ("telemetry", "gold", "meta"):
                try:
                    _storable(name, payload[name])
                except RowError as e:
                    payload[name] = None
                    dropped.append((name, str(e)))
            telemetry, gold, meta = payload["telemetry"], payload["gold"], payload["meta"]
            text = _canonical(payload)
        clip = Clip(
            id=clip_id,
            video=str(video),
            root=str(self.root),
            start_s=start,
            end_s=end,
            telemetry_json=telemetry,
            gold_json=gold,
            meta=meta,
            source=source,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
        return CheckedRow(clip, caption, dropped)


def read_gold(row: dict[str, Any], caption: str) -> GoldLabels | None:
    """A row's gold fields (`gold_caption`, `gold_hallucinations`, `gold_omissions`), checked
    against its caption; None when the row has none. Shared by ingest and the eval harness.
    A hallucination label needs only `span` and `type`, an omission `description` and `type`."""
    given: dict[str, Any] = {}
    gold_caption = row.get("gold_caption")
    if gold_caption not in (None, ""):
        if not isinstance(gold_caption, str):
            raise RowError(f"gold_caption must be a string, not {type(gold_caption).__name__}")
        if len(gold_caption.strip()) > MAX_CAPTION_CHARS:
            raise RowError(
                f"gold_caption is {len(gold_caption.strip()):,} characters long; at most "
                f"{MAX_CAPTION_CHARS:,}"
            )
        given["caption"] = gold_caption.strip()
    for name, key in (("gold_hallucinations", "hallucinations"), ("gold_omissions", "omissions")):
        value = _json_field(row, name)
        if value is not None:
            given[key] = value
    if not given:
        return None
    try:
        return GoldLabels.model_validate(given, context={"caption": caption})
    except ValidationError as e:
        err = e.errors()[0]
        name = "gold_" + str(err["loc"][0]) if err["loc"] else "gold"
        raise RowError(f"{name}: {_pydantic_reason(e, skip=1)}") from None


def stored_gold(labels: GoldLabels | None) -> dict[str, Any] | None:
    """Gold labels as kept in the clip row: only the fields the row gave."""
    if labels is None:
        return None
    given = labels.model_fields_set
    out: dict[str, Any] = {}
    if "caption" in given:
        out["caption"] = labels.caption
    if "hallucinations" in given:
        out["hallucinations"] = [
            h.model_dump(mode="json", exclude_none=True) for h in labels.hallucinations
        ]
    if "omissions" in given:
        out["omissions"] = [o.model_dump(mode="json") for o in labels.omissions]
    return out
