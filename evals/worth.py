"""What the drafts are worth to the people who review them: the control arm's report and the
run's cost.

A share of clips is reviewed without the draft (the control arm: the box holds the original
caption and no findings are shown). Comparing the two arms on the same run tells whether
reviewers with a draft are faster and closer to gold than without one. Each figure comes with
the number of clips behind it and a bootstrap 95% interval (clips resampled within each arm).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sacrebleu.metrics import TER

from agent.decisions import FINAL, Arm, arm_of
from agent.store import Store
from evals.scoring import clip_seconds

_TER = TER()


@dataclass(frozen=True)
class Estimate:
    """A mean (or corpus ratio) with its bootstrap 95% interval and the clips behind it."""

    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass
class ArmFigures:
    arm: Arm
    clips: int = 0
    seconds: Estimate = field(default_factory=lambda: Estimate(None, None, None, 0))
    edit_distance: Estimate = field(default_factory=lambda: Estimate(None, None, None, 0))
    ter_vs_gold: Estimate = field(default_factory=lambda: Estimate(None, None, None, 0))


@dataclass
class RunCost:
    drafted: int
    cost_usd: float | None
    video_hours: float
    prompt_tokens: int
    completion_tokens: int

    @property
    def per_clip(self) -> float | None:
        return self.cost_usd / self.drafted if self.cost_usd is not None and self.drafted else None

    @property
    def per_video_hour(self) -> float | None:
        if self.cost_usd is None or not self.video_hours:
            return None
        return self.cost_usd / self.video_hours


@dataclass
class WorthReport:
    run: str
    arms: dict[Arm, ArmFigures]
    cost: RunCost


def _bootstrap(
    values: np.ndarray,
    stat: Callable[[np.ndarray], float],
    n_boot: int,
    rng: np.random.Generator,
) -> Estimate:
    n = len(values)
    if n == 0:
        return Estimate(None, None, None, 0)
    point = float(stat(values))
    idx = rng.integers(0, n, size=(n_boot, n))
    reps = np.array([stat(values[i]) for i in idx])
    reps = reps[~np.isnan(reps)]
    if reps.size == 0:
        return Estimate(point, None, None, n)
    return Estimate(point, float(np.percentile(reps, 2.5)), float(np.percentile(reps, 97.5)), n)


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x))


def _corpus_ter(x: np.ndarray) -> float:
    ref = x[:, 1].sum()
    return float(100 * x[:, 0].sum() / ref) if ref else float("nan")


def worth(store: Store, run: str, *, n_boot: int = 1000, seed: int = 0) -> WorthReport:
    """Both arms' figures for the decisions in force in `run`, and what drafting it cost."""
    store.runs.require(run)
    rng = np.random.default_rng(seed)
    clip_of = functools.cache(store.clips.get)  # each clip read once, for its gold and its length
    decided = [
        r
        for r in store.reviews.in_force_by_clip().values()
        if r.run == run and r.decision in FINAL and r.final_caption
    ]
    arms: dict[Arm, ArmFigures] = {}
    for arm in Arm:
        rows = [r for r in decided if arm_of(r.arm) == arm]
        figures = ArmFigures(arm, clips=len(rows))
        seconds = np.array([r.seconds for r in rows if r.seconds is not None], dtype=float)
        dist = np.array([r.edit_distance for r in rows if r.edit_distance is not None], float)
        ter_rows = []
        for r in rows:
            clip = clip_of(r.clip_id)
            gold = clip.gold_caption if clip is not None else None
            if gold:
                score = _TER.sentence_score(r.final_caption or "", [gold])
                ter_rows.append((score.num_edits, score.ref_length))
        figures.seconds = _bootstrap(seconds, _mean, n_boot, rng)
        figures.edit_distance = _bootstrap(dist, _mean, n_boot, rng)
        figures.ter_vs_gold = _bootstrap(
            np.array(ter_rows, dtype=float).reshape(-1, 2), _corpus_ter, n_boot, rng
        )
        arms[arm] = figures
    records = store.runs.drafts(run)
    costs = [r.cost_usd for r in records if r.cost_usd is not None]
    cost = RunCost(
        drafted=len(records),
        cost_usd=sum(costs) if costs else None,
        video_hours=sum(clip_seconds(clip_of(r.clip_id)) for r in records) / 3600,
        prompt_tokens=sum(r.prompt_tokens for r in records),
        completion_tokens=sum(r.completion_tokens for r in records),
    )
    return WorthReport(run, arms, cost)
