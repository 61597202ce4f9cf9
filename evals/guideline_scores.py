"""How well a run's captions follow the guideline: each draft's rewrite and each unreviewed
caption (the do-nothing baseline) linted with the guideline the run is scored under, counted
per rule, and the share of captions that break any error-severity rule.

A case holds the rules its rewrite and its caption break (`case_guideline`); the summary adds
them up (`guideline_summary`) and `guideline_markdown` writes its section of report.md. The
counts are of linter warnings: what the rules can check (a listed term, a listed verb form, a
word count), not whether the caption is true.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.guidelines import Guidelines

SIDES = ("rewrite", "unreviewed")


def case_guideline(caption: str, rewrite: str, guidelines: Guidelines) -> dict[str, Any]:
    """The rule kinds each warning of the rewrite and of the unreviewed caption is from (one
    entry per warning), and whether each breaks an error-severity rule."""
    out: dict[str, Any] = {}
    for side, text in zip(SIDES, (rewrite, caption), strict=True):
        warnings = guidelines.lint(text)
        out[side] = sorted(w.kind for w in warnings)
        out[f"{side}_error"] = any(w.severity == "error" for w in warnings)
    return out


def guideline_summary(cases: Iterable[dict[str, Any]], guidelines: Guidelines) -> dict[str, Any]:
    """Violations per rule (warnings, and captions with at least one) for the rewrites and the
    unreviewed captions, and the share of each breaking any error-severity rule, under
    `guidelines` (its version is recorded)."""
    scored = [c["guideline"] for c in cases if "guideline" in c]
    n = len(scored)
    warnings = {side: Counter(k for c in scored for k in c[side]) for side in SIDES}
    captions = {side: Counter(k for c in scored for k in set(c[side])) for side in SIDES}
    kinds = sorted(set(warnings["rewrite"]) | set(warnings["unreviewed"]))
    rules = {
        kind: {
            "severity": guidelines.severity(kind),
            **{f"{side}_warnings": warnings[side][kind] for side in SIDES},
            **{f"{side}_captions": captions[side][kind] for side in SIDES},
        }
        for kind in kinds
    }
    return {
        "version": guidelines.version,
        "source": guidelines.source,
        "n_cases": n,
        "error_share": {
            side: (sum(c[f"{side}_error"] for c in scored) / n) if n else None for side in SIDES
        },
        "rules": rules,
    }


def _share(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def guideline_markdown(summary: dict[str, Any]) -> list[str]:
    """The report's guideline section; no lines for a summary scored before there was one."""
    g = summary.get("guidelines")
    if not g:
        return []
    share = g["error_share"]
    lines = [
        "",
        f"## Guideline ({g['version']})",
        "",
        f"Captions breaking an error-severity rule: drafts {_share(share['rewrite'])}, "
        f"unreviewed {_share(share['unreviewed'])} (of {g['n_cases']}).",
    ]
    if not g["rules"]:
        return [*lines, "", "No rule is broken by any draft or unreviewed caption."]
    lines += [
        "",
        "| rule | severity | drafts: warnings (captions) | unreviewed: warnings (captions) |",
        "|---|---|---:|---:|",
    ]
    for kind, row in g["rules"].items():
        lines.append(
            f"| {kind} | {row['severity']} | {row['rewrite_warnings']} "
            f"({row['rewrite_captions']}) | {row['unreviewed_warnings']} "
            f"({row['unreviewed_captions']}) |"
        )
    return lines
