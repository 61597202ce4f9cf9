"""Score a run against gold: what is measured on each case, and the run's summary."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER

from agent.errors import RecapError
from agent.media import probe
from agent.schema import Draft, OmissionLabel, prompt_version
from agent.store import Clip, DraftRecord, Store
from evals.gold import GoldCase
from evals.guideline_scores import case_guideline, guideline_summary
from evals.judges import Judge
from evals.matching import PRCounts, localisation, prf
from evals.metrics import definitions, metrics_from, stat_matrix

if TYPE_CHECKING:
    from agent.guidelines import Guidelines

_TER, _BLEU, _CHRF = TER(), BLEU(effective_order=True), CHRF()
_ROUGE = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)

_CLAUSE = re.compile(
    r"(?:[.;!?]\s+|,\s*(?:and\s+|then\s+)?|\s+(?:and then|then|and|while)\s+)", re.IGNORECASE
)


def clauses(text: str) -> list[str]:
    """A caption cut into clauses, the units claim precision and recall count (AutoDQ's
    "claims"): sentences split at clause joints ('and', 'then', commas), fragments of fewer than
    two words dropped. Not the offline drafter's claim finder (`agent.drafting._claims`), which
    reads what a caption says the robot did."""
    parts = [p.strip(" .;!?,") for p in _CLAUSE.split(text)]
    return [p for p in parts if len(p.split()) >= 2]


def clause_scores(gold: str, rewrite: str, judge: Judge) -> dict[str, int]:
    """AutoDQ-style counts: rewrite clauses supported by gold, gold clauses the rewrite covers."""
    g, r = clauses(gold), clauses(rewrite)
    supported, covered = judge.clause_support(g, r)
    return {
        "rewrite_clauses": len(r),
        "supported": sum(supported),
        "gold_clauses": len(g),
        "covered": sum(covered),
    }


def omissions(gold: list[OmissionLabel], predicted: list[OmissionLabel], judge: Judge) -> PRCounts:
    """Predicted omissions matched to gold omissions when the judge finds them the same."""
    pairs = judge.omission_matches(
        [p.description for p in predicted], [g.description for g in gold]
    )
    c = PRCounts(
        tp=len(pairs),
        n_pred=len(predicted),
        n_gold=len(gold),
        pred_by_type=Counter(p.type.value for p in predicted),
        gold_by_type=Counter(g.type.value for g in gold),
    )
    for i, j in pairs:
        c.tp_pred_by_type[predicted[i].type.value] += 1
        c.tp_gold_by_type[gold[j].type.value] += 1
        c.type_agree += predicted[i].type == gold[j].type
    return c


def score_case(
    case: GoldCase,
    draft: Draft | None,
    judge: Judge,
    record: DraftRecord | None = None,
    video_s: float = 0.0,
    guidelines: Guidelines | None = None,
) -> dict[str, Any]:
    """Everything measured on one clip; a missing draft scores as an unchanged caption. The
    unreviewed caption is scored too (the do-nothing baseline). The stored `record`, when
    given, adds what the draft cost; `video_s` is the clip's length, for cost per video-hour;
    `guidelines`, the rules the rewrite and the caption break (`evals.guideline_scores`)."""
    rewrite = draft.rewrite if draft else case.caption
    pred_edit = draft.needs_edit if draft else False
    hall = draft.hallucinations if draft else []
    oms = draft.omissions if draft else []
    ter = _TER.sentence_score(rewrite, [case.gold_caption])
    bleu = _BLEU.sentence_score(rewrite, [case.gold_caption])
    loc = localisation(case.caption, case.hallucinations, hall)
    om = omissions(case.omissions, list(oms), judge)
    cl = clause_scores(case.gold_caption, rewrite, judge)
    u_ter = _TER.sentence_score(case.caption, [case.gold_caption])
    u_bleu = _BLEU.sentence_score(case.caption, [case.gold_caption])
    u_cl = clause_scores(case.gold_caption, case.caption, judge)
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
        "cl_rewrite": cl["rewrite_clauses"],
        "cl_covered": cl["covered"],
        "cl_gold": cl["gold_clauses"],
        "u_ter_edits": u_ter.num_edits,
        **{f"u_bleu_c{k + 1}": u_bleu.counts[k] for k in range(4)},
        **{f"u_bleu_t{k + 1}": u_bleu.totals[k] for k in range(4)},
        "u_bleu_sys_len": u_bleu.sys_len,
        "u_chrf": _CHRF.sentence_score(case.caption, [case.gold_caption]).score,
        "u_rouge_l": _ROUGE.score(case.gold_caption, case.caption)["rougeL"].fmeasure,
        "u_cl_supported": u_cl["supported"],
        "u_cl_rewrite": u_cl["rewrite_clauses"],
        "u_cl_covered": u_cl["covered"],
        "cost_usd": (record.cost_usd or 0.0) if record is not None else 0.0,
        "prompt_tokens": record.prompt_tokens if record is not None else 0,
        "completion_tokens": record.completion_tokens if record is not None else 0,
        "latency_s": record.latency_s if record is not None else 0.0,
        "reasks": record.reasks if record is not None else 0,
        "retries": record.retries if record is not None else 0,
        "drafted": int(draft is not None),
        "video_s": video_s if draft is not None else 0.0,
    }
    extra = (
        {"guideline": case_guideline(case.caption, rewrite, guidelines)}
        if guidelines is not None
        else {}
    )
    return {
        "clip_id": case.clip_id,
        "caption": case.caption,
        "gold_caption": case.gold_caption,
        "rewrite": rewrite,
        "verdict": draft.verdict.value if draft else None,
        "gold_needs_edit": gold_edit,
        "hallucinations": [h.model_dump(mode="json") for h in hall],
        "omissions": [o.model_dump(mode="json") for o in oms],
        "gold_hallucinations": [h.model_dump(mode="json") for h in case.hallucinations],
        "gold_omissions": [o.model_dump(mode="json") for o in case.omissions],
        "loc": loc.to_json(),
        "om": om.to_json(),
        "stats": stats,
        "ter": ter.score,
        "ter_unreviewed": u_ter.score,
        **extra,
    }


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

    return {
        "hallucinations": table(loc),
        "omissions": table(om),
        "edits_saved": edits_saved_by_type(cases),
    }


def edits_saved_by_type(cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Corpus TER of drafts and of unreviewed captions, and edits saved, over the cases whose
    gold has an error of each type (hallucination types, and `omitted <type>`); a case with
    several types counts in each. `none` is the cases gold says are already right."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in cases:
        kinds = {h["type"] for h in c["gold_hallucinations"]}
        kinds |= {f"omitted {o['type']}" for o in c["gold_omissions"]}
        for k in kinds or {"none"}:
            groups.setdefault(k, []).append(c)
    out: dict[str, Any] = {}
    for k, group in sorted(groups.items()):
        edits = sum(c["stats"]["ter_edits"] for c in group)
        u_edits = sum(c["stats"].get("u_ter_edits", np.nan) for c in group)
        ref = sum(c["stats"]["ter_ref_len"] for c in group)
        out[k] = {
            "n_cases": len(group),
            "ter": 100 * edits / ref if ref else None,
            "ter_unreviewed": 100 * u_edits / ref if ref and u_edits == u_edits else None,
            "edits_saved": 1 - edits / u_edits if u_edits and u_edits == u_edits else None,
        }
    return out


def clip_seconds(clip: Clip | None) -> float:
    """A clip's length: its window, else the video's duration (0 when it cannot be read)."""
    if clip is None:
        return 0.0
    if clip.start_s is not None and clip.end_s is not None:
        return max(0.0, clip.end_s - clip.start_s)
    try:
        duration = probe(clip.video).duration
    except RecapError:
        return 0.0
    return max(0.0, duration - (clip.start_s or 0.0))


RC_ALPHAS = (0.05, 0.1)
RC_DELTA = 0.1


def risk_coverage_of(
    store: Store, gold: list[GoldCase], records: dict[str, DraftRecord]
) -> dict[str, Any]:
    """The risk–coverage curve of the run's drafted gold clips (`agent.routing`): each draft's
    confidence (as stored, else scored from the draft as `recap route` scores it) against
    whether it is wrong by the routing error rule on its gold labels; and the coverage the
    guarantee reaches at α = 0.05 and 0.1 with δ = 0.1 (0, with the reason, where the clips
    are too few or no threshold holds). Undrafted gold clips cannot be accepted: left out."""
    from agent.routing import Labelled, judge_gold, risk_coverage, score_drafts
    from agent.schema import GoldLabels

    drafted = [(g, records[g.clip_id]) for g in gold if g.clip_id in records]
    fresh = score_drafts(store, [r for _, r in drafted])
    items = []
    for g, r in drafted:
        labels = GoldLabels(
            caption=g.gold_caption, hallucinations=g.hallucinations, omissions=g.omissions
        )
        score = fresh[r.id].score if r.id in fresh else r.confidence_score
        wrong = judge_gold(r.caption, r.draft, labels).error
        items.append(Labelled(confidence=float(score or 0.0), error=wrong, clip_id=g.clip_id))
    curve = risk_coverage(items, alphas=RC_ALPHAS, delta=RC_DELTA)
    return curve.to_json() | {
        "coverage_at": {f"{a:g}": curve.coverage_at(a) for a in RC_ALPHAS},
    }


def score_run(
    store: Store,
    run: str,
    gold: list[GoldCase],
    judge: Judge,
    guidelines: Guidelines | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-case results and the summary (metrics, per-type tables, guideline scores under
    `guidelines`, default the one in force, and run facts), over the gold rows of the run's
    clips: a row whose clip is in the database but not covered by the run (another set) is
    left out and counted in `not_in_run`; a row the database lacks (refused at ingest) is
    scored as its unchanged caption, as an undrafted clip of the run is."""
    from agent.guidelines import active_guidelines

    guidelines = guidelines or active_guidelines()
    r = store.runs.require(run)
    records = {d.clip_id: d for d in store.runs.drafts(run)}
    ids = [g.clip_id for g in gold]
    covered = store.runs.covered(run, ids)
    stored = store.clips.existing(ids)
    outside = [c for c in ids if c in stored and c not in covered]
    left_out = set(outside)
    if gold and len(left_out) == len(gold):
        raise RecapError(
            f"None of the {len(gold)} gold rows is among the clips of run {run!r}: nothing "
            "to score.",
            hint="Score the run that drafted them (`recap eval run --gold FILE` drafts a gold "
            "set in its own run; `recap runs` lists each run's sets).",
        )
    cases = []
    for g in (g for g in gold if g.clip_id not in left_out):
        record = records.get(g.clip_id)
        seconds = clip_seconds(store.clips.get(g.clip_id)) if record else 0.0
        draft = record.draft if record else None
        cases.append(score_case(g, draft, judge, record, seconds, guidelines))
    full = {k: float(v[0]) for k, v in metrics_from(stat_matrix(cases)).items()}
    metrics = {k: (None if np.isnan(v) else v) for k, v in full.items()}
    summary = {
        "run": run,
        "n_cases": len(cases),
        "not_in_run": {"count": len(outside), "first": outside[:10]},
        "judge": judge.name,
        "judge_weak": judge.weak,
        "model": r.model,
        "drafter": r.drafter,
        "prompt": prompt_version(r.prompt_name, r.prompt_hash),
        "ter_unreviewed": metrics.get("ter_unreviewed"),
        "edits_saved": metrics.get("edits_saved"),
        "metrics": metrics,
        "per_type": per_type(cases),
        "guidelines": guideline_summary(cases, guidelines),
        "risk_coverage": risk_coverage_of(
            store, [g for g in gold if g.clip_id not in left_out], records
        ),
        "definitions": definitions(),
    }
    return cases, summary
