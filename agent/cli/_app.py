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
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from agent.errors import RecapError
from agent.untrusted import visible

if TYPE_CHECKING:
    from agent.settings import Settings

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


class RecapGroup(TyperGroup):
    """A command group that turns a `RecapError` from any command below it into its message,
    hint and exit code, so no command repeats that handling."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RecapError as e:
            report(e)
            raise typer.Exit(e.exit_code) from None


def new_app(**kwargs: Any) -> typer.Typer:
    return typer.Typer(
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
        typer.Option("--mode", help="tools | json_schema | json | md_json (RECAP_MODE)."),
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
