"""Event-aware frames: how many telemetry moments a sampled frame shows, uniform vs events.

For every clip with telemetry, the moments a caption's claims turn on (`Telemetry.moments()`:
the outcome at the end, each gripper closing and opening, the object lifting off and landing,
an object first moving in a push/press/open task) are the events. An event counts as shown
when a sampled frame lies within 0.1 s of it. Both samplings use recap's defaults (8 frames,
384 px, one contact sheet, high detail); the image tokens per clip are OpenAI's accounting of
the sheet sent.

Clips: the bundled sample (30 Meta-World clips, 5 s at 30 fps, with their telemetry) and
generated clips (a moving square, 3-10 s at 10, 15 or 30 fps, with generated telemetry: a
grasp, a lift, sometimes a drop and a re-grasp, at random times; seeded).

    python benchmarks/event_frames.py [--generated 40] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.cost import image_tokens
from agent.media import sample_for_model, sheet_size
from agent.settings import FrameSpec
from agent.telemetry import Telemetry
from tests.clips import make_clip

SAMPLE = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "sample"
NEAR_S = 0.1


def sample_clips() -> list[tuple[str, Path, Telemetry]]:
    out = []
    for line in (SAMPLE / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        out.append((row["id"], SAMPLE / row["video"], Telemetry.load(SAMPLE / row["telemetry"])))
    return out


def generated_telemetry(rng: random.Random, seconds: float, fps: int) -> Telemetry:
    """A pick with a lift, sometimes dropped and picked again, at random times."""
    n = round(seconds * fps)
    t = [round(i / fps, 4) for i in range(n)]
    close = rng.uniform(0.1, 0.4) * seconds
    lift = close + rng.uniform(0.1, 0.6)
    drop = lift + rng.uniform(0.3, 1.5) if rng.random() < 0.5 else None
    regrasp = drop + rng.uniform(0.3, 1.0) if drop is not None and rng.random() < 0.5 else None
    opened = rng.uniform(0.75, 0.95) * seconds
    gripper, z = [], []
    for s in t:
        held = close <= s < opened and not (drop is not None and drop <= s < (regrasp or 1e9))
        gripper.append(0.2 if held else 1.0)
        up = lift <= s < opened and not (drop is not None and drop <= s < (regrasp or 1e9))
        z.append(0.12 if up else 0.02)
    return Telemetry(
        t=t,
        gripper=gripper,
        object_pos=[[0.0, 0.0, v] for v in z],
        success=rng.random() < 0.7,
        task="pick-place-v3",
    )


def generated_clips(folder: Path, count: int, seed: int) -> list[tuple[str, Path, Telemetry]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        seconds = rng.choice([3.0, 5.0, 7.5, 10.0])
        fps = rng.choice([10, 15, 30])
        path = make_clip(folder / f"gen{i:03d}.mp4", seconds=seconds, fps=fps, size=(320, 240))
        out.append((f"gen{i:03d}", path, generated_telemetry(rng, seconds, fps)))
    return out


def sheet_tokens(frames: object, spec: FrameSpec) -> int:
    w, h = sheet_size(frames.images, spec.columns)  # type: ignore[attr-defined]
    return image_tokens(w, h, spec.image_detail)


def measure(clips: list[tuple[str, Path, Telemetry]]) -> dict[str, dict[str, float]]:
    """Per sampling: events shown / events, per event kind, image tokens and frames per clip."""
    specs = {"uniform": FrameSpec(sampling="uniform"), "events": FrameSpec(sampling="events")}
    shown: dict[str, dict[str, list[int]]] = {k: defaultdict(lambda: [0, 0]) for k in specs}
    tokens: dict[str, list[int]] = {k: [] for k in specs}
    frames_n: dict[str, list[int]] = {k: [] for k in specs}
    for _, path, tel in clips:
        moments = tel.moments()
        for kind, spec in specs.items():
            frames = sample_for_model(path, spec, moments=[m.t for m in moments])
            tokens[kind].append(sheet_tokens(frames, spec))
            frames_n[kind].append(len(frames))
            for m in moments:
                near = min(abs(t - m.t) for t in frames.times) <= NEAR_S
                what = m.what.split(" ", 1)[-1] if m.what.startswith("gripper") else m.what
                for key in ("all", what):
                    shown[kind][key][0] += near
                    shown[kind][key][1] += 1
    out: dict[str, dict[str, float]] = {}
    for kind in specs:
        row = {k: a / b for k, (a, b) in shown[kind].items() if b}
        row["events"] = shown[kind]["all"][1]
        row["tokens"] = sum(tokens[kind]) / len(tokens[kind])
        row["frames"] = sum(frames_n[kind]) / len(frames_n[kind])
        out[kind] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=40, help="generated clips")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = {
            "bundled sample (30 clips)": sample_clips(),
            f"generated ({args.generated} clips)": generated_clips(
                Path(tmp), args.generated, args.seed
            ),
        }
        results = {name: measure(clips) for name, clips in sets.items()}
    kinds = ["outcome", "closes", "opens", "object lifts off", "object lands"]
    kinds += ["object starts to move"]
    print(
        "| clips | sampling | events | shown within 0.1 s | "
        + " | ".join(kinds)
        + " | frames/clip | image tokens/clip |"
    )
    print("|" + "---|" * (6 + len(kinds)))
    for name, by_kind in results.items():
        for kind, row in by_kind.items():
            cells = [f"{row[k]:.0%}" if k in row else "–" for k in kinds]
            print(
                f"| {name} | {kind} | {row['events']:.0f} | {row['all']:.1%} | "
                + " | ".join(cells)
                + f" | {row['frames']:.1f} | {row['tokens']:.0f} |"
            )


if __name__ == "__main__":
    main()
