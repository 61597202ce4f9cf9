"""The caption linter with recap's built-in guideline: `lint(text)`.

The rules themselves live in the guideline file (prompts/guidelines.toml for the built-in, a
team's own guidelines.toml otherwise) and run through `Guidelines.lint`; this is the shortcut
for the built-in one, fast enough to run on every keystroke of the review page. The guideline
machinery loads on the first call, not when a module that may lint is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.guidelines._rules import LintWarning

__all__ = ["lint"]


def lint(text: str) -> list[LintWarning]:
    """The built-in guideline's warnings for a caption, in order of position."""
    from agent.guidelines._guideline import default_guidelines

    return default_guidelines().lint(text)
