"""Word diffs and edit measures: exact on captions of any ordinary length, linear in the
length with the further work capped, however long or different the captions."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from agent.review import compare, edit_rate, spaced_diff, word_diff, word_edit_distance, words
from agent.review._textdiff import MAX_WORK


def test_words_keep_punctuation_separate() -> None:
    assert words("The arm's gripper closes, then opens.") == [
        "The",
        "arm's",
        "gripper",
        "closes",
        ",",
        "then",
        "opens",
        ".",
    ]


def test_word_diff_marks_replacements() -> None:
    ops = word_diff("the robot picks the blue cube", "the robot picks the red cube")
    assert ops == [
        ("equal", "the robot picks the"),
        ("delete", "blue"),
        ("insert", "red"),
        ("equal", "cube"),
    ]


def test_edit_distance_and_rate() -> None:
    assert word_edit_distance("a b c", "a b c") == 0
    assert word_edit_distance("a b c", "a x c d") == 2
    assert edit_rate("a b c d", "a b c d") == 0.0
    assert edit_rate("a b c d", "a b x d") == 0.25


def test_a_diff_on_one_line_puts_no_space_before_punctuation() -> None:
    a = "The robot grasps the puck and puts it down."
    b = "The robot grasps the puck but drops it down, and the task fails."
    steps = spaced_diff(a, b)
    line = "".join((" " if space else "") + chunk for _, chunk, space in steps)
    assert line == "The robot grasps the puck and puts but drops it down, and the task fails."
    assert [(op, chunk) for op, chunk, _ in steps] == word_diff(a, b)
    assert steps[0][2] is False  # nothing before the first step


# --- long captions (issue 20 item 5) ----------------------------------------------------------
SENTENCE = "the robot picks up the red cube and places it on the plate ."


def reference_distance(a: str, b: str) -> int:
    """Word Levenshtein the quadratic way, for checking."""
    wa, wb = words(a), words(b)
    prev = list(range(len(wb) + 1))
    for i, x in enumerate(wa, 1):
        cur = [i]
        for j, y in enumerate(wb, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def rebuilt(steps: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    a = [w for op, chunk in steps if op != "insert" for w in words(chunk)]
    b = [w for op, chunk in steps if op != "delete" for w in words(chunk)]
    return a, b


TOKENS = ["a", "b", "c", "d", "e", ",", "."]


@given(
    st.lists(st.sampled_from(TOKENS), max_size=25), st.lists(st.sampled_from(TOKENS), max_size=25)
)
def test_short_captions_are_compared_exactly(x: list[str], y: list[str]) -> None:
    a, b = " ".join(x), " ".join(y)
    got = compare(a, b)
    assert got.exact and got.distance == reference_distance(a, b)
    assert rebuilt(got.steps) == (words(a), words(b))  # the diff takes a to b


def long_pair(n_words: int, changes: int) -> tuple[str, str]:
    base = (SENTENCE + " ") * (n_words // len(SENTENCE.split()))
    tokens = base.split()
    edited = list(tokens)
    step = max(1, len(tokens) // (changes + 1))
    for k in range(1, changes + 1):
        edited[k * step] = "blue"
    return " ".join(tokens), " ".join(edited)


def test_the_work_grows_linearly_with_the_caption_and_is_exact() -> None:
    """A caption repeated to 20,000 words (a degenerate captioning model) with a few words
    changed: the steps spent grow in proportion to the length (counted, not timed), and the
    distance is still exact."""
    per_word = []
    for n in (1_250, 2_500, 5_000, 10_000, 20_000):
        a, b = long_pair(n, changes=8)
        got = compare(a, b)
        assert got.exact and got.distance == 8
        assert rebuilt(got.steps) == (words(a), words(b))
        per_word.append(got.work / n)
    assert max(per_word) < 60 and max(per_word) / min(per_word) < 1.5  # linear, not quadratic
    same = compare(*(long_pair(20_000, 0)[0],) * 2)  # accepted as is: one pass
    assert same.distance == 0 and same.work <= 4 * 20_000


def test_the_work_is_capped_however_different_the_captions() -> None:
    """Two unrelated 20,000-word captions: the work stops at the cap (plus a linear part), the
    diff still takes one to the other, and the distance is an upper bound, flagged inexact."""
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(500)]
    a = " ".join(rng.choice(vocab) for _ in range(20_000))
    b = " ".join(rng.choice(vocab) for _ in range(20_000))
    got = compare(a, b)
    assert not got.exact and got.work <= 2 * MAX_WORK + 4 * 40_000
    assert rebuilt(got.steps) == (words(a), words(b))
    assert got.distance >= 0 and got.distance <= 20_000
    small = (
        " ".join(rng.choice(vocab) for _ in range(60)),
        " ".join(rng.choice(vocab) for _ in range(60)),
    )
    assert compare(*small).distance == reference_distance(*small)  # short ones stay exact
