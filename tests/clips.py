"""Renders small test clips with PyAV: a frame counter and a coloured square moving left to right.

The square's x position encodes time, so a test can check which moment a sampled frame shows.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CODECS = {"mp4": "libx264", "mov": "libx264", "webm": "libvpx-vp9", "mkv": "libx264"}


def frame_array(i: int, n: int, width: int, height: int) -> np.ndarray:
    """Frame i of n: grey background, red square whose x grows with i, a top bar of i's bits."""
    img = np.full((height, width, 3), 60, dtype=np.uint8)
    side = max(8, height // 6)
    x = int((width - side) * (i / max(1, n - 1)))
    y = height // 2 - side // 2
    img[y : y + side, x : x + side] = (220, 30, 30)
    # Marker in the top-left quadrant so rotations can be told apart.
    img[: height // 8, : width // 8] = (30, 220, 30)
    return img


def square_x(image: np.ndarray) -> float:
    """Centre x of the red square in an RGB array, as a fraction of the width."""
    red = (image[:, :, 0] > 150) & (image[:, :, 1] < 100) & (image[:, :, 2] < 100)
    xs = np.nonzero(red)[1]
    return float(xs.mean()) / image.shape[1] if xs.size else float("nan")


def make_clip(
    path: Path,
    *,
    seconds: float = 5.0,
    fps: int = 10,
    size: tuple[int, int] = (320, 240),
    codec: str | None = None,
    rotation: int = 0,
    vfr: bool = False,
    audio: bool = False,
    faststart: bool = False,
) -> Path:
    """Write a clip and return its path. `vfr` spaces frames unevenly (varying gaps)."""
    path = Path(path)
    ext = path.suffix.lstrip(".")
    codec = codec or CODECS.get(ext, "libx264")
    width, height = size
    n = round(seconds * fps)
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=options) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        # Millisecond timestamps in the codec too, or the encoder snaps frames to 1/fps.
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.codec_context.thread_count = 1  # same bytes on any machine (cassette digests)
        stream.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        if audio:
            out.add_stream("aac", rate=44100)
        t_ms = 0.0
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(frame_array(i, n, width, height), format="rgb24")
            frame.pts = round(t_ms)
            frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
            step = 1000.0 / fps
            if vfr:
                step *= 0.5 if i % 3 == 0 else 1.25
            t_ms += step
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_audio_only(path: Path, seconds: float = 1.0) -> Path:
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("aac", rate=44100)
        samples = np.zeros((1, 1024), dtype=np.float32)
        for i in range(int(seconds * 44100 / 1024)):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 44100
            frame.pts = i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
