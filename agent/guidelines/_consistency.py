"""Terminology drift across a dataset: the same thing or action named several ways.

Three sources of variants, each reported with its captions, occurrences and clips:

- **groups**: the guideline's `[terms]` (preferred term and banned variants), its
  `[consistency] groups`, and the built-in synonym table (agent/guidelines/_synonyms.py),
  matched in any inflection (lemmas from lemminflect: "grabs", "grabbed" and "grabbing" are
  one variant, "grab"), longest phrase first;
- **compounds** it finds itself: an object noun of the table after a word that names a kind of
  it rather than describing it ("hockey puck" beside "puck"; "red puck" and "left puck" are not
  compounds), in at least `min_found` captions;
- **spellings** it finds itself: one word written closed, hyphenated or open
  ("end-effector", "endeffector", "end effector"), in at least `min_found` captions each way
  taken together.

The preferred term is the guideline's where it has one, else the variant in most captions.
Two passes over the captions (compounds and spellings are decided on the whole dataset
first), so the captions are held in memory: about their text's size.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.guidelines._forms import lemmas, phrase_forms
from agent.guidelines._guideline import Guidelines
from agent.guidelines._synonyms import GROUPS, NOT_A_NAME, OBJECT_HEADS

_CLAUSE = re.compile(r"[.,;:!?()\"]+")
_TOKEN = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")
MAX_N = 4


@dataclass
class Variant:
    text: str  # the variant's base form ("grab", "hockey puck", "end-effector")
    found: str = "group"  # group (a guideline or table group) | compound | spelling
    captions: int = 0
    occurrences: int = 0
    clips: list[str] = field(default_factory=list)  # the first `max_clips` clips using it
    forms: Counter[str] = field(default_factory=Counter)  # surface forms seen


@dataclass
class Drift:
    concept: str
    preferred: str
    source: str  # guideline (its terms or groups) | synonyms (the built-in table) | spelling
    variants: list[Variant]

    @property
    def captions(self) -> int:
        return sum(v.captions for v in self.variants)


@dataclass
class _Group:
    concept: str
    members: list[str]
    preferred: str | None
    source: str


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _groups(guidelines: Guidelines) -> list[_Group]:
    """The guideline's groups, then the built-in table's; a built-in group that shares a member
    with a guideline group joins it."""
    groups: list[_Group] = []
    for preferred, banned in guidelines.terms.items():
        groups.append(
            _Group(
                _norm(preferred), [_norm(preferred), *map(_norm, banned)], preferred, "guideline"
            )
        )
    for members in guidelines.consistency_groups:
        groups.append(_Group(_norm(members[0]), list(map(_norm, members)), None, "guideline"))
    if guidelines.builtin_synonyms:
        for concept, members in GROUPS.items():
            owner = next((g for g in groups if set(members) & set(g.members)), None)
            if owner is not None and owner.source == "guideline":
                owner.members += [m for m in members if m not in owner.members]
            else:
                groups.append(_Group(concept, list(members), None, "synonyms"))
    # a member belongs to its first group only
    seen: set[str] = set()
    for g in groups:
        g.members = [m for m in g.members if not (m in seen or seen.add(m))]  # type: ignore[func-returns-value]
    return [g for g in groups if g.members]


def _clauses(text: str) -> list[list[str]]:
    out = []
    for clause in _CLAUSE.split(text.lower().replace("’", "'")):
        tokens = [t[:-2] if t.endswith("'s") else t for t in _TOKEN.findall(clause)]
        if tokens:
            out.append(tokens)
    return out


class _Index:
    """Surface n-gram -> (group index, member) for every inflection of every member."""

    def __init__(self, groups: list[_Group]) -> None:
        self.forms: dict[tuple[str, ...], tuple[int, str]] = {}
        for i, g in enumerate(groups):
            for member in g.members:
                for form in phrase_forms(member):
                    self.forms.setdefault(tuple(form.split()), (i, member))
        self.longest = max((len(k) for k in self.forms), default=1)

    def scan(self, tokens: list[str]) -> list[tuple[int, int, int, str]]:
        """(start, end, group, member) matches, longest first, left to right."""
        out = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                hit = self.forms.get(tuple(tokens[i : i + n]))
                if hit is not None:
                    out.append((i, i + n, *hit))
                    i += n
                    break
            else:
                i += 1
        return out


def _names_a_kind(word: str) -> bool:
    """A word before an object noun that names a kind of it ("hockey"), not a description
    ("red", "small", "wooden", "left") nor an inflected verb ("lifts")."""
    import lemminflect

    if word in NOT_A_NAME or len(word) < 3 or not word.isalpha():
        return False
    pos = lemminflect.getAllLemmas(word)
    return "NOUN" in pos and pos["NOUN"][0] == word and "ADJ" not in pos and "ADV" not in pos


def _joined(form: str) -> str:
    """A form's spelling key: hyphens and spaces dropped, the last part's lemma."""
    parts = re.split(r"[-\s]+", form)
    parts[-1] = lemmas(parts[-1])[0]
    return "".join(parts)


def _shape(form: str) -> str:
    return "hyphen" if "-" in form else "open" if " " in form else "closed"


class _Tally:
    def __init__(self, max_clips: int) -> None:
        self.max_clips = max_clips
        self.variants: dict[tuple[str, str], Variant] = {}
        self._last: dict[tuple[str, str], int] = {}

    def add(self, key: tuple[str, str], found: str, surface: str, caption: int, clip: str) -> None:
        v = self.variants.get(key)
        if v is None:
            v = self.variants[key] = Variant(key[1], found)
        v.occurrences += 1
        v.forms[surface] += 1
        if self._last.get(key) != caption:
            self._last[key] = caption
            v.captions += 1
            if len(v.clips) < self.max_clips:
                v.clips.append(clip)


def _spellings(
    captions: list[list[list[str]]], members: dict[str, int], min_found: int
) -> tuple[dict[str, str], dict[str, int]]:
    """Surface form -> spelling key, for words written in two or more ways (closed,
    hyphenated, open) across the dataset, in at least `min_found` captions together; and the
    group of each key that a group member spells (its other spellings join that group)."""
    keys: dict[str, Counter[str]] = defaultdict(Counter)
    for clauses in captions:
        for tokens in clauses:
            for t in tokens:
                if len(t.replace("-", "")) >= 5:
                    keys[_joined(t)][t] += 1
    joined = {k for k, forms in keys.items() if any("-" in f for f in forms) or len(k) >= 7}
    for clauses in captions:
        for tokens in clauses:
            for a, b in itertools.pairwise(tokens):
                if len(a) >= 3 and len(b) >= 3 and "-" not in a + b:
                    key = _joined(f"{a} {b}")
                    if key in joined:
                        keys[key][f"{a} {b}"] += 1
    out: dict[str, str] = {}
    covered: dict[str, int] = {}
    member_keys = {_joined(m): m for m in members if len(m.replace("-", "")) >= 5}
    for key, forms in keys.items():
        shapes = {_shape(f) for f in forms}
        if key in member_keys:  # a member of a group, spelled another way ("endeffector")
            shapes.add(_shape(member_keys[key]))
            covered[key] = members[member_keys[key]]
        if len(shapes) < 2 or sum(forms.values()) < min_found:
            continue
        for form in forms:
            out[form] = key
            for spelled in (form, form.replace("-", " ")):
                if _base(spelled) in members:
                    covered[key] = members[_base(spelled)]
    return out, covered


def consistency(
    items: Iterable[tuple[str, str]],
    guidelines: Guidelines,
    *,
    max_clips: int = 20,
    min_found: int = 2,
) -> list[Drift]:
    """Drift in (clip id, caption) pairs: each concept named more than one way, most captions
    first, its variants most used first."""
    rows = [(clip, _clauses(text)) for clip, text in items]
    groups = _groups(guidelines)
    index = _Index(groups)
    members = {m: i for i, g in enumerate(groups) for m in g.members}
    heads = {
        m
        for g in groups
        for m in g.members
        if " " not in m and (m in OBJECT_HEADS or g.source == "guideline")
    }

    # pass 1: the compounds and spellings frequent enough to be variants
    compound_captions: Counter[tuple[str, str]] = Counter()
    for _, clauses in rows:
        seen: set[tuple[str, str]] = set()
        for tokens in clauses:
            for start, end, _, member in index.scan(tokens):
                if end - start == 1 and start > 0 and member in heads:
                    modifier = tokens[start - 1]
                    if modifier not in members and _names_a_kind(modifier):
                        seen.add((modifier, member))
        compound_captions.update(seen)
    compounds = {c for c, n in compound_captions.items() if n >= min_found}
    spellings, covered = _spellings([clauses for _, clauses in rows], members, min_found)

    def spelled(form: str) -> tuple[str, str] | None:
        """The tally key of a spelling variant; None for a group member (counted as one)."""
        if _base(form) in members or _base(form.replace("-", " ")) in members:
            return None
        key = spellings[form]
        return (f"g{covered[key]}" if key in covered else f"s{key}", _base(form))

    # pass 2: count every variant
    tally = _Tally(max_clips)
    for n, (clip, clauses) in enumerate(rows):
        for tokens in clauses:
            for start, end, gi, member in index.scan(tokens):
                surface = " ".join(tokens[start:end])
                if end - start == 1 and start > 0 and (tokens[start - 1], member) in compounds:
                    compound = f"{tokens[start - 1]} {member}"
                    tally.add(
                        (f"g{gi}", compound), "compound", f"{tokens[start - 1]} {surface}", n, clip
                    )
                else:
                    tally.add((f"g{gi}", member), "group", surface, n, clip)
            j = 0
            while j < len(tokens):
                pair = f"{tokens[j]} {tokens[j + 1]}" if j + 1 < len(tokens) else ""
                if pair in spellings:
                    key = spelled(pair)
                    if key is not None:
                        tally.add(key, "spelling", pair, n, clip)
                    j += 2
                    continue
                if tokens[j] in spellings:
                    key = spelled(tokens[j])
                    if key is not None:
                        tally.add(key, "spelling", tokens[j], n, clip)
                j += 1

    by_concept: dict[str, list[Variant]] = defaultdict(list)
    for (concept, _), v in tally.variants.items():
        by_concept[concept].append(v)
    drifts = []
    for concept, variants in by_concept.items():
        if len(variants) < 2:
            continue
        variants.sort(key=lambda v: (-v.captions, v.text))
        if concept.startswith("g"):
            g = groups[int(concept[1:])]
            preferred = g.preferred or _guideline_preferred(variants, guidelines)
            drifts.append(Drift(g.concept, preferred or variants[0].text, g.source, variants))
        else:
            drifts.append(Drift(variants[0].text, variants[0].text, "spelling", variants))
    drifts.sort(key=lambda d: (-d.captions, d.concept))
    return drifts


def _base(form: str) -> str:
    """A spelling variant's name: the form with its last part's lemma ("end-effectors" is
    "end-effector"), so inflections count as one variant."""
    parts = re.split(r"([-\s]+)", form)
    parts[-1] = lemmas(parts[-1])[0]
    return "".join(parts)


def _guideline_preferred(variants: list[Variant], guidelines: Guidelines) -> str | None:
    preferred = {_norm(p) for p in guidelines.terms}
    return next((v.text for v in variants if v.text in preferred), None)
