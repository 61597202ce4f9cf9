"""`recap eval ...`: run, score, compare, promote. Parses, calls evals/, presents.

Each command imports the harness (scoring, judges, statistics, the store) when it runs, so
loading the command line stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from agent.cli import DbOpt, err, new_app, out, pick_run, print_routing, settings_from, term
from agent.errors import RecapError

if TYPE_CHECKING:
    from agent.data import IngestReport
    from agent.store import Store
    from evals.gold import GoldSet
    from evals.judges import Judge
    from evals.worth import Estimate

app = new_app(help="Score drafts against gold rewrites and gate prompt changes on numbers.")


def register(root: typer.Typer) -> None:
    """Add `recap eval ...` and `recap report` to the root app."""
    root.add_typer(app, name="eval")
    root.command("report")(report_cmd)


def _estimate(e: Estimate, unit: str = "", digits: int = 1) -> str:
    if e.value is None:
        return "–"
    ci = f" [{e.low:.{digits}f}, {e.high:.{digits}f}]" if e.low is not None else ""
    return f"{e.value:.{digits}f}{unit}{ci} (n={e.n})"


def report_cmd(
    run: Annotated[
        str | None,
        typer.Option("--run", help="Run (default: the latest production run; or: latest)."),
    ] = None,
    db: DbOpt = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 1000,
) -> None:
    """Reviewing with the draft vs without (control arm), and what drafting the run cost."""
    from agent.decisions import Arm
    from agent.store import Store
    from evals.worth import worth

    store = Store(db, create=False)
    run = pick_run(store, run, "report on")
    w = worth(store, run, n_boot=n_boot)
    t = Table(title=f"Reviewing {run}: with the draft vs without (control arm) · 95% CI")
    t.add_column("figure")
    for arm in Arm:
        t.add_column(f"{arm} ({w.arms[arm].clips} clips)", justify="right")
    t.add_row("seconds per clip", *(_estimate(w.arms[a].seconds, " s") for a in Arm))
    t.add_row(
        "word edits from what was shown to the final caption",
        *(_estimate(w.arms[a].edit_distance) for a in Arm),
    )
    t.add_row("TER of the final caption vs gold", *(_estimate(w.arms[a].ter_vs_gold) for a in Arm))
    out.print(t)
    c = w.cost
    c_table = Table(title=f"What drafting {run} cost", show_header=False)
    c_table.add_column("what")
    c_table.add_column("value", justify="right")
    for what, value in (
        ("drafted clips", str(c.drafted)),
        ("video drafted", f"{c.video_hours:.2f} h"),
        ("dollars per clip", f"${c.per_clip:.5f}" if c.per_clip is not None else "unknown price"),
        (
            "dollars per hour of video",
            f"${c.per_video_hour:.2f}" if c.per_video_hour is not None else "unknown price",
        ),
        (
            "input / output tokens per clip",
            f"{c.prompt_tokens / c.drafted:.0f} / {c.completion_tokens / c.drafted:.0f}"
            if c.drafted
            else "–",
        ),
    ):
        c_table.add_row(what, value)
    out.print(c_table)
    print_routing(store, run)


RunsDir = Annotated[Path, typer.Option("--runs-dir", help="Where run folders are written.")]
DEFAULT_RUNS = Path("recap-evals")
JudgeOpt = Annotated[
    str, typer.Option("--judge", help="lexical (offline, weaker) or llm (the configured model).")
]
GuidelinesOpt = Annotated[
    Path | None,
    typer.Option(
        "--guidelines",
        help="Guideline file the drafts follow and are scored under (RECAP_GUIDELINES; "
        "default: a guidelines.toml beside the prompts, else the built-in).",
    ),
]


def make_judge(kind: str, store: Store) -> Judge:
    from evals.judges import LexicalJudge, LLMJudge

    if kind == "lexical":
        return LexicalJudge()
    if kind == "llm":
        settings = settings_from()
        settings.check_endpoint()
        return LLMJudge(settings, store)
    raise RecapError(f"Unknown judge {kind!r}.", hint="Use --judge lexical or --judge llm.")


def summary_table(summary: dict[str, Any]) -> Table:
    from evals.reports import HEADLINE, fmt

    t = Table(title=f"{summary['run']} · {summary['n_cases']} cases · judge {summary['judge']}")
    t.add_column("metric")
    t.add_column("value", justify="right")
    for name in [*HEADLINE, "latency_p50", "latency_p95", "coverage"]:
        t.add_row(name, fmt(summary["metrics"].get(name), name))
    rc = summary.get("risk_coverage") or {}
    for alpha, covered in (rc.get("coverage_at") or {}).items():
        t.add_row(f"auto-accepted at alpha={alpha} (delta={rc['delta']:g})", f"{covered:.1%}")
    return t


def report_skipped(gold: GoldSet) -> None:
    """Say which gold rows are not scored, and why, so a low coverage is never a mystery."""
    for p in gold.skipped:
        err.print(f"[yellow]gold row not scored[/] {term(gold.source)} {term(p)}", highlight=False)
    if gold.skipped:
        err.print(
            f"{len(gold.cases)} gold row(s) scored, {len(gold.skipped)} not scored (above).",
            highlight=False,
        )


def score(
    store: Store,
    run: str,
    gold: GoldSet,
    judge_kind: str,
    runs_dir: Path,
    guidelines_file: Path | None = None,
) -> None:
    """Score `run` against `gold`, write its folder, print the summary. Gold rows whose clip
    the run does not cover are left out, and said. The guideline scores are under the
    guideline in force (`guidelines_file`, else as for drafting)."""
    from agent.guidelines import guidelines_for
    from evals.judges import LLMJudge
    from evals.reports import score_to_folder

    s = settings_from(guidelines=guidelines_file)
    guidelines = guidelines_for(s)
    judge = make_judge(judge_kind, store)
    try:
        folder, summary = score_to_folder(store, run, gold.cases, judge, runs_dir, guidelines)
    finally:
        if isinstance(judge, LLMJudge):
            judge.close()
    outside = summary.get("not_in_run") or {}
    if outside.get("count"):
        err.print(
            f"[yellow]{outside['count']} gold row(s) not scored:[/] their clips are not among "
            f"run {run}'s clips ({', '.join(outside['first'])}"
            + (" ..." if outside["count"] > len(outside["first"]) else "")
            + ")",
            highlight=False,
        )
    out.print(summary_table(summary))
    out.print(
        f"report: {folder / 'report.html'} · {folder / 'report.md'} · {folder / 'cases.jsonl'}",
        highlight=False,
    )


@app.command("run")
def run_cmd(
    gold: Annotated[Path, typer.Option("--gold", help="Gold set: a manifest with gold fields.")],
    prompt: Annotated[str | None, typer.Option("--prompt", help="Prompt name.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name.")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Run name.")] = None,
    clip_set: Annotated[
        str | None,
        typer.Option(
            "--set", help="The evaluation set the gold rows go into (default: the file's name)."
        ),
    ] = None,
    drafter: Annotated[str, typer.Option(help="llm or offline.")] = "llm",
    db: DbOpt = None,
    judge: JudgeOpt = "lexical",
    runs_dir: RunsDir = DEFAULT_RUNS,
    guidelines: GuidelinesOpt = None,
    rpm: Annotated[float | None, typer.Option(help="Requests per minute limit.")] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            help="Independent drafts per clip, the majority kept (RECAP_SAMPLES; default 1): "
            "the confidence then counts their agreement. K > 1 needs --temperature above 0.",
        ),
    ] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", help="Sampling temperature.")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask the model again even for cached answers.")
    ] = False,
) -> None:
    """Ingest the gold rows into an evaluation set, draft exactly those clips (same job code
    and cache as `recap draft`), then score them."""
    import asyncio

    from agent.cli import outcome
    from agent.data import ingest
    from agent.drafting import make_drafter
    from agent.runs import Job, JobOptions, run_name_for
    from agent.sets import Selection, SetKind
    from agent.store import Store
    from evals.gold import load_gold

    store = Store(db)
    d = make_drafter(
        drafter,
        settings_from(
            model=model,
            prompt=prompt,
            guidelines=guidelines,
            samples=samples,
            temperature=temperature,
        ),
        rpm=rpm,
        modes=store.endpoints,
    )
    report = ingest(store, gold, clip_set=clip_set, set_kind=SetKind.EVALUATION)
    gold_set = load_gold(gold)
    for p in report.problems:
        if p.field is None:
            err.print(f"[yellow]row skipped[/] {term(p)}", highlight=False)
        elif p.field != "gold":  # bad gold labels are listed below, as rows not scored
            err.print(f"[yellow]kept without {p.field}[/] {term(p)}", highlight=False)
    if report.clip_set is None or report.added + report.updated + report.unchanged == 0:
        raise RecapError(f"No gold row of {gold} could be ingested (see above): nothing to draft.")
    selection = Selection.of_sets([report.clip_set])
    name = run or run_name_for(store, d.identity(), selection)
    _, size, _ = store.runs.plan(name, selection)  # another run's name: refused before drafting
    out.print(
        f"run [bold]{name}[/] · {size} clips (evaluation set {report.clip_set})", highlight=False
    )

    async def go() -> Any:
        try:
            return await Job(
                store,
                d,
                JobOptions(run=name, concurrency=16, use_cache=not no_cache, selection=selection),
            ).run()
        finally:
            await d.aclose()

    stats = asyncio.run(go())
    if stats.fatal:
        raise RecapError(stats.fatal)
    out.print(f"{outcome(stats)} in run {name}", highlight=False)
    if stats.all_failed:
        raise RecapError(
            f"Nothing drafted: all {stats.failed} gold clip(s) failed; most often "
            f"{stats.failure_reason()}",
            hint=f"`recap runs --errors {name}` lists every clip and why.",
        )
    report_skipped(gold_set)
    report_undrafted(store, name, gold_set, report)
    score(store, name, gold_set, judge, runs_dir, guidelines)


def report_undrafted(store: Store, run: str, gold: GoldSet, report: IngestReport) -> None:
    """Gold rows with no draft in the run (not ingested, or drafting failed), with why: they
    are scored as their unchanged caption."""
    drafted = {d.clip_id for d in store.runs.drafts(run)}
    why = {e.clip_id: e.message for e in store.runs.errors(run)}
    why |= {p.clip_id: str(p) for p in report.skipped if p.clip_id and p.clip_id not in drafted}
    for case in gold.cases:
        if case.clip_id not in drafted:
            reason = why.get(case.clip_id, "no draft in the run")
            err.print(
                f"[yellow]gold row not drafted[/] {case.clip_id}: {reason} "
                "(scored as its unchanged caption)",
                highlight=False,
            )


@app.command("score")
def score_cmd(
    run: Annotated[str, typer.Argument(help="Run name in the database, or latest.")],
    gold: Annotated[Path, typer.Option("--gold", help="Gold set manifest.")],
    db: DbOpt = None,
    judge: JudgeOpt = "lexical",
    runs_dir: RunsDir = DEFAULT_RUNS,
    guidelines: GuidelinesOpt = None,
) -> None:
    """Score an existing run against a gold set; write the run folder and report."""
    from agent.store import Store
    from evals.gold import load_gold

    store = Store(db, create=False)
    name = pick_run(store, run, "score")
    gold_set = load_gold(gold)
    report_skipped(gold_set)
    score(store, name, gold_set, judge, runs_dir, guidelines)


@app.command("compare")
def compare_cmd(
    run_a: Annotated[str, typer.Argument(help="Baseline: run name or run folder.")],
    run_b: Annotated[str, typer.Argument(help="Candidate: run name or run folder.")],
    fail_if_worse: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-if-worse",
            help="METRIC:DELTA, e.g. ter:1.0, or coverage@ALPHA:DELTA (the share auto-accepted "
            "with the guarantee at alpha 0.05 or 0.1, e.g. coverage@0.1:0.05) (repeatable).",
        ),
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 1000,
    show: Annotated[int, typer.Option(help="Worse cases to list.")] = 5,
) -> None:
    """Paired deltas with bootstrap 95% intervals; exit 1 when a named metric drops too far."""
    from evals.compare import better_when_higher, compare, parse_bounds
    from evals.reports import fmt, run_dir

    def folder(x: str) -> Path:
        p = Path(x)
        return p if (p / "summary.json").is_file() else run_dir(runs_dir, x)

    bounds = parse_bounds(fail_if_worse or [])
    c = compare(folder(run_a), folder(run_b), bounds, n_boot=n_boot)
    t = Table(title=f"{c.run_a} → {c.run_b} · {c.n_paired} paired cases · bootstrap 95% CI")
    for col in ("metric", "A", "B", "B − A", "95% CI", ""):
        t.add_column(col, justify="right" if col not in ("metric", "") else "left")
    for name, (d, lo, hi) in c.deltas.items():
        better = (d > 0) == better_when_higher(name)
        sure = not (lo <= 0 <= hi) if lo == lo else False  # NaN-safe
        mark = (
            "" if d == 0 or d != d else (("better" if better else "worse") + (" *" if sure else ""))
        )
        style = "green" if better and mark else ("red" if mark else "")
        t.add_row(
            name,
            fmt(c.values_a[name], name),
            fmt(c.values_b[name], name),
            f"{d:+.4g}" if d == d else "–",
            Text(f"[{lo:+.3g}, {hi:+.3g}]" if lo == lo else "–"),
            Text(mark, style=style),
        )
    out.print(t)
    out.print(
        "* the interval excludes 0; coverage@ALPHA: each run's own share of gold clips "
        "auto-accepted with the guarantee (delta 0.1), not paired, no interval",
        style="dim",
    )
    for case in c.worse_cases[:show]:
        out.print(
            f"\n[bold]{term(case['clip_id'])}[/] TER {case['ter_a']:.1f} → {case['ter_b']:.1f}",
            highlight=False,
        )
        w = Table(show_header=True, expand=True)
        for col in ("gold", f"A: {term(c.run_a)}", f"B: {term(c.run_b)}"):
            w.add_column(col, ratio=1)
        w.add_row(term(case["gold"]), term(case["rewrite_a"]), term(case["rewrite_b"]))
        out.print(w)
    if c.failures:
        for f in c.failures:
            err.print(f"[bold red]FAIL[/] {f}", highlight=False)
        raise typer.Exit(1)


@app.command("promote")
def promote_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="Gold set file to write or extend.")],
    run: Annotated[str | None, typer.Option("--run", help="Only reviews of this run.")] = None,
    db: DbOpt = None,
) -> None:
    """Turn accepted and edited reviews into gold rows, so the regression set grows."""
    from agent.store import Store
    from evals.gold import promote

    n = promote(Store(db, create=False), out_file, run)
    out.print(f"{n} reviewed clip(s) written as gold to {out_file}", highlight=False)
