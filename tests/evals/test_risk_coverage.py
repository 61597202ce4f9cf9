"""The eval summary's risk–coverage curve: each drafted gold clip's confidence against whether
its draft is wrong by the routing error rule, and the coverage the guarantee reaches at
α = 0.05 and 0.1 with δ = 0.1."""

from __future__ import annotations

import pytest

from evals.gold import GoldCase
from evals.judges import LexicalJudge
from evals.scoring import score_run
from tests.agent.routing.test_route_cli import GOLD, SURE, build, caption


def test_the_summary_holds_the_curve_and_the_coverage_at_each_alpha(tmp_path) -> None:
    store = build(f"sqlite:///{tmp_path / 'r.db'}")
    gold = [
        GoldCase(
            clip_id=c,
            caption=caption(c),
            gold_caption=caption(c) if caption(c) == SURE else "The robot picks a cube.",
            hallucinations=[],
            omissions=[],
        )
        for c in GOLD
    ]
    _, summary = score_run(store, "r1", gold, LexicalJudge())
    rc = summary["risk_coverage"]
    assert (rc["n"], rc["delta"]) == (40, 0.1)
    # two distinct confidences: 1.0 (32 right drafts), then 0.729 (8 wrong ones as well)
    assert [(p["threshold"], p["accepted"], p["errors"]) for p in rc["points"]] == [
        (1.0, 32, 0),
        (pytest.approx(0.729), 40, 8),
    ]
    assert rc["points"][0]["bound"] == pytest.approx(1 - 0.1 ** (1 / 32))  # 0.069
    # at α = 0.1 the 32 confident drafts are certified (bound 0.069); at α = 0.05 40 labelled
    # clips are too few for any threshold (45 are needed with no error)
    assert rc["coverage_at"] == {"0.05": 0.0, "0.1": 0.8}
    at = {p["alpha"]: p for p in rc["at"]}
    assert at[0.1]["threshold"] == 1.0 and at[0.05]["threshold"] is None
    assert "needs at least 45" in at[0.05]["reason"]
