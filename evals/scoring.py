"""Score a run against gold: per-case statistics, corpus metrics, bootstrap intervals.

Every corpus metric is a function of per-case sums (edits and reference lengths for TER, n-gram
counts for BLEU, matched counts for precision/recall), so a bootstrap resamples cases with
numpy and recomputes each metric exactly as on the full set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER

from agent.errors import RecapError
from agent.store import Store
from evals.judges import Judge
from evals.metrics import GoldCase, PRCounts, claim_scores, localisation, omissions, prf

_TER, _BLEU, _CHRF = TER(), BLEU(effective_order=True), CHRF()
_ROUGE = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)

# Per-case numeric statistics; corpus metrics are computed from their sums (or quantiles).
STATS = [
    "ter_edits",
    "ter_ref_len",
    "bleu_c1",
    "bleu_c2",
    "bleu_c3",
    "bleu_c4",
    "bleu_t1",
    "bleu_t2",
    "bleu_t3",
    "bleu_t4",
    "bleu_sys_len",
    "bleu_ref_len",
    "chrf",
    "rouge_l",
    "clip_tp",
    "clip_fp",
    "clip_fn",
    "clip_tn",
    "loc_tp",
    "loc_pred",
    "loc_gold",
    "om_tp",
    "om_pred",
    "om_gold",
    "cl_supported",
    "cl_rewrite",
    "cl_covered",
    "cl_gold",
    "cost_usd",
    "prompt_tokens",
    "completion_tokens",
    "latency_s",
    "reasks",
    "retries",
    "drafted",
]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)


def _bleu(s: dict[str, np.ndarray]) -> np.ndarray:
    out = []
    for i in range(len(s["bleu_sys_len"])):
        correct = [int(s[f"bleu_c{k}"][i]) for k in range(1, 5)]
        total = [int(s[f"bleu_t{k}"][i]) for k in range(1, 5)]
        out.append(
            BLEU.compute_bleu(
                correct, total, int(s["bleu_sys_len"][i]), int(s["bleu_ref_len"][i])
            ).score
        )
    return np.array(out)


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    definition: str
    fn: Callable[[dict[str, np.ndarray], dict[str, np.ndarray]], np.ndarray]


# fn(sums, means): arrays over bootstrap replicates (length 1 for the full set).
METRICS: list[Metric] = [
    Metric(
        "ter",
        False,
        "Translation Edit Rate of rewrite vs gold caption (sacrebleu), corpus: "
        "word edits (insert, delete, substitute, shift) a person would still make per 100 gold "
        "words. The headline number; lower is better.",
        lambda s, m: 100 * _div(s["ter_edits"], s["ter_ref_len"]),
    ),
    Metric(
        "bleu",
        True,
        "Corpus BLEU of rewrite vs gold caption (sacrebleu, from summed n-gram counts).",
        lambda s, m: _bleu(s),
    ),
    Metric(
        "chrf",
        True,
        "Mean sentence chrF of rewrite vs gold caption (sacrebleu).",
        lambda s, m: m["chrf"],
    ),
    Metric(
        "rouge_l",
        True,
        "Mean ROUGE-L F-measure of rewrite vs gold caption (rouge-score).",
        lambda s, m: m["rouge_l"],
    ),
    Metric(
        "clip_accuracy",
        True,
        "Share of clips where the verdict (needs edit or not) matches gold.",
        lambda s, m: _div(
            s["clip_tp"] + s["clip_tn"], s["clip_tp"] + s["clip_tn"] + s["clip_fp"] + s["clip_fn"]
        ),
    ),
    Metric(
        "clip_precision",
        True,
        "Of clips the draft says need editing, the share that do.",
        lambda s, m: _div(s["clip_tp"], s["clip_tp"] + s["clip_fp"]),
    ),
    Metric(
        "clip_recall",
        True,
        "Of clips that need editing, the share the draft flags.",
        lambda s, m: _div(s["clip_tp"], s["clip_tp"] + s["clip_fn"]),
    ),
    Metric(
        "span_precision",
        True,
        "Flagged hallucination spans matching a gold span (character "
        "IoU >= 0.5, one-to-one) over all flagged spans.",
        lambda s, m: _div(s["loc_tp"], s["loc_pred"]),
    ),
    Metric(
        "span_recall",
        True,
        "Gold hallucination spans matched by a flagged span over all gold spans.",
        lambda s, m: _div(s["loc_tp"], s["loc_gold"]),
    ),
    Metric(
        "span_f1",
        True,
        "Harmonic mean of span precision and recall.",
        lambda s, m: _f1(_div(s["loc_tp"], s["loc_pred"]), _div(s["loc_tp"], s["loc_gold"])),
    ),
    Metric(
        "omission_precision",
        True,
        "Predicted omissions the judge matches to a gold omission over all predicted.",
        lambda s, m: _div(s["om_tp"], s["om_pred"]),
    ),
    Metric(
        "omission_recall",
        True,
        "Gold omissions matched by a predicted one over all gold.",
        lambda s, m: _div(s["om_tp"], s["om_gold"]),
    ),
    Metric(
        "claim_precision",
        True,
        "AutoDQ-style: rewrite claims (clauses) the judge finds "
        "supported by the gold caption, over all rewrite claims.",
        lambda s, m: _div(s["cl_supported"], s["cl_rewrite"]),
    ),
    Metric(
        "claim_recall",
        True,
        "Gold claims the judge finds covered by the rewrite, over all gold claims.",
        lambda s, m: _div(s["cl_covered"], s["cl_gold"]),
    ),
    Metric(
        "claim_f1",
        True,
        "Harmonic mean of claim precision and recall.",
        lambda s, m: _f1(
            _div(s["cl_supported"], s["cl_rewrite"]), _div(s["cl_covered"], s["cl_gold"])
        ),
    ),
    Metric(
        "cost_per_clip",
        False,
        "Mean US dollars per drafted clip (0 where the price is unknown).",
        lambda s, m: _div(s["cost_usd"], s["drafted"]),
    ),
    Metric(
        "tokens_per_clip",
        False,
        "Mean input plus output tokens per drafted clip.",
        lambda s, m: _div(s["prompt_tokens"] + s["completion_tokens"], s["drafted"]),
    ),
    Metric(
        "reasks_per_clip",
        False,
        "Mean re-asks (invalid output sent back) per drafted clip.",
        lambda s, m: _div(s["reasks"], s["drafted"]),
    ),
    Metric(
        "retries_per_clip",
        False,
        "Mean transport retries per drafted clip.",
        lambda s, m: _div(s["retries"], s["drafted"]),
    ),
    Metric(
        "coverage",
        True,
        "Share of gold clips that have a draft in the run.",
        lambda s, m: m["drafted"],
    ),
]
BY_NAME = {m.name: m for m in METRICS}


def load_gold(path: str | Path) -> list[GoldCase]:
    """Gold cases from a manifest: rows with `gold_caption` (spans and omissions optional)."""
    p = Path(path)
    if not p.is_file():
        raise RecapError(f"Gold set {p} does not exist.")
    cases = []
    for n, line in enumerate(p.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise RecapError(f"Gold set {p}, line {n}: invalid JSON ({e.msg}).") from None
        if not row.get("gold_caption"):
            continue
        cases.append(
            GoldCase(
                clip_id=str(row["id"]),
                caption=row["caption"],
                gold_caption=row["gold_caption"],
                hallucinations=row.get("gold_hallucinations") or [],
                omissions=row.get("gold_omissions") or [],
            )
        )
    if not cases:
        raise RecapError(f"Gold set {p} has no rows with a gold_caption.")
    return cases


def score_case(
    case: GoldCase, draft: dict[str, Any] | None, row: Any | None, judge: Judge
) -> dict[str, Any]:
    """Everything measured on one clip; a missing draft scores as an unchanged caption."""
    rewrite = draft["rewrite"] if draft else case.caption
    pred_edit = draft["verdict"] == "needs_edit" if draft else False
    hall = draft.get("hallucinations", []) if draft else []
    oms = draft.get("omissions", []) if draft else []
    ter = _TER.sentence_score(rewrite, [case.gold_caption])
    bleu = _BLEU.sentence_score(rewrite, [case.gold_caption])
    loc = localisation(case, hall)
    om = omissions(case, oms, judge)
    cl = claim_scores(case.gold_caption, rewrite, judge)
    gold_edit = case.needs_edit
    stats = {
        "ter_edits": ter.num_edits,
        "ter_ref_len": ter.ref_length,
        **{f"bleu_c{k + 1}": bleu.counts[k] for k in range(4)},
        **{f"bleu_t{k + 1}": bleu.totals[k] for k in range(4)},
        "bleu_sys_len": bleu.sys_len,
        "bleu_ref_len": bleu.ref_len,
        "chrf": _CHRF.sentence_score(rewrite, [case.gold_caption]).score,
        "rouge_l": _ROUGE.score(case.gold_caption, rewrite)["rougeL"].fmeasure,
        "clip_tp": int(pred_edit and gold_edit),
        "clip_fp": int(pred_edit and not gold_edit),
        "clip_fn": int(gold_edit and not pred_edit),
        "clip_tn": int(not pred_edit and not gold_edit),
        "loc_tp": loc.tp,
        "loc_pred": loc.n_pred,
        "loc_gold": loc.n_gold,
        "om_tp": om.tp,
        "om_pred": om.n_pred,
        "om_gold": om.n_gold,
        "cl_supported": cl["supported"],
        "cl_rewrite": cl["rewrite_claims"],
        "cl_covered": cl["covered"],
        "cl_gold": cl["gold_claims"],
        "cost_usd": (row.cost_usd or 0.0) if row is not None else 0.0,
        "prompt_tokens": row.prompt_tokens if row is not None else 0,
        "completion_tokens": row.completion_tokens if row is not None else 0,
        "latency_s": row.latency_s if row is not None else 0.0,
        "reasks": row.reasks if row is not None else 0,
        "retries": row.retries if row is not None else 0,
        "drafted": int(draft is not None),
    }
    return {
        "clip_id": case.clip_id,
        "caption": case.caption,
        "gold_caption": case.gold_caption,
        "rewrite": rewrite,
        "verdict": draft["verdict"] if draft else None,
        "gold_needs_edit": gold_edit,
        "hallucinations": hall,
        "omissions": oms,
        "gold_hallucinations": case.hallucinations,
        "gold_omissions": case.omissions,
        "loc": loc.to_json(),
        "om": om.to_json(),
        "stats": stats,
        "ter": ter.score,
    }


def stat_matrix(cases: list[dict[str, Any]]) -> np.ndarray:
    return np.array([[c["stats"][k] for k in STATS] for c in cases], dtype=float)


def metrics_from(matrix: np.ndarray, weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every metric for each row of `weights` (B x n: how often each case is drawn in a
    bootstrap replicate); None scores the full set once. Sums are one matrix product."""
    n = matrix.shape[0]
    w = np.ones((1, n)) if weights is None else weights.astype(float)
    totals = w @ matrix  # B x k
    sums = {k: totals[:, i] for i, k in enumerate(STATS)}
    means = {k: totals[:, i] / n for i, k in enumerate(STATS)}
    out = {m.name: m.fn(sums, means) for m in METRICS}
    drafted = matrix[:, STATS.index("drafted")] > 0
    lat = matrix[drafted, STATS.index("latency_s")]
    if weights is None and lat.size:
        out["latency_p50"] = np.array([np.percentile(lat, 50)])
        out["latency_p95"] = np.array([np.percentile(lat, 95)])
    else:  # percentiles are reported for the full set only, without an interval
        out["latency_p50"] = out["latency_p95"] = np.full(w.shape[0], np.nan)
    return out


EXTRA = {
    "latency_p50": (False, "Median seconds per draft (all attempts)."),
    "latency_p95": (False, "95th percentile seconds per draft."),
}


def higher_is_better(name: str) -> bool:
    if name in BY_NAME:
        return BY_NAME[name].higher_is_better
    if name in EXTRA:
        return EXTRA[name][0]
    raise RecapError(f"Unknown metric {name!r}.", hint="Known: " + ", ".join(metric_names()))


def metric_names() -> list[str]:
    return [m.name for m in METRICS] + list(EXTRA)


def definitions() -> dict[str, str]:
    return {**{m.name: m.definition for m in METRICS}, **{k: v[1] for k, v in EXTRA.items()}}


def per_type(cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    loc, om = PRCounts(), PRCounts()
    for c in cases:
        loc.add(PRCounts.from_json(c["loc"]))
        om.add(PRCounts.from_json(c["om"]))

    def table(counts: PRCounts) -> dict[str, Any]:
        types = sorted(set(counts.gold_by_type) | set(counts.pred_by_type))
        return {
            t: {
                "n_gold": counts.gold_by_type[t],
                "n_pred": counts.pred_by_type[t],
                "precision": prf(counts.tp_pred_by_type[t], counts.pred_by_type[t], 1)["precision"],
                "recall": prf(counts.tp_gold_by_type[t], 1, counts.gold_by_type[t])["recall"],
            }
            for t in types
        } | {"_type_agreement": (counts.type_agree / counts.tp) if counts.tp else None}

    return {"hallucinations": table(loc), "omissions": table(om)}


def score_run(
    store: Store, run: str, gold: list[GoldCase], judge: Judge
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-case results and the summary (metrics, per-type tables, run facts)."""
    if store.run(run) is None:
        known = ", ".join(r.name for r in store.runs()) or "none"
        raise RecapError(f"No run named {run!r} to score.", hint=f"Runs: {known}.")
    rows = {d.clip_id: d for d in store.drafts(run)}
    cases = [
        score_case(
            g, rows[g.clip_id].draft if g.clip_id in rows else None, rows.get(g.clip_id), judge
        )
        for g in gold
    ]
    full = {k: float(v[0]) for k, v in metrics_from(stat_matrix(cases)).items()}
    r = store.run(run)
    summary = {
        "run": run,
        "n_cases": len(cases),
        "judge": judge.name,
        "judge_weak": judge.weak,
        "model": r.model if r else None,
        "drafter": r.drafter if r else None,
        "prompt": f"{r.prompt_name}@{(r.prompt_hash or '')[:12]}" if r else None,
        "metrics": {k: (None if np.isnan(v) else v) for k, v in full.items()},
        "per_type": per_type(cases),
        "definitions": definitions(),
    }
    return cases, summary


def bootstrap_delta(
    a: np.ndarray, b: np.ndarray, *, n_boot: int = 1000, seed: int = 0
) -> dict[str, tuple[float, float, float]]:
    """Paired bootstrap over cases: (delta, low, high) of B minus A, 95% percentile interval.
    Both runs are scored on the same resampled cases in each replicate."""
    rng = np.random.default_rng(seed)
    n = a.shape[0]
    weights = rng.multinomial(n, np.full(n, 1 / n), size=n_boot)
    ma, mb = metrics_from(a, weights), metrics_from(b, weights)
    fa, fb = metrics_from(a), metrics_from(b)
    out = {}
    for name in fa:
        d = mb[name] - ma[name]
        d = d[~np.isnan(d)]
        point = float(fb[name][0] - fa[name][0])
        if d.size == 0:
            out[name] = (point, float("nan"), float("nan"))
        else:
            out[name] = (point, float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5)))
    return out
