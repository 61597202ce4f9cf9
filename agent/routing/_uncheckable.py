"""The claims in a caption that recap has no check for: colours, object identity, directions and
counts.

Telemetry settles grasps, lifts, arrivals and the outcome (the offline drafter's checks); it
says nothing about what colour an object is, which object it is, which way something moved or
how many there are. Only the video does, so a draft's judgement on such a claim is confirmed
only when independent samples of the model agree on it. This module finds those claims with
explicit word lists (a caption's vocabulary for them is small; each list is here to read and
extend): colour words; object nouns (tabletop objects, singular or plural); direction and
spatial words ("up" after a picking verb and "down" after a pressing or placing verb, "it"
between them or not, belong to that verb, which telemetry checks, and are left out); number
words, digits and repetition words. Each distinct word is one claim (a caption that names "the
puck" twice makes one claim about it).
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class ClaimKind(StrEnum):
    COLOUR = "colour"
    OBJECT = "object"
    DIRECTION = "direction"
    COUNT = "count"


COLOURS = _words(
    "red blue green yellow orange purple violet pink black white grey gray brown silver gold "
    "golden beige cyan magenta teal turquoise maroon navy"
)
OBJECTS = _words(
    "puck block cube cup mug bowl plate dish bottle can jar box ball drawer handle button "
    "window door lever cabinet shelf lid tray basket bin sponge towel cloth napkin spoon fork "
    "knife spatula pen marker pencil apple banana orange fruit toy peg hole knob faucet switch "
    "book bag cylinder cone ring stick rod tube cap container"
)
DIRECTIONS = _words(
    "left right up down upward upwards downward downwards forward forwards backward backwards "
    "toward towards away above below under underneath behind beside inside outside onto into "
    "out outward outwards inward inwards in clockwise counterclockwise counter-clockwise "
    "anticlockwise sideways across over near far"
)
COUNTS = _words(
    "one two three four five six seven eight nine ten eleven twelve once twice thrice both "
    "single pair couple several multiple each every again repeatedly"
)
_PICK = {"pick", "picks", "picked", "picking", "lifts", "lift", "lifted", "lifting"}
_PRESS = {
    "press", "presses", "pressed", "pressing", "put", "puts", "putting", "set", "sets",
    "setting", "places", "place", "placed", "placing", "push", "pushes", "pushed",
}  # fmt: skip
_FOLLOWED_BY_NOUN = {"the", "a", "an", "its", "their", "this", "that", "order", "front", "which"}
_TOKEN = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*|\d+")


class UncheckedClaim(BaseModel):
    """A claim recap cannot check: its kind, the word and where it stands in the caption."""

    kind: ClaimKind
    word: str
    start: int
    end: int


def _kind(word: str, before: str | None, after: str | None) -> ClaimKind | None:
    low = word.casefold()
    if low.isdigit() or low in COUNTS:
        return ClaimKind.COUNT
    if low in COLOURS:
        return ClaimKind.COLOUR
    if low in DIRECTIONS:
        if low == "up" and before in _PICK:
            return None
        if low == "down" and before in _PRESS:
            return None
        if low == "in" and after in _FOLLOWED_BY_NOUN:
            return None  # "in the bin" names the bin; "in order to" is no direction
        return ClaimKind.DIRECTION
    singular = low[:-2] if low.endswith("es") and low[:-2] in OBJECTS else low
    singular = singular[:-1] if singular.endswith("s") and singular[:-1] in OBJECTS else singular
    if singular in OBJECTS:
        return ClaimKind.OBJECT
    return None


def uncheckable_claims(caption: str) -> list[UncheckedClaim]:
    """Each distinct colour, object, direction and count word of the caption, first occurrence."""
    tokens = list(_TOKEN.finditer(caption))
    seen: set[tuple[ClaimKind, str]] = set()
    out: list[UncheckedClaim] = []
    for i, m in enumerate(tokens):
        j = i - 1
        if j > 0 and tokens[j].group().casefold() in ("it", "them"):
            j -= 1  # "presses it down", "picks them up"
        before = tokens[j].group().casefold() if j >= 0 else None
        after = tokens[i + 1].group().casefold() if i + 1 < len(tokens) else None
        kind = _kind(m.group(), before, after)
        if kind is None:
            continue
        key = (kind, m.group().casefold())
        if key in seen:
            continue
        seen.add(key)
        out.append(UncheckedClaim(kind=kind, word=m.group(), start=m.start(), end=m.end()))
    return out
