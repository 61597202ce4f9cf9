"""Ingest clips into the store from a JSONL/CSV manifest or a LeRobot dataset folder.

Every source streams through one pipeline, `ingest_rows`: rows come from a reader (the line
reader, `agent.data._lines`, for a manifest; `LeRobotReader` for a dataset), each is checked on
its own (`agent.data._rows`), and the good ones are written CHUNK_ROWS at a time (one
transaction and a few bulk statements per chunk), so memory stays bounded whatever the file's
size, Ctrl-C keeps the chunks already committed, and running the same command again continues
where it stopped.

Every ingest records what it brought in as a named set (`agent.sets`): by default the
manifest's or the dataset's name, of kind production (`recap eval run` ingests gold rows into an
evaluation set). The set is made with the first chunk, and each chunk's clips join it in the
chunk's transaction; a clip already in the database (unchanged) joins it too.

Idempotent: a row whose content has not changed is left alone, so re-ingesting the same source
changes nothing. A bad row (no id, caption or usable video; bytes that are not UTF-8; broken
JSON) costs that row; a bad optional field (`telemetry`, the `gold_*` fields, `meta`) costs
that field and the clip still goes in. Both are reported with their line number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError, StatementError

from agent.data._lines import LineReader
from agent.data._rows import RowChecker, shown_id
from agent.data.lerobot import DEFAULT_WINDOW_S, LeRobotReader, is_lerobot
from agent.errors import RecapError, RowError, first_line
from agent.sets import SetKind, check_set_name, set_name_for
from agent.store import Clip, Store

CHUNK_ROWS = 1000  # rows per transaction: big enough for bulk statements, small to lose on Ctrl-C


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
    clip_set: str | None = None  # the set the clips went into
    set_kind: SetKind = SetKind.PRODUCTION
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
    """Ctrl-C during an ingest; `report` counts what the committed chunks hold."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__("ingest interrupted")
        self.report = report


# Called after each committed chunk: the report so far, work done and the total (bytes of a
# manifest), so a caller can draw a progress bar.
ProgressFn = Callable[[IngestReport, int, int | None], None]


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def ingest_rows(
    store: Store,
    source: str,
    rows: Iterable[tuple[int, dict[str, Any] | RowError]],
    root: Path,
    *,
    tag: str,
    clip_set: str | None = None,
    set_kind: SetKind = SetKind.PRODUCTION,
    chunk_rows: int = CHUNK_ROWS,
    on_chunk: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Check each (line, row) and write the good ones in chunks of `chunk_rows`, one
    transaction each, into set `clip_set` (of `set_kind`; made with the first chunk). Any
    reader can feed it: a row is a manifest-shaped dict, or the RowError that stopped the
    reader making one. A clip's `source` is `tag:line`. Ctrl-C raises IngestInterrupted
    carrying the report of what was committed."""
    checker = RowChecker(root)
    report = IngestReport(source=source, clip_set=clip_set, set_kind=set_kind)
    if clip_set is not None:
        store.sets.check(clip_set, set_kind)  # a kind clash is refused before anything is read
    seen: dict[str, int] = {}
    chunk: list[tuple[int, Clip, str]] = []
    try:
        for line, row in rows:
            try:
                if isinstance(row, RowError):
                    raise row
                checked = checker.check(row, f"{tag}:{line}")
            except RowError as e:
                report.skipped.append(Problem(line, shown_id(row), str(e)))
                continue
            clip_id = checked.clip.id
            if clip_id in seen:
                reason = f"duplicate id {clip_id!r} (first on line {seen[clip_id]})"
                report.skipped.append(Problem(line, clip_id, reason))
                continue
            seen[clip_id] = line
            for name, reason in checked.dropped:
                report.dropped.append(Problem(line, clip_id, reason, field=name))
            chunk.append((line, checked.clip, checked.caption))
            if len(chunk) >= chunk_rows:
                _write(store, chunk, report)
                chunk = []
                if on_chunk is not None:
                    on_chunk(report)
        if chunk:
            _write(store, chunk, report)
            chunk = []
        if on_chunk is not None:
            on_chunk(report)
    except KeyboardInterrupt:
        report.interrupted = True
        uncommitted = {line for line, _, _ in chunk}
        report.dropped = [p for p in report.dropped if p.line not in uncommitted]
        raise IngestInterrupted(report) from None
    return report


def _write(store: Store, chunk: list[tuple[int, Clip, str]], report: IngestReport) -> None:
    """One chunk in one transaction; a row the database refuses costs that row only."""
    committed = report.added + report.updated + report.unchanged
    into = report.clip_set
    if into is not None and committed == 0:
        store.sets.ensure(into, report.set_kind, source=report.source)
    try:
        outcomes: list[str | None] = list(
            store.clips.upsert_many([(c, t) for _, c, t in chunk], into=into)
        )
    except OperationalError as e:
        raise RecapError(
            f"Cannot write to {store.display_url}: {first_line(e)}",
            hint=f"{committed} rows were committed before this chunk; run the same command "
            "again to continue.",
        ) from None
    except (StatementError, ValueError):  # a value the database refused: find the row
        outcomes = []
        for line, clip, caption in chunk:
            try:
                outcomes.extend(store.clips.upsert_many([(clip, caption)], into=into))
            except OperationalError:
                raise
            except (StatementError, ValueError) as e:
                outcomes.append(None)
                report.skipped.append(
                    Problem(line, clip.id, f"the database refused the row: {first_line(e)}")
                )
                report.dropped = [p for p in report.dropped if p.line != line]
    for outcome in outcomes:
        if outcome is not None:
            setattr(report, outcome, getattr(report, outcome) + 1)


def ingest_manifest(
    store: Store,
    path: Path,
    root: Path | None = None,
    on_progress: ProgressFn | None = None,
    *,
    clip_set: str | None = None,
    set_kind: SetKind = SetKind.PRODUCTION,
) -> IngestReport:
    """Stream a JSONL or CSV manifest through `ingest_rows` into set `clip_set` (default: the
    manifest's name); progress in bytes of the file."""
    name = check_set_name(clip_set) if clip_set is not None else set_name_for(path)
    store.sets.check(name, set_kind)
    reader = LineReader(path)

    def on_chunk(report: IngestReport) -> None:
        if on_progress is not None:
            on_progress(report, reader.done, reader.size)

    return ingest_rows(
        store,
        str(path),
        reader,
        root or path.parent,
        tag=path.name,
        clip_set=name,
        set_kind=set_kind,
        on_chunk=on_chunk,
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
    clip_set: str | None = None,
    set_kind: SetKind = SetKind.PRODUCTION,
) -> IngestReport:
    """Clips from a LeRobot dataset: an episode (or a window of one) each, with telemetry from
    its named state (or `profile`); captions from `captions` when given, else the episode's
    task. The reader streams each data file once; its rows go through the same checks and
    chunked writes as a manifest's, into set `clip_set` (default: the dataset folder's name).
    The report's notes say what the telemetry lacks."""
    name = check_set_name(clip_set) if clip_set is not None else set_name_for(root)
    store.sets.check(name, set_kind)
    reader = LeRobotReader(
        root,
        camera=camera,
        captions=captions,
        window=window,
        state_map=state_map,
        profile=profile,
    )

    def on_chunk(report: IngestReport) -> None:
        if on_progress is not None:
            on_progress(report, report.total, None)

    report = ingest_rows(
        store,
        reader.describe(),
        reader.rows(),
        root.resolve(),
        tag="lerobot",
        clip_set=name,
        set_kind=set_kind,
        on_chunk=on_chunk,
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
    clip_set: str | None = None,
    set_kind: SetKind = SetKind.PRODUCTION,
) -> IngestReport:
    """Ingest a manifest (.jsonl, .json lines, .csv) or a LeRobot dataset folder (with, for
    LeRobot, an optional captions file, clip window, state map and profile) into set
    `clip_set` of `set_kind` (default: a production set named after the source)."""
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
                clip_set=clip_set,
                set_kind=set_kind,
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
    return ingest_manifest(
        store,
        path,
        Path(root) if root else None,
        on_progress,
        clip_set=clip_set,
        set_kind=set_kind,
    )
