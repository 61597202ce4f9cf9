"""Word forms: the inflections of a term and the lemmas of a word.

From lemminflect's tables (bundled with the package, nothing downloaded), so that a banned
"robotic arm" also catches "robotic arms" (and suggests "robot arms"), and "grabs", "grabbed"
and "grabbing" count as one variant, "grab", in the consistency report. Loaded on first use: a
guideline with no terms never imports it.
"""

from __future__ import annotations

from functools import lru_cache

# Words after a verb that make it a phrasal verb: the verb, not the particle, is inflected
# ("pick up" -> "picks up", "picked up").
PARTICLES = frozenset(
    [
        "up",
        "down",
        "off",
        "out",
        "over",
        "away",
        "back",
        "in",
        "on",
        "into",
        "onto",
        "around",
        "aside",
        "apart",
        "together",
    ]
)
# The order in which a surface form's part of speech is read when it has several ("arms" is
# a plural noun and a verb): nouns first, as guideline terms mostly name things.
_TAGS = ("NN", "NNS", "VB", "VBZ", "VBD", "VBN", "VBG", "VBP", "JJ", "JJR", "JJS", "RB")


@lru_cache(maxsize=4096)
def word_inflections(word: str) -> dict[str, str]:
    """Surface form -> Penn tag for one lowercase word, the word itself included (as NN or VB)."""
    import lemminflect

    found: dict[str, str] = {}
    table = lemminflect.getAllInflections(word)
    if not table:
        table = lemminflect.getAllInflectionsOOV(word, "NOUN")
    for tag in _TAGS:
        for form in table.get(tag, ()):
            found.setdefault(form.lower(), tag)
    found.setdefault(word, "NN")
    return found


def _head(words: list[str]) -> int:
    """Which word of a phrase is inflected: the verb of a phrasal verb, else the last."""
    if len(words) > 1 and words[-1] in PARTICLES:
        return 0
    return len(words) - 1


def phrase_forms(phrase: str) -> dict[str, str]:
    """Surface form -> tag of its inflected word, for a (lowercase) phrase of one or more words."""
    words = phrase.lower().split()
    if not words:
        return {}
    h = _head(words)
    return {
        " ".join([*words[:h], form, *words[h + 1 :]]): tag
        for form, tag in word_inflections(words[h]).items()
    }


def inflect(phrase: str, tag: str) -> str:
    """The phrase with its inflected word in the form `tag` (the phrase as is when it has none)."""
    import lemminflect

    words = phrase.split()
    if not words or tag in ("NN", "VB"):
        return phrase
    h = _head([w.lower() for w in words])
    forms = lemminflect.getInflection(words[h].lower(), tag) or lemminflect.getInflection(
        words[h].lower(), tag, inflect_oov=True
    )
    if not forms:
        return phrase
    return " ".join([*words[:h], forms[0], *words[h + 1 :]])


@lru_cache(maxsize=65536)
def lemmas(word: str) -> tuple[str, ...]:
    """The word's possible lemmas (lowercase), the word itself last; verbs and nouns alike."""
    import lemminflect

    low = word.lower()
    out: list[str] = []
    for candidates in lemminflect.getAllLemmas(low).values():
        for lemma in candidates:
            if lemma.lower() not in out:
                out.append(lemma.lower())
    if not out:
        for candidates in lemminflect.getAllLemmasOOV(low, "NOUN").values():
            out.extend(c.lower() for c in candidates if c.lower() not in out)
    if low not in out:
        out.append(low)
    return tuple(out)
