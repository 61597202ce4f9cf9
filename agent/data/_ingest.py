"""Ingest clips into the store from a JSONL/CSV manifest or a LeRobot dataset folder.

Manifests stream through one pipeline, `ingest_rows`: each row is checked on its own and the
good ones are written BATCH_ROWS at a time (one transaction and a few bulk statements per
batch), so memory stays bounded whatever the file's size, Ctrl-C keeps the batches already
committed, and running the same command again continues where it stopped.

Idempotent: a row whose content has not changed is left alone, so re-ingesting the same source
changes nothing. A bad row (no id, caption or usable video; bytes that are not UTF-8; broken
JSON) costs that row; a bad optional field (`telemetry`, the `gold_*` fields, `meta`) costs
that field and the clip still goes in. Both are reported with their line number.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, StatementError

from agent.data.lerobot import DEFAULT_WINDOW_S, LeRobotReader, is_lerobot
from agent.errors import RecapError, RowError
from agent.schema import GoldLabels
from agent.store import Clip, Store
from agent.telemetry import Telemetry

JSON_FIELDS = ("telemetry", "gold_hallucinations", "gold_omissions", "meta")
BATCH_ROWS = 1000  # rows per transaction: big enough for bulk statements, small to lose on Ctrl-C
MAX_LINE_BYTES = 64 * 2**20  # a longer manifest line is reported, never read into memory
MAX_ID_CHARS = 255  # the clips.id column's width (PostgreSQL enforces it)
_VIDEO_CACHE = 4096  # recently resolved video paths kept (rows often share a video)
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, as surrogateescape


@dataclass
class Problem:
    """Something wrong on one line: the whole row skipped (`field` None) or one optional field
    left out of a clip that was still ingested (`field` names it: telemetry, gold or meta)."""

    line: int
    clip_id: str | None
    reason: str
    field: str | None = None

    def __post_init__(self) -> None:  # never let a stray surrogate break printing the report
        self.reason = _printable(self.reason)
        self.clip_id = _printable(self.clip_id) if self.clip_id else self.clip_id

    def __str__(self) -> str:
        who = f" ({self.clip_id})" if self.clip_id else ""
        return f"line {self.line}{who}: {self.reason}"


@dataclass
class IngestReport:
    """What an ingest did: rows added, updated and unchanged, rows skipped (with why) and
    fields dropped from clips that went in (with why)."""

    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the user should know, e.g. a split
    dropped: list[Problem] = field(default_factory=list)
    interrupted: bool = False

    @property
    def total(self) -> int:
        """Rows read (a row with dropped fields counts once, as ingested)."""
        return self.added + self.updated + self.unchanged + len(self.skipped)

    @property
    def problems(self) -> list[Problem]:
        """Skipped rows and dropped fields together, in line order."""
        return sorted([*self.skipped, *self.dropped], key=lambda p: p.line)


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C during an ingest; `report` counts what the committed batches hold."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__("ingest interrupted")
        self.report = report


# Called after each committed batch: the report so far, work done and the total (bytes of a
# manifest), so a caller can draw a progress bar.
ProgressFn = Callable[[IngestReport, int, int | None], None]


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def resolve_video(root: Path, value: str) -> Path:
    """A manifest's video path, which must stay inside the dataset root."""
    return RowChecker(root).video(value)


def _content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _canonical(data: dict[str, Any]) -> str:
    """The text `_content_hash` hashes, refusing NaN and Infinity (ValueError)."""
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
            raise RowError(f"{name} is not usable JSON ({_short(e)})") from None
    return value


def _pydantic_reason(e: ValidationError, skip: int = 0) -> str:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"][skip:])
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def _short(e: BaseException, limit: int = 200) -> str:
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    first = text[0] if text else type(e).__name__
    return first if len(first) <= limit else first[:limit] + "…"


def _seconds(row: dict[str, Any], name: str) -> float | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(f"{name} must be a number of seconds, not {type(value).__name__}")
    try:
        seconds = float(value)
    except ValueError:
        raise RowError(f"{name} is not a number of seconds: {str(value)[:40]!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise RowError(f"{name} must be a finite, non-negative number of seconds: {value!r}")
    return seconds


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


def _shown_id(row: dict[str, Any] | RowError) -> str | None:
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
    """Checks manifest rows against one dataset root. Holds what is worth computing once per
    ingest rather than once per row: the resolved root and recently resolved videos."""

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
        caption = _required_text(row, "caption", "empty caption")
        video = self.video(_required_text(row, "video", "missing video"))
        start, end = _seconds(row, "start"), _seconds(row, "end")
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
            telemetry=telemetry,
            gold=gold,
            meta=meta,
            source=source,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
        return CheckedRow(clip, caption, dropped)


def build_clip(row: dict[str, Any], root: Path, source: str) -> tuple[Clip, str]:
    """Validate one row strictly: any problem, in an optional field too, raises RowError. For
    readers that have not moved to `ingest_rows` yet."""
    checked = RowChecker(root).check(row, source)
    if checked.dropped:
        raise RowError(checked.dropped[0][1])
    return checked.clip, checked.caption


def read_gold(row: dict[str, Any], caption: str) -> GoldLabels | None:
    """A row's gold fields (`gold_caption`, `gold_hallucinations`, `gold_omissions`), checked
    against its caption; None when the row has none. Shared by ingest and the eval harness.
    A hallucination label needs only `span` and `type`, an omission `description` and `type`."""
    given: dict[str, Any] = {}
    gold_caption = row.get("gold_caption")
    if gold_caption not in (None, ""):
        if not isinstance(gold_caption, str):
            raise RowError(f"gold_caption must be a string, not {type(gold_caption).__name__}")
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


# --- manifests --------------------------------------------------------------------------------


class ManifestReader:
    """(line number, row) for each row of a JSONL or CSV manifest, streamed from disk; a line
    that cannot be read (not UTF-8, not JSON, too long, a broken CSV record) comes as a
    RowError in the row's place. `done` counts the bytes read so far, `size` the file's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.csv = path.suffix.lower() == ".csv"
        self.done = 0
        try:
            self.size: int | None = path.stat().st_size
        except OSError:
            self.size = None

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        try:
            fh = self.path.open("rb")
        except OSError as e:
            raise RecapError(f"Cannot read {self.path}: {e.strerror}.") from None
        with fh:
            head = fh.read(64)
            fh.seek(0)
            # A UTF-16 byte-order mark followed by UTF-16 text (ASCII comes out as every other
            # byte NUL); a stray BOM-like pair on its own is just a bad line.
            if head.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in head[2:]:
                raise RecapError(
                    f"Cannot ingest {self.path}: it is UTF-16 text.",
                    hint="Save the manifest as UTF-8 and ingest it again.",
                )
            yield from self._csv(fh) if self.csv else self._jsonl(fh)

    def _lines(self, fh: Any) -> Iterator[tuple[int, bytes | None]]:
        """(line number, raw line) with lines over MAX_LINE_BYTES skipped unread (None)."""
        n = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            n += 1
            self.done += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                    raw = fh.readline(MAX_LINE_BYTES)
                    self.done += len(raw)
                yield n, None
                continue
            yield n, raw

    def _jsonl(self, fh: Any) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        for n, raw in self._lines(fh):
            if raw is None:
                yield n, RowError(f"line is longer than {MAX_LINE_BYTES // 2**20} MiB")
                continue
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield n, RowError(_not_utf8(raw[e.start], e.start + 1))
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as e:
                yield n, RowError(f"invalid JSON ({e.msg} at column {e.colno})")
                continue
            except (ValueError, RecursionError) as e:  # huge integers, absurd nesting
                yield n, RowError(f"unusable JSON ({_short(e)})")
                continue
            yield n, row if isinstance(row, dict) else RowError("not a JSON object")

    def _csv(self, fh: Any) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
        too_long: list[int] = []

        def text_lines() -> Iterator[str]:
            for n, raw in self._lines(fh):
                if raw is None:
                    too_long.append(n)
                    yield "\n"  # keeps the reader's line count; the row is reported below
                    continue
                if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                yield raw.decode("utf-8", "surrogateescape")

        reader = csv.reader(text_lines(), strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise RecapError(f"Cannot read the header line of {self.path}: {e}.") from None
        if _UNDECODED.search("".join(header)):
            raise RecapError(
                f"Cannot ingest {self.path}: its header line is not valid UTF-8.",
                hint="Save the manifest as UTF-8 and ingest it again.",
            )
        names = [h.strip() for h in header]
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield start, RowError(f"unreadable CSV record ({e})")
                continue
            if too_long and too_long[-1] >= start:
                yield too_long[-1], RowError(f"line is longer than {MAX_LINE_BYTES // 2**20} MiB")
                too_long.clear()
                continue
            if not record or not any(v.strip() for v in record):
                continue
            bad = next((_UNDECODED.search(v) for v in record if _UNDECODED.search(v)), None)
            if bad is not None:
                yield start, RowError(_not_utf8(ord(bad.group()) - 0xDC00, None))
                continue
            if len(record) > len(names):
                yield (
                    start,
                    RowError(
                        f"{len(record)} fields but the header has {len(names)} "
                        "(an unquoted comma in a value?)"
                    ),
                )
                continue
            yield start, {k: v for k, v in zip(names, record, strict=False) if k}


def _not_utf8(byte: int, column: int | None) -> str:
    where = f" at column {column}" if column is not None else ""
    return f"not valid UTF-8 (byte 0x{byte:02x}{where}); save the manifest as UTF-8"


def read_manifest(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(line number, row) for each row of a JSONL or CSV manifest; parse errors as RowError."""
    return iter(ManifestReader(path))


def ingest_rows(
    store: Store,
    source: str,
    rows: Iterable[tuple[int, dict[str, Any] | RowError]],
    root: Path,
    *,
    label: str,
    batch_rows: int = BATCH_ROWS,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Check each (line, row) and write the good ones in batches of `batch_rows`, one
    transaction each. Any reader can feed it: a row is a manifest-shaped dict, or the RowError
    that stopped the reader making one. A clip's `source` is `label:line`. Ctrl-C raises
    IngestInterrupted carrying the report of what was committed."""
    checker = RowChecker(root)
    report = IngestReport(source=source)
    seen: dict[str, int] = {}
    batch: list[tuple[int, Clip, str]] = []
    try:
        for line, row in rows:
            try:
                if isinstance(row, RowError):
                    raise row
                checked = checker.check(row, f"{label}:{line}")
            except RowError as e:
                report.skipped.append(Problem(line, _shown_id(row), str(e)))
                continue
            clip_id = checked.clip.id
            if clip_id in seen:
                reason = f"duplicate id {clip_id!r} (first on line {seen[clip_id]})"
                report.skipped.append(Problem(line, clip_id, reason))
                continue
            seen[clip_id] = line
            for name, reason in checked.dropped:
                report.dropped.append(Problem(line, clip_id, reason, field=name))
            batch.append((line, checked.clip, checked.caption))
            if len(batch) >= batch_rows:
                _write(store, batch, report)
                batch = []
                if on_batch is not None:
                    on_batch(report)
        if batch:
            _write(store, batch, report)
            batch = []
        if on_batch is not None:
            on_batch(report)
    except KeyboardInterrupt:
        report.interrupted = True
        uncommitted = {line for line, _, _ in batch}
        report.dropped = [p for p in report.dropped if p.line not in uncommitted]
        raise IngestInterrupted(report) from None
    return report


def _write(store: Store, batch: list[tuple[int, Clip, str]], report: IngestReport) -> None:
    """One batch in one transaction; a row the database refuses costs that row only."""
    committed = report.added + report.updated + report.unchanged
    try:
        outcomes: list[str | None] = list(store.upsert_clips([(c, t) for _, c, t in batch]))
    except OperationalError as e:
        raise RecapError(
            f"Cannot write to {store.display_url}: {_short(e)}",
            hint=f"{committed} rows were committed before this batch; run the same command "
            "again to continue.",
        ) from None
    except (StatementError, ValueError):  # a value the database refused: find the row
        outcomes = []
        for line, clip, caption in batch:
            try:
                outcomes.extend(store.upsert_clips([(clip, caption)]))
            except OperationalError:
                raise
            except (StatementError, ValueError) as e:
                outcomes.append(None)
                report.skipped.append(
                    Problem(line, clip.id, f"the database refused the row: {_short(e)}")
                )
                report.dropped = [p for p in report.dropped if p.line != line]
    for outcome in outcomes:
        if outcome is not None:
            setattr(report, outcome, getattr(report, outcome) + 1)


def ingest_manifest(
    store: Store, path: Path, root: Path | None = None, on_progress: ProgressFn | None = None
) -> IngestReport:
    """Stream a JSONL or CSV manifest through `ingest_rows`; progress in bytes of the file."""
    reader = ManifestReader(path)

    def on_batch(report: IngestReport) -> None:
        if on_progress is not None:
            on_progress(report, reader.done, reader.size)

    return ingest_rows(
        store, str(path), reader, root or path.parent, label=path.name, on_batch=on_batch
    )


# --- LeRobot ----------------------------------------------------------------------------------


def ingest_lerobot(
    store: Store,
    root: Path,
    camera: str | None = None,
    *,
    captions: Path | None = None,
    window: float | None = DEFAULT_WINDOW_S,
    state_map: list[str] | tuple[str, ...] | None = None,
    profile: str | None = None,
    on_progress: ProgressFn | None = None,
) -> IngestReport:
    """Clips from a LeRobot dataset: an episode (or a window of one) each, with telemetry from
    its named state (or `profile`); captions from `captions` when given, else the episode's
    task. The reader streams each data file once; its rows go through the same checks and
    batched writes as a manifest's. The report's notes say what the telemetry lacks."""
    reader = LeRobotReader(
        root,
        camera=camera,
        captions=captions,
        window=window,
        state_map=state_map,
        profile=profile,
    )

    def on_batch(report: IngestReport) -> None:
        if on_progress is not None:
            on_progress(report, report.total, None)

    report = ingest_rows(
        store, reader.describe(), reader.rows(), root.resolve(), label="lerobot", on_batch=on_batch
    )
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
    profile: str | None = None,
    on_progress: ProgressFn | None = None,
) -> IngestReport:
    """Ingest a manifest (.jsonl, .json lines, .csv) or a LeRobot dataset folder (with, for
    LeRobot, an optional captions file, clip window, state map and profile)."""
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
                profile=profile,
                on_progress=on_progress,
            )
        raise RecapError(
            f"Cannot ingest {path}: a folder must be a LeRobot dataset (meta/info.json).",
            hint="Pass a manifest file (.jsonl or .csv) or a LeRobot dataset folder.",
        )
    if captions is not None or state_map or profile:
        raise RecapError(
            "--captions, --state-map and --profile apply to LeRobot dataset folders only."
        )
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json", ".csv"):
        raise RecapError(f"Cannot ingest {path}: expected .jsonl or .csv, got {path.suffix!r}.")
    return ingest_manifest(store, path, Path(root) if root else None, on_progress)
