"""What an engine is: a way of drafting a run's pending clips (in this process, on Ray, through
the OpenAI Batch API), over the run's ledger.

An engine only schedules. It asks the ledger what is pending, leases clips through it, has the
drafter draft them, and hands every result and error to the ledger; it never opens, finishes
or records around the ledger, and never builds a `DraftResult` (drafters do). `Job`
(`agent.runs._job`) is the one place a run is opened and closed around an engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agent.runs._ledger import RunLedger
    from agent.sets import Selection


@dataclass
class JobOptions:
    """What one drafting pass over a run does, whatever the engine. `selection` is the clips a
    new run covers (None: the production sets; for an existing run, the run's own: asking for
    another is refused)."""

    run: str
    concurrency: int = 16
    retry_failed: bool = False
    limit: int | None = None
    lease_ttl_s: float = 1800.0
    use_cache: bool = True
    selection: Selection | None = None


class Engine(Protocol):
    """Drafts what the ledger says is pending, recording through the ledger."""

    # The drafter name the run is recorded under when the engine changes how drafts are made
    # (the Batch API: "llm-batch"); None keeps the drafter's own.
    run_drafter: str | None
    uses_cache: bool  # whether cache hits are served (a batch is priced and polled as a whole)

    async def draft(
        self, ledger: RunLedger, options: JobOptions, progress: Callable[[], None]
    ) -> None:
        """Draft the pending clips; call `progress()` as the ledger's counters move."""
        ...
