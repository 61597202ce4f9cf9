"""`recap review`: starts the Streamlit review page (ui/review.py) on one database and run.

Beyond this machine the page needs sign-in (OpenID Connect through Streamlit's `st.login`):
configured by RECAP_AUTH_* (written to a private, temporary secrets file for the page's
process) or by an `[auth]` section in `.streamlit/secrets.toml`. Without either it refuses to
serve anywhere but loopback, unless `--no-auth` says so explicitly.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from agent.cli import (
    DbOpt,
    GuidelinesOpt,
    err,
    out,
    pick_run,
    print_routing,
    settings_from,
    term,
)
from agent.errors import ConfigError, RecapError
from agent.settings import check_cookie_secret

if TYPE_CHECKING:
    from agent.settings import Settings

APP = Path(__file__).resolve().parent / "review.py"
SERVER = Path(__file__).resolve().parent / "serve.py"  # st.App over APP, with recap's guard
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
HOW_TO_SIGN_IN = (
    "Configure sign-in with your identity provider (OpenID Connect: Google, Microsoft, Okta, "
    "Keycloak, ...), either in recap's settings:\n"
    "  export RECAP_AUTH_SERVER_METADATA_URL=https://<provider>/.well-known/openid-configuration\n"
    "  export RECAP_AUTH_CLIENT_ID=<client id>\n"
    "  export RECAP_AUTH_CLIENT_SECRET=<client secret>\n"
    "  export RECAP_AUTH_COOKIE_SECRET=$(python -c 'import secrets; "
    "print(secrets.token_urlsafe(32))')\n"
    "  export RECAP_AUTH_REDIRECT_URI=https://<this page's address>/oauth2callback\n"
    "or in an [auth] section of .streamlit/secrets.toml with redirect_uri, cookie_secret, "
    "client_id, client_secret and server_metadata_url.\n"
    "Then let people in: recap users add EMAIL --role reviewer|lead|admin\n"
    "To serve without sign-in anyway (a network you trust), pass --no-auth."
)


def register(app: typer.Typer) -> None:
    app.command("review")(review_cmd)
    app.command("team")(team_cmd)


def review_cmd(
    db: DbOpt = None,
    run: Annotated[
        str | None,
        typer.Option(
            "--run", help="Run to review (default: the latest production run; or: latest)."
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port for the page.")] = 8501,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to bind; the default keeps it on this machine. Any other needs sign-in.",
        ),
    ] = "127.0.0.1",
    reviewer: Annotated[
        str | None,
        typer.Option("--reviewer", help="Without sign-in: the name decisions are recorded under."),
    ] = None,
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="Serve beyond this machine without sign-in (not advised)."),
    ] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="A host name the page may be reached by, besides the bound address and the "
            "sign-in redirect URI's host (repeatable); requests naming any other are refused.",
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
    gold_rate: Annotated[
        float | None,
        typer.Option(
            "--gold-rate",
            min=0.0,
            max=1.0,
            help="Share of each reviewer's clips that are gold checks (clips with a gold "
            "caption, looking like any other), e.g. 0.05; 0 turns it off (RECAP_GOLD_RATE).",
        ),
    ] = None,
    overlap: Annotated[
        float | None,
        typer.Option(
            "--overlap",
            min=0.0,
            max=1.0,
            help="Share of clips reviewed by two reviewers, blind to each other, e.g. 0.1; "
            "disagreements go to a lead (RECAP_OVERLAP).",
        ),
    ] = None,
    guidelines: GuidelinesOpt = None,
) -> None:
    """Open the review page: accept, edit or reject each draft by keyboard."""
    serve(
        db,
        run,
        port=port,
        host=host,
        reviewer=reviewer,
        no_auth=no_auth,
        allowed_hosts=allowed_host,
        control_share=control_share,
        gold_rate=gold_rate,
        overlap=overlap,
        guidelines=guidelines,
    )


def streamlit_command(host: str, port: int) -> list[str]:
    """The Streamlit server for the page, configured for reviewers: no developer chrome (the
    Deploy button, the rerun and cache menu), no usage statistics, no browser opened, no error
    details in the browser, no agent API. Served through ui/serve.py (`st.App`), which guards
    every request and loads the page's modules before the server answers."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SERVER),
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
        "--client.showErrorDetails",
        "none",
        "--server.enableAgentApi",
        "false",
    ]


def is_loopback(host: str | None) -> bool:
    """Whether an address to bind keeps the page on this machine ('' and None bind them all)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve beyond this machine


def check_host_name(name: str) -> str:
    """A host name for --allowed-host: a name or address, without scheme, port or path."""
    value = name.strip().lower().rstrip(".")
    if not value or not all(c.isalnum() or c in "-._:[]" for c in value) or "://" in name:
        raise RecapError(
            f"--allowed-host {name!r} is not a host name.",
            hint="Give the name people type, without scheme or path: --allowed-host "
            "review.example.com",
        )
    return value


def secrets_auth(paths: list[Path]) -> dict[str, str] | None:
    """The `[auth]` section of the first Streamlit secrets file that has one."""
    for path in paths:
        if not path.is_file():
            continue
        try:
            section = tomllib.loads(path.read_text()).get("auth")
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise RecapError(f"Cannot read {path}: {e}") from None
        if isinstance(section, dict):
            missing = [k for k in AUTH_KEYS if not section.get(k)]
            if missing:
                raise ConfigError(
                    f"The [auth] section of {path} lacks " + ", ".join(missing) + ".",
                    hint=HOW_TO_SIGN_IN,
                )
            check_cookie_secret(str(section["cookie_secret"]), f"cookie_secret in {path}")
            return {k: str(v) for k, v in section.items() if not isinstance(v, dict)}
    return None


def write_secrets(section: dict[str, str]) -> Path:
    """A secrets.toml only this user can read, outside the repository, for the page's process."""
    folder = Path(tempfile.mkdtemp(prefix="recap-auth-"))  # mode 0700
    path = folder / "secrets.toml"
    lines = ["[auth]", *(f"{k} = {json.dumps(v)}" for k, v in section.items())]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def plan_auth(
    settings: Settings, *, host: str, port: int, no_auth: bool, secrets_files: list[Path]
) -> tuple[dict[str, str] | None, str]:
    """Decide how the page is guarded: (an [auth] section to write, or None; the mode).

    Modes: 'settings' (RECAP_AUTH_*), 'secrets' (a secrets.toml of the user's), 'local'
    (loopback, single user) and 'open' (--no-auth beyond loopback). Refuses to serve beyond
    loopback with none of them.
    """
    local = is_loopback(host)
    default_redirect = f"http://{host}:{port}/oauth2callback" if local else None
    section = settings.auth_section(default_redirect)
    if section is not None:
        return section, "settings"
    if secrets_auth(secrets_files) is not None:
        return None, "secrets"
    if local:
        return None, "local"
    if no_auth:
        return None, "open"
    raise ConfigError(
        f"Refusing to serve the review page on {host} without sign-in: anyone who can reach "
        "the port would see every clip and could record decisions under any name.",
        hint=HOW_TO_SIGN_IN,
    )


def serve(
    db: str | None,
    run: str | None,
    *,
    port: int,
    host: str,
    reviewer: str | None = None,
    no_auth: bool = False,
    allowed_hosts: list[str] | None = None,
    control_share: float | None = None,
    gold_rate: float | None = None,
    overlap: float | None = None,
    guidelines: Path | None = None,
) -> None:
    """Run the page in a Streamlit server until Ctrl-C (or SIGTERM, or SIGHUP). The guideline
    in force is loaded first: a file that cannot be used stops here, with its lines named."""
    from agent.guidelines import guidelines_for
    from agent.review import default_reviewer
    from agent.store import Store

    if reviewer is not None and not reviewer.strip():
        raise RecapError("--reviewer is empty.", hint="Pass a name, e.g. --reviewer ann.")
    settings = settings_from()
    guideline = guidelines_for(settings, guidelines).version
    streamlit_secrets = [Path.home() / ".streamlit/secrets.toml", Path(".streamlit/secrets.toml")]
    section, mode = plan_auth(
        settings, host=host, port=port, no_auth=no_auth, secrets_files=streamlit_secrets[::-1]
    )
    store = Store(db, create=False)
    if run is not None or store.runs.all():
        run = pick_run(store, run, "review")
    env = dict(os.environ, RECAP_DB=store.url)
    env.pop("RECAP_REVIEW_NO_AUTH", None)  # only the flag may open the page
    if run:
        env["RECAP_REVIEW_RUN"] = run
    if control_share is not None:
        env["RECAP_CONTROL_SHARE"] = str(control_share)
    if gold_rate is not None:
        env["RECAP_GOLD_RATE"] = str(gold_rate)
    if overlap is not None:
        env["RECAP_OVERLAP"] = str(overlap)
    if guidelines is not None:  # the page reads it as every command does (RECAP_GUIDELINES)
        env["RECAP_GUIDELINES"] = str(guidelines.resolve())
    if allowed_hosts:
        env["RECAP_ALLOWED_HOSTS"] = ",".join(check_host_name(h) for h in allowed_hosts)
    if mode in ("settings", "secrets"):
        if not any(u.active for u in store.users.all()):
            err.print(
                "No recap users yet: everyone who signs in will be refused. "
                "Add people with `recap users add EMAIL --role reviewer|lead|admin`.",
                style="yellow",
                highlight=False,
            )
        who = "sign-in required"
    elif mode == "open":
        env["RECAP_REVIEW_NO_AUTH"] = "1"
        err.print(
            f"Warning: serving on {term(host)} WITHOUT sign-in (--no-auth): anyone who can reach "
            "the port sees every clip and can record decisions under any name.",
            style="bold yellow",
            highlight=False,
        )
        who = "no sign-in"
    else:
        name = default_reviewer(reviewer or settings.reviewer, host)
        if name:
            env["RECAP_REVIEWER"] = name
        who = f"single user, decisions as {term(name)}" if name else "single user"
    out.print(
        f"review page on http://{term(host)}:{port}  (Ctrl-C to stop) · {who} · "
        f"{term(store.display_url)} · guideline {term(guideline)}",
        highlight=False,
    )
    cmd = streamlit_command(host, port)
    secrets = write_secrets(section) if section is not None else None
    if secrets is not None:
        cmd += ["--secrets.files", str(secrets)]

    def forget_secrets() -> None:
        if secrets is not None:
            shutil.rmtree(secrets.parent, ignore_errors=True)

    try:
        raise typer.Exit(run_page_server(cmd, env, cleanup=forget_secrets))
    finally:
        forget_secrets()


class Stopped(Exception):
    """recap review was told to stop (SIGTERM, SIGHUP)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def run_page_server(
    cmd: list[str], env: dict[str, str], *, cleanup: Callable[[], None] = lambda: None
) -> int:
    """Run the page's server until it exits, or until recap review is stopped, by Ctrl-C, by
    SIGTERM (`kill`, systemd, a container stopping) or by SIGHUP (the terminal closing): the
    same way each time: the server asked to stop, then killed if it has not within 10 s, then
    `cleanup` (the secrets file), with further signals held off until both are done, so no
    server outlives recap and nothing is left behind. Returns the exit status: the server's
    own, 0 after Ctrl-C, 128 + the signal's number otherwise."""
    proc = subprocess.Popen(cmd, env=env)

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    handled = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    before = {s: signal.signal(s, stop) for s in handled}
    before[signal.SIGINT] = signal.getsignal(signal.SIGINT)
    status: int | None = None
    try:
        status = proc.wait()
    except KeyboardInterrupt:
        status = 0
    except Stopped as e:
        status = 128 + e.signum
    finally:
        for s in before:  # a second signal while stopping must not cut the cleanup short
            signal.signal(s, signal.SIG_IGN)
        try:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            cleanup()
        finally:
            for s, handler in before.items():
                signal.signal(s, handler)
    return status if status is not None else 1


def _fmt(value: object, kind: str = "") -> str:
    if value is None:
        return "-"
    if kind == "%":
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def team_cmd(
    db: DbOpt = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Only this run's decisions (a name, or latest; default: all)."),
    ] = None,
    target: Annotated[
        int | None, typer.Option("--target", help="The team's daily target, in clips.")
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write the per-reviewer table as CSV.")
    ] = None,
) -> None:
    """Per reviewer and day: clips, clips/hour, accept-as-is rate, edit rate, gold accuracy,
    automation bias, agreement, sent-back rate; team totals against a daily target; agreement
    where two reviewers decided the same clip; mean rubric scores per reviewer and dimension,
    where the guideline's rubric was scored."""
    from agent.review import (
        DEFINITIONS,
        agreement,
        by_reviewer_and_day,
        decisions,
        evidence,
        rubric_label,
        rubric_means,
        to_csv,
        totals,
        verdicts,
    )
    from agent.store import Store

    store = Store(db, create=False)
    if run is not None:
        run = pick_run(store, run, "report on")
    else:
        err.print("decisions of every run (pick one with --run NAME, or --run latest)")
    rows = decisions(store, run)
    ev = evidence(store, rows, run)
    days = by_reviewer_and_day(rows, ev)
    if not days:
        out.print("No decisions yet.")
        if run is not None:
            print_routing(store, run)
        return
    table = Table(title="Per reviewer and day (UTC)")
    cols = (
        "reviewer",
        "day",
        "clips",
        "clips/hour",
        "accepted as is",
        "edit rate",
        "s/clip",
        "gold",
        "gold TER",
        "gold findings",
        "automation bias",
        "agreement",
        "sent back",
    )
    for col in cols:
        table.add_column(col, justify="left" if col in ("reviewer", "day") else "right")
    for d in days:
        table.add_row(  # names are typed by people: text, never Rich markup
            term(d.reviewer),
            str(d.day),
            str(d.clips),
            _fmt(d.clips_per_hour),
            _fmt(d.accept_rate, "%"),
            _fmt(d.mean_edit_rate),
            _fmt(d.mean_seconds),
            str(d.gold_checks),
            _fmt(d.gold_ter),
            _fmt(d.gold_findings, "%"),
            _fmt(d.automation_bias, "%"),
            _fmt(d.agreement, "%"),
            _fmt(d.sent_back_rate, "%"),
        )
    out.print(table)
    table = Table(title="Team per day")
    for col in ("day", "clips", "reviewers", "target", "of target"):
        table.add_column(col, justify="left" if col == "day" else "right")
    for t in totals(days, target):
        table.add_row(
            str(t["day"]),
            str(t["clips"]),
            str(t["reviewers"]),
            _fmt(t["target"]),
            _fmt(t["of_target"], "%"),
        )
    out.print(table)
    pairs = agreement(rows, ev)
    if pairs:
        table = Table(title="Agreement where two reviewers decided the same clips")
        for col in (
            "reviewers",
            "clips",
            "same decision",
            "Cohen's kappa",
            "caption TER",
            "findings alike, by type",
        ):
            table.add_column(col, justify="left" if col == "reviewers" else "right")
        for p in pairs:
            table.add_row(
                f"{term(p.first)} / {term(p.second)}",
                str(p.clips),
                _fmt(p.same_decision, "%"),
                _fmt(p.kappa),
                _fmt(p.caption_ter),
                ", ".join(f"{t} {v:.0%}" for t, v in (p.findings_by_type or {}).items()) or "-",
            )
        out.print(table)
    # with the leads' approvals and send-backs, which can carry scores too
    scored = [*rows, *verdicts(store, run)] if store.reviews.has_scores() else []
    means = rubric_means(store, scored)
    if means:  # only where a guideline's rubric was scored
        table = Table(title="Rubric scores per reviewer (decisions in force)")
        for col in ("reviewer", "dimension", "scale", "n", "mean"):
            table.add_column(col, justify="left" if col in ("reviewer", "dimension") else "right")
        for m in means:
            table.add_row(
                term(m.reviewer), term(rubric_label(m, means)), m.scale, str(m.n), _fmt(m.mean)
            )
        out.print(table)
    if run is not None:  # what recap's policy accepted, its audit and live bound
        print_routing(store, run)
    for name, meaning in DEFINITIONS.items():
        out.print(f"[dim]{name}: {meaning}[/]", highlight=False)
    if csv_out is not None:
        daily = rubric_means(store, scored, per_day=True) if means else None
        # cells a spreadsheet would run as formulas are quoted
        csv_out.write_text(to_csv(days, daily))
        out.print(f"wrote {term(csv_out)}", highlight=False)
