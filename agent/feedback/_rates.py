"""The report's figures: how often captions carry each kind of error, overall and per cell of a
breakdown, each with the clips behind it and a 95% interval.

Two figures per kind of error, over n captions:
- the **share** of captions with at least one such error (k of n), with the Wilson score
  interval (scipy's `binomtest(k, n).proportion_ci(method="wilson")`): a caption either has
  the error or not; Wilson stays inside 0..1 and keeps its coverage at small n and at 0 or n;
- the **rate per caption** (errors / n; a caption can carry two errors of one type), with the
  exact Poisson interval for the count (Garwood's, from scipy's chi-squared quantiles)
  divided by n.
A difference between two groups of captions (a cell against the other captions, one set against
another) is the difference of shares with Newcombe's hybrid score interval (his method 10),
built from the two Wilson intervals; it is "beyond chance" when that interval excludes 0. The
captions are assumed independent (one caption per clip); no correction is made for the number
of cells compared, so a breakdown's "beyond chance" cells are leads to check, not findings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent.feedback._findings import UNLABELLED, ClipErrors, figure_names

ANY = "any"  # the figure "at least one error (a finding, or an edit with none)"
LEVEL = 0.95
METHOD = (
    "share of captions with at least one error: Wilson score 95% interval (scipy binomtest); "
    "errors per caption: exact Poisson (Garwood) 95% interval (scipy chi2); differences: "
    "Newcombe's hybrid score interval from the two Wilson intervals; captions independent, "
    "no correction for multiple comparisons"
)


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score 95% interval of k successes in n (scipy)."""
    from scipy.stats import binomtest

    if n == 0:
        return (0.0, 1.0)
    ci = binomtest(k, n).proportion_ci(confidence_level=LEVEL, method="wilson")
    return (float(ci.low), float(ci.high))


def poisson(count: int, n: int) -> tuple[float, float]:
    """The exact (Garwood) 95% interval of a count over n, per unit (scipy's chi-squared)."""
    from scipy.stats import chi2

    if n == 0:
        return (0.0, math.inf)
    alpha = 1 - LEVEL
    low = 0.0 if count == 0 else float(chi2.ppf(alpha / 2, 2 * count)) / 2
    high = float(chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
    return (low / n, high / n)


@dataclass(frozen=True)
class Rate:
    """One kind of error over n captions."""

    name: str  # "any", "edited_unlabelled" or "hallucination:TYPE" / "omission:TYPE"
    n: int
    captions: int  # captions with at least one
    errors: int  # errors counted (>= captions)
    share_ci: tuple[float, float]
    rate_ci: tuple[float, float]

    @property
    def share(self) -> float:
        return self.captions / self.n if self.n else 0.0

    @property
    def rate(self) -> float:
        return self.errors / self.n if self.n else 0.0


def count(clips: Sequence[ClipErrors], name: str) -> tuple[int, int]:
    """(captions with at least one, errors) of one figure."""
    if name == ANY:
        k = sum(c.has_error for c in clips)
        return k, k
    per = [c.count(name) for c in clips]
    return sum(1 for x in per if x), sum(per)


def rate(clips: Sequence[ClipErrors], name: str) -> Rate:
    k, e = count(clips, name)
    n = len(clips)
    return Rate(name, n, k, e, wilson(k, n), poisson(e, n))


def profile(clips: Sequence[ClipErrors]) -> list[Rate]:
    """Every figure over the clips: any error, each hallucination and omission type (in the
    contract's order, all of them, zeros included), then edited-unlabelled."""
    return [rate(clips, name) for name in (ANY, *figure_names(), UNLABELLED)]


@dataclass(frozen=True)
class Difference:
    """Share in one group minus share in another, with Newcombe's 95% interval."""

    a: Rate
    b: Rate
    low: float
    high: float

    @property
    def delta(self) -> float:
        return self.a.share - self.b.share

    @property
    def beyond_chance(self) -> bool:
        return self.low > 0 or self.high < 0


def difference(a: Rate, b: Rate) -> Difference:
    """Newcombe (1998) method 10: from each share's Wilson interval (l, u), the difference
    d = p1 - p2 has the interval d - sqrt((p1-l1)^2 + (u2-p2)^2) .. d + sqrt((u1-p1)^2 +
    (p2-l2)^2)."""
    p1, p2 = a.share, b.share
    (l1, u1), (l2, u2) = a.share_ci, b.share_ci
    d = p1 - p2
    return Difference(a, b, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2))


@dataclass(frozen=True)
class Cell:
    """One value of one breakdown (task = push) against the other captions, for one figure."""

    facet: str  # task, robot type, set, episode, meta.KEY
    value: str
    diff: Difference  # the cell's share minus the other captions' share

    @property
    def rate(self) -> Rate:
        return self.diff.a


Facet = Callable[[ClipErrors], Sequence[str]]


def facet_values(facet: str) -> Facet:
    """What a clip is under one breakdown (a clip in two sets is in both cells)."""
    if facet == "task":
        return lambda c: [c.task] if c.task else []
    if facet == "robot type":
        return lambda c: [c.robot] if c.robot else []
    if facet == "set":
        return lambda c: list(c.sets)
    if facet == "episode":
        return lambda c: [c.outcome] if c.outcome else []
    if facet.startswith("meta."):
        key = facet.removeprefix("meta.")
        return lambda c: [c.meta[key]] if key in c.meta else []
    raise ValueError(f"unknown facet {facet!r}")


def breakdown(
    clips: Sequence[ClipErrors], facets: Sequence[str], names: Sequence[str]
) -> list[Cell]:
    """Every cell of every breakdown for every figure in `names`, against the captions outside
    the cell (among those the breakdown has a value for), those that differ most first: beyond
    chance before the rest, then by the size of the difference. Of a breakdown with two values
    (success, failure) only the cell with the larger share is kept: the other mirrors it."""
    cells: list[Cell] = []
    for facet in facets:
        values_of = facet_values(facet)
        values = {c.clip_id: values_of(c) for c in clips}
        known = [c for c in clips if values[c.clip_id]]
        distinct = sorted({v for vs in values.values() for v in vs})
        if len(distinct) < 2:
            continue  # one value: nothing to compare it with
        for value in distinct:
            inside = [c for c in known if value in values[c.clip_id]]
            outside = [c for c in known if value not in values[c.clip_id]]
            if not outside:
                continue  # every clip is in it (a clip can be in several sets)
            for name in names:
                a, b = rate(inside, name), rate(outside, name)
                if a.captions == 0 and b.captions == 0:
                    continue
                if len(distinct) == 2 and a.share < b.share:
                    continue  # two values: the other cell says the same, the other way round
                cells.append(Cell(facet, value, difference(a, b)))
    cells.sort(key=lambda c: (not c.diff.beyond_chance, -abs(c.diff.delta), c.facet, c.value))
    return cells
