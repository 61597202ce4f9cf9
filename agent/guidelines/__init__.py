"""The caption guideline: what a good caption looks like, as prose for the model and the
reviewers and as rules for the linter (checked on every keystroke of the review page and on
every offline rewrite), terms kept consistent across a dataset, and an optional rubric.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.guidelines._consistency import Drift, Variant, consistency
    from agent.guidelines._guideline import (
        Guidelines,
        GuidelineSource,
        active_guidelines,
        default_guidelines,
        guidelines_for,
        guidelines_source,
        inspect_guidelines,
        load_guidelines,
    )
    from agent.guidelines._lint import lint
    from agent.guidelines._report import LintReport, RuleCount, lint_captions
    from agent.guidelines._rubric import Rubric, RubricDimension
    from agent.guidelines._rules import BROKEN, LintWarning, RuleInfo
    from agent.guidelines._schema import GuidelineError, Problem

_WHERE = {
    "Drift": "agent.guidelines._consistency",
    "Variant": "agent.guidelines._consistency",
    "consistency": "agent.guidelines._consistency",
    "GuidelineSource": "agent.guidelines._guideline",
    "Guidelines": "agent.guidelines._guideline",
    "active_guidelines": "agent.guidelines._guideline",
    "default_guidelines": "agent.guidelines._guideline",
    "guidelines_for": "agent.guidelines._guideline",
    "guidelines_source": "agent.guidelines._guideline",
    "inspect_guidelines": "agent.guidelines._guideline",
    "load_guidelines": "agent.guidelines._guideline",
    "lint": "agent.guidelines._lint",
    "LintReport": "agent.guidelines._report",
    "RuleCount": "agent.guidelines._report",
    "lint_captions": "agent.guidelines._report",
    "Rubric": "agent.guidelines._rubric",
    "RubricDimension": "agent.guidelines._rubric",
    "BROKEN": "agent.guidelines._rules",
    "LintWarning": "agent.guidelines._rules",
    "RuleInfo": "agent.guidelines._rules",
    "GuidelineError": "agent.guidelines._schema",
    "Problem": "agent.guidelines._schema",
}
__all__ = [
    "BROKEN",
    "Drift",
    "GuidelineError",
    "GuidelineSource",
    "Guidelines",
    "LintReport",
    "LintWarning",
    "Problem",
    "Rubric",
    "RubricDimension",
    "RuleCount",
    "RuleInfo",
    "Variant",
    "active_guidelines",
    "consistency",
    "default_guidelines",
    "guidelines_for",
    "guidelines_source",
    "inspect_guidelines",
    "lint",
    "lint_captions",
    "load_guidelines",
]
__getattr__ = lazy_exports(__name__, _WHERE)
