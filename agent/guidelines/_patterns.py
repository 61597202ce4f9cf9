"""A guideline's regular expressions, made safe to run on every keystroke.

Two checks, for two reasons:

1. Every pattern is compiled and matched with RE2 (`google-re2`), an automaton engine whose
   matching time is linear in the caption's length whatever the pattern: no pattern can hang the
   review page or a pipeline. RE2 has no look-around and no back-references; a pattern using
   them is refused with that reason.
2. Patterns shaped for catastrophic backtracking — an unbounded quantifier over a group that
   itself holds a quantifier (`(a+)+`, `(\\w+\\s?)*`), or over alternatives that can match the
   same text (`(a|ab)*`, `(in|into)*`) — are refused at load although RE2 would run them fast:
   such a pattern is almost always a mistake, and the same file may be read by tools that use a
   backtracking engine (Python's `re`, JavaScript). The check walks the pattern's syntax tree
   (Python's own regex parser); it flags the exponential shapes, not every slow one, which is
   why matching itself stays with RE2.
"""

from __future__ import annotations

from typing import Any

_MAXREPEAT = -1  # set from Python's parser when a pattern is first parsed
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


class PatternError(ValueError):
    """A pattern that cannot be a guideline rule; the message says why."""


def _parse(pattern: str) -> Any | None:
    """Python's parse tree of the pattern, or None when Python's dialect cannot read it (RE2's
    own syntax such as \\pL); RE2 then decides alone."""
    import re._parser as parser  # the standard library's regex parser (sre_parse)

    global _MAXREPEAT
    _MAXREPEAT = parser.MAXREPEAT

    try:
        return parser.parse(pattern)
    except Exception:
        return None


def _first_chars(items: list[Any]) -> set[Any] | None:
    """What the first character of a sequence can be, coarsely: a set of literals, or None for
    'anything' (classes, categories, empty sequences)."""
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            return {av}
        if name == "SUBPATTERN":
            return _first_chars(list(av[-1]))
        if name in ("AT",):
            continue
        return None
    return None


def _can_repeat(op: Any, av: Any) -> bool:
    return str(op) in _REPEATS and av[1] > 1


def _has_repeat(items: Any) -> bool:
    for op, av in items:
        name = str(op)
        if _can_repeat(op, av):
            return True
        if name == "SUBPATTERN" and _has_repeat(av[-1]):
            return True
        if name == "BRANCH" and any(_has_repeat(b) for b in av[1]):
            return True
    return False


def _overlapping_branches(items: Any) -> bool:
    """A top-level alternation in `items` whose alternatives can start with the same text."""
    for op, av in items:
        name = str(op)
        if name == "SUBPATTERN" and _overlapping_branches(av[-1]):
            return True
        if name == "BRANCH":
            firsts = [_first_chars(list(b)) for b in av[1]]
            for i, a in enumerate(firsts):
                for b in firsts[i + 1 :]:
                    if a is None or b is None or a & b:
                        return True
    return False


def _slow_shape(items: Any) -> str | None:
    for op, av in items:
        name = str(op)
        if name in _REPEATS and av[1] == _MAXREPEAT:
            body = av[2]
            if _has_repeat(body):
                return (
                    "an unbounded quantifier over a group that already repeats, e.g. (a+)+; "
                    "drop the inner or the outer repetition, or bound the outer one ({1,3})"
                )
            if _overlapping_branches(body):
                return (
                    "an unbounded quantifier over alternatives that can match the same text, "
                    "e.g. (a|ab)*; make the alternatives start differently or bound it ({1,3})"
                )
            inner = _slow_shape(body)
            if inner:
                return inner
        elif name == "SUBPATTERN":
            inner = _slow_shape(av[-1])
            if inner:
                return inner
        elif name == "BRANCH":
            for branch in av[1]:
                inner = _slow_shape(branch)
                if inner:
                    return inner
    return None


def _unsupported(items: Any) -> str | None:
    for op, av in items:
        name = str(op)
        if name in ("ASSERT", "ASSERT_NOT"):
            return "a look-ahead or look-behind"
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            return "a back-reference"
        if name in ("ATOMIC_GROUP",):
            return "an atomic group"
        children: list[Any] = []
        if name == "SUBPATTERN":
            children = [av[-1]]
        elif name in _REPEATS:
            children = [av[2]]
        elif name == "BRANCH":
            children = list(av[1])
        for child in children:
            found = _unsupported(child)
            if found:
                return found
    return None


def compile_pattern(pattern: str) -> Any:
    """The pattern compiled case-insensitively with RE2, or PatternError saying why not."""
    if not pattern:
        raise PatternError("empty pattern")
    tree = _parse(pattern)
    if tree is not None:
        what = _unsupported(list(tree))
        if what:
            raise PatternError(
                f"uses {what}, which the linear-time engine (RE2) does not support; use a "
                "plain phrase (matched as whole words) or \\b word boundaries"
            )
        slow = _slow_shape(list(tree))
        if slow:
            raise PatternError(f"could backtrack catastrophically: {slow}")
    import re2

    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as e:
        reason = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
        raise PatternError(f"is not a valid pattern: {reason}") from None
    if compiled.search("") is not None:
        raise PatternError("matches the empty string, so it would flag every caption")
    return compiled
