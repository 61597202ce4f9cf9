"""The linter's rules: each a small object built once from a guideline file, then run on every
keystroke of the review page, on every offline rewrite and on every caption of `recap lint`.

A rule's `kind` names its warnings (spelling, term, speculation, filler, tense, voice, length,
sentences, outcome, arm, spatial, or a phrase group's own name) and is the key of its severity.
The tables below are the built-in defaults a guideline file falls back on when it names a rule
without listing its words; docs/guidelines.md lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

SEVERITIES = ("error", "warning", "info", "off")
BUILTIN_KINDS = (
    "spelling",
    "term",
    "tense",
    "voice",
    "length",
    "sentences",
    "outcome",
    "arm",
    "spatial",
)
BROKEN = "broken-rule"

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")

# Past forms and the present form to suggest: the built-in table for `[tense] use = "present"`
# (inverted for `use = "past"`) when the file lists no `forms` of its own.
PRESENT_FOR_PAST = {
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
# Words (any inflection) that state an outcome, for `[require] outcome = true`.
OUTCOME_WORDS = (
    "succeed",
    "success",
    "successful",
    "successfully",
    "fail",
    "failure",
    "unsuccessful",
    "task",
    "end",
    "remain",
    "stay",
    "miss",
    "complete",
    "finish",
    "drop",
    "slip",
    "fall",
    "rest",
    "done",
)
# Irregular past participles the passive-voice check knows besides words ending in -ed.
PARTICIPLES = frozenset(
    [
        "taken",
        "held",
        "put",
        "set",
        "brought",
        "thrown",
        "shaken",
        "slid",
        "spun",
        "stuck",
        "hit",
        "caught",
        "left",
        "kept",
        "shown",
        "seen",
        "given",
        "made",
        "done",
        "gotten",
        "got",
        "driven",
        "lain",
        "laid",
        "struck",
        "swung",
        "torn",
        "worn",
        "wound",
    ]
)
# Participles after "is"/"are" that usually describe a state, not a passive action.
STATIVE = ("closed", "opened", "located", "attached", "mounted", "positioned", "aligned", "tilted")
_BE = r"(?:is|are|was|were|be|been|being|gets|get|got|getting|gotten)"
_POSSESSIVE = r"(?:'s|’s)"
# Wording that takes left/right from the view the guideline does not use.
OTHER_VIEW = {
    "camera": [
        rf"\b(?:robot|arm|gripper){_POSSESSIVE}\s+(?:own\s+)?(?:left|right)\b",
        r"\bits\s+(?:own\s+)?(?:left|right)\b",
        rf"\bfrom\s+the\s+(?:robot|arm|gripper)(?:{_POSSESSIVE})?\s+"
        r"(?:point\s+of\s+view|perspective|viewpoint|view|side)\b",
        r"\b(?:robot|egocentric)\s+(?:frame|coordinates)\b",
    ],
    "robot": [
        rf"\b(?:camera|image|frame|screen|viewer){_POSSESSIVE}?\s+(?:left|right)\b",
        r"\b(?:left|right)\s+(?:side\s+)?of\s+the\s+(?:image|frame|screen|picture|video)\b",
        rf"\bfrom\s+the\s+(?:camera|viewer)(?:{_POSSESSIVE})?\s+"
        r"(?:point\s+of\s+view|perspective|viewpoint|view|side)\b",
        r"\bon[- ]screen\b",
    ],
}
ARM_WORDS = re.compile(r"\b(?:arm|arms|gripper|grippers|end-effector|end-effectors)\b", re.I)


@dataclass(frozen=True)
class LintWarning:
    kind: str  # the rule: spelling | term | speculation | filler | tense | length | ...
    text: str
    message: str
    start: int = -1
    end: int = -1
    severity: str = "warning"  # error | warning | info (of the rule, from the guideline)


@dataclass(frozen=True)
class RuleInfo:
    """What a rule checks, for the page's guideline panel and `recap guidelines check`."""

    kind: str
    severity: str
    summary: str


Words = list[re.Match[str]]


@dataclass
class Rule:
    kind: str
    severity: str

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        raise NotImplementedError

    def summary(self) -> str:
        raise NotImplementedError

    def info(self) -> RuleInfo:
        return RuleInfo(self.kind, self.severity, self.summary())

    def warn(self, text: str, message: str, start: int = -1, end: int = -1) -> LintWarning:
        return LintWarning(self.kind, text, message, start, end, self.severity)


def _is_name(m: re.Match[str]) -> bool:
    """A capitalised word after the first is read as a name ("Sawyer") and not checked."""
    return m.group(0)[0].isupper() and m.start() > 0


@lru_cache(maxsize=8)
def _speller(words: frozenset[str]) -> Any:
    from spellchecker import SpellChecker

    sp = SpellChecker()
    sp.word_frequency.load_words(sorted(words))
    return sp


@dataclass
class SpellingRule(Rule):
    vocabulary: frozenset[str] = frozenset()
    _corrections: dict[str, str | None] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        return f"words not in English or the guideline's {len(self.vocabulary)}-word vocabulary"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        out = []
        sp = _speller(self.vocabulary)
        for m in words:
            w = m.group(0).strip("'’-")
            low = w.lower()
            if len(w) < 3 or _is_name(m) or low in self.vocabulary:
                continue
            if sp.unknown(low.split("-")):
                if low not in self._corrections:
                    self._corrections[low] = sp.correction(low)
                best = self._corrections[low]
                hint = f"; did you mean {best!r}?" if best and best != low else ""
                out.append(self.warn(w, f"unknown word {w!r}{hint}", m.start(), m.start() + len(w)))
        return out


@dataclass
class TenseRule(Rule):
    use: str = "present"  # present | past
    forms: dict[str, str] = field(default_factory=dict)  # flagged form -> suggestion

    def summary(self) -> str:
        return f"{self.use} tense: {len(self.forms)} {self._other()}-tense forms flagged"

    def _other(self) -> str:
        return "past" if self.use == "present" else "present"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        out = []
        for m in words:
            if _is_name(m):
                continue
            w = m.group(0).strip("'’-")
            low = w.lower()
            if low in self.forms:
                message = (
                    f"{self._other()} tense {w!r}: use {self.use} tense, e.g. {self.forms[low]!r}"
                )
                out.append(self.warn(w, message, m.start(), m.end()))
        return out


@dataclass
class PhraseRule(Rule):
    """A named group of banned phrases (whole words, any case) and patterns (RE2)."""

    phrases: list[str] = field(default_factory=list)
    patterns: list[tuple[str, Any]] = field(default_factory=list)  # (source, compiled)
    message: str = "{text!r} is not allowed by the guideline"
    _compiled: list[re.Pattern[str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._compiled = [
            re.compile(r"(?<!\w)" + re.escape(p) + r"(?!\w)", re.IGNORECASE) for p in self.phrases
        ]

    def summary(self) -> str:
        return f"{len(self.phrases)} banned phrases, {len(self.patterns)} patterns"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        out = []
        for rx in self._compiled:
            for m in rx.finditer(text):
                found = m.group(0)
                out.append(self.warn(found, self.message.format(text=found), m.start(), m.end()))
        for _, rx in self.patterns:
            for m in rx.finditer(text):
                if m.end() == m.start():
                    continue
                found = m.group(0)
                out.append(self.warn(found, self.message.format(text=found), m.start(), m.end()))
        return out


@dataclass
class TermRule(Rule):
    """Preferred terms: each banned variant, in any inflection, flagged with the preferred term
    in the same inflection. A variant inside a preferred term ("arm" in "robot arm") is not."""

    terms: dict[str, list[str]] = field(default_factory=dict)  # preferred -> banned variants
    _banned: re.Pattern[str] | None = field(default=None, repr=False)
    _preferred: re.Pattern[str] | None = field(default=None, repr=False)
    _lookup: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from agent.guidelines._forms import phrase_forms

        lookup: dict[str, tuple[str, str]] = {}  # surface form -> (preferred, tag)
        for preferred, variants in self.terms.items():
            for variant in variants:
                for form, tag in phrase_forms(variant).items():
                    lookup.setdefault(_norm(form), (preferred, tag))
        self._lookup = lookup
        self._banned = _alternation(lookup)
        self._preferred = _alternation(
            {f: "" for p in self.terms for f in phrase_forms(p)} if self.terms else {}
        )

    def summary(self) -> str:
        n = sum(len(v) for v in self.terms.values())
        return f"{len(self.terms)} preferred terms, {n} banned variants"

    def find(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, found, preferred in the found form's inflection) per banned variant."""
        from agent.guidelines._forms import inflect

        if self._banned is None:
            return []
        keep = []
        if self._preferred is not None:
            keep = [(m.start(), m.end()) for m in self._preferred.finditer(text)]
        out = []
        for m in self._banned.finditer(text):
            if any(s <= m.start() and m.end() <= e for s, e in keep):
                continue
            preferred, tag = self._lookup[_norm(m.group(0))]
            out.append((m.start(), m.end(), m.group(0), inflect(preferred, tag)))
        return out

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        return [
            self.warn(found, f"{found!r}: the guideline's term is {good!r}", start, end)
            for start, end, found, good in self.find(text)
        ]


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().split())


def _alternation(forms: dict[str, Any]) -> re.Pattern[str] | None:
    """One pattern matching any of the phrases as whole words, longest first, any spacing."""
    if not forms:
        return None
    body = "|".join(
        r"\s+".join(re.escape(w) for w in f.split()) for f in sorted(forms, key=len, reverse=True)
    )
    return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)", re.IGNORECASE)


@dataclass
class LengthRule(Rule):
    min_words: int | None = None
    max_words: int | None = None
    short_message: str = (
        "only {n} words: say what the arm and gripper do and whether the task succeeds"
    )
    long_message: str = "{n} words: keep captions under {max_words}"

    def summary(self) -> str:
        return f"{self.min_words or 0} to {self.max_words or 'any number of'} words"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        n = len(words)
        values = {"n": n, "min_words": self.min_words, "max_words": self.max_words}
        if n and self.min_words is not None and n < self.min_words:
            return [self.warn(text, self.short_message.format(**values))]
        if self.max_words is not None and n > self.max_words:
            return [self.warn(text, self.long_message.format(**values))]
        return []


@dataclass
class SentenceRule(Rule):
    min_sentences: int | None = None
    max_sentences: int | None = None
    max_sentence_words: int | None = None

    def summary(self) -> str:
        parts = []
        if self.min_sentences is not None or self.max_sentences is not None:
            parts.append(f"{self.min_sentences or 1} to {self.max_sentences or 'any'} sentences")
        if self.max_sentence_words is not None:
            parts.append(f"at most {self.max_sentence_words} words a sentence")
        return ", ".join(parts)

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        spans = [m for m in _SENTENCE.finditer(text) if WORD.search(m.group(0))]
        out = []
        n = len(spans)
        if n and self.min_sentences is not None and n < self.min_sentences:
            out.append(self.warn(text, f"{n} sentence(s): write at least {self.min_sentences}"))
        if self.max_sentences is not None and n > self.max_sentences:
            out.append(self.warn(text, f"{n} sentences: write at most {self.max_sentences}"))
        if self.max_sentence_words is not None:
            for m in spans:
                count = len(WORD.findall(m.group(0)))
                if count > self.max_sentence_words:
                    sentence = m.group(0).strip()
                    start = m.start() + m.group(0).index(sentence[0])
                    out.append(
                        self.warn(
                            sentence,
                            f"a sentence of {count} words: split it (at most "
                            f"{self.max_sentence_words})",
                            start,
                            start + len(sentence),
                        )
                    )
        return out


@dataclass
class VoiceRule(Rule):
    """Passive voice: a form of "be"/"get", an optional -ly adverb, then a past participle (a
    word ending in -ed or a known irregular one); participles in `allow` are read as states
    ("the drawer is closed") unless "by" follows."""

    allow: frozenset[str] = frozenset(STATIVE)
    _rx: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._rx = re.compile(
            rf"\b{_BE}\s+(?:[a-z]+ly\s+)?(?P<p>[a-z]+ed|{'|'.join(sorted(PARTICIPLES))})\b"
            r"(?P<by>\s+by\b)?",
            re.IGNORECASE,
        )

    def summary(self) -> str:
        return "active voice: passive constructions (is picked, was moved by) flagged"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        out = []
        assert self._rx is not None
        for m in self._rx.finditer(text):
            if m.group("p").lower() in self.allow and not m.group("by"):
                continue
            end = m.end("p")
            found = text[m.start() : end]
            out.append(
                self.warn(
                    found,
                    f"passive voice {found!r}: make the robot the subject "
                    "('The robot arm picks up the cube')",
                    m.start(),
                    end,
                )
            )
        return out


@dataclass
class OutcomeRule(Rule):
    words: tuple[str, ...] = OUTCOME_WORDS
    last: bool = False  # the outcome must be in the last sentence
    _forms: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        from agent.guidelines._forms import phrase_forms

        self._forms = frozenset(_norm(f) for w in self.words for f in phrase_forms(w))

    def summary(self) -> str:
        where = "in the last sentence" if self.last else "somewhere"
        return f"an outcome statement ({', '.join(self.words[:4])}, ...) {where}"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        if not words:
            return []
        scope = text
        offset = 0
        if self.last:
            spans = [m for m in _SENTENCE.finditer(text) if WORD.search(m.group(0))]
            if spans:
                offset = spans[-1].start()
                scope = spans[-1].group(0)
        tokens = [_norm(m.group(0).strip("'’-")) for m in WORD.finditer(scope)]
        grams = set(tokens) | {" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)}
        if grams & self._forms:
            return []
        where = "the last sentence states" if self.last else "the caption states"
        start, end = (offset, offset + len(scope.rstrip())) if self.last else (-1, -1)
        return [
            self.warn(
                scope.strip(),
                f"no outcome: {where} no result; end with whether the task succeeds "
                "(e.g. '... and the task succeeds')",
                start,
                end,
            )
        ]


@dataclass
class ArmRule(Rule):
    """On a multi-arm robot every mention of an arm or gripper names which one."""

    names: tuple[str, ...] = ("left", "right", "both")

    def summary(self) -> str:
        return f"each arm or gripper named ({', '.join(self.names)}) on multi-arm robots"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        if arms is not None and arms < 2:
            return []
        mentions = list(ARM_WORDS.finditer(text))
        names = "/".join(self.names)
        if not mentions:
            if not words:
                return []
            return [self.warn(text, f"no arm named: say which arm acts ({names})")]
        out = []
        for m in mentions:
            before = WORD.findall(text[max(0, m.start() - 40) : m.start()])[-3:]
            if any(w.lower().strip("'’") in self.names for w in before):
                continue
            found = m.group(0)
            out.append(self.warn(found, f"{found!r}: say which one ({names})", m.start(), m.end()))
        return out


@dataclass
class SpatialRule(Rule):
    """Flags wording that takes left/right from the other view; cannot check that a left or
    right is correct (only the video can)."""

    view: str = "camera"
    _rx: list[re.Pattern[str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._rx = [re.compile(p, re.IGNORECASE) for p in OTHER_VIEW.get(self.view, [])]

    def summary(self) -> str:
        return f"left/right from the {self.view}'s view; wording of the other view flagged"

    def check(self, text: str, words: Words, arms: int | None) -> list[LintWarning]:
        out = []
        for rx in self._rx:
            for m in rx.finditer(text):
                out.append(
                    self.warn(
                        m.group(0),
                        f"{m.group(0)!r}: the guideline takes left and right from the "
                        f"{self.view}'s view",
                        m.start(),
                        m.end(),
                    )
                )
        return out


def run_rules(rules: list[Rule], text: str, arms: int | None = None) -> list[LintWarning]:
    """Every rule's warnings for `text`, by position; a rule that fails is reported as a
    broken-rule warning instead of failing the caller."""
    words = list(WORD.finditer(text))
    warnings: list[LintWarning] = []
    for rule in rules:
        if rule.severity == "off":
            continue
        try:
            warnings += rule.check(text, words, arms)
        except Exception as e:  # a rule's bug must not take the page or a pipeline down
            warnings.append(
                LintWarning(
                    BROKEN,
                    rule.kind,
                    f"rule {rule.kind!r} is broken ({type(e).__name__}: {e}); check the "
                    "guideline file with `recap guidelines check FILE`",
                    severity="error",
                )
            )
    return sorted(warnings, key=lambda w: (w.start, w.kind))
