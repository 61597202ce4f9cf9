"""`recap check`: what the configured endpoint can do for recap, and the settings that suit it.

It sends a text probe, one request with a clip's images and the clip itself in each
structured-output mode, then prints what works, the mode chosen, one clip's latency, tokens
and cost, and what to set. The clip is a bundled sample (with its caption and telemetry) unless
`--clip VIDEO --caption TEXT` names one. The command imports the library when it runs, so
loading the command line stays cheap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli import DbOpt, model_flags, out, settings_from
from agent.errors import RecapError

SAMPLE = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "sample"
SAMPLE_CLIP = "pick-place-000"


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)


def sample_clip() -> tuple[Path, str, Path | None]:
    """The bundled clip `recap check` drafts by default: video, caption, telemetry."""
    manifest = SAMPLE / "manifest.jsonl"
    if not manifest.is_file():
        raise RecapError(
            f"The bundled sample is missing ({manifest}).",
            hint="Pass a clip of your own: recap check --clip VIDEO --caption TEXT",
        )
    for line in manifest.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == SAMPLE_CLIP:
            tel = row.get("telemetry")
            return SAMPLE / row["video"], row["caption"], SAMPLE / tel if tel else None
    raise RecapError(f"The bundled sample has no clip {SAMPLE_CLIP!r} ({manifest}).")


@model_flags
def check_cmd(
    clip: Annotated[
        Path | None, typer.Option("--clip", help="A clip to draft (default: a bundled sample).")
    ] = None,
    caption: Annotated[
        str | None, typer.Option("--caption", "-c", help="The clip's caption (with --clip).")
    ] = None,
    telemetry: Annotated[
        Path | None, typer.Option("--telemetry", "-t", help="Robot telemetry JSON for --clip.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    db: DbOpt = None,
    *,
    model_flags: dict[str, Any],
) -> None:
    """Probe the endpoint: text, images, one clip in each structured-output mode; print what
    works, latency, tokens, cost per clip and per hour of video, and the settings to use.
    Exit 1 when no valid draft can be had."""
    import asyncio

    from agent.drafting import ModelDrafter, probe_endpoint
    from agent.store import Store
    from agent.telemetry import Telemetry

    settings = settings_from(**model_flags)
    settings.check_endpoint()
    if clip is None:
        if caption is not None or telemetry is not None:
            raise RecapError("--caption and --telemetry go with --clip VIDEO.")
        clip, caption, telemetry = sample_clip()
    elif caption is None:
        raise RecapError("--clip needs --caption TEXT: the caption to review.")
    tel = Telemetry.load(telemetry) if telemetry else None
    store = Store(db) if settings.mode == "auto" else None
    drafter = ModelDrafter(settings, modes=store.endpoints if store else None)

    async def go() -> Any:
        try:
            return await probe_endpoint(drafter, clip, caption, telemetry=tel)
        finally:
            await drafter.aclose()

    report = asyncio.run(go())
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, **report.model_dump(mode="json")}, indent=2))
    else:
        render(report)
    if not report.ok:
        raise typer.Exit(1)


def _tokens(prompt: int, completion: int) -> str:
    return f"{prompt}/{completion}" if prompt or completion else ""


def _latency(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else ""


def render(report: Any) -> None:
    """The report as a table, the clip's figures and the settings to use."""
    from rich.table import Table

    out.print(
        f"recap check: {report.model} at {report.endpoint} (RECAP_MODE={report.setting})",
        highlight=False,
    )
    table = Table(show_header=True)
    for col in ("probe", "result", "latency", "tokens in/out", "requests", "what the server did"):
        table.add_column(col)
    probes = [("text", report.text)] + ([("images", report.images)] if report.images else [])
    for name, probe in probes:
        table.add_row(
            name,
            "ok" if probe.ok else "failed",
            _latency(probe.latency_s),
            _tokens(probe.prompt_tokens, probe.completion_tokens),
            "",
            probe.detail,
        )
    for m in report.modes:
        table.add_row(
            f"mode {m.mode}",
            m.outcome.value,
            _latency(m.latency_s),
            _tokens(m.prompt_tokens, m.completion_tokens),
            str(m.requests) if m.requests else "",
            m.detail,
        )
    out.print(table)
    out.print(f"mode chosen: {report.chosen or 'none'}", highlight=False)
    clip = report.clip
    if clip is not None:
        image = (
            f"{clip.image_tokens} image tokens measured"
            if clip.image_tokens is not None
            else "image tokens not reported"
        )
        cost = (
            f"${clip.cost_usd:.5f} per clip, ${clip.cost_per_hour_usd:.2f} per hour of video"
            if clip.cost_usd is not None and clip.cost_per_hour_usd is not None
            else "cost unknown (no price for this model)"
        )
        out.print(
            f"one clip ({clip.clip}: {clip.duration_s:.2f} s, {clip.frames} frames, "
            f"{clip.layout}, {clip.sampling} sampling) in {report.chosen}: "
            f"{clip.latency_s:.2f} s, {clip.prompt_tokens} input / {clip.completion_tokens} "
            f"output tokens, {image} ({clip.image_tokens_estimate} under OpenAI's "
            f"accounting); {cost}",
            highlight=False,
        )
    if report.recommended:
        out.print("recommended:")
        for line in report.recommended:
            out.print(f"  {line}", highlight=False)
    for problem in report.problems:
        out.print(f"[bold red]cannot draft:[/] {problem}", highlight=False)
