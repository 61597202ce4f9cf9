"""Captions from a captioning run: one row per clip, a window of one episode.

A row has `episode_index`, a `caption`, optional `start`/`end` (seconds from the episode's
start; default the whole episode), an optional `id`, and the gold fields a manifest row may
carry (`gold_caption`, `gold_hallucinations`, `gold_omissions`). JSONL, CSV or Parquet.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import RecapError

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


def _rows(path: Path) -> list[tuple[int, dict[str, Any] | BadCaption]]:
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
        return [(i, row) for i, row in enumerate(table.to_pylist(), 1)]
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            return [
                (reader.line_num, {k.strip(): v for k, v in row.items() if k}) for row in reader
            ]
    if suffix in (".jsonl", ".ndjson", ".json"):
        out: list[tuple[int, dict[str, Any] | BadCaption]] = []
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    out.append((n, BadCaption(n, f"invalid JSON ({e.msg})")))
                    continue
                out.append(
                    (n, row if isinstance(row, dict) else BadCaption(n, "not a JSON object"))
                )
        return out
    raise RecapError(
        f"Cannot read captions {path}: expected .jsonl, .csv or .parquet, got {suffix!r}."
    )


def _seconds(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number of seconds") from None
    if math.isnan(out) or out < 0:
        raise ValueError(f"{name} {value!r} must be a number of seconds >= 0")
    return out


def read_captions(path: Path) -> dict[int, list[CaptionRow | BadCaption]]:
    """Caption rows grouped by episode; rows that cannot be read at all under key -1."""
    if not path.is_file():
        raise RecapError(f"Cannot read captions {path}: it does not exist.")
    out: dict[int, list[CaptionRow | BadCaption]] = defaultdict(list)
    for n, row in _rows(path):
        if isinstance(row, BadCaption):
            out[-1].append(row)
            continue
        try:
            raw_ep = row.get("episode_index")
            if raw_ep is None or (isinstance(raw_ep, str) and not raw_ep.strip()):
                raise ValueError("missing episode_index")
            try:
                episode = int(float(raw_ep))
            except (TypeError, ValueError):
                raise ValueError(f"episode_index {raw_ep!r} is not a number") from None
            caption = str(row.get("caption") or "").strip()
            if not caption:
                raise ValueError("empty caption")
            start = _seconds(row.get("start"), "start")
            end = _seconds(row.get("end"), "end")
            if start is not None and end is not None and end <= start:
                raise ValueError(f"end {end} is not after start {start}")
        except ValueError as e:
            out[-1].append(BadCaption(n, str(e)))
            continue
        gold = {k: row[k] for k in GOLD_FIELDS if row.get(k) not in (None, "")}
        out[episode].append(
            CaptionRow(
                n, episode, caption, start, end, str(row["id"]) if row.get("id") else None, gold
            )
        )
    return dict(out)
