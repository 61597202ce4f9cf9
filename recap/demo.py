"""`recap demo`: ingest the bundled sample, draft it, score it, open the review page.

The command imports the library, the harness and the page launcher when it runs, so loading
the command line stays cheap.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli import out, settings_from
from agent.errors import RecapError

SAMPLE_MANIFEST = (
    Path(__file__).resolve().parents[1] / "evals" / "datasets" / "sample" / ("manifest.jsonl")
)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)


def demo_cmd(
    workdir: Annotated[
        Path, typer.Option("--dir", help="Where the demo database and reports go.")
    ] = Path("recap-demo"),
    review: Annotated[
        bool, typer.Option("--review/--no-review", help="Open the review page at the end.")
    ] = True,
    port: Annotated[int, typer.Option("--port", help="Port for the review page.")] = 8501,
) -> None:
    """The whole loop on bundled robot clips: ingest, draft, score, review."""
    import asyncio

    from agent.data import ingest
    from agent.drafting import default_drafter_kind, make_drafter
    from agent.runs import Job, JobOptions
    from agent.sets import Selection, SetKind
    from agent.store import Store
    from evals.commands import summary_table
    from evals.gold import load_gold
    from evals.judges import LexicalJudge
    from evals.reports import score_to_folder
    from ui.commands import serve

    sample = SAMPLE_MANIFEST
    if not sample.is_file():
        raise RecapError(
            f"The sample set is missing ({sample}).",
            hint="Regenerate it: python -m evals.datasets.metaworld_gen",
        )
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    db = f"sqlite:///{(workdir / 'recap.db').resolve()}"
    store = Store(db)
    report = ingest(store, sample, clip_set="sample", set_kind=SetKind.EVALUATION)
    out.print(
        f"1. ingested {report.added} sample clips (Meta-World Sawyer tasks, AI captions "
        f"with known mistakes) into {db}",
        highlight=False,
    )
    settings = settings_from()
    kind = default_drafter_kind(settings)
    drafter = make_drafter(kind, settings)
    which = (
        drafter.describe()
        if kind == "llm"
        else "the offline drafter (no model endpoint is configured: telemetry rules "
        "and the guideline linter; set OPENAI_API_KEY or OPENAI_BASE_URL to use a "
        "model)"
    )
    out.print(f"2. drafting with {which}", highlight=False)
    run = f"demo-{kind}"

    async def go() -> Any:
        try:
            options = JobOptions(
                run=run, concurrency=8, selection=Selection.of_sets([report.clip_set or "sample"])
            )
            return await Job(store, drafter, options).run()
        finally:
            await drafter.aclose()

    stats = asyncio.run(go())
    out.print(f"   drafted {stats.drafted}, failed {stats.failed}", highlight=False)
    folder, summary = score_to_folder(
        store, run, load_gold(sample).cases, LexicalJudge(), workdir / "evals"
    )
    out.print("3. scored against the gold rewrites:")
    out.print(summary_table(summary))
    out.print(f"   report: {folder / 'report.html'}", highlight=False)
    if review:
        out.print("4. opening the review page (Ctrl-C to stop)")
        serve(db, run, port=port, host="127.0.0.1")
