"""Run folders and reports: what a scored run leaves on disk, readable by people and by
`recap eval compare`.

A run folder (`recap-evals/<run>/` by default) holds `cases.jsonl` (one scored case a line),
`summary.json` (metrics, per-type tables, definitions) and a readable report in Markdown and
as one self-contained HTML page.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.errors import RecapError
from agent.store import Store
from evals.gold import GoldCase
from evals.guideline_scores import guideline_markdown
from evals.judges import Judge
from evals.metrics import higher_is_better, metric_names
from evals.scoring import score_run

if TYPE_CHECKING:
    from agent.guidelines import Guidelines

HEADLINE = [
    "ter",
    "ter_unreviewed",
    "edits_saved",
    "clip_accuracy",
    "span_f1",
    "omission_recall",
    "claim_f1",
    "chrf",
    "cost_per_clip",
    "cost_per_video_hour",
]


def run_dir(root: str | Path, run: str) -> Path:
    return Path(root) / re.sub(r"[^A-Za-z0-9._@-]+", "_", run)


TEXT_SCORES = {"ter", "bleu", "chrf", "ter_unreviewed", "bleu_unreviewed", "chrf_unreviewed"}


def headline(summary: dict[str, Any]) -> str:
    """The one line a reader needs: how much of a reviewer's editing the drafts already did."""
    m = summary["metrics"]
    return (
        f"Edits saved {fmt(m.get('edits_saved'))}: TER {fmt(m.get('ter'), 'ter')} for the "
        f"drafts vs {fmt(m.get('ter_unreviewed'), 'ter')} for the unreviewed captions "
        "(edits a person would still make per 100 gold words; lower is better)"
    )


def fmt(value: float | None, name: str = "") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if name.startswith("cost"):
        return f"${value:.5f}"
    if name in TEXT_SCORES:
        return f"{value:.1f}"
    return f"{value:.3f}"


def write_run(folder: Path, cases: list[dict[str, Any]], summary: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "cases.jsonl").open("w") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    (folder / "report.md").write_text(markdown_report(summary, cases))
    (folder / "report.html").write_text(html_report(summary, cases))
    return folder


def score_to_folder(
    store: Store,
    run: str,
    gold: list[GoldCase],
    judge: Judge,
    root: str | Path,
    guidelines: Guidelines | None = None,
) -> tuple[Path, dict[str, Any]]:
    cases, summary = score_run(store, run, gold, judge, guidelines)
    return write_run(run_dir(root, run), cases, summary), summary


def load_run(folder: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    f = Path(folder)
    if not (f / "summary.json").is_file():
        raise RecapError(
            f"{f} is not a scored run folder (no summary.json).",
            hint="Score a run first: recap eval score RUN --gold FILE",
        )
    cases = [json.loads(line) for line in (f / "cases.jsonl").open()]
    return cases, json.loads((f / "summary.json").read_text())


# --- reports ----------------------------------------------------------------------------------


def markdown_report(summary: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    m = summary["metrics"]
    lines = [
        f"# Eval report: {summary['run']}",
        "",
        f"{summary['n_cases']} gold cases · drafter {summary['drafter']} · model "
        f"{summary['model']} · prompt {summary['prompt']} · judge {summary['judge']}"
        + (" (lexical: the weaker, offline judge)" if summary["judge_weak"] else ""),
        "",
        f"**{headline(summary)}**",
        "",
        "| metric | value | better | definition |",
        "|---|---:|---|---|",
    ]
    for name in metric_names():
        arrow = "higher" if higher_is_better(name) else "lower"
        lines.append(
            f"| {name} | {fmt(m.get(name), name)} | {arrow} | {summary['definitions'][name]} |"
        )
    for kind in ("hallucinations", "omissions"):
        table = summary["per_type"][kind]
        lines += [
            "",
            f"## {kind.capitalize()} by type",
            "",
            "| type | gold | predicted | precision | recall |",
            "|---|---:|---:|---:|---:|",
        ]
        for t, row in table.items():
            if t.startswith("_"):
                continue
            lines.append(
                f"| {t} | {row['n_gold']} | {row['n_pred']} | "
                f"{fmt(row['precision'])} | {fmt(row['recall'])} |"
            )
        lines.append(f"\nType agreement on matched items: {fmt(table['_type_agreement'])}")
    saved = summary["per_type"].get("edits_saved", {})
    if saved:
        lines += [
            "",
            "## Edits saved by error type",
            "",
            "Cases whose gold has an error of the type (a case can count under several).",
            "",
            "| gold error type | cases | TER drafts | TER unreviewed | edits saved |",
            "|---|---:|---:|---:|---:|",
        ]
        for t, row in saved.items():
            lines.append(
                f"| {t} | {row['n_cases']} | {fmt(row['ter'], 'ter')} | "
                f"{fmt(row['ter_unreviewed'], 'ter')} | {fmt(row['edits_saved'])} |"
            )
    lines += guideline_markdown(summary)
    worst = sorted(cases, key=lambda c: -c["ter"])[:5]
    lines += ["", "## Highest edit rate", ""]
    for c in worst:
        lines += [
            f"- **{c['clip_id']}** (TER {c['ter']:.1f})",
            f"  - caption: {c['caption']}",
            f"  - rewrite: {c['rewrite']}",
            f"  - gold: {c['gold_caption']}",
        ]
    return "\n".join(lines) + "\n"


def bar_svg(values: dict[str, float | None], *, width: int = 520, title: str = "") -> str:
    """A small horizontal bar chart (values in 0..1) as inline SVG."""
    rows = [(k, v) for k, v in values.items() if v is not None and not np.isnan(v)]
    h = 22 * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" '
        f'role="img" aria-label="{html.escape(title)}">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (k, v) in enumerate(rows):
        y = 24 + i * 22
        w = max(0.0, min(1.0, float(v))) * (width - 230)
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{html.escape(k)}</text>')
        parts.append(f'<rect x="160" y="{y}" width="{w:.1f}" height="16" fill="#4c78a8"/>')
        parts.append(f'<text x="{165 + w:.1f}" y="{y + 13}" font-size="12">{v:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def risk_coverage_svg(rc: dict[str, Any] | None, *, width: int = 560, height: int = 300) -> str:
    """The risk–coverage curve (`summary["risk_coverage"]`) as inline SVG: at each confidence
    threshold, the share of gold clips accepted (x) against the share of those that are wrong
    (solid) and its exact upper bound at level 1 − δ (dashed); each α asked for as a dotted
    line, and the coverage the guarantee reaches there marked (or why none holds)."""
    esc = html.escape
    points = (rc or {}).get("points") or []
    if not points:
        return "<p>No risk–coverage curve: no drafted gold clip to draw it from.</p>"
    at = [a for a in (rc or {}).get("at") or [] if a.get("alpha") is not None]
    left, right, top, bottom = 60, 16, 28, 40
    pw, ph = width - left - right, height - top - bottom
    peak = max([p["error"] for p in points] + [a["alpha"] for a in at] + [0.1])
    ymax = min(1.0, round(peak * 1.5 + 0.05, 1))

    def x(c: float) -> float:
        return left + max(0.0, min(1.0, c)) * pw

    def y(e: float) -> float:
        return top + (1.0 - max(0.0, min(ymax, e)) / ymax) * ph

    def line(key: str) -> str:
        return " ".join(f"{x(p['coverage']):.1f},{y(p[key]):.1f}" for p in points)

    title = f"Risk–coverage ({rc.get('n', len(points))} gold clips, δ = {rc.get('delta', 0.1):g})"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(title)}">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{esc(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    for i in range(6):  # axes: coverage 0..100%, error 0..ymax
        c = i / 5
        parts.append(
            f'<text x="{x(c):.1f}" y="{top + ph + 14}" font-size="11" '
            f'text-anchor="middle">{c:.0%}</text>'
        )
        e = ymax * i / 5
        parts.append(
            f'<text x="{left - 4}" y="{y(e) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{e:.2f}</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 4}" font-size="12" text-anchor="middle">'
        "coverage (share of clips accepted, most confident first)</text>"
        f'<text x="12" y="{top + ph / 2:.1f}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + ph / 2:.1f})">error among accepted</text>'
    )
    parts.append(
        f'<polyline points="{line("bound")}" fill="none" stroke="#e45756" '
        'stroke-dasharray="5,3" stroke-width="1.5"/>'
    )
    parts.append(
        f'<polyline points="{line("error")}" fill="none" stroke="#4c78a8" stroke-width="2"/>'
    )
    notes = []
    for i, a in enumerate(at):
        alpha, coverage = float(a["alpha"]), float(a.get("coverage") or 0.0)
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(alpha):.1f}" y2="{y(alpha):.1f}" '
            'stroke="#54a24b" stroke-dasharray="2,3"/>'
            f'<text x="{left + pw - 4}" y="{y(alpha) - 3:.1f}" font-size="11" '
            f'text-anchor="end" fill="#54a24b">α = {alpha:g}</text>'
        )
        if a.get("threshold") is None:
            notes.append(f"α = {alpha:g}: no threshold holds ({a.get('reason') or 'none'})")
            continue
        cx, cy = x(coverage), y(float(a.get("error") or 0.0))
        flip = coverage > 0.5  # the label left of the line, inside the plot
        parts.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{top}" y2="{top + ph}" stroke="#54a24b" '
            f'stroke-width="1"/><circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="#54a24b"/>'
            f'<text x="{cx + (-4 if flip else 4):.1f}" y="{top + 14 + 13 * i}" '
            f'font-size="11" fill="#54a24b" text-anchor="{"end" if flip else "start"}">'
            f"α = {alpha:g}: {coverage:.0%} accepted (threshold {a['threshold']:.3f})</text>"
        )
        notes.append(
            f"α = {alpha:g}: coverage {coverage:.0%} at threshold {a['threshold']:.3f} "
            f"(error {float(a.get('error') or 0.0):.3f}, bound {float(a.get('bound') or 0.0):.3f})"
        )
    parts.append("</svg>")
    legend = (
        "<p><small>Solid: share of the accepted clips whose draft is wrong; dashed: its exact "
        "(Clopper–Pearson) upper bound at level 1 − δ. "
        + " · ".join(esc(n) for n in notes)
        + "</small></p>"
    )
    return "".join(parts) + legend


def html_report(summary: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    m = summary["metrics"]
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(n)}</td><td class=num>{esc(fmt(m.get(n), n))}</td>"
        f"<td>{'higher' if higher_is_better(n) else 'lower'}</td>"
        f"<td>{esc(summary['definitions'][n])}</td></tr>"
        for n in metric_names()
    )
    recall = {
        t: r["recall"]
        for t, r in summary["per_type"]["hallucinations"].items()
        if not t.startswith("_")
    }
    precision = {
        t: r["precision"]
        for t, r in summary["per_type"]["hallucinations"].items()
        if not t.startswith("_")
    }
    rates = {
        k: m.get(k)
        for k in (
            "clip_accuracy",
            "span_precision",
            "span_recall",
            "omission_recall",
            "claim_precision",
            "claim_recall",
        )
    }
    worst = sorted(cases, key=lambda c: -c["ter"])[:10]
    worst_rows = "".join(
        f"<tr><td>{esc(c['clip_id'])}</td><td class=num>{c['ter']:.1f}</td>"
        f"<td>{esc(c['caption'])}</td><td>{esc(c['rewrite'])}</td>"
        f"<td>{esc(c['gold_caption'])}</td></tr>"
        for c in worst
    )
    judge = esc(summary["judge"]) + (
        " (lexical: the weaker, offline judge)" if summary["judge_weak"] else ""
    )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>recap eval: {esc(summary["run"])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;
vertical-align:top;font-size:13px}}.num{{text-align:right}}.charts{{display:flex;gap:2em;
flex-wrap:wrap}}</style></head><body>
<h1>Eval report: {esc(summary["run"])}</h1>
<p>{summary["n_cases"]} gold cases · drafter {esc(str(summary["drafter"]))} · model
{esc(str(summary["model"]))} · prompt {esc(str(summary["prompt"]))} · judge {judge}</p>
<p><b>{esc(headline(summary))}</b></p>
<div class="charts">{bar_svg(rates, title="Detection and faithfulness")}
{bar_svg(recall, title="Hallucination recall by type")}
{bar_svg(precision, title="Hallucination precision by type")}</div>
<h2>Auto-acceptance: risk and coverage</h2>
{risk_coverage_svg(summary.get("risk_coverage"))}
<h2>Metrics</h2><table><tr><th>metric</th><th>value</th><th>better</th><th>definition</th></tr>
{rows}</table>
<h2>Highest edit rate</h2><table><tr><th>clip</th><th>TER</th><th>caption</th><th>rewrite</th>
<th>gold</th></tr>{worst_rows}</table></body></html>
"""
