"""Where each key of a TOML file is: the line of every key, table header and array element.

`tomllib` parses values but keeps no positions, and a guideline file's problems must name their
line. This scanner reads a file tomllib has already accepted (so it only has to follow valid
TOML) and maps each key path, e.g. ("terms", "robot arm", 1) for the second banned variant of
"robot arm", to its 1-based line.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_TOKEN = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r]+)
  | (?P<comment>\#[^\n]*)
  | (?P<ml_basic>\"\"\"(?:\\.|[^\\])*?\"\"\"\"{0,2})
  | (?P<ml_literal>'''.*?''''{0,2})
  | (?P<basic>"(?:\\.|[^"\\\n])*")
  | (?P<literal>'[^'\n]*')
  | (?P<punct>[\[\]{},=])
  | (?P<bare>[A-Za-z0-9_+\-:.]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _unquote(kind: str, text: str) -> str:
    if kind == "literal":
        return text[1:-1]
    if kind == "basic":
        import json

        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    return text


class _Tokens:
    def __init__(self, source: str) -> None:
        self.items: list[tuple[str, str, int]] = []  # (kind, text, line)
        line = 1
        for m in _TOKEN.finditer(source):
            kind = m.lastgroup or "other"
            text = m.group(0)
            if kind not in ("ws", "comment"):
                self.items.append((kind, text, line))
            line += text.count("\n")
        self.i = 0

    def peek(self, skip_nl: bool = False) -> tuple[str, str, int]:
        j = self.i
        while skip_nl and j < len(self.items) and self.items[j][0] == "nl":
            j += 1
        return self.items[j] if j < len(self.items) else ("eof", "", 0)

    def take(self, skip_nl: bool = False) -> tuple[str, str, int]:
        while skip_nl and self.i < len(self.items) and self.items[self.i][0] == "nl":
            self.i += 1
        tok = self.peek()
        self.i += 1
        return tok


def _key(tokens: _Tokens) -> tuple[list[str], int]:
    """A dotted key up to (not including) '=' or ']'."""
    parts: list[str] = []
    line = tokens.peek()[2]
    while True:
        kind, text, _ = tokens.peek()
        if kind in ("basic", "literal"):
            tokens.take()
            parts.append(_unquote(kind, text))
        elif kind == "bare":
            tokens.take()
            parts.extend(p for p in text.split(".") if p)
        else:
            return parts, line


def key_lines(source: str) -> dict[Path, int]:
    """Key path -> line for a valid TOML document."""
    tokens = _Tokens(source)
    lines: dict[Path, int] = {}
    table: Path = ()
    array_tables: dict[Path, int] = {}

    def value(path: Path, line: int) -> None:
        lines.setdefault(path, line)
        kind, text, _ = tokens.take(skip_nl=True)
        if text == "[" and kind == "punct":
            index = 0
            while True:
                kind, text, line = tokens.peek(skip_nl=True)
                if text == "]" and kind == "punct":
                    tokens.take(skip_nl=True)
                    return
                if text == "," and kind == "punct":
                    tokens.take(skip_nl=True)
                    continue
                value((*path, index), line)
                index += 1
        if text == "{" and kind == "punct":
            while True:
                kind, text, line = tokens.peek(skip_nl=True)
                if text == "}" and kind == "punct":
                    tokens.take(skip_nl=True)
                    return
                if text == "," and kind == "punct":
                    tokens.take(skip_nl=True)
                    continue
                parts, line = _key(tokens)
                tokens.take()  # '='
                value((*path, *parts), line)
        while tokens.peek()[0] in ("bare", "other"):  # the rest of a scalar, e.g. a date's time
            tokens.take()

    while True:
        kind, text, line = tokens.take(skip_nl=True)
        if kind == "eof":
            return lines
        if kind == "punct" and text == "[":
            double = tokens.peek()[1] == "["
            if double:
                tokens.take()
            parts, _ = _key(tokens)
            tokens.take()
            if double:
                tokens.take()
                base = tuple(parts)
                index = array_tables.get(base, -1) + 1
                array_tables[base] = index
                lines.setdefault(base, line)
                table = (*base, index)
            else:
                table = tuple(parts)
            lines.setdefault(table, line)
            continue
        tokens.i -= 1
        parts, line = _key(tokens)
        if not parts:  # not a key: skip the token (cannot happen in valid TOML)
            tokens.take()
            continue
        tokens.take()  # '='
        value((*table, *parts), line)


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None
