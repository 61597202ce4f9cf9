"""Image input tokens per 5 s clip: recap's defaults against sending eight full frames.

Renders a 5 s 1280x720 clip, samples it the way `recap draft` does, and prices each way of
sending it under OpenAI's published image accounting (agent/cost.py). Prints a Markdown table.

    python benchmarks/image_tokens.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.cost import image_tokens
from agent.media import DEFAULT_FRAMES, DEFAULT_MAX_SIDE, sample_frames
from tests.clips import make_clip


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        clip = make_clip(Path(d) / "hd.mp4", size=(1280, 720), seconds=5, fps=30)
        small = sample_frames(clip, DEFAULT_FRAMES, max_side=DEFAULT_MAX_SIDE)
        full = sample_frames(clip, DEFAULT_FRAMES, max_side=4096)
    sheet = small.contact_sheet()
    fw, fh = small.images[0].size
    n = len(small)
    baseline = n * image_tokens(1280, 720, "high")
    rows = [
        (
            f"contact sheet, {n} frames at {DEFAULT_MAX_SIDE} px (default)",
            f"{sheet.width}x{sheet.height}",
            image_tokens(sheet.width, sheet.height, "high"),
        ),
        (
            "contact sheet, detail=low",
            f"{sheet.width}x{sheet.height}",
            image_tokens(sheet.width, sheet.height, "low"),
        ),
        (
            f"{n} separate frames at {DEFAULT_MAX_SIDE} px, high",
            f"{n} x {fw}x{fh}",
            n * image_tokens(fw, fh, "high"),
        ),
        (f"{n} separate frames, low", f"{n} x {fw}x{fh}", n * image_tokens(fw, fh, "low")),
        (f"{n} separate full 720p frames, high (baseline)", f"{n} x 1280x720", baseline),
    ]
    assert full.images[0].size == (1280, 720)
    print("| what is sent per clip | pixels | image tokens | vs baseline |")
    print("|---|---|---:|---:|")
    for what, px, tokens in rows:
        print(f"| {what} | {px} | {tokens} | {tokens / baseline:.2f}x |")


if __name__ == "__main__":
    main()
