"""What every recap command shares: the consoles (and `term`, how data is put on them), the
settings flags declared once, and the one place where a `RecapError` becomes a message and an
exit code.

Each package registers its own commands on an app made here (`agent.cli._commands`,
`evals.commands`, `ui.commands`); `recap.main` assembles them, the way simonw/llm's plugins
register commands.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from agent.errors import RecapError
from agent.untrusted import visible

if TYPE_CHECKING:
    from agent.sets import Selection
    from agent.settings import Settings
    from agent.store import Store

out = Console()
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def term(value: object) -> str:
    """Data (a name, an id, a caption, a reason) for a Rich string or table cell: its markup
    escaped (`[bold]`, `[link=...]` in a reviewer's name stay text) and its control and bidi
    characters shown as `[U+XXXX]` (no escape sequence or carriage return reaches the
    terminal; newlines and tabs lay text out and stay)."""
    return escape(visible(str(value)))


def report(e: RecapError) -> None:
    """Print a user-facing error and what to do next."""
    err.print(f"[bold red]Error:[/] {term(e.message)}", highlight=False)
    if e.hint:
        err.print(term(e.hint), highlight=False, style="yellow")


def _flags_take_no_value(command: Any, ctx: Any) -> None:
    """Typer's rich help writes a type after every option, flags included (`--json <bool>`,
    `--help <bool>`), which reads as if they took a value; an empty metavar leaves the type
    column blank for flags. (Options that take a value keep theirs; error messages name an
    option by its flags, not its metavar.)"""
    for param in command.get_params(ctx):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


class RecapGroup(TyperGroup):
    """A command group that turns a `RecapError` from any command below it into its message,
    hint and exit code, so no command repeats that handling."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RecapError as e:
            report(e)
            raise typer.Exit(e.exit_code) from None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _flags_take_no_value(self, ctx)
        super().format_help(ctx, formatter)


class RecapCommand(TyperCommand):
    """A command whose help shows no value type after a flag."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _flags_take_no_value(self, ctx)
        super().format_help(ctx, formatter)


class RecapTyper(typer.Typer):
    """An app whose commands are `RecapCommand`s unless a command asks for another class."""

    def command(self, *args: Any, cls: Any = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or RecapCommand, **kwargs)


def new_app(**kwargs: Any) -> typer.Typer:
    return RecapTyper(
        cls=RecapGroup,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        **kwargs,
    )


def settings_from(**flags: Any) -> Settings:
    """Environment settings with the flags that were given laid over them."""
    from agent.settings import Settings

    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return Settings(**given)
    except Exception as e:  # pydantic's ValidationError, reworded
        raise RecapError(f"Invalid setting: {e}") from None


DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database path or SQLAlchemy URL (RECAP_DB; default ./recap.db)."),
]

# The flags that shape what a model is asked, declared once for every command that drafts.
MODEL_FLAGS: dict[str, tuple[Any, Any]] = {
    "model": (str | None, typer.Option("--model", "-m", help="Model name (RECAP_MODEL).")),
    "base_url": (
        str | None,
        typer.Option("--base-url", help="OpenAI-compatible endpoint (OPENAI_BASE_URL)."),
    ),
    "mode": (
        str | None,
        typer.Option(
            "--mode", help="auto (default) | tools | json_schema | json | md_json (RECAP_MODE)."
        ),
    ),
    "image_detail": (
        str | None,
        typer.Option("--detail", help="Image detail: low | high | auto (RECAP_IMAGE_DETAIL)."),
    ),
    "frames": (int | None, typer.Option("--frames", "-n", help="Frames sampled per clip.")),
    "layout": (
        str | None,
        typer.Option("--layout", help="sheet (one contact sheet) | frames (separate)."),
    ),
    "prompt": (str | None, typer.Option("--prompt", help="Prompt name (RECAP_PROMPT).")),
    "guidelines": (
        Path | None,
        typer.Option(
            "--guidelines",
            help="Caption guideline file the prompt and the offline drafter follow "
            "(RECAP_GUIDELINES; default: a guidelines.toml beside the prompts, else the "
            "built-in).",
        ),
    ),
    "temperature": (
        float | None,
        typer.Option("--temperature", help="Sampling temperature (RECAP_TEMPERATURE)."),
    ),
    "samples": (
        int | None,
        typer.Option(
            "--samples",
            help="Independent drafts per clip, the majority kept (RECAP_SAMPLES; default 1). "
            "K > 1 needs --temperature above 0.",
        ),
    ),
    "logprobs": (
        bool | None,
        typer.Option(
            "--logprobs/--no-logprobs",
            help="Ask for token log-probabilities; their mean goes into each draft's "
            "confidence (RECAP_LOGPROBS; answers in a JSON mode carry them, tool calls "
            "usually not).",
        ),
    ),
}


def model_flags(func: F) -> F:
    """Add the model flags to a command; it receives them as `model_flags: dict` (only the
    flags given), ready for `settings_from(**model_flags)`."""
    sig = inspect.signature(func, eval_str=True)
    params = [p for p in sig.parameters.values() if p.name != "model_flags"]
    extra = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[kind, option]
        )
        for name, (kind, option) in MODEL_FLAGS.items()
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        given = {k: kwargs.pop(k) for k in MODEL_FLAGS if kwargs.get(k) is not None}
        for k in MODEL_FLAGS:
            kwargs.pop(k, None)
        return func(model_flags=given, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params + extra)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


# The flags that choose a run's clips, declared once for every command that opens a run.
SetsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Draft the clips of this set (repeatable). Default: every production set; "
        "evaluation and one-off sets only when named.",
    ),
]
IdsOpt = Annotated[
    Path | None,
    typer.Option("--ids", help="Draft exactly the clips listed in this file, one id per line."),
]


def selection_from(sets: list[str] | None, ids: Path | None) -> Selection | None:
    """The selection the flags ask for; None when neither was given (a new run then covers the
    production sets, an existing one keeps its own)."""
    from agent.sets import Selection

    if sets and ids is not None:
        raise RecapError("Give --set or --ids, not both.", hint="A run covers one selection.")
    if ids is not None:
        return Selection.from_ids_file(ids)
    if sets:
        return Selection.of_sets(sets)
    return None


def pick_run(store: Store, run: str | None, purpose: str) -> str:
    """The run a command works on: `run` as named, `latest`, or by default the latest
    production run; when it was not named, the first line says which run and why."""
    name, why = store.runs.pick(run, purpose)
    if why is not None:
        err.print(f"run [bold]{name}[/] ({why}; pick another with --run NAME)", highlight=False)
    return name
