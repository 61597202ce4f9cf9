"""Seconds to score 10,000 cases with the offline metrics (lexical judge), on this machine.

Builds synthetic gold cases and drafts (captions with injected colour, side and step errors),
then times per-case scoring (TER, BLEU, chrF, ROUGE-L, span matching, omission matching and
claim support with the lexical judge), the corpus metrics and a 1,000-resample paired
bootstrap against a second run.

    python benchmarks/eval_scoring.py [--cases 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.schema import Draft, HallucinationLabel, OmissionLabel
from evals.bootstrap import bootstrap_delta
from evals.gold import GoldCase
from evals.judges import LexicalJudge
from evals.metrics import metrics_from, stat_matrix
from evals.scoring import score_case

COLOURS = ["red", "blue", "green", "yellow"]
OBJECTS = ["cube", "puck", "cup", "block"]
SIDES = ["left", "right"]


def make_case(i: int, rng: random.Random) -> tuple[GoldCase, Draft]:
    c, o, s = rng.choice(COLOURS), rng.choice(OBJECTS), rng.choice(SIDES)
    wrong_c = rng.choice([x for x in COLOURS if x != c])
    wrong_s = "left" if s == "right" else "right"
    gold = (
        f"The robot reaches for the {c} {o}, grasps it, lifts it and places it on the "
        f"{s} side of the table."
    )
    caption = gold.replace(f"the {c} {o}", f"the {wrong_c} {o}").replace(
        f"the {s} side", f"the {wrong_s} side"
    )
    halls = [
        HallucinationLabel(span=wrong_c, type="attribute"),
        HallucinationLabel(span=wrong_s, type="direction_or_spatial"),
    ]
    case = GoldCase(
        f"c{i}",
        caption,
        gold,
        halls,
        [OmissionLabel(description="the gripper opens to release it", type="step")],
    )
    rewrite = gold if rng.random() < 0.7 else caption.replace(wrong_c, c)
    draft = Draft.model_validate(
        {
            "rewrite": rewrite,
            "verdict": "needs_edit",
            "hallucinations": [{"span": wrong_c, "type": "attribute", "explanation": "colour"}]
            + (
                [{"span": wrong_s, "type": "direction_or_spatial", "explanation": "side"}]
                if rng.random() < 0.8
                else []
            ),
            "omissions": [{"description": "gripper opens and releases the object", "type": "step"}],
        }
    )
    return case, draft


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    n = ap.parse_args().cases
    rng = random.Random(0)
    data = [make_case(i, rng) for i in range(n)]
    judge = LexicalJudge()
    t0 = time.perf_counter()
    cases = [score_case(g, d, judge) for g, d in data]
    t1 = time.perf_counter()
    matrix = stat_matrix(cases)
    metrics = metrics_from(matrix)
    t2 = time.perf_counter()
    other = matrix.copy()
    bootstrap_delta(matrix, other, n_boot=1000)
    t3 = time.perf_counter()
    print(f"{n} cases, offline metrics, lexical judge\n")
    print("| step | seconds |")
    print("|---|---:|")
    print(
        f"| per-case scoring (TER, BLEU, chrF, ROUGE-L, spans, omissions, claims) | {t1 - t0:.1f} |"
    )
    print(f"| corpus metrics | {t2 - t1:.2f} |")
    print(f"| paired bootstrap, 1,000 resamples | {t3 - t2:.1f} |")
    print(f"| total | {t3 - t0:.1f} |")
    print(f"\n(TER {metrics['ter'][0]:.1f}, span F1 {metrics['span_f1'][0]:.3f})")


if __name__ == "__main__":
    main()
