"""The one reader of line-based files (JSONL and CSV): ingest manifests, LeRobot captions files
and LeRobot meta files all read through it, so a bad byte, a broken line or a UTF-16 file is
reported the same way wherever it turns up.

Rows stream from disk as `(line number, row)`; a line that cannot be a row comes as a RowError
in its place, saying why: bytes that are not UTF-8 (the byte and, in JSONL, the column named),
not JSON, not a JSON object, numbers or nesting too deep to parse, longer than MAX_LINE_BYTES
(skipped unread), a broken CSV record, or a CSV record with more fields than the header. A
UTF-8 byte-order mark is dropped. The whole file is refused only when it cannot be opened, is
UTF-16 text, or has a CSV header line that cannot be read or is not UTF-8. What a row's fields
mean is the caller's business.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from agent.errors import RecapError, RowError, first_line

MAX_LINE_BYTES = 64 * 2**20  # a longer line is reported, never read into memory
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, as surrogateescape

Row = dict[str, Any]
# Builds the error that refuses a whole file, from the reason and what to do next.
Refusal = Callable[[str, str | None], Exception]


class LineReader:
    """(line number, row | RowError) for each row of a JSONL or CSV file (CSV when the name
    ends in .csv). `what` names the file in what to do next ("save the manifest as UTF-8");
    `refuse` builds the error for a whole-file refusal (by default "Cannot ingest PATH: ...").
    `done` counts the bytes read so far, `size` the file's, for a progress bar."""

    def __init__(
        self, path: Path, *, what: str = "manifest", refuse: Refusal | None = None
    ) -> None:
        self.path = path
        self.what = what
        self.refuse = refuse or self._refuse
        self.csv = path.suffix.lower() == ".csv"
        self.done = 0
        try:
            self.size: int | None = path.stat().st_size
        except OSError:
            self.size = None

    def _refuse(self, reason: str, hint: str | None) -> Exception:
        return RecapError(f"Cannot ingest {self.path}: {reason}.", hint=hint)

    def _save_as_utf8(self) -> str:
        return f"Save the {self.what} as UTF-8 and ingest it again."

    def __iter__(self) -> Iterator[tuple[int, Row | RowError]]:
        try:
            fh = self.path.open("rb")
        except OSError as e:
            raise self.refuse(f"it cannot be opened ({e.strerror})", None) from None
        with fh:
            head = fh.read(64)
            fh.seek(0)
            # A UTF-16 byte-order mark followed by UTF-16 text (ASCII comes out as every other
            # byte NUL); a stray BOM-like pair on its own is just a bad line.
            if head.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in head[2:]:
                raise self.refuse("it is UTF-16 text", self._save_as_utf8())
            yield from self._csv(fh) if self.csv else self._jsonl(fh)

    def _lines(self, fh: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
        """(line number, raw line) with lines over MAX_LINE_BYTES skipped unread (None) and a
        UTF-8 byte-order mark taken off the first."""
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
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            yield n, raw

    def _jsonl(self, fh: IO[bytes]) -> Iterator[tuple[int, Row | RowError]]:
        for n, raw in self._lines(fh):
            if raw is None:
                yield n, RowError(_too_long())
                continue
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield n, RowError(self._not_utf8(raw[e.start], e.start + 1))
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as e:
                yield n, RowError(f"invalid JSON ({e.msg} at column {e.colno})")
                continue
            except (ValueError, RecursionError) as e:  # huge integers, absurd nesting
                yield n, RowError(f"unusable JSON ({first_line(e)})")
                continue
            yield n, row if isinstance(row, dict) else RowError("not a JSON object")

    def _csv(self, fh: IO[bytes]) -> Iterator[tuple[int, Row | RowError]]:
        csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
        too_long: list[int] = []

        def text_lines() -> Iterator[str]:
            for n, raw in self._lines(fh):
                if raw is None:
                    too_long.append(n)
                    yield "\n"  # keeps the reader's line count; the row is reported below
                    continue
                yield raw.decode("utf-8", "surrogateescape")

        reader = csv.reader(text_lines(), strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise self.refuse(f"its header line cannot be read ({e})", None) from None
        if _UNDECODED.search("".join(header)):
            raise self.refuse("its header line is not valid UTF-8", self._save_as_utf8())
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
                yield too_long[-1], RowError(_too_long())
                too_long.clear()
                continue
            if not record or not any(v.strip() for v in record):
                continue
            bad = next((_UNDECODED.search(v) for v in record if _UNDECODED.search(v)), None)
            if bad is not None:
                yield start, RowError(self._not_utf8(ord(bad.group()) - 0xDC00, None))
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

    def _not_utf8(self, byte: int, column: int | None) -> str:
        where = f" at column {column}" if column is not None else ""
        return f"not valid UTF-8 (byte 0x{byte:02x}{where}); save the {self.what} as UTF-8"


def _too_long() -> str:
    return f"line is longer than {MAX_LINE_BYTES // 2**20} MiB"


def read_manifest(path: Path) -> Iterator[tuple[int, Row | RowError]]:
    """(line number, row) for each row of a JSONL or CSV manifest; parse errors as RowError."""
    return iter(LineReader(path))
