"""The library's commands: draft-one, frames, prompts, ingest, sets, draft, runs, export,
settings, users (and route, in `_route`).

Thin: each parses, calls agent/, and presents. Errors are reported by `RecapGroup`. Each
command imports what it needs (the store, the drafters, PyAV) when it runs, so `recap --help`
and a light command start fast.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from agent.cli import _feedback, _guidelines, _route
from agent.cli._app import (
    DbOpt,
    IdsOpt,
    SetsOpt,
    err,
    model_flags,
    new_app,
    out,
    pick_run,
    selection_from,
    settings_from,
    term,
)
from agent.errors import RecapError, VideoError

if TYPE_CHECKING:
    from agent.store import Store


def register(app: typer.Typer) -> None:
    """Add the library's commands to `app`."""
    for name, func in (
        ("draft-one", draft_one),
        ("frames", frames_cmd),
        ("prompts", prompts_cmd),
        ("ingest", ingest_cmd),
        ("sets", sets_cmd),
        ("draft", draft_cmd),
        ("runs", runs_cmd),
        ("export", export_cmd),
        ("settings", settings_cmd),
    ):
        app.command(name)(func)
    app.add_typer(users_app, name="users")
    _guidelines.register(app)
    _feedback.register(app)
    _route.register(app)


@model_flags
def draft_one(
    video: Annotated[Path, typer.Argument(help="The clip (mp4, webm, mov, ...).")],
    caption: Annotated[str, typer.Option("--caption", "-c", help="The caption to review.")],
    telemetry: Annotated[
        Path | None, typer.Option("--telemetry", "-t", help="Robot telemetry JSON for the clip.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    start: Annotated[float | None, typer.Option(help="Window start, seconds.")] = None,
    end: Annotated[float | None, typer.Option(help="Window end, seconds.")] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Where the call is kept (RECAP_DB; ./recap.db).")
    ] = None,
    log: Annotated[
        bool, typer.Option("--log/--no-log", help="Keep the draft or error in the database.")
    ] = True,
    drafter_kind: Annotated[
        str | None,
        typer.Option(
            "--drafter",
            help="llm (the configured model; the default) or offline (telemetry rules and the "
            "guideline linter, no model: give --telemetry).",
        ),
    ] = None,
    *,
    model_flags: dict[str, Any],
) -> None:
    """Draft a review of one clip's caption and print the diff."""
    import asyncio

    from agent.cli._render import render
    from agent.drafting._choice import make_drafter
    from agent.runs._ledger import record_one_off
    from agent.store import Store
    from agent.telemetry import Telemetry

    settings = settings_from(**model_flags)
    if drafter_kind is None:  # no endpoint: say how to configure one, and how to go without
        settings.check_endpoint(
            without_model="recap draft-one VIDEO --caption TEXT --telemetry FILE --drafter offline"
        )
    tel = Telemetry.load(telemetry) if telemetry else None
    store = Store(db) if log else None
    drafter = make_drafter(
        drafter_kind or "llm", settings, modes=store.endpoints if store else None
    )
    identity = drafter.identity()

    async def go() -> Any:
        try:
            return await drafter.draft(video, caption, telemetry=tel, start=start, end=end)
        finally:
            await drafter.aclose()

    try:
        result = asyncio.run(go())
    except RecapError as e:
        if store is not None and not isinstance(e, VideoError) and caption.strip():
            record_one_off(store, identity, video, caption.strip(), error=e)
        raise
    if store is not None:
        record_one_off(store, identity, video, result.caption, result=result)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        render(result, out)


def frames_cmd(
    video: Annotated[Path, typer.Argument(help="The clip.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write the sheet and frames (JPEG) here.")
    ] = None,
    frames: Annotated[int | None, typer.Option("--frames", "-n", help="Frames sampled.")] = None,
    max_side: Annotated[int | None, typer.Option(help="Longest side of a frame, px.")] = None,
    start: Annotated[float | None, typer.Option(help="Window start, seconds.")] = None,
    end: Annotated[float | None, typer.Option(help="Window end, seconds.")] = None,
    telemetry: Annotated[
        Path | None,
        typer.Option(
            "--telemetry", "-t", help="Robot telemetry JSON: frames at its moments (events)."
        ),
    ] = None,
) -> None:
    """Show what the model would see of a clip, and what it costs in image tokens."""
    from agent.cost import image_tokens
    from agent.media._frames import VideoLimits, probe, sample_for_model
    from agent.telemetry import Telemetry

    s = settings_from(frames=frames, max_side=max_side)
    limits = VideoLimits.of(s.video_limits)
    info = probe(video, limits)
    moments = Telemetry.load(telemetry).moments() if telemetry else []
    fr = sample_for_model(
        video,
        s.frame_spec,
        start=start,
        end=end,
        limits=limits,
        moments=[m.t for m in moments],
    )
    sheet = fr.contact_sheet(columns=s.columns)
    w, h = info.display_size
    out.print(
        f"{video}: {info.duration:.2f} s, {w}x{h}, {info.codec} in {info.container}, "
        f"{info.fps or 0:.1f} fps, rotation {info.rotation}°"
    )
    out.print(f"sampled {len(fr)} frames at {', '.join(f'{t:.2f}' for t in fr.times)} s")
    if moments and s.sampling == "events":
        out.print(
            "at the telemetry's moments: "
            + ", ".join(f"{m.what} {m.t:.2f} s" for m in sorted(moments, key=lambda m: m.t)),
            highlight=False,
        )
    table = Table(title="Image input tokens per clip (OpenAI accounting)")
    for col, justify in (("what is sent", "left"), ("pixels", "left")):
        table.add_column(col, justify=justify)
    table.add_column("detail=low", justify="right")
    table.add_column("detail=high", justify="right")
    fw, fh = fr.images[0].size
    n = len(fr)
    for what, size, count, (iw, ih) in (
        ("contact sheet (1 image)", f"{sheet.width}x{sheet.height}", 1, sheet.size),
        (f"{n} separate frames", f"{n} x {fw}x{fh}", n, (fw, fh)),
        (f"{n} separate full-size frames", f"{n} x {w}x{h}", n, (w, h)),
    ):
        table.add_row(
            what,
            size,
            str(count * image_tokens(iw, ih, "low")),
            str(count * image_tokens(iw, ih, "high")),
        )
    out.print(table)
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
        sheet.save(out_dir / "sheet.jpg", quality=s.jpeg_quality)
        for i, (t, data) in enumerate(zip(fr.times, fr.jpegs(), strict=True), 1):
            (out_dir / f"frame{i:02d}_{t:.2f}s.jpg").write_bytes(data)
        out.print(f"wrote {out_dir}/sheet.jpg and {n} frames")


def prompts_cmd(
    show: Annotated[
        str | None, typer.Option("--show", help="Print this prompt's system text.")
    ] = None,
) -> None:
    """List prompt versions (name@hash), or print one."""
    from agent.drafting._prompts import list_prompts, prompt_for

    s = settings_from()
    if show:
        typer.echo(prompt_for(s.model_copy(update={"prompt": show})).system)
        return
    for name in list_prompts(s.prompts_dir):
        out.print(prompt_for(s.model_copy(update={"prompt": name})).ref.version)


def _set_kind(kind: str) -> Any:
    from agent.sets import SetKind

    try:
        return SetKind(kind)
    except ValueError:
        raise RecapError(
            f"Unknown set kind {kind!r}.", hint=f"Use one of {', '.join(k.value for k in SetKind)}."
        ) from None


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
    captions: Annotated[
        Path | None,
        typer.Option(
            help="LeRobot: captions from a captioning run (.jsonl/.csv/.parquet: episode_index, "
            "optional start/end seconds, caption, optional gold fields); one clip per row."
        ),
    ] = None,
    window: Annotated[
        float,
        typer.Option(
            help="LeRobot: episodes longer than this many seconds (and without per-window "
            "captions) are reviewed as windows of at most this length; 0 keeps whole episodes."
        ),
    ] = 5.0,
    state_map: Annotated[
        list[str] | None,
        typer.Option(
            "--state-map",
            help="LeRobot: which state dims are what, e.g. gripper=main_gripper:open_high, "
            "gripper=main_gripper:open_high:CLOSED:OPEN, left_gripper=..., ee=x,y,z. Repeatable.",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            help="LeRobot: the state layout of a dataset without state names (umi, droid_100); "
            "applied on its own when the dataset's folder has the profile's dataset name.",
        ),
    ] = None,
    clip_set: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="The set the clips go into (default: the manifest's or the dataset's name).",
        ),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            help="The set's kind: production (drafted by a plain `recap draft`), evaluation "
            "(gold rows, drafted only when named) or one-off.",
        ),
    ] = "production",
) -> None:
    """Add clips and captions to the database, as a named set. Safe to repeat: unchanged rows
    stay as they are, and an interrupted ingest continues where it stopped."""
    from agent.cli._progress import IngestProgress
    from agent.data._ingest import IngestInterrupted, ingest
    from agent.store import Store

    set_kind = _set_kind(kind)
    store = Store(db)
    with IngestProgress(err) as bar:
        try:
            report = ingest(
                store,
                source,
                root=root,
                camera=camera,
                captions=captions,
                window=window,
                state_map=state_map,
                profile=profile,
                on_progress=bar,
                clip_set=clip_set,
                set_kind=set_kind,
            )
        except IngestInterrupted as e:
            report = e.report
    for problem in report.problems:  # ids and reasons quote the data: shown as text
        if problem.field is None:
            err.print(f"[yellow]skipped[/] {term(problem)}", highlight=False)
        else:
            err.print(f"[yellow]kept without {problem.field}[/] {term(problem)}", highlight=False)
    for note in report.notes:
        err.print(f"[cyan]note[/] {term(note)}", highlight=False)
    dropped = f", {len(report.dropped)} field(s) dropped" if report.dropped else ""
    into = f" into {report.set_kind} set {report.clip_set}" if report.clip_set else ""
    out.print(
        f"{term(report.source)}: [green]{report.added} added[/], {report.updated} updated, "
        f"{report.unchanged} unchanged, [yellow]{len(report.skipped)} skipped[/]{dropped} "
        f"({report.total} rows){into} -> {term(store.display_url)}",
        highlight=False,
    )
    if report.interrupted:
        err.print(
            "[bold yellow]Interrupted.[/] The rows counted above are committed; run the same "
            "command again to continue.",
            highlight=False,
        )
        raise typer.Exit(130)


@model_flags
def draft_cmd(
    db: DbOpt = None,
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            help="Run name (default: short, from the model and prompt, e.g. "
            "gpt-4.1-mini-review-v1, or offline-r3; prefixed with the set when --set is given).",
        ),
    ] = None,
    sets: SetsOpt = None,
    ids: IdsOpt = None,
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
    *,
    model_flags: dict[str, Any],
) -> None:
    """Draft the run's clips that have no draft in it: every production set by default, or the
    sets (--set) or clip ids (--ids) the run was created over. Resumable: run it again."""
    import asyncio

    from agent.cli._progress import JobProgress, summary_table
    from agent.drafting._choice import make_drafter
    from agent.runs._engine import Engine, JobOptions
    from agent.runs._job import Job
    from agent.runs._ledger import run_name_for
    from agent.store import Store

    if engine not in ("local", "ray"):
        raise RecapError(f"Unknown engine {engine!r}.", hint="Use --engine local or ray.")
    selection = selection_from(sets, ids)
    store = Store(db)
    settings = settings_from(**model_flags)
    drafter = make_drafter(drafter_kind, settings, rpm=rpm, tpm=tpm, modes=store.endpoints)
    able = drafter.capabilities
    if batch and settings.samples > 1:
        from agent.runs._openai_batch import OpenAIBatchEngine

        OpenAIBatchEngine(drafter)  # refuses K samples, saying why
    if (batch and not able.batch) or (engine == "ray" and not able.ray):
        raise RecapError("--batch and --engine ray need the LLM drafter.")
    label = "llm-batch" if batch else None
    run_name = run or run_name_for(store, drafter.identity(), selection, label)
    # Checked before anything is sent or written: unknown sets, ids the database lacks, an
    # empty selection, or a selection other than the existing run's.
    covers, size, _ = store.runs.plan(run_name, selection)
    if concurrency is None:
        concurrency = max(8, min(256, int((rpm or 240) / 60 * 4)))
    options = JobOptions(
        run=run_name,
        concurrency=concurrency,
        retry_failed=retry_failed,
        limit=limit,
        use_cache=not no_cache,
        selection=selection,
    )
    out.print(
        f"run [bold]{term(run_name)}[/] · {size} clips ({covers.describe()}) · "
        f"{term(drafter.where)} · {term(store.display_url)}",
        highlight=False,
    )
    chosen: Engine
    batch_report = None
    if batch:
        from agent.runs._openai_batch import OpenAIBatchEngine

        batch_engine = OpenAIBatchEngine(
            drafter, poll_s=poll_s, wait=wait, log=lambda m: out.print(m)
        )
        chosen, batch_report = batch_engine, batch_engine.report
    elif engine == "ray":
        from agent.runs._ray import RayEngine

        chosen = RayEngine(drafter, address=address, workers=workers, rpm=rpm, tpm=tpm)
    else:
        from agent.runs._local import LocalEngine

        chosen = LocalEngine(drafter)
    progress = JobProgress(out)
    on_progress = None if batch else progress.update
    job = Job(store, drafter, options, engine=chosen, on_progress=on_progress)

    async def go() -> None:
        try:
            await job.run()
        finally:
            await drafter.aclose()

    interrupted = False
    try:
        if batch:
            asyncio.run(go())
        else:
            with progress:
                asyncio.run(go())
    except KeyboardInterrupt:
        interrupted = True
    stats = job.stats
    if batch_report is not None:
        out.print(
            f"batch results: {stats.drafted} drafted, {stats.failed} failed, "
            f"{batch_report.open_batches} batch(es) still open",
            highlight=False,
        )
        if batch_report.open_batches and not interrupted:
            out.print("Run the same command later to collect the rest.")
    else:
        out.print(summary_table(stats, drafter.limiter if engine == "local" else None))
    if stats.fatal:
        err.print(f"[bold red]Stopped:[/] {term(stats.fatal)}", highlight=False)
        raise typer.Exit(1)
    if interrupted:
        err.print("Interrupted. Run the same command again to resume.", style="yellow")
        raise typer.Exit(130)
    if stats.all_failed:
        err.print(
            f"[bold red]Nothing drafted:[/] all {stats.failed} clip(s) failed; most often "
            f"{stats.failure_reason()}",
            highlight=False,
        )
        err.print(
            f"`recap runs --errors {run_name}` lists every clip and why; fix the cause, then "
            f"`recap draft --run {run_name} --retry-failed` retries them.",
            style="yellow",
            highlight=False,
        )
        raise typer.Exit(1)
    if stats.failed:
        err.print(
            f"{stats.failed} clip(s) failed; `recap runs --errors {run_name}` shows "
            f"why, `recap draft --run {run_name} --retry-failed` retries them.",
            style="yellow",
            highlight=False,
        )


def runs_cmd(
    run: Annotated[
        str | None,
        typer.Argument(help="One run in detail: how it drafts and its drafts' confidences."),
    ] = None,
    db: DbOpt = None,
    errors: Annotated[
        str | None, typer.Option("--errors", help="List the failed clips of this run.")
    ] = None,
) -> None:
    """List runs with the clips they cover, their progress, cost and confidence, or one run in
    detail, or one run's errors."""
    from agent.schema import prompt_version
    from agent.store import Store

    store = Store(db, create=False)
    if run is not None and not errors:
        run_detail(store, run)
        return
    if errors:
        store.runs.require(errors)
        table = Table(title=f"Failed clips in {term(errors)}")
        for col in ("clip", "kind", "reason"):
            table.add_column(col)
        for e in store.runs.errors(errors):  # a server's error text is data too
            table.add_row(term(e.clip_id), term(e.kind), term(e.message))
        out.print(table)
        return
    wide = out.width >= 120  # model, prompt and tokens too; at 80 columns the run stays whole
    table = Table(title=f"Runs in {term(store.display_url)}")
    table.add_column("run", no_wrap=True)  # never cut: it is what other commands are given
    table.add_column("sets", overflow="fold")
    for col in ("drafted", "failed", "cost", "confidence"):
        table.add_column(col, no_wrap=True, justify="right")
    if wide:
        for col in ("drafter", "model / prompt", "tokens in/out", "finished"):
            table.add_column(col)
    for r in store.runs.all():
        t = store.runs.totals(r.name)
        scored, median = store.runs.confidence_median(r.name)
        cells = [
            term(r.name),
            term(r.selection.short()),
            f"{t.drafted}/{store.runs.size(r.name)}",
            str(t.failed),
            f"${t.cost_usd:.4f}" if t.cost_usd is not None else "-",
            f"{median:.2f} ({scored / t.drafted:.0%})" if median is not None and t.drafted else "-",
        ]
        if wide:
            who = " ".join(x for x in (r.model, prompt_version(r.prompt_name, r.prompt_hash)) if x)
            cells += [
                term(r.drafter),
                term(who or "-"),
                f"{t.prompt_tokens}/{t.completion_tokens}",
                "yes" if r.finished_at else "no",
            ]
        table.add_row(*cells)
    out.print(table)
    out.print(
        "[dim]drafted/total: the run's own clips (its sets, or its ids); `recap sets` lists the "
        "sets" + ("" if wide else "; at 120 columns or more: model, prompt and tokens") + ". "
        "confidence: the median score of the scored drafts (the share scored; `recap route "
        "calibrate | apply` scores them); `recap runs RUN` shows their distribution.[/]",
        highlight=False,
    )
    for r in store.runs.all():
        routed, audited = store.routing.run_counts(r.name)
        if routed:
            out.print(
                f"{r.name}: {routed} drafts accepted by recap's policy ({audited} also "
                f"audited by a person); `recap route status --run {r.name}` says how it holds",
                highlight=False,
            )


def run_detail(store: Store, name: str) -> None:
    """`recap runs RUN`: how the run drafts (drafter, model, prompt, samples per clip and
    temperature), its totals, and how its drafts' confidences fall, in tenths."""
    from agent.schema import prompt_version

    r = store.runs.require(name)
    t = store.runs.totals(name)
    settings = r.settings or {}
    who = " ".join(x for x in (r.model, prompt_version(r.prompt_name, r.prompt_hash)) if x)
    out.print(f"[bold]{term(name)}[/] · {term(r.drafter)} {term(who)}", highlight=False)
    samples = r.samples
    out.print(
        f"samples per clip {samples} · temperature {settings.get('temperature', '-')} · "
        f"{t.drafted}/{store.runs.size(name)} drafted · {t.failed} failed · "
        + (f"${t.cost_usd:.4f}" if t.cost_usd is not None else "cost unknown"),
        highlight=False,
    )
    scores = store.runs.confidences(name)
    if not scores:
        out.print(
            f"No draft of {term(name)} is scored yet: `recap route calibrate --run {term(name)} "
            "...` or `recap route apply` scores them.",
            highlight=False,
        )
        return
    scores.sort()
    out.print(
        f"{len(scores)} of {t.drafted} drafts scored · median confidence "
        f"{statistics.median(scores):.3f} · lowest {scores[0]:.3f} · highest {scores[-1]:.3f}",
        highlight=False,
    )
    table = Table(title="Confidence of the scored drafts")
    for col in ("confidence", "drafts", "share"):
        table.add_column(col, justify="right")
    bins = [0] * 10
    for x in scores:
        bins[min(int(x * 10), 9)] += 1
    for i, n in enumerate(bins):
        top = "]" if i == 9 else ")"
        table.add_row(f"[{i / 10:.1f}, {(i + 1) / 10:.1f}{top}", str(n), f"{n / len(scores):.0%}")
    out.print(table)


def sets_cmd(
    name: Annotated[
        str | None, typer.Argument(help="With --kind: the set whose kind to change.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="Change NAME's kind: production, evaluation or one-off."),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="This run's clips by set: covered, drafted, failed, decided."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """List the clip sets with their kinds and sizes; or change a set's kind; or show how a
    run's clips fall into sets."""
    from agent.store import Store

    store = Store(db)
    if (name is None) != (kind is None):
        raise RecapError(
            "Give a set and its new kind together.", hint="recap sets NAME --kind evaluation"
        )
    if name is not None and kind is not None:
        before = store.sets.covered_by_production_runs(name)
        changed = store.sets.set_kind(name, _set_kind(kind))
        out.print(f"set {changed.name} is now {changed.kind}", highlight=False)
        after = store.sets.covered_by_production_runs(name)
        for r in sorted(set(before) - set(after)):
            f = before[r]
            out.print(
                f"run {r} (over the production sets) now leaves out its {f.clips} clips: "
                f"{f.drafted} drafted, {f.decided} decided, kept in the database; "
                f"`recap sets {name} --kind production` brings them back",
                highlight=False,
            )
        for r in sorted(set(after) - set(before)):
            f = after[r]
            out.print(
                f"run {r} (over the production sets) now covers its {f.clips} clips: "
                f"{f.clips - f.drafted} to draft with `recap draft --run {r}`",
                highlight=False,
            )
    if run is not None:
        store.runs.require(run)
        table = Table(title=f"Run {run}'s clips by set")
        for col in ("set", "kind", "clips", "drafted", "failed", "decided"):
            table.add_column(col, justify="left" if col in ("set", "kind") else "right")
        for f in store.sets.breakdown(run):
            table.add_row(
                f.name, str(f.kind or "-"), str(f.clips), str(f.drafted), str(f.failed),
                str(f.decided),
            )  # fmt: skip
        out.print(table)
        return
    table = Table(title=f"Clip sets in {term(store.display_url)}")
    table.add_column("set", no_wrap=True)
    for col in ("kind", "clips", "from", "created"):
        table.add_column(col, justify="right" if col == "clips" else "left")
    for s in store.sets.all():
        created = f"{s.created_at:%Y-%m-%d %H:%M}" if s.created_at else "-"
        table.add_row(s.name, str(s.kind), str(s.clips), s.source or "-", created)
    loose = store.sets.unsorted()
    if loose:
        table.add_row("(no set)", "production", str(loose), "added without a set", "-")
    out.print(table)
    out.print(
        "[dim]A plain `recap draft` drafts the production sets; evaluation and one-off sets "
        "only when named with --set.[/]",
        highlight=False,
    )


def export_cmd(
    out_file: Annotated[
        Path,
        typer.Option(
            "--out", help="Output: a .jsonl/.parquet file, or a folder for lerobot and pairs."
        ),
    ],
    run: Annotated[
        str | None,
        typer.Option("--run", help="Run (default: the latest production run; or: latest)."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="jsonl or parquet (final captions; default from --out's suffix), lerobot (a "
            "copy of the dataset whose frames carry the final captions as their task) or pairs "
            "(preference pairs and critique triples for training).",
        ),
    ] = None,
    only_reviewed: Annotated[
        bool,
        typer.Option(
            "--only-reviewed",
            help="lerobot: change only reviewed clips' frames; the rest keep the dataset's text "
            "(default: unreviewed clips get the draft's rewrite).",
        ),
    ] = False,
    dataset: Annotated[
        Path | None,
        typer.Option(help="lerobot: the source dataset, when the run spans several."),
    ] = None,
    with_auto: Annotated[
        bool,
        typer.Option(
            "--with-auto",
            help="pairs: include the drafts recap's policy accepted (left out by default).",
        ),
    ] = False,
    db: DbOpt = None,
) -> None:
    """Write final captions (reviewed where reviewed, else drafted) with their provenance:
    who decided each (a person, or recap's policy with its id and the confidence)."""
    from agent.data._export import export, export_lerobot, export_pairs
    from agent.store import Store

    store = Store(db, create=False)
    run = pick_run(store, run, "export")
    kind = fmt or out_file.suffix.lower().lstrip(".")
    if kind == "lerobot":
        report = export_lerobot(store, run, out_file, only_reviewed=only_reviewed, dataset=dataset)
        out.print(
            f"wrote {out_file}: {report.clips} clip captions on {report.frames} frames, "
            f"{report.new_tasks} new tasks; changed {len(report.changed_files)} files "
            f"({', '.join(report.changed_files)}), every other file copied as is",
            highlight=False,
        )
        return
    if kind == "pairs":
        pairs, critiques = export_pairs(store, run, out_file, with_auto=with_auto)
        out.print(
            f"wrote {pairs} preference pairs and {critiques} critique triples of run {run} "
            f"to {out_file}/pairs.{{jsonl,parquet}} and critiques.{{jsonl,parquet}}",
            highlight=False,
        )
        return
    if kind not in ("jsonl", "ndjson", "parquet"):
        raise RecapError(
            f"Unknown export format {kind!r}.",
            hint="Use --format jsonl, parquet, lerobot or pairs.",
        )
    if fmt and out_file.suffix.lower().lstrip(".") != kind:
        out_file = out_file.with_suffix("." + kind)
    n = export(store, run, out_file)
    out.print(f"wrote {n} captions of run {term(run)} to {term(out_file)}", highlight=False)


def settings_cmd() -> None:
    """Print every setting in force (secrets only as set / not set, never their value)."""
    from agent.redact import redact_url
    from agent.store import database_url

    s = settings_from()
    data = s.shown()
    data["db"] = redact_url(database_url(s.db))
    typer.echo(json.dumps(data, indent=2, default=str))


# --- users: who may sign in to the review page, and as what -------------------------------------
users_app = new_app(help="Accounts for the review page's sign-in: add, list, remove.")
RoleOpt = Annotated[str, typer.Option("--role", help="reviewer | lead | admin.")]


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The e-mail address the person signs in with.")],
    role: RoleOpt = "reviewer",
    db: DbOpt = None,
) -> None:
    """Add an account, change its role, or restore a removed one."""
    import getpass

    from agent.review._users import add_user
    from agent.store import Store

    user, what = add_user(Store(db), email, role, by=getpass.getuser())
    out.print(f"{what}: {term(user.email)} ({user.role})", highlight=False)


@users_app.command("list")
def users_list(
    db: DbOpt = None,
    removed: Annotated[bool, typer.Option("--all", help="Include removed accounts.")] = False,
) -> None:
    """List accounts and their roles."""
    from agent.review._users import list_users
    from agent.store import Store

    table = Table(title="recap users")
    for col in ("e-mail", "role", "added", "by", "removed"):
        table.add_column(col)
    for u in list_users(Store(db, create=False), revoked=removed):
        table.add_row(
            term(u.email),
            u.role,
            f"{u.created_at:%Y-%m-%d}",
            term(u.added_by or "-"),
            f"{u.revoked_at:%Y-%m-%d %H:%M}" if u.revoked_at else "",
        )
    out.print(table)


@users_app.command("remove")
def users_remove(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    db: DbOpt = None,
) -> None:
    """Revoke an account: its holder is refused from their next request on."""
    from agent.review._users import remove_user
    from agent.store import Store

    user = remove_user(Store(db, create=False), email)
    out.print(f"removed: {term(user.email)} (refused from the next request on)", highlight=False)
