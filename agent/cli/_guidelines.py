"""The guideline's commands: `recap guidelines check FILE`, `recap guidelines show`, and
`recap lint (MANIFEST | --run RUN)` with `--consistency`.

Thin: each parses, calls agent.guidelines, and presents. The linter and lemminflect load inside
the commands, so they cost nothing to the other commands' start-up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from agent.cli._app import DbOpt, new_app, out, pick_run, settings_from
from agent.errors import RecapError

if TYPE_CHECKING:
    from agent.guidelines import Drift, Guidelines, LintReport

CAPTION_KINDS = ("original", "rewrite", "final")
GuidelinesOpt = Annotated[
    Path | None,
    typer.Option(
        "--guidelines",
        help="Guideline file (default: RECAP_GUIDELINES, a guidelines.toml beside the prompts, "
        "or the built-in).",
    ),
]

guidelines_app = new_app(help="The caption guideline: check a file, show the one in force.")


def register(app: typer.Typer) -> None:
    """Add `recap guidelines ...` and `recap lint` to `app`."""
    app.add_typer(guidelines_app, name="guidelines")
    app.command("lint")(lint_cmd)


def _active(path: Path | None) -> Guidelines:
    from agent.guidelines import guidelines_for

    return guidelines_for(settings_from(), path)


@guidelines_app.command("check")
def check_cmd(
    file: Annotated[Path, typer.Argument(help="The guideline file (TOML) to check.")],
) -> None:
    """Check a guideline file: every unknown key, wrong type, bad or slow pattern and
    contradiction, with its line. Exits 1 when any is an error."""
    from agent.guidelines import inspect_guidelines

    guidelines, problems = inspect_guidelines(file)
    for p in problems:
        style = "red" if p.level == "error" else "yellow"
        out.print(f"[{style}]{p.level}[/] {escape(str(p))}", highlight=False)
    errors = sum(p.level == "error" for p in problems)
    if guidelines is None:
        out.print(
            f"[bold red]{escape(str(file))}: {errors} error(s)[/]; it cannot be used.",
            highlight=False,
        )
        raise typer.Exit(1)
    rubric = f" · rubric of {len(guidelines.rubric.dimensions)}" if guidelines.rubric else ""
    summary = f"{guidelines.version} · {len(guidelines.rules)} rules{rubric}"
    out.print(f"[green]{escape(str(file))}: ok[/] · {escape(summary)}", highlight=False)


@guidelines_app.command("show")
def show_cmd(
    guidelines_file: GuidelinesOpt = None,
    prose: Annotated[bool, typer.Option("--prose", help="Also print the prose.")] = False,
) -> None:
    """The guideline in force: where it comes from, its version, its rules and rubric."""
    from rich.table import Table

    from agent.guidelines import guidelines_source

    s = settings_from()
    source = guidelines_source(guidelines_file, prompts_dir=s.prompts_dir, prompt=s.prompt)
    g = _active(guidelines_file)
    out.print(escape(f"{g.version} · {source}"), highlight=False)
    table = Table(title="Rules")
    for col in ("rule", "severity", "checks"):
        table.add_column(col)
    for r in g.rules:
        table.add_row(escape(r.kind), r.severity, escape(r.summary))
    out.print(table)
    if g.rubric:
        rubric = Table(title=f"Rubric ({g.rubric.low}-{g.rubric.high})")
        rubric.add_column("dimension")
        rubric.add_column("what it scores")
        for d in g.rubric.dimensions:
            rubric.add_row(escape(d.name), escape(d.description))
        out.print(rubric)
    if prose:
        typer.echo(g.prose)


def _manifest_captions(path: Path, skipped: list[str]) -> list[tuple[str, str]]:
    from agent.data import read_manifest

    rows = []
    for line, row in read_manifest(path):
        if not isinstance(row, dict):
            skipped.append(f"line {line}: {row}")
            continue
        clip, caption = row.get("id"), row.get("caption")
        if isinstance(clip, bool) or not isinstance(clip, str | int) or not str(clip).strip():
            skipped.append(f"line {line}: no id")
        elif not isinstance(caption, str) or not caption.strip():
            skipped.append(f"line {line} ({clip}): no caption")
        else:
            rows.append((str(clip).strip(), caption.strip()))
    return rows


def _run_captions(db: str | None, run: str, which: str) -> list[tuple[str, str]]:
    from agent.data import final_rows
    from agent.store import Store

    column = {"original": "original_caption", "rewrite": "draft_rewrite", "final": "caption"}
    store = Store(db, create=False)
    rows = final_rows(store, pick_run(store, run, "lint"))
    return [(r["clip_id"], r[column[which]]) for r in rows if r[column[which]]]


def _drift_json(d: Drift) -> dict[str, Any]:
    return {
        "concept": d.concept,
        "preferred": d.preferred,
        "source": d.source,
        "captions": d.captions,
        "variants": [
            {
                "variant": v.text,
                "found": v.found,
                "captions": v.captions,
                "occurrences": v.occurrences,
                "forms": dict(v.forms),
                "clips": v.clips,
            }
            for v in d.variants
        ],
    }


def _print_report(report: LintReport, skipped: list[str]) -> None:
    from rich.table import Table

    out.print(
        escape(
            f"{report.captions} captions · {report.flagged} with warnings · {report.guideline} "
            f"({report.source})"
        ),
        highlight=False,
    )
    for s in skipped[:10]:
        out.print(f"[yellow]skipped[/] {escape(s)}", highlight=False)
    if len(skipped) > 10:
        out.print(f"[yellow]skipped[/] ... and {len(skipped) - 10} more rows", highlight=False)
    if not report.rules:
        return
    table = Table(title="Violations per rule")
    for col, justify in (("rule", "left"), ("severity", "left"), ("warnings", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    table.add_column("captions", justify="right")
    table.add_column("examples")
    for r in report.ordered():
        examples = escape("\n".join(f"{clip}: {text!r}" for clip, text, _ in r.examples))
        style = "red" if r.severity == "error" else None
        table.add_row(
            escape(r.kind), r.severity, str(r.warnings), str(r.captions), examples, style=style
        )
    out.print(table)


def _print_drift(drifts: list[Drift], shown_clips: int = 5) -> None:
    from rich.table import Table

    if not drifts:
        out.print("No terminology drift: each thing is named one way.")
        return
    table = Table(title="Terminology drift (same thing, several names)")
    for col in ("concept", "use", "variant", "captions", "clips"):
        table.add_column(col, justify="right" if col == "captions" else "left")
    for d in drifts:
        for i, v in enumerate(d.variants):
            clips = ", ".join(v.clips[:shown_clips]) + (" ..." if v.captions > shown_clips else "")
            forms = "/".join(sorted(v.forms))
            name = v.text if forms == v.text else f"{v.text} ({forms})"
            table.add_row(
                escape(f"{d.concept} ({d.source})") if i == 0 else "",
                escape(d.preferred) if i == 0 else "",
                escape(f"{name} · {v.found}" if v.found != "group" else name),
                str(v.captions),
                escape(clips),
            )
        table.add_section()
    out.print(table)


def lint_cmd(
    manifest: Annotated[
        Path | None, typer.Argument(help="A .jsonl/.csv manifest (id and caption per row).")
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(
            "--run", help="Lint a run's captions instead of a manifest (a name, or latest)."
        ),
    ] = None,
    captions: Annotated[
        str,
        typer.Option(
            help="With --run: original (the clips' captions, default), rewrite (the drafts') or "
            "final (reviewed where reviewed, else the draft's rewrite, as exported).",
        ),
    ] = "original",
    guidelines_file: GuidelinesOpt = None,
    consistency: Annotated[
        bool,
        typer.Option(
            "--consistency",
            help="Also report terminology drift: one thing named several ways across captions.",
        ),
    ] = False,
    examples: Annotated[int, typer.Option(help="Example clips kept per rule.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    db: DbOpt = None,
) -> None:
    """Check every caption against the guideline: violations per rule with counts and example
    clips. Exits 1 when an error-severity rule is broken (for data pipelines)."""
    from agent.guidelines import consistency as find_drift
    from agent.guidelines import lint_captions

    if (manifest is None) == (run is None):
        raise RecapError(
            "Give a manifest or --run RUN (one of the two).",
            hint="recap lint captions.jsonl, or recap lint --run NAME.",
        )
    if captions not in CAPTION_KINDS:
        raise RecapError(
            f"Unknown --captions {captions!r}.", hint=f"Use one of {', '.join(CAPTION_KINDS)}."
        )
    g = _active(guidelines_file)
    skipped: list[str] = []
    if manifest is not None:
        items = _manifest_captions(manifest, skipped)
    else:
        assert run is not None
        items = _run_captions(db, run, captions)
    report = lint_captions(items, g, examples=examples)
    drifts = find_drift(items, g) if consistency else None
    if as_json:
        data = report.to_json()
        data["skipped"] = skipped
        if drifts is not None:
            data["consistency"] = [_drift_json(d) for d in drifts]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _print_report(report, skipped)
        if drifts is not None:
            _print_drift(drifts)
    if report.failed:
        if not as_json:
            out.print("[bold red]An error-severity rule is broken.[/]", highlight=False)
        raise typer.Exit(1)
