"""Lint time per caption: the built-in guideline against a generated 200-rule guideline.

The 200-rule file has 60 preferred terms with 2 banned variants each (120), 60 banned phrases
in 3 groups, 20 RE2 patterns, and every other rule on (tense, voice, sentence limits, outcome,
arm names, spatial view, severity per rule). Each caption of the bundled sample
(evals/datasets/sample/manifest.jsonl: the captions and their gold captions) is linted:

- first: the first lint of that caption by a freshly loaded guideline (spelling corrections for
  its unknown words are computed then, and kept);
- repeat: the median of `--repeats` further lints of the same caption, which is what the
  review page does as a reviewer types (most words already seen).

Prints a Markdown table: median and 95th percentile over the captions, and the time to load
the guideline (parse, validate, build the rules, load the spell checker).

    python benchmarks/lint_speed.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.guidelines import Guidelines, inspect_guidelines

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "evals" / "datasets" / "sample" / "manifest.jsonl"
NOUNS = [
    "cube", "block", "puck", "disc", "mug", "cup", "drawer", "handle", "lever", "button",
    "peg", "bin", "box", "bowl", "plate", "spoon", "spatula", "faucet", "door", "window",
]  # fmt: skip


def big_guideline() -> str:
    """A guideline of 200 rule entries (terms' variants, phrases, patterns) plus every rule kind."""
    lines = ['name = "bench-200"', "", "[terms]"]
    for i in range(60):
        noun = NOUNS[i % len(NOUNS)]
        lines.append(f'"{noun} {i}" = ["{noun} variant{i}a", "old {noun} {i}"]')
    for g in range(3):
        lines += ["", f"[phrases.group{g}]", f'message = "{{text!r}} is banned (group {g})"']
        phrases = ", ".join(f'"banned phrase {g}-{k}"' for k in range(20))
        lines.append(f"phrases = [{phrases}]")
    patterns = ", ".join(f"'\\\\bpat{k}(?:ed|s)?\\\\b'" for k in range(20))
    lines += ["", "[phrases.patterns]", f"patterns = [{patterns}]"]
    lines += [
        "",
        "[voice]",
        'use = "active"',
        "",
        "[limits]",
        "max_words = 40",
        "max_sentences = 3",
        "max_sentence_words = 25",
        "",
        "[require]",
        "outcome = true",
        "arm_name = true",
        "",
        "[spatial]",
        'view = "camera"',
        "",
        "[severity]",
        'spatial = "warning"',
        'term = "error"',
    ]
    return "\n".join(lines) + "\n"


def captions() -> list[str]:
    out = []
    for line in SAMPLE.read_text().splitlines():
        row = json.loads(line)
        out += [row["caption"], row.get("gold_caption") or ""]
    return [c for c in out if c]


def measure(load: Callable[[], Guidelines], texts: list[str], repeats: int) -> dict[str, float]:
    t0 = time.perf_counter()
    g: Guidelines = load()
    g.lint("The robot arm grasps the cube.")  # loads the spell checker
    load_s = time.perf_counter() - t0
    first, repeat = [], []
    for text in texts:
        t = time.perf_counter()
        g.lint(text)
        first.append(time.perf_counter() - t)
        runs = []
        for _ in range(repeats):
            t = time.perf_counter()
            g.lint(text)
            runs.append(time.perf_counter() - t)
        repeat.append(statistics.median(runs))

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20)[-1]

    return {
        "rules": len(g.rules),
        "load_ms": load_s * 1000,
        "first_median": statistics.median(first) * 1000,
        "first_p95": p95(first) * 1000,
        "repeat_median": statistics.median(repeat) * 1000,
        "repeat_p95": p95(repeat) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    texts = captions()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-200.toml"
        path.write_text(big_guideline())
        big = _fresh(path)
        entries = sum(len(v) for v in big.terms.values()) + sum(
            len(big.data["phrases"][name].get(key, []))
            for name in ("group0", "group1", "group2", "patterns")
            for key in ("phrases", "patterns")
        )
        builtin = measure(lambda: _fresh(None), texts, args.repeats)
        generated = measure(lambda: _fresh(path), texts, args.repeats)
    rows = [
        ("built-in (prompts/guidelines.toml)", builtin),
        (f"generated: {entries} rule entries", generated),
    ]
    print(
        f"{len(texts)} captions (bundled sample: captions and gold captions), "
        f"{args.repeats} repeats each\n"
    )
    print("| guideline | rule kinds on | load | first lint, median | p95 | repeat, median | p95 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(
            f"| {name} | {r['rules']} | {r['load_ms']:.0f} ms | {r['first_median']:.2f} ms | "
            f"{r['first_p95']:.2f} ms | {r['repeat_median']:.3f} ms | {r['repeat_p95']:.3f} ms |"
        )


def _fresh(path: Path | None) -> Guidelines:
    """Load the file as new (the loader caches by path and modification time)."""
    g, problems = inspect_guidelines(path)
    if g is None:
        raise SystemExit("\n".join(map(str, problems)))
    return g


if __name__ == "__main__":
    main()
