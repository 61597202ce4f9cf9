"""The corpus metrics, each a registered `Metric` with its definition where it is computed.

Every corpus metric is a function of per-case sums (edits and reference lengths for TER, n-gram
counts for BLEU, matched counts for precision/recall), so a bootstrap resamples cases with
numpy and recomputes each metric exactly as on the full set. Text metrics come from their
reference libraries: TER, BLEU and chrF from sacrebleu, ROUGE-L from rouge-score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sacrebleu.metrics import BLEU

from agent.errors import RecapError

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
    # the same text statistics for the unreviewed caption: the do-nothing baseline
    "u_ter_edits",
    "u_bleu_c1",
    "u_bleu_c2",
    "u_bleu_c3",
    "u_bleu_c4",
    "u_bleu_t1",
    "u_bleu_t2",
    "u_bleu_t3",
    "u_bleu_t4",
    "u_bleu_sys_len",
    "u_chrf",
    "u_rouge_l",
    "u_cl_supported",
    "u_cl_rewrite",
    "u_cl_covered",
    "cost_usd",
    "prompt_tokens",
    "completion_tokens",
    "latency_s",
    "reasks",
    "retries",
    "drafted",
    "video_s",
]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)


def _bleu(s: dict[str, np.ndarray], p: str = "") -> np.ndarray:
    out = []
    for i in range(len(s[f"{p}bleu_sys_len"])):
        if np.isnan(s[f"{p}bleu_sys_len"][i]):
            out.append(np.nan)  # a run folder scored before the statistic existed
            continue
        correct = [int(s[f"{p}bleu_c{k}"][i]) for k in range(1, 5)]
        total = [int(s[f"{p}bleu_t{k}"][i]) for k in range(1, 5)]
        out.append(
            BLEU.compute_bleu(
                correct, total, int(s[f"{p}bleu_sys_len"][i]), int(s["bleu_ref_len"][i])
            ).score
        )
    return np.array(out)


def _edits_saved(s: dict[str, np.ndarray]) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            s["u_ter_edits"] > 0,
            1 - s["ter_edits"] / np.where(s["u_ter_edits"] > 0, s["u_ter_edits"], 1),
            np.nan,
        )


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
        "ter_unreviewed",
        False,
        "TER of the unreviewed caption vs gold: what a reviewer would edit with no draft at all.",
        lambda s, m: 100 * _div(s["u_ter_edits"], s["ter_ref_len"]),
    ),
    Metric(
        "edits_saved",
        True,
        "1 - TER(drafts) / TER(unreviewed captions), corpus-level: the share of a reviewer's "
        "edits the drafts already made (1: drafts equal gold; 0: no better than doing nothing; "
        "negative: the drafts add edits).",
        lambda s, m: _edits_saved(s),
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
        "bleu_unreviewed",
        True,
        "Corpus BLEU of the unreviewed caption vs gold (the baseline).",
        lambda s, m: _bleu(s, "u_"),
    ),
    Metric(
        "chrf_unreviewed",
        True,
        "Mean sentence chrF of the unreviewed caption vs gold (the baseline).",
        lambda s, m: m["u_chrf"],
    ),
    Metric(
        "rouge_l_unreviewed",
        True,
        "Mean ROUGE-L of the unreviewed caption vs gold (the baseline).",
        lambda s, m: m["u_rouge_l"],
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
        "claim_precision_unreviewed",
        True,
        "Claim precision of the unreviewed caption vs gold (the baseline).",
        lambda s, m: _div(s["u_cl_supported"], s["u_cl_rewrite"]),
    ),
    Metric(
        "claim_recall_unreviewed",
        True,
        "Claim recall of the unreviewed caption vs gold (the baseline).",
        lambda s, m: _div(s["u_cl_covered"], s["cl_gold"]),
    ),
    Metric(
        "cost_per_clip",
        False,
        "Mean US dollars per drafted clip (0 where the price is unknown).",
        lambda s, m: _div(s["cost_usd"], s["drafted"]),
    ),
    Metric(
        "cost_per_video_hour",
        False,
        "US dollars per hour of drafted video: total cost over the drafted clips' total "
        "duration (the robot-subtask anchor is about $2.64 per video-hour at batch prices).",
        lambda s, m: 3600 * _div(s["cost_usd"], s["video_s"]),
    ),
    Metric(
        "tokens_per_clip",
        False,
        "Mean input plus output tokens per drafted clip.",
        lambda s, m: _div(s["prompt_tokens"] + s["completion_tokens"], s["drafted"]),
    ),
    Metric(
        "input_tokens_per_clip",
        False,
        "Mean input (prompt) tokens per drafted clip.",
        lambda s, m: _div(s["prompt_tokens"], s["drafted"]),
    ),
    Metric(
        "output_tokens_per_clip",
        False,
        "Mean output (completion) tokens per drafted clip.",
        lambda s, m: _div(s["completion_tokens"], s["drafted"]),
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


def stat_matrix(cases: list[dict[str, Any]]) -> np.ndarray:
    """Cases x STATS; a statistic a case lacks (scored by an older release) is NaN, so the
    metrics that need it are NaN rather than wrong."""
    return np.array([[c["stats"].get(k, np.nan) for k in STATS] for c in cases], dtype=float)


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
