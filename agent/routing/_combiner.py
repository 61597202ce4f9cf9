"""A fitted alternative to the product formula: logistic regression (scikit-learn) from a
draft's confidence parts to the chance it is right, fitted on labelled clips.

Features: agreement, telemetry agreement, the number of unchecked claims, stated confidence and
token probability, each missing part set to 1 with a 0/1 column saying it was missing. The
fitted weights are kept as plain numbers, so applying a combiner needs no scikit-learn.

Fit it on labelled clips that are not the ones the threshold is calibrated on: calibrating on
the clips the scores were fitted to would make them look better than they are, and the
guarantee would no longer hold.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from agent.errors import ConfigError
from agent.routing._confidence import ConfidenceParts

FEATURES = (
    "agreement",
    "telemetry",
    "unchecked",
    "stated",
    "token_prob",
    "no_agreement",
    "no_telemetry",
    "no_stated",
    "no_token_prob",
)


def features(parts: ConfidenceParts) -> list[float]:
    """The feature row of one draft, in `FEATURES` order."""
    opt = (parts.agreement, parts.telemetry, parts.stated, parts.token_prob)
    a, t, s, p = (1.0 if v is None else float(v) for v in opt)
    missing = [float(v is None) for v in opt]
    return [a, t, float(len(parts.unchecked)), s, p, *missing]


class Combiner(BaseModel):
    """Fitted weights: P(right) = 1 / (1 + exp(−(w·x + b)))."""

    model_config = ConfigDict(frozen=True)

    weights: list[float]
    intercept: float

    @property
    def version(self) -> str:
        """Names the fitted weights, so a policy records which scores it holds for."""
        blob = json.dumps([self.weights, self.intercept]).encode()
        return "logistic-" + hashlib.sha256(blob).hexdigest()[:12]

    def score(self, parts: ConfidenceParts) -> float:
        z = self.intercept + sum(w * x for w, x in zip(self.weights, features(parts), strict=True))
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def fit_combiner(
    parts: Sequence[ConfidenceParts], errors: Sequence[bool], *, c: float = 1.0
) -> Combiner:
    """Fit on labelled drafts (`errors[i]`: draft i was wrong). Needs both right and wrong ones
    and scikit-learn (`pip install "recap-agent[team]"`)."""
    if len(parts) != len(errors):
        raise ConfigError(f"{len(parts)} drafts but {len(errors)} labels.")
    right = [not bool(e) for e in errors]
    if len(set(right)) < 2:
        raise ConfigError(
            "Fitting a combiner needs both right and wrong drafts among the labelled clips; "
            f"all {len(right)} are {'right' if right and right[0] else 'wrong'}."
        )
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as e:  # pragma: no cover - scikit-learn is in the team and dev extras
        raise ConfigError(
            "Fitting a combiner needs scikit-learn.", hint='pip install "recap-agent[team]"'
        ) from e
    x = [features(p) for p in parts]
    model = LogisticRegression(C=c, max_iter=1000).fit(x, right)
    return Combiner(
        weights=[float(w) for w in model.coef_[0]], intercept=float(model.intercept_[0])
    )
