"""The caption guideline linter: spelling, speculation, tense, filler and length.

Runs offline (pyspellchecker's bundled English list plus a robotics word list), fast enough to
run on every keystroke of the review page, and in the offline drafter on the caption itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ROBOTICS_WORDS = {
    "gripper",
    "grippers",
    "end-effector",
    "effector",
    "sawyer",
    "franka",
    "ur5",
    "xarm",
    "puck",
    "pucks",
    "drawer",
    "drawers",
    "lerobot",
    "teleoperated",
    "ungrasped",
    "regrasps",
    "regrasp",
    "grasps",
    "grasped",
    "grasping",
    "unscrews",
    "peg",
    "pegs",
    "faucet",
    "lever",
    "tabletop",
    "workspace",
    "mug",
    "mugs",
    "spatula",
    "bin",
    "bins",
    "robot's",
    "arm's",
    "gripper's",
    "mid-air",
    "counter-clockwise",
    "clockwise",
    "two-finger",
    "parallel-jaw",
}
SPECULATION = [
    "tries to",
    "trying to",
    "attempts to",
    "wants to",
    "intends to",
    "in order to",
    "seems",
    "seemingly",
    "appears to",
    "apparently",
    "probably",
    "likely",
    "perhaps",
    "maybe",
    "carefully",
    "gently",
    "deliberately",
    "decides",
    "hopes",
    "plans to",
    "so that",
    "seem to",
    "appear to",
    "attempting to",
    "in an attempt to",
    "in an effort to",
    "aiming to",
    "aims to",
    "intending to",
    "struggles to",
    "struggling to",
    "presumably",
    "possibly",
    "as if",
    "as though",
    "as intended",
    "as planned",
]
FILLER = [
    "in this video",
    "we can see",
    "the image shows",
    "the video shows",
    "in the clip",
    "this clip shows",
    "as we can see",
    "in the video",
    "in this clip",
    "the clip shows",
    "this video shows",
    "can be seen",
]
# Past forms the guidelines turn into present tense (the robot as subject, present tense).
PAST = {
    "picked": "picks",
    "placed": "places",
    "grasped": "grasps",
    "moved": "moves",
    "lifted": "lifts",
    "pushed": "pushes",
    "pulled": "pulls",
    "reached": "reaches",
    "dropped": "drops",
    "released": "releases",
    "opened": "opens",
    "rotated": "rotates",
    "pressed": "presses",
    "slid": "slides",
    "put": "puts",
    "took": "takes",
    "grabbed": "grabs",
    "turned": "turns",
    "lowered": "lowers",
    "raised": "raises",
    "was": "is",
    "were": "are",
    "did": "does",
    "had": "has",
    "went": "goes",
    "knocked": "knocks",
    "stacked": "stacks",
    "inserted": "inserts",
    "approached": "approaches",
    "failed": "fails",
    "succeeded": "succeeds",
    "missed": "misses",
}
MIN_WORDS, MAX_WORDS = 5, 60
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@dataclass(frozen=True)
class LintWarning:
    kind: str  # spelling | speculation | tense | filler | length
    text: str
    message: str
    start: int = -1
    end: int = -1


@lru_cache(maxsize=1)
def _speller():  # type: ignore[no-untyped-def]
    from spellchecker import SpellChecker

    sp = SpellChecker()
    sp.word_frequency.load_words(ROBOTICS_WORDS)
    return sp


def _phrases(text: str, phrases: list[str], kind: str, message: str) -> list[LintWarning]:
    out = []
    for phrase in phrases:
        for m in re.finditer(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, re.IGNORECASE):
            out.append(
                LintWarning(kind, m.group(0), message.format(m.group(0)), m.start(), m.end())
            )
    return out


def lint(text: str) -> list[LintWarning]:
    """Guideline warnings for a caption, in order of position."""
    warnings: list[LintWarning] = []
    words = list(_WORD.finditer(text))
    sp = _speller()
    for m in words:
        w = m.group(0).strip("'’-")
        low = w.lower()
        if len(w) < 3 or (w[0].isupper() and m.start() > 0) or low in ROBOTICS_WORDS:
            continue
        parts = low.split("-")
        if sp.unknown(parts):
            best = sp.correction(low)
            hint = f"; did you mean {best!r}?" if best and best != low else ""
            warnings.append(
                LintWarning(
                    "spelling", w, f"unknown word {w!r}{hint}", m.start(), m.start() + len(w)
                )
            )
        if low in PAST:
            warnings.append(
                LintWarning(
                    "tense",
                    w,
                    f"past tense {w!r}: use present tense, e.g. {PAST[low]!r}",
                    m.start(),
                    m.end(),
                )
            )
    warnings += _phrases(
        text,
        SPECULATION,
        "speculation",
        "{!r} speculates about intent or manner the video cannot show",
    )
    warnings += _phrases(text, FILLER, "filler", "{!r} is filler: start with the robot")
    n = len(words)
    if n and n < MIN_WORDS:
        warnings.append(
            LintWarning(
                "length",
                text,
                f"only {n} words: say what the arm and gripper do and whether the task succeeds",
            )
        )
    if n > MAX_WORDS:
        warnings.append(LintWarning("length", text, f"{n} words: keep captions under {MAX_WORDS}"))
    return sorted(warnings, key=lambda w: (w.start, w.kind))
