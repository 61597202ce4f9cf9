"""Manifest ingest at dataset scale: rows per second and peak memory, first ingest and re-ingest.

Writes a JSONL manifest of synthetic rows (one shared video; each row with a caption, gold
caption, inline telemetry of 20 steps and a meta object, about 1 KB), then runs `recap
ingest` on it twice in a fresh process each time (so peak memory is that run's alone): the
first ingest adds every row, the second finds every row unchanged. Prints a markdown table
with wall-clock and CPU seconds (on a shared machine the two differ: CPU is what the code
costs, wall what a user waits).

    python benchmarks/ingest.py [--rows 1000000] [--db URL] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from agent.data import ingest
from agent.store import Store
t0, c0 = time.perf_counter(), time.process_time()
report = ingest(Store({db!r}), {manifest!r})
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"elapsed": elapsed, "cpu": cpu, "peak_mib": peak_mib, "added": report.added,
    "updated": report.updated, "unchanged": report.unchanged,
    "skipped": len(report.skipped), "dropped": len(report.dropped)}}))
"""


def row(i: int) -> dict:
    steps = 20
    return {
        "id": f"ep-{i:07d}",
        "video": "clip.mp4",
        "caption": f"The robot picks up the red cube number {i} and places it on the left.",
        "gold_caption": f"The robot picks up the blue cube number {i} and places it on the left.",
        "gold_hallucinations": [{"span": "red cube", "type": "attribute"}],
        "telemetry": {
            "t": [round(k * 0.25, 2) for k in range(steps)],
            "gripper": [1.0 if k < 8 else 0.1 for k in range(steps)],
            "ee_pos": [[0.1, 0.2 + k * 0.01, 0.3] for k in range(steps)],
            "success": i % 3 != 0,
        },
        "meta": {"task": "pick-place", "seed": i, "operator": "bench"},
    }


def write_manifest(folder: Path, rows: int) -> Path:
    (folder / "clip.mp4").write_bytes(b"stand-in video: ingest checks only that it is a file")
    path = folder / "manifest.jsonl"
    with path.open("w") as fh:
        for i in range(rows):
            fh.write(json.dumps(row(i)) + "\n")
    return path


def run_child(manifest: Path, db: str) -> dict:
    code = CHILD.format(root=str(ROOT), db=db, manifest=str(manifest))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    ap.add_argument("--keep", type=Path, help="build the manifest and database here, and keep")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="recap-bench-ingest-"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    manifest = write_manifest(folder, args.rows)
    size_mib = manifest.stat().st_size / 2**20
    print(
        f"manifest: {args.rows:,} rows, {size_mib:,.0f} MiB, written in "
        f"{time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )
    db = args.db or f"sqlite:///{folder / 'bench.db'}"
    first = run_child(manifest, db)
    print(f"ingest: {first}", file=sys.stderr)
    again = run_child(manifest, db)
    print(f"re-ingest: {again}", file=sys.stderr)
    assert first["added"] == args.rows and again["unchanged"] == args.rows, (first, again)
    backend = db.split(":", 1)[0].split("+")[0]
    print(
        f"\n{args.rows:,}-row JSONL manifest ({size_mib:,.0f} MiB, telemetry inline), "
        f"{backend}, chunks of 1,000 rows\n"
    )
    print("| run | rows | seconds | rows per second | CPU seconds | peak memory |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in (("ingest (all added)", first), ("re-ingest (all unchanged)", again)):
        print(
            f"| {name} | {args.rows:,} | {r['elapsed']:.0f} | {args.rows / r['elapsed']:,.0f} "
            f"| {r['cpu']:.0f} | {r['peak_mib']:,.0f} MiB |"
        )


if __name__ == "__main__":
    main()
