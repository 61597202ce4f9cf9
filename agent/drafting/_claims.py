"""The claims a caption makes about the robot, each with its caption span and the event
telemetry can check.

Why an explicit rule set and not a parser: the claims that telemetry settles are few (grasp,
lift, place or arrive at the target, push, press, open, close, contact, and success or failure)
and the vocabulary people and vision models use for them is small and closed, so a grammar of
verb phrases over a lemma and synonym table covers it. A rule set is deterministic, fast enough
to run on every keystroke, needs no model download (a dependency parser's model is a ~13 MB
artefact whose tagging errors on short imperative-looking captions we would have to chase
anyway), and every decision it makes is a line that a test can pin down.

The grammar, in order:

1. Clauses. A caption is split at punctuation and at clause joints: "and", "and then",
   "then", "but", "before", "after", "while", "which", "so", "without", "as". Each clause
   holds at most one claim: its first verb from the table.
2. Verbs. `LEXICON` maps every inflected form (lifts, lifting, lifted, hoists, sets, slid...)
   to a lemma and a form (base, 3sg, ing, ed); `EVENT_OF` maps lemmas to events, with
   synonyms (sets down, deposits, drops off; nudges, slides, shoves; clamps, grips, seizes).
   Base forms count only after "to", "not", "never"... ("the open drawer" is no claim).
   Past forms after a determiner are adjectives ("the closed drawer").
3. Voice and mood. A past form after "is", "gets", "are"... is passive: the claim's span
   starts at its subject ("The drawer is pulled open"). "having lifted" and a clause-initial
   "-ing" are participles. "not", "never", "n't", "without", "fails to" before the verb in
   its clause negate it, and the span then starts at the negator ("without lifting it").
4. Events. What the verb phrase claims depends on the task and the words after the verb:
   an end state (open/out, closed/shut/in, down) makes push, pull and slide verbs open, close
   or press the object; "to/onto/on/at/into the target|goal" makes any transport verb an
   arrival (placing verbs arrive by themselves); "close ... on" and "pick ... up" are grasps.
5. Failure and success statements ("misses the target", "stays open", "the task fails",
   "successfully") are found by pattern, outside speculative clauses.

`contradiction()` uses the same finder to tell whether a text states both an outcome and its
opposite, which the offline drafter checks on every rewrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---------------------------------------------------------------- lexicon

EVENT_OF: dict[str, str] = {
    # grasp
    **dict.fromkeys(
        ["grasp", "grip", "grab", "clamp", "seize", "clutch", "hold", "pinch", "pick"], "grasp"
    ),
    # lift
    **dict.fromkeys(["lift", "raise", "hoist", "elevate"], "lift"),
    # place (arrives at the target by itself)
    **dict.fromkeys(["place", "put", "set", "deposit", "position"], "place"),
    # release / drop: arrival only with "off" or a target
    **dict.fromkeys(["release", "drop", "let"], "release"),
    # transport: arrival only with a target
    **dict.fromkeys(["carry", "bring", "move", "transport", "take", "guide", "deliver"], "carry"),
    # push-like: push the object, or open/close/press it by its end state
    **dict.fromkeys(
        [
            "push",
            "pull",
            "slide",
            "shove",
            "drag",
            "nudge",
            "draw",
            "yank",
            "tug",
            "sweep",
            "roll",
            "slam",
            "fall",
            "swing",
        ],
        "push",
    ),
    **dict.fromkeys(["press", "depress"], "press"),
    "open": "open",
    **dict.fromkeys(["close", "shut"], "close"),
    **dict.fromkeys(["reach", "hook", "touch", "contact"], "contact"),
}
IRREGULAR = {
    # lemma: (3sg, ing, past forms...)
    "set": ("sets", "setting", "set"),
    "put": ("puts", "putting", "put"),
    "shut": ("shuts", "shutting", "shut"),
    "let": ("lets", "letting", "let"),
    "hold": ("holds", "holding", "held"),
    "bring": ("brings", "bringing", "brought"),
    "draw": ("draws", "drawing", "drawn", "drew"),
    "slide": ("slides", "sliding", "slid"),
    "take": ("takes", "taking", "taken", "took"),
    "fall": ("falls", "falling", "fell", "fallen"),
    "swing": ("swings", "swinging", "swung"),
}
DOUBLE = {"grab", "grip", "drop", "slam", "tug", "drag"}


def inflect(lemma: str, form: str) -> str:
    """The lemma in a form: base | 3sg | ing | ed."""
    if form == "base":
        return lemma
    if lemma in IRREGULAR:
        forms = IRREGULAR[lemma]
        return {"3sg": forms[0], "ing": forms[1]}.get(form, forms[2])
    if form == "3sg":
        if re.search(r"(s|sh|ch|x|z)$", lemma):
            return lemma + "es"
        if re.search(r"[^aeiou]y$", lemma):
            return lemma[:-1] + "ies"
        return lemma + "s"
    stem = lemma
    if lemma in DOUBLE:
        stem = lemma + lemma[-1]
    elif lemma.endswith("e") and not lemma.endswith("ee"):
        stem = lemma[:-1]
    elif re.search(r"[^aeiou]y$", lemma) and form == "ed":
        return lemma[:-1] + "ied"
    return stem + ("ing" if form == "ing" else "ed")


def _lexicon() -> dict[str, tuple[str, str]]:
    lex: dict[str, tuple[str, str]] = {}
    for lemma in EVENT_OF:
        for form in ("ed", "ing", "3sg", "base"):
            lex.setdefault(inflect(lemma, form), (lemma, form))
        for extra in IRREGULAR.get(lemma, ())[3:]:
            lex.setdefault(extra, (lemma, "ed"))
    return lex


LEXICON = _lexicon()

# ---------------------------------------------------------------- patterns

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
BOUNDARY = re.compile(
    r"[,;:.!?]|\b(?:and then|and|then|but|before|after|while|which|so|without|as|once|"
    r"until it reaches)\b",
    re.IGNORECASE,
)
NEGATORS = {"not", "never", "n't", "without", "cannot", "no"}
AUX = {"is", "are", "was", "were", "gets", "get", "got", "being", "been", "be"}
ATTEMPT = {
    "tries",
    "trying",
    "attempts",
    "attempting",
    "wants",
    "seems",
    "appears",
    "intends",
    "plans",
    "hopes",
    "tried",
    "attempted",
    "seemed",
    "appeared",
}
STATE_VERBS = {
    "stays",
    "remains",
    "left",
    "leaves",
    "leaving",
    "partly",
    "partially",
    "halfway",
    "half",
    "still",
}
DETERMINERS = {"the", "a", "an", "its", "their", "this", "that"}
BASE_OK_AFTER = {"to", "not", "never", "n't", "cannot", "doesn't", "does", "did"}
ARRIVAL = re.compile(
    r"\b(?:to|onto|on|at|into|in|over|reaches|on top of)\s+(?:the\s+|its\s+)?"
    r"(?:\w+\s+)?(?:target|goal)\b|\b(?:there)\b",
    re.IGNORECASE,
)
NOT_ARRIVAL = re.compile(r"\b(?:toward|towards|near|short of|before|above)\b", re.IGNORECASE)
OPEN_WORDS = re.compile(r"\b(open|out|outward|apart)\b", re.IGNORECASE)
CLOSE_WORDS = re.compile(r"\b(closed|shut|in|inward|inwards)\b", re.IGNORECASE)
DOWN_WORDS = re.compile(r"\b(down|downward|fully|until it clicks)\b", re.IGNORECASE)
LIFT_NOT_OBJECT = {"away", "back", "clear", "upward", "upwards", "out", "itself"}
CONTACT_PHRASES = re.compile(
    r"\b(?:makes? contact with|moves? (?:above|over|onto)|comes? down on|descends? onto|"
    r"lowers? (?:onto|over)|reaches?(?! for| toward| towards)|hooks?|hooking|hooked|"
    r"touches|touching|touched)\b",
    re.IGNORECASE,
)
FAIL = re.compile(
    r"\b(?:(?:the task |it |and )?fails\b(?! to)|failed\b(?! to)|unsuccessful(?:ly)?|"
    r"misses (?:the )?(?:\w+ )?(?:target|goal)|(?:stops|falls|ends up|lands) short|"
    r"short of (?:the )?(?:target|goal)|barely moves|does not (?:reach|get to) the (?:target|goal)|"
    r"never reaches the (?:target|goal)|drops (?:it|the \w+(?: \w+)?) (?:before|early|short)|"
    r"(?:stays|remains|is left) (?:where it (?:is|was)|in place|still|unmoved)|"
    r"falls (?:off|to the table|before))",
    re.IGNORECASE,
)
STATE_STAYS = re.compile(
    r"\b(?:stays|remains|is left|leaves (?:it|the \w+)|leaving (?:it|the \w+))\s+"
    r"(?:(?:partly|partially|half|halfway|still|fully)\s+)?(open|closed|shut|ajar)\b",
    re.IGNORECASE,
)
SUCCESS = re.compile(
    r"\b(?:successfully|succeeds|succeeded|completes the task|task is (?:completed|done))\b",
    re.IGNORECASE,
)
NOUNS = {
    "puck",
    "button",
    "drawer",
    "handle",
    "window",
    "cube",
    "block",
    "object",
    "lever",
    "door",
    "cabinet",
    "front",
    "ball",
    "box",
}
FREE_OBJECT_TASKS = {"pick_place", "push"}


def task_kind(task: str | None) -> str | None:
    """Task family from a task name such as 'drawer-open-v3' or 'button-press-topdown-v3'."""
    t = (task or "").lower()
    for key, kind in (
        ("pick-place", "pick_place"),
        ("pick_place", "pick_place"),
        ("drawer-open", "drawer_open"),
        ("drawer-close", "drawer_close"),
        ("window-open", "window_open"),
        ("window-close", "window_close"),
        ("button", "press"),
        ("push", "push"),
    ):
        if key in t:
            return kind
    return None


def goal_event(kind: str | None) -> set[str]:
    """The events that, stated positively, claim the task succeeded."""
    return {
        "pick_place": {"arrive"},
        "push": {"arrive"},
        "drawer_open": {"open"},
        "window_open": {"open"},
        "drawer_close": {"close"},
        "window_close": {"close"},
        "press": {"press"},
    }.get(kind or "", {"arrive", "open", "close", "press"})


def opposite_event(kind: str | None) -> str | None:
    return {
        "drawer_open": "close",
        "window_open": "close",
        "drawer_close": "open",
        "window_close": "open",
    }.get(kind or "")


# ---------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """One claim: the event, its caption span, and how it was said."""

    event: str  # grasp | lift | arrive | push | press | open | close | contact | release
    start: int
    end: int
    verb_start: int
    verb_end: int
    lemma: str
    form: str  # base | 3sg | ing | ed
    negated: bool = False
    passive: bool = False
    participle: bool = False
    obj: str | None = None  # "it", "the red puck"
    lifts_too: bool = False  # "picks up"
    clause_start: int = 0  # where the clause starts, before any conjunction

    def span(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class Statement:
    """A stated failure or success that is not a single verb claim."""

    kind: str  # fail | success
    start: int
    end: int


def _clauses(text: str) -> list[tuple[int, int, str]]:
    """(start, end, joint) of each clause; joint is the boundary word that opens it."""
    return [(s, e, j) for s, e, j, _ in _clauses_at(text)]


def _clauses_at(text: str) -> list[tuple[int, int, str, int]]:
    """(start, end, joint, where the joint starts) of each clause."""
    out = []
    pos, joint, jpos = 0, "", 0
    for m in BOUNDARY.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start(), joint, jpos))
        pos, joint, jpos = m.end(), m.group(0).lower(), m.start()
    if pos < len(text):
        out.append((pos, len(text), joint, jpos))
    return [(s, e, j, p) for s, e, j, p in out if text[s:e].strip()]


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " \t":
        s += 1
    while e > s and text[e - 1] in " \t":
        e -= 1
    return s, e


def object_np(text: str, pos: int, end: int) -> str | None:
    """The object noun phrase after a verb: 'it' or 'the red puck' (None if there is none)."""
    rest = text[pos:end]
    m = re.match(
        r"\s*(?:(?:up|down|over|above|onto|on|toward|towards|for|with|at|to|against|"
        r"its gripper on|its fingers on|it on)\s+)?(it|them|(?:the|a|an|its|their)\b[\w\s'-]*)",
        rest,
        re.IGNORECASE,
    )
    if not m:
        return None
    phrase = m.group(1)
    if phrase.lower() in ("it", "them"):
        return phrase
    words = phrase.split()
    last = None
    for i, w in enumerate(words[1:5], 1):
        if w.lower() in NOUNS:
            last = i
        elif last is not None:
            break
    if last is not None:
        return " ".join(words[: last + 1])
    return " ".join(words[:2]) if len(words) >= 2 else None


def _classify(
    lemma: str, after: str, kind: str | None, text_after_verb: str
) -> tuple[str | None, bool]:
    """The event a verb phrase claims, and whether it also claims a lift ('picks up')."""
    base = EVENT_OF[lemma]
    low = after.lower()
    articulated = kind in ("drawer_open", "drawer_close", "window_open", "window_close")
    if base == "grasp":
        if lemma == "pick":
            return (
                ("grasp", True)
                if re.match(r"\s*(?:up\b|\w+ up\b|the \w+ up\b|the \w+ \w+ up\b)", low)
                else (None, False)
            )
        if lemma == "hold" and re.match(r"\s*(?:still|steady|position)", low):
            return None, False
        return "grasp", False
    if base == "close" and re.match(
        r"\s*(?:(?:its|the) (?:gripper|fingers) |it |them )?(?:on|around)\b", low
    ):
        return "grasp", False
    if base == "lift":
        first = low.split()[0] if low.split() else ""
        if first in LIFT_NOT_OBJECT or not first:
            return None, False
        return "lift", False
    if base in ("open", "close"):
        if kind in FREE_OBJECT_TASKS:
            return None, False  # the gripper opening or closing, not the task's object
        return base, False
    arrival = bool(ARRIVAL.search(low)) and not (
        NOT_ARRIVAL.search(low) and NOT_ARRIVAL.search(low).start() < ARRIVAL.search(low).start()  # type: ignore[union-attr]
    )
    if base == "place":
        return "arrive", False
    if base == "release":
        if lemma == "drop" and re.match(r"\s*(?:it|the \w+(?: \w+)?) off\b", low):
            return "arrive", False
        if lemma == "let" and re.search(r"\b(?:fall|swing|slide)\s+(shut|closed|open)\b", low):
            m = re.search(r"\b(?:fall|swing|slide)\s+(shut|closed|open)\b", low)
            assert m
            return ("open" if m.group(1) == "open" else "close"), False
        return ("arrive" if arrival else "release"), False
    if base == "contact":
        if lemma == "reach" and re.match(r"\s*(?:for|toward|towards|out)\b", low):
            return None, False
        return "contact", False
    if base in ("push", "press", "carry"):
        if articulated:
            bare = re.sub(r"\b(?:the|an|its) open\b", "the", low)
            states = re.findall(r"\b(open|closed|shut)\b", bare)
            if states:
                return ("open" if states[-1] == "open" else "close"), False
            if OPEN_WORDS.search(bare):
                return "open", False
            if CLOSE_WORDS.search(bare):
                return "close", False
            if ("handle" in low or base == "press") and not re.match(
                r"\s*(?:\w+\s+)?(?:toward|towards|to|near)\b", low
            ):
                return "contact", False
            return None, False
        if kind == "press" or (kind is None and "button" in low):
            if lemma in ("press", "depress", "push") and (
                DOWN_WORDS.search(low)
                or "button" in low
                or re.match(r"\s*it\b", low)
                or not low.strip()
            ):
                return "press", False
            return None, False
        if arrival:
            return "arrive", False
        if base == "push" and kind in FREE_OBJECT_TASKS:
            return "push", False
        if kind is None and base == "push" and arrival:
            return "arrive", False
    return None, False


def _speculation_ranges(text: str) -> list[tuple[int, int]]:
    from agent.guidelines._lint import lint

    return [(w.start, w.end) for w in speculation_spans(text, lint(text))]


def find_claims(
    text: str, task: str | None = None, skip: list[tuple[int, int]] | None = None
) -> tuple[list[Claim], list[Statement]]:
    """Every claim in `text` with its span; claims inside `skip` ranges (speculation) are not
    claims of what happened."""
    kind = task_kind(task)
    skip = skip if skip is not None else _speculation_ranges(text)
    claims: list[Claim] = []
    statements: list[Statement] = []
    for cs, ce, joint, jpos in _clauses_at(text):
        cs, ce = _strip(text, cs, ce)
        if any(a <= cs < b or a < ce <= b for a, b in skip):
            continue
        words = list(_WORD.finditer(text, cs, ce))
        negator: int | None = jpos if joint == "without" else None
        prev: str = ""
        prev_prev: str = ""
        for w in words:
            low = w.group(0).lower().replace("’", "'")
            if (
                low in NEGATORS
                or low.endswith("n't")
                or (low == "to" and prev in ("fails", "failed", "unable"))
            ):
                if negator is None:
                    negator = w.start()
                    if low == "to":
                        negator = w.start() - len(prev) - 1
                    elif prev in ("does", "did", "do") or low.endswith("n't"):
                        negator = w.start() - (len(prev) + 1 if not low.endswith("n't") else 0)
                prev_prev, prev = prev, low
                continue
            contact = CONTACT_PHRASES.match(text, w.start())
            entry = LEXICON.get(low)
            if entry is None and not contact:
                prev_prev, prev = prev, low
                continue
            lemma, form = entry if entry else ("reach", "3sg")
            if (
                entry
                and form == "base"
                and prev not in BASE_OK_AFTER
                and lemma not in ("set", "put", "shut", "let")
            ):
                prev_prev, prev = prev, low
                continue
            if prev == "to" and prev_prev in ATTEMPT:
                prev_prev, prev = prev, low
                continue  # "tries to close it" is an attempt, not a claim
            if entry and form == "ed" and prev in DETERMINERS | STATE_VERBS:
                prev_prev, prev = prev, low
                continue
            if entry and lemma in ("set", "put", "shut") and prev in DETERMINERS:
                prev_prev, prev = prev, low
                continue
            passive = form == "ed" and (
                prev in AUX or (prev in ("never", "not", "fully") and prev_prev in AUX)
            )
            participle = prev == "having" or (form == "ing" and w.start() == cs)
            verb_end = w.end()
            if contact:
                verb_end = contact.end()
                event, lifts_too = "contact", False
                lemma = {
                    "makes": "make",
                    "moves": "move",
                    "comes": "come",
                    "descends": "descend",
                    "lowers": "lower",
                    "reaches": "reach",
                    "hooks": "hook",
                    "touches": "touch",
                }.get(contact.group(0).split()[0].lower(), contact.group(0).split()[0].lower())
                if lemma.endswith("ing") or lemma.endswith("ed"):
                    lemma, form = LEXICON.get(lemma, (lemma, "3sg"))
                if lemma == "reach" and re.match(
                    r"\s*(?:for|toward|towards|out)\b", text[w.end() : ce], re.I
                ):
                    prev_prev, prev = prev, low
                    continue
            else:
                after = text[w.end() : ce]
                if passive:
                    after = after + " " + text[cs : w.start()]
                event, lifts_too = _classify(lemma, after, kind, text[w.end() :])
            if event is None:
                prev_prev, prev = prev, low
                continue
            start = w.start()
            if passive:
                start = cs
            elif participle and prev == "having":
                start = w.start() - len("having") - 1
            if negator is not None and not passive:
                start = min(start, negator)
            elif negator is not None and passive:
                start = cs
            obj = None if passive else object_np(text, verb_end, ce)
            if passive:
                by = re.search(r"\s+by\b", text[verb_end:ce])
                ce = verb_end + by.start() if by else ce
            claims.append(
                Claim(
                    event=event,
                    start=start,
                    end=ce,
                    verb_start=w.start(),
                    verb_end=verb_end,
                    lemma=lemma,
                    form=form,
                    negated=negator is not None,
                    passive=passive,
                    participle=participle,
                    obj=obj,
                    lifts_too=lifts_too,
                    clause_start=cs,
                )
            )
            break
    # failure and success statements
    for rx, k in ((FAIL, "fail"), (SUCCESS, "success")):
        for m in rx.finditer(text):
            if any(a <= m.start() < b for a, b in skip):
                continue
            statements.append(Statement(k, *_clause_of(text, m.start(), m.end())))
    for m in STATE_STAYS.finditer(text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        state = "open" if m.group(1).lower() in ("open", "ajar") else "close"
        goal = goal_event(kind)
        if (state == "open" and "close" in goal) or (state == "close" and "open" in goal):
            statements.append(Statement("fail", *_clause_of(text, m.start(), m.end())))
    return claims, statements


def _clause_of(text: str, s: int, e: int) -> tuple[int, int]:
    """The clause around a match, without its joint; a sentence's first clause starts at the
    match (its subject is not the claim)."""
    for cs, ce, joint in _clauses(text):
        if cs <= s < ce:
            cs, ce = _strip(text, cs, ce)
            if not joint or joint in ".!?":
                cs = s
            return cs, max(ce, e)
    return s, e


# ---------------------------------------------------------------- speculation

SPEC_CLAUSE_OPENERS = re.compile(
    r"(?:apparently|seemingly|probably|likely|perhaps|maybe|trying to|in order to|so that|"
    r"intends to|wants to|plans to|hopes)\b",
    re.IGNORECASE,
)
SPEC_VERBS = re.compile(
    r"\b(?:tries|attempts|seems|appears|wants|intends|plans|decides)\s+to\s+([a-z]+)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SpecSpan:
    start: int
    end: int
    clause: bool  # the whole clause is speculative: remove it with its comma


def speculation_spans(text: str, warnings: list) -> list[SpecSpan]:  # type: ignore[type-arg]
    """The linter's speculation warnings, widened to the whole clause when the clause opens
    with a hedge or an intent ('..., apparently trying to line it up.'): the intent is the
    speculation, not only the hedge word."""
    out: list[SpecSpan] = []
    for w in warnings:
        if w.kind != "speculation" or w.start < 0:
            continue
        before = text[: w.start].rstrip()
        clause_initial = before.endswith(",") or not before
        if clause_initial and SPEC_CLAUSE_OPENERS.match(text, w.start):
            m = re.compile(r"[,;.!?]").search(text, w.end)
            end = m.start() if m else len(text)
            out.append(SpecSpan(w.start, end, True))
        else:
            out.append(SpecSpan(w.start, w.end, False))
    # merge overlapping: a clause span swallows the word spans inside it
    merged: list[SpecSpan] = []
    for s in sorted(out, key=lambda x: (x.start, -x.end)):
        if merged and s.start < merged[-1].end:
            continue
        merged.append(s)
    return merged


# ---------------------------------------------------------------- contradiction


def outcome_stated(text: str, task: str | None) -> tuple[bool, bool]:
    """(states success, states failure) for the text."""
    claims, statements = find_claims(text, task)
    goal = goal_event(task_kind(task))
    success = any(c.event in goal and not c.negated for c in claims) or any(
        s.kind == "success" for s in statements
    )
    failure = any(
        c.negated and (c.event in goal or (c.event == "push" and task_kind(task) == "push"))
        for c in claims
    ) or any(s.kind == "fail" for s in statements)
    return success, failure


def contradiction(text: str, task: str | None) -> bool:
    """Whether the text states an outcome and its opposite."""
    success, failure = outcome_stated(text, task)
    return success and failure
