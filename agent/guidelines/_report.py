"""A guideline checked over many captions: violations per rule with counts and example clips,
for `recap lint` in a data pipeline (it fails when an error-severity rule is broken)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.guidelines._guideline import Guidelines


@dataclass
class RuleCount:
    kind: str
    severity: str
    warnings: int = 0
    captions: int = 0
    examples: list[tuple[str, str, str]] = field(default_factory=list)  # (clip, text, message)


@dataclass
class LintReport:
    guideline: str  # the guideline's version, name@hash
    source: str
    captions: int = 0
    flagged: int = 0  # captions with at least one warning
    rules: dict[str, RuleCount] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """An error-severity rule is broken somewhere (a pipeline should stop)."""
        return any(r.severity == "error" and r.warnings for r in self.rules.values())

    def ordered(self) -> list[RuleCount]:
        rank = {"error": 0, "warning": 1, "info": 2}
        return sorted(self.rules.values(), key=lambda r: (rank.get(r.severity, 3), -r.warnings))

    def to_json(self) -> dict[str, Any]:
        return {
            "guideline": self.guideline,
            "source": self.source,
            "captions": self.captions,
            "flagged": self.flagged,
            "failed": self.failed,
            "rules": [
                {
                    "rule": r.kind,
                    "severity": r.severity,
                    "warnings": r.warnings,
                    "captions": r.captions,
                    "examples": [
                        {"clip": clip, "text": text, "message": message}
                        for clip, text, message in r.examples
                    ],
                }
                for r in self.ordered()
            ],
        }


def lint_captions(
    items: Iterable[tuple[str, str]],
    guidelines: Guidelines,
    *,
    examples: int = 5,
    on_caption: Callable[[int], None] | None = None,
) -> LintReport:
    """Lint each (clip id, caption); keep counts per rule and the first `examples` clips."""
    report = LintReport(guidelines.version, guidelines.source)
    for clip, text in items:
        warnings = guidelines.lint(text)
        report.captions += 1
        report.flagged += bool(warnings)
        seen: set[str] = set()
        for w in warnings:
            r = report.rules.get(w.kind)
            if r is None:
                r = report.rules[w.kind] = RuleCount(w.kind, w.severity)
            r.warnings += 1
            if w.kind not in seen:
                seen.add(w.kind)
                r.captions += 1
                if len(r.examples) < examples:
                    r.examples.append((clip, w.text, w.message))
        if on_caption is not None:
            on_caption(report.captions)
    return report
