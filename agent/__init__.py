"""recap: first-pass review of AI-generated captions for short robot videos.

A lazy face like the domain packages' (`agent._exports`): importing any part of the library
loads the contract only when one of these names is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.errors import RecapError
    from agent.schema import Draft, DraftResult, Hallucination, Omission

_WHERE = {
    "RecapError": "agent.errors",
    "Draft": "agent.schema",
    "DraftResult": "agent.schema",
    "Hallucination": "agent.schema",
    "Omission": "agent.schema",
}
__all__ = ["Draft", "DraftResult", "Hallucination", "Omission", "RecapError"]
__version__ = "0.1.0"
__getattr__ = lazy_exports(__name__, _WHERE)
