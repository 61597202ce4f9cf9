"""What the captioner says wrong: the phrases that recur in its flagged spans, per type, with
the words reviewers (or the gold caption) put in their place most often.

A span is normalised to its words, case folded (`\\w+`, so punctuation and spacing differ
nothing). Its n-grams (one to six words) are counted once per span; a phrase is reported when
at least two spans share it and it is not only function words; of the phrases found in exactly
the same spans only the longest is kept (the others say nothing more). The replacement of a span
is what the correction has where the span was: the caption and its correction are aligned word
by word (difflib over the word lists; captions are at most 2,000 characters) and the correction's
words aligned to the span's are taken ("" when the span was simply removed). Words added
right after a changed span in the same stretch are taken with it (the alignment cannot tell
them apart). A tie between replacements goes to the one of the first clip, in id order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from agent.feedback._findings import ClipErrors

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_FUNCTION = frozenset(
    [
        "a",
        "an",
        "the",
        "it",
        "its",
        "it's",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "this",
        "that",
        "then",
        "there",
        "as",
        "up",
    ]
)
MAX_N = 6
EXAMPLES = 5


def norm_words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]


def replacement(caption: str, span: str, corrected: str | None) -> str | None:
    """The correction's words in place of `span` ("" if removed); None when there is no
    correction, the span is not in the caption, or the correction keeps it unchanged."""
    if corrected is None:
        return None
    start = caption.find(span)
    if start < 0:
        return None
    end = start + len(span)
    a = _tokens(caption)
    b = [t for t, _, _ in _tokens(corrected)]
    inside = [i for i, (_, s, e) in enumerate(a) if s < end and e > start]
    if not inside:
        return None
    lo, hi = inside[0], inside[-1] + 1
    matcher = SequenceMatcher(None, [t for t, _, _ in a], b, autojunk=False)
    ops = matcher.get_opcodes()
    changed = any(
        (op == "insert" and lo < i1 < hi) or (op not in ("equal", "insert") and i1 < hi and i2 > lo)
        for op, i1, i2, _, _ in ops
    )
    if not changed:
        return None
    out: list[str] = []
    for op, i1, i2, j1, j2 in ops:
        if op == "insert":
            if lo <= i1 <= hi:
                out.extend(b[j1:j2])
        elif i1 < hi and i2 > lo:
            if op == "equal":  # only the part of the run within the span
                o1, o2 = max(i1, lo), min(i2, hi)
                out.extend(b[j1 + (o1 - i1) : j1 + (o2 - i1)])
            else:
                out.extend(b[j1:j2])
    return " ".join(out)


@dataclass(frozen=True)
class Example:
    clip_id: str
    span: str
    evidence_times: tuple[float, ...]


@dataclass(frozen=True)
class Phrase:
    """A phrase recurring in flagged spans of one type."""

    kind: str
    type: str
    phrase: str
    count: int  # spans containing it
    replacement: str | None  # the replacement written most often (None: none written)
    replacement_count: int
    examples: tuple[Example, ...]


def _grams(words: list[str]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for n in range(1, min(MAX_N, len(words)) + 1):
        for i in range(len(words) - n + 1):
            gram = tuple(words[i : i + n])
            if not all(w in _FUNCTION for w in gram):
                out.add(gram)
    return out


def phrases(clips: Sequence[ClipErrors], *, min_count: int = 2) -> list[Phrase]:
    """Recurring flagged phrases per hallucination type, most frequent first."""
    spans: dict[str, list[tuple[ClipErrors, str, tuple[float, ...]]]] = {}
    for c in clips:
        for f in c.flags:
            if f.kind == "hallucination":
                spans.setdefault(f.type, []).append((c, f.text, f.evidence_times))
    out: list[Phrase] = []
    for type_, found in spans.items():
        grams = [_grams(norm_words(span)) for _, span, _ in found]
        counts = Counter(g for gs in grams for g in gs)
        # one phrase per group of spans: of the phrases the very same spans share, the longest
        # (then the first in the spans) says the most
        by_spans: dict[frozenset[int], tuple[str, ...]] = {}
        for g in sorted(counts, key=lambda g: -len(g)):
            if counts[g] >= min_count:
                members = frozenset(i for i, gs in enumerate(grams) if g in gs)
                by_spans.setdefault(members, g)
        kept = list(by_spans.values())
        for g in kept:
            members = [found[i] for i, gs in enumerate(grams) if g in gs]
            written = Counter(
                r
                for c, span, _ in members
                if (r := replacement(c.caption, span, c.corrected)) is not None
            )
            best = written.most_common(1)
            out.append(
                Phrase(
                    "hallucination",
                    type_,
                    " ".join(g),
                    counts[g],
                    best[0][0] if best else None,
                    best[0][1] if best else 0,
                    tuple(Example(c.clip_id, span, t) for c, span, t in members[:EXAMPLES]),
                )
            )
    out.sort(key=lambda p: (-p.count, -len(p.phrase.split()), p.type, p.phrase))
    return out
