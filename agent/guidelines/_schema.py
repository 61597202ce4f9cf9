"""The guideline file's schema: every key, its type, and the rules that contradict each other.

`check(data, origins)` walks a guideline (already merged over its base) and returns each
problem with the file and line of the key behind it: unknown keys, wrong types, patterns that
are invalid or could be slow, and contradictions (a term both preferred and banned, a banned
phrase that would flag a preferred term, min above max, ...). A file with any error-level
problem refuses to load; notes are things worth knowing that do not stop it.
docs/guidelines.md documents each key.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from agent.errors import ConfigError
from agent.guidelines._rules import BROKEN, BUILTIN_KINDS, SEVERITIES

KeyPath = tuple[str | int, ...]
Origins = dict[KeyPath, tuple[str, int | None]]  # key path -> (file, line)

TOP_KEYS = {
    "base": "str",
    "name": "str",
    "version": "str",
    "prose": "str",
    "prose_text": "str",
    "terms": "table",
    "phrases": "table",
    "tense": "table",
    "voice": "table",
    "limits": "table",
    "require": "table",
    "spatial": "table",
    "vocabulary": "table",
    "severity": "table",
    "consistency": "table",
    "rubric": "table",
}
SECTION_KEYS: dict[str, dict[str, str]] = {
    "tense": {"use": "str", "forms": "table"},
    "voice": {"use": "str", "allow": "list"},
    "limits": {
        "min_words": "int",
        "max_words": "int",
        "min_sentences": "int",
        "max_sentences": "int",
        "max_sentence_words": "int",
        "short_message": "str",
        "long_message": "str",
    },
    "require": {
        "outcome": "bool",
        "outcome_words": "list",
        "outcome_last": "bool",
        "arm_name": "bool",
        "arm_names": "list",
    },
    "spatial": {"view": "str"},
    "consistency": {"synonyms": "bool", "groups": "list"},
    "rubric": {"scale": "list", "dimensions": "table"},
}
PHRASE_KEYS = {"phrases": "list", "patterns": "list", "message": "str"}
DIMENSION_KEYS = {"description": "str", "levels": "table"}
CHOICES = {
    ("base",): ("default", "none"),
    ("tense", "use"): ("present", "past", "any"),
    ("voice", "use"): ("active", "any"),
    ("spatial", "view"): ("camera", "robot", "any"),
}
MESSAGE_FIELDS = {
    "phrases": {"text"},
    "limits": {"n", "min_words", "max_words"},
}
_GROUP_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_TYPES = {"str": str, "int": int, "bool": bool, "list": list, "table": dict}
_TYPE_WORDS = {"str": "a string", "int": "a whole number", "bool": "true or false"}
_TYPE_WORDS |= {"list": "a list", "table": "a table"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    key: str
    message: str
    level: str = "error"  # error | note

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" [{self.key}]" if self.key else ""
        return f"{where}{key}: {self.message}"


class GuidelineError(ConfigError):
    """A guideline file that cannot be used; `problems` names each reason with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.level == "error"]
        lines = "\n".join(f"  {p}" for p in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(
            f"Guideline file {source} cannot be used ({len(errors)} problem(s)):\n{lines}{more}",
            hint=f"Fix the lines named; `recap guidelines check {source}` lists every problem.",
        )


def dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            out += ("." if out else "") + text
    return out


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {str: "a string", int: "a whole number", float: "a number", list: "a list"}.get(
        type(value), "a table" if isinstance(value, dict) else type(value).__name__
    )


def _suggest(word: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (known here: {', '.join(known)})"


def _is(value: Any, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


class _Checker:
    def __init__(self, data: dict[str, Any], origins: Origins) -> None:
        self.data = data
        self.origins = origins
        self.problems: list[Problem] = []

    def where(self, path: KeyPath) -> tuple[str, int | None]:
        for n in range(len(path), 0, -1):
            if path[:n] in self.origins:
                return self.origins[path[:n]]
        return self.origins.get((), ("", None))

    def add(self, path: KeyPath, message: str, level: str = "error") -> None:
        file, line = self.where(path)
        self.problems.append(Problem(file, line, dotted(path), message, level))

    def keys(self, table: dict[str, Any], path: KeyPath, spec: dict[str, str]) -> dict[str, Any]:
        """The keys of `table` that `spec` knows and whose type is right; the rest reported."""
        ok: dict[str, Any] = {}
        for key, value in table.items():
            kind = spec.get(key)
            if kind is None:
                self.add((*path, key), f"unknown key {key!r}{_suggest(key, list(spec))}")
            elif not _is(value, kind):
                self.add((*path, key), f"must be {_TYPE_WORDS[kind]}, not {_type_name(value)}")
            else:
                ok[key] = value
        return ok

    def strings(self, values: list[Any], path: KeyPath, *, words: bool = False) -> list[str]:
        out: list[str] = []
        seen: dict[str, int] = {}
        for i, v in enumerate(values):
            if not isinstance(v, str):
                self.add((*path, i), f"must be a string, not {_type_name(v)}")
                continue
            if not v.strip():
                self.add((*path, i), "is empty")
                continue
            if words and len(v.split()) != 1:
                self.add((*path, i), f"{v!r}: list single words here")
                continue
            low = " ".join(v.lower().split())
            if low in seen:
                self.add((*path, i), f"{v!r} is listed twice (first at item {seen[low] + 1})")
                continue
            seen[low] = i
            out.append(v)
        return out

    def choice(self, path: KeyPath, value: Any) -> None:
        allowed = CHOICES[path]
        if value not in allowed:
            self.add(path, f"{value!r} is not one of {', '.join(allowed)}")

    def message(self, path: KeyPath, template: str, section: str) -> None:
        allowed = MESSAGE_FIELDS[section]
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        except ValueError as e:
            self.add(path, f"is not a valid message template: {e}")
            return
        bad = sorted(f for f in fields if f.split(".")[0].split("[")[0] not in allowed)
        if bad:
            names = ", ".join("{" + f + "}" for f in sorted(allowed))
            self.add(path, f"unknown placeholder {{{bad[0]}}} (this message can use {names})")
            return
        try:
            template.format(**{f: 1 for f in allowed})
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as e:
            self.add(path, f"is not a valid message template: {e}")


def check(data: dict[str, Any], origins: Origins) -> list[Problem]:
    """Every problem of a merged guideline, errors and notes."""
    c = _Checker(data, origins)
    top = c.keys(data, (), TOP_KEYS)
    if "base" in top:
        c.choice(("base",), top["base"])
    if "prose" in top and "prose_text" in top:
        file_a, _ = c.where(("prose",))
        file_b, _ = c.where(("prose_text",))
        if file_a == file_b:
            c.add(("prose_text",), "give the prose either as a file (prose) or inline (prose_text)")
    preferred = _check_terms(c, top.get("terms", {}))
    phrase_groups = _check_phrases(c, top.get("phrases", {}), preferred)
    sections = {}
    for name, spec in SECTION_KEYS.items():
        if name in top:
            sections[name] = c.keys(top[name], (name,), spec)
    for path in CHOICES:
        if len(path) == 2 and path[1] in sections.get(str(path[0]), {}):
            c.choice(path, sections[str(path[0])][str(path[1])])
    _check_tense(c, sections.get("tense", {}))
    if "allow" in sections.get("voice", {}):
        c.strings(sections["voice"]["allow"], ("voice", "allow"), words=True)
    _check_limits(c, sections.get("limits", {}))
    _check_require(c, sections.get("require", {}), phrase_groups)
    _check_vocabulary(c, top.get("vocabulary", {}))
    _check_severity(c, top.get("severity", {}), phrase_groups)
    _check_consistency(c, sections.get("consistency", {}))
    if "rubric" in top:
        _check_rubric(c, sections.get("rubric", {}))
    return sorted(c.problems, key=lambda p: (p.file, p.line or 0))


def _check_terms(c: _Checker, terms: dict[str, Any]) -> dict[str, KeyPath]:
    """Preferred terms (normalised) -> their key, after checking each entry."""
    norm = {" ".join(k.lower().split()): ("terms", k) for k in terms}
    banned: dict[str, KeyPath] = {}
    for key, variants in terms.items():
        path: KeyPath = ("terms", key)
        if not key.strip():
            c.add(path, "the preferred term is empty")
            continue
        if not isinstance(variants, list):
            c.add(path, f"must be a list of banned variants, not {_type_name(variants)}")
            continue
        valid = set(c.strings(variants, path))
        for i, v in enumerate(variants):
            if v not in valid:
                continue
            valid.discard(v)
            low = " ".join(v.lower().split())
            vpath: KeyPath = (*path, i)
            if low == " ".join(key.lower().split()):
                c.add(vpath, f"{v!r} is both the preferred term and one of its banned variants")
            elif low in norm:
                file, line = c.where(norm[low])
                c.add(
                    vpath,
                    f"{v!r} is banned here but is itself a preferred term ({file}:{line})",
                )
            elif low in banned:
                file, line = c.where(banned[low])
                c.add(vpath, f"{v!r} is already banned under another term ({file}:{line})")
            else:
                banned[low] = vpath
    return norm


def _phrase_hits_term(phrase: str, terms: dict[str, KeyPath]) -> str | None:
    rx = re.compile(r"(?<!\w)" + re.escape(" ".join(phrase.lower().split())) + r"(?!\w)")
    return next((t for t in terms if rx.search(t)), None)


def _check_phrases(c: _Checker, groups: dict[str, Any], preferred: dict[str, KeyPath]) -> list[str]:
    from agent.guidelines._patterns import PatternError, compile_pattern

    names = []
    for name, group in groups.items():
        path: KeyPath = ("phrases", name)
        if not isinstance(group, dict):
            c.add(path, f"must be a table ([phrases.{name}]), not {_type_name(group)}")
            continue
        if not _GROUP_NAME.match(name):
            c.add(path, f"group name {name!r}: use lowercase letters, digits, - and _")
            continue
        if name in BUILTIN_KINDS or name == BROKEN:
            c.add(path, f"group name {name!r} is taken by a built-in rule; choose another")
            continue
        names.append(name)
        g = c.keys(group, path, PHRASE_KEYS)
        for phrase in c.strings(g.get("phrases", []), (*path, "phrases")):
            hit = _phrase_hits_term(phrase, preferred)
            if hit:
                i = g["phrases"].index(phrase)
                file, line = c.where(preferred[hit])
                c.add(
                    (*path, "phrases", i),
                    f"banned phrase {phrase!r} would flag the preferred term {hit!r} "
                    f"({file}:{line})",
                )
        for pattern in c.strings(g.get("patterns", []), (*path, "patterns")):
            i = g["patterns"].index(pattern)
            try:
                compiled = compile_pattern(pattern)
            except PatternError as e:
                c.add((*path, "patterns", i), f"pattern {pattern!r} {e}")
                continue
            hit = next((t for t in preferred if compiled.search(t)), None)
            if hit:
                file, line = c.where(preferred[hit])
                c.add(
                    (*path, "patterns", i),
                    f"pattern {pattern!r} would flag the preferred term {hit!r} ({file}:{line})",
                )
        if "message" in g:
            c.message((*path, "message"), g["message"], "phrases")
    return names


def _check_tense(c: _Checker, tense: dict[str, Any]) -> None:
    forms = tense.get("forms", {})
    low = {k.lower() for k in forms}
    for key, value in forms.items():
        path: KeyPath = ("tense", "forms", key)
        if not isinstance(value, str) or not value.strip():
            c.add(path, f"must be the form to suggest (a string), not {_type_name(value)}")
        elif len(key.split()) != 1:
            c.add(path, f"{key!r}: list single words")
        elif value.lower() in low:
            c.add(path, f"suggests {value!r}, which the same table flags")


def _check_limits(c: _Checker, limits: dict[str, Any]) -> None:
    for key, value in limits.items():
        if key.endswith("_message"):
            c.message(("limits", key), value, "limits")
        elif value < (0 if key.startswith("min") else 1):
            c.add(("limits", key), f"must be at least {0 if key.startswith('min') else 1}")
    for lo, hi in (("min_words", "max_words"), ("min_sentences", "max_sentences")):
        if lo in limits and hi in limits and limits[lo] > limits[hi]:
            file, line = c.where(("limits", hi))
            c.add(
                ("limits", lo),
                f"{lo} = {limits[lo]} is above {hi} = {limits[hi]} ({file}:{line}): every "
                "caption would be flagged",
            )


def _check_require(c: _Checker, require: dict[str, Any], phrase_groups: list[str]) -> None:
    words = c.strings(require.get("outcome_words", []), ("require", "outcome_words"))
    if "outcome_words" in require and not words:
        c.add(("require", "outcome_words"), "lists no word: every caption would be flagged")
    banned = {
        " ".join(p.lower().split()): (name, i)
        for name in phrase_groups
        for i, p in enumerate(c.data["phrases"][name].get("phrases", []))
        if isinstance(p, str)
    }
    for i, w in enumerate(require.get("outcome_words", [])):
        if isinstance(w, str) and " ".join(w.lower().split()) in banned:
            name, j = banned[" ".join(w.lower().split())]
            file, line = c.where(("phrases", name, "phrases", j))
            c.add(
                ("require", "outcome_words", i),
                f"{w!r} is required as an outcome word but banned in phrases.{name} "
                f"({file}:{line})",
            )
    c.strings(require.get("arm_names", []), ("require", "arm_names"), words=True)
    if "arm_names" in require and not require["arm_names"]:
        c.add(("require", "arm_names"), "lists no name")


def _check_vocabulary(c: _Checker, vocabulary: dict[str, Any]) -> None:
    for name, words in vocabulary.items():
        if not isinstance(words, list):
            c.add(("vocabulary", name), f"must be a list of words, not {_type_name(words)}")
            continue
        c.strings(words, ("vocabulary", name), words=True)


def _check_severity(c: _Checker, severity: dict[str, Any], phrase_groups: list[str]) -> None:
    kinds = [*BUILTIN_KINDS, *phrase_groups]
    for kind, value in severity.items():
        path: KeyPath = ("severity", kind)
        if kind not in kinds:
            c.add(path, f"no rule {kind!r}{_suggest(kind, kinds)}")
        elif not isinstance(value, str) or value not in SEVERITIES:
            c.add(path, f"{value!r} is not one of {', '.join(SEVERITIES)}")


def _check_consistency(c: _Checker, consistency: dict[str, Any]) -> None:
    for i, group in enumerate(consistency.get("groups", [])):
        path: KeyPath = ("consistency", "groups", i)
        if not isinstance(group, list):
            c.add(path, f"must be a list of variants, not {_type_name(group)}")
            continue
        if len(c.strings(group, path)) < 2:
            c.add(path, "a group needs at least two variants")


def _check_rubric(c: _Checker, rubric: dict[str, Any]) -> None:
    scale = rubric.get("scale", [1, 5])
    low, high = 1, 5
    if len(scale) != 2 or not all(_is(v, "int") for v in scale):
        c.add(("rubric", "scale"), "must be [lowest, highest], two whole numbers, e.g. [1, 5]")
    else:
        low, high = scale
        if not 0 <= low < high or high - low > 9:
            c.add(
                ("rubric", "scale"),
                f"[{low}, {high}]: the lowest must be 0 or more and below the highest, at most "
                "10 scores (one digit key each)",
            )
    dims = rubric.get("dimensions", {})
    if not dims:
        c.add(("rubric",), "a rubric needs at least one dimension ([rubric.dimensions.NAME])")
    for name, dim in dims.items():
        path: KeyPath = ("rubric", "dimensions", name)
        if not isinstance(dim, dict):
            c.add(path, f"must be a table with a description, not {_type_name(dim)}")
            continue
        if not _GROUP_NAME.match(name):
            c.add(path, f"dimension name {name!r}: use lowercase letters, digits, - and _")
        d = c.keys(dim, path, DIMENSION_KEYS)
        if not d.get("description", "").strip():
            c.add(path, "needs a description (what the dimension scores)")
        for key, text in d.get("levels", {}).items():
            lpath: KeyPath = (*path, "levels", key)
            if not key.isdigit() or not low <= int(key) <= high:
                c.add(lpath, f"level {key!r} is not a score on the scale {low}-{high}")
            elif not isinstance(text, str) or not text.strip():
                c.add(lpath, "must say what the score means (a string)")
