"""A caption guideline loaded from its TOML file: the prose, the linter's rules, the terms, the
rubric, and a hash that names this exact version.

A team's file starts from recap's built-in guideline (prompts/guidelines.toml) unless it says
`base = "none"`: tables merge key by key, any other value (a string, a number, a list) replaces
the base's. `load_guidelines(path)` refuses a file that does not parse or breaks the schema,
naming each line; `active_guidelines()` finds the guideline in force (`--guidelines FILE`, then
`RECAP_GUIDELINES`, then a `guidelines.toml` beside the prompt folder, then the built-in).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import prompts as _prompts_pkg
from agent.guidelines._positions import key_lines
from agent.guidelines._rubric import Rubric, RubricDimension
from agent.guidelines._rules import (
    OUTCOME_WORDS,
    PRESENT_FOR_PAST,
    STATIVE,
    ArmRule,
    LengthRule,
    LintWarning,
    OutcomeRule,
    PhraseRule,
    Rule,
    RuleInfo,
    SentenceRule,
    SpatialRule,
    SpellingRule,
    TenseRule,
    TermRule,
    VoiceRule,
    run_rules,
)
from agent.guidelines._schema import GuidelineError, KeyPath, Origins, Problem, check

if TYPE_CHECKING:
    from agent.settings import Settings

BUILTIN_FILE = Path(_prompts_pkg.__file__).parent / "guidelines.toml"
BUILTIN_LABEL = "built-in guideline (prompts/guidelines.toml)"
ENV_VAR = "RECAP_GUIDELINES"
FILE_NAME = "guidelines.toml"


@dataclass(frozen=True)
class GuidelineSource:
    """Which guideline file is in force, and what chose it."""

    path: Path | None  # None: the built-in
    chosen_by: str  # --guidelines | RECAP_GUIDELINES | beside the prompts | built-in

    def __str__(self) -> str:
        return f"{self.path or BUILTIN_LABEL} ({self.chosen_by})"


@dataclass(frozen=True)
class Guidelines:
    """One guideline, ready to use. `hash` covers the prose and every rule, so any edit is a
    new version; `version` is `name@hash[:12]`."""

    name: str
    source: str
    prose: str
    hash: str
    data: Mapping[str, Any]
    rubric: Rubric | None
    notes: tuple[Problem, ...]
    terms: Mapping[str, tuple[str, ...]]  # preferred -> banned variants
    vocabulary: frozenset[str]
    consistency_groups: tuple[tuple[str, ...], ...]
    builtin_synonyms: bool
    _rules: tuple[Rule, ...] = field(repr=False)

    @property
    def version(self) -> str:
        return f"{self.name}@{self.hash[:12]}"

    @property
    def rules(self) -> list[RuleInfo]:
        """Each rule in force (severity not off): kind, severity, what it checks."""
        return [r.info() for r in self._rules if r.severity != "off"]

    def severity(self, kind: str) -> str:
        return next((r.severity for r in self._rules if r.kind == kind), "off")

    def lint(self, text: str, *, arms: int | None = None) -> list[LintWarning]:
        """The guideline's warnings for a caption, by position. `arms` is the clip's number of
        arms when known (the arm-name rule applies only to multi-arm robots)."""
        return run_rules(list(self._rules), text, arms)

    @property
    def is_builtin(self) -> bool:
        """Whether this is recap's own guideline, unchanged."""
        return self.hash == default_guidelines().hash

    def brief(self) -> str:
        """The rules in force in words, for the model's system prompt (`_brief.brief`)."""
        from agent.guidelines._brief import brief

        return brief(self._rules, self.version)

    def errors(self, text: str, *, arms: int | None = None) -> list[LintWarning]:
        """The warnings of error-severity rules: what a rewrite must not have."""
        return [w for w in self.lint(text, arms=arms) if w.severity == "error"]

    def tense_rule(self) -> TenseRule | None:
        """The tense rule in force (severity not off), if any."""
        return next(
            (r for r in self._rules if isinstance(r, TenseRule) and r.severity != "off"), None
        )

    def limits(self) -> LengthRule | None:
        """The word-count rule in force (severity not off), if any."""
        return next(
            (r for r in self._rules if isinstance(r, LengthRule) and r.severity != "off"), None
        )

    def phrase_rules(self) -> list[PhraseRule]:
        """The phrase groups in force (severity not off)."""
        return [r for r in self._rules if isinstance(r, PhraseRule) and r.severity != "off"]

    def _term_rule(self) -> TermRule | None:
        return next((r for r in self._rules if isinstance(r, TermRule)), None)

    def preferred(self, term: str) -> str:
        """The guideline's term for `term`, in the same inflection ("robotic arms" -> "robot
        arms"); `term` itself when the guideline does not ban it."""
        rule = self._term_rule()
        if rule is None:
            return term
        found = rule.find(term)
        if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(term.strip()):
            return _same_case(found[0][2], found[0][3])
        return term

    def apply_terms(self, text: str) -> str:
        """`text` with every banned variant replaced by the preferred term."""
        rule = self._term_rule()
        if rule is None:
            return text
        out, last = [], 0
        for start, end, found, good in rule.find(text):
            out += [text[last:start], _same_case(found, good)]
            last = end
        return "".join([*out, text[last:]])


def _same_case(found: str, good: str) -> str:
    return good[:1].upper() + good[1:] if found[:1].isupper() else good


# --------------------------------------------------------------------------- reading a file


@dataclass
class _File:
    data: dict[str, Any]
    origins: Origins
    prose: str | None
    label: str


def _decode_problem(label: str, e: tomllib.TOMLDecodeError, source: str) -> Problem:
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
    line = int(m.group(1)) if m else None
    column = f", column {m.group(2)}" if m else ""
    if m is None and "end of document" in str(e):
        line = len(source.rstrip("\n").splitlines()) or 1
        column = " (the file ends inside a value: a bracket or quote is not closed)"
    reason = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", str(e))
    reason = reason or "not valid TOML"
    return Problem(label, line, "", f"does not parse as TOML: {reason}{column}")


def _read(path: Path, label: str) -> _File:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GuidelineError(
            label, [Problem(label, None, "", f"cannot be read: {e.strerror or e}")]
        ) from None
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise GuidelineError(
            label, [Problem(label, line, "", f"is not UTF-8 (byte {raw[e.start]:#04x})")]
        ) from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        raise GuidelineError(label, [_decode_problem(label, e, source)]) from None
    lines = key_lines(source)
    origins: Origins = {path_: (label, line) for path_, line in lines.items()}
    origins[()] = (label, None)
    prose = data.get("prose_text") if isinstance(data.get("prose_text"), str) else None
    if isinstance(data.get("prose"), str) and "prose_text" not in data:
        md = path.parent / data["prose"]
        try:
            prose = md.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            why = "is not UTF-8" if isinstance(e, UnicodeDecodeError) else "cannot be read"
            raise GuidelineError(
                label,
                [Problem(label, lines.get(("prose",)), "prose", f"{md} {why}: {e}")],
            ) from None
    return _File(data, origins, prose, label)


def _merge(base: _File, top: _File) -> tuple[dict[str, Any], Origins]:
    """Tables merge key by key; any other value replaces the base's (and its origins)."""
    data = copy.deepcopy(base.data)
    origins = dict(base.origins)

    def drop_under(path: KeyPath) -> None:
        for p in [p for p in origins if p[: len(path)] == path and len(p) > len(path)]:
            del origins[p]

    def merge(into: dict[str, Any], new: dict[str, Any], path: KeyPath) -> None:
        for key, value in new.items():
            here = (*path, key)
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value, here)
            else:
                into[key] = copy.deepcopy(value)
                drop_under(here)

    merge(data, top.data, ())
    for p, where in top.origins.items():
        if p:
            origins[p] = where
    origins[()] = top.origins[()]
    for key in ("prose", "prose_text"):  # a file's prose replaces the base's either way
        if key in top.data:
            other = "prose_text" if key == "prose" else "prose"
            if other not in top.data:
                data.pop(other, None)
    return data, origins


def _drop_other_tense(data: dict[str, Any], base: _File, top: _File) -> None:
    """A file that changes the tense without listing forms gets the built-in table for its
    tense, not the base's forms, which belong to the other tense."""
    top_tense = top.data.get("tense")
    if not isinstance(top_tense, dict) or "forms" in top_tense or "use" not in top_tense:
        return
    if top_tense["use"] != base.data.get("tense", {}).get("use") and isinstance(
        data.get("tense"), dict
    ):
        data["tense"].pop("forms", None)


def _notes(data: dict[str, Any], top: _File, inherited_prose: bool) -> list[Problem]:
    out = []
    label = top.label

    def line(path: KeyPath) -> int | None:
        return top.origins.get(path, (label, None))[1]

    if inherited_prose:
        for path, what in (
            (("tense", "use"), "tense"),
            (("spatial", "view"), "spatial view"),
            (("limits", "max_words"), "word limit"),
        ):
            if path in top.origins:
                out.append(
                    Problem(
                        label,
                        line(path),
                        ".".join(map(str, path)),
                        f"the {what} changes but the prose is the built-in one, which the model "
                        'and reviewers read: give your own with prose = "FILE.md"',
                        "note",
                    )
                )
    if (
        label != BUILTIN_LABEL
        and ("spatial", "view") in top.origins
        and ("severity", "spatial") not in top.origins
        and data.get("severity", {}).get("spatial") == "off"
    ):
        out.append(
            Problem(
                label,
                line(("spatial", "view")),
                "spatial.view",
                'the spatial check is off (severity.spatial = "off" in the base); set '
                '[severity] spatial = "warning" to check it',
                "note",
            )
        )
    return out


def _build(data: dict[str, Any], prose: str, source: str, notes: list[Problem]) -> Guidelines:
    severity = data.get("severity", {})

    def sev(kind: str) -> str:
        return str(severity.get(kind, "warning"))

    rules: list[Rule] = []
    terms = {k: tuple(v) for k, v in data.get("terms", {}).items()}
    vocabulary = {w.lower() for words in data.get("vocabulary", {}).values() for w in words}
    term_words = {w.lower() for t in terms for w in t.split()}
    rules.append(SpellingRule("spelling", sev("spelling"), frozenset(vocabulary | term_words)))
    tense = data.get("tense", {})
    use = tense.get("use", "present")
    if use != "any" and "tense" in data:
        forms = tense.get("forms")
        if forms is None:
            forms = (
                PRESENT_FOR_PAST
                if use == "present"
                else {v: k for k, v in PRESENT_FOR_PAST.items()}
            )
        rules.append(
            TenseRule("tense", sev("tense"), use, {k.lower(): v for k, v in forms.items()})
        )
    for name, group in data.get("phrases", {}).items():
        from agent.guidelines._patterns import compile_pattern

        rules.append(
            PhraseRule(
                name,
                sev(name),
                list(group.get("phrases", [])),
                [(p, compile_pattern(p)) for p in group.get("patterns", [])],
                group.get("message", "{text!r} is not allowed by the guideline"),
            )
        )
    if terms:
        rules.append(TermRule("term", sev("term"), {k: list(v) for k, v in terms.items()}))
    limits = data.get("limits", {})
    if "min_words" in limits or "max_words" in limits:
        kw = {k: limits[k] for k in ("short_message", "long_message") if k in limits}
        rules.append(
            LengthRule(
                "length", sev("length"), limits.get("min_words"), limits.get("max_words"), **kw
            )
        )
    if any(k in limits for k in ("min_sentences", "max_sentences", "max_sentence_words")):
        rules.append(
            SentenceRule(
                "sentences",
                sev("sentences"),
                limits.get("min_sentences"),
                limits.get("max_sentences"),
                limits.get("max_sentence_words"),
            )
        )
    voice = data.get("voice", {})
    if voice.get("use") == "active":
        allow = frozenset(w.lower() for w in voice.get("allow", STATIVE))
        rules.append(VoiceRule("voice", sev("voice"), allow))
    require = data.get("require", {})
    if require.get("outcome"):
        words = tuple(require.get("outcome_words", OUTCOME_WORDS))
        rules.append(
            OutcomeRule("outcome", sev("outcome"), words, bool(require.get("outcome_last")))
        )
    if require.get("arm_name"):
        names = tuple(n.lower() for n in require.get("arm_names", ("left", "right", "both")))
        rules.append(ArmRule("arm", sev("arm"), names))
    view = data.get("spatial", {}).get("view", "any")
    if view != "any":
        rules.append(SpatialRule("spatial", sev("spatial"), view))
    rubric = None
    if "rubric" in data:
        low, high = data["rubric"].get("scale", [1, 5])
        rubric = Rubric(
            low,
            high,
            tuple(
                RubricDimension(
                    name,
                    dim["description"].strip(),
                    {int(k): v for k, v in dim.get("levels", {}).items()},
                )
                for name, dim in data["rubric"]["dimensions"].items()
            ),
        )
    consistency = data.get("consistency", {})
    digest = hashlib.sha256(
        json.dumps({"rules": _hashed(data), "prose": prose}, sort_keys=True).encode()
    ).hexdigest()
    return Guidelines(
        name=str(data["name"]),
        source=source,
        prose=prose,
        hash=digest,
        data=data,
        rubric=rubric,
        notes=tuple(notes),
        terms=terms,
        vocabulary=frozenset(vocabulary),
        consistency_groups=tuple(tuple(g) for g in consistency.get("groups", [])),
        builtin_synonyms=bool(consistency.get("synonyms", True)),
        _rules=tuple(rules),
    )


def _hashed(data: dict[str, Any]) -> dict[str, Any]:
    """What the hash covers: every rule, not where the prose came from (its text is hashed)."""
    return {k: v for k, v in data.items() if k not in ("prose", "prose_text", "base")}


def inspect_guidelines(path: str | Path | None) -> tuple[Guidelines | None, list[Problem]]:
    """Every problem of a guideline file (errors and notes), and the guideline when it has no
    error. Parse failures are reported as a problem, not raised."""
    try:
        base = _read(BUILTIN_FILE, BUILTIN_LABEL)
        if path is None:
            top, data, origins = base, base.data, base.origins
        else:
            p = Path(path)
            top = _read(p, str(p))
            chosen = top.data.get("base", "default")
            if chosen == "none":
                data, origins = copy.deepcopy(top.data), dict(top.origins)
            else:
                data, origins = _merge(base, top)
                data["base"] = chosen
                _drop_other_tense(data, base, top)
            if "name" not in top.data:  # a team's file is not "recap" because it extends it
                data["name"] = p.stem
    except GuidelineError as e:
        return None, e.problems
    problems = check(data, origins)
    inherited = path is not None and top.prose is None and data.get("base", "default") != "none"
    if path is not None and top.data.get("base", "default") == "none" and top.prose is None:
        problems.append(
            Problem(
                top.label,
                None,
                "prose",
                'a file with base = "none" needs its prose: prose = "FILE.md" or prose_text',
            )
        )
    problems += _notes(data, top, inherited)
    if any(p.level == "error" for p in problems):
        return None, problems
    prose = top.prose if top.prose is not None else base.prose
    source = BUILTIN_LABEL if path is None else str(path)
    try:
        guidelines = _build(data, (prose or "").strip(), source, problems)
    except Exception as e:  # a rule the schema let through but cannot be built
        return None, [*problems, Problem(source, None, "", f"cannot build the rules: {e}")]
    return guidelines, problems


def load_guidelines(path: str | Path | None = None) -> Guidelines:
    """The guideline in `path` (None: the built-in), or GuidelineError naming each problem."""
    if path is None:
        return default_guidelines()
    p = Path(path)
    stamp = _stamp(p)
    prose = _prose_path(str(p), stamp[1], stamp[2])
    return _load_cached(*stamp, _stamp(prose) if prose else None, display=str(path))


def _stamp(p: Path) -> tuple[str, int, int]:
    try:
        stat = p.stat()
        return (str(p.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return (str(p), 0, 0)


@lru_cache(maxsize=16)
def _prose_path(path: str, mtime_ns: int, size: int) -> Path | None:
    """The Markdown file the guideline's `prose` names, read once per version of the TOML file
    (its stamp is the key), so that editing the prose alone loads a new version too while a
    page rerun costs two `stat` calls, not a parse."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    prose = data.get("prose")
    if isinstance(prose, str) and "prose_text" not in data:
        return p.parent / prose
    return None


@lru_cache(maxsize=16)
def _load_cached(
    resolved: str,
    mtime_ns: int,
    size: int,
    prose: tuple[str, int, int] | None,
    *,
    display: str,
) -> Guidelines:
    guidelines, problems = inspect_guidelines(Path(display))
    if guidelines is None:
        raise GuidelineError(display, problems)
    return guidelines


@lru_cache(maxsize=1)
def default_guidelines() -> Guidelines:
    guidelines, problems = inspect_guidelines(None)
    if guidelines is None:  # the shipped file is tested; this means a broken install
        raise GuidelineError(BUILTIN_LABEL, problems)
    return guidelines


def guidelines_source(
    path: str | Path | None = None,
    *,
    prompts_dir: str | Path | None = None,
    prompt: str | None = None,
    env: Mapping[str, str] | None = None,
) -> GuidelineSource:
    """Which guideline is in force: `path` (the --guidelines flag), then RECAP_GUIDELINES, then
    `guidelines.toml` in the prompt's own folder or the prompts folder beside it (like
    guidelines.md), then the built-in."""
    env = os.environ if env is None else env
    if path:
        return GuidelineSource(Path(path), "--guidelines")
    if env.get(ENV_VAR):
        return GuidelineSource(Path(env[ENV_VAR]), ENV_VAR)
    if prompts_dir:
        root = Path(prompts_dir)
        for candidate in ([root / prompt / FILE_NAME] if prompt else []) + [root / FILE_NAME]:
            if candidate.is_file() and candidate.resolve() != BUILTIN_FILE.resolve():
                return GuidelineSource(candidate, "beside the prompts")
    return GuidelineSource(None, "built-in")


def guidelines_for(settings: Settings, path: str | Path | None = None) -> Guidelines:
    """The guideline in force for these settings: `path` (a command's --guidelines) or the
    settings' own (RECAP_GUIDELINES), else one beside the settings' prompt, else the built-in."""
    return active_guidelines(
        path or settings.guidelines, prompts_dir=settings.prompts_dir, prompt=settings.prompt
    )


def active_guidelines(
    path: str | Path | None = None,
    *,
    prompts_dir: str | Path | None = None,
    prompt: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Guidelines:
    """The guideline in force (see `guidelines_source`), loaded."""
    return load_guidelines(
        guidelines_source(path, prompts_dir=prompts_dir, prompt=prompt, env=env).path
    )
