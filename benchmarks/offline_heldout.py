"""The offline drafter on the bundled sample and on five hand-written caption sets.

Drafts every caption with the offline drafter (telemetry from the bundled sample clips), scores
the drafts with the eval harness's own code (span matching by character IoU >= 0.5 from
`evals.metrics`, per-case scoring and corpus TER from `evals.scoring`, the lexical judge), and
prints a Markdown table: span precision/recall/F1 per hallucination type and overall, outcome
recall, corpus TER of the drafted rewrites and of the unreviewed captions against the gold
captions, edits saved, the number of rewrites that fail the rewrite check
(`agent.drafting.rewrite_problems`: a word that is not English, an outcome and its opposite, a
step denied beside its assertion, a fragment, a new guideline warning) and how many findings
the drafter left for the reviewer to reword because its own rewording failed that check.

Who wrote which set: sets A and B (tests/data/offline_heldout_a.jsonl, _b.jsonl) were written
by the author of the rules, in the same session; A was used to develop them, B was not tuned
on (one of its rewrites was read in a regression check of the second round). The
vision-model-style development set (tests/data/offline_dev_vlm.jsonl) was written by the
author of the later rules, before changing them, and used to tune them.
Development set D (tests/data/offline_dev_d.jsonl, vision-model wording, 80 rows) was written
apart from the rules and then used to tune them. Set C
(tests/data/offline_heldout_c.jsonl, vision-model wording) was written by someone who never
read the rules, and never used to tune them (measured five times, at milestones).

    python benchmarks/offline_heldout.py [--json] [--sets sample,A,B,dev,D,C]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.data import read_gold  # noqa: E402
from agent.drafting import OfflineDrafter, rewrite_problems  # noqa: E402
from agent.telemetry import Telemetry  # noqa: E402
from evals.gold import GoldCase  # noqa: E402
from evals.judges import LexicalJudge  # noqa: E402
from evals.matching import PRCounts, prf  # noqa: E402
from evals.scoring import score_case  # noqa: E402

SAMPLE = ROOT / "evals" / "datasets" / "sample"
DATA = ROOT / "tests" / "data"
SETS = {
    "sample": ("sample", SAMPLE / "manifest.jsonl"),
    "A": ("held-out A (tuned on)", DATA / "offline_heldout_a.jsonl"),
    "B": ("held-out B (not tuned on)", DATA / "offline_heldout_b.jsonl"),
    "dev": ("VLM-style dev (tuned on)", DATA / "offline_dev_vlm.jsonl"),
    "D": ("VLM-style dev D (tuned on)", DATA / "offline_dev_d.jsonl"),
    "C": ("VLM-style C (untouched)", DATA / "offline_heldout_c.jsonl"),
}
TYPES = [
    "outcome",
    "gripper_or_grasp",
    "action",
    "order",
    "speculation",
    "object",
    "attribute",
    "direction_or_spatial",
    "count",
]


def load(path: Path) -> list[tuple[GoldCase, Telemetry]]:
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        clip = r.get("clip") or r["id"]
        tel_path = (
            (path.parent / r["telemetry"])
            if "telemetry" in r
            else SAMPLE / f"{clip}.telemetry.json"
        )
        labels = read_gold(r, r["caption"])
        assert labels is not None and labels.caption, f"{path}: {r['id']} has no gold caption"
        case = GoldCase(
            clip_id=str(r["id"]),
            caption=r["caption"],
            gold_caption=labels.caption,
            hallucinations=labels.hallucinations,
            omissions=labels.omissions,
        )
        rows.append((case, Telemetry.load(tel_path)))
    return rows


def evaluate(path: Path) -> dict[str, Any]:
    """Figures for one set; `cases` holds each caption, rewrite and problems found."""
    drafter, judge = OfflineDrafter(), LexicalJudge()
    loc = PRCounts()
    om = PRCounts()
    edits = ref = edits0 = ref0 = 0.0
    cases = []
    contradictions = lint_failures = check_failures = left = 0
    for case, tel in load(path):
        draft = drafter.review(case.caption, tel)
        scored = score_case(case, draft, judge)
        unreviewed = score_case(case, None, judge)
        loc.add(PRCounts.from_json(scored["loc"]))
        om.add(PRCounts.from_json(scored["om"]))
        edits += scored["stats"]["ter_edits"]
        ref += scored["stats"]["ter_ref_len"]
        edits0 += unreviewed["stats"]["ter_edits"]
        ref0 += unreviewed["stats"]["ter_ref_len"]
        problems = rewrite_problems(case.caption, draft.rewrite, tel.task)
        contradictions += any("opposite" in p for p in problems)
        lint_failures += any("linter" in p for p in problems)
        check_failures += bool(problems)
        left += len(draft.left_to_reviewer)
        cases.append(
            {
                "id": case.clip_id,
                "caption": case.caption,
                "rewrite": draft.rewrite,
                "gold_caption": case.gold_caption,
                "problems": problems,
                "left_to_reviewer": draft.left_to_reviewer,
                "pred": [(h.span, h.type.value) for h in draft.hallucinations],
                "gold": [(h.span, h.type.value) for h in case.hallucinations],
            }
        )
    per_type = {}
    for t in sorted(
        set(loc.gold_by_type) | set(loc.pred_by_type),
        key=lambda t: (t not in TYPES, TYPES.index(t) if t in TYPES else 0, t),
    ):
        p = prf(loc.tp_pred_by_type[t], loc.pred_by_type[t], 1)["precision"]
        r = prf(loc.tp_gold_by_type[t], 1, loc.gold_by_type[t])["recall"]
        per_type[t] = {
            "n_gold": loc.gold_by_type[t],
            "n_pred": loc.pred_by_type[t],
            "precision": p,
            "recall": r,
            "f1": (2 * p * r / (p + r)) if p is not None and r is not None and p + r else None,
        }
    overall = prf(loc.tp, loc.n_pred, loc.n_gold)
    ter = 100 * edits / ref
    ter0 = 100 * edits0 / ref0
    return {
        "n": len(cases),
        "span": overall,
        "per_type": per_type,
        "outcome_recall": per_type.get("outcome", {}).get("recall"),
        "omission": prf(om.tp, om.n_pred, om.n_gold),
        "omission_by_type": {
            t: {
                "n_gold": om.gold_by_type[t],
                "n_pred": om.pred_by_type[t],
                "tp": om.tp_gold_by_type[t],
            }
            for t in set(om.gold_by_type) | set(om.pred_by_type)
        },
        "ter": ter,
        "ter_unreviewed": ter0,
        "edits_saved": 1 - ter / ter0,
        "contradictions": contradictions,
        "lint_failures": lint_failures,
        "check_failures": check_failures,
        "left_to_reviewer": left,
        "cases": cases,
    }


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines.append("| captions | " + " | ".join(str(results[n]["n"]) for n in names) + " |")
    types = [t for t in TYPES if any(t in results[n]["per_type"] for n in names)]
    for t in types:
        cells = []
        for n in names:
            d = results[n]["per_type"].get(t)
            cells.append(
                "–"
                if d is None
                else f"P {_f(d['precision'])} R {_f(d['recall'])} F1 {_f(d['f1'])} "
                f"({d['n_gold']} gold)"
            )
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    for label, get in (
        ("span precision", lambda r: _f(r["span"]["precision"])),
        ("span recall", lambda r: _f(r["span"]["recall"])),
        ("**span F1**", lambda r: f"**{_f(r['span']['f1'])}**"),
        ("**outcome recall**", lambda r: f"**{_f(r['outcome_recall'])}**"),
        (
            "omission P / R",
            lambda r: f"{_f(r['omission']['precision'])} / {_f(r['omission']['recall'])}",
        ),
        ("TER drafts / unreviewed", lambda r: f"{r['ter']:.1f} / {r['ter_unreviewed']:.1f}"),
        ("edits saved", lambda r: f"{r['edits_saved']:.2f}"),
        ("rewrites failing the rewrite check", lambda r: str(r["check_failures"])),
        ("… of which self-contradicting", lambda r: str(r["contradictions"])),
        ("… of which adding a linter warning", lambda r: str(r["lint_failures"])),
        ("findings left to the reviewer to reword", lambda r: str(r["left_to_reviewer"])),
    ):
        lines.append(f"| {label} | " + " | ".join(get(results[n]) for n in names) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument(
        "--sets", default=",".join(SETS), help=f"comma-separated sets (default: {','.join(SETS)})"
    )
    ap.add_argument("--cases", metavar="SET", help="print each case of one set (sample, A, ...)")
    args = ap.parse_args()
    keys = [k.strip() for k in (args.cases or args.sets).split(",") if k.strip()]
    unknown = [k for k in keys if k not in SETS]
    if unknown:
        ap.error(f"unknown set {unknown[0]!r}: choose from {', '.join(SETS)}")
    results = {SETS[k][0]: evaluate(SETS[k][1]) for k in keys}
    if args.cases:
        for c in results[SETS[keys[0]][0]]["cases"]:
            print(json.dumps(c))
        return
    if args.json:
        print(
            json.dumps(
                {n: {k: v for k, v in r.items() if k != "cases"} for n, r in results.items()},
                indent=2,
            )
        )
        return
    print(table(results))


if __name__ == "__main__":
    main()
