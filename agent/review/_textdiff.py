"""Word-level diffs between captions, and the edit measures that say how much a person changed.

Every measure costs time linear in the captions' length plus at most a fixed amount of further
work, however long and however different the captions are (a degenerate captioning model can
write 20,000 words of one sentence repeated). `compare` does it all in one pass:

1. the words both captions start and end with are set aside (linear);
2. what differs in between is diffed with Myers' O(ND) algorithm (E. Myers, "An O(ND)
   difference algorithm and its variations", 1986): time grows with the words times the
   differences, so it stops once it has spent `MAX_WORK` steps and shows the middle as
   deleted and inserted whole;
3. the word edit distance (Levenshtein: insertions, deletions, substitutions) is computed
   exactly within a band around the diagonal as wide as the cost U of Myers' script with each
   changed stretch replaced word for word (Ukkonen's cut-off: a path that costs at most U
   never strays more than U words off the diagonal), again within `MAX_WORK` cells.

What counts as a step is what the tests count (`Comparison.work`). Within the cap every figure
is exact; past it `exact` is False and the distance is an upper bound: the changed stretches
replaced word for word when the diff finished (at most twice the true distance), the longer
middle's length when it did not. On this machine the cap is about a fifth of a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Op = Literal["equal", "delete", "insert"]
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")
MAX_WORK = 1_000_000  # steps each of the diff and the distance may spend past the linear part


def words(text: str) -> list[str]:
    """Words and punctuation marks, the unit of every diff and edit count here."""
    return _TOKEN.findall(text)


def join_words(tokens: list[str]) -> str:
    """Words back to text, with no space before punctuation."""
    text = ""
    for tok in tokens:
        text += tok if (not text or not tok[:1].isalnum()) else " " + tok
    return text


@dataclass(frozen=True)
class Comparison:
    """Two captions compared word by word: the steps from one to the other as runs of equal,
    deleted and inserted words, the word edit distance, the second caption's length, whether
    the figures are exact (False: past the work cap, the distance is an upper bound) and the
    work spent."""

    steps: list[tuple[Op, str]]
    distance: int
    length: int
    exact: bool = True
    work: int = field(default=0, compare=False)

    @property
    def rate(self) -> float:
        """Word edits over the second caption's length: 0 means unchanged."""
        return self.distance / max(1, self.length)


def _codes(wa: list[str], wb: list[str]) -> tuple[list[int], list[int]]:
    """Words as small integers (equal words, equal codes), so comparisons are cheap."""
    table: dict[str, int] = {}
    ca = [table.setdefault(w, len(table)) for w in wa]
    cb = [table.setdefault(w, len(table)) for w in wb]
    return ca, cb


def _myers(a: list[int], b: list[int], budget: int) -> tuple[list[Op] | None, int]:
    """The shortest script of deletions and insertions from `a` to `b` (one op per word, with
    "equal" for the words kept), or None when finding it would take more than `budget` steps;
    and the steps spent (one per diagonal visited and per word a snake slides over)."""
    n, m = len(a), len(b)
    offset = n + m + 1
    v = [0] * (2 * offset + 1)
    trace: list[list[int]] = []
    work = 0
    for d in range(n + m + 1):
        lo, hi = offset - d, offset + d + 1
        trace.append(v[lo - 1 : hi + 1])
        for k in range(-d, d + 1, 2):
            i = offset + k
            down = k == -d or (k != d and v[i - 1] < v[i + 1])  # down: insert; right: delete
            x = v[i + 1] if down else v[i - 1] + 1
            y = x - k
            start = x
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            work += 1 + x - start
            v[i] = x
            if x >= n and y >= m:
                return _backtrack(trace, offset, n, m, d), work
        if work > budget:
            return None, work
    raise AssertionError("unreachable: a script of n + m steps always exists")


def _backtrack(trace: list[list[int]], offset: int, n: int, m: int, d_end: int) -> list[Op]:
    """Walk the saved frontiers back from (n, m) to (0, 0): the ops, first to last."""
    ops: list[Op] = []
    x, y = n, m
    for d in range(d_end, -1, -1):
        saved = trace[d]  # the frontier before step d, from diagonal -d-1 to d+1
        base = offset - d - 1  # index in v of saved[0]

        def at(k: int, saved: list[int] = saved, base: int = base) -> int:
            return saved[offset + k - base]

        k = x - y
        if d == 0:
            prev_x = prev_y = 0
        else:
            down = k == -d or (k != d and at(k - 1) < at(k + 1))
            prev_k = k + 1 if down else k - 1
            prev_x = at(prev_k)
            prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:  # the snake: kept words
            ops.append("equal")
            x -= 1
            y -= 1
        if d > 0:
            ops.append("insert" if x == prev_x else "delete")
            x, y = prev_x, prev_y
    ops.reverse()
    return ops


def _banded(a: list[int], b: list[int], width: int) -> tuple[int, int]:
    """Levenshtein distance from `a` to `b` over the cells within `width` of the diagonal (the
    exact distance whenever that is at most `width`), and the cells computed."""
    n, m = len(a), len(b)
    inf = n + m + 1
    prev = list(range(m + 1))
    cur = [inf] * (m + 1)
    for j in range(width + 1, m + 1):
        prev[j] = inf
    work = 0
    for i in range(1, n + 1):
        lo, hi = max(1, i - width), min(m, i + width)
        cur[lo - 1] = i if lo == 1 else inf
        x = a[i - 1]
        for j in range(lo, hi + 1):
            best = prev[j - 1] + (x != b[j - 1])
            if prev[j] + 1 < best:
                best = prev[j] + 1
            if cur[j - 1] + 1 < best:
                best = cur[j - 1] + 1
            cur[j] = best
        if hi < m:
            cur[hi + 1] = inf
        work += hi - lo + 1
        prev, cur = cur, prev
    return prev[m], work


def _runs(ops: list[Op], wa: list[str], wb: list[str]) -> list[tuple[Op, str]]:
    """Ops to runs of words: kept words together; within each changed stretch, what was
    deleted before what was inserted."""
    out: list[tuple[Op, str]] = []
    i = j = 0
    kept: list[str] = []
    gone: list[str] = []
    new: list[str] = []

    def flush_change() -> None:
        if gone:
            out.append(("delete", join_words(gone)))
        if new:
            out.append(("insert", join_words(new)))
        gone.clear()
        new.clear()

    for op in ops:
        if op == "equal":
            flush_change()
            kept.append(wa[i])
            i += 1
            j += 1
            continue
        if kept:
            out.append(("equal", join_words(kept)))
            kept.clear()
        if op == "delete":
            gone.append(wa[i])
            i += 1
        else:
            new.append(wb[j])
            j += 1
    flush_change()
    if kept:
        out.append(("equal", join_words(kept)))
    return out


def compare(a: str, b: str, *, max_work: int = MAX_WORK) -> Comparison:
    """`a` and `b` word by word: the diff for display and the word edit distance, both at
    once, within the work cap (see the module's docstring)."""
    wa, wb = words(a), words(b)
    ca, cb = _codes(wa, wb)
    n, m = len(ca), len(cb)
    pre = 0
    while pre < n and pre < m and ca[pre] == cb[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and suf < m - pre and ca[n - 1 - suf] == cb[m - 1 - suf]:
        suf += 1
    work = n + m + pre + suf  # reading, coding and trimming: linear
    ma, mb = ca[pre : n - suf], cb[pre : m - suf]
    if not ma or not mb:  # only deletions or only insertions in between
        ops: list[Op] = ["delete"] * len(ma) + ["insert"] * len(mb)
        distance, exact = len(ma) + len(mb), True
    else:
        script, spent = _myers(ma, mb, max_work)
        work += spent
        if script is None:  # too different to diff within the cap: the middle replaced whole
            ops = ["delete"] * len(ma) + ["insert"] * len(mb)
            distance, exact = max(len(ma), len(mb)), False
        else:
            ops = script
            bound = _stretches(ops)  # an edit script's cost: the distance is at most this
            if len(ma) * (2 * bound + 1) <= max_work:
                distance, spent = _banded(ma, mb, bound)
                work += spent
                exact = True
            else:  # each changed stretch replaced word for word: an upper bound
                distance, exact = bound, False
    ops = ["equal"] * pre + ops + ["equal"] * suf
    return Comparison(_runs(ops, wa, wb), distance, m, exact, work)


def _stretches(ops: list[Op]) -> int:
    """The edits of a script whose changed stretches are each replaced word for word."""
    total = gone = new = 0
    for op in [*ops, "equal"]:
        if op == "equal":
            total += max(gone, new)
            gone = new = 0
        elif op == "delete":
            gone += 1
        else:
            new += 1
    return total


def word_diff(a: str, b: str) -> list[tuple[Op, str]]:
    """The steps from `a` to `b` as runs of equal, deleted and inserted words."""
    return compare(a, b).steps


def word_edit_distance(a: str, b: str) -> int:
    """Levenshtein distance over words (insertions, deletions, substitutions)."""
    return compare(a, b).distance


def edit_rate(draft: str, final: str) -> float:
    """Word edits from draft to final over the final's length: 0 means accepted as is."""
    return compare(draft, final).rate


def spaced_diff(a: str, b: str) -> list[tuple[Op, str, bool]]:
    """`word_diff(a, b)` laid out on one line, as the page and the terminal show it: each step
    with whether a space goes before it, by the rule `join_words` follows inside a step (a
    space before a word, none before punctuation), so "it down" then ", and the task fails"
    then "." read "it down, and the task fails."."""
    out: list[tuple[Op, str, bool]] = []
    for op, chunk in word_diff(a, b):
        out.append((op, chunk, bool(out) and chunk[:1].isalnum()))
    return out
