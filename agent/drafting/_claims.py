"""The claims a caption makes about the robot, each with its caption span and the event
telemetry can check.

Why an explicit rule set and not a parser: the claims that telemetry settles are few (grasp,
lift, place or arrive at the target, push, press, open, close, contact, release, the gripper
opening or closing, and success or failure) and the vocabulary people and vision models use for
them is small and closed, so a grammar of verb phrases over a lemma and synonym table covers
it. A rule set is deterministic, fast enough to run on every keystroke, needs no model download
(a dependency parser's model is a ~13 MB artefact whose tagging errors on short
imperative-looking captions we would have to chase anyway), and every decision it makes is a
line that a test can pin down. Word forms come from a real lemmatiser and inflector
(lemminflect, whose tables ship in its wheel), never from suffix rules.

The grammar, in order:

1. Clauses. A caption is split at punctuation and at clause joints: "and", "and then",
   "then", "but", "before", "after", "while", "which", "where", "so", "without", "as",
   "however", "because"... Each clause holds at most one claim: its first verb from the table.
2. Verbs. `LEXICON` maps every inflected form (lifts, lifting, lifted, hoists, sets, slid...)
   to a lemma and a form (base, 3sg, ing, ed); `EVENT_OF` maps lemmas to events, with
   synonyms (sets down, deposits, drops off; nudges, slides, shoves; clamps, grips, seizes).
   Base forms count only after "to", "not", "never"... ("the open drawer" is no claim).
   Past forms after a determiner are adjectives ("the closed drawer").
3. Hedges. A modal or speculative chain before a verb ("seems to be trying to lift",
   "appears to attempt to push", "is seen closing", "appears to be completed") is a `Hedge`:
   its verb is still found, as a hedged claim whose span starts at the chain, and the hedge
   knows the verb's plain form ("lifts", "pushes", "closes", "is completed") so a rewrite can
   drop the chain without mangling the verb.
4. Voice and mood. A past form after "is", "gets", "are"... is passive: the claim's span
   starts at its subject ("The drawer is pulled open"); a passive whose subject is the robot
   ("the arm is positioned above the table") claims nothing about the object. "having lifted"
   and a clause-initial "-ing" are participles. "not", "never", "n't", "without", "fails to",
   "unable to", and "stops ... before" negate a verb in their clause, and the span then starts
   at the negator ("without lifting it").
5. Events. What the verb phrase claims depends on the task and the words after the verb:
   an end state (open/out, closed/shut/in, down) makes push, pull and slide verbs open, close
   or press the object (a state word before a noun, "its closed gripper", is an adjective);
   "to/onto/on/at/into the target|goal" makes any transport verb an arrival (placing verbs
   arrive by themselves); "close ... on" and "pick ... up" are grasps; "opens its gripper" and
   "the gripper closes" are the gripper's own events, not the task object's.
6. Outcome statements ("the task is not completed", "successfully completing the task",
   "where the task is completed", "the puck stays in place", "the drawer remains closed",
   "the puck slips out of the gripper and falls") are found by pattern anywhere in a sentence,
   outside speculative clauses; each spans its clause, from the clause's own subject when that
   subject is not the robot, and statements joined by "and" make one span.

`contradiction()` uses the same finder to tell whether a text states both an outcome and its
opposite, which the offline drafter's rewrite check runs on every rewrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agent.telemetry import task_kind

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
    **dict.fromkeys(
        ["carry", "bring", "move", "transport", "take", "guide", "deliver", "transfer", "relocate"],
        "carry",
    ),
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
_TAG = {"base": "VB", "3sg": "VBZ", "ing": "VBG", "ed": "VBN", "past": "VBD"}


@lru_cache(maxsize=4096)
def inflect(lemma: str, form: str) -> str:
    """The lemma in a form: base | 3sg | ing | ed (past participle) | past, from lemminflect's
    tables (irregular verbs and consonant doubling included)."""
    from lemminflect import getInflection

    if form == "base":
        return lemma
    out = getInflection(lemma, _TAG[form])
    if not out and form == "ed":
        out = getInflection(lemma, "VBD")
    return out[0] if out else lemma


@lru_cache(maxsize=8192)
def verb_lemma(word: str) -> str | None:
    """The verb lemma of a word form ('lifting' -> 'lift', 'slid' -> 'slide'), None if the word
    is no verb form."""
    from lemminflect import getAllLemmas

    low = word.lower()
    if low in LEXICON:
        return LEXICON[low][0]
    lemmas = getAllLemmas(low).get("VERB") or getAllLemmas(low).get("AUX")
    return lemmas[0] if lemmas else None


def _lexicon() -> dict[str, tuple[str, str]]:
    from lemminflect import getAllInflections

    lex: dict[str, tuple[str, str]] = {}
    for lemma in EVENT_OF:
        forms = getAllInflections(lemma, upos="VERB")
        for tag, form in (("VBN", "ed"), ("VBD", "ed"), ("VBG", "ing"), ("VBZ", "3sg")):
            for word in forms.get(tag, ()) or ((inflect(lemma, form),) if tag == "VBN" else ()):
                lex.setdefault(word, (lemma, form))
        lex.setdefault(lemma, (lemma, "base"))
    return lex


LEXICON = _lexicon()

# ---------------------------------------------------------------- patterns

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
BOUNDARY = re.compile(
    r"[,;:.!?()]|\b(?:and then|and|but|before|after|while|which|where|so|without|as|once|"
    r"however|because|though|although|yet|whereas|instead of|until it reaches)\b|"
    # "then" joins two steps, except between a passive's auxiliary and its verb ("the button
    # is then released")
    r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bgets )(?<!\bget )(?<!\bbeing )"
    r"(?<!\bbeen )\bthen\b",
    re.IGNORECASE,
)
NEGATORS = {"not", "never", "n't", "without", "cannot", "no"}
AUX = {"is", "are", "was", "were", "gets", "get", "got", "being", "been", "be"}
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
ROBOT = re.compile(
    r"\b(?:arm|arms|robot|robot's|robotic|gripper|gripper's|grippers|fingers|claw|jaws|"
    r"effector|end-effector|hand)\b",
    re.IGNORECASE,
)
GRIPPER = re.compile(r"\b(?:gripper|grippers|fingers|claw|claws|jaws|pincers)\b", re.IGNORECASE)
ARRIVAL = re.compile(
    r"\b(?:to|onto|on|at|into|in|over|reaches|on top of)\s+(?:the\s+|its\s+)?"
    r"(?:\w+\s+)?(?:target|goal)\b|\b(?:there)\b",
    re.IGNORECASE,
)
NOT_ARRIVAL = re.compile(r"\b(?:toward|towards|near|short of|before|above)\b", re.IGNORECASE)
OPEN_WORDS = re.compile(r"\b(open|out|outward|outwards|apart)\b", re.IGNORECASE)
CLOSE_WORDS = re.compile(r"\b(closed|shut|in|inward|inwards)\b", re.IGNORECASE)
DOWN_WORDS = re.compile(r"\b(down|downward|fully|until it clicks)\b", re.IGNORECASE)
# a state word used as an adjective before a noun, or after "with its gripper": not an end state
ATTRIBUTIVE_STATE = re.compile(
    r"\b(?:(?:the|an|its|their|a)\s+(?:fully\s+|partly\s+|half\s+)?(?:open|closed|shut)\b"
    r"(?=\s+\w)|with\s+its\s+\w+\s+(?:fully\s+)?(?:open|closed|shut)\b)",
    re.IGNORECASE,
)
LIFT_NOT_OBJECT = {"away", "back", "clear", "upward", "upwards", "out", "itself"}
CONTACT_PHRASES = re.compile(
    r"\b(?:(?P<approach>moves? (?:above|over|onto)|comes? down (?:on|onto)|descends? onto|"
    r"lowers? (?:itself )?(?:onto|to|down to)|lowering (?:itself )?(?:onto|to|down to)|"
    r"descending onto)|"
    r"makes? contact with|making contact with|reaches?(?! for| toward| towards| out)|"
    r"hooks?|hooking|hooked|touches|touching|touched)\b",
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
    "cylinder",
    "disc",
    "disk",
    "mug",
    "frame",
    "gripper",
    "target",
    "goal",
}
FREE_OBJECT_TASKS = {"pick_place", "push"}
ARTICULATED = {"drawer_open", "drawer_close", "window_open", "window_close"}


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


def goal_state(kind: str | None) -> str | None:
    """The end state ('open' or 'close') that is the task's goal, for articulated tasks."""
    return {
        "drawer_open": "open",
        "window_open": "open",
        "drawer_close": "close",
        "window_close": "close",
    }.get(kind or "")


def opposite_event(kind: str | None) -> str | None:
    return {
        "drawer_open": "close",
        "window_open": "close",
        "drawer_close": "open",
        "window_close": "open",
    }.get(kind or "")


# ---------------------------------------------------------------- hedges

SPEC_OPENERS = {
    # word: the form the hedged verb takes once the chain is gone
    **dict.fromkeys(
        ["seems", "appears", "tries", "attempts", "wants", "intends", "plans", "decides"], "3sg"
    ),
    **dict.fromkeys(
        ["seemed", "appeared", "tried", "attempted", "wanted", "intended", "planned", "decided"],
        "past",
    ),
    **dict.fromkeys(["seem", "appear", "try", "attempt", "want", "intend", "plan"], "base"),
    **dict.fromkeys(["trying", "attempting", "seeming", "appearing"], "ing"),
}
CHAIN_LINKS = {"to", "be", "trying", "attempting", "try", "attempt", "seen", "shown", "being"}
BE_FORM = {"3sg": "is", "past": "was", "base": "be", "ing": "being"}
FILLER_CHAIN = {"is", "are", "was", "were", "can", "be", "seen", "shown", "to", "being"}
# aspect and ability before a verb ("goes on to place", "manages to lift", "is able to push",
# "succeeds in opening"): not speculation, but a chain the verb's claim starts at
ASPECT = re.compile(
    r"\b(?:(?:goes|went|proceeds|proceeded|manages|managed|continues|continued|begins|began|"
    r"starts|started) (?:on )?to|(?:is|was) able to|succeeds in|succeeded in)\s+(?=[a-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Hedge:
    """A chain of modal, speculative or filler verbs before the verb that says what happens:
    'seems to be trying to' before 'lift'. `plain` is the text that replaces
    text[start:head_end] once the chain is gone ('lifts')."""

    start: int
    end: int  # end of the chain (the head verb starts after it)
    head_start: int
    head_end: int
    plain: str
    speculative: bool  # False: only "is seen" / "can be seen" (filler, not a claim of intent)


def hedges(text: str) -> list[Hedge]:
    """Every hedge chain in the text, in order."""
    words = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(text)]
    out: list[Hedge] = []
    i = 0
    while i < len(words):
        s, _, w = words[i]
        nxt = words[i + 1][2] if i + 1 < len(words) else ""
        form: str | None = None
        j = i
        if w in SPEC_OPENERS and (nxt == "to" or w in ("seems", "appears", "seem", "appear")):
            form, j = SPEC_OPENERS[w], i + 1
        elif w in ("is", "are", "was", "were") and nxt in ("trying", "attempting", "seen", "shown"):
            form = {"is": "3sg", "are": "base", "was": "past", "were": "past"}[w]
            j = i + 1
        elif w == "can" and nxt == "be" and i + 2 < len(words) and words[i + 2][2] == "seen":
            form, j = "3sg", i + 1
        if form is None:
            i += 1
            continue
        while j < len(words) and (
            words[j][2] in CHAIN_LINKS or (words[j][2] in SPEC_OPENERS and words[j - 1][2] == "to")
        ):
            j += 1
        if j >= len(words) or j == i:
            i += 1
            continue
        # the chain must be contiguous words (no punctuation inside)
        if re.search(r"[,;:.!?]", text[s : words[j][0]]):
            i += 1
            continue
        hs, he, head = words[j]
        chain = [x[2] for x in words[i:j]]
        adverb = ""
        if (
            chain[-1] == "to"
            and head.endswith("ly")
            and _adverb(head)
            and j + 1 < len(words)
            and not re.search(r"[,;:.!?]", text[he : words[j + 1][0]])
            and verb_lemma(words[j + 1][2])
        ):
            # "appears to successfully grasp it" -> "successfully grasps it"
            adverb = text[hs:he] + " "
            j += 1
            hs, he, head = words[j]
        speculative = any(x not in FILLER_CHAIN for x in chain)
        lemma = verb_lemma(head)
        ends_be = chain[-1] in ("be", "being") or (len(chain) == 1 and chain[0] in SPEC_OPENERS)
        if head in NEGATORS or head in ("able", "unable"):
            i = j
            continue
        if lemma and head.endswith("ing") and chain[-1] != "to":
            plain = inflect(lemma, form)  # "is seen closing", "seems to be pushing"
        elif ends_be:
            plain = BE_FORM[form] + " " + text[hs:he]  # "appears to be completed" -> "is completed"
        elif chain[-2:] == ["be", "to"]:  # "the goal seems to be to move it" -> "is to move it"
            plain = f"{BE_FORM[form]} to {text[hs:he]}"
        elif lemma and chain[-1] == "to":
            plain = inflect(lemma, form)
        else:
            i = j
            continue
        cut_end = words[j - 1][1] if not adverb else words[j - 2][1]
        out.append(Hedge(s, cut_end, hs, he, adverb + plain, speculative))
        i = j
    taken = {h.head_start for h in out}
    for m in ASPECT.finditer(text):
        head = _WORD.match(text, m.end())
        lemma = verb_lemma(head.group(0)) if head else None
        if head is None or lemma is None or m.end() in taken:
            continue
        first = m.group(0).split()[0].lower()
        form = (
            "past"
            if first
            in ("went", "proceeded", "managed", "continued", "began", "started", "was", "succeeded")
            else "3sg"
        )
        plain = inflect(lemma, form)
        out.append(Hedge(m.start(), m.end() - 1, head.start(), head.end(), plain, False))
    return sorted(out, key=lambda h: h.start)


# ---------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """One claim: the event, its caption span, and how it was said."""

    # grasp | lift | arrive | push | press | open | close | contact | release |
    # gripper_open | gripper_close
    event: str
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
    hedge: Hedge | None = None  # "seems to be trying to" before the verb
    approach: bool = False  # a contact said as a motion onto the object ("moves above it")
    # where the clause's own subject starts when it is the object, not the robot ("the window
    # slides open"): a finding about the claim spans it, an edit of the verb keeps it
    subject_start: int | None = None

    def span(self, text: str) -> str:
        return text[self.start : self.end]

    @property
    def hedged(self) -> bool:
        return self.hedge is not None and self.hedge.speculative


@dataclass(frozen=True)
class Statement:
    """A stated failure or success that is not a single verb claim."""

    kind: str  # fail | success
    start: int
    end: int
    # task: about the task ("the task is completed"); negated_task: "the task is not
    # completed"; drop: the object slips or falls; state: an end state ("stays open"); other
    cause: str = "other"


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


@lru_cache(maxsize=4096)
def _adverb(word: str) -> bool:
    """Whether a word is only ever an adverb (lemminflect's tables): 'then', 'slowly'."""
    from lemminflect import getAllLemmas

    if word in ("not", "never", "then", "now", "also", "still"):
        return True
    return set(getAllLemmas(word)) == {"ADV"}


def _after_aux(before: str) -> bool:
    """Whether the words before a past participle end with an auxiliary, past any adverbs:
    'is', 'is then', 'gets slowly', 'is never': a passive."""
    for m in reversed(list(_WORD.finditer(before))):
        w = m.group(0).lower()
        if w in AUX:
            return True
        if not _adverb(w):
            return False
    return False


# a clause that is a passive: an auxiliary, adverbs, then a past participle ("is picked up")
PASSIVE_BEFORE = re.compile(
    r"\b(?:is|are|was|were|gets|got|being|been)\s+(?:\w+ly\s+|then\s+)?[a-z]+(?:ed|en|ut|up)\b",
    re.IGNORECASE,
)


def _antecedent(text: str, jpos: int) -> str:
    """The noun phrase a relative 'which' or 'that' at `jpos` stands for ('the red button,
    which is never pressed' -> 'the red button'); '' if none."""
    m = re.search(r"((?:the|a|an|its)\s+(?:[\w-]+\s+){0,2}[\w-]+)\s*,?\s*$", text[:jpos], re.I)
    return m.group(1) if m else ""


OBJECT_SUBJECT = re.compile(r"(?:the|a|an|its)\s+(?:[\w-]+\s+){0,2}[\w-]+\s+$", re.IGNORECASE)


def _object_subject(text: str, cs: int, start: int) -> int | None:
    """Where a claim's own subject starts, when the words from the clause start to the claim
    are a short noun phrase that is not the robot ('the puck reaches the target')."""
    before = text[cs:start]
    m = OBJECT_SUBJECT.fullmatch(before)
    if not m or ROBOT.search(before) or not any(n in before.lower().split() for n in NOUNS):
        return None
    return cs


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
        r"\s*(?:(?:up|down|over|above|onto|on|toward|towards|for|with|at|to|against|around|"
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


def _classify(lemma: str, after: str, kind: str | None, subject: str) -> tuple[str | None, bool]:
    """The event a verb phrase claims, and whether it also claims a lift ('picks up')."""
    base = EVENT_OF[lemma]
    low = after.lower()
    articulated = kind in ARTICULATED
    if re.match(r"\s*(?:only\s+)?(?:partway|partially|partly|halfway|part of the way)\b", low):
        return None, False  # "closes partway": a failure, said by its statement
    if base == "grasp":
        if lemma == "pick":
            return (
                ("grasp", True)
                if re.match(r"\s*(?:up\b|\w+ up\b|the \w+ up\b|the \w+ \w+ up\b)", low)
                else (None, False)
            )
        if lemma == "hold" and re.match(r"\s*(?:still|steady|position|in place|its)", low):
            return None, False
        if (
            lemma == "hold"
            and kind not in FREE_OBJECT_TASKS
            and re.match(
                r"\s*(?:(?:it|them|the \w+(?: \w+)?)\s+)?(?:still|steady|in place|in position|"
                r"there|down|in the \w+ position|until|through|against|pressed|shut|closed|open)\b",
                low,
            )
        ):
            return None, False  # keeping a button down or a drawer shut: contact, not a grasp
        return "grasp", False
    if base == "close" and re.match(
        r"\s*(?:(?:its|the) (?:gripper|fingers|claw|jaws) |it |them )?(?:firmly |tightly )?"
        r"(?:on|around|onto|over)\b",
        low,
    ):
        return "grasp", False
    if base in ("open", "close"):
        first = re.match(r"\s*(?:(?:its|the|their)\s+)?(\w+)", low)
        obj_word = first.group(1) if first else ""
        if GRIPPER.search(obj_word) or (
            GRIPPER.search(subject) and not re.match(r"\s*(?:the|it|its|a|an)\b", low)
        ):
            return ("gripper_" + base), False
        if kind in FREE_OBJECT_TASKS:
            return None, False  # something else opening or closing, not the task's object
        return base, False
    if base == "lift":
        first = low.split()[0] if low.split() else ""
        if first in LIFT_NOT_OBJECT or not first:
            return None, False
        return "lift", False
    arrival = bool(ARRIVAL.search(low)) and not (
        NOT_ARRIVAL.search(low) and NOT_ARRIVAL.search(low).start() < ARRIVAL.search(low).start()  # type: ignore[union-attr]
    )
    if base == "place":
        if lemma == "position" and not arrival:
            return None, False
        return "arrive", False
    if base == "release":
        if lemma == "drop" and re.match(r"\s*(?:it|the \w+(?: \w+)?) off\b", low):
            return "arrive", False
        if lemma == "let":
            m = re.search(r"\b(?:fall|swing|slide)\s+(shut|closed|open)\b", low)
            if m:
                return ("open" if m.group(1) == "open" else "close"), False
            if re.match(r"\s*go\b", low):
                return "release", False
            return None, False
        return ("arrive" if arrival else "release"), False
    if base == "contact":
        if lemma == "reach" and re.match(r"\s*(?:for|toward|towards|out)\b", low):
            return None, False
        return "contact", False
    if lemma == "fall":  # the object falling: only "falls shut" says anything about the task
        m = re.match(r"\s*(shut|closed|open)\b", low)
        return (("open" if m.group(1) == "open" else "close"), False) if m else (None, False)
    if base in ("push", "press", "carry"):
        if articulated:
            bare = ATTRIBUTIVE_STATE.sub(" ", low)
            bare = re.sub(r"\b(?:the|an|its) open\b", "the", bare)
            states = re.findall(r"\b(open|closed|shut)\b", bare)
            if states:
                return ("open" if states[-1] == "open" else "close"), False
            if OPEN_WORDS.search(bare):
                return "open", False
            if CLOSE_WORDS.search(bare):
                return "close", False
            if (
                "handle" in low or base == "press" or re.match(r"\s*(?:at\s+|on\s+)?it\b", low)
            ) and not re.match(r"\s*(?:\w+\s+)?(?:toward|towards|to|near)\b", low):
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
    return None, False


def _speculation_ranges(text: str) -> list[tuple[int, int]]:
    from agent.guidelines._lint import lint

    return [(w.start, w.end) for w in speculation_spans(text, lint(text)) if w.clause]


def find_claims(
    text: str, task: str | None = None, skip: list[tuple[int, int]] | None = None
) -> tuple[list[Claim], list[Statement]]:
    """Every claim in `text` with its span, and the outcome statements. Clauses inside `skip`
    ranges (speculative clauses such as ', apparently trying to line it up') are not claims of
    what happened; a verb after a hedge chain is a claim marked `hedged`."""
    kind = task_kind(task)
    skip = skip if skip is not None else _speculation_ranges(text)
    heads = {h.head_start: h for h in hedges(text)}
    claims: list[Claim] = []
    prev_clause = ""
    for cs, ce, joint, jpos in _clauses_at(text):
        cs, ce = _strip(text, cs, ce)
        # a purpose adjunct inside the clause ("carries it toward the target in an effort to
        # place it there"): the clause's claim stops where the adjunct starts
        inner_skip = [a for a, b in skip if cs < a < ce]
        if inner_skip:
            ce = _strip(text, cs, min(inner_skip))[1]
        clause_text = text[cs:ce]
        if any(a <= cs < b or a < ce <= b for a, b in skip):
            prev_clause = clause_text
            continue
        words = list(_WORD.finditer(text, cs, ce))
        negator: int | None = jpos if joint in ("without", "instead of") else None
        if joint == "before" and re.search(
            r"\b(?:stops?|stopping|halts?|pauses?|short)\b", prev_clause, re.I
        ):
            negator = jpos  # "stops short before touching it": no touch
        before_clause, prev_clause = prev_clause, clause_text
        prev: str = ""
        prev_prev: str = ""
        for w in words:
            low = w.group(0).lower().replace("’", "'")
            if (
                low in NEGATORS
                or low.endswith("n't")
                or (low == "to" and prev in ("fails", "failed", "unable", "failing"))
            ):
                if negator is None:
                    negator = w.start()
                    if low == "to":
                        negator = w.start() - len(prev) - 1
                        if prev == "unable" and re.search(r"\b(?:is|are)\s+$", text[cs:negator]):
                            negator = cs + re.search(r"\b(?:is|are)\s+$", text[cs:negator]).start()  # type: ignore[union-attr]
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
            hedge = heads.get(w.start())
            if (
                entry
                and form == "base"
                and prev not in BASE_OK_AFTER
                and hedge is None
                and lemma not in ("set", "put", "shut", "let")
            ):
                prev_prev, prev = prev, low
                continue
            if (
                entry
                and form == "ed"
                and (
                    prev in DETERMINERS | STATE_VERBS
                    or (prev == "up" and prev_prev in ("ends", "end"))
                )
            ):
                prev_prev, prev = prev, low
                continue
            if entry and lemma in ("set", "put", "shut") and prev in DETERMINERS:
                prev_prev, prev = prev, low
                continue
            passive = (
                form == "ed"
                and (
                    _after_aux(text[cs : w.start()])
                    # "the puck is picked up and placed on the target": the passive's second verb
                    or (
                        joint == "and"
                        and not text[cs : w.start()].strip()
                        and PASSIVE_BEFORE.search(before_clause) is not None
                    )
                )
            )
            subject = text[cs : w.start()]
            zone = re.split(r"[,;:.!?]", text[: w.start()])[-1]  # 'the gripper then opens'
            if not subject.strip() or re.fullmatch(r"\s*(?:then|and|and then)?\s*", subject):
                subject = zone
            if passive and ROBOT.search(subject) and not any(n in subject.lower() for n in NOUNS):
                prev_prev, prev = prev, low
                continue  # "the arm is positioned above the table": nothing about the object
            participle = prev == "having" or (form == "ing" and w.start() == cs)
            verb_end = w.end()
            approach = False
            if contact:
                verb_end = contact.end()
                approach = contact.group("approach") is not None
                event, lifts_too = "contact", False
                first = contact.group(0).split()[0].lower()
                lemma = verb_lemma(first) or first
                form = "ing" if first.endswith("ing") else "ed" if first.endswith("ed") else "3sg"
                if lemma == "reach" and re.match(
                    r"\s*(?:for|toward|towards|out)\b", text[w.end() : ce], re.I
                ):
                    prev_prev, prev = prev, low
                    continue
                if lemma == "reach" and re.match(
                    r"\s*(?:the\s+|its\s+)?(?:\w+\s+)?(?:target|goal)\b", text[w.end() : ce], re.I
                ):
                    event, approach = "arrive", False  # "the puck reaches the target"
            else:
                after = text[w.end() : ce]
                if passive:
                    after = after + " " + text[cs : w.start()]
                    if joint in ("which", "that"):  # "the button, which is never pressed"
                        after += " " + _antecedent(text, jpos)
                event, lifts_too = _classify(lemma, after, kind, subject)
            if event is None:
                prev_prev, prev = prev, low
                continue
            if negator is None and re.match(r"\s*(?:nothing|no\b)", text[verb_end:ce], re.I):
                negator = w.start()  # "grasps nothing": a denial
            start = w.start()
            if passive:
                start = cs
            elif participle and prev == "having":
                start = w.start() - len("having") - 1
            elif event.startswith("gripper_") and GRIPPER.search(subject):
                m = re.search(
                    r"\b(?:the|its|their)\s+(?:\w+\s+)?(?:gripper|fingers|claw|jaws)",
                    text[cs : w.start()],
                    re.IGNORECASE,
                )
                start = cs + m.start() if m else start  # "the gripper opens"
            if hedge is not None:
                start = min(start, hedge.start)
            if negator is not None and not passive:
                start = min(start, negator)
            elif negator is not None and passive:
                start = cs
            if event == "contact" and not re.match(
                r"\s*(?:it|them|the|a|an|its|their|this|that)\b", text[verb_end:ce], re.I
            ):
                prev_prev, prev = prev, low
                continue  # "..., which it reaches at the end": the object is the antecedent
            end = ce
            inner = [a for a, b in skip if verb_end <= a < ce]
            if inner:  # "pushes it closed in an attempt to ...": the claim stops at the hedge
                end = _strip(text, cs, min(inner))[1]
            obj = None if passive else object_np(text, verb_end, end)
            if passive:
                by = re.search(r"\s+by\b", text[verb_end:ce])
                end = verb_end + by.start() if by else ce
            claims.append(
                Claim(
                    event=event,
                    start=start,
                    end=end,
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
                    hedge=hedge,
                    approach=approach,
                    subject_start=_object_subject(text, cs, start) if not passive else None,
                )
            )
            break
    return claims, statements(text, kind, skip)


# ---------------------------------------------------------------- gripper states

_GRIPPER_NOUN = r"(?:two-finger(?:ed)? |two )?(?:gripper|fingers|claw|claws|jaws)(?: fingers)?"
GRIPPER_STATE = re.compile(
    # "with its gripper open", "keeping its gripper wide open", "with the fingers spread apart"
    rf"\b(?:with|keeping|holding|leaving) (?:its|the|their) {_GRIPPER_NOUN} "
    r"(?P<mod>(?:(?:still|already|wide|fully|completely|spread|kept|held)\s+)*)"
    r"(?P<state>open|opened|closed|shut|apart)\b|"
    # "its open gripper", "the closed gripper"
    rf"\b(?:its|the|their) (?P<mod2>(?:fully |wide )?)(?P<state2>open|opened|closed) "
    rf"{_GRIPPER_NOUN}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GripperState:
    """A caption's word for the gripper's state during a step ('with its gripper open'):
    `state` is 'open' or 'closed'; [word_start, word_end) the words to swap if it is wrong
    (the state word with its modifiers: 'wide open', 'spread open')."""

    start: int
    end: int
    state: str
    word_start: int
    word_end: int


def gripper_states(text: str, skip: list[tuple[int, int]] | None = None) -> list[GripperState]:
    """Every gripper state attribute in the text, outside speculative ranges."""
    out = []
    for m in GRIPPER_STATE.finditer(text):
        if any(a <= m.start() < b for a, b in skip or []):
            continue
        group = "state" if m.group("state") else "state2"
        mod = "mod" if group == "state" else "mod2"
        word = m.group(group).lower()
        state = "open" if word in ("open", "opened", "apart") else "closed"
        ws = m.start(mod) if m.group(mod) else m.start(group)
        out.append(GripperState(m.start(), m.end(), state, ws, m.end(group)))
    return out


# ---------------------------------------------------------------- retreats

RETREAT = re.compile(
    r"\b(?P<lead>(?:and then|and|then|before|after)\s+)?"
    r"(?P<verb>retract(?:s|ed|ing)?|withdraw(?:s|n|ing)?|withdrew|returns?|returning|returned|"
    r"(?:moves?|moving|pulls?|pulling|backs?|backing|goes|going)(?:\s+itself)?\s+(?:back|away))\b"
    r"(?!\s+and\s+forth)"
    r"(?P<home>(?:\s+(?:up|back|away))?\s+to\s+(?:its|the)\s+(?:starting|start|original|initial|"
    r"home|neutral|rest(?:ing)?)\s+(?:position|pose|point|location|place|spot)|"
    r"\s+to\s+where\s+it\s+(?:started|began))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Retreat:
    """The arm said to move back or away at the end ('before retracting to its starting
    position', 'then moves away'); `home` when it is said to reach where it started."""

    start: int
    end: int
    home: bool


def retreats(text: str, skip: list[tuple[int, int]] | None = None) -> list[Retreat]:
    """Retreats of the arm: the verb's subject is the robot (the clause before it names no
    object of the task); 'returns' only with where it returns to."""
    out = []
    for m in RETREAT.finditer(text):
        if any(a <= m.start() < b for a, b in skip or []):
            continue
        verb = m.group("verb").lower()
        if verb.startswith("return") and not m.group("home"):
            continue  # "returns the puck": not a retreat
        clause = re.split(r"[,;:.!?]|\b(?:and|but|which|while|as)\b", text[: m.start("verb")])[-1]
        words = clause.lower().split()
        if any(w in NOUNS for w in words) and not ROBOT.search(clause):
            continue  # "the puck moves away"
        out.append(Retreat(m.start(), m.end(), bool(m.group("home"))))
    return out


# ---------------------------------------------------------------- directions

UP_WORDS = {"up", "upward", "upwards"}
DOWN_WORDS_V = {"down", "downward", "downwards"}
# verbs that say a direction by themselves (a lift goes up, a lowering goes down)
RAISING = {"lift", "raise", "hoist", "elevate"}
IN_WORDS = {"in", "inward", "inwards"}
DIRECTION = re.compile(
    r"\b(?P<verb>[A-Za-z]+)\s+(?P<obj>it|them|the\s+(?:[\w-]+\s+){0,2}?[\w-]+)\s+"
    r"(?P<dir>upwards?|downwards?|up|down|inwards?|outwards?|in|out)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Direction:
    """A step said with a direction ('pushes the window pane upward', 'pushes the drawer
    out'): the verb's lemma, where the verb and the direction word are, and the direction
    ('up' | 'down' | 'in' | 'out')."""

    lemma: str
    verb_start: int
    verb_end: int
    dir_start: int
    dir_end: int
    direction: str


def directions(text: str, skip: list[tuple[int, int]] | None = None) -> list[Direction]:
    """Steps that move the task's object up, down, in or out, by a verb of the lexicon
    followed by its object and the direction word; phrasal verbs whose particle is no
    direction ('picks it up', 'sets it down', 'holds it down') are not steps of this kind."""
    out = []
    for m in DIRECTION.finditer(text):
        lemma = verb_lemma(m.group("verb"))
        obj = m.group("obj").lower().split()
        if (
            lemma not in EVENT_OF
            or lemma in ("pick", "set", "put", "hold", "let", "drop", "place", "position")
            or any(a <= m.start() < b for a, b in skip or [])
            or (obj[0] not in ("it", "them") and not any(w in NOUNS for w in obj))
            or GRIPPER.search(m.group("obj"))
        ):
            continue
        word = m.group("dir").lower()
        way = (
            "up"
            if word in UP_WORDS
            else "down"
            if word in DOWN_WORDS_V
            else "in"
            if word in IN_WORDS
            else "out"
        )
        out.append(
            Direction(lemma, m.start("verb"), m.end("verb"), m.start("dir"), m.end("dir"), way)
        )
    return out


# ---------------------------------------------------------------- outcome statements

_NEG_BEFORE = re.compile(
    r"\b(?:not|never|without|fails? to|failed to|failing to|unable to|n't)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
# (pattern, kind, cause, needs a subject that is not the robot)
_STATEMENT_PATTERNS: list[tuple[re.Pattern[str], str, str, bool]] = [
    (re.compile(p, re.IGNORECASE), k, c, o)
    for p, k, c, o in [
        (r"\b(?:fails|failed)\b(?!\s+to)", "fail", "task", False),
        (
            r"\b(?:is|was|are|remains|proves) (?:not successful|unsuccessful)\b",
            "fail",
            "negated_task",
            False,
        ),
        (r"\bunsuccessful(?:ly)?\b|\bnot successful\b|\bwithout success\b", "fail", "task", False),
        (
            r"\btask (?:is|was|has|remains) (?:not|never|un)\s*(?:been )?(?:\w+ )?"
            r"(?:completed|accomplished|achieved|done|finished|successful|complete)\b",
            "fail",
            "negated_task",
            False,
        ),
        (
            r"\b(?:(?:does|did|do) not|doesn't|didn't|not|never|without|fails to|failing to|"
            r"unable to) (?:manage to |able to |"
            r"succeed in |quite )?(?:successfully )?"
            r"(?:complet\w*|accomplish\w*|finish\w*) (?:the |its )?(?:[\w-]+ )?task\b",
            "fail",
            "negated_task",
            False,
        ),
        # the task's failure in general words: "does not succeed", "fails to achieve its
        # goal", "ends in failure", "the attempt is a failure"
        (
            r"\b(?:does not|doesn't|did not|didn't|never|cannot|can't|not) (?:\w+ )?"
            r"succeed(?:s|ed|ing)?\b",
            "fail",
            "task",
            False,
        ),
        (
            r"\b(?:fails?|failed|failing|unable|not able) to (?:achieve|accomplish|attain|meet) "
            r"(?:the |its )?(?:[\w-]+ )?(?:goal|objective|aim|task)\b",
            "fail",
            "task",
            False,
        ),
        (
            r"\b(?:ends?|ending|ended|results?|resulting|resulted) in (?:a )?failure\b|"
            r"\b(?:is|was|proves|ends as|counts as) (?:a |an )?(?:(?!not\b|never\b)\w+ )?failure\b",
            "fail",
            "task",
            False,
        ),
        (
            r"\b(?:does not|doesn't|did not|didn't|never) (?:end up|land|come to rest|arrive|"
            r"settle) (?:\w+ )?(?:on|at|in|onto|inside|within) (?:top of )?(?:the )?(?:\w+ )?"
            r"(?:target|goal)\b",
            "fail",
            "other",
            True,
        ),
        (r"\bunpressed\b", "fail", "other", True),
        # the object away from the target: "is not on the target", "is still far from it"
        (
            r"\b(?:is|remains|stays|ends up|sits|lies|rests) (?:still |now )?(?:not |never )"
            r"(?:on|at|in|onto|inside) (?:the )?(?:\w+ )?(?:target|goal)\b|"
            r"\b(?:is|remains|stays|ends up|sits|lies|rests) (?:still |now )?"
            r"(?:far |some distance |well |a (?:few|couple of) [\w-]+ |several [\w-]+ )"
            r"(?:away )?from (?:the )?(?:\w+ )?"
            r"(?:target|goal)\b",
            "fail",
            "other",
            True,
        ),
        (r"\bmisplac(?:es|ed|ing)\b", "fail", "other", False),
        (
            r"\b(?:does not|doesn't|did not|didn't|never|fails? to|failed to|failing to|unable to|"
            r"cannot|can't) (?:get|make) (?:it |the \w+ )?(?:it )?(?:all the way )?"
            r"(?:to|onto|into|on) (?:the )?(?:\w+ )?(?:target|goal)\b",
            "fail",
            "other",
            False,
        ),
        (
            r"\b(?:does not|doesn't|did not|didn't|never) (?:go|sink|get pushed|get pressed) "
            r"(?:down|in)\b",
            "fail",
            "other",
            True,
        ),
        (r"\bmiss(?:es|ed|ing)\b|\bovershoot(?:s|ing)?\b", "fail", "other", False),
        (
            r"\b(?:stops|halts|stopping|halting) (?:just |well )?(?:before|short of) (?:reaching )?"
            r"(?:the )?(?:\w+ )?(?:target|goal)\b",
            "fail",
            "other",
            False,
        ),
        (r"\b(?:is |are |remains |stays )?(?:left )?untouched\b", "fail", "other", True),
        (
            r"\bincomplete\b|\bunfinished\b|"
            r"\bnot (?:fully |yet )?(?:completed|accomplished|achieved|finished)\b",
            "fail",
            "negated_task",
            False,
        ),
        (
            r"\b(?:ends up|ending up|lands|landing|comes to rest|coming to rest|rests|resting|"
            r"sits|sitting|stops|stopping) (?:just |slightly )?(?:next to|beside|near|short of|"
            r"outside|off|in front of|behind|before|away from|to the (?:left|right|side) of) "
            r"(?:the )?(?:\w+ )?(?:target|goal)\b",
            "fail",
            "other",
            True,
        ),
        (
            r"\b(?:stops|stopping|falls|falling|ends up|lands|comes up) short\b",
            "fail",
            "other",
            False,
        ),
        (r"\bshort of (?:the )?(?:\w+ )?(?:target|goal)\b", "fail", "other", False),
        (r"\bbarely (?:moves|opens|closes|budges|shifts|slides)\b", "fail", "other", False),
        # a failure in other words: a participle, a jam, giving up, a token movement
        (r"\bfailing (?:at )?(?:the |its |this )?(?:[\w-]+ )?task\b", "fail", "task", False),
        (
            r"\b(?:is|appears to be|seems to be|gets|got|remains|stays|becomes|being) "
            r"(?:\w+ )?(?:stuck|jammed|blocked)\b",
            "fail",
            "other",
            True,
        ),
        (r"\b(?:gives|giving|gave) up\b", "fail", "other", False),
        (
            r"\bonly (?:moves|opens|closes|slides|shifts|budges|rises|goes|travels|turns)"
            r"(?: (?:it|the \w+))? (?:a (?:little|bit|crack|few [\w-]+|small amount|fraction)|"
            r"slightly|marginally)\b|\b(?:opens|closes|moves) only (?:a (?:little|bit|crack)|"
            r"slightly)\b",
            "fail",
            "other",
            False,
        ),
        (
            r"\b(?:stops|stopping|halts|halting|stalls|stalling) (?:\w+ )?(?:partway|halfway|"
            r"midway|part of the way|partially)\b",
            "fail",
            "other",
            False,
        ),
        (r"\b(?:appears?|seems?|appearing|seeming) to (?:\w+ )?miss\b", "fail", "other", False),
        (
            r"\b(?:does not|doesn't|did not|never|cannot|can't) (?:reach|get to|arrive at) "
            r"the (?:\w+ )?(?:target|goal)\b",
            "fail",
            "other",
            False,
        ),
        (r"\bdrops (?:it|the \w+(?: \w+)?) (?:before|early|short)\b", "fail", "drop", False),
        (
            r"\b(?:stays|remains|remain|stay|is left|sits|staying|remaining) "
            r"(?:where it (?:is|was)|in place|still|unmoved|stationary|motionless|unchanged|put|"
            r"in (?:its|the same) (?:original |starting |initial )?(?:place|position|spot))\b",
            "fail",
            "other",
            True,
        ),
        (
            r"\b(?:does not|doesn't|did not|never) (?:seem to |appear to )?(?:move|budge|shift|"
            r"respond|react|activate|click|register|give way)\b",
            "fail",
            "other",
            True,
        ),
        (r"\bnothing (?:moves|happens|changes)\b", "fail", "other", False),
        (
            r"\b(?:slips|slipping|slides|falls|falling|drops|dropping|tumbles) "
            r"(?:out|from|off|away|back|free)\b|\bfalls (?:off|to the table|before)\b",
            "fail",
            "drop",
            True,
        ),
        (
            r"\b(?:only |just )?(?:closes|opens|moves|slides|goes|pushes|pulls|gets)"
            r"(?: (?:it|the \w+))? (?:only )?"
            r"(?:partway|partially|partly|halfway|part of the way)\b|"
            r"\b(?:partially|partly|halfway|half) (?:open|closed|shut)\b",
            "fail",
            "state",
            True,
        ),
        (
            r"\bsuccessful\b|\bsuccessfully\b(?!\s+(?!complet|accomplish|finish)[a-z]+(?:s|ed|ing)\b)"
            r"|\bsucceed(?:s|ed)?\b(?!\s+in\b)|\bwith success\b",
            "success",
            "task",
            False,
        ),
        (
            r"\b(?:ends up|ending up|lands|landing|comes to rest|coming to rest|rests|resting|"
            r"sits|sitting|stops|stopping|arrives|arriving) (?:right |exactly |squarely )?"
            r"(?:on|at|in|inside|onto|within) (?:top of )?(?:the )?(?:\w+ )?(?:target|goal)\b",
            "success",
            "place",
            True,
        ),
        (
            r"\bcomplet(?:es|ing|ed|e) (?:the |its )?(?:[\w-]+ )?(?:task|objective)\b",
            "success",
            "task",
            False,
        ),
        (
            r"\btask (?:is|was|has been|ends up|is now|appears to be|seems to be) (?:\w+ )?"
            r"(?:completed|accomplished|achieved|done|finished|complete)\b",
            "success",
            "task",
            False,
        ),
        (
            r"\baccomplish(?:es|ing|ed)? (?:the |its )?(?:[\w-]+ )?(?:task|goal|objective)\b|"
            r"\bachiev(?:es|ing|ed) (?:the |its )?(?:goal|objective|aim)\b",
            "success",
            "task",
            False,
        ),
        # success in general words: "the goal is achieved", "succeeds in the task", "ends in
        # success"
        (
            r"\b(?:goal|objective|aim) (?:is|was|has been|appears to be|seems to be) (?:\w+ )?"
            r"(?:achieved|accomplished|attained|met|fulfilled)\b",
            "success",
            "task",
            False,
        ),
        (
            r"\bsucceed(?:s|ed|ing)? (?:in|at) (?:the |its |this )?(?:[\w-]+ )?task\b|"
            r"\b(?:ends?|ending|ended|results?|resulting|resulted) in (?:a )?success\b|"
            r"\b(?:is|was|proves) (?:a |an )?(?:\w+ )?success\b",
            "success",
            "task",
            False,
        ),
    ]
]
_DROP_ONLY_CARRY = re.compile(r"\b(?:the \w+ |it )(?:drops|falls)\b|\band (?:then )?falls\b", re.I)
# a free object put back where it started: the task is undone, whatever else the caption says
RETURNED = re.compile(
    r"\b(?P<verb>[a-z]+(?:s|ing))\s+(?P<obj>it|the\s+(?:[\w-]+\s+)?[\w-]+)\s+back\s+(?:down\s+)?"
    r"(?:onto|to|into|on|in|at)\s+(?:its|the)\s+(?:starting|start|original|initial)"
    r"(?:\s+(?:position|place|spot|location|point))?\b|"
    r"\bback\s+(?:to\s+)?where\s+it\s+(?:started|began|was)\b",
    re.IGNORECASE,
)
STATE_END = re.compile(
    r"\b(?:stays|remains|is left|leaves (?:it|the \w+)|leaving (?:it|the \w+)|ends up|ending up|"
    r"ends|is|are|sits|staying|remaining|being)\s+"
    r"(?:(?:still|fully|completely|firmly|now|wide|slightly|somewhat)\s+)?"
    r"(open|closed|shut|ajar)\b(?!\s+(?:gripper|drawer|window|door))",
    re.IGNORECASE,
)
_LEFT_WORDS = re.compile(
    r"[,;:.!?]|\b(?:but|so|however|where|which|because|though|although|yet|while|whereas|"
    r"then|and)\b",
    re.IGNORECASE,
)
_RIGHT_WORDS = re.compile(
    r"[,;:.!?]|\b(?:but|so|however|where|which|though|although|yet|while|whereas|then)\b|"
    r"\band\s+(?=(?:the|a|an|it|its|this|that|nothing|then)\b)",
    re.IGNORECASE,
)
_SUBJECTISH = re.compile(r"\s*(?:the|a|an|it|its|this|that|nothing|they)\b", re.IGNORECASE)


def _segment(text: str, s: int, e: int) -> tuple[int, int, bool]:
    """The clause around a statement at [s, e): from its own subject (or from the match when the
    subject is the robot) to the next clause boundary. Also whether that subject is the robot."""
    left = 0
    for m in _LEFT_WORDS.finditer(text, 0, s):
        if m.group(0).lower() == "and" and not (
            _SUBJECTISH.match(text, m.end()) or re.fullmatch(r"(?:\s*\w+ly)*\s*", text[m.end() : s])
        ):
            continue
        left = m.end()
    right = len(text)
    m = _RIGHT_WORDS.search(text, e)
    if m:
        right = m.start()
    left, right = _strip(text, left, right)
    subject = text[left:s]
    robot = bool(ROBOT.search(subject))
    if not subject.strip():
        # no subject of its own ("..., and then remains motionless"): the sentence's subject
        sentence = re.split(r"[.!?;]\s", text[:left])[-1]
        robot = bool(ROBOT.search(" ".join(sentence.split()[:4])))
    return (s if robot or not subject.strip() else left), max(right, e), robot


# the goal state denied by a verb: "it does not fully close", "the drawer never opens"
NOT_STATE = re.compile(
    r"\b(?:does not|doesn't|did not|didn't|never|fails to|failed to) (?:\w+ )?"
    r"(?:fully |completely |quite |all the way )?(?:slide )?(open|close|shut)\b"
    r"(?!\s+(?:its|the|it|them|his|her)\b)",
    re.IGNORECASE,
)


def statements(text: str, kind: str | None, skip: list[tuple[int, int]]) -> list[Statement]:
    """Outcome statements (see the module's grammar, step 6)."""
    found: list[Statement] = []
    for rx, k, cause, object_subject in _STATEMENT_PATTERNS:
        for m in rx.finditer(text):
            if any(a <= m.start() < b for a, b in skip):
                continue
            if k == "success" and (
                _NEG_BEFORE.search(text[: m.start()])
                or re.search(r"\b(?:not|never|n't)\b", m.group(0), re.IGNORECASE)
            ):
                continue  # "not completing the task" is a failure, found by its own pattern
            start, end, robot = _segment(text, m.start(), m.end())
            if object_subject and robot:
                continue  # "the arm stays in place": not the object
            found.append(Statement(k, start, end, cause))
    if kind == "pick_place":
        for m in _DROP_ONLY_CARRY.finditer(text):
            start, end, robot = _segment(text, m.start(), m.end())
            if not robot and not any(a <= m.start() < b for a, b in skip):
                found.append(Statement("fail", start, end, "drop"))
    if kind in FREE_OBJECT_TASKS:
        for m in RETURNED.finditer(text):
            if any(a <= m.start() < b for a, b in skip):
                continue
            start, end, _ = _segment(text, m.start(), m.end())
            found.append(Statement("fail", start, end, "return"))
    goal = goal_state(kind)
    if goal is not None:
        # "but it does not fully close": the goal's state denied
        for m in NOT_STATE.finditer(text):
            if any(a <= m.start() < b for a, b in skip):
                continue
            start, end, robot = _segment(text, m.start(), m.end())
            said = "open" if m.group(1).lower() == "open" else "close"
            if robot or said != goal or GRIPPER.search(text[start : m.start()]):
                continue
            found.append(Statement("fail", start, end, "state"))
        for m in STATE_END.finditer(text):
            if any(a <= m.start() < b for a, b in skip):
                continue
            start, end, robot = _segment(text, m.start(), m.end())
            if GRIPPER.search(text[start : m.start()]) or (
                robot and GRIPPER.search(text[max(0, m.start() - 30) : m.start()])
            ):
                continue
            state = "open" if m.group(1).lower() in ("open", "ajar") else "close"
            found.append(Statement("success" if state == goal else "fail", start, end, "state"))
    return _merge_statements(text, found)


def _merge_statements(text: str, found: list[Statement]) -> list[Statement]:
    """Overlapping statements, and statements of one kind joined by 'and', make one span."""
    merged: list[Statement] = []
    for st in sorted(found, key=lambda x: (x.start, -x.end)):
        if merged:
            last = merged[-1]
            joined = re.fullmatch(r",?\s*(?:and\s+)?", text[last.end : st.start]) is not None
            if st.start < last.end or (joined and st.kind == last.kind):
                cause = last.cause if last.cause != "other" else st.cause
                merged[-1] = Statement(last.kind, last.start, max(last.end, st.end), cause)
                continue
        merged.append(st)
    return merged


# ---------------------------------------------------------------- speculation

SPEC_CLAUSE_OPENERS = re.compile(
    r"(?:apparently|seemingly|probably|likely|perhaps|maybe|presumably|possibly|trying to|"
    r"attempting to|in order to|in an attempt to|in an effort to|aiming to|intending to|"
    r"struggling to|so that|intends to|wants to|plans to|hopes|as if|as though|as intended|"
    r"as planned)\b",
    re.IGNORECASE,
)


# Purpose adjuncts: the whole phrase up to the clause's end is the intent, wherever it stands
# ("aligns itself with the drawer in order to close it, then ..."), not only its first words.
PURPOSE = re.compile(
    r"\b(?:in order to|in an attempt to|in an effort to|so as to|with the (?:intention|aim|"
    r"goal|purpose|idea) of|aiming to|aiming for|intending to|presumably to|preparing to|"
    r"in preparation for|hoping to|in (?:the )?hopes? of|as if|as though|"
    r"in what (?:appears|seems|looks) to be (?:an? )?(?:attempt|effort|bid|way) (?:to|of))\b",
    re.IGNORECASE,
)
# Where a speculative clause ends: punctuation, or a joint that starts the next step.
SPEC_CLAUSE_END = re.compile(
    r"[,;:.!?()]|\b(?:and then|then|but|before|after|while|however|yet|whereas)\b", re.IGNORECASE
)
# Speculation the built-in guideline's phrase list lacks (the linter is left as it is, so its
# warnings stay what they were): manner adverbs that say what the robot minds or intends
# ("cautiously", "precisely", "hesitantly"), unlike the manner a video shows ("slowly",
# "smoothly", "firmly"), and intent phrases that open a purpose adjunct.
OWN_SPECULATION = re.compile(
    r"\b(?:cautiously|precisely|hesitantly|confidently|delicately|skil(?:l)?fully|expertly|"
    r"deftly|purposefully|purposely|intentionally|methodically|meticulously|tentatively|"
    r"patiently|attentively|thoughtfully|eagerly|effortlessly|gracefully|elegantly|"
    r"determinedly|reluctantly|nervously|diligently|calmly|casually|with (?:great |some )?"
    r"(?:care|precision|ease|caution|effort)|with the (?:intention|aim|goal|purpose|idea) of|"
    r"so as to|preparing to|in preparation for|hoping to|in (?:the )?hopes? of|aiming for)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OwnWarning:
    """A speculation the drafter finds beyond the guideline's phrase list (the shape of a
    linter warning, so both go through `speculation_spans` alike)."""

    start: int
    end: int
    kind: str = "speculation"


def own_speculation(text: str, warnings: list) -> list[OwnWarning]:  # type: ignore[type-arg]
    """`OWN_SPECULATION` matches that no linter speculation warning already covers."""
    have = [(w.start, w.end) for w in warnings if w.kind == "speculation" and w.start >= 0]
    return [
        OwnWarning(m.start(), m.end())
        for m in OWN_SPECULATION.finditer(text)
        if not any(a < m.end() and m.start() < b for a, b in have)
    ]


@dataclass(frozen=True)
class SpecSpan:
    start: int
    end: int
    clause: bool  # the whole clause is speculative: remove it with its comma
    hedge: Hedge | None = None  # a chain before a verb: drop the chain, keep the verb


def speculation_spans(text: str, warnings: list) -> list[SpecSpan]:  # type: ignore[type-arg]
    """The linter's speculation warnings, widened to the whole clause when the clause opens
    with a hedge or an intent ('..., apparently trying to line it up.'): the intent is the
    speculation, not only the hedge word; and widened to the whole chain when the warning is
    part of a hedge chain before a verb ('seems to be trying to')."""
    chains = [h for h in hedges(text) if h.speculative]
    out: list[SpecSpan] = []
    found = [w for w in warnings if w.kind == "speculation" and w.start >= 0]
    for w in sorted([*found, *own_speculation(text, warnings)], key=lambda w: w.start):
        # a warning inside a purpose phrase ("in what appears to be an attempt to") stands for
        # the whole phrase
        around = next((m for m in PURPOSE.finditer(text) if m.start() < w.start < m.end()), None)
        if around is not None:
            w = OwnWarning(around.start(), around.end())
        before = text[: w.start].rstrip()
        clause_initial = before.endswith((",", "(")) or not before
        chain = next((h for h in chains if h.start <= w.start < h.end), None)
        opener = SPEC_CLAUSE_OPENERS.match(text, w.start) or PURPOSE.match(text, w.start)
        if (
            (clause_initial or PURPOSE.match(text, w.start))
            and opener
            and (
                chain is None
                or (
                    chain.start == w.start
                    and text[w.start : w.end].lower()
                    in ("trying to", "attempting to", "apparently", "seemingly")
                )
            )
        ):
            m = SPEC_CLAUSE_END.search(text, w.end)
            end = _strip(text, w.start, m.start() if m else len(text))[1]
            out.append(SpecSpan(w.start, end, True))
        elif chain is not None:
            out.append(SpecSpan(chain.start, chain.end, False, chain))
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
    """(states success, states failure) for the text. Hedged claims ('seems to push it') state
    neither."""
    claims, found = find_claims(text, task)
    kind = task_kind(task)
    goal = goal_event(kind)
    success = any(c.event in goal and not c.negated and not c.hedged for c in claims) or any(
        s.kind == "success" for s in found
    )
    failure = any(
        c.negated and not c.hedged and (c.event in goal or (c.event == "push" and kind == "push"))
        for c in claims
    ) or any(s.kind == "fail" for s in found)
    return success, failure


def contradiction(text: str, task: str | None) -> bool:
    """Whether the text states an outcome and its opposite."""
    success, failure = outcome_stated(text, task)
    return success and failure
