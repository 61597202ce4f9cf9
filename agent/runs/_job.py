"""A drafting job: one pass of one drafter over a run, by one engine, with the run's ledger.

The job is the only place a run is opened and closed around an engine: it opens the run (or
checks an existing one's identity), lets the engine draft, and closes the ledger whatever
happened (leases dropped; the run finished when nothing is left and the pass was neither
interrupted nor stopped by an error every clip would hit). The engine defaults to this process
(`LocalEngine`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from agent.drafting._protocol import Drafter
from agent.runs._engine import Engine, JobOptions
from agent.runs._ledger import JobStats, RunLedger
from agent.runs._local import LocalEngine
from agent.store import Store


class Job:
    def __init__(
        self,
        store: Store,
        drafter: Drafter,
        options: JobOptions,
        *,
        engine: Engine | None = None,
        on_progress: Callable[[JobStats], None] | None = None,
    ) -> None:
        self.store = store
        self.drafter = drafter
        self.options = options
        self.engine = engine or LocalEngine(drafter)
        self.ledger = RunLedger(
            store,
            options.run,
            drafter.identity(),
            # K samples per clip are K fresh answers: a cached one is an earlier sample
            use_cache=options.use_cache and self.engine.uses_cache and drafter.settings.samples < 2,
            drafter_label=self.engine.run_drafter,
            selection=options.selection,
        )
        self.owner = self.ledger.owner
        self.on_progress = on_progress

    @property
    def stats(self) -> JobStats:
        return self.ledger.stats

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress(self.stats)

    async def run(self) -> JobStats:
        await asyncio.to_thread(self.ledger.open)
        try:
            await self.engine.draft(self.ledger, self.options, self._progress)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.stats.interrupted = True
            raise
        finally:
            await asyncio.to_thread(self.ledger.close)
            self._progress()
        return self.stats
