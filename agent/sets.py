"""Clip sets and a run's selection: which clips belong together, and which clips a run covers.

Every ingest records what it brought in as a named set (`recap ingest SOURCE --set NAME`; by
default the manifest's or the dataset's name). A set has a kind: `production` (clips to
caption), `evaluation` (gold rows; `recap eval run` drafts them, a plain `recap draft` never
does) or `one-off` (the clips `draft-one` keeps; no bulk run selects them). A clip may be in
several sets.

A run is opened over a `Selection`, fixed when the run is created and kept with it:
- `production`: every production set, by membership when pending work is computed (a later
  ingest into any production set is picked up), plus clips in no set at all (added through the
  library without one); the default for `recap draft`;
- `sets`: the named sets, also by membership;
- `ids`: a frozen list of clip ids (`--ids FILE`), kept with the run.

Pure: no SQL here; the store resolves a selection (`agent.store._sets`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from agent.errors import RecapError


class SetKind(StrEnum):
    """What a set is for."""

    PRODUCTION = "production"
    EVALUATION = "evaluation"
    ONE_OFF = "one-off"


ONE_OFF_SET = "draft-one"  # the set `draft-one` keeps its clips in
MAX_NAME = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_GENERIC_STEMS = {"manifest", "gold", "captions", "clips"}  # a file named so: use its folder


def check_set_name(name: str) -> str:
    """A set name as given, or an error saying what a name may hold."""
    if not name or len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise RecapError(
            f"{name!r} is not a usable set name.",
            hint=f"A set name is 1 to {MAX_NAME} letters, digits, '.', '_' or '-', starting "
            "with a letter or digit.",
        )
    return name


def set_name_for(source: str | Path) -> str:
    """The set an ingest of `source` goes into when none is named: the manifest file's name
    without its extension (its folder's name when the file is called manifest, gold, captions
    or clips), or the LeRobot dataset folder's name; characters a set name cannot hold become
    '-'."""
    path = Path(source).expanduser().resolve()
    stem = path.name if path.is_dir() else path.stem
    if not path.is_dir() and stem.lower() in _GENERIC_STEMS and path.parent.name:
        stem = path.parent.name
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:MAX_NAME] or "ingested"
    return check_set_name(name)


def ids_digest(ids: Iterable[str]) -> str:
    """What identifies a list of clip ids, whatever its order or repeats."""
    return hashlib.sha256("\n".join(sorted(set(ids))).encode()).hexdigest()


class SelectionKind(StrEnum):
    PRODUCTION = "production"
    SETS = "sets"
    IDS = "ids"


@dataclass(frozen=True)
class Selection:
    """Which clips a run covers: every production set, named sets, or a frozen list of ids.

    `ids` is filled only while a run is being created from an ids file; a stored selection of
    kind `ids` keeps its count and digest here and its ids in the store (`run_clips`)."""

    kind: SelectionKind = SelectionKind.PRODUCTION
    sets: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    file: str | None = None
    count: int | None = None
    digest: str | None = None
    note: str | None = None

    # --- making one -------------------------------------------------------------------------
    @classmethod
    def production(cls) -> Selection:
        return cls()

    @classmethod
    def of_sets(cls, names: Iterable[str]) -> Selection:
        chosen = tuple(sorted({check_set_name(n) for n in names}))
        if not chosen:
            raise RecapError("No set named: give at least one --set NAME.")
        return cls(kind=SelectionKind.SETS, sets=chosen)

    @classmethod
    def of_ids(cls, ids: Iterable[str], file: str | Path | None = None) -> Selection:
        unique = tuple(dict.fromkeys(ids))
        where = f" in {file}" if file is not None else ""
        if not unique:
            raise RecapError(
                f"The selection is empty: no clip ids{where}.",
                hint="List one clip id per line.",
            )
        return cls(
            kind=SelectionKind.IDS,
            ids=unique,
            file=str(file) if file is not None else None,
            count=len(unique),
            digest=ids_digest(unique),
        )

    @classmethod
    def from_ids_file(cls, path: str | Path) -> Selection:
        """One clip id per line (surrounding spaces and blank lines ignored)."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise RecapError(f"Cannot read the ids file {p}: it does not exist.") from None
        except OSError as e:
            raise RecapError(f"Cannot read the ids file {p}: {e.strerror or e}.") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise RecapError(
                f"Cannot read the ids file {p}: byte {e.start} is not UTF-8.",
                hint="Save it as UTF-8, one clip id per line.",
            ) from None
        return cls.of_ids((line.strip() for line in text.splitlines() if line.strip()), p)

    # --- stored form ------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """What is kept with the run (an ids selection's ids are kept apart, in `run_clips`)."""
        data: dict[str, Any] = {"kind": self.kind.value}
        if self.kind == SelectionKind.SETS:
            data["sets"] = list(self.sets)
        if self.kind == SelectionKind.IDS:
            data |= {"file": self.file, "count": self.count, "digest": self.digest}
        if self.note:
            data["note"] = self.note
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Selection:
        if not data:
            return cls()
        kind = SelectionKind(data.get("kind", SelectionKind.PRODUCTION))
        return cls(
            kind=kind,
            sets=tuple(data.get("sets") or ()),
            file=data.get("file"),
            count=data.get("count"),
            digest=data.get("digest"),
            note=data.get("note"),
        )

    def same_as(self, other: Selection) -> bool:
        """Whether two selections cover the same clips by the same rule."""
        if self.kind != other.kind:
            return False
        if self.kind == SelectionKind.SETS:
            return self.sets == other.sets
        if self.kind == SelectionKind.IDS:
            return self.digest == other.digest
        return True

    # --- in words ---------------------------------------------------------------------------
    def describe(self) -> str:
        """The selection in a phrase, for messages."""
        if self.kind == SelectionKind.SETS:
            return ("set " if len(self.sets) == 1 else "sets ") + ", ".join(self.sets)
        if self.kind == SelectionKind.IDS:
            if self.note:
                return f"{self.count} clips ({self.note})"
            return f"the {self.count} clips listed in {self.file or 'an ids list'}"
        return "the production sets"

    def short(self) -> str:
        """The selection in a few characters, for the runs table."""
        if self.kind == SelectionKind.SETS:
            return ",".join(self.sets)
        if self.kind == SelectionKind.IDS:
            return f"ids:{self.count}"
        return "production"

    def flags(self) -> str:
        """The command-line flags that ask for this selection."""
        if self.kind == SelectionKind.SETS:
            return " ".join(f"--set {s}" for s in self.sets)
        if self.kind == SelectionKind.IDS:
            return f"--ids {self.file or 'FILE'}"
        return "(no --set or --ids)"

    def name_prefix(self) -> str | None:
        """What a default run name starts with for this selection (None: nothing)."""
        if self.kind == SelectionKind.SETS:
            joined = "+".join(self.sets)
            if len(joined) <= 24:
                return joined
            more = len(self.sets) - 1
            return f"{self.sets[0][:20]}+{more}" if more else self.sets[0][:24]
        if self.kind == SelectionKind.IDS:
            stem = Path(self.file).stem if self.file else "ids"
            return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:24] or "ids"
        return None
