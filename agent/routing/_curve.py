"""The risk–coverage curve of a set of labelled drafts: at each confidence threshold, the share of
clips accepted and the share of those that are wrong; and the coverage the guarantee reaches at
given α and δ (the threshold `calibrate` picks). For the eval harness's summary and plot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from agent.routing._bound import check_levels
from agent.routing._calibration import (
    MIN_N,
    CurvePoint,
    Labelled,
    NotEnoughLabels,
    Policy,
    calibrate,
    check_labelled,
    threshold_points,
)
from agent.routing._confidence import CONFIDENCE_VERSION


class RiskCoverage(BaseModel):
    """Every threshold's figures (most confident first) and the policy at each α asked for."""

    n: int
    delta: float
    points: list[CurvePoint]
    policies: list[Policy]

    def coverage_at(self, alpha: float) -> float:
        """Coverage the guarantee reaches at `alpha` (0 when no threshold holds it)."""
        for p in self.policies:
            if p.alpha == alpha:
                return p.coverage
        raise KeyError(
            f"alpha {alpha} was not computed; computed: {[p.alpha for p in self.policies]}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "delta": self.delta,
            "points": [p.model_dump() for p in self.points],
            "at": [p.to_json() | {"reason": p.reason} for p in self.policies],
        }


def risk_coverage(
    items: Sequence[Labelled],
    *,
    alphas: Sequence[float] = (0.05, 0.1),
    delta: float = 0.1,
    min_n: int = MIN_N,
    scorer: str = CONFIDENCE_VERSION,
) -> RiskCoverage:
    """The curve, and a policy per α: where the labels are too few, a policy that accepts
    nothing and says how many would be needed (the harness reports it instead of failing)."""
    for a in alphas:
        check_levels(a, delta)
    check_labelled(items)
    policies = []
    for a in alphas:
        try:
            policies.append(calibrate(items, a, delta, min_n=min_n, scorer=scorer).policy)
        except NotEnoughLabels as e:
            policies.append(
                Policy(
                    threshold=None,
                    alpha=a,
                    delta=delta,
                    n=len(items),
                    min_n=min_n,
                    scorer=scorer,
                    reason=e.message,
                )
            )
    return RiskCoverage(
        n=len(items), delta=delta, points=threshold_points(items, delta), policies=policies
    )
