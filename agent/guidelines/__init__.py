"""The caption guidelines and their linter: what a good caption looks like, checked on
every keystroke of the review page and on every offline rewrite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.guidelines._lint import LintWarning, lint

_WHERE = {
    "LintWarning": "agent.guidelines._lint",
    "lint": "agent.guidelines._lint",
}
__all__ = [
    "LintWarning",
    "lint",
]
__getattr__ = lazy_exports(__name__, _WHERE)
