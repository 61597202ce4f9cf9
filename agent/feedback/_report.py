"""The feedback report for the team that owns the captioning model: what its captions get wrong
(the error profile), where (breakdowns), in which words (recurring phrases), between two sets
if asked, and the five largest error sources first, as sentences with their figures.

`build` computes it from the clips `agent.feedback._findings` collected; `write` puts
`feedback.json` (every figure), `feedback.md` and a self-contained `feedback.html` (charts as
inline SVG, no external resource) in a folder.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import RecapError
from agent.feedback._findings import (
    TELEMETRY,
    UNLABELLED,
    ClipErrors,
    Collected,
    figure_names,
)
from agent.feedback._phrases import Phrase, phrases
from agent.feedback._rates import (
    ANY,
    METHOD,
    Cell,
    Difference,
    Rate,
    breakdown,
    difference,
    profile,
    rate,
)

FACETS = ("task", "robot type", "set", "episode")
TELEMETRY_NOTE = (
    "On the captions whose clip has telemetry: the outcome and grasp claims the offline "
    "drafter's telemetry rules contradict (no model; what the rules do not know goes uncounted)."
)
TOP = 5


def label(name: str) -> str:
    """A figure's name as the report writes it."""
    if name == ANY:
        return "any error"
    if name == UNLABELLED:
        return "edited, unlabelled"
    if name.startswith(TELEMETRY):
        return f"{name.removeprefix(TELEMETRY).replace('_', ' ')} claim telemetry contradicts"
    kind, _, type_ = name.partition(":")
    return f"{type_.replace('_', ' ')} {kind}"


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def ci(lo_hi: tuple[float, float]) -> str:
    return f"{pct(lo_hi[0])}–{pct(lo_hi[1])}"


@dataclass(frozen=True)
class Comparison:
    """Two sets of captions (e.g. captioner v1 vs v2), figure by figure."""

    a: str
    b: str
    diffs: list[Difference]
    in_both: int = 0  # clips in both sets, left out of the comparison


@dataclass(frozen=True)
class Feedback:
    source: str
    clips: int
    left_out: dict[str, int]
    profile: list[Rate]
    cells: list[Cell]
    phrases: list[Phrase]
    summary: list[str]
    facets: list[str]
    comparison: Comparison | None = None
    examples: dict[str, list[str]] = field(default_factory=dict)  # figure -> clip ids
    telemetry: list[tuple[str, Rate]] = field(default_factory=list)  # (task or "all", figure)


def against_telemetry(clips: Sequence[ClipErrors]) -> list[tuple[str, Rate]]:
    """Per task (and over all), the share of captions with telemetry whose outcome or grasp
    claims it contradicts."""
    checked = [c for c in clips if c.against_telemetry is not None]
    if not checked:
        return []
    names = [f"{TELEMETRY}outcome", f"{TELEMETRY}gripper_or_grasp"]
    rows = [("all", rate(checked, n)) for n in names]
    for task in sorted({c.task for c in checked if c.task}):
        group = [c for c in checked if c.task == task]
        rows += [(task, rate(group, n)) for n in names]
    return rows


def meta_keys(clips: Sequence[ClipErrors]) -> list[str]:
    return sorted({k for c in clips for k in c.meta})


def _check_by(clips: Sequence[ClipErrors], by: Sequence[str]) -> list[str]:
    keys = meta_keys(clips)
    facets = []
    for raw in by:
        key = raw.removeprefix("meta.")
        if key not in keys:
            have = ", ".join(f"meta.{k}" for k in keys) or "none: no clip has meta"
            raise RecapError(
                f"--by {raw}: no clip in the report has the meta key {key!r}.",
                hint=f"The keys there are: {have}.",
            )
        facets.append(f"meta.{key}")
    return facets


def _sentence(r: Rate, cells: Sequence[Cell], found: Sequence[Phrase]) -> str:
    text = (
        f"{label(r.name).capitalize()}: {pct(r.share)} of captions ({r.captions} of {r.n}; "
        f"95% CI {ci(r.share_ci)})"
    )
    where = next(
        (c for c in cells if c.rate.name == r.name and c.diff.beyond_chance and c.diff.delta > 0),
        None,
    )
    if where is not None:
        text += (
            f", {pct(where.rate.share)} where {where.facet} is {where.value} vs "
            f"{pct(where.diff.b.share)} elsewhere"
        )
    kind, _, type_ = r.name.partition(":")
    said = next((p for p in found if p.kind == kind and p.type == type_), None)
    if said is not None:
        text += f'; most often "{said.phrase}" ({said.count}×)'
        if said.replacement == "":
            text += f", removed ({said.replacement_count}×)"
        elif said.replacement is not None:
            text += f', corrected to "{said.replacement}"'
    return text + "."


def summary(prof: Sequence[Rate], cells: Sequence[Cell], found: Sequence[Phrase]) -> list[str]:
    """The five largest error sources (per-type shares, largest first), one sentence each."""
    typed = [r for r in prof if r.name not in (ANY,) and r.captions]
    typed.sort(key=lambda r: (-r.share, -r.errors, r.name))
    return [_sentence(r, cells, found) for r in typed[:TOP]]


def build(
    collected: Collected,
    *,
    by: Sequence[str] = (),
    compare: tuple[str, str] | None = None,
) -> Feedback:
    """The report over the collected clips; `by` adds meta keys to the breakdowns, `compare`
    two sets (a clip in both is left out of the comparison, and counted)."""
    clips = collected.clips
    if not clips:
        raise RecapError(f"No clip of {collected.source} can be reported on.")
    facets = [*FACETS, *_check_by(clips, by)]
    prof = profile(clips)
    names = [r.name for r in prof if r.captions]
    cells = breakdown(clips, facets, names)
    found = phrases(clips)
    comparison = None
    if compare is not None:
        name_a, name_b = compare
        a = [c for c in clips if name_a in c.sets and name_b not in c.sets]
        b = [c for c in clips if name_b in c.sets and name_a not in c.sets]
        both = sum(1 for c in clips if name_a in c.sets and name_b in c.sets)
        if not a or not b:
            empty = name_a if not a else name_b
            raise RecapError(
                f"--compare-set: set {empty!r} has no clip in the report.",
                hint="Name two sets whose clips the run (or gold file) covers: recap sets",
            )
        every = [ANY, *figure_names(), UNLABELLED]
        diffs = [difference(rate(a, n), rate(b, n)) for n in every]
        diffs = [d for d in diffs if d.a.captions or d.b.captions]
        comparison = Comparison(name_a, name_b, diffs, both)
    examples = {
        name: [c.clip_id for c in clips if (c.has_error if name == ANY else c.count(name))][:5]
        for name in names
    }
    return Feedback(
        collected.source,
        len(clips),
        dict(collected.left_out),
        prof,
        cells,
        found,
        summary(prof, cells, found),
        facets,
        comparison,
        examples,
        against_telemetry(clips),
    )


# --- output -----------------------------------------------------------------------------------


def _rate_json(r: Rate) -> dict[str, Any]:
    return {
        "figure": r.name,
        "label": label(r.name),
        "n": r.n,
        "captions": r.captions,
        "errors": r.errors,
        "share": r.share,
        "share_ci95": list(r.share_ci),
        "rate_per_caption": r.rate,
        "rate_ci95": list(r.rate_ci),
    }


def _diff_json(d: Difference) -> dict[str, Any]:
    return {
        "delta": d.delta,
        "ci95": [d.low, d.high],
        "beyond_chance": d.beyond_chance,
        "a": _rate_json(d.a),
        "b": _rate_json(d.b),
    }


def to_json(fb: Feedback) -> dict[str, Any]:
    return {
        "source": fb.source,
        "clips": fb.clips,
        "left_out": fb.left_out,
        "method": METHOD,
        "summary": fb.summary,
        "profile": [_rate_json(r) for r in fb.profile],
        "examples": fb.examples,
        "breakdowns": fb.facets,
        "cells": [{"facet": c.facet, "value": c.value, **_diff_json(c.diff)} for c in fb.cells],
        "phrases": [
            {
                "type": p.type,
                "kind": p.kind,
                "phrase": p.phrase,
                "count": p.count,
                "replacement": p.replacement,
                "replacement_count": p.replacement_count,
                "examples": [
                    {"clip_id": e.clip_id, "span": e.span, "evidence_times": list(e.evidence_times)}
                    for e in p.examples
                ],
            }
            for p in fb.phrases
        ],
        "against_telemetry": [{"task": task, **_rate_json(r)} for task, r in fb.telemetry],
        "comparison": None
        if fb.comparison is None
        else {
            "a": fb.comparison.a,
            "b": fb.comparison.b,
            "in_both_left_out": fb.comparison.in_both,
            "figures": [{"figure": d.a.name, **_diff_json(d)} for d in fb.comparison.diffs],
        },
    }


def shown_phrases(found: Sequence[Phrase], per_type: int = 8) -> list[Phrase]:
    """The phrases the Markdown and HTML list: the most frequent few of each type (all of
    them are in feedback.json)."""
    seen: dict[str, int] = {}
    out = []
    for p in found:
        seen[p.type] = seen.get(p.type, 0) + 1
        if seen[p.type] <= per_type:
            out.append(p)
    return out


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(fb: Feedback) -> str:
    lines = [f"# What the captions get wrong: {_md_escape(fb.source)}", ""]
    lines.append(
        f"{fb.clips} caption(s) reported on."
        + "".join(f" Left out: {n} {why}." for why, n in sorted(fb.left_out.items()))
    )
    lines += ["", "## The largest error sources", ""]
    lines += [f"{i}. {_md_escape(s)}" for i, s in enumerate(fb.summary, 1)] or ["No errors."]
    lines += ["", "## Error profile", "", f"Method: {METHOD}.", ""]
    lines += [
        "| error | captions with it | share (95% CI) | errors | per caption (95% CI) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in fb.profile:
        lines.append(
            f"| {label(r.name)} | {r.captions} of {r.n} | {pct(r.share)} ({ci(r.share_ci)}) | "
            f"{r.errors} | {r.rate:.2f} ({r.rate_ci[0]:.2f}–{r.rate_ci[1]:.2f}) |"
        )
    lines += ["", "## Where it happens", ""]
    lines.append(
        "Each cell against the other captions of its breakdown, the largest differences "
        "beyond chance first (breakdowns: " + ", ".join(fb.facets) + ")."
    )
    lines += ["", "| breakdown | cell | error | in the cell | elsewhere | difference (95% CI) |"]
    lines.append("|---|---|---|---:|---:|---:|")
    for c in fb.cells[:40]:
        d = c.diff
        mark = " *" if d.beyond_chance else ""
        lines.append(
            f"| {c.facet} | {_md_escape(c.value)} | {label(c.rate.name)} | "
            f"{pct(d.a.share)} ({d.a.captions}/{d.a.n}) | {pct(d.b.share)} ({d.b.captions}/"
            f"{d.b.n}) | {100 * d.delta:+.0f} pts ({100 * d.low:+.0f}..{100 * d.high:+.0f}){mark} |"
        )
    if len(fb.cells) > 40:
        lines.append(f"\n({len(fb.cells) - 40} more cells in feedback.json.)")
    lines += ["", "\\* beyond chance (the interval excludes 0).", "", "## What it says wrong", ""]
    if fb.phrases:
        lines += ["| type | phrase | spans | written instead | example clips |"]
        lines.append("|---|---|---:|---|---|")
        for p in shown_phrases(fb.phrases):
            instead = (
                "–"
                if p.replacement is None
                else f'"{_md_escape(p.replacement or "(removed)")}" ({p.replacement_count}×)'
            )
            ex = ", ".join(
                e.clip_id + (f" @ {e.evidence_times[0]:.1f} s" if e.evidence_times else "")
                for e in p.examples
            )
            lines.append(
                f'| {p.type.replace("_", " ")} | "{_md_escape(p.phrase)}" | {p.count} | '
                f"{instead} | {_md_escape(ex)} |"
            )
    else:
        lines.append("No flagged phrase recurs (in two spans or more).")
    if fb.telemetry:
        lines += ["", "## Against telemetry", "", TELEMETRY_NOTE, ""]
        lines += ["| task | claim telemetry contradicts | captions | share (95% CI) |"]
        lines.append("|---|---|---:|---:|")
        for task, r in fb.telemetry:
            lines.append(
                f"| {_md_escape(task)} | {r.name.removeprefix(TELEMETRY).replace('_', ' ')} | "
                f"{r.captions} of {r.n} | {pct(r.share)} ({ci(r.share_ci)}) |"
            )
    if fb.comparison is not None:
        cmp = fb.comparison
        lines += ["", f"## {cmp.a} against {cmp.b}", ""]
        lines += ["| error | " + cmp.a + " | " + cmp.b + " | difference (95% CI) |"]
        lines.append("|---|---:|---:|---:|")
        for d in cmp.diffs:
            mark = " *" if d.beyond_chance else ""
            lines.append(
                f"| {label(d.a.name)} | {pct(d.a.share)} ({d.a.captions}/{d.a.n}) | "
                f"{pct(d.b.share)} ({d.b.captions}/{d.b.n}) | {100 * d.delta:+.0f} pts "
                f"({100 * d.low:+.0f}..{100 * d.high:+.0f}){mark} |"
            )
    return "\n".join(lines) + "\n"


def _bars(items: Sequence[tuple[str, Rate]], title: str) -> str:
    """A horizontal bar chart of shares with their intervals, as inline SVG."""
    row, left, width = 22, 260, 360
    height = row * len(items) + 40
    parts = [
        f'<svg class="chart" role="img" aria-label="{html.escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{height}">',
        f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (name, r) in enumerate(items):
        y = 26 + i * row
        w = width * r.share
        lo, hi = (left + width * x for x in r.share_ci)
        parts += [
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{html.escape(name)}</text>',
            f'<rect class="bar" x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" '
            'fill="#c0504d"/>',
            f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + row / 2 - 1}" y2="{y + row / 2 - 1}" '
            'stroke="#222" stroke-width="1.5"/>',
            f'<text x="{left + width + 8}" y="{y + 13}">{pct(r.share)} ({r.captions}/{r.n})</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def to_html(fb: Feedback) -> str:
    """The report as one HTML file: the Markdown's tables as HTML, and the charts inline."""
    e = html.escape
    shown = [r for r in fb.profile if r.captions] or fb.profile[:1]
    body = [f"<h1>What the captions get wrong: {e(fb.source)}</h1>"]
    body.append(
        f"<p>{fb.clips} caption(s) reported on."
        + "".join(f" Left out: {n} {e(why)}." for why, n in sorted(fb.left_out.items()))
        + "</p>"
    )
    body.append("<h2>The largest error sources</h2><ol id='summary'>")
    body += [f"<li>{e(s)}</li>" for s in fb.summary]
    body.append("</ol><h2>Error profile</h2>")
    body.append(
        _bars(
            [(label(r.name), r) for r in shown],
            "Share of captions with the error (bars; lines: 95% CI)",
        )
    )
    body.append(
        f"<p class='method'>Method: {e(METHOD)}.</p><table><tr><th>error</th>"
        "<th>captions with it</th><th>share (95% CI)</th><th>errors</th>"
        "<th>per caption (95% CI)</th></tr>"
    )
    for r in fb.profile:
        body.append(
            f"<tr><td>{e(label(r.name))}</td><td>{r.captions} of {r.n}</td>"
            f"<td>{pct(r.share)} ({ci(r.share_ci)})</td><td>{r.errors}</td>"
            f"<td>{r.rate:.2f} ({r.rate_ci[0]:.2f}–{r.rate_ci[1]:.2f})</td></tr>"
        )
    body.append("</table><h2>Where it happens</h2>")
    top = [c for c in fb.cells if c.diff.beyond_chance][:10]
    if top:
        body.append(
            _bars(
                [(f"{label(c.rate.name)}, {c.facet} {c.value}", c.rate) for c in top],
                "Cells beyond chance: share of captions in the cell",
            )
        )
    body.append(
        "<table><tr><th>breakdown</th><th>cell</th><th>error</th><th>in the cell</th>"
        "<th>elsewhere</th><th>difference (95% CI)</th></tr>"
    )
    for c in fb.cells[:40]:
        d = c.diff
        body.append(
            f"<tr><td>{e(c.facet)}</td><td>{e(c.value)}</td><td>{e(label(c.rate.name))}</td>"
            f"<td>{pct(d.a.share)} ({d.a.captions}/{d.a.n})</td>"
            f"<td>{pct(d.b.share)} ({d.b.captions}/{d.b.n})</td>"
            f"<td>{100 * d.delta:+.0f} pts ({100 * d.low:+.0f}..{100 * d.high:+.0f})"
            f"{' *' if d.beyond_chance else ''}</td></tr>"
        )
    body.append("</table><p>* beyond chance (the interval excludes 0).</p>")
    body.append("<h2>What it says wrong</h2>")
    if fb.phrases:
        body.append(
            "<table><tr><th>type</th><th>phrase</th><th>spans</th>"
            "<th>written instead</th><th>example clips</th></tr>"
        )
        for p in shown_phrases(fb.phrases):
            instead = (
                "–"
                if p.replacement is None
                else f"“{e(p.replacement or '(removed)')}” ({p.replacement_count}×)"
            )
            ex = ", ".join(
                e(x.clip_id) + (f" @ {x.evidence_times[0]:.1f} s" if x.evidence_times else "")
                for x in p.examples
            )
            body.append(
                f"<tr><td>{e(p.type.replace('_', ' '))}</td><td>“{e(p.phrase)}”</td>"
                f"<td>{p.count}</td><td>{instead}</td><td>{ex}</td></tr>"
            )
        body.append("</table>")
    else:
        body.append("<p>No flagged phrase recurs (in two spans or more).</p>")
    if fb.telemetry:
        body.append(f"<h2>Against telemetry</h2><p>{e(TELEMETRY_NOTE)}</p><table><tr>")
        body.append("<th>task</th><th>claim telemetry contradicts</th><th>captions</th>")
        body.append("<th>share (95% CI)</th></tr>")
        for task, r in fb.telemetry:
            body.append(
                f"<tr><td>{e(task)}</td><td>{e(r.name.removeprefix(TELEMETRY))}</td>"
                f"<td>{r.captions} of {r.n}</td><td>{pct(r.share)} ({ci(r.share_ci)})</td></tr>"
            )
        body.append("</table>")
    if fb.comparison is not None:
        cmp = fb.comparison
        body.append(
            f"<h2>{e(cmp.a)} against {e(cmp.b)}</h2><table><tr><th>error</th>"
            f"<th>{e(cmp.a)}</th><th>{e(cmp.b)}</th><th>difference (95% CI)</th></tr>"
        )
        for d in cmp.diffs:
            body.append(
                f"<tr><td>{e(label(d.a.name))}</td><td>{pct(d.a.share)} ({d.a.captions}/"
                f"{d.a.n})</td><td>{pct(d.b.share)} ({d.b.captions}/{d.b.n})</td>"
                f"<td>{100 * d.delta:+.0f} pts ({100 * d.low:+.0f}..{100 * d.high:+.0f})"
                f"{' *' if d.beyond_chance else ''}</td></tr>"
            )
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:left}svg text{font-size:12px;font-family:sans-serif}"
        ".method{color:#555;font-size:90%}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Feedback: {e(fb.source)}</title><style>{style}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def write(fb: Feedback, out: Path) -> list[Path]:
    """feedback.json, feedback.md and feedback.html in `out` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "feedback.json", out / "feedback.md", out / "feedback.html"]
    paths[0].write_text(json.dumps(to_json(fb), indent=2, ensure_ascii=False) + "\n")
    paths[1].write_text(to_markdown(fb), encoding="utf-8")
    paths[2].write_text(to_html(fb), encoding="utf-8")
    return paths
