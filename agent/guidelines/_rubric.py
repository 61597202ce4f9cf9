"""A team's rubric: the dimensions a reviewer or lead scores a caption on (e.g. accuracy,
completeness, language), each on the same integer scale, with what each score means.

Optional per guideline; the page and `recap team` read it from `Guidelines.rubric`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RubricDimension:
    name: str
    description: str
    levels: dict[int, str] = field(default_factory=dict)  # score -> what it means (optional)


@dataclass(frozen=True)
class Rubric:
    low: int
    high: int
    dimensions: tuple[RubricDimension, ...]

    @property
    def scale(self) -> range:
        return range(self.low, self.high + 1)

    def dimension(self, name: str) -> RubricDimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def problems(self, scores: Mapping[str, int]) -> list[str]:
        """Why a set of scores does not fit the rubric (unknown dimension, off the scale, not
        an integer); empty when it fits. A dimension may be left unscored."""
        out = []
        for name, score in scores.items():
            if self.dimension(name) is None:
                known = ", ".join(d.name for d in self.dimensions)
                out.append(f"unknown rubric dimension {name!r} (the rubric has {known})")
            elif isinstance(score, bool) or not isinstance(score, int):
                out.append(f"{name}: score {score!r} is not a whole number")
            elif score not in self.scale:
                out.append(f"{name}: score {score} is outside {self.low}-{self.high}")
        return out
