"""Ingest clips into the store from a JSONL/CSV manifest or a LeRobot dataset folder.

Idempotent: a row whose content has not changed is left alone, so re-ingesting the same source
changes nothing. A bad row is reported with its line number and skipped; the good rows go in.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.errors import RecapError, RowError
from agent.lerobot import DEFAULT_WINDOW_S, LeRobotReader, is_lerobot
from agent.schema import GoldLabels
from agent.store import Clip, Store
from agent.telemetry import Telemetry

JSON_FIELDS = ("telemetry", "gold_hallucinations", "gold_omissions", "meta")


@dataclass
class Problem:
    line: int
    clip_id: str | None
    reason: str

    def __str__(self) -> str:
        who = f" ({self.clip_id})" if self.clip_id else ""
        return f"line {self.line}{who}: {self.reason}"


@dataclass
class IngestReport:
    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the user should know, e.g. a split

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.skipped)


def inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def resolve_video(root: Path, value: str) -> Path:
    """A manifest's video path, which must stay inside the dataset root."""
    p = Path(value)
    full = p if p.is_absolute() else root / p
    if not inside(root, full):
        raise RowError(f"video path {value!r} escapes the dataset root {root}")
    if not full.is_file():
        raise RowError(f"video file not found: {full}")
    if full.stat().st_size == 0:
        raise RowError(f"video file is empty: {full}")
    return full.resolve()


def _content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


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
    return value


def _telemetry(root: Path, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):  # a path to a JSON file
        path = root / value
        if not inside(root, path):
            raise RowError(f"telemetry path {value!r} escapes the dataset root {root}")
        return Telemetry.load(path).model_dump(mode="json", exclude_none=True)
    try:
        return Telemetry.model_validate(value).model_dump(mode="json", exclude_none=True)
    except ValidationError as e:
        first = e.errors()[0]
        raise RowError(f"telemetry {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def build_clip(row: dict[str, Any], root: Path, source: str) -> tuple[Clip, str]:
    """Validate one manifest row and turn it into a Clip plus its caption."""
    clip_id = str(row.get("id") or "").strip()
    if not clip_id:
        raise RowError("missing id")
    caption = str(row.get("caption") or "").strip()
    if not caption:
        raise RowError("empty caption")
    if not row.get("video"):
        raise RowError("missing video")
    video = resolve_video(root, str(row["video"]))
    raw_tel = row.get("telemetry")
    is_path = isinstance(raw_tel, str) and not raw_tel.strip().startswith("{")
    telemetry = _telemetry(
        root, raw_tel.strip() or None if is_path else _json_field(row, "telemetry")
    )
    gold = stored_gold(read_gold(row, caption))
    meta = _json_field(row, "meta")
    start = float(row["start"]) if row.get("start") not in (None, "") else None
    end = float(row["end"]) if row.get("end") not in (None, "") else None
    payload = {
        "video": str(video),
        "caption": caption,
        "telemetry": telemetry,
        "gold": gold,
        "meta": meta,
        "start": start,
        "end": end,
    }
    clip = Clip(
        id=clip_id,
        video=str(video),
        root=str(root.resolve()),
        start_s=start,
        end_s=end,
        telemetry=telemetry,
        gold=gold,
        meta=meta,
        source=source,
        content_hash=_content_hash(payload),
    )
    return clip, caption


def read_gold(row: dict[str, Any], caption: str) -> GoldLabels | None:
    """A row's gold fields (`gold_caption`, `gold_hallucinations`, `gold_omissions`), checked
    against its caption; None when the row has none. Shared by ingest and the eval harness."""
    given: dict[str, Any] = {}
    if row.get("gold_caption"):
        given["caption"] = str(row["gold_caption"]).strip()
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
        field = "gold_" + str(err["loc"][0]) if err["loc"] else "gold"
        raise RowError(f"{field}: {_first(e, skip=1)}") from None


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


def _first(e: Exception, skip: int = 0) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"][skip:])
        return f"{loc}: {err['msg']}" if loc else err["msg"]
    return str(e)


def read_manifest(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(line number, row) for each row of a JSONL or CSV manifest; parse errors as RowError."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                yield reader.line_num, {k.strip(): v for k, v in row.items() if k}
        return
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                yield n, RowError(f"invalid JSON ({e.msg})")
                continue
            yield n, row if isinstance(row, dict) else RowError("not a JSON object")


def ingest_manifest(store: Store, path: Path, root: Path | None = None) -> IngestReport:
    root = (root or path.parent).resolve()
    report = IngestReport(source=str(path))
    seen: dict[str, int] = {}
    for line, row in read_manifest(path):
        clip_id = None if isinstance(row, RowError) else (str(row.get("id") or "") or None)
        try:
            if isinstance(row, RowError):
                raise row
            if clip_id in seen:
                raise RowError(f"duplicate id {clip_id!r} (first on line {seen[clip_id]})")
            clip, caption = build_clip(row, root, f"{path.name}:{line}")
        except (RowError, RecapError) as e:
            report.skipped.append(Problem(line, clip_id, str(e)))
            continue
        seen[clip.id] = line
        outcome = store.upsert_clip(clip, caption)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


# --- LeRobot ----------------------------------------------------------------------------------


def ingest_lerobot(
    store: Store,
    root: Path,
    camera: str | None = None,
    *,
    captions: Path | None = None,
    window: float | None = DEFAULT_WINDOW_S,
    state_map: list[str] | tuple[str, ...] | None = None,
) -> IngestReport:
    """Clips from a LeRobot dataset: an episode (or a window of one) each, with telemetry from
    its named state; captions from `captions` when given, else the episode's task."""
    reader = LeRobotReader(
        root, camera=camera, captions=captions, window=window, state_map=state_map
    )
    report = IngestReport(source=reader.describe())
    seen: dict[str, int] = {}
    for n, row in reader.rows():
        clip_id = None if isinstance(row, RowError) else str(row.get("id") or "") or None
        try:
            if isinstance(row, RowError):
                raise row
            if clip_id in seen:
                raise RowError(f"duplicate id {clip_id!r} (first on line {seen[clip_id]})")
            clip, text = build_clip(row, root.resolve(), f"lerobot:{n}")
        except (RowError, RecapError) as e:
            report.skipped.append(Problem(n, clip_id, str(e)))
            continue
        seen[clip.id] = n
        outcome = store.upsert_clip(clip, text)
        setattr(report, outcome, getattr(report, outcome) + 1)
    report.notes.extend(reader.notes)
    return report


def ingest(
    store: Store,
    source: str | Path,
    root: str | Path | None = None,
    camera: str | None = None,
    *,
    captions: str | Path | None = None,
    window: float | None = DEFAULT_WINDOW_S,
    state_map: list[str] | tuple[str, ...] | None = None,
) -> IngestReport:
    """Ingest a manifest (.jsonl, .json lines, .csv) or a LeRobot dataset folder (with, for
    LeRobot, an optional captions file, clip window and state map)."""
    path = Path(source)
    if not path.exists():
        raise RecapError(f"Cannot ingest {path}: it does not exist.")
    if path.is_dir():
        if is_lerobot(path):
            return ingest_lerobot(
                store,
                path,
                camera,
                captions=Path(captions) if captions else None,
                window=window,
                state_map=state_map,
            )
        raise RecapError(
            f"Cannot ingest {path}: a folder must be a LeRobot dataset (meta/info.json).",
            hint="Pass a manifest file (.jsonl or .csv) or a LeRobot dataset folder.",
        )
    if captions is not None or state_map:
        raise RecapError("--captions and --state-map apply to LeRobot dataset folders only.")
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json", ".csv"):
        raise RecapError(f"Cannot ingest {path}: expected .jsonl or .csv, got {path.suffix!r}.")
    return ingest_manifest(store, path, Path(root) if root else None)
