"""Text that came from data or from people (captions, drafts, names, comments, ids), made safe
to show: on a terminal, on the page, in a spreadsheet.

Shared by the command line and the pages; each front end escapes for its own markup on top
(Rich markup in agent/cli/_app.py `term`, Markdown and HTML in ui/markup.py):
- `visible`: control characters (which move a terminal's cursor, recolour it, or hide what
  follows) and the bidirectional overrides and isolates (which make text read in another
  order than it is stored) shown as `[U+XXXX]` instead of acting; `pictured` does the same
  one character for one (a control picture such as ␛, or �), for text already styled by
  position;
- `spreadsheet_cell`: a CSV cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
  or a tab or carriage return first) gets a leading apostrophe, so it shows as the text it is.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the bidi embeddings, overrides (U+202A-U+202E) and isolates
# (U+2066-U+2069); the line and paragraph separators (line breaks to a browser's script).
_ACTING = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str, *, keep: str = "\n\t") -> str:
    """`text` with every control and bidi character shown as `[U+XXXX]` (except those in
    `keep`: by default newline and tab, which lay text out and move nothing)."""
    return _ACTING.sub(lambda m: m[0] if m[0] in keep else f"[U+{ord(m[0]):04X}]", text)


def pictured(text: str, *, keep: str = "\n\t") -> str:
    """`text` with each control or bidi character replaced by one visible character: C0
    controls by their control pictures (U+2400..U+241F, DEL U+2421), the rest by U+FFFD. The
    length is unchanged, so styles laid on by position still fit."""

    def one(ch: str) -> str:
        if ch in keep:
            return ch
        code = ord(ch)
        return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"

    return _ACTING.sub(lambda m: one(m[0]), text)


def spreadsheet_cell(value: object) -> object:
    """A CSV cell as a spreadsheet shows it, never as a formula: text that starts like one is
    prefixed with an apostrophe (OWASP's advice). Numbers pass unchanged: -0.3 is a value."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
