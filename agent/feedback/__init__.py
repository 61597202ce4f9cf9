"""Feedback for the team that owns the captioning model: what its original captions get wrong,
from gold labels or from a run's reviews (error profile with intervals, breakdowns, recurring
phrases and their corrections, two sets compared, the five largest error sources).

Modules: `findings` (which errors each clip counts), `rates` (shares, rates, intervals,
breakdowns), `phrases` (recurring flagged phrases and their replacements), `contradictions`
(the outcome and grasp claims telemetry contradicts), `report` (the report and its JSON,
Markdown and HTML).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.feedback._findings import ClipErrors, Collected, Flag, from_gold, from_run
    from agent.feedback._phrases import Phrase, phrases, replacement
    from agent.feedback._rates import METHOD, Cell, Difference, Rate, difference, profile, wilson
    from agent.feedback._report import Feedback, build, summary, to_html, to_json, write

_WHERE = {
    "ClipErrors": "agent.feedback._findings",
    "Collected": "agent.feedback._findings",
    "Flag": "agent.feedback._findings",
    "from_gold": "agent.feedback._findings",
    "from_run": "agent.feedback._findings",
    "Phrase": "agent.feedback._phrases",
    "phrases": "agent.feedback._phrases",
    "replacement": "agent.feedback._phrases",
    "METHOD": "agent.feedback._rates",
    "Cell": "agent.feedback._rates",
    "Difference": "agent.feedback._rates",
    "Rate": "agent.feedback._rates",
    "difference": "agent.feedback._rates",
    "profile": "agent.feedback._rates",
    "wilson": "agent.feedback._rates",
    "Feedback": "agent.feedback._report",
    "build": "agent.feedback._report",
    "summary": "agent.feedback._report",
    "to_html": "agent.feedback._report",
    "to_json": "agent.feedback._report",
    "write": "agent.feedback._report",
}
__all__ = [
    "METHOD",
    "Cell",
    "ClipErrors",
    "Collected",
    "Difference",
    "Feedback",
    "Flag",
    "Phrase",
    "Rate",
    "build",
    "difference",
    "from_gold",
    "from_run",
    "phrases",
    "profile",
    "replacement",
    "summary",
    "to_html",
    "to_json",
    "wilson",
    "write",
]
__getattr__ = lazy_exports(__name__, _WHERE)
