"""The check every offline rewrite passes before it is kept: never worse than the caption.

A rule-made rewrite can break a sentence in ways a reviewer notices at once and trusts the
drafter less for: a verb mangled into a non-word, both outcomes in one caption, a step denied
and then asserted, a clause cut down to a fragment, a guideline the caption kept and the
rewrite breaks (the guideline in force, passed by the drafter; the built-in one by default).
`rewrite_problems` names each of these, counting only what the rewrite adds
(a caption that already has a problem does not fail its rewrite for keeping it). The offline
drafter runs it on every edit it makes and keeps the caption's own text where an edit fails.

The checks are rules, like the claim finder they reuse: English words come from the linter's
spell checker and lemminflect's word tables (the spell checker alone accepts rare strings such
as "bes"); finite verbs from lemminflect's inflection tables.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from agent.drafting._claims import _WORD, NOUNS, ROBOT, contradiction, find_claims, verb_lemma
from agent.guidelines._rules import LintWarning, _speller

if TYPE_CHECKING:
    from agent.guidelines._guideline import Guidelines

COMMON_MIN_FREQ = 1000  # a word the spell checker has seen this often is English (the, onto, of)
FINITE_AUX = {
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "does",
    "do",
    "did",
    "can",
    "could",
    "will",
    "would",
    "may",
    "might",
    "must",
    "should",
    "shall",
    "cannot",
    "doesn't",
    "don't",
    "didn't",
    "isn't",
    "aren't",
    "wasn't",
    "won't",
    "can't",
}
NOT_FINITE_AFTER = {"having", "been", "being", "be", "to", "the", "a", "an", "its", "their", "his"}
PREPOSITIONS = {
    "before",
    "after",
    "without",
    "by",
    "while",
    "until",
    "with",
    "to",
    "toward",
    "towards",
    "on",
    "at",
    "into",
    "onto",
    "from",
    "across",
    "along",
    "over",
    "under",
    "above",
    "below",
    "beside",
    "near",
    "next",
    "through",
    "instead",
    "like",
    "as",
    "once",
    "when",
    "since",
    "for",
    "in",
    "around",
    "behind",
    "against",
    "off",
    "up",
    "down",
    "back",
    "out",
    "away",
    "again",
    "then",
    "there",
    "though",
    "although",
}
# joints after which a clause needs its own finite verb
NEEDS_VERB_AFTER = {"where", "which", "so", "because", ";"}
COORDINATORS = {"and", "but", "or", "yet"}
_UNITS = re.compile(
    r"([,;:])|\b(and then|and|but|or|yet|then|so|where|which|while|because|however)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=8192)
def english(word: str) -> bool:
    """Whether a word (any case, hyphenated parts each) is an English word: known to
    lemminflect's tables, or common in the spell checker's list, or a robotics word."""
    from lemminflect import getAllLemmas

    from agent.guidelines._guideline import default_guidelines

    vocabulary = default_guidelines().vocabulary  # the guideline's own words (robotics)
    low = word.lower().strip("'’-")
    if not low or low in vocabulary:
        return True
    parts = [p for p in re.split(r"[-'’]", low) if p]
    sp = _speller(vocabulary)
    for p in parts:
        if p in vocabulary or p in ("s", "t"):
            continue
        if not getAllLemmas(p) and sp.word_frequency[p] < COMMON_MIN_FREQ:
            return False
    return True


def _words(text: str) -> set[str]:
    return {m.group(0).lower().strip("'’-") for m in _WORD.finditer(text)}


def new_non_words(caption: str, rewrite: str, known: frozenset[str] = frozenset()) -> list[str]:
    """Words of the rewrite that are neither in the caption nor English nor `known` (a
    guideline's vocabulary and the words of its preferred terms)."""
    have = _words(caption) | known
    return sorted({w for w in _words(rewrite) if w not in have and not english(w)})


@lru_cache(maxsize=8192)
def _finite_form(word: str) -> bool:
    from lemminflect import getAllLemmas, getInflection

    if word in FINITE_AUX:
        return True
    for lemma in getAllLemmas(word).get("VERB", ()):
        if word in getInflection(lemma, "VBZ") or word in getInflection(lemma, "VBD"):
            return True
    return False


def has_finite_verb(text: str) -> bool:
    """Whether a stretch of text has a finite verb ('pushes', 'is', 'slid', 'does'), not only
    participles ('having pushed', 'completing')."""
    prev = ""
    for m in _WORD.finditer(text):
        w = m.group(0).lower().replace("’", "'")
        if _finite_form(w) and (prev not in NOT_FINITE_AFTER or w in FINITE_AUX):
            return True
        prev = w
    return False


def _ing_verb(word: str) -> bool:
    return word.endswith("ing") and verb_lemma(word) not in (None, word)


def _kind_of_unit(text: str) -> str:
    """finite | participial ('successfully completing the task') | prepositional |
    subject_nonfinite ('the arm leaving it open': a subject with no finite verb) | other."""
    if has_finite_verb(text):
        return "finite"
    words = [m.group(0).lower() for m in _WORD.finditer(text)]
    if not words:
        return "other"
    first = next((w for w in words if not w.endswith("ly")), words[0])
    if first in PREPOSITIONS:
        return "prepositional"
    if first == "having" or _ing_verb(first):
        return "participial"
    if any(_ing_verb(w) or w == "having" for w in words[1:]):
        return "subject_nonfinite"
    return "other"


# a clause that is only subordinate: it needs a main clause after its comma
SUBORDINATE_ONLY = re.compile(
    r"\s*(?:as|while|because|although|though|whereas|since|until|unless|if|when)\b", re.I
)
SUBJECT_START = re.compile(r"\s*(?:the|a|an|it|its|this|that|they)\b", re.IGNORECASE)


def _starts_with_finite_verb(unit: str) -> bool:
    first = _WORD.match(unit.strip())
    return bool(first) and _finite_form(first.group(0).lower()) and not SUBJECT_START.match(unit)


def fragments(text: str) -> list[str]:
    """Clauses a cut leaves without a verb, or a sentence left without its subject: a sentence
    with no finite verb at all, a clause after 'where', 'which', 'so', 'because' or a semicolon
    with none, a participle coordinated with a finite clause ('pulls and successfully completing
    the task'), a subject left alone before a joint ('..., the arm so the task fails'), and a
    sentence whose first finite clause has no subject ('Having lifted it, lifts it, ...')."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        body = sentence.strip().rstrip(".!?").strip()
        if not body:
            continue
        units: list[tuple[str, str]] = []  # (joint, text)
        pos, joint = 0, ""
        for m in _UNITS.finditer(body):
            units.append((joint, body[pos : m.start()]))
            joint, pos = (m.group(1) or m.group(2)).lower(), m.end()
        units.append((joint, body[pos:]))
        units = [(j, u.strip()) for j, u in units if u.strip()]
        if not has_finite_verb(body):
            out.append(body)
            continue
        for part in re.split(r";\s*", body):
            if SUBORDINATE_ONLY.match(part) and "," not in part:
                out.append(part.strip())  # "; as the arm moves away": no main clause

        first_finite = next((u for _, u in units if _kind_of_unit(u) == "finite"), "")
        if _starts_with_finite_verb(first_finite):
            out.append(first_finite)
        kinds = [_kind_of_unit(u) for _, u in units]
        for n, (j, u) in enumerate(units):
            nxt = units[n + 1][0] if n + 1 < len(units) else "."
            alone = kinds[n] == "other" and SUBJECT_START.match(u) and j not in COORDINATORS
            if alone and nxt not in (",", "and", "or", ":"):
                out.append(u)  # a subject whose verb a cut took away
            elif kinds[n] == "other" and SUBJECT_START.match(u) and nxt in ("but", "yet"):
                out.append(u)  # "..., and the window but does not slide open"
        prev_kind = ""
        for j, u in units:
            k = _kind_of_unit(u)
            if (
                (j in NEEDS_VERB_AFTER and k != "finite" and not (j == "so" and len(u.split()) < 3))
                or (j in COORDINATORS and k == "participial" and prev_kind == "finite")
                or k == "subject_nonfinite"
            ):
                out.append(u)
            prev_kind = k
    return out


# nouns a caption's "it" never stands for: the recording itself, and determiners lemminflect
# also lists as nouns ("In this video")
NOT_ANTECEDENTS = {
    *("video", "clip", "footage", "scene", "image", "frame", "camera", "view"),
    *("this", "that", "these", "those", "which", "what"),
}


@lru_cache(maxsize=8192)
def _object_noun(word: str) -> bool:
    from lemminflect import getAllLemmas

    if word in NOUNS:
        return word != "gripper"
    if word in NOT_ANTECEDENTS:
        return False
    lemmas = getAllLemmas(word)
    return "NOUN" in lemmas and "VERB" not in lemmas and not ROBOT.search(word)


def dangling_pronoun(text: str) -> bool:
    """Whether the first 'it' or 'them' comes before any noun it could stand for ('The arm does
    not lift it')."""
    m = re.search(r"\b(?:it|them)\b", text, re.IGNORECASE)
    if not m:
        return False
    return not any(_object_noun(w.group(0).lower()) for w in _WORD.finditer(text, 0, m.start()))


BROKEN = re.compile(
    r"\b(?:to|the|a|an|its|not|does|of|with)\s+(?:but|and|or|so|then)\b|"
    r"\b(?:it|them)\s+(?:target|goal|puck|button|drawer|window|handle|object)\b|"
    r"[,;:]\s*(?:[.!?]|$)|\b(\w+)\s+\1\b|"
    r"\b(?:however|and|but|so|then|yet|thereby|therefore|thus|while|whereas|after|before|which|"
    r"when|until|because|the|a|an|of|with)\s*[.!?;]|"
    r"(?:^|[.!?;]\s+)(?:the|a|an)\s+(?:[\w-]+\s+){0,2}(?:robot|arm|gripper)\s*,\s*(?:and|but|so)\b",
    re.IGNORECASE,
)


def broken_phrases(text: str) -> list[str]:
    """Joins a cut leaves: a function word before a conjunction ('goes on to but'), 'it'
    before a noun ('reach it target'), a comma before the full stop, a doubled word, a
    connective, subordinator or article left at the end of a sentence ('...; however.',
    '..., after.'), a sentence's robot subject left with no verb ('The robot, and ...')."""
    return [m.group(0) for m in BROKEN.finditer(text)]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def negated_beside_affirmed(text: str, task: str | None) -> list[str]:
    """Events a sentence both denies and asserts ('does not lift it ... lifts it'), or denies
    twice ('does not lift it but does not lift it high')."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+", text.strip()):
        claims, _ = find_claims(sentence, task)
        claims = [c for c in claims if not c.hedged]
        for event in sorted({c.event for c in claims}):
            same = [c for c in claims if c.event == event]
            neg = [c for c in same if c.negated]
            if neg and (len(neg) < len(same) or len(neg) > 1):
                out.append(event)
    return out


def _known_words(guidelines: Guidelines) -> frozenset[str]:
    return guidelines.vocabulary | {w.lower() for t in guidelines.terms for w in t.split()}


def _new_warnings(caption: str, rewrite: str, guidelines: Guidelines) -> list[LintWarning]:
    """The guideline's warnings of the rewrite the caption does not have. A warning about the
    whole text (its length, a missing outcome) is the same warning whatever the text, so a
    caption that had it does not fail its rewrite for keeping it."""

    def key(w: LintWarning) -> tuple[str, str]:
        return (w.kind, "" if w.start < 0 else w.text.lower())

    had = {key(w) for w in guidelines.lint(caption)}
    return [w for w in guidelines.lint(rewrite) if key(w) not in had]


def rewrite_problems(
    caption: str, rewrite: str, task: str | None, *, guidelines: Guidelines | None = None
) -> list[str]:
    """What the rewrite adds that the caption did not have: a word that is not English, an
    outcome stated with its opposite, a step denied beside its assertion, a fragment left by a
    cut, a warning of `guidelines` (default: the built-in guideline). Empty when the rewrite is
    no worse."""
    from agent.guidelines._guideline import default_guidelines

    guidelines = guidelines or default_guidelines()
    problems = []
    words = new_non_words(caption, rewrite, _known_words(guidelines))
    if words:
        problems.append("has words that are not English (" + ", ".join(map(repr, words)) + ")")
    if contradiction(rewrite, task) and not contradiction(caption, task):
        problems.append("states an outcome and its opposite")
    had = set(negated_beside_affirmed(caption, task))
    both = [e for e in negated_beside_affirmed(rewrite, task) if e not in had]
    if both:
        problems.append("denies a step beside its assertion (" + ", ".join(both) + ")")
    if dangling_pronoun(rewrite) and not dangling_pronoun(caption):
        problems.append("leaves 'it' before the noun it stands for")
    had_broken = {_norm(x) for x in broken_phrases(caption)}
    broken = [x for x in broken_phrases(rewrite) if _norm(x) not in had_broken]
    if broken:
        problems.append("leaves a broken phrase (" + ", ".join(map(repr, broken)) + ")")
    had_frag = {_norm(x) for x in fragments(caption)}
    # a fragment the caption already had, now shorter or longer by a cut at its end
    # ('carrying it toward the target in an effort to place it there' -> '... the target')
    frags = [
        x
        for x in fragments(rewrite)
        if not any(o.startswith(_norm(x)) or _norm(x).startswith(o) for o in had_frag)
    ]
    if frags:
        problems.append(
            "leaves a fragment without a verb (" + ", ".join(repr(x) for x in frags) + ")"
        )
    new = _new_warnings(caption, rewrite, guidelines)
    if new:
        problems.append(
            "fails the guideline linter (" + ", ".join(f"{w.kind}: {w.text!r}" for w in new) + ")"
        )
    return problems


__all__ = ["english", "fragments", "has_finite_verb", "negated_beside_affirmed", "rewrite_problems"]
