"""Eval tasks: draft a gold set, score a run, compare two runs, grow the gold set from reviews.

A run folder (`recap-evals/<run>/` by default) holds `cases.jsonl` (one scored case a line),
`summary.json` (metrics, per-type tables, definitions) and a readable report in Markdown and
as one self-contained HTML page.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.errors import RecapError
from agent.store import Store
from evals.judges import Judge
from evals.metrics import GoldCase
from evals.scoring import (
    bootstrap_delta,
    definitions,
    higher_is_better,
    metric_names,
    score_run,
    stat_matrix,
)

HEADLINE = [
    "ter",
    "clip_accuracy",
    "span_f1",
    "omission_recall",
    "claim_f1",
    "chrf",
    "cost_per_clip",
]


def run_dir(root: str | Path, run: str) -> Path:
    return Path(root) / re.sub(r"[^A-Za-z0-9._@-]+", "_", run)


def fmt(value: float | None, name: str = "") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if name.startswith("cost"):
        return f"${value:.5f}"
    if name in ("ter", "bleu", "chrf"):
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
    store: Store, run: str, gold: list[GoldCase], judge: Judge, root: str | Path
) -> tuple[Path, dict[str, Any]]:
    cases, summary = score_run(store, run, gold, judge)
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
<p><b>TER {fmt(m.get("ter"), "ter")}</b> (edits a person would still make per 100 words;
lower is better)</p>
<div class="charts">{bar_svg(rates, title="Detection and faithfulness")}
{bar_svg(recall, title="Hallucination recall by type")}
{bar_svg(precision, title="Hallucination precision by type")}</div>
<h2>Metrics</h2><table><tr><th>metric</th><th>value</th><th>better</th><th>definition</th></tr>
{rows}</table>
<h2>Highest edit rate</h2><table><tr><th>clip</th><th>TER</th><th>caption</th><th>rewrite</th>
<th>gold</th></tr>{worst_rows}</table></body></html>
"""


# --- compare ----------------------------------------------------------------------------------


@dataclass
class Comparison:
    run_a: str
    run_b: str
    n_paired: int
    deltas: dict[str, tuple[float, float, float]]
    values_a: dict[str, float | None]
    values_b: dict[str, float | None]
    failures: list[str] = field(default_factory=list)
    worse_cases: list[dict[str, Any]] = field(default_factory=list)


def parse_bounds(specs: list[str]) -> dict[str, float]:
    bounds = {}
    for spec in specs:
        name, _, delta = spec.partition(":")
        if not delta:
            raise RecapError(f"--fail-if-worse {spec!r} must be METRIC:DELTA, e.g. ter:0.5")
        higher_is_better(name)  # raises for unknown names
        try:
            bounds[name] = abs(float(delta))
        except ValueError:
            raise RecapError(f"--fail-if-worse {spec!r}: {delta!r} is not a number") from None
    return bounds


def compare(
    folder_a: str | Path,
    folder_b: str | Path,
    bounds: dict[str, float] | None = None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> Comparison:
    """Paired per-case comparison of two scored runs on the clips both scored."""
    cases_a, sum_a = load_run(folder_a)
    cases_b, sum_b = load_run(folder_b)
    by_b = {c["clip_id"]: c for c in cases_b}
    pairs = [(a, by_b[a["clip_id"]]) for a in cases_a if a["clip_id"] in by_b]
    if not pairs:
        raise RecapError("The two runs share no scored clips.")
    ma = stat_matrix([a for a, _ in pairs])
    mb = stat_matrix([b for _, b in pairs])
    deltas = bootstrap_delta(ma, mb, n_boot=n_boot, seed=seed)
    comp = Comparison(
        sum_a["run"],
        sum_b["run"],
        len(pairs),
        deltas,
        {k: sum_a["metrics"].get(k) for k in deltas},
        {k: sum_b["metrics"].get(k) for k in deltas},
    )
    for name, bound in (bounds or {}).items():
        d = deltas[name][0]
        worse = -d if higher_is_better(name) else d
        if not np.isnan(worse) and worse > bound:
            comp.failures.append(f"{name} got worse by {abs(d):.4g} (allowed {bound:g})")
    comp.worse_cases = sorted(
        (
            {
                "clip_id": a["clip_id"],
                "caption": a["caption"],
                "gold": a["gold_caption"],
                "rewrite_a": a["rewrite"],
                "rewrite_b": b["rewrite"],
                "ter_a": a["ter"],
                "ter_b": b["ter"],
            }
            for a, b in pairs
            if b["ter"] > a["ter"]
        ),
        key=lambda c: c["ter_a"] - c["ter_b"],
    )
    return comp


def promote(store: Store, out: str | Path, run: str | None = None) -> int:
    """Accepted and edited reviews become gold rows (merged into `out` by clip id)."""
    path = Path(out)
    existing: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                existing[str(row["id"])] = row
    added = 0
    for clip_id, review in store.latest_reviews().items():
        if review.decision not in ("accepted", "edited") or not review.final_caption:
            continue
        if run is not None and review.run != run:
            continue
        clip = store.clip(clip_id)
        caption = store.caption(clip_id)
        if clip is None or caption is None:
            continue
        draft = store.draft_for(review.run, clip_id) if review.run else None
        findings = (draft.draft if draft else {}) or {}
        halls = _kept(review, findings, "hallucinations")
        oms = _kept(review, findings, "omissions")
        existing[clip_id] = {
            "id": clip_id,
            "video": clip.video,
            "caption": caption,
            "gold_caption": review.final_caption,
            "gold_hallucinations": [
                {"span": h["span"], "type": h["type"], "explanation": h.get("explanation", "")}
                for h in halls
            ],
            "gold_omissions": [{"description": o["description"], "type": o["type"]} for o in oms],
            "meta": {
                "promoted_from": review.run,
                "reviewer": review.reviewer,
                "decision": review.decision,
            },
        }
        added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        for row in existing.values():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return added


def _kept(review: Any, findings: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Findings that become gold: all of an accepted draft, the agreed ones of an edited one."""
    agreed = (review.agreed or {}).get(kind, {})
    return [
        f
        for i, f in enumerate(findings.get(kind, []))
        if review.decision == "accepted" or bool(agreed.get(str(i), False))
    ]


__all__ = ["compare", "definitions", "promote", "score_to_folder"]
