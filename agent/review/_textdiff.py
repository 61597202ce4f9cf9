"""Word-level diffs between captions, and the edit rate that says how much a person changed."""

from __future__ import annotations

import difflib
import re
from typing import Literal

Op = Literal["equal", "delete", "insert"]
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")


def words(text: str) -> list[str]:
    """Words and punctuation marks, the unit of every diff and edit count here."""
    return _TOKEN.findall(text)


def join_words(tokens: list[str]) -> str:
    """Words back to text, with no space before punctuation."""
    text = ""
    for tok in tokens:
        text += tok if (not text or not tok[:1].isalnum()) else " " + tok
    return text


def word_diff(a: str, b: str) -> list[tuple[Op, str]]:
    """The steps from `a` to `b` as runs of equal, deleted and inserted words."""
    wa, wb = words(a), words(b)
    out: list[tuple[Op, str]] = []
    matcher = difflib.SequenceMatcher(a=wa, b=wb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(("equal", join_words(wa[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(("delete", join_words(wa[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("insert", join_words(wb[j1:j2])))
    return out


def word_edit_distance(a: str, b: str) -> int:
    """Levenshtein distance over words (insertions, deletions, substitutions)."""
    wa, wb = words(a), words(b)
    prev = list(range(len(wb) + 1))
    for i, x in enumerate(wa, 1):
        cur = [i]
        for j, y in enumerate(wb, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def edit_rate(draft: str, final: str) -> float:
    """Word edits from draft to final over the final's length: 0 means accepted as is."""
    n = len(words(final))
    return word_edit_distance(draft, final) / max(1, n)


def spaced_diff(a: str, b: str) -> list[tuple[Op, str, bool]]:
    """`word_diff(a, b)` laid out on one line, as the page and the terminal show it: each step
    with whether a space goes before it, by the rule `join_words` follows inside a step (a
    space before a word, none before punctuation), so "it down" then ", and the task fails"
    then "." read "it down, and the task fails."."""
    out: list[tuple[Op, str, bool]] = []
    for op, chunk in word_diff(a, b):
        out.append((op, chunk, bool(out) and chunk[:1].isalnum()))
    return out
