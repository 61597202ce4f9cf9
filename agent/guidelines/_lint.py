"""The caption linter with recap's built-in guideline: `lint(text)`.

The rules themselves live in the guideline file (prompts/guidelines.toml for the built-in, a
team's own guidelines.toml otherwise) and run through `Guidelines.lint`; this is the shortcut
for the built-in one, fast enough to run on every keystroke of the review page.
"""

from __future__ import annotations

from agent.guidelines._guideline import default_guidelines
from agent.guidelines._rules import LintWarning

__all__ = ["LintWarning", "lint"]


def lint(text: str) -> list[LintWarning]:
    """The built-in guideline's warnings for a caption, in order of position."""
    return default_guidelines().lint(text)
