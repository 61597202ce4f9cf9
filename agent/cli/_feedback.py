"""`recap feedback`: what the captioning model gets wrong, for the team that owns it, from a
run's reviews or a gold file, as feedback.md, feedback.html and feedback.json.

Thin: parses, calls agent.feedback, and presents. scipy and the store load inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from agent.cli._app import DbOpt, out, pick_run
from agent.errors import RecapError


def register(app: typer.Typer) -> None:
    """Add `recap feedback` to `app`."""
    app.command("feedback")(feedback_cmd)


def feedback_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report's three files.")],
    run: Annotated[str | None, typer.Option("--run", help="Learn from this run's reviews.")] = None,
    gold: Annotated[
        Path | None,
        typer.Option("--gold", help="Learn from the gold labels of this file's clips."),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            metavar="meta.KEY",
            help="Also break figures down by this meta key (repeatable).",
        ),
    ] = None,
    compare_set: Annotated[
        tuple[str, str] | None,
        typer.Option("--compare-set", metavar="SET_A SET_B", help="Compare two sets' captions."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """What the captions get wrong: error profile with 95% intervals, where it happens, the
    phrases it says wrong and what reviewers wrote instead, the five largest error sources."""
    from agent.feedback import build, from_gold, from_run, write
    from agent.store import Store

    if (run is None) == (gold is None):
        raise RecapError("Give --run RUN or --gold FILE (one of them).")
    if gold is not None and not gold.is_file():
        raise RecapError(f"Gold file {gold} does not exist.")
    store = Store(db, create=False)
    try:
        if compare_set is not None:
            known = store.sets.kinds()
            for name in compare_set:
                if name not in known:
                    raise RecapError(
                        f"--compare-set: there is no set {name!r}.",
                        hint="The sets there are: " + (", ".join(sorted(known)) or "none"),
                    )
        if gold is not None:
            collected = from_gold(store, _gold_ids(gold), str(gold))
        else:
            collected = from_run(store, pick_run(store, run, "feedback"))
        report = build(collected, by=by or (), compare=compare_set)
    finally:
        store.close()
    paths = write(report, out_dir)
    out.print(f"feedback on {escape(report.source)}: {report.clips} caption(s)", highlight=False)
    for line in report.summary:
        out.print(f"  - {escape(line)}", highlight=False, soft_wrap=True)
    out.print("wrote " + ", ".join(str(p) for p in paths), highlight=False)


def _gold_ids(path: Path) -> list[str]:
    """The clip ids of a gold file's rows (unreadable rows are skipped, as ingest skips them)."""
    from agent.data import read_manifest

    ids = []
    for _, row in read_manifest(path):
        if isinstance(row, dict) and isinstance(row.get("id"), str) and row["id"].strip():
            ids.append(row["id"].strip())
    if not ids:
        raise RecapError(f"Gold file {path} has no row with an id.")
    return ids
