"""Drafting runs: a run's identity and ledger (open, pending, record, finish), and the
engines that drive it: in this process, on Ray, or through the OpenAI Batch API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.runs._ledger import JobStats, RunIdentity, RunLedger, record_one_off
    from agent.runs._local import Job, JobOptions
    from agent.runs._openai_batch import BatchRunner
    from agent.runs._ray import run_ray_job

_WHERE = {
    "JobStats": "agent.runs._ledger",
    "RunIdentity": "agent.runs._ledger",
    "RunLedger": "agent.runs._ledger",
    "record_one_off": "agent.runs._ledger",
    "Job": "agent.runs._local",
    "JobOptions": "agent.runs._local",
    "run_ray_job": "agent.runs._ray",
    "BatchRunner": "agent.runs._openai_batch",
}
__all__ = [
    "BatchRunner",
    "Job",
    "JobOptions",
    "JobStats",
    "RunIdentity",
    "RunLedger",
    "record_one_off",
    "run_ray_job",
]
__getattr__ = lazy_exports(__name__, _WHERE)
