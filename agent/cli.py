"""The `recap` command line: parses, calls the agent, presents. No logic of its own."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agent.errors import RecapError
from agent.settings import Settings

app = typer.Typer(
    name="recap",
    help="Review AI-generated captions of robot videos: flag hallucinations and omissions, "
    "draft a rewrite.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model name (RECAP_MODEL).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint (OPENAI_BASE_URL).")
]
ModeOpt = Annotated[
    str | None, typer.Option("--mode", help="tools | json_schema | json | md_json (RECAP_MODE).")
]
DetailOpt = Annotated[str | None, typer.Option("--detail", help="Image detail: low | high | auto.")]
FramesOpt = Annotated[int | None, typer.Option("--frames", "-n", help="Frames sampled per clip.")]
LayoutOpt = Annotated[
    str | None, typer.Option("--layout", help="sheet (one contact sheet) | frames (separate).")
]
PromptOpt = Annotated[str | None, typer.Option("--prompt", help="Prompt name (RECAP_PROMPT).")]


def settings_from(**flags: Any) -> Settings:
    """Environment settings with the flags that were given laid over them."""
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return Settings(**given)
    except Exception as e:  # pydantic's ValidationError, reworded
        raise RecapError(f"Invalid setting: {e}") from None


def fail(e: RecapError) -> typer.Exit:
    err.print(f"[bold red]Error:[/] {e.message}", highlight=False)
    if e.hint:
        err.print(e.hint, highlight=False, style="yellow")
    return typer.Exit(code=e.exit_code)


@app.command("draft-one")
def draft_one(
    video: Annotated[Path, typer.Argument(help="The clip (mp4, webm, mov, ...).")],
    caption: Annotated[str, typer.Option("--caption", "-c", help="The caption to review.")],
    telemetry: Annotated[
        Path | None, typer.Option("--telemetry", "-t", help="Robot telemetry JSON for the clip.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    start: Annotated[float | None, typer.Option(help="Window start, seconds.")] = None,
    end: Annotated[float | None, typer.Option(help="Window end, seconds.")] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = None,
    detail: DetailOpt = None,
    frames: FramesOpt = None,
    layout: LayoutOpt = None,
    prompt: PromptOpt = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Where the call is kept (RECAP_DB; ./recap.db).")
    ] = None,
    log: Annotated[
        bool, typer.Option("--log/--no-log", help="Keep the draft or error in the database.")
    ] = True,
) -> None:
    """Draft a review of one clip's caption and print the diff."""
    from agent.cost import cost_usd
    from agent.drafter import Drafter
    from agent.errors import VideoError
    from agent.jobs import error_kind
    from agent.render import render
    from agent.telemetry import Telemetry

    try:
        settings = settings_from(
            model=model,
            base_url=base_url,
            mode=mode,
            image_detail=detail,
            frames=frames,
            layout=layout,
            prompt=prompt,
        )
        settings.check_endpoint()
        tel = Telemetry.load(telemetry) if telemetry else None
        drafter = Drafter(settings)
        store = open_store(db) if log else None
    except RecapError as e:
        raise fail(e) from None
    ident = drafter.identity()
    run_name = f"draft-one:{ident['model']}:{ident['prompt_name']}@{ident['prompt_hash'][:12]}"

    async def go() -> Any:
        try:
            return await drafter.draft(video, caption, telemetry=tel, start=start, end=end)
        finally:
            await drafter.aclose()

    try:
        result = asyncio.run(go())
    except RecapError as e:
        if store is not None and not isinstance(e, VideoError) and caption.strip():
            store.log_one_off(
                str(video), caption.strip(), run_name, ident, error=(error_kind(e), str(e))
            )
        raise fail(e) from None
    if store is not None:
        u = result.usage
        store.log_one_off(
            str(video),
            result.caption,
            run_name,
            ident,
            result=result,
            cost_usd=cost_usd(
                u.prompt_tokens, u.completion_tokens, settings.price, u.cached_tokens
            ),
        )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        render(result, out)


@app.command("frames")
def frames_cmd(
    video: Annotated[Path, typer.Argument(help="The clip.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write the sheet and frames (JPEG) here.")
    ] = None,
    frames: FramesOpt = None,
    max_side: Annotated[int | None, typer.Option(help="Longest side of a frame, px.")] = None,
    start: Annotated[float | None, typer.Option(help="Window start, seconds.")] = None,
    end: Annotated[float | None, typer.Option(help="Window end, seconds.")] = None,
) -> None:
    """Show what the model would see of a clip, and what it costs in image tokens."""
    from agent.cost import image_tokens
    from agent.frames import probe, sample_frames

    try:
        s = settings_from(frames=frames, max_side=max_side)
        info = probe(video, s.video_limits)
        fr = sample_frames(
            video,
            s.frames,
            max_side=s.max_side,
            start=start,
            end=end,
            limits=s.video_limits,
            quality=s.jpeg_quality,
        )
    except RecapError as e:
        raise fail(e) from None
    sheet = fr.contact_sheet(columns=s.columns)
    w, h = info.display_size
    out.print(
        f"{video}: {info.duration:.2f} s, {w}x{h}, {info.codec} in {info.container}, "
        f"{info.fps or 0:.1f} fps, rotation {info.rotation}°"
    )
    out.print(f"sampled {len(fr)} frames at {', '.join(f'{t:.2f}' for t in fr.times)} s")
    table = Table(title="Image input tokens per clip (OpenAI accounting)")
    table.add_column("what is sent")
    table.add_column("pixels")
    table.add_column("detail=low", justify="right")
    table.add_column("detail=high", justify="right")
    fw, fh = fr.images[0].size
    n = len(fr)
    table.add_row(
        "contact sheet (1 image)",
        f"{sheet.width}x{sheet.height}",
        str(image_tokens(sheet.width, sheet.height, "low")),
        str(image_tokens(sheet.width, sheet.height, "high")),
    )
    table.add_row(
        f"{n} separate frames",
        f"{n} x {fw}x{fh}",
        str(n * image_tokens(fw, fh, "low")),
        str(n * image_tokens(fw, fh, "high")),
    )
    table.add_row(
        f"{n} separate full-size frames",
        f"{n} x {w}x{h}",
        str(n * image_tokens(w, h, "low")),
        str(n * image_tokens(w, h, "high")),
    )
    out.print(table)
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
        sheet.save(out_dir / "sheet.jpg", quality=s.jpeg_quality)
        for i, (t, data) in enumerate(zip(fr.times, fr.jpegs(), strict=True), 1):
            (out_dir / f"frame{i:02d}_{t:.2f}s.jpg").write_bytes(data)
        out.print(f"wrote {out_dir}/sheet.jpg and {n} frames")


@app.command("prompts")
def prompts_cmd(
    show: Annotated[
        str | None, typer.Option("--show", help="Print this prompt's system text.")
    ] = None,
) -> None:
    """List prompt versions (name@hash), or print one."""
    from agent.prompts import list_prompts, load_prompt

    s = settings_from()
    try:
        if show:
            typer.echo(load_prompt(show, s.prompts_dir).system)
            return
        for name in list_prompts(s.prompts_dir):
            out.print(load_prompt(name, s.prompts_dir).ref.version)
    except RecapError as e:
        raise fail(e) from None


DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database path or SQLAlchemy URL (RECAP_DB; default ./recap.db)."),
]


def open_store(db: str | None) -> Any:
    from agent.store import Store

    return Store(db)


@app.command("ingest")
def ingest_cmd(
    source: Annotated[Path, typer.Argument(help="A .jsonl/.csv manifest or a LeRobot folder.")],
    db: DbOpt = None,
    root: Annotated[
        Path | None,
        typer.Option(help="Dataset root videos must stay inside (default: the manifest's folder)."),
    ] = None,
    camera: Annotated[
        str | None, typer.Option(help="LeRobot camera key (default: the first video feature).")
    ] = None,
) -> None:
    """Add clips and captions to the database. Safe to repeat: unchanged rows stay as they are."""
    from agent.ingest import ingest

    try:
        store = open_store(db)
        report = ingest(store, source, root=root, camera=camera)
    except RecapError as e:
        raise fail(e) from None
    for problem in report.skipped:
        err.print(f"[yellow]skipped[/] {problem}", highlight=False)
    out.print(
        f"{report.source}: [green]{report.added} added[/], {report.updated} updated, "
        f"{report.unchanged} unchanged, [yellow]{len(report.skipped)} skipped[/] "
        f"({report.total} rows) -> {store.url}",
        highlight=False,
    )


@app.command("draft")
def draft_cmd(
    db: DbOpt = None,
    run: Annotated[
        str | None, typer.Option("--run", help="Run name (default: model + prompt version).")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-j", help="Requests in flight at once.")
    ] = None,
    rpm: Annotated[float | None, typer.Option(help="Requests per minute limit.")] = None,
    tpm: Annotated[float | None, typer.Option(help="Tokens per minute limit.")] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also retry clips that failed before.")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Draft at most this many clips.")] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ignore the response cache.")
    ] = False,
    batch: Annotated[
        bool, typer.Option("--batch", help="Use the OpenAI Batch API (half price, up to 24 h).")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="With --batch: poll until results arrive.")
    ] = True,
    poll_s: Annotated[float, typer.Option(help="With --batch: seconds between polls.")] = 60.0,
    engine: Annotated[
        str, typer.Option(help="local (asyncio in this process) or ray (Ray Data cluster).")
    ] = "local",
    address: Annotated[
        str | None, typer.Option(help="With --engine ray: cluster address (default: local).")
    ] = None,
    workers: Annotated[int, typer.Option(help="With --engine ray: drafting actors.")] = 2,
    drafter_kind: Annotated[
        str,
        typer.Option(
            "--drafter", help="llm (the configured model) or offline (telemetry rules, no model)."
        ),
    ] = "llm",
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = None,
    detail: DetailOpt = None,
    frames: FramesOpt = None,
    layout: LayoutOpt = None,
    prompt: PromptOpt = None,
) -> None:
    """Draft every ingested clip that has no draft in the run. Resumable: run it again."""
    from agent.jobs import Job, JobOptions
    from agent.progress import JobProgress, summary_table

    try:
        store = open_store(db)
        drafter = make_drafter(
            drafter_kind,
            model=model,
            prompt=prompt,
            rpm=rpm,
            tpm=tpm,
            base_url=base_url,
            mode=mode,
            image_detail=detail,
            frames=frames,
            layout=layout,
        )
    except RecapError as e:
        raise fail(e) from None
    settings = drafter.settings
    limiter = drafter.client.limiter if drafter.name == "llm" else None
    ident = drafter.identity()
    run_name = (
        run
        or f"{ident['model'] or drafter.name}:{ident['prompt_name']}@"
        f"{(ident['prompt_hash'] or '')[:12]}"
    )
    if concurrency is None:
        concurrency = max(8, min(256, int((rpm or 240) / 60 * 4)))
    options = JobOptions(
        run=run_name,
        concurrency=concurrency,
        retry_failed=retry_failed,
        limit=limit,
        use_cache=not no_cache,
    )
    where = drafter.client.endpoint if drafter.name == "llm" else "offline drafter (no model)"
    out.print(f"run [bold]{run_name}[/] · {where} · {store.url}", highlight=False)
    if drafter.name == "offline" and (batch or engine == "ray"):
        raise fail(RecapError("--batch and --engine ray need the LLM drafter."))
    if engine not in ("local", "ray"):
        raise fail(RecapError(f"Unknown engine {engine!r}.", hint="Use --engine local or ray."))
    if batch:
        _draft_batch(store, drafter, run_name, retry_failed, limit, wait, poll_s)
        return
    progress = JobProgress(out)
    if engine == "ray":
        from agent.rayjob import run_ray_job

        with progress:
            stats = run_ray_job(
                store,
                settings,
                options,
                address=address,
                workers=workers,
                rpm=rpm,
                tpm=tpm,
                on_progress=progress.update,
            )
        out.print(summary_table(stats))
        if stats.fatal:
            err.print(f"[bold red]Stopped:[/] {stats.fatal}", highlight=False)
            raise typer.Exit(1)
        return
    job = Job(store, drafter, options, on_progress=progress.update)

    async def go() -> None:
        try:
            await job.run()
        finally:
            await drafter.aclose()

    interrupted = False
    try:
        with progress:
            asyncio.run(go())
    except KeyboardInterrupt:
        interrupted = True
    except RecapError as e:
        raise fail(e) from None
    out.print(summary_table(job.stats, limiter))
    if job.stats.fatal:
        err.print(f"[bold red]Stopped:[/] {job.stats.fatal}", highlight=False)
        raise typer.Exit(1)
    if interrupted:
        err.print("Interrupted. Run the same command again to resume.", style="yellow")
        raise typer.Exit(130)
    if job.stats.failed:
        err.print(
            f"{job.stats.failed} clip(s) failed; `recap runs --errors {run_name}` shows "
            "why, `recap draft --retry-failed` retries them.",
            style="yellow",
            highlight=False,
        )


def _draft_batch(
    store: Any,
    drafter: Any,
    run: str,
    retry_failed: bool,
    limit: int | None,
    wait: bool,
    poll_s: float,
) -> None:
    from agent.batch import BatchRunner

    run_info = drafter.identity()
    runner = BatchRunner(store, drafter, run, poll_s=poll_s, log=lambda m: out.print(m))

    async def go() -> Any:
        try:
            store.ensure_run(
                run,
                drafter="llm-batch",
                model=run_info["model"],
                prompt_name=run_info["prompt_name"],
                prompt_hash=run_info["prompt_hash"],
                settings=run_info,
            )
            if not store.batches(run):
                n = await runner.submit(retry_failed=retry_failed, limit=limit)
                out.print(f"{n} request(s) submitted")
            return await runner.collect(wait=wait)
        finally:
            await drafter.aclose()

    try:
        report = asyncio.run(go())
    except RecapError as e:
        raise fail(e) from None
    out.print(
        f"batch results: {report.drafted} drafted, {report.failed} failed, "
        f"{report.open_batches} batch(es) still open",
        highlight=False,
    )
    if report.open_batches:
        out.print("Run the same command later to collect the rest.")
    elif not store.pending(run):
        store.finish_run(run)


@app.command("runs")
def runs_cmd(
    db: DbOpt = None,
    errors: Annotated[
        str | None, typer.Option("--errors", help="List the failed clips of this run.")
    ] = None,
) -> None:
    """List runs with their progress and cost, or one run's errors."""
    try:
        store = open_store(db)
    except RecapError as e:
        raise fail(e) from None
    if errors:
        table = Table(title=f"Failed clips in {errors}")
        for col in ("clip", "kind", "reason"):
            table.add_column(col)
        for e in store.errors(errors):
            table.add_row(e.clip_id, e.kind, e.message)
        out.print(table)
        return
    table = Table(title=f"Runs in {store.url}")
    for col in (
        "run",
        "drafter",
        "model",
        "prompt",
        "drafted",
        "failed",
        "tokens in/out",
        "cost",
        "finished",
    ):
        table.add_column(col)
    total = store.count_clips()
    for r in store.runs():
        t = store.run_totals(r.name)
        cost = f"${t['cost_usd']:.4f}" if t["cost_usd"] is not None else "-"
        table.add_row(
            r.name,
            r.drafter,
            r.model or "-",
            f"{r.prompt_name}@{(r.prompt_hash or '')[:12]}",
            f"{t['drafted']}/{total}",
            str(t["failed"]),
            f"{t['prompt_tokens']}/{t['completion_tokens']}",
            cost,
            "yes" if r.finished_at else "no",
        )
    out.print(table)


@app.command("export")
def export_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="Output file: .jsonl or .parquet.")],
    run: Annotated[str | None, typer.Option("--run", help="Run (default: the latest).")] = None,
    db: DbOpt = None,
) -> None:
    """Write final captions (reviewed where reviewed, else drafted) with their provenance."""
    from agent.export import export

    try:
        store = open_store(db)
        if run is None:
            runs = store.runs()
            if not runs:
                raise RecapError("There are no runs to export.", hint="Run `recap draft` first.")
            run = runs[-1].name
        n = export(store, run, out_file)
    except RecapError as e:
        raise fail(e) from None
    out.print(f"wrote {n} captions of run {run} to {out_file}", highlight=False)


@app.command("review")
def review_cmd(
    db: DbOpt = None,
    run: Annotated[
        str | None, typer.Option("--run", help="Run to review (default: latest).")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port for the page.")] = 8501,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; the default keeps it on this machine.")
    ] = "127.0.0.1",
) -> None:
    """Open the review page: accept, edit or reject each draft by keyboard."""
    import os
    import subprocess
    import sys

    try:
        store = open_store(db)
        if run is not None and store.run(run) is None:
            raise RecapError(f"No run named {run!r}.", hint="`recap runs` lists them.")
    except RecapError as e:
        raise fail(e) from None
    app_path = REPO_ROOT / "ui" / "app.py"
    env = dict(os.environ, RECAP_DB=store.url)
    if run:
        env["RECAP_REVIEW_RUN"] = run
    out.print(
        f"review page on http://{host}:{port}  (Ctrl-C to stop) · {store.url}", highlight=False
    )
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    try:
        raise typer.Exit(subprocess.call(cmd, env=env))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


REPO_ROOT = Path(__file__).resolve().parents[1]  # agent/, ui/ and evals/ sit side by side
SAMPLE_MANIFEST = REPO_ROOT / "evals" / "datasets" / "sample" / "manifest.jsonl"


@app.command("demo")
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
    import shutil

    from agent.ingest import ingest
    from agent.jobs import Job, JobOptions
    from evals.harness import score_to_folder
    from evals.judges import LexicalJudge
    from evals.scoring import load_gold

    sample = SAMPLE_MANIFEST
    if not sample.is_file():
        raise fail(
            RecapError(
                f"The sample set is missing ({sample}).",
                hint="Regenerate it: python -m evals.datasets.metaworld_gen",
            )
        )
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    db = f"sqlite:///{(workdir / 'recap.db').resolve()}"
    store = open_store(db)
    report = ingest(store, sample)
    out.print(
        f"1. ingested {report.added} sample clips (Meta-World Sawyer tasks, AI captions "
        f"with known mistakes) into {db}",
        highlight=False,
    )
    settings = settings_from()
    try:
        settings.check_endpoint()
        kind = "llm"
    except RecapError:
        kind = "offline"
    drafter = make_drafter(kind)
    which = (
        f"the model {drafter.client.model} at {drafter.client.endpoint}"
        if kind == "llm"
        else "the offline drafter (no model endpoint is configured: telemetry rules "
        "and the guideline linter; set OPENAI_API_KEY or OPENAI_BASE_URL to use a "
        "model)"
    )
    out.print(f"2. drafting with {which}", highlight=False)
    run = f"demo-{kind}"

    async def go() -> Any:
        try:
            return await Job(store, drafter, JobOptions(run=run, concurrency=8)).run()
        finally:
            await drafter.aclose()

    try:
        stats = asyncio.run(go())
    except RecapError as e:
        raise fail(e) from None
    out.print(f"   drafted {stats.drafted}, failed {stats.failed}", highlight=False)
    folder, summary = score_to_folder(
        store, run, load_gold(sample), LexicalJudge(), workdir / "evals"
    )
    from evals.cli import _summary_table

    out.print("3. scored against the gold rewrites:")
    out.print(_summary_table(summary))
    out.print(f"   report: {folder / 'report.html'}", highlight=False)
    if review:
        out.print("4. opening the review page (Ctrl-C to stop)")
        review_cmd(db=db, run=run, port=port, host="127.0.0.1")


def make_drafter(
    kind: str = "llm",
    *,
    model: str | None = None,
    prompt: str | None = None,
    rpm: float | None = None,
    tpm: float | None = None,
    **flags: Any,
) -> Any:
    """The drafter a command asked for: the LLM one (needs an endpoint) or the offline one."""
    from agent.ratelimit import RateLimiter

    settings = settings_from(model=model, prompt=prompt, **flags)
    if kind == "offline":
        from agent.offline import OfflineDrafter

        return OfflineDrafter(settings)
    if kind != "llm":
        raise RecapError(f"Unknown drafter {kind!r}.", hint="Use --drafter llm or offline.")
    from agent.drafter import Drafter

    settings.check_endpoint()
    return Drafter(settings, limiter=RateLimiter(rpm=rpm, tpm=tpm))


@app.command("settings")
def settings_cmd() -> None:
    """Print the settings in force (the API key is never printed)."""
    s = settings_from()
    data = s.public()
    data["api_key"] = "set" if s.api_key else "not set"
    typer.echo(json.dumps(data, indent=2, default=str))


def _add_subcommands() -> None:
    from evals.cli import app as eval_app

    app.add_typer(eval_app, name="eval")


_add_subcommands()


def main() -> None:
    app()
