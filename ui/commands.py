"""`recap review`: starts the Streamlit review page (ui/app.py) on one database and run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from agent.commandline import DbOpt, out
from agent.errors import RecapError
from agent.store import Store

APP = Path(__file__).resolve().parent / "app.py"


def register(app: typer.Typer) -> None:
    app.command("review")(review_cmd)


def review_cmd(
    db: DbOpt = None,
    run: Annotated[
        str | None, typer.Option("--run", help="Run to review (default: latest).")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port for the page.")] = 8501,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; the default keeps it on this machine.")
    ] = "127.0.0.1",
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer",
            help="Name decisions are recorded under when the URL names none "
            "(default on 127.0.0.1: your user name).",
        ),
    ] = None,
    control_share: Annotated[
        float | None,
        typer.Option(
            "--control-share",
            min=0.0,
            max=1.0,
            help="Share of clips shown without the draft, to measure what drafts are worth "
            "(`recap report`); 0 turns it off. Default 0.05 (RECAP_CONTROL_SHARE).",
        ),
    ] = None,
) -> None:
    """Open the review page: accept, edit or reject each draft by keyboard."""
    serve(db, run, port=port, host=host, reviewer=reviewer, control_share=control_share)


def streamlit_command(host: str, port: int) -> list[str]:
    """The Streamlit server for the page, configured for reviewers: no developer chrome (the
    Deploy button, the rerun and cache menu), no usage statistics, no browser opened."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


def serve(
    db: str | None,
    run: str | None,
    *,
    port: int,
    host: str,
    reviewer: str | None = None,
    control_share: float | None = None,
) -> None:
    """Run the page in a Streamlit server until Ctrl-C."""
    store = Store(db)
    if run is not None:
        store.require_run(run)
    if reviewer is not None and not reviewer.strip():
        raise RecapError("--reviewer is empty.", hint="Pass a name, e.g. --reviewer ann.")
    env = dict(os.environ, RECAP_DB=store.url)
    if run:
        env["RECAP_REVIEW_RUN"] = run
    if reviewer:
        env["RECAP_REVIEWER"] = reviewer.strip()
    if control_share is not None:
        env["RECAP_CONTROL_SHARE"] = str(control_share)
    out.print(
        f"review page on http://{host}:{port}  (Ctrl-C to stop) · {store.display_url}",
        highlight=False,
    )
    cmd = streamlit_command(host, port)
    try:
        raise typer.Exit(subprocess.call(cmd, env=env))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
