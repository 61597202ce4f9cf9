"""Drafting runs: a run's ledger (open, pending, lease, record, finish), the job that opens and
closes a run around an engine, and the engines that draft: in this process, on Ray, or through
the OpenAI Batch API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.runs._engine import Engine, JobOptions
    from agent.runs._job import Job
    from agent.runs._ledger import JobStats, RunLedger, record_one_off, run_name_for
    from agent.runs._local import LocalEngine
    from agent.runs._openai_batch import OpenAIBatchEngine
    from agent.runs._ray import RayEngine

_WHERE = {
    "Engine": "agent.runs._engine",
    "JobOptions": "agent.runs._engine",
    "Job": "agent.runs._job",
    "JobStats": "agent.runs._ledger",
    "RunLedger": "agent.runs._ledger",
    "record_one_off": "agent.runs._ledger",
    "run_name_for": "agent.runs._ledger",
    "LocalEngine": "agent.runs._local",
    "OpenAIBatchEngine": "agent.runs._openai_batch",
    "RayEngine": "agent.runs._ray",
}
__all__ = [
    "Engine",
    "Job",
    "JobOptions",
    "JobStats",
    "LocalEngine",
    "OpenAIBatchEngine",
    "RayEngine",
    "RunLedger",
    "record_one_off",
    "run_name_for",
]
__getattr__ = lazy_exports(__name__, _WHERE)
