"""Run against run: paired deltas on the clips both scored, bootstrap intervals, and the
bounds that fail a prompt change.

Besides the per-case metrics, a bound can name `coverage@ALPHA`: the share of gold clips the
auto-acceptance guarantee reaches at that α (δ = 0.1), from each run's own `summary.json`
(`risk_coverage.coverage_at`, computed at α = 0.05 and 0.1). It is a figure of each run as a
whole (its threshold is calibrated on all its drafted gold clips), so it has no paired
interval; `--fail-if-worse coverage@0.1:0.05` fails when it drops by more than 0.05."""

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


COVERAGE = "coverage@"  # coverage the guarantee reaches at α, from each run's summary


def better_when_higher(name: str) -> bool:
    """Whether a higher value of `name` is better (coverage at α: yes)."""
    return True if name.startswith(COVERAGE) else higher_is_better(name)


def _coverage_name(spec: str, name: str) -> str:
    alpha = name.removeprefix(COVERAGE)
    try:
        value = float(alpha)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise RecapError(
            f"--fail-if-worse {spec!r}: {alpha!r} is no α strictly between 0 and 1.",
            hint="For example --fail-if-worse coverage@0.1:0.05 (coverage at α = 0.1 may drop "
            "by 0.05 at most).",
        )
    return f"{COVERAGE}{value:g}"


def coverage_of(summary: dict[str, Any], name: str) -> float:
    """The coverage a run's summary records at the α of `name` (`coverage@ALPHA`)."""
    alpha = name.removeprefix(COVERAGE)
    at = (summary.get("risk_coverage") or {}).get("coverage_at") or {}
    if alpha not in at:
        raise RecapError(
            f"Run {summary.get('run')!r} has no coverage at alpha = {alpha} in its summary.json"
            + (f" (it has alpha = {', '.join(at)})." if at else "."),
            hint="`recap eval run` records it at alpha = 0.05 and 0.1; score the run again "
            "(`recap eval score`) if it was made before, or gate on one of those.",
        )
    return float(at[alpha])


def parse_bounds(specs: list[str]) -> dict[str, float]:
    bounds = {}
    for spec in specs:
        name, _, delta = spec.partition(":")
        if not delta:
            raise RecapError(
                f"--fail-if-worse {spec!r} must be METRIC:DELTA, e.g. ter:0.5 or coverage@0.1:0.05"
            )
        if name.startswith(COVERAGE):
            name = _coverage_name(spec, name)
        else:
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
    rc_a = (sum_a.get("risk_coverage") or {}).get("coverage_at") or {}
    rc_b = (sum_b.get("risk_coverage") or {}).get("coverage_at") or {}
    shown = [f"{COVERAGE}{a}" for a in rc_a if a in rc_b]
    for name in [*shown, *(n for n in bounds or {} if n.startswith(COVERAGE) and n not in shown)]:
        va, vb = coverage_of(sum_a, name), coverage_of(sum_b, name)
        comp.deltas[name] = (vb - va, float("nan"), float("nan"))
        comp.values_a[name], comp.values_b[name] = va, vb
    for name, bound in (bounds or {}).items():
        d = comp.deltas[name][0]
        if name.startswith(COVERAGE):
            if -d > bound:
                comp.failures.append(
                    f"{name} (the share of gold clips auto-accepted with the guarantee at "
                    f"alpha = {name.removeprefix(COVERAGE)}, delta = 0.1) dropped by {-d:.4g}, "
                    f"from {comp.values_a[name]:.3f} to {comp.values_b[name]:.3f} "
                    f"(allowed {bound:g})"
                )
            continue
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
