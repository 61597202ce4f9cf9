"""Run against run: paired deltas on the clips both scored, bootstrap intervals, and the
bounds that fail a prompt change."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.errors import RecapError
from evals.bootstrap import bootstrap_delta
from evals.metrics import higher_is_better, stat_matrix
from evals.reports import load_run


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
