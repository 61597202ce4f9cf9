"""Live progress and end-of-job summary for bulk drafting, drawn with rich."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from agent.ratelimit import RateLimiter
from agent.runs import JobStats


class JobProgress:
    """A progress bar with done/failed/rate/ETA and cost so far."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]drafting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> JobProgress:
        self.progress.__enter__()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.__exit__(t, e, tb)

    def update(self, st: JobStats) -> None:
        cost = f"${st.cost_usd:.4f}" if st.cost_usd is not None else "cost n/a"
        detail = (
            f"[red]{st.failed} failed[/] · {st.cached} cached · "
            f"{st.requests_per_min:.0f} req/min · {cost}"
        )
        if self.task is None:
            self.task = self.progress.add_task("draft", total=st.total or None, detail=detail)
        self.progress.update(self.task, total=st.total or None, completed=st.done, detail=detail)


def summary_table(st: JobStats, limiter: RateLimiter | None = None) -> Table:
    table = Table(title=f"Run {st.run}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("clips this job", str(st.total)),
        ("drafted", str(st.drafted)),
        ("from cache", str(st.cached)),
        ("failed", str(st.failed) + (f" ({dict(st.errors)})" if st.errors else "")),
        ("skipped (other worker)", str(st.skipped)),
        ("requests (incl. retries, re-asks)", str(st.requests)),
        ("transport retries / re-asks", f"{st.retries} / {st.reasks}"),
        ("tokens in / out", f"{st.prompt_tokens} / {st.completion_tokens}"),
        ("cost", f"${st.cost_usd:.4f}" if st.cost_usd is not None else "unknown price"),
        ("elapsed", f"{st.elapsed_s:.1f} s"),
        ("requests / min", f"{st.requests_per_min:.0f}"),
    ]
    if limiter is not None:
        rows.append(("429s seen", str(limiter.seen_429)))
    for k, v in rows:
        table.add_row(k, v)
    return table
