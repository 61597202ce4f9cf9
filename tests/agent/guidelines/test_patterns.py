"""Regex rules: matched with RE2 (linear time), and shapes that backtrack catastrophically in a
backtracking engine refused at load."""

from __future__ import annotations

import pytest

from agent.guidelines._patterns import PatternError, compile_pattern


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a+)+", "backtrack catastrophically"),
        (r"(\w+\s?)*$", "backtrack catastrophically"),
        ("(a|ab)*c", "alternatives that can match the same text"),
        (r"(?:very\s+)+slowly", "already repeats"),
        (r"(?<!\w)tries", "look-ahead or look-behind"),
        (r"(\w)\1", "back-reference"),
        ("[", "not a valid pattern"),
        ("x*", "empty string"),
        ("", "empty pattern"),
    ],
)
def test_refused(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError, match=reason):
        compile_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (r"\bwants?\b", "It WANTS to open it", "WANTS"),
        (r"(?:very\s+){1,3}slowly", "moves very Very slowly", "very Very slowly"),
        (r"\b(in|into)\b", "drops it Into the bin", "Into"),
        (r"\pL+ly\b", "it Gently pushes", "Gently"),
        ("a{2,}h", "AAAH", "AAAH"),
    ],
)
def test_accepted_and_matched_in_any_case(pattern: str, text: str, found: str) -> None:
    m = compile_pattern(pattern).search(text)
    assert m is not None and m.group(0) == found


def test_matching_is_linear_where_a_backtracking_engine_explodes() -> None:
    """RE2 answers at once on input that makes Python's re backtrack for ages: the pattern is
    not refused by the static check (bounded), but a long run of 'a's cannot hang the linter."""
    rx = compile_pattern(r"(?:a|a){1,30}b")
    assert rx.search("a" * 50_000 + "c") is None
