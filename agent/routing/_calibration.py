"""Choosing the confidence threshold above which drafts are accepted without a person, with a
finite-sample guarantee: among future clips at or above it, the share of wrong drafts is at most
α, with probability at least 1 − δ over the draw of the labelled clips.

Method: Learn then Test with fixed-sequence testing (Angelopoulos, Bates, Candès, Jordan, Lei,
arXiv 2110.01052; as used in "Trust or Escalate", Jung, Brahman, Choi, ICLR 2025). The candidate
thresholds are the distinct confidences of the labelled clips, from the most confident down,
skipping any with fewer than `min_n` clips at or above it (default 30). Walking down, each is
kept while the exact Clopper–Pearson upper bound at level 1 − δ on the error rate of the clips
at or above it is ≤ α (`agent.routing._bound`); the walk stops at the first that fails, and the
last kept is the threshold. Testing in a fixed order and stopping at the first failure needs no
multiple-testing correction, so the guarantee holds for the threshold chosen. None kept: accept
nothing.

Assumptions: the labelled clips and the clips routed are exchangeable (same kind of data, same
model, prompt, sampling and confidence formula), and "wrong" is counted by the same rule on both
(`agent.routing._correctness`). A new model, prompt, frame sampling or data source needs a new
calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import ConfigError, RecapError
from agent.routing._bound import check_levels, labels_needed
from agent.routing._confidence import CONFIDENCE_VERSION

MIN_N = 30


@dataclass(frozen=True, slots=True)
class Labelled:
    """A clip with a known answer: its draft's confidence and whether the draft was wrong."""

    confidence: float
    error: bool
    clip_id: str | None = None


class NotEnoughLabels(RecapError):
    """Too few labelled clips for any threshold to be tested at this α and δ."""

    def __init__(self, n: int, needed: int, alpha: float, delta: float, min_n: int) -> None:
        self.n, self.needed = n, needed
        zero = labels_needed(alpha, delta)
        super().__init__(
            f"{n} labelled clip{'s' * (n != 1)}: calibrating at alpha={alpha:g}, delta={delta:g} "
            f"needs at least {needed} (with no wrong draft, {zero} clips bound the error at "
            f"{alpha:g}; a threshold is tested only with {min_n} or more clips above it).",
            hint="Label more clips (a gold set, or review more of the run) and calibrate again.",
        )


class CurvePoint(BaseModel):
    """One threshold: the clips at or above it, their errors, coverage, error rate and bound."""

    model_config = ConfigDict(frozen=True)

    threshold: float
    accepted: int
    errors: int
    coverage: float
    error: float
    bound: float


class Policy(BaseModel):
    """A calibrated threshold and what backs it. Valid only for the model, prompt, sampling and
    confidence formula (`scorer`) it was calibrated on."""

    model_config = ConfigDict(frozen=True)

    threshold: float | None = Field(description="Accept drafts with confidence ≥ this; None: none.")
    alpha: float
    delta: float
    n: int = Field(description="Labelled clips calibrated on.")
    accepted: int = Field(default=0, description="Labelled clips at or above the threshold.")
    errors: int = Field(default=0, description="Wrong drafts among them.")
    error: float | None = Field(default=None, description="errors / accepted.")
    bound: float | None = Field(default=None, description="Upper bound at 1 − δ on the error.")
    coverage: float = Field(default=0.0, description="accepted / n.")
    min_n: int = MIN_N
    scorer: str = CONFIDENCE_VERSION
    reason: str | None = Field(default=None, description="Why nothing is accepted.")

    def accepts(self, confidence: float) -> bool:
        """Whether a draft with this confidence is accepted without a person."""
        return self.threshold is not None and confidence >= self.threshold

    def to_json(self) -> dict[str, Any]:
        """The figures `recap route calibrate --json` prints."""
        keys = ("threshold", "alpha", "delta", "n", "coverage", "error", "bound")
        return {k: getattr(self, k) for k in keys}


class Calibration(BaseModel):
    """The policy and the walk that chose it: each threshold tested, in order, and where it
    stopped (the first failure, None if none failed)."""

    policy: Policy
    tested: list[CurvePoint]
    stopped_at: CurvePoint | None = None


def check_labelled(items: Sequence[Labelled]) -> None:
    """Each item's confidence must be a number in [0, 1] and its error 0/1."""
    for i, it in enumerate(items):
        name = f"labelled clip {it.clip_id!r}" if it.clip_id else f"labelled item {i}"
        c = it.confidence
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c):
            raise ConfigError(f"The confidence of {name} is {c!r}, not a number.")
        if not 0.0 <= c <= 1.0:
            raise ConfigError(f"The confidence of {name} is {c}, outside [0, 1].")
        if it.error not in (0, 1, True, False):
            raise ConfigError(f"The error of {name} is {it.error!r}; it must be 0 or 1.")


def threshold_points(items: Sequence[Labelled], delta: float) -> list[CurvePoint]:
    """Every distinct confidence as a threshold, most confident first, with its figures."""
    if not items:
        return []
    import numpy as np
    from scipy.stats import beta

    conf = np.array([float(i.confidence) for i in items])
    err = np.array([bool(i.error) for i in items], dtype=np.int64)
    order = np.argsort(-conf, kind="stable")
    conf, err = conf[order], err[order]
    # the last position of each distinct value: clips at or above it
    last = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))
    m = last + 1
    k = np.cumsum(err)[last]
    with np.errstate(invalid="ignore"):
        u = np.where(k == m, 1.0, beta.ppf(1.0 - delta, k + 1, np.maximum(m - k, 1)))
    n = len(items)
    return [
        CurvePoint(
            threshold=float(conf[p]),
            accepted=int(mm),
            errors=int(kk),
            coverage=float(mm) / n,
            error=float(kk) / float(mm),
            bound=float(uu),
        )
        for p, mm, kk, uu in zip(last, m, k, u, strict=True)
    ]


def calibrate(
    items: Sequence[Labelled],
    alpha: float,
    delta: float,
    *,
    min_n: int = MIN_N,
    scorer: str = CONFIDENCE_VERSION,
) -> Calibration:
    """The threshold by fixed-sequence testing (see the module). Raises `NotEnoughLabels` when
    there are too few labelled clips for any threshold, and ConfigError on bad α, δ or items."""
    check_levels(alpha, delta)
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ConfigError(f"min_n must be a whole number of at least 1, got {min_n!r}.")
    check_labelled(items)
    n = len(items)
    needed = labels_needed(alpha, delta, min_n=min_n)
    assert needed is not None  # no errors: always reachable
    if n < needed:
        raise NotEnoughLabels(n, needed, alpha, delta, min_n)
    tested = [p for p in threshold_points(items, delta) if p.accepted >= min_n]
    kept: CurvePoint | None = None
    stopped: CurvePoint | None = None
    walked: list[CurvePoint] = []
    for p in tested:
        walked.append(p)
        if p.bound > alpha:
            stopped = p
            break
        kept = p
    common = {"alpha": alpha, "delta": delta, "n": n, "min_n": min_n, "scorer": scorer}
    if kept is None:
        first = walked[0]
        reason = (
            f"no threshold holds alpha={alpha:g}: the {first.accepted} most confident clips "
            f"(confidence ≥ {first.threshold:.4g}) have {first.errors} wrong "
            f"(error {first.error:.3f}, bound {first.bound:.3f} at delta={delta:g})"
        )
        return Calibration(
            policy=Policy(threshold=None, reason=reason, **common),
            tested=walked,
            stopped_at=stopped,
        )
    policy = Policy(
        threshold=kept.threshold,
        accepted=kept.accepted,
        errors=kept.errors,
        error=kept.error,
        bound=kept.bound,
        coverage=kept.coverage,
        **common,
    )
    return Calibration(policy=policy, tested=walked, stopped_at=stopped)
