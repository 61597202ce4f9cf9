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

from agent.errors import RecapError
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

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.skipped)


class RowError(ValueError):
    pass


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


def is_lerobot(path: Path) -> bool:
    return path.is_dir() and (path / "meta" / "info.json").is_file()


def _episodes_v2(root: Path) -> list[dict[str, Any]]:
    rows = []
    with (root / "meta" / "episodes.jsonl").open() as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def _episodes_v3(root: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for f in sorted((root / "meta" / "episodes").rglob("*.parquet")):
        rows.extend(pq.read_table(f).to_pylist())
    return rows


def _video_key(info: dict[str, Any], camera: str | None) -> str:
    keys = [k for k, v in info.get("features", {}).items() if v.get("dtype") == "video"]
    if not keys:
        raise RecapError("The LeRobot dataset has no video features (images only).")
    if camera:
        match = [k for k in keys if k == camera or k.endswith("." + camera)]
        if not match:
            raise RecapError(f"No camera {camera!r} in the dataset; it has: {', '.join(keys)}")
        return match[0]
    return keys[0]


def _episode_frames(data_file: Path, episode: int) -> dict[str, list[Any]]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(data_file)
    if "episode_index" in table.column_names:
        table = table.filter(pc.equal(table["episode_index"], episode))
    return table.to_pydict()


def ingest_lerobot(store: Store, root: Path, camera: str | None = None) -> IngestReport:
    """Each episode becomes a clip: its task string the caption, its state the telemetry."""
    info = json.loads((root / "meta" / "info.json").read_text())
    version = str(info.get("codebase_version", "v2.1"))
    v3 = version.startswith("v3")
    key = _video_key(info, camera)
    chunks_size = int(info.get("chunks_size", 1000))
    episodes = _episodes_v3(root) if v3 else _episodes_v2(root)
    report = IngestReport(source=f"{root} (LeRobot {version}, camera {key})")
    for n, ep in enumerate(episodes, 1):
        ep_index = int(ep["episode_index"])
        clip_id = f"{root.name}/episode_{ep_index:06d}"
        try:
            tasks = ep.get("tasks") or []
            caption = " ".join(str(t) for t in tasks).strip()
            start = end = None
            if v3:
                fmt = {
                    "video_key": key,
                    "chunk_index": int(ep[f"videos/{key}/chunk_index"]),
                    "file_index": int(ep[f"videos/{key}/file_index"]),
                }
                video_rel = info["video_path"].format(**fmt)
                start = float(ep[f"videos/{key}/from_timestamp"])
                end = float(ep[f"videos/{key}/to_timestamp"])
                data_rel = info["data_path"].format(
                    chunk_index=int(ep["data/chunk_index"]), file_index=int(ep["data/file_index"])
                )
            else:
                chunk = ep_index // chunks_size
                video_rel = info["video_path"].format(
                    episode_chunk=chunk, video_key=key, episode_index=ep_index
                )
                data_rel = info["data_path"].format(episode_chunk=chunk, episode_index=ep_index)
            telemetry = None
            data_file = root / data_rel
            if data_file.is_file():
                frames = _episode_frames(data_file, ep_index)
                ts = frames.get("timestamp") or []
                if ts:
                    t0 = ts[0]
                    telemetry = {"t": [round(t - t0, 4) for t in ts]}
                    for col, name in (("observation.state", "state"), ("action", "action")):
                        if col in frames:
                            telemetry[name] = frames[col]
                    if "next.success" in frames:
                        telemetry["success"] = bool(any(frames["next.success"]))
            row = {
                "id": clip_id,
                "video": video_rel,
                "caption": caption,
                "telemetry": telemetry,
                "start": start,
                "end": end,
                "meta": {
                    "episode_index": ep_index,
                    "tasks": tasks,
                    "lerobot": version,
                    "length": ep.get("length"),
                },
            }
            clip, text = build_clip(row, root.resolve(), f"lerobot:{ep_index}")
        except (RowError, RecapError, KeyError, ValueError) as e:
            reason = f"missing field {e}" if isinstance(e, KeyError) else str(e)
            report.skipped.append(Problem(n, clip_id, reason))
            continue
        outcome = store.upsert_clip(clip, text)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def ingest(
    store: Store, source: str | Path, root: str | Path | None = None, camera: str | None = None
) -> IngestReport:
    """Ingest a manifest (.jsonl, .json lines, .csv) or a LeRobot dataset folder."""
    path = Path(source)
    if not path.exists():
        raise RecapError(f"Cannot ingest {path}: it does not exist.")
    if path.is_dir():
        if is_lerobot(path):
            return ingest_lerobot(store, path, camera)
        raise RecapError(
            f"Cannot ingest {path}: a folder must be a LeRobot dataset (meta/info.json).",
            hint="Pass a manifest file (.jsonl or .csv) or a LeRobot dataset folder.",
        )
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json", ".csv"):
        raise RecapError(f"Cannot ingest {path}: expected .jsonl or .csv, got {path.suffix!r}.")
    return ingest_manifest(store, path, Path(root) if root else None)
