"""`recap route calibrate | apply | status`: accept drafts without a person where their error
rate is bounded with a guarantee, audit them, and stop when the audit says so.

Thin: each command parses, calls `agent.routing`, and presents; the library is imported when a
command runs, so `recap --help` stays light.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli._app import DbOpt, new_app, out

if TYPE_CHECKING:
    from agent.store import Store

route_app = new_app(
    help="Accept confident drafts without a person, with a bounded error rate: calibrate a "
    "policy, apply it, watch its audit."
)

RunOpt = Annotated[str, typer.Option("--run", help="The run to route.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")]
PolicyOpt = Annotated[
    int | None,
    typer.Option("--policy", help="A policy id (default: the newest for the run's identity)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(route_app, name="route")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@route_app.command("calibrate")
def calibrate_cmd(
    run: RunOpt,
    alpha: Annotated[
        float, typer.Option("--alpha", help="The error rate to hold among accepted drafts.")
    ],
    delta: Annotated[
        float, typer.Option("--delta", help="The chance the guarantee may fail.")
    ] = 0.1,
    gold: Annotated[
        Path | None,
        typer.Option("--gold", help="Gold labels (JSONL/CSV: id, gold_caption, gold_...)."),
    ] = None,
    reviewed: Annotated[
        bool, typer.Option("--reviewed", help="Label by the run's reviewed clips instead.")
    ] = False,
    tolerance: Annotated[
        int,
        typer.Option(
            "--tolerance", min=0, help="Word edits (after normalisation) that are no change."
        ),
    ] = 0,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Pick the lowest confidence threshold whose exact error bound holds alpha at 1-delta, on
    clips with a known answer, and store it as the run identity's policy."""
    from agent.routing import ErrorRule, calibrate_run
    from agent.store import Store

    done = calibrate_run(
        Store(db, create=False),
        run,
        alpha=alpha,
        delta=delta,
        gold=gold,
        reviewed=reviewed,
        rule=ErrorRule(tolerance=tolerance),
    )
    p = done.calibration.policy
    if as_json:
        typer.echo(json.dumps(done.to_json()))
        return
    for why in done.skipped[:5]:
        out.print(f"[yellow]left out[/] {why}", highlight=False)
    if len(done.skipped) > 5:
        out.print(f"[yellow]left out[/] {len(done.skipped) - 5} more gold rows", highlight=False)
    out.print(
        f"policy {done.row.id} for run {run} ({done.row.labels} labels, {p.n} clips; "
        f"alpha={p.alpha:g}, delta={p.delta:g})",
        highlight=False,
    )
    if p.threshold is None:
        out.print(f"accepts nothing: {p.reason}", highlight=False)
        return
    out.print(
        f"threshold {p.threshold:.4g}: {p.accepted} of {p.n} labelled clips at or above it "
        f"(coverage {p.coverage:.1%}), {p.errors} wrong (error {_fmt(p.error)}, exact "
        f"Clopper-Pearson bound {_fmt(p.bound)} at {1 - p.delta:.0%})",
        highlight=False,
    )
    out.print(
        f"[dim]recap route apply --run {run} auto-accepts drafts at or above it.[/]",
        highlight=False,
    )


@route_app.command("apply")
def apply_cmd(
    run: RunOpt,
    audit: Annotated[
        float,
        typer.Option("--audit", help="Share of accepted clips a person also checks (by hash)."),
    ] = 0.05,
    policy: PolicyOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Auto-accept the run's undecided drafts at or above the policy's threshold; an audit
    share of them, and every other draft, stays in the human queue."""
    from agent.routing import apply_policy
    from agent.store import Store

    done = apply_policy(Store(db, create=False), run, audit=audit, policy_id=policy)
    if as_json:
        typer.echo(json.dumps(done.to_json()))
        return
    out.print(
        f"policy {done.policy.id}: {done.auto_accepted} drafts accepted by recap "
        f"({done.audit} of them also to a person as an audit), {done.to_review} left to "
        f"people; {done.skipped} already decided, accepted or calibrated on",
        highlight=False,
    )


@route_app.command("status")
def status_cmd(
    run: RunOpt,
    policy: PolicyOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """The policy's auto-acceptances, its audit, the live bound, and whether it is suspended."""
    from agent.routing import route_status
    from agent.store import Store

    row, status = route_status(Store(db, create=False), run, policy)
    if as_json:
        typer.echo(json.dumps(status.to_json()))
        return
    state = "[red]suspended[/]" if status.suspended else "[green]in force[/]"
    out.print(
        f"policy {row.id} ({state}): threshold {_fmt(row.threshold, 4)}, alpha={row.alpha:g}, "
        f"delta={row.delta:g}; {status.auto_accepted} accepted by recap, {status.audited} "
        f"audited by a person, {status.audit_errors} wrong; audit bound "
        f"{_fmt(status.audit_bound)}",
        highlight=False,
    )
    out.print(status.reason, highlight=False)


def print_routing(store: Store, run: str) -> None:
    """The figures of the policy that routed `run` (for `recap team` and `recap report`):
    auto-acceptances, the audit and its live bound, and a suspension with its reason."""
    from rich.table import Table

    from agent.routing import routing_figures

    found = routing_figures(store, run)
    if found is None:
        return
    row, status = found
    t = Table(title=f"Accepted by recap's policy {row.id} in {run}", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    for what, value in (
        ("threshold (confidence)", _fmt(row.threshold, 4)),
        ("alpha / delta", f"{row.alpha:g} / {row.delta:g}"),
        ("calibrated on", f"{row.n} {row.labels} clips, bound {_fmt(row.bound)}"),
        ("accepted without a person", str(status.auto_accepted)),
        ("audited by a person / wrong", f"{status.audited} / {status.audit_errors}"),
        ("live audit bound", _fmt(status.audit_bound)),
        ("state", "suspended" if status.suspended else "in force"),
    ):
        t.add_row(what, value)
    out.print(t)
    out.print(status.reason, style="red" if status.suspended else None, highlight=False)
