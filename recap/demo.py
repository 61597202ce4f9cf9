"""`recap demo`: ingest the bundled sample, draft it, score it, open the review page, and say
how the other commands find its database.

The command imports the library, the harness and the page launcher when it runs, so loading
the command line stays cheap.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli import out, settings_from
from agent.errors import RecapError
from evals.commands import GuidelinesOpt

SAMPLE_MANIFEST = (
    Path(__file__).resolve().parents[1] / "evals" / "datasets" / "sample" / ("manifest.jsonl")
)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)


def demo_cmd(
    workdir: Annotated[
        Path,
        typer.Option("--dir", help="Where the demo database and reports go (kept between runs)."),
    ] = Path("recap-demo"),
    review: Annotated[
        bool, typer.Option("--review/--no-review", help="Open the review page at the end.")
    ] = True,
    port: Annotated[int, typer.Option("--port", help="Port for the review page.")] = 8501,
    guidelines: GuidelinesOpt = None,
) -> None:
    """The whole loop on bundled robot clips: ingest, draft, score, review."""
    import asyncio

    from agent.cli import outcome
    from agent.data import ingest
    from agent.drafting import default_drafter_kind, make_drafter
    from agent.guidelines import guidelines_for
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
    workdir.mkdir(parents=True, exist_ok=True)
    path = (workdir / "recap.db").resolve()
    db = f"sqlite:///{path}"
    store = Store(db)
    report = ingest(store, sample, clip_set="sample", set_kind=SetKind.EVALUATION)
    kept = f" ({report.unchanged} already there)" if report.unchanged else ""
    out.print(
        f"1. ingested {report.added + report.updated + report.unchanged} sample clips "
        f"(Meta-World Sawyer tasks, AI captions with known mistakes) into {db}{kept}",
        highlight=False,
    )
    settings = settings_from(guidelines=guidelines)
    kind = default_drafter_kind(settings)
    drafter = make_drafter(kind, settings, modes=store.endpoints)
    which = (
        drafter.describe()
        if kind == "llm"
        else "the offline drafter (no model endpoint is configured: telemetry rules "
        "and the guideline linter; set OPENAI_API_KEY or OPENAI_BASE_URL to use a "
        "model)"
    )
    run = next_run(store, f"demo-{kind}")
    out.print(f"2. drafting run {run} with {which}", highlight=False)

    async def go() -> Any:
        try:
            options = JobOptions(
                run=run, concurrency=8, selection=Selection.of_sets([report.clip_set or "sample"])
            )
            return await Job(store, drafter, options).run()
        finally:
            await drafter.aclose()

    stats = asyncio.run(go())
    out.print(f"   {outcome(stats)}", highlight=False)
    folder, summary = score_to_folder(
        store,
        run,
        load_gold(sample).cases,
        LexicalJudge(),
        workdir / "evals",
        guidelines_for(settings),
    )
    out.print("3. scored against the gold rewrites:")
    out.print(summary_table(summary))
    out.print(f"   report: {folder / 'report.html'}", highlight=False)
    store.close()
    if not review:
        where_to_look(path, run)
        return
    out.print("4. opening the review page (Ctrl-C to stop)")
    try:
        serve(db, run, port=port, host="127.0.0.1")
    finally:
        where_to_look(path, run)


def next_run(store: Any, base: str) -> str:
    """`base` the first time, then `base-2`, `base-3`, ...: each demo is a fresh pass over the
    sample (what an earlier pass drafted is served from the response cache), and the decisions
    made on an earlier pass's page stay with its run."""
    taken = {r.name for r in store.runs.all()}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def where_to_look(path: Path, run: str) -> None:
    """The demo's last lines: how every other command finds its database (they read
    ./recap.db, or RECAP_DB, or --db)."""
    q = shlex.quote(str(path))
    out.print(
        "\nThe demo's data is in its own database. To look at it with the other commands:\n"
        f"  export RECAP_DB={q}\n"
        "  recap runs\n"
        f"  recap report --run {run}\n"
        f"  recap review --run {run}\n"
        f"  recap team --run {run}\n"
        f"  recap export --run {run} --out demo.jsonl\n"
        f"or pass --db {q} to each command, e.g. recap runs --db {q}",
        highlight=False,
        soft_wrap=True,
    )
