"""Captions from a captioning run: one row per clip, a window of one episode.

A row has `episode_index`, a `caption`, optional `start`/`end` (seconds from the episode's
start; default the whole episode), an optional `id`, and the gold fields a manifest row may
carry (`gold_caption`, `gold_hallucinations`, `gold_omissions`). JSONL, CSV or Parquet; JSONL
and CSV go through the line reader (`agent.data._lines`) with a manifest's rules for bad input,
so a bad line costs that row and a UTF-16 file is refused with what to do.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.data._lines import LineReader, Refusal
from agent.data._rows import seconds_of
from agent.errors import RecapError, RowError

GOLD_FIELDS = ("gold_caption", "gold_hallucinations", "gold_omissions")


@dataclass
class CaptionRow:
    line: int
    episode: int
    caption: str
    start: float | None
    end: float | None
    id: str | None
    gold: dict[str, Any]


@dataclass
class BadCaption:
    line: int
    reason: str


@dataclass
class Captions:
    """A captions file read: its usable rows by episode, and the rows that cannot be used."""

    by_episode: dict[int, list[CaptionRow]] = field(default_factory=dict)
    bad: list[BadCaption] = field(default_factory=list)


def _refuse(path: Path) -> Refusal:
    def refuse(reason: str, hint: str | None) -> RecapError:
        return RecapError(f"Cannot read captions {path}: {reason}.", hint=hint)

    return refuse


def _rows(path: Path) -> Iterable[tuple[int, dict[str, Any] | RowError]]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as e:
            raise RecapError(
                f"Cannot read captions {path}: not a readable parquet file ({e})"
            ) from None
        return list(enumerate(table.to_pylist(), 1))
    if suffix in (".csv", ".jsonl", ".ndjson", ".json"):
        return LineReader(path, what="captions file", refuse=_refuse(path))
    raise RecapError(
        f"Cannot read captions {path}: expected .jsonl, .csv or .parquet, got {suffix!r}."
    )


def _episode(value: Any) -> int:
    """An `episode_index`: a non-negative whole number (text that reads as one, in a CSV)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowError("missing episode_index")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(f"episode_index must be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise RowError(f"episode_index {value!r} is not a number") from None
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise RowError(f"episode_index {value!r} is not a whole number >= 0")
    return int(number)


def _caption_row(n: int, row: dict[str, Any]) -> CaptionRow:
    """One row checked for what cutting a window needs; RowError says why it cannot be used."""
    episode = _episode(row.get("episode_index"))
    caption = str(row.get("caption") or "").strip()
    if not caption:
        raise RowError("empty caption")
    start, end = seconds_of(row, "start"), seconds_of(row, "end")
    if start is not None and end is not None and end <= start:
        raise RowError(f"end {end} is not after start {start}")
    gold = {k: row[k] for k in GOLD_FIELDS if row.get(k) not in (None, "")}
    given_id = str(row["id"]) if row.get("id") else None
    return CaptionRow(n, episode, caption, start, end, given_id, gold)


def read_captions(path: Path) -> Captions:
    """Caption rows grouped by episode, and the rows that cannot be used (with why)."""
    if not path.is_file():
        raise RecapError(f"Cannot read captions {path}: it does not exist.")
    by_episode: dict[int, list[CaptionRow]] = defaultdict(list)
    bad: list[BadCaption] = []
    for n, row in _rows(path):
        try:
            if isinstance(row, RowError):
                raise row
            checked = _caption_row(n, row)
        except RowError as e:
            bad.append(BadCaption(n, str(e)))
            continue
        by_episode[checked.episode].append(checked)
    return Captions(dict(by_episode), bad)
