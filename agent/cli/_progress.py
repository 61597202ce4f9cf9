"""Live progress for bulk drafting and long ingests, and the end-of-job summary, drawn with
rich."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from agent.data._ingest import IngestReport
from agent.drafting._ratelimit import RateLimiter
from agent.runs._ledger import JobStats

# One wording wherever drafts served from the response cache are counted (the live bar, the
# summary table, `recap demo`, `recap eval run`).
FROM_CACHE = "from cache"


def outcome(st: JobStats) -> str:
    """A job's result in one line, in the summary table's words."""
    return f"drafted {st.drafted}, {FROM_CACHE} {st.cached}, failed {st.failed}"


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
            f"[red]{st.failed} failed[/] · {st.cached} {FROM_CACHE} · "
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
        (FROM_CACHE, str(st.cached)),
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


class IngestProgress:
    """A progress bar for a long ingest, through the bytes of the manifest. It appears only once
    `show_from` rows have gone by, so a small manifest prints nothing but its summary."""

    def __init__(self, console: Console, show_from: int = 2000) -> None:
        self.console = console
        self.show_from = show_from
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> IngestProgress:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.progress is not None:
            self.progress.__exit__(t, e, tb)

    def __call__(self, report: IngestReport, done: int, total: int | None) -> None:
        if self.progress is None:
            if report.total < self.show_from:
                return
            self.progress = Progress(
                TextColumn("[bold]ingesting"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self.progress.__enter__()
            self.task = self.progress.add_task("ingest", total=total, detail="")
        assert self.task is not None
        detail = (
            f"{report.total:,} rows · {report.added:,} added · {report.updated:,} updated · "
            f"{report.unchanged:,} unchanged · [yellow]{len(report.skipped):,} skipped[/]"
        )
        self.progress.update(self.task, total=total, completed=done, detail=detail)
