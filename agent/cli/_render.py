"""Terminal presentation of a draft: highlighted spans, findings, the rewrite and its cost."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.cli._app import term
from agent.review._textdiff import spaced_diff
from agent.schema import DraftResult, HallucinationType
from agent.untrusted import pictured

TYPE_STYLES: dict[HallucinationType, str] = {
    HallucinationType.OBJECT: "bold white on red",
    HallucinationType.ATTRIBUTE: "bold black on orange1",
    HallucinationType.ACTION: "bold white on magenta",
    HallucinationType.DIRECTION_OR_SPATIAL: "bold black on cyan",
    HallucinationType.COUNT: "bold black on yellow",
    HallucinationType.ORDER: "bold white on blue",
    HallucinationType.OUTCOME: "bold white on dark_red",
    HallucinationType.GRIPPER_OR_GRASP: "bold white on purple",
    HallucinationType.EMBODIMENT: "bold black on green",
    HallucinationType.SPECULATION: "bold black on grey70",
    HallucinationType.OTHER: "bold white on grey37",
}


def highlighted_caption(result: DraftResult) -> Text:
    text = Text(result.caption)
    for h in result.draft.hallucinations:
        where = h.locate(result.caption)
        if where:
            text.stylize(TYPE_STYLES[h.type], *where)
    return text


def diff_text(a: str, b: str) -> Text:
    """The word diff on one line: deletions struck through in red, insertions in green."""
    out = Text()
    for op, chunk, space in spaced_diff(a, b):
        style = {"equal": "", "delete": "red strike", "insert": "bold green"}[op]
        if space:
            out.append(" ")
        out.append(chunk, style=style)
    return out


def _times(ts: list[float]) -> str:
    return ", ".join(f"{t:.1f}s" for t in ts) or "-"


def _shown(text: Text) -> Text:
    """A styled text of the data's, with control and bidi characters pictured, not acting."""
    text.plain = pictured(text.plain)
    return text


def render(result: DraftResult, console: Console) -> None:
    d = result.draft
    verdict = "[green]accurate[/]" if not d.needs_edit else "[yellow]needs edit[/]"
    caption = _shown(highlighted_caption(result))
    console.print(Panel(caption, title=f"original caption · {verdict}"))
    if d.hallucinations:
        table = Table(title="Hallucinations", show_lines=False, expand=True)
        table.add_column("span", style="bold")
        table.add_column("type")
        table.add_column("at")
        table.add_column("what the clip shows", ratio=2)
        for h in d.hallucinations:
            table.add_row(  # the model's words: text, never Rich markup
                term(h.span),
                Text(h.type.value, style=TYPE_STYLES[h.type]),
                _times(h.evidence_times),
                term(h.explanation),
            )
        console.print(table)
    if d.omissions:
        table = Table(title="Omissions", expand=True)
        table.add_column("type")
        table.add_column("at")
        table.add_column("missing", ratio=2)
        for o in d.omissions:
            table.add_row(o.type.value, _times(o.evidence_times), term(o.description))
        console.print(table)
    console.print(Panel(_shown(Text(d.rewrite, style="bold")), title="proposed rewrite"))
    if d.needs_edit:
        console.print(Panel(_shown(diff_text(result.caption, d.rewrite)), title="word diff"))
    u = result.usage
    cost = result.cost_usd
    parts = [
        f"drafter {result.drafter}",
        f"model {result.model or '-'}",
        f"prompt {result.prompt.version if result.prompt else '-'}",
        f"tokens {u.prompt_tokens} in / {u.completion_tokens} out",
        f"~{result.image_tokens_estimate} image tokens",
        f"{result.latency_s:.1f}s",
        f"{result.attempts} request(s), {result.reasks} re-ask(s), {result.retries} retry(ies)",
    ]
    if cost is not None:
        parts.append(f"${cost:.5f}")
    console.print(Text(" · ".join(parts), style="dim"))
