"""The batches repository: OpenAI Batch API jobs a run submitted, kept until their results are
ingested, so a later `recap draft --batch` collects them instead of submitting again."""

from __future__ import annotations

from sqlalchemy import select

from agent.store._engine import Repository
from agent.store._tables import BatchJob


class Batches(Repository):
    """Batch API jobs by run."""

    def save(self, batch: BatchJob) -> None:
        with self.session.begin() as s:
            s.merge(batch)

    def of_run(self, run: str, *, open_only: bool = True) -> list[BatchJob]:
        """The run's jobs, oldest first; by default only those not yet ingested."""
        with self.session() as s:
            q = select(BatchJob).where(BatchJob.run == run)
            if open_only:
                q = q.where(BatchJob.ingested.is_(False))
            return list(s.scalars(q.order_by(BatchJob.created_at)))
