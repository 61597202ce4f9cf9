"""The guideline's rules in words for the model: generated from the rules in force, so the prompt
says what the linter checks and cannot drift from it (a team changing a term, the tense or the
word limit changes what the model reads, and with it the prompt version).

Each line says the rule, and "must" for an error-severity rule, "should" for a warning; rules
that are off, the spelling rule (the model writes English anyway) and info rules are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.guidelines._rules import (
    ArmRule,
    LengthRule,
    OutcomeRule,
    PhraseRule,
    Rule,
    SentenceRule,
    SpatialRule,
    TenseRule,
    TermRule,
    VoiceRule,
)

HEADING = "Rules the rewrite is checked against"


def _quoted(words: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f'"{w}"' for w in words)


def _line(rule: Rule) -> str | None:
    """One rule as an instruction; None for a rule the model needs no line for."""
    must = "must" if rule.severity == "error" else "should"
    if isinstance(rule, TermRule):
        terms = [f'"{good}", not {_quoted(bad)}' for good, bad in rule.terms.items()]
        return f"Terms (the rewrite {must} use the first, in any inflection): " + "; ".join(terms)
    if isinstance(rule, TenseRule):
        examples = list(rule.forms.items())[:4]
        shown = ", ".join(f'"{good}" not "{bad}"' for bad, good in examples)
        return f"Tense: the rewrite {must} use the {rule.use} tense ({shown}, ...)."
    if isinstance(rule, PhraseRule):
        if not rule.phrases and not rule.patterns:
            return None
        parts = [_quoted(rule.phrases)] if rule.phrases else []
        parts += [f"text matching /{source}/" for source, _ in rule.patterns]
        return f"Banned phrases ({rule.kind}; the rewrite {must} not use them): " + ", ".join(parts)
    if isinstance(rule, LengthRule):
        low, high = rule.min_words, rule.max_words
        span = (
            f"{low} to {high} words"
            if low is not None and high is not None
            else f"at least {low} words"
            if low is not None
            else f"at most {high} words"
        )
        return f"Length: the rewrite {must} have {span}."
    if isinstance(rule, SentenceRule):
        return f"Sentences: the rewrite {must} keep to {rule.summary()}."
    if isinstance(rule, VoiceRule):
        return (
            f'Voice: the rewrite {must} use the active voice ("the arm lifts the cube", not '
            '"the cube is lifted").'
        )
    if isinstance(rule, OutcomeRule):
        where = " in its last sentence" if rule.last else ""
        return (
            f"Outcome: the rewrite {must} state the outcome{where} (with a word such as "
            f"{_quoted(rule.words[:5])})."
        )
    if isinstance(rule, ArmRule):
        return (
            f"Arms: on a robot with several arms the rewrite {must} name the arm or gripper "
            f"({_quoted(rule.names)}) each time it is mentioned."
        )
    if isinstance(rule, SpatialRule):
        return f"Left and right: the rewrite {must} give them from the {rule.view}'s point of view."
    return None


def brief(rules: Iterable[Rule], version: str) -> str:
    """The rules in force as a short Markdown list for the system prompt, headed with the
    guideline's version; empty when no rule needs saying."""
    lines = [
        line
        for rule in rules
        if rule.severity in ("error", "warning")
        for line in [_line(rule)]
        if line
    ]
    if not lines:
        return ""
    return f"### {HEADING} ({version})\n" + "\n".join(f"- {x}" for x in lines)
