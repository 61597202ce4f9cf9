"""How long `recap` takes to start: whole-process wall time, median of N runs per command.

Each run is a fresh `python -m recap ...` (what the `recap` script runs), so interpreter start,
imports and typer's help rendering are all counted. The light real command is `recap prompts`
(lists the built-in prompt versions: reads and hashes the templates, no database, no model).
`--before DIR` times the same commands on another checkout (e.g. a `git worktree` of an older
commit) with the same interpreter, for a before/after table. Prints a Markdown table.

    python benchmarks/startup.py [--runs 10] [--before /tmp/recap-old]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (["--help"], ["draft", "--help"], ["prompts"])


def timed(args: list[str], src: Path, runs: int) -> list[float]:
    """Wall seconds of `runs` fresh processes running `recap ARGS` from the checkout `src`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAP_", "OPENAI_"))}
    env["PYTHONPATH"] = str(src)  # ahead of the editable install's finder
    times = []
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(runs + 1):  # the first run warms the file cache and is dropped
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "recap", *args],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )
            times.append(time.perf_counter() - t0)
    return times[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--before", type=Path, help="another checkout to time the same way")
    a = ap.parse_args()
    header = "| command | median | min | max |"
    rule = "|---|---:|---:|---:|"
    if a.before:
        header += " before (median) | speed-up |"
        rule += "---:|---:|"
    print(header)
    print(rule)
    for args in COMMANDS:
        now = timed(args, ROOT, a.runs)
        row = (
            f"| `recap {' '.join(args)}` | {statistics.median(now):.2f} s | {min(now):.2f} s "
            f"| {max(now):.2f} s |"
        )
        if a.before:
            then = statistics.median(timed(args, a.before, a.runs))
            row += f" {then:.2f} s | {then / statistics.median(now):.1f}x |"
        print(row, flush=True)
    print(f"\n{a.runs} runs each, after one warm-up run; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
