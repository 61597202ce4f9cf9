"""recap: first-pass review of AI-generated captions for short robot videos."""

from agent.errors import RecapError
from agent.schema import Draft, DraftResult, Hallucination, Omission

__all__ = ["Draft", "DraftResult", "Hallucination", "Omission", "RecapError"]
__version__ = "0.1.0"
