"""Frame sampling speed: ms per 5 s 720p clip, recap's one-pass sampler against two baselines.

- recap: `sample_frames` (decode once front to back, keep the frame nearest each target,
  stop after the last, convert only the kept frames).
- decode all: decode every frame and convert each to an image, then pick 8.
- seek per frame: for each of the 8 target times, seek to the keyframe before it and decode
  forward to the target.

All three return 8 frames resized to 384 px. Prints a Markdown table (median of the runs).

    python benchmarks/frames.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av

from agent.media import fit_within, sample_frames
from tests.clips import make_clip

N, SIDE = 8, 384


def targets(duration: float) -> list[float]:
    return [(i + 0.5) * duration / N for i in range(N)]


def decode_all(path: Path) -> int:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        w, h = fit_within(s.codec_context.width, s.codec_context.height, SIDE)
        frames = [
            (f.time, f.reformat(width=w, height=h, format="rgb24").to_image()) for f in c.decode(s)
        ]
        duration = float(s.duration * s.time_base)
    picked = [min(frames, key=lambda f, t=t: abs(f[0] - t)) for t in targets(duration)]
    return len(picked)


def seek_per_frame(path: Path) -> int:
    out = []
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        w, h = fit_within(s.codec_context.width, s.codec_context.height, SIDE)
        duration = float(s.duration * s.time_base)
        for t in targets(duration):
            c.seek(int(t / s.time_base), stream=s)
            for f in c.decode(s):
                if f.time >= t - 1e-3:
                    out.append(f.reformat(width=w, height=h, format="rgb24").to_image())
                    break
    return len(out)


def ours(path: Path) -> int:
    return len(sample_frames(path, N, max_side=SIDE))


def bench(fn: Callable[[Path], int], clips: list[Path], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        for clip in clips:
            t0 = time.perf_counter()
            assert fn(clip) == N
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        clips = [
            make_clip(Path(d) / f"hd{i}.mp4", size=(1280, 720), seconds=5, fps=30) for i in range(3)
        ]
        results = {
            name: bench(fn, clips, repeat=5)
            for name, fn in (
                ("recap one-pass sampler", ours),
                ("decode every frame", decode_all),
                ("seek per frame", seek_per_frame),
            )
        }
    base = results["recap one-pass sampler"]
    print("5 s clips, 1280x720, 30 fps H.264; 8 frames at 384 px; median of 15 runs\n")
    print("| method | ms per clip | vs recap |")
    print("|---|---:|---:|")
    for name, ms in results.items():
        print(f"| {name} | {ms:.1f} | {ms / base:.2f}x |")


if __name__ == "__main__":
    main()
