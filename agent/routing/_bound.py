"""The exact binomial bound every routing figure rests on, and how many labels it needs.

Method: the one-sided Clopper–Pearson upper confidence bound on a binomial proportion. With `k`
wrong drafts among `m` clips, the bound at level 1 − δ is the error rate r at which seeing `k`
or fewer errors has probability δ (`binom.cdf(k, m, r) = δ`), which is the (1 − δ) quantile of
Beta(k + 1, m − k); it is 1 when every clip is wrong. It is exact (no normal approximation), so
it holds for small m and for error rates near 0, where a Wald interval would claim far too much.
Assumption: the m clips are exchangeable with the clips the bound is applied to.
"""

from __future__ import annotations

import math

from agent.errors import ConfigError


def check_levels(alpha: float, delta: float) -> None:
    """α (the error rate to hold) and δ (the chance the guarantee fails) must lie in (0, 1)."""
    for name, value in (("alpha", alpha), ("delta", delta)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{name} must be a number between 0 and 1, got {value!r}.")
        if not (0.0 < float(value) < 1.0) or math.isnan(value):
            raise ConfigError(
                f"{name} must lie strictly between 0 and 1, got {value}.",
                hint="For example --alpha 0.1 --delta 0.1: at most 10% wrong, with 90% confidence.",
            )


def upper_bound(errors: int, n: int, delta: float) -> float:
    """Exact (Clopper–Pearson) upper bound at level 1 − δ on the error rate behind `errors`
    wrong drafts among `n`. With no clips it is 1: nothing is known."""
    if n < 0 or errors < 0 or errors > n:
        raise ValueError(f"need 0 <= errors <= n, got errors={errors}, n={n}")
    if not 0.0 < delta < 1.0:
        raise ConfigError(f"delta must lie strictly between 0 and 1, got {delta}.")
    if errors == n:
        return 1.0
    from scipy.stats import beta

    return float(beta.ppf(1.0 - delta, errors + 1, n - errors))


def labels_needed(
    alpha: float, delta: float, *, error_rate: float = 0.0, min_n: int = 1
) -> int | None:
    """The fewest labelled clips (at least `min_n`) whose bound can reach α when a share
    `error_rate` of them is wrong (errors = ⌈error_rate·m⌉); None when no number can (the
    error rate is α or more).

    With no errors this is the smallest m with 1 − δ^(1/m) ≤ α, i.e. m ≥ ln δ / ln(1 − α):
    22 at α = δ = 0.1."""
    check_levels(alpha, delta)
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError(f"error_rate must lie in [0, 1], got {error_rate}")
    if error_rate >= alpha:
        return None
    first = max(int(min_n), 1, math.ceil(math.log(delta) / math.log1p(-alpha) - 1e-9))
    if error_rate == 0.0:
        return first
    import numpy as np
    from scipy.stats import beta

    start, size = first, 4096
    while start < 10**8:
        m = np.arange(start, start + size)
        k = np.ceil(error_rate * m - 1e-9)
        ok = np.flatnonzero(beta.ppf(1.0 - delta, k + 1, m - k) <= alpha)
        if ok.size:
            return int(m[ok[0]])
        start, size = start + size, size * 2
    return None
